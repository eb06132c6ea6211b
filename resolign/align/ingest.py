"""Read a document into plain text, failing with one clear line when it cannot be used.

Text files must be UTF-8 (a BOM is fine) because a wrong guess at a legacy encoding would
silently corrupt accents in a translation memory; we name the file and the bad byte instead.
PDF pages are joined with a form feed so paragraph reconstruction can see page breaks.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from resolign.errors import InputError

TEXT_SUFFIXES = {".txt", ".md"}
SUPPORTED = ".txt, .md, .docx or .pdf"


def read_text(path: Path) -> str:
    """The text of a .txt/.md/.docx/.pdf file; InputError for anything unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | {".docx", ".pdf"}:
        shown = suffix or "(none)"
        raise InputError(f"{path.name}: unsupported file type {shown}; use {SUPPORTED}")
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if suffix in TEXT_SUFFIXES:
        text = _read_plain(path)
    elif suffix == ".docx":
        text = _read_docx(path)
    else:
        text = _read_pdf(path)
    if not text.strip():
        raise InputError(f"{path.name}: the document is empty (no text found)")
    return text


def _read_plain(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(
                f"{path.name}: not valid UTF-16 at byte offset {error.start}"
            ) from error
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"{path.name}: binary content (NUL byte at byte offset {nul}); "
            "expected a UTF-8 text file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path.name}: not valid UTF-8 at byte offset {error.start} "
            f"(byte 0x{data[error.start]:02x}); save the file as UTF-8"
        ) from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_docx(path: Path) -> str:
    """Body paragraphs and table cells in document order, one paragraph per line."""
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph as DocxParagraph

        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises zipfile, KeyError, ValueError, lxml errors
        kind = type(error).__name__
        raise InputError(f"{path.name}: not a readable DOCX file ({kind})") from error

    lines: list[str] = []

    def walk(container) -> None:
        seen_cells: list = []  # the cell elements themselves: id() of lxml proxies is reused
        for block in container.iter_inner_content():
            if isinstance(block, DocxParagraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                for row in block.rows:
                    for cell in row.cells:
                        if any(cell._tc is seen for seen in seen_cells):  # merged cells repeat
                            continue
                        seen_cells.append(cell._tc)
                        walk(cell)

    walk(document)
    return "\n".join(line.replace("\r", "") for line in lines)


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{path.name}: the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as error:  # pypdf raises many types for damaged files
        raise InputError(f"{path.name}: not a readable PDF ({type(error).__name__})") from error
    text = "\f".join(page.replace("\r\n", "\n").replace("\r", "\n") for page in pages)
    if not text.strip():
        raise InputError(
            f"{path.name}: the PDF has no text layer (scanned image?); it needs OCR first"
        )
    return text
