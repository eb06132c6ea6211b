"""The SQLite unit store: one file (WAL) of units, their segments and full-text indexes.

Why SQLite: one file a translator can copy, transactions that make an import all-or-nothing
(a crash mid-import leaves the memory exactly as before: uncommitted WAL frames are discarded
on the next open), and FTS5 to pre-filter fuzzy candidates without scanning the memory.

Layout (schema version in `meta`):
  units(id, ukey UNIQUE, document, symbol, paragraph, score, created)  ukey = hash of all texts
  segments(unit_id, lang, text, nkey)   text as stored; nkey = hash of its normalised words
  fts_<lang>                            contentless FTS5 over normalised words, rowid = unit id
The semantic (FAISS) index lives beside the file; `Memory` keeps it in step with this store.

Concurrency: writes go through one connection behind a lock; reads use read-only connections
from a small pool, each read in its own read transaction (a WAL snapshot of the last commit),
so a look-up never waits for an import's transaction and never sees half of it.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from resolign.errors import InputError, ResolignError
from resolign.languages import LANGS, lang_rank
from resolign.service.store import (
    AddReport,
    BeforeCommit,
    StoredUnit,
    check_store_path,
    clean_texts,
    unit_key,
)
from resolign.service.wordforms import WORDFORMS_VERSION, exact_key, index_terms
from resolign.units import Unit

SCHEMA_VERSION = 1
READERS_KEPT = 32
"""Idle read-only connections kept for reuse (more are opened when more threads read at once)."""

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS units(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ukey TEXT NOT NULL UNIQUE,
        document TEXT NOT NULL DEFAULT '',
        symbol TEXT NOT NULL DEFAULT '',
        paragraph TEXT NOT NULL DEFAULT '',
        score REAL,
        created TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS segments(
        unit_id INTEGER NOT NULL REFERENCES units(id),
        lang TEXT NOT NULL,
        text TEXT NOT NULL,
        nkey TEXT NOT NULL,
        PRIMARY KEY (unit_id, lang)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS segments_nkey ON segments(lang, nkey)",
    "CREATE INDEX IF NOT EXISTS units_document ON units(document COLLATE NOCASE)",
    "CREATE INDEX IF NOT EXISTS units_symbol ON units(symbol COLLATE NOCASE)",
] + [
    stmt
    for lang in LANGS
    for stmt in (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS fts_{lang} USING fts5("
        f"norm, content='', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS fts_{lang}_vocab USING fts5vocab(fts_{lang}, 'row')",
    )
]

_SCHEMA_NAMES = [re.search(r"EXISTS (\w+)", stmt).group(1) for stmt in _SCHEMA]  # type: ignore[union-attr]


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
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._open: set[sqlite3.Connection] = set()
        self._closed = False
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._init_schema()
            with self._lock:
                self._reindex_word_forms()
        except sqlite3.DatabaseError as error:
            raise InputError(f"{self.path} is not a resolign memory: {error}") from error

    # --- schema -----------------------------------------------------------------------------

    def _init_schema(self) -> None:
        with self._lock:
            if self._schema_current():
                return  # no write transaction: opening never waits for another's import
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for stmt in _SCHEMA[:1]:
                    self._db.execute(stmt)
                version = self._meta("schema_version")
                if version is not None and int(version) > SCHEMA_VERSION:
                    raise InputError(
                        f"{self.path} was written by a newer resolign (schema {version})"
                    )
                for stmt in _SCHEMA[1:]:
                    self._db.execute(stmt)
                if version is None:
                    self._set_meta("schema_version", str(SCHEMA_VERSION))
                    self._set_meta("store_id", uuid.uuid4().hex)
                    self._set_meta("revision", "0")
                    self._set_meta("wordforms", WORDFORMS_VERSION)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _reindex_word_forms(self) -> None:
        """Rebuild every full-text row and exact key in ONE transaction when the file was
        indexed under other word-form rules (wordforms.WORDFORMS_VERSION)."""
        if self._meta("wordforms") == WORDFORMS_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._meta("wordforms") != WORDFORMS_VERSION:  # another process may have done it
                for lang in LANGS:
                    self._db.execute(f"INSERT INTO fts_{lang}(fts_{lang}) VALUES ('delete-all')")
                rows = self._db.execute("SELECT unit_id, lang, text FROM segments").fetchall()
                for unit_id, lang, text in rows:
                    self._db.execute("UPDATE segments SET nkey = ? WHERE unit_id = ? AND lang = ?",
                                     (exact_key(text), unit_id, lang))
                    if lang in LANGS:
                        self._db.execute(f"INSERT INTO fts_{lang}(rowid, norm) VALUES (?, ?)",
                                         (unit_id, " ".join(index_terms(text, lang))))
                self._set_meta("wordforms", WORDFORMS_VERSION)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _schema_current(self) -> bool:
        """True when the file already holds this version's schema (created whole, in one
        transaction, so the version row means every table is there)."""
        try:
            if self._meta("schema_version") != str(SCHEMA_VERSION):
                return False
            marks = ",".join("?" * len(_SCHEMA_NAMES))
            found = self._db.execute(
                f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", _SCHEMA_NAMES
            ).fetchone()[0]
        except sqlite3.OperationalError:
            return False  # no meta table yet: a new file
        return found == len(_SCHEMA_NAMES)

    def _meta(self, key: str, db: sqlite3.Connection | None = None) -> str | None:
        row = (db or self._db).execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def store_id(self) -> str:
        """Random id given at creation: a FAISS file from another memory is never mistaken."""
        with self._reading() as db:
            return self._meta("store_id", db) or ""

    @property
    def revision(self) -> int:
        """Incremented by every committed write (cheap change detection for caches)."""
        with self._reading() as db:
            return int(self._meta("revision", db) or 0)

    # --- read connections -------------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection inside one read transaction: every statement run on it sees
        the same committed state (the last commit before its first statement), whatever a
        writer is doing meanwhile. Connections are pooled, never shared by two threads at once.
        """
        db = self._borrow()
        try:
            db.execute("BEGIN")
            yield db
        finally:
            try:
                if db.in_transaction:
                    db.execute("ROLLBACK")  # a read transaction: nothing to keep
                reusable = True
            except sqlite3.Error:
                reusable = False
            self._give_back(db, reusable)

    def _borrow(self) -> sqlite3.Connection:
        with self._pool_lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            if self._idle:
                return self._idle.pop()
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                 timeout=30)
        except sqlite3.Error as error:
            raise ResolignError(f"could not read {self.path}: {error}") from error
        with self._pool_lock:
            if not self._closed:
                self._open.add(db)
                return db
        db.close()
        raise sqlite3.ProgrammingError("Cannot operate on a closed database.")

    def _give_back(self, db: sqlite3.Connection, reusable: bool) -> None:
        with self._pool_lock:
            keep = reusable and not self._closed and len(self._idle) < READERS_KEPT
            if keep:
                self._idle.append(db)
            else:
                self._open.discard(db)
        if not keep:
            db.close()

    # --- writing ----------------------------------------------------------------------------

    def add_units(self, units: Iterable[Unit], *,
                  before_commit: BeforeCommit | None = None) -> AddReport:
        """Add units in ONE transaction (all or nothing); identical units are counted, not stored.

        The iterable is consumed inside the transaction, so a streamed TMX import is atomic too.
        `before_commit(added)` runs inside the transaction just before it commits.
        """
        added = duplicates = skipped = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for unit in units:
                    texts = clean_texts(unit.texts)
                    if not texts:
                        skipped += 1
                    elif self._insert(unit, texts) is None:
                        duplicates += 1
                    else:
                        added += 1
                if added:
                    self._set_meta("revision", str(int(self._meta("revision") or 0) + 1))
                if before_commit is not None:
                    before_commit(added)
                self._db.execute("COMMIT")
            except BaseException as error:
                self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.DatabaseError):
                    raise ResolignError(f"could not write to {self.path}: {error}") from error
                raise
        return AddReport(added=added, duplicates=duplicates, skipped=skipped)

    def _insert(self, unit: Unit, texts: dict[str, str]) -> int | None:
        created = unit.created or datetime.now(UTC)
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO units(ukey, document, symbol, paragraph, score, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (unit_key(texts), unit.document or "", unit.symbol or "", str(unit.paragraph or ""),
             unit.score, created.isoformat()),
        )
        if cursor.rowcount == 0:
            return None
        unit_id = int(cursor.lastrowid)
        for lang, text in texts.items():
            self._db.execute(
                "INSERT INTO segments(unit_id, lang, text, nkey) VALUES (?, ?, ?, ?)",
                (unit_id, lang, text, exact_key(text)),
            )
            if lang in LANGS:
                self._db.execute(f"INSERT INTO fts_{lang}(rowid, norm) VALUES (?, ?)",
                                 (unit_id, " ".join(index_terms(text, lang))))
        return unit_id

    # --- reading ----------------------------------------------------------------------------

    def count(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT count(*) FROM units").fetchone()[0])

    def ids(self) -> list[int]:
        """All unit ids in ascending order (what the semantic index must cover)."""
        with self._reading() as db:
            return [row[0] for row in db.execute("SELECT id FROM units ORDER BY id")]

    def get_unit(self, unit_id: int) -> StoredUnit | None:
        return self.get_units([unit_id]).get(unit_id)

    def get_units(self, unit_ids: Sequence[int]) -> dict[int, StoredUnit]:
        """Units by id (missing ids are absent from the result)."""
        found: dict[int, StoredUnit] = {}
        ids = list(dict.fromkeys(int(i) for i in unit_ids))
        with self._reading() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for row in db.execute(
                    "SELECT id, document, symbol, paragraph, score, created FROM units "
                    f"WHERE id IN ({marks})", chunk,
                ):
                    found[row[0]] = _unit_from_row(row)
                for unit_id, lang, text in db.execute(
                    f"SELECT unit_id, lang, text FROM segments WHERE unit_id IN ({marks})", chunk
                ):
                    found[unit_id].texts[lang] = text
        for unit in found.values():
            unit.texts = dict(sorted(unit.texts.items(), key=lambda item: lang_rank(item[0])))
        return found

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        """Every unit in id order, read in batches (keyset paging: safe on a large memory)."""
        last = 0
        while True:
            with self._reading() as db:
                ids = [row[0] for row in db.execute(
                    "SELECT id FROM units WHERE id > ? ORDER BY id LIMIT ?", (last, max(1, batch))
                )]
            if not ids:
                return
            units = self.get_units(ids)
            for unit_id in ids:
                yield units[unit_id]
            last = ids[-1]

    def texts_of(self, unit_ids: Sequence[int], langs: Sequence[str]) -> dict[int, dict[str, str]]:
        """The given languages' texts of some units (for embedding without building Units)."""
        out: dict[int, dict[str, str]] = {}
        ids = list(unit_ids)
        lang_marks = ",".join("?" * len(langs))
        with self._reading() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for unit_id, lang, text in db.execute(
                    f"SELECT unit_id, lang, text FROM segments WHERE unit_id IN ({marks}) "
                    f"AND lang IN ({lang_marks})", [*chunk, *langs],
                ):
                    out.setdefault(unit_id, {})[lang] = text
        return out

    # --- candidate look-ups for search ------------------------------------------------------

    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]:
        """Units whose `lang` segment has exactly the normalised words of `text` (index look-up)."""
        with self._reading() as db:
            return [row[0] for row in db.execute(
                "SELECT unit_id FROM segments WHERE lang = ? AND nkey = ? ORDER BY unit_id LIMIT ?",
                (lang, exact_key(text), limit),
            )]

    def document_frequencies(self, lang: str, terms: Sequence[str]) -> dict[str, int]:
        """How many units contain each normalised term in `lang` (to pick the rarer ones)."""
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        with self._reading() as db:
            rows = db.execute(
                f"SELECT term, doc FROM fts_{lang}_vocab WHERE term IN ({marks})", list(terms)
            ).fetchall()
        freq = dict.fromkeys(terms, 0)
        freq.update({term: int(doc) for term, doc in rows})
        return freq

    def fts_candidates(
        self, lang: str, match: str, *, limit: int, document: str | None = None,
        symbol: str | None = None,
    ) -> list[int]:
        """Unit ids matching an FTS5 expression over normalised `lang` text, best bm25 first."""
        where, params = _origin_filter(document, symbol)
        sql = (f"SELECT f.rowid FROM fts_{lang} AS f JOIN units AS u ON u.id = f.rowid "
               f"WHERE fts_{lang} MATCH ?{where} ORDER BY bm25(fts_{lang}), f.rowid LIMIT ?")
        with self._reading() as db:
            try:
                return [row[0] for row in db.execute(sql, [match, *params, limit])]
            except sqlite3.OperationalError as error:
                raise InputError(f"query cannot be searched: {error}") from error

    def fts_count(self, lang: str, match: str, *, document: str | None = None,
                  symbol: str | None = None) -> int:
        """How many units' `lang` text matches an FTS5 expression (a concordance's total)."""
        where, params = _origin_filter(document, symbol)
        join = " JOIN units AS u ON u.id = f.rowid" if where else ""
        with self._reading() as db:
            try:
                return int(db.execute(f"SELECT count(*) FROM fts_{lang} AS f{join} "
                                      f"WHERE fts_{lang} MATCH ?{where}",
                                      [match, *params]).fetchone()[0])
            except sqlite3.OperationalError as error:
                raise InputError(f"query cannot be searched: {error}") from error

    def fts_page(self, lang: str, match: str, *, limit: int, offset: int = 0,
                 document: str | None = None, symbol: str | None = None) -> list[int]:
        """Unit ids matching an FTS5 expression, newest first, `limit` from `offset`."""
        where, params = _origin_filter(document, symbol)
        join = " JOIN units AS u ON u.id = f.rowid" if where else ""
        with self._reading() as db:
            try:
                return [row[0] for row in db.execute(
                    f"SELECT f.rowid FROM fts_{lang} AS f{join} WHERE fts_{lang} MATCH ?{where} "
                    "ORDER BY f.rowid DESC LIMIT ? OFFSET ?", [match, *params, limit, offset])]
            except sqlite3.OperationalError as error:
                raise InputError(f"query cannot be searched: {error}") from error

    def filter_ids(
        self, unit_ids: Sequence[int], *, document: str | None = None, symbol: str | None = None
    ) -> set[int]:
        """The ids among `unit_ids` whose document/symbol match the filters."""
        ids = list(unit_ids)
        if not (document or symbol):
            return set(ids)
        where, params = _origin_filter(document, symbol)
        kept: set[int] = set()
        with self._reading() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                kept.update(row[0] for row in db.execute(
                    f"SELECT u.id FROM units AS u WHERE u.id IN ({marks}){where}",
                    [*chunk, *params],
                ))
        return kept

    def close(self) -> None:
        """Close every connection (a read still running closes its own when it finishes)."""
        with self._lock:
            with self._pool_lock:
                self._closed = True
                idle, self._idle = self._idle, []
                self._open.difference_update(idle)
            for db in idle:
                db.close()
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _origin_filter(document: str | None, symbol: str | None) -> tuple[str, list[str]]:
    where, params = "", []
    if document:
        where += " AND u.document = ? COLLATE NOCASE"
        params.append(document)
    if symbol:
        where += " AND u.symbol = ? COLLATE NOCASE"
        params.append(symbol)
    return where, params


def _unit_from_row(row: tuple) -> StoredUnit:
    unit_id, document, symbol, paragraph, score, created = row
    try:
        when = datetime.fromisoformat(created)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    return StoredUnit(texts={}, document=document, symbol=symbol, paragraph=paragraph,
                      score=score, created=when, id=unit_id)
