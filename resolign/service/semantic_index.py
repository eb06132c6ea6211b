"""The semantic index: one embedding per unit in a FAISS file beside the memory (`memory.db.faiss`).

It needs little from the memory's rows (`UnitSource`: ids, texts, a revision counter and the
store's identity) and imports no store: `Memory` hands it the store.

Each unit is embedded as the normalised mean of its French, English and Arabic embeddings. With
a cross-lingual encoder the three land close together, so the mean is a language-neutral point:
a query in any language meets it, and one vector per unit keeps the index a third the size.

Index type by size (inner product on unit vectors = cosine):
  * < FLAT_LIMIT vectors: IndexFlatIP — exact, ~5 ms for 50k x 512 on two cores, no tuning.
  * larger: HNSW (M=32, efSearch >= 128) — no training step (unlike IVF, which would need
    retraining as the memory grows), incremental adds, recall > 0.95 at these sizes.
Both sit in an IndexIDMap2 so FAISS ids are unit ids and the id map is inside the one file.

The store is the truth; this file is derived. It is written after each commit (atomically,
tmp + rename) and checked on open and before each search: a missing file, one from another
memory or encoder, or one holding ids the memory lacks is rebuilt; one missing ids (a crash
after commit, or another process's import) is caught up by embedding just those units.

Concurrency: searches never wait for embedding. The query is embedded outside any lock; a
search that finds the memory changed starts the catch-up only if no other thread is already
syncing, and otherwise searches the index as it is (a few units stale). A sync embeds outside
`_lock`, which guards the FAISS index object only: adding vectors, swapping in a rebuilt index
and searching take it (FAISS must not add and search one index at once). Writers (`add_units`)
run the catch-up themselves after their commit, so the embedding cost is theirs (`Memory.add_units`
reserves the sync turn before its commit shows, so searches leave that catch-up to the writer).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import faiss
import numpy as np

from resolign.errors import ModelUnavailable
from resolign.languages import LANGS

if TYPE_CHECKING:
    from resolign.align.encoders import Encoder

FLAT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128
EMBED_BATCH = 256
ADD_SLICE = 1024


class UnitSource(Protocol):
    """What the index reads from the memory's rows."""

    @property
    def store_id(self) -> str: ...
    @property
    def revision(self) -> int: ...
    def ids(self) -> list[int]: ...
    def texts_of(self, unit_ids: Sequence[int],
                 langs: Sequence[str]) -> dict[int, dict[str, str]]: ...


class SemanticIndex:
    """FAISS index of unit embeddings, kept in step with the units of a `UnitSource`."""

    def __init__(self, source: UnitSource, encoder_spec: str, index_path: Path):
        self.source = source
        self.encoder_spec = encoder_spec
        self.index_path = index_path
        self.meta_path = index_path.with_name(f"{index_path.name}.json")
        self.unavailable: str | None = None
        self.rebuilt = False
        """True when the last sync had to rebuild from scratch (for tests and logs)."""
        self._encoder: Encoder | None = None
        self._index: faiss.Index | None = None
        self._synced_revision = -1
        self._loaded_mtime: int | None = None
        self._lock = threading.Lock()
        """Guards `_index`: add, swap and search (never held while embedding or saving)."""
        self._sync_lock = threading.Lock()
        """One sync at a time; searches that find it taken do not wait for it."""
        self._encoder_lock = threading.Lock()
        self._warm = False

    # --- encoder ----------------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    from resolign.align.encoders import load_encoder

                    self._encoder = load_encoder(self.encoder_spec)
        return self._encoder

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoder = self.encoder
        if not self._warm:
            # The first encode may load weights lazily: one thread does it on one short text,
            # the others wait for that (not for a whole batch), then all encode side by side.
            with self._encoder_lock:
                if not self._warm:
                    encoder.encode(["resolign"])
                    self._warm = True
        return encoder.encode(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]

    def embed_units(self, unit_ids: np.ndarray) -> np.ndarray:
        """One vector per unit: the normalised mean of its fr/en/ar embeddings."""
        dim = self.encoder.dim
        out = np.zeros((len(unit_ids), dim), dtype=np.float32)
        for start in range(0, len(unit_ids), EMBED_BATCH * 4):
            chunk = [int(i) for i in unit_ids[start:start + EMBED_BATCH * 4]]
            texts = self.source.texts_of(chunk, LANGS)
            flat: list[str] = []
            owner: list[int] = []
            for row, unit_id in enumerate(chunk):
                for text in texts.get(unit_id, {}).values():
                    flat.append(text)
                    owner.append(start + row)
            vectors = self._encode(flat) if flat else np.zeros((0, dim), np.float32)
            np.add.at(out, np.asarray(owner, dtype=np.int64), vectors)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    # --- keeping in step --------------------------------------------------------------------

    def sync(self, *, wait: bool = True) -> bool:
        """Bring the index to exactly the store's units (load, catch up, or rebuild) and save.

        With `wait=False`, return at once (False) when another thread is already syncing.
        """
        if not self._sync_lock.acquire(blocking=wait):
            return False
        try:
            self._sync_held()
        finally:
            self._sync_lock.release()
        return True

    def try_reserve(self) -> bool:
        """Take the sync turn now if free (a writer about to commit; see `sync_reserved`)."""
        return self._sync_lock.acquire(blocking=False)

    def sync_reserved(self) -> None:
        """Sync with the turn taken by `try_reserve`, then give it back."""
        try:
            self._sync_held()
        finally:
            self._sync_lock.release()

    def release_reserved(self) -> None:
        self._sync_lock.release()

    def _sync_held(self) -> None:
        revision = self.source.revision
        try:
            self._sync()
            self.unavailable = None
        except ModelUnavailable as error:
            self.unavailable = str(error)
            return
        self._synced_revision = revision

    def ensure_current(self) -> None:
        """Cheap check before a search: catch up if the memory changed since the last sync,
        unless another thread is doing it already (then the index is used as it is)."""
        if self.source.revision != self._synced_revision or self._index is None:
            self.sync(wait=False)

    def _sync(self) -> None:
        """Runs with the sync turn held: only this thread changes `_index` meanwhile."""
        current = self._index
        index = current
        if index is None or self._file_mtime() != self._loaded_mtime:
            # Another process (an import beside a running app) may have saved newer vectors.
            loaded = self._load()
            if loaded is not None:
                index = loaded
        # Read after loading: a file saved by another process holds only committed ids.
        db_ids = np.asarray(self.source.ids(), dtype=np.int64)
        if index is not None and not self._within(index, db_ids):
            # Ids the memory does not have: not this memory's index.
            index = current if current is not None and self._within(current, db_ids) else None
        if current is not None and not self._within(current, db_ids):
            self._publish(None)  # never answer with another memory's ids while rebuilding
        rebuilt = index is None
        if index is None:
            index = self._new_index(len(db_ids))
            missing = db_ids
        else:
            if index is not self._index:
                self._publish(index)  # the newer file from another process, as it is
            missing = np.setdiff1d(db_ids, self._ids(index), assume_unique=True)
        for start in range(0, len(missing), 4096):
            part = missing[start:start + 4096]
            vectors = self.embed_units(part)  # the slow part: no lock held
            index = self._add(index, part, vectors)
        if rebuilt:
            self._publish(index)
        if len(missing) or rebuilt:
            self._save(index)
        self.rebuilt = rebuilt

    def _within(self, index: faiss.Index, db_ids: np.ndarray) -> bool:
        return not len(np.setdiff1d(self._ids(index), db_ids, assume_unique=True))

    def _publish(self, index: faiss.Index | None) -> None:
        with self._lock:
            self._index = index

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

    @staticmethod
    def _kind(index: faiss.Index | None) -> str:
        if index is None:
            return "none"
        base = faiss.downcast_index(index.index)
        return "hnsw" if isinstance(base, faiss.IndexHNSW) else "flat"

    def kind(self) -> str:
        """`flat` or `hnsw` (which structure the index currently uses)."""
        return self._kind(self._index)

    def _add(self, index: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
        """Add vectors to `index` (under `_lock` if searches can see it); the index to use next.

        Runs with the sync turn held, so reading `index` outside `_lock` is safe: only this
        thread ever changes it.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self._kind(index) == "flat" and index.ntotal + len(ids) >= FLAT_LIMIT:
            # Grown past brute force: move the vectors already embedded into an HNSW graph,
            # built aside (searches keep using the flat index) and swapped in when complete.
            old_ids = self._ids(index)
            old = faiss.downcast_index(index.index).reconstruct_n(0, index.ntotal)
            grown = self._new_index(FLAT_LIMIT)
            if len(old_ids):
                grown.add_with_ids(old, old_ids)
            grown.add_with_ids(vectors, ids)
            if index is self._index:
                self._publish(grown)
            return grown
        if index is not self._index:
            index.add_with_ids(vectors, ids)
            return index
        for start in range(0, len(ids), ADD_SLICE):  # short holds: searches slip in between
            with self._lock:
                index.add_with_ids(vectors[start:start + ADD_SLICE], ids[start:start + ADD_SLICE])
        return index

    # --- files ------------------------------------------------------------------------------

    def _meta(self) -> dict[str, object]:
        return {"store_id": self.source.store_id, "encoder": self.encoder_spec,
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

    def _save(self, index: faiss.Index) -> None:
        # Writing only reads the index (as searches do) and only this thread adds to it now.
        suffix = f"{os.getpid()}.{threading.get_ident()}.tmp"
        tmp = self.index_path.with_name(f"{self.index_path.name}.{suffix}")
        faiss.write_index(index, str(tmp))
        os.replace(tmp, self.index_path)
        self._loaded_mtime = self._file_mtime()
        meta_tmp = self.meta_path.with_name(f"{self.meta_path.name}.{suffix}")
        meta_tmp.write_text(json.dumps({**self._meta(), "kind": self._kind(index),
                                        "count": int(index.ntotal)}), encoding="utf-8")
        os.replace(meta_tmp, self.meta_path)

    # --- searching --------------------------------------------------------------------------

    def nearest(self, query: str, k: int) -> list[tuple[int, float]]:
        """Up to k (unit id, cosine) pairs, most similar first; [] if semantic search is off."""
        self.ensure_current()
        if self._index is None or self.unavailable:
            return []
        vector = np.ascontiguousarray(self.embed_query(query).reshape(1, -1), dtype=np.float32)
        with self._lock:
            index = self._index
            if index is None or index.ntotal == 0:
                return []
            k = max(1, min(k, int(index.ntotal)))
            if self._kind(index) == "hnsw":
                base = faiss.downcast_index(index.index)
                base.hnsw.efSearch = max(HNSW_EF_SEARCH, k)
            sims, ids = index.search(vector, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0]

    def state(self) -> dict[str, object]:
        """What the index is doing, for /healthz and the CLI."""
        if self.unavailable:
            return {"semantic": "unavailable", "reason": self.unavailable}
        return {"semantic": "ready", "kind": self.kind(), "vectors": self.size,
                "encoder": self.encoder_spec}

    @property
    def size(self) -> int:
        index = self._index
        return 0 if index is None else int(index.ntotal)

    def close(self) -> None:
        self._publish(None)
