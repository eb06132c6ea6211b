"""Export real UN devset sentences (fr/en/ar) and read them back with three independent readers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree
from translate.storage.tmx import tmxfile

from resolign.tmx import check_tmx, iter_tmx_units, read_tmx, write_tmx
from resolign.units import Annotations, Unit

LINES = 200
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def devset_units(devset_dir: Path, limit: int | None = LINES) -> list[Unit]:
    """One Unit per devset line; document and symbol from .ids, the fr line number as paragraph."""
    columns = {
        name: (devset_dir / f"UNv1.0.devset.{name}").read_text("utf-8").splitlines()[:limit]
        for name in ("fr", "en", "ar", "ids")
    }
    units = []
    for index, ids in enumerate(columns["ids"]):
        fields = ids.split()
        document = fields[0]
        fr_position = next(f for f in fields if f.startswith("fr:")).split(":")[1]
        units.append(
            Unit(
                texts={lang: columns[lang][index] for lang in ("fr", "en", "ar")},
                document=document,
                symbol=document.split("/", 1)[1].upper(),
                paragraph=fr_position,
                score=round(0.5 + (index % 50) / 100, 2),
                created=datetime(2015, 6, 1, 12, 30, index % 60, tzinfo=UTC),
            )
        )
    return units


@pytest.fixture(scope="module")
def units(devset_dir: Path) -> list[Unit]:
    return devset_units(devset_dir)


@pytest.fixture(scope="module")
def exported(units: list[Unit], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmx") / "devset.tmx"
    report = write_tmx(units, path)
    assert (report.written, report.skipped, report.warnings) == (LINES, 0, [])
    return path


def test_export_passes_check(exported: Path) -> None:
    assert check_tmx(exported) == []


def test_header_follows_tmx_14b(exported: Path) -> None:
    root = etree.parse(str(exported)).getroot()
    header = root.find("header")
    assert root.get("version") == "1.4"
    assert header is not None
    expected = {
        "creationtool": "resolign",
        "datatype": "plaintext",
        "segtype": "paragraph",
        "o-tmf": "resolign",
        "adminlang": "en",
        "srclang": "fr",
    }
    assert {key: header.get(key) for key in expected} == expected
    assert header.get("creationtoolversion")
    tu = root.find("body/tu")
    assert tu is not None
    assert tu.get("tuid") == "1" and tu.get("creationdate") == "20150601T123000Z"
    assert [tuv.get(XML_LANG) for tuv in tu.findall("tuv")] == ["fr", "en", "ar"]
    assert {p.get("type") for p in tu.findall("prop")} == {
        "x-document",
        "x-symbol",
        "x-paragraph",
        "x-score",
    }


def test_translate_toolkit_and_lxml_agree(exported: Path, units: list[Unit]) -> None:
    store = tmxfile(exported.open("rb"))
    assert len(store.units) == LINES
    assert len(etree.parse(str(exported)).getroot().findall("body/tu")) == LINES
    for tt_unit, unit in zip(store.units, units, strict=True):
        assert tt_unit.source == unit.texts["fr"]
        assert tt_unit.gettarget("ar") == unit.texts["ar"]
        assert tt_unit.gettarget("en") == unit.texts["en"]


def test_arabic_is_byte_exact(exported: Path, units: list[Unit]) -> None:
    data = exported.read_bytes()
    for unit in units:
        assert f"<seg>{escape(unit.texts['ar'])}</seg>".encode() in data


def test_round_trip_texts_and_props(exported: Path, units: list[Unit]) -> None:
    back = read_tmx(exported)
    # the export numbers its TUs and an import keeps every tuid; apart from that, the same units
    assert [u.annotations.attributes for u in back] == [{"tuid": str(i + 1)} for i in range(LINES)]
    for unit in back:
        unit.annotations = Annotations()
    assert back == units  # texts, document, symbol, paragraph, score, created (whole seconds)


def test_bytes_source_and_streaming_reader_agree(exported: Path) -> None:
    assert list(iter_tmx_units(exported.read_bytes())) == read_tmx(exported)


def test_bidi_marks_in_real_arabic_survive(units: list[Unit], tmp_path: Path) -> None:
    marks = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
    unit = units[1]
    marked = Unit(
        texts={"fr": unit.texts["fr"], "ar": marks + unit.texts["ar"] + "\u200f"},
        created=unit.created,
    )
    path = tmp_path / "bidi.tmx"
    write_tmx([marked], path)
    assert marked.texts["ar"].encode("utf-8") in path.read_bytes()
    assert read_tmx(path)[0].texts == marked.texts


@pytest.mark.slow
def test_whole_devset(devset_dir: Path, tmp_path: Path) -> None:
    units = devset_units(devset_dir, limit=None)
    path = tmp_path / "all.tmx"
    report = write_tmx(units, path, lang_codes={"fr": "fr-FR", "en": "en-GB", "ar": "ar-SA"})
    assert report.written == len(units) == 4000
    assert check_tmx(path) == []
    assert len(tmxfile(path.open("rb")).units) == 4000
    assert [u.texts for u in read_tmx(path)] == [u.texts for u in units]
