"""Short lines one language runs into a neighbouring sentence: a heading with no full stop
("Executive Summary" as a paragraph of its own, "Résumé analytique Le rapport fournit ..." in
French) is a sentence of its own on one side only, so the sentence DP leaves it unaligned (1-0)
next to the bead that holds its translation.

Such a line joins that neighbour when its translation is there: the first words of the next
bead's sentence on the other side (or the last words of the previous one) are close to it,
closer than that whole sentence, and closer than the same words of the neighbour's sentence in
the line's own language (else the line only repeats what both neighbours open with: "18. Le
Comité encourage l'État partie à :" before "36. Le Comité engage l'État partie ..."). Comparing
with a part, not the whole, is the point: a short heading barely moves a long sentence's
vector, which is why re-deciding orphans against whole beads failed (paragraph_beads.py).
"""

from __future__ import annotations

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
    encoder = src.encoder
    tops = _closest(encoder, asks, [ask.other for ask in asks], sides)
    likely = [(ask, top) for ask, top in zip(asks, tops, strict=True) if top >= GLUED_MIN and
              top - _similarity(sides, ask.side, ask.line, 1 - ask.side, ask.whole) >= GLUED_GAIN]
    repeats = _closest(encoder, [ask for ask, _ in likely], [ask.mine for ask, _ in likely],
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


def _closest(encoder, asks: list[_Ask], parts: list[list[str]],
             sides: tuple[SentenceSide, SentenceSide]) -> list[float]:
    """Per ask, the highest similarity between its line and one of its `parts`."""
    vectors = encoder.encode([p for group in parts for p in group])
    tops, at = [], 0
    for ask, group in zip(asks, parts, strict=True):
        line = sides[ask.side].runs([ask.line], [ask.line + 1])[0]
        tops.append(float(np.max(vectors[at:at + len(group)] @ line)))
        at += len(group)
    return tops


def _similarity(sides: tuple[SentenceSide, SentenceSide], side: int, i: int, other: int,
                j: int) -> float:
    """Cosine of sentence `i` of `sides[side]` and sentence `j` of `sides[other]`."""
    return float(sides[side].runs([i], [i + 1])[0] @ sides[other].runs([j], [j + 1])[0])


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
    return " ".join(words[:size] if end == 0 else words[-size:])
