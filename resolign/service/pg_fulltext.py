"""Full-text look-ups of the PostgreSQL store: exact keys, phrase candidates ranked like FTS5's
bm25, concordance counts and pages, origin filters.

Kept apart from store_postgres.py so the store stays its connection, schema, writes and reads;
these are read-only SQL over `variants`, `fulltext`, `terms` and `langstats`, run through the
store's one-statement query function (`Query`). Every look-up is an index look-up (btree on the
exact key, one GIN index on the language-prefixed tsvectors), never a scan.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from resolign.errors import InputError
from resolign.service import pg_phrases
from resolign.service.pg_rows import Query, first_line
from resolign.service.pg_text import (
    RUN_WORDS,
    in_order,
    lexemes,
    match_condition,
    parse_match,
    tsquery_literal,
)
from resolign.service.store import (
    LookupPostings,
    exact_key,
    language_query,
    origin_filter,
    phrase,
)

STATS_TTL = 5.0
"""Seconds the per-language counts used for ranking are reused (they change slowly)."""
_ORIGIN_COMPARE = "lower(u.{column}) = lower(%s)"


@dataclass
class RankingStats:
    """What ranking reuses between look-ups: per-language (time read, rows, average terms)
    and term document counts seen lately (thread-safe)."""

    langs: dict[str, tuple[float, int, float]] = field(default_factory=dict)
    docs: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forget_docs(self) -> None:
        """After this process wrote: the term counts seen before may have changed (ranking
        would barely notice, but whether a phrase's count is worth keeping would)."""
        with self.lock:
            self.docs.clear()


def same_words(query: Query, lang: str, text: str, *, limit: int = 200) -> list[int]:
    """Units whose `lang` text has the same exact key as `text` (btree look-up)."""
    base, tag = language_query(lang)
    where, params = (" AND lower(v.lang) = %s", [tag]) if tag else ("", [])
    return list(dict.fromkeys(row[0] for row in query(
        "SELECT v.unit_id FROM variants AS v JOIN units AS u ON u.id = v.unit_id "
        f"WHERE v.base = %s AND v.nkey = %s AND NOT u.deleted{where} "
        "ORDER BY v.unit_id LIMIT %s", [base, exact_key(text), *params, limit])))


def document_frequencies(query: Query, stats: RankingStats, lang: str,
                         terms: Sequence[str]) -> dict[str, int]:
    """How many full-text rows of `lang` hold each term (to pick the rarer ones)."""
    if not terms:
        return {}
    base, _ = language_query(lang)
    names = dict(zip(lexemes(base, list(terms)), terms, strict=True))
    freq = dict.fromkeys(terms, 0)
    found = query("SELECT term, docs FROM terms WHERE term = ANY(%s::text[])", (list(names),))
    freq.update({names[term]: int(docs) for term, docs in found})
    _remember_docs(stats, {lexeme: freq[term] for lexeme, term in names.items()})
    return freq


def _remember_docs(stats: RankingStats, docs: dict[str, int]) -> None:
    with stats.lock:
        if len(stats.docs) > 100_000:
            stats.docs.clear()
        stats.docs.update(docs)


def fts_candidates(
    query: Query, stats: RankingStats, lang: str, match: str, *, limit: int,
    document: str | None = None, symbol: str | None = None, resolution: str | None = None,
    postings: LookupPostings | None = None, long_rows: bool = True,
) -> list[int]:
    """Unit ids whose `lang` text matches `match` (the search layer's `"a b" OR "c"`), best
    first by a bm25 like FTS5's (k1 = 1.2, b = 0.75; every matched term counted once), then id.

    One GIN look-up per term, each term's rows back as arrays, the bm25 summed here with
    numpy (as Python tuples, 5,000 rows cost 4 ms of a 15 ms search at 1M units). Testing
    every term against every matching row's tsvector in SQL (read from TOAST each time) took
    100 ms at 10k units; a single lexeme's GIN match needs no recheck, so for an OR of single
    terms (what a fuzzy look-up asks) no tsvector is read at all. Any other expression also
    keeps the rows matching it whole. An OR of single terms reads only the terms `postings`
    does not hold yet, and leaves them there for the look-up's pieces (at 1M units, each
    term's rows are up to thousands of heap pages: 10-15 ms a search)."""
    base, tag = language_query(lang)
    bare, excluded, every = parse_match(match)
    phrases = [lexemes(base, phrase) for phrase in bare]
    terms = list(dict.fromkeys(t for phrase in phrases for t in phrase))
    weights = _idf(query, stats, base, terms)
    _, average = _lang_stats(query, stats, base)
    where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
    join = " JOIN units AS u ON u.id = f.unit_id" if where else ""
    if tag:
        where += " AND f.tag = %s"
        params.append(tag)
    if excluded or every or any(len(phrase) > 1 for phrase in phrases):
        condition, values = match_condition(base, bare, excluded, every, long_rows=long_rows)
        where += f" AND {condition}"
        params.extend(values)
        postings = None  # rows matching this whole expression only: not a term's postings
    scope = (where, *map(str, params))
    kept = {} if postings is None else postings
    if missing := [t for t in terms if (t, *scope) not in kept]:
        kept.update(((t, *scope), rows) for t, rows in zip(missing, _term_rows(
            query, "SELECT t.i, array_agg(f.variant_id), array_agg(f.unit_id), "
            "array_agg(f.nwords) FROM unnest(%s::tsquery[]) WITH ORDINALITY AS t(q, i) "
            f"JOIN fulltext AS f ON f.tsv @@ t.q{join} WHERE true{where} GROUP BY t.i",
            [[tsquery_literal([[t]]) for t in missing], *params], len(missing)), strict=True))
    found = [kept[(t, *scope)] for t in terms]
    variant_ids, unit_ids, nwords = (np.concatenate([rows[k] for rows in found]) for k in range(3))
    if not len(variant_ids):
        return []
    matched = np.concatenate([np.full(len(rows[0]), weights[t]) for t, rows in zip(
        terms, found, strict=True)])
    _, first, row_variant = np.unique(variant_ids, return_index=True, return_inverse=True)
    sums = np.bincount(row_variant, weights=matched)
    score = sums / (1 + 1.2 * (0.25 + 0.75 * nwords[first] / average))
    units = unit_ids[first]
    best = np.lexsort((units, -score))[:limit * 2]
    return list(dict.fromkeys(units[best].tolist()))[:limit]


def _term_rows(query: Query, sql: str, values: list[Any], count: int
               ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(variant ids, unit ids, word counts) of the rows matching each of `count` terms, from
    `sql` giving a term's number and its three arrays (one row per term: arrays come back
    parsed in C, thousands of rows as tuples cost milliseconds in Python)."""
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
        (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))] * count
    for i, variant_ids, unit_ids, nwords in _fts_rows(query, sql, values):
        found[i - 1] = (np.array(variant_ids, np.int64), np.array(unit_ids, np.int64),
                        np.array(nwords, np.float64))
    return found


def fts_count(query: Query, stats: RankingStats, lang: str, match: str, *,
              document: str | None = None, symbol: str | None = None,
              resolution: str | None = None, at_most: int | None = None,
              estimate: bool = False, long_rows: bool = True,
              revision: int | None = None) -> int:
    """How many live units match (a concordance's true total): one GIN index scan; the
    full-text rows of deleted units are gone, so only a filter needs the units table. With
    `at_most`, the rows are read (and a phrase rechecked) only until that many units. An
    `estimate` counts a phrase of four words or more by its three-word runs (pg_text._phrase),
    its words' order unchecked.

    A word in a whole language where no unit has two rows (`langstats.repeated`, read in the
    same statement) is in as many units as rows: its count is its `terms` row (at 1M units,
    0.5 ms instead of 55 ms for "session"). A phrase's rows are not counted that way:
    PostgreSQL 15.18 visits the heap page of each row a bitmap scan finds, all-visible or
    not, so counting rows took as long as counting units (35 ms for "de la paix").

    A phrase in a whole language (no tag, no filter) held by enough units to make counting
    it slow (pg_phrases.keep_from) has its count kept: the first count is written down,
    later ones read it, if no write committed since `revision` (the look-up's, with which
    `long_rows` was read)."""
    name = _keepable(query, stats, lang, match, document or symbol or resolution)
    if name is not None and (kept := kept_count(query, name)) is not None:
        return kept if at_most is None else min(kept, max(0, at_most))
    sql, values = _matching(lang, match, document, symbol, resolution, ordered=not estimate,
                            long_rows=long_rows)
    if at_most is not None:  # matches through the GIN index first: see fts_page
        return int(_fts_rows(query, f"{_gin_first(sql)} SELECT count(*) FROM (SELECT DISTINCT "
                                    "unit_id FROM hit LIMIT %s) AS first",
                             [*values, max(0, at_most)])[0][0])
    base, tag = language_query(lang)
    units = f"(SELECT count(DISTINCT f.unit_id) {sql})"
    if tag or document or symbol or resolution:
        return int(_fts_rows(query, f"SELECT {units}", values)[0][0])
    phrases, excluded, _ = parse_match(match)
    if len(phrases) == 1 and len(phrases[0]) == 1 and not excluded:  # a word
        units, values = ("CASE WHEN (SELECT repeated FROM langstats WHERE base = %s) = 0 THEN "
                         f"coalesce((SELECT docs FROM terms WHERE term = %s), 0) ELSE {units} "
                         "END"), [base, *lexemes(base, phrases[0]), *values]
    counted, count = _fts_rows(query, "SELECT (SELECT value::bigint FROM meta WHERE key = "
                                      f"'revision'), {units}", values)[0]
    if (name is not None and not estimate and revision in (None, counted)
            and count >= pg_phrases.keep_from(len(phrases[0]))):
        keep_count(query, name, int(count), int(counted))
    return int(count)


def kept_count(query: Query, name: str) -> int | None:
    """The kept count of a phrase (named by pg_phrases.phrase_name), or None."""
    found = query("SELECT units FROM phrase_counts WHERE phrase = %s", (name,))
    return int(found[0][0]) if found else None


def keep_count(query: Query, name: str, units: int, revision: int) -> bool:
    """Keep a phrase's count made at `revision`: only while no writer holds the revision row
    (SKIP LOCKED) and no write has committed since (the revision is still that one); a
    server whose role may not write keeps nothing. Whether it was kept."""
    try:
        return bool(query(
            "INSERT INTO phrase_counts(phrase, units) SELECT %s, %s FROM (SELECT value FROM "
            "meta WHERE key = 'revision' FOR SHARE SKIP LOCKED) AS m WHERE m.value = %s "
            "ON CONFLICT (phrase) DO NOTHING RETURNING 1", (name, units, str(revision))))
    except psycopg.Error:
        return False


def common_phrases(query: Query, sample_rows: int, most: int) -> list[tuple[str, str]]:
    """(language, phrase match) of the phrases whose first count would be slowest that a
    sample of about `sample_rows` full-text rows shows to be common (pg_phrases.commonest:
    2 to 6 words, runs and longer ones alike), the `most` of them not kept already. The
    sample reads a share of the table's pages (TABLESAMPLE SYSTEM, repeatable) and the
    texts of their variants, whose index terms are counted as the writers made them."""
    rows = int(query("SELECT coalesce(sum(rows), 0) FROM langstats", ())[0][0])
    if rows < min(pg_phrases.KEEP_FROM, pg_phrases.KEEP_IN_ORDER_FROM):
        return []
    percent = min(100.0, 100.0 * sample_rows / rows)
    sampled = query(f"SELECT f.base, v.text FROM fulltext AS f TABLESAMPLE SYSTEM "
                    f"({percent:.6f}) REPEATABLE (0) JOIN variants AS v ON v.id = f.variant_id", ())
    kept = {name for (name,) in query("SELECT phrase FROM phrase_counts", ())}
    found = []
    for base, words in pg_phrases.commonest(sampled, 100.0 / percent, kept, most):
        match = phrase(words)
        if parse_match(match)[0] == [words]:  # (a key the match language cannot hold)
            found.append((base, match))
    return found


def _keepable(query: Query, stats: RankingStats, lang: str, match: str,
              filtered: str | None) -> str | None:
    """The name of `match` in `phrase_counts` when its count may be kept there: one phrase, in
    a whole language, without filters, whose rarest word is in as many rows as would make
    its count worth keeping (pg_phrases.keep_from) or more."""
    base, tag = language_query(lang)
    if tag or filtered:
        return None
    phrases, excluded, _ = parse_match(match)
    if excluded or len(phrases) != 1:
        return None
    words = lexemes(base, phrases[0])
    if min(_docs(query, stats, words).values()) < pg_phrases.keep_from(len(words)):
        return None
    return pg_phrases.phrase_name(words)


def fts_page(query: Query, stats: RankingStats, lang: str, match: str, *, limit: int,
             offset: int = 0, document: str | None = None, symbol: str | None = None,
             resolution: str | None = None, long_rows: bool = True,
             bound: int | None = None) -> list[int]:
    """Live units matching, newest (highest id) first, `limit` from `offset`.

    A phrase common enough to fill the page from the newest rows of its language is read
    from them (`_newest_matching`; `bound`: at most that many units match, store.py).
    Otherwise the matches are collected through the GIN index first (a materialized CTE),
    then sorted. Left to itself, the planner may walk the unit ids newest first and test
    each row's tsvector, read from TOAST: for a rare phrase that read the whole table (20 s
    at 1M units). It cannot tell a rare phrase: ANALYZE skips values over 1 kB, which most
    tsvectors with their runs are, so every match is estimated at 0.5% of the rows."""
    if not (document or symbol or resolution):
        newest = _newest_matching(query, stats, lang, match, offset + limit, bound)
        if newest is not None:
            return newest[offset:offset + limit]
    sql, values = _matching(lang, match, document, symbol, resolution, long_rows=long_rows)
    rows = _fts_rows(query, f"{_gin_first(sql)} SELECT DISTINCT unit_id FROM hit "
                     "ORDER BY unit_id DESC LIMIT %s OFFSET %s",
                     [*values, max(0, limit), max(0, offset)])
    return [row[0] for row in rows]


NEWEST_ROWS = 1000
"""Newest rows of a language read first to fill a page (about 8 ms at 1M units, warm)."""
NEWEST_ROWS_MAX = 4000
"""Most newest rows read in all, when the first ones held some of the page but not all."""
ROW_CHECK_COST = 2
"""Reading a newest row and checking it on its `ordered` terms costs about what reading two
matches through the GIN index does: at 100k units, warm, 1,000 newest French rows took 3.5 ms
(10.2 checked on their tsvectors, read from TOAST), the 9,654 matches of "des Nations Unies"
19.0 (scratch newestcost.py)."""


def _newest_matching(query: Query, stats: RankingStats, lang: str, match: str, wanted: int,
                     bound: int | None = None) -> list[int] | None:
    """The `wanted` newest units matching `match`, read from the newest rows of the language
    (each checked on its `ordered` terms, pg_text.in_order) when the phrase's words are
    common enough to fill them, or None (too many rows would have to be tried).

    "des Nations Unies" is in 97,639 of 1M French rows: collecting them all through the GIN
    index to keep the newest 20 took 150 ms; 600 newest rows hold about 60 of them. How
    common a phrase can be is bounded by its rarest word's row count (`terms`); three times
    the rows that share of them would fill the page with are read first (at most
    NEWEST_ROWS), when that is cheaper than reading its matches. If they hold part of the
    page, the share they show says how many more rows to read, up to NEWEST_ROWS_MAX in all
    ("le Secrétaire général": 49 ms through the index, its rarest word too common to say
    how few rows would do). A phrase's kept count (pg_phrases) gives its share exactly; a
    phrase of four words or more without one is left to the index (its words bound it
    badly: "l'organisation et des" is in 0.1% of the rows, "organisation" in 5%).
    So does a `bound` the caller knows, a count it made: at 1M units, "tant que de" is in
    1,223 units, far fewer than its words; its first page took 29.7 ms without the bound,
    12.0 with it (scratch, warm). With a bound, a longer phrase is read from the newest rows
    too: the exact wording of "droits de l'homme", whose forms are in 36,001 units, took 222
    ms (68 warm) through the index, 19 (11) from the newest rows."""
    base, tag = language_query(lang)
    phrases, excluded, every = parse_match(match)
    rows, _ = _lang_stats(query, stats, base)
    if wanted <= 0 or rows <= 0:
        return None
    shares = [min(_docs(query, stats, lexemes(base, words)).values()) / rows
              for words in phrases]
    share = math.prod(shares) if every else min(1.0, sum(shares))  # AND: as if independent
    if bound is not None:
        share = min(share, bound / rows)
    if len(phrases) == 1 and share * rows >= pg_phrases.keep_from(len(phrases[0])):
        name = _keepable(query, stats, lang, match, None)
        kept = kept_count(query, name) if name is not None else None
        if kept is not None:  # its true share
            share = min(share, kept / rows)
        elif len(phrases[0]) > RUN_WORDS and bound is None:  # its words say little
            return None
    read = max(wanted, math.ceil(3 * wanted / share)) if share else NEWEST_ROWS_MAX + 1
    if read > NEWEST_ROWS_MAX or read * ROW_CHECK_COST > share * rows:
        return None
    read = min(read, NEWEST_ROWS)
    units: dict[int, None] = {}
    done, older = 0, None  # rows read; where the next rows start (a unit read again)
    holds, patterns = in_order("n.ordered", phrases, excluded, every)
    while True:
        found = _fts_rows(
            query, f"SELECT n.unit_id, {holds} FROM (SELECT f.unit_id, f.ordered FROM "
            f"fulltext AS f WHERE f.base = %s{' AND f.tag = %s' * bool(tag)}"
            f"{' AND f.unit_id <= %s' * (older is not None)} ORDER BY f.unit_id DESC "
            "LIMIT %s) AS n", [*patterns, base, *([tag] if tag else []),
                               *([older] if older is not None else []), read])
        units.update(dict.fromkeys(unit for unit, hit in found if hit))
        done += len(found)
        # Every row of a newer unit than the last one read was read: their order is final.
        if len(units) >= wanted or len(found) < read:
            return list(units)
        share = len(units) / done  # what the rows read show
        more = math.ceil(1.5 * (wanted - len(units)) / share) if units else NEWEST_ROWS_MAX
        if done + more > NEWEST_ROWS_MAX or more * ROW_CHECK_COST > share * rows:
            return None
        older, read = found[-1][0], more


def filter_ids(query: Query, unit_ids: Sequence[int], *, document: str | None = None,
               symbol: str | None = None, resolution: str | None = None) -> set[int]:
    """The live ids among `unit_ids` whose document/symbol/resolution match the filters."""
    ids = [int(i) for i in unit_ids]
    if not ids:
        return set()
    where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
    return {row[0] for row in query(
        f"SELECT u.id FROM units AS u WHERE u.id = ANY(%s::bigint[]) AND NOT u.deleted"
        f"{where}", [ids, *params])}


def _matching(lang: str, match: str, document: str | None, symbol: str | None,
              resolution: str | None, *, ordered: bool = True,
              long_rows: bool = True) -> tuple[str, list[Any]]:
    """FROM and WHERE of the full-text rows of `lang` that match `match` (filters too);
    `ordered` and `long_rows`: see pg_text.match_condition."""
    base, tag = language_query(lang)
    phrases, excluded, every = parse_match(match)
    condition, values = match_condition(base, phrases, excluded, every, long_rows=long_rows,
                                        ordered=ordered)
    where, params = origin_filter(document, symbol, resolution, _ORIGIN_COMPARE)
    join = " JOIN units AS u ON u.id = f.unit_id" if where else ""
    if tag:
        where += " AND f.tag = %s"
        params.append(tag)
    return f"FROM fulltext AS f{join} WHERE {condition}{where}", [*values, *params]


def _gin_first(sql: str) -> str:
    """`hit(unit_id)`: the units of the full-text rows `sql` (from `_matching`) selects, read
    through the GIN index before anything limits or orders them (see fts_page)."""
    return f"WITH hit AS MATERIALIZED (SELECT f.unit_id {sql})"


def _fts_rows(query: Query, sql: str, values: list[Any]) -> list[tuple]:
    try:
        return query(sql, values)
    except psycopg.errors.DataError as error:
        raise InputError(f"query cannot be searched: {first_line(error)}") from None


def _lang_stats(query: Query, stats: RankingStats, base: str) -> tuple[int, float]:
    """(full-text rows, average terms per row) of one language, cached STATS_TTL s."""
    now = time.monotonic()
    with stats.lock:
        cached = stats.langs.get(base)
    if cached is None or now - cached[0] > STATS_TTL:
        rows = query("SELECT rows, words FROM langstats WHERE base = %s", (base,))
        count, total = rows[0] if rows else (0, 0)
        cached = (now, int(count), max(1.0, total / max(1, count)))
        with stats.lock:
            stats.langs[base] = cached
    return cached[1], cached[2]


def _docs(query: Query, stats: RankingStats, terms: list[str]) -> dict[str, int]:
    """Rows holding each (prefixed) term, from `terms`, remembered in `stats`."""
    with stats.lock:
        known = {t: stats.docs[t] for t in terms if t in stats.docs}
    missing = [t for t in terms if t not in known]
    if missing:
        found = query("SELECT term, docs FROM terms WHERE term = ANY(%s::text[])", (missing,))
        known.update(dict.fromkeys(missing, 0))
        known.update({term: int(docs) for term, docs in found})
        _remember_docs(stats, {term: known[term] for term in missing})
    return known


def _idf(query: Query, stats: RankingStats, base: str, terms: list[str]) -> dict[str, float]:
    """FTS5's idf per (prefixed) term: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
    known = _docs(query, stats, terms)
    count, _ = _lang_stats(query, stats, base)
    return {t: max(1e-6, math.log((count - known[t] + 0.5) / (known[t] + 0.5)))
            if count > known[t] else 1e-6 for t in terms}
