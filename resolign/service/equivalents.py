"""Equivalents: which words of the other languages translate a concordance phrase, learned from
the memory itself, and the hits grouped by that translation.

For a phrase with N hits, the translations of a sample of them (SAMPLE hits) are cut into runs
of 1-4 words (form keys, wordforms.py). A run that translates the phrase is in many of the
hits' translations and seldom elsewhere: its association is the Dice coefficient between "the
unit holds the phrase" and "its translation holds the run", 2·joint / (N + df(run)), with the
joint count estimated from the sample and df(run) read from the target language's full-text
index (an FTS5 phrase count). So "maintien de la paix" gives "peacekeeping" and "maintenance
of international peace" high, "the" and "of" nothing (in most units, so df is huge), and the
model is always current: it is the memory's own index, nothing is trained or stored apart.
Runs that start or end with a word found in over FUNCTION_SHARE of the memory's units are
left out (articles and prepositions hang on to everything), and so are runs not at least
MIN_LIFT times commoner among the hits than in the whole memory.

Each hit's translation is then marked with the best run it holds; the hits are grouped by the
words that run covers ("peacekeeping" 8, "maintenance of international peace" 7).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from resolign.service.highlight import run_spans
from resolign.service.store import Store, phrase
from resolign.service.wordforms import form_words

SAMPLE = 100
MAX_RUN = 4
CANDIDATES = 20
MIN_DICE = 0.2
MIN_LIFT = 3.0
"""A run must be this many times commoner in the hits' translations than in the memory at
large: "pour" and "que" are in 40% of the hits, but in 29% of all units too."""
FUNCTION_SHARE = 0.3

Span = tuple[int, int]


LEARNED_KEPT = 4096
"""What a process keeps of what it learned (`remembered`). Learning is most of a look-up's
time on a small memory (3 of 8 ms of a fuzzy search, 2 of 5 ms of a concordance page on 700
devset units), and translators look up the same phrases and words again and again (63% of the
runs of 800 bench look-ups had been learned before). Answers are tuples of strings, which the
garbage collector stops walking (an Equivalents is one object left to walk)."""
_LEARNED: dict[tuple, Any] = {}
_UNKNOWN = object()
T = TypeVar("T")


@dataclass(frozen=True)
class Equivalents:
    """(target language, the runs of form keys that translate a phrase, best first), and
    (language, translation, sampled hits using it), commonest first."""

    runs: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]
    groups: tuple[tuple[str, str, int], ...]


def memory_state(store: Store) -> tuple[str, str, int, int]:
    """Which memory, in which state: what is learned from it holds as long as this does (any
    write gives a new revision; copies of one file differ in location, two memories in id)."""
    return store.location, store.store_id, store.revision, store.count()


def remembered(key: tuple, learning: Callable[[], T]) -> T:
    """`learning()`, done once per `key`, which starts with the `memory_state` it learns from.
    Up to LEARNED_KEPT answers are kept, then all are forgotten at once."""
    found = _LEARNED.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = learning()
        if len(_LEARNED) >= LEARNED_KEPT:
            _LEARNED.clear()
        _LEARNED[key] = found
    return found


def run_counts(texts: Sequence[Sequence[str]], least: int) -> Counter[tuple[str, ...]]:
    """In how many of `texts` (form keys) each run of 1..MAX_RUN words occurs, for the runs
    held by `least` texts or more. A run is only that common if both its shorter runs are,
    so a run of n words is only built where the two runs of n - 1 words it covers were kept
    (a sample's translations hold tens of thousands of runs, nearly all of them once; building
    them all cost a quarter of a server's time under load)."""
    words: Counter[str] = Counter()
    for keys in texts:
        words.update(set(keys))
    common = {w for w, c in words.items() if c >= least}
    counts: Counter[tuple[str, ...]] = Counter({(w,): words[w] for w in common})
    # where a kept run of the current length starts, per text
    starts = [[i for i, key in enumerate(keys) if key in common] for keys in texts]
    for n in range(2, MAX_RUN + 1):
        these: Counter[tuple[str, ...]] = Counter()
        longer: list[list[int]] = []
        for keys, at in zip(texts, starts, strict=True):
            begins = set(at)
            grown = [i for i in at if i + 1 in begins]
            longer.append(grown)
            these.update({tuple(keys[i:i + n]) for i in grown})
        kept: set[tuple[str, ...]] = {run for run, c in these.items() if c >= least}
        if not kept:
            break
        counts.update({run: these[run] for run in kept})
        starts = [[i for i in grown if tuple(keys[i:i + n]) in kept]
                  for keys, grown in zip(texts, longer, strict=True)]
    return counts


def learn(store: Store, texts: dict[int, dict[str, str]], langs: list[str], total: int,
          units: int) -> dict[str, list[tuple[str, ...]]]:
    """The runs of each language in `langs` that translate the phrase whose sampled hits'
    texts are `texts` (unit id -> lang -> text); `total` hits in all, `units` in the memory."""
    found: dict[str, list[tuple[str, ...]]] = {}
    sample = max(1, len(texts))
    least = max(2, round(0.1 * sample))  # one hit teaches nothing
    for lang in langs:
        counts = run_counts([form_words(by_lang[lang], lang).keys
                             for by_lang in texts.values() if by_lang.get(lang)], least)
        if not counts:
            continue
        common = sorted(counts, key=lambda run: (-counts[run], run))[:CANDIDATES * 4]
        edges = sorted({w for run in common for w in (run[0], run[-1])})
        df1 = store.document_frequencies(lang, edges)
        function = {w for w, n in df1.items() if n > FUNCTION_SHARE * units}
        wanted = [run for run in common if run[0] not in function and run[-1] not in function]
        scored = []
        for run in wanted[:CANDIDATES]:
            useful = _most_telling(counts[run], sample, total, units)
            if useful < 1:
                continue
            df = df1.get(run[0], 0) if len(run) == 1 else store.fts_count(
                lang, phrase(list(run)), at_most=useful + 1, estimate=True)
            if df > useful:
                continue  # commoner than any run that passes both tests
            dice, lift = association(counts[run], sample, total, units, df)
            if dice >= MIN_DICE and lift >= MIN_LIFT:
                scored.append((dice, len(run), run))
        scored.sort(key=lambda item: (-item[0], -item[1]))
        found[lang] = [run for _, _, run in scored]
    return found


def association(count: int, sample: int, total: int, units: int, df: int,
                ) -> tuple[float, float]:
    """(Dice, lift) of a run held by `count` of `sample` sampled hits of a phrase with
    `total` hits, and by `df` of the memory's `units` units."""
    if not df:
        return 0.0, 0.0
    joint = min(df, count * total / sample)
    return 2 * joint / (total + df), (count / sample) / (df / max(1, units))


def _most_telling(count: int, sample: int, total: int, units: int) -> int:
    """The largest document frequency at which a run held by `count` of `sample` sampled hits
    can still pass MIN_DICE and MIN_LIFT: counting a phrase's units can stop just above it
    (at 1M units, "the Security Council" would otherwise be counted in full)."""
    joint = count * total / sample
    by_dice = 2 * joint / MIN_DICE - total
    by_lift = count * units / (sample * MIN_LIFT)
    return int(min(by_dice, by_lift) + 1e-9)


def mark(text: str, lang: str, runs: Sequence[tuple[str, ...]]) -> tuple[list[Span], str]:
    """(spans of the best run `text` holds, its words as written, lower case) or ([], "")."""
    _, spans, label = _best_held(text, lang, runs)
    return spans, label


def group_counts(texts: dict[int, dict[str, str]], runs: dict[str, list[tuple[str, ...]]]
                 ) -> list[tuple[str, str, int]]:
    """(lang, translation, number of sampled hits using it), commonest first: hits are grouped
    by the run they hold (all its forms: لحقوق الإنسان with حقوق الإنسان), shown as its
    commonest wording."""
    groups: list[tuple[str, str, int]] = []
    for lang, lang_runs in runs.items():
        by_run: dict[tuple[str, ...], Counter[str]] = {}
        for by_lang in texts.values():
            if by_lang.get(lang):
                run, label = best_run(by_lang[lang], lang, lang_runs)
                if run:
                    by_run.setdefault(run, Counter())[label] += 1
        ranked = sorted(by_run.values(), key=lambda c: -sum(c.values()))
        groups += [(lang, labels.most_common(1)[0][0], sum(labels.values()))
                   for labels in ranked[:10]]
    return groups


def best_run(text: str, lang: str, runs: list[tuple[str, ...]]) -> tuple[tuple[str, ...], str]:
    """(the best run `text` holds, its words as written) or ((), "")."""
    run, _, label = _best_held(text, lang, runs, first=True)
    return run, label


def _best_held(text: str, lang: str, runs: Sequence[tuple[str, ...]], *, first: bool = False
               ) -> tuple[tuple[str, ...], list[Span], str]:
    """The first of `runs` that `text` holds, where (every place, or only the first with
    `first`), and its words there as written, lower case; or ((), [], "")."""
    words = form_words(text, lang)
    for run in runs:
        if spans := run_spans(words, run, first=first):
            start, end = spans[0]
            return run, spans, " ".join(text[start:end].lower().split())
    return (), [], ""
