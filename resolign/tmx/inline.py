"""Plain text of a `<seg>`: TMX level-2 inline markup reduced to what a translator reads.

`<bpt>`, `<ept>`, `<ph>`, `<it>` and `<ut>` hold native codes (RTF, HTML, Word fields): their
content is dropped, including any `<sub>` sub-flow inside them (a footnote or tooltip text that is
not part of this segment's sentence). `<hi>` wraps real text and is unwrapped. The text around
every element (its tail) is always kept. Unknown elements are unwrapped rather than lost.
"""

from __future__ import annotations

from lxml import etree

from resolign.tmx.safeparse import refuse_entity
from resolign.tmx.spec import CODE_ELEMENTS, localname


def seg_text(seg: etree._Element) -> str:
    """Concatenate the translatable text of a seg, in document order, byte-exact."""
    parts: list[str] = []
    _collect(seg, parts)
    return "".join(parts)


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        refuse_entity(child, element.sourceline)
        name = localname(child.tag)
        if name and name not in CODE_ELEMENTS:
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def has_inline_elements(seg: etree._Element) -> bool:
    """A seg made only of codes (e.g. a lone `<ph/>`) is not empty in the TMX sense."""
    return any(localname(child.tag) for child in seg)
