"""Embeddings cached per text, in memory and on disk, so re-aligning a document is cheap.

The on-disk cache is one SQLite file per encoder under $RESOLIGN_CACHE_DIR (default
~/.cache/resolign); keys are SHA-1 digests of the exact text. Set RESOLIGN_CACHE_DIR=off to
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
    """Wraps an encoder: `embed(texts)` encodes only texts never seen before."""

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self._memory: dict[bytes, np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        path = _cache_file(encoder)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, timeout=30)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)"
                )
            except (OSError, sqlite3.Error):
                self._db = None  # a read-only home or a locked file: work from memory

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).digest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memory}
        if missing and self._db is not None:
            self._load(list(missing))
            missing = {k: t for k, t in missing.items() if k not in self._memory}
        if missing:
            todo = list(missing.items())
            batch = 64
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                vectors = self.encoder.encode([t for _, t in chunk])
                for (key, _), vec in zip(chunk, vectors, strict=True):
                    self._memory[key] = vec
                if progress is not None:
                    progress(len(chunk))
            self._store([k for k, _ in todo])
        if not keys:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.stack([self._memory[k] for k in keys])

    def _load(self, keys: list[bytes]) -> None:
        assert self._db is not None
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk
                ).fetchall()
            except sqlite3.Error:
                return
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == self.encoder.dim:
                    self._memory[key] = vec

    def _store(self, keys: list[bytes]) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                    [(k, self._memory[k].astype(np.float32).tobytes()) for k in keys],
                )
        except sqlite3.Error:
            pass  # the cache is an optimisation: never fail an alignment because of it
