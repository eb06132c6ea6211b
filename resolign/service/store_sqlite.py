"""The SQLite unit store: one file (WAL) of units, their language variants, full-text rows and
history (tables in sqlite_schema.py).

Why SQLite: one file a translator can copy, transactions that make an import all-or-nothing
(a crash mid-import leaves the memory exactly as before: uncommitted WAL frames are discarded
on the next open), and FTS5 to pre-filter fuzzy candidates without scanning the memory.
The semantic (FAISS) index lives beside the file; `Memory` keeps it in step with this store.

Concurrency: writes go through one connection behind a lock; reads use read-only connections
from a pool (sqlite_pool.py), so a look-up never waits for an import and never sees half of it.
The queries live beside it by concern: sqlite_fulltext.py (candidate look-ups), sqlite_history.py
(review history, undo), sqlite_rows.py (rows back to units); this class opens the connections.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from resolign.errors import InputError, ResolignError
from resolign.service import sqlite_fulltext, sqlite_history, sqlite_rows
from resolign.service import sqlite_schema as schema
from resolign.service.sqlite_pool import ReadPool
from resolign.service.sqlite_rows import CHUNK
from resolign.service.store import (
    SAME_TEXTS,
    SCHEMA_VERSION,
    WORDFORMS_VERSION,
    AddReport,
    BeforeCommit,
    Change,
    ImportRecord,
    LookupPostings,
    StoredUnit,
    check_replaceable,
    check_store_path,
    created_time,
    dumps,
    exact_key,
    unit_json,
)
from resolign.units import Unit, absorb_duplicate

KEPT_READS = 100_000
"""Kept reads (terms' frequencies) at most, before they are read afresh."""


class SqliteStore:
    """A translation memory file. Thread-safe: one write connection behind a lock, and a pool
    of read-only connections so that reads see the last commit without waiting for a write."""

    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        self.location = str(self.path)
        check_store_path(self.path, create=create)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        """Guards the write connection `_db` (held for a whole write transaction)."""
        self._readers = ReadPool(self.path)
        self._store_id = ""  # read once: given at creation, never changed
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._init_schema()
            self._fts = schema.fts_languages(self._db)
            """Languages with a full-text table, as the writer knows them (uncommitted too)."""
            self._fts_readable = set(self._fts)
            """The same as the last read snapshot saw them: what look-ups may query."""
            self._tags_written: set[str] = set()
            """Tags the writer has inserted (forgotten on a rollback)."""
            self._common: set[tuple[str, str]] = set()
            """(language, term) found in more rows than a look-up's `at_most`: not counted
            again (a word that common stays common)."""
            self._reads: tuple[int, dict[Any, Any]] = (-1, {})
            """Reads that only a write changes (the unit count, the language tags, whole
            document frequencies, full-text counts), kept for the revision they were read at:
            every write bumps the revision."""
        except sqlite3.DatabaseError as error:
            raise InputError(f"{self.path} is not a resolign memory: {error}") from error

    # --- schema -----------------------------------------------------------------------------

    def _init_schema(self) -> None:
        """Create a new file's tables, or bring an older file forward, in one transaction."""
        with self._lock:
            if self._schema_current():
                return  # no write transaction: opening never waits for another's import
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(schema.TABLES[0])
                version = self._meta("schema_version")
                if version is None:
                    schema.create(self._db, self._set_meta, uuid.uuid4().hex)
                elif int(version) > SCHEMA_VERSION:
                    raise InputError(
                        f"{self.path} was written by a newer resolign (schema {version})")
                elif int(version) == 1:
                    schema.migrate_v1(self._db, self._set_meta)
                if self._meta("wordforms") != WORDFORMS_VERSION:
                    schema.reindex_word_forms(self._db, self._set_meta)
                if self._meta(schema.MULTI_VARIANT) is None:
                    bases = schema.multi_variant_bases(self._db)  # files written before it
                    self._set_meta(schema.MULTI_VARIANT, dumps(bases))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _schema_current(self) -> bool:
        """True when the file already holds this version's schema (created whole, in one
        transaction, so the version row means every table is there) and its full-text rows
        follow today's word-form rules."""
        try:
            if (self._meta("schema_version") != str(SCHEMA_VERSION)
                    or self._meta("wordforms") != WORDFORMS_VERSION
                    or self._meta(schema.MULTI_VARIANT) is None):
                return False
            marks = ",".join("?" * len(schema.TABLE_NAMES))
            found = self._db.execute(
                f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", schema.TABLE_NAMES
            ).fetchone()[0]
        except sqlite3.OperationalError:
            return False  # no meta table yet: a new file
        return found == len(schema.TABLE_NAMES)

    def _meta(self, key: str, db: sqlite3.Connection | None = None) -> str | None:
        row = (db or self._db).execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def store_id(self) -> str:
        if not self._store_id:
            with self._readers.reading() as db:
                self._store_id = self._meta("store_id", db) or ""
        return self._store_id

    @property
    def revision(self) -> int:
        with self._readers.reading() as db:
            return self._revision(db)

    def _revision(self, db: sqlite3.Connection) -> int:
        """The revision `db`'s read transaction sees, read once per transaction (a look-up's
        caches ask for it several times)."""
        memo = self._readers.memo()
        if "revision" not in memo:
            memo["revision"] = int(self._meta("revision", db) or 0)
        return memo["revision"]

    # --- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, before_commit: BeforeCommit | None) -> Iterator[list[int]]:
        """One write transaction. The caller appends the ids it added to the list it is given;
        any change bumps the revision; `before_commit(added)` runs just before the commit."""
        added: list[int] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                changes = self._db.total_changes
                yield added
                if self._db.total_changes != changes:
                    self._set_meta("revision", str(int(self._meta("revision") or 0) + 1))
                if before_commit is not None:
                    before_commit(len(added))
                self._db.execute("COMMIT")
            except BaseException as error:
                self._db.execute("ROLLBACK")
                self._fts = schema.fts_languages(self._db)  # tables created then rolled back
                self._tags_written = set()
                if isinstance(error, sqlite3.DatabaseError):
                    raise ResolignError(f"could not write to {self.path}: {error}") from error
                raise

    def add_units(self, units: Iterable[Unit], *, before_commit: BeforeCommit | None = None,
                  source: ImportRecord | None = None) -> AddReport:
        """Add units in ONE transaction (all or nothing); a unit already stored (same texts and
        codes) is counted, and the props and notes it brings are folded into the stored one.

        The iterable is consumed inside the transaction, so a streamed TMX import is atomic too.
        """
        report = AddReport(added=0, duplicates=0)
        with self._writing(before_commit) as added:
            import_id = None
            if source is not None:
                import_id = int(self._db.execute(
                    "INSERT INTO imports(name, at) VALUES (?, ?)",
                    (source.name, datetime.now(UTC).isoformat())).lastrowid)
            for unit in units:
                if not any(variant.has_content() for variant in unit.variants):
                    report.skipped += 1
                    continue
                unit_id = self._insert(unit, import_id)
                if unit_id is not None:
                    added.append(unit_id)
                    continue
                report.duplicates += 1
                report.merged += self._absorb(unit)
            report.added, report.ids = len(added), list(added)
            if source is not None:
                header, read = source.describe()
                self._db.execute("UPDATE imports SET header = ?, report = ? WHERE id = ?",
                                 (dumps(header), dumps(read), import_id))
        return report

    def _insert(self, unit: Unit, import_id: int | None = None,
                changed: str | None = None) -> int | None:
        """Store one unit; None when a live unit with the same texts and codes exists."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO units(ukey, document, symbol, paragraph, resolution, "
            "resolution_title, score, created, changed, provenance, annotations, import_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (unit.dedup_key(), unit.document or "", unit.symbol or "", str(unit.paragraph or ""),
             unit.resolution or "", unit.resolution_title or "", unit.score,
             (unit.created or datetime.now(UTC)).isoformat(), changed,
             dumps(unit.provenance), dumps(unit.annotations.to_json()), import_id))
        if cursor.rowcount == 0:
            return None
        unit_id = int(cursor.lastrowid)
        self._note_repeated_bases(unit)
        for position, variant in enumerate(unit.variants):
            row = self._db.execute(
                "INSERT INTO variants(unit_id, position, lang, base, text, markup, annotations, "
                "nkey) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (unit_id, position, variant.lang, variant.primary, variant.text, variant.markup,
                 dumps(variant.annotations.to_json()), exact_key(variant.text)))
            schema.index_variant(self._db, int(row.lastrowid), variant.primary, variant.text,
                                 self._fts)
            if variant.lang not in self._tags_written:
                self._db.execute("INSERT OR IGNORE INTO tags(lang, base) VALUES (?, ?)",
                                 (variant.lang, variant.primary))
                self._tags_written.add(variant.lang)
        return unit_id

    def _note_repeated_bases(self, unit: Unit) -> None:
        """Record, in the writing transaction, a language the unit holds twice (fr and fr-CA):
        a concordance count then counts such a unit once (sqlite_fulltext.fts_count)."""
        bases = [variant.primary for variant in unit.variants]
        repeated = {base for base in bases if bases.count(base) > 1}
        if repeated:
            known = set(json.loads(self._meta(schema.MULTI_VARIANT) or "[]"))
            if not repeated <= known:
                self._set_meta(schema.MULTI_VARIANT, dumps(sorted(known | repeated)))

    def _absorb(self, duplicate: Unit) -> bool:
        """Fold a duplicate's props and notes into the live unit with its key; True if any."""
        row = self._db.execute("SELECT id FROM units WHERE ukey = ? AND deleted = 0",
                               (duplicate.dedup_key(),)).fetchone()
        kept = sqlite_rows.read_units(self._db, [row[0]])[row[0]]
        if not absorb_duplicate(kept, duplicate):
            return False
        self._db.execute("UPDATE units SET annotations = ? WHERE id = ?",
                         (dumps(kept.annotations.to_json()), kept.id))
        for position, variant in enumerate(kept.variants):
            self._db.execute("UPDATE variants SET annotations = ? WHERE unit_id = ? AND "
                             "position = ?",
                             (dumps(variant.annotations.to_json()), kept.id, position))
        return True

    def replace_units(self, unit_ids: Sequence[int], new: Sequence[Unit], *, who: str,
                      action: str, before_commit: BeforeCommit | None = None) -> list[int]:
        """Mark live units deleted and store `new` in their place, as one change of the history
        (an edit, split, merge, or with no new units a delete). The new ids, in order."""
        with self._writing(before_commit) as added:
            old = sqlite_rows.read_units(self._db, unit_ids)
            check_replaceable(unit_ids, old)
            sqlite_history.set_deleted(self._db, list(old.values()), True, self._fts)
            now = datetime.now(UTC).isoformat()
            for unit in new:
                unit_id = self._insert(unit, changed=now)
                if unit_id is None:
                    raise InputError(SAME_TEXTS)
                added.append(unit_id)
            sqlite_history.record(self._db, action, who,
                                  [unit_json(u, u.id) for u in old.values()],
                                  [unit_json(u, i) for u, i in zip(new, added, strict=True)])
        return list(added)

    def undo(self, change_id: int, *, who: str,
             before_commit: BeforeCommit | None = None) -> Change:
        """Undo one change: its new units are marked deleted and its old ones come back."""
        with self._writing(before_commit):
            return sqlite_history.undo(self._db, change_id, who, self._fts)

    # --- reading ----------------------------------------------------------------------------

    def _kept_reads(self, db: sqlite3.Connection) -> dict[Any, Any]:
        """The reads kept for the revision `db` sees now (emptied by any write: 300 ms for a
        count, 300 ms for the frequencies of four common words at 1M units)."""
        revision = self._revision(db)
        if self._reads[0] != revision or len(self._reads[1]) > KEPT_READS:
            self._reads = (revision, {})
        return self._reads[1]

    def reading(self) -> contextlib.AbstractContextManager[object]:
        return self._readers.reading()

    def count(self) -> int:
        with self._readers.reading() as db:
            kept = self._kept_reads(db)
            if "count" not in kept:
                kept["count"] = int(db.execute(
                    "SELECT count(*) FROM units WHERE deleted = 0").fetchone()[0])
            return kept["count"]

    def ids(self) -> list[int]:
        with self._readers.reading() as db:
            return [row[0] for row in db.execute("SELECT id FROM units ORDER BY id")]

    def get_units(self, unit_ids: Sequence[int], *,
                  include_deleted: bool = False) -> dict[int, StoredUnit]:
        """Units by id (missing, and unless asked deleted, ids are absent from the result)."""
        with self._readers.reading() as db:
            return sqlite_rows.read_units(db, unit_ids, include_deleted=include_deleted)

    def recency(self, unit_ids: Sequence[int]) -> dict[int, tuple[datetime, float | None]]:
        ids = list(dict.fromkeys(int(i) for i in unit_ids))
        found: dict[int, tuple[datetime, float | None]] = {}
        with self._readers.reading() as db:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                for unit_id, created, score in db.execute(
                        "SELECT id, created, score FROM units WHERE deleted = 0 AND id IN "
                        f"({','.join('?' * len(chunk))})", chunk):
                    found[unit_id] = (created_time(created), score)
        return found

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        """Every live unit in id order, read in batches (keyset paging: safe on a large memory)."""
        last = 0
        while True:
            with self._readers.reading() as db:
                ids = [row[0] for row in db.execute(
                    "SELECT id FROM units WHERE id > ? AND deleted = 0 ORDER BY id LIMIT ?",
                    (last, max(1, batch)))]
                units = sqlite_rows.read_units(db, ids)
            if not ids:
                return
            for unit_id in ids:
                yield units[unit_id]
            last = ids[-1]

    def texts_of(self, unit_ids: Sequence[int], langs: Sequence[str]) -> dict[int, dict[str, str]]:
        """The first text of each of the given primary languages, per unit (for embedding and
        for bounding fuzzy candidates). `+base`: the look-up goes by unit id; the planner would
        otherwise scan every variant of the language through the (base, nkey) index."""
        out: dict[int, dict[str, str]] = {}
        ids = list(unit_ids)
        lang_marks = ",".join("?" * len(langs))
        with self._readers.reading() as db:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                marks = ",".join("?" * len(chunk))
                for unit_id, base, text in db.execute(
                        f"SELECT unit_id, base, text FROM variants WHERE unit_id IN ({marks}) "
                        f"AND +base IN ({lang_marks}) ORDER BY unit_id, position",
                        [*chunk, *langs]):
                    if text.strip():
                        out.setdefault(unit_id, {}).setdefault(base, text)
        return out

    def history(self, unit_id: int) -> list[Change]:
        """Every change that touched the unit, oldest first."""
        with self._readers.reading() as db:
            return sqlite_history.unit_history(db, unit_id)

    def document_rows(self, unit_id: int, *, limit: int = 5000) -> list[tuple[int, str]]:
        """The live units of `unit_id`'s document (sqlite_history.document_rows)."""
        with self._readers.reading() as db:
            return sqlite_history.document_rows(db, unit_id, limit=limit)

    def change(self, change_id: int) -> Change | None:
        with self._readers.reading() as db:
            return sqlite_history.read_change(db, change_id)

    def tags(self) -> set[str]:
        """Every language tag stored in this memory (fr, en-GB, fr-CA...): kept in a table of
        its own, so checking a query's language costs one small read."""
        with self._readers.reading() as db:
            kept = self._kept_reads(db)
            if "tags" not in kept:
                kept["tags"] = {lang for (lang,) in db.execute("SELECT lang FROM tags")}
            return set(kept["tags"])

    def import_headers(self) -> list[dict[str, Any]]:
        """The header (attributes, props, notes) of every imported file, oldest first."""
        with self._readers.reading() as db:
            return [json.loads(header) for (header,) in
                    db.execute("SELECT header FROM imports ORDER BY id")]

    # --- candidate look-ups for search (live units only; sqlite_fulltext.py) -----------------

    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]:
        with self._readers.reading() as db:
            return sqlite_fulltext.same_words(db, lang, text, limit=limit)

    def document_frequencies(self, lang: str, terms: Sequence[str], *,
                             at_most: int | None = None) -> dict[str, int]:
        with self._readers.reading() as db:
            if at_most is not None:
                return sqlite_fulltext.document_frequencies(
                    db, self._fts_readable, lang, terms, at_most=at_most, common=self._common)
            kept = self._kept_reads(db)
            missing = [t for t in dict.fromkeys(terms) if (lang, t) not in kept]
            found = sqlite_fulltext.document_frequencies(db, self._fts_readable, lang, missing)
            kept.update({(lang, t): n for t, n in found.items()})
            return {t: kept[(lang, t)] for t in terms}

    def fts_candidates(self, lang: str, match: str, *, limit: int, document: str | None = None,
                       symbol: str | None = None, resolution: str | None = None,
                       postings: LookupPostings | None = None) -> list[int]:
        """FTS5 reads and ranks the postings itself: it keeps nothing in `postings`."""
        del postings
        with self._readers.reading() as db:
            return sqlite_fulltext.fts_candidates(
                db, self._fts_readable, lang, match, limit=limit, document=document,
                symbol=symbol, resolution=resolution)

    def fts_count(self, lang: str, match: str, *, document: str | None = None,
                  symbol: str | None = None, resolution: str | None = None,
                  at_most: int | None = None, estimate: bool = False) -> int:
        """Exact whether or not an `estimate` will do: FTS5 checks a phrase's word positions
        in its own posting lists."""
        del estimate
        with self._readers.reading() as db:  # a concordance's next page counts again
            kept = self._kept_reads(db)
            key = ("fts_count", lang, match, document, symbol, resolution, at_most)
            if key not in kept:
                kept[key] = sqlite_fulltext.fts_count(
                    db, self._fts_readable, lang, match, document=document,
                    symbol=symbol, resolution=resolution, at_most=at_most)
            return kept[key]

    def fts_page(self, lang: str, match: str, *, limit: int, offset: int = 0,
                 document: str | None = None, symbol: str | None = None,
                 resolution: str | None = None, bound: int | None = None) -> list[int]:
        del bound  # FTS5 reads a page the same way however rare the phrase
        with self._readers.reading() as db:
            return sqlite_fulltext.fts_page(
                db, self._fts_readable, lang, match, limit=limit, offset=offset,
                document=document, symbol=symbol, resolution=resolution)

    def filter_ids(self, unit_ids: Sequence[int], *, document: str | None = None,
                   symbol: str | None = None, resolution: str | None = None) -> set[int]:
        with self._readers.reading() as db:
            return sqlite_fulltext.filter_ids(db, unit_ids, document=document,
                                              symbol=symbol, resolution=resolution)

    def close(self) -> None:
        """Close every connection (a read still running closes its own when it finishes)."""
        with self._lock:
            self._readers.close()
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
