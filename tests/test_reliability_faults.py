"""Faults: SIGKILL in the middle of a TMX import and of an alignment's writes, and a FAISS
index that is missing or older than the memory when `resolign serve` starts.

The memory must be exactly as before a killed write (count + hash of every unit), no half TMX
may sit at the target name, and a stale index must be rebuilt from the store on start.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from resolign.service.memory import NO_ENCODER, Memory
from resolign.tmx.reader import read_tmx
from resolign.tmx.writer import write_tmx
from resolign.units import Unit
from tests.devset import devset_lines, devset_units
from tests.memory_checks import fingerprint, free_port, stop

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT.parent / "shared" / "data" / "un-devset"








def child_env(cache: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RESOLIGN_API_KEY", None)
    if cache is not None:
        env["RESOLIGN_CACHE_DIR"] = str(cache)
    return env


def wait_for(condition, proc: subprocess.Popen, what: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert proc.poll() is None, f"the process ended before {what}"
        assert time.monotonic() < deadline, f"never reached {what}"
        time.sleep(0.01)


def kill_once(condition, proc: subprocess.Popen, what: str, limit: float = 120) -> None:
    """SIGKILL `proc` as soon as `condition()` holds (it is then inside the write)."""
    try:
        wait_for(condition, proc, what, limit)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def copy_memory(source: Path, target_dir: Path) -> Path:
    for file in source.parent.glob(source.name + "*"):
        shutil.copy(file, target_dir / file.name)
    return target_dir / source.name


# --- SIGKILL mid-import -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_tmx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24,000 distinct units (the 4,000 devset rows, six variants each): ~25 MB of TMX."""
    lines = devset_lines()
    units = (Unit(texts={lang: f"{lines[lang][i]} [{v}]" for lang in ("fr", "en", "ar")},
                  document=lines["ids"][i].split()[0], paragraph=str(i))
             for v in range(6) for i in range(4000))
    path = tmp_path_factory.mktemp("big") / "big.tmx"
    assert write_tmx(units, path).written == 24_000
    return path


def test_sigkill_inside_a_cli_tmx_import_leaves_the_memory_as_before(big_tmx: Path,
                                                                     tmp_path: Path):
    db = tmp_path / "memory.db"
    with Memory.open(db, encoder=NO_ENCODER) as store:
        store.add_units(devset_units(0, 50))
    before = fingerprint(db)
    wal = tmp_path / "memory.db-wal"
    wal_before = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "resolign.cli", "import", str(big_tmx), "--db", str(db),
         "--encoder", NO_ENCODER], env=child_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    # Clearly inside the one write transaction: megabytes of uncommitted pages in the WAL.
    kill_once(lambda: wal.exists() and wal.stat().st_size > wal_before + 4_000_000, proc,
              "the middle of the import")
    assert fingerprint(db) == before
    # And the memory still takes an import afterwards.
    small = tmp_path / "small.tmx"
    write_tmx(devset_units(50, 150), small)
    done = subprocess.run([sys.executable, "-m", "resolign.cli", "import", str(small),
                           "--db", str(db), "--encoder", NO_ENCODER], env=child_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert fingerprint(db)[0] == before[0] + 100


# --- SIGKILL mid-alignment write ----------------------------------------------------------------

# Runs the real `resolign align` CLI, pausing (never changing) it at one point of its writes so
# the kill lands there for certain: inside the TMX stream, or inside the memory transaction.
_PAUSING_ALIGN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    ready, where, argv = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]

    def pause_after(count, original):
        calls = [0]
        def paused(*args, **kwargs):
            result = original(*args, **kwargs)
            calls[0] += 1
            if calls[0] == count:
                ready.write_text(where)
                time.sleep(600)
            return result
        return paused

    if where == "tmx":
        from resolign.tmx import writer
        writer.tu_element = pause_after(10, writer.tu_element)
    else:
        from resolign.service.store_sqlite import SqliteStore
        SqliteStore._insert = pause_after(10, SqliteStore._insert)
    from resolign.cli import main
    sys.exit(main(argv))
""")


@pytest.fixture(scope="module")
def align_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """30 presegmented FR/EN sentences, a memory with its index, and a warm embedding cache."""
    root = tmp_path_factory.mktemp("align")
    lines = devset_lines()
    for lang in ("fr", "en"):
        (root / f"{lang}.txt").write_text("\n".join(lines[lang][100:130]) + "\n", "utf-8")
    db = root / "memory.db"
    with Memory.open(db) as store:  # the default encoder: the FAISS index exists beside it
        store.add_units(devset_units(0, 8))
    cache = root / "cache"
    reference = root / "reference.tmx"
    done = subprocess.run(
        [sys.executable, "-m", "resolign.cli", "align", str(root / "fr.txt"),
         str(root / "en.txt"), "--presegmented", "--tmx", str(reference)],
        env=child_env(cache), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return {"root": root, "fr": root / "fr.txt", "en": root / "en.txt", "db": db,
            "cache": cache, "reference": reference}


@pytest.mark.parametrize("where", ["tmx", "db"])
def test_sigkill_inside_an_alignment_write(where: str, align_inputs: dict[str, Path],
                                           tmp_path: Path):
    db = copy_memory(align_inputs["db"], tmp_path)
    out = tmp_path / "out" / "aligned.tmx"
    out.parent.mkdir()
    old = b"<!-- an earlier export the user still has -->\n"
    out.write_bytes(old)
    before = fingerprint(db)
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", _PAUSING_ALIGN, str(ready), where, "align",
         str(align_inputs["fr"]), str(align_inputs["en"]), "--presegmented", "--tmx", str(out),
         "--db", str(db)], env=child_env(align_inputs["cache"]), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    kill_once(ready.exists, proc, f"the {where} write", limit=240)
    assert fingerprint(db) == before
    if where == "tmx":
        assert out.read_bytes() == old  # the target name still holds the earlier file, whole
    else:
        # The TMX was finished and renamed before the memory write began: complete, 30 units.
        assert out.read_bytes() != old
        assert len(read_tmx(out)) == len(read_tmx(align_inputs["reference"])) == 30
    # Whatever was left behind is a hidden temp file, never at (or named like) the target.
    leftovers = [p.name for p in out.parent.iterdir() if p != out]
    assert all(name.startswith(".") for name in leftovers), leftovers


# --- FAISS index missing or out of date on start -----------------------------------------------



@contextlib.contextmanager
def serve(db: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = db.with_suffix(".log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "resolign.cli", "serve", "--db",
                             str(db), "--port", str(port)], env=child_env(), stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, db.with_suffix(".log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 30-unit memory with its index, and the index files as they were at 20 units."""
    root = tmp_path_factory.mktemp("indexed")
    db = root / "memory.db"
    with Memory.open(db) as store:
        store.add_units(devset_units(200, 220))
    old = root / "old"
    old.mkdir()
    for suffix in (".faiss", ".faiss.json"):
        shutil.copy(f"{db}{suffix}", old / f"memory.db{suffix}")
    with Memory.open(db) as store:
        store.add_units(devset_units(220, 230))
        assert store.index.size == 30
    return {"db": db, "old": old}


def _check_index_serves(url: str, units: int) -> None:
    health = httpx.get(url + "/healthz", timeout=10).json()
    assert health["units"] == units
    assert health["index"]["semantic"] == "ready"
    assert health["index"]["vectors"] == units  # current: one vector per stored unit
    # An English sentence looked up among French segments shares no words: only the
    # semantic index can find it, and it must find a unit added after the old index.
    english = devset_lines()["en"][225]
    found = httpx.get(url + "/api/search", timeout=60,
                      params={"q": english, "src": "fr", "tgt": "en", "min_score": 0}).json()
    top = found["matches"][0]
    assert top["kind"] == "semantic" and top["target"] == english


@pytest.mark.parametrize("damage", ["deleted", "older", "truncated", "foreign"])
def test_missing_or_stale_faiss_index_is_rebuilt_on_serve(damage: str, indexed: dict[str, Path],
                                                          tmp_path: Path):
    db = copy_memory(indexed["db"], tmp_path)
    index, meta = Path(f"{db}.faiss"), Path(f"{db}.faiss.json")
    if damage == "deleted":
        index.unlink()
        meta.unlink()
    elif damage == "older":
        shutil.copy(indexed["old"] / index.name, index)
        shutil.copy(indexed["old"] / meta.name, meta)
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])
    else:
        info = json.loads(meta.read_text())
        meta.write_text(json.dumps({**info, "store_id": "another-memory"}))
    with serve(db) as url:
        _check_index_serves(url, 30)
    saved = json.loads(meta.read_text())
    assert saved["count"] == 30  # and the rebuilt index was saved for the next start
