"""What a memory location names: a SQLite file path or a PostgreSQL URL, checked.

`--db` (and $RESOLIGN_DB) take either. Everything is checked before any engine is touched, so
a mistyped location creates nothing: `postgresql://me@db/tm` used to become a folder named
`postgresql:` holding a SQLite file, and a path into a missing folder created that folder.

  memory.db, ./tm/memory.db        SQLite; the folder must exist (the file is created)
  postgresql://user[:password]@host[:port]/db[?sslmode=...]
                                   PostgreSQL (also postgres://); the database must exist,
                                   resolign creates and migrates its tables in it
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from resolign.errors import InputError

DB_ENV = "RESOLIGN_DB"
"""Environment variable read when a command is given no --db."""

POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_EXAMPLE = "a file path (memory.db) or postgresql://user@host[:port]/database"


@dataclass(frozen=True)
class Location:
    """Where a memory lives. `str()` is safe to print: a password is shown as ***."""

    backend: str
    """"sqlite" or "postgresql"."""
    path: Path | None = None
    url: str = ""
    """The PostgreSQL URL as given (password included): only ever handed to the driver."""

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else redact(self.url)


def parse_location(value: str | Path | Location) -> Location:
    """A memory location from a --db value; a one-line InputError for anything else.

    Refused: an empty value, a URL of another scheme (mysql://, sqlite://, http://...), a
    PostgreSQL URL without a database name or with a bad port, a path that is a folder or
    whose folder does not exist.
    """
    if isinstance(value, Location):
        return value
    if isinstance(value, Path):
        return _sqlite_location(value)
    text = str(value).strip()
    if not text:
        raise InputError(f"no memory location given: expected {_EXAMPLE}")
    scheme = _SCHEME.match(text)
    if scheme and not Path(text).exists():
        name = scheme.group(1).lower()
        if name in POSTGRES_SCHEMES and text[scheme.end():].startswith("//"):
            return Location("postgresql", url=_check_postgres_url(text))
        raise InputError(
            f"{redact(text)}: unsupported memory location (scheme '{name}:'); expected "
            f"{_EXAMPLE} (a file whose name contains ':' can be given as ./NAME)")
    return _sqlite_location(Path(text))


def _sqlite_location(path: Path) -> Location:
    path = path.expanduser()
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a translation memory file")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"folder {folder} does not exist (create it first): "
                         f"cannot keep a translation memory at {path}")
    return Location("sqlite", path=path)


def _check_postgres_url(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as error:
        raise InputError(f"{redact(url)}: bad port ({error})") from None
    if port == 0:
        raise InputError(f"{redact(url)}: bad port 0")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise InputError(f"{redact(url)}: name one database, as in {_EXAMPLE}")
    if parts.fragment:
        raise InputError(f"{redact(url)}: a database URL has no #fragment")
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError as error:  # pragma: no cover - psycopg is a dependency
        raise InputError(f"PostgreSQL support needs psycopg 3: {error}") from error
    try:
        conninfo_to_dict(url)  # libpq's own parser: unknown ?parameters are refused here
    except Exception as error:  # psycopg.ProgrammingError; message is one line
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "invalid"
        raise InputError(f"{redact(url)}: not a usable PostgreSQL URL ({reason})") from None
    return url


def redact(url: str) -> str:
    """The URL with its password (in the user part or ?password=) replaced by ***."""
    text = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*):[^@/?#]*@", r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", text)


def location_from_env() -> str | None:
    """$RESOLIGN_DB when set and not blank."""
    value = os.environ.get(DB_ENV, "").strip()
    return value or None
