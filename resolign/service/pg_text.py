"""Index terms as PostgreSQL full-text values: resolign's word forms, not a PostgreSQL dictionary.

The tsvector of a variant is built here from `store.index_terms` (the terms SQLite's FTS5 rows
hold), each prefixed by the variant's language, with word positions for phrase look-ups;
queries become tsquery literals of the same lexemes. So `Conseil de sécurité`, `CONSEIL DE
SECURITE` and an Arabic query with or without harakat meet the same rows on both backends, and
no PostgreSQL stemming widens a concordance beyond what the search side decided.
"""

from __future__ import annotations

import re

from resolign.errors import InputError

MAX_POSITION = 16383
"""PostgreSQL keeps word positions up to this; later words of a longer text share it."""
MAX_LEXEME_BYTES = 2046
"""PostgreSQL refuses longer lexemes; such a "word" (a pasted hash, a run of digits) is not
indexed for full text, but the segment still is, and exact look-ups still find it."""
MAX_POSITIONS = 256
"""Positions PostgreSQL keeps per lexeme."""
_TOKEN = re.compile(r'"(?:[^"]|"")*"|[^\s"]+')


def lexemes(base: str, terms: list[str]) -> list[str]:
    """A variant's index terms as lexemes of its language (`fr:conseil`): one GIN index holds
    every language, and a French look-up never reads the postings of English rows."""
    return [f"{base}:{term}" for term in terms]


def _quoted(word: str) -> str:
    if "'" in word or "\\" in word:
        word = word.replace("\\", "\\\\").replace("'", "''")
    return "'" + word + "'"


def tsvector_literal(words: list[str]) -> str:
    """`'conseil':1 'de':2,5 ...`: the words with their positions, ready to cast to tsvector.

    Written for speed (it runs once per variant of an import): positions arrive in order, so
    only those capped at MAX_POSITION can repeat."""
    positions: dict[str, list[int]] = {}
    for position, word in enumerate(words, start=1):
        kept = positions.get(word)
        if kept is None:
            if len(word) * 4 > MAX_LEXEME_BYTES and len(word.encode("utf-8")) > MAX_LEXEME_BYTES:
                continue
            kept = positions[word] = []
        if len(kept) < MAX_POSITIONS:
            kept.append(min(position, MAX_POSITION))
    parts = []
    for word, found in positions.items():
        if len(found) == 1:
            parts.append(f"{_quoted(word)}:{found[0]}")
        else:
            kept = found if found[-1] < MAX_POSITION else dict.fromkeys(found)
            parts.append(f"{_quoted(word)}:{','.join(map(str, kept))}")
    return " ".join(parts)


def parse_match(match: str) -> tuple[list[list[str]], list[str] | None, bool]:
    """The phrases of a search expression, the phrase it excludes if any, and whether every
    phrase must match: `"a b" OR "c"` -> ([["a", "b"], ["c"]], None, False);
    `"a" AND "c"` -> ([["a"], ["c"]], None, True); `"a b" NOT "a c"` -> ([["a", "b"]], ["a", "c"],
    False).

    This is the expression language the search layer speaks to every store (store.py: quoted
    phrases of index terms joined by OR or by AND, or one phrase NOT another); anything else is
    refused rather than guessed at.
    """
    tokens = _TOKEN.findall(match)
    phrases = [t[1:-1].replace('""', '"').split() for t in tokens[::2]]
    operators = tokens[1::2]
    well_formed = (len(tokens) % 2 == 1 and all(t.startswith('"') for t in tokens[::2])
                   and (all(op == "OR" for op in operators) or operators == ["NOT"]
                        or all(op == "AND" for op in operators))
                   and "".join(tokens).replace(" ", "") == match.replace(" ", ""))
    if not well_formed:
        raise InputError(f"query cannot be searched: unexpected {match.strip()!r}")
    if operators == ["NOT"]:
        if not phrases[0] or not phrases[1]:
            raise InputError("query cannot be searched: no words")
        return [phrases[0]], phrases[1], False
    phrases = [p for p in phrases if p]
    if not phrases:
        raise InputError("query cannot be searched: no words")
    return phrases, None, bool(operators) and operators[0] == "AND"


def tsquery_literal(phrases: list[list[str]], excluded: list[str] | None = None,
                    every: bool = False) -> str:
    """`'a' <-> 'b' | 'c'`: each phrase as adjacent words, any phrase matching (`every`: all
    of them, `&`); with an excluded phrase, `('a' <-> 'b') & !('a' <-> 'c')` (in the same row,
    as FTS5's NOT)."""
    query = (" & " if every else " | ").join(
        "(" + " <-> ".join(_quoted(w) for w in phrase) + ")" for phrase in phrases)
    if excluded:
        query = f"({query}) & !(" + " <-> ".join(_quoted(w) for w in excluded) + ")"
    return query


def term_literal(word: str) -> str:
    return _quoted(word)
