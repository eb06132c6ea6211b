"""Per-pair TMX files at stable URLs (`/tmx/fr-en.tmx`), for CAT tools that fetch a file rather
than query a server: an OmegaT team project maps such a URL into its `tm/` folder.

OmegaT's HTTP repository keeps the ETag of each file it fetched and sends it back as
If-None-Match; 304 means "keep your copy" (anything but 200 and 304 fails its sync). The ETag
is the memory's store id and revision (bumped by every committed change) and the pair, so it
changes exactly when the memory does. Weak, because the TMX header's creation date differs
from one download to the next while the units do not.
"""

from __future__ import annotations

from itertools import permutations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from resolign.errors import InvalidParameter, NotFound
from resolign.languages import LANGS, parse_pair
from resolign.service.http.api import MemoryDep
from resolign.service.memory import Memory
from resolign.tmx.writer import iter_tmx_bytes

TMX_TYPE = "application/x-tmx+xml"
router = APIRouter(tags=["CAT tools (TMX files)"])


class TmxFiles(BaseModel):
    """The per-pair files this server offers (relative to /tmx/)."""

    files: list[str]


def etag_of(memory: Memory, pair: tuple[str, str]) -> str:
    return f'W/"{memory.store.store_id}-{memory.revision}-{pair[0]}-{pair[1]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: any listed tag (or *) equal to ours, W/ aside."""
    ours = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == ours:
            return True
    return False


def file_pair(name: str) -> tuple[str, str]:
    """`fr-en.tmx` → ("fr", "en"); NotFound for a name that is not a pair of languages."""
    stem = name.removesuffix(".tmx")
    if stem == name:
        raise NotFound(f"no file {name!r}: files are named like fr-en.tmx")
    try:
        pair = parse_pair(stem, "file name")
    except InvalidParameter as error:
        raise NotFound(f"no file {name!r}: {error}") from None
    assert pair is not None
    return pair


@router.get("/tmx/", response_model=TmxFiles)
async def tmx_files(memory: MemoryDep) -> TmxFiles:
    """The file of every language pair, each language as source."""
    tags = await run_in_threadpool(memory.tags)
    langs = [lang for lang in LANGS if lang in tags]
    return TmxFiles(files=[f"{a}-{b}.tmx" for a, b in permutations(langs, 2)])


@router.get("/tmx/{name}", response_class=StreamingResponse, responses={
    200: {"content": {TMX_TYPE: {}}, "description": "TMX 1.4b of one language pair"},
    304: {"description": "Not modified: the If-None-Match ETag is current"}})
async def tmx_file(request: Request, memory: MemoryDep, name: str) -> Response:
    """Every unit of one pair as TMX 1.4b (the first language is the source), with an ETag."""
    pair = file_pair(name)
    etag = etag_of(memory, pair)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    chunks = iter_tmx_bytes(memory.iter_units(), segtype="paragraph", pair=pair)
    return StreamingResponse(chunks, media_type=TMX_TYPE, headers={
        **headers, "Content-Disposition": f'inline; filename="{pair[0]}-{pair[1]}.tmx"'})
