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
