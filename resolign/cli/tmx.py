"""`resolign tmx-check`: validate a TMX file before handing it to a CAT tool or importing it.

(`import` and `export` are memory commands, in memory.py; `align --tmx` is in align.py.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from resolign.tmx.check import inspect_tmx


def register(sub: argparse._SubParsersAction) -> None:
    """Add the TMX commands to the `resolign` parser."""
    check = sub.add_parser(
        "tmx-check",
        help="check a TMX file against the TMX 1.4b rules",
        description="Report every TMX 1.4b problem as FILE:LINE: message (exit 1 if any).",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the .tmx file to check")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Print each problem as FILE:LINE: message; 0 with a one-line summary when there is none."""
    result = inspect_tmx(args.file)
    for warning in result.warnings:  # valid TMX that another tool may read with losses
        print(f"{args.file}:{warning.line}: warning: {warning.message}", file=sys.stderr)
    for problem in result.problems:
        print(f"{args.file}:{problem.line}: {problem.message}")
    if result.problems:
        return 1
    languages = ", ".join(sorted(result.languages)) or "no languages"
    warned = f", {len(result.warnings)} warning(s)" if result.warnings else ""
    print(f"{args.file}: OK, TMX 1.4b, {result.tu_count} translation units ({languages}){warned}")
    return 0
