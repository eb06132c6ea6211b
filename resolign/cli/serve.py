"""`resolign serve`: the search page and JSON API over an existing memory, via uvicorn."""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from resolign.cli.db_option import add_db_argument
from resolign.errors import InputError
from resolign.service.http.workers import check_port_free
from resolign.service.locations import Location, parse_location

HEAD_LIMIT = 128 * 1024
MAX_WORKERS = 64


def register(sub: argparse._SubParsersAction) -> None:
    """Add `serve` to the `resolign` parser."""
    parser = sub.add_parser(
        "serve", help="serve the search page and JSON API over a memory",
        description="Serve the translation memory over HTTP (search page at /, API docs at "
                    "/docs). Write endpoints need RESOLIGN_API_KEY set; without it they are off.")
    add_db_argument(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--encoder", default=None,
                        help="encoder for semantic search (default: the memory's default)")
    parser.add_argument("--max-upload-mb", type=float, default=50.0,
                        help="largest accepted upload in MB (default 50)")
    parser.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                        help="a web origin allowed to call the API from a browser, e.g. "
                             "https://weblate.example.org (repeat for more; default none)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes answering on the port (default 1). Each opens "
                             "the memory and keeps its own semantic index; with more than one, "
                             "look-ups from many clients use every core")
    parser.add_argument("--log-queries", action="store_true",
                        help="write the text looked up (query strings, CAT-tool unit paths) to "
                             "the access log; by default it is left out: drafts stay "
                             "confidential")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return serve(args.db, host=args.host, port=args.port, encoder=args.encoder,
                 max_upload_mb=args.max_upload_mb, cors_origins=args.cors_origin,
                 log_queries=args.log_queries, workers=args.workers)


def check_origin(origin: str) -> str:
    """A browser origin: scheme://host[:port], nothing after (or * for any)."""
    origin = origin.strip().rstrip("/")
    if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
        raise InputError(f"--cors-origin must look like https://host[:port], not {origin!r}")
    return origin


def serve(db: Path | str | Location, *, host: str = "127.0.0.1", port: int = 8000,
          encoder: str | None = None, max_upload_mb: float = 50.0,
          cors_origins: Sequence[str] = (), log_queries: bool = False, workers: int = 1) -> int:
    """Serve the memory at `db` (a file or a PostgreSQL URL) until interrupted, from
    `workers` processes.

    One process answers with one Python interpreter, about one core, whatever the number of
    clients. With several, each listens on the port itself (workers.py) and builds the app
    from SERVE_ENV (`app_from_environment`). Each is what a replica on another machine is: it
    follows the others' writes through the memory's revision counter. The memory and its
    semantic index are opened once here first, so the workers start from an index on disk
    instead of each embedding what it lacks."""
    # Refuse a missing memory up front: serving a fresh empty one would hide a typo'd path.
    db = parse_location(db)
    if db.path is not None and not db.path.is_file():
        raise InputError(f"memory database not found: {db}")
    if not 0 < port < 65536:
        raise InputError(f"--port must be 1-65535, not {port}")
    if not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"--workers must be 1-{MAX_WORKERS}, not {workers}")
    origins = [check_origin(o) for o in cors_origins]
    check_port_free(host, port)
    import uvicorn

    from resolign.service.http.app import (
        API_KEY_ENV,
        SERVE_ENV,
        AppSettings,
        create_app,
        settle_heap,
    )
    from resolign.service.http.workers import APP_FACTORY, run_workers, spreads_connections

    settings = AppSettings(location=db.url if db.path is None else str(db.path.resolve()),
                           max_upload_bytes=int(max_upload_mb * 1024 * 1024), encoder=encoder,
                           cors_origins=origins, log_queries=log_queries)
    app: Any = create_app(**settings.arguments())
    spread = workers > 1 and spreads_connections()
    if workers > 1:
        # Every worker opens the memory itself; this process only checked and synced it.
        app.state.memory.close()
        os.environ[SERVE_ENV] = settings.to_json()
        app = APP_FACTORY
    else:
        settle_heap()
    if not os.environ.get(API_KEY_ENV):
        print(f"resolign serve: {API_KEY_ENV} is not set, so import and align are disabled",
              file=sys.stderr)
    # A 10,000-character query is up to ~90 kB percent-encoded (Arabic ~60 kB): let it reach the
    # app, which answers with a JSON reason, instead of h11's bare 400 for heads over 16 kB.
    # h11 even where httptools is installed: its URL parser stops at 64 kB (a bare 400 too).
    # The access log is the app's own (one line per request with its request id), so uvicorn's
    # is off and the "resolign" loggers write through uvicorn's handler.
    options: dict[str, Any] = dict(
        log_level="info", server_header=False, proxy_headers=False, http="h11",
        h11_max_incomplete_event_size=HEAD_LIMIT, access_log=False, log_config=_log_config())
    if spread:
        return run_workers(workers, host, port, options)
    uvicorn.run(app, host=host, port=port, workers=workers, factory=workers > 1, **options)
    return 0


def _log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["resolign"] = {"handlers": ["default"], "level": "INFO",
                                     "propagate": False}
    return config
