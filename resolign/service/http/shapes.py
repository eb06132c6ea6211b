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
from resolign.service.memory import ImportReport
from resolign.service.search import ConcordanceHit, Match
from resolign.units import Annotations, Unit


class Origin(BaseModel):
    """Where a unit came from: document, document symbol and paragraph label ("12", "¶3")."""

    document: str = ""
    symbol: str = ""
    paragraph: str = ""
    resolution: str = ""
    """Inside a compendium: the symbol of the unit's resolution (1/47-POL), and its title."""
    resolution_title: str = ""


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


class Remark(BaseModel):
    """A prop or note another tool wrote (kind "prop" or "note"), with its attributes."""

    kind: str
    text: str
    attributes: dict[str, str]


class VariantShape(BaseModel):
    """One language version: full tag, text, the segment with inline codes (TMX XML, "" when
    it has none), and other tools' attributes, props and notes at that level."""

    lang: str
    text: str
    markup: str
    attributes: dict[str, str]
    remarks: list[Remark]


class UnitShape(BaseModel):
    """One stored unit in all its languages, with everything it carries."""

    id: int
    unit: dict[str, str]
    origin: Origin
    score: float | None
    created: str | None
    resolution: str = ""
    resolution_title: str = ""
    provenance: dict[str, str] = {}
    variants: list[VariantShape] = []
    attributes: dict[str, str] = {}
    """Other tools' tu-level attributes (tuid, changedate, usagecount...)."""
    remarks: list[Remark] = []


class Matches(BaseModel):
    matches: list[MatchShape]


class Hits(BaseModel):
    hits: list[HitShape]


class Refusal(BaseModel):
    """A part of the file that did not become (part of) a unit: where and why."""

    line: int
    reason: str


class ImportShape(BaseModel):
    """What a TMX import did, all or nothing: what was read and what the memory kept."""

    file: str
    tus: int
    """TUs read."""
    added: int
    duplicates: int
    """Units the memory already held (same texts and inline codes in every language)."""
    merged: int
    """Duplicates whose props and notes were added to the unit already there."""
    skipped: int
    units: int
    """added + duplicates + skipped."""
    one_sided: int
    refused: int
    refusals: list[Refusal]
    summary: str


class AlignShape(BaseModel):
    """What aligning uploaded documents added to the memory."""

    added: int
    duplicates: int
    units: int
    document: str


class Health(BaseModel):
    status: str
    version: str
    units: int
    index: dict[str, Any]
    writes: str


def import_shape(report: ImportReport) -> ImportShape:
    read, added = report.read, report.added
    return ImportShape(
        file=report.name, tus=read.tus, added=added.added, duplicates=added.duplicates,
        merged=added.merged, skipped=added.skipped,
        units=added.added + added.duplicates + added.skipped, one_sided=read.one_sided,
        refused=read.refused,
        refusals=[Refusal(line=r.line, reason=r.reason) for r in read.details],
        summary=report.summary())


def all_languages(texts: dict[str, str]) -> dict[str, str]:
    """The unit's fr, en and ar texts ('' where one is missing), then any other language's."""
    return {**{lang: str(texts.get(lang) or "") for lang in LANGS},
            **{lang: text for lang, text in texts.items() if lang not in LANGS}}


def origin_of(unit: Unit) -> Origin:
    return Origin(document=unit.document or "", symbol=unit.symbol or "",
                  paragraph=str(unit.paragraph or ""), resolution=unit.resolution or "",
                  resolution_title=unit.resolution_title or "")


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


def _remarks(annotations: Annotations) -> list[Remark]:
    return [Remark(kind=e.kind, text=e.text, attributes=dict(e.attributes))
            for e in annotations.entries]


def unit_shape(unit: Unit, unit_id: int) -> UnitShape:
    return UnitShape(
        id=unit_id, unit=all_languages(unit.texts), origin=origin_of(unit),
        score=None if unit.score is None else float(unit.score),
        created=unit.created.isoformat() if unit.created else None,
        resolution=unit.resolution, resolution_title=unit.resolution_title,
        provenance=dict(unit.provenance),
        variants=[VariantShape(lang=v.lang, text=v.text, markup=v.markup,
                               attributes=dict(v.annotations.attributes),
                               remarks=_remarks(v.annotations)) for v in unit.variants],
        attributes=dict(unit.annotations.attributes), remarks=_remarks(unit.annotations))


class ErrorReason(BaseModel):
    """Every refusal's body (one readable string, also for a 422)."""

    detail: str
