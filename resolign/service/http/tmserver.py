"""The amaGama / tmserver API, as CAT tools call it: mounted at /tmserver and at /api/v1.

Clients and what they send (read from their sources):
- Weblate's tmserver machinery: GET `{base}/{src}/{tgt}/unit/{text}`, every part quoted with
  `quote(part, safe="")` (a `/` in the text arrives as `%2F`), the text cut at 500 characters
  with `\\r` made a space, codes lower case with `_` (`fr`, `fr_fr`, `en_gb`). It reads `source`,
  `target` and `int(quality)`, keeps results at or above its threshold, times out after 5 s, and
  takes 401, 403, 429 and 503 as rate limiting for 30 minutes: a read never answers those. It
  asks `{base}/languages/` once and tries `fr_fr` then `fr` against that list.
- Virtaal's amaGama plugin: the same GET from the base `.../api/v1/`, so `/api/v1//fr/en/unit/`
  (conventions.py drops the double slash); `style` in the query; PUT/POST of one unit and POST
  of a store (a JSON list of {source, target, context}) to write translations back.
- amaGama's server: `.../unit/?source=TEXT` too, `min_similarity` (default 70, at least 30),
  `max_candidates` (default 5; here at most 30), `jsoncallback` (JSONP), 404 for a same-language
  pair; answers a JSON list of {source, target, quality, rank} best first.

quality is the edit-distance fuzzy % of search.py (the % /api/search reports), so a CAT tool's
threshold means what its users think. A look-up searches the base language of each code (the
region is the translator's locale); a pair the memory lacks answers 200 `[]` (Weblate checks
its settings with en→de). A written-back unit is stored under the client's codes with its
provenance (client, time, request id), as one change of the history that can be undone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from resolign.errors import InputError, InvalidParameter, NotFound, TooLarge
from resolign.languages import LANGS, lang_rank
from resolign.service.http.api import MemoryDep, require_key
from resolign.service.http.conventions import request_id
from resolign.service.memory import Memory
from resolign.service.store import AddReport
from resolign.units import Unit

DEFAULT_MIN_SIMILARITY = 70
LOWEST_MIN_SIMILARITY = 30
DEFAULT_MAX_CANDIDATES = 5
MOST_CANDIDATES = 30
MAX_STORE_UNITS = 10_000
MAX_UNIT_CHARS = 10_000
_CODE = re.compile(r"^[A-Za-z]{2,8}(?:[-_@][A-Za-z0-9]{1,8})*$")
_CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]{0,99}$")
JSONP_TYPE = "application/javascript; charset=utf-8"

router = APIRouter(tags=["CAT tools (amaGama/tmserver)"])


class Suggestion(BaseModel):
    """One earlier translation, as amaGama answers it."""

    source: str = Field(description="the stored source text")
    target: str = Field(description="its stored translation")
    quality: float = Field(description="edit-distance fuzzy match of the source, 0-100")
    rank: float = Field(description="what the list is ordered by (here the same as quality)")


class Languages(BaseModel):
    """The languages of the memory, in the codes CAT tools send (`fr`, `en_gb`)."""

    sourceLanguages: list[str]  # amaGama's field names
    targetLanguages: list[str]


class UnitIn(BaseModel):
    """A translation written back (amaGama's unit dict; `context` is kept as provenance)."""

    source: str = Field(min_length=1, max_length=MAX_UNIT_CHARS, pattern=r"\S")
    target: str = Field(min_length=1, max_length=MAX_UNIT_CHARS, pattern=r"\S")
    context: str | None = Field(None, max_length=1000)


class WriteReport(BaseModel):
    """What a write-back did: units added, already there, and (for a store) without text."""

    added: int
    duplicates: int
    skipped: int = 0
    units: int
    store: str = ""


# --- languages -------------------------------------------------------------------------------


def base_language(code: str) -> str:
    """`fr_FR`, `fr-fr`, `sr@latin` → `fr`, `sr`."""
    return re.split(r"[-_@]", code.strip(), maxsplit=1)[0].lower()


def lookup_language(code: str, tags: Iterable[str]) -> str | None:
    """The language to search for a CAT tool's code: its base language when the memory holds
    it in any variant, else None. A region is the translator's locale, not a filter: `fr_fr`
    and `fr_ca` both find every French wording (the UN's `fr` and a TMX's `fr-FR` alike)."""
    base = base_language(code)
    return base if any(base_language(t) == base for t in tags) else None


def lookup_pair(memory: Memory, src: str, tgt: str) -> tuple[str, str] | None:
    """(source, target) to search, None when the memory lacks either language (the answer is
    then an empty list, never an error). NotFound for a same-language pair or a code that is
    not a language code at all (as amaGama, which has no table for it)."""
    for code in (src, tgt):
        if not _CODE.match(code.strip()):
            raise NotFound(f"{code!r} is not a language code (use fr, en_gb, ar...)")
    if base_language(src) == base_language(tgt):
        raise NotFound(f"source and target are the same language ({src}, {tgt})")
    tags = memory.tags()
    source, target = lookup_language(src, tags), lookup_language(tgt, tags)
    return (source, target) if source and target else None


def memory_languages(memory: Memory) -> list[str]:
    """The base languages the memory holds, fr, en, ar first (what a look-up searches)."""
    return sorted({base_language(t) for t in memory.tags()}, key=lang_rank)


# --- look-ups ----------------------------------------------------------------------------------


def min_similarity_of(value: int | None) -> int:
    """amaGama's rule: 0 or nothing means the default, never below 30."""
    return min(max(value or DEFAULT_MIN_SIMILARITY, LOWEST_MIN_SIMILARITY), 100)


def max_candidates_of(value: int | None) -> int:
    return min(max(value or DEFAULT_MAX_CANDIDATES, 1), MOST_CANDIDATES)


def suggestions(memory: Memory, text: str, src: str, tgt: str, *, min_similarity: int,
                max_candidates: int) -> list[Suggestion]:
    """Earlier translations of `text`, best first: exact and fuzzy matches only (a CAT tool
    reads quality as an edit-distance %, which a same-meaning match does not have)."""
    pair = lookup_pair(memory, src, tgt)
    if pair is None or not text.strip():
        return []
    matches = memory.search(text, src=pair[0], tgt=pair[1], limit=max_candidates,
                            min_score=min_similarity, semantic=False)
    # a match of one piece of a several-sentence text counts for its share of the text
    ranked = sorted(matches, key=lambda m: -m.quality)
    return [Suggestion(source=m.source, target=m.target, quality=m.quality, rank=m.quality)
            for m in ranked if m.quality >= min_similarity]


def json_answer(payload: Any, callback: str | None) -> Response:
    """JSON, or JSONP when `jsoncallback` names a plain JavaScript function."""
    body = json.dumps(payload, ensure_ascii=False)
    if callback is None or callback == "":
        return Response(body, media_type="application/json")
    if not _CALLBACK.match(callback):
        raise InvalidParameter("jsoncallback must be a JavaScript function name "
                               "(letters, digits, _, $ and dots)")
    # /**/ keeps the body from starting with bytes the client chose (content sniffing)
    return Response(f"/**/{callback}({body});", media_type=JSONP_TYPE,
                    headers={"X-Content-Type-Options": "nosniff"})


LOOKUP_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/javascript": {"schema": {"type": "string"}}},
          "description": "JSON, or JSONP with jsoncallback"},
    404: {"description": "Same source and target language, or not a language code"},
}
Callback = Annotated[str | None, Query(max_length=100, description="JSONP: wrap the answer "
                                                                   "in a call to this function")]


@router.get("/languages/", response_model=Languages, responses=LOOKUP_RESPONSES)
async def tm_languages(memory: MemoryDep, jsoncallback: Callback = None) -> Response:
    """The languages CAT tools can ask for: every one the memory holds, as source and target."""
    codes = await run_in_threadpool(memory_languages, memory)
    return json_answer({"sourceLanguages": codes, "targetLanguages": codes}, jsoncallback)


@router.get("/{src}/{tgt}/unit/{text:path}", response_model=list[Suggestion],
            responses=LOOKUP_RESPONSES)
async def tm_unit(
    memory: MemoryDep,
    src: str,
    tgt: str,
    text: str,
    source: str | None = Query(None, description="the text, when the path ends at unit/"),
    min_similarity: int | None = Query(None, description="lowest quality kept (default 70, "
                                                         "at least 30)"),
    max_candidates: int | None = Query(None, description="most results (default 5, at most "
                                                         "30)"),
    style: str | None = Query(None, max_length=100, description="project style (ignored)"),
    jsoncallback: Callback = None,
) -> Response:
    """Earlier translations of a text, best first; `[]` when none (or the pair is not held)."""
    found = await run_in_threadpool(
        suggestions, memory, text or source or "", src, tgt,
        min_similarity=min_similarity_of(min_similarity),
        max_candidates=max_candidates_of(max_candidates))
    return json_answer([s.model_dump() for s in found], jsoncallback)


# --- write-back --------------------------------------------------------------------------------


async def read_json(request: Request) -> Any:
    """The request body as JSON, read with the server's upload limit (never held past it)."""
    limit = request.app.state.max_upload_bytes
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"body over {limit} bytes")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"the body must be JSON in UTF-8 ({error})") from None


def _checked(adapter: TypeAdapter, data: Any) -> Any:
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidParameter(f"{where or 'body'}: {first.get('msg', 'invalid')}") from None


def write_pair(src: str, tgt: str) -> tuple[str, str]:
    """Language tags to store a written-back unit under: the client's codes, checked."""
    tags = []
    for code in (src, tgt):
        if not _CODE.match(code.strip()) or "@" in code or base_language(code) not in LANGS:
            raise InvalidParameter(f"cannot store language {code!r}: use one of "
                                   + ", ".join(LANGS) + " (or a regional code like fr_FR)")
        tags.append(code.strip().replace("_", "-"))
    if base_language(src) == base_language(tgt):
        raise InvalidParameter(f"source and target are the same language ({src}, {tgt})")
    return tags[0], tags[1]


def client_provenance(request: Request, api: str, **extra: str) -> dict[str, str]:
    """Who wrote a unit back and when: the client (User-Agent), the time, the request id."""
    client = (request.headers.get("user-agent") or "unknown client").strip()[:200]
    provenance = {"origin": "client", "api": api, "client": client,
                  "at": datetime.now(UTC).isoformat(timespec="seconds"),
                  "request_id": request_id(request)}
    provenance.update({key: value for key, value in extra.items() if value})
    return provenance


def written_units(items: list[UnitIn], src: str, tgt: str, provenance: dict[str, str],
                  document: str = "") -> list[Unit]:
    return [Unit(texts={src: item.source, tgt: item.target}, document=document,
                 provenance={**provenance, **({"context": item.context} if item.context else {})})
            for item in items]


def add_written(memory: Memory, units: list[Unit]) -> AddReport:
    """One recorded change of the history, by the client that wrote the units back."""
    if not units:
        return AddReport(added=0, duplicates=0)
    return memory.add_recorded(units, who=units[0].provenance["client"])


UNIT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": UnitIn.model_json_schema()}}}}
STORE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "array", "maxItems": MAX_STORE_UNITS,
                                    "items": UnitIn.model_json_schema()}}}}}


@router.put("/{src}/{tgt}/unit/{text:path}", dependencies=[Depends(require_key)],
            openapi_extra=UNIT_BODY, tags=["write"])
@router.post("/{src}/{tgt}/unit/{text:path}", dependencies=[Depends(require_key)],
             openapi_extra=UNIT_BODY, tags=["write"])
async def tm_write_unit(request: Request, memory: MemoryDep, src: str, tgt: str, text: str,
                        source: str | None = Query(None, max_length=MAX_UNIT_CHARS)
                        ) -> WriteReport:
    """Write a translation back (X-API-Key): body {source, target}; the source defaults to the
    text in the path. PUT (amaGama's add) and POST (its update) do the same: the new
    translation is added beside the earlier ones, which stay in the memory."""
    data = await read_json(request)
    if isinstance(data, dict) and not data.get("source"):
        data = {**data, "source": text or source or ""}
    item: UnitIn = _checked(TypeAdapter(UnitIn), data)
    pair = write_pair(src, tgt)
    units = written_units([item], *pair,
                          client_provenance(request, f"amagama {request.method}"))
    report = await run_in_threadpool(add_written, memory, units)
    return WriteReport(added=report.added, duplicates=report.duplicates, units=1)


@router.post("/{src}/{tgt}/store/{name:path}", dependencies=[Depends(require_key)],
             openapi_extra=STORE_BODY, tags=["write"])
async def tm_add_store(request: Request, memory: MemoryDep, src: str, tgt: str,
                       name: str) -> WriteReport:
    """Write a file's translations back (X-API-Key): body a JSON list of {source, target}, all
    or nothing; `name` (the file) is recorded as each unit's document."""
    data = await read_json(request)
    if not isinstance(data, list):
        raise InvalidParameter("the body must be a JSON list of {source, target} objects")
    if len(data) > MAX_STORE_UNITS:
        raise TooLarge(f"at most {MAX_STORE_UNITS} units per store, not {len(data)}")
    # amaGama keeps translated units only: an entry without a source or target is skipped
    kept = [entry for entry in data
            if not (isinstance(entry, dict) and not (entry.get("source") and entry.get("target")))]
    items: list[UnitIn] = _checked(TypeAdapter(list[UnitIn]), kept)
    pair = write_pair(src, tgt)
    name = name.strip()[:300]
    units = written_units(items, *pair, client_provenance(request, "amagama store", store=name),
                          document=name)
    report = await run_in_threadpool(add_written, memory, units)
    return WriteReport(added=report.added, duplicates=report.duplicates,
                       skipped=len(data) - len(kept), units=len(data), store=name)
