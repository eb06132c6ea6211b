"""Reading units back from the SQLite store's rows: a `units` row and its `variants` rows make
one StoredUnit.

Why apart from store_sqlite.py: the store's reads, its duplicate folding and the review history
(sqlite_history.py, which reads the units a change touched, deleted ones too) all need the same
reader, inside whichever connection they hold.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from resolign.service.store import StoredUnit, created_time
from resolign.units import Annotations, Variant

CHUNK = 500
"""Ids per `IN (...)` list: well under SQLite's limit on bound parameters."""
_UNIT_COLUMNS = ("id, document, symbol, paragraph, resolution, resolution_title, score, created, "
                 "provenance, annotations, deleted")


def read_units(db: sqlite3.Connection, unit_ids: Sequence[int], *,
               include_deleted: bool = True) -> dict[int, StoredUnit]:
    """Units by id, with their variants in order (missing ids, and unless asked deleted units,
    are absent from the result)."""
    found: dict[int, StoredUnit] = {}
    ids = list(dict.fromkeys(int(i) for i in unit_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"SELECT {_UNIT_COLUMNS} FROM units WHERE id IN ({marks})",
                              chunk):
            if include_deleted or not row[-1]:
                found[row[0]] = _unit_from_row(row)
        for unit_id, lang, text, markup, notes in db.execute(
                "SELECT unit_id, lang, text, markup, annotations FROM variants "
                f"WHERE unit_id IN ({marks}) ORDER BY unit_id, position", chunk):
            if unit_id in found:
                found[unit_id].variants.append(Variant(
                    lang, text, markup, Annotations.from_json(json.loads(notes))))
    return found


def _unit_from_row(row: tuple) -> StoredUnit:
    (unit_id, document, symbol, paragraph, resolution, resolution_title, score, created,
     provenance, annotations, deleted) = row
    when = created_time(created)
    return StoredUnit(document=document, symbol=symbol, paragraph=paragraph,
                      resolution=resolution, resolution_title=resolution_title, score=score,
                      created=when, provenance=json.loads(provenance),
                      annotations=Annotations.from_json(json.loads(annotations)),
                      id=unit_id, deleted=bool(deleted))
