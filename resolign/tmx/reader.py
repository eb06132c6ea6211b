"""Import TMX from any CAT tool (1.1-1.4, bilingual or multilingual) into Units, streaming.

Nothing is dropped silently. Every `<tuv>` becomes a variant under its full language tag
(xml:lang, or TMX 1.1 `lang`), with its text, its inline codes and its own attributes, props and
notes; several variants of one language stay side by side. resolign's own props (x-document,
x-symbol, x-paragraph, x-score, x-resolution, x-resolution-title, x-provenance-*) and a tu
creationdate in TMX form fill the Unit's fields; every other attribute, prop and note is kept
in `annotations`. A `<tu>` with neither text nor code in any `<tuv>` is refused and counted with
its line; the header's attributes, props and notes come back in the ReadReport so a store can
keep them per imported file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from resolign.errors import TmxError
from resolign.tmx.inline import seg_markup, seg_text
from resolign.tmx.safeparse import Source, describe, refuse_entity
from resolign.tmx.spec import (
    OLD_LANG,
    PROP_DOCUMENT,
    PROP_PARAGRAPH,
    PROP_PROVENANCE,
    PROP_RESOLUTION,
    PROP_RESOLUTION_TITLE,
    PROP_SCORE,
    PROP_SYMBOL,
    XML_LANG,
    format_date,
    localname,
    parse_date,
)
from resolign.tmx.stream import walk
from resolign.units import Annotation, Annotations, Unit, Variant

MAX_DETAILS = 200
"""Refusals listed one by one; past this they are only counted (a huge file, a short report)."""
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_OWN_FIELDS = {
    PROP_DOCUMENT: "document",
    PROP_SYMBOL: "symbol",
    PROP_PARAGRAPH: "paragraph",
    PROP_RESOLUTION: "resolution",
    PROP_RESOLUTION_TITLE: "resolution_title",
}


@dataclass
class Refusal:
    """Something of the file that did not become (part of) a unit, where and why."""

    line: int
    reason: str


@dataclass
class ReadReport:
    """What reading one TMX file gave: counts, the header, and each refusal with its line.

    `one_sided`: units kept with a single segment. `region_only`: units whose segments are all
    one language in several regions (en-US/en-GB). `code_only`: segments with codes but no text
    (kept). `empty_segments`: tuvs with neither text nor code (kept in the unit; export leaves
    them out). `refused`: TUs that became no unit; `tuvs_left_out`: tuvs without a language or
    a `<seg>`, left out of a unit that was kept.
    """

    source: str = ""
    version: str = ""
    header: Annotations = field(default_factory=Annotations)
    tus: int = 0
    units: int = 0
    one_sided: int = 0
    region_only: int = 0
    code_only: int = 0
    empty_segments: int = 0
    refused: int = 0
    tuvs_left_out: int = 0
    details: list[Refusal] = field(default_factory=list)

    def note(self, line: int | None, reason: str) -> None:
        if len(self.details) < MAX_DETAILS:
            self.details.append(Refusal(line or 0, reason))

    def summary(self) -> str:
        """One line for a person: what was read, kept and refused."""
        parts = [f"{self.tus} TUs read", f"{self.units} units"]
        for count, label in (
            (self.one_sided, "one-sided"),
            (self.region_only, "one language in several regions"),
            (self.code_only, "code-only segment(s)"),
            (self.empty_segments, "empty segment(s)"),
            (self.refused, "TU(s) refused"),
            (self.tuvs_left_out, "tuv(s) left out"),
        ):
            if count:
                parts.append(f"{count} {label}")
        return ", ".join(parts)


def _attribute_name(name: str) -> str:
    return "xml:" + name[len(_XML_NS) :] if name.startswith(_XML_NS) else name


def _attributes(element: etree._Element, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Attributes in file order; `xml:lang` for the XML namespace, `{uri}name` for others."""
    return {
        _attribute_name(name): value for name, value in element.attrib.items() if name not in skip
    }


def _verbatim(element: etree._Element) -> str:
    for node in element.iter():
        refuse_entity(node, element.sourceline)
    return etree.tostring(element, encoding="unicode", with_tail=False)


def _keep(child: etree._Element, into: Annotations) -> None:
    """A prop or note becomes an Annotation; anything else is kept as XML."""
    name = localname(child.tag)
    if name in ("prop", "note") and len(child) == 0:
        into.entries.append(Annotation(name, child.text or "", _attributes(child)))
    elif name:
        into.xml.append(_verbatim(child))
    else:
        refuse_entity(child, child.sourceline)


def read_header(header: etree._Element) -> Annotations:
    """The header's attributes, props, notes and other elements (`<ude>`), as written."""
    kept = Annotations(attributes=_attributes(header))
    for child in header:
        _keep(child, kept)
    return kept


def _variant(tuv: etree._Element, report: ReadReport) -> Variant | None:
    tag = tuv.get(XML_LANG)
    skip = {XML_LANG}
    if tag is None and tuv.get(OLD_LANG) is not None:
        tag = tuv.get(OLD_LANG)
        skip.add(OLD_LANG)
    if not (tag or "").strip():
        report.tuvs_left_out += 1
        report.note(tuv.sourceline, "<tuv> without xml:lang left out")
        return None
    annotations = Annotations(attributes=_attributes(tuv, frozenset(skip)))
    seg: etree._Element | None = None
    for child in tuv:
        if localname(child.tag) == "seg" and seg is None:
            seg = child
        else:
            _keep(child, annotations)
    if seg is None:
        report.tuvs_left_out += 1
        report.note(tuv.sourceline, f"<tuv xml:lang={tag!r}> without <seg> left out")
        return None
    return Variant(tag, seg_text(seg), seg_markup(seg), annotations)


def _score(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _fill_own_fields(unit: Unit, entries: list[Annotation]) -> None:
    """resolign's own props (plain `<prop type>` only, first of each) become Unit fields."""
    taken: set[str] = set()
    for entry in entries:
        kind, name = entry.kind, entry.type
        if kind != "prop" or set(entry.attributes) != {"type"} or name in taken:
            unit.annotations.entries.append(entry)
            continue
        if name in _OWN_FIELDS:
            setattr(unit, _OWN_FIELDS[name], entry.text)
        elif name == PROP_SCORE and _score(entry.text) is not None:
            unit.score = _score(entry.text)
        elif name.startswith(PROP_PROVENANCE) and len(name) > len(PROP_PROVENANCE):
            unit.provenance[name[len(PROP_PROVENANCE) :]] = entry.text
        else:
            unit.annotations.entries.append(entry)
            continue
        taken.add(name)


def read_tu(
    tu: etree._Element, default_created: datetime | None, report: ReadReport
) -> Unit | None:
    """One `<tu>` -> Unit, or None (refused, with the reason noted in the report)."""
    report.tus += 1
    unit = Unit(annotations=Annotations(attributes=_attributes(tu, frozenset({"creationdate"}))))
    entries: list[Annotation] = []
    for child in tu:
        name = localname(child.tag)
        if name == "tuv":
            variant = _variant(child, report)
            if variant is not None:
                unit.variants.append(variant)
        elif name in ("prop", "note") and len(child) == 0:
            entries.append(Annotation(name, child.text or "", _attributes(child)))
        else:
            _keep(child, unit.annotations)
    with_content = [v for v in unit.variants if v.has_content()]
    if not with_content:
        report.refused += 1
        what = "no <tuv>" if not unit.variants else "no text or inline code in any <tuv>"
        report.note(tu.sourceline, f"<tu> refused: {what}")
        return None
    _fill_own_fields(unit, entries)
    raw_date = tu.get("creationdate")
    created = parse_date(raw_date)
    if raw_date is not None and (created is None or format_date(created) != raw_date):
        unit.annotations.attributes["creationdate"] = raw_date  # kept as the tool wrote it
    first_tuv_date = next(
        (parse_date(v.annotations.attributes.get("creationdate")) for v in unit.variants), None
    )
    unit.created = created or first_tuv_date or default_created or datetime.now(UTC)
    _count(unit, with_content, report)
    return unit


def _count(unit: Unit, with_content: list[Variant], report: ReadReport) -> None:
    report.units += 1
    if len(with_content) < 2:
        report.one_sided += 1
    elif len({v.primary for v in with_content}) == 1:
        report.region_only += 1
    report.code_only += sum(1 for v in with_content if not v.text.strip())
    report.empty_segments += len(unit.variants) - len(with_content)


def iter_tmx_units(source: Source, report: ReadReport | None = None) -> Iterator[Unit]:
    """Yield one Unit per `<tu>` with text or codes, holding one TU in memory at a time.

    Pass a ReadReport to get the counts, the header and the refusals (complete once the
    iterator is exhausted). Raises TmxError (before or during iteration) for a file that is
    unreadable, malformed, unsafe (entities, external DTD) or not TMX.
    """
    report = report if report is not None else ReadReport()
    report.source = describe(source)
    default_created: datetime | None = None
    header_seen = False
    for part, element in walk(source):
        if part == "root":
            name = localname(element.tag)
            if name != "tmx":
                raise TmxError(f"{describe(source)}: not TMX (root element is <{name}>)")
            report.version = element.get("version") or ""
        elif part == "header":
            header_seen = True
            report.header = read_header(element)
            default_created = parse_date(element.get("creationdate"))
        elif part == "body" and not header_seen:
            raise TmxError(
                f"{describe(source)}: not TMX: <body> without a <header> before it "
                f"(line {element.sourceline})"
            )
        elif part == "tu":
            unit = read_tu(element, default_created, report)
            if unit is not None:
                yield unit


def read_tmx(source: Source) -> list[Unit]:
    """All units of a TMX file (path or bytes); raises TmxError."""
    return list(iter_tmx_units(source))


def read_tmx_report(source: Source) -> tuple[list[Unit], ReadReport]:
    """All units of a TMX file and the report of reading it; raises TmxError."""
    report = ReadReport()
    return list(iter_tmx_units(source, report)), report
