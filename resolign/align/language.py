"""Which language a document is in, from its script and function words — to refuse a French
file passed as Arabic (or English as French) before it silently produces a useless alignment.
"""

from __future__ import annotations

import re

from resolign.errors import InputError
from resolign.languages import ENGLISH_NAMES

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "et",
        "est",
        "une",
        "un",
        "dans",
        "pour",
        "que",
        "qui",
        "sur",
        "au",
        "aux",
        "par",
        "ses",
        "ces",
        "cette",
        "été",
        "être",
        "avec",
        "il",
        "elle",
        "ont",
        "ainsi",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "on",
        "with",
        "as",
        "by",
        "are",
        "this",
        "be",
        "which",
        "from",
        "has",
        "have",
        "its",
        "it",
        "an",
        "at",
        "were",
        "was",
    ]
)


def detect_language(text: str) -> str | None:
    """The language ("ar", "fr" or "en") when the text says so clearly; None if short or mixed."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 40:
        return None
    arabic = sum("\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u08ff" for c in letters)
    if arabic / len(letters) > 0.5:
        return "ar"
    if arabic / len(letters) > 0.2:
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    fr = sum(w in _FRENCH for w in words)
    en = sum(w in _ENGLISH for w in words)
    if fr + en < 5:
        return None
    if fr >= 2 * en:
        return "fr"
    if en >= 2 * fr:
        return "en"
    return None


def check_language(text: str, expected: str, source: str) -> None:
    """Raise InputError when `text` is clearly in another language than `expected`."""
    found = detect_language(text)
    if found is not None and found != expected:
        raise InputError(
            f"{source} looks like {ENGLISH_NAMES[found]}, but it was given as the "
            f"{ENGLISH_NAMES.get(expected, expected)} document"
        )
