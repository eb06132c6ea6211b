"""The SQLite unit store: one file (WAL) of units, their language variants, full-text rows and
history (tables in sqlite_schema.py).

Why SQLite: one file a translator can copy, transactions that make an import all-or-nothing
(a crash mid-import leaves the memory exactly as before: uncommitted WAL frames are discarded
on the next open), and FTS5 to pre-filter fuzzy candidates without scanning the memory.
The semantic (FAISS) index lives beside the file; `Memory` keeps it in step with this store.

Concurrency: writes go through one connection behind a lock; reads use read-only connections
from a pool (sqlite_pool.py), so a look-up never waits for an import and never sees half of it.
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

from resolign.errors import InputError, NotFound, ResolignError
from resolign.service import sqlite_schema as schema
from resolign.service.sqlite_pool import ReadPool
from resolign.service.store import (
    SCHEMA_VERSION,
    WORDFORMS_VERSION,
    AddReport,
    BeforeCommit,
    Change,
    ImportRecord,
    StoredUnit,
    check_store_path,
    created_time,
    dumps,
    exact_key,
    language_query,
    origin_filter,
    unit_json,
)
from resolign.units import Annotations, Unit, Variant, absorb_duplicate

_UNIT_COLUMNS = ("id, document, symbol, paragraph, resolution, resolution_title, score, created, "
                 "provenance, annotations, deleted")
_CHUNK = 500


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
            self._tags: set[str] = set()
            self._tags_revision = -1
            self._tags_written: set[str] = set()
            """Tags the writer has inserted (forgotten on a rollback)."""
            self._multi: dict[str, tuple[int, bool]] = {}
            """Per primary language: (revision, whether a unit holds two of its variants)."""
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
                    or self._meta("wordforms") != WORDFORMS_VERSION):
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
        with self._readers.reading() as db:
            return self._meta("store_id", db) or ""

    @property
    def revision(self) -> int:
        with self._readers.reading() as db:
            return int(self._meta("revision", db) or 0)

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

    def _absorb(self, duplicate: Unit) -> bool:
        """Fold a duplicate's props and notes into the live unit with its key; True if any."""
        row = self._db.execute("SELECT id FROM units WHERE ukey = ? AND deleted = 0",
                               (duplicate.dedup_key(),)).fetchone()
        kept = self._read_units(self._db, [row[0]])[row[0]]
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
            old = self._read_units(self._db, unit_ids)
            gone = [i for i in dict.fromkeys(unit_ids) if i not in old or old[i].deleted]
            if gone:
                raise NotFound(f"no unit with id {gone[0]} (deleted, or never stored)")
            self._set_deleted(list(old.values()), True)
            now = datetime.now(UTC).isoformat()
            for unit in new:
                unit_id = self._insert(unit, changed=now)
                if unit_id is None:
                    raise InputError("the memory already holds a unit with exactly these texts")
                added.append(unit_id)
            self._record(action, who, [unit_json(u, u.id) for u in old.values()],
                         [unit_json(u, i) for u, i in zip(new, added, strict=True)])
        return list(added)

    def undo(self, change_id: int, *, who: str,
             before_commit: BeforeCommit | None = None) -> Change:
        """Undo one change: its new units are marked deleted and its old ones come back."""
        with self._writing(before_commit):
            change = self._change(self._db, change_id)
            if change is None:
                raise NotFound(f"no change with id {change_id}")
            if change.undone_by is not None:
                raise InputError(f"change {change_id} was already undone "
                                 f"(by change {change.undone_by})")
            after = self._read_units(self._db, change.after_ids, include_deleted=True)
            before = self._read_units(self._db, change.before_ids, include_deleted=True)
            if any(unit.deleted for unit in after.values()):
                raise InputError(f"change {change_id} cannot be undone: a later change "
                                 "replaced or deleted its units; undo that one first")
            self._set_deleted(list(after.values()), True)
            for unit in before.values():
                clash = self._db.execute("SELECT id FROM units WHERE ukey = ? AND deleted = 0",
                                         (unit.dedup_key(),)).fetchone()
                if clash is not None:
                    raise InputError(f"change {change_id} cannot be undone: unit {clash[0]} "
                                     f"now holds the same texts as unit {unit.id}")
                self._set_deleted([unit], False)
            undo_id = self._record("undo", who, [unit_json(u, u.id) for u in after.values()],
                                   [unit_json(u, u.id) for u in before.values()])
            self._db.execute("UPDATE history SET undone_by = ? WHERE id = ?",
                             (undo_id, change_id))
            done = self._change(self._db, undo_id)
        assert done is not None
        return done

    def _set_deleted(self, units: list[StoredUnit], deleted: bool) -> None:
        """Mark units deleted (their full-text rows go) or bring them back (rows return)."""
        for unit in units:
            self._db.execute("UPDATE units SET deleted = ? WHERE id = ?", (int(deleted), unit.id))
            rows = self._db.execute("SELECT id, base, text FROM variants WHERE unit_id = ?",
                                    (unit.id,)).fetchall()
            for variant_id, base, text in rows:
                schema.index_variant(self._db, variant_id, base, text, self._fts, remove=deleted)

    def _record(self, action: str, who: str, before: list[dict[str, Any]],
                after: list[dict[str, Any]]) -> int:
        change_id = int(self._db.execute(
            "INSERT INTO history(at, who, action, before, after) VALUES (?, ?, ?, ?, ?)",
            (datetime.now(UTC).isoformat(), who, action, dumps(before), dumps(after))).lastrowid)
        for unit_id in {int(u["id"]) for u in before + after}:
            self._db.execute("INSERT OR IGNORE INTO history_units(change_id, unit_id) "
                             "VALUES (?, ?)", (change_id, unit_id))
        return change_id

    # --- reading ----------------------------------------------------------------------------

    def count(self) -> int:
        with self._readers.reading() as db:
            return int(db.execute("SELECT count(*) FROM units WHERE deleted = 0").fetchone()[0])

    def ids(self) -> list[int]:
        with self._readers.reading() as db:
            return [row[0] for row in db.execute("SELECT id FROM units ORDER BY id")]

    def get_units(self, unit_ids: Sequence[int], *,
                  include_deleted: bool = False) -> dict[int, StoredUnit]:
        """Units by id (missing, and unless asked deleted, ids are absent from the result)."""
        with self._readers.reading() as db:
            return self._read_units(db, unit_ids, include_deleted=include_deleted)

    def _read_units(self, db: sqlite3.Connection, unit_ids: Sequence[int], *,
                    include_deleted: bool = True) -> dict[int, StoredUnit]:
        found: dict[int, StoredUnit] = {}
        ids = list(dict.fromkeys(int(i) for i in unit_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in db.execute(f"SELECT {_UNIT_COLUMNS} FROM units WHERE id IN ({marks})",
                                  chunk):
                if include_deleted or not row[-1]:
                    found[row[0]] = _unit_from_row(row)
            for unit_id, lang, text, markup, notes in db.execute(
                    "SELECT unit_id, lang, text, markup, annotations FROM variants "
                    f"WHERE unit_id IN ({marks}) ORDER BY unit_id, position", chunk):
                if unit_id in found:
                    found[unit_id].variants.append(Variant(
                        lang, text, markup, Annotations.from_json(json.loads(notes))))
        return found

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        """Every live unit in id order, read in batches (keyset paging: safe on a large memory)."""
        last = 0
        while True:
            with self._readers.reading() as db:
                ids = [row[0] for row in db.execute(
                    "SELECT id FROM units WHERE id > ? AND deleted = 0 ORDER BY id LIMIT ?",
                    (last, max(1, batch)))]
                units = self._read_units(db, ids)
            if not ids:
                return
            for unit_id in ids:
                yield units[unit_id]
            last = ids[-1]

    def texts_of(self, unit_ids: Sequence[int], langs: Sequence[str]) -> dict[int, dict[str, str]]:
        """The first text of each of the given primary languages, per unit (for embedding)."""
        out: dict[int, dict[str, str]] = {}
        ids = list(unit_ids)
        lang_marks = ",".join("?" * len(langs))
        with self._readers.reading() as db:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for unit_id, base, text in db.execute(
                        f"SELECT unit_id, base, text FROM variants WHERE unit_id IN ({marks}) "
                        f"AND base IN ({lang_marks}) ORDER BY unit_id, position",
                        [*chunk, *langs]):
                    if text.strip():
                        out.setdefault(unit_id, {}).setdefault(base, text)
        return out

    def history(self, unit_id: int) -> list[Change]:
        """Every change that touched the unit, oldest first."""
        with self._readers.reading() as db:
            ids = [row[0] for row in db.execute(
                "SELECT change_id FROM history_units WHERE unit_id = ? ORDER BY change_id",
                (unit_id,))]
            return [c for c in (self._change(db, i) for i in ids) if c is not None]

    def document_rows(self, unit_id: int, *, limit: int = 5000) -> list[tuple[int, str]]:
        """(id, paragraph) of the live units stored with `unit_id`'s document name, in id
        order (the document index; at most `limit`). A unit with no document name (a TMX
        import, where the file's order is the id order): the live units of the same import
        and no document within `limit` ids either side (a primary-key range, never a scan)."""
        with self._readers.reading() as db:
            row = db.execute("SELECT document, import_id FROM units WHERE id = ?",
                             (unit_id,)).fetchone()
            if row is None:
                return []
            document, import_id = row
            if document:
                sql = ("SELECT id, paragraph FROM units WHERE document = ? COLLATE NOCASE "
                       "AND deleted = 0 ORDER BY id LIMIT ?")
                return [(int(i), p) for i, p in db.execute(sql, (document, limit))]
            sql = ("SELECT id, paragraph FROM units WHERE id BETWEEN ? AND ? AND document = '' "
                   "AND import_id IS ? AND deleted = 0 ORDER BY id")
            return [(int(i), p) for i, p in db.execute(
                sql, (unit_id - limit, unit_id + limit, import_id))]

    def change(self, change_id: int) -> Change | None:
        with self._readers.reading() as db:
            return self._change(db, change_id)

    @staticmethod
    def _change(db: sqlite3.Connection, change_id: int) -> Change | None:
        row = db.execute("SELECT id, at, who, action, before, after, undone_by FROM history "
                         "WHERE id = ?", (change_id,)).fetchone()
        if row is None:
            return None
        return Change(id=row[0], at=row[1], who=row[2], action=row[3],
                      before=json.loads(row[4]), after=json.loads(row[5]), undone_by=row[6])

    def tags(self) -> set[str]:
        """Every language tag stored in this memory (fr, en-GB, fr-CA...): kept in a table of
        its own, so checking a query's language costs one small read."""
        if self._tags_revision != (revision := self.revision):
            with self._readers.reading() as db:
                self._tags = {lang for (lang,) in db.execute("SELECT lang FROM tags")}
            self._tags_revision = revision
        return set(self._tags)

    def import_headers(self) -> list[dict[str, Any]]:
        """The header (attributes, props, notes) of every imported file, oldest first."""
        with self._readers.reading() as db:
            return [json.loads(header) for (header,) in
                    db.execute("SELECT header FROM imports ORDER BY id")]

    # --- candidate look-ups for search (live units only) ------------------------------------

    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]:
        """Units whose `lang` text has exactly the normalised words of `text` (index look-up)."""
        base, tag = language_query(lang)
        where = " AND lower(v.lang) = ?" if tag else ""
        with self._readers.reading() as db:
            return list(dict.fromkeys(row[0] for row in db.execute(
                "SELECT v.unit_id FROM variants AS v JOIN units AS u ON u.id = v.unit_id "
                f"WHERE v.base = ? AND v.nkey = ? AND u.deleted = 0{where} "
                "ORDER BY v.unit_id LIMIT ?",
                [base, exact_key(text), *([tag] if tag else []), limit])))

    def document_frequencies(self, lang: str, terms: Sequence[str]) -> dict[str, int]:
        """How many segments contain each normalised term in `lang` (to pick the rarer ones)."""
        base, _ = language_query(lang)
        freq = dict.fromkeys(terms, 0)
        if not terms or not self._has_fts(base):
            return freq
        marks = ",".join("?" * len(terms))
        with self._readers.reading() as db:
            rows = db.execute(f"SELECT term, doc FROM {schema.fts_table(base)}_vocab "
                              f"WHERE term IN ({marks})", list(terms)).fetchall()
        freq.update({term: int(doc) for term, doc in rows})
        return freq

    def fts_candidates(
        self, lang: str, match: str, *, limit: int, document: str | None = None,
        symbol: str | None = None, resolution: str | None = None,
    ) -> list[int]:
        """Unit ids whose `lang` text matches an FTS5 expression over normalised words,
        best bm25 first."""
        base, tag = language_query(lang)
        if not self._has_fts(base):
            return []
        table = schema.fts_table(base)
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        if tag:
            where += " AND lower(v.lang) = ?"
            params.append(tag)
        sql = (f"SELECT v.unit_id FROM {table} AS f JOIN variants AS v ON v.id = f.rowid "
               f"JOIN units AS u ON u.id = v.unit_id WHERE {table} MATCH ? AND u.deleted = 0"
               f"{where} ORDER BY bm25({table}), v.unit_id LIMIT ?")
        with self._readers.reading() as db:
            try:
                rows = db.execute(sql, [match, *params, limit * 2]).fetchall()
            except sqlite3.OperationalError as error:
                raise InputError(f"query cannot be searched: {error}") from error
        return list(dict.fromkeys(row[0] for row in rows))[:limit]

    def fts_count(self, lang: str, match: str, *, document: str | None = None,
                  symbol: str | None = None, resolution: str | None = None) -> int:
        """How many live units match (the full-text rows of deleted units are removed, so
        without a filter or a tag this counts rows alone, then subtracts the units that match
        with two variants of the language: a concordance total stays one index scan)."""
        base, tag = language_query(lang)
        if not self._has_fts(base):
            return 0
        table = schema.fts_table(base)
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        if tag:
            where += " AND lower(v.lang) = ?"
            params.append(tag)
        if where:
            sql = (f"SELECT count(DISTINCT v.unit_id) FROM {table} AS f JOIN variants AS v "
                   f"ON v.id = f.rowid JOIN units AS u ON u.id = v.unit_id "
                   f"WHERE {table} MATCH ? AND u.deleted = 0{where}")
        else:
            sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH ?"
        with self._readers.reading() as db:
            try:
                total = int(db.execute(sql, [match, *params]).fetchone()[0])
                if not where and self._multi_variant(db, base):
                    total -= int(db.execute(
                        f"SELECT count(*) - count(DISTINCT v.unit_id) FROM {table} AS f "
                        f"JOIN variants AS v ON v.id = f.rowid WHERE {table} MATCH ?",
                        [match]).fetchone()[0])
            except sqlite3.OperationalError as error:
                raise InputError(f"query cannot be searched: {error}") from error
        return total

    def _multi_variant(self, db: sqlite3.Connection, base: str) -> bool:
        """Does some unit hold two variants of the primary language `base` (fr and fr-CA)?
        One scan of the variants per revision of the memory (remembered until it changes)."""
        revision = int(self._meta("revision", db) or 0)
        known = self._multi.get(base)
        if known is None or known[0] != revision:
            found = db.execute("SELECT 1 FROM variants WHERE base = ? GROUP BY unit_id "
                               "HAVING count(*) > 1 LIMIT 1", (base,)).fetchone() is not None
            known = self._multi[base] = (revision, found)
        return known[1]

    def fts_page(self, lang: str, match: str, *, limit: int, offset: int = 0,
                 document: str | None = None, symbol: str | None = None,
                 resolution: str | None = None) -> list[int]:
        """Live units matching, newest first, `limit` from `offset`. Rows are read in
        descending rowid order straight from the index (a variant's id grows with its unit's),
        so a page stops reading once it has its units."""
        base, tag = language_query(lang)
        if not self._has_fts(base):
            return []
        table = schema.fts_table(base)
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        if tag:
            where += " AND lower(v.lang) = ?"
            params.append(tag)
        sql = (f"SELECT v.unit_id FROM {table} AS f JOIN variants AS v ON v.id = f.rowid "
               f"JOIN units AS u ON u.id = v.unit_id WHERE {table} MATCH ? AND u.deleted = 0"
               f"{where} ORDER BY f.rowid DESC")
        page: list[int] = []
        seen = 0
        last = None
        with self._readers.reading() as db:
            try:
                for (unit_id,) in db.execute(sql, [match, *params]):
                    if unit_id == last:
                        continue  # the unit's other variant in this language
                    last = unit_id
                    seen += 1
                    if seen > offset:
                        page.append(unit_id)
                        if len(page) >= limit:
                            break
            except sqlite3.OperationalError as error:
                raise InputError(f"query cannot be searched: {error}") from error
        return page

    def _has_fts(self, base: str) -> bool:
        if base not in self._fts_readable:  # an import may have added the language since
            with self._readers.reading() as db:
                self._fts_readable = schema.fts_languages(db)
        return base in self._fts_readable

    def filter_ids(
        self, unit_ids: Sequence[int], *, document: str | None = None, symbol: str | None = None,
        resolution: str | None = None,
    ) -> set[int]:
        """The live ids among `unit_ids` whose document/symbol/resolution match the filters."""
        ids = list(unit_ids)
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        kept: set[int] = set()
        with self._readers.reading() as db:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                kept.update(row[0] for row in db.execute(
                    f"SELECT u.id FROM units AS u WHERE u.id IN ({marks}) AND u.deleted = 0"
                    f"{where}", [*chunk, *params]))
        return kept

    def close(self) -> None:
        """Close every connection (a read still running closes its own when it finishes)."""
        with self._lock:
            self._readers.close()
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_ORIGIN_COMPARE = "u.{column} = ? COLLATE NOCASE"


def _unit_from_row(row: tuple) -> StoredUnit:
    (unit_id, document, symbol, paragraph, resolution, resolution_title, score, created,
     provenance, annotations, deleted) = row
    when = created_time(created)
    return StoredUnit(document=document, symbol=symbol, paragraph=paragraph,
                      resolution=resolution, resolution_title=resolution_title, score=score,
                      created=when, provenance=json.loads(provenance),
                      annotations=Annotations.from_json(json.loads(annotations)),
                      id=unit_id, deleted=bool(deleted))
