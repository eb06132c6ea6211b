"""One language of an alignment as sentences: every paragraph cut into sentences, each sentence
encoded once, and the vector of any run of sentences (a 2-1 bead, a whole paragraph, a run of
paragraphs) computed from those encodings (`Encoder.join`) instead of encoding joined text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from resolign.align.aligner import Side
from resolign.align.embedding_cache import EmbeddingCache
from resolign.align.encoders import Encoder, prefix_sums
from resolign.align.sentences import split_sentences


@dataclass
class SentenceSide:
    """`paragraph_start[p]` is the index of paragraph p's first sentence (one extra entry at
    the end); every paragraph has at least one sentence (an empty one if it is blank)."""

    lang: str
    sentences: list[str]
    paragraph_of: np.ndarray
    paragraph_start: np.ndarray
    pieces: np.ndarray
    encoder: Encoder
    prefix: np.ndarray = field(init=False, repr=False)
    _sides: dict[int, Side] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.prefix = prefix_sums(self.pieces)

    @property
    def paragraph_count(self) -> int:
        return int(self.paragraph_start.shape[0] - 1)

    def slice(self, first: int, last: int) -> SentenceSide:
        """Paragraphs first..last-1 as a side of their own (indices renumbered from 0)."""
        if (first, last) == (0, self.paragraph_count):
            return self
        s0, s1 = int(self.paragraph_start[first]), int(self.paragraph_start[last])
        return SentenceSide(self.lang, self.sentences[s0:s1], self.paragraph_of[s0:s1] - first,
                            self.paragraph_start[first : last + 1] - s0, self.pieces[s0:s1],
                            self.encoder)

    def runs(self, starts, ends) -> np.ndarray:
        """Vectors of the sentence runs [starts[k], ends[k])."""
        return self.encoder.join(self.pieces, self.prefix, np.asarray(starts, dtype=np.int64),
                                 np.asarray(ends, dtype=np.int64))

    def paragraph_runs(self, starts, ends) -> np.ndarray:
        """Vectors of the paragraph runs [starts[k], ends[k]) (each non-empty)."""
        bounds = self.paragraph_start
        return self.runs(bounds[np.asarray(starts, dtype=np.int64)],
                         bounds[np.asarray(ends, dtype=np.int64)])

    def aligner_side(self, max_span: int) -> Side:
        """Sentence overlaps 1..max_span as the DP's `Side` (lengths in characters); kept, as
        the pivot's serves every pair."""
        if max_span not in self._sides:
            self._sides[max_span] = self._aligner_side(max_span)
        return self._sides[max_span]

    def _aligner_side(self, max_span: int) -> Side:
        count = len(self.sentences)
        vectors = {}
        for n in range(1, max_span + 1):
            starts = np.arange(max(count - n + 1, 0))
            vectors[n] = self.runs(starts, starts + n)
        lengths = np.array([len(s) for s in self.sentences], dtype=float)
        return Side(vectors=vectors, lengths=lengths)


# A clause ending in ";" or ":" before a capital, a number or a list letter ("a)", "(b)"): a
# heading or list item that one language's line layout made a paragraph of its own ("… saisi :
# Madame la Présidente," against "Madam Chairperson," opening the next English paragraph). Cut
# there, so a sentence link can cross the other side's paragraph boundary; the DP's 2-1 to 4-1
# beads join the clauses again where the other side keeps them together. Arabic has no capitals
# and its ";" and ":" run clauses together as French does not, so it is left whole (cutting
# after ":" and "؛" lowered fr-ar on the tuning documents).
_CLAUSE = re.compile(r"(?<=[;:])\s+(?=[«\"“]?[A-ZÀ-ÖØ-Ý0-9]|\(?[a-z]{1,3}\)\s)")
_CLAUSE_END = {"fr": _CLAUSE, "en": _CLAUSE}


def clauses(sentence: str, lang: str) -> list[str]:
    """`sentence` cut after every ";" or ":" that a capital, a number or a list letter follows
    (French and English only)."""
    pattern = _CLAUSE_END.get(lang)
    if pattern is None:
        return [sentence]
    return [c for c in pattern.split(sentence) if c.strip()] or [sentence]


def split_paragraphs(texts: list[str], lang: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sentences (cut into `clauses`) of every paragraph in order, each sentence's paragraph,
    each paragraph's first sentence (plus the total at the end)."""
    sentences: list[str] = []
    owner: list[int] = []
    starts = [0]
    for p, text in enumerate(texts):
        pieces = [c for s in split_sentences(text, lang) for c in clauses(s, lang)]
        pieces = pieces or [text.strip()]
        sentences += pieces
        owner += [p] * len(pieces)
        starts.append(len(sentences))
    return sentences, np.array(owner, dtype=np.int64), np.array(starts, dtype=np.int64)


def sentence_side(texts: list[str], lang: str, cache: EmbeddingCache,
                  progress=None) -> SentenceSide:
    """Cut paragraphs (their matching text) into sentences and encode each sentence once."""
    sentences, owner, starts = split_paragraphs(texts, lang)
    pieces = cache.pieces(sentences, progress)
    return SentenceSide(lang, sentences, owner, starts, pieces, cache.encoder)
