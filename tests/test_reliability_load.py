"""Load: 200 concurrent mixed look-ups against a real `resolign serve` while a TMX import runs.

The scenario is bench/load.py's (the benchmark runs it larger and prints p50/p99); here only
correctness is asserted: every look-up answers 200 with the expected JSON, the import lands
whole, and the semantic index covers the new units afterwards. No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
LOOKUPS = 200
UNITS = 40
IMPORTED = 30


def _bench():
    if str(ROOT / "bench") not in sys.path:  # as `python bench/load.py` has it (bench/common.py)
        sys.path.append(str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("resolign_bench_load", ROOT / "bench" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _bench()


def test_200_concurrent_lookups_during_an_import_all_succeed(bench, tmp_path: Path):
    db = tmp_path / "memory.db"
    bench.build_memory(db, UNITS)
    tmx = bench.import_tmx(UNITS, UNITS + IMPORTED)
    server = bench.Server(db)
    try:
        requests = bench.lookups(LOOKUPS, UNITS)
        assert {kind for kind, _, _ in requests} == {"search", "semantic", "concordance", "unit"}
        results, imported, (start, end) = bench.run_load(
            server.url, requests, concurrency=16, tmx=tmx, max_seconds=120)
        failed = [(r.kind, r.status, r.error) for r in results if not r.valid]
        assert len(results) == LOOKUPS and failed == []
        assert imported["status"] == 200
        assert {k: imported["body"][k] for k in ("added", "duplicates", "skipped", "units")} \
            == {"added": IMPORTED, "duplicates": 0, "skipped": 0, "units": IMPORTED}
        # The look-ups really ran while the import was in flight (an ordering, not a timing).
        assert any(r.start < end and r.end > start for r in results)
        # A unit of the import is found from its English among French segments.
        health = httpx.get(server.url + "/healthz", timeout=30).json()
        assert health["units"] == UNITS + IMPORTED
        new = bench.devset_lines()["en"][UNITS + 3]
        found = httpx.get(server.url + "/api/search", timeout=60, params={
            "q": new, "src": "fr", "tgt": "en", "min_score": 0}).json()["matches"]
        assert found[0]["target"] == new
        assert httpx.get(server.url + "/healthz", timeout=30).json()["index"]["vectors"] == \
            UNITS + IMPORTED
    finally:
        server.stop()
    print(bench.report(results, max(r.end for r in results) - min(r.start for r in results)))


def test_two_worker_processes_share_the_port_the_memory_and_an_import(bench, tmp_path: Path):
    """`resolign serve --workers 2`: both processes answer on the one port, the same mixed
    look-ups all succeed while an import runs through one of them, and afterwards each
    process reports the new units and finds one of them by meaning (it followed the other's
    write through the memory's revision counter)."""
    import time

    db = tmp_path / "memory.db"
    bench.build_memory(db, UNITS)
    tmx = bench.import_tmx(UNITS, UNITS + IMPORTED)
    server = bench.Server(db, workers=2)
    try:
        results, imported, _ = bench.run_load(
            server.url, bench.lookups(LOOKUPS // 2, UNITS), concurrency=8, tmx=tmx,
            max_seconds=120)
        assert [(r.kind, r.status, r.error) for r in results if not r.valid] == []
        assert imported["status"] == 200 and imported["body"]["added"] == IMPORTED
        new = bench.devset_lines()["en"][UNITS + 3]
        seen: dict[int, tuple[int, str]] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
                len(seen) < 2 or any(v != (UNITS + IMPORTED, new) for v in seen.values())):
            with httpx.Client(base_url=server.url, timeout=60) as client:  # a new connection
                health = client.get("/healthz").json()
                found = client.get("/api/search", params={  # English among French: by meaning
                    "q": new, "src": "fr", "tgt": "en", "min_score": 0}).json()["matches"]
            seen[health["process"]] = (health["units"], found[0]["target"] if found else "")
        assert len(seen) == 2
        assert set(seen.values()) == {(UNITS + IMPORTED, new)}
    finally:
        server.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreading")
def test_each_worker_process_accepts_its_share_of_the_connections(bench, tmp_path: Path):
    """`resolign serve --workers 2`: each process listens on the port itself, so 32 clients
    connecting at once are spread over both (uvicorn's one shared socket gave one process 13
    or 14 of 16). A worker that dies is replaced while the other answers; a second server on
    the same port is refused in one line; stopping the server stops every worker."""
    import collections
    import os
    import signal
    import subprocess
    import threading
    import time

    db = tmp_path / "memory.db"
    bench.build_memory(db, UNITS)
    server = bench.Server(db, workers=2)
    try:
        def processes(clients: int) -> collections.Counter[int]:
            together = threading.Barrier(clients)
            seen: list[int] = []

            def connect() -> None:
                with httpx.Client(base_url=server.url, timeout=60) as client:
                    together.wait()
                    seen.append(client.get("/healthz").json()["process"])

            threads = [threading.Thread(target=connect) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(seen) == clients
            return collections.Counter(seen)

        def both_answering(but: int = 0) -> collections.Counter[int]:
            deadline = time.monotonic() + 120
            while True:
                now = processes(8)
                if len(now) == 2 and but not in now:
                    return now
                assert time.monotonic() < deadline, now
                time.sleep(0.5)

        both_answering()  # they start together, but a few ms apart
        spread = processes(32)
        assert len(spread) == 2 and min(spread.values()) >= 6, spread
        killed = min(spread)
        os.kill(killed, signal.SIGKILL)
        now = both_answering(but=killed)
        workers = set(now)
        port = server.url.rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "resolign.cli", "serve", "--db", str(db), "--port", port,
             "--workers", "2"], capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"resolign serve: error: port {port} on 127.0.0.1 is in use"]
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
