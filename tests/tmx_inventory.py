"""What a TMX file holds, read with a plain lxml parse that shares no code with resolign.

Used by the interoperability tests to judge an import → export round trip from the outside:
every input tuv (language with region, text outside inline codes, number of inline codes) and
every prop/note must be found in the output.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CODES = {"bpt", "ept", "ph", "it", "ut"}
INLINE = CODES | {"hi", "sub"}


def _name(element: etree._Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _outside_codes(element: etree._Element, inside: bool = False) -> str:
    """Text of a seg that is not inside bpt/ept/ph/it/ut (and so not in their <sub>)."""
    parts = [] if inside else [element.text or ""]
    for child in element:
        name = _name(child)
        if name:
            child_inside = inside or name in CODES
            parts.append(_outside_codes(child, child_inside))
        if not inside:
            parts.append(child.tail or "")
    return "".join(parts)


def _lang(element: etree._Element) -> str:
    return (element.get(XML_LANG) or element.get("lang") or "").strip().replace("_", "-").lower()


def _remark(element: etree._Element) -> tuple[str, str, str]:
    """(kind, prop type or note language, text) of a <prop> or <note>."""
    kind = _name(element)
    label = element.get("type", "") if kind == "prop" else _lang(element)
    return kind, label, element.text or ""


@dataclass
class Inventory:
    tuvs: Counter = field(default_factory=Counter)
    """(language, text outside codes, number of inline elements) -> how many tuvs."""
    tu_remarks: Counter = field(default_factory=Counter)
    tuv_remarks: Counter = field(default_factory=Counter)
    """(language of the tuv, kind, type, text)."""
    header_remarks: Counter = field(default_factory=Counter)
    tuids: Counter = field(default_factory=Counter)
    tu_attributes: Counter = field(default_factory=Counter)
    """(name, value) of tu attributes other than tuid (counted apart)."""
    tuv_attributes: Counter = field(default_factory=Counter)
    tus: int = 0


def inventory(source: Path | bytes) -> Inventory:
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, remove_comments=True
    )
    if isinstance(source, bytes):
        root = etree.fromstring(source, parser)
    else:
        root = etree.parse(str(source), parser).getroot()
    found = Inventory()
    for element in root:
        if _name(element) == "header":
            for child in element:
                if _name(child) in ("prop", "note"):
                    found.header_remarks[_remark(child)] += 1
    for tu in root.iter("{*}tu"):
        found.tus += 1
        if tu.get("tuid") is not None:
            found.tuids[tu.get("tuid")] += 1
        for name, value in tu.attrib.items():
            if name != "tuid":
                found.tu_attributes[(name, value)] += 1
        for child in tu:
            name = _name(child)
            if name in ("prop", "note"):
                found.tu_remarks[_remark(child)] += 1
            elif name == "tuv":
                lang = _lang(child)
                for name_, value in child.attrib.items():
                    if name_ not in (XML_LANG, "lang"):
                        found.tuv_attributes[(lang, name_, value)] += 1
                for part in child:
                    if _name(part) in ("prop", "note"):
                        found.tuv_remarks[(lang, *_remark(part))] += 1
                    elif _name(part) == "seg":
                        codes = sum(1 for e in part.iterdescendants() if _name(e) in INLINE)
                        found.tuvs[(lang, _outside_codes(part), codes)] += 1
    return found


def missing(before: Counter, after: Counter) -> set:
    """Distinct entries of `before` that `after` does not hold at all."""
    return {key for key in before if key not in after}
