"""Shared test fixtures: paths to the real data beside the repository (../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
DEVSET = SHARED / "data" / "un-devset"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"real seed documents not found at {SEEDS}")
    return SEEDS


@pytest.fixture(scope="session")
def devset_dir() -> Path:
    if not DEVSET.is_dir():
        pytest.fail(f"UN devset not found at {DEVSET}")
    return DEVSET
