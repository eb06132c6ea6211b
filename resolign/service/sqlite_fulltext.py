"""Candidate look-ups of the SQLite store: exact words, FTS5 matches (ranked, counted, paged)
and origin filters, as plain functions over one read connection.

Why apart from store_sqlite.py: these are the queries search and the concordance run, built on
the per-language FTS5 tables and their vocabulary views (sqlite_schema.py); the store itself is
the Store protocol's face (opening, transactions, unit rows). Only live units are returned.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence

from resolign.errors import InputError
from resolign.service import sqlite_schema as schema
from resolign.service.sqlite_rows import CHUNK
from resolign.service.store import exact_key, language_query, origin_filter, phrase

ORIGIN_COMPARE = "u.{column} = ? COLLATE NOCASE"
COUNTED_TOGETHER = 100
"""Terms counted in one statement (SQLite allows 500 SELECTs in one compound)."""


@contextlib.contextmanager
def _searchable() -> Iterator[None]:
    """A match expression FTS5 cannot read is the query's fault: an input error."""
    try:
        yield
    except sqlite3.OperationalError as error:
        raise InputError(f"query cannot be searched: {error}") from error


def has_table(db: sqlite3.Connection, base: str, readable: set[str]) -> bool:
    """Has `base` a full-text table? `readable` (the languages seen so far) is refreshed from
    `db` when it lacks `base`: an import may have added the language since."""
    if base not in readable:
        readable.update(schema.fts_languages(db))
    return base in readable


def same_words(db: sqlite3.Connection, lang: str, text: str, *, limit: int) -> list[int]:
    """Units whose `lang` text has exactly the normalised words of `text` (index look-up)."""
    base, tag = language_query(lang)
    where = " AND lower(v.lang) = ?" if tag else ""
    return list(dict.fromkeys(row[0] for row in db.execute(
        "SELECT v.unit_id FROM variants AS v JOIN units AS u ON u.id = v.unit_id "
        f"WHERE v.base = ? AND v.nkey = ? AND u.deleted = 0{where} "
        "ORDER BY v.unit_id LIMIT ?",
        [base, exact_key(text), *([tag] if tag else []), limit])))


def document_frequencies(db: sqlite3.Connection, readable: set[str], lang: str,
                         terms: Sequence[str], *, at_most: int | None = None,
                         common: set[tuple[str, str]] | None = None) -> dict[str, int]:
    """How many segments contain each normalised term in `lang` (to pick the rarer ones).

    The vocabulary table reads a term's whole posting list (10 ms for "de" at 100k rows,
    growing with the memory); with `at_most`, each term's rows are counted only up to
    at_most + 1 (under a millisecond at any size), and a term found that common is added to
    `common` and not counted again (given as at_most + 1)."""
    base, _ = language_query(lang)
    freq = dict.fromkeys(terms, 0)
    if not terms or not has_table(db, base, readable):
        return freq
    if at_most is not None:
        table = schema.fts_table(base)
        common = set() if common is None else common
        counted = []
        for term in terms:
            if (base, term) in common:
                freq[term] = at_most + 1
            else:
                counted.append(term)
        # One statement for a chunk of terms, not one per term: each statement is a GIL
        # hand-off, and a query has a few dozen terms.
        one = f"SELECT ?, count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?)"
        for start in range(0, len(counted), COUNTED_TOGETHER):
            chunk = counted[start:start + COUNTED_TOGETHER]
            rows = db.execute(" UNION ALL ".join([one] * len(chunk)), [
                value for term in chunk for value in (term, phrase([term]), at_most + 1)])
            for term, count in rows:
                freq[term] = int(count)
                if count > at_most:
                    common.add((base, term))
        return freq
    marks = ",".join("?" * len(terms))
    rows = db.execute(f"SELECT term, doc FROM {schema.fts_table(base)}_vocab "
                      f"WHERE term IN ({marks})", list(terms)).fetchall()
    freq.update({term: int(doc) for term, doc in rows})
    return freq


def _live_matches(select: str, table: str, where: str) -> str:
    """SELECT `select` over the live units whose variant rows of `table` match the one `?`
    parameter, with the extra filter `where` (its parameters follow the match)."""
    return (f"SELECT {select} FROM {table} AS f JOIN variants AS v ON v.id = f.rowid "
            f"JOIN units AS u ON u.id = v.unit_id WHERE {table} MATCH ? AND u.deleted = 0"
            f"{where}")


def _filters(tag: str | None, document: str | None, symbol: str | None,
             resolution: str | None) -> tuple[str, list[str]]:
    """SQL (and its parameters) keeping the variants of one tag and units of one origin."""
    where, params = origin_filter(document, symbol, resolution, ORIGIN_COMPARE)
    if tag:
        where += " AND lower(v.lang) = ?"
        params.append(tag)
    return where, params


def fts_candidates(
    db: sqlite3.Connection, readable: set[str], lang: str, match: str, *, limit: int,
    document: str | None, symbol: str | None, resolution: str | None,
) -> list[int]:
    """Unit ids whose `lang` text matches an FTS5 expression over normalised words,
    best bm25 first. Without a filter the full-text rows are ranked alone and only the best
    are joined to their units (a deleted unit has no row): joining every matching row first
    took two thirds of the time."""
    base, tag = language_query(lang)
    if not has_table(db, base, readable):
        return []
    table = schema.fts_table(base)
    where, params = _filters(tag, document, symbol, resolution)
    if where:
        sql = (_live_matches("v.unit_id", table, where)
               + f" ORDER BY bm25({table}), v.unit_id LIMIT ?")
    else:
        sql = (f"SELECT v.unit_id FROM (SELECT rowid, bm25({table}) AS rank FROM {table} "
               f"WHERE {table} MATCH ? ORDER BY rank, rowid LIMIT ?) AS f "
               "JOIN variants AS v ON v.id = f.rowid ORDER BY f.rank, v.unit_id")
    with _searchable():
        rows = db.execute(sql, [match, *params, limit * 2]).fetchall()
    return list(dict.fromkeys(row[0] for row in rows))[:limit]


def fts_count(
    db: sqlite3.Connection, readable: set[str], lang: str, match: str, *,
    document: str | None, symbol: str | None, resolution: str | None,
    at_most: int | None = None,
) -> int:
    """How many live units match (the full-text rows of deleted units are removed, so
    without a filter or a tag this counts rows alone, then subtracts the units that match
    with two variants of the language: a concordance total stays one index scan). With
    `at_most`, the scan stops after that many units."""
    base, tag = language_query(lang)
    if not has_table(db, base, readable):
        return 0
    table = schema.fts_table(base)
    where, params = _filters(tag, document, symbol, resolution)
    if at_most is not None:
        if where or _multi_variant(db, base):
            first = _live_matches("DISTINCT v.unit_id", table, where)
        else:
            first = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"
        with _searchable():
            return int(db.execute(f"SELECT count(*) FROM ({first} LIMIT ?)",
                                  [match, *params, max(0, at_most)]).fetchone()[0])
    if where:
        sql = _live_matches("count(DISTINCT v.unit_id)", table, where)
    else:
        sql = f"SELECT count(*) FROM {table} WHERE {table} MATCH ?"
    with _searchable():
        total = int(db.execute(sql, [match, *params]).fetchone()[0])
        if not where and _multi_variant(db, base):
            total -= int(db.execute(
                f"SELECT count(*) - count(DISTINCT v.unit_id) FROM {table} AS f "
                f"JOIN variants AS v ON v.id = f.rowid WHERE {table} MATCH ?",
                [match]).fetchone()[0])
    return total


def _multi_variant(db: sqlite3.Connection, base: str) -> bool:
    """Does some unit hold two variants of the primary language `base` (fr and fr-CA)? The
    writers keep the answer in `meta.multi_variant` (sqlite_schema.MULTI_VARIANT): scanning the
    variants for it took 29 s at 1M units, after every write."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (schema.MULTI_VARIANT,)).fetchone()
    return row is None or base in json.loads(row[0])


def fts_page(
    db: sqlite3.Connection, readable: set[str], lang: str, match: str, *, limit: int,
    offset: int, document: str | None, symbol: str | None, resolution: str | None,
) -> list[int]:
    """Live units matching, newest first, `limit` from `offset`. Rows are read in
    descending rowid order straight from the index (a variant's id grows with its unit's),
    so a page stops reading once it has its units."""
    base, tag = language_query(lang)
    if not has_table(db, base, readable):
        return []
    table = schema.fts_table(base)
    where, params = _filters(tag, document, symbol, resolution)
    sql = _live_matches("v.unit_id", table, where) + " ORDER BY f.rowid DESC"
    page: list[int] = []
    seen = 0
    last = None
    with _searchable():
        for (unit_id,) in db.execute(sql, [match, *params]):
            if unit_id == last:
                continue  # the unit's other variant in this language
            last = unit_id
            seen += 1
            if seen > offset:
                page.append(unit_id)
                if len(page) >= limit:
                    break
    return page


def filter_ids(
    db: sqlite3.Connection, unit_ids: Sequence[int], *, document: str | None,
    symbol: str | None, resolution: str | None,
) -> set[int]:
    """The live ids among `unit_ids` whose document/symbol/resolution match the filters."""
    ids = list(unit_ids)
    where, params = origin_filter(document, symbol, resolution, ORIGIN_COMPARE)
    kept: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        kept.update(row[0] for row in db.execute(
            f"SELECT u.id FROM units AS u WHERE u.id IN ({marks}) AND u.deleted = 0"
            f"{where}", [*chunk, *params]))
    return kept
