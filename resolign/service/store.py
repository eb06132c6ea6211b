"""What the memory needs from a unit store, whatever the engine: the narrow interface a backend
implements, the records it returns, and the rules every backend applies alike.

A store holds rows only (units, their language variants, full-text rows, history); it knows
nothing of vectors. `Memory` (memory.py) pairs a store with the semantic index and keeps the two
in step. Ids are append-only: an edit, split or merge writes new units and marks the old ones
deleted, a delete only marks; so the semantic index only ever adds vectors, and every look-up
leaves deleted units out. Every change is one transaction and is kept in the history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from resolign.errors import InputError
from resolign.languages import primary
from resolign.service.normalise import words
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
    def count(self) -> int: ...
    def ids(self) -> list[int]:
        """Every unit id ever stored, deleted ones included (what the semantic index covers)."""
        ...
    def get_units(self, unit_ids: Sequence[int], *,
                  include_deleted: bool = False) -> dict[int, StoredUnit]: ...
    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]: ...
    def texts_of(self, unit_ids: Sequence[int],
                 langs: Sequence[str]) -> dict[int, dict[str, str]]: ...
    def history(self, unit_id: int) -> list[Change]: ...
    def change(self, change_id: int) -> Change | None: ...
    def tags(self) -> set[str]:
        """Every language tag stored (fr, en-GB, fr-CA...), deleted units' too."""
        ...
    def import_headers(self) -> list[dict[str, Any]]: ...

    # candidate look-ups for search (live units only)
    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]: ...
    def document_frequencies(self, lang: str, terms: Sequence[str]) -> dict[str, int]: ...
    def fts_candidates(self, lang: str, match: str, *, limit: int, document: str | None = None,
                       symbol: str | None = None, resolution: str | None = None) -> list[int]: ...
    def filter_ids(self, unit_ids: Sequence[int], *, document: str | None = None,
                   symbol: str | None = None, resolution: str | None = None) -> set[int]: ...
    def close(self) -> None: ...


# --- rules every backend applies alike ---------------------------------------------------------


def index_terms(text: str, lang: str) -> list[str]:
    """What a variant's full-text row holds: its normalised words."""
    return words(text)


def exact_key(text: str) -> str:
    """Hash of the normalised words: equal keys mean the texts differ only in case/accents/marks
    (the key an exact look-up finds a segment by)."""
    return hashlib.sha1(" ".join(words(text)).encode()).hexdigest()[:24]


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
