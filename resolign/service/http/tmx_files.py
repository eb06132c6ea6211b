"""Per-pair TMX files at stable URLs (`/tmx/fr-en.tmx`), for CAT tools that fetch a file rather
than query a server: an OmegaT team project maps such a URL into its `tm/` folder.

OmegaT's HTTP repository keeps the ETag of each file it fetched and sends it back as
If-None-Match; 304 means "keep your copy" (anything but 200 and 304 fails its sync). The ETag
is the memory's store id and revision (bumped by every committed change) and the pair, so it
changes exactly when the memory does. Weak, because the TMX header's creation date differs
from one download to the next while the units do not.
"""

from __future__ import annotations

import re
from itertools import permutations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from resolign.errors import InvalidParameter, NotFound
from resolign.languages import LANGS, normalise_tag, parse_pair, primary
from resolign.service.http.api import MemoryDep
from resolign.service.memory import Memory
from resolign.tmx.langs import is_language_tag
from resolign.tmx.writer import iter_tmx_bytes

TMX_TYPE = "application/x-tmx+xml"
router = APIRouter(tags=["CAT tools (TMX files)"])


class TmxFiles(BaseModel):
    """The per-pair files this server offers (relative to /tmx/)."""

    files: list[str]


def etag_of(memory: Memory, name: str) -> str:
    """Changes when the memory changes (store id and revision) and differs from file to file."""
    file = re.sub(r"[^A-Za-z0-9-]", "_", name.removesuffix(".tmx"))
    return f'W/"{memory.store.store_id}-{memory.revision}-{file}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: any listed tag (or *) equal to ours, W/ aside."""
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag == ours for tag in re.findall(r'(?:W/)?("[^"]*")', if_none_match))


def file_pair(name: str) -> tuple[tuple[str, str], dict[str, str]]:
    """`fr-en.tmx` → (("fr", "en"), {}); `fr-FR,en-GB.tmx` → the same pair and the tags to
    write as xml:lang, {"fr": "fr-FR", "en": "en-GB"} (what a CAT project set to fr-FR expects).
    NotFound for a name that is not a pair of languages."""
    stem = name.removesuffix(".tmx")
    if stem == name:
        raise NotFound(f"no file {name!r}: files are named like fr-en.tmx or fr-FR,en-GB.tmx")
    tags = [normalise_tag(t) for t in stem.split(",")] if "," in stem else []
    try:
        pair = parse_pair("-".join(primary(t) for t in tags) if tags else stem, "file name")
        if tags and not all(is_language_tag(t) for t in tags):
            raise InvalidParameter(f"{stem!r} is not two language tags like fr-FR,en-GB")
    except InvalidParameter as error:
        raise NotFound(f"no file {name!r}: {error}") from None
    assert pair is not None
    return pair, {primary(t): t for t in tags if "-" in t}


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
    pair, lang_codes = file_pair(name)
    etag = etag_of(memory, name)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    chunks = iter_tmx_bytes(memory.iter_units(), segtype="paragraph", pair=pair,
                            lang_codes=lang_codes or None)
    return StreamingResponse(chunks, media_type=TMX_TYPE, headers={
        **headers, "Content-Disposition": f'inline; filename="{pair[0]}-{pair[1]}.tmx"'})
