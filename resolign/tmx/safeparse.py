"""The one hardened way into a TMX file: streaming, no DTD, no entities, no network, no files.

lxml is configured so that nothing outside the document is ever read (no_network, load_dtd=False,
resolve_entities=False) and nothing is expanded (huge_tree=False keeps libxml2's size limits).
On top of that the document is refused outright when it declares entities (billion laughs,
external entities) or points its DOCTYPE anywhere but a TMX DTD name, so such a file fails with
a clear message instead of being half-imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path, PurePosixPath

from lxml import etree

from resolign.errors import TmxError

Source = Path | str | os.PathLike | bytes | bytearray
"""A path to a TMX file, or the file's bytes (an upload)."""

_TMX_DTD = re.compile(r"^tmx\d*b?\.dtd$", re.IGNORECASE)


class TmxParseError(TmxError):
    """A TmxError that knows the line it happened on, so check_tmx can report it as a Problem."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def describe(source: Source) -> str:
    """How to name the source in a message."""
    if isinstance(source, bytes | bytearray):
        return "TMX data"
    return str(source)


_ENTITY_LIMIT = re.compile(r"entity amplification|entity reference loop|entities.*exceed",
                           re.IGNORECASE)
"""libxml2's own refusals of entities that expand too far."""


def _entity_names(source: Source, head: int = 1 << 16) -> str:
    """The entity names the start of the document declares, for a refusal's message (when
    libxml2 stopped before the DOCTYPE could be read back whole)."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source[:head])
    else:
        with open(source, "rb") as file:
            data = file.read(head)
    text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8",
                       errors="replace")
    names = sorted(set(re.findall(r"<!ENTITY\s+(?:%\s+)?([^\s>]+)", text)))
    return ", ".join(names) or "unnamed"


def _open(source: Source) -> BytesIO | str:
    if isinstance(source, bytes | bytearray):
        return BytesIO(bytes(source))
    path = Path(source)
    if not path.exists():
        raise TmxError(f"{path}: no such file")
    if not path.is_file():
        raise TmxError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise TmxError(f"{path}: not readable")
    return str(path)


def _refuse_unsafe_prolog(element: etree._Element) -> None:
    """Called on the root element's start: the DOCTYPE is known by then, no content is read."""
    info = element.getroottree().docinfo
    line = element.sourceline or 1
    dtd = info.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        names = ", ".join(sorted({entity.name for entity in dtd.iterentities()}))
        raise TmxParseError(
            f"refused: the DOCTYPE declares entities ({names}); entity expansion and external "
            "entities are not allowed in TMX",
            line,
        )
    system_url = info.system_url
    if system_url and not _TMX_DTD.match(PurePosixPath(system_url.replace("\\", "/")).name):
        raise TmxParseError(
            f"refused: the DOCTYPE points to an external DTD ({system_url}); "
            "resolign never fetches DTDs",
            line,
        )


def iterparse(
    source: Source, events: tuple[str, ...] = ("start", "end")
) -> Iterator[tuple[str, etree._Element]]:
    """Stream (event, element) pairs; raise TmxError for unreadable, malformed or unsafe input.

    The caller should clear elements it has finished with to keep memory flat.
    """
    target = _open(source)
    wanted = set(events)
    context = etree.iterparse(
        target,
        events=tuple(wanted | {"start"}),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    first = True
    try:
        for event, element in context:
            if first:
                first = False
                _refuse_unsafe_prolog(element)
            if event in wanted:
                yield event, element
    except etree.XMLSyntaxError as error:
        line, message = _first_error(error)
        if _ENTITY_LIMIT.search(message):
            # lxml 6.2 (libxml2 2.14.6) stops a billion-laughs DOCTYPE itself, before the root
            # element reaches _refuse_unsafe_prolog: the same refusal, with libxml2's reason.
            raise TmxParseError(
                f"refused: the DOCTYPE declares entities ({_entity_names(source)}: "
                f"{message.rstrip('.')}); entity expansion and external entities are not "
                "allowed in TMX", line) from None
        raise TmxParseError(f"not well-formed XML at line {line}: {message}", line) from None
    except OSError as error:
        raise TmxError(f"{describe(source)}: cannot read ({error.strerror or error})") from None
    if first:
        raise TmxParseError("not XML: the document is empty", 1)


def _first_error(error: etree.XMLSyntaxError) -> tuple[int, str]:
    """The line and message of the parser's fatal error.

    iterparse sometimes raises a vague "no element found" at line 0 while its error log holds the
    real cause; the log can also keep entries of earlier parses, so it is only a fallback and its
    latest error is taken.
    """
    message = re.sub(r",? line \d+, column \d+$", "", (error.msg or str(error)).strip())
    if error.lineno and error.lineno > 0:
        return error.lineno, message
    entries = [e for e in error.error_log if e.level >= etree.ErrorLevels.ERROR]
    if entries:
        return max(entries[-1].line, 1), entries[-1].message.strip()
    return 1, message


def refuse_entity(node: object, line: int | None) -> None:
    """An entity reference left unexpanded by the parser means the file relied on a DTD: refuse."""
    if isinstance(node, etree._Entity):
        raise TmxParseError(
            f"refused: entity reference {node.text} at line {line or 0}; only the five "
            "predefined XML entities are allowed in TMX",
            line or 1,
        )
