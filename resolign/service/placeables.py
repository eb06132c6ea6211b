"""Placeables: the words a translator replaces without translating — numbers, dates, paragraph
numbering. CAT tools score a segment that differs from the query only in them just below 100
(memoQ: 99% when only numbers differ), because the stored translation needs the same numbers
substituted, nothing else. Fuzzy matching (fuzzy.py) compares every placeable as one symbol and
counts placeable differences apart.
"""

from __future__ import annotations

import re

from resolign.service.normalise import Token

PLACEABLE = "\x00#"
"""What every placeable word becomes when word lists are compared."""

_MONTHS = frozenset(
    """january february march april june july august september october november december
    janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
    يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر""".split()  # noqa: SIM905
)
"""Month names, folded (normalise.py): in a date they change with the numbers around them.
English "may" is left out: far more often the verb than the month."""

_NUMBERING = re.compile(
    r"\s*(?:\(?\d{1,3}(?:\s*bis|\s*ter)?\)|\d{1,3}(?:\.\d{1,3})*\s*[.\-–)]|\(?[a-z]\)|"
    r"\(?[ivxlc]{1,6}\)|[ivxlc]{1,6}\.)\s",
    re.IGNORECASE,
)
"""A paragraph mark opening a segment: "1.", "12)", "(a)", "b)", "iv.", "(iii)", "2.3."
(the same shapes align/sentences.py keeps from ending a sentence)."""


_DIGIT = re.compile(r"\d")


def is_placeable(word: str) -> bool:
    """True for a folded word that is a number ("2014", "1er", "A/69/L.1"'s "69") or a month."""
    return word in _MONTHS or (len(word) <= 6 and _DIGIT.search(word) is not None)


def numbering_end(text: str) -> int:
    """Where a leading paragraph mark ends in `text` (0 when there is none)."""
    match = _NUMBERING.match(text)
    return match.end() if match else 0


def body_tokens(text: str, toks: list[Token]) -> tuple[list[Token], list[Token]]:
    """(numbering tokens, the rest): a leading paragraph mark is set apart from the words."""
    end = numbering_end(text)
    if not end:
        return [], toks
    split = next((i for i, t in enumerate(toks) if t.start >= end), len(toks))
    return toks[:split], toks[split:]
