"""39 real TMX files from 12 tools: read -> units -> JSON (as a store keeps them) -> TMX, judged
by an independent lxml parse (tests/tmx_inventory.py): nothing of the input may be missing.

The files stay in ../shared/data/tmx-wild (third parties' test files, never copied here).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolign.errors import TmxError
from resolign.tmx import check_tmx, read_tmx, write_tmx
from resolign.tmx.check import inspect_tmx
from resolign.tmx.reader import read_tmx_report
from resolign.units import Unit, absorb_duplicate
from tests.conftest import SHARED
from tests.tmx_inventory import inventory, missing

WILD = SHARED / "data" / "tmx-wild"
FILES = sorted(p for p in WILD.glob("*") if p.suffix.lower() == ".tmx")
HEADERLESS = "opentm2_T4.allsegs.tmx"


def wild(name: str) -> Path:
    return WILD / name


def stored(units: list[Unit], merged_tuids: set[str] | None = None) -> list[Unit]:
    """What a store does with units: JSON out and back, duplicates (same key) folded into the
    first with everything they carry; the tuids of the TUs merged away go into `merged_tuids`."""
    kept: dict[str, Unit] = {}
    for unit in units:
        copy = Unit.from_json(json.loads(json.dumps(unit.to_json(), ensure_ascii=False)))
        assert copy == unit
        key = copy.dedup_key()
        if key in kept:
            absorb_duplicate(kept[key], copy)
            if merged_tuids is not None and "tuid" in copy.annotations.attributes:
                merged_tuids.add(copy.annotations.attributes["tuid"])
        else:
            kept[key] = copy
    return list(kept.values())


def test_all_39_files_are_there() -> None:
    assert len(FILES) == 39, f"expected the 39 files of {WILD}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_round_trip_loses_nothing(path: Path, tmp_path: Path) -> None:
    if path.name == HEADERLESS:
        with pytest.raises(TmxError, match=r"not TMX: <body> without a <header> before it"):
            read_tmx(path)
        return
    units, report = read_tmx_report(path)
    merged_tuids: set[str] = set()
    memory = stored(units, merged_tuids)
    out = tmp_path / "out.tmx"
    written = write_tmx(memory, out, one_sided=True, headers=[report.header])
    assert written.written == len(memory) and written.skipped == 0

    before, after = inventory(path), inventory(out)
    assert missing(before.tuvs, after.tuvs) == set()
    assert missing(before.tu_remarks, after.tu_remarks) == set()
    assert missing(before.tuv_remarks, after.tuv_remarks) == set()
    assert missing(before.header_remarks, after.header_remarks) == set()
    assert missing(before.tu_attributes, after.tu_attributes) == set()
    assert missing(before.tuv_attributes, after.tuv_attributes) == set()
    # a TU merged into its duplicate (same text and codes) has its props and notes kept by
    # the one kept, but not its own tuid
    assert set(before.tuids) - set(after.tuids) == merged_tuids - set(after.tuids)
    assert report.tus == before.tus == report.units + report.refused

    # the output is valid TMX; the single-language TUs the input had are only warned about
    assert check_tmx(out) == []
    single = [w for w in inspect_tmx(out).warnings if "single <tuv>" in w.message]
    assert len(single) == report.one_sided

    # reading the export gives back the same segments, codes and tuv annotations
    again = read_tmx(out)
    assert [u.variants for u in again] == [u.variants for u in memory]
    assert [u.dedup_key() for u in again] == [u.dedup_key() for u in memory]

    # importing the same file a second time adds nothing
    assert [u.dedup_key() for u in stored(units + read_tmx(path))] == [
        u.dedup_key() for u in memory
    ]


def test_headerless_file_is_refused_by_check_too() -> None:
    messages = [p.message for p in check_tmx(wild(HEADERLESS))]
    assert "<body> without a <header> before it" in messages
    assert "missing <header>" in messages


def test_whitespace_codes_read_as_whitespace() -> None:
    texts = {u.texts["en"] for u in read_tmx(wild("okapi_html_test.tmx")) if "en" in u.texts}
    assert "This is\na para\ngraph with line breaks" in texts
    [unit] = [u for u in read_tmx(wild("okapi_Paragraph_TM.tmx"))
              if u.texts["en"].startswith("1.\tConfirm")]
    assert "detector.\n\n2.\t" in unit.texts["en"]
    pensieve = {u.texts["fr"] for u in read_tmx(wild("okapi_pensieve_mytm.tmx"))}
    assert "Les éléphants \nne peuvent pas voler." in pensieve


def test_units_differing_only_in_codes_stay_apart() -> None:
    """Pensieve's memory holds "Elephants cannot fly." plain, with <g0>, with <b>, with <br/>."""
    units = read_tmx(wild("okapi_pensieve_mytm.tmx"))
    elephants = [u for u in units if " ".join(u.texts["en"].split()) == "Elephants cannot fly."]
    assert len(elephants) == 4
    assert len({u.dedup_key() for u in elephants}) == 4
    assert sorted(len(u.variants_for("en")[0].markup) > 0 for u in elephants) == [
        False, True, True, True
    ]
    assert len({u.dedup_key() for u in stored(units)}) == len(units)


def test_regions_and_repeated_tags_are_variants() -> None:
    first, second, _ = read_tmx(wild("omegat_test-multiple-tuv.tmx"))
    assert first.tags() == ["en-US", "es", "es-AR", "es-BO", "fr-CA", "fr", "de"]
    assert [v.text for v in first.variants_for("fr-CA")] == [
        "fr_CA Bonjour le monde\u00a0!", "fr_CA Bonjour tout le monde\u00a0!"
    ]
    assert [v.lang for v in first.variants_for("fr")] == ["fr-CA", "fr-CA", "fr"]
    assert [v.lang for v in first.variants_for("es")] == ["es", "es-AR", "es-BO"]
    assert first.texts == {
        "fr": "fr_CA Bonjour le monde\u00a0!",
        "en": "Hello World!",
        "es": "¡Hola Mundo!",
        "de": "Hallo Welt!",
    }
    assert second.text_for("fr-FR") == "fr_FR 2 Bonjour les mondes."


def test_region_pair_exports_with_both_regions(tmp_path: Path) -> None:
    units = read_tmx(wild("omegat_ImportTest1J.tmx"))
    assert [u.tags() for u in units] == [["en-US", "en-GB"], ["en-GB", "en-US"]]
    out = tmp_path / "regions.tmx"
    report = write_tmx(units, out, pair=("en-GB", "en-US"))
    assert report.written == 2 and check_tmx(out) == []
    assert {(k[0]) for k in inventory(out).tuvs} == {"en-gb", "en-us"}
    report = write_tmx(units, out, pair=("fr", "en"))
    assert (report.written, report.skipped) == (0, 2)


def test_pair_takes_every_region_of_each_language(tmp_path: Path) -> None:
    units = read_tmx(wild("omegat_ImportTest1C.tmx"))
    out = tmp_path / "pair.tmx"
    write_tmx(units, out, pair=("en", "fr"))
    languages = {key[0] for key in inventory(out).tuvs}
    assert languages == {"en-us", "en-gb", "fr-ca"}


def test_code_only_tu_is_kept_and_reported() -> None:
    units, report = read_tmx_report(wild("omegat_invalid.tmx"))
    [unit] = units
    assert [v.lang for v in unit.variants] == ["en", "be"]
    assert all(v.markup.count("<") == 8 and not v.text.strip() for v in unit.variants)
    assert (report.tus, report.units, report.code_only, report.refused) == (1, 1, 2, 0)
    warnings = [w.message for w in inspect_tmx(wild("omegat_invalid.tmx")).warnings]
    assert len(warnings) == 2 and all("inline codes but no text" in w for w in warnings)


def test_one_sided_and_trailing_spaces_are_kept() -> None:
    units, report = read_tmx_report(wild("okapi_potest.po.normal.tmx"))
    assert report.one_sided == 3 and len(units) == report.tus == 12
    assert "Text without translation" in {u.texts.get("en") for u in units if len(u.variants) == 1}
    path = wild("omegat_test-match-stat-en-ca11.tmx")
    read = {v.text for u in read_tmx(path) for v in u.variants}
    trailing = {text for _, text, _ in inventory(path).tuvs if text != text.rstrip()}
    assert len(trailing) > 10 and trailing <= read


def test_header_and_other_tools_annotations_come_back() -> None:
    units, report = read_tmx_report(wild("omegat_ImportTest1L.tmx"))
    header = report.header
    assert header.attributes["creationtool"] == "myTool"
    assert header.notes() == ["Text of header note 1", "Text of header note 2"]
    assert header.props() == [("myPropeType", "Data")]
    assert len(header.xml) == 1 and header.xml[0].startswith('<ude name="MacRoman"')
    [unit] = units
    assert unit.annotations.attributes["tuid"] == "tu001"
    assert unit.annotations.attributes["usagecount"] == "100"
    assert unit.annotations.notes() == ["Text of tu note 1", "Text of tu note 2"]
    en = unit.variants_for("en-US")[0]
    assert en.annotations.attributes["changeid"] == "ys"
    assert en.annotations.entries[0].attributes == {"o-encoding": "iso-8859-1", "xml:lang": "en-us"}


def test_non_tmx_dates_are_kept_as_written(tmp_path: Path) -> None:
    data = wild("pontoon_valid_entries.tmx").read_bytes().replace(
        b'<tu tuid="pontoon:aa/bb/ccc:xyz"', b'<tu tuid="pontoon:aa/bb/ccc:xyz" creationdate="2019"'
    )
    second = read_tmx(data)[1]
    assert second.annotations.attributes["creationdate"] == "2019"
    out = tmp_path / "dates.tmx"
    write_tmx([second], out)
    assert b'creationdate="2019"' in out.read_bytes()
