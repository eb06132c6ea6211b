"""The PostgreSQL unit store: one database shared by any number of `resolign serve` replicas.

Same rows, same answers as the SQLite store (store_sqlite.py) behind the same `Store`
interface; the tables are in pg_schema.py. Why PostgreSQL: one SQLite file and one process is a
ceiling when dozens of translators and CAT tools look things up at once; PostgreSQL lets
several stateless servers share one memory, each answering from the same committed rows.

Transactions: every write (an import, an alignment) is ONE transaction, all or nothing; a
server killed in the middle leaves the memory as it was (PostgreSQL rolls back a transaction
whose client went away). Writers take the `revision` row first, so writes are serialised
across every server: unit ids are handed out in commit order without gaps, which is also the
change counter the replicas' semantic indexes follow. Every read is ONE statement in autocommit
(a unit and its segments come back together), so it sees one committed state, costs one round
trip, and never waits for a writer (MVCC).

Connections come from a psycopg_pool pool (autocommit, search_path = resolign); a connection
the server dropped is replaced by the pool, not reused.

Look-ups are index look-ups, never scans: exact through a btree on the folded-words hash,
fuzzy candidates and concordance phrases through per-language GIN indexes on tsvectors of the
folded words, ranked like FTS5's bm25 (term rarity from `terms`, length from `nwords`).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool, PoolClosed

from resolign.errors import ResolignError, StoreUnavailable
from resolign.languages import LANGS, lang_rank
from resolign.service.backends import redact
from resolign.service.normalise import words
from resolign.service.pg_schema import SCHEMA, migrate
from resolign.service.pg_text import phrases_of, term_literal, tsquery_literal, tsvector_literal
from resolign.service.store import (
    AddReport,
    BeforeCommit,
    StoredUnit,
    clean_texts,
    norm_key,
    unit_key,
)
from resolign.units import Unit

POOL_MAX = 20
"""Connections one server opens at most (requests beyond wait for one, POOL_WAIT seconds)."""
POOL_WAIT = 60.0
CONNECT_TIMEOUT = 10
WRITE_CHUNK = 1000
"""Units written per batch inside an import's transaction (COPY, not one INSERT per row)."""
STATS_TTL = 5.0
"""Seconds the per-language counts used for ranking are reused (they change slowly)."""
_UNIT_COLUMNS = "u.id, u.document, u.symbol, u.paragraph, u.score, u.created"
_UNIT_SELECT = (
    f"SELECT {_UNIT_COLUMNS}, s.langs, s.texts FROM units AS u CROSS JOIN LATERAL ("
    "SELECT array_agg(lang) AS langs, array_agg(text) AS texts FROM segments "
    "WHERE unit_id = u.id) AS s ")


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
        self._docs: dict[tuple[str, str], int] = {}
        self._stats_lock = threading.Lock()
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

    # --- identity ---------------------------------------------------------------------------

    @property
    def store_id(self) -> str:
        return self._store_id

    @property
    def revision(self) -> int:
        return int(self._one("SELECT value FROM meta WHERE key = 'revision'")[0][0])

    # --- writing ----------------------------------------------------------------------------

    def add_units(self, units: Iterable[Unit], *,
                  before_commit: BeforeCommit | None = None) -> AddReport:
        """Add units in ONE transaction (all or nothing); identical units are counted, not
        stored. The iterable is consumed inside the transaction (a streamed import is atomic
        too); `before_commit(added)` runs inside it just before the commit."""
        report = AddReport(added=0, duplicates=0, skipped=0)
        with self._connection() as conn:
            try:
                conn.execute("BEGIN")
                # Serialise writers across every server: ids are then given in commit order.
                revision = int(conn.execute(
                    "SELECT value FROM meta WHERE key = 'revision' FOR UPDATE").fetchone()[0])
                next_id = int(conn.execute(
                    "SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0])
                stats: dict[str, list[int]] = {}
                chunk: list[tuple[Unit, dict[str, str]]] = []
                for unit in units:
                    texts = clean_texts(unit.texts)
                    if not texts:
                        report.skipped += 1
                        continue
                    chunk.append((unit, texts))
                    if len(chunk) >= WRITE_CHUNK:
                        next_id = self._write_chunk(conn, chunk, next_id, report, stats)
                        chunk = []
                if chunk:
                    next_id = self._write_chunk(conn, chunk, next_id, report, stats)
                if report.added:
                    self._write_stats(conn, stats)
                    conn.execute("UPDATE meta SET value = %s WHERE key = 'revision'",
                                 (str(revision + 1),))
                    conn.execute("UPDATE meta SET value = (value::bigint + %s)::text "
                                 "WHERE key = 'units'", (report.added,))
                if before_commit is not None:
                    before_commit(report.added)
                conn.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                if isinstance(error, psycopg.Error):
                    raise ResolignError(f"could not write to {self.location}: "
                                        f"{_first_line(error)}") from error
                raise
        return report

    def _write_chunk(self, conn: psycopg.Connection, chunk: list[tuple[Unit, dict[str, str]]],
                     next_id: int, report: AddReport, stats: dict[str, list[int]]) -> int:
        keyed: dict[str, tuple[Unit, dict[str, str]]] = {}
        for unit, texts in chunk:
            key = unit_key(texts)
            if key in keyed:
                report.duplicates += 1
            else:
                keyed[key] = (unit, texts)
        known = {row[0] for row in conn.execute(
            "SELECT ukey FROM units WHERE ukey = ANY(%s)", (list(keyed),))}
        report.duplicates += len(known)
        new = [(key, unit, texts) for key, (unit, texts) in keyed.items() if key not in known]
        if not new:
            return next_id
        terms: Counter[tuple[str, str]] = Counter()
        with conn.cursor().copy(
                "COPY units(id, ukey, document, symbol, paragraph, score, created) "
                "FROM STDIN") as copy:
            for offset, (key, unit, _) in enumerate(new):
                created = unit.created or datetime.now(UTC)
                copy.write_row((next_id + offset, key, unit.document or "", unit.symbol or "",
                                str(unit.paragraph or ""), unit.score, created.isoformat()))
        with conn.cursor().copy(
                "COPY segments(unit_id, lang, text, nkey, nwords, tsv) FROM STDIN") as copy:
            for offset, (_, _, texts) in enumerate(new):
                for lang, text in texts.items():
                    folded = words(text)
                    indexed = lang in LANGS
                    copy.write_row((next_id + offset, lang, text, norm_key(text), len(folded),
                                    tsvector_literal(folded) if indexed else None))
                    if indexed:
                        terms.update((lang, term) for term in set(folded))
                        counts = stats.setdefault(lang, [0, 0])
                        counts[0] += 1
                        counts[1] += len(folded)
        if terms:
            langs, names, docs = zip(*((lang, term, n) for (lang, term), n in terms.items()),
                                     strict=True)
            conn.execute(
                "INSERT INTO terms(lang, term, docs) SELECT * FROM unnest("
                "%s::text[], %s::text[], %s::integer[]) ON CONFLICT (lang, term) "
                "DO UPDATE SET docs = terms.docs + excluded.docs",
                (list(langs), list(names), list(docs)))
        report.added += len(new)
        return next_id + len(new)

    def _write_stats(self, conn: psycopg.Connection, stats: dict[str, list[int]]) -> None:
        for lang, (segments, total) in stats.items():
            conn.execute(
                "INSERT INTO langstats(lang, segments, words) VALUES (%s, %s, %s) "
                "ON CONFLICT (lang) DO UPDATE SET segments = langstats.segments + "
                "excluded.segments, words = langstats.words + excluded.words",
                (lang, segments, total))

    # --- reading ----------------------------------------------------------------------------

    def count(self) -> int:
        """Live units (kept in `meta` by the writers: no count(*) over a large table)."""
        return int(self._one("SELECT value FROM meta WHERE key = 'units'")[0][0])

    def ids(self) -> list[int]:
        """All unit ids in ascending order (what the semantic index must cover)."""
        row = self._one("SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM units")
        return list(row[0][0])

    def get_unit(self, unit_id: int) -> StoredUnit | None:
        return self.get_units([unit_id]).get(unit_id)

    def get_units(self, unit_ids: Sequence[int]) -> dict[int, StoredUnit]:
        """Units by id (missing ids are absent from the result)."""
        ids = list(dict.fromkeys(int(i) for i in unit_ids))
        if not ids:
            return {}
        rows = self._one(_UNIT_SELECT + "WHERE u.id = ANY(%s::bigint[])", (ids,))
        return {row[0]: _unit_from_row(row) for row in rows}

    def iter_units(self, *, batch: int = 1000) -> Iterator[StoredUnit]:
        """Every unit in id order, read in batches (keyset paging: safe on a large memory)."""
        last = 0
        while True:
            rows = self._one(_UNIT_SELECT + "WHERE u.id > %s ORDER BY u.id LIMIT %s",
                             (last, max(1, batch)))
            if not rows:
                return
            for row in rows:
                yield _unit_from_row(row)
            last = rows[-1][0]

    def texts_of(self, unit_ids: Sequence[int], langs: Sequence[str]) -> dict[int, dict[str, str]]:
        """The given languages' texts of some units (for embedding without building Units)."""
        out: dict[int, dict[str, str]] = {}
        for unit_id, lang, text in self._one(
                "SELECT unit_id, lang, text FROM segments WHERE unit_id = ANY(%s::bigint[]) "
                "AND lang = ANY(%s::text[])", ([int(i) for i in unit_ids], list(langs))):
            out.setdefault(unit_id, {})[lang] = text
        return out

    # --- candidate look-ups for search ------------------------------------------------------

    def same_words(self, lang: str, text: str, *, limit: int = 200) -> list[int]:
        """Units whose `lang` segment has exactly the normalised words of `text` (btree)."""
        return [row[0] for row in self._one(
            "SELECT unit_id FROM segments WHERE lang = %s AND nkey = %s ORDER BY unit_id "
            "LIMIT %s", (lang, norm_key(text), limit))]

    def document_frequencies(self, lang: str, terms: Sequence[str]) -> dict[str, int]:
        """How many units contain each normalised term in `lang` (to pick the rarer ones)."""
        if not terms:
            return {}
        freq = dict.fromkeys(terms, 0)
        freq.update({term: int(docs) for term, docs in self._one(
            "SELECT term, docs FROM terms WHERE lang = %s AND term = ANY(%s::text[])",
            (lang, list(terms)))})
        with self._stats_lock:
            if len(self._docs) > 100_000:
                self._docs.clear()
            self._docs.update(((lang, t), n) for t, n in freq.items())
        return freq

    def fts_candidates(
        self, lang: str, match: str, *, limit: int, document: str | None = None,
        symbol: str | None = None,
    ) -> list[int]:
        """Unit ids whose `lang` segment holds one of the phrases of `match` (the search
        layer's `"a b" OR "c"`), best first by a bm25 like FTS5's, then id."""
        phrases = phrases_of(match)
        terms = list(dict.fromkeys(t for phrase in phrases for t in phrase))
        weights = self._idf(lang, terms)
        _, average = self._lang_stats(lang)
        where, params = _origin_filter(document, symbol)
        # bm25 with every matched term counted once (k1 = 1.2, b = 0.75, as FTS5's defaults).
        score = " + ".join(f"(CASE WHEN s.tsv @@ %s::tsquery THEN {weights[t]!r} ELSE 0 END)"
                           for t in terms)
        sql = (f"SELECT s.unit_id FROM segments AS s JOIN units AS u ON u.id = s.unit_id "
               f"WHERE s.lang = %s AND s.tsv @@ %s::tsquery{where} "
               f"ORDER BY ({score}) / (1 + 1.2 * (0.25 + 0.75 * s.nwords / %s)) DESC, "
               f"s.unit_id LIMIT %s")
        values = [lang, tsquery_literal(phrases), *params, *(term_literal(t) for t in terms),
                  average, limit]
        try:
            return [row[0] for row in self._one(sql, values)]
        except psycopg.errors.DataError as error:
            raise ResolignError(f"query cannot be searched: {_first_line(error)}") from None

    def _lang_stats(self, lang: str) -> tuple[int, float]:
        """(segments, average words per segment) of one language, cached for STATS_TTL s."""
        now = time.monotonic()
        with self._stats_lock:
            cached = self._stats.get(lang)
        if cached is None or now - cached[0] > STATS_TTL:
            rows = self._one("SELECT segments, words FROM langstats WHERE lang = %s", (lang,))
            segments, total = rows[0] if rows else (0, 0)
            cached = (now, int(segments), max(1.0, total / max(1, segments)))
            with self._stats_lock:
                self._stats[lang] = cached
        return cached[1], cached[2]

    def _idf(self, lang: str, terms: list[str]) -> dict[str, float]:
        """FTS5's idf per term: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
        with self._stats_lock:
            known = {t: self._docs[(lang, t)] for t in terms if (lang, t) in self._docs}
        missing = [t for t in terms if t not in known]
        if missing:
            known.update(self.document_frequencies(lang, missing))
        count, _ = self._lang_stats(lang)
        return {t: max(1e-6, math.log((count - known[t] + 0.5) / (known[t] + 0.5)))
                if count > known[t] else 1e-6 for t in terms}

    def filter_ids(
        self, unit_ids: Sequence[int], *, document: str | None = None, symbol: str | None = None
    ) -> set[int]:
        """The ids among `unit_ids` whose document/symbol match the filters."""
        ids = [int(i) for i in unit_ids]
        if not (document or symbol):
            return set(ids)
        where, params = _origin_filter(document, symbol)
        return {row[0] for row in self._one(
            f"SELECT u.id FROM units AS u WHERE u.id = ANY(%s::bigint[]){where}",
            [ids, *params])}

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


def _origin_filter(document: str | None, symbol: str | None) -> tuple[str, list[str]]:
    where, params = "", []
    if document:
        where += " AND lower(u.document) = lower(%s)"
        params.append(document)
    if symbol:
        where += " AND lower(u.symbol) = lower(%s)"
        params.append(symbol)
    return where, params


def _unit_from_row(row: tuple) -> StoredUnit:
    unit_id, document, symbol, paragraph, score, created, langs, texts = row
    try:
        when = datetime.fromisoformat(created)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    pairs = sorted(zip(langs or [], texts or [], strict=True), key=lambda p: lang_rank(p[0]))
    return StoredUnit(texts=dict(pairs), document=document, symbol=symbol, paragraph=paragraph,
                      score=score, created=when, id=unit_id)
