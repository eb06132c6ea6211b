"""TMX 1.4b vocabulary in one place, so writer, reader and checker agree on every name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

TMX_VERSION = "1.4"
KNOWN_VERSIONS = frozenset({"1.1", "1.2", "1.3", "1.4", "1.4b"})
"""Versions we read; 1.1-1.3 files differ mostly in using `lang` instead of `xml:lang`."""

HEADER_REQUIRED = (
    "creationtool",
    "creationtoolversion",
    "segtype",
    "o-tmf",
    "adminlang",
    "srclang",
    "datatype",
)
SEGTYPES = ("block", "paragraph", "sentence", "phrase")
ALL_LANGS = "*all*"

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OLD_LANG = "lang"
"""TMX 1.1 put the language in a plain `lang` attribute; 1.4 uses `xml:lang`."""

PROP_DOCUMENT = "x-document"
PROP_SYMBOL = "x-symbol"
PROP_PARAGRAPH = "x-paragraph"
PROP_SCORE = "x-score"
PROP_RESOLUTION = "x-resolution"
PROP_RESOLUTION_TITLE = "x-resolution-title"
PROP_PROVENANCE = "x-provenance-"
"""Prefix: one prop per provenance entry, e.g. `x-provenance-origin` = `align`."""

CODE_ELEMENTS = frozenset({"bpt", "ept", "ph", "it", "ut"})
"""Inline elements whose content is native code (RTF, HTML...), not translatable text."""
TEXT_ELEMENTS = frozenset({"hi"})
"""Inline elements that wrap translatable text (highlighting): their text is kept."""
INLINE_ELEMENTS = CODE_ELEMENTS | TEXT_ELEMENTS | {"sub"}
"""Every TMX level-2 element that may appear inside a `<seg>`."""

MAX_SEGMENT_CHARS = 2000
"""Trados Cloud refuses longer segments; we keep them but warn."""

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


def format_date(moment: datetime) -> str:
    """TMX dates are UTC in basic ISO 8601 (YYYYMMDDThhmmssZ); a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    m = moment.astimezone(UTC)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}Z"


def parse_date(value: str | None) -> datetime | None:
    """The inverse of format_date; None for a missing or malformed date (other tools vary).

    Strict on purpose (strptime would take "2019031T83000Z"): a date that does not read back
    to the same string is kept by the importer as the tool wrote it."""
    match = _DATE.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    try:
        return datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:
        return None


def localname(tag: object) -> str:
    """Element name without any namespace; '' for comments, PIs and entities."""
    if not isinstance(tag, str):
        return ""
    return tag[tag.rfind("}") + 1 :]
