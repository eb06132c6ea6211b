"""The HTTP app: opens the memory for the server's lifetime, mounts the API, the pages, the
static files and offline API docs, and turns every refusal into `{"detail": "one reason"}`.
No endpoint reads a path named by the request.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from resolign import __version__
from resolign.errors import NotFound, ResolignError
from resolign.service.http import api, conventions, mymemory, pages, review, tmserver, tmx_files
from resolign.service.http.shapes import ErrorReason
from resolign.service.locations import Location, parse_location
from resolign.service.memory import Memory

DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024
API_KEY_ENV = api.API_KEY_ENV
SERVE_ENV = "RESOLIGN_SERVE_SETTINGS"
"""The app's settings as JSON, for the worker processes of `resolign serve --workers`."""
_FROM_ENV: Any = object()


@dataclass(frozen=True)
class AppSettings:
    """What `create_app` is given, as a worker process receives it (SERVE_ENV)."""

    location: str
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    encoder: str | None = None
    cors_origins: Sequence[str] = ()
    log_queries: bool = False

    def arguments(self) -> dict[str, Any]:
        return {**asdict(self), "cors_origins": list(self.cors_origins)}

    def to_json(self) -> str:
        return json.dumps(self.arguments())


def app_from_environment() -> FastAPI:
    """The app of one worker process: the settings `resolign serve` left in SERVE_ENV."""
    app = create_app(**AppSettings(**json.loads(os.environ[SERVE_ENV])).arguments())
    settle_heap()
    return app


def settle_heap() -> None:
    """Put what a serving process built before its first request (modules, the app, the open
    memory) out of the garbage collector's reach, as it lives as long as the process. Each
    full collection walked those 80,000 objects (43 ms with a 1M-unit memory open), a pause
    for every request in flight; they are frozen, not freed (gc.freeze)."""
    gc.collect()
    gc.freeze()


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorReason, "description": text} for code, text in (
        (400, "Unusable input"), (401, "Missing or wrong X-API-Key"),
        (403, "Write endpoints disabled"), (404, "Not found"), (413, "Too large"),
        (415, "Not multipart/form-data"), (422, "Invalid parameter"),
        (503, "Encoder unavailable"))}
"""Documented on every route: FastAPI's default 422 schema (a list) is not what we send."""


def create_app(
    location: str | Path | Location,
    *,
    api_key: str | None = _FROM_ENV,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
    encoder: str | None = None,
    cors_origins: Sequence[str] = (),
    log_queries: bool = False,
) -> FastAPI:
    """Build the app over an existing memory.

    `api_key` defaults to $RESOLIGN_API_KEY; with no key (None or empty) the write endpoints
    answer 403, so a server is never writable by accident. `encoder` None means the default
    encoder, "none" no semantic search. `cors_origins`: web origins allowed to call the API from
    a browser (none by default). `log_queries`: the access log keeps the text looked up
    (left out by default: drafts are confidential).
    """
    location = parse_location(location)
    if location.path is not None and not location.path.is_file():
        raise NotFound(f"memory database not found: {location}")
    if api_key is _FROM_ENV:
        api_key = os.environ.get(API_KEY_ENV)
    # Opening syncs the semantic index (embedding any units it lacks): done once, up front.
    memory = Memory.open(location, create=False,
                         **({"encoder": encoder} if encoder else {}))
    if memory.index is not None:
        memory.index.follow()  # other servers' and processes' writes, within seconds

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        memory.close()

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
    app.state.memory = memory
    app.state.api_key = (api_key or "").encode("utf-8") or None
    app.state.max_upload_bytes = max_upload_bytes
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    _install_api_docs(app)
    _install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(review.router)
    for base in conventions.CAT_BASES:  # amaGama's two homes: tmserver and its public /api/v1
        app.include_router(tmserver.router, prefix=base)
    app.include_router(mymemory.router)
    app.include_router(tmx_files.router)
    app.include_router(pages.router)
    conventions.install(app, cors_origins, log_queries=log_queries)
    return app


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


def _install_error_handlers(app: FastAPI) -> None:
    """Every refusal is JSON `{"detail": "one readable reason"}`."""

    @app.exception_handler(ResolignError)
    async def resolign_error(_: Request, error: ResolignError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=error.http_status)

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
