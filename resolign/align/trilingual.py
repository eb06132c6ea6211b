"""Join fr–en and fr–ar beads on the French side into FR–EN–AR beads, and align with each
other the English and Arabic paragraphs French lacks (`pair_orphans`).

Two French paragraphs belong to one trilingual bead when either pairwise alignment puts them
in one bead (connected runs along the French text), so no pairwise bead is ever cut. A target
paragraph with no French (0-1) stays a bead of its own, unless it sits between two beads of
the same run, where it joins that run (the run's target side must stay contiguous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from resolign.align.beads import Bead


@dataclass
class MultiBead:
    """Paragraph indices per language (French first); `score` is the weakest pairwise score."""

    indices: dict[str, list[int]]
    score: float

    def as_json(self) -> dict:
        return {**{lang: list(ix) for lang, ix in self.indices.items()}, "score": self.score}


def _french_runs(pairwise: dict[str, list[Bead]], n_pivot: int) -> list[int]:
    """run[i]: the trilingual run of pivot paragraph i (i joins i-1 when a bead holds both)."""
    joined = [False] * n_pivot
    for beads in pairwise.values():
        for bead in beads:
            for i in bead.src[1:]:
                joined[i] = True
    run, current = [], -1
    for i in range(n_pivot):
        current += 0 if (joined[i] and i) else 1
        run.append(current)
    return run


def _place(beads: list[Bead], run: list[int]) -> list[tuple[int, bool]]:
    """For each bead: (run it belongs to or stands before, whether it is inside that run)."""
    placed: list[tuple[int, bool]] = []
    next_run = [0] * len(beads)
    upcoming = run[-1] + 1 if run else 0
    for k in range(len(beads) - 1, -1, -1):
        next_run[k] = upcoming
        if beads[k].src:
            upcoming = run[beads[k].src[0]]
    last_run = -1
    for k, bead in enumerate(beads):
        if bead.src:
            last_run = run[bead.src[0]]
            placed.append((last_run, True))
        else:
            after = next_run[k]
            placed.append((after, after == last_run))
    return placed


def join_on_pivot(pairwise: dict[str, list[Bead]], n_pivot: int, pivot: str = "fr",
                  ) -> list[MultiBead]:
    """Merge pairwise bead lists (target language -> beads with pivot as source)."""
    langs = list(pairwise)
    run = _french_runs(pairwise, n_pivot)
    n_runs = run[-1] + 1 if run else 0
    joined = [MultiBead({pivot: [], **{lang: [] for lang in langs}}, 1.0) for _ in range(n_runs)]
    for i, r in enumerate(run):
        joined[r].indices[pivot].append(i)
    before: list[list[MultiBead]] = [[] for _ in range(n_runs + 1)]  # one-sided beads
    for lang in langs:
        for bead, (r, inside) in zip(pairwise[lang], _place(pairwise[lang], run), strict=True):
            if inside:
                joined[r].indices[lang] += list(bead.tgt)
                if bead.src and bead.tgt:
                    joined[r].score = min(joined[r].score, bead.score)
            else:
                lone = MultiBead({pivot: [], **{x: [] for x in langs}}, 0.0)
                lone.indices[lang] = list(bead.tgt)
                before[r].append(lone)
    out: list[MultiBead] = []
    for r in range(n_runs + 1):
        out += before[r]
        if r < n_runs:
            bead = joined[r]
            if not any(bead.indices[lang] for lang in langs):
                bead.score = 0.0
            out.append(bead)
    for bead in out:
        bead.score = round(bead.score, 4)
    return out


def pair_orphans(beads: list[MultiBead], pivot: str,
                 align: Callable[[str, range, str, range], list[Bead]]) -> list[MultiBead]:
    """Align with each other the paragraphs of two languages that the pivot lacks.

    Between two beads that hold pivot paragraphs, the one-sided beads of the two other
    languages are replaced by their own alignment (`align(lang_a, range_a, lang_b, range_b)`
    gives beads of local indices): an English and an Arabic paragraph that French dropped
    become one EN–AR bead instead of two orphans.
    """
    langs = [lang for lang in (beads[0].indices if beads else {}) if lang != pivot]
    if len(langs) != 2:
        return beads
    first, second = langs
    out: list[MultiBead] = []
    run: list[MultiBead] = []
    for bead in [*beads, None]:
        if bead is not None and not bead.indices[pivot]:
            run.append(bead)
            continue
        a = sorted(i for b in run for i in b.indices[first])
        b_ = sorted(j for b in run for j in b.indices[second])
        contiguous = a == list(range(a[0], a[-1] + 1)) if a else False
        contiguous = contiguous and b_ == list(range(b_[0], b_[-1] + 1)) if b_ else False
        if contiguous:
            found = align(first, range(a[0], a[-1] + 1), second, range(b_[0], b_[-1] + 1))
            out += [MultiBead({pivot: [], first: [a[0] + i for i in x.src],
                               second: [b_[0] + j for j in x.tgt]}, x.score) for x in found]
        else:
            out += run
        run = []
        if bead is not None:
            out.append(bead)
    return out
