"""A MyMemory-shaped look-up, `GET /get?q=...&langpair=fr|en`, for scripts and plugins written
against MyMemory's API (Weblate's MyMemory machinery reads `matches[].translation`, `segment`,
`match` (0-1, as int(100 * match)), `last-updated-by` and `reference`; others read
`responseData.translatedText`).

`match` is the fuzzy % of search.py divided by 100, the same measure amaGama's `quality` gives;
`quality` is that % too. A pair the memory does not hold answers 200 with no matches.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from resolign.errors import InvalidParameter, NotFound
from resolign.service.http.api import MemoryDep
from resolign.service.http.tmserver import base_language, lookup_pair
from resolign.service.memory import Memory
from resolign.service.search import Match

MIN_MATCH = 50.0
"""Lowest fuzzy % returned (MyMemory itself returns weak matches; below half they mislead)."""
MAX_MATCHES = 10

router = APIRouter(tags=["CAT tools (MyMemory)"])


class ResponseData(BaseModel):
    translatedText: str = Field(description="the best match's translation, '' for none")
    match: float = Field(description="its match, 0-1")


class MyMemoryMatch(BaseModel):
    """One earlier translation, with MyMemory's field names."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    segment: str = Field(description="the stored source text")
    translation: str
    source: str = Field(description="source language, as asked")
    target: str = Field(description="target language, as asked")
    quality: int = Field(description="fuzzy match % of the source")
    reference: str | None = Field(description="the document the wording comes from")
    usage_count: int = Field(0, alias="usage-count")
    subject: str = "All"
    created_by: str = Field(alias="created-by")
    last_updated_by: str = Field(alias="last-updated-by")
    create_date: str = Field(alias="create-date")
    last_update_date: str = Field(alias="last-update-date")
    match: float = Field(description="fuzzy match of the source, 0-1")


class MyMemoryAnswer(BaseModel):
    responseData: ResponseData  # MyMemory's field names
    quotaFinished: bool = False
    mtLangSupported: None = None
    responseDetails: str = ""
    responseStatus: int = 200
    responderId: None = None
    exception_code: None = None
    matches: list[MyMemoryMatch]


def split_langpair(langpair: str) -> tuple[str, str]:
    parts = langpair.split("|")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise InvalidParameter(f"langpair must be two languages like fr|en, not {langpair!r}")
    return parts[0].strip(), parts[1].strip()


def _date(value: str | datetime | None) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def mymemory_answer(memory: Memory, q: str, langpair: str) -> MyMemoryAnswer:
    src, tgt = split_langpair(langpair)
    if base_language(src) == base_language(tgt):
        raise InvalidParameter(f"langpair needs two different languages, not {langpair!r}")
    try:
        pair = lookup_pair(memory, src, tgt)
    except NotFound as error:  # a code that is no language code: a bad parameter here
        raise InvalidParameter(str(error)) from None
    matches: list[Match] = []
    if pair is not None and q.strip():
        matches = memory.search(q, src=pair[0], tgt=pair[1], limit=MAX_MATCHES,
                                min_score=MIN_MATCH, semantic=False)
    # a match of one piece of a several-sentence text counts for its share of the text
    matches = sorted((m for m in matches if m.quality >= MIN_MATCH), key=lambda m: -m.quality)
    units = memory.get_units([m.unit_id for m in matches])
    shaped = []
    for m in matches:
        unit = units.get(m.unit_id)
        provenance = dict(unit.provenance) if unit is not None else {}
        created = unit.created if unit is not None else None
        creator = provenance.get("client") or provenance.get("origin") or "resolign"
        shaped.append(MyMemoryMatch(
            id=str(m.unit_id), segment=m.source, translation=m.target, source=src, target=tgt,
            quality=round(m.quality), reference=m.origin.get("symbol") or m.origin.get("document")
            or None, created_by=creator,
            last_updated_by=provenance.get("changed_by") or creator,
            create_date=_date(created),
            last_update_date=_date(provenance.get("changed") or created),
            match=round(m.quality / 100, 3)))
    best = shaped[0] if shaped else None
    return MyMemoryAnswer(
        responseData=ResponseData(translatedText=best.translation if best else "",
                                  match=best.match if best else 0.0),
        matches=shaped)


@router.get("/get", response_model=MyMemoryAnswer, response_model_by_alias=True)
async def mymemory_get(
    memory: MemoryDep,
    q: str = Query(..., description="the text to look up"),
    langpair: str = Query(..., max_length=100, description="source|target: fr|en, fr-FR|en-GB"),
    de: str | None = Query(None, max_length=300, description="MyMemory's e-mail (ignored)"),
    key: str | None = Query(None, max_length=300, description="MyMemory's key (ignored)"),
) -> MyMemoryAnswer:
    """Earlier translations of `q`, best first, in MyMemory's answer shape."""
    return await run_in_threadpool(mymemory_answer, memory, q, langpair)
