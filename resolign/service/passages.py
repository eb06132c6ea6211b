"""A query of several paragraphs or sentences, cut into the pieces a memory stores.

A memory holds paragraphs (and, from `align --sentences` or the demo, sentences); a translator
pastes whatever they are translating. The whole query is looked up first; when it holds more
than one paragraph (lines), or else more than one sentence, each piece is looked up too, so
two pasted paragraphs find both stored paragraphs, and a sentence of the query found word for
word in the memory is an exact match of that piece (not a weak semantic neighbour of the whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from resolign.align.sentences import split_sentences

MAX_PIECES = 24
"""Pieces looked up one by one (a longer paste keeps its first ones; the whole query is still
looked up as one)."""

_LINES = re.compile(r"[^\r\n]+")


@dataclass(frozen=True)
class Piece:
    """A piece of the query: its text and where it sits in the query."""

    text: str
    start: int
    end: int


def pieces(query: str, lang: str) -> list[Piece]:
    """The query's paragraphs (non-blank lines), or its sentences when it is one paragraph;
    [] when it is a single sentence."""
    lines = [Piece(m.group().strip(), m.start() + _lead(m.group()), m.end() - _trail(m.group()))
             for m in _LINES.finditer(query) if m.group().strip()]
    if len(lines) > 1:
        return lines[:MAX_PIECES]
    if not lines:
        return []
    line = lines[0]
    found: list[Piece] = []
    position = line.start
    for sentence in split_sentences(line.text, lang):
        start = query.find(sentence, position)
        if start < 0:  # the splitter rejoins with single spaces: keep the order, not the offset
            start = position
        found.append(Piece(sentence, start, start + len(sentence)))
        position = start + len(sentence)
    return found[:MAX_PIECES] if len(found) > 1 else []


def _lead(text: str) -> int:
    return len(text) - len(text.lstrip())


def _trail(text: str) -> int:
    return len(text) - len(text.rstrip())


def sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """The sentences of a stored text as spans (for mapping a part of a unit to its
    translation: the i-th sentence of one side to the i-th of the other)."""
    spans, position = [], 0
    for sentence in split_sentences(text, lang):
        start = text.find(sentence, position)
        if start < 0:
            return []
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    return spans
