"""The bench/ scripts run on tiny inputs and print their tables (no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def run_bench(script: str, *args: str, cache: Path) -> str:
    # one OpenMP thread: FAISS spin-waits badly on a shared machine (no timing is checked here)
    env = {**os.environ, "RESOLIGN_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(BENCH / script), "--quick", *args],
                          capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def table_rows(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in out.splitlines() if line.startswith("|") and "---" not in line]


@pytest.fixture(scope="module")
def cache(tmp_path_factory, devset_dir) -> Path:  # devset_dir: fail clearly without the data
    return tmp_path_factory.mktemp("bench-cache")


def test_align_quality_prints_scores_for_every_system_and_run(cache):
    out = run_bench("align_quality.py", "--no-peers", cache=cache)
    rows = table_rows(out)
    header = next(r for r in rows if r[0] == "run")
    assert {"resolign (sentence-first)", "Gale–Church (ours)", "TF-IDF + DP"} <= set(header)
    for run in ("FR EN AR (three-way beads)", "FR EN (two files)", "FR AR (two files)"):
        found = [r for r in rows if r[0] == run]
        assert len(found) == 2, run  # long and short documents
        scores = [float(cell.split()[0].strip("*")) for r in found for cell in r[1:]]
        assert all(0.0 <= f <= 1.0 for f in scores)
    assert any(r[1] == "1-1" for r in rows if len(r) > 2), "per-bead-type table missing"


def test_align_speed_prints_the_ratio_and_the_dp_check(cache):
    out = run_bench("align_speed.py", cache=cache)
    rows = table_rows(out)
    assert any(r[0].count("/") == 2 and r[0].split("/")[0].isdigit() for r in rows), out
    assert any(r[4].endswith("×**") for r in rows if len(r) > 4), out
    assert any(r[0] == "banded (default)" for r in rows)
    assert any(r[0] == "full" for r in rows)
    assert "peak RSS MB" in out


def test_lookup_prints_every_lookup_kind_against_brute_force(cache):
    out = run_bench("lookup.py", cache=cache)
    # rows: size, backend, kind, p50, p99, per second, agreement with brute force
    kinds = {r[2] for r in table_rows(out) if len(r) > 2 and r[:2] == ["1,000", "sqlite"]}
    assert {"fuzzy", "concordance", "semantic"} <= kinds, kinds
    # the whole look-up (best match; with near variants), the store's part alone, and the
    # best match again with the memory in the OS cache
    assert sum(k.startswith("exact") for k in kinds) == 4, kinds
    assert {f"{kind}, warm" for kind in ("fuzzy", "concordance", "semantic")} <= kinds, kinds
    assert "exact, best match, warm" in kinds
    assert "the rows marked warm were measured after reading the whole memory" in out
    assert "fuzzy: store candidates only" in kinds
    assert any(k.startswith("fuzzy brute force") for k in kinds)
    assert any(k.startswith("semantic brute force") for k in kinds)
    assert "DERIVED" in out  # derived vectors are said plainly


def test_equivalents_prints_both_ways_with_the_same_groups(cache, tmp_path):
    from resolign.service.memory import NO_ENCODER, Memory
    from tests.devset import devset_units

    db = tmp_path / "tm.db"
    with Memory.open(str(db), encoder=NO_ENCODER) as memory:
        memory.add_units(devset_units(0, 600))
    out = run_bench("equivalents.py", str(db), cache=cache)
    ways = {r[0] for r in table_rows(out)}
    assert {"now", "before"} <= ways, out
    assert "same groups for 5 of 5 queries" in out, out
