"""The store a memory location names, and where each process keeps that store's FAISS index.

Locations are parsed and checked in `locations.py` before any engine is touched; the backends
are imported here only when a memory of their kind is opened.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from resolign.service.locations import Location, parse_location
from resolign.service.store import Store

if TYPE_CHECKING:
    from resolign.service.semantic_index import VectorSource


def open_store(location: str | Path | Location, *, create: bool = True) -> Store:
    """The store at `location` (see the module docstring); `create=False` refuses a location
    that holds no memory yet instead of creating one."""
    where = parse_location(location)
    if where.backend == "postgresql":
        from resolign.service.store_postgres import PostgresStore

        return PostgresStore(where.url, create=create)
    from resolign.service.store_sqlite import SqliteStore

    assert where.path is not None
    return SqliteStore(where.path, create=create)


def backend_of(store: Store) -> str:
    """"sqlite" or "postgresql": what /healthz reports."""
    return str(getattr(store, "backend", "sqlite"))


def index_path(store: Store, encoder: str = "") -> Path:
    """Where this process keeps the store's FAISS index.

    SQLite: beside the memory file (`memory.db.faiss`), derived from it and copied with it.
    PostgreSQL: in this machine's cache folder ($RESOLIGN_CACHE_DIR, default ~/.cache/resolign),
    named by the store's id and the encoder, so each server keeps its own index and only ever
    reads vectors from the database (servers on one machine share the file: it is written
    atomically).
    """
    if backend_of(store) == "sqlite":
        return Path(f"{store.location}.faiss")
    root = os.environ.get("RESOLIGN_CACHE_DIR", str(Path.home() / ".cache" / "resolign"))
    if root == "off":
        import tempfile

        root = tempfile.gettempdir()
    folder = Path(root) / "indexes"
    folder.mkdir(parents=True, exist_ok=True)
    encoder_part = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder).strip("_") or "index"
    return folder / f"{store.store_id}-{encoder_part}.faiss"


def vector_source(store: Store) -> VectorSource | None:
    """The store's shared vector table when it has one (PostgreSQL): replicas read the vectors
    one of them embedded instead of embedding the same units again."""
    return getattr(store, "vectors", None)
