"""A `<seg>` in two forms: the plain text a translator searches, and its markup kept for export.

`<bpt>`, `<ept>`, `<ph>`, `<it>` and `<ut>` hold native codes (RTF, HTML, Word fields): the plain
text leaves their content out, including any `<sub>` sub-flow inside them (a footnote or tooltip
that is not part of this sentence), except that a code standing for whitespace counts as that
whitespace: "This is<ph>&lt;br&gt;</ph>a paragraph" reads "This is\\na paragraph", not "This isa
paragraph". `<hi>` wraps real text and is unwrapped; unknown elements are unwrapped rather than
lost; the text around every element (its tail) is always kept, spaces included.

The markup is the seg's content serialised by lxml (escaping and attribute quoting made
uniform), a string that parses back to the same elements, for a store to keep as it is.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree

from resolign.errors import TmxError
from resolign.tmx.cleaning import strip_illegal
from resolign.tmx.safeparse import refuse_entity
from resolign.tmx.spec import CODE_ELEMENTS, INLINE_ELEMENTS, localname

STANDALONE_CODES = frozenset({"ph", "it", "ut"})
"""Codes that can stand for a character on their own (bpt/ept always come in pairs)."""

_BREAK_TYPES = frozenset({"lb", "pb", "cb"})
"""TMX 1.4b `type` values of a line, page or column break."""

_WHITESPACE_CODES = {
    r"\t": "\t",  # escape notation (Okapi, PO and properties filters)
    r"\n": "\n",
    r"\r\n": "\n",
    r"\tab": "\t",  # RTF control words (Trados TW4Win)
    r"\line": "\n",
    "&nbsp;": "\u00a0",
    "&#160;": "\u00a0",
}
_HTML_BREAK = re.compile(r"^<br\s*/?>$", re.IGNORECASE)
_RTF_WORD = re.compile(r"^\{?(\\[a-z]+)\s*\}?$")

_FRAGMENT_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


def stands_for(code: etree._Element) -> str:
    """The whitespace a standalone code stands for, or "" (most codes stand for nothing)."""
    if localname(code.tag) not in STANDALONE_CODES:
        return ""
    if (code.get("type") or "").strip().lower() in _BREAK_TYPES:
        return "\n"
    if len(code):
        return ""
    content = code.text or ""
    if content and not content.strip():
        return content  # a literal space, tab or newline kept inside a code
    content = content.strip()
    if _HTML_BREAK.match(content):
        return "\n"
    rtf = _RTF_WORD.match(content)
    return _WHITESPACE_CODES.get(rtf.group(1) if rtf else content, "")


def seg_text(seg: etree._Element) -> str:
    """The translatable text of a seg, in document order, byte-exact outside the codes."""
    parts: list[str] = []
    _collect(seg, parts)
    return "".join(parts)


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        refuse_entity(child, element.sourceline)
        name = localname(child.tag)
        if name in CODE_ELEMENTS:
            parts.append(stands_for(child))
        elif name:
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def has_inline_elements(seg: etree._Element) -> bool:
    """A seg made only of codes (e.g. a lone `<ph/>`) is not empty in the TMX sense."""
    return any(localname(child.tag) for child in seg)


def count_codes(seg: etree._Element) -> int:
    """How many inline elements (codes, `<hi>`, `<sub>`) the seg holds, at any depth."""
    return sum(1 for element in seg.iterdescendants() if localname(element.tag) in INLINE_ELEMENTS)


def seg_markup(seg: etree._Element) -> str:
    """The seg's content as XML when it has inline elements, else "" (the text says it all).

    Namespaces are dropped from element names (TMX inline elements have none) and unused
    namespace declarations removed, so the same segment always gives the same string.
    """
    if not has_inline_elements(seg):
        return ""
    copy = deepcopy(seg)
    copy.tail = None
    for element in copy.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = localname(element.tag)
    etree.cleanup_namespaces(copy)
    probe = etree.Element("seg")
    probe.text = copy.text
    head = etree.tostring(probe, encoding="unicode")
    head = head[len("<seg>") : -len("</seg>")] if head != "<seg/>" else ""
    return head + "".join(
        etree.tostring(child, encoding="unicode", with_tail=True) for child in copy
    )


def markup_seg(markup: str) -> etree._Element:
    """A `<seg>` element holding the markup; TmxError when it is not well-formed XML.

    Characters XML 1.0 forbids are removed first (the caller reports them). The fragment
    cannot declare entities, and nothing outside it is ever read.
    """
    cleaned, _ = strip_illegal(markup)
    try:
        seg = etree.fromstring(f"<seg>{cleaned}</seg>", _FRAGMENT_PARSER)
    except etree.XMLSyntaxError as error:
        raise TmxError(f"segment markup is not well-formed XML: {error.msg}") from None
    for element in seg.iter():
        refuse_entity(element, 1)
    return seg


def markup_text(markup: str) -> str:
    """The plain text of a markup string (what `seg_text` gives for the same segment)."""
    return seg_text(markup_seg(markup))
