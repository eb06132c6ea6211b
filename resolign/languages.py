"""The one place resolign spells its languages: which it aligns, which is the pivot, their names,
and how a code given by a user, a CAT tool or a TMX file becomes one of them.

French is the pivot: resolutions are drafted and aligned from the French text, and English and
Arabic are aligned to it. fr, en and ar are first-class (alignment, folding, the page's three
columns); a memory may hold any other language imported from TMX, under its full BCP 47 tag.
Codes arrive as `fr`, `FR`, `fr-FR`, `fr_fr`: a look-up for `fr` matches fr, fr-CA and fr-FR;
one for `fr-CA` matches only fr-CA when the memory has that tag, and falls back to French as a
whole when it has not (a CAT tool set to fr_FR still finds plain `fr` segments).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from resolign.errors import InvalidParameter

LANGS = ("fr", "en", "ar")
PIVOT = "fr"
ENGLISH_NAMES = {"fr": "French", "en": "English", "ar": "Arabic"}
NATIVE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})


_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


@functools.lru_cache(maxsize=4096)
def normalise_tag(tag: str) -> str:
    """BCP 47 case conventions: `EN_us` -> `en-US`, `zh-hant-tw` -> `zh-Hant-TW`.

    Language lower case, script title case, region upper case, everything after a singleton
    (`x-`, `u-`) lower case; `_` (a common misspelling) becomes `-`. A value that is not shaped
    like a tag is returned stripped and otherwise untouched, so nothing is lost.
    """
    value = tag.strip()
    parts = value.replace("_", "-").split("-")
    if not value or not all(_SUBTAG.match(part) for part in parts):
        return value
    out = [parts[0].lower()]
    extension = len(parts[0]) == 1  # x-private or i-legacy tags: all lower case
    for part in parts[1:]:
        if extension or len(part) == 1:
            extension = True
            out.append(part.lower())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def tag_matches(tag: str, query: str) -> bool:
    """`fr` matches fr, fr-CA and fr-FR; `fr-CA` matches only fr-CA (case-insensitive)."""
    query = normalise_tag(query)
    if "-" not in query:
        return primary(tag) == query.lower()
    return normalise_tag(tag).lower() == query.lower()


def primary(code: str) -> str:
    """`fr-FR`, `FR`, `fr_fr` → `fr`: the primary subtag, lower case."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def check_lang(value: str | None, what: str = "language", present: Collection[str] = ()) -> str:
    """The language to look up for `value`: a full tag the memory holds (`fr-CA`, `en-GB`),
    else its primary subtag if that is fr, en, ar or a language of `present` (the memory's
    tags); InvalidParameter naming `what` otherwise."""
    tag = (value or "").strip().replace("_", "-")
    code = primary(tag)
    held = {t.lower(): t for t in present}
    if "-" in tag and tag.lower() in held:
        return held[tag.lower()]
    if code in LANGS or code in {primary(t) for t in present}:
        return code
    extra = sorted({primary(t) for t in present} - set(LANGS))
    raise InvalidParameter(f"unknown language {value!r} for {what}: use one of "
                           + ", ".join(LANGS) + (f" (the memory also holds {', '.join(extra)})"
                                                 if extra else ""))


def check_pair(src: str | None, tgt: str | None,
               present: Collection[str] = ()) -> tuple[str, str]:
    """Two different languages (source, target), each checked by `check_lang`."""
    source, target = check_lang(src, "src", present), check_lang(tgt, "tgt", present)
    if source.lower() == target.lower():
        raise InvalidParameter(f"src and tgt must be different languages (both {source!r})")
    return source, target


def parse_pair(value: str | None, what: str = "pair",
               present: Collection[str] = ()) -> tuple[str, str] | None:
    """`fr-en` (or `fr_en`, `en-US,en-GB`) → ("fr", "en"); None for no value. Two tags with
    regions are written with a comma: `en-US,en-GB`."""
    if not value:
        return None
    parts = value.split(",") if "," in value else value.replace("_", "-").split("-")
    if len(parts) != 2:
        raise InvalidParameter(f"{what} must be two different languages like fr-en, "
                               f"not {value!r}")
    source, target = (check_lang(part, what, present) for part in parts)
    if source.lower() == target.lower():
        raise InvalidParameter(f"{what} must be two different languages like fr-en, "
                               f"not {value!r}")
    return source, target


def lang_rank(code: str) -> tuple[int, str]:
    """Sort key: fr, en, ar first (pivot first), then any other code alphabetically."""
    return (LANGS.index(code) if code in LANGS else len(LANGS), code)
