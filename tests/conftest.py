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


@pytest.fixture(scope="session", autouse=True)
def embedding_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep the suite's embedding cache out of the user's home, shared by every test."""
    import os

    folder = tmp_path_factory.mktemp("embedding-cache")
    os.environ["RESOLIGN_CACHE_DIR"] = str(folder)
    return folder


def devset_documents(min_sentences: int = 1):
    """The devset grouped by document symbol (real fr/en/ar UN translations)."""
    from resolign.align.evaluation import load_parallel_documents

    return [d for d in load_parallel_documents(DEVSET) if len(d.sentences["fr"]) >= min_sentences]
