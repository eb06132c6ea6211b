"""The semantic index: one embedding per unit in a FAISS file beside the memory (`memory.db.faiss`).

Each unit is embedded as the normalised mean of its French, English and Arabic embeddings. With
a cross-lingual encoder the three land close together, so the mean is a language-neutral point:
a query in any language meets it, and one vector per unit keeps the index a third the size.

Index type by size (inner product on unit vectors = cosine):
  * < FLAT_LIMIT vectors: IndexFlatIP — exact, ~5 ms for 50k x 512 on two cores, no tuning.
  * larger: HNSW (M=32, efSearch >= 128) — no training step (unlike IVF, which would need
    retraining as the memory grows), incremental adds, recall > 0.95 at these sizes.
Both sit in an IndexIDMap2 so FAISS ids are unit ids and the id map is inside the one file.

The SQLite file is the truth; this file is derived. It is written after each commit (atomically,
tmp + rename) and checked on open and before each search: a missing file, one from another
memory or encoder, or one holding ids the memory lacks is rebuilt; one missing ids (a crash
after commit, or another process's import) is caught up by embedding just those units.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from resolign import LANGS
from resolign.errors import ModelUnavailable

if TYPE_CHECKING:
    from resolign.align.encoders import Encoder
    from resolign.service.store import MemoryStore

FLAT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128
EMBED_BATCH = 256


class SemanticIndex:
    """FAISS index of unit embeddings, kept in step with a MemoryStore."""

    def __init__(self, store: MemoryStore, encoder_spec: str):
        self.store = store
        self.encoder_spec = encoder_spec
        self.index_path = Path(f"{store.path}.faiss")
        self.meta_path = Path(f"{store.path}.faiss.json")
        self.unavailable: str | None = None
        self.rebuilt = False
        """True when the last sync had to rebuild from scratch (for tests and logs)."""
        self._encoder: Encoder | None = None
        self._index: faiss.Index | None = None
        self._synced_revision = -1
        self._loaded_mtime: int | None = None
        self._lock = threading.RLock()

    # --- encoder ----------------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            from resolign.align.encoders import load_encoder

            self._encoder = load_encoder(self.encoder_spec)
        return self._encoder

    def embed_query(self, text: str) -> np.ndarray:
        return self.encoder.encode([text])[0]

    def embed_units(self, unit_ids: np.ndarray) -> np.ndarray:
        """One vector per unit: the normalised mean of its fr/en/ar embeddings."""
        dim = self.encoder.dim
        out = np.zeros((len(unit_ids), dim), dtype=np.float32)
        for start in range(0, len(unit_ids), EMBED_BATCH * 4):
            chunk = [int(i) for i in unit_ids[start:start + EMBED_BATCH * 4]]
            texts = self.store.texts_of(chunk, LANGS)
            flat: list[str] = []
            owner: list[int] = []
            for row, unit_id in enumerate(chunk):
                for text in texts.get(unit_id, {}).values():
                    flat.append(text)
                    owner.append(start + row)
            vectors = self.encoder.encode(flat) if flat else np.zeros((0, dim), np.float32)
            np.add.at(out, np.asarray(owner, dtype=np.int64), vectors)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    # --- keeping in step --------------------------------------------------------------------

    def sync(self) -> None:
        """Bring the index to exactly the store's units (load, catch up, or rebuild) and save."""
        with self._lock:
            revision = self.store.revision
            try:
                self._sync()
                self.unavailable = None
            except ModelUnavailable as error:
                self.unavailable = str(error)
                return
            self._synced_revision = revision

    def ensure_current(self) -> None:
        """Cheap check before a search: re-sync only if the memory changed since last sync."""
        if self.store.revision != self._synced_revision or self._index is None:
            self.sync()

    def _sync(self) -> None:
        db_ids = np.asarray(self.store.ids(), dtype=np.int64)
        self.rebuilt = False
        if self._index is None or self._file_mtime() != self._loaded_mtime:
            # Another process (an import beside a running app) may have saved newer vectors.
            loaded = self._load()
            if loaded is not None:
                self._index = loaded
        have = self._ids(self._index) if self._index is not None else None
        if have is not None and len(np.setdiff1d(have, db_ids, assume_unique=True)):
            self._index = None  # ids the memory does not have: not this memory's index
        if self._index is None:
            self.rebuilt = True
            self._index = self._new_index(len(db_ids))
            missing = db_ids
        else:
            missing = np.setdiff1d(db_ids, self._ids(self._index), assume_unique=True)
        if len(missing) or self.rebuilt:
            for start in range(0, len(missing), 4096):
                part = missing[start:start + 4096]
                self._add(part, self.embed_units(part))
            self._save()

    def _ids(self, index: faiss.Index) -> np.ndarray:
        return faiss.vector_to_array(index.id_map).astype(np.int64)

    def _new_index(self, size: int) -> faiss.Index:
        dim = self.encoder.dim
        if size < FLAT_LIMIT:
            base = faiss.IndexFlatIP(dim)
        else:
            base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efSearch = HNSW_EF_SEARCH
        return faiss.IndexIDMap2(base)

    def kind(self) -> str:
        """`flat` or `hnsw` (which structure the index currently uses)."""
        if self._index is None:
            return "none"
        base = faiss.downcast_index(self._index.index)
        return "hnsw" if isinstance(base, faiss.IndexHNSW) else "flat"

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        assert self._index is not None
        if self.kind() == "flat" and self._index.ntotal + len(ids) >= FLAT_LIMIT:
            # Grown past brute force: move the vectors already embedded into an HNSW graph.
            old_ids = self._ids(self._index)
            old = faiss.downcast_index(self._index.index).reconstruct_n(0, self._index.ntotal)
            self._index = self._new_index(FLAT_LIMIT)
            if len(old_ids):
                self._index.add_with_ids(old, old_ids)
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    # --- files ------------------------------------------------------------------------------

    def _meta(self) -> dict[str, object]:
        return {"store_id": self.store.store_id, "encoder": self.encoder_spec,
                "dim": self.encoder.dim}

    def _file_mtime(self) -> int | None:
        try:
            return self.index_path.stat().st_mtime_ns
        except OSError:
            return None

    def _load(self) -> faiss.Index | None:
        self._loaded_mtime = self._file_mtime()
        if not (self.index_path.is_file() and self.meta_path.is_file()):
            return None
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            if any(meta.get(key) != value for key, value in self._meta().items()):
                return None
            index = faiss.read_index(str(self.index_path))
        except (OSError, ValueError, RuntimeError):
            return None  # unreadable or truncated: rebuild
        if not isinstance(index, faiss.IndexIDMap2) or index.d != self.encoder.dim:
            return None
        return index

    def _save(self) -> None:
        assert self._index is not None
        tmp = self.index_path.with_name(f"{self.index_path.name}.{os.getpid()}.tmp")
        faiss.write_index(self._index, str(tmp))
        os.replace(tmp, self.index_path)
        self._loaded_mtime = self._file_mtime()
        meta_tmp = self.meta_path.with_name(f"{self.meta_path.name}.{os.getpid()}.tmp")
        meta_tmp.write_text(json.dumps({**self._meta(), "kind": self.kind(),
                                        "count": int(self._index.ntotal)}), encoding="utf-8")
        os.replace(meta_tmp, self.meta_path)

    # --- searching --------------------------------------------------------------------------

    def nearest(self, query: str, k: int) -> list[tuple[int, float]]:
        """Up to k (unit id, cosine) pairs, most similar first; [] if semantic search is off."""
        with self._lock:
            self.ensure_current()
            if self._index is None or self._index.ntotal == 0 or self.unavailable:
                return []
            k = max(1, min(k, int(self._index.ntotal)))
            if self.kind() == "hnsw":
                base = faiss.downcast_index(self._index.index)
                base.hnsw.efSearch = max(HNSW_EF_SEARCH, k)
            vector = self.embed_query(query).reshape(1, -1)
            sims, ids = self._index.search(vector, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0]

    @property
    def size(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def close(self) -> None:
        self._index = None
