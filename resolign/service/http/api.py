"""The JSON API: look-ups are open; the two write endpoints (TMX import, document alignment)
need the API key from RESOLIGN_API_KEY and are disabled when none is configured.

Each route checks its HTTP parameters, asks the app's `Memory` and answers a shape from
shapes.py; refusals are ResolignErrors, which app.py turns into `{"detail": reason}`.
"""

from __future__ import annotations

import hmac
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from resolign import __version__
from resolign.align.encoders import DEFAULT_ENCODER
from resolign.errors import InputError, NotFound
from resolign.languages import LANGS, parse_pair
from resolign.service.backends import backend_of
from resolign.service.http.shapes import (
    AlignShape,
    Health,
    Hits,
    ImportShape,
    Matches,
    UnitShape,
    hits_shape,
    import_shape,
    lookup_shape,
    unit_shape,
)
from resolign.service.http.uploads import (
    CLOSE,
    display_name,
    file_part,
    form_flag,
    form_text,
    named_copy,
    receive_form,
)
from resolign.service.memory import Memory
from resolign.tmx.writer import iter_tmx_bytes

API_KEY_ENV = "RESOLIGN_API_KEY"

UnitId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="unit id")]
"""SQLite's integer range: a larger id is a 422, not an overflow deep in the store."""


def memory_of(request: Request) -> Memory:
    return request.app.state.memory


MemoryDep = Annotated[Memory, Depends(memory_of)]


def require_key(request: Request) -> None:
    """Write endpoints: 403 when no key is configured, 401 without the right X-API-Key."""
    key: bytes | None = request.app.state.api_key
    if key is None:
        raise HTTPException(403, "write endpoints are disabled: no API key is configured "
                                 f"(set {API_KEY_ENV} before starting the server)", CLOSE)
    given = request.headers.get("x-api-key")
    if not given:
        raise HTTPException(401, "missing X-API-Key header", CLOSE)
    # Header values arrive latin-1 decoded: back to the raw bytes, compared in constant time.
    if not hmac.compare_digest(given.encode("latin-1"), key):
        raise HTTPException(401, "wrong API key", CLOSE)


router = APIRouter()


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@router.get("/api/search", tags=["memory"])
async def api_search(
    memory: MemoryDep,
    q: str = Query(..., description="text to look up"),
    src: str = Query("fr", description="language of q: fr, en, ar or a tag the memory holds"),
    tgt: str = Query("en", description="language of the wanted wording"),
    limit: int = Query(10, ge=1, le=100),
    min_score: float = Query(50.0, ge=0, le=100,
                             description="lowest % kept: fuzzy % for exact and fuzzy matches, "
                                         "similarity for semantic ones"),
    document: str | None = Query(None, max_length=300),
    symbol: str | None = Query(None, max_length=300),
    resolution: str | None = Query(None, max_length=300,
                                   description="only units of this resolution, e.g. 1/47-POL"),
    semantic: bool = Query(True, description="also look for same-meaning wordings"),
) -> Matches:
    """Best earlier wordings of `q`: exact, fuzzy (by %), then semantic matches (by
    similarity); a query of several paragraphs or sentences is also looked up piece by piece."""
    found = await run_in_threadpool(
        memory.lookup, q, src=src, tgt=tgt, limit=limit, min_score=min_score,
        document=_optional(document), symbol=_optional(symbol),
        resolution=_optional(resolution), semantic=semantic)
    return lookup_shape(found)


@router.get("/api/concordance", tags=["memory"])
async def api_concordance(
    memory: MemoryDep,
    q: str = Query(..., description="word or phrase to find, in any of its forms"),
    lang: str = Query("fr",
                      description="language to search: fr, en, ar or a tag the memory holds"),
    limit: int = Query(20, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000, description="hits to skip (paging)"),
    document: str | None = Query(None, max_length=300),
    symbol: str | None = Query(None, max_length=300),
    resolution: str | None = Query(None, max_length=300,
                                   description="only units of this resolution, e.g. 1/47-POL"),
) -> Hits:
    """Every unit whose `lang` text contains the words of `q` as a phrase (in any form:
    plural, ligature, Arabic proclitics), exact phrase first; `total` counts them all,
    `limit` hits from `offset` are returned, with the translations of the phrase marked."""
    page = await run_in_threadpool(memory.concordance, q, lang=lang, limit=limit,
                                   offset=offset, document=_optional(document),
                                   symbol=_optional(symbol), resolution=_optional(resolution))
    return hits_shape(page, limit)


@router.get("/api/units/{unit_id}", tags=["memory"])
async def api_unit(memory: MemoryDep, unit_id: UnitId) -> UnitShape:
    """One stored unit in all its languages, with where it came from."""
    unit = await run_in_threadpool(memory.get_unit, unit_id)
    if unit is None:
        raise NotFound(f"no unit with id {unit_id}")
    return unit_shape(unit, unit.id)


@router.get("/api/export.tmx", tags=["memory"], response_class=StreamingResponse,
            responses={200: {"content": {"application/x-tmx+xml": {}}}})
async def api_export(
    memory: MemoryDep,
    segtype: str = Query("paragraph", description="TMX segtype: sentence, paragraph, ..."),
    pair: str | None = Query(None, description="two languages, e.g. fr-en; default all"),
    min_score: float | None = Query(None, ge=0, le=1,
                                    description="leave out units whose alignment score "
                                                "(cosine, 0-1) is below this"),
    two_sided_only: bool = Query(False, description="leave out single-language units"),
) -> StreamingResponse:
    """The whole memory as TMX 1.4b, streamed in chunks (never built whole in memory)."""
    # Options are checked here, before the first byte; a bad one is a 4xx, not a cut stream.
    langs = parse_pair(pair, "pair", memory.tags())
    chunks = iter_tmx_bytes(memory.iter_units(), segtype=segtype, pair=langs,
                            min_score=min_score, one_sided=langs is None and not two_sided_only,
                            headers=memory.import_header_annotations())
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(memory.location).stem) or "memory"
    return StreamingResponse(
        chunks, media_type="application/x-tmx+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}.tmx"'})


def _form_doc(fields: dict[str, tuple[str, str]], required: list[str]) -> dict[str, Any]:
    """OpenAPI description of a multipart body we parse ourselves (so /docs shows the form)."""
    props = {name: {"type": "string", "description": desc, **(
        {"format": "binary"} if fmt == "binary" else {})} for name, (fmt, desc) in fields.items()}
    schema = {"type": "object", "properties": props, "required": required}
    return {"requestBody": {"required": True,
                            "content": {"multipart/form-data": {"schema": schema}}}}


@router.post("/api/import", tags=["write"], dependencies=[Depends(require_key)],
             openapi_extra=_form_doc({"file": ("binary", "TMX file")}, ["file"]))
async def api_import(request: Request, memory: MemoryDep) -> ImportShape:
    """Add the units of an uploaded TMX file to the memory, all or nothing (X-API-Key)."""
    with tempfile.TemporaryDirectory(prefix="resolign-upload-") as tmp:
        parts = await receive_form(request, request.app.state.max_upload_bytes, Path(tmp))
        part = file_part(parts, "file")
        assert part is not None and part.path is not None
        # Streamed straight into one transaction: a TMX broken halfway adds nothing.
        report = await run_in_threadpool(memory.import_tmx, part.path,
                                         name=display_name(part.filename) or "upload.tmx")
    return import_shape(report)


@router.post("/api/align", tags=["write"], dependencies=[Depends(require_key)],
             openapi_extra=_form_doc({
                 "fr": ("binary", "French document (the pivot)"),
                 "en": ("binary", "English document (en and/or ar)"),
                 "ar": ("binary", "Arabic document (optional)"),
                 "document": ("string", "document name to record (default: the FR file name)"),
                 "symbol": ("string", "document symbol, e.g. A/RES/69/1"),
                 "presegmented": ("string", "'true' when files hold one paragraph per line"),
             }, ["fr"]))
async def api_align(request: Request, memory: MemoryDep) -> AlignShape:
    """Align uploaded FR/EN[/AR] documents and add the units to the memory (X-API-Key)."""
    with tempfile.TemporaryDirectory(prefix="resolign-upload-") as tmp:
        parts = await receive_form(request, request.app.state.max_upload_bytes, Path(tmp))
        files = {lang: file_part(parts, lang, required=lang == "fr") for lang in LANGS}
        if files["en"] is None and files["ar"] is None:
            raise InputError("send the French document and at least one of 'en' or 'ar'")
        paths = {lang: named_copy(p, lang) for lang, p in files.items() if p is not None}
        from resolign.align.pipeline import align_files  # heavy: only for a valid request
        from resolign.align.to_units import alignment_units

        # the memory's own encoder, so its vectors and the alignment's come from one model
        # each part's language is the form field it came in (checked against its text)
        result = await run_in_threadpool(
            align_files, *paths.values(), langs=list(paths),
            presegmented=form_flag(parts, "presegmented"),
            encoder_spec=memory.encoder or DEFAULT_ENCODER)
        document = form_text(parts, "document") or display_name(files["fr"].filename)
        units = alignment_units([result], document=document,
                                symbol=form_text(parts, "symbol") or None)
    report = await run_in_threadpool(memory.add_units, units)
    return AlignShape(added=report.added, duplicates=report.duplicates, units=len(units),
                      document=document)


@router.get("/healthz", tags=["service"])
async def healthz(request: Request, memory: MemoryDep) -> Health:
    """Liveness plus what a monitor wants to see: the backend (sqlite or postgresql), unit
    count, the search index state (`lag`: units not yet searchable by meaning here) and the
    answering process's id."""
    count = await run_in_threadpool(memory.count)
    return Health(status="ok", version=__version__, backend=backend_of(memory.store),
                  units=count, index=memory.index_state(),
                  writes="enabled" if request.app.state.api_key else "disabled",
                  process=os.getpid())
