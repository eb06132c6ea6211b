"""`resolign paragraphs`: show how a file was read before aligning it.

Prints the rebuilt paragraphs with their kind, number and resolution, the text as it will be
aligned and stored (no markup, OCR misreadings repaired) and what was repaired, so a user can
check a PDF extraction before aligning hundreds of files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from resolign.errors import InputError
from resolign.languages import LANGS


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `paragraphs` command to the `resolign` parser."""
    command = sub.add_parser(
        "paragraphs",
        help="show the paragraphs rebuilt from a file (kind, number, resolution, repairs)",
        description="Rebuild FILE's paragraphs as `align` does and print them: kind, number, "
        "resolution symbol, the text as aligned (markup removed, OCR misreadings repaired) "
        "and each repair.",
    )
    command.add_argument("file", type=Path, metavar="FILE", help=".txt, .md, .docx or .pdf")
    command.add_argument(
        "--lang",
        choices=LANGS,
        help="the document's language (default: recognised from the text)",
    )
    command.add_argument(
        "--presegmented", action="store_true", help="one paragraph per line: do not rebuild"
    )
    command.add_argument("--json", action="store_true", help="print one JSON object")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from resolign.align.ingest import read_text
    from resolign.align.language import detect_language
    from resolign.align.pipeline import read_paragraphs
    from resolign.align.resolutions import document_symbol

    lang = args.lang
    if lang is None:
        lang = detect_language(read_text(args.file))
        if lang is None:
            raise InputError(f"{args.file}: cannot tell its language; give --lang fr, en or ar")
    paragraphs = read_paragraphs(args.file, lang, presegmented=args.presegmented)
    symbol = document_symbol(paragraphs)
    if args.json:
        print(
            json.dumps(
                {
                    "document_symbol": symbol or None,
                    "paragraphs": [
                        {
                            "text": p.match_text,
                            "kind": p.kind,
                            "number": p.number or None,
                            "resolution": p.resolution or None,
                            "repairs": [r.as_json() for r in p.repairs],
                        }
                        for p in paragraphs
                    ],
                },
                ensure_ascii=False,
            )
        )
        return 0
    repaired = sum(len(p.repairs) for p in paragraphs)
    resolutions = len({p.resolution for p in paragraphs if p.resolution})
    print(
        f"{args.file}: {len(paragraphs)} paragraphs ({lang}), document symbol "
        f"{symbol or '(none)'}, {resolutions} resolutions, {repaired} OCR repairs"
    )
    for index, p in enumerate(paragraphs, start=1):
        label = " ".join(x for x in (p.kind, p.number and f"n°{p.number}", p.resolution) if x)
        print(f"\n[{index}] {label}")
        print(p.match_text)
        for r in p.repairs:
            print(f"  repaired: {r.original} -> {r.repaired} ({r.kind})")
    return 0
