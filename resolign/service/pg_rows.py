"""How a unit becomes rows of the PostgreSQL store and back: the write in progress, COPY of new
units with their variants and full-text rows, duplicates folded in, units read in one statement.

Kept apart from store_postgres.py so the store stays its pool, transactions and the `Store`
methods; these are the row-level steps its writes, its reads and its history share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from resolign.service import pg_schema
from resolign.service.store import AddReport, StoredUnit, created_time, dumps
from resolign.units import Annotations, Unit, Variant, absorb_duplicate

Query = Callable[[str, Sequence[Any]], list[tuple]]
"""One statement: (sql, params) -> rows (in autocommit, or inside a write's transaction)."""

UNIT_SELECT = (
    "SELECT u.id, u.document, u.symbol, u.paragraph, u.resolution, u.resolution_title, "
    "u.score, u.created, u.provenance, u.annotations, u.deleted, (SELECT json_agg("
    "json_build_array(v.lang, v.text, v.markup, v.annotations) ORDER BY v.position) "
    "FROM variants AS v WHERE v.unit_id = u.id) FROM units AS u ")


def first_line(error: BaseException) -> str:
    """The first line of a driver error (its detail lines may quote SQL or values)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def on(conn: psycopg.Connection) -> Query:
    """The query function of one connection (inside a write's transaction)."""
    def query(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return conn.execute(sql, params).fetchall()
    return query


@dataclass
class Write:
    """One write transaction in progress: its connection and what it changed so far."""

    conn: psycopg.Connection
    added: list[int] = field(default_factory=list)
    changed: bool = False
    live: int = 0
    """Change in the live unit count."""
    next_unit: int = 0
    next_variant: int = 0
    counts: pg_schema.TermCounts = field(default_factory=pg_schema.TermCounts)
    """Term and language counts, written once before the commit (see TermCounts)."""

    def unit_ids(self, count: int) -> list[int]:
        if not self.next_unit:
            self.next_unit = int(self.conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0])
        ids = list(range(self.next_unit, self.next_unit + count))
        self.next_unit += count
        return ids

    def variant_id(self) -> int:
        if not self.next_variant:
            self.next_variant = int(self.conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM variants").fetchone()[0])
        self.next_variant += 1
        return self.next_variant - 1


def read_units(query: Query, unit_ids: Iterable[int], *,
               include_deleted: bool = True) -> dict[int, StoredUnit]:
    """Units by id in id order, each with its variants, in one statement."""
    ids = list(dict.fromkeys(int(i) for i in unit_ids))
    if not ids:
        return {}
    live = "" if include_deleted else " AND NOT u.deleted"
    rows = query(UNIT_SELECT + f"WHERE u.id = ANY(%s::bigint[]){live} ORDER BY u.id", (ids,))
    return {row[0]: unit_from_row(row) for row in rows}


def add_chunk(write: Write, chunk: list[Unit], import_id: int | None,
              report: AddReport) -> None:
    """Store a batch of units; a duplicate of a live unit, or of one earlier in the batch,
    is folded into it in order, as SQLite does one unit at a time."""
    keys = [unit.dedup_key() for unit in chunk]
    live = {key: unit_id for key, unit_id in write.conn.execute(
        "SELECT ukey, id FROM units WHERE ukey = ANY(%s::text[]) AND NOT deleted",
        (list(set(keys)),))}
    by_id = read_units(on(write.conn), list(live.values()))
    stored = {key: by_id[unit_id] for key, unit_id in live.items()}
    touched: set[str] = set()
    new: dict[str, Unit] = {}
    copied: set[str] = set()
    for unit, key in zip(chunk, keys, strict=True):
        if key in stored:
            report.duplicates += 1
            if absorb_duplicate(stored[key], unit):
                report.merged += 1
                touched.add(key)
        elif key in new:
            report.duplicates += 1
            if key not in copied:  # fold into a copy: the caller's unit stays as given
                new[key] = Unit.from_json(new[key].to_json())
                copied.add(key)
            report.merged += absorb_duplicate(new[key], unit)
        else:
            new[key] = unit
    for key in touched:
        save_annotations(write.conn, stored[key])
    if touched:
        write.changed = True
    write.added.extend(insert(write, list(new.values()), list(new), import_id))


def insert(write: Write, units: list[Unit], keys: list[str],
           import_id: int | None = None, changed: str | None = None) -> list[int]:
    """COPY new units, their variants and full-text rows; their ids, in order."""
    if not units:
        return []
    conn = write.conn
    ids = write.unit_ids(len(units))
    with conn.cursor().copy(
            "COPY units(id, ukey, document, symbol, paragraph, resolution, resolution_title, "
            "score, created, changed, provenance, annotations, import_id) "
            "FROM STDIN") as copy:
        for unit_id, key, unit in zip(ids, keys, units, strict=True):
            copy.write_row((
                unit_id, key, unit.document or "", unit.symbol or "",
                str(unit.paragraph or ""), unit.resolution or "",
                unit.resolution_title or "", unit.score,
                (unit.created or datetime.now(UTC)).isoformat(), changed,
                dumps(unit.provenance), dumps(unit.annotations.to_json()), import_id))
    rows, extra, tags = [], [], {}
    for unit_id, unit in zip(ids, units, strict=True):
        for position, variant in enumerate(unit.variants):
            rows.append((write.variant_id(), unit_id, position, variant.lang,
                         variant.primary, variant.text))
            extra.append((variant.markup, dumps(variant.annotations.to_json())))
            tags[variant.lang] = variant.primary
    pg_schema.write_variants(conn, rows, write.counts, lambda i: extra[i])
    conn.execute("INSERT INTO tags(lang, base) SELECT * FROM unnest(%s::text[], %s::text[]) "
                 "ON CONFLICT DO NOTHING", (list(tags), list(tags.values())))
    write.changed = True
    write.live += len(ids)
    return ids


def save_annotations(conn: psycopg.Connection, unit: StoredUnit) -> None:
    """Write back the props and notes a stored unit (and its variants) now carry."""
    conn.execute("UPDATE units SET annotations = %s::json WHERE id = %s",
                 (dumps(unit.annotations.to_json()), unit.id))
    conn.execute(
        "UPDATE variants AS v SET annotations = n.notes::json FROM unnest("
        "%s::integer[], %s::text[]) AS n(position, notes) "
        "WHERE v.unit_id = %s AND v.position = n.position",
        (list(range(len(unit.variants))),
         [dumps(v.annotations.to_json()) for v in unit.variants], unit.id))


def unit_from_row(row: tuple) -> StoredUnit:
    """A unit from one row of UNIT_SELECT."""
    (unit_id, document, symbol, paragraph, resolution, resolution_title, score, created,
     provenance, annotations, deleted, variants) = row
    when = created_time(created)
    return StoredUnit(
        document=document, symbol=symbol, paragraph=paragraph, resolution=resolution,
        resolution_title=resolution_title, score=score, created=when,
        provenance=provenance, annotations=Annotations.from_json(annotations),
        variants=[Variant(lang, text, markup, Annotations.from_json(notes))
                  for lang, text, markup, notes in variants or []],
        id=unit_id, deleted=bool(deleted))
