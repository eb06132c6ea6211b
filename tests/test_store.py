"""The memory file: round trips, deduplication, all-or-nothing writes, the FAISS file beside it."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from resolign.errors import InputError
from resolign.service import faiss_files
from resolign.service.memory import NO_ENCODER, Memory
from resolign.service.store import StoredUnit
from resolign.units import Unit
from tests.devset import devset_units
from tests.memory_checks import uncommitted_bytes

ROOT = Path(__file__).resolve().parent.parent


def snapshot(store: Memory) -> list[tuple]:
    return [(u.id, sorted(u.texts.items()), u.document, u.symbol, u.paragraph, u.score,
             u.created.isoformat()) for u in store.iter_units(batch=97)]


@pytest.fixture(scope="module")
def semantic_memory(devset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small memory with its FAISS index, built once; tests work on copies."""
    path = tmp_path_factory.mktemp("semantic") / "memory.db"
    with Memory.open(path) as store:
        store.add_units(devset_units(0, 40))
    return path


def copy_memory(source: Path, target_dir: Path) -> Path:
    for file in source.parent.glob(source.name + "*"):
        shutil.copy(file, target_dir / file.name)
    return target_dir / source.name


# --- file and schema ------------------------------------------------------------------------

def test_new_memory_is_wal_and_versioned(tmp_path: Path):
    with Memory.open(tmp_path / "m.db", encoder=NO_ENCODER) as store:
        assert store.count() == 0
    db = sqlite3.connect(tmp_path / "m.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"


def test_missing_memory_is_an_error_when_not_creating(tmp_path: Path):
    with pytest.raises(InputError, match="no translation memory"):
        Memory.open(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_a_file_that_is_not_a_memory_is_refused(tmp_path: Path):
    (tmp_path / "notes.db").write_text("these are not the droids\n" * 100)
    with pytest.raises(InputError, match="not a resolign memory"):
        Memory.open(tmp_path / "notes.db", encoder=NO_ENCODER)


def test_a_memory_from_a_newer_version_is_refused(tmp_path: Path):
    Memory.open(tmp_path / "m.db", encoder=NO_ENCODER).close()
    db = sqlite3.connect(tmp_path / "m.db")
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="newer"):
        Memory.open(tmp_path / "m.db", encoder=NO_ENCODER)


# --- round trip and deduplication -----------------------------------------------------------

def test_units_come_back_as_added(memory_location: str, devset_dir: Path):
    units = devset_units(0, 25)
    units[3].created = datetime(2014, 5, 6, 7, 8, 9, tzinfo=UTC)
    units[4].texts = {"fr-FR": units[4].texts["fr"], "EN": units[4].texts["en"]}
    units[5].texts["es"] = "Sexagésimo noveno período de sesiones"
    with Memory.open(memory_location, encoder=NO_ENCODER) as store:
        assert store.add_units(units).added == 25
        assert store.count() == 25
        stored = list(store.iter_units(batch=7))
        assert [u.id for u in stored] == sorted(u.id for u in stored)
        assert isinstance(stored[0], StoredUnit) and isinstance(stored[0], Unit)
        for unit, back in zip(units, stored, strict=True):
            expected = {k.split("-")[0].lower(): v for k, v in unit.texts.items()}
            assert back.texts == expected
            assert (back.document, back.paragraph, back.score) == (
                unit.document, unit.paragraph, unit.score)
            assert back.created == unit.created
            assert store.get_unit(back.id) == back
        assert list(store.get_unit(stored[0].id).texts) == ["fr", "en", "ar"]
        assert store.get_unit(10_000) is None


def test_identical_units_are_stored_once(memory_location: str, devset_dir: Path):
    units = devset_units(0, 30)
    with Memory.open(memory_location, encoder=NO_ENCODER) as store:
        first = store.add_units(units + units[:5])
        assert (first.added, first.duplicates, first.skipped) == (30, 5, 0)
        again = [Unit(texts={k: f"  {v} " for k, v in u.texts.items()}, document="other")
                 for u in units[:10]]
        second = store.add_units(again)
        assert (second.added, second.duplicates, second.skipped) == (0, 10, 0)
        changed = Unit(texts={**units[0].texts, "en": units[0].texts["en"] + " (revised)"})
        empty = Unit(texts={"fr": "  ", "en": ""})
        third = store.add_units([changed, empty])
        assert (third.added, third.duplicates, third.skipped) == (1, 0, 1)
        assert store.count() == 31


def test_an_error_mid_add_leaves_the_memory_as_before(memory_location: str,
                                                      devset_dir: Path):
    with Memory.open(memory_location, encoder=NO_ENCODER) as store:
        store.add_units(devset_units(0, 20))
        before = snapshot(store)

        def failing():
            yield from devset_units(20, 220)
            raise ValueError("broken input")

        with pytest.raises(ValueError):
            store.add_units(failing())
        assert snapshot(store) == before
        assert store.add_units(devset_units(20, 25)).added == 5


_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from resolign.service.memory import Memory
    from resolign.units import Unit

    db, devset, ready = sys.argv[1:4]
    langs = ("fr", "en", "ar")
    lines = {l: Path(devset, f"UNv1.0.devset.{l}").read_text("utf-8").splitlines() for l in langs}
    store = Memory.open(db, encoder="none")
    if hasattr(store.store, "_db"):
        store.store._db.execute("PRAGMA cache_size=20")  # small cache: pages spill into the WAL

    def units():
        for round_ in range(2):
            for i in range(len(lines["fr"])):
                if round_ == 1 and i == 500:
                    Path(ready).write_text("in the middle")
                    time.sleep(120)
                yield Unit(texts={l: f"{lines[l][i]} [{round_}]" for l in langs}, document="big")

    store.add_units(units())
""")


def test_sigkill_mid_import_leaves_the_memory_exactly_as_before(
        tmp_path: Path, memory_location: str, devset_dir: Path):
    db = memory_location
    with Memory.open(db, encoder=NO_ENCODER) as store:
        store.add_units(devset_units(0, 100))
        before = snapshot(store)
    written_before = uncommitted_bytes(db)
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(db), str(devset_dir), str(ready)],
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert child.poll() is None, "the importing process died on its own"
            assert time.monotonic() < deadline, "the import never reached its middle"
            time.sleep(0.05)
        # 4,500 units (three languages each) are written but not committed.
        assert uncommitted_bytes(db) > written_before + 1_000_000
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    with Memory.open(db, encoder=NO_ENCODER) as store:
        assert store.count() == 100
        assert snapshot(store) == before
        if hasattr(store.store, "_db"):
            assert store.store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.search("Soixante-neuvième session [1]", semantic=False, min_score=95) == []
        assert store.add_units(devset_units(100, 110)).added == 10


# --- connections: reads beside a write -----------------------------------------------------

def _open_files(path: Path) -> list[str]:
    """This process's open file descriptors on the memory file and its -wal/-shm."""
    names = {str(path), f"{path}-wal", f"{path}-shm"}
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target in names:
            found.append(target)
    return found


def _held_import(store: Memory, units: list[Unit]):
    """Start `add_units` in a thread that stops before the last unit, transaction open."""
    import threading

    reached, go = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def feed():
        yield from units[:-1]
        reached.set()
        go.wait(300)
        yield units[-1]

    def run():
        outcome["report"] = store.add_units(feed())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert reached.wait(300)
    return thread, go, outcome


def test_a_read_after_a_write_in_the_same_thread_sees_it(memory_location: str,
                                                        devset_dir: Path):
    units = devset_units(0, 30)
    with Memory.open(memory_location, encoder=NO_ENCODER) as store:
        assert store.add_units(units[:10]).added == 10
        assert store.count() == 10 and store.revision == 1  # a pooled read connection now
        assert store.add_units(units[10:]).added == 20
        assert store.count() == 30 and store.revision == 2 and len(store.ids()) == 30
        assert store.get_unit(30).texts["fr"] == units[29].texts["fr"]
        assert store.search(units[29].texts["fr"], semantic=False)[0].kind == "exact"


def test_opening_the_memory_during_an_import_does_not_wait_for_it(memory_location: str,
                                                                  devset_dir: Path):
    path = memory_location
    with Memory.open(path, encoder=NO_ENCODER) as store:
        store.add_units(devset_units(0, 20))
        thread, go, outcome = _held_import(store, devset_units(20, 1020))
        try:
            # As `resolign search` beside a server that is importing: opens, reads what is
            # committed, while the import still holds its transaction.
            with Memory.open(path, encoder=NO_ENCODER, create=False) as other:
                assert other.count() == 20 and other.revision == 1
                assert thread.is_alive() and "report" not in outcome
        finally:
            go.set()
            thread.join(300)
        assert outcome["report"].added == 1000
        with Memory.open(path, encoder=NO_ENCODER, create=False) as other:
            assert other.count() == 1020


def test_close_closes_every_connection(tmp_path: Path, devset_dir: Path):
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "m.db"
    store = Memory.open(path, encoder=NO_ENCODER)
    store.add_units(devset_units(0, 50))
    thread, go, outcome = _held_import(store, devset_units(50, 300))
    with ThreadPoolExecutor(max_workers=6) as pool:  # several read connections at once
        counts = list(pool.map(lambda _: store.count(), range(60)))
    assert set(counts) == {50}
    go.set()
    thread.join(300)
    assert outcome["report"].added == 250
    assert len(_open_files(path)) > 1
    store.close()
    assert _open_files(path) == []
    # The last connection out checkpointed the WAL away: nothing was left open or mid-read.
    assert not Path(f"{path}-wal").exists()
    with pytest.raises(sqlite3.ProgrammingError):
        store.count()
    with Memory.open(path, encoder=NO_ENCODER) as again:
        assert again.count() == 300


# --- the semantic index beside the file -----------------------------------------------------

def test_index_follows_adds_incrementally(tmp_path: Path, semantic_memory: Path,
                                          devset_dir: Path):
    path = copy_memory(semantic_memory, tmp_path)
    with Memory.open(path) as store:
        assert not store.index.rebuilt and store.index.size == 40
        store.add_units(devset_units(40, 50))
        assert store.index.size == store.count() == 50
        assert not store.index.rebuilt
        assert store.index.kind() == "flat"
        query = devset_units(45, 46)[0].texts["en"]
        top = store.index.nearest(query, 1)[0]
        assert store.get_unit(top[0]).texts["en"] == query and top[1] > 0.9
    with Memory.open(path) as store:  # what was saved is current
        assert not store.index.rebuilt and store.index.size == 50


def test_deleted_index_is_rebuilt_on_open(tmp_path: Path, semantic_memory: Path):
    path = copy_memory(semantic_memory, tmp_path)
    Path(f"{path}.faiss").unlink()
    with Memory.open(path) as store:
        assert store.index.rebuilt and store.index.size == 40
    assert Path(f"{path}.faiss").is_file()


def test_stale_index_is_brought_up_to_date_on_open(tmp_path: Path, semantic_memory: Path,
                                                   devset_dir: Path):
    path = copy_memory(semantic_memory, tmp_path)
    old = Path(f"{path}.faiss").read_bytes()
    new_units = devset_units(60, 70)
    with Memory.open(path) as store:
        store.add_units(new_units)
    Path(f"{path}.faiss").write_bytes(old)  # as if the process died between commit and save
    with Memory.open(path) as store:
        assert store.index.size == store.count() == 50
        query = new_units[4].texts["fr"]
        top = store.index.nearest(query, 1)[0]
        assert store.get_unit(top[0]).texts["fr"] == query


@pytest.mark.parametrize("damage", ["garbage", "other_memory", "no_meta"])
def test_foreign_or_broken_index_is_rebuilt(tmp_path: Path, semantic_memory: Path,
                                            devset_dir: Path, damage: str):
    path = copy_memory(semantic_memory, tmp_path)
    if damage == "garbage":
        Path(f"{path}.faiss").write_bytes(b"\0not faiss" * 50)
    elif damage == "other_memory":
        other = tmp_path / "other.db"
        with Memory.open(other) as store:
            store.add_units(devset_units(200, 203))
        shutil.copy(f"{other}.faiss", f"{path}.faiss")
        shutil.copy(f"{other}.faiss.json", f"{path}.faiss.json")
    else:
        Path(f"{path}.faiss.json").unlink()
    with Memory.open(path) as store:
        assert store.index.rebuilt and store.index.size == 40
        text = devset_units(7, 8)[0].texts["ar"]
        assert store.get_unit(store.index.nearest(text, 1)[0][0]).texts["ar"] == text


def test_another_process_import_is_seen_before_the_next_search(tmp_path: Path,
                                                               semantic_memory: Path,
                                                               devset_dir: Path):
    path = copy_memory(semantic_memory, tmp_path)
    with Memory.open(path) as reader, Memory.open(path) as writer:
        added = devset_units(80, 85)
        writer.add_units(added)
        query = added[2].texts["en"]
        matches = reader.search(query, src="en", tgt="fr")
        assert matches[0].kind == "exact" and reader.index.size == 45


def test_large_memory_switches_to_hnsw(memory_location: str, devset_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(faiss_files, "FLAT_LIMIT", 20)
    with Memory.open(memory_location) as store:
        store.add_units(devset_units(0, 15))
        assert store.index.kind() == "flat"
        units = devset_units(15, 30)
        store.add_units(units)
        assert store.index.kind() == "hnsw" and store.index.size == 30
        for unit in units[::5]:
            top = store.index.nearest(unit.texts["en"], 1)[0]
            assert store.get_unit(top[0]).texts["en"] == unit.texts["en"]
    with Memory.open(memory_location) as store:
        assert store.index.kind() == "hnsw" and not store.index.rebuilt


def test_kept_counts_follow_every_write(memory_location: str, devset_dir: Path):
    """The unit count, the terms' document frequencies and full-text counts a store keeps
    between writes are read afresh after its own writes, another opener's writes and a
    delete: always what a memory opened afresh reads."""
    from resolign.service.store import phrase
    from resolign.service.wordforms import form_keys

    units = devset_units(0, 60)
    terms = list(dict.fromkeys(k for u in units[:60:6] for k in form_keys(u.texts["fr"], "fr")))

    def fresh() -> tuple[int, dict[str, int]]:
        with Memory.open(memory_location, encoder=NO_ENCODER, create=False) as other:
            return other.count(), other.store.document_frequencies("fr", terms)

    def phrase_counts(memory: Memory) -> list[int]:
        return [memory.store.fts_count("fr", phrase(terms[k:k + 2])) for k in range(0, 40, 2)]

    with Memory.open(memory_location, encoder=NO_ENCODER) as store:
        store.add_units(units[:20])
        first = (store.count(), store.store.document_frequencies("fr", terms))
        assert first == fresh() and first[0] == 20
        with Memory.open(memory_location, encoder=NO_ENCODER, create=False) as other:
            other.add_units(units[20:40])
        second = (store.count(), store.store.document_frequencies("fr", terms))
        assert second == fresh() and second[0] == 40
        store.add_units(units[40:])
        third = (store.count(), store.store.document_frequencies("fr", terms))
        assert third == fresh() and third[0] == 60
        assert sum(third[1].values()) > sum(second[1].values()) > sum(first[1].values())
        counted = phrase_counts(store)
        store.store.replace_units([store.ids()[0]], [], who="test", action="delete")
        assert (store.count(), store.store.document_frequencies("fr", terms)) == fresh()
        assert store.count() == 59
        with Memory.open(memory_location, encoder=NO_ENCODER, create=False) as other:
            assert phrase_counts(store) == phrase_counts(other) != counted


def test_capped_frequencies_counted_together_are_each_terms_own(memory_location: str):
    """A query's terms are counted up to a cap (on SQLite in one statement per hundred terms):
    each gets what it gets counted alone, its true count when under the cap and more than the
    cap otherwise."""
    from resolign.service.wordforms import form_keys

    units = devset_units(0, 400)
    terms = list(dict.fromkeys(k for u in units for k in form_keys(u.texts["fr"], "fr")))[:250]
    with Memory.open(memory_location, encoder=NO_ENCODER) as memory:
        memory.add_units(units)
        exact = memory.store.document_frequencies("fr", terms)
        together = memory.store.document_frequencies("fr", terms, at_most=20)
        alone = {t: memory.store.document_frequencies("fr", [t], at_most=20)[t] for t in terms}
    assert together == alone
    assert all(together[t] == n if n <= 20 else together[t] > 20 for t, n in exact.items())
    assert sum(n > 20 for n in together.values()) >= 10
    assert sum(n == 1 for n in together.values()) >= 50


def test_a_look_up_reads_one_state_of_the_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A SQLite look-up makes its reads in one read transaction: a write committed while it
    runs is not half seen (the look-up's own later reads still see the memory as it began),
    and it borrows one connection, not one per read, and reads the revision its caches are
    keyed by once."""
    from resolign.service.sqlite_pool import ReadPool

    units = devset_units(0, 200)
    with Memory.open(tmp_path / "memory.db", encoder=NO_ENCODER) as memory:
        memory.add_units(units[:150])
        before = memory.revision
        seen: dict[str, int] = {}
        candidates = memory.store.fts_candidates

        def candidates_then_a_write(*args, **kwargs):
            if not seen:
                writer = threading.Thread(target=memory.add_units, args=(units[150:],))
                writer.start()
                writer.join()
                seen["inside"] = memory.store.revision
                seen["count inside"] = memory.store.count()
            return candidates(*args, **kwargs)

        monkeypatch.setattr(memory.store, "fts_candidates", candidates_then_a_write)
        borrowed = []
        borrow = ReadPool._borrow
        monkeypatch.setattr(ReadPool, "_borrow", lambda pool: borrowed.append(
            threading.get_ident()) or borrow(pool))
        meta_reads = []
        meta = memory.store._meta
        monkeypatch.setattr(memory.store, "_meta", lambda key, db=None: meta_reads.append(
            (key, threading.get_ident())) or meta(key, db))
        query = " ".join(units[3].texts["fr"].split()[1:])  # a word short: fuzzy
        found = memory.lookup(query, semantic=False)
        assert borrowed.count(threading.get_ident()) == 1
        assert meta_reads.count(("revision", threading.get_ident())) == 1
        assert seen == {"inside": before, "count inside": 150}
        assert found.matches and found.matches[0].unit_id == memory.ids()[3]
        assert memory.revision > before and memory.count() == 200
