"""What a look-up accepts: one place for the query and page limits that the CLI, HTTP and the
CAT-tool protocols all go through (characters, not bytes: an Arabic query may be as long as a
French one)."""

from __future__ import annotations

from resolign.errors import InvalidParameter, TooLarge

MAX_QUERY_CHARS = 10_000
MAX_PAGE = 500
"""Concordance hits per page at most (the page and /api/concordance)."""


def check_query(query: object) -> str:
    """The query stripped; refused when empty or over MAX_QUERY_CHARS characters (not bytes:
    an Arabic query may be as long as a French one)."""
    if isinstance(query, str) and len(query) > MAX_QUERY_CHARS:
        raise TooLarge(f"query too long ({len(query)} characters; at most {MAX_QUERY_CHARS})")
    if not isinstance(query, str) or not query.strip():
        raise InvalidParameter("empty query: give a word, phrase or sentence to look up")
    return query.strip()


def check_limit(limit: int) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidParameter(f"limit must be between 1 and 1000, not {limit!r}")
    return limit


def check_page(limit: int, offset: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidParameter(f"limit must be between 1 and {MAX_PAGE}, not {limit!r}")
    if not isinstance(offset, int) or offset < 0:
        raise InvalidParameter(f"offset must be 0 or more, not {offset!r}")
