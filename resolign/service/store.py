"""What the memory needs from a unit store, whatever the engine: the narrow interface a backend
implements, the records it returns, and the rules every backend applies alike.

A store holds rows only (units, their language variants, full-text rows, history); it knows
nothing of vectors. `Memory` (memory.py) pairs a store with the semantic index and keeps the two
in step. Ids are append-only: an edit, split or merge writes new units and marks the old ones
deleted, a delete only marks; so the semantic index only ever adds vectors, and every look-up
leaves deleted units out. Every change is one transaction and is kept in the history.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from resolign.errors import InputError, NotFound
from resolign.languages import primary
from resolign.service.wordforms import WORDFORMS_VERSION as WORDFORMS_VERSION
from resolign.service.wordforms import exact_key as exact_key
from resolign.service.wordforms import index_terms as index_terms
from resolign.units import Unit

SCHEMA_VERSION = 2
"""1: release 0.1 (one text per fr/en/ar). 2: language variants with inline codes, other tools'
annotations, provenance, resolution, append-only ids with history, imported files' headers."""


@dataclass
class AddReport:
    """What an `add_units` call did. `skipped`: units with no text or code at all.
    `merged`: duplicates whose props and notes were folded into the unit already stored."""

    added: int
    duplicates: int
    skipped: int = 0
    merged: int = 0
    ids: list[int] = field(default_factory=list)


@dataclass
class StoredUnit(Unit):
    """A unit as kept in the memory: the Unit fields plus its id (still usable as a Unit)."""

    id: int = 0
    deleted: bool = False

    def origin(self) -> dict[str, str]:
        return {"document": self.document, "symbol": self.symbol, "paragraph": self.paragraph,
                "resolution": self.resolution, "resolution_title": self.resolution_title}


@dataclass
class Change:
    """One entry of the history: who did what when, and the units before and after (as
    `Unit.to_json()` plus their "id"). `undone_by` names the change that undid it."""

    id: int
    at: str
    who: str
    action: str
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    undone_by: int | None = None

    @property
    def before_ids(self) -> list[int]:
        return [int(unit["id"]) for unit in self.before]

    @property
    def after_ids(self) -> list[int]:
        return [int(unit["id"]) for unit in self.after]


BeforeCommit = Callable[[int], None]
"""Called inside a write transaction, just before it commits, with the number of units added."""
LookupPostings = dict[tuple[str, ...], Any]
"""What one look-up read from the store, kept for its other candidate searches: a pasted
passage's pieces share its words. A backend that reads postings itself (PostgreSQL) keeps the
rows each term matched; the search keeps each full-text expression's candidates
(candidates.py). One look-up only: the memory may change after it."""


@dataclass
class ImportRecord:
    """An imported file: its name, and (filled while reading) its header and report."""

    name: str
    describe: Callable[[], tuple[dict[str, Any], dict[str, Any]]] = lambda: ({}, {})
    """(header, report) as JSON-ready dicts, asked for just before the import commits."""


class Store(Protocol):
    """A memory's rows. Reads see the last commit and never wait for a write in progress; a
    write is one transaction, all or nothing."""

    location: str

    @property
    def store_id(self) -> str:
        """Random id given at creation: derived files (a FAISS index) are never mistaken."""
        ...

    @property
    def revision(self) -> int:
        """Incremented by every committed change."""
        ...

    # writing
    def add_units(self, units: Iterable[Unit], *, before_commit: BeforeCommit | None = None,
                  source: ImportRecord | None = None) -> AddReport: ...
    def replace_units(self, unit_ids: Sequence[int], new: Sequence[Unit], *, who: str,
                      action: str, before_commit: BeforeCommit | None = None) -> list[int]: ...
    def undo(self, change_id: int, *, who: str,
             before_commit: BeforeCommit | None = None) -> Change: ...

    # reading
    def reading(self) -> contextlib.AbstractContextManager[object]:
        """The reads this thread makes inside, as one: a look-up's. SQLite makes them in one
        read transaction on one connection (one snapshot, no transaction per read);
        PostgreSQL's reads are single autocommit statements already, each on the last
        commit, so nothing is held. Both read the revision and unit count once inside."""
        ...
    def count(self) -> int: ...
    def ids(self) -> list[int]:
        """Every unit id ever stored, deleted ones included (what the semantic index covers)."""
        ...
    def get_units(self, unit_ids: Sequence[int], *,
                  include_deleted: bool = False) -> dict[int, StoredUnit]: ...
    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]: ...
    def texts_of(self, unit_ids: Sequence[int],
                 langs: Sequence[str]) -> dict[int, dict[str, str]]: ...
    def recency(self, unit_ids: Sequence[int]) -> dict[int, tuple[datetime, float | None]]:
        """(created, alignment score) of the live units among `unit_ids`: what ranks equal
        matches, read without the units' texts."""
        ...
    def history(self, unit_id: int) -> list[Change]: ...
    def change(self, change_id: int) -> Change | None: ...
    def document_rows(self, unit_id: int, *, limit: int = 5000) -> list[tuple[int, str]]:
        """(id, paragraph) of the live units of `unit_id`'s document, itself included (a unit
        with no document name: those of its import near its id), in id order; for review."""
        ...
    def tags(self) -> set[str]:
        """Every language tag stored (fr, en-GB, fr-CA...), deleted units' too."""
        ...
    def import_headers(self) -> list[dict[str, Any]]: ...

    # candidate look-ups for search (live units only)
    #
    # `lang` is a language query (`language_query`): `fr` looks at every fr variant, `fr-CA`
    # only at that tag. `match` is the one search expression every store speaks, over index
    # terms (the words `index_terms` put in a variant's row):
    #     PHRASE ("OR" PHRASE)*     a row holding any of the phrases
    #     PHRASE ("AND" PHRASE)*    a row holding every one of them
    #     PHRASE "NOT" PHRASE       a row holding the first phrase and not the second
    # PHRASE is `"t1 t2 ..."`: the terms at consecutive positions of one row, in that order
    # (terms are letters, digits and wordforms.SURFACE_MARK: nothing inside needs escaping).
    # A unit matches when one of its live variants in `lang` matches; every look-up gives
    # distinct unit ids; the filters compare document/symbol/resolution case-insensitively.

    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]:
        """Units with a `lang` variant whose `exact_key` is `exact_key(text)`, by id."""
        ...

    def document_frequencies(self, lang: str, terms: Sequence[str], *,
                             at_most: int | None = None) -> dict[str, int]:
        """For each index term, how many `lang` variant rows hold it (0 when none; to pick a
        query's rarer words, so an estimate that counts deleted rows is acceptable). With
        `at_most`, a count above it may be given as any number above it (counting stops)."""
        ...

    def fts_candidates(self, lang: str, match: str, *, limit: int, document: str | None = None,
                       symbol: str | None = None, resolution: str | None = None,
                       postings: LookupPostings | None = None) -> list[int]:
        """At most `limit` units matching `match`, the most relevant first (bm25 or the
        engine's like: rows holding more of the rarer terms first), ties by id. `postings`:
        the look-up's kept term rows, read and filled (see LookupPostings)."""
        ...

    def fts_count(self, lang: str, match: str, *, document: str | None = None,
                  symbol: str | None = None, resolution: str | None = None,
                  at_most: int | None = None, estimate: bool = False) -> int:
        """How many units match `match` (a concordance's true total); with `at_most`, counting
        stops there (a caller that only needs to know "at least this many"). With `estimate`
        (a count that feeds statistics, never one shown), a store may count a long phrase by
        its parts, a few units too many."""
        ...

    def fts_page(self, lang: str, match: str, *, limit: int, offset: int = 0,
                 document: str | None = None, symbol: str | None = None,
                 resolution: str | None = None, bound: int | None = None) -> list[int]:
        """The units matching `match`, newest (highest id) first: `limit` of them after the
        first `offset` (a concordance page; `fts_count` gives how many pages there are).
        `bound`: at most that many units match, when the caller counted them or a wider
        match (it may decide how the page is read, never what it holds)."""
        ...

    def filter_ids(self, unit_ids: Sequence[int], *, document: str | None = None,
                   symbol: str | None = None, resolution: str | None = None) -> set[int]:
        """The live units among `unit_ids` that pass the filters."""
        ...

    def close(self) -> None: ...


# --- rules every backend applies alike ---------------------------------------------------------
#
# What a variant's full-text row holds (`index_terms(text, lang)`), the key an exact look-up
# finds it by (`exact_key(text)`) and the version of those rules (`WORDFORMS_VERSION`: a store
# whose rows were made under another version rebuilds them, in one transaction, when opened)
# come from wordforms.py, imported above: one definition for every backend.


def language_query(lang: str) -> tuple[str, str | None]:
    """(primary language, full tag or None): `fr` matches every fr variant, `fr-CA` only that
    tag, compared case-insensitively."""
    base = primary(lang)
    tag = lang.strip().replace("_", "-")
    return base, (tag.lower() if "-" in tag else None)


def is_fts_language(base: str) -> bool:
    """A primary subtag that can name a full-text table (letters only, as BCP 47 has them)."""
    return 1 <= len(base) <= 8 and base.isascii() and base.isalpha()


def check_store_path(path: Path, *, create: bool) -> None:
    """Refuse what can never be a memory file before any engine touches it."""
    if not create and not path.is_file():
        raise InputError(f"no translation memory at {path} (create one with import)")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a translation memory file")


def unit_json(unit: Unit, unit_id: int) -> dict[str, Any]:
    """A unit as history keeps it: `Unit.to_json()` and its id."""
    return {"id": unit_id, **unit.to_json()}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def phrase(terms: list[str]) -> str:
    """A phrase of index terms in the match language both stores read (FTS5 syntax; terms are
    letters and digits only: nothing to escape)."""
    return '"' + " ".join(terms) + '"'


def origin_filter(document: str | None, symbol: str | None, resolution: str | None,
                  compare: str) -> tuple[str, list[str]]:
    """SQL to keep units of one document, symbol and/or resolution (case-insensitive), with its
    parameters; `compare` is the backend's test of one column, e.g. "lower(u.{column}) =
    lower(%s)" (the column names are ours, never the user's)."""
    where, params = "", []
    for column, value in (("document", document), ("symbol", symbol),
                          ("resolution", resolution)):
        if value:
            where += " AND " + compare.format(column=column)
            params.append(value)
    return where, params


def created_time(value: object) -> datetime:
    """A stored creation time; now for a row written without a readable one."""
    try:
        return datetime.fromisoformat(str(value)) if value else datetime.now(UTC)
    except ValueError:
        return datetime.now(UTC)


# --- the review rules both backends apply ---------------------------------------------------

SAME_TEXTS = "the memory already holds a unit with exactly these texts"
"""Why an edit, split or merge is refused when a live unit already says the same."""


def check_replaceable(unit_ids: Sequence[int], old: dict[int, StoredUnit]) -> None:
    """Every unit a review change replaces must be live (read as `old`)."""
    gone = [i for i in dict.fromkeys(unit_ids) if i not in old or old[i].deleted]
    if gone:
        raise NotFound(f"no unit with id {gone[0]} (deleted, or never stored)")


def check_undoable(change_id: int, change: Change | None,
                   after: dict[int, StoredUnit]) -> Change:
    """The change, when it exists, is not undone yet, and no later change replaced the units
    it made (`after`); NotFound or InputError saying which otherwise."""
    if change is None:
        raise NotFound(f"no change with id {change_id}")
    if change.undone_by is not None:
        raise InputError(f"change {change_id} was already undone "
                         f"(by change {change.undone_by})")
    if any(unit.deleted for unit in after.values()):
        raise InputError(f"change {change_id} cannot be undone: a later change "
                         "replaced or deleted its units; undo that one first")
    return change


def undo_clash(change_id: int, clash_id: int, unit_id: int) -> InputError:
    """An undo would bring back a unit whose texts a live unit now holds."""
    return InputError(f"change {change_id} cannot be undone: unit {clash_id} "
                      f"now holds the same texts as unit {unit_id}")

