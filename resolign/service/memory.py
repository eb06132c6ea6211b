"""The translation memory: a unit store (rows) and the semantic index (vectors), kept in step.

Everything that reads or writes a memory goes through `Memory`: the CLI, the HTTP routes and the
demo. A write is one store transaction; the index catches up after the commit, paid for by the
writer (it reserves the index's sync turn before its commit shows, so concurrent searches that
see the new revision search the index as it is instead of embedding the same units twice).
A search goes Memory → store (exact, fuzzy, concordance candidates) + index (semantic) → matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from resolign.align.encoders import DEFAULT_ENCODER
from resolign.errors import TmxError
from resolign.service.backends import Location, index_path, open_store, vector_source
from resolign.service.search import ConcordanceHit, Match, find_concordance, find_matches
from resolign.service.semantic_index import SemanticIndex
from resolign.service.store import AddReport, Store, StoredUnit
from resolign.units import Unit

NO_ENCODER = "none"
"""The encoder spec (also `--encoder none` on the command line) that opens a memory without its
semantic index: exact, fuzzy and concordance look-ups only, no embedding model loaded."""


class Memory:
    """A translation memory. Thread-safe: reads never wait for a write in progress."""

    def __init__(self, store: Store, index: SemanticIndex | None = None):
        self.store = store
        self.index = index

    @classmethod
    def open(cls, location: str | Path | Location, *, encoder: str | None = DEFAULT_ENCODER,
             create: bool = True) -> Memory:
        """The memory at `location`; with an encoder, its semantic index is brought up to date
        (embedding any units it lacks) before this returns."""
        store = open_store(location, create=create)
        if not encoder or encoder == NO_ENCODER:
            return cls(store)
        try:
            index = SemanticIndex(store, encoder, index_path(store, encoder),
                                  vectors=vector_source(store))
            index.sync()
        except BaseException:
            store.close()
            raise
        return cls(store, index)

    @property
    def location(self) -> str:
        return self.store.location

    @property
    def encoder(self) -> str | None:
        return self.index.encoder_spec if self.index is not None else None

    # --- writing ----------------------------------------------------------------------------

    def add_units(self, units: Iterable[Unit]) -> AddReport:
        """Add units in one transaction (all or nothing), then bring the index up to date."""
        index = self.index
        reserved = False

        def reserve_index(added: int) -> None:
            nonlocal reserved
            if added and index is not None:
                reserved = index.try_reserve()

        try:
            report = self.store.add_units(units, before_commit=reserve_index)
        except BaseException:
            if reserved and index is not None:
                index.release_reserved()
            raise
        if report.added and index is not None:
            # The writer pays the embedding: searches meanwhile use the index as it was.
            if reserved:
                index.sync_reserved()
            else:
                index.sync()
        return report

    def import_tmx(self, source: Any) -> AddReport:
        """Add every unit of a TMX file (path or bytes), all or nothing; a file without a
        single translation unit is refused, on the command line and over HTTP alike."""
        from resolign.tmx.reader import iter_tmx_units

        report = self.add_units(iter_tmx_units(source))
        if report.added + report.duplicates + report.skipped == 0:
            raise TmxError("the TMX file holds no translation units")
        return report

    # --- reading ----------------------------------------------------------------------------

    def search(self, query: str, *, src: str = "fr", tgt: str = "en", limit: int = 10,
               min_score: float = 50, document: str | None = None, symbol: str | None = None,
               semantic: bool = True) -> list[Match]:
        """Exact, fuzzy and (with `semantic` and an index) same-meaning matches, best first."""
        return find_matches(self.store, self.index if semantic else None, query, src=src,
                            tgt=tgt, limit=limit, min_score=min_score, document=document,
                            symbol=symbol)

    def concordance(self, query: str, *, lang: str | None = None, limit: int = 20,
                    document: str | None = None,
                    symbol: str | None = None) -> list[ConcordanceHit]:
        """Segments containing the words of `query` as a phrase, in one language or all."""
        return find_concordance(self.store, query, lang=lang, limit=limit, document=document,
                                symbol=symbol)

    def count(self) -> int:
        return self.store.count()

    def ids(self) -> list[int]:
        return self.store.ids()

    @property
    def revision(self) -> int:
        return self.store.revision

    def get_unit(self, unit_id: int) -> StoredUnit | None:
        return self.store.get_units([unit_id]).get(unit_id)

    def get_units(self, unit_ids: Sequence[int]) -> dict[int, StoredUnit]:
        return self.store.get_units(unit_ids)

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        return self.store.iter_units(batch=batch)

    def index_state(self) -> dict[str, object]:
        """What the semantic index is doing (for /healthz): off, unavailable or ready."""
        return {"semantic": "off"} if self.index is None else self.index.state()

    @property
    def semantic_unavailable(self) -> str | None:
        """Why semantic search is off although an encoder was asked for (None when it works)."""
        return self.index.unavailable if self.index is not None else None

    # --- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
