"""The history of the PostgreSQL store: changes recorded, units retired and brought back, undo.

Kept apart from store_postgres.py so the store keeps its pool, schema, writes and reads; these
run inside the store's write transaction (a `conn` in BEGIN, the `revision` row held), so an
edit or an undo and its history row commit together or not at all. Ids are append-only: an edit
marks the old units deleted and adds new ones; an undo swaps them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from resolign.errors import InputError
from resolign.service import pg_schema
from resolign.service.pg_rows import Query, on, read_units
from resolign.service.pg_text import long_mark, word_lexemes
from resolign.service.store import (
    SAME_TEXTS,
    Change,
    StoredUnit,
    check_replaceable,
    check_undoable,
    dumps,
    undo_clash,
    unit_json,
)


def changes(query: Query, change_ids: Sequence[int]) -> dict[int, Change]:
    """Changes by id (missing ids are absent), in id order."""
    if not change_ids:
        return {}
    rows = query("SELECT id, at, who, action, before, after, undone_by "
                 "FROM history WHERE id = ANY(%s::bigint[]) ORDER BY id",
                 ([int(i) for i in change_ids],))
    return {row[0]: Change(id=row[0], at=row[1], who=row[2], action=row[3], before=row[4],
                           after=row[5], undone_by=row[6]) for row in rows}


def unit_changes(query: Query, unit_id: int) -> list[Change]:
    """Every change that touched the unit, oldest first."""
    rows = query("SELECT coalesce(array_agg(change_id ORDER BY change_id), '{}') "
                 "FROM history_units WHERE unit_id = %s", (unit_id,))
    return list(changes(query, rows[0][0]).values())


def record(conn: psycopg.Connection, action: str, who: str,
           before: list[dict[str, Any]], after: list[dict[str, Any]]) -> int:
    """Add one change to the history (and its units to the per-unit index); its id."""
    change_id = int(conn.execute(
        "INSERT INTO history(at, who, action, before, after) "
        "VALUES (%s, %s, %s, %s::json, %s::json) RETURNING id",
        (datetime.now(UTC).isoformat(), who, action, dumps(before), dumps(after)),
    ).fetchone()[0])
    conn.execute("INSERT INTO history_units(change_id, unit_id) SELECT %s, * FROM "
                 "unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
                 (change_id, sorted({int(u["id"]) for u in before + after})))
    return change_id


def set_deleted(conn: psycopg.Connection, units: list[StoredUnit], deleted: bool,
                counts: pg_schema.TermCounts) -> int:
    """Mark units deleted (their full-text rows go, their terms are taken from `counts`) or
    bring them back (rebuilt from their variants). The change in the live unit count."""
    if not units:
        return 0
    ids = [unit.id for unit in units]
    conn.execute("UPDATE units SET deleted = %s WHERE id = ANY(%s::bigint[])", (deleted, ids))
    live = -len(ids) if deleted else len(ids)
    if not deleted:
        pg_schema.index_rows(conn, _variants(conn, ids), counts)
    else:
        if counts.phrases.load(conn):  # the kept phrases their rows held (as index_rows found)
            for _, unit_id, _, base, _, positions, runs, ordered in pg_schema.indexed_rows(
                    _variants(conn, ids)):
                counts.phrases.row(base, unit_id, positions, runs, ordered, -1)
        held: set[tuple[int, str]] = set()
        for unit_id, base, nwords, terms in conn.execute(
                "DELETE FROM fulltext WHERE unit_id = ANY(%s::bigint[]) "
                "RETURNING unit_id, base, nwords, tsvector_to_array(tsv)", (ids,)):
            counts.count(base, word_lexemes(terms), nwords, sign=-1,
                         long=long_mark(base) in terms,
                         repeated=pg_schema.repeated_row(held, unit_id, base))
    return live


def _variants(conn: psycopg.Connection, ids: list[int]) -> list[tuple[int, int, str, str, str]]:
    """(variant id, unit id, tag, base, text) of units' variants, as index_rows takes them."""
    return conn.execute("SELECT id, unit_id, lang, base, text FROM variants "
                        "WHERE unit_id = ANY(%s::bigint[]) ORDER BY id", (ids,)).fetchall()


def retire(conn: psycopg.Connection, old: dict[int, StoredUnit], unit_ids: Sequence[int],
           new_keys: list[str], counts: pg_schema.TermCounts) -> int:
    """Mark the live units `unit_ids` (read as `old`) deleted before units with `new_keys`
    take their place; refuse a missing unit or a clash. The change in the live unit count."""
    check_replaceable(unit_ids, old)
    live = set_deleted(conn, list(old.values()), True, counts)
    clash = conn.execute(
        "SELECT 1 FROM units WHERE ukey = ANY(%s::text[]) AND NOT deleted LIMIT 1",
        (new_keys,)).fetchone()
    if clash is not None or len(set(new_keys)) < len(new_keys):
        raise InputError(SAME_TEXTS)
    return live


def undo(conn: psycopg.Connection, change_id: int, who: str,
         counts: pg_schema.TermCounts) -> tuple[Change, int]:
    """Undo one change: its new units are marked deleted and its old ones come back.
    The undo's own change, and the change in the live unit count."""
    query = on(conn)
    found = changes(query, [change_id]).get(change_id)
    after = read_units(query, found.after_ids) if found else {}
    change = check_undoable(change_id, found, after)
    before = read_units(query, change.before_ids)
    live = set_deleted(conn, list(after.values()), True, counts)
    for unit in before.values():
        clash = conn.execute("SELECT id FROM units WHERE ukey = %s AND NOT deleted",
                             (unit.dedup_key(),)).fetchone()
        if clash is not None:
            raise undo_clash(change_id, clash[0], unit.id)
        live += set_deleted(conn, [unit], False, counts)
    undo_id = record(conn, "undo", who, [unit_json(u, u.id) for u in after.values()],
                     [unit_json(u, u.id) for u in before.values()])
    conn.execute("UPDATE history SET undone_by = %s WHERE id = %s", (undo_id, change_id))
    return changes(query, [undo_id])[undo_id], live
