"""End-to-end alignment speed against the issue's yardstick: cold cache, FR–EN–AR, compared
with the time the same model takes to encode every input paragraph once.

    python bench/align_speed.py                        # 100 and 1,000 French paragraphs
    python bench/align_speed.py --sizes 100,1000,2000
    python bench/align_speed.py --quick                # 12 paragraphs (smoke test)

Each size runs in its own subprocess with a cold embedding cache (RESOLIGN_CACHE_DIR=off), so
peak memory (ru_maxrss) is that size's alone. Input: long evaluation documents (seed 1,
`build_long_eval_set`) concatenated and cut to the size, one paragraph a line. The encoder is
loaded and warmed before any clock starts. In the child, side by side: (1) encode every fr, en
and ar paragraph once (the yardstick), (2) `align_files(..., presegmented=True)`, (3) the
yardstick again; the ratio is (2) over the mean of (1) and (3), so load changes during the run
weigh on both. A second part checks the sentence DP alone on a long input is banded.
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


def long_document(devset: Path, size: int):
    """Long evaluation documents concatenated and cut to `size` French paragraphs (each
    language cut where its gold beads say French paragraph `size` starts)."""
    from resolign.align.evaluation import build_long_eval_set, concatenate

    docs, seed = [], 1
    while sum(len(d.paragraphs["fr"]) for d in docs) < size:
        docs += build_long_eval_set(devset, seed)
        seed += 1
    doc = concatenate(docs)
    if len(doc.paragraphs["fr"]) > size:
        for lang, beads in doc.gold.items():
            ends = [max(t) + 1 for s, t in beads if t and s and max(s) < size]
            doc.paragraphs[lang] = doc.paragraphs[lang][: max(ends, default=0)]
        doc.paragraphs["fr"] = doc.paragraphs["fr"][:size]
    return doc


def child(size: int, devset: Path) -> None:
    """One measured run; prints one JSON line."""
    from resolign.align import pipeline, sentence_first
    from resolign.align.encoders import load_encoder

    doc = long_document(devset, size)
    encoder = load_encoder()
    encoder.encode(["warm up"])
    every = [p for lang in ("fr", "en", "ar") for p in doc.paragraphs[lang]]

    def yardstick() -> float:
        start = time.perf_counter()
        for k in range(0, len(every), 64):  # the embedding cache's batches
            encoder.encode(every[k : k + 64])
        return time.perf_counter() - start

    before = yardstick()
    clock = {"encode": 0.0, "dp": 0.0}
    pieces, align_pair = encoder.embed_pieces, sentence_first.align_pair

    def timed_pieces(texts):
        start = time.perf_counter()
        try:
            return pieces(texts)
        finally:
            clock["encode"] += time.perf_counter() - start

    def timed_dp(*args, **kwargs):
        start = time.perf_counter()
        try:
            return align_pair(*args, **kwargs)
        finally:
            clock["dp"] += time.perf_counter() - start

    encoder.embed_pieces = timed_pieces
    sentence_first.align_pair = timed_dp
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for lang in ("fr", "en", "ar"):
            path = Path(tmp) / f"{lang}.txt"
            path.write_text("\n".join(doc.paragraphs[lang]) + "\n", encoding="utf-8")
            paths.append(path)
        start = time.perf_counter()
        result = pipeline.align_files(*paths, presegmented=True)
        total = time.perf_counter() - start
    encoder.embed_pieces = pieces
    after = yardstick()
    print(json.dumps({
        "size": size, "paragraphs": {lang: len(p) for lang, p in result.paragraphs.items()},
        "sentences": {lang: len(s) for lang, s in result.sentences.items()},
        "beads": len(result.beads), "total": total, "yardstick": [before, after], **clock,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def dp_check(size: int, devset: Path) -> dict:
    """The sentence DP alone on `size` paragraphs' sentences: banded (default) vs full."""
    from resolign.align import aligner
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.sentence_first import sentence_params
    from resolign.align.sentence_sides import sentence_side

    os.environ.setdefault("RESOLIGN_CACHE_DIR", str(HERE / ".cache"))
    doc = long_document(devset, size)
    cache = EmbeddingCache(load_encoder())
    params = sentence_params()
    span = max(params.max_span)
    src = sentence_side(doc.paragraphs["fr"], "fr", cache).aligner_side(span)
    tgt = sentence_side(doc.paragraphs["en"], "en", cache).aligner_side(span)
    lo, hi = aligner._band(src, tgt, params)
    widths = [h - low + 1 for low, h in zip(lo, hi, strict=True)]
    start = time.perf_counter()
    banded = aligner.align_pair(src, tgt, params)
    banded_s = time.perf_counter() - start
    params.full_dp_cells = 10**12
    start = time.perf_counter()
    full = aligner.align_pair(src, tgt, params)
    full_s = time.perf_counter() - start
    same = [(b.src, b.tgt) for b in banded] == [(b.src, b.tgt) for b in full]
    return {"n": src.count, "m": tgt.count, "cells": sum(widths),
            "full_cells": (src.count + 1) * (tgt.count + 1), "banded_s": banded_s,
            "full_s": full_s, "same": same, "max_width": max(widths)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--sizes", default="100,1000", help="French paragraphs per run")
    parser.add_argument("--dp-size", type=int, default=1000, help="paragraphs for the DP check")
    parser.add_argument("--quick", action="store_true", help="12 paragraphs (smoke test)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.devset)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    dp_size = args.dp_size
    if args.quick:
        sizes, dp_size = [12], 12

    runs = []
    for size in sizes:
        env = {**os.environ, "RESOLIGN_CACHE_DIR": "off"}
        proc = subprocess.run([sys.executable, __file__, "--child", str(size), "--devset",
                               str(args.devset)], capture_output=True, text=True, env=env)
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            return proc.returncode
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    print("# Alignment speed — use-m3, cold cache, FR–EN–AR, one subprocess per size\n")
    print("| paragraphs fr/en/ar | sentences fr/en/ar | encode every paragraph once s "
          "(before / after) | align_files s | ratio | sentence encoding s | sentence DP s "
          "| other s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        p, s = r["paragraphs"], r["sentences"]
        yard = sum(r["yardstick"]) / 2
        other = r["total"] - r["encode"] - r["dp"]
        print(f"| {p['fr']}/{p['en']}/{p['ar']} | {s['fr']}/{s['en']}/{s['ar']} | "
              f"{r['yardstick'][0]:.1f} / {r['yardstick'][1]:.1f} | {r['total']:.1f} | "
              f"**{r['total'] / yard:.2f}×** | {r['encode']:.1f} | {r['dp']:.1f} | {other:.1f} | "
              f"{r['maxrss_mb']:.0f} |")
    dp = dp_check(dp_size, args.devset)
    print(f"\n## Sentence DP alone on {dp['n']} fr × {dp['m']} en sentences (align_pair; vectors "
          "from the bench cache, not timed)\n")
    print("| search | cells visited | of N×M | max band width | time s | same beads as full |")
    print("|---|---|---|---|---|---|")
    print(f"| banded (default) | {dp['cells']:,} | {dp['cells'] / dp['full_cells']:.1%} | "
          f"{dp['max_width']} | {dp['banded_s']:.2f} | {'yes' if dp['same'] else 'NO'} |")
    print(f"| full | {dp['full_cells']:,} | 100% | {dp['m'] + 1} | {dp['full_s']:.2f} | — |")
    print(f"\n{machine_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
