"""Import TMX from any CAT tool (1.1-1.4, bilingual or multilingual) into Units, streaming.

Languages are keyed by primary subtag (fr-FR -> fr) because resolign compares texts across
memories by language, not region. Our own props (x-document, x-symbol, x-paragraph, x-score) and
creationdate come back; other tools' props and notes have no slot in a Unit and are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from lxml import etree

from resolign.errors import TmxError
from resolign.tmx.inline import seg_text
from resolign.tmx.langs import from_tmx
from resolign.tmx.safeparse import Source, describe, iterparse, refuse_entity
from resolign.tmx.spec import (
    OLD_LANG,
    PROP_DOCUMENT,
    PROP_PARAGRAPH,
    PROP_SCORE,
    PROP_SYMBOL,
    XML_LANG,
    localname,
    parse_date,
)
from resolign.units import Unit


def _prop_text(prop: etree._Element) -> str:
    for child in prop:
        refuse_entity(child, prop.sourceline)
    return prop.text or ""


def _score(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def unit_from_tu(tu: etree._Element, default_created: datetime | None) -> Unit | None:
    """One `<tu>` -> Unit; None when it holds no text at all. First tuv of a language wins."""
    texts: dict[str, str] = {}
    props: dict[str, str] = {}
    first_tuv_date: datetime | None = None
    for child in tu:
        name = localname(child.tag)
        if name == "prop":
            props.setdefault(child.get("type", ""), _prop_text(child))
        elif name == "tuv":
            code = child.get(XML_LANG) or child.get(OLD_LANG) or ""
            seg = next((c for c in child if localname(c.tag) == "seg"), None)
            if first_tuv_date is None:
                first_tuv_date = parse_date(child.get("creationdate"))
            if not code.strip() or seg is None:
                continue
            text = seg_text(seg)
            lang = from_tmx(code)
            if text.strip() and lang not in texts:
                texts[lang] = text
        else:
            refuse_entity(child, tu.sourceline)
    if not texts:
        return None
    created = (
        parse_date(tu.get("creationdate")) or first_tuv_date or default_created or datetime.now(UTC)
    )
    return Unit(
        texts=texts,
        document=props.get(PROP_DOCUMENT, ""),
        symbol=props.get(PROP_SYMBOL, ""),
        paragraph=props.get(PROP_PARAGRAPH, ""),
        score=_score(props.get(PROP_SCORE)),
        created=created,
    )


def iter_tmx_units(source: Source) -> Iterator[Unit]:
    """Yield one Unit per `<tu>` with text, holding one TU in memory at a time.

    Raises TmxError (before or during iteration) for a file that is unreadable, malformed,
    unsafe (entities, external DTD) or not TMX.
    """
    default_created: datetime | None = None
    depth = 0
    header = False
    for event, element in iterparse(source):
        name = localname(element.tag)
        if event == "start":
            depth += 1
            if depth == 1 and name != "tmx":
                raise TmxError(f"{describe(source)}: not TMX (root element is <{name}>)")
            if depth == 2 and name == "header":
                header = True
                default_created = parse_date(element.get("creationdate"))
            elif depth == 2 and name == "body" and not header:
                raise TmxError(f"{describe(source)}: not TMX: <body> without a <header> before "
                               f"it (line {element.sourceline})")
            continue
        depth -= 1
        if name == "tu" and depth == 2:
            unit = unit_from_tu(element, default_created)
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            if unit is not None:
                yield unit


def read_tmx(source: Source) -> list[Unit]:
    """All units of a TMX file (path or bytes); raises TmxError."""
    return list(iter_tmx_units(source))
