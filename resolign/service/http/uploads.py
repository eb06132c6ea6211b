"""Uploads: a multipart body parsed as it streams in, file parts written to temp files this
module creates, counted as they arrive and refused past the size limit, so a huge or endless
body is never held whole. A client's file name only labels units; it is never used as a path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException

from resolign.errors import InputError, ResolignError

MAX_FIELD_BYTES = 4_096
MAX_PARTS = 8
DOC_SUFFIXES = {".txt", ".docx", ".pdf", ".html", ".htm", ".xml", ".tmx"}
CLOSE = {"Connection": "close"}
"""On refusing an upload: the server closes instead of draining the unread body for keep-alive."""


@dataclass
class Part:
    name: str
    filename: str | None
    path: Path | None = None
    data: bytearray = field(default_factory=bytearray)
    size: int = 0

    def text(self) -> str:
        return self.data.decode("utf-8", "replace").strip()


class _TooLarge(Exception):
    pass


class _FormReceiver:
    """python-multipart callbacks that put each file part in `workdir` and keep small fields."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.parts: dict[str, Part] = {}
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._part: Part | None = None
        self._file: Any = None

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._data,
            "on_part_end": self._end_part, "on_end": self._end,
        }

    def _begin(self) -> None:
        self._headers, self._field, self._value = {}, b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise InputError("a multipart part has no field name")
        if name in self.parts:
            raise InputError(f"field {name!r} was sent twice")
        if len(self.parts) >= MAX_PARTS:
            raise InputError(f"too many form fields (at most {MAX_PARTS})")
        raw_filename = options.get(b"filename")
        filename = None if raw_filename is None else raw_filename.decode("utf-8", "replace")
        part = Part(name=name, filename=filename)
        if filename is not None:
            part.path = self.workdir / f"upload-{len(self.parts)}"
            self._file = open(part.path, "wb")  # noqa: SIM115 - closed in _end_part
        self.parts[name] = self._part = part

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None:
            return
        part.size += end - start
        if self._file is not None:
            self._file.write(data[start:end])
        else:
            if part.size > MAX_FIELD_BYTES:
                raise InputError(f"form field {part.name!r} is too long")
            part.data += data[start:end]

    def _end_part(self) -> None:
        self.close()
        self._part = None

    def _end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def receive_form(request: Request, limit: int, workdir: Path) -> dict[str, Part]:
    """Stream a multipart body into `workdir`, refusing it (413) as soon as it passes `limit`."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise HTTPException(415, "send the upload as multipart/form-data")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPException(400, "bad Content-Length header")
        if int(declared) > limit:
            raise HTTPException(413, f"upload too large: at most {limit} bytes", CLOSE)
    receiver = _FormReceiver(workdir)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _TooLarge
            parser.write(chunk)
        parser.finalize()
    except _TooLarge:
        raise HTTPException(413, f"upload too large: at most {limit} bytes", CLOSE) from None
    except ResolignError:
        raise
    except Exception as error:  # python-multipart raises its own parse errors
        raise InputError(f"malformed multipart body: {error}") from error
    finally:
        receiver.close()
    if not receiver.ended:
        raise InputError("malformed multipart body: it ended before the closing boundary")
    return receiver.parts


def file_part(parts: dict[str, Part], name: str, *, required: bool = True) -> Part | None:
    part = parts.get(name)
    if part is None or part.path is None:
        if required:
            raise InputError(f"missing file field {name!r}")
        return None
    if part.size == 0:
        raise InputError(f"uploaded file {name!r} is empty")
    return part


def display_name(filename: str | None) -> str:
    """The upload's base name only, for labelling units; never used as a path."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:200]


def named_copy(part: Part, lang: str) -> Path:
    """Give an upload a fixed name with its (allow-listed) extension, for format detection."""
    assert part.path is not None
    suffix = Path(display_name(part.filename)).suffix.lower()
    if suffix not in DOC_SUFFIXES:
        suffix = ".txt"
    target = part.path.with_name(f"{lang}{suffix}")
    part.path.rename(target)
    part.path = target
    return target


def form_flag(parts: dict[str, Part], name: str) -> bool:
    part = parts.get(name)
    return part is not None and part.path is None and part.text().lower() in {
        "1", "true", "yes", "on"}


def form_text(parts: dict[str, Part], name: str) -> str:
    part = parts.get(name)
    return part.text() if part is not None and part.path is None else ""
