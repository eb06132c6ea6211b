"""Property: any unicode in a unit gives a TMX that parses, validates and reads back the same,
minus exactly the characters XML 1.0 forbids."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from resolign.tmx import check_tmx, read_tmx, write_tmx
from resolign.units import Unit

SPECIAL = (
    "\x00\x01\x08\x0b\x0c\x1f\x7f\x85\x9f\t\n\r \u00a0"
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2069"
    "\ud800\udfff\ufffe\uffff\U0001f600"
    "&<>'\"]]>;#x"
    "مرحبا"
)
characters = st.one_of(
    st.characters(exclude_categories=()),  # all categories hypothesis draws from
    st.sampled_from(SPECIAL),  # controls, lone surrogates, bidi marks, XML syntax
)
texts = st.text(alphabet=characters, max_size=40)


def xml_legal(char: str) -> bool:
    """XML 1.0 Char production, written out independently of the implementation."""
    code = ord(char)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def legal(text: str) -> str:
    return "".join(char for char in text if xml_legal(char))


@settings(max_examples=250, deadline=None)
@given(
    fr=texts,
    en=texts,
    ar=texts,
    symbol=texts,
    paragraph=texts,
    score=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
)
def test_any_text_round_trips(
    fr: str, en: str, ar: str, symbol: str, paragraph: str, score: float | None
) -> None:
    created = datetime(2021, 2, 3, 4, 5, 6, tzinfo=UTC)
    unit = Unit(
        {"fr": fr, "en": en, "ar": ar},
        symbol=symbol,
        paragraph=paragraph,
        score=score,
        created=created,
    )
    buffer = io.BytesIO()
    report = write_tmx([unit], buffer)
    data = buffer.getvalue()

    etree.fromstring(data)  # a plain, default lxml parse accepts it
    assert check_tmx(data) == []

    expected = {lang: legal(text) for lang, text in unit.texts.items() if legal(text).strip()}
    back = read_tmx(data)
    if len(expected) < 2:
        assert back == [] and report.skipped == 1
        return
    [read] = back
    assert read.texts == expected
    assert (read.symbol, read.paragraph) == (legal(symbol), legal(paragraph))
    assert read.score == score
    assert read.created == created
