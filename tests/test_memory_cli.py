"""`resolign search / concordance / import / export` end to end, through cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolign.cli import main
from resolign.service.memory import NO_ENCODER, Memory
from resolign.tmx.reader import read_tmx
from resolign.tmx.writer import write_tmx
from tests.devset import devset_units


@pytest.fixture(scope="module")
def tmx_file(devset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmx") / "devset.tmx"
    units = devset_units(0, 40)
    write_tmx(units + units[:3], path, segtype="sentence")
    return path


@pytest.fixture(scope="module")
def memory(tmx_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The devset TMX imported once, with its semantic index (the default)."""
    db = tmp_path_factory.mktemp("db") / "memory.db"
    assert main(["import", str(tmx_file), "--db", str(db)]) == 0
    return db


def test_import_counts_units_and_duplicates(memory: Path, tmx_file: Path,
                                            capsys: pytest.CaptureFixture):
    with Memory.open(memory, encoder=NO_ENCODER) as store:
        assert store.count() == 40
    assert Path(f"{memory}.faiss").is_file()
    assert main(["import", str(tmx_file), "--db", str(memory), "--encoder", "use-m3"]) == 0
    out = capsys.readouterr().out
    assert "imported 0 units" in out and "43 duplicates" in out and "40 units in memory" in out


def test_search_prints_score_kind_and_all_three_languages(memory: Path, devset_dir: Path,
                                                          capsys: pytest.CaptureFixture):
    unit = devset_units(0, 40)[2]
    assert main(["search", unit.texts["fr"], "--db", str(memory), "--src", "fr",
                 "--tgt", "en", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[1]
    assert first.split()[:2] == ["100.0", "exact"]
    for text in unit.texts.values():
        assert text in out


def test_search_json_is_the_same_data(memory: Path, devset_dir: Path,
                                      capsys: pytest.CaptureFixture):
    unit = devset_units(0, 40)[2]
    query = unit.texts["en"].replace("redefine", "change")
    assert main(["search", query, "--db", str(memory), "--src", "en", "--tgt", "ar",
                 "--json", "--no-semantic"]) == 0
    matches = json.loads(capsys.readouterr().out)
    assert matches[0]["kind"] == "fuzzy" and matches[0]["score"] >= 80
    assert matches[0]["target"] == unit.texts["ar"] and matches[0]["unit"]["fr"] == unit.texts["fr"]
    assert matches[0]["origin"]["document"] == unit.document


def test_concordance_marks_the_hits(memory: Path, capsys: pytest.CaptureFixture):
    assert main(["concordance", "nations unies", "--db", str(memory), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "[Nations Unies]" in out


def test_search_of_a_missing_memory_is_an_error_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    assert main(["search", "paix", "--db", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("resolign search: error: no translation memory") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, message", [
    (["search", "", "--no-semantic"], "empty query"),
    (["search", "paix", "--src", "de", "--no-semantic"], "unknown language"),
    (["search", "x" * 10_001, "--no-semantic"], "too long"),
    (["export", "OUT", "--pair", "fr"], "--pair"),
])
def test_user_errors_are_one_line(memory: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                  argv: list[str], message: str):
    argv = [str(tmp_path / "out.tmx") if a == "OUT" else a for a in argv]
    assert main([*argv, "--db", str(memory)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_export_pair_min_score_and_language_codes(memory: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture):
    out = tmp_path / "fr-en.tmx"
    assert main(["export", "--db", str(memory), str(out), "--pair", "fr-en",
                 "--min-score", "0.7", "--lang-codes", "fr-FR,en-GB,ar-SA"]) == 0
    assert "exported" in capsys.readouterr().out
    xml = out.read_text("utf-8")
    assert 'xml:lang="fr-FR"' in xml and 'xml:lang="en-GB"' in xml and "ar-SA" not in xml
    back = read_tmx(out)
    with Memory.open(memory, encoder=NO_ENCODER) as store:
        expected = [u for u in store.iter_units() if u.score is not None and u.score >= 0.7]
    assert len(back) == len(expected) > 0
    for unit, stored in zip(back, expected, strict=True):
        assert unit.texts == {"fr": stored.texts["fr"], "en": stored.texts["en"]}


def test_export_then_import_round_trips(memory: Path, tmp_path: Path):
    out = tmp_path / "all.tmx"
    assert main(["export", "--db", str(memory), str(out)]) == 0
    copy = tmp_path / "copy.db"
    assert main(["import", str(out), "--db", str(copy), "--encoder", "none"]) == 0
    with Memory.open(memory, encoder=NO_ENCODER) as a, \
            Memory.open(copy, encoder=NO_ENCODER) as b:
        assert [(u.texts, u.document, u.paragraph, u.score) for u in a.iter_units()] == \
            [(u.texts, u.document, u.paragraph, u.score) for u in b.iter_units()]


def test_a_broken_tmx_imports_nothing(memory: Path, tmx_file: Path, tmp_path: Path,
                                      devset_dir: Path, capsys: pytest.CaptureFixture):
    db = tmp_path / "m.db"
    assert main(["import", str(tmx_file), "--db", str(db), "--encoder", "none"]) == 0
    more = tmp_path / "more.tmx"
    write_tmx(devset_units(0, 80)[40:], more)
    data = more.read_bytes()
    broken = tmp_path / "broken.tmx"
    broken.write_bytes(data[: int(len(data) * 0.8)])  # cut off: the end is malformed
    assert main(["import", str(broken), "--db", str(db), "--encoder", "none"]) == 2
    assert "error" in capsys.readouterr().err
    with Memory.open(db, encoder=NO_ENCODER) as store:
        assert store.count() == 40
    assert main(["import", str(tmp_path / "absent.tmx"), "--db", str(db)]) == 2
