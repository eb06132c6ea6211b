"""The PostgreSQL memory's tables, created and migrated by resolign itself.

Everything lives in the schema `resolign` of the database the URL names (the database must
exist; resolign never creates or drops databases). `resolign.schema_version` lists every
version reached, with when; creating or migrating runs in ONE transaction under an advisory
lock, so two servers starting on one database at once create the tables once, and a failed
migration leaves the memory as it was.

Layout (version 6: the same rows as the SQLite store's schema 2, sqlite_schema.py):
  meta(key, value)      store_id, revision (bumped by every committed change), units (live
                        unit count, kept by the writers: no count(*) over a large table),
                        long_rows (full-text rows too long for runs, kept by the writers)
  imports(id, name, at, header JSON, report JSON)
  units(id, ukey, document, symbol, paragraph, resolution, resolution_title, score, created,
        changed, provenance JSON, annotations JSON, import_id, deleted)
        ukey = Unit.dedup_key(), unique among live units (a deleted unit may come back)
  variants(id, unit_id, position, lang, base, text, markup, annotations JSON, nkey)
        lang = full BCP 47 tag, base = its primary subtag, nkey = store.exact_key(text)
  fulltext(variant_id, unit_id, base, tag, nwords, tsv, ordered)   one row per LIVE variant
        with text (a deleted unit's rows go, an undo brings them back, as SQLite's FTS rows):
        tsv holds store.index_terms(text, base), each prefixed by the language
        (`fr:conseil`), with word positions, and its runs of 2-3 words (pg_text.py); one GIN
        index serves every language and a look-up in one language never reads another's
        postings. tag = lower-case full tag (a `fr-CA` query filters on it). ordered = the
        same terms in order as text (pg_text.ordered_terms), where a phrase's word order is
        checked. Table option toast_tuple_target keeps tsvectors out of line (TOAST), while
        `ordered` stays in the row, compressed (storage MAIN): counting a phrase visits
        about one heap page per hit and reads no TOAST (pg_phrases keeps common counts).
  terms(term, docs)     rows holding each prefixed term (what FTS5's vocabulary table counts)
  phrase_counts(phrase, units)   live units holding a common phrase someone counted, or an
                        import counted ahead (meta counted_ahead: the units then), kept
                        exact by the writers from then on (pg_phrases.py)
  langstats(base, rows, words, repeated)   per language, for bm25-like ranking as FTS5 ranks;
                        repeated = rows beyond a unit's first in that language (two French
                        variants of one unit): while there is none, a word's rows are its
                        units, and its concordance total its `terms` row (pg_fulltext)
  tags(lang, base)      every language tag ever stored
  history(id, at, who, action, before JSON, after JSON, undone_by) + history_units
  vectors(encoder, unit_id, vector)   raw float32 unit embeddings: any server builds its FAISS
                        index from them without embedding again

JSON columns are `json` (not jsonb): key order is kept, and other tools' attributes come back
in the order their file had them.

Version 1 (the first PostgreSQL release: fr/en/ar `segments` with one tsvector each, unique
ukey over every row) is brought forward by `migrate_v1` inside the same transaction. Version 2
had no run lexemes and kept tsvectors in the rows: `reindex_word_forms` rebuilds them (an
older resolign then refuses the memory rather than rebuild it back). Version 4 adds
`phrase_counts` (empty: counts are kept as phrases are looked up) and meta `long_rows`
(counted on open); version 5 `langstats.repeated` (counted on open); version 6 the column
`fulltext.ordered`, so every full-text row is rebuilt (`reindex_word_forms`, once however
old the memory), and the common phrases are counted ahead again when the store opens it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import psycopg

from resolign.errors import InputError
from resolign.languages import lang_rank
from resolign.service.pg_phrases import PhraseTally
from resolign.service.pg_text import (
    lexemes,
    long_mark,
    ordered_terms,
    run_lexemes,
    tsquery_literal,
    tsvector_literal,
    word_positions,
)
from resolign.service.store import WORDFORMS_VERSION, dumps, exact_key, is_fts_language
from resolign.service.wordforms import index_phrases
from resolign.units import Unit

SCHEMA = "resolign"
SCHEMA_VERSION = 6
FULLTEXT_TOAST_TARGET = 128
"""Bytes over which a full-text row's tsvector is kept out of line (TOAST): rows stay narrow."""
PHRASE_COUNTS = ("CREATE TABLE IF NOT EXISTS phrase_counts(phrase text PRIMARY KEY, "
                 "units integer NOT NULL)")
ORDERED_COLUMN = ["ALTER TABLE fulltext ADD COLUMN IF NOT EXISTS ordered text NOT NULL",
                  "ALTER TABLE fulltext ALTER COLUMN ordered SET STORAGE MAIN"]
"""A full-text row's terms in order (pg_text.ordered_terms), compressed but kept in the heap row
(MAIN) while the tsvector goes to TOAST: a phrase's order is checked without reading TOAST."""
REPEATED_COLUMN = ("ALTER TABLE langstats ADD COLUMN IF NOT EXISTS repeated bigint NOT NULL "
                   "DEFAULT 0")
_MIGRATION_LOCK = 0x7265736F  # "reso": the advisory lock key taken to create or migrate
_MIGRATE_BATCH = 5000
_COUNTS_BATCH = 50_000  # terms per upsert statement when counts are written

TABLES = [
    "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE imports(
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        at text NOT NULL,
        header json NOT NULL DEFAULT '{}',
        report json NOT NULL DEFAULT '{}')""",
    """CREATE TABLE units(
        id bigint PRIMARY KEY,
        ukey text NOT NULL,
        document text NOT NULL DEFAULT '',
        symbol text NOT NULL DEFAULT '',
        paragraph text NOT NULL DEFAULT '',
        resolution text NOT NULL DEFAULT '',
        resolution_title text NOT NULL DEFAULT '',
        score double precision,
        created text NOT NULL,
        changed text,
        provenance json NOT NULL DEFAULT '{}',
        annotations json NOT NULL DEFAULT '{}',
        import_id bigint REFERENCES imports(id),
        deleted boolean NOT NULL DEFAULT false)""",
    """CREATE TABLE variants(
        id bigint PRIMARY KEY,
        unit_id bigint NOT NULL REFERENCES units(id),
        position integer NOT NULL,
        lang text NOT NULL,
        base text NOT NULL,
        text text NOT NULL,
        markup text NOT NULL DEFAULT '',
        annotations json NOT NULL DEFAULT '{}',
        nkey text NOT NULL,
        UNIQUE (unit_id, position))""",
    f"""CREATE TABLE fulltext(
        variant_id bigint PRIMARY KEY REFERENCES variants(id),
        unit_id bigint NOT NULL,
        base text NOT NULL,
        tag text NOT NULL,
        nwords integer NOT NULL,
        tsv tsvector NOT NULL,
        ordered text NOT NULL) WITH (toast_tuple_target = {FULLTEXT_TOAST_TARGET})""",
    "CREATE TABLE terms(term text PRIMARY KEY, docs integer NOT NULL)",
    PHRASE_COUNTS,
    "CREATE TABLE langstats(base text PRIMARY KEY, rows bigint NOT NULL, words bigint NOT NULL, "
    "repeated bigint NOT NULL DEFAULT 0)",
    "CREATE TABLE tags(lang text PRIMARY KEY, base text NOT NULL)",
    """CREATE TABLE history(
        id bigserial PRIMARY KEY,
        at text NOT NULL,
        who text NOT NULL,
        action text NOT NULL,
        before json NOT NULL DEFAULT '[]',
        after json NOT NULL DEFAULT '[]',
        undone_by bigint)""",
    """CREATE TABLE history_units(
        change_id bigint NOT NULL REFERENCES history(id),
        unit_id bigint NOT NULL,
        PRIMARY KEY (unit_id, change_id))""",
    """CREATE TABLE vectors(
        encoder text NOT NULL,
        unit_id bigint NOT NULL REFERENCES units(id),
        vector bytea NOT NULL,
        PRIMARY KEY (encoder, unit_id))""",
]
FULLTEXT_INDEX = "CREATE INDEX fulltext_tsv ON fulltext USING gin(tsv)"
INDEXES = [
    "CREATE UNIQUE INDEX units_live_key ON units(ukey) WHERE NOT deleted",
    "CREATE INDEX units_document ON units(lower(document))",
    "CREATE INDEX units_symbol ON units(lower(symbol))",
    "CREATE INDEX units_resolution ON units(lower(resolution))",
    "CREATE INDEX variants_nkey ON variants(base, nkey)",
    "CREATE INDEX fulltext_unit ON fulltext(unit_id)",
    FULLTEXT_INDEX,
]


def create_tables(conn: psycopg.Connection) -> None:
    """A new memory's tables (inside the caller's transaction)."""
    for statement in TABLES + ORDERED_COLUMN[1:] + INDEXES:
        conn.execute(statement)
    conn.execute("INSERT INTO meta(key, value) VALUES ('store_id', replace("
                 "gen_random_uuid()::text, '-', '')), ('revision', '0'), ('units', '0'), "
                 "('long_rows', '0'), "
                 "('wordforms', %s)", (WORDFORMS_VERSION,))


def migrate_v1(conn: psycopg.Connection) -> None:
    """Version 1 → 2 inside the caller's transaction (all or nothing).

    Every unit keeps its id, texts, origin, score, date and stored vectors; its segments become
    variants of their bare language code (fr, en, ar order, as SQLite's migration); the
    full-text rows, term counts and exact keys are rebuilt from the variants by today's rules,
    and each unit's key is recomputed by today's rule (texts and codes).
    """
    conn.execute("ALTER TABLE units DROP CONSTRAINT units_ukey_key")
    for column in ("resolution", "resolution_title"):
        conn.execute(f"ALTER TABLE units ADD COLUMN {column} text NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE units ADD COLUMN changed text, "
                 "ADD COLUMN provenance json NOT NULL DEFAULT '{}', "
                 "ADD COLUMN annotations json NOT NULL DEFAULT '{}', "
                 "ADD COLUMN import_id bigint, "
                 "ADD COLUMN deleted boolean NOT NULL DEFAULT false")
    conn.execute("DROP TABLE terms, langstats")
    kept = {"meta", "units", "vectors"}
    for statement in TABLES:
        name = statement.split("(")[0].split()[-1]
        if name not in kept:
            conn.execute(statement)
    conn.execute("ALTER TABLE units ADD FOREIGN KEY (import_id) REFERENCES imports(id)")
    conn.execute("CREATE TEMPORARY TABLE new_keys(id bigint PRIMARY KEY, ukey text NOT NULL) "
                 "ON COMMIT DROP")
    variant_id = 0
    counts = TermCounts()
    for batch in _segments_by_unit(conn):
        variant_rows, keys = [], []
        for unit_id, by_lang in batch:
            ordered = dict(sorted(by_lang.items(), key=lambda item: lang_rank(item[0])))
            for position, (lang, text) in enumerate(ordered.items()):
                variant_id += 1
                variant_rows.append((variant_id, unit_id, position, lang, lang, text))
            keys.append((unit_id, Unit(texts=ordered).dedup_key()))
        write_variants(conn, variant_rows, counts)
        with conn.cursor().copy("COPY new_keys(id, ukey) FROM STDIN") as copy:
            for row in keys:
                copy.write_row(row)
    counts.write(conn)
    conn.execute("UPDATE units SET ukey = k.ukey FROM new_keys AS k WHERE units.id = k.id")
    conn.execute("DROP TABLE segments")
    for statement in INDEXES:
        if not statement.startswith(("CREATE INDEX units_document",
                                     "CREATE INDEX units_symbol")):
            conn.execute(statement)
    conn.execute("INSERT INTO tags(lang, base) SELECT DISTINCT lang, base FROM variants")
    conn.execute("INSERT INTO meta(key, value) VALUES ('migrated_from', %s), ('wordforms', %s)",
                 (dumps({"version": 1}), WORDFORMS_VERSION))


def migrate_v3(conn: psycopg.Connection) -> None:
    """Version 3 → 4: the (empty) table of kept phrase counts, and how many full-text rows
    are too long for runs (meta `long_rows`)."""
    conn.execute(PHRASE_COUNTS)
    marks = [long_mark(base) for (base,) in conn.execute("SELECT base FROM langstats")]
    found = conn.execute("SELECT count(*) FROM fulltext WHERE tsv @@ %s::tsquery",
                         (tsquery_literal([[mark] for mark in marks]),)).fetchone()[0] \
        if marks else 0
    _set_meta(conn, "long_rows", str(found))


def migrate_v4(conn: psycopg.Connection) -> None:
    """Version 4 → 5: how many full-text rows of each language are not their unit's first
    (`langstats.repeated`)."""
    count_repeated_rows(conn)


def count_repeated_rows(conn: psycopg.Connection) -> None:
    """Count `langstats.repeated` from the full-text rows (one pass over their heap, no
    tsvector read: seconds at 1M units)."""
    conn.execute(REPEATED_COLUMN)
    conn.execute("UPDATE langstats SET repeated = 0 WHERE repeated <> 0")
    conn.execute("UPDATE langstats AS l SET repeated = c.n FROM (SELECT base, count(*) - "
                 "count(DISTINCT unit_id) AS n FROM fulltext GROUP BY base) AS c "
                 "WHERE c.base = l.base AND c.n <> 0")


def _set_meta(conn: psycopg.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) "
                 "DO UPDATE SET value = excluded.value", (key, value))


def word_forms_of(conn: psycopg.Connection) -> str | None:
    """The word-form rules the full-text rows and exact keys were made under (None: before
    the rules had a version)."""
    row = conn.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'wordforms'").fetchone()
    return row[0] if row else None


def reindex_word_forms(conn: psycopg.Connection) -> None:
    """Rebuild every full-text row, term count and exact key under today's word-form rules
    and run lexemes, inside the caller's transaction (all or nothing). Deleted units get an
    exact key but no full-text row, as when they were deleted.

    The tables are emptied with TRUNCATE and the GIN index is built once at the end: other
    servers wait for the rebuild instead of reading half of it, and no dead row or index
    entry is left behind (a DELETE leaves every old one until a vacuum)."""
    conn.execute("TRUNCATE fulltext, terms, langstats")
    for statement in [PHRASE_COUNTS, REPEATED_COLUMN, *ORDERED_COLUMN]:
        conn.execute(statement)  # (a migration from an older version gets them early)
    conn.execute("TRUNCATE phrase_counts")
    _set_meta(conn, "long_rows", "0")  # counted again as the rows are
    _set_meta(conn, "counted_ahead", "0")  # counted ahead again (PostgresStore opening it)
    # a phrase counted before the rebuild must not be kept after it (pg_fulltext.keep_count)
    conn.execute("UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'revision'")
    conn.execute(f"ALTER TABLE fulltext SET (toast_tuple_target = {FULLTEXT_TOAST_TARGET})")
    conn.execute("DROP INDEX fulltext_tsv")
    last = 0
    counts = TermCounts()
    while True:
        rows = conn.execute(
            "SELECT v.id, v.unit_id, v.lang, v.base, v.text, u.deleted, v.nkey "
            "FROM variants AS v JOIN units AS u ON u.id = v.unit_id WHERE v.id > %s "
            "ORDER BY v.id LIMIT %s", (last, _MIGRATE_BATCH)).fetchall()
        if not rows:
            break
        changed = [(row[0], key) for row in rows if (key := exact_key(row[4])) != row[6]]
        if changed:  # only the keys the rules changed: an UPDATE of all leaves a dead copy of each
            conn.execute("UPDATE variants AS v SET nkey = k.nkey FROM unnest(%s::bigint[], "
                         "%s::text[]) AS k(id, nkey) WHERE v.id = k.id",
                         ([i for i, _ in changed], [key for _, key in changed]))
        index_rows(conn, [row[:5] for row in rows if not row[5]], counts)
        last = rows[-1][0]
    counts.write(conn)
    count_repeated_rows(conn)  # (a unit's variants may straddle two batches)
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    conn.execute(FULLTEXT_INDEX)
    conn.execute("INSERT INTO meta(key, value) VALUES ('wordforms', %s) ON CONFLICT (key) "
                 "DO UPDATE SET value = excluded.value", (WORDFORMS_VERSION,))


def _segments_by_unit(conn: psycopg.Connection) -> Iterable[list[tuple[int, dict[str, str]]]]:
    """Version 1's segments grouped by unit, in batches (a server-side cursor: a large memory
    is never held in memory whole)."""
    batch: list[tuple[int, dict[str, str]]] = []
    current: tuple[int, dict[str, str]] | None = None
    with conn.cursor(name="resolign_migrate_v1") as cursor:
        cursor.itersize = _MIGRATE_BATCH
        cursor.execute("SELECT unit_id, lang, text FROM segments ORDER BY unit_id, lang")
        for unit_id, lang, text in cursor:
            if current is None or current[0] != unit_id:
                if current is not None:
                    batch.append(current)
                    if len(batch) >= _MIGRATE_BATCH:
                        yield batch
                        batch = []
                current = (unit_id, {})
            current[1][lang] = text
    if current is not None:
        batch.append(current)
    if batch:
        yield batch


def write_variants(conn: psycopg.Connection,
                   rows: list[tuple[int, int, int, str, str, str]], counts: TermCounts,
                   extra: Callable[[int], tuple[str, str]] | None = None) -> None:
    """COPY variants (id, unit_id, position, lang, base, text) and their full-text rows; the
    term counts they add go to `counts`.

    `extra(i)` gives row i's (markup, annotations JSON); without it both are empty."""
    with conn.cursor().copy("COPY variants(id, unit_id, position, lang, base, text, markup, "
                            "annotations, nkey) FROM STDIN") as copy:
        for i, (variant_id, unit_id, position, lang, base, text) in enumerate(rows):
            markup, notes = extra(i) if extra is not None else ("", "{}")
            copy.write_row((variant_id, unit_id, position, lang, base, text, markup, notes,
                            exact_key(text)))
    index_rows(conn, [(variant_id, unit_id, lang, base, text)
                      for variant_id, unit_id, _, lang, base, text in rows], counts)


def index_rows(conn: psycopg.Connection, rows: list[tuple[int, int, str, str, str]],
               counts: TermCounts) -> None:
    """Full-text rows for variants (variant id, unit id, tag, base, text); the term, language
    and kept phrase counts they change go to `counts`."""
    tally = counts.phrases if counts.phrases.load(conn) else None
    held: set[tuple[int, str]] = set()  # (unit, language) of the rows so far
    with conn.cursor().copy("COPY fulltext(variant_id, unit_id, base, tag, nwords, tsv, "
                            "ordered) FROM STDIN") as copy:
        for variant_id, unit_id, tag, base, terms, positions, runs, ordered in indexed_rows(
                rows):
            copy.write_row((variant_id, unit_id, base, tag, len(terms),
                            tsvector_literal(positions, runs), ordered))
            counts.count(base, positions, len(terms), long=runs == [long_mark(base)],
                         repeated=repeated_row(held, unit_id, base))
            if tally is not None:
                tally.row(base, unit_id, positions, runs, ordered, 1)


def repeated_row(held: set[tuple[int, str]], unit_id: int, base: str) -> bool:
    """Whether a unit's row in `base` is not its first among the rows `held` so far (every
    writer hands over all the rows of the units it adds or removes at once)."""
    if (unit_id, base) in held:
        return True
    held.add((unit_id, base))
    return False


def indexed_rows(rows: list[tuple[int, int, str, str, str]]) -> Iterator[
        tuple[int, int, str, str, list[str], dict[str, list[int]], list[str], str]]:
    """The full-text rows of variants (variant id, unit id, tag, base, text) as (variant id,
    unit id, lower-case tag, base, prefixed terms, their positions, run lexemes, the terms in
    order as text). Variants without text, or of a language whose primary subtag is not
    letters, get none (as in SQLite)."""
    for variant_id, unit_id, lang, base, text in rows:
        if not is_fts_language(base) or not text.strip():
            continue
        keys, surfaces = index_phrases(text, base)
        terms = lexemes(base, keys + surfaces)
        yield (variant_id, unit_id, lang.lower(), base, terms, word_positions(terms),
               run_lexemes(base, [keys, surfaces]), ordered_terms(keys, surfaces))


@dataclass
class TermCounts:
    """What a transaction changes in the term and language counts, added up in memory and
    written once, just before it commits.

    Written per batch instead, a 1M-unit import updated each common term's row a thousand
    times in one transaction; none of those row versions can be pruned before the commit,
    so every update walked a longer chain (the import slowed down as it went: hours)."""

    terms: dict[str, int] = field(default_factory=dict)
    langs: dict[str, list[int]] = field(default_factory=dict)
    """base -> [full-text rows, words, rows not their unit's first]"""
    phrases: PhraseTally = field(default_factory=PhraseTally)

    long_rows: int = 0
    """full-text rows too long for runs (LONG_MARK), added less taken away"""

    def count(self, base: str, terms: Iterable[str], words: int, sign: int = 1, *,
              long: bool = False, repeated: bool = False) -> None:
        """Count one full-text row (sign -1: take one away) with its distinct terms; `long`:
        a row too long for runs (meta `long_rows`: while there is none, phrase queries
        leave out the branch that looks for one, pg_text._phrase); `repeated`: not its
        unit's first row in `base` (`langstats.repeated`)."""
        self.long_rows += sign * long
        for term in terms:
            self.terms[term] = self.terms.get(term, 0) + sign
        total = self.langs.setdefault(base, [0, 0, 0])
        total[0] += sign
        total[1] += sign * words
        total[2] += sign * repeated

    def write(self, conn: psycopg.Connection) -> None:
        """Add the counts to the tables (each term's row is written once) and start afresh."""
        changed = sorted((term, n) for term, n in self.terms.items() if n)
        for start in range(0, len(changed), _COUNTS_BATCH):
            batch = changed[start:start + _COUNTS_BATCH]
            conn.execute(
                "INSERT INTO terms(term, docs) SELECT * FROM unnest(%s::text[], "
                "%s::integer[]) ON CONFLICT (term) DO UPDATE SET docs = terms.docs + "
                "excluded.docs", ([term for term, _ in batch], [n for _, n in batch]))
        for base, (rows, words, repeated) in sorted(self.langs.items()):
            conn.execute(
                "INSERT INTO langstats(base, rows, words, repeated) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (base) DO UPDATE SET rows = langstats.rows + excluded.rows, "
                "words = langstats.words + excluded.words, "
                "repeated = langstats.repeated + excluded.repeated",
                (base, rows, words, repeated))
        if self.long_rows:
            conn.execute("UPDATE meta SET value = (value::bigint + %s)::text "
                         "WHERE key = 'long_rows'", (self.long_rows,))
        self.terms.clear()
        self.langs.clear()
        self.long_rows = 0
        self.phrases.write(conn)


def installed_version(conn: psycopg.Connection) -> int | None:
    """The schema version in the database, None when resolign never created its tables."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_version",)).fetchone()
    if not row or not row[0]:
        return None
    version = conn.execute(f"SELECT max(version) FROM {SCHEMA}.schema_version").fetchone()
    return int(version[0]) if version and version[0] is not None else None


def migrate(conn: psycopg.Connection, *, create: bool, where: str) -> bool:
    """Bring the database to SCHEMA_VERSION; `conn` is in autocommit mode. Whether the
    full-text rows were rebuilt (their kept phrase counts are gone: count them ahead again).

    An up-to-date database takes no lock and no transaction (opening never waits for another
    server's import). A missing memory is an InputError unless `create`.
    """
    version = installed_version(conn)
    if version == SCHEMA_VERSION and word_forms_of(conn) == WORDFORMS_VERSION:
        return False
    _refuse_newer(version, where)
    if version is None and not create:
        raise InputError(f"no translation memory at {where} (create one with import)")
    # The lock is taken before the transaction starts, so that the transaction sees the
    # catalog as another server's migration left it (not a cached view from before the wait).
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        with conn.transaction():
            version = installed_version(conn)  # another server may have migrated meanwhile
            _refuse_newer(version, where)
            if version == SCHEMA_VERSION and word_forms_of(conn) == WORDFORMS_VERSION:
                return False
            if version is None:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                conn.execute(f"""CREATE TABLE {SCHEMA}.schema_version(
                    version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())""")
            conn.execute(f"SET LOCAL search_path TO {SCHEMA}")
            if version is None:
                create_tables(conn)
                steps = []
            elif version == SCHEMA_VERSION:  # rows made under older word-form rules
                steps = [reindex_word_forms]
            else:
                steps = [MIGRATIONS[n] for n in range(version + 1, SCHEMA_VERSION + 1)]
                # The rows are rebuilt once, last: it recounts what earlier steps counted.
                steps = [step for i, step in enumerate(steps)
                         if step is not reindex_word_forms or reindex_word_forms not in
                         steps[i + 1:]]
            if steps:
                # Writers wait while the tables change under them (readers of the old
                # layout fail once it commits, as they would on any upgrade).
                conn.execute("SELECT 1 FROM meta WHERE key = 'revision' FOR UPDATE")
            for step in steps:
                step(conn)
            if version != SCHEMA_VERSION:
                conn.execute("INSERT INTO schema_version(version) VALUES (%s)",
                             (SCHEMA_VERSION,))
            return reindex_word_forms in steps
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


MIGRATIONS: dict[int, Callable[[psycopg.Connection], None]] = {
    2: migrate_v1, 3: reindex_word_forms, 4: migrate_v3, 5: migrate_v4, 6: reindex_word_forms}
"""Version N's migration from version N - 1."""


def _refuse_newer(version: int | None, where: str) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise InputError(f"{where} was written by a newer resolign (schema {version})")
