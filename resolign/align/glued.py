"""Headings one language runs into a neighbouring sentence. A heading with no full stop
("Executive Summary") may be a paragraph of its own in one language and open or close a
paragraph in another ("Résumé analytique Le rapport fournit ..."); the sentence DP then aligns
the sentences around it and leaves the heading's link out. Two cases are put right here, by
comparing the heading with the first or last words of the neighbouring sentences, never with
whole sentences: a short heading barely moves a long sentence's vector, which is why
re-deciding orphans against whole beads failed (paragraph_beads.py).

- `adopt_glued`: a short line the DP left unaligned (1-0) joins the next bead when that bead's
  sentence on the other side opens with its translation (or the previous bead, when it closes
  with it), unless the neighbour's sentence in the line's own language opens the same way
  (then the line repeats it: "18. Le Comité encourage l'État partie à :" before "36. Le Comité
  engage l'État partie ...").
- `join_crossing`: two neighbouring beads become one when a heading crosses their boundary,
  closing one bead's sentence in one language and opening the next bead's in the other.

Thresholds were chosen on the long evaluation documents of seeds 1-3 (bench/align_quality.py's
builder, two documents joined per seed); three-way strict F1 with both, against neither:
seeds 1-3 0.983 -> 0.988, 4-6 0.978 -> 0.985, 7-9 0.986 -> 0.992, 10-12 0.976 -> 0.982.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from resolign.align.beads import Bead
from resolign.align.sentence_sides import SentenceSide

GLUED_WORDS = 8
"""Longest unaligned sentence (in words) looked for inside a neighbour."""
GLUED_MIN = 0.6
"""Least similarity between the line and the neighbour's first or last words."""
GLUED_GAIN = 0.3
"""How much closer those words must be than the neighbour's whole sentence."""
GLUED_OVER = 0.1
"""How much closer than the same words of the neighbour in the line's own language."""
CROSS_WORDS = 5
"""Longest heading (in words) looked for across a bead boundary."""
CROSS_MIN = 0.7
"""Least similarity between the words ending one side and those opening the other."""
CROSS_OVER = 0.2
"""How much closer than the words the other side ends with, or this side opens with."""
_ENDED = re.compile(r"[.;:!?…»\"”،؛,]\s*$")
"""A sentence ending so is not a heading run into the next. A closing bracket may be: a list of
names ("… M. Prithivi Dass Bissessur (Maurice)") runs into the next paragraph in one language
(three-way F1 seeds 2-3 0.9808 -> 0.9818, held-out seeds 1, 4-15 0.9840 -> 0.9842, no seed
lower, once ")" stopped counting as an ending)."""


@dataclass
class _Ask:
    bead: int  # the unaligned line's bead
    side: int  # 0: the line is a source sentence, 1: a target one
    line: int  # its sentence index
    to: int  # the neighbouring bead
    other: list[str]  # parts of the neighbour's sentence in the other language
    mine: list[str]  # the same parts of its sentence in the line's language
    whole: int  # the other-language sentence (index on its side)


def adopt_glued(beads: list[Bead], src: SentenceSide, tgt: SentenceSide) -> list[Bead]:
    """`beads` (sentence beads in order) with each short unaligned sentence whose translation
    opens the next bead's sentence, or closes the previous one's, moved into that bead."""
    sides = (src, tgt)
    asks = [ask for k, bead in enumerate(beads) for ask in _asks(beads, k, sides)]
    if not asks:
        return beads
    tops = _closest(asks, [ask.other for ask in asks], sides)
    likely = [(ask, top) for ask, top in zip(asks, tops, strict=True) if top >= GLUED_MIN and
              top - _similarity(sides, ask.side, ask.line, 1 - ask.side, ask.whole) >= GLUED_GAIN]
    repeats = _closest([ask for ask, _ in likely], [ask.mine for ask, _ in likely],
                       sides)  # (only these: encoding costs, and few lines get this far)
    best: dict[int, tuple[float, _Ask]] = {}
    for (ask, top), repeat in zip(likely, repeats, strict=True):
        if top - repeat >= GLUED_OVER and (ask.bead not in best or top > best[ask.bead][0]):
            best[ask.bead] = (top, ask)
    moves: dict[int, list[_Ask]] = {}
    for _, ask in best.values():
        moves.setdefault(ask.to, []).append(ask)
    out = []
    for k, bead in enumerate(beads):
        if k in best:
            continue
        for ask in moves.get(k, []):
            src_ids, tgt_ids = bead.src, bead.tgt
            if ask.side == 0:
                src_ids = tuple(sorted((*src_ids, ask.line)))
            else:
                tgt_ids = tuple(sorted((*tgt_ids, ask.line)))
            bead = Bead(src_ids, tgt_ids, bead.score)
        out.append(bead)
    return out


def _closest(asks: list[_Ask], parts: list[list[str]],
             sides: tuple[SentenceSide, SentenceSide]) -> list[float]:
    """Per ask, the highest similarity between its line and one of its `parts`."""
    return [float(np.max(vectors @ sides[ask.side].sentence_vectors()[ask.line]))
            for ask, vectors in zip(asks, _grouped(sides[0], parts), strict=True)]


def _grouped(side: SentenceSide, groups: list[list[str]]) -> list[np.ndarray]:
    """The unit vectors of each group of texts, all embedded in one call."""
    vectors = side.vectors([text for group in groups for text in group])
    bounds = np.cumsum([0, *map(len, groups)])
    return [vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _similarity(sides: tuple[SentenceSide, SentenceSide], side: int, i: int, other: int,
                j: int) -> float:
    """Cosine of sentence `i` of `sides[side]` and sentence `j` of `sides[other]`."""
    return float(sides[side].sentence_vectors()[i] @ sides[other].sentence_vectors()[j])


def _asks(beads: list[Bead], k: int, sides: tuple[SentenceSide, SentenceSide]) -> list[_Ask]:
    """What to compare for bead `k` if it is a short unaligned line: the first words of the
    next bead's sentences, the last words of the previous bead's."""
    bead = beads[k]
    if len(bead.src) + len(bead.tgt) != 1:
        return []
    side = 0 if bead.src else 1
    line = (bead.src or bead.tgt)[0]
    count = len(sides[side].sentences[line].split())
    if count > GLUED_WORDS:
        return []
    asks = []
    for to, end in ((k + 1, 0), (k - 1, -1)):
        if not 0 <= to < len(beads) or not (beads[to].src and beads[to].tgt):
            continue
        near = (beads[to].src, beads[to].tgt)
        whole = near[1 - side][end]
        other = sides[1 - side].sentences[whole].split()
        mine = sides[side].sentences[near[side][end]].split()
        sizes = [m for m in range(max(1, count - 2), count + 4) if m < len(other) - 1]
        if sizes:
            asks.append(_Ask(k, side, line, to, [_part(other, m, end) for m in sizes],
                             [_part(mine, m, end) for m in sizes], whole))
    return asks


def _part(words: list[str], size: int, end: int) -> str:
    """The first (end 0) or last (end -1) `size` words."""
    return " ".join(_run(words, size, end))


def _run(words: list[str], size: int, end: int) -> list[str]:
    return words[:size] if end == 0 else words[-size:]


def join_crossing(beads: list[Bead], src: SentenceSide, tgt: SentenceSide) -> list[Bead]:
    """`beads` with two neighbouring beads made one where a heading crosses their boundary:
    one language ends a sentence with it (no stop after it: "Point 138 de la liste
    préliminaire* Résumé"), the other opens the next sentence with it ("Summary The present
    report ..."). Not when the other language also ends the first bead with those words, or
    this one also opens the next bead with them: then they are repeated, not moved."""
    sides = (src, tgt)
    asks = [ask for k in range(len(beads) - 1) for ask in _crossings(beads, k, sides)]
    found = _grouped(src, [group for ask in asks for group in (ask.ends, ask.opens)])
    likely = []
    for ask, ends, opens in zip(asks, found[::2], found[1::2], strict=True):
        top = float(np.max(ends @ opens.T))
        if top >= CROSS_MIN:
            likely.append((ask, top, ends, opens))
    guards = _grouped(src, [group for ask, *_ in likely
                            for group in (ask.other_ends, ask.mine_opens)])
    joined = set()
    for (ask, top, ends, opens), other_ends, mine_opens in zip(likely, guards[::2], guards[1::2],
                                                               strict=True):
        if top - float(np.max(other_ends @ opens.T)) >= CROSS_OVER and \
                top - float(np.max(mine_opens @ ends.T)) >= CROSS_OVER:
            joined.add(ask.bead)
    out: list[Bead] = []
    for k, bead in enumerate(beads):
        if k - 1 in joined:
            last = out.pop()
            bead = Bead(last.src + bead.src, last.tgt + bead.tgt, min(last.score, bead.score))
        out.append(bead)
    return out


@dataclass
class _Crossing:
    bead: int  # the first of the two beads
    ends: list[str]  # last words of its sentence that ends bare (one side)
    opens: list[str]  # first words of the next bead's sentence on the other side
    other_ends: list[str]  # last words of the first bead's sentence on that other side
    mine_opens: list[str]  # first words of the next bead's sentence on the bare side


def _crossings(beads: list[Bead], k: int,
               sides: tuple[SentenceSide, SentenceSide]) -> list[_Crossing]:
    first, then = beads[k], beads[k + 1]
    if not (first.src and first.tgt and then.src and then.tgt):
        return []
    found = []
    for side in (0, 1):
        lasts = (first.src[-1], first.tgt[-1])
        nexts = (then.src[0], then.tgt[0])
        bare = sides[side].sentences[lasts[side]]
        if _ENDED.search(bare):
            continue
        ends = _parts(bare.split(), -1)
        opens = _parts(sides[1 - side].sentences[nexts[1 - side]].split(), 0)
        if ends and opens:
            found.append(_Crossing(
                k, ends, opens,
                _parts(sides[1 - side].sentences[lasts[1 - side]].split(), -1, guard=True),
                _parts(sides[side].sentences[nexts[side]].split(), 0, guard=True)))
    return found


def _parts(words: list[str], end: int, *, guard: bool = False) -> list[str]:
    """The first (end 0) or last (end -1) 1..CROSS_WORDS words: leaving a word of the
    sentence out and holding a real word; for a guard, any of them, up to the whole."""
    if guard:
        return [_part(words, m, end) for m in range(1, min(CROSS_WORDS, len(words)) + 1)] or [""]
    if len(words) < 3:
        return []
    return [_part(words, m, end) for m in range(1, min(CROSS_WORDS, len(words) - 1) + 1)
            if _worded(_run(words, m, end))]


def _worded(words: list[str]) -> bool:
    """Holds a word of four letters or more ("به" and "Le" alone are 0.70 alike)."""
    return any(sum(c.isalpha() for c in w) >= 4 for w in words)
