"""Join fr–en and fr–ar beads on the French side into FR–EN–AR beads.

Two French paragraphs belong to one trilingual bead when either pairwise alignment puts them
in one bead (connected components along the French text), so no pairwise bead is ever cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from resolign.align.beads import Bead


@dataclass
class MultiBead:
    """Paragraph indices per language (French first); `score` is the weakest pairwise score."""

    indices: dict[str, list[int]]
    score: float

    def as_json(self) -> dict:
        return {**{lang: list(ix) for lang, ix in self.indices.items()}, "score": self.score}


def join_on_pivot(
    pairwise: dict[str, list[Bead]],
    n_pivot: int,
    pivot: str = "fr",
) -> list[MultiBead]:
    """Merge pairwise bead lists (target language -> beads with pivot as source)."""
    # pivot paragraph i joins i-1 when any pairwise bead holds both (spans are contiguous)
    joined = [False] * n_pivot
    for beads in pairwise.values():
        for bead in beads:
            for i in bead.src[1:]:
                joined[i] = True
    runs: list[list[int]] = []
    for i in range(n_pivot):
        if joined[i] and runs:
            runs[-1].append(i)
        else:
            runs.append([i])
    run_of = {i: r for r, run in enumerate(runs) for i in run}

    out: list[MultiBead] = []
    langs = list(pairwise)
    # walk every language's beads in order, emitting pivot runs and one-sided target beads
    cursors = {lang: 0 for lang in langs}
    for r, run in enumerate(runs):
        bead = MultiBead({pivot: run, **{lang: [] for lang in langs}}, score=1.0)
        for lang in langs:
            beads = pairwise[lang]
            # target-only beads that come before this run
            while cursors[lang] < len(beads) and not beads[cursors[lang]].src:
                extra = beads[cursors[lang]]
                out.append(MultiBead({pivot: [], **{x: [] for x in langs}}, score=0.0))
                out[-1].indices[lang] = list(extra.tgt)
                cursors[lang] += 1
            while (
                cursors[lang] < len(beads)
                and beads[cursors[lang]].src
                and run_of[beads[cursors[lang]].src[0]] == r
            ):
                current = beads[cursors[lang]]
                bead.indices[lang] += list(current.tgt)
                if current.tgt:
                    bead.score = min(bead.score, current.score)
                cursors[lang] += 1
        if all(not bead.indices[lang] for lang in langs):
            bead.score = 0.0
        out.append(bead)
    for lang in langs:  # target-only beads after the last French paragraph
        for extra in pairwise[lang][cursors[lang] :]:
            out.append(MultiBead({pivot: [], **{x: [] for x in langs}}, score=0.0))
            out[-1].indices[lang] = list(extra.tgt)
    for bead in out:
        bead.score = round(bead.score, 4)
    return out
