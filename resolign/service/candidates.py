"""Where a text look-up's candidates come from: the store's indexes, never a scan.

First the exact key of the folded text (an index look-up; `limit` exact matches end the text
search). Then the full-text index: an OR of the query's rarer form keys, bm25-ranked, at most
FTS_CANDIDATES of them; a unit sharing most of the query's wording shares its rare words, so
it stays a candidate while "de", "la", "the" (in most units) are left out. A query made of
common words only ("Rapport du Secrétaire général"), where that ranking would read most of a
large memory, takes the newest units holding its rarest words instead.
"""

from __future__ import annotations

from typing import TypedDict

from resolign.service.fuzzy import Words
from resolign.service.placeables import PLACEABLE
from resolign.service.store import LookupPostings, Store, phrase

FTS_CANDIDATES = 100
MAX_QUERY_TERMS = 12
MAX_POSTINGS = 5_000
"""Stop adding (ever commoner) query words to the FTS OR once this many rows would match:
bm25 is computed for every matching row, so this bounds a look-up on a large memory."""
COMMON_AND = 4
"""Rarest words a candidate for a query of common words only must all hold."""
_RANKED = "\x00ranked"
"""Marks the keys of `_ranked` answers in a look-up's LookupPostings (a backend's keys are
index terms, which hold no control character)."""


class Filters(TypedDict):
    """Which units a look-up may return (None: any), as the store's look-ups take them."""

    document: str | None
    symbol: str | None
    resolution: str | None


def present_terms(store: Store, lang: str, prepared: Words) -> list[tuple[str, int]]:
    """The query's form keys present in the memory with how many rows hold them (counted up
    to MAX_POSTINGS), rarest first. Numbers count as the words they are (a row indexes "2014",
    not the placeable)."""
    wanted = list(dict.fromkeys(norm if key == PLACEABLE else key
                                for key, norm in zip(prepared.keys, prepared.norms, strict=True)))
    freq = store.document_frequencies(lang, wanted, at_most=MAX_POSTINGS)
    return sorted(((t, n) for t, n in freq.items() if n > 0), key=lambda pair: (pair[1], pair[0]))


def _chosen(present: list[tuple[str, int]]) -> list[str]:
    """The rarest terms, while their rows stay within MAX_POSTINGS (two at least)."""
    chosen: list[str] = []
    postings = 0
    for term, count in present:
        if len(chosen) >= MAX_QUERY_TERMS or (len(chosen) >= 2
                                              and postings + count > MAX_POSTINGS):
            break
        chosen.append(term)
        postings += count
    return chosen


def text_candidates(store: Store, text: str, prepared: Words, src: str, *,
                    filters: Filters, enough: int | None = None,
                    postings: LookupPostings | None = None) -> tuple[list[int], bool]:
    """(candidate ids, True when one has the query's exact folded text). When the exact key
    alone finds `enough` units, they are the answer (a direct index look-up, no full-text
    search); with fewer, the fuzzy candidates follow them, as a CAT tool lists the near
    variants beside the 100% match. A piece of a query (`enough` None) always goes on, since
    the paragraph holding it matters too. `postings`: what the look-up read from the store,
    shared by the whole query and its pieces (store.LookupPostings)."""
    same = store.same_words(src, text)
    if same and any(filters.values()):
        allowed = store.filter_ids(same, **filters)
        same = [i for i in same if i in allowed]
    if same and enough is not None and len(same) >= enough:
        return same, True
    present = present_terms(store, src, prepared)
    if not present:
        return same, bool(same)
    if len(present) >= 2 and present[0][1] + present[1][1] > MAX_POSTINGS:
        return same + _common_word_candidates(store, src, [t for t, _ in present],
                                              filters), bool(same)
    match = " OR ".join(phrase([t]) for t in _chosen(present))
    return same + _ranked(store, src, match, filters, postings), bool(same)


def _ranked(store: Store, src: str, match: str, filters: Filters,
            postings: LookupPostings | None) -> list[int]:
    """The full-text candidates of `match`, asked once per look-up: the piece of a query that
    holds its rarest words asks what the whole query asked (at 1M units, 3-10 ms each on
    SQLite)."""
    key = (_RANKED, src, match, *(str(value) for value in filters.values()))
    if postings is not None and key in postings:
        return postings[key]
    found = store.fts_candidates(src, match, limit=FTS_CANDIDATES, postings=postings, **filters)
    if postings is not None:
        postings[key] = found
    return found


def _common_word_candidates(store: Store, src: str, terms: list[str],
                            filters: Filters) -> list[int]:
    """Candidates for a query made of common words only ("Rapport du Secrétaire général"),
    where ranking every unit holding its two rarest words took seconds at 1M units: the
    newest units holding its COMMON_AND rarest words, then, when they are too few, its two
    rarest (an index walk that stops at FTS_CANDIDATES, nothing ranked; at 1M units, all its
    words took 65 ms, the four rarest 11)."""
    found: list[int] = []
    for size in dict.fromkeys((min(len(terms), COMMON_AND), 2)):
        match = " AND ".join(phrase([t]) for t in terms[:size])
        found += [i for i in store.fts_page(src, match, limit=FTS_CANDIDATES, **filters)
                  if i not in found]
        if len(found) >= FTS_CANDIDATES:
            break
    return found[:FTS_CANDIDATES]
