"""One streamed walk over a TMX file's structure, shared by the importer and `tmx-check`.

Both see the same elements in the same order through the same hardened parser, so the checker
cannot pass a file the importer reads differently. Memory stays flat: each `<tu>` is cleared
once the consumer has it (a million-TU file streams).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from lxml import etree

from resolign.tmx.safeparse import Source, iterparse
from resolign.tmx.spec import localname

Part = Literal["root", "header", "body", "tu"]


def walk(source: Source) -> Iterator[tuple[Part, etree._Element]]:
    """Yield ("root", tmx) at its start, ("header", header) once complete, ("body", body) at
    its start and ("tu", tu) once complete, for each `<tu>` directly inside the body.

    The tu element is only valid until the next item is asked for. Raises TmxError (a
    TmxParseError with the line where possible) for unreadable, malformed or unsafe input.
    """
    depth = 0
    in_body = False
    for event, element in iterparse(source):
        if event == "start":
            depth += 1
            if depth == 1:
                yield "root", element
            elif depth == 2 and localname(element.tag) == "body":
                in_body = True
                yield "body", element
            continue
        depth -= 1
        if depth > 2:
            continue  # inside a tu: only whole TUs are handed out
        name = localname(element.tag)
        if depth == 1 and name == "header":
            yield "header", element
        elif depth == 1 and name == "body":
            in_body = False
        elif depth == 2 and name == "tu" and in_body:
            yield "tu", element
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
