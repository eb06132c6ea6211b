"""Make arbitrary text storable in XML 1.0 without touching anything that is legal.

XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF; a single one makes the
whole file unreadable for every CAT tool, so they are removed (and reported). Everything else,
including Arabic, bidi marks (U+200E/F, U+061C, U+202A-E) and CR, is kept code point for code
point.
"""

from __future__ import annotations

import re

_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def strip_illegal(text: str) -> tuple[str, int]:
    """Return the text without XML-illegal characters and how many were removed."""
    cleaned, count = _ILLEGAL.subn("", text)
    return cleaned, count
