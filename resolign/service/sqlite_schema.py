"""The SQLite memory's tables, and the migration that brings a release-0.1 file forward.

Layout (schema version 2, in `meta`):
  units(id, ukey, document, symbol, paragraph, resolution, resolution_title, score, created,
        changed, provenance JSON, annotations JSON, import_id, deleted)
        ukey = Unit.dedup_key(): unique among live units (a deleted unit may come back)
  variants(id, unit_id, position, lang, base, text, markup, annotations JSON, nkey)
        lang = full BCP 47 tag, base = its primary subtag, nkey = exact_key(text)
  fts_<base>  contentless FTS5 per primary language, created when the first variant of that
              language arrives; rowid = variant id (fts_<base>_vocab gives document counts)
  tags(lang, base)  every language tag ever stored (a cheap answer to "which languages?")
  history(id, at, who, action, before JSON, after JSON, undone_by) + history_units(change, unit)
  imports(id, name, at, header JSON, report JSON)

Migration from version 1 (fr/en/ar `segments`, FTS rows keyed by unit id) runs inside the
caller's transaction: every unit keeps its id, texts, origin, score and date; the full-text
rows are rebuilt from the variants.

`meta.wordforms` names the word-form rules (wordforms.WORDFORMS_VERSION) the full-text rows
and exact keys were made under; a file made under other rules (or before the rules had a
version) has them rebuilt by `reindex_word_forms`, also inside the opening transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from resolign.languages import lang_rank
from resolign.service.store import (
    SCHEMA_VERSION,
    WORDFORMS_VERSION,
    dumps,
    exact_key,
    index_terms,
    is_fts_language,
)
from resolign.units import Unit

TABLES = [
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS imports(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        at TEXT NOT NULL,
        header TEXT NOT NULL DEFAULT '{}',
        report TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE IF NOT EXISTS units(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ukey TEXT NOT NULL,
        document TEXT NOT NULL DEFAULT '',
        symbol TEXT NOT NULL DEFAULT '',
        paragraph TEXT NOT NULL DEFAULT '',
        resolution TEXT NOT NULL DEFAULT '',
        resolution_title TEXT NOT NULL DEFAULT '',
        score REAL,
        created TEXT NOT NULL,
        changed TEXT,
        provenance TEXT NOT NULL DEFAULT '{}',
        annotations TEXT NOT NULL DEFAULT '{}',
        import_id INTEGER REFERENCES imports(id),
        deleted INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS variants(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        unit_id INTEGER NOT NULL REFERENCES units(id),
        position INTEGER NOT NULL,
        lang TEXT NOT NULL,
        base TEXT NOT NULL,
        text TEXT NOT NULL,
        markup TEXT NOT NULL DEFAULT '',
        annotations TEXT NOT NULL DEFAULT '{}',
        nkey TEXT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS tags(lang TEXT PRIMARY KEY, base TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS history(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        before TEXT NOT NULL DEFAULT '[]',
        after TEXT NOT NULL DEFAULT '[]',
        undone_by INTEGER)""",
    """CREATE TABLE IF NOT EXISTS history_units(
        change_id INTEGER NOT NULL REFERENCES history(id),
        unit_id INTEGER NOT NULL,
        PRIMARY KEY (unit_id, change_id)) WITHOUT ROWID""",
    "CREATE UNIQUE INDEX IF NOT EXISTS units_live_key ON units(ukey) WHERE deleted = 0",
    "CREATE INDEX IF NOT EXISTS units_document ON units(document COLLATE NOCASE)",
    "CREATE INDEX IF NOT EXISTS units_symbol ON units(symbol COLLATE NOCASE)",
    "CREATE INDEX IF NOT EXISTS variants_unit ON variants(unit_id, position)",
    "CREATE INDEX IF NOT EXISTS variants_nkey ON variants(base, nkey)",
]
TABLE_NAMES = ["meta", "imports", "units", "variants", "tags", "history", "history_units"]


MULTI_VARIANT = "multi_variant"
"""meta key: the primary languages some unit holds two variants of (JSON list, only grows)."""


def multi_variant_bases(db: sqlite3.Connection) -> list[str]:
    """The primary languages some unit holds two variants of (one scan of the variants)."""
    return [base for (base,) in db.execute(
        "SELECT DISTINCT base FROM (SELECT base FROM variants GROUP BY unit_id, base "
        "HAVING count(*) > 1) ORDER BY base")]


def fts_table(base: str) -> str:
    return f"fts_{base}"


def create_fts(db: sqlite3.Connection, base: str) -> None:
    """The full-text table of one primary language (and its vocabulary view)."""
    table = fts_table(base)
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
               f"norm, content='', tokenize='unicode61 remove_diacritics 0')")
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_vocab USING fts5vocab({table}, 'row')")


def fts_languages(db: sqlite3.Connection) -> set[str]:
    """Primary languages that have a full-text table in this file."""
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                      "AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5(%'").fetchall()
    return {name[len("fts_"):] for (name,) in rows}


def index_variant(db: sqlite3.Connection, variant_id: int, base: str, text: str,
                  known: set[str], *, remove: bool = False) -> None:
    """Add (or remove) a variant's full-text row; creates the language's table on first use."""
    if not is_fts_language(base) or not text.strip():
        return
    if base not in known:
        create_fts(db, base)
        known.add(base)
    norm = " ".join(index_terms(text, base))
    if remove:
        db.execute(f"INSERT INTO {fts_table(base)}({fts_table(base)}, rowid, norm) "
                   "VALUES ('delete', ?, ?)", (variant_id, norm))
    else:
        db.execute(f"INSERT INTO {fts_table(base)}(rowid, norm) VALUES (?, ?)", (variant_id, norm))


def create(db: sqlite3.Connection, set_meta: Callable[[str, str], None], store_id: str) -> None:
    for statement in TABLES:
        db.execute(statement)
    set_meta("schema_version", str(SCHEMA_VERSION))
    set_meta("store_id", store_id)
    set_meta("revision", "0")
    set_meta("wordforms", WORDFORMS_VERSION)
    set_meta(MULTI_VARIANT, "[]")


def migrate_v1(db: sqlite3.Connection, set_meta: Callable[[str, str], None]) -> None:
    """Release 0.1 → version 2, inside the caller's transaction (all or nothing).

    The units table is rebuilt (its key was unique over every row; now only over live units),
    segments become variants of their bare language code, full-text rows are rebuilt per
    variant, and each unit's key is recomputed by today's rule (texts and codes)."""
    for base in ("fr", "en", "ar"):  # version 1's full-text rows were keyed by unit id
        db.execute(f"DROP TABLE IF EXISTS fts_{base}_vocab")
        db.execute(f"DROP TABLE IF EXISTS fts_{base}")
    db.execute("ALTER TABLE units RENAME TO units_v1")
    db.execute("DROP INDEX IF EXISTS units_document")
    db.execute("DROP INDEX IF EXISTS units_symbol")
    for statement in TABLES:
        db.execute(statement)
    db.execute("INSERT INTO units(id, ukey, document, symbol, paragraph, score, created) "
               "SELECT id, ukey, document, symbol, paragraph, score, created FROM units_v1")
    texts: dict[int, dict[str, str]] = {}
    for unit_id, lang, text in db.execute("SELECT unit_id, lang, text FROM segments"):
        texts.setdefault(unit_id, {})[lang] = text
    known: set[str] = set()
    for unit_id, by_lang in texts.items():
        ordered = dict(sorted(by_lang.items(), key=lambda item: lang_rank(item[0])))
        for position, (lang, text) in enumerate(ordered.items()):
            cursor = db.execute(
                "INSERT INTO variants(unit_id, position, lang, base, text, nkey) "
                "VALUES (?, ?, ?, ?, ?, ?)", (unit_id, position, lang, lang, text, exact_key(text)))
            index_variant(db, int(cursor.lastrowid), lang, text, known)
        db.execute("UPDATE units SET ukey = ? WHERE id = ?",
                   (Unit(texts=ordered).dedup_key(), unit_id))
    db.execute("INSERT OR IGNORE INTO tags(lang, base) SELECT DISTINCT lang, base FROM variants")
    db.execute("DROP TABLE segments")
    db.execute("DROP TABLE units_v1")
    set_meta("schema_version", str(SCHEMA_VERSION))
    set_meta("migrated_from", dumps({"version": 1}))
    set_meta("wordforms", WORDFORMS_VERSION)


def reindex_word_forms(db: sqlite3.Connection, set_meta: Callable[[str, str], None]) -> None:
    """Rebuild every full-text row and exact key under today's word-form rules, inside the
    caller's transaction (all or nothing). Deleted units get an exact key but no row, as
    when they were deleted. 100k trilingual paragraphs: about a minute on one core."""
    known = fts_languages(db)
    for base in known:
        db.execute(f"INSERT INTO {fts_table(base)}({fts_table(base)}) VALUES ('delete-all')")
    rows = db.execute("SELECT v.id, v.base, v.text, u.deleted FROM variants AS v "
                      "JOIN units AS u ON u.id = v.unit_id ORDER BY v.id").fetchall()
    for variant_id, base, text, deleted in rows:
        db.execute("UPDATE variants SET nkey = ? WHERE id = ?", (exact_key(text), variant_id))
        if not deleted:
            index_variant(db, variant_id, base, text, known)
    set_meta("wordforms", WORDFORMS_VERSION)
