"""Concordance: every stored segment that contains a word or phrase, in any of its forms, a page
at a time with the true total.

The phrase is matched on form keys (wordforms.py) in order: "État Membre" finds "États
Membres", "الأمم المتحدة" finds "للأمم المتحدة". Segments holding the phrase exactly as typed
(case and accents aside) come first, then the other forms; each group newest first. Both
groups and the total are full-text queries, so a page costs the same on page 1 and page 100
of a phrase, and nothing is scanned. The total is one count of the phrase's forms; the exact
hits are counted only for a page that starts after them (counting 97,639 units on
PostgreSQL costs what the page itself does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from resolign.errors import InputError
from resolign.languages import LANGS, check_lang, primary
from resolign.service.equivalents import (
    SAMPLE,
    Equivalents,
    group_counts,
    learn,
    mark,
    memory_state,
    remembered,
)
from resolign.service.highlight import phrase_spans
from resolign.service.queries import check_page, check_query
from resolign.service.store import Store, StoredUnit, phrase
from resolign.service.wordforms import form_keys, surface_terms

Span = tuple[int, int]


@dataclass
class ConcordanceHit:
    """A segment containing the phrase; `highlighted` are (start, end) spans into `text`;
    `exact` when the phrase is there as typed (not only in another form)."""

    unit_id: int
    lang: str
    text: str
    highlighted: list[Span]
    unit: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    exact: bool = False
    score: float | None = None
    equivalents: dict[str, list[Span]] = field(default_factory=dict)
    group: dict[str, str] = field(default_factory=dict)


@dataclass
class ConcordancePage:
    """One page of hits and how many there are in all."""

    total: int
    offset: int
    hits: list[ConcordanceHit]
    groups: list[tuple[str, str, int]] = field(default_factory=list)


def find_concordance(
    store: Store,
    query: str,
    *,
    lang: str | None = None,
    limit: int = 20,
    offset: int = 0,
    document: str | None = None,
    symbol: str | None = None,
    resolution: str | None = None,
    equivalents: bool = True,
) -> ConcordancePage:
    """Segments containing the words of `query` as a phrase in any of their forms, in one
    language or all, exact phrase first, newest first; `limit` hits from `offset`. With
    `equivalents` (one language only), the translations of the phrase are marked in the other
    languages and the hits grouped by them (equivalents.py)."""
    query = check_query(query)
    check_page(limit, offset)
    langs = [check_lang(lang, "lang", store.tags())] if lang else list(LANGS)
    filters = {"document": document, "symbol": symbol, "resolution": resolution}
    counted: list[tuple[str, list[str], str, str, int]] = []
    for code in langs:
        keys = form_keys(query, code)
        if not keys:
            raise InputError("query has no words to look for")
        exact, forms = phrase(surface_terms(query)), phrase(keys)
        counted.append((code, keys, exact, forms, store.fts_count(code, forms, **filters)))
    hits: list[ConcordanceHit] = []
    skip, taken = offset, 0  # taken: places of the page filled (a unit deleted meanwhile too)
    for code, keys, exact, forms, n_forms in counted:
        if taken >= limit:
            break
        if skip >= n_forms:
            skip -= n_forms
            continue
        wanted = limit - taken
        ids = store.fts_page(code, exact, limit=wanted, offset=skip, bound=n_forms, **filters)
        hits += _hits(store, ids, code, keys, is_exact=True)
        taken += len(ids)
        if len(ids) < wanted:  # the exact hits end on this page: the other forms follow
            # how many exact hits there are: known, unless the page starts after them all
            n_exact = skip + len(ids) if ids or not skip else store.fts_count(
                code, exact, **filters)
            if n_forms > n_exact:
                ids = store.fts_page(code, f"{forms} NOT {exact}", limit=limit - taken,
                                     offset=max(0, skip - n_exact), bound=n_forms - n_exact,
                                     **filters)
                hits += _hits(store, ids, code, keys, is_exact=False)
                taken += len(ids)
        skip = 0
    total = sum(n_forms for *_, n_forms in counted)
    page = ConcordancePage(total=total, offset=offset, hits=hits)
    if equivalents and len(langs) == 1 and hits:
        _add_equivalents(store, page, langs[0], counted[0][3], filters)
    return page


def _hits(store: Store, ids: list[int], lang: str, keys: list[str], *,
          is_exact: bool) -> list[ConcordanceHit]:
    """The hits of units `ids` (in that order; a unit deleted meanwhile is left out)."""
    units = store.get_units(ids)
    hits = []
    for unit_id in ids:
        unit = units.get(unit_id)
        if unit is None:
            continue
        text, spans = _matching_variant(unit, lang, keys)
        hits.append(ConcordanceHit(unit_id=unit_id, lang=lang, text=text, highlighted=spans,
                                   unit=dict(unit.texts), origin=unit.origin(),
                                   exact=is_exact, score=unit.score))
    return hits


def _matching_variant(unit: StoredUnit, lang: str, keys: list[str]) -> tuple[str, list[Span]]:
    """The unit's `lang` text holding the phrase (a unit may have fr and fr-CA) and the
    phrase's spans in it."""
    texts = [v.text for v in unit.variants_for(lang) if v.text.strip()]
    for text in texts:
        spans = phrase_spans(text, lang, keys)
        if spans:
            return text, spans
    return (texts[0] if texts else ""), []


def _add_equivalents(store: Store, page: ConcordancePage, lang: str, forms: str,
                     filters: dict[str, str | None]) -> None:
    memory = memory_state(store)
    learned = remembered((*memory, "concordance", lang, forms, page.total,
                          *filters.values()),
                         lambda: _equivalents(store, lang, forms, filters, page.total, memory[3]))
    for hit in page.hits:
        for code, lang_runs in learned.runs:
            if hit.unit.get(code):
                spans, label = mark(hit.unit[code], code, lang_runs)
                if spans:
                    hit.equivalents[code] = spans
                    hit.group[code] = label
    page.groups = list(learned.groups)


def _equivalents(store: Store, lang: str, forms: str, filters: dict[str, str | None],
                 total: int, units: int) -> Equivalents:
    """The phrase's translations, learned from a sample of its hits (the same for every page
    of it while the memory is unchanged: kept by the caller)."""
    others = [code for code in LANGS if code != primary(lang)]
    sample = store.fts_page(lang, forms, limit=SAMPLE, bound=total, **filters)
    texts = store.texts_of(sample, others)
    runs = learn(store, texts, others, total, units)
    return Equivalents(tuple((code, tuple(found)) for code, found in runs.items()),
                       tuple(group_counts(texts, runs)))
