"""One Unit -> one `<tu>` element, with the cleaning and warnings the export promises.

Each variant is written under its full tag with its inline codes (TMX level 2); other tools'
attributes, props and notes go back where they were read (tu or tuv), beside resolign's own
`x-` props. The cleaning is the same for every string: characters XML 1.0 forbids are removed
and reported, nothing else is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from translate.storage.tmx import tmxunit

from resolign.errors import TmxError
from resolign.languages import tag_matches
from resolign.tmx.cleaning import strip_illegal
from resolign.tmx.inline import markup_seg
from resolign.tmx.langs import is_language_tag, same_language
from resolign.tmx.spec import (
    ALL_LANGS,
    MAX_SEGMENT_CHARS,
    PROP_DOCUMENT,
    PROP_PARAGRAPH,
    PROP_PROVENANCE,
    PROP_RESOLUTION,
    PROP_RESOLUTION_TITLE,
    PROP_SCORE,
    PROP_SYMBOL,
    format_date,
)
from resolign.units import Annotations, Unit, Variant

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_FRAGMENT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)
_WRITTEN_BY_RESOLIGN = frozenset({"tuid", "creationdate", "srclang"})


@dataclass
class Segment:
    """A variant ready to write: the tag to write, the cleaned text, and its seg element when
    it has inline markup (None: the text is the whole seg)."""

    variant: Variant
    tag: str
    text: str
    seg: etree._Element | None = None


@dataclass
class Prepared:
    """A unit made XML-safe: the segments to write (in TU order) and what had to be said."""

    label: str
    segments: list[Segment]
    props: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)
    empty: int = 0
    """Variants with neither text nor code, left out (an empty `<seg>` reads as untranslated)."""


def unit_label(unit: Unit, position: int) -> str:
    """How a warning names a unit: its position in the export and where it came from."""
    where = unit.symbol or unit.document
    if unit.paragraph:
        where = f"{where}, paragraph {unit.paragraph}" if where else f"paragraph {unit.paragraph}"
    return f"unit {position}" + (f" ({where})" if where else "")


def _clean(value: str, what: str, label: str, warnings: list[str]) -> str:
    cleaned, removed = strip_illegal(value)
    if removed:
        warnings.append(
            f"{label}: removed {removed} character(s) not allowed in XML 1.0 from {what}"
        )
    return cleaned


def selected_variants(unit: Unit, pair: tuple[str, str] | None) -> list[Variant]:
    """The variants to write, in TU order: with a pair, those of its first language then its
    second (`fr` takes every fr-* variant, `fr-CA` only fr-CA); else all, in stored order (the
    order of the imported file; tu srclang names the source when the header's is absent)."""
    if not pair:
        return list(unit.variants)
    chosen: dict[int, Variant] = {}
    for query in pair:
        for variant in unit.variants:
            if tag_matches(variant.lang, query):
                chosen.setdefault(id(variant), variant)
    return list(chosen.values())


def _segment(
    variant: Variant, tag: str, label: str, warnings: list[str]
) -> Segment | None:
    """None for a variant with nothing to write."""
    text = _clean(variant.text, tag, label, warnings)
    seg: etree._Element | None = None
    if variant.markup:
        markup = _clean(variant.markup, f"{tag} markup", label, warnings)
        try:
            seg = markup_seg(markup)
        except TmxError as error:
            warnings.append(f"{label}: {tag} {error}; its plain text written instead")
    if seg is None and not text.strip():
        return None
    if len(text) > MAX_SEGMENT_CHARS:
        warnings.append(
            f"{label}: {tag} segment has {len(text)} characters, over the "
            f"{MAX_SEGMENT_CHARS} some tools (Trados Cloud) accept; kept"
        )
    return Segment(variant, tag, text, seg)


def own_props(unit: Unit, label: str, warnings: list[str]) -> list[tuple[str, str]]:
    """resolign's fields as `x-` props (empty ones left out)."""
    score = "" if unit.score is None else repr(float(unit.score))
    fields = [
        (PROP_DOCUMENT, unit.document),
        (PROP_SYMBOL, unit.symbol),
        (PROP_PARAGRAPH, unit.paragraph),
        (PROP_SCORE, score),
        (PROP_RESOLUTION, unit.resolution),
        (PROP_RESOLUTION_TITLE, unit.resolution_title),
    ] + [(PROP_PROVENANCE + key, value) for key, value in unit.provenance.items()]
    props: list[tuple[str, str]] = []
    for name, value in fields:
        value = _clean(str(value or ""), name, label, warnings)
        if value:
            props.append((strip_illegal(name)[0], value))
    return props


def prepare(
    unit: Unit,
    position: int,
    pair: tuple[str, str] | None,
    lang_codes: dict[str, str] | None = None,
) -> Prepared:
    """Clean texts, codes and props; `pair` restricts the TU to two languages (None: all)."""
    label = unit_label(unit, position)
    warnings: list[str] = []
    segments: list[Segment] = []
    empty = 0
    for variant in selected_variants(unit, pair):
        tag = (lang_codes or {}).get(variant.lang, variant.lang)
        if not is_language_tag(tag):
            warnings.append(f"{label}: language code {tag!r} is not a language tag; text left out")
            continue
        segment = _segment(variant, tag, label, warnings)
        if segment is None:
            empty += 1
        else:
            segments.append(segment)
    return Prepared(label, segments, own_props(unit, label, warnings), warnings, empty)


def _attribute_key(name: str) -> str:
    return _XML_NS + name[4:] if name.startswith("xml:") else name


def _set_attributes(
    element: etree._Element, attributes: dict[str, str], skip: frozenset[str], label: str,
    warnings: list[str],
) -> None:
    for name, value in attributes.items():
        if name in skip:
            continue
        try:
            element.set(_attribute_key(name), _clean(value, f"attribute {name}", label, warnings))
        except ValueError:
            warnings.append(f"{label}: attribute name {name!r} is not XML; left out")


def _remarks(
    annotations: Annotations, label: str, warnings: list[str]
) -> list[etree._Element]:
    """The props, notes and verbatim elements of one level, as elements to insert."""
    elements: list[etree._Element] = []
    for entry in annotations.entries:
        element = etree.Element(entry.kind if entry.kind in ("prop", "note") else "prop")
        _set_attributes(element, entry.attributes, frozenset(), label, warnings)
        element.text = _clean(entry.text, f"a {entry.kind}", label, warnings)
        elements.append(element)
    for xml in annotations.xml:
        try:
            element = etree.fromstring(strip_illegal(xml)[0], _FRAGMENT_PARSER)
        except etree.XMLSyntaxError:
            warnings.append(f"{label}: kept element is not well-formed XML; left out")
            continue
        elements.append(element)
    return elements


def header_children(headers: Sequence[Annotations]) -> list[etree._Element]:
    """Props, notes and `<ude>` of imported files' headers, each distinct one once."""
    merged = Annotations()
    for header in headers:
        merged.absorb(header)
    warnings: list[str] = []
    return _remarks(merged, "header", warnings)


def _srclang(prepared: Prepared, unit: Unit, header_srclang: str) -> str | None:
    """The tu srclang to write: the unit's own when it still names a written tuv (or *all*);
    else, when the TU lacks the header's source language, the first tuv's language."""
    tags = [segment.tag for segment in prepared.segments]
    own = unit.annotations.attributes.get("srclang")
    if own is not None and (own == ALL_LANGS or any(same_language(own, t) for t in tags)):
        return own
    if not any(same_language(header_srclang, tag) for tag in tags):
        return tags[0]
    return None


def _indent(parent: etree._Element, children: list[etree._Element], level: int) -> None:
    """Put each child on its own line (readable in a text editor; TMX ignores this space)."""
    inner, outer = "\n" + "  " * (level + 1), "\n" + "  " * level
    parent.text = inner
    for child in children:
        child.tail = inner
    if children:
        children[-1].tail = outer


def _set_review(tu: etree._Element, provenance: dict[str, str]) -> None:
    """A unit a translator corrected in the memory says when and by whom, in the attributes
    CAT tools read (changedate, changeid); newer than any date another tool wrote."""
    try:
        changed = datetime.fromisoformat(provenance.get("changed", ""))
    except ValueError:
        return
    tu.set("changedate", format_date(changed))
    if provenance.get("changed_by"):
        tu.set("changeid", strip_illegal(provenance["changed_by"])[0])


def tu_element(
    prepared: Prepared,
    unit: Unit,
    tuid: str,
    header_srclang: str,
) -> etree._Element:
    """The `<tu>`: props and notes before tuvs (DTD order), one tuv per segment.

    translate-toolkit's `tmxunit` makes the `<tu>` and each `<tuv xml:lang><seg>`; it has no
    API for props, tuid, dates, inline codes or more than a source/target pair, added here.
    """
    label, warnings = prepared.label, prepared.warnings
    attributes = unit.annotations.attributes
    toolkit = tmxunit(None)
    tu = toolkit.xmlelement
    tu.set("tuid", _clean(attributes["tuid"], "tuid", label, warnings)
           if "tuid" in attributes else tuid)
    tu.set("creationdate", attributes.get("creationdate") or format_date(unit.created))
    srclang = _srclang(prepared, unit, header_srclang)
    if srclang is not None:
        tu.set("srclang", srclang)
    _set_attributes(tu, attributes, _WRITTEN_BY_RESOLIGN, label, warnings)
    _set_review(tu, unit.provenance)
    children: list[etree._Element] = []
    for name, value in prepared.props:
        prop = etree.SubElement(tu, "prop", type=name)
        prop.text = value
        children.append(prop)
    for element in _remarks(unit.annotations, label, warnings):
        tu.append(element)
        children.append(element)
    for segment in prepared.segments:
        tuv = toolkit.createlanguageNode(segment.tag, segment.text, "source")
        seg = tuv[0]
        if seg.text != segment.text:  # the toolkit must not alter a segment already XML-safe
            raise AssertionError(f"translate-toolkit changed the {segment.tag} segment")
        annotations = segment.variant.annotations
        _set_attributes(tuv, annotations.attributes, frozenset({"xml:lang"}), label, warnings)
        inner = _remarks(annotations, label, warnings)
        for element in inner:
            seg.addprevious(element)
        if segment.seg is not None:
            tuv.replace(seg, segment.seg)
            seg = segment.seg
        _indent(tuv, [*inner, seg], 3)
        tu.append(tuv)
        children.append(tuv)
    _indent(tu, children, 2)
    return tu
