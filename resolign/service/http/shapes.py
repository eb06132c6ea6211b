"""The JSON shapes of the memory's answers, typed: the HTTP API returns them and documents them
in OpenAPI, and the CLI's `--json` prints the very same shapes.

Every unit is shown in the three languages (an empty string where one is missing), with where
it came from; spans are [start, end) code-point offsets into the text as stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from resolign.languages import LANGS
from resolign.service.concordance import ConcordancePage
from resolign.service.fuzzy import difference_spans
from resolign.service.memory import ImportReport
from resolign.service.search import ConcordanceHit, Lookup, Match
from resolign.units import Annotations, Unit

REVIEW_BELOW = 0.6
"""Units aligned with a score under this are flagged for review (the aligner's blended cosine:
a unit whose languages say different things scores under it)."""


class Origin(BaseModel):
    """Where a unit came from: document, document symbol and paragraph label ("12", "¶3")."""

    document: str = ""
    symbol: str = ""
    paragraph: str = ""
    resolution: str = ""
    """Inside a compendium: the symbol of the unit's resolution (1/47-POL), and its title."""
    resolution_title: str = ""


class DiffShape(BaseModel):
    """One difference from the query: insert | delete | replace | form | placeable, with its
    span in the source (`text`) and in the query (`query`), null on the side without a word."""

    op: str
    text: list[int] | None
    query: list[int] | None


class MatchShape(BaseModel):
    """One earlier wording of the query. `score` is the fuzzy % (edit similarity, 100 = exact);
    `similarity` the semantic one (semantic matches only). `highlight` marks the source words
    that differ from the query; `part` the span of the source the query covers when the query
    is a part of it, `target_part` the matching part of the target. `piece` (null: the whole
    query) is the piece of a several-sentence query this match answers, `coverage` the share
    of the query it answers. `alignment` is the unit's alignment score, `review` true when it
    is low enough to check. `target_highlight` marks the target words that translate the
    source words differing from the query (what to edit in the translation)."""

    id: int
    source: str
    target: str
    score: float
    kind: str
    similarity: float | None = None
    unit: dict[str, str]
    origin: Origin
    highlight: list[list[int]]
    diffs: list[DiffShape] = []
    part: list[int] | None = None
    target_part: list[int] | None = None
    piece: int | None = None
    coverage: float = 1.0
    alignment: float | None = None
    review: bool = False
    target_highlight: list[list[int]] = []


class HitShape(BaseModel):
    """One segment containing the searched phrase, with the phrase's spans; `exact` when it
    holds the phrase as typed (not only another form); `equivalent` the words of the other
    languages that translate the phrase (spans per language) and `group` their text."""

    id: int
    lang: str
    text: str
    highlight: list[list[int]]
    unit: dict[str, str]
    origin: Origin
    exact: bool = False
    alignment: float | None = None
    review: bool = False
    equivalents: dict[str, list[list[int]]] = {}
    group: dict[str, str] = {}


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
    """One stored unit in all its languages, with everything it carries; `review` when its
    alignment score is low."""

    id: int
    unit: dict[str, str]
    origin: Origin
    score: float | None
    created: str | None
    review: bool = False
    resolution: str = ""
    resolution_title: str = ""
    provenance: dict[str, str] = {}
    variants: list[VariantShape] = []
    attributes: dict[str, str] = {}
    """Other tools' tu-level attributes (tuid, changedate, usagecount...)."""
    remarks: list[Remark] = []


class PieceShape(BaseModel):
    """One piece (paragraph or sentence) of the query, where it is, and its own matches."""

    text: str
    start: int
    end: int
    matches: list[MatchShape]


class Matches(BaseModel):
    """Ranked matches; for a query of several pieces, each piece's matches and, when every
    piece has an exact or high fuzzy match, their translations assembled in order."""

    matches: list[MatchShape]
    pieces: list[PieceShape] = []
    assembled: str | None = None


class GroupShape(BaseModel):
    """A distinct translation of the phrase in one language and how many hits use it."""

    lang: str
    text: str
    count: int


class Hits(BaseModel):
    """One page of concordance hits: `total` hits in all, this page from `offset`."""

    total: int
    offset: int
    limit: int
    hits: list[HitShape]
    groups: list[GroupShape] = []


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
    backend: str
    units: int
    index: dict[str, Any]
    writes: str
    process: int
    """The answering server process (`serve --workers` runs several on one port)."""


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


def _span(span: tuple[int, int] | None) -> list[int] | None:
    return None if span is None else [int(span[0]), int(span[1])]


def needs_review(alignment: float | None) -> bool:
    return alignment is not None and alignment < REVIEW_BELOW


def match_shape(match: Match, query: str = "") -> MatchShape:
    """The JSON of a match (`query` is kept for callers of the earlier signature)."""
    del query
    return MatchShape(
        id=match.unit_id, source=match.source, target=match.target,
        score=round(float(match.score), 1), kind=match.kind,
        similarity=None if match.similarity is None else round(float(match.similarity), 1),
        unit=all_languages(match.unit), origin=Origin(**match.origin),
        highlight=[list(span) for span in difference_spans(match.diffs)],
        diffs=[DiffShape(op=d.op, text=_span(d.text), query=_span(d.query))
               for d in match.diffs],
        part=_span(match.part), target_part=_span(match.target_part), piece=match.piece,
        coverage=round(float(match.coverage), 3), alignment=match.alignment,
        review=needs_review(match.alignment),
        target_highlight=[list(span) for span in match.target_edits])


def lookup_shape(found: Lookup) -> Matches:
    return Matches(matches=[match_shape(m) for m in found.matches],
                   pieces=[PieceShape(text=p.text, start=p.start, end=p.end,
                                      matches=[match_shape(m) for m in p.matches])
                           for p in found.pieces],
                   assembled=found.assembled)


def hit_shape(hit: ConcordanceHit) -> HitShape:
    return HitShape(id=hit.unit_id, lang=hit.lang, text=hit.text,
                    highlight=[[int(s), int(e)] for s, e in hit.highlighted],
                    unit=all_languages(hit.unit), origin=Origin(**hit.origin), exact=hit.exact,
                    alignment=hit.score, review=needs_review(hit.score),
                    equivalents={lang: [[int(s), int(e)] for s, e in spans]
                                 for lang, spans in hit.equivalents.items()},
                    group=dict(hit.group))


def hits_shape(page: ConcordancePage, limit: int) -> Hits:
    return Hits(total=page.total, offset=page.offset, limit=limit,
                hits=[hit_shape(h) for h in page.hits],
                groups=[GroupShape(lang=lang, text=text, count=count)
                        for lang, text, count in page.groups])


def _remarks(annotations: Annotations) -> list[Remark]:
    return [Remark(kind=e.kind, text=e.text, attributes=dict(e.attributes))
            for e in annotations.entries]


def unit_shape(unit: Unit, unit_id: int) -> UnitShape:
    return UnitShape(
        id=unit_id, unit=all_languages(unit.texts), origin=origin_of(unit),
        score=None if unit.score is None else float(unit.score),
        created=unit.created.isoformat() if unit.created else None,
        review=needs_review(unit.score),
        resolution=unit.resolution, resolution_title=unit.resolution_title,
        provenance=dict(unit.provenance),
        variants=[VariantShape(lang=v.lang, text=v.text, markup=v.markup,
                               attributes=dict(v.annotations.attributes),
                               remarks=_remarks(v.annotations)) for v in unit.variants],
        attributes=dict(unit.annotations.attributes), remarks=_remarks(unit.annotations))


class ErrorReason(BaseModel):
    """Every refusal's body (one readable string, also for a 422)."""

    detail: str
