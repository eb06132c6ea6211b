"""From aligned sentences to paragraph beads of any shape.

Paragraphs that share an aligned sentence belong to one bead: the beads are the connected
components of the sentence links, so a 2-2, 2-3 or 4-1 bead follows from the text instead of a
fixed menu. Formally, a cut between source paragraph i and target paragraph j is *consistent*
when no sentence link crosses it; the beads are the runs between consecutive consistent cuts.

What the sentence links cannot say is where a paragraph that no link reached (an "orphan")
belongs: a paragraph the other language lacks, or one whose sentences the sentence DP left
unaligned (a heading run into the next sentence, a sentence split differently). A small DP over
the consistent cuts decides: it may merge runs, paying θ - similarity per bead with paragraph
vectors of the whole bead (`SentenceSide.paragraph_runs`), `skip` per orphan left alone, and it
earns `keep` for every cut it keeps between two linked paragraphs on both sides — so cuts the
sentences agree on stay, and only orphans and their neighbours are re-decided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resolign.align.beads import Bead, canonical_order
from resolign.align.sentence_sides import SentenceSide


@dataclass
class BeadParams:
    """Tuned on long evaluation documents (seed 1; bench/align_quality.py)."""

    threshold: float = 0.5
    skip: float = 0.0
    keep: float = 1.0
    max_paragraphs: int = 8  # per side, in one bead


def paragraph_links(sentence_beads: list[Bead], src: SentenceSide,
                    tgt: SentenceSide) -> list[tuple[int, int, float]]:
    """(source paragraph, target paragraph, score of the sentence link joining them)."""
    links = []
    for bead in sentence_beads:
        if bead.src and bead.tgt:
            for p in sorted({int(src.paragraph_of[i]) for i in bead.src}):
                for q in sorted({int(tgt.paragraph_of[j]) for j in bead.tgt}):
                    links.append((p, q, bead.score))
    return links


def _consistent_cuts(links: list[tuple[int, int, float]], n: int, m: int) -> list[range]:
    """For every source boundary i (0..n), the target boundaries j no link crosses."""
    latest = [-1] * (n + 1)  # highest target paragraph linked to a source paragraph < i
    earliest = [m] * (n + 1)  # lowest target paragraph linked to a source paragraph >= i
    for p, q, _ in links:
        latest[p + 1] = max(latest[p + 1], q)
        earliest[p] = min(earliest[p], q)
    for i in range(1, n + 1):
        latest[i] = max(latest[i], latest[i - 1])
    for i in range(n - 1, -1, -1):
        earliest[i] = min(earliest[i], earliest[i + 1])
    return [range(latest[i] + 1, earliest[i] + 1) for i in range(n + 1)]


def paragraph_beads(sentence_beads: list[Bead], src: SentenceSide, tgt: SentenceSide,
                    params: BeadParams | None = None) -> list[Bead]:
    """Monotone paragraph beads covering every paragraph of both sides exactly once."""
    params = params or BeadParams()
    n, m = src.paragraph_count, tgt.paragraph_count
    links = paragraph_links(sentence_beads, src, tgt)
    cuts = _consistent_cuts(links, n, m)
    linked_src = {p for p, _, _ in links}
    linked_tgt = {q for _, q, _ in links}

    def kept(i: int, j: int) -> bool:
        return all(x in linked_src for x in (i - 1, i) if 0 <= x < n) and all(
            y in linked_tgt for y in (j - 1, j) if 0 <= y < m)

    points = [(i, j) for i in range(n + 1) for j in cuts[i]]
    steps = sorted(set(_steps(points, cuts, params.max_paragraphs)) | set(_finest(cuts, n, m)))
    two_sided = [(a, b) for a, b in steps if a[0] < b[0] and a[1] < b[1]]
    sims = _similarities(two_sided, src, tgt)
    best: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    by_end: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for a, b in steps:
        by_end.setdefault(b, []).append(a)
    for point in points:
        if point == (0, 0):
            continue
        choice, value = None, np.inf
        for start in by_end.get(point, ()):
            if start not in best:
                continue
            if start[0] < point[0] and start[1] < point[1]:
                cost = params.threshold - sims[(start, point)]
            else:
                cost = params.skip
            if best[start] + cost < value:
                choice, value = start, best[start] + cost
        if choice is not None:
            best[point] = value - (params.keep if kept(*point) else 0.0)
            back[point] = choice
    return _trace(back, n, m, links, sims)


def _steps(points: list[tuple[int, int]], cuts: list[range],
           limit: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Pairs of consistent cuts a bead may span: up to `limit` paragraphs a side, one-sided
    beads one paragraph at a time."""
    steps = []
    for i2, j2 in points:
        for i in range(max(0, i2 - limit), i2 + 1):
            for j in cuts[i]:
                if j > j2 or j < j2 - limit or (i, j) == (i2, j2):
                    continue
                if (i == i2 and j2 - j != 1) or (j == j2 and i2 - i != 1):
                    continue
                steps.append(((i, j), (i2, j2)))
    return steps


def _finest(cuts: list[range], n: int, m: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The steps of the finest partition (each component, each orphan): always allowed, so a
    component larger than the step limit still has a path."""
    steps = []
    i = j = 0
    while (i, j) != (n, m):
        if i < n and j in cuts[i + 1]:
            end = (i + 1, j)  # source paragraph i has no link
        elif j < m and j + 1 in cuts[i]:
            end = (i, j + 1)  # target paragraph j has no link
        else:
            nxt = next(k for k in range(i + 1, n + 1) if cuts[k].stop - 1 > j)
            end = (nxt, max(j + 1, cuts[nxt].start))
        steps.append(((i, j), end))
        i, j = end
    return steps


def _similarities(two_sided, src: SentenceSide, tgt: SentenceSide) -> dict:
    """Cosine of each candidate bead's two sides, from paragraph-run vectors (one batch)."""
    if not two_sided:
        return {}
    starts = np.array([[a[0], a[1]] for a, _ in two_sided])
    ends = np.array([[b[0], b[1]] for _, b in two_sided])
    src_vectors = src.paragraph_runs(starts[:, 0], ends[:, 0])
    tgt_vectors = tgt.paragraph_runs(starts[:, 1], ends[:, 1])
    cosines = np.einsum("ij,ij->i", src_vectors, tgt_vectors)
    return {step: float(c) for step, c in zip(two_sided, cosines, strict=True)}


def _trace(back, n: int, m: int, links, sims) -> list[Bead]:
    """Beads from the best path; a bead's score is its weakest sentence link (the whole
    bead's cosine when no sentence link joins it)."""
    weakest: dict[int, list[tuple[int, float]]] = {}
    for p, q, score in links:
        weakest.setdefault(p, []).append((q, score))
    point = (n, m)
    beads = []
    while point != (0, 0):
        start = back[point]
        src, tgt = tuple(range(start[0], point[0])), tuple(range(start[1], point[1]))
        score = 0.0
        if src and tgt:
            inside = [s for p in src for q, s in weakest.get(p, ()) if tgt[0] <= q <= tgt[-1]]
            score = min(inside) if inside else sims[(start, point)]
        beads.append(Bead(src, tgt, round(float(score), 4)))
        point = start
    return canonical_order(beads[::-1])
