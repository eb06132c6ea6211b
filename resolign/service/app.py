"""The HTTP face of the translation memory: a JSON API and a translator's search page.

Reads are open; the two write endpoints (TMX import, document alignment) need the API key
from RESOLIGN_API_KEY and are disabled when none is configured. Uploads are streamed to temp
files this module creates, counted as they arrive and refused past the size limit, so a huge
or endless body is never held whole. No endpoint reads a path named by the request.
"""

from __future__ import annotations

import hmac
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from html import escape
from pathlib import Path
from string import Template
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from resolign import LANGS, __version__
from resolign.errors import InputError, ModelUnavailable, ResolignError, TmxError
from resolign.service.normalise import tokens
from resolign.service.search import concordance, search
from resolign.service.store import MemoryStore
from resolign.tmx.reader import iter_tmx_units
from resolign.tmx.writer import iter_tmx_bytes

STATIC = Path(__file__).resolve().parent / "static"
MAX_QUERY_BYTES = 10_000
DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024
MAX_FIELD_BYTES = 4_096
MAX_PARTS = 8
API_KEY_ENV = "RESOLIGN_API_KEY"
NO_MATCH = ("No earlier wording found. For a word or phrase inside longer passages, "
            "tick Concordance.")
NO_HIT = "No passage contains these words in this language."
LANG_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}
DOC_SUFFIXES = {".txt", ".docx", ".pdf", ".html", ".htm", ".xml", ".tmx"}
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

UnitId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="unit id")]
"""SQLite's integer range: a larger id is a 422, not an overflow deep in the store."""


class ErrorReason(BaseModel):
    """Every refusal's body (our handlers send one readable string, also for a 422)."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorReason, "description": text} for code, text in (
        (400, "Unusable input"), (401, "Missing or wrong X-API-Key"),
        (403, "Write endpoints disabled"), (404, "Not found"), (413, "Too large"),
        (415, "Not multipart/form-data"), (422, "Invalid parameter"),
        (503, "Encoder unavailable"))}
"""Documented on every route: FastAPI's default 422 schema (a list) is not what we send."""

CLOSE = {"Connection": "close"}
"""On refusing an upload: the server closes instead of draining the unread body for keep-alive."""
_FROM_ENV: Any = object()


def _index_state(store: Any) -> dict[str, Any]:
    """What the semantic index is doing, for /healthz (the store may run without one)."""
    semantic = getattr(store, "semantic", None)
    if semantic is None:
        return {"semantic": "off"}
    if semantic.unavailable:
        return {"semantic": "unavailable", "reason": semantic.unavailable}
    return {"semantic": "ready", "kind": semantic.kind(), "vectors": semantic.size,
            "encoder": semantic.encoder_spec}


# ---------------------------------------------------------------------------------------------
# Input checks shared by the API and the page


def _check_query(q: str) -> str:
    if len(q.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
        raise HTTPException(413, f"query too long: at most {MAX_QUERY_BYTES} bytes")
    q = q.strip()
    if not q:
        raise HTTPException(422, "empty query: give some text in q")
    return q


def _check_lang(value: str, name: str) -> str:
    lang = value.strip().lower()
    if lang not in LANGS:
        raise HTTPException(422, f"unknown language {value!r} for {name}: use one of "
                                 + ", ".join(LANGS))
    return lang


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# ---------------------------------------------------------------------------------------------
# Highlighting: the query's words in a text, as (start, end) code-point spans


def word_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where the query's words (2+ letters, or numbers) occur in `text`, folded as search folds."""
    wanted = {t.norm for t in tokens(query) if len(t.norm) > 1 or t.norm.isdigit()}
    spans: list[tuple[int, int]] = []
    for t in tokens(text) if wanted else []:
        if t.norm not in wanted:
            continue
        if spans and _joinable(text[spans[-1][1]:t.start]):
            spans[-1] = (spans[-1][0], t.end)  # one mark per run of matched words, easier to read
        else:
            spans.append((t.start, t.end))
    return spans


def _joinable(gap: str) -> bool:
    return len(gap) <= 3 and not any(c.isalnum() for c in gap)


def marked(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> str:
    """HTML for `text` with the spans wrapped in <mark>; everything escaped."""
    out, pos = [], 0
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# JSON shapes


def _texts(unit: Any) -> dict[str, str]:
    """The unit's three texts from a dict or a Unit/StoredUnit, '' where missing."""
    texts = unit.get("texts", unit) if isinstance(unit, dict) else getattr(unit, "texts", {})
    return {lang: str(texts.get(lang) or "") for lang in LANGS}


def _origin(unit: Any, origin: Any = None) -> dict[str, str]:
    source = origin if origin is not None else unit
    get = source.get if isinstance(source, dict) else partial(getattr, source)
    return {key: str(get(key, "") or "") for key in ("document", "symbol", "paragraph")}


def _match_json(match: Any, query: str) -> dict[str, Any]:
    return {
        "id": match.unit_id,
        "source": match.source,
        "target": match.target,
        "score": round(float(match.score), 1),
        "kind": match.kind,
        "unit": _texts(match.unit),
        "origin": _origin(match.unit, match.origin),
        "highlight": [list(s) for s in word_spans(match.source, query)],
    }


def _hit_json(hit: Any) -> dict[str, Any]:
    return {
        "id": hit.unit_id,
        "lang": hit.lang,
        "text": hit.text,
        "highlight": [[int(s), int(e)] for s, e in hit.highlighted],
        "unit": _texts(hit.unit),
        "origin": _origin(hit.unit, hit.origin),
    }


def _unit_json(unit: Any) -> dict[str, Any]:
    score = getattr(unit, "score", None)
    created = getattr(unit, "created", None)
    return {
        "id": unit.id,
        "unit": _texts(unit),
        "origin": _origin(unit),
        "score": None if score is None else float(score),
        "created": created.isoformat() if hasattr(created, "isoformat") else created,
    }


# ---------------------------------------------------------------------------------------------
# Uploads: multipart parsed as it streams in, file parts written to our own temp files


@dataclass
class _Part:
    name: str
    filename: str | None
    path: Path | None = None
    data: bytearray = field(default_factory=bytearray)
    size: int = 0

    def text(self) -> str:
        return self.data.decode("utf-8", "replace").strip()


class _TooLarge(Exception):
    pass


class _FormReceiver:
    """python-multipart callbacks that put each file part in `workdir` and keep small fields."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.parts: dict[str, _Part] = {}
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._part: _Part | None = None
        self._file: Any = None

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done, "on_part_data": self._data,
            "on_part_end": self._end_part, "on_end": self._end,
        }

    def _begin(self) -> None:
        self._headers, self._field, self._value = {}, b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise InputError("a multipart part has no field name")
        if name in self.parts:
            raise InputError(f"field {name!r} was sent twice")
        if len(self.parts) >= MAX_PARTS:
            raise InputError(f"too many form fields (at most {MAX_PARTS})")
        raw_filename = options.get(b"filename")
        filename = None if raw_filename is None else raw_filename.decode("utf-8", "replace")
        part = _Part(name=name, filename=filename)
        if filename is not None:
            part.path = self.workdir / f"upload-{len(self.parts)}"
            self._file = open(part.path, "wb")  # noqa: SIM115 - closed in _end_part
        self.parts[name] = self._part = part

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None:
            return
        part.size += end - start
        if self._file is not None:
            self._file.write(data[start:end])
        else:
            if part.size > MAX_FIELD_BYTES:
                raise InputError(f"form field {part.name!r} is too long")
            part.data += data[start:end]

    def _end_part(self) -> None:
        self.close()
        self._part = None

    def _end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def receive_form(request: Request, limit: int, workdir: Path) -> dict[str, _Part]:
    """Stream a multipart body into `workdir`, refusing it (413) as soon as it passes `limit`."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise HTTPException(415, "send the upload as multipart/form-data")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPException(400, "bad Content-Length header")
        if int(declared) > limit:
            raise HTTPException(413, f"upload too large: at most {limit} bytes", CLOSE)
    receiver = _FormReceiver(workdir)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _TooLarge
            parser.write(chunk)
        parser.finalize()
    except _TooLarge:
        raise HTTPException(413, f"upload too large: at most {limit} bytes", CLOSE) from None
    except ResolignError:
        raise
    except Exception as error:  # python-multipart raises its own parse errors
        raise InputError(f"malformed multipart body: {error}") from error
    finally:
        receiver.close()
    if not receiver.ended:
        raise InputError("malformed multipart body: it ended before the closing boundary")
    return receiver.parts


def _file_part(parts: dict[str, _Part], name: str, *, required: bool = True) -> _Part | None:
    part = parts.get(name)
    if part is None or part.path is None:
        if required:
            raise InputError(f"missing file field {name!r}")
        return None
    if part.size == 0:
        raise InputError(f"uploaded file {name!r} is empty")
    return part


def _display_name(filename: str | None) -> str:
    """The upload's base name only, for labelling units; never used as a path."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:200]


def _named_copy(part: _Part, lang: str) -> Path:
    """Give an upload a fixed name with its (allow-listed) extension, for format detection."""
    assert part.path is not None
    suffix = Path(_display_name(part.filename)).suffix.lower()
    if suffix not in DOC_SUFFIXES:
        suffix = ".txt"
    target = part.path.with_name(f"{lang}{suffix}")
    part.path.rename(target)
    part.path = target
    return target


def _form_flag(parts: dict[str, _Part], name: str) -> bool:
    part = parts.get(name)
    return part is not None and part.path is None and part.text().lower() in {
        "1", "true", "yes", "on"}


def _form_text(parts: dict[str, _Part], name: str) -> str:
    part = parts.get(name)
    return part.text() if part is not None and part.path is None else ""


# ---------------------------------------------------------------------------------------------
# Pages


def _page(template: str, code: int = 200, **values: str) -> HTMLResponse:
    html = Template((STATIC / template).read_text(encoding="utf-8")).substitute(values)
    return HTMLResponse(html, status_code=code, headers=PAGE_HEADERS)


def _options(selected: str) -> str:
    return "".join(
        f'<option value="{lang}"{" selected" if lang == selected else ""}>'
        f"{lang.upper()} — {escape(LANG_NAMES[lang])}</option>" for lang in LANGS
    )


def _cells(texts: dict[str, str], spans: dict[str, list[Any]], roles: dict[str, str]) -> str:
    cells = []
    for lang in LANGS:
        direction = "rtl" if lang == "ar" else "ltr"
        role = roles.get(lang, "")
        body = marked(texts[lang], spans.get(lang, [])) or '<span class="missing">—</span>'
        cells.append(f'<div class="cell {role}" lang="{lang}" dir="{direction}">{body}</div>')
    return "".join(cells)


def _origin_html(origin: dict[str, str], unit_id: int) -> str:
    bits = [escape(origin[k]) for k in ("symbol", "document") if origin.get(k)]
    if origin.get("paragraph"):
        label = str(origin["paragraph"])  # "12" (numbered) or "¶3" (position) from align
        bits.append(escape(label if label.startswith("¶") else f"¶ {label}"))
    label = " · ".join(bits) or f"unit {unit_id}"
    return f'<a class="origin" href="/units/{int(unit_id)}">{label}</a>'


def _match_html(match: dict[str, Any], src: str, tgt: str) -> str:
    score = match["score"]
    meta = (f'<span class="score">{score:.0f}%</span>'
            f'<span class="kind kind-{escape(match["kind"])}">{escape(match["kind"])}</span>'
            + _origin_html(match["origin"], match["id"]))
    cells = _cells(match["unit"], {src: match["highlight"]}, {src: "src", tgt: "tgt"})
    return (f'<article class="match" data-id="{int(match["id"])}">'
            f'<div class="meta">{meta}</div><div class="cells">{cells}</div></article>')


def _hit_html(hit: dict[str, Any]) -> str:
    meta = '<span class="kind kind-concordance">concordance</span>' + _origin_html(
        hit["origin"], hit["id"])
    cells = _cells(hit["unit"], {hit["lang"]: hit["highlight"]}, {hit["lang"]: "src"})
    return (f'<article class="match" data-id="{int(hit["id"])}">'
            f'<div class="meta">{meta}</div><div class="cells">{cells}</div></article>')


# ---------------------------------------------------------------------------------------------
# The app


def _install_api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the swagger-ui-bundle package, so it works with no network."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png")


def create_app(
    db_path: str | Path,
    *,
    api_key: str | None = _FROM_ENV,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
    encoder_spec: str | None = None,
) -> FastAPI:
    """Build the app over an existing memory database.

    `api_key` defaults to $RESOLIGN_API_KEY; with no key (None or empty) the write endpoints
    answer 403, so a server is never writable by accident.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise InputError(f"memory database not found: {db_path}")
    if api_key is _FROM_ENV:
        api_key = os.environ.get(API_KEY_ENV)
    key = (api_key or "").encode("utf-8") or None
    # Opening syncs the semantic index (embedding any units it lacks): done once, up front.
    store = MemoryStore(db_path, create=False,
                        **({"encoder_spec": encoder_spec} if encoder_spec else {}))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="resolign translation memory",
        version=__version__,
        description="Look up how a passage of an OIC/UN resolution was worded before, "
                    "in French, English and Arabic.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # served below from local files: FastAPI's default page needs a CDN
        redoc_url=None,
    )
    app.state.store = store
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_api_docs(app)
    _install_error_handlers(app)

    def require_key(request: Request) -> None:
        if key is None:
            raise HTTPException(403, "write endpoints are disabled: no API key is configured "
                                     f"(set {API_KEY_ENV} before starting the server)", CLOSE)
        given = request.headers.get("x-api-key")
        if not given:
            raise HTTPException(401, "missing X-API-Key header", CLOSE)
        # Header values arrive latin-1 decoded: back to the raw bytes, compared in constant time.
        if not hmac.compare_digest(given.encode("latin-1"), key):
            raise HTTPException(401, "wrong API key", CLOSE)

    async def run_search(q: str, src: str, tgt: str, limit: int, min_score: float,
                         document: str | None, symbol: str | None,
                         semantic: bool) -> list[dict[str, Any]]:
        q = _check_query(q)
        src, tgt = _check_lang(src, "src"), _check_lang(tgt, "tgt")
        if src == tgt:
            raise HTTPException(422, "src and tgt must be different languages")
        matches = await run_in_threadpool(search, store, q, src=src, tgt=tgt, limit=limit,
                                   min_score=min_score, document=_optional(document),
                                   symbol=_optional(symbol), semantic=semantic)
        return [_match_json(m, q) for m in matches]

    async def run_concordance(q: str, lang: str, limit: int, document: str | None,
                              symbol: str | None) -> list[dict[str, Any]]:
        q = _check_query(q)
        lang = _check_lang(lang, "lang")
        hits = await run_in_threadpool(concordance, store, q, lang=lang, limit=limit,
                                document=_optional(document), symbol=_optional(symbol))
        return [_hit_json(h) for h in hits]

    # -- JSON API ------------------------------------------------------------------------------

    @app.get("/api/search", tags=["memory"])
    async def api_search(
        q: str = Query(..., description="text to look up"),
        src: str = Query("fr", description="language of q: fr, en or ar"),
        tgt: str = Query("en", description="language of the wanted wording"),
        limit: int = Query(10, ge=1, le=100),
        min_score: float = Query(50.0, ge=0, le=100, description="lowest match % kept"),
        document: str | None = Query(None, max_length=300),
        symbol: str | None = Query(None, max_length=300),
        semantic: bool = Query(True, description="also look for same-meaning wordings"),
    ) -> dict[str, Any]:
        """Best earlier wordings of `q`: exact, fuzzy, then semantic matches, best first."""
        return {"matches": await run_search(q, src, tgt, limit, min_score, document, symbol,
                                            semantic)}

    @app.get("/api/concordance", tags=["memory"])
    async def api_concordance(
        q: str = Query(..., description="word or phrase to find"),
        lang: str = Query("fr", description="language to search: fr, en or ar"),
        limit: int = Query(20, ge=1, le=200),
        document: str | None = Query(None, max_length=300),
        symbol: str | None = Query(None, max_length=300),
    ) -> dict[str, Any]:
        """Every unit whose `lang` text contains the words of `q`, with highlight spans."""
        return {"hits": await run_concordance(q, lang, limit, document, symbol)}

    @app.get("/api/units/{unit_id}", tags=["memory"])
    async def api_unit(unit_id: UnitId) -> dict[str, Any]:
        """One stored unit in all its languages, with where it came from."""
        unit = await run_in_threadpool(store.get_unit, unit_id)
        if unit is None:
            raise HTTPException(404, f"no unit with id {unit_id}")
        return _unit_json(unit)

    @app.get("/api/export.tmx", tags=["memory"], response_class=StreamingResponse,
             responses={200: {"content": {"application/x-tmx+xml": {}}}})
    async def api_export(
        segtype: str = Query("paragraph", description="TMX segtype: sentence, paragraph, ..."),
        pair: str | None = Query(None, description="two languages, e.g. fr-en; default all"),
        min_score: float | None = Query(None, ge=0, le=1,
                                        description="leave out units whose alignment score "
                                                    "(cosine, 0-1) is below this"),
    ) -> StreamingResponse:
        """The whole memory as TMX 1.4b, streamed in chunks (never built whole in memory)."""
        langs: tuple[str, str] | None = None
        if pair:
            codes = [_check_lang(p, "pair") for p in pair.split("-")]
            if len(codes) != 2 or codes[0] == codes[1]:
                raise HTTPException(422, "pair must be two different languages, e.g. fr-en")
            langs = (codes[0], codes[1])
        # Options are checked here, before the first byte; a bad one is a 400, not a cut stream.
        chunks = iter_tmx_bytes(store.iter_units(), segtype=segtype, pair=langs,
                                min_score=min_score)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", db_path.stem) or "memory"
        return StreamingResponse(
            chunks, media_type="application/x-tmx+xml",
            headers={"Content-Disposition": f'attachment; filename="{name}.tmx"'})

    @app.post("/api/import", tags=["write"], openapi_extra=_form_doc(
        {"file": ("binary", "TMX file")}, ["file"]))
    async def api_import(request: Request) -> dict[str, Any]:
        """Add the units of an uploaded TMX file to the memory, all or nothing (X-API-Key)."""
        require_key(request)
        with tempfile.TemporaryDirectory(prefix="resolign-upload-") as tmp:
            parts = await receive_form(request, max_upload_bytes, Path(tmp))
            part = _file_part(parts, "file")
            assert part is not None and part.path is not None
            # Streamed straight into one transaction: a TMX broken halfway adds nothing.
            report = await run_in_threadpool(store.add_units, iter_tmx_units(part.path))
        total = report.added + report.duplicates + report.skipped
        if total == 0:
            raise TmxError("the TMX file holds no translation units")
        return {"added": report.added, "duplicates": report.duplicates,
                "skipped": report.skipped, "units": total}

    @app.post("/api/align", tags=["write"], openapi_extra=_form_doc({
        "fr": ("binary", "French document (the pivot)"),
        "en": ("binary", "English document (en and/or ar)"),
        "ar": ("binary", "Arabic document (optional)"),
        "document": ("string", "document name to record (default: the FR file name)"),
        "symbol": ("string", "document symbol, e.g. A/RES/69/1"),
        "presegmented": ("string", "'true' when files hold one aligned sentence per line"),
    }, ["fr"]))
    async def api_align(request: Request) -> dict[str, Any]:
        """Align uploaded FR/EN[/AR] documents and add the units to the memory (X-API-Key)."""
        require_key(request)
        with tempfile.TemporaryDirectory(prefix="resolign-upload-") as tmp:
            parts = await receive_form(request, max_upload_bytes, Path(tmp))
            files = {lang: _file_part(parts, lang, required=lang == "fr") for lang in LANGS}
            if files["en"] is None and files["ar"] is None:
                raise InputError("send the French document and at least one of 'en' or 'ar'")
            paths = {lang: _named_copy(p, lang) for lang, p in files.items() if p is not None}
            from resolign.align.pipeline import align_files  # heavy: only for a valid request
            from resolign.align.to_units import alignment_units

            spec = getattr(store, "encoder_spec", None) or encoder_spec
            kwargs: dict[str, Any] = {"presegmented": _form_flag(parts, "presegmented")}
            if spec:
                kwargs["encoder_spec"] = spec
            result = await run_in_threadpool(align_files, paths["fr"], paths.get("en"),
                                             paths.get("ar"), **kwargs)
            document = _form_text(parts, "document") or _display_name(files["fr"].filename)
            units = alignment_units([result], document=document,
                                    symbol=_form_text(parts, "symbol") or None)
        report = await run_in_threadpool(store.add_units, units)
        return {"added": report.added, "duplicates": report.duplicates, "units": len(units),
                "document": document}

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Liveness plus what a monitor wants to see: unit count and the search index state."""
        count = await run_in_threadpool(store.count)
        return {"status": "ok", "version": __version__, "units": count,
                "index": _index_state(store), "writes": "enabled" if key else "disabled"}

    # -- Pages ---------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        """The search page; with ?q= the results are rendered here, so it works without JS."""
        params = request.query_params
        q = params.get("q", "")
        src = params.get("src", "fr") if params.get("src") in LANGS else "fr"
        tgt = params.get("tgt", "en") if params.get("tgt") in LANGS else "en"
        concordance_mode = params.get("mode") == "concordance"
        status, results, code = "", "", 200
        if q.strip():
            try:
                if concordance_mode:
                    hits = await run_concordance(q, src, 50, None, None)
                    results = "".join(_hit_html(h) for h in hits)
                    status = _count(len(hits), "concordance hit", "concordance hits") if hits \
                        else NO_HIT
                else:
                    matches = await run_search(q, src, tgt, 10, 50.0, None, None, True)
                    results = "".join(_match_html(m, src, tgt) for m in matches)
                    status = _count(len(matches), "match", "matches") if matches else NO_MATCH
            except HTTPException as error:
                status, code = str(error.detail), error.status_code
            except ResolignError as error:
                status, code = str(error), _error_status(error)
        return _page("index.html", code, q=escape(q, quote=True),
                     src_options=_options(src), tgt_options=_options(tgt),
                     concordance_checked=" checked" if concordance_mode else "",
                     status=escape(status), results=results, version=escape(__version__))

    @app.get("/units/{unit_id}", response_class=HTMLResponse, include_in_schema=False)
    async def unit_page(unit_id: UnitId) -> HTMLResponse:
        """One unit, printable, with its origin: the target of every result's source link."""
        unit = await run_in_threadpool(store.get_unit, unit_id)
        if unit is None:
            return _page("unit.html", 404, title="Unit not found", cells="",
                         details=f"<p>No unit with id {int(unit_id)}.</p>",
                         version=escape(__version__))
        data = _unit_json(unit)
        origin = data["origin"]
        rows = "".join(f"<dt>{label}</dt><dd>{escape(origin[k]) or '—'}</dd>" for k, label in
                       (("symbol", "Symbol"), ("document", "Document"),
                        ("paragraph", "Paragraph")))
        details = (f'<dl class="details">{rows}</dl><p><a href="/api/units/{int(unit_id)}">'
                   f"JSON</a></p>")
        return _page("unit.html", title=f"Unit {int(unit_id)}", details=details,
                     cells=_cells(data["unit"], {}, {}), version=escape(__version__))

    return app


def _form_doc(fields: dict[str, tuple[str, str]], required: list[str]) -> dict[str, Any]:
    """OpenAPI description of a multipart body we parse ourselves (so /docs shows the form)."""
    props = {name: {"type": "string", "description": desc, **(
        {"format": "binary"} if fmt == "binary" else {})} for name, (fmt, desc) in fields.items()}
    schema = {"type": "object", "properties": props, "required": required}
    return {"requestBody": {"required": True,
                            "content": {"multipart/form-data": {"schema": schema}}}}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _error_status(error: ResolignError) -> int:
    return 503 if isinstance(error, ModelUnavailable) else 400


def _install_error_handlers(app: FastAPI) -> None:
    """Every refusal is JSON `{"detail": "one readable reason"}`."""

    @app.exception_handler(ResolignError)
    async def resolign_error(_: Request, error: ResolignError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=_error_status(error))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        # Logged with its traceback by the server; the client gets JSON, never a stack.
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        reasons = []
        for item in error.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "path"))
            reasons.append(f"{where}: {item.get('msg', 'invalid')}" if where else
                           str(item.get("msg", "invalid")))
        return JSONResponse({"detail": "; ".join(reasons) or "invalid request"},
                            status_code=422)
