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
