"""The `resolign` command: one parser, each command family registered from its own module
(align, paragraphs, tmx, memory, serve, demo).

Every user error (a ResolignError) ends as one line on stderr and exit status 2, never a
traceback. Command modules only raise; they do not print errors or call sys.exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from resolign import __version__
from resolign.errors import ResolignError


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: `resolign align: error: ...`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from resolign.cli import align, demo, memory, paragraphs, serve, tmx

    parser = _OneLineParser(
        prog="resolign",
        description="French–English–Arabic alignment and translation memory for resolutions. "
                    "Start with `resolign demo`, or `resolign align FR EN [AR]`.")
    parser.add_argument("--version", action="version", version=f"resolign {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    for module in (align, paragraphs, tmx, memory, serve, demo):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ResolignError as error:
        print(f"resolign {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"resolign {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
