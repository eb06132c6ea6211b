"""Beads: the unit of an alignment, a run of source paragraphs matched to a run of target ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bead:
    """`src` and `tgt` are consecutive 0-based paragraph indices; either may be empty (1-0, 0-1).

    `score` is the cosine similarity of the two sides' embeddings (0.0 for a one-sided bead).
    """

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    score: float

    @property
    def kind(self) -> str:
        return f"{len(self.src)}-{len(self.tgt)}"


def check_complete(beads: list[Bead], n_src: int, n_tgt: int) -> None:
    """Every paragraph of both sides appears exactly once, in order: nothing is lost."""
    src = [i for bead in beads for i in bead.src]
    tgt = [j for bead in beads for j in bead.tgt]
    if src != list(range(n_src)) or tgt != list(range(n_tgt)):
        raise AssertionError("alignment does not cover every paragraph exactly once, in order")


def components(links: list[tuple[int, int]], n_src: int,
               n_tgt: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Beads from links between source and target items: linked items share a bead, and so
    does any item lying between two items of a bead on its side (beads are contiguous runs);
    an item no link reaches is a bead of its own. In order; between two two-sided beads the
    source-only beads come first, then the target-only ones: joining on French places a
    target-only bead by its neighbours, so gold and predicted beads must agree on one order."""
    parent = list(range(n_src + n_tgt))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in links:
        parent[find(i)] = find(n_src + j)
    hulls: dict[int, list[int]] = {}
    for i, j in links:
        root = find(i)
        hull = hulls.setdefault(root, [i, i, j, j])
        hull[0], hull[1] = min(hull[0], i), max(hull[1], i)
        hull[2], hull[3] = min(hull[2], j), max(hull[3], j)
    merged: list[list[int]] = []
    for hull in sorted(hulls.values()):
        if merged and (hull[0] <= merged[-1][1] or hull[2] <= merged[-1][3]):
            last = merged[-1]
            last[1], last[3] = max(last[1], hull[1]), max(last[3], hull[3])
        else:
            merged.append(list(hull))
    out: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    i = j = 0
    for s0, s1, t0, t1 in merged:
        out += [((k,), ()) for k in range(i, s0)] + [((), (k,)) for k in range(j, t0)]
        out.append((tuple(range(s0, s1 + 1)), tuple(range(t0, t1 + 1))))
        i, j = s1 + 1, t1 + 1
    out += [((k,), ()) for k in range(i, n_src)] + [((), (k,)) for k in range(j, n_tgt)]
    return out

