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
from resolign.service.locations import Location, parse_location

HEAD_LIMIT = 128 * 1024


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
    parser.add_argument("--log-queries", action="store_true",
                        help="write the text looked up (query strings, CAT-tool unit paths) to "
                             "the access log; by default it is left out: drafts stay "
                             "confidential")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return serve(args.db, host=args.host, port=args.port, encoder=args.encoder,
                 max_upload_mb=args.max_upload_mb, cors_origins=args.cors_origin,
                 log_queries=args.log_queries)


def check_origin(origin: str) -> str:
    """A browser origin: scheme://host[:port], nothing after (or * for any)."""
    origin = origin.strip().rstrip("/")
    if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
        raise InputError(f"--cors-origin must look like https://host[:port], not {origin!r}")
    return origin


def serve(db: Path | str | Location, *, host: str = "127.0.0.1", port: int = 8000,
          encoder: str | None = None, max_upload_mb: float = 50.0,
          cors_origins: Sequence[str] = (), log_queries: bool = False) -> int:
    """Serve the memory at `db` (a file or a PostgreSQL URL) until interrupted."""
    # Refuse a missing memory up front: serving a fresh empty one would hide a typo'd path.
    db = parse_location(db)
    if db.path is not None and not db.path.is_file():
        raise InputError(f"memory database not found: {db}")
    if not 0 < port < 65536:
        raise InputError(f"--port must be 1-65535, not {port}")
    origins = [check_origin(o) for o in cors_origins]
    import uvicorn

    from resolign.service.http.app import API_KEY_ENV, create_app

    app = create_app(db, max_upload_bytes=int(max_upload_mb * 1024 * 1024), encoder=encoder,
                     cors_origins=origins, log_queries=log_queries)
    if not os.environ.get(API_KEY_ENV):
        print(f"resolign serve: {API_KEY_ENV} is not set, so import and align are disabled",
              file=sys.stderr)
    # A 10,000-character query is up to ~90 kB percent-encoded (Arabic ~60 kB): let it reach the
    # app, which answers with a JSON reason, instead of h11's bare 400 for heads over 16 kB.
    # The access log is the app's own (one line per request with its request id), so uvicorn's
    # is off and the "resolign" loggers write through uvicorn's handler.
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False,
                proxy_headers=False, h11_max_incomplete_event_size=HEAD_LIMIT,
                access_log=False, log_config=_log_config())
    return 0


def _log_config() -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["resolign"] = {"handlers": ["default"], "level": "INFO",
                                     "propagate": False}
    return config
