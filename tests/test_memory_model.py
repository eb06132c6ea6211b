"""The memory keeps what translation memories hold (issue 12): every real TMX file of
../shared/data/tmx-wild goes through `resolign import` and `resolign export` with nothing lost,
any language is searchable, a release-0.1 memory opens with nothing lost, and review changes
(edit, split, merge, delete) keep a history that can be undone.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from resolign.cli import main
from resolign.errors import InputError, NotFound
from resolign.service.memory import NO_ENCODER, Memory
from resolign.tmx import read_tmx
from tests.conftest import ROOT, SHARED
from tests.devset import devset_units
from tests.tmx_inventory import inventory, missing

WILD = SHARED / "data" / "tmx-wild"
FILES = sorted(p for p in WILD.glob("*") if p.suffix.lower() == ".tmx")
HEADERLESS = "opentm2_T4.allsegs.tmx"
RELEASE_01 = ROOT / "tests" / "data" / "memory" / "release-0.1.db"


def import_export(path: Path, db: Path, out: Path, capsys: pytest.CaptureFixture) -> str:
    assert main(["import", str(path), "--db", str(db), "--encoder", NO_ENCODER]) == 0
    said = capsys.readouterr().out
    assert main(["export", "--db", str(db), str(out)]) == 0
    return said


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_import_then_export_loses_nothing(path: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    db, out = tmp_path / "new.db", tmp_path / "out.tmx"
    if path.name == HEADERLESS:
        assert main(["import", str(path), "--db", str(db), "--encoder", NO_ENCODER]) == 2
        assert "<body> without a <header>" in capsys.readouterr().err
        with Memory.open(db, encoder=NO_ENCODER) as memory:
            assert memory.count() == 0
        return
    said = import_export(path, db, out, capsys)
    before, after = inventory(path), inventory(out)
    for kind in ("tuvs", "tu_remarks", "tuv_remarks", "header_remarks", "tu_attributes",
                 "tuv_attributes"):
        assert missing(getattr(before, kind), getattr(after, kind)) == set(), kind
    assert f"{before.tus} TUs read" in said
    # the same file again adds nothing
    with Memory.open(db, encoder=NO_ENCODER) as memory:
        count = memory.count()
        again = memory.import_tmx(path)
        assert again.added.added == 0 and memory.count() == count
    assert out.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_any_language_and_region_is_searched(tmp_path: Path) -> None:
    with Memory.open(tmp_path / "m.db", encoder=NO_ENCODER) as memory:
        for name in ("rws_tw4win_sample_en-de.tmx", "omegat_ImportTest1J.tmx"):
            memory.import_tmx(WILD / name)
        assert {"de-DE", "en-US", "en-GB"} <= memory.tags()
        [hit] = memory.search("Neue Funktionen", src="de", tgt="en")
        assert (hit.kind, hit.target) == ("exact", "New Features")
        hit = memory.search("First entry in UK English", src="en-GB", tgt="en-US")[0]
        assert (hit.kind, hit.target) == ("exact", "First entry in US English")
        assert memory.search("First entry in UK English", src="en-GB", tgt="de") == []
        hits = memory.concordance("entry in", lang="en-US")
        assert {h.text for h in hits} == {"First entry in US English",
                                         "Second entry in US English"}
        with pytest.raises(InputError, match="unknown language 'es'"):
            memory.search("entry", src="es", tgt="en")


def test_the_cli_searches_any_language_the_memory_holds(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    db = tmp_path / "m.db"
    assert main(["import", str(WILD / "rws_tw4win_sample_en-de.tmx"), "--db", str(db),
                 "--encoder", NO_ENCODER]) == 0
    capsys.readouterr()
    assert main(["search", "Neue Funktionen", "--db", str(db), "--src", "de", "--tgt", "en",
                 "--no-semantic"]) == 0
    assert "en  New Features" in capsys.readouterr().out
    assert main(["concordance", "Funktionen", "--db", str(db), "--lang", "de"]) == 0
    assert "[Funktionen]" in capsys.readouterr().out
    assert main(["search", "entry", "--db", str(db), "--src", "es", "--tgt", "en"]) == 2
    assert "the memory also holds de" in capsys.readouterr().err


def test_a_release_01_memory_opens_and_exports_with_nothing_lost(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = tmp_path / "old.db"
    shutil.copy(RELEASE_01, db)
    raw = sqlite3.connect(db)
    old_units = raw.execute("SELECT id, document, symbol, paragraph, score, created FROM units "
                            "ORDER BY id").fetchall()
    old_texts = raw.execute("SELECT unit_id, lang, text FROM segments").fetchall()
    raw.close()
    with Memory.open(db, encoder=NO_ENCODER) as memory:
        units = list(memory.iter_units())
        assert [(u.id, u.document, u.symbol, u.paragraph, u.score, u.created.isoformat())
                for u in units] == old_units
        assert sorted((u.id, lang, text) for u in units for lang, text in u.texts.items()) == \
            sorted(old_texts)
        first = old_texts[0]
        [match] = memory.search(first[2], src=first[1], tgt="en" if first[1] != "en" else "fr")
        assert match.kind == "exact" and match.unit_id == first[0]
        assert memory.import_tmx(export(memory, tmp_path)).added.added == 0
    out = tmp_path / "out.tmx"
    assert main(["export", "--db", str(db), str(out)]) == 0
    exported = read_tmx(out)
    assert sorted((lang, text) for u in exported for lang, text in u.texts.items()) == \
        sorted((lang, text) for _, lang, text in old_texts)
    assert sorted(u.paragraph for u in exported) == sorted(row[3] for row in old_units)


def export(memory: Memory, folder: Path) -> Path:
    from resolign.tmx.writer import write_tmx

    path = folder / "again.tmx"
    write_tmx(memory.iter_units(), path, one_sided=True)
    return path


def test_a_failed_migration_leaves_the_old_file_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(RELEASE_01, db)
    before = db.read_bytes()
    raw = sqlite3.connect(db)
    raw.execute("CREATE TABLE variants(x)")  # a table in the way: the migration must fail
    raw.commit()
    raw.close()
    with pytest.raises(InputError):
        Memory.open(db, encoder=NO_ENCODER)
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    assert raw.execute("SELECT count(*) FROM segments").fetchone()[0] > 0
    raw.close()
    assert len(before) > 0


def test_review_changes_keep_history_and_can_be_undone(tmp_path: Path) -> None:
    units = devset_units(0, 6)
    with Memory.open(tmp_path / "m.db", encoder=NO_ENCODER) as memory:
        a, b, c, d, e, f = memory.add_units(units).ids
        corrected = units[0].texts["en"] + " (corrected)"
        a2 = memory.edit_unit(a, {"en": corrected}, who="reviewer")
        assert memory.get_unit(a) is None and memory.get_unit(a2).texts["en"] == corrected
        assert memory.get_unit(a2).texts["fr"] == units[0].texts["fr"]
        assert memory.search(units[0].texts["fr"], src="fr", tgt="en")[0].target == corrected

        b_parts = memory.split_unit(b, [{"fr": "Première partie.", "en": "First part."},
                                        {"fr": "Seconde partie.", "en": "Second part."}],
                                    who="reviewer")
        merged = memory.merge_units([c, d], who="reviewer")
        assert memory.get_unit(merged).texts["fr"] == \
            f"{units[2].texts['fr']} {units[3].texts['fr']}"
        memory.delete_unit(e, who="reviewer")
        assert memory.count() == 6 - 2 + 2 - 2 + 1 - 1 + 1
        assert memory.concordance(units[4].texts["fr"].split()[0], lang="fr", limit=50) == [
            h for h in memory.concordance(units[4].texts["fr"].split()[0], lang="fr", limit=50)
            if h.unit_id != e]

        [edit] = memory.history(a2)
        assert (edit.action, edit.who, edit.before_ids, edit.after_ids) == (
            "edit", "reviewer", [a], [a2])
        assert edit.before[0]["variants"][1]["text"] == units[0].texts["en"]
        [deletion] = memory.history(e)
        undo = memory.undo(deletion.id, who="reviewer")
        assert memory.get_unit(e).texts == units[4].texts and undo.action == "undo"
        memory.undo(memory.history(merged)[0].id, who="reviewer")
        assert memory.get_unit(merged) is None
        assert memory.get_unit(c).texts == units[2].texts
        with pytest.raises(InputError, match="already undone"):
            memory.undo(deletion.id, who="reviewer")
        assert [memory.get_unit(i).texts["en"] for i in b_parts] == ["First part.",
                                                                     "Second part."]
        with pytest.raises(NotFound):
            memory.edit_unit(a, {"en": "again"}, who="reviewer")  # replaced already
        with pytest.raises(InputError, match="who"):
            memory.delete_unit(f, who=" ")
        assert memory.get_unit(f) is not None


def test_the_unit_page_and_api_show_what_other_tools_wrote(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from resolign.service.http.app import create_app

    db = tmp_path / "m.db"
    with Memory.open(db, encoder=NO_ENCODER) as memory:
        memory.import_tmx(WILD / "omegat_ImportTest1L.tmx")
        unit = next(memory.iter_units())
    with TestClient(create_app(db, encoder=NO_ENCODER)) as client:
        data = client.get(f"/api/units/{unit.id}").json()
        page = client.get(f"/units/{unit.id}").text
    assert [v["lang"] for v in data["variants"]] == [v.lang for v in unit.variants]
    remarks = [r["text"] for r in data["remarks"]] + [
        r["text"] for v in data["variants"] for r in v["remarks"]]
    assert remarks and sorted(remarks) == sorted(
        [e.text for e in unit.annotations.entries]
        + [e.text for v in unit.variants for e in v.annotations.entries])
    for variant in unit.variants:
        assert f'<span class="tag">{variant.lang}</span>' in page
    for text in remarks:
        assert text.split("\n")[0] in page


def test_a_corrected_unit_is_exported_with_changedate_and_changeid(tmp_path: Path) -> None:
    from lxml import etree

    from resolign.tmx.writer import iter_tmx_bytes

    with Memory.open(tmp_path / "m.db", encoder=NO_ENCODER) as memory:
        first, second = memory.add_units(devset_units(0, 2)).ids
        memory.edit_unit(first, {"en": "A corrected translation."}, who="amina")
        root = etree.fromstring(b"".join(iter_tmx_bytes(memory.iter_units())))
    tus = root.findall("body/tu")
    untouched, corrected = tus  # the corrected unit has a new id, after the untouched one
    assert untouched.get("changeid") is None
    assert corrected.get("changeid") == "amina"
    assert corrected.get("changedate") >= corrected.get("creationdate")
    assert "A corrected translation." in etree.tostring(corrected, encoding="unicode")
