"""Search normalisation: fold the spellings a translator does not care about, keep the way back.

Matching runs on normalised text, but results and highlights must point into the text as
stored. So `normalise_map` returns, with the folded text, the index in the original of every
folded character, and tokens carry their original character spans.

French/English: Unicode-compatibility folding, case folding, accents stripped, typographic
apostrophes and quotes unified. Arabic: harakat and Quranic marks stripped, tatweel removed,
alef/hamza carriers أ إ آ ٱ → ا (and, through Unicode decomposition,
ؤ → و, ئ → ي), ى → ي, ة → ه (optional, on by default: the two are commonly
confused in typed queries), Arabic-Indic digits → ASCII. Ligatures œ æ (which Unicode does
not decompose) become oe ae, so "mise en oeuvre" finds "mise en œuvre". Every language gets
all of these, so a query that mixes scripts (an Arabic sentence with a French name) folds
consistently.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

_ARABIC_MARKS = set(range(0x0610, 0x061B)) | set(range(0x064B, 0x0660)) | {0x0670} | set(
    range(0x06D6, 0x06EE)
)
_TATWEEL = "\u0640"
_ARABIC_FOLD = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي",
}
_TA_MARBUTA = {"ة": "ه"}
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}
_DIGITS = {chr(base + d): str(d) for base in (0x0660, 0x06F0) for d in range(10)}
_PUNCT_FOLD = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00ab": '"', "\u00bb": '"',
               "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\u202f": " "}

_TOKEN = re.compile(r"[^\W_]+")
"""Letters and digits, as SQLite's unicode61 tokenizer sees them (underscore separates)."""


class Token(NamedTuple):
    """A normalised word and where it sits in the original text (start, end char offsets).
    A named tuple: a look-up tokenises tens of candidate segments, and a frozen dataclass
    took most of that time to build."""

    norm: str
    start: int
    end: int


@lru_cache(maxsize=1 << 16)
def _fold_char(char: str, fold_ta_marbuta: bool) -> str:
    code = ord(char)
    if code in _ARABIC_MARKS or char == _TATWEEL:
        return ""
    if char in _ARABIC_FOLD:
        return _ARABIC_FOLD[char]
    if fold_ta_marbuta and char in _TA_MARBUTA:
        return _TA_MARBUTA[char]
    if char in _DIGITS:
        return _DIGITS[char]
    if char in _PUNCT_FOLD:
        return _PUNCT_FOLD[char]
    if char in _LIGATURES:
        return _LIGATURES[char]
    if code < 0x80:
        return char.lower()
    # NFKD splits accents off (é → e + ◌́, ؤ → و + hamza, ﬁ → fi) so the marks can be dropped.
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.casefold()


def normalise_map(text: str, *, fold_ta_marbuta: bool = True) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of its source character."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char, fold_ta_marbuta)
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


class _FoldTable(dict):
    """A str.translate table filled on first sight of each character: folding runs at C speed
    (search folds a few hundred candidate segments per look-up)."""

    def __init__(self, fold_ta_marbuta: bool):
        super().__init__()
        self.fold_ta_marbuta = fold_ta_marbuta
        self.uneven: set[str] = set()
        """Characters that fold to none or to several (so offsets shift)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code), self.fold_ta_marbuta)
        self[code] = folded
        if len(folded) != 1:
            self.uneven.add(chr(code))
        return folded


_FOLD_TABLES = {True: _FoldTable(True), False: _FoldTable(False)}


def normalise(text: str, *, fold_ta_marbuta: bool = True) -> str:
    """Folded text for comparison (see the module docstring for what is folded)."""
    return text.translate(_FOLD_TABLES[fold_ta_marbuta])


def tokens(text: str, *, fold_ta_marbuta: bool = True) -> list[Token]:
    """Normalised words with their spans in the ORIGINAL text."""
    folded = normalise(text, fold_ta_marbuta=fold_ta_marbuta)  # fills the table for `text`
    if _FOLD_TABLES[fold_ta_marbuta].uneven.isdisjoint(text):
        # every character folded to one: offsets are the original's (most Latin text; 4x
        # faster than building the offset map)
        return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    folded, origin = normalise_map(text, fold_ta_marbuta=fold_ta_marbuta)
    found = []
    for m in _TOKEN.finditer(folded):
        end = origin[m.end() - 1] + 1
        while end < len(text) and _is_dropped_mark(text[end]):
            end += 1  # a trailing harakah or tatweel belongs to the word it decorates
        found.append(Token(m.group(), origin[m.start()], end))
    return found


def _is_dropped_mark(char: str) -> bool:
    return ord(char) in _ARABIC_MARKS or char == _TATWEEL or unicodedata.combining(char) > 0


def words(text: str) -> list[str]:
    """Just the normalised words: what fuzzy matching and the full-text index compare."""
    return _TOKEN.findall(normalise(text))


def same_surface(a: str, b: str) -> bool:
    """True when two texts differ at most in whitespace and Unicode composition (an exact match)."""
    def squash(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return squash(a) == squash(b)
