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


# --- memory backends: every store, search, import, kill and concurrency test runs on both ---

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server() -> str:
    """URL of a PostgreSQL server the tests may create databases on: $RESOLIGN_TEST_PG (CI
    starts one, see .ci/run), else a throwaway cluster started for this session from the
    installed binaries. Neither is a FAILURE naming the install command, never a silent skip."""
    import os

    from tests import pg_cluster

    url = os.environ.get(pg_cluster.ENV)
    if url:
        yield url
        return
    if pg_cluster.postgres_bin() is None:
        pytest.fail(f"no PostgreSQL: apt-get install -y postgresql (or set {pg_cluster.ENV})")
    with pg_cluster.throwaway_cluster() as started:
        os.environ[pg_cluster.ENV] = started  # subprocesses of the tests see it too
        yield started
        os.environ.pop(pg_cluster.ENV, None)


def _location(backend: str, folder: Path, request: pytest.FixtureRequest):
    """A new, empty memory location of `backend`: a file path, or a fresh database's URL."""
    from tests import pg_cluster

    if backend == "sqlite":
        return str(folder / "memory.db"), None
    server = request.getfixturevalue("pg_server")
    url = pg_cluster.create_database(server)
    return url, lambda: pg_cluster.drop_database(server, url)


@pytest.fixture(params=BACKENDS)
def memory_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test keeps its memory, once per backend: `memory.db` in the test's folder, or
    the URL of a PostgreSQL database of its own (dropped afterwards)."""
    location, drop = _location(request.param, tmp_path, request)
    yield location
    if drop is not None:
        drop()


@pytest.fixture(scope="module", params=BACKENDS)
def module_memory_location(request: pytest.FixtureRequest,
                           tmp_path_factory: pytest.TempPathFactory) -> str:
    """`memory_location` shared by a module's tests (a memory built once per backend)."""
    location, drop = _location(request.param, tmp_path_factory.mktemp("memory"), request)
    yield location
    if drop is not None:
        drop()


def backend_of_location(location: str) -> str:
    return "postgresql" if location.startswith("postgresql://") else "sqlite"
