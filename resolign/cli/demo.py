"""`resolign demo`: the main job end to end on the bundled UN example.

Aligns the French, English and Arabic example documents (paragraphs rebuilt from plain text),
writes the beads and a TMX, stores the units in a memory, shows one lookup, then serves the
search page on 127.0.0.1 so a translator can try it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from resolign.align.encoders import DEFAULT_ENCODER
from resolign.cli.db_option import add_db_argument
from resolign.errors import ResolignError

if TYPE_CHECKING:
    from resolign.service.locations import Location

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "un"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="align the bundled FR/EN/AR example, build a memory and serve it",
        description="Align resolign's bundled UN example (French, English, Arabic), write "
                    "beads.jsonl, example.tmx and memory.db into --out, then serve the memory.")
    parser.add_argument("--out", type=Path, default=Path("resolign-demo"),
                        help="output folder (default resolign-demo)")
    add_db_argument(parser, required=False,
                    help="memory to build and serve instead of OUT/memory.db: a file or "
                         "postgresql://user[:password]@host[:port]/database")
    parser.add_argument("--port", type=int, default=8000,
                        help="port to serve on (default 8000; with --check, 0 = any free port)")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER,
                        help=f"encoder spec (default {DEFAULT_ENCODER})")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-serve", action="store_true", help="stop after building the memory")
    mode.add_argument("--check", action="store_true",
                      help="start the server, query it once over HTTP, then stop (for CI)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from resolign.align.pipeline import align_files
    from resolign.align.to_units import alignment_units
    from resolign.service.locations import parse_location
    from resolign.service.memory import Memory
    from resolign.tmx.writer import write_tmx

    args.out.mkdir(parents=True, exist_ok=True)
    result = align_files(EXAMPLE / "fr.txt", EXAMPLE / "en.txt", EXAMPLE / "ar.txt",
                         encoder_spec=args.encoder)
    beads = args.out / "beads.jsonl"
    beads.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n"
                             for b in result.beads_json()), encoding="utf-8")
    units = alignment_units([result])
    report = write_tmx(units, args.out / "example.tmx")
    # the memory also keeps each paragraph's aligned sentences, so a translator looking up one
    # sentence of a long paragraph gets a whole-segment match, as CAT tools expect
    units = alignment_units([result], level="both", encoder_spec=args.encoder)
    db = args.db or parse_location(args.out / "memory.db")
    with Memory.open(db, encoder=args.encoder) as memory:
        added = memory.add_units(units)
        query = result.paragraphs["fr"][1].text
        top = memory.search(query, src="fr", tgt="en", limit=1)
    # what a translator would type: a known sentence with one word dropped (a fuzzy match)
    words = query.split()
    probe = " ".join(words[:3] + words[4:])
    print(f"aligned {len(result.paragraphs['fr'])} French paragraphs with English and Arabic: "
          f"{len(result.beads)} beads -> {beads}")
    print(f"TMX: {report.written} translation units -> {args.out / 'example.tmx'}")
    print(f"memory: {added.added} paragraph and sentence units added "
          f"({added.duplicates} already there) -> {db}")
    if top:
        print(f"lookup: {top[0].score:.0f}% {top[0].kind}\n  fr: {query[:90]}…\n"
              f"  en: {top[0].target[:90]}…")
    if args.no_serve:
        return 0
    return _check(db, args.port, probe) if args.check else _serve(db, args.port)


def _serve(db: Location, port: int) -> int:
    from resolign.cli.serve import serve

    print(f"open http://127.0.0.1:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    return serve(db, port=port)


def _check(db: Location, port: int, probe: str) -> int:
    """Serve in a thread, ask /healthz and /api/search over real HTTP, then shut down."""
    import socket

    import httpx
    import uvicorn

    from resolign.service.http.app import create_app

    if port == 0:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]

    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise ResolignError(f"the server did not start on 127.0.0.1:{port}")
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{base}/healthz", timeout=30).json()
        found = httpx.get(f"{base}/api/search", params={"q": probe, "src": "fr", "tgt": "ar"},
                          timeout=60)
        found.raise_for_status()
        matches = found.json()["matches"]
        if not matches:
            raise ResolignError("the served memory found nothing for a known sentence")
        print(f"served {health.get('units')} units on {base}; /api/search found the sentence "
              f"({matches[0]['score']:.0f}% {matches[0]['kind']})")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return 0
