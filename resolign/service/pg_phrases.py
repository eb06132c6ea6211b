"""Kept counts of common phrases (PostgreSQL): a concordance's total for a phrase thousands of
units hold is read from one row instead of counted again.

Counting a phrase visits every heap page holding one of its full-text rows: at 1M units, 100-200
ms for "des Nations Unies" (97,639 units), 7 s for "de la" (358,980); a phrase of four words or
more also has each row's words checked in order. Translators look the same common phrases up
again and again, so the first count of a phrase that is slow to count (`keep_from`) is kept in
`phrase_counts`, and from then on every write keeps it exact, in the transaction that adds or
removes the full-text rows: a kept count is always the count the look-up would have made.
Rarer phrases are counted each time (a few milliseconds). An import of many units counts ahead
the phrases of two to six words a sample of the rows shows to be that common, those slowest to
count first (`commonest`, store_postgres.count_common_phrases), so even their first look-up
reads a kept count.

A kept count is only written by a statement that holds the revision row while no writer does,
and only if no write committed since it was counted (pg_fulltext.keep_count, which reads and
writes `phrase_counts`); a writer reads the kept phrases
after taking the revision row (`PhraseTally.load`), so none is missed.

What a row holds is decided here as the look-ups decide it (pg_text.match_condition): a word
by its lexeme, a run of 2-3 words by its run lexeme, a longer phrase by all its runs and its
words in order, and a row too long for runs by its words in order, in the row's terms as its
`ordered` column holds them (pg_text.ordered_terms).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from resolign.service.pg_text import (
    RUN_WORDS,
    bare_words,
    long_mark,
    ordered_pattern,
    phrase_runs,
    run_lexeme,
)
from resolign.service.wordforms import index_phrases

KEEP_FROM = 2000
"""Units a phrase of up to three words must be in for its count to be kept (fewer are
counted in a few milliseconds: each is one posting of its run lexeme and one heap page)."""
KEEP_IN_ORDER_FROM = 1000
"""The same for a longer phrase, whose count also checks each row's words in order (its
`ordered` terms): as slow to count as a run in twice as many units (IN_ORDER_ROW_COST)."""

COMMON_UP_TO = 6
"""Longest phrase counted ahead (store_postgres.count_common_phrases), in index terms: three
typed words make up to six (elision, hyphens: "droits de l'homme" is droit de l homme)."""
IN_ORDER_ROW_COST = 2
"""Reading a row and checking its words in order costs about what reading two rows of a run
does: at 100k units, warm, "droits de l'homme" (3,543 units) took 13.2 ms, its three-word runs
alone 4.6, "des Nations Unies" (a run, 9,654 units) 19.0: 3.7 against 2.0 microseconds a unit
(scratch ordercost.py). When the order was checked on the tsvectors, read from TOAST, it was
36.7 ms, and at 1M units 11-150 microseconds a row the first time."""


def keep_from(words: int) -> int:
    """Units a phrase of `words` words must be in for its count to be kept."""
    return KEEP_FROM if words <= RUN_WORDS else KEEP_IN_ORDER_FROM


def first_count_cost(words: int, units: float) -> float:
    """How slow a first count of a phrase of `words` words held by `units` units is, in rows
    read for a run."""
    return units * (1 if words <= RUN_WORDS else IN_ORDER_ROW_COST)


def commonest(rows: Iterable[tuple[str, str]], scale: float, kept: Container[str],
              most: int) -> list[tuple[str, list[str]]]:
    """(base, form keys) of the phrases of 2 to COMMON_UP_TO words that sampled `rows` (base,
    text) show in `keep_from` units or more (from half that as estimated, `scale` units a
    sampled row: the count decides), leaving out those `kept` (by phrase_name): the `most`
    whose first count would be slowest (first_count_cost).

    Form keys only: a concordance counts its phrase's word forms (its exact wording only
    for a later page). Phrases are counted in how many rows hold them, one word longer at a
    time, and only where both parts one word shorter are in two sampled rows or more, so
    the rare sequences of a diverse memory are never all held at once."""
    with _no_collection():
        common = _common(rows)
    slowest = sorted(
        (-first_count_cost(len(run), n * scale), name, base, run)
        for (base, run), n in common.items()
        if 2 * n * scale >= keep_from(len(run))
        and (name := run_lexeme(base, list(run))) not in kept)
    return [(base, list(run)) for _, _, base, run in slowest[:most]]


def _common(rows: Iterable[tuple[str, str]]) -> dict[tuple[str, tuple[str, ...]], int]:
    """(base, form keys) -> sampled rows holding it, of the phrases of 2 to COMMON_UP_TO words
    in two rows or more (`commonest`)."""
    sampled = [(base, index_phrases(text, base)[0]) for base, text in rows]
    starts = [range(len(keys)) for _, keys in sampled]  # where a common phrase starts
    common: dict[tuple[str, tuple[str, ...]], int] = {}
    for size in range(2, COMMON_UP_TO + 1):
        rows_holding: Counter[tuple[str, tuple[str, ...]]] = Counter()
        longer = []  # (start, phrase) one word longer where both its parts are common
        for (base, keys), found in zip(sampled, starts, strict=True):
            ahead = set(found)
            longer.append([(start, (base, tuple(keys[start:start + size])))
                           for start in found if start + 1 in ahead])
            rows_holding.update({phrase for _, phrase in longer[-1]})
        held = {phrase: n for phrase, n in rows_holding.items() if n >= 2}
        common.update(held)
        starts = [[start for start, phrase in found if phrase in held] for found in longer]
    return common


@contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector held off: counting a sample makes millions of tuples,
    none in a cycle, and collections scanning them took 12 of its 20 s (100k units)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def phrase_name(words: list[str]) -> str:
    """A phrase of prefixed lexemes (`fr:maintien`, `fr:de`...) as `phrase_counts` names it:
    `fr:maintien de la paix` (a run lexeme, whatever its length)."""
    return run_lexeme(*bare_words(words))


def _words(name: str) -> tuple[str, list[str]]:
    """(base, prefixed lexemes) of a kept phrase's name."""
    base = name[:name.index(":")]
    return base, [f"{base}:{word}" for word in name[len(base) + 1:].split(" ")]


@dataclass
class PhraseTally:
    """What one write transaction changes in the kept counts: for each kept phrase, the
    units whose full-text rows it adds (+1) or removes (-1) holding that phrase.

    A kept phrase of up to three words is named by the lexeme a row holding it holds (its
    word's, or its run's), so it is looked for by name, never parsed: with 28,000 phrases
    kept, parsing them all made every edit 150 ms slower. A longer one is filed by its
    first run, the first three words of its name, and parsed only for a row holding that."""

    short: set[str] | None = None
    """kept phrases of up to RUN_WORDS words (their names: lexemes as rows hold them)"""
    longer: dict[str, list[str]] = field(default_factory=dict)
    """first three-word run -> the names of the longer kept phrases starting with it"""
    changes: dict[str, set[tuple[int, int]]] = field(default_factory=dict)

    def load(self, conn: psycopg.Connection) -> bool:
        """Read the kept phrases once per transaction (the writer holds the revision row, so
        none can be kept meanwhile). Whether there are any."""
        if self.short is None:
            self.short, self.longer = set(), {}
            names = conn.execute("SELECT phrase FROM phrase_counts").fetchall()
            for (name,) in names:  # (iterating the cursor took 20 microseconds a row)
                if name.count(" ") < RUN_WORDS:
                    self.short.add(name)
                else:  # (a name is its base, a colon, its words: phrase_name)
                    first = " ".join(name.split(" ", RUN_WORDS)[:RUN_WORDS])
                    self.longer.setdefault(first, []).append(name)
        return bool(self.short or self.longer)

    def row(self, base: str, unit_id: int, positions: dict[str, list[int]],
            runs: Iterable[str], ordered: str, sign: int) -> None:
        """One full-text row of `unit_id` added (sign 1) or removed (-1): its words (their
        positions) and run lexemes as its tsvector holds them, and its terms in order as its
        `ordered` column does (pg_schema.indexed_rows)."""
        if not self.short and not self.longer:
            return
        runs = set(runs)
        if long_mark(base) in runs:  # no runs: every phrase of the language may be there
            candidates = [name for name in self.short or () if name.startswith(f"{base}:")]
            candidates += [name for found in self.longer.values() for name in found
                           if name.startswith(f"{base}:")]
            held = [name for name in candidates
                    if _holds(_words(name)[1], positions, runs, ordered, True)]
        else:  # a row holds a kept word's or run's lexeme exactly when it holds the phrase
            short = self.short or set()
            held = [lexeme for lexeme in (*positions, *runs) if lexeme in short]
            held += [name for run in runs for name in self.longer.get(run, ())
                     if _holds(_words(name)[1], positions, runs, ordered, False)]
        for name in held:
            self.changes.setdefault(name, set()).add((unit_id, sign))

    def write(self, conn: psycopg.Connection) -> None:
        """Add the changes to the kept counts and start afresh."""
        deltas = {name: sum(sign for _, sign in found) for name, found in self.changes.items()}
        if changed := sorted((name, n) for name, n in deltas.items() if n):
            conn.execute("UPDATE phrase_counts AS p SET units = p.units + d.n FROM unnest("
                         "%s::text[], %s::integer[]) AS d(phrase, n) WHERE p.phrase = d.phrase",
                         ([name for name, _ in changed], [n for _, n in changed]))
        self.changes.clear()
        self.short = None


def _holds(words: list[str], positions: dict[str, list[int]], runs: set[str], ordered: str,
           long: bool) -> bool:
    """Whether a row matches the phrase as pg_text.match_condition matches it: its index
    part, then its words in order in the row's `ordered` terms (pg_text.in_order)."""
    if len(words) == 1:
        return words[0] in positions
    if not (long or all(run in runs for run in phrase_runs(words))):
        return False
    if long and not all(word in positions for word in words):
        return False
    if not long and len(words) <= RUN_WORDS:  # its run lexeme holds it in order
        return True
    return ordered_pattern(bare_words(words)[1]) in ordered
