"""Looking passages up in the memory: exact/fuzzy matches, semantic neighbours, concordance.

Fuzzy score, the way CAT tools report it: edit distance over normalised word lists,
100 * (1 - distance / longer length). 100 and kind "exact" only for the same text (whitespace
aside); the same words differing only in case, accents, harakat or punctuation score 99.
Candidates come from the FTS5 index (an OR of the query's rarer words, bm25-ranked, at most
FTS_CANDIDATES of them) plus an index look-up of identical normalised text, so a look-up never
scans the memory.

Semantic score is 100 * cosine between the query and a unit's language-neutral embedding, kept
only from SEMANTIC_MIN_COSINE up. On the UN devset (1,000-unit memory) a third of the words of
an English sentence dropped still scored >= 0.65 against its unit for 95% of queries, while the
best neighbour of a sentence NOT in the memory scored < 0.61 for 90% of them (the rest are real
near-duplicates: UN boilerplate). A top-1/top-k ratio margin separated the two no better
(medians 2.08 vs 1.19 overlap at every useful cut), so only the absolute threshold is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from resolign.errors import InputError, InvalidParameter, TooLarge
from resolign.languages import LANGS, check_lang, check_pair
from resolign.service.highlight import phrase_spans
from resolign.service.normalise import same_surface, words
from resolign.service.semantic_index import SemanticIndex
from resolign.service.store import Store, StoredUnit

MAX_QUERY_CHARS = 10_000
FTS_CANDIDATES = 200
MAX_QUERY_TERMS = 16
MAX_POSTINGS = 20_000
"""Stop adding (ever commoner) query words to the FTS OR once this many rows would match:
bm25 is computed for every matching row, so this bounds a look-up on a large memory."""
SEMANTIC_MIN_COSINE = 0.60
_KIND_RANK = {"exact": 0, "fuzzy": 1, "semantic": 2}


@dataclass
class Match:
    """One memory match: source and target as stored, every language of the unit, its origin."""

    source: str
    target: str
    score: float
    kind: str
    unit_id: int
    unit: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)


@dataclass
class ConcordanceHit:
    """A segment containing the searched words; `highlighted` are (start, end) spans into `text`."""

    unit_id: int
    lang: str
    text: str
    highlighted: list[tuple[int, int]]
    unit: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)


def check_query(query: object) -> str:
    """The query stripped; refused when empty or over MAX_QUERY_CHARS characters (not bytes:
    an Arabic query may be as long as a French one)."""
    if isinstance(query, str) and len(query) > MAX_QUERY_CHARS:
        raise TooLarge(f"query too long ({len(query)} characters; at most {MAX_QUERY_CHARS})")
    if not isinstance(query, str) or not query.strip():
        raise InvalidParameter("empty query: give a word, phrase or sentence to look up")
    return query.strip()


def _check_limit(limit: int) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidParameter(f"limit must be between 1 and 1000, not {limit!r}")
    return limit


def fuzzy_score(query: str, query_words: list[str], text: str) -> tuple[float, str]:
    """(score 0-100, "exact" | "fuzzy") of a stored text against the query."""
    if same_surface(query, text):
        return 100.0, "exact"
    text_words = words(text)
    if text_words == query_words:
        return 99.0, "fuzzy"
    longest = max(len(query_words), len(text_words))
    if longest == 0:
        return 0.0, "fuzzy"
    distance = Levenshtein.distance(query_words, text_words)
    return min(99.0, round(100.0 * (1 - distance / longest), 1)), "fuzzy"


def _rare_terms(store: Store, lang: str, query_words: list[str]) -> list[str]:
    """The query's rarer words present in the memory, rarest first (they pick the candidates).

    A unit sharing most of the query's wording shares its rare words, so it stays a candidate
    while words like "de", "la", "the" (in most units) are left out of the FTS query.
    """
    freq = store.document_frequencies(lang, list(dict.fromkeys(query_words)))
    chosen: list[str] = []
    postings = 0
    for term in sorted((t for t, n in freq.items() if n > 0), key=lambda t: (freq[t], t)):
        if len(chosen) >= MAX_QUERY_TERMS or (len(chosen) >= 2
                                              and postings + freq[term] > MAX_POSTINGS):
            break
        chosen.append(term)
        postings += freq[term]
    return chosen


def _phrase(terms: list[str]) -> str:
    return '"' + " ".join(terms) + '"'  # words are letters/digits only: nothing to escape


def find_matches(
    store: Store,
    index: SemanticIndex | None,
    query: str,
    *,
    src: str = "fr",
    tgt: str = "en",
    limit: int = 10,
    min_score: float = 50,
    document: str | None = None,
    symbol: str | None = None,
    resolution: str | None = None,
) -> list[Match]:
    """Best matches for `query` in the `src` segments, with their `tgt` text, best first.

    Exact and fuzzy candidates come from the store; semantic ones from `index` (None: none)."""
    src, tgt = check_pair(src, tgt, store.tags())
    query = check_query(query)
    limit = _check_limit(limit)
    if not 0 <= min_score <= 100:
        raise InvalidParameter(f"min_score must be between 0 and 100, not {min_score!r}")

    found: dict[int, tuple[float, str]] = {}
    units: dict[int, StoredUnit] = {}
    query_words = words(query)
    if query_words:
        same = store.same_words(src, query)
        allowed = store.filter_ids(same, document=document, symbol=symbol,
                                   resolution=resolution)
        candidates = [i for i in same if i in allowed]
        terms = _rare_terms(store, src, query_words)
        if terms:
            candidates += store.fts_candidates(
                src, " OR ".join(_phrase([t]) for t in terms), limit=FTS_CANDIDATES,
                document=document, symbol=symbol, resolution=resolution,
            )
        units = store.get_units(candidates)
        for unit_id, unit in units.items():
            source, target = unit.text_for(src), unit.text_for(tgt)
            if source is not None and target is not None:
                score, kind = fuzzy_score(query, query_words, source)
                if score >= min_score:
                    found[unit_id] = (score, kind)

    if index is not None:
        _add_semantic(store, index, query, found, units, src=src, tgt=tgt, limit=limit,
                      min_score=min_score, document=document, symbol=symbol,
                      resolution=resolution)

    ranked = sorted(found.items(), key=lambda item: (-item[1][0], _KIND_RANK[item[1][1]], item[0]))
    return [_match(units[unit_id], score, kind, src, tgt)
            for unit_id, (score, kind) in ranked[:limit]]


def _add_semantic(
    store: Store, index: SemanticIndex, query: str, found: dict[int, tuple[float, str]],
    units: dict[int, StoredUnit], *, src: str, tgt: str, limit: int, min_score: float,
    document: str | None, symbol: str | None, resolution: str | None,
) -> None:
    k = limit * (20 if document or symbol or resolution else 3) + len(found)
    near = [(i, cos) for i, cos in index.nearest(query, min(k, 2000))
            if cos >= SEMANTIC_MIN_COSINE and 100 * cos >= min_score and i not in found]
    if not near:
        return
    allowed = store.filter_ids([i for i, _ in near], document=document, symbol=symbol,
                               resolution=resolution)
    units.update(store.get_units([i for i in allowed if i not in units]))
    for unit_id, cos in near:
        unit = units.get(unit_id)
        if (unit_id in allowed and unit and unit.text_for(src) is not None
                and unit.text_for(tgt) is not None):
            found[unit_id] = (min(99.0, round(100 * cos, 1)), "semantic")


def _match(unit: StoredUnit, score: float, kind: str, src: str, tgt: str) -> Match:
    return Match(source=unit.text_for(src) or "", target=unit.text_for(tgt) or "", score=score,
                 kind=kind, unit_id=unit.id, unit=dict(unit.texts), origin=unit.origin())


def find_concordance(
    store: Store,
    query: str,
    *,
    lang: str | None = None,
    limit: int = 20,
    document: str | None = None,
    symbol: str | None = None,
    resolution: str | None = None,
) -> list[ConcordanceHit]:
    """Segments containing the words of `query` as a phrase, in one language or all three."""
    query = check_query(query)
    limit = _check_limit(limit)
    langs = [check_lang(lang, "lang", store.tags())] if lang else list(LANGS)
    phrase_words = words(query)
    if not phrase_words:
        raise InputError("query has no words to look for")
    hits: list[ConcordanceHit] = []
    for code in langs:
        ids = store.fts_candidates(code, _phrase(phrase_words), limit=limit - len(hits),
                                   document=document, symbol=symbol, resolution=resolution)
        units = store.get_units(ids)
        for unit_id in ids:
            unit = units[unit_id]
            text = unit.text_for(code) or ""
            spans = phrase_spans(text, phrase_words)
            if spans:
                hits.append(ConcordanceHit(unit_id=unit_id, lang=code, text=text,
                                           highlighted=spans, unit=dict(unit.texts),
                                           origin=unit.origin()))
        if len(hits) >= limit:
            break
    return hits[:limit]
