"""The semantic index: one embedding per unit in a FAISS file beside the memory (`memory.db.faiss`).

It needs little from the memory's rows (`UnitSource`: ids, texts, a revision counter and the
store's identity) and imports no store: `Memory` hands it the store.

Each unit is embedded as the normalised mean of its French, English and Arabic embeddings. With
a cross-lingual encoder the three land close together, so the mean is a language-neutral point:
a query in any language meets it, and one vector per unit keeps the index a third the size.

Index type by size: `faiss_files.py` (flat below FLAT_LIMIT vectors, HNSW above).

The store is the truth; this file is derived. It is written after each commit (atomically,
tmp + rename) and checked on open and before each search: a missing file, one from another
memory or encoder, or one holding ids the memory lacks is rebuilt; one missing ids (a crash
after commit, or another process's import) is caught up by embedding just those units.

Shared vectors (`VectorSource`, a PostgreSQL memory's `vectors` table): a server that must add
units first takes the vectors another server already stored, and only embeds (then stores)
what is missing while it holds the encoder's claim; a writer claims before its commit shows, so
the other servers wait for its vectors rather than embed the same units. Units whose vectors
are not there yet are `pending`; `follow()` (a server's background thread) retries them and
catches up with other servers' writes from the store's revision counter, every FOLLOW_SECONDS.
With shared vectors the FAISS file is only a start-up shortcut, so it is saved when rebuilt,
after SAVE_EVERY new vectors, and on close, not after every small catch-up.

Concurrency: searches never wait for embedding. The query is embedded outside any lock; a
search that finds the memory changed starts the catch-up only if no other thread is already
syncing, and otherwise searches the index as it is (a few units stale). A sync embeds outside
`_lock`, which guards the FAISS index object only: adding vectors, swapping in a rebuilt index
and searching take it (FAISS must not add and search one index at once). Writers (`add_units`)
run the catch-up themselves after their commit, so the embedding cost is theirs (`Memory.add_units`
reserves the sync turn before its commit shows, so searches leave that catch-up to the writer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import faiss
import numpy as np

from resolign.errors import ModelUnavailable
from resolign.languages import LANGS
from resolign.service.faiss_files import (
    HNSW_EF_SEARCH,
    grown_index,
    index_ids,
    index_kind,
    new_index,
    outgrows_flat,
    read_index,
    write_index,
)

if TYPE_CHECKING:
    from resolign.align.encoders import Encoder

EMBED_BATCH = 256
ADD_SLICE = 1024
FOLLOW_SECONDS = 1.0
"""How often a server's follower checks the store's revision (semantic lag is about this)."""
SAVE_EVERY = 10_000
"""With shared vectors: new vectors after which the FAISS file is saved again."""

log = logging.getLogger(__name__)


class UnitSource(Protocol):
    """What the index reads from the memory's rows."""

    @property
    def store_id(self) -> str: ...
    @property
    def revision(self) -> int: ...
    def ids(self) -> list[int]: ...
    def texts_of(self, unit_ids: Sequence[int],
                 langs: Sequence[str]) -> dict[int, dict[str, str]]: ...


class VectorSource(Protocol):
    """Unit vectors shared by every process on a memory (the database several servers use)."""

    def load(self, encoder: str, dim: int, unit_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of some units; units without one are absent."""
        ...

    def save(self, encoder: str, unit_ids: Sequence[int], vectors: np.ndarray) -> None: ...

    def claim(self, encoder: str) -> object | None:
        """The right to embed for `encoder` (a token for `release`), None if another process
        has it. Never waits."""
        ...

    def release(self, token: object) -> None: ...


class SemanticIndex:
    """FAISS index of unit embeddings, kept in step with the units of a `UnitSource`."""

    def __init__(self, source: UnitSource, encoder_spec: str, index_path: Path,
                 vectors: VectorSource | None = None):
        self.source = source
        self.vectors = vectors
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
        self.pending = 0
        """Units the last sync found without a stored vector while another process embeds."""
        self._known = 0
        self._claim: object | None = None
        self._unsaved = 0
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

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
        """Take the sync turn now if free (a writer about to commit; see `sync_reserved`),
        and with shared vectors the claim to embed, so other servers wait for our vectors."""
        if not self._sync_lock.acquire(blocking=False):
            return False
        if self.vectors is not None:
            self._claim = self.vectors.claim(self.encoder_spec)
        return True

    def sync_reserved(self) -> None:
        """Sync with the turn taken by `try_reserve`, then give it back."""
        try:
            self._sync_held()
        finally:
            self._drop_claim()
            self._sync_lock.release()

    def release_reserved(self) -> None:
        self._drop_claim()
        self._sync_lock.release()

    def _drop_claim(self) -> None:
        token, self._claim = self._claim, None
        if token is not None and self.vectors is not None:
            self.vectors.release(token)

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
            index = new_index(self.encoder.dim, len(db_ids))
            missing = db_ids
        else:
            if index is not self._index:
                self._publish(index)  # the newer file from another process, as it is
            missing = np.setdiff1d(db_ids, index_ids(index), assume_unique=True)
        pending = 0
        added = 0
        for start in range(0, len(missing), 4096):
            part = missing[start:start + 4096]
            got, vectors, waiting = self._vectors_for(part)  # the slow part: no lock held
            pending += waiting
            if len(got):
                index = self._add(index, got, vectors)
                added += len(got)
        if rebuilt:
            self._publish(index)
        self._unsaved += added
        if rebuilt or (added and (self.vectors is None or self._unsaved >= SAVE_EVERY)):
            self._save(index)
        self.rebuilt = rebuilt
        self.pending = pending
        self._known = len(db_ids)

    def _vectors_for(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """(ids, vectors) for some units, and how many are left for another process to embed.

        Without shared vectors: embedded here. With them: stored vectors first; what is missing
        is embedded (and stored) only while holding the encoder's claim.
        """
        if self.vectors is None:
            return ids, self.embed_units(ids), 0
        dim = self.encoder.dim
        found = self.vectors.load(self.encoder_spec, dim, ids)
        rest = [int(i) for i in ids if int(i) not in found]
        if rest:
            token = self._claim if self._claim is not None else \
                self.vectors.claim(self.encoder_spec)
            if token is not None:
                try:
                    found.update(self.vectors.load(self.encoder_spec, dim, rest))
                    rest = [i for i in rest if i not in found]
                    if rest:
                        embedded = self.embed_units(np.asarray(rest, dtype=np.int64))
                        self.vectors.save(self.encoder_spec, rest, embedded)
                        found.update(zip(rest, embedded, strict=True))
                        rest = []
                finally:
                    if token is not self._claim:
                        self.vectors.release(token)
        got = np.asarray(sorted(found), dtype=np.int64)
        vectors = (np.stack([found[int(i)] for i in got]).astype(np.float32) if len(got)
                   else np.zeros((0, dim), np.float32))
        return got, vectors, len(rest)

    def _within(self, index: faiss.Index, db_ids: np.ndarray) -> bool:
        return not len(np.setdiff1d(index_ids(index), db_ids, assume_unique=True))

    def _publish(self, index: faiss.Index | None) -> None:
        with self._lock:
            self._index = index

    def kind(self) -> str:
        """`flat` or `hnsw` (which structure the index currently uses)."""
        return index_kind(self._index)

    def _add(self, index: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
        """Add vectors to `index` (under `_lock` if searches can see it); the index to use next.

        Runs with the sync turn held, so reading `index` outside `_lock` is safe: only this
        thread ever changes it.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if outgrows_flat(index, len(ids)):
            # Grown past brute force: an HNSW graph built aside (searches keep using the flat
            # index) and swapped in when complete.
            grown = grown_index(index, ids, vectors)
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
        return read_index(self.index_path, self.meta_path, self._meta())

    def _save(self, index: faiss.Index) -> None:
        # Writing only reads the index (as searches do) and only this thread adds to it now.
        write_index(index, self.index_path, self.meta_path, self._meta())
        self._unsaved = 0
        self._loaded_mtime = self._file_mtime()

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
            if index_kind(index) == "hnsw":
                base = faiss.downcast_index(index.index)
                base.hnsw.efSearch = max(HNSW_EF_SEARCH, k)
            sims, ids = index.search(vector, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0]

    def state(self) -> dict[str, object]:
        """What the index is doing, for /healthz and the CLI. `lag`: units the store held at
        the last check (every FOLLOW_SECONDS on a server) that are not searchable by meaning
        here yet."""
        if self.unavailable:
            return {"semantic": "unavailable", "reason": self.unavailable}
        return {"semantic": "ready", "kind": self.kind(), "vectors": self.size,
                "encoder": self.encoder_spec, "lag": max(0, self._known - self.size)}

    # --- following other writers ------------------------------------------------------------

    def follow(self, interval: float = FOLLOW_SECONDS) -> None:
        """Catch up in the background: every `interval` seconds, if the store's revision moved
        or units were waiting for another process's vectors, sync (without waiting for a sync
        already running). A server calls this so that units written through another server
        become searchable by meaning within seconds, searched or not."""
        if self._follower is not None:
            return
        self._follower = threading.Thread(target=self._follow, args=(interval,),
                                          name="semantic-index-follower", daemon=True)
        self._follower.start()

    def _follow(self, interval: float) -> None:
        failing = False
        while not self._stop.wait(interval):
            try:
                if self.pending or self.source.revision != self._synced_revision:
                    self.sync(wait=False)
                failing = False
            except Exception as error:  # the database restarting: try again next tick
                if not failing:
                    log.warning("semantic index catch-up failed: %s", error)
                failing = True

    @property
    def size(self) -> int:
        index = self._index
        return 0 if index is None else int(index.ntotal)

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=60)
            self._follower = None
        index = self._index
        if index is not None and self._unsaved and self._sync_lock.acquire(timeout=60):
            try:
                self._save(index)  # shared vectors: what was added since the last save
            except OSError as error:
                log.warning("could not save the semantic index: %s", error)
            finally:
                self._sync_lock.release()
        self._publish(None)
