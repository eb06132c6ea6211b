"""The review API (X-API-Key): correct a unit's text in any language, split it, merge it with
its neighbour, delete it, undo any change, and read a unit's history.

Every change is one store transaction recorded with who, when, the units before and after;
a change only marks units deleted and adds new ones, so nothing a review does is lost: a
deleted or replaced unit stays in the history and `undo` brings it back. `who` names the
reviewer (any printable name; "api" when none is given).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from resolign.errors import NotFound
from resolign.service.http.api import MemoryDep, UnitId, require_key
from resolign.service.http.shapes import Origin, all_languages, needs_review, origin_of
from resolign.service.memory import Memory
from resolign.service.review import (
    MAX_REVIEWER,
    corrected_texts,
    lineage,
    merge_with,
    neighbours,
    reviewer,
)
from resolign.service.store import Change
from resolign.units import Unit

ChangeId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="change id (history)")]
Who = Annotated[str | None, Query(max_length=MAX_REVIEWER,
                                  description="who makes the change (default: api)")]
MAX_PARTS = 50


class ChangedUnit(BaseModel):
    """A unit as it was before or after a change: its id, texts, origin, alignment score."""

    id: int
    unit: dict[str, str]
    origin: Origin
    score: float | None
    review: bool = False


class ChangeShape(BaseModel):
    """One entry of the history: `action` is add, edit, split, merge, delete or undo;
    `before` the units it took out, `after` those it put in; `undone_by` the undo's id."""

    id: int
    at: str
    who: str
    action: str
    before: list[ChangedUnit]
    after: list[ChangedUnit]
    undone_by: int | None = None


class History(BaseModel):
    """Every change that touched a unit or made the units it came from, oldest first; `live`
    whether it is in the memory now, `previous`/`next` its live neighbours in its document
    (what a merge would join)."""

    id: int
    live: bool
    previous: int | None = None
    next: int | None = None
    changes: list[ChangeShape]


class Review(BaseModel):
    """What a review change did: the change as recorded and the live units it left
    (the corrected unit, the parts of a split, the merged unit, the restored units)."""

    change: ChangeShape
    ids: list[int]


class Edit(BaseModel):
    texts: dict[str, str] = Field(
        description="language tag -> corrected text; languages not named are kept",
        examples=[{"en": "The General Assembly decides..."}])


class Split(BaseModel):
    parts: list[dict[str, str]] = Field(
        min_length=2, max_length=MAX_PARTS,
        description="the new units, in order, each language tag -> text (other fields kept)",
        examples=[[{"fr": "Première partie.", "en": "First part."},
                   {"fr": "Seconde partie.", "en": "Second part."}]])


class Merge(BaseModel):
    neighbour: int | Literal["next", "previous"] = Field(
        "next", description="'next', 'previous' (in the document's reading order) or a unit "
                            "id of the same document")


router = APIRouter(tags=["review"], dependencies=[Depends(require_key)])


def changed_unit(data: dict) -> ChangedUnit:
    unit = Unit.from_json(data)
    return ChangedUnit(id=int(data["id"]), unit=all_languages(unit.texts),
                       origin=origin_of(unit), score=unit.score,
                       review=needs_review(unit.score))


def change_shape(change: Change) -> ChangeShape:
    return ChangeShape(id=change.id, at=change.at, who=change.who, action=change.action,
                       before=[changed_unit(u) for u in change.before],
                       after=[changed_unit(u) for u in change.after],
                       undone_by=change.undone_by)


def _recorded(memory: Memory, unit_id: int, action: str, ids: list[int]) -> Review:
    """The change just made: the latest of `unit_id`'s history with this action and result."""
    change = next(c for c in reversed(memory.history(unit_id))
                  if c.action == action and c.after_ids == ids)
    return Review(change=change_shape(change), ids=ids)


@router.patch("/api/units/{unit_id}")
async def edit_unit(memory: MemoryDep, unit_id: UnitId, body: Edit, who: Who = None) -> Review:
    """Correct the text of one or more languages (a new language is added); the corrected
    unit gets a new id, the old one stays in the history."""
    texts, name = corrected_texts(body.texts), reviewer(who)
    new_id = await run_in_threadpool(memory.edit_unit, unit_id, texts, who=name)
    return _recorded(memory, new_id, "edit", [new_id])


@router.post("/api/units/{unit_id}/split")
async def split_unit(memory: MemoryDep, unit_id: UnitId, body: Split, who: Who = None) -> Review:
    """Several units in place of one (e.g. two paragraphs aligned as one), in order."""
    parts, name = [corrected_texts(part) for part in body.parts], reviewer(who)
    new_ids = await run_in_threadpool(memory.split_unit, unit_id, parts, who=name)
    return _recorded(memory, new_ids[0], "split", new_ids)


@router.post("/api/units/{unit_id}/merge")
async def merge_unit(memory: MemoryDep, unit_id: UnitId, body: Merge, who: Who = None) -> Review:
    """One unit in place of this one and its neighbour (e.g. a paragraph aligned in two
    pieces): each language's texts joined in reading order."""
    new_id = await run_in_threadpool(merge_with, memory, unit_id, body.neighbour, reviewer(who))
    return _recorded(memory, new_id, "merge", [new_id])


@router.delete("/api/units/{unit_id}")
async def delete_unit(memory: MemoryDep, unit_id: UnitId, who: Who = None) -> Review:
    """Take a unit out of the memory: it stays in the history and `undo` brings it back."""
    name = reviewer(who)
    await run_in_threadpool(memory.delete_unit, unit_id, who=name)
    return _recorded(memory, unit_id, "delete", [])


@router.post("/api/changes/{change_id}/undo")
async def undo_change(memory: MemoryDep, change_id: ChangeId, who: Who = None) -> Review:
    """Undo one change of the history (the undo is itself a change, which can be undone):
    the units it put in leave the memory and those it took out come back."""
    change = await run_in_threadpool(memory.undo, change_id, who=reviewer(who))
    return Review(change=change_shape(change), ids=change.after_ids)


@router.get("/api/units/{unit_id}/history")
async def unit_history(memory: MemoryDep, unit_id: UnitId, response: Response) -> History:
    """Every change that touched the unit or made the units it came from, oldest first (also
    for a deleted or replaced unit: its history says where its text went and which change to
    undo)."""
    response.headers["Cache-Control"] = "no-store"  # changes any time; behind the key
    changes = await run_in_threadpool(lineage, memory, unit_id)
    live = await run_in_threadpool(memory.get_unit, unit_id) is not None
    if not changes and not live:
        raise NotFound(f"no unit with id {unit_id}")
    before, after = (await run_in_threadpool(neighbours, memory, unit_id)) if live else (
        None, None)
    return History(id=unit_id, live=live, previous=before, next=after,
                   changes=[change_shape(c) for c in changes])
