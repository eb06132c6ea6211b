"""The one place resolign spells its languages: which it aligns, which is the pivot, their names,
and how a code given by a user, a CAT tool or a TMX file becomes one of them.

French is the pivot: resolutions are drafted and aligned from the French text, and English and
Arabic are aligned to it. Codes arrive as `fr`, `FR`, `fr-FR`, `fr_fr`; the memory keys its three
first-class languages by primary subtag.
"""

from __future__ import annotations

from resolign.errors import InvalidParameter

LANGS = ("fr", "en", "ar")
PIVOT = "fr"
ENGLISH_NAMES = {"fr": "French", "en": "English", "ar": "Arabic"}
NATIVE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})


def primary(code: str) -> str:
    """`fr-FR`, `FR`, `fr_fr` → `fr`: the primary subtag, lower case."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def check_lang(value: str | None, what: str = "language") -> str:
    """The primary code of `value` if it is one of LANGS; InvalidParameter naming `what` if not."""
    code = primary(value or "")
    if code not in LANGS:
        raise InvalidParameter(f"unknown language {value!r} for {what}: use one of "
                               + ", ".join(LANGS))
    return code


def check_pair(src: str | None, tgt: str | None) -> tuple[str, str]:
    """Two different languages (source, target), each checked by `check_lang`."""
    source, target = check_lang(src, "src"), check_lang(tgt, "tgt")
    if source == target:
        raise InvalidParameter(f"src and tgt must be different languages (both {source!r})")
    return source, target


def parse_pair(value: str | None, what: str = "pair") -> tuple[str, str] | None:
    """`fr-en` (or `fr_en`) → ("fr", "en"); None for no value."""
    if not value:
        return None
    parts = value.replace("_", "-").split("-")
    if len(parts) != 2 or primary(parts[0]) == primary(parts[1]):
        raise InvalidParameter(f"{what} must be two different languages like fr-en, "
                               f"not {value!r}")
    return check_lang(parts[0], what), check_lang(parts[1], what)


def lang_rank(code: str) -> tuple[int, str]:
    """Sort key: fr, en, ar first (pivot first), then any other code alphabetically."""
    return (LANGS.index(code) if code in LANGS else len(LANGS), code)
