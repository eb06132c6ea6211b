"""The JSON shapes of the memory's answers, typed: the HTTP API returns them and documents them
in OpenAPI, and the CLI's `--json` prints the very same shapes.

Every unit is shown in the three languages (an empty string where one is missing), with where
it came from; spans are [start, end) code-point offsets into the text as stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from resolign.languages import LANGS
from resolign.service.highlight import word_spans
from resolign.service.search import ConcordanceHit, Match
from resolign.units import Unit


class Origin(BaseModel):
    """Where a unit came from: document, document symbol and paragraph label ("12", "¶3")."""

    document: str = ""
    symbol: str = ""
    paragraph: str = ""


class MatchShape(BaseModel):
    """One earlier wording of the query: its source and target text, score and kind."""

    id: int
    source: str
    target: str
    score: float
    kind: str
    unit: dict[str, str]
    origin: Origin
    highlight: list[list[int]]


class HitShape(BaseModel):
    """One segment containing the searched phrase, with the phrase's spans."""

    id: int
    lang: str
    text: str
    highlight: list[list[int]]
    unit: dict[str, str]
    origin: Origin


class UnitShape(BaseModel):
    """One stored unit in all its languages."""

    id: int
    unit: dict[str, str]
    origin: Origin
    score: float | None
    created: str | None


class Matches(BaseModel):
    matches: list[MatchShape]


class Hits(BaseModel):
    hits: list[HitShape]


class ImportShape(BaseModel):
    """What a TMX import did: units added, already there, without text; all TUs read."""

    added: int
    duplicates: int
    skipped: int
    units: int


class AlignShape(BaseModel):
    """What aligning uploaded documents added to the memory."""

    added: int
    duplicates: int
    units: int
    document: str


class Health(BaseModel):
    status: str
    version: str
    backend: str
    units: int
    index: dict[str, Any]
    writes: str


def all_languages(texts: dict[str, str]) -> dict[str, str]:
    """The unit's fr, en and ar texts, '' where one is missing."""
    return {lang: str(texts.get(lang) or "") for lang in LANGS}


def origin_of(unit: Unit) -> Origin:
    return Origin(document=unit.document or "", symbol=unit.symbol or "",
                  paragraph=str(unit.paragraph or ""))


def match_shape(match: Match, query: str) -> MatchShape:
    return MatchShape(
        id=match.unit_id, source=match.source, target=match.target,
        score=round(float(match.score), 1), kind=match.kind, unit=all_languages(match.unit),
        origin=Origin(**match.origin),
        highlight=[list(span) for span in word_spans(match.source, query)])


def hit_shape(hit: ConcordanceHit) -> HitShape:
    return HitShape(id=hit.unit_id, lang=hit.lang, text=hit.text,
                    highlight=[[int(s), int(e)] for s, e in hit.highlighted],
                    unit=all_languages(hit.unit), origin=Origin(**hit.origin))


def unit_shape(unit: Unit, unit_id: int) -> UnitShape:
    return UnitShape(id=unit_id, unit=all_languages(unit.texts), origin=origin_of(unit),
                     score=None if unit.score is None else float(unit.score),
                     created=unit.created.isoformat() if unit.created else None)


class ErrorReason(BaseModel):
    """Every refusal's body (one readable string, also for a 422)."""

    detail: str
