"""Baseline paragraph aligners the benchmarks compare resolign against.

* Gale & Church (1993), "A program for aligning sentences in bilingual corpora": a length-only
  dynamic programme. A bead's cost is -log P(type) - log P(delta | match) where
  delta = (l_t - c * l_s) / sqrt(s2 * l_s) and P(delta | match) = 2 * (1 - Phi(|delta|)).
  Priors as in the paper: 1-1 0.89, 1-0 / 0-1 0.0099, 2-1 / 1-2 0.089, 2-2 0.011 (each listed
  type gets the paper's figure, as NLTK's implementation does). c and s2 are estimated from the
  documents themselves (no gold alignment used), see `estimate_length_model`.
* Character n-gram TF-IDF vectors (char_wb 2-4, fitted per document pair on both sides, L2
  normalised) turned into a `Side`, so they go through resolign's own DP (`align_pair`).
* resolign's paragraph DP before sentence-first alignment: `align_pair` on paragraphs with
  1-1, 1-2, 2-1, 2-2, 1-3, 3-1, 1-0, 0-1 beads, paragraph-overlap vectors joined from the same
  sentence encodings (`paragraph_side`).
"""

from __future__ import annotations

import math

import numpy as np

from resolign.align.aligner import MAX_SPAN, Side
from resolign.align.beads import Bead
from resolign.align.sentence_sides import SentenceSide


def overlap_texts(texts: list[str], max_span: int = MAX_SPAN) -> dict[int, list[str]]:
    """Span size n -> the texts of paragraphs i..i+n-1 joined, for every i."""
    return {
        n: [" ".join(texts[i : i + n]) for i in range(len(texts) - n + 1)]
        for n in range(1, max_span + 1)
    }


def paragraph_side(side: SentenceSide, max_span: int = MAX_SPAN) -> Side:
    """Paragraph overlaps 1..max_span of a sentence side as the DP's `Side` (vectors joined
    from the sentence encodings, lengths in characters)."""
    count = side.paragraph_count
    vectors = {}
    for n in range(1, max_span + 1):
        starts = np.arange(max(count - n + 1, 0))
        vectors[n] = side.paragraph_runs(starts, starts + n)
    lengths = np.array([len(" ".join(side.sentences[side.paragraph_start[p]:
                                                    side.paragraph_start[p + 1]]))
                        for p in range(count)], dtype=float)
    return Side(vectors=vectors, lengths=lengths)

GC_PRIORS: dict[tuple[int, int], float] = {
    (1, 1): 0.89,
    (1, 0): 0.0099,
    (0, 1): 0.0099,
    (2, 1): 0.089,
    (1, 2): 0.089,
    (2, 2): 0.011,
}
GC_PAPER_C = 1.0
GC_PAPER_S2 = 6.8


def estimate_length_model(pairs: list[tuple[list[str], list[str]]]) -> tuple[float, float]:
    """(c, s2) from whole documents: l_t ~ N(c l_s, s2 l_s) holds for sums of paragraphs too.

    c = total target characters / total source characters; s2 = mean over documents of
    (L_t - c L_s)^2 / L_s (the paper's 6.8 with fewer than 5 documents). Unsupervised: dropped
    and inserted paragraphs inflate s2 a little.
    """
    src_total = sum(len(t) for s, _ in pairs for t in s)
    tgt_total = sum(len(t) for _, tg in pairs for t in tg)
    if not src_total:
        return GC_PAPER_C, GC_PAPER_S2
    c = tgt_total / src_total
    terms = []
    for src, tgt in pairs:
        ls, lt = sum(map(len, src)), sum(map(len, tgt))
        if ls:
            terms.append((lt - c * ls) ** 2 / ls)
    if len(terms) < 5:  # one document's own total fits c exactly: no variance to read
        return c, GC_PAPER_S2
    return c, max(float(np.mean(terms)), 1e-3)


def _norm_logsf(z: float) -> float:
    """log of the two-tailed tail 2 * (1 - Phi(|z|)), safe far in the tail."""
    p = math.erfc(abs(z) / math.sqrt(2))
    return math.log(p) if p > 1e-300 else -0.5 * z * z - math.log(abs(z) * math.sqrt(math.pi / 2))


def _gc_cost(ls: int, lt: int, kind: tuple[int, int], c: float, s2: float) -> float:
    # NLTK's form: the variance scales with the mean of both lengths (well-defined for 1-0/0-1)
    mean = (ls + lt / c) / 2
    delta = (c * ls - lt) / math.sqrt(max(mean, 1e-9) * s2) if mean else 0.0
    return -math.log(GC_PRIORS[kind]) - _norm_logsf(delta)


def gale_church(src: list[str], tgt: list[str], c: float, s2: float) -> list[Bead]:
    """Full DP over character lengths; every paragraph in exactly one bead, in order."""
    n, m = len(src), len(tgt)
    ls = [len(t) for t in src]
    lt = [len(t) for t in tgt]
    cost = np.full((n + 1, m + 1), np.inf)
    back: dict[tuple[int, int], tuple[int, int]] = {}
    cost[0, 0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            best, arg = np.inf, None
            for a, b in GC_PRIORS:
                if a > i or b > j:
                    continue
                prev = cost[i - a, j - b]
                if prev == np.inf:
                    continue
                total = prev + _gc_cost(sum(ls[i - a : i]), sum(lt[j - b : j]), (a, b), c, s2)
                if total < best:
                    best, arg = total, (a, b)
            cost[i, j] = best
            if arg is not None:
                back[(i, j)] = arg
    beads: list[Bead] = []
    i, j = n, m
    while i or j:
        a, b = back[(i, j)]
        beads.append(Bead(tuple(range(i - a, i)), tuple(range(j - b, j)), 0.0))
        i, j = i - a, j - b
    return beads[::-1]


def tfidf_sides(src: list[str], tgt: list[str]) -> tuple[Side, Side]:
    """Char n-gram TF-IDF overlap vectors for both sides, one vectoriser per document pair."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    spans = {"src": overlap_texts(src, MAX_SPAN), "tgt": overlap_texts(tgt, MAX_SPAN)}
    corpus = [t for side in spans.values() for items in side.values() for t in items]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), norm="l2")
    vectoriser.fit(corpus)
    sides = []
    for name, texts in (("src", src), ("tgt", tgt)):
        vectors = {}
        for n, items in spans[name].items():
            dim = len(vectoriser.vocabulary_)
            if items:
                matrix = vectoriser.transform(items).toarray().astype(np.float32)
            else:
                matrix = np.zeros((0, dim), np.float32)
            vectors[n] = np.ascontiguousarray(matrix)
        lengths = np.array([len(t) for t in texts], dtype=np.float64)
        sides.append(Side(vectors=vectors, lengths=lengths))
    return sides[0], sides[1]
