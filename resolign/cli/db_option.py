"""The one `--db` option every memory command takes: a file path or a PostgreSQL URL.

Checked while the command line is parsed (service/backends.py says what is accepted), so a
bogus scheme or a path into a missing folder stops the command in one line, exit 2, before
anything is aligned, read or created. Commands that need a memory (search, concordance,
import, export, serve) fall back on $RESOLIGN_DB when --db is not given; `align`, `align-dir`
and `demo` write to a memory only when --db says so.
"""

from __future__ import annotations

import argparse

from resolign.errors import InputError
from resolign.service.locations import DB_ENV, Location, location_from_env, parse_location

HELP = ("translation memory: a file (SQLite, e.g. memory.db) or "
        f"postgresql://user[:password]@host[:port]/database (default ${DB_ENV})")


def location(value: str) -> Location:
    """argparse `type=` for --db: a Location, or the one-line reason it cannot be one."""
    try:
        return parse_location(value)
    except InputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_db_argument(parser: argparse.ArgumentParser, *, required: bool = True,
                    help: str = HELP) -> None:
    """Add --db to `parser`. A required --db may come from $RESOLIGN_DB instead."""
    from_env = location_from_env() if required else None
    parser.add_argument("--db", type=location, default=from_env,
                        required=required and from_env is None, metavar="PATH_OR_URL",
                        help=help if required else help.replace(f" (default ${DB_ENV})", ""))
