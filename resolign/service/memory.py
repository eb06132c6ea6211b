"""The translation memory: a unit store (rows) and the semantic index (vectors), kept in step.

Everything that reads or writes a memory goes through `Memory`: the CLI, the HTTP routes and the
demo. A write is one store transaction; the index catches up after the commit, paid for by the
writer (it reserves the index's sync turn before its commit shows, so concurrent searches that
see the new revision search the index as it is instead of embedding the same units twice).
A search goes Memory → store (exact, fuzzy, concordance candidates) + index (semantic) → matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from resolign.align.encoders import DEFAULT_ENCODER
from resolign.errors import InputError, NotFound, TmxError
from resolign.service.backends import index_path, open_store, vector_source
from resolign.service.locations import Location
from resolign.service.search import (
    ConcordancePage,
    Lookup,
    Match,
    find_concordance,
    find_matches,
    lookup,
)
from resolign.service.semantic_index import SemanticIndex
from resolign.service.store import AddReport, BeforeCommit, Change, ImportRecord, Store, StoredUnit
from resolign.units import Annotations, Unit, Variant

T = TypeVar("T")

NO_ENCODER = "none"
"""The encoder spec (also `--encoder none` on the command line) that opens a memory without its
semantic index: exact, fuzzy and concordance look-ups only, no embedding model loaded."""


@dataclass
class ImportReport:
    """One imported file: what reading it gave (TUs, one-sided, refused with line and reason,
    its header) and what the memory did with the units (added, duplicates, merged)."""

    name: str
    read: Any  # resolign.tmx.reader.ReadReport
    added: AddReport

    def summary(self) -> str:
        """One line for a person."""
        merged = (f", {self.added.merged} of them brought props or notes that were kept"
                  if self.added.merged else "")
        return (f"{self.read.summary()}; {self.added.added} units added, "
                f"{self.added.duplicates} already in the memory (same texts and inline codes "
                f"in every language){merged}")


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

    def add_units(self, units: Iterable[Unit], *, source: ImportRecord | None = None,
                  ) -> AddReport:
        """Add units in one transaction (all or nothing), then bring the index up to date."""
        return self._changing(lambda hook: self.store.add_units(units, before_commit=hook,
                                                                source=source))

    def add_recorded(self, units: Sequence[Unit], *, who: str) -> AddReport:
        """Add units as ONE change of the history (action "add", by `who`), so a translation a
        CAT tool wrote back can be traced and undone like an edit; units the memory already
        holds (same texts and codes) are counted as duplicates, not stored twice. Bulk imports
        use `add_units`, which keeps the imported file instead of a history entry per unit."""
        if not who.strip():
            raise InputError("say who makes the change (a name or a client id)")
        for attempt in (1, 2):
            fresh = self._not_stored(units)
            if not fresh:
                return AddReport(added=0, duplicates=len(units))
            try:
                ids = self._changing(lambda hook, fresh=fresh: self.store.replace_units(
                    [], fresh, who=who, action="add", before_commit=hook))
            except InputError:  # the same unit written meanwhile by another client: recount
                if attempt == 2:
                    raise
                continue
            return AddReport(added=len(ids), duplicates=len(units) - len(ids), ids=ids)
        raise AssertionError("unreachable")

    def _not_stored(self, units: Sequence[Unit]) -> list[Unit]:
        """The units neither stored nor repeated earlier in `units` (by `Unit.dedup_key`)."""
        seen: set[str] = set()
        fresh = []
        for unit in units:
            key = unit.dedup_key()
            variant = next((v for v in unit.variants if v.text.strip()), None)
            if key in seen or variant is None:
                continue
            seen.add(key)
            held = self.store.get_units(self.store.same_words(variant.lang, variant.text))
            if all(stored.dedup_key() != key for stored in held.values()):
                fresh.append(unit)
        return fresh

    def _changing(self, write: Callable[[BeforeCommit], T]) -> T:
        """Run one store write; the writer pays the index's catch-up after the commit.

        The index's sync turn is reserved just before the commit shows (searches that see the
        new revision then use the index as it is instead of embedding the same units twice)."""
        index = self.index
        reserved = added = False

        def reserve(count: int) -> None:
            nonlocal reserved, added
            added = count > 0
            if added and index is not None:
                reserved = index.try_reserve()

        try:
            result = write(reserve)
        except BaseException:
            if reserved and index is not None:
                index.release_reserved()
            raise
        if added and index is not None:
            if reserved:
                index.sync_reserved()
            else:
                index.sync()
        return result

    def import_tmx(self, source: Any, *, name: str | None = None,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
        """Add every unit of a TMX file (path or bytes), all or nothing, and keep the file's
        header; a file without a single translation unit is refused (CLI and HTTP alike)."""
        from resolign.tmx.reader import ReadReport, iter_tmx_units

        read = ReadReport()

        def describe() -> tuple[dict[str, Any], dict[str, Any]]:
            if read.tus == 0:  # raised inside the transaction: nothing of the file is kept
                raise TmxError("the TMX file holds no translation units")
            return read.header.to_json(), asdict(read)

        label = name or (Path(source).name if isinstance(source, str | Path) else "upload")
        units = iter_tmx_units(source, read)
        if progress is not None:
            units = _counted(units, progress)
        added = self.add_units(units, source=ImportRecord(name=label, describe=describe))
        return ImportReport(name=label, read=read, added=added)

    # --- reviewing: every change is kept in the history and can be undone ---------------------

    def edit_unit(self, unit_id: int, texts: Mapping[str, str], *, who: str) -> int:
        """A corrected unit in place of `unit_id` (its other languages and fields kept);
        the new id."""
        unit = self._copy(unit_id)
        for lang, text in texts.items():
            if not text.strip():
                raise InputError(f"the {lang} text cannot be empty (delete the unit instead)")
            set_variant_text(unit, lang, text)
        return self._replace([unit_id], [unit], who, "edit")[0]

    def split_unit(self, unit_id: int, parts: Sequence[Mapping[str, str]], *,
                   who: str) -> list[int]:
        """Several units in place of one, each with the texts given (fields kept)."""
        if len(parts) < 2:
            raise InputError("a split needs at least two parts")
        units = []
        for texts in parts:
            unit = self._copy(unit_id)
            unit.texts = {lang: text for lang, text in texts.items() if text.strip()}
            units.append(unit)
        return self._replace([unit_id], units, who, "split")

    def merge_units(self, unit_ids: Sequence[int], *, who: str) -> int:
        """One unit in place of several: each language's texts joined in the order given."""
        if len(set(unit_ids)) < 2:
            raise InputError("a merge needs at least two different units")
        units = [self._copy(i) for i in unit_ids]
        merged = units[0]
        joined: dict[str, list[str]] = {}
        for unit in units:
            for lang, text in unit.texts.items():
                joined.setdefault(lang, []).append(text)
        merged.texts = {lang: " ".join(texts) for lang, texts in joined.items()}
        scores = [u.score for u in units if u.score is not None]
        merged.score = min(scores) if scores else None
        return self._replace(list(unit_ids), [merged], who, "merge")[0]

    def delete_unit(self, unit_id: int, *, who: str) -> None:
        """Take a unit out of the memory (kept in the history: `undo` brings it back)."""
        self._replace([unit_id], [], who, "delete")

    def undo(self, change_id: int, *, who: str) -> Change:
        """Undo one change of the history (itself a change, which can be undone in turn)."""
        return self._changing(lambda hook: self.store.undo(change_id, who=who,
                                                           before_commit=hook))

    def history(self, unit_id: int) -> list[Change]:
        return self.store.history(unit_id)

    def _copy(self, unit_id: int) -> Unit:
        unit = self.get_unit(unit_id)
        if unit is None:
            raise NotFound(f"no unit with id {unit_id}")
        copy = Unit.from_json(unit.to_json())
        copy.provenance = {**copy.provenance, "changed": datetime.now(UTC).isoformat()}
        return copy

    def _replace(self, unit_ids: list[int], units: list[Unit], who: str,
                 action: str) -> list[int]:
        if not who.strip():
            raise InputError("say who makes the change (a name or a client id)")
        for unit in units:
            unit.provenance["changed_by"] = who
        return self._changing(lambda hook: self.store.replace_units(
            unit_ids, units, who=who, action=action, before_commit=hook))

    # --- reading ----------------------------------------------------------------------------

    def search(self, query: str, *, src: str = "fr", tgt: str = "en", limit: int = 10,
               min_score: float = 50, document: str | None = None, symbol: str | None = None,
               resolution: str | None = None, semantic: bool = True) -> list[Match]:
        """Exact, fuzzy and (with `semantic` and an index) same-meaning matches, best first."""
        with self.store.reading():
            return find_matches(self.store, self.index if semantic else None, query, src=src,
                                tgt=tgt, limit=limit, min_score=min_score, document=document,
                                symbol=symbol, resolution=resolution)

    def lookup(self, query: str, *, src: str = "fr", tgt: str = "en", limit: int = 10,
               min_score: float = 50, document: str | None = None, symbol: str | None = None,
               resolution: str | None = None, semantic: bool = True) -> Lookup:
        """`search` with the matches of each piece of a several-sentence query, the
        translation assembled from them, and the target words to edit marked."""
        with self.store.reading():
            return lookup(self.store, self.index if semantic else None, query, src=src,
                          tgt=tgt, limit=limit, min_score=min_score, document=document,
                          symbol=symbol, resolution=resolution, mark_target=True)

    def concordance(self, query: str, *, lang: str | None = None, limit: int = 20,
                    offset: int = 0, document: str | None = None,
                    symbol: str | None = None, resolution: str | None = None,
                    equivalents: bool = True) -> ConcordancePage:
        """Segments containing the words of `query` as a phrase in any of their forms, in one
        language or all: `limit` hits from `offset`, and the total; with `equivalents`, the
        phrase's translations marked and grouped."""
        with self.store.reading():
            return find_concordance(self.store, query, lang=lang, limit=limit, offset=offset,
                                    document=document, symbol=symbol, resolution=resolution,
                                    equivalents=equivalents)

    def count(self) -> int:
        return self.store.count()

    def ids(self) -> list[int]:
        return self.store.ids()

    @property
    def revision(self) -> int:
        return self.store.revision

    def get_unit(self, unit_id: int) -> StoredUnit | None:
        """A live unit (None when it does not exist or was deleted)."""
        return self.store.get_units([unit_id]).get(unit_id)

    def get_units(self, unit_ids: Sequence[int]) -> dict[int, StoredUnit]:
        return self.store.get_units(unit_ids)

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        return self.store.iter_units(batch=batch)

    def tags(self) -> set[str]:
        """Language tags stored in the memory (en-GB, fr-CA, ar...)."""
        return self.store.tags()

    def import_header_annotations(self) -> list[Annotations]:
        """The headers (attributes, props, notes) of the TMX files imported into the memory,
        for an export to write back."""
        return [Annotations.from_json(header) for header in self.store.import_headers()]

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


def _counted(units: Iterable[Unit], progress: Callable[[int], None]) -> Iterator[Unit]:
    for unit in units:
        progress(1)
        yield unit


def set_variant_text(unit: Unit, lang: str, text: str) -> None:
    """`fr` corrects the French text shown (as `unit.texts`); a full tag (`fr-CA`) corrects
    the variant of exactly that tag, or adds one: a correction never lands on a sister
    variant. Inline codes of a corrected variant are dropped (they no longer fit its text)."""
    if "-" not in lang:
        unit.texts[lang] = text
        return
    for variant in unit.variants:
        if variant.lang.lower() == lang.lower():
            if variant.text != text:
                variant.text, variant.markup = text, ""
            return
    unit.variants.append(Variant(lang, text))
