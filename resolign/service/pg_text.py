"""Index terms as PostgreSQL full-text values: resolign's word forms, not a PostgreSQL dictionary.

The tsvector of a variant is built here from `store.index_terms` (the terms SQLite's FTS5 rows
hold), each prefixed by the variant's language, with word positions for phrase look-ups;
queries become tsquery literals of the same lexemes. So `Conseil de sécurité`, `CONSEIL DE
SECURITE` and an Arabic query with or without harakat meet the same rows on both backends, and
no PostgreSQL stemming widens a concordance beyond what the search side decided.

Runs of two and three consecutive words are lexemes too (`fr:nations unies`, `fr:des nations
unies`), without positions. PostgreSQL's GIN index keeps no word positions, so a phrase matched
with `<->` is rechecked against the tsvector of every row holding its words, read from TOAST:
at 1M units, "des Nations Unies" (97,639 units) took 1.1 s, against 37 ms for the index scan.
As a run lexeme it is one posting list with nothing to recheck. A longer phrase needs all its
three-word runs (in practice only rows that hold it), and only those rows are checked in order,
on the row's terms as text in the heap row (`ordered_terms`), never on its tsvector: no query
here uses `<->`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from resolign.errors import InputError

MAX_POSITION = 16383
"""PostgreSQL keeps word positions up to this; later words of a longer text share it."""
MAX_LEXEME_BYTES = 2046
"""PostgreSQL refuses longer lexemes; such a "word" (a pasted hash, a run of digits) is not
indexed for full text, but the segment still is, and exact look-ups still find it."""
MAX_POSITIONS = 256
"""Positions PostgreSQL keeps per lexeme."""
RUN_WORDS = 3
"""Longest run of consecutive words indexed as one lexeme."""
RUNS_UP_TO = 2000
"""A text of more words gets LONG_MARK instead of run lexemes (their tsvector would near
PostgreSQL's 1 MB limit); a phrase look-up checks such rows word by word, in order."""
LONG_MARK = "\ue001"
_TOKEN = re.compile(r'"(?:[^"]|"")*"|[^\s"]+')


def lexemes(base: str, terms: list[str]) -> list[str]:
    """A variant's index terms as lexemes of its language (`fr:conseil`): one GIN index holds
    every language, and a French look-up never reads the postings of English rows."""
    return [f"{base}:{term}" for term in terms]


def run_lexemes(base: str, phrases: list[list[str]]) -> list[str]:
    """The run lexemes of a row whose index terms are `phrases` (its form keys, its marked
    surfaces), or its LONG_MARK when one is longer than RUNS_UP_TO words."""
    runs: dict[str, None] = {}
    for words in phrases:
        if len(words) > RUNS_UP_TO:
            return [long_mark(base)]
        for size in range(2, RUN_WORDS + 1):
            for start in range(len(words) - size + 1):
                runs[run_lexeme(base, words[start:start + size])] = None
    if any(too_long(run) for run in runs):
        return [long_mark(base)]
    return list(runs)


def run_lexeme(base: str, words: list[str]) -> str:
    """One run lexeme, as rows hold it and phrases look for it (also a kept phrase's name,
    pg_phrases.py, whatever its length)."""
    return f"{base}:{' '.join(words)}"


def bare_words(words: list[str]) -> tuple[str, list[str]]:
    """(language, the words without it) of a phrase of prefixed lexemes (`fr:conseil`...)."""
    base = words[0][:words[0].index(":")]
    return base, [word[len(base) + 1:] for word in words]


def phrase_runs(words: list[str]) -> list[str]:
    """The run lexemes a row holds when it holds a phrase of 2 words or more (prefixed
    lexemes): the phrase's own run up to RUN_WORDS words, each three-word run of a longer one."""
    base, bare = bare_words(words)
    return [run_lexeme(base, bare[start:start + RUN_WORDS])
            for start in range(max(1, len(words) - RUN_WORDS + 1))]


def long_mark(base: str) -> str:
    return f"{base}:{LONG_MARK}"


def word_lexemes(found: list[str]) -> list[str]:
    """The word lexemes among a row's lexemes (`tsvector_to_array`): what the term counts
    count, runs and marks left out."""
    return [lexeme for lexeme in found if " " not in lexeme and not lexeme.endswith(LONG_MARK)]


def too_long(lexeme: str) -> bool:
    return len(lexeme) * 4 > MAX_LEXEME_BYTES and len(lexeme.encode("utf-8")) > MAX_LEXEME_BYTES


def _quoted(word: str) -> str:
    if "'" in word or "\\" in word:
        word = word.replace("\\", "\\\\").replace("'", "''")
    return "'" + word + "'"


def word_positions(words: list[str]) -> dict[str, list[int]]:
    """Each word's positions as PostgreSQL keeps them in a tsvector: at most MAX_POSITIONS
    per word, capped at MAX_POSITION (so ordered phrases match what PostgreSQL matches); a
    word too long for a lexeme has none.

    Written for speed (it runs once per variant of an import): positions arrive in order, so
    only those capped at MAX_POSITION can repeat."""
    positions: dict[str, list[int]] = {}
    for position, word in enumerate(words, start=1):
        kept = positions.get(word)
        if kept is None:
            if too_long(word):
                continue
            kept = positions[word] = []
        if len(kept) < MAX_POSITIONS:
            kept.append(min(position, MAX_POSITION))
    for word, found in positions.items():
        if found[-1] == MAX_POSITION:
            positions[word] = list(dict.fromkeys(found))
    return positions


def tsvector_literal(positions: dict[str, list[int]], runs: Sequence[str] = ()) -> str:
    """`'conseil':1 'de':2,5 ... 'conseil de'`: the words with their positions
    (`word_positions`), then the run lexemes (`run_lexemes`) without, ready to cast to
    tsvector."""
    parts = [f"{_quoted(word)}:{','.join(map(str, found))}"
             for word, found in positions.items()]
    parts.extend(_quoted(run) for run in runs)
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
                    every: bool = False, *, long_rows: bool = True) -> str:
    """`'a b' | 'c'`: each phrase of prefixed lexemes as the index finds it (`_phrase`), any
    phrase matching (`every`: all of them, `&`); with an excluded phrase, `('a b') & !('a c')`
    (in the same row, as FTS5's NOT). Without `long_rows` (the memory holds no row too long
    for runs), a phrase is matched by its runs only.

    The index cannot tell a phrase of four words or more, or one in a row too long for runs,
    from its words out of order: `match_condition` adds the order check (`in_order`)."""
    query = (" & " if every else " | ").join(_phrase(phrase, long_rows) for phrase in phrases)
    if excluded:
        query = f"({query}) & !{_phrase(excluded, long_rows)}"
    return query


def _phrase(words: list[str], long_rows: bool = True) -> str:
    """One phrase as the GIN index matches it exactly (no tsvector read): a word; all the
    runs of up to three words of a phrase (`phrase_runs`), or, in a row too long for runs,
    all its words (in any order).

    The branch for rows too long for runs costs the index a look into every word's postings
    (at 1M units, 15 ms instead of 1.5 for the runs of "l'organisation et des"): it is left
    out when no such row exists (`long_rows`)."""
    if len(words) == 1:
        return f"({_quoted(words[0])})"
    every_run = " & ".join(_quoted(run) for run in phrase_runs(words))
    if not long_rows:
        return f"({every_run})"
    long = _quoted(long_mark(bare_words(words)[0]))
    return f"(({every_run}) | ({long} & {' & '.join(_quoted(w) for w in words)}))"


def needs_order(words: list[str], long_rows: bool) -> bool:
    """Whether the index alone may find a phrase's words out of order (`_phrase`)."""
    return len(words) > RUN_WORDS or (long_rows and len(words) > 1)


def ordered_terms(keys: list[str], surfaces: list[str]) -> str:
    """A row's `ordered` column: its form keys, then its marked surfaces, each between
    spaces, the two apart (a tab), so a phrase is in the row exactly when `in_order` finds
    ` a b c ` in it. Kept in the heap row (compressed), so checking a phrase's order reads no
    TOAST; the tsvector's positions, read from TOAST, took 11-150 microseconds a row the
    first time at 1M units (3.3 s for the 10,411 units of "maintien de la paix" with a cold
    cache)."""
    return f" {' '.join(keys)} \t {' '.join(surfaces)} "


def ordered_pattern(words: list[str]) -> str:
    """What a row's `ordered_terms` holds where the row holds the phrase (bare terms) in
    order: the one rule the look-ups (`in_order`) and the kept counts (pg_phrases) share."""
    return f" {' '.join(words)} "


def in_order(column: str, phrases: list[list[str]], excluded: list[str] | None = None,
             every: bool = False) -> tuple[str, list[str]]:
    """SQL true when the row's `ordered_terms` (`column`) holds the phrases (bare terms) as
    `tsquery_literal` combines them, each with its words in order, and its parameters."""
    holds = f"strpos({column}, %s) > 0"
    joined = (" AND " if every else " OR ").join([holds] * len(phrases))
    patterns = [ordered_pattern(words) for words in phrases]
    if excluded:
        joined = f"({joined}) AND NOT {holds}"
        patterns.append(ordered_pattern(excluded))
    return f"({joined})", patterns


def match_condition(base: str, phrases: list[list[str]], excluded: list[str] | None,
                    every: bool, *, long_rows: bool = True, ordered: bool = True,
                    alias: str = "f") -> tuple[str, list[str]]:
    """SQL true for the full-text rows (`alias`) of language `base` matching the phrases (bare
    terms), and its parameters: the GIN index's tsquery, and where it cannot tell order
    (`needs_order`) the order check on the row's `ordered` column. Without `ordered` (an
    estimate), a phrase the index cannot tell is taken as found by its runs (and so excluded
    by them)."""
    checked = ordered and any(needs_order(words, long_rows)
                              for words in [*phrases, *([excluded] if excluded else [])])
    tsquery = tsquery_literal([lexemes(base, words) for words in phrases],
                              lexemes(base, excluded) if excluded and not checked else None,
                              every, long_rows=long_rows)
    if not checked:
        return f"{alias}.tsv @@ %s::tsquery", [tsquery]
    order, patterns = in_order(f"{alias}.ordered", phrases, excluded, every)
    return f"{alias}.tsv @@ %s::tsquery AND {order}", [tsquery, *patterns]
