"""Ingestion of real seed text through TXT, DOCX and PDF files built in the test, and refusals."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from resolign.align.ingest import read_text
from resolign.align.paragraphs import presegmented_paragraphs, rebuild_paragraphs
from resolign.errors import InputError


def seed_lines(seeds_dir: Path, prefix: str) -> list[str]:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def write_pdf(path: Path, pages: list[list[str]]) -> None:
    """A minimal valid PDF: Helvetica, WinAnsi (covers French), one text line per row."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # pages, filled below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for lines in pages:
        stream = b"BT /F1 10 Tf 12 TL 40 800 Td " + b"".join(
            _pdf_string(line) + b" Tj T* " for line in lines
        ) + b"ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def test_txt_and_md_with_bom(tmp_path, seeds_dir):
    lines = seed_lines(seeds_dir, "004")
    path = tmp_path / "communique.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    text = read_text(path)
    assert text.startswith("Le Secrétariat général")  # BOM gone, CRLF normalised
    assert text.split("\n") == lines
    md = tmp_path / "note.md"
    md.write_text("# Titre\n\nL’OCI se félicite.\n", encoding="utf-8")
    assert read_text(md) == "# Titre\n\nL’OCI se félicite.\n"


def test_pdf_from_seed_text_rebuilds_paragraphs_across_the_page_break(tmp_path, seeds_dir):
    lines = seed_lines(seeds_dir, "000")
    lines = lines[: next(i for i, line in enumerate(lines) if "Erdoğan" in line)]  # not cp1252
    cut = next(i for i, line in enumerate(lines) if line.startswith("2- ")) + 4
    path = tmp_path / "communique.pdf"
    write_pdf(path, [lines[:cut], lines[cut:]])
    text = read_text(path)
    assert "\f" in text  # page boundary preserved for reconstruction
    assert "Mosquées, le Roi Salman bin Abdulaziz Al Saoud." in text
    paragraphs = rebuild_paragraphs(text)
    assert [p.number for p in paragraphs] == ["1", "2", "3"]
    second = paragraphs[1].text
    assert second.startswith("2- La Conférence a réitéré son attachement")
    assert "au service des causes de l’islam et des musulmans, et dans un esprit" in second
    assert second.endswith("et des réunions du Comité exécutif.")


def test_docx_paragraphs_and_table_cells_in_order(tmp_path, seeds_dir):
    lines = seed_lines(seeds_dir, "001")
    toc = [line.split("\t") for line in lines if line[:3] in {"1.\t", "2.\t"}]
    heading = lines.index("RESOLUTION N°1/47-POL")
    body = lines[heading : heading + 6]
    document = docx.Document()
    document.add_paragraph("Table des matières")
    table = document.add_table(rows=len(toc), cols=3)
    for row, cells in zip(table.rows, toc, strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    for line in body:
        document.add_paragraph(line)
    path = tmp_path / "resolutions.docx"
    document.save(str(path))
    text = read_text(path)
    assert text.split("\n") == ["Table des matières"] + [c for row in toc for c in row] + body
    paragraphs = presegmented_paragraphs(text)
    assert paragraphs[-6].text == "RESOLUTION N°1/47-POL" and paragraphs[-6].kind == "heading"
    assert paragraphs[-1].number == "1"


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    write_pdf(path, [[]])
    with pytest.raises(InputError, match="OCR"):
        read_text(path)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("latin1.txt", "Résolution".encode("latin-1"), r"latin1\.txt: not valid UTF-8 at byte.* 1"),
        ("binary.txt", b"RESOLUTION\x00\x01\x02", r"binary\.txt: binary content .*offset 10"),
        ("empty.txt", b"", r"empty\.txt: the document is empty"),
        ("blank.md", b" \n\t\n", r"blank\.md: the document is empty"),
        ("broken.docx", b"PK\x03\x04 not really a zip", r"broken\.docx: not a readable DOCX"),
        ("broken.pdf", b"%PDF-1.4 garbage", r"broken\.pdf: not a readable PDF"),
        ("notes.rtf", b"{\\rtf1 hello}", r"notes\.rtf: unsupported file type \.rtf"),
        ("README", b"hello", r"README: unsupported file type \(none\)"),
    ],
)
def test_refusals_are_one_line_and_name_the_file(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        read_text(path)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_text(tmp_path / "absent.txt")


def test_empty_docx(tmp_path):
    path = tmp_path / "empty.docx"
    docx.Document().save(str(path))
    with pytest.raises(InputError, match="empty"):
        read_text(path)
