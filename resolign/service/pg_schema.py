"""The PostgreSQL memory's tables, created and migrated by resolign itself.

Everything lives in the schema `resolign` of the database the URL names (the database must
exist; resolign never creates or drops databases). `resolign.schema_version` lists every
migration applied, with when; the migrations run in ONE transaction under an advisory lock,
so two servers starting on a new database at once create the tables once, and a failed
migration leaves the schema as it was.

Layout (version 1, the same rows as the SQLite store's schema 1):
  meta(key, value)            store_id, revision (bumped by every write that added units),
                              units (live unit count, kept by the writers)
  units(id, ukey UNIQUE, document, symbol, paragraph, score, created)
  segments(unit_id, lang, text, nkey, nwords, tsv)
      nkey = hash of the folded words (exact look-ups, btree); tsv = the folded words as a
      tsvector with positions (GIN per language: candidates and phrases); built from
      service/normalise.py's folding, not by a PostgreSQL dictionary, so both backends match
      the same words
  terms(lang, term, docs)     in how many units a folded word appears (picks rare words)
  langstats(lang, segments, words)   for bm25-like ranking, as SQLite's FTS5 ranks
  vectors(encoder, unit_id, vector)  raw float32 unit embeddings: any server builds its FAISS
                              index from them without embedding again
"""

from __future__ import annotations

import psycopg

from resolign.errors import InputError
from resolign.languages import LANGS

SCHEMA = "resolign"
SCHEMA_VERSION = 1
_MIGRATION_LOCK = 0x7265736F  # "reso": pg_advisory_xact_lock key for migrations

MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)",
        """CREATE TABLE units(
            id bigint PRIMARY KEY,
            ukey text NOT NULL UNIQUE,
            document text NOT NULL DEFAULT '',
            symbol text NOT NULL DEFAULT '',
            paragraph text NOT NULL DEFAULT '',
            score double precision,
            created text NOT NULL)""",
        """CREATE TABLE segments(
            unit_id bigint NOT NULL REFERENCES units(id),
            lang text NOT NULL,
            text text NOT NULL,
            nkey text NOT NULL,
            nwords integer NOT NULL DEFAULT 0,
            tsv tsvector,
            PRIMARY KEY (unit_id, lang))""",
        "CREATE INDEX segments_nkey ON segments(lang, nkey)",
        "CREATE INDEX units_document ON units(lower(document))",
        "CREATE INDEX units_symbol ON units(lower(symbol))",
        *(f"CREATE INDEX segments_tsv_{lang} ON segments USING gin(tsv) WHERE lang = '{lang}'"
          for lang in LANGS),
        """CREATE TABLE terms(
            lang text NOT NULL, term text NOT NULL, docs integer NOT NULL,
            PRIMARY KEY (lang, term))""",
        """CREATE TABLE langstats(
            lang text PRIMARY KEY, segments bigint NOT NULL, words bigint NOT NULL)""",
        """CREATE TABLE vectors(
            encoder text NOT NULL,
            unit_id bigint NOT NULL REFERENCES units(id),
            vector bytea NOT NULL,
            PRIMARY KEY (encoder, unit_id))""",
        "INSERT INTO meta(key, value) VALUES ('store_id', replace(gen_random_uuid()::text, "
        "'-', '')), ('revision', '0'), ('units', '0')",
    ],
}


def installed_version(conn: psycopg.Connection) -> int | None:
    """The schema version in the database, None when resolign never created its tables."""
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_version",)).fetchone()
    if not row or not row[0]:
        return None
    version = conn.execute(f"SELECT max(version) FROM {SCHEMA}.schema_version").fetchone()
    return int(version[0]) if version and version[0] is not None else None


def migrate(conn: psycopg.Connection, *, create: bool, where: str) -> None:
    """Bring the database to SCHEMA_VERSION; `conn` is in autocommit mode.

    An up-to-date database takes no lock and no transaction (opening never waits for another
    server's import). A missing memory is an InputError unless `create`.
    """
    version = installed_version(conn)
    if version == SCHEMA_VERSION:
        return
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
            if version is None:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                conn.execute(f"""CREATE TABLE {SCHEMA}.schema_version(
                    version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())""")
            conn.execute(f"SET LOCAL search_path TO {SCHEMA}")
            for number in range((version or 0) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number]:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (number,))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


def _refuse_newer(version: int | None, where: str) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise InputError(f"{where} was written by a newer resolign (schema {version})")
