"""Look-ups while the memory is being written: they do not wait for the writer, and see a state.

Real devset units, a real SQLite file and the real FAISS index. To hold a write open on purpose,
an import is fed from a generator that stops before its last unit until the test lets it go,
and a catch-up embedding is held by wrapping the real encoder so that the syncing thread waits
on an event before embedding (the vectors are still the encoder's). Nothing here asserts a
duration: only that calls returned while the other thread was provably still inside its
transaction or its embedding, and what they returned.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from resolign.align.encoders import Encoder
from resolign.service.memory import NO_ENCODER, Memory
from resolign.units import Unit
from tests.devset import devset_units

BASE = 100
"""Units committed before the import."""
WAIT = 300
"""Seconds a held thread waits before giving up, so a regression fails instead of hanging."""


def held_back(units: list[Unit], reached: threading.Event, go: threading.Event) -> Iterator[Unit]:
    """All units but the last, then wait for `go`: the transaction stays open meanwhile."""
    yield from units[:-1]
    reached.set()
    if not go.wait(WAIT):
        raise TimeoutError("the test never let the import finish")
    yield units[-1]


class Writer(threading.Thread):
    def __init__(self, store: Memory, units: Iterator[Unit] | list[Unit]) -> None:
        super().__init__(daemon=True)
        self.store, self.units = store, units
        self.report = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.report = self.store.add_units(self.units)
        except BaseException as error:  # reported by the test
            self.error = error


def exact_targets(store: Memory, text: str) -> list[str]:
    return [m.target for m in store.search(text, src="fr", tgt="en", semantic=False,
                                     min_score=100)]


# --- the store: reads during an open write transaction --------------------------------------

def test_reads_during_a_large_open_import_see_the_committed_state(tmp_path: Path,
                                                                  devset_dir: Path):
    old = devset_units(0, BASE)
    new = devset_units(BASE, 4000)  # thousands of units in one transaction
    store = Memory.open(tmp_path / "m.db", encoder=NO_ENCODER)
    try:
        assert store.add_units(old).added == BASE
        before_ids = store.ids()
        reached, go = threading.Event(), threading.Event()
        writer = Writer(store, held_back(new, reached, go))
        writer.start()
        assert reached.wait(WAIT), writer.error
        # The writer has inserted all but one of its units and holds the write transaction.
        probe_new, probe_old = new[1234], old[42]
        word = next(w for w in probe_new.texts["fr"].split() if len(w) > 6)

        def look() -> dict[str, object]:
            return {
                "count": store.count(),
                "ids": store.ids(),
                "old": exact_targets(store, probe_old.texts["fr"]),
                "new": exact_targets(store, probe_new.texts["fr"]),
                "hits": {h.unit_id for h in store.concordance(word, lang="fr", limit=500)},
                "unit": store.get_unit(BASE + 500),
                "first": store.get_unit(1),
                "revision": store.revision,
            }

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(look) for _ in range(8)]
            seen = [f.result(timeout=WAIT) for f in futures]
        # Every look-up returned while the import was still inside its transaction ...
        assert writer.is_alive() and not go.is_set()
        # ... and saw exactly the memory as committed before it.
        for state in seen:
            assert state["count"] == BASE and state["ids"] == before_ids
            assert state["old"] == [probe_old.texts["en"]]
            assert state["new"] == []
            assert state["hits"] <= set(before_ids)
            assert state["unit"] is None
            assert state["first"].texts["fr"] == old[0].texts["fr"]
            assert state["revision"] == seen[0]["revision"]
        go.set()
        writer.join(WAIT)
        assert not writer.is_alive() and writer.error is None
        added = writer.report.added
        assert added > 3000
        # After the commit, other threads see the new units.
        with ThreadPoolExecutor(max_workers=2) as pool:
            count = pool.submit(store.count).result(timeout=WAIT)
            found = pool.submit(exact_targets, store, probe_new.texts["fr"]).result(timeout=WAIT)
            unit = pool.submit(store.get_unit, BASE + 500).result(timeout=WAIT)
            hits = pool.submit(store.concordance, word, lang="fr", limit=500).result(WAIT)
        assert count == BASE + added
        assert probe_new.texts["en"] in found
        assert unit is not None and unit.texts["fr"] in {u.texts["fr"] for u in new}
        assert any(h.unit_id > BASE for h in hits)
    finally:
        go.set()
        store.close()


def test_a_failed_import_was_never_visible_to_readers(tmp_path: Path, devset_dir: Path):
    store = Memory.open(tmp_path / "m.db", encoder=NO_ENCODER)
    try:
        store.add_units(devset_units(0, 20))
        reached, go = threading.Event(), threading.Event()
        new = devset_units(20, 600)

        def broken() -> Iterator[Unit]:
            yield from held_back(new, reached, go)
            raise ValueError("the TMX ends halfway")

        writer = Writer(store, broken())
        writer.start()
        assert reached.wait(WAIT)
        with ThreadPoolExecutor(max_workers=1) as pool:
            during = pool.submit(store.count).result(timeout=WAIT)
        assert writer.is_alive() and during == 20
        go.set()
        writer.join(WAIT)
        assert isinstance(writer.error, ValueError)
        assert store.count() == 20 and exact_targets(store, new[5].texts["fr"]) == []
    finally:
        go.set()
        store.close()


# --- the semantic index: searches while a catch-up is embedding -----------------------------

class HeldEncoder:
    """The real encoder, except that unit batches embedded in `held_thread` wait for `go`."""

    def __init__(self, real: Encoder) -> None:
        self.real = real
        self.embedding, self.go = threading.Event(), threading.Event()
        self.held_thread: threading.Thread | None = None
        self.unit_batches: list[str] = []  # names of the threads that embedded units

    def wrap(self) -> Encoder:
        return Encoder(name=self.real.name, dim=self.real.dim, embed=self._embed)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) > 1:  # unit batches (fr+en+ar), never a single query
            self.unit_batches.append(threading.current_thread().name)
            if threading.current_thread() is self.held_thread:
                self.embedding.set()
                if not self.go.wait(WAIT):
                    raise TimeoutError("the test never let the embedding finish")
        return self.real.embed(texts)


@pytest.fixture(scope="module")
def indexed(devset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("indexed") / "memory.db"
    with Memory.open(path) as store:
        store.add_units(devset_units(0, 30))
    return path


def open_copy(source: Path, target: Path) -> Memory:
    for file in source.parent.glob(source.name + "*"):
        (target / file.name).write_bytes(file.read_bytes())
    return Memory.open(target / source.name)


def held(store: Memory) -> HeldEncoder:
    assert store.index is not None
    holder = HeldEncoder(store.index.encoder)
    store.index._encoder = holder.wrap()
    return holder


def test_search_uses_the_index_as_it_is_while_another_thread_catches_up(
        tmp_path: Path, indexed: Path, devset_dir: Path):
    store = open_copy(indexed, tmp_path)
    holder = held(store)
    try:
        # Another handle (as another process would) adds units: the index is now behind.
        new = devset_units(30, 40)
        with Memory.open(store.location, encoder=NO_ENCODER) as other:
            assert other.add_units(new).added == 10
        syncer = threading.Thread(target=store.index.sync, name="syncer", daemon=True)
        holder.held_thread = syncer
        syncer.start()
        assert holder.embedding.wait(WAIT)
        # The catch-up is embedding the 10 units; searches go ahead on the 30 indexed ones.
        old_query = devset_units(12, 13)[0].texts["en"]
        top = store.index.nearest(old_query, 3)
        assert syncer.is_alive() and store.index.size == 30
        assert store.get_unit(top[0][0]).texts["en"] == old_query
        new_query = new[4].texts["en"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            near = pool.submit(store.index.nearest, new_query, 40).result(timeout=WAIT)
            matches = pool.submit(store.search, new_query, src="fr", tgt="en",
                                  min_score=0).result(timeout=WAIT)
        assert syncer.is_alive()
        assert {i for i, _ in near} <= set(range(1, 31))  # only what was indexed before
        assert new_query not in [m.target for m in matches if m.kind == "semantic"]
        assert holder.unit_batches == ["syncer"]  # the searches did not start a catch-up
        holder.go.set()
        syncer.join(WAIT)
        assert not syncer.is_alive() and store.index.size == 40
        top = store.index.nearest(new_query, 1)[0]
        assert store.get_unit(top[0]).texts["en"] == new_query
    finally:
        holder.go.set()
        store.close()


def test_the_writer_pays_the_catch_up_and_searches_do_not_wait_for_it(
        tmp_path: Path, indexed: Path, devset_dir: Path):
    store = open_copy(indexed, tmp_path)
    holder = held(store)
    try:
        new = devset_units(30, 45)
        writer = Writer(store, new)
        holder.held_thread = writer
        writer.start()
        assert holder.embedding.wait(WAIT)
        # Committed, and the writer (inside add_units) is embedding the new units.
        new_query = new[7].texts["en"]
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(store.search, new_query, src="en", tgt="fr", min_score=0)
                       for _ in range(3)]
            near = pool.submit(store.index.nearest, new_query, 45).result(timeout=WAIT)
            results = [f.result(timeout=WAIT) for f in futures]
        assert writer.is_alive() and writer.report is None
        # The units are in the store (an exact match), not yet in the index.
        for matches in results:
            assert matches[0].kind == "exact" and matches[0].target == new[7].texts["fr"]
        assert {i for i, _ in near} <= set(range(1, 31))
        assert set(holder.unit_batches) == {writer.name}
        holder.go.set()
        writer.join(WAIT)
        assert writer.error is None and writer.report.added == 15
        assert store.index.size == store.count() == 45
        assert set(holder.unit_batches) == {writer.name}  # nobody else embedded units
        top = store.index.nearest(new_query, 1)[0]
        assert store.get_unit(top[0]).texts["en"] == new_query
    finally:
        holder.go.set()
        store.close()
