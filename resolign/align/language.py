"""Which language a document is in, from its script and function words — to tell which
translation a file is (`file_languages`) and to refuse a French file passed as Arabic (or
English as French) before it silently produces a useless alignment.
"""

from __future__ import annotations

import re

from resolign.errors import InputError
from resolign.languages import ENGLISH_NAMES, LANGS

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


def parse_langs(langs: str | list[str] | tuple[str, ...], count: int) -> list[str]:
    """`--langs fr,ar` as a list, refused unless it names `count` different known languages."""
    codes = [c.strip().lower() for c in (langs.split(",") if isinstance(langs, str) else langs)]
    codes = [c for c in codes if c]
    unknown = [c for c in codes if c not in LANGS]
    if unknown:
        raise InputError(f"--langs: unknown language {unknown[0]!r} (use {', '.join(LANGS)})")
    if len(set(codes)) != len(codes):
        raise InputError(f"--langs {','.join(codes)} names a language twice")
    if len(codes) != count:
        raise InputError(f"--langs names {len(codes)} language(s) for {count} document(s)")
    return codes


def file_languages(sources: list[str], texts: list[str],
                   langs: str | list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The language of each document: as `langs` states (each checked against its text), or
    the first is French and the others' are detected (English, then Arabic, when the text is
    too short to tell)."""
    if len(sources) < 2:
        raise InputError("give the French document and at least one translation "
                         "(English and/or Arabic)")
    if langs:
        codes = parse_langs(langs, len(sources))
        for source, text, code in zip(sources, texts, codes, strict=True):
            check_language(text, code, source)
        return codes
    check_language(texts[0], "fr", sources[0])
    codes = ["fr"]
    for source, text in zip(sources[1:], texts[1:], strict=True):
        found = detect_language(text)
        if found in codes:
            owner = sources[codes.index(found)]
            wanted = " or ".join(ENGLISH_NAMES[c] for c in ("en", "ar") if c not in codes)
            raise InputError(
                f"{source} looks like {ENGLISH_NAMES[found]}, as does {owner}: expected {wanted} "
                f"(state the languages with --langs, e.g. --langs fr,en,ar)")
        codes.append(found or next(c for c in ("en", "ar") if c not in codes))
    return codes
