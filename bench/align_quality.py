"""Paragraph alignment quality on UN devset documents: resolign beside peers and baselines.

    python bench/align_quality.py                   # long docs, seeds 1,2,3; short docs, seed 1
    python bench/align_quality.py --quick           # 40 paragraphs of 1 long + 4 short docs
    python bench/align_quality.py --bertalign-python /path/to/python3.12   # adds Bertalign

Evaluation documents come from `resolign.align.evaluation` (UN Parallel Corpus v1.0 devset;
Ziemski, Junczys-Dowmunt and Pouliquen, LREC 2016):
* long: `build_long_eval_set` — devset documents concatenated to ~270 French paragraphs, each
  language (French too) merging 2–4 paragraphs, splitting, re-cutting, dropping and inserting
  on its own (2-2, 2-3, 3-1, 4-1 gold beads; English/Arabic paragraphs French lacks);
* short: `build_eval_set` — one devset document each (3–4 paragraphs), targets merge, split,
  drop.
Runs, as the judged commands make them: three-way (FR EN AR; beads scored exactly on all three
sides against the gold joined on French, beads with an empty side not scored; the fr–en and
fr–ar projections too) and two files (FR EN, FR AR). Every system gets the same documents and
the same USE-m3 vectors (runs of paragraphs joined from sentence encodings, the embedding
cache filled once before any timing). Peers align paragraphs as their units; their three-way
beads are their fr–en and fr–ar beads joined on French as resolign joins its own. resolign's
parameters were tuned on seed 1 of the long documents: seeds 2 and 3 are held out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("RESOLIGN_CACHE_DIR", str(HERE / ".cache"))

from baselines import (  # noqa: E402
    estimate_length_model,
    gale_church,
    paragraph_side,
    tfidf_sides,
)
from common import machine_line  # noqa: E402

from resolign.align.aligner import AlignParams, align_pair  # noqa: E402
from resolign.align.beads import Bead, components  # noqa: E402
from resolign.align.evaluation import (  # noqa: E402
    EvalDocument,
    bead_scores,
    build_eval_set,
    build_long_eval_set,
    join_gold,
    project,
    three_way_scores,
    truncate,
)
from resolign.align.trilingual import join_on_pivot  # noqa: E402

DEVSET = HERE.parent.parent / "shared" / "data" / "un-devset"
TARGETS = ("en", "ar")
Pairs = list[tuple[tuple[int, ...], tuple[int, ...]]]


def load_docs(devset: Path, long_seeds: list[int], short_seeds: list[int], per_seed: int,
              quick: bool, long_per_seed: int = 0) -> list[tuple[str, int, EvalDocument]]:
    import random

    docs = []
    for seed in long_seeds:
        found = build_long_eval_set(devset, seed)
        found = found[:long_per_seed] if long_per_seed else found
        docs += [("long", seed, d) for d in ([truncate(found[0], 40)] if quick else found)]
    for seed in short_seeds:
        every = build_eval_set(devset, seed)
        chosen = random.Random(seed).sample(every, min(4 if quick else per_seed, len(every)))
        docs += [("short", seed, d) for d in chosen]
    return docs


def _pairs(beads: list[Bead]) -> Pairs:
    return [(tuple(b.src), tuple(b.tgt)) for b in beads]


def _joined(pairwise: dict[str, Pairs], n_fr: int) -> list[dict]:
    beads = {lang: [Bead(s, t, 1.0) for s, t in pairwise[lang]] for lang in TARGETS}
    return [b.as_json() for b in join_on_pivot(beads, n_fr)]


def peer_prediction(doc: EvalDocument, pairwise: dict[str, Pairs]) -> dict:
    """A peer's fr–X beads, completed and ordered as resolign's (`beads.components` of their
    links: a paragraph a peer left out becomes one-sided), and joined on French."""
    n_fr = len(doc.paragraphs["fr"])
    pairwise = {lang: components([(i, j) for s, t in beads for i in s for j in t], n_fr,
                                 len(doc.paragraphs[lang])) for lang, beads in pairwise.items()}
    return {"two_file": pairwise, "pairwise": pairwise, "joined": _joined(pairwise, n_fr)}


# -- systems ----------------------------------------------------------------------------------

def run_resolign(docs: list[EvalDocument]) -> tuple[list[dict], float]:
    """The product path: align_paragraphs on presegmented paragraphs, three languages (timed)
    and each pair on its own (what `resolign align --presegmented` runs)."""
    from resolign.align.paragraphs import presegmented_paragraphs
    from resolign.align.pipeline import align_paragraphs

    out = []
    seconds = 0.0
    for doc in docs:
        paras = {lang: presegmented_paragraphs("\n".join(p)) for lang, p in doc.paragraphs.items()}
        start = time.perf_counter()
        three = align_paragraphs(paras)
        seconds += time.perf_counter() - start
        two = {lang: _pairs(align_paragraphs({"fr": paras["fr"], lang: paras[lang]}).pairwise[
            lang]) for lang in TARGETS}
        out.append({"joined": three.beads_json(), "two_file": two,
                    "pairwise": {lang: _pairs(three.pairwise[lang]) for lang in TARGETS}})
    return out, seconds


def run_paragraph_dp(docs, vectors) -> tuple[list[dict], float]:
    """resolign's previous paragraph DP (fixed bead menu), on the same vectors."""
    out = []
    start = time.perf_counter()
    for doc, vec in zip(docs, vectors, strict=True):
        fr = paragraph_side(vec["fr"].side)
        pairwise = {lang: _pairs(align_pair(fr, paragraph_side(vec[lang].side), AlignParams()))
                    for lang in TARGETS}
        out.append(peer_prediction(doc, pairwise))
    return out, time.perf_counter() - start


def run_gale_church(docs, models) -> tuple[list[dict], float]:
    out = []
    start = time.perf_counter()
    for doc in docs:
        pairwise = {lang: _pairs(gale_church(doc.paragraphs["fr"], doc.paragraphs[lang],
                                             *models[lang])) for lang in TARGETS}
        out.append(peer_prediction(doc, pairwise))
    return out, time.perf_counter() - start


def run_tfidf(docs, threshold: float = 0.2) -> tuple[list[dict], float]:
    """Char n-gram TF-IDF vectors through the paragraph DP (threshold set for their lower
    cosines, not tuned on gold)."""
    import sklearn.feature_extraction.text  # noqa: F401  (import time is not alignment time)

    out = []
    start = time.perf_counter()
    for doc in docs:
        pairwise = {}
        for lang in TARGETS:
            src, tgt = tfidf_sides(doc.paragraphs["fr"], doc.paragraphs[lang])
            pairwise[lang] = _pairs(align_pair(src, tgt, AlignParams(threshold=threshold)))
        out.append(peer_prediction(doc, pairwise))
    return out, time.perf_counter() - start


def run_galechurch_pypi(docs, models) -> tuple[list[dict], float]:
    from peers import galechurch_pypi

    out = []
    start = time.perf_counter()
    for doc in docs:
        pairwise = {lang: _pairs(galechurch_pypi(doc.paragraphs["fr"], doc.paragraphs[lang],
                                                 *models[lang])) for lang in TARGETS}
        out.append(peer_prediction(doc, pairwise))
    return out, time.perf_counter() - start


def run_vecalign(docs, vectors) -> tuple[list[dict], float]:
    from peers import vecalign

    out = []
    start = time.perf_counter()
    for doc, vec in zip(docs, vectors, strict=True):
        pairwise = {lang: _pairs(vecalign(vec["fr"], vec[lang])) for lang in TARGETS}
        out.append(peer_prediction(doc, pairwise))
    return out, time.perf_counter() - start


def run_bertalign(docs, vectors, python: str) -> tuple[list[dict], float]:
    from peers import bertalign_many

    pairs = [(vec["fr"], vec[lang]) for vec in vectors for lang in TARGETS]
    found, seconds = bertalign_many(pairs, python)
    out = []
    for k, doc in enumerate(docs):
        pairwise = {lang: _pairs(found[2 * k + n]) for n, lang in enumerate(TARGETS)}
        out.append(peer_prediction(doc, pairwise))
    return out, seconds


# -- scoring ----------------------------------------------------------------------------------

def _pool(per_doc: list[Pairs]) -> Pairs:
    pooled = []
    for n, beads in enumerate(per_doc):
        off = 100_000 * n  # documents never share indices
        pooled += [(tuple(i + off for i in s), tuple(j + off for j in t)) for s, t in beads]
    return pooled


def _pool_joined(per_doc: list[list[dict]]) -> list[dict]:
    pooled = []
    for n, beads in enumerate(per_doc):
        off = 100_000 * n
        pooled += [{k: ([i + off for i in v] if isinstance(v, list) else v)
                    for k, v in b.items()} for b in beads]
    return pooled


def scores(docs: list[EvalDocument], predictions: list[dict]) -> dict[str, object]:
    """Run type -> strict Scores, pooled over the documents."""
    gold_joined = [join_gold(d) for d in docs]
    rows: dict[str, object] = {
        "FR EN AR (three-way beads)": three_way_scores(
            _pool_joined([p["joined"] for p in predictions]), _pool_joined(gold_joined))}
    for lang in TARGETS:
        rows[f"FR EN AR → fr-{lang}"] = bead_scores(
            _pool([project(p["joined"], lang) for p in predictions]),
            _pool([project(g, lang) for g in gold_joined]))
    for lang in TARGETS:
        rows[f"FR {lang.upper()} (two files)"] = bead_scores(
            _pool([p["two_file"][lang] for p in predictions]), _pool([d.gold[lang] for d in docs]))
    return rows


def per_type(docs, predictions, lang: str) -> dict[str, tuple[int, float]]:
    """Gold bead type -> (gold count, strict F1 over beads of that type), two-file run."""
    gold_by, pred_by, hits = Counter(), Counter(), Counter()
    for d, p in zip(docs, predictions, strict=True):
        gold = {(tuple(s), tuple(t)) for s, t in d.gold[lang] if s and t}
        pred = {(tuple(s), tuple(t)) for s, t in p["two_file"][lang] if s and t}
        for s, t in gold:
            gold_by[_kind(s, t)] += 1
        for s, t in pred:
            pred_by[_kind(s, t)] += 1
        for s, t in gold & pred:
            hits[_kind(s, t)] += 1
    out = {}
    for kind in set(gold_by) | set(pred_by):
        prec = hits[kind] / pred_by[kind] if pred_by[kind] else 0.0
        rec = hits[kind] / gold_by[kind] if gold_by[kind] else 0.0
        out[kind] = (gold_by[kind], 2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return out


def _kind(s, t) -> str:
    a, b = len(s), len(t)
    return f"{a}-{b}" if a <= 4 and b <= 4 else "larger"


def _kind_key(kind: str):
    return (99, 99) if kind == "larger" else tuple(int(x) for x in kind.split("-"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--long-seeds", default="1,2,3")
    parser.add_argument("--long-docs", type=int, default=0,
                        help="long documents per seed (default: all 8)")
    parser.add_argument("--short-seeds", default="1")
    parser.add_argument("--docs", type=int, default=60, help="short documents per seed")
    parser.add_argument("--bertalign-python", default="",
                        help="a Python >= 3.12 with `bertalign` installed (bench/README.md)")
    parser.add_argument("--no-peers", action="store_true", help="resolign and baselines only")
    parser.add_argument("--quick", action="store_true",
                        help="the first 40 paragraphs of one long document, 4 short documents")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.long_seeds.split(",") if s.strip()]
    short = [int(s) for s in args.short_seeds.split(",") if s.strip()]
    if args.quick:
        seeds, short = seeds[:1], short[:1]
    every = load_docs(args.devset, seeds, short, args.docs, args.quick, args.long_docs)

    from peers import OverlapVectors

    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder

    start = time.perf_counter()
    cache = EmbeddingCache(load_encoder())
    vectors = [{lang: OverlapVectors(d.paragraphs[lang], lang, cache) for lang in d.paragraphs}
               for _, _, d in every]
    embed_s = time.perf_counter() - start

    results: dict[str, dict[str, list]] = {}
    times: dict[str, float] = {}
    for group in ("long", "short"):
        idx = [k for k, (g, _, _) in enumerate(every) if g == group]
        if not idx:
            continue
        docs = [every[k][2] for k in idx]
        vecs = [vectors[k] for k in idx]
        models = {lang: estimate_length_model([(d.paragraphs["fr"], d.paragraphs[lang])
                                               for d in docs]) for lang in TARGETS}
        systems = {
            "resolign (sentence-first)": lambda d=docs: run_resolign(d),
            "resolign paragraph DP (before)": lambda d=docs, v=vecs: run_paragraph_dp(d, v),
            "Gale–Church (ours)": lambda d=docs, m=models: run_gale_church(d, m),
            "TF-IDF + DP": lambda d=docs: run_tfidf(d),
        }
        if not args.no_peers:
            systems["galechurch (PyPI)"] = lambda d=docs, m=models: run_galechurch_pypi(d, m)
            systems["Vecalign DP (sentalign)"] = lambda d=docs, v=vecs: run_vecalign(d, v)
            if args.bertalign_python:
                systems["Bertalign"] = lambda d=docs, v=vecs, p=args.bertalign_python: (
                    run_bertalign(d, v, p))
        for name, run in systems.items():
            predictions, seconds = run()
            results.setdefault(group, {})[name] = predictions
            times[f"{group}|{name}"] = seconds

    print("# Paragraph alignment quality — resolign beside peers\n")
    for group in results:
        chosen = [(s, d) for g, s, d in every if g == group]
        docs = [d for _, d in chosen]
        n_par = {lang: sum(len(d.paragraphs[lang]) for d in docs) for lang in ("fr", *TARGETS)}
        seeds_here = sorted({s for s, _ in chosen})
        print(f"## {group} documents: {len(docs)} from seeds {seeds_here}, {n_par['fr']} fr / "
              f"{n_par['en']} en / {n_par['ar']} ar paragraphs\n")
        names = list(results[group])
        table = {name: scores(docs, results[group][name]) for name in names}
        runs = list(next(iter(table.values())))
        print("Strict F1 (P / R) per run type; beads with an empty side are not scored.\n")
        print("| run | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for run in runs:
            cells = [f"**{table[n][run].f1:.3f}** ({table[n][run].precision:.3f} / "
                     f"{table[n][run].recall:.3f})" for n in names]
            print(f"| {run} | " + " | ".join(cells) + " |")
        if group == "long" and len(seeds_here) > 1:
            print("\nresolign strict F1 per seed (seed 1 tuned, others held out):\n")
            print("| seed | " + " | ".join(runs) + " |")
            print("|---|" + "---|" * len(runs))
            for seed in seeds_here:
                keep = [k for k, (s, _) in enumerate(chosen) if s == seed]
                sub = scores([docs[k] for k in keep],
                             [results[group][names[0]][k] for k in keep])
                print(f"| {seed} | " + " | ".join(f"{sub[r].f1:.3f}" for r in runs) + " |")
        print("\nStrict F1 by gold bead type, two-file runs (n = gold beads of that type):\n")
        print("| pair | type | n gold | " + " | ".join(names) + " |")
        print("|---|---|---|" + "---|" * len(names))
        for lang in TARGETS:
            tables = {name: per_type(docs, results[group][name], lang) for name in names}
            kinds = sorted({k for t in tables.values() for k in t}, key=_kind_key)
            for kind in kinds:
                gold_n = max(t.get(kind, (0, 0.0))[0] for t in tables.values())
                if not gold_n:
                    continue
                cells = " | ".join(f"{tables[n].get(kind, (0, 0.0))[1]:.3f}" for n in names)
                print(f"| fr-{lang} | {kind} | {gold_n} | {cells} |")
        print(f"\nAlign time, {group} documents, fr–en and fr–ar (resolign: the three-way run, "
              "EN–AR pairing included; embedding cache filled beforehand):\n")
        print("| system | align s | fr paragraphs / s |")
        print("|---|---|---|")
        for name in names:
            seconds = times[f"{group}|{name}"]
            print(f"| {name} | {seconds:.1f} | {n_par['fr'] / max(seconds, 1e-9):.0f} |")
        print()
    print(f"Sentence encoding for every document (cold or warm cache): {embed_s:.1f} s; "
          f"embedding cache: {os.environ.get('RESOLIGN_CACHE_DIR')}\n")
    print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
