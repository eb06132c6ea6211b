"""Review history of the SQLite store: marking units deleted or live again, recording a change
(who, what, the units before and after), reading changes back, and undoing one.

Why apart from store_sqlite.py: corrections, splits, merges, deletes and undo share these rows
(the `history` and `history_units` tables) and rules; the store only opens the transaction they
run in. Write functions take the write connection inside that transaction.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from resolign.service import sqlite_schema as schema
from resolign.service.sqlite_rows import read_units
from resolign.service.store import (
    Change,
    StoredUnit,
    check_undoable,
    dumps,
    undo_clash,
    unit_json,
)


def set_deleted(db: sqlite3.Connection, units: list[StoredUnit], deleted: bool,
                fts: set[str]) -> None:
    """Mark units deleted (their full-text rows go) or bring them back (rows return)."""
    for unit in units:
        db.execute("UPDATE units SET deleted = ? WHERE id = ?", (int(deleted), unit.id))
        rows = db.execute("SELECT id, base, text FROM variants WHERE unit_id = ?",
                          (unit.id,)).fetchall()
        for variant_id, base, text in rows:
            schema.index_variant(db, variant_id, base, text, fts, remove=deleted)


def record(db: sqlite3.Connection, action: str, who: str, before: list[dict[str, Any]],
           after: list[dict[str, Any]]) -> int:
    """Store one change and the units it touched; its id."""
    change_id = int(db.execute(
        "INSERT INTO history(at, who, action, before, after) VALUES (?, ?, ?, ?, ?)",
        (datetime.now(UTC).isoformat(), who, action, dumps(before), dumps(after))).lastrowid)
    for unit_id in {int(u["id"]) for u in before + after}:
        db.execute("INSERT OR IGNORE INTO history_units(change_id, unit_id) "
                   "VALUES (?, ?)", (change_id, unit_id))
    return change_id


def undo(db: sqlite3.Connection, change_id: int, who: str, fts: set[str]) -> Change:
    """Undo one change: its new units are marked deleted and its old ones come back."""
    found = read_change(db, change_id)
    after = read_units(db, found.after_ids) if found else {}
    change = check_undoable(change_id, found, after)
    before = read_units(db, change.before_ids)
    set_deleted(db, list(after.values()), True, fts)
    for unit in before.values():
        clash = db.execute("SELECT id FROM units WHERE ukey = ? AND deleted = 0",
                           (unit.dedup_key(),)).fetchone()
        if clash is not None:
            raise undo_clash(change_id, clash[0], unit.id)
        set_deleted(db, [unit], False, fts)
    undo_id = record(db, "undo", who, [unit_json(u, u.id) for u in after.values()],
                     [unit_json(u, u.id) for u in before.values()])
    db.execute("UPDATE history SET undone_by = ? WHERE id = ?", (undo_id, change_id))
    done = read_change(db, undo_id)
    assert done is not None
    return done


def read_change(db: sqlite3.Connection, change_id: int) -> Change | None:
    row = db.execute("SELECT id, at, who, action, before, after, undone_by FROM history "
                     "WHERE id = ?", (change_id,)).fetchone()
    if row is None:
        return None
    return Change(id=row[0], at=row[1], who=row[2], action=row[3],
                  before=json.loads(row[4]), after=json.loads(row[5]), undone_by=row[6])


def unit_history(db: sqlite3.Connection, unit_id: int) -> list[Change]:
    """Every change that touched the unit, oldest first."""
    ids = [row[0] for row in db.execute(
        "SELECT change_id FROM history_units WHERE unit_id = ? ORDER BY change_id",
        (unit_id,))]
    return [c for c in (read_change(db, i) for i in ids) if c is not None]


def document_rows(db: sqlite3.Connection, unit_id: int, *, limit: int) -> list[tuple[int, str]]:
    """(id, paragraph) of the live units stored with `unit_id`'s document name, in id
    order (the document index; at most `limit`). A unit with no document name (a TMX
    import, where the file's order is the id order): the live units of the same import
    and no document within `limit` ids either side (a primary-key range, never a scan)."""
    row = db.execute("SELECT document, import_id FROM units WHERE id = ?",
                     (unit_id,)).fetchone()
    if row is None:
        return []
    document, import_id = row
    if document:
        sql = ("SELECT id, paragraph FROM units WHERE document = ? COLLATE NOCASE "
               "AND deleted = 0 ORDER BY id LIMIT ?")
        return [(int(i), p) for i, p in db.execute(sql, (document, limit))]
    sql = ("SELECT id, paragraph FROM units WHERE id BETWEEN ? AND ? AND document = '' "
           "AND import_id IS ? AND deleted = 0 ORDER BY id")
    return [(int(i), p) for i, p in db.execute(
        sql, (unit_id - limit, unit_id + limit, import_id))]
