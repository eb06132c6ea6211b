"""Export options, warnings and streaming of write_tmx / iter_tmx_bytes."""

from __future__ import annotations

import io
import os
import stat
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree
from translate.storage.tmx import tmxfile

from resolign.errors import TmxError
from resolign.tmx import WriteReport, check_tmx, iter_tmx_bytes, read_tmx, write_tmx
from resolign.tmx.writer import MAX_DETAILED_WARNINGS
from resolign.units import Annotation, Annotations, Unit, Variant

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def unit(score: float | None = None, **texts: str) -> Unit:
    return Unit(texts=texts, symbol="A/RES/1", paragraph="2", score=score, created=WHEN)


def export(units: list[Unit], **options: object) -> tuple[etree._Element, WriteReport, bytes]:
    buffer = io.BytesIO()
    report = write_tmx(units, buffer, **options)  # type: ignore[arg-type]
    data = buffer.getvalue()
    assert check_tmx(data) == []
    return etree.fromstring(data), report, data


def langs(root: etree._Element) -> list[list[str]]:
    return [[tuv.get(XML_LANG) for tuv in tu.findall("tuv")] for tu in root.iter("tu")]


def test_pair_mode_keeps_only_units_with_both() -> None:
    units = [unit(fr="a", en="b", ar="c"), unit(en="b", ar="c"), unit(fr="a", ar="c")]
    root, report, _ = export(units, pair=("fr", "en"))
    assert langs(root) == [["fr", "en"]]
    assert (report.written, report.skipped) == (1, 2)
    assert report.warnings == ["2 unit(s) without both fr and en left out"]
    root, report, _ = export(units, pair=("ar", "fr"))
    assert root.find("header").get("srclang") == "ar"
    assert langs(root) == [["ar", "fr"], ["ar", "fr"]]


def test_min_score_counts_weak_units_and_keeps_unscored() -> None:
    units = [unit(0.9, fr="a", en="b"), unit(0.2, fr="c", en="d"), unit(None, fr="e", en="f")]
    root, report, _ = export(units, min_score=0.5)
    assert [seg.text for seg in root.iter("seg")] == ["a", "b", "e", "f"]
    assert (report.written, report.skipped) == (2, 1)
    assert report.warnings == ["1 unit(s) below min_score 0.5 left out"]


def test_lang_codes_map_tuvs_and_srclang_and_read_back() -> None:
    codes = {"fr": "fr-FR", "en": "en-GB", "ar": "ar-SA"}
    root, _, data = export([unit(fr="a", en="b", ar="ج")], lang_codes=codes, segtype="sentence")
    header = root.find("header")
    assert (header.get("srclang"), header.get("segtype")) == ("fr-FR", "sentence")
    assert langs(root) == [["fr-FR", "en-GB", "ar-SA"]]
    assert read_tmx(data)[0].texts == {"fr": "a", "en": "b", "ar": "ج"}


def test_unit_without_french_names_its_own_srclang() -> None:
    root, _, data = export([unit(en="Hello", ar="مرحبا")])
    tu = root.find("body/tu")
    assert tu.get("srclang") == "en"
    assert tmxfile.parsestring(data).units[0].source == "Hello"


def test_escaping_and_illegal_characters() -> None:
    text = "a < b && \"c\" > 'd' \x00\x0b\x1f\ufffe\ud800 ]]> \r\n\t end"
    root, report, data = export([unit(fr=text, en="x\x07y")])
    assert root.find("body/tu/tuv/seg").text == "a < b && \"c\" > 'd'  ]]> \r\n\t end"
    assert b"&lt; b &amp;&amp;" in data and b"]]&gt;" in data
    assert report.warnings == [
        "unit 1 (A/RES/1, paragraph 2): removed 5 character(s) not allowed in XML 1.0 from fr",
        "unit 1 (A/RES/1, paragraph 2): removed 1 character(s) not allowed in XML 1.0 from en",
    ]


def test_long_segment_is_kept_with_a_warning() -> None:
    long = "مرحبا " * 400
    root, report, _ = export([unit(fr="x" * 2000, ar=long)])
    assert root.find("body/tu/tuv[2]/seg").text == long
    assert report.warnings == [
        "unit 1 (A/RES/1, paragraph 2): ar segment has 2400 characters, over the 2000 some "
        "tools (Trados Cloud) accept; kept"
    ]


def test_units_with_fewer_than_two_languages_are_skipped() -> None:
    units = [unit(fr="seul"), unit(fr="a", en="  "), unit(fr="\x00", en="b"), unit(fr="a", en="b")]
    root, report, _ = export(units)
    assert (report.written, report.skipped) == (1, 3)
    assert root.find("body/tu").get("tuid") == "1"
    assert (
        "unit 1 (A/RES/1, paragraph 2): skipped, a TU needs at least two languages (has: fr)"
        in (report.warnings)
    )
    assert any("unit 3" in w and "(has: en)" in w for w in report.warnings)


def test_dates_are_utc() -> None:
    plus_three = timezone(timedelta(hours=3))
    units = [
        Unit({"fr": "a", "en": "b"}, created=datetime(2024, 1, 1, 2, 0, 0, tzinfo=plus_three)),
        Unit({"fr": "a", "en": "b"}, created=datetime(2024, 1, 1, 2, 0, 0)),
    ]
    root, _, _ = export(units)
    assert [tu.get("creationdate") for tu in root.iter("tu")] == [
        "20231231T230000Z",
        "20240101T020000Z",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"segtype": "line"}, "segtype must be one of"),
        ({"pair": ("fr", "fr")}, "pair must be two different language codes"),
        ({"lang_codes": {"fr": "fr FR"}}, "not a language tag"),
        ({"min_score": float("nan")}, "min_score must be a number"),
    ],
)
def test_bad_options_fail_before_the_first_byte(options: dict, message: str) -> None:
    consumed = []

    def units() -> Iterator[Unit]:
        consumed.append(1)
        yield unit(fr="a", en="b")

    with pytest.raises(TmxError, match=message):
        iter_tmx_bytes(units(), **options)
    assert consumed == []


def test_path_export_is_atomic(tmp_path: Path) -> None:
    def failing() -> Iterator[Unit]:
        yield unit(fr="a", en="b")
        raise RuntimeError("database went away")

    path = tmp_path / "out.tmx"
    with pytest.raises(RuntimeError):
        write_tmx(failing(), path)
    assert list(tmp_path.iterdir()) == []
    report = write_tmx([unit(fr="a", en="b")], path)
    assert report.written == 1 and check_tmx(path) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out.tmx"]


def test_warnings_are_capped() -> None:
    _, report, _ = export([unit(fr="a\x01", en="b") for _ in range(MAX_DETAILED_WARNINGS + 50)])
    assert len(report.warnings) == MAX_DETAILED_WARNINGS + 1
    assert report.warnings[-1] == "... and 50 more warning(s) not listed"


def test_streaming_is_lazy_and_memory_flat() -> None:
    """5,000 units (~2.4 MB of TMX): chunks come while units are still being produced, and the
    peak of Python allocations stays under 512 KiB (a few chunks), whatever the output size."""
    produced = 0
    text = "Prend note du rapport du Secrétaire général sur la revitalisation " * 2

    def units() -> Iterator[Unit]:
        nonlocal produced
        for index in range(5_000):
            produced += 1
            yield Unit(
                {"fr": text, "en": f"unit {index}", "ar": "يحيط علما بتقرير الأمين العام"},
                symbol=f"A/RES/{index}",
                created=WHEN,
            )

    report = WriteReport()
    tracemalloc.start()
    try:
        chunks = iter_tmx_bytes(units(), report=report)
        first = next(chunks)
        produced_at_first_chunk = produced
        total = len(first) + sum(len(chunk) for chunk in chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.written == 5_000
    assert produced_at_first_chunk < 500
    assert total > 2_000_000
    assert peak < 512 * 1024, (peak, total)


def test_exported_file_takes_the_umask_or_keeps_the_old_mode(tmp_path: Path) -> None:
    """mkstemp made every export 0600; a TMX is meant to be read by other people and tools."""
    path = tmp_path / "out.tmx"
    old = os.umask(0o022)
    try:
        write_tmx([unit(fr="a", en="b")], path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.umask(0o077)
        path.chmod(0o664)
        write_tmx([unit(fr="a", en="b")], path)  # replacing keeps the file's mode
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
        write_tmx([unit(fr="a", en="b")], tmp_path / "new.tmx")
        assert stat.S_IMODE((tmp_path / "new.tmx").stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.tmx", "out.tmx"]


def test_variants_codes_and_annotations_are_written_back() -> None:
    source = Unit(
        variants=[
            Variant("en-US", "Click \nhere", 'Click <ph x="1">&lt;br/&gt;</ph>here',
                    Annotations({"changeid": "ys"}, [Annotation("note", "n", {"xml:lang": "en"})])),
            Variant("en-GB", "Click here"),
            Variant("fr-CA", "  "),
        ],
        annotations=Annotations(
            {"tuid": "t-7", "usagecount": "2", "srclang": "en-GB"},
            [Annotation("prop", "v", {"type": "Txt::Group"})],
        ),
        provenance={"origin": "tmx"},
        resolution="1/47-POL",
        created=WHEN,
    )
    header = Annotations({"creationtool": "Other"}, [Annotation("note", "header note")])
    root, report, data = export([source], headers=[header, header])
    tu = root.find("body/tu")
    assert (tu.get("tuid"), tu.get("usagecount"), tu.get("srclang")) == ("t-7", "2", "en-GB")
    assert [(p.get("type"), p.text) for p in tu.findall("prop")] == [
        ("x-resolution", "1/47-POL"), ("x-provenance-origin", "tmx"), ("Txt::Group", "v")
    ]
    assert langs(root) == [["en-US", "en-GB"]]
    assert root.find("header/note").text == "header note"
    assert len(root.findall("header/note")) == 1
    assert report.warnings == ["1 empty segment(s) left out of the TUs written (no text, no code)"]
    assert b'Click <ph x="1">&lt;br/&gt;</ph>here' in data
    [back] = read_tmx(data)
    assert back.variants == source.variants[:2]
    assert (back.provenance, back.resolution) == (source.provenance, source.resolution)
    assert back.annotations == source.annotations


def test_markup_that_does_not_parse_falls_back_to_the_text() -> None:
    broken = Unit(variants=[Variant("fr", "a b", "a <ph>b"), Variant("en", "c")], created=WHEN)
    root, report, _ = export([broken])
    assert [seg.text for seg in root.iter("seg")] == ["a b", "c"]
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("unit 1: fr segment markup is not well-formed XML")
