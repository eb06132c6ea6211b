"""Layouts built from real devset text: short one-paragraph-per-line files with blank lines,
and one very long hard-wrapped paragraph (rebuilt in one piece, in linear time)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from resolign.align.paragraphs import rebuild_paragraphs
from resolign.align.resolutions import document_symbol

MASTHEAD = ["United Nations", "A/79/L.9/Rev.1", "General Assembly", "Seventy-ninth session"]


def devset_lines(devset_dir: Path, lang: str) -> list[str]:
    text = (devset_dir / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def short_sentences(devset_dir: Path, lang: str, count: int) -> list[str]:
    """Complete sentences under 140 characters (so the file looks like wrapped text by length)."""
    lines = devset_lines(devset_dir, lang)
    picked = [s for s in lines if 60 <= len(s) <= 140 and s[0].isupper() and s[-1] in ".;,:"]
    return picked[:count]


def test_short_one_paragraph_per_line_file_with_blank_lines(devset_dir):
    title = "Cooperation between the United Nations and the Organization of Islamic Cooperation"
    lines = [*MASTHEAD, title, "The General Assembly,", *short_sentences(devset_dir, "en", 6)]
    paragraphs = rebuild_paragraphs("\n\n".join(lines) + "\n")
    assert [p.text for p in paragraphs] == lines  # nothing glued: "United Nations A/79/..."
    assert [p.kind for p in paragraphs[:6]] == ["heading"] * 6
    assert document_symbol(paragraphs) == "A/79/L.9/Rev.1"


def test_short_french_file_with_blank_lines(devset_dir):
    lines = ["Nations Unies", "A/RES/73/135", *short_sentences(devset_dir, "fr", 8)]
    paragraphs = rebuild_paragraphs("\n\n".join(lines))
    assert [p.text for p in paragraphs] == lines
    assert document_symbol(paragraphs) == "A/RES/73/135"


def test_one_very_long_wrapped_paragraph_stays_one(devset_dir):
    words = re.sub(r"[^\w\s'’-]", "", " ".join(devset_lines(devset_dir, "fr"))).lower().split()
    words = [w for w in words if w.strip("-")]
    wrapped = textwrap.wrap(" ".join(words), 90, break_on_hyphens=False)[:4000]
    (paragraph,) = rebuild_paragraphs("\n".join(wrapped))
    assert paragraph.text == " ".join(wrapped)
    assert len(paragraph.text) > 300_000
