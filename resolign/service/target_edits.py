"""Which words of a match's translation to edit: the translations of the stored source words
that differ from the query.

A fuzzy match marks the source words the query has otherwise (fuzzy.py). The translator then
edits the target, so the target words that translate those source words are marked too. Each
run of differing source words is looked up as a concordance phrase and its equivalents are
learned from the memory's own hits (equivalents.py); the match's target is marked where it holds
one of them. A number that differs is marked where the target writes the same number. Runs of
function words alone ("de", "the": in over FUNCTION_SHARE of the units) are not looked up;
they translate into everything.
"""

from __future__ import annotations

import re

from resolign.languages import primary
from resolign.service.equivalents import (
    FUNCTION_SHARE,
    SAMPLE,
    learn,
    mark,
    memory_state,
    remembered,
)
from resolign.service.fuzzy import Diff
from resolign.service.store import Store, phrase
from resolign.service.wordforms import form_keys

Span = tuple[int, int]
EDITED_OPS = {"replace", "insert", "form", "placeable"}
"""Differences that sit on stored words (a `delete` is a query word the segment lacks)."""
MAX_RUNS = 3
"""Runs looked up per match (each is a concordance count, a sample and its statistics)."""
CHECKED = 3
"""Equivalents tried per run (each is checked in the other direction)."""
MIN_HITS = 5
"""Fewer units holding a phrase teach nothing about its translation (with 2 hits, whatever
their translations share wins: "rendre compte de" gave "implementation of this resolution")."""
_DIGITS = re.compile(r"\d+(?:[.,\s]\d+)*")


def source_runs(text: str, diffs: list[Diff]) -> list[Span]:
    """Spans of the stored text covered by consecutive differences (words next to each other,
    only spaces or punctuation between), in text order."""
    spans = sorted(d.text for d in diffs if d.op in EDITED_OPS and d.text is not None)
    runs: list[list[int]] = []
    for start, end in spans:
        if runs and not any(c.isalnum() for c in text[runs[-1][1]:start]):
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return [(s, e) for s, e in runs]


def target_edits(store: Store, source: str, target: str, diffs: list[Diff], src: str,
                 tgt: str) -> list[Span]:
    """Spans of `target` translating the words of `source` that differ from the query."""
    marks: set[Span] = set()
    runs = source_runs(source, diffs)
    numbers = [m.group() for s, e in runs for m in _DIGITS.finditer(source[s:e])]
    for number in numbers:
        marks.update(m.span() for m in re.finditer(rf"(?<!\d){re.escape(number)}(?!\d)", target))
    memory = memory_state(store)
    looked = 0
    for start, end in runs:
        keys = tuple(k for k in form_keys(source[start:end], src) if not k.isdigit())
        if not keys or looked >= MAX_RUNS:
            continue
        agreed = remembered((*memory, "agreed", src, keys, primary(tgt)), lambda keys=keys: (
            _agreed(store, src, keys, primary(tgt), memory[3])))
        if agreed is None:
            continue
        looked += 1
        spans, _ = mark(target, primary(tgt), agreed)
        marks.update(spans)
    return sorted(marks)


def _agreed(store: Store, src: str, keys: tuple[str, ...], lang: str, units: int
            ) -> tuple[tuple[str, ...], ...] | None:
    """The runs of `lang` that translate the run of form keys `keys` and translate back to
    one of its content words, best first; None when it holds function words only (not looked
    up, and not counted among a match's MAX_RUNS)."""
    frequencies = store.document_frequencies(src, list(keys))
    content = {k for k in keys if frequencies.get(k, 0) <= FUNCTION_SHARE * units}
    if not content:
        return None
    match = phrase(list(keys))
    total = store.fts_count(src, match, estimate=True)
    if total < MIN_HITS:
        return ()
    learned = _equivalents(store, src, match, total, lang, units)
    return tuple(run for run in learned[:CHECKED]
                 if _translates_back(store, lang, run, primary(src), content, units))


def _equivalents(store: Store, lang: str, match: str, total: int, other: str,
                 units: int) -> list[tuple[str, ...]]:
    sample = store.fts_page(lang, match, limit=SAMPLE, bound=total)  # (an estimate: not lower)
    return learn(store, store.texts_of(sample, [other]), [other], total, units).get(other, [])


def _translates_back(store: Store, lang: str, run: tuple[str, ...], other: str,
                     keys: set[str], units: int) -> bool:
    """Does `run` (in `lang`) have one of the source content words `keys` among its own best
    equivalents? Both directions must agree, as word aligners symmetrise: "rendre compte de"
    co-occurs with
    "implementation of this resolution" (UN boilerplate), but that phrase translates back to
    "application de la présente résolution", so it is not marked."""
    match = phrase(list(run))
    total = store.fts_count(lang, match, estimate=True)
    if total < MIN_HITS:
        return False
    back = _equivalents(store, lang, match, total, other, units)[:CHECKED]
    return any(keys & set(candidate) for candidate in back)
