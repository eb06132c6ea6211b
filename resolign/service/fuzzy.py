"""Comparing a query with a stored segment word by word: the fuzzy %, the differences to mark,
and where a query that is only a part of the segment sits in it.

The % is the CAT tools' edit similarity over words, 100 * (1 - cost / longer length), where
the cost counts a word inserted, deleted or replaced as 1, the same word in another form
(wordforms.py: "État"/"États") as 0.5, and placeables (numbers, dates, paragraph numbering:
placeables.py) as 0.1. 100 is kept for the same text (whitespace aside); the same words
differing only in case, accents, harakat or punctuation score 99; differing only in forms or
placeables, 99 minus one per difference but never under 95 (memoQ gives 99 when only numbers
differ: the translation needs the same numbers put in, nothing retranslated).

Differences are what a translator edits: words of the stored segment that the query lacks or
has otherwise (`insert`, `replace`), the query's words the segment lacks (`delete`, placed
where they would go), other forms (`form`) and other numbers (`placeable`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Levenshtein

from resolign.service.normalise import tokens, words
from resolign.service.placeables import PLACEABLE, body_tokens, is_placeable, numbering_end
from resolign.service.wordforms import form_key

Span = tuple[int, int]
FORM_COST = 0.5
PLACEABLE_COST = 0.1
"""A number to put in is a small edit: it only breaks ties between otherwise equal matches."""
PART_MIN_WORDS = 6
"""A query shorter than this is not looked for inside longer segments (concordance does that)."""
PART_WEIGHT = 2.0
PART_MIN_RATIO = 1.3
"""A segment this many times longer than the query is searched for the query as a part."""
WORD_KEYS_KEPT = 1 << 14
"""Candidate texts whose word keys are kept (about 11 MB of tuples of shared strings)."""


@dataclass(frozen=True)
class Diff:
    """One difference: `op` (insert | delete | replace | form | placeable), the stored text's
    span and the query's span (None on the side that has no word)."""

    op: str
    text: Span | None
    query: Span | None


@dataclass
class Comparison:
    """A stored segment against the query: score 0-100, kind exact | fuzzy, the differences,
    and `part` (the span of the segment the query covers) when the query is only a part."""

    score: float
    kind: str
    diffs: list[Diff] = field(default_factory=list)
    part: Span | None = None
    part_words: tuple[int, int] | None = None
    inner: float | None = None
    """For a part: the % of the covered run alone (before the small weight for the rest)."""


@dataclass(frozen=True, slots=True)
class Words:
    """A text prepared for comparison: the body's words (paragraph mark set apart) as keys
    (placeables as one symbol), folded surfaces and spans, and the mark's surfaces and spans.

    Tuples of strings and of (start, end) ints only: a server caches thousands of these, and
    the garbage collector stops tracking such tuples but walks every item of a list and every
    Token (a tuple subclass). Lists of Tokens made each full collection of a 1M-unit server
    take 80-140 ms, a pause for every request in flight."""

    text: str
    mark: tuple[str, ...]
    mark_spans: tuple[Span, ...]
    spans: tuple[Span, ...]
    keys: tuple[str, ...]
    norms: tuple[str, ...]


@lru_cache(maxsize=4096)
def prepare(text: str, lang: str) -> Words:
    """A text tokenised for comparison (cached: the pieces of one query meet the same units)."""
    numbering, toks = body_tokens(text, tokens(text))
    norms = tuple(t.norm for t in toks)
    return Words(text, tuple(t.norm for t in numbering),
                 tuple((t.start, t.end) for t in numbering), tuple((t.start, t.end) for t in toks),
                 tuple(_word_key(n, lang) for n in norms), norms)


@lru_cache(maxsize=1 << 18)
def _word_key(word: str, lang: str) -> str:
    """What a folded word is compared as: one symbol for every placeable, else its form key."""
    return PLACEABLE if is_placeable(word) else form_key(word, lang)


@lru_cache(maxsize=WORD_KEYS_KEPT)
def word_keys(text: str, lang: str) -> tuple[str, ...]:
    """The `keys` of `prepare(text, lang)` without the token spans: what `score_bound` needs,
    at a third of the cost (a look-up bounds a hundred candidates and compares a few). Cached:
    look-ups of like queries meet the same candidates, and bounding them was half of a
    look-up's time on a 700-unit memory."""
    return tuple(_word_key(word, lang) for word in words(text[numbering_end(text):]))


def score_bound(query: Words, keys: Sequence[str],
                query_counts: Counter[str] | None = None) -> float:
    """A score `compare(query, stored)` never exceeds, from the stored segment's `word_keys`
    alone: forms and placeables only add to the word edit distance, and a part covers at most
    the query words the segment has. `query_counts` is `Counter(query.keys)`, when the caller
    bounds many segments against one query."""
    longest = max(len(query.keys), len(keys), 1)
    bound = 100.0 * (1 - Levenshtein.distance(query.keys, keys) / longest)
    if len(query.keys) >= PART_MIN_WORDS and len(keys) >= PART_MIN_RATIO * len(query.keys):
        wanted = query_counts if query_counts is not None else Counter(query.keys)
        held = Counter(keys)
        common = sum(min(n, held.get(key, 0)) for key, n in wanted.items())
        bound = max(bound, 100.0 * common / len(query.keys))
    return bound


def _same_surface(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def compare(query: Words, stored: Words, *, parts: bool = True,
            min_score: float = 0.0) -> Comparison:
    """Score and differences of `stored` against `query` (see the module docstring). Below
    `min_score` the differences are not worked out (the match will not be shown)."""
    if _same_surface(query.text, stored.text):
        return Comparison(100.0, "exact")
    longest = max(len(query.keys), len(stored.keys), 1)
    bound = 100.0 * (1 - Levenshtein.distance(query.keys, stored.keys) / longest)
    if bound < min_score:  # forms and placeables only lower it further
        whole = Comparison(round(max(0.0, bound), 1), "fuzzy")
    else:
        whole = _compare_span(query, stored, 0, len(stored.keys))
    if parts and len(query.keys) >= PART_MIN_WORDS \
            and len(stored.keys) >= PART_MIN_RATIO * len(query.keys) \
            and _shared(query.keys, stored.keys) >= 0.5:
        part = _part(query, stored)
        if part is not None and part.score > whole.score:
            return part
    return whole


def _shared(query: list[str], stored: list[str]) -> float:
    """Share of the query's distinct words the segment has (a cheap bound before aligning)."""
    wanted = set(query)
    return len(wanted.intersection(stored)) / len(wanted) if wanted else 0.0


def _compare_span(query: Words, stored: Words, lo: int, hi: int) -> Comparison:
    qk, sk = query.keys, stored.keys[lo:hi]
    longest = max(len(qk), len(sk))
    if longest == 0:
        return Comparison(99.0 if not query.spans and not stored.spans else 0.0, "fuzzy")
    diffs: list[Diff] = []
    cost = 0.0
    minor = 0
    for op in Levenshtein.opcodes(qk, sk):
        q_at = range(op.src_start, op.src_end)
        s_at = range(lo + op.dest_start, lo + op.dest_end)
        if op.tag == "equal":
            for q, s, key in zip(q_at, s_at, qk[op.src_start:op.src_end], strict=True):
                if query.norms[q] != stored.norms[s]:
                    kind = "placeable" if key == PLACEABLE else "form"
                    diffs.append(Diff(kind, stored.spans[s], query.spans[q]))
                    cost += FORM_COST if kind == "form" else PLACEABLE_COST
                    minor += 1
            continue
        cost += max(len(q_at), len(s_at))
        q_span = (query.spans[q_at[0]][0], query.spans[q_at[-1]][1]) if q_at else None
        if op.tag == "delete":
            diffs.append(Diff("delete", None, q_span))
        else:
            diffs.extend(Diff(op.tag, stored.spans[s], q_span) for s in s_at)
    if lo == 0 and hi == len(stored.keys) and query.mark != stored.mark:
        minor += 1
        diffs.extend(Diff("placeable", span, None) for span in stored.mark_spans)
    if not any(d.op in ("insert", "delete", "replace") for d in diffs):
        return Comparison(max(95.0, 99.0 - minor) if minor else 99.0, "fuzzy", diffs)
    score = round(100.0 * (1 - cost / longest), 1)
    return Comparison(max(0.0, min(99.0, score)), "fuzzy", diffs)


def _part(query: Words, stored: Words) -> Comparison | None:
    """The query as a part of a longer segment: the best-matching run of the segment's words,
    scored like a whole segment, less up to PART_WEIGHT points for the rest of the segment
    (a query found whole inside a paragraph outranks a sentence that holds only most of it;
    an equal whole-segment match outranks the part)."""
    table: dict[str, str] = {}
    q = "".join(table.setdefault(k, chr(0xF0000 + len(table))) for k in query.keys)
    s = "".join(table.setdefault(k, chr(0xF0000 + len(table))) for k in stored.keys)
    found = fuzz.partial_ratio_alignment(q, s)
    if found is None or found.score < 50:
        return None
    margin = len(q) // 8 + 1
    best: tuple[float, int, int] | None = None
    for lo in range(max(0, found.dest_start - margin), min(len(s), found.dest_start + margin) + 1):
        for hi in range(max(lo + 1, found.dest_end - margin),
                        min(len(s), found.dest_end + margin) + 1):
            # most query words in common first (the run takes "les plus touchés" whole), then
            # the shortest run that has them
            common = (len(q) + hi - lo - Indel.distance(q, s[lo:hi])) / 2
            if best is None or (-common, hi - lo) < (best[0], best[2] - best[1]):
                best = (-common, lo, hi)
    assert best is not None
    _, lo, hi = best
    inner = _compare_span(query, stored, lo, hi)
    share = (hi - lo) / len(stored.keys)
    score = round(max(0.0, min(99.0, inner.score) - PART_WEIGHT * (1 - share)), 1)
    span = (stored.spans[lo][0], stored.spans[hi - 1][1])
    return Comparison(score, "fuzzy", inner.diffs, part=span, part_words=(lo, hi),
                      inner=min(99.0, inner.score))


def difference_spans(diffs: list[Diff]) -> list[Span]:
    """The stored text's spans to mark: every word that differs from the query."""
    return sorted({d.text for d in diffs if d.text is not None})
