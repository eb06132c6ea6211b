"""One Unit -> one `<tu>` element, with the cleaning and warnings the export promises."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from translate.storage.tmx import tmxunit

from resolign.languages import LANGS
from resolign.tmx.cleaning import strip_illegal
from resolign.tmx.langs import is_language_tag, to_tmx
from resolign.tmx.spec import (
    MAX_SEGMENT_CHARS,
    PROP_DOCUMENT,
    PROP_PARAGRAPH,
    PROP_SCORE,
    PROP_SYMBOL,
    format_date,
)
from resolign.units import Unit


@dataclass
class Prepared:
    """A unit made XML-safe: the segments to write (in TU order) and what had to be said."""

    segments: dict[str, str]
    props: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)


def unit_label(unit: Unit, position: int) -> str:
    """How a warning names a unit: its position in the export and where it came from."""
    where = unit.symbol or unit.document
    if unit.paragraph:
        where = f"{where}, paragraph {unit.paragraph}" if where else f"paragraph {unit.paragraph}"
    return f"unit {position}" + (f" ({where})" if where else "")


def _ordered_languages(texts: dict[str, str]) -> list[str]:
    """fr, en, ar first (French is the pivot), then any other language in code order."""
    return [lang for lang in LANGS if lang in texts] + sorted(set(texts) - set(LANGS))


def _clean(value: str, what: str, label: str, warnings: list[str]) -> str:
    cleaned, removed = strip_illegal(value)
    if removed:
        warnings.append(
            f"{label}: removed {removed} character(s) not allowed in XML 1.0 from {what}"
        )
    return cleaned


def prepare(unit: Unit, position: int, languages: tuple[str, ...] | None) -> Prepared:
    """Clean texts and props; `languages` restricts the TU to a pair (None: all present)."""
    label = unit_label(unit, position)
    warnings: list[str] = []
    segments: dict[str, str] = {}
    for lang in languages or _ordered_languages(unit.texts):
        text = unit.texts.get(lang)
        if text is None:
            continue
        if not is_language_tag(lang):
            warnings.append(f"{label}: language code {lang!r} is not a language tag; text left out")
            continue
        cleaned = _clean(text, lang, label, warnings)
        if not cleaned.strip():
            continue
        if len(cleaned) > MAX_SEGMENT_CHARS:
            warnings.append(
                f"{label}: {lang} segment has {len(cleaned)} characters, over the "
                f"{MAX_SEGMENT_CHARS} some tools (Trados Cloud) accept; kept"
            )
        segments[lang] = cleaned
    props: list[tuple[str, str]] = []
    for name, value in (
        (PROP_DOCUMENT, unit.document),
        (PROP_SYMBOL, unit.symbol),
        (PROP_PARAGRAPH, unit.paragraph),
    ):
        value = _clean(str(value or ""), name, label, warnings)
        if value:
            props.append((name, value))
    if unit.score is not None:
        props.append((PROP_SCORE, repr(float(unit.score))))
    return Prepared(segments, props, warnings)


def tu_element(
    prepared: Prepared,
    unit: Unit,
    tuid: str,
    header_srclang: str,
    lang_codes: dict[str, str] | None,
) -> etree._Element:
    """The `<tu>`: props before tuvs (DTD order), one tuv per language, indented for humans.

    When the unit lacks the header's source language, the TU names its own srclang (TMX lets a
    tu override the header) so that every TU still contains its source. translate-toolkit's
    `tmxunit` makes the `<tu>` and each `<tuv xml:lang><seg>`; it has no API for props, tuid,
    creation dates or more than a source/target pair, which we add here.
    """
    toolkit = tmxunit(None)
    tu = toolkit.xmlelement
    tu.set("tuid", tuid)
    tu.set("creationdate", format_date(unit.created))
    if header_srclang not in prepared.segments:
        tu.set("srclang", to_tmx(next(iter(prepared.segments)), lang_codes))
    tu.text = "\n      "
    last: etree._Element | None = None
    for name, value in prepared.props:
        last = etree.SubElement(tu, "prop", type=name)
        last.text = value
        last.tail = "\n      "
    for lang, text in prepared.segments.items():
        tuv = toolkit.createlanguageNode(to_tmx(lang, lang_codes), text, "source")
        tu.append(tuv)
        tuv.text = "\n        "
        seg = tuv[0]
        if seg.text != text:  # the toolkit must not alter a segment we already made XML-safe
            raise AssertionError(f"translate-toolkit changed the {lang} segment")
        seg.tail = "\n      "
        tuv.tail = "\n      "
        last = tuv
    if last is not None:
        last.tail = "\n    "
    return tu
