"""The PostgreSQL unit store: one database shared by any number of `resolign serve` replicas.

Same rows, same answers as the SQLite store (store_sqlite.py) behind the same `Store`
interface: language variants with full tags, other tools' annotations, append-only ids with a
history that can be undone, imported files' headers. The tables are in pg_schema.py. Why
PostgreSQL: one SQLite file and one process is a ceiling when dozens of translators and CAT
tools look things up at once; PostgreSQL lets several stateless servers share one memory, each
answering from the same committed rows.

Transactions: every write (an import, an alignment, an edit, an undo) is ONE transaction, all
or nothing; a server killed in the middle leaves the memory as it was (PostgreSQL rolls back a
transaction whose client went away). Writers take the `revision` row first, so writes are
serialised across every server: unit ids are handed out in commit order without gaps, which is
also the change counter the replicas' semantic indexes follow. Every read is ONE statement in
autocommit (a unit and its variants come back together), so it sees one committed state, costs
one round trip, and never waits for a writer (MVCC).

Connections come from a psycopg_pool pool (autocommit, search_path = resolign); a connection
the server dropped is replaced by the pool, not reused.

Look-ups are index look-ups, never scans: exact through a btree on (language, exact key),
fuzzy candidates and concordance phrases through one GIN index on language-prefixed tsvectors
of the index terms, ranked like FTS5's bm25 (term rarity from `terms`, length from `nwords`).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool, PoolClosed

from resolign.errors import InputError, NotFound, ResolignError, StoreUnavailable
from resolign.service import pg_schema
from resolign.service.locations import redact
from resolign.service.pg_schema import SCHEMA, migrate
from resolign.service.pg_text import lexemes, parse_match, tsquery_literal
from resolign.service.store import (
    AddReport,
    BeforeCommit,
    Change,
    ImportRecord,
    StoredUnit,
    created_time,
    dumps,
    exact_key,
    language_query,
    origin_filter,
    unit_json,
)
from resolign.units import Annotations, Unit, Variant, absorb_duplicate

POOL_MAX = 20
"""Connections one server opens at most (requests beyond wait for one, POOL_WAIT seconds)."""
POOL_WAIT = 60.0
CONNECT_TIMEOUT = 10
WRITE_CHUNK = 1000
"""Units written per batch inside an import's transaction (COPY, not one INSERT per row)."""
STATS_TTL = 5.0
"""Seconds the per-language counts used for ranking are reused (they change slowly)."""
_UNIT_SELECT = (
    "SELECT u.id, u.document, u.symbol, u.paragraph, u.resolution, u.resolution_title, "
    "u.score, u.created, u.provenance, u.annotations, u.deleted, (SELECT json_agg("
    "json_build_array(v.lang, v.text, v.markup, v.annotations) ORDER BY v.position) "
    "FROM variants AS v WHERE v.unit_id = u.id) FROM units AS u ")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def connect(url: str, *, where: str) -> psycopg.Connection:
    """One autocommit connection, or a one-line error naming the location (never the password)."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                               application_name="resolign")
    except psycopg.Error as error:
        raise StoreUnavailable(f"could not connect to {where}: {_first_line(error)}") from None


@dataclass
class _Write:
    """One write transaction in progress: its connection and what it changed so far."""

    conn: psycopg.Connection
    added: list[int] = field(default_factory=list)
    changed: bool = False
    live: int = 0
    """Change in the live unit count."""
    next_unit: int = 0
    next_variant: int = 0

    def unit_ids(self, count: int) -> list[int]:
        if not self.next_unit:
            self.next_unit = int(self.conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0])
        ids = list(range(self.next_unit, self.next_unit + count))
        self.next_unit += count
        return ids

    def variant_id(self) -> int:
        if not self.next_variant:
            self.next_variant = int(self.conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM variants").fetchone()[0])
        self.next_variant += 1
        return self.next_variant - 1


class PostgresStore:
    """A translation memory in a PostgreSQL database. Thread-safe (a connection pool)."""

    backend = "postgresql"

    def __init__(self, url: str, *, create: bool = True):
        self.location = redact(url)
        first = connect(url, where=self.location)
        try:
            migrate(first, create=create, where=self.location)
            row = first.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'store_id'")
            self._store_id = str(row.fetchone()[0])
        except psycopg.Error as error:
            raise StoreUnavailable(f"could not open {self.location}: {_first_line(error)}") \
                from None
        finally:
            first.close()
        self._pool = ConnectionPool(
            url, min_size=1, max_size=POOL_MAX, timeout=POOL_WAIT, open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT,
                    "application_name": "resolign"},
            configure=_configure,
            name=f"resolign {self.location}")
        try:
            self._pool.open(wait=True, timeout=POOL_WAIT)
        except Exception as error:
            self._pool.close()
            raise StoreUnavailable(f"could not connect to {self.location}: "
                                   f"{_first_line(error)}") from None
        self._stats: dict[str, tuple[float, int, float]] = {}
        self._docs: dict[str, int] = {}
        self._stats_lock = threading.Lock()
        self._tags: set[str] = set()
        self._tags_revision = -1
        self.vectors = PgVectors(self)

    # --- connections ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolClosed as error:
            raise psycopg.InterfaceError("the memory is closed") from error
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"{self.location} is unavailable: {_first_line(error)}") \
                from None

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        """One statement in autocommit: its own snapshot, no BEGIN/COMMIT round trips.

        Idempotent statements only: one retry on a connection the server dropped (a restart,
        an idle timeout), which the pool then replaces, instead of checking every connection
        with an extra round trip each time it is borrowed.
        """
        try:
            with self._connection() as conn:
                return conn.execute(sql, params).fetchall()
        except StoreUnavailable:
            with self._connection() as conn:
                return conn.execute(sql, params).fetchall()

    def _rows(self, conn: psycopg.Connection | None, sql: str,
              params: Sequence[Any] = ()) -> list[tuple]:
        """Inside a write (`conn`) or as one read statement."""
        if conn is not None:
            return conn.execute(sql, params).fetchall()
        return self._one(sql, params)

    # --- identity ---------------------------------------------------------------------------

    @property
    def store_id(self) -> str:
        return self._store_id

    @property
    def revision(self) -> int:
        return int(self._one("SELECT value FROM meta WHERE key = 'revision'")[0][0])

    # --- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, before_commit: BeforeCommit | None) -> Iterator[_Write]:
        """One write transaction. Writers queue on the `revision` row (across every server);
        a change bumps the revision; `before_commit(added)` runs just before the commit."""
        with self._connection() as conn:
            try:
                conn.execute("BEGIN")
                revision = int(conn.execute(
                    "SELECT value FROM meta WHERE key = 'revision' FOR UPDATE").fetchone()[0])
                write = _Write(conn)
                yield write
                if write.changed:
                    conn.execute("UPDATE meta SET value = %s WHERE key = 'revision'",
                                 (str(revision + 1),))
                if write.live:
                    conn.execute("UPDATE meta SET value = (value::bigint + %s)::text "
                                 "WHERE key = 'units'", (write.live,))
                if before_commit is not None:
                    before_commit(len(write.added))
                conn.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                if isinstance(error, psycopg.Error):
                    raise ResolignError(f"could not write to {self.location}: "
                                        f"{_first_line(error)}") from error
                raise

    def add_units(self, units: Iterable[Unit], *, before_commit: BeforeCommit | None = None,
                  source: ImportRecord | None = None) -> AddReport:
        """Add units in ONE transaction (all or nothing); a unit already stored (same texts and
        codes) is counted, and the props and notes it brings are folded into the stored one.

        The iterable is consumed inside the transaction (a streamed import is atomic too),
        written in batches of WRITE_CHUNK units with COPY.
        """
        report = AddReport(added=0, duplicates=0)
        with self._writing(before_commit) as write:
            import_id = None
            if source is not None:
                import_id = int(write.conn.execute(
                    "INSERT INTO imports(name, at) VALUES (%s, %s) RETURNING id",
                    (source.name, datetime.now(UTC).isoformat())).fetchone()[0])
                write.changed = True
            chunk: list[Unit] = []
            for unit in units:
                if not any(variant.has_content() for variant in unit.variants):
                    report.skipped += 1
                    continue
                chunk.append(unit)
                if len(chunk) >= WRITE_CHUNK:
                    self._add_chunk(write, chunk, import_id, report)
                    chunk = []
            if chunk:
                self._add_chunk(write, chunk, import_id, report)
            report.added, report.ids = len(write.added), list(write.added)
            if source is not None:
                header, read = source.describe()
                write.conn.execute("UPDATE imports SET header = %s::json, report = %s::json "
                                   "WHERE id = %s", (dumps(header), dumps(read), import_id))
        return report

    def _add_chunk(self, write: _Write, chunk: list[Unit], import_id: int | None,
                   report: AddReport) -> None:
        """Store a batch of units; a duplicate of a live unit, or of one earlier in the batch,
        is folded into it in order, as SQLite does one unit at a time."""
        keys = [unit.dedup_key() for unit in chunk]
        live = {key: unit_id for key, unit_id in write.conn.execute(
            "SELECT ukey, id FROM units WHERE ukey = ANY(%s::text[]) AND NOT deleted",
            (list(set(keys)),))}
        by_id = self._read_units(write.conn, list(live.values()))
        stored = {key: by_id[unit_id] for key, unit_id in live.items()}
        touched: set[str] = set()
        new: dict[str, Unit] = {}
        copied: set[str] = set()
        for unit, key in zip(chunk, keys, strict=True):
            if key in stored:
                report.duplicates += 1
                if absorb_duplicate(stored[key], unit):
                    report.merged += 1
                    touched.add(key)
            elif key in new:
                report.duplicates += 1
                if key not in copied:  # fold into a copy: the caller's unit stays as given
                    new[key] = Unit.from_json(new[key].to_json())
                    copied.add(key)
                report.merged += absorb_duplicate(new[key], unit)
            else:
                new[key] = unit
        for key in touched:
            self._save_annotations(write.conn, stored[key])
        if touched:
            write.changed = True
        write.added.extend(self._insert(write, list(new.values()), list(new), import_id))

    def _insert(self, write: _Write, units: list[Unit], keys: list[str],
                import_id: int | None = None, changed: str | None = None) -> list[int]:
        """COPY new units, their variants and full-text rows; their ids, in order."""
        if not units:
            return []
        conn = write.conn
        ids = write.unit_ids(len(units))
        with conn.cursor().copy(
                "COPY units(id, ukey, document, symbol, paragraph, resolution, resolution_title, "
                "score, created, changed, provenance, annotations, import_id) "
                "FROM STDIN") as copy:
            for unit_id, key, unit in zip(ids, keys, units, strict=True):
                copy.write_row((
                    unit_id, key, unit.document or "", unit.symbol or "",
                    str(unit.paragraph or ""), unit.resolution or "",
                    unit.resolution_title or "", unit.score,
                    (unit.created or datetime.now(UTC)).isoformat(), changed,
                    dumps(unit.provenance), dumps(unit.annotations.to_json()), import_id))
        rows, extra, tags = [], [], {}
        for unit_id, unit in zip(ids, units, strict=True):
            for position, variant in enumerate(unit.variants):
                rows.append((write.variant_id(), unit_id, position, variant.lang,
                             variant.primary, variant.text))
                extra.append((variant.markup, dumps(variant.annotations.to_json())))
                tags[variant.lang] = variant.primary
        pg_schema.write_variants(conn, rows, lambda i: extra[i])
        conn.execute("INSERT INTO tags(lang, base) SELECT * FROM unnest(%s::text[], %s::text[]) "
                     "ON CONFLICT DO NOTHING", (list(tags), list(tags.values())))
        write.changed = True
        write.live += len(ids)
        return ids

    @staticmethod
    def _save_annotations(conn: psycopg.Connection, unit: StoredUnit) -> None:
        conn.execute("UPDATE units SET annotations = %s::json WHERE id = %s",
                     (dumps(unit.annotations.to_json()), unit.id))
        conn.execute(
            "UPDATE variants AS v SET annotations = n.notes::json FROM unnest("
            "%s::integer[], %s::text[]) AS n(position, notes) "
            "WHERE v.unit_id = %s AND v.position = n.position",
            (list(range(len(unit.variants))),
             [dumps(v.annotations.to_json()) for v in unit.variants], unit.id))

    def replace_units(self, unit_ids: Sequence[int], new: Sequence[Unit], *, who: str,
                      action: str, before_commit: BeforeCommit | None = None) -> list[int]:
        """Mark live units deleted and store `new` in their place, as one change of the history
        (an edit, split, merge, or with no new units a delete). The new ids, in order."""
        with self._writing(before_commit) as write:
            old = self._read_units(write.conn, unit_ids)
            gone = [i for i in dict.fromkeys(unit_ids) if i not in old or old[i].deleted]
            if gone:
                raise NotFound(f"no unit with id {gone[0]} (deleted, or never stored)")
            self._set_deleted(write, list(old.values()), True)
            keys = [unit.dedup_key() for unit in new]
            clash = write.conn.execute(
                "SELECT 1 FROM units WHERE ukey = ANY(%s::text[]) AND NOT deleted LIMIT 1",
                (keys,)).fetchone()
            if clash is not None or len(set(keys)) < len(keys):
                raise InputError("the memory already holds a unit with exactly these texts")
            added = self._insert(write, list(new), keys, changed=datetime.now(UTC).isoformat())
            write.added.extend(added)
            self._record(write.conn, action, who, [unit_json(u, u.id) for u in old.values()],
                         [unit_json(u, i) for u, i in zip(new, added, strict=True)])
            write.changed = True
        return list(added)

    def undo(self, change_id: int, *, who: str,
             before_commit: BeforeCommit | None = None) -> Change:
        """Undo one change: its new units are marked deleted and its old ones come back."""
        with self._writing(before_commit) as write:
            conn = write.conn
            change = self._changes(conn, [change_id]).get(change_id)
            if change is None:
                raise NotFound(f"no change with id {change_id}")
            if change.undone_by is not None:
                raise InputError(f"change {change_id} was already undone "
                                 f"(by change {change.undone_by})")
            after = self._read_units(conn, change.after_ids)
            before = self._read_units(conn, change.before_ids)
            if any(unit.deleted for unit in after.values()):
                raise InputError(f"change {change_id} cannot be undone: a later change "
                                 "replaced or deleted its units; undo that one first")
            self._set_deleted(write, list(after.values()), True)
            for unit in before.values():
                clash = conn.execute("SELECT id FROM units WHERE ukey = %s AND NOT deleted",
                                     (unit.dedup_key(),)).fetchone()
                if clash is not None:
                    raise InputError(f"change {change_id} cannot be undone: unit {clash[0]} "
                                     f"now holds the same texts as unit {unit.id}")
                self._set_deleted(write, [unit], False)
            undo_id = self._record(conn, "undo", who,
                                   [unit_json(u, u.id) for u in after.values()],
                                   [unit_json(u, u.id) for u in before.values()])
            conn.execute("UPDATE history SET undone_by = %s WHERE id = %s", (undo_id, change_id))
            write.changed = True
            done = self._changes(conn, [undo_id])[undo_id]
        return done

    @staticmethod
    def _set_deleted(write: _Write, units: list[StoredUnit], deleted: bool) -> None:
        """Mark units deleted (their full-text rows and term counts go) or bring them back
        (rebuilt from their variants)."""
        if not units:
            return
        conn, ids = write.conn, [unit.id for unit in units]
        conn.execute("UPDATE units SET deleted = %s WHERE id = ANY(%s::bigint[])", (deleted, ids))
        write.live += -len(ids) if deleted else len(ids)
        if not deleted:
            pg_schema.index_rows(conn, conn.execute(
                "SELECT id, unit_id, lang, base, text FROM variants "
                "WHERE unit_id = ANY(%s::bigint[]) ORDER BY id", (ids,)).fetchall())
            return
        counts: dict[str, int] = {}
        stats: dict[str, list[int]] = {}
        for base, nwords, terms in conn.execute(
                "DELETE FROM fulltext WHERE unit_id = ANY(%s::bigint[]) "
                "RETURNING base, nwords, tsvector_to_array(tsv)", (ids,)):
            for term in terms:
                counts[term] = counts.get(term, 0) - 1
            total = stats.setdefault(base, [0, 0])
            total[0] -= 1
            total[1] -= nwords
        pg_schema.add_counts(conn, counts, stats)

    @staticmethod
    def _record(conn: psycopg.Connection, action: str, who: str,
                before: list[dict[str, Any]], after: list[dict[str, Any]]) -> int:
        change_id = int(conn.execute(
            "INSERT INTO history(at, who, action, before, after) "
            "VALUES (%s, %s, %s, %s::json, %s::json) RETURNING id",
            (datetime.now(UTC).isoformat(), who, action, dumps(before), dumps(after)),
        ).fetchone()[0])
        conn.execute("INSERT INTO history_units(change_id, unit_id) SELECT %s, * FROM "
                     "unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
                     (change_id, sorted({int(u["id"]) for u in before + after})))
        return change_id

    # --- reading ----------------------------------------------------------------------------

    def count(self) -> int:
        """Live units (kept in `meta` by the writers: no count(*) over a large table)."""
        return int(self._one("SELECT value FROM meta WHERE key = 'units'")[0][0])

    def ids(self) -> list[int]:
        """Every unit id ever stored, deleted ones included, ascending (what the semantic
        index covers: it only ever adds)."""
        row = self._one("SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM units")
        return list(row[0][0])

    def get_unit(self, unit_id: int) -> StoredUnit | None:
        return self.get_units([unit_id]).get(unit_id)

    def get_units(self, unit_ids: Sequence[int], *,
                  include_deleted: bool = False) -> dict[int, StoredUnit]:
        """Units by id (missing, and unless asked deleted, ids are absent from the result)."""
        return self._read_units(None, unit_ids, include_deleted=include_deleted)

    def _read_units(self, conn: psycopg.Connection | None, unit_ids: Iterable[int], *,
                    include_deleted: bool = True) -> dict[int, StoredUnit]:
        """Units by id in id order, each with its variants, in one statement."""
        ids = list(dict.fromkeys(int(i) for i in unit_ids))
        if not ids:
            return {}
        live = "" if include_deleted else " AND NOT u.deleted"
        rows = self._rows(conn, _UNIT_SELECT + f"WHERE u.id = ANY(%s::bigint[]){live} "
                          "ORDER BY u.id", (ids,))
        return {row[0]: _unit_from_row(row) for row in rows}

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        """Every live unit in id order, read in batches (keyset paging: safe on a large memory)."""
        last = 0
        while True:
            rows = self._one(_UNIT_SELECT + "WHERE u.id > %s AND NOT u.deleted ORDER BY u.id "
                             "LIMIT %s", (last, max(1, batch)))
            if not rows:
                return
            for row in rows:
                yield _unit_from_row(row)
            last = rows[-1][0]

    def texts_of(self, unit_ids: Sequence[int], langs: Sequence[str]) -> dict[int, dict[str, str]]:
        """The first text of each of the given primary languages, per unit (for embedding)."""
        out: dict[int, dict[str, str]] = {}
        for unit_id, base, text in self._one(
                "SELECT unit_id, base, text FROM variants WHERE unit_id = ANY(%s::bigint[]) "
                "AND base = ANY(%s::text[]) ORDER BY unit_id, position",
                ([int(i) for i in unit_ids], list(langs))):
            if text.strip():
                out.setdefault(unit_id, {}).setdefault(base, text)
        return out

    def history(self, unit_id: int) -> list[Change]:
        """Every change that touched the unit, oldest first."""
        rows = self._one("SELECT coalesce(array_agg(change_id ORDER BY change_id), '{}') "
                         "FROM history_units WHERE unit_id = %s", (unit_id,))
        return list(self._changes(None, rows[0][0]).values())

    def document_rows(self, unit_id: int, *, limit: int = 5000) -> list[tuple[int, str]]:
        """(id, paragraph) of the live units stored with `unit_id`'s document name, in id
        order (the document index; at most `limit`). A unit with no document name (a TMX
        import, where the file's order is the id order): the live units of the same import
        and no document within `limit` ids either side (a primary-key range, never a scan)."""
        row = self._one("SELECT document, import_id FROM units WHERE id = %s", (unit_id,))
        if not row:
            return []
        document, import_id = row[0]
        if document:
            rows = self._one("SELECT id, paragraph FROM units WHERE lower(document) = "
                             "lower(%s) AND NOT deleted ORDER BY id LIMIT %s", (document, limit))
        else:
            rows = self._one("SELECT id, paragraph FROM units WHERE id BETWEEN %s AND %s AND "
                             "document = '' AND import_id IS NOT DISTINCT FROM %s AND NOT "
                             "deleted ORDER BY id", (unit_id - limit, unit_id + limit, import_id))
        return [(int(i), p) for i, p in rows]

    def change(self, change_id: int) -> Change | None:
        return self._changes(None, [change_id]).get(change_id)

    def _changes(self, conn: psycopg.Connection | None,
                 change_ids: Sequence[int]) -> dict[int, Change]:
        if not change_ids:
            return {}
        rows = self._rows(conn, "SELECT id, at, who, action, before, after, undone_by "
                          "FROM history WHERE id = ANY(%s::bigint[]) ORDER BY id",
                          ([int(i) for i in change_ids],))
        return {row[0]: Change(id=row[0], at=row[1], who=row[2], action=row[3], before=row[4],
                               after=row[5], undone_by=row[6]) for row in rows}

    def tags(self) -> set[str]:
        """Every language tag stored in this memory (fr, en-GB, fr-CA...), deleted units'
        too: kept in a table of its own, re-read only when the revision moved."""
        if self._tags_revision != (revision := self.revision):
            self._tags = {lang for (lang,) in self._one("SELECT lang FROM tags")}
            self._tags_revision = revision
        return set(self._tags)

    def import_headers(self) -> list[dict[str, Any]]:
        """The header (attributes, props, notes) of every imported file, oldest first."""
        return [header for (header,) in self._one("SELECT header FROM imports ORDER BY id")]

    # --- candidate look-ups for search (live units only) ------------------------------------

    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]:
        """Units whose `lang` text has the same exact key as `text` (btree look-up)."""
        base, tag = language_query(lang)
        where, params = (" AND lower(v.lang) = %s", [tag]) if tag else ("", [])
        return list(dict.fromkeys(row[0] for row in self._one(
            "SELECT v.unit_id FROM variants AS v JOIN units AS u ON u.id = v.unit_id "
            f"WHERE v.base = %s AND v.nkey = %s AND NOT u.deleted{where} "
            "ORDER BY v.unit_id LIMIT %s", [base, exact_key(text), *params, limit])))

    def document_frequencies(self, lang: str, terms: Sequence[str]) -> dict[str, int]:
        """How many full-text rows of `lang` hold each term (to pick the rarer ones)."""
        if not terms:
            return {}
        base, _ = language_query(lang)
        names = dict(zip(lexemes(base, list(terms)), terms, strict=True))
        freq = dict.fromkeys(terms, 0)
        found = self._one("SELECT term, docs FROM terms WHERE term = ANY(%s::text[])",
                          (list(names),))
        freq.update({names[term]: int(docs) for term, docs in found})
        with self._stats_lock:
            if len(self._docs) > 100_000:
                self._docs.clear()
            self._docs.update((lexeme, freq[term]) for lexeme, term in names.items())
        return freq

    def fts_candidates(
        self, lang: str, match: str, *, limit: int, document: str | None = None,
        symbol: str | None = None, resolution: str | None = None,
    ) -> list[int]:
        """Unit ids whose `lang` text holds one of the phrases of `match` (the search layer's
        `"a b" OR "c"`), best first by a bm25 like FTS5's, then id."""
        base, tag = language_query(lang)
        phrases, excluded = parse_match(match)
        phrases = [lexemes(base, phrase) for phrase in phrases]
        query = tsquery_literal(phrases, lexemes(base, excluded) if excluded else None)
        terms = list(dict.fromkeys(t for phrase in phrases for t in phrase))
        weights = self._idf(base, terms)
        _, average = self._lang_stats(base)
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        join = " JOIN units AS u ON u.id = f.unit_id" if where else ""
        if tag:
            where += " AND f.tag = %s"
            params.append(tag)
        # bm25 with every matched term counted once (k1 = 1.2, b = 0.75, as FTS5's defaults).
        score = " + ".join(f"(CASE WHEN f.tsv @@ %s::tsquery THEN {weights[t]!r} ELSE 0 END)"
                           for t in terms)
        sql = (f"SELECT f.unit_id FROM fulltext AS f{join} WHERE f.tsv @@ %s::tsquery{where} "
               f"ORDER BY ({score}) / (1 + 1.2 * (0.25 + 0.75 * f.nwords / %s)) DESC, "
               f"f.unit_id LIMIT %s")
        values = [query, *params, *(tsquery_literal([[t]]) for t in terms),
                  average, limit * 2]
        try:
            rows = self._one(sql, values)
        except psycopg.errors.DataError as error:
            raise InputError(f"query cannot be searched: {_first_line(error)}") from None
        return list(dict.fromkeys(row[0] for row in rows))[:limit]

    def fts_count(self, lang: str, match: str, *, document: str | None = None,
                  symbol: str | None = None, resolution: str | None = None) -> int:
        """How many live units match (a concordance's true total): one GIN index scan; the
        full-text rows of deleted units are gone, so only a filter needs the units table."""
        sql, values = self._matching(lang, match, document, symbol, resolution)
        return int(self._fts_rows(f"SELECT count(DISTINCT f.unit_id) {sql}", values)[0][0])

    def fts_page(self, lang: str, match: str, *, limit: int, offset: int = 0,
                 document: str | None = None, symbol: str | None = None,
                 resolution: str | None = None) -> list[int]:
        """Live units matching, newest (highest id) first, `limit` from `offset`."""
        sql, values = self._matching(lang, match, document, symbol, resolution)
        rows = self._fts_rows(f"SELECT DISTINCT f.unit_id {sql} ORDER BY f.unit_id DESC "
                              "LIMIT %s OFFSET %s", [*values, max(0, limit), max(0, offset)])
        return [row[0] for row in rows]

    @staticmethod
    def _matching(lang: str, match: str, document: str | None, symbol: str | None,
                  resolution: str | None) -> tuple[str, list[Any]]:
        """FROM and WHERE of the full-text rows of `lang` that match `match` (filters too)."""
        base, tag = language_query(lang)
        phrases, excluded = parse_match(match)
        query = tsquery_literal([lexemes(base, phrase) for phrase in phrases],
                                lexemes(base, excluded) if excluded else None)
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        join = " JOIN units AS u ON u.id = f.unit_id" if where else ""
        if tag:
            where += " AND f.tag = %s"
            params.append(tag)
        return f"FROM fulltext AS f{join} WHERE f.tsv @@ %s::tsquery{where}", [query, *params]

    def _fts_rows(self, sql: str, values: list[Any]) -> list[tuple]:
        try:
            return self._one(sql, values)
        except psycopg.errors.DataError as error:
            raise InputError(f"query cannot be searched: {_first_line(error)}") from None

    def _lang_stats(self, base: str) -> tuple[int, float]:
        """(full-text rows, average terms per row) of one language, cached STATS_TTL s."""
        now = time.monotonic()
        with self._stats_lock:
            cached = self._stats.get(base)
        if cached is None or now - cached[0] > STATS_TTL:
            rows = self._one("SELECT rows, words FROM langstats WHERE base = %s", (base,))
            count, total = rows[0] if rows else (0, 0)
            cached = (now, int(count), max(1.0, total / max(1, count)))
            with self._stats_lock:
                self._stats[base] = cached
        return cached[1], cached[2]

    def _idf(self, base: str, terms: list[str]) -> dict[str, float]:
        """FTS5's idf per (prefixed) term: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
        with self._stats_lock:
            known = {t: self._docs[t] for t in terms if t in self._docs}
        missing = [t for t in terms if t not in known]
        if missing:
            found = self._one("SELECT term, docs FROM terms WHERE term = ANY(%s::text[])",
                              (missing,))
            known.update(dict.fromkeys(missing, 0))
            known.update({term: int(docs) for term, docs in found})
        count, _ = self._lang_stats(base)
        return {t: max(1e-6, math.log((count - known[t] + 0.5) / (known[t] + 0.5)))
                if count > known[t] else 1e-6 for t in terms}

    def filter_ids(
        self, unit_ids: Sequence[int], *, document: str | None = None, symbol: str | None = None,
        resolution: str | None = None,
    ) -> set[int]:
        """The live ids among `unit_ids` whose document/symbol/resolution match the filters."""
        ids = [int(i) for i in unit_ids]
        if not ids:
            return set()
        where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
        return {row[0] for row in self._one(
            f"SELECT u.id FROM units AS u WHERE u.id = ANY(%s::bigint[]) AND NOT u.deleted"
            f"{where}", [ids, *params])}

    def close(self) -> None:
        """Close every connection of this server's pool (a read in progress finishes first)."""
        self.vectors.close()
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PgVectors:
    """Unit vectors kept in the database (raw float32 per unit and encoder), so every server
    builds and extends its FAISS index without embedding what another server embedded.

    Who embeds: the process holding the encoder's advisory lock (`claim`). A writer takes it
    before its commit shows, so other servers wait for its vectors instead of embedding the
    same units; if it dies, the lock goes with its connection and the next server to catch up
    embeds what is still missing.
    """

    def __init__(self, store: PostgresStore):
        self._store = store
        self._claims: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def load(self, encoder: str, dim: int, unit_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of some units (units without one are absent)."""
        found: dict[int, np.ndarray] = {}
        ids = [int(i) for i in unit_ids]
        for start in range(0, len(ids), 4096):
            for unit_id, blob in self._store._one(
                    "SELECT unit_id, vector FROM vectors WHERE encoder = %s "
                    "AND unit_id = ANY(%s::bigint[])", (encoder, ids[start:start + 4096])):
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.shape[0] == dim:
                    found[unit_id] = vector
        return found

    def save(self, encoder: str, unit_ids: Sequence[int], vectors: np.ndarray) -> None:
        """Store vectors (a unit's first vector per encoder wins: they are deterministic)."""
        blobs = [np.ascontiguousarray(v, dtype="<f4").tobytes() for v in vectors]
        for start in range(0, len(blobs), 2048):
            self._store._one(
                "INSERT INTO vectors(encoder, unit_id, vector) SELECT %s, * FROM unnest("
                "%s::bigint[], %s::bytea[]) ON CONFLICT DO NOTHING RETURNING 1",
                (encoder, [int(i) for i in unit_ids[start:start + 2048]],
                 blobs[start:start + 2048]))

    def claim(self, encoder: str) -> object | None:
        """The right to embed for `encoder` (a token to `release`), or None when another
        process holds it. Never waits."""
        key = zlib.crc32(f"resolign embed {encoder}".encode()) & 0x7FFFFFFF
        try:
            conn = self._store._pool.getconn()
        except (PoolClosed, psycopg.Error):
            return None
        try:
            taken = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        except psycopg.Error:
            self._store._pool.putconn(conn)
            return None
        if not taken:
            self._store._pool.putconn(conn)
            return None
        with self._lock:
            self._claims.append(conn)
        return (conn, key)

    def release(self, token: object) -> None:
        conn, key = token  # type: ignore[misc]
        with self._lock:
            if conn not in self._claims:
                return
            self._claims.remove(conn)
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            self._store._pool.putconn(conn)
        except (psycopg.Error, PoolClosed):
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        with self._lock:
            claims, self._claims = self._claims, []
        for conn in claims:
            with contextlib.suppress(Exception):
                conn.close()  # the advisory lock goes with the session


def _configure(conn: psycopg.Connection) -> None:
    conn.execute(f"SET search_path TO {SCHEMA}")


_ORIGIN_COMPARE = "lower(u.{column}) = lower(%s)"


def _unit_from_row(row: tuple) -> StoredUnit:
    (unit_id, document, symbol, paragraph, resolution, resolution_title, score, created,
     provenance, annotations, deleted, variants) = row
    when = created_time(created)
    return StoredUnit(
        document=document, symbol=symbol, paragraph=paragraph, resolution=resolution,
        resolution_title=resolution_title, score=score, created=when,
        provenance=provenance, annotations=Annotations.from_json(annotations),
        variants=[Variant(lang, text, markup, Annotations.from_json(notes))
                  for lang, text, markup, notes in variants or []],
        id=unit_id, deleted=bool(deleted))
