"""Reviewing a memory: what a correction may contain and which units are a unit's neighbours.

The changes themselves (edit, split, merge, delete, undo) are `Memory` methods, each one
store transaction recorded in the history; this module checks what a reviewer sends before
it gets there, so a bad request is refused with one reason and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from resolign.errors import InputError, InvalidParameter, NotFound
from resolign.languages import normalise_tag
from resolign.service.memory import Memory
from resolign.service.store import Change

DEFAULT_REVIEWER = "api"
"""Who a change is recorded as when the client names no one."""
MAX_REVIEWER = 100
MAX_TEXT = 100_000
"""Characters of one corrected text (a long UN paragraph is ~3,000)."""
_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_NUMBER = re.compile(r"\d+")


def reviewer(who: str | None) -> str:
    """The name a change is recorded under: the client's, trimmed, else DEFAULT_REVIEWER."""
    name = (who or "").strip()
    if not name:
        return DEFAULT_REVIEWER
    if len(name) > MAX_REVIEWER or any(not ch.isprintable() for ch in name):
        raise InvalidParameter(f"who: a name of at most {MAX_REVIEWER} printable characters")
    return name


def corrected_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """Language tag -> new text, checked: tags shaped like BCP 47 (fr, en-GB), texts not
    empty and not over MAX_TEXT characters."""
    if not texts:
        raise InputError("texts: give at least one language and its corrected text")
    checked = {}
    for lang, text in texts.items():
        if not _TAG.match(lang.strip()):
            raise InvalidParameter(f"texts: {lang!r} is not a language tag (fr, en, ar, en-GB)")
        if not text.strip():
            raise InputError(f"texts: the {lang} text cannot be empty (delete the unit instead)")
        if len(text) > MAX_TEXT:
            raise InputError(f"texts: the {lang} text is over {MAX_TEXT} characters")
        checked[normalise_tag(lang)] = text
    return checked


def paragraph_order(paragraph: str, unit_id: int) -> tuple[int, int, int]:
    """Reading order within a document: the paragraph's number ("12", "¶3", a line number),
    unnumbered paragraphs last, then the id (split parts and sentences of one paragraph keep
    their order: their ids are consecutive)."""
    number = _NUMBER.search(paragraph or "")
    return (0, int(number.group()), unit_id) if number else (1, 0, unit_id)


def neighbours(memory: Memory, unit_id: int) -> tuple[int | None, int | None]:
    """The live units before and after `unit_id` in its document (None at either end)."""
    rows = memory.store.document_rows(unit_id)
    ordered = [i for i, _ in sorted(rows, key=lambda row: paragraph_order(row[1], row[0]))]
    if unit_id not in ordered:
        return None, None
    at = ordered.index(unit_id)
    return (ordered[at - 1] if at > 0 else None,
            ordered[at + 1] if at + 1 < len(ordered) else None)


def merge_with(memory: Memory, unit_id: int, other: int | str, who: str) -> int:
    """Merge a unit with a neighbour: `other` is "next", "previous" or a unit id of the same
    document; the texts are joined in reading order. The merged unit's id."""
    if memory.get_unit(unit_id) is None:
        raise NotFound(f"no unit with id {unit_id} (deleted, or never stored)")
    if other in ("next", "previous"):
        before, after = neighbours(memory, unit_id)
        neighbour = after if other == "next" else before
        if neighbour is None:
            raise InputError(f"unit {unit_id} has no {other} unit in its document")
        other = neighbour
    try:
        other_id = int(other)
    except ValueError:
        raise InvalidParameter("with: 'next', 'previous' or a unit id") from None
    if other_id == unit_id:
        raise InputError("a unit cannot be merged with itself")
    held = memory.get_units([unit_id, other_id])
    if other_id not in held:
        raise NotFound(f"no unit with id {other_id} (deleted, or never stored)")
    first, second = held[unit_id], held[other_id]
    if (first.document or "").lower() != (second.document or "").lower():
        raise InputError(f"units {unit_id} and {other_id} are from different documents")
    order = sorted([(first.paragraph, unit_id), (second.paragraph, other_id)],
                   key=lambda row: paragraph_order(row[0], row[1]))
    return memory.merge_units([i for _, i in order], who=who)



def lineage(memory: Memory, unit_id: int, *, limit: int = 200) -> list[Change]:
    """The changes that touched a unit and those that made the units it came from (a split
    part shows the split, and the merge before it), oldest first; at most `limit`. An undo's
    own history is not followed back (the restored unit's history already holds it)."""
    seen: dict[int, Change] = {}
    todo = [unit_id]
    visited: set[int] = set()
    while todo and len(seen) < limit:
        current = todo.pop()
        if current in visited:
            continue
        visited.add(current)
        for change in memory.history(current):
            seen.setdefault(change.id, change)
            if change.action != "undo" and current in change.after_ids:
                todo.extend(change.before_ids)
    return sorted(seen.values(), key=lambda change: change.id)[:limit]
