"""What every response gets, whoever asks: a request id, a Cache-Control on reads, one log line,
CORS for the origins the operator allowed, and the double slash some CAT tools send.

- Request id: the client's `X-Request-ID` when it is a sane token, else a new one; echoed in the
  response, written in the log line, and kept in `request.state.request_id` (write-back records
  it in a unit's provenance), so one look-up can be followed from a CAT tool to the server log.
- Cache-Control: a successful GET that did not set its own gets `public, max-age=READ_MAX_AGE`
  (look-ups are cheap to repeat, and a unit written back shows within that time);
  `/healthz` gets `no-store`.
- Virtaal joins its base URL `.../api/v1/` and `/fr/en/unit` into `/api/v1//fr/en/unit/...`;
  the extra slashes right after a CAT-tool base are dropped before routing.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
READ_MAX_AGE = 60
CAT_BASES = ("/tmserver", "/api/v1")
LOG = logging.getLogger("resolign.http")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_LOGGED_PATH = 200
"""Characters of the path written in the log line (a 500-character query would flood it)."""


def install(app: FastAPI, cors_origins: Sequence[str] = ()) -> None:
    """CORS (only for `cors_origins`; none by default) inside, the conventions outside it."""
    if cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(cors_origins),
            allow_methods=["GET", "HEAD", "POST", "PUT", "OPTIONS"],
            allow_headers=["X-API-Key", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "ETag"], max_age=600)
    app.add_middleware(Conventions)


def request_id(request: Request) -> str:
    """The id of the request being served ("" outside the middleware, e.g. in unit tests)."""
    return getattr(request.state, "request_id", "")


def collapse_base_slashes(path: str) -> str:
    """`/api/v1//fr/en/unit/x` → `/api/v1/fr/en/unit/x`; only the slashes right after a base go,
    so a text that itself starts with `/` (`/unit//help`) is untouched."""
    for base in CAT_BASES:
        if path.startswith(base + "//"):
            return base + "/" + path[len(base):].lstrip("/")
    return path


class Conventions:
    """Pure ASGI middleware (streamed TMX responses pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = collapse_base_slashes(scope["path"])
        if path != scope["path"]:
            raw = scope.get("raw_path") or scope["path"].encode()
            scope = {**scope, "path": path,
                     "raw_path": collapse_base_slashes(raw.decode("latin-1")).encode("latin-1")}
        given = _header(scope, b"x-request-id")
        rid = given if given and _SANE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                cache = _cache_control(scope, status, headers)
                if cache:
                    headers.append((b"cache-control", cache.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            client = scope.get("client") or ("-", 0)
            # as sent (percent-encoded): a decoded newline could forge a log line
            query = scope.get("query_string", b"").decode("latin-1")
            raw = scope.get("raw_path") or scope["path"].encode()
            target = raw.decode("latin-1") + (f"?{query}" if query else "")
            LOG.info('%s "%s %s" %d %.1fms rid=%s', client[0], scope["method"],
                     target[:_LOGGED_PATH], status, 1000 * (time.perf_counter() - started), rid)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return ""


def _cache_control(scope: Scope, status: int, headers: list[Any]) -> str | None:
    """The Cache-Control to add, or None (not a successful read, or the route set its own)."""
    if scope["method"] not in ("GET", "HEAD") or status != 200:
        return None
    if any(key.lower() == b"cache-control" for key, _ in headers):
        return None
    if scope["path"] == "/healthz":
        return "no-store"
    return f"public, max-age={READ_MAX_AGE}"
