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

Connections come from a psycopg_pool pool (autocommit, search_path = resolign, no JIT); a connection
the server dropped is replaced by the pool, not reused.

Look-ups are index look-ups, never scans: exact through a btree on (language, exact key),
fuzzy candidates and concordance phrases through one GIN index on language-prefixed tsvectors
of the index terms, ranked like FTS5's bm25 (term rarity from `terms`, length from `nwords`).

This module is the `Store` face (pool, transactions, the protocol's methods); the work behind
it is in pg_rows.py (units to rows and back), pg_history.py (changes and undo), pg_fulltext.py
(look-ups and ranking) and pg_vectors.py (the vectors every server shares).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed

from resolign.errors import ResolignError, StoreUnavailable
from resolign.service import pg_fulltext, pg_history, pg_rows
from resolign.service.locations import redact
from resolign.service.pg_rows import first_line
from resolign.service.pg_schema import SCHEMA, migrate
from resolign.service.pg_vectors import PgVectors
from resolign.service.store import (
    AddReport,
    BeforeCommit,
    Change,
    ImportRecord,
    LookupPostings,
    StoredUnit,
    created_time,
    dumps,
    unit_json,
)
from resolign.units import Unit

POOL_MAX = 20
"""Connections one server opens at most (requests beyond wait for one, POOL_WAIT seconds)."""
POOL_WAIT = 60.0
CONNECT_TIMEOUT = 10
log = logging.getLogger(__name__)
WRITE_CHUNK = 1000
"""Units written per batch inside an import's transaction (COPY, not one INSERT per row)."""
COUNT_AHEAD_FROM = 2000
"""Units a memory grows by (and a tenth of what it held at the last count ahead) before an
import counts the common phrases ahead (`count_common_phrases`): a translator's first
look-up of one then reads its count."""
COUNT_AHEAD_MOST = 5000
"""Phrases counted ahead at most, slowest to count first (the next count ahead goes on from
there): the bench's 1M memory, 1,000 sentences varied, has over 28,000 runs of two or three
words in 2,000 units or more, 10 minutes of counting; the 5,000 slowest (2,731 runs of 3,439
units or more, 2,268 longer phrases of 1,119 or more) took 358 s (pg_phrases.first_count_cost,
schema 6)."""
COMMON_SAMPLE_ROWS = 20_000
"""Full-text rows sampled to find them: a phrase in 0.2% of the rows (2,000 of 1M units) is
in about 40 of them, and one from half that is counted."""


def connect(url: str, *, where: str) -> psycopg.Connection:
    """One autocommit connection, or a one-line error naming the location (never the password)."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                               application_name="resolign")
    except psycopg.Error as error:
        raise StoreUnavailable(f"could not connect to {where}: {first_line(error)}") from None


class PostgresStore:
    """A translation memory in a PostgreSQL database. Thread-safe (a connection pool)."""

    backend = "postgresql"

    def __init__(self, url: str, *, create: bool = True):
        self.location = redact(url)
        first = connect(url, where=self.location)
        try:
            rebuilt = migrate(first, create=create, where=self.location)
            row = first.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'store_id'")
            self._store_id = str(row.fetchone()[0])
        except psycopg.Error as error:
            raise StoreUnavailable(f"could not open {self.location}: {first_line(error)}") \
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
                                   f"{first_line(error)}") from None
        self._ranking = pg_fulltext.RankingStats()
        self._tags: set[str] = set()
        self._tags_revision = -1
        self._look_up = threading.local()  # .meta: what a look-up read of `meta` (reading())
        self.vectors = PgVectors(self._one, self._pool)
        if rebuilt:  # the kept phrase counts went with the old rows
            self.count_ahead_when_grown()

    # --- connections ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolClosed as error:
            raise psycopg.InterfaceError("the memory is closed") from error
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"{self.location} is unavailable: {first_line(error)}") \
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

    # --- identity ---------------------------------------------------------------------------

    @property
    def store_id(self) -> str:
        return self._store_id

    @property
    def revision(self) -> int:
        return self._meta()["revision"]

    def _meta(self) -> dict[str, int]:
        """The revision, the live units and the full-text rows too long for runs, read
        together, once per look-up (`reading`)."""
        kept = getattr(self._look_up, "meta", None)
        if kept:
            return kept
        found = {key: int(value) for key, value in self._one(
            "SELECT key, value FROM meta WHERE key IN ('revision', 'units', 'long_rows')")}
        if kept is not None:
            kept.update(found)
        return found

    # --- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, before_commit: BeforeCommit | None) -> Iterator[pg_rows.Write]:
        """One write transaction. Writers queue on the `revision` row (across every server);
        a change bumps the revision; `before_commit(added)` runs just before the commit."""
        with self._connection() as conn:
            try:
                conn.execute("BEGIN")
                revision = int(conn.execute(
                    "SELECT value FROM meta WHERE key = 'revision' FOR UPDATE").fetchone()[0])
                write = pg_rows.Write(conn)
                yield write
                write.counts.write(conn)
                if write.changed:
                    conn.execute("UPDATE meta SET value = %s WHERE key = 'revision'",
                                 (str(revision + 1),))
                if write.live:
                    conn.execute("UPDATE meta SET value = (value::bigint + %s)::text "
                                 "WHERE key = 'units'", (write.live,))
                if before_commit is not None:
                    before_commit(len(write.added))
                conn.execute("COMMIT")
                self._ranking.forget_docs()
            except BaseException as error:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                if isinstance(error, psycopg.Error):
                    raise ResolignError(f"could not write to {self.location}: "
                                        f"{first_line(error)}") from error
                raise
            if write.added:
                _merge_pending_entries(conn)

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
        if report.added:
            self.count_ahead_when_grown()
        return report

    def count_ahead_when_grown(self) -> None:
        """After an import: the common phrases counted ahead once the memory has grown by
        COUNT_AHEAD_FROM units, and by a tenth, since they last were (in one import or many;
        a memory from before this was done counts them at its next import). Imports of a
        few thousand units into a large memory do not each pay for a count ahead."""
        units, counted = self._one(
            "SELECT (SELECT value::bigint FROM meta WHERE key = 'units'), coalesce((SELECT "
            "value::bigint FROM meta WHERE key = 'counted_ahead'), 0)")[0]
        if units - counted < max(COUNT_AHEAD_FROM, counted // 10):
            return
        try:
            self.count_common_phrases()
        except (StoreUnavailable, psycopg.Error) as error:  # the import has committed
            log.warning("%s: the common phrases were not counted ahead (%s); each is "
                        "counted at its first look-up", self.location, first_line(error))

    def count_common_phrases(self) -> int:
        """Count the phrases that a sample of the memory shows common enough to keep
        (pg_phrases.keep_from), those slowest to count first, and keep their counts
        (pg_fulltext.fts_count keeps a count only while no writer holds the memory and no
        write committed since). At 1M units, a first count of such a phrase took 30 ms to 7 s
        ("de la"), and "de l'ordre du", whose words are checked in order, 150-250 ms: made
        here, after an import has committed, a translator's first look-up reads it instead.
        The number of phrases counted (those kept already are left out)."""
        units = self._meta()["units"]
        common = pg_fulltext.common_phrases(self._one, COMMON_SAMPLE_ROWS, COUNT_AHEAD_MOST)
        for base, match in common:
            self.fts_count(base, match)
        self._one("INSERT INTO meta(key, value) VALUES ('counted_ahead', %s) ON CONFLICT (key) "
                  "DO UPDATE SET value = excluded.value RETURNING 1", (str(units),))
        return len(common)

    def _add_chunk(self, write: pg_rows.Write, chunk: list[Unit], import_id: int | None,
                   report: AddReport) -> None:
        """One batch of an import (a method: a fault test pauses a write between batches)."""
        pg_rows.add_chunk(write, chunk, import_id, report)

    def replace_units(self, unit_ids: Sequence[int], new: Sequence[Unit], *, who: str,
                      action: str, before_commit: BeforeCommit | None = None) -> list[int]:
        """Mark live units deleted and store `new` in their place, as one change of the history
        (an edit, split, merge, or with no new units a delete). The new ids, in order."""
        with self._writing(before_commit) as write:
            old = pg_rows.read_units(pg_rows.on(write.conn), unit_ids)
            keys = [unit.dedup_key() for unit in new]
            write.live += pg_history.retire(write.conn, old, unit_ids, keys, write.counts)
            added = pg_rows.insert(write, list(new), keys, changed=datetime.now(UTC).isoformat())
            write.added.extend(added)
            pg_history.record(write.conn, action, who,
                              [unit_json(u, u.id) for u in old.values()],
                              [unit_json(u, i) for u, i in zip(new, added, strict=True)])
            write.changed = True
        return list(added)

    def undo(self, change_id: int, *, who: str,
             before_commit: BeforeCommit | None = None) -> Change:
        """Undo one change: its new units are marked deleted and its old ones come back."""
        with self._writing(before_commit) as write:
            done, live = pg_history.undo(write.conn, change_id, who, write.counts)
            write.live += live
            write.changed = True
        return done

    # --- reading ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """A look-up: its reads stay single statements on the last commit, but the revision
        and unit count its caches ask for several times are read once (three statements of
        a search's eight were these)."""
        if getattr(self._look_up, "meta", None) is not None:
            yield
            return
        self._look_up.meta = {}
        try:
            yield
        finally:
            self._look_up.meta = None

    def count(self) -> int:
        """Live units (kept in `meta` by the writers: no count(*) over a large table)."""
        return self._meta()["units"]

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
        return pg_rows.read_units(self._one, unit_ids, include_deleted=include_deleted)

    def recency(self, unit_ids: Sequence[int]) -> dict[int, tuple[datetime, float | None]]:
        return {unit_id: (created_time(created), score) for unit_id, created, score in self._one(
            "SELECT id, created, score FROM units WHERE id = ANY(%s::bigint[]) AND NOT deleted",
            ([int(i) for i in unit_ids],))}

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        """Every live unit in id order, read in batches (keyset paging: safe on a large memory)."""
        last = 0
        while True:
            rows = self._one(pg_rows.UNIT_SELECT + "WHERE u.id > %s AND NOT u.deleted "
                             "ORDER BY u.id LIMIT %s", (last, max(1, batch)))
            if not rows:
                return
            for row in rows:
                yield pg_rows.unit_from_row(row)
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
        return pg_history.unit_changes(self._one, unit_id)

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
        return pg_history.changes(self._one, [change_id]).get(change_id)

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
        return pg_fulltext.same_words(self._one, lang, text, limit=limit)

    def document_frequencies(self, lang: str, terms: Sequence[str], *,
                             at_most: int | None = None) -> dict[str, int]:
        """Exact whatever `at_most` (the `terms` table holds every count)."""
        del at_most
        return pg_fulltext.document_frequencies(self._one, self._ranking, lang, terms)

    def fts_candidates(self, lang: str, match: str, *, limit: int, document: str | None = None,
                       symbol: str | None = None, resolution: str | None = None,
                       postings: LookupPostings | None = None) -> list[int]:
        return pg_fulltext.fts_candidates(self._one, self._ranking, lang, match, limit=limit,
                                          document=document, symbol=symbol,
                                          resolution=resolution, postings=postings,
                                          long_rows=self._long_rows())

    def fts_count(self, lang: str, match: str, *, document: str | None = None,
                  symbol: str | None = None, resolution: str | None = None,
                  at_most: int | None = None, estimate: bool = False) -> int:
        meta = self._meta()
        return pg_fulltext.fts_count(self._one, self._ranking, lang, match, document=document,
                                     symbol=symbol, resolution=resolution, at_most=at_most,
                                     estimate=estimate, long_rows=self._long_rows(meta),
                                     revision=meta["revision"])

    def fts_page(self, lang: str, match: str, *, limit: int, offset: int = 0,
                 document: str | None = None, symbol: str | None = None,
                 resolution: str | None = None, bound: int | None = None) -> list[int]:
        return pg_fulltext.fts_page(self._one, self._ranking, lang, match, limit=limit,
                                    offset=offset, document=document, symbol=symbol,
                                    resolution=resolution, long_rows=self._long_rows(),
                                    bound=bound)

    def _long_rows(self, meta: dict[str, int] | None = None) -> bool:
        """Whether any full-text row is too long for runs (phrase queries then look for one),
        by `meta` when the caller read it."""
        return (meta or self._meta()).get("long_rows", 1) > 0

    def filter_ids(self, unit_ids: Sequence[int], *, document: str | None = None,
                   symbol: str | None = None, resolution: str | None = None) -> set[int]:
        return pg_fulltext.filter_ids(self._one, unit_ids, document=document, symbol=symbol,
                                      resolution=resolution)

    def close(self) -> None:
        """Close every connection of this server's pool (a read in progress finishes first)."""
        self.vectors.close()
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _merge_pending_entries(conn: psycopg.Connection) -> None:
    """Move a committed write's new full-text entries from the GIN index's pending list into
    the index proper. Until then every search scans the whole pending list (up to
    gin_pending_list_limit, 4 MB) for each of its terms: right after a 700-unit import, the
    first fuzzy searches took 0.1-1.7 s instead of 5-40 ms, until autovacuum merged it, which
    on a large memory waits until a fifth of its size has been added. The writer pays once;
    where the role may not (not the index's owner), autovacuum still will."""
    with contextlib.suppress(psycopg.Error):
        conn.execute("SELECT gin_clean_pending_list('fulltext_tsv'::regclass)")


def _configure(conn: psycopg.Connection) -> None:
    """Each pooled connection's settings. JIT off: look-ups are short index reads that the
    planner, misled by full-text estimates (see pg_fulltext.fts_page), judged costly enough to
    compile, 5 ms of a 10-15 ms fuzzy candidate query at 1M units (bench/README)."""
    conn.execute(f"SET search_path TO {SCHEMA}")
    conn.execute("SET jit = off")
