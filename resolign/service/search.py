"""Looking a passage up in the memory: exact, fuzzy and semantic matches, kept apart.

Kinds and order: `exact` (the same text, whitespace aside), then `fuzzy` by its % (fuzzy.py: edit
similarity over words, the CAT tools' scale; other word forms and placeables cost little), then
`semantic` (same meaning, other wording) by their own `similarity`; equal scores go to the
newer unit, then the better-aligned one. A query that is a part of a longer stored segment
(a clause, a sentence of a paragraph) is found inside it (`part`); a query of several
paragraphs or sentences is also looked up piece by piece (passages.py), each piece's matches
ranked by their % times the share of the query the piece is.

Candidates come from the store, never from a scan (candidates.py); each one's score is first
bounded from its words alone (fuzzy.score_bound), and only those whose bound can still reach
the `limit` best are compared in full. The pieces share the whole query's words, so what the
store read for the whole query (a term's rows, the candidates of a full-text expression)
serves its pieces too (store.LookupPostings).

Semantic similarity is 100 * cosine between the query and a unit's language-neutral embedding,
kept only from SEMANTIC_MIN_COSINE up. On the UN devset (1,000-unit memory) a third of the
words of an English sentence dropped still scored >= 0.65 against its unit for 95% of queries,
while the best neighbour of a sentence NOT in the memory scored < 0.61 for 90% of them (the
rest are real near-duplicates: UN boilerplate).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from resolign.errors import InvalidParameter
from resolign.languages import check_pair
from resolign.service.candidates import Filters, text_candidates
from resolign.service.concordance import ConcordanceHit, ConcordancePage, find_concordance
from resolign.service.fuzzy import (
    Comparison,
    Diff,
    Words,
    compare,
    prepare,
    score_bound,
    word_keys,
)
from resolign.service.normalise import words
from resolign.service.passages import Piece, pieces, sentence_spans
from resolign.service.queries import check_limit, check_query
from resolign.service.semantic_index import SemanticIndex
from resolign.service.store import LookupPostings, Store, StoredUnit, language_query

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["ConcordanceHit", "ConcordancePage", "Lookup", "Match", "PieceMatches",
           "find_concordance", "find_matches", "fuzzy_score", "lookup"]

SEMANTIC_MIN_COSINE = 0.60
EDITS_MARKED = 3
"""Matches whose target gets the translations of their differences marked (best first)."""
ASSEMBLE_MIN_SCORE = 85.0
"""A piece's best match must score this much for the pieces' translations to be assembled."""
PIECE_MATCHES = 3
PIECE_THREADS = 4
"""The pieces of a query are looked up this many at once: each waits mostly on the store
(SQLite and psycopg let go of the GIL), so a pasted passage is answered in about the time of
its slowest pieces plus the comparing, not the sum of its pieces."""
PIECES_BELOW = 90.0
"""The sentences of a one-line query are looked up only when the whole has no match this good
(a paragraph with a typo is its own answer; bench/lookup.py: piece look-ups doubled the fuzzy
look-up time). A query of several lines (pasted paragraphs) is always cut."""
READ_WHOLE = 10
"""Candidates this few (what the exact key finds) are read whole at once: one round trip to
the store instead of their texts first and the best units after."""
BOUND_SLACK = 0.05
"""Scores are rounded to one decimal: a bound this close to a score may still reach it."""
_KIND_RANK = {"exact": 0, "fuzzy": 1, "semantic": 2}


@dataclass
class Match:
    """One memory match: source and target as stored, every language of the unit, its origin.

    `score` is the fuzzy % (edit similarity, 100 exact); `similarity` the semantic one (semantic
    hits only). `diffs` mark what differs from the query; `part` is the span of the source the
    query covers when the query is a part of it, `target_part` the matching sentences of the
    target. `piece` is the index of the query piece matched (None: the whole query) and
    `coverage` the share of the query's words that piece holds."""

    source: str
    target: str
    score: float
    kind: str
    unit_id: int
    unit: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    similarity: float | None = None
    diffs: list[Diff] = field(default_factory=list)
    part: tuple[int, int] | None = None
    target_part: tuple[int, int] | None = None
    piece: int | None = None
    coverage: float = 1.0
    alignment: float | None = None
    created: str = ""
    part_score: float | None = None
    pieces: list[int] = field(default_factory=list)
    second: bool = False
    """A piece's match that another unit answers better (listed after every piece's best)."""
    target_edits: list[tuple[int, int]] = field(default_factory=list)
    """Spans of the target translating the source words that differ from the query."""

    @property
    def rank_score(self) -> float:
        return self.score * self.coverage

    @property
    def quality(self) -> float:
        """The % a CAT tool shows: how much of the whole query this match answers (a piece's
        % times the share of the query it is; a semantic match has none)."""
        return 0.0 if self.kind == "semantic" else round(self.rank_score, 1)


@dataclass
class PieceMatches:
    """The matches of one piece of the query (a paragraph or sentence of it)."""

    text: str
    start: int
    end: int
    matches: list[Match]


@dataclass
class Lookup:
    """Everything a look-up found: ranked matches (whole query and pieces), each piece's own
    matches, and the translation assembled from the pieces when each has a good match."""

    matches: list[Match]
    pieces: list[PieceMatches] = field(default_factory=list)
    assembled: str | None = None


def fuzzy_score(query: str, query_words: list[str], text: str, lang: str = "fr"
                ) -> tuple[float, str]:
    """(score 0-100, "exact" | "fuzzy") of a stored text against the query (fuzzy.py);
    `query_words` is kept for callers of the earlier signature and not needed."""
    del query_words
    found = compare(prepare(query, lang), prepare(text, lang), parts=False)
    return found.score, found.kind


def _target_part(unit: StoredUnit, src: str, tgt: str, part: tuple[int, int]
                 ) -> tuple[int, int] | None:
    """The target sentences answering the source sentences the part covers, when both sides
    have as many sentences (the memory aligned them one to one)."""
    source_sentences = sentence_spans(unit.text_for(src) or "", src)
    target_sentences = sentence_spans(unit.text_for(tgt) or "", tgt)
    if len(source_sentences) < 2 or len(source_sentences) != len(target_sentences):
        return None
    covered = [i for i, (s, e) in enumerate(source_sentences) if s < part[1] and part[0] < e]
    if not covered or len(covered) == len(source_sentences):
        return None
    return target_sentences[covered[0]][0], target_sentences[covered[-1]][1]


def _match(unit: StoredUnit, found: Comparison, src: str, tgt: str, **extra: object) -> Match:
    return Match(source=unit.text_for(src) or "", target=unit.text_for(tgt) or "",
                 score=found.score,
                 kind=found.kind, unit_id=unit.id, unit=dict(unit.texts), origin=unit.origin(),
                 diffs=found.diffs, part=found.part, part_score=found.inner,
                 target_part=_target_part(unit, src, tgt, found.part) if found.part else None,
                 alignment=unit.score, created=unit.created.isoformat() if unit.created else "",
                 **extra)  # type: ignore[arg-type]


def _order(match: Match) -> tuple:
    """Best first: text matches by their % (times the share of the query) then kind, semantic
    ones after them by similarity; ties to the newer unit, then the better-aligned one."""
    if match.kind == "semantic":
        head: tuple = (1, -(match.similarity or 0.0))
    else:
        head = (0, match.second, -match.rank_score)
    created = datetime.fromisoformat(match.created) if match.created else None
    return (*head, *_tie_order(match.kind, match.part is not None, created, match.alignment,
                               match.source))


def _tie_order(kind: str, is_part: bool, created: datetime | None, alignment: float | None,
               source: str) -> tuple:
    """How matches of equal score rank: exact before fuzzy, a whole segment before a part,
    the newer unit, the better-aligned one, then the text (the final ranking and the settling
    of ties in `_first_of_ties` both use it). Dates as one float: a key of negated characters
    cost a tenth of a large fuzzy look-up; undated units come after every dated one."""
    newest_first = -created.timestamp() if created else math.inf
    return (_KIND_RANK[kind], is_part, newest_first, -(alignment or 0.0), source)


def _text_matches(store: Store, text: str, src: str, tgt: str, *, min_score: float,
                  filters: Filters, keep: int, postings: LookupPostings,
                  enough: int | None = None, **extra: object) -> tuple[list[Match], bool]:
    """The candidates' matches at `min_score` or more: at least the best `keep` of them (the
    others are left out once their score bound shows they cannot be among those)."""
    prepared = prepare(text, src)
    if not prepared.spans:
        return [], False
    ids, exact = text_candidates(store, text, prepared, src, filters=filters,
                                  enough=enough, postings=postings)
    units = store.get_units(ids) if 0 < len(ids) <= READ_WHOLE else {}
    texts = _source_texts(store, ids, src, tgt, units)
    compared = _best_compared(prepared, texts, src, min_score=min_score, keep=keep)
    if len(compared) > keep:
        compared = _first_of_ties(store, compared, texts, keep)
    if unread := [i for i in compared if i not in units]:
        units.update(store.get_units(unread))
    return [_match(units[i], found, src, tgt, **extra)
            for i, found in compared.items() if i in units], exact


def _first_of_ties(store: Store, compared: dict[int, Comparison], texts: dict[int, str],
                   keep: int) -> dict[int, Comparison]:
    """The `keep` best of `compared`, ties for the last places settled as `_order` settles
    them (newer unit, better aligned, source text) from two columns per unit instead of whole
    units: a memory may hold one wording hundreds of times."""
    last = sorted((found.score for found in compared.values()), reverse=True)[keep - 1]
    chosen = {i: found for i, found in compared.items() if found.score > last}
    tied = [i for i, found in compared.items() if found.score == last]
    known = store.recency(tied)

    def settled(unit_id: int) -> tuple:
        found = compared[unit_id]
        created, alignment = known.get(unit_id, (None, None))
        return _tie_order(found.kind, found.part is not None, created, alignment, texts[unit_id])

    for unit_id in sorted(tied, key=settled)[:keep - len(chosen)]:
        chosen[unit_id] = compared[unit_id]
    return chosen


def _source_texts(store: Store, ids: list[int], src: str, tgt: str,
                  units: dict[int, StoredUnit] | None = None) -> dict[int, str]:
    """Each candidate's `src` text, for those that also have a `tgt` one (from `units` when
    they were read whole already)."""
    src_base, src_tag = language_query(src)
    tgt_base, tgt_tag = language_query(tgt)
    if units or src_tag or tgt_tag:  # a regional variant: only a unit knows which answers
        units = units or store.get_units(ids)
        return {i: units[i].text_for(src) for i in ids if i in units
                and units[i].text_for(src) is not None and units[i].text_for(tgt) is not None}
    texts = store.texts_of(ids, [src_base, tgt_base])
    return {i: texts[i][src_base] for i in ids
            if src_base in texts.get(i, {}) and tgt_base in texts[i]}


def _best_compared(prepared: Words, texts: dict[int, str], src: str, *, min_score: float,
                   keep: int) -> dict[int, Comparison]:
    """The `keep` best comparisons scoring `min_score` or more (and any tied with the last):
    candidates are taken by their score bound, best first, until `keep` of them score more than
    any candidate left could (the rest are never prepared nor compared: the costly part of a
    look-up on a large memory). Units with the same text share one comparison."""
    bounds: dict[str, float] = {}  # by text: a memory holds the same wording many times
    counts = Counter(prepared.keys)
    for text in texts.values():
        if text not in bounds:
            bounds[text] = score_bound(prepared, word_keys(text, src), counts)
    bounded = sorted(((bounds[t], i) for i, t in texts.items()), key=lambda pair: -pair[0])
    best: list[float] = []  # the `keep` best scores so far, a min-heap
    found: dict[int, Comparison] = {}
    by_text: dict[str, Comparison] = {}
    for bound, unit_id in bounded:
        if bound + BOUND_SLACK < min_score or (len(best) >= keep
                                               and bound + BOUND_SLACK < best[0]):
            break
        text = texts[unit_id]
        if text not in by_text:
            by_text[text] = compare(prepared, prepare(text, src), min_score=min_score)
        compared = by_text[text]
        if compared.score >= min_score:
            found[unit_id] = compared
            heapq.heappush(best, compared.score)
            if len(best) > keep:
                heapq.heappop(best)
    kept = best[0] if len(best) >= keep else min_score
    return {unit_id: found for unit_id, found in found.items() if found.score >= kept}


def lookup(
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
    mark_target: bool = False,
) -> Lookup:
    """Best matches for `query` in the `src` segments with their `tgt` text, best first, and
    the matches of each of its pieces (see the module docstring). With `mark_target`, the
    best EDITS_MARKED fuzzy matches mark in their target what translates their differences
    (target_edits.py)."""
    src, tgt = check_pair(src, tgt, store.tags())
    raw = query if isinstance(query, str) else ""
    query = check_query(query)
    limit = check_limit(limit)
    if not 0 <= min_score <= 100:
        raise InvalidParameter(f"min_score must be between 0 and 100, not {min_score!r}")

    filters: Filters = {"document": document, "symbol": symbol, "resolution": resolution}
    postings: LookupPostings = {}
    found, exact = _text_matches(store, query, src, tgt, min_score=min_score, filters=filters,
                                 keep=limit, enough=limit, postings=postings)
    by_unit: dict[int, Match] = {m.unit_id: m for m in found}
    answer_pieces: list[PieceMatches] = []
    several_lines = "\n" in raw.strip()
    if not exact and (several_lines
                      or max((m.score for m in found), default=0.0) < PIECES_BELOW):
        answer_pieces = _piece_matches(store, raw.strip(), src, tgt, by_unit, limit=limit,
                                       min_score=min_score, filters=filters,
                                       postings=postings)
        leading = {m.unit_id for m in found}
        leading.update(_piece_leaders(by_unit))
        for match in by_unit.values():
            match.second = match.unit_id not in leading
    if index is not None:
        _add_semantic(store, index, query, by_unit, src=src, tgt=tgt, limit=limit,
                      min_score=min_score, filters=filters)
    ranked = sorted(by_unit.values(), key=_order)[:limit]
    if mark_target:
        from resolign.service.target_edits import target_edits

        for match in [m for m in ranked if m.kind == "fuzzy" and m.diffs][:EDITS_MARKED]:
            match.target_edits = target_edits(store, match.source, match.target, match.diffs,
                                              src, tgt)
    return Lookup(matches=ranked, pieces=answer_pieces,
                  assembled=_assemble(raw.strip(), answer_pieces))


def _piece_matches(store: Store, query: str, src: str, tgt: str, by_unit: dict[int, Match], *,
                   limit: int, min_score: float, filters: Filters,
                   postings: LookupPostings) -> list[PieceMatches]:
    cut: list[Piece] = pieces(query, src)
    if not cut:
        return []
    total = max(1, len(words(query)))
    answer = []
    covered: dict[int, list[Match]] = {}

    def piece_matches(numbered: tuple[int, Piece]) -> list[Match]:
        number, piece = numbered
        coverage = round(len(words(piece.text)) / total, 3)
        return _text_matches(store, piece.text, src, tgt, min_score=min_score,
                             filters=filters, keep=max(limit, PIECE_MATCHES),
                             postings=postings, piece=number, coverage=coverage)[0]

    for piece, found in zip(cut, _at_once(piece_matches, list(enumerate(cut))), strict=True):
        found.sort(key=_order)
        answer.append(PieceMatches(piece.text, piece.start, piece.end, found[:PIECE_MATCHES]))
        for match in found:
            covered.setdefault(match.unit_id, []).append(match)
    for unit_id, matches in covered.items():
        merged = _merge_pieces(matches)
        known = by_unit.get(unit_id)
        if known is None or merged.rank_score > known.rank_score:
            by_unit[unit_id] = merged
    return answer


def _at_once(work: Callable[[T], R], items: list[T]) -> list[R]:
    """`work` of every item, in order, PIECE_THREADS at a time on threads of this look-up's
    own (a shared pool would make one long passage's pieces hold up every other look-up's)."""
    if PIECE_THREADS < 2 or len(items) < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(PIECE_THREADS, len(items)),
                            thread_name_prefix="resolign-pieces") as pool:
        return list(pool.map(work, items))


def _piece_leaders(by_unit: dict[int, Match]) -> set[int]:
    """For each piece of the query, the unit that best answers it (a paragraph holding the
    piece and its neighbours outranks the piece's own sentence unit once merged)."""
    best: dict[int, Match] = {}
    for match in by_unit.values():
        for number in match.pieces:
            if number not in best or _order(match) < _order(best[number]):
                best[number] = match
    return {m.unit_id for m in best.values()}


def _merge_pieces(matches: list[Match]) -> Match:
    """One unit matched by several pieces (a paragraph holding three pasted sentences) counts
    for all of them: its coverage is theirs together, its % their weighted mean (a piece found
    inside the unit counts with the % of the run it covers)."""
    best = max(matches, key=lambda m: m.rank_score)
    best.pieces = sorted({m.piece for m in matches if m.piece is not None})
    if len(matches) == 1:
        return best
    coverage = sum(m.coverage for m in matches)
    weighted = sum((m.part_score if m.part else m.score) * m.coverage for m in matches)
    merged = Match(**{**best.__dict__, "coverage": round(min(1.0, coverage), 3)})
    merged.score = round(weighted / coverage, 1)
    return merged


def _assemble(query: str, found: list[PieceMatches]) -> str | None:
    """Each piece's best translation, in order, when every piece has one of at least
    ASSEMBLE_MIN_SCORE (the part of a unit's translation when the piece is a part of it)."""
    if not found:
        return None
    chosen = []
    for piece in found:
        best = piece.matches[0] if piece.matches else None
        if best is None or best.kind == "semantic" or best.score < ASSEMBLE_MIN_SCORE:
            return None
        if best.part and not best.target_part:
            return None
        chosen.append(best.target[slice(*best.target_part)] if best.target_part else best.target)
    joiner = "\n" if "\n" in query else " "
    return joiner.join(chosen)


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
    """The ranked matches of `lookup` (exact and fuzzy from the store, semantic from `index`;
    None: none)."""
    return lookup(store, index, query, src=src, tgt=tgt, limit=limit, min_score=min_score,
                  document=document, symbol=symbol, resolution=resolution).matches


def _add_semantic(
    store: Store, index: SemanticIndex, query: str, found: dict[int, Match], *, src: str,
    tgt: str, limit: int, min_score: float, filters: Filters,
) -> None:
    """Same-meaning neighbours not already found by their words; `min_score` applies to
    their similarity."""
    k = limit * (20 if any(filters.values()) else 3) + len(found)
    near = [(i, cos) for i, cos in index.nearest(query, min(k, 2000))
            if cos >= SEMANTIC_MIN_COSINE and 100 * cos >= min_score and i not in found]
    if not near:
        return
    allowed = store.filter_ids([i for i, _ in near], **filters)
    units = store.get_units([i for i, _ in near if i in allowed])
    prepared = prepare(query, src)
    for unit_id, cos in near:
        unit = units.get(unit_id)
        source = unit.text_for(src) if unit is not None else None
        if unit is None or source is None or unit.text_for(tgt) is None:
            continue
        compared = compare(prepared, prepare(source, src), parts=False)
        match = _match(unit, compared, src, tgt, similarity=min(99.0, round(100 * cos, 1)))
        match.kind = "semantic"
        found[unit_id] = match
