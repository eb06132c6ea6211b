"""One language of an alignment as sentences: every paragraph cut into sentences, each sentence
encoded once, and the vector of any run of sentences (a 2-1 bead, a whole paragraph, a run of
paragraphs) computed from those encodings (`Encoder.join`) instead of encoding joined text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from resolign.align.aligner import Side
from resolign.align.embedding_cache import EmbeddingCache
from resolign.align.encoders import Encoder, prefix_sums
from resolign.align.sentences import split_sentences


@dataclass
class SentenceSide:
    """`paragraph_start[p]` is the index of paragraph p's first sentence (one extra entry at
    the end); every paragraph has at least one sentence (an empty one if it is blank).
    `sentences` are what the DP aligns: whole sentences, or their `clauses`; `whole_of[k]` is
    the whole sentence (as a CAT tool would segment it) that `sentences[k]` belongs to."""

    lang: str
    sentences: list[str]
    paragraph_of: np.ndarray
    paragraph_start: np.ndarray
    whole_of: np.ndarray
    pieces: np.ndarray
    encoder: Encoder
    embed: Callable[[list[str]], np.ndarray] | None = None
    """Unit vectors of other texts (parts of sentences), cached when given: an alignment
    compares the same headings and sentence ends for every pair it aligns."""
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
        whole = self.whole_of[s0:s1]
        return SentenceSide(self.lang, self.sentences[s0:s1], self.paragraph_of[s0:s1] - first,
                            self.paragraph_start[first : last + 1] - s0,
                            whole - (whole[0] if len(whole) else 0), self.pieces[s0:s1],
                            self.encoder, self.embed)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts` (through the cache when the side has one)."""
        return self.embed(texts) if self.embed is not None else self.encoder.encode(texts)

    def sentence_vectors(self) -> np.ndarray:
        """Each sentence's own vector: the one-sentence spans of the DP's side when it was
        built already, else computed once."""
        for side in self._sides.values():
            return side.vectors[1]
        return self.aligner_side(1).vectors[1]

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
        words = np.array([len(s.split()) for s in self.sentences])
        return Side(vectors=vectors, lengths=lengths, words=words)


# Where one language's paragraph boundary may fall inside the other's sentence, cut the
# sentence too, so a sentence link can cross that boundary; the DP's 2-1 to 4-1 beads join the
# pieces again where the other side keeps them together:
# - after ";" or ":" before a capital, a number or a list letter ("a)", "(b)"): a heading or
#   list item made a paragraph of its own ("… saisi : Madame la Présidente," against "Madam
#   Chairperson," opening the next English paragraph);
# - after "," before a capitalised word: the comma that ends a preambular paragraph
#   ("…de ses travaux, Soulignant …", "…its work, Stressing …");
# - Arabic has no capitals, and its ";" and ":" run clauses together as French does not
#   (cutting after them lowered fr-ar on the tuning documents); its preambular paragraphs
#   open with "وإذ" after "،", and a paragraph number ("24 - ", "٣ - ") after text starts a
#   new paragraph that a heading ran into.
# Measured on the long evaluation documents of seeds 2-5 (bench/align_quality.py's builder):
# three-way strict F1 0.969 -> 0.974, fr-ar 0.980 -> 0.984, fr-en 0.987 -> 0.989.
_LATIN_CLAUSE = re.compile(
    r"(?<=[;:])\s+(?=[«\"“]?[A-ZÀ-ÖØ-Ý0-9]|\(?[a-z]{1,3}\)\s)"
    r"|(?<=,)\s+(?=[A-ZÀ-ÖØ-Ý][a-zà-ÿ]{3,})")
_ARABIC_CLAUSE = re.compile(
    r"(?<=[،,])\s+(?=وإذ)"
    r"|(?<=[^\d٠-٩\s\-–])\s+(?=[0-9٠-٩]{1,3} [-–] )")
_CLAUSE_END = {"fr": _LATIN_CLAUSE, "en": _LATIN_CLAUSE, "ar": _ARABIC_CLAUSE}


def clauses(sentence: str, lang: str) -> list[str]:
    """`sentence` cut where another language may start a paragraph (see `_CLAUSE_END`)."""
    pattern = _CLAUSE_END.get(lang)
    if pattern is None:
        return [sentence]
    return [c for c in pattern.split(sentence) if c.strip()] or [sentence]


def split_paragraphs(texts: list[str], lang: str,
                     ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Sentences (cut into `clauses`) of every paragraph in order, each one's paragraph, each
    paragraph's first sentence (plus the total at the end), each one's whole sentence."""
    sentences: list[str] = []
    owner: list[int] = []
    whole: list[int] = []
    starts = [0]
    for p, text in enumerate(texts):
        cut = [clauses(s, lang) for s in split_sentences(text, lang)] or [[text.strip()]]
        for parts in cut:
            whole += [whole[-1] + 1 if whole else 0] * len(parts)
            sentences += parts
            owner += [p] * len(parts)
        starts.append(len(sentences))
    return (sentences, np.array(owner, dtype=np.int64), np.array(starts, dtype=np.int64),
            np.array(whole, dtype=np.int64))


def sentence_side(texts: list[str], lang: str, cache: EmbeddingCache,
                  progress=None) -> SentenceSide:
    """Cut paragraphs (their matching text) into sentences and encode each sentence once."""
    sentences, owner, starts, whole = split_paragraphs(texts, lang)
    pieces = cache.pieces(sentences, progress)
    return SentenceSide(lang, sentences, owner, starts, whole, pieces, cache.encoder, cache.embed)
