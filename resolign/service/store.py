"""What the memory needs from a unit store, whatever the engine: the narrow interface a backend
implements, the records it returns, and the identity rules every backend applies alike.

A store holds rows only (units, their segments, full-text indexes); it knows nothing of vectors.
`Memory` (memory.py) pairs a store with the semantic index and keeps the two in step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from resolign.errors import InputError
from resolign.languages import primary
from resolign.service.normalise import words
from resolign.units import Unit


@dataclass
class AddReport:
    """What an `add_units` call did. `skipped` counts units with no text at all."""

    added: int
    duplicates: int
    skipped: int = 0


@dataclass
class StoredUnit(Unit):
    """A unit as kept in the memory: the Unit fields plus its id (still usable as a Unit)."""

    id: int = 0

    def origin(self) -> dict[str, str]:
        return {"document": self.document, "symbol": self.symbol, "paragraph": self.paragraph}


BeforeCommit = Callable[[int], None]
"""Called inside a write transaction, just before it commits, with the number of units added."""


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
        """Incremented by every committed write that added units."""
        ...

    def add_units(self, units: Iterable[Unit], *,
                  before_commit: BeforeCommit | None = None) -> AddReport: ...
    def count(self) -> int: ...
    def ids(self) -> list[int]: ...
    def get_units(self, unit_ids: Sequence[int]) -> dict[int, StoredUnit]: ...
    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]: ...
    def texts_of(self, unit_ids: Sequence[int],
                 langs: Sequence[str]) -> dict[int, dict[str, str]]: ...
    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]: ...
    def document_frequencies(self, lang: str, terms: Sequence[str]) -> dict[str, int]: ...
    def fts_candidates(self, lang: str, match: str, *, limit: int, document: str | None = None,
                       symbol: str | None = None) -> list[int]: ...
    def filter_ids(self, unit_ids: Sequence[int], *, document: str | None = None,
                   symbol: str | None = None) -> set[int]: ...
    def close(self) -> None: ...


def unit_key(texts: dict[str, str]) -> str:
    """Identity of a unit for deduplication: the same texts in every language (whitespace aside)."""
    canonical = sorted((lang, " ".join(text.split())) for lang, text in texts.items())
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


def norm_key(text: str) -> str:
    """Hash of the normalised words: equal keys mean the texts differ only in case/accents/marks."""
    return hashlib.sha1(" ".join(words(text)).encode()).hexdigest()[:24]


def clean_texts(texts: dict[str, str]) -> dict[str, str]:
    """The unit's non-empty texts, stripped, keyed by primary language (first one wins)."""
    clean: dict[str, str] = {}
    for lang, text in texts.items():
        if text and text.strip():
            clean.setdefault(primary(lang), text.strip())
    return clean


def check_store_path(path: Path, *, create: bool) -> None:
    """Refuse what can never be a memory file before any engine touches it."""
    if not create and not path.is_file():
        raise InputError(f"no translation memory at {path} (create one with import)")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a translation memory file")
