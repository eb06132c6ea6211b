"""Language values in TMX files: the shape of a tag, the caller's renaming, caseless comparison.

(Normalising a tag and matching a language query live in resolign.languages.)"""

from __future__ import annotations

import re

from resolign.errors import TmxError

_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def is_language_tag(code: str) -> bool:
    """A plausible BCP 47 tag (we do not check the registry, only the shape)."""
    return bool(_TAG.match(code))


def to_tmx(code: str, lang_codes: dict[str, str] | None) -> str:
    """The tag written in xml:lang: the caller's mapping (fr -> fr-FR) or the tag itself."""
    if lang_codes and code in lang_codes:
        return lang_codes[code]
    return code


def same_language(a: str, b: str) -> bool:
    """TMX language values compare case-insensitively; `_` is a common misspelling of `-`."""
    return a.strip().replace("_", "-").lower() == b.strip().replace("_", "-").lower()


def validate_mapping(lang_codes: dict[str, str] | None) -> None:
    """Refuse a mapping that would write an unusable xml:lang, before any byte is produced."""
    for key, value in (lang_codes or {}).items():
        if not is_language_tag(value):
            raise TmxError(f"lang_codes maps {key!r} to {value!r}, which is not a language tag")
