"""Embeddings cached per text, in memory and on disk, so re-aligning a document is cheap.

The on-disk cache is one SQLite file per encoder under $RESOLIGN_CACHE_DIR (default
~/.cache/resolign), a table for vectors and one for pieces (`Encoder.pieces`); keys are SHA-1
digests of the exact text. Set RESOLIGN_CACHE_DIR=off to
keep everything in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

import numpy as np

from resolign.align.encoders import Encoder


def _cache_file(encoder: Encoder) -> Path | None:
    root = os.environ.get("RESOLIGN_CACHE_DIR", str(Path.home() / ".cache" / "resolign"))
    if root.lower() in {"off", "none", "0", ""}:
        return None
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", encoder.name)[-120:]
    return Path(root) / f"embeddings-{safe}.sqlite"


class EmbeddingCache:
    """Wraps an encoder: `embed(texts)` encodes only texts never seen before; `pieces(texts)`
    does the same for the encoder's pieces (what runs of sentences are embedded from)."""

    TABLES = ("vectors", "pieces")

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self._memory: dict[str, dict[bytes, np.ndarray]] = {table: {} for table in self.TABLES}
        self._db: sqlite3.Connection | None = None
        path = _cache_file(encoder)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, timeout=30)
                self._db.execute("PRAGMA journal_mode=WAL")
                for table in self.TABLES:
                    self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                                     "(key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
            except (OSError, sqlite3.Error):
                self._db = None  # a read-only home or a locked file: work from memory

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        return self._cached("vectors", texts, self.encoder.encode, self.encoder.dim, progress)

    def pieces(self, texts: list[str], progress=None) -> np.ndarray:
        return self._cached("pieces", texts, self.encoder.pieces, self.encoder.piece_width,
                            progress)

    def _cached(self, table: str, texts: list[str], compute, width: int,
                progress=None) -> np.ndarray:
        memory = self._memory[table]
        keys = [hashlib.sha1(t.encode("utf-8")).digest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in memory}
        if missing and self._db is not None:
            self._load(table, list(missing), width)
            missing = {k: t for k, t in missing.items() if k not in memory}
        if missing:
            todo = list(missing.items())
            batch = 64
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                rows = compute([t for _, t in chunk])
                for (key, _), row in zip(chunk, rows, strict=True):
                    memory[key] = np.asarray(row, dtype=np.float32)
                if progress is not None:
                    progress(len(chunk))
            self._store(table, [k for k, _ in todo])
        if not keys:
            return np.zeros((0, width), dtype=np.float32)
        return np.stack([memory[k] for k in keys])

    def _load(self, table: str, keys: list[bytes], width: int) -> None:
        assert self._db is not None
        memory = self._memory[table]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    f"SELECT key, vec FROM {table} WHERE key IN ({marks})", chunk
                ).fetchall()
            except sqlite3.Error:
                return
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == width:
                    memory[key] = vec

    def _store(self, table: str, keys: list[bytes]) -> None:
        if self._db is None:
            return
        memory = self._memory[table]
        try:
            with self._db:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO {table} (key, vec) VALUES (?, ?)",
                    [(k, memory[k].astype(np.float32).tobytes()) for k in keys],
                )
        except sqlite3.Error:
            pass  # the cache is an optimisation: never fail an alignment because of it
