"""Which store a memory location names: today a SQLite file path."""

from __future__ import annotations

from pathlib import Path

from resolign.service.store import Store


def open_store(location: str | Path, *, create: bool = True) -> Store:
    """The store at `location`: a SQLite file path."""
    from resolign.service.store_sqlite import SqliteStore

    return SqliteStore(Path(location), create=create)
