"""Index terms as PostgreSQL full-text values: resolign's word forms, not a PostgreSQL dictionary.

The tsvector of a variant is built here from `store.index_terms` (the terms SQLite's FTS5 rows
hold), each prefixed by the variant's language, with word positions for phrase look-ups;
queries become tsquery literals of the same lexemes. So `Conseil de sécurité`, `CONSEIL DE
SECURITE` and an Arabic query with or without harakat meet the same rows on both backends, and
no PostgreSQL stemming widens a concordance beyond what the search side decided.
"""

from __future__ import annotations

import re
from collections import defaultdict

from resolign.errors import InputError

MAX_POSITION = 16383
"""PostgreSQL keeps word positions up to this; later words of a longer text share it."""
MAX_LEXEME_BYTES = 2046
"""PostgreSQL refuses longer lexemes; such a "word" (a pasted hash, a run of digits) is not
indexed for full text, but the segment still is, and exact look-ups still find it."""
MAX_POSITIONS = 256
"""Positions PostgreSQL keeps per lexeme."""
_PHRASE = re.compile(r'"((?:[^"]|"")*)"')


def lexemes(base: str, terms: list[str]) -> list[str]:
    """A variant's index terms as lexemes of its language (`fr:conseil`): one GIN index holds
    every language, and a French look-up never reads the postings of English rows."""
    return [f"{base}:{term}" for term in terms]


def _quoted(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(words: list[str]) -> str:
    """`'conseil':1 'de':2,5 ...`: the words with their positions, ready to cast to tsvector."""
    positions: dict[str, list[int]] = defaultdict(list)
    for position, word in enumerate(words, start=1):
        if len(word.encode("utf-8")) > MAX_LEXEME_BYTES:
            continue
        kept = positions[word]
        if len(kept) < MAX_POSITIONS:
            kept.append(min(position, MAX_POSITION))
    return " ".join(f"{_quoted(word)}:{','.join(map(str, sorted(set(found))))}"
                    for word, found in positions.items())


def phrases_of(match: str) -> list[list[str]]:
    """The phrases of a search expression: `"a b" OR "c"` -> [["a", "b"], ["c"]].

    This is the expression language the search layer speaks to every store (quoted phrases of
    folded words joined by OR); anything else is refused rather than guessed at.
    """
    rest = _PHRASE.sub(" ", match)
    if any(token != "OR" for token in rest.split()):
        raise InputError(f"query cannot be searched: unexpected {rest.strip()!r}")
    phrases = [m.group(1).replace('""', '"').split() for m in _PHRASE.finditer(match)]
    phrases = [p for p in phrases if p]
    if not phrases:
        raise InputError("query cannot be searched: no words")
    return phrases


def tsquery_literal(phrases: list[list[str]]) -> str:
    """`'a' <-> 'b' | 'c'`: each phrase as adjacent words, any phrase matching."""
    return " | ".join("(" + " <-> ".join(_quoted(w) for w in phrase) + ")" for phrase in phrases)


def term_literal(word: str) -> str:
    return _quoted(word)
