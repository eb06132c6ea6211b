"""Search on a real memory: UN devset units (fr/en/ar) grouped by document symbol."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolign.errors import InputError
from resolign.service import candidates as candidates_module
from resolign.service import search as search_module
from resolign.service.candidates import text_candidates
from resolign.service.concordance import find_concordance
from resolign.service.equivalents import (
    MAX_RUN,
    MIN_DICE,
    MIN_LIFT,
    _most_telling,
    association,
    run_counts,
)
from resolign.service.fuzzy import compare, prepare, score_bound, word_keys
from resolign.service.memory import Memory
from resolign.service.normalise import normalise, tokens, words
from resolign.service.search import (
    Lookup,
    _best_compared,
    _source_texts,
    fuzzy_score,
)
from resolign.service.store import phrase
from resolign.service.wordforms import form_keys, form_words
from resolign.units import Unit, Variant
from tests.devset import devset_lines, whole_documents

UNIT_TARGET = 300


@pytest.fixture(scope="module")
def units(devset_dir: Path) -> list[Unit]:
    return whole_documents(UNIT_TARGET)


@pytest.fixture(scope="module")
def store(units: list[Unit], module_memory_location: str) -> Memory:
    """The memory every search test reads, built once per backend (SQLite, PostgreSQL)."""
    memory = Memory.open(module_memory_location)
    report = memory.add_units(units)
    assert report.added == len(units)
    yield memory
    memory.close()


def _by_english(units: list[Unit], english_start: str) -> Unit:
    return next(u for u in units if u.texts["en"].startswith(english_start))


# --- exact and fuzzy ------------------------------------------------------------------------

def test_every_french_unit_is_its_own_exact_top_match(store: Memory, units: list[Unit]):
    for position, unit in enumerate(units):
        # Semantic matches score at most 99, so they cannot outrank an exact one; embedding
        # every query would only slow the test down: check that on every tenth unit.
        matches = store.search(unit.texts["fr"], src="fr", tgt="en", limit=5,
                         semantic=position % 10 == 0)
        assert matches, unit.texts["fr"]
        assert (matches[0].score, matches[0].kind) == (100.0, "exact")
        exact = [m for m in matches if m.kind == "exact"]
        assert any(m.target == unit.texts["en"] and m.unit["ar"] == unit.texts["ar"]
                   and m.origin["symbol"] == unit.symbol for m in exact), unit.texts["fr"]


def _replace_one_word(text: str) -> str | None:
    """The text with one purely alphabetic word (a whole token) replaced by another word."""
    parts = text.split(" ")
    for position in range(len(parts) // 2, len(parts)):
        if re.fullmatch(r"[^\W\d_]{4,}", parts[position]):
            parts[position] = "quelconque" if parts[position] != "quelconque" else "autre"
            return " ".join(parts)
    return None


def test_one_word_changed_is_a_fuzzy_match_of_at_least_80(store: Memory, units: list[Unit]):
    tried = 0
    for unit in units:
        if len(prepare(unit.texts["fr"], "fr").keys) < 5:
            continue
        query = _replace_one_word(unit.texts["fr"])
        if query is None:
            continue
        tried += 1
        matches = store.search(query, src="fr", tgt="ar", limit=5, semantic=False)
        best = [m for m in matches if m.score == matches[0].score]
        assert any(m.target == unit.texts["ar"] for m in best), query
        assert best[0].kind == "fuzzy" and best[0].score >= 80
        # a leading paragraph number ("4.") is a placeable, not one of the words compared
        expected = round(100 * (1 - 1 / len(prepare(unit.texts["fr"], "fr").keys)), 1)
        assert best[0].score == expected
    assert tried > 150


def test_fuzzy_score_is_token_edit_distance():
    assert fuzzy_score("a b c d", ["a", "b", "c", "d"], "a b c d") == (100.0, "exact")
    assert fuzzy_score("A b c d", ["a", "b", "c", "d"], "a b c d") == (99.0, "fuzzy")
    assert fuzzy_score("a b x d", ["a", "b", "x", "d"], "a b c d") == (75.0, "fuzzy")
    assert fuzzy_score("a b", ["a", "b"], "a b c d") == (50.0, "fuzzy")


def test_score_bound_never_undercuts_the_score_on_devset_lines():
    """The look-up compares candidates in order of their bound and stops once `limit` scores
    beat every bound left: the bound must hold for whole segments, parts and other forms."""
    lines = devset_lines()
    for lang in ("fr", "en", "ar"):
        texts = lines[lang][:400]
        for i, text in enumerate(texts):
            assert tuple(word_keys(text, lang)) == prepare(text, lang).keys, text
            query_words = text.split()
            queries = [" ".join(query_words[:-1]), " ".join(query_words[1:]),
                       text.replace("s ", " ", 2), f"1. {text}"]
            longer = [texts[i - 1] + " " + text, text + " " + texts[(i + 1) % len(texts)]]
            for query in queries:
                prepared = prepare(query, lang)
                for stored in [text, *longer, texts[i - 1]]:
                    found = compare(prepared, prepare(stored, lang))
                    assert score_bound(prepared, word_keys(stored, lang)) >= found.score - 0.05, \
                        (query, stored, found)


def test_run_counts_are_the_brute_force_counts_of_the_common_runs():
    """Equivalents count only the runs whose shorter runs are common enough: on samples of
    devset lines holding one phrase (as a concordance samples its hits), in every language and
    sample size, the counts kept are exactly those of counting every run of every text and
    dropping the rare ones."""
    lines = devset_lines()
    phrases = {"fr": "Nations Unies", "en": "United Nations", "ar": "الأمم المتحدة"}
    for lang, wanted in phrases.items():
        holding = [line for line in lines[lang] if wanted in line]
        for size in (5, 30, 100):
            texts = [form_words(line, lang).keys for line in holding[:size]]
            least = max(2, round(0.1 * size))
            every: dict[tuple[str, ...], int] = {}
            for keys in texts:
                for run in {tuple(keys[i:i + n]) for n in range(1, MAX_RUN + 1)
                            for i in range(len(keys) - n + 1)}:
                    every[run] = every.get(run, 0) + 1
            common = {run: n for run, n in every.items() if n >= least}
            assert any(len(run) > 1 for run in common), (lang, size)
            assert dict(run_counts(texts, least)) == common, (lang, size)


def test_pruned_look_up_keeps_the_best_scores_of_every_candidate(store: Memory,
                                                                units: list[Unit]):
    """The matches kept after pruning by bound are the best `keep` of all the candidates
    (same scores as comparing every candidate), on queries with a word dropped."""
    raw = store.store
    for unit in units[::7]:
        query = " ".join(w for n, w in enumerate(unit.texts["fr"].split()) if n != 2)
        prepared = prepare(query, "fr")
        ids, _ = text_candidates(raw, query, prepared, "fr", filters={
            "document": None, "symbol": None, "resolution": None})
        texts = _source_texts(raw, ids, "fr", "en")
        every = _best_compared(prepared, texts, "fr", min_score=30, keep=len(texts) + 1)
        pruned = _best_compared(prepared, texts, "fr", min_score=30, keep=5)
        best = sorted((c.score for c in every.values()), reverse=True)[:5]
        assert sorted((c.score for c in pruned.values()), reverse=True)[:5] == best, query
        assert len(pruned) <= len(every)


def test_an_and_match_finds_the_units_holding_every_term(store: Memory):
    raw = store.store
    council, security = form_keys("Conseil sécurité", "fr")
    both = set(raw.fts_page("fr", f'"{council}" AND "{security}"', limit=500))
    each = [set(raw.fts_page("fr", f'"{term}"', limit=500)) for term in (council, security)]
    assert both and both == each[0] & each[1]
    assert raw.fts_count("fr", f'"{council}" AND "{security}"') == len(both)
    # ranked candidates of the same expressions: the same units, whatever the expression
    assert set(raw.fts_candidates("fr", f'"{council}" AND "{security}"', limit=500)) == both
    adjacent = f'"{council} de {security}"'
    assert set(raw.fts_candidates("fr", adjacent, limit=500)) == set(
        raw.fts_page("fr", adjacent, limit=500)) != set()


def test_a_query_of_common_words_only_still_finds_its_unit(
        store: Memory, units: list[Unit], monkeypatch: pytest.MonkeyPatch):
    """With every word of the query over the postings budget (as "Rapport du Secrétaire
    général" is in a large memory), candidates are the units holding its rarest words."""
    monkeypatch.setattr(candidates_module, "MAX_POSTINGS", 1)
    tried = 0
    for unit in units[::9]:
        words_of = unit.texts["fr"].split()
        if len(words_of) < 8:
            continue
        query = " ".join(w for n, w in enumerate(words_of) if n != len(words_of) // 2)
        present = candidates_module.present_terms(store.store, "fr", prepare(query, "fr"))
        assert present[0][1] + present[1][1] > candidates_module.MAX_POSTINGS
        found = store.search(query, src="fr", tgt="en", semantic=False, limit=3)
        assert found and found[0].unit["fr"] == unit.texts["fr"], query
        tried += 1
    assert tried > 10


def test_a_pasted_passage_gets_each_piece_answered_as_one_at_a_time(
        store: Memory, units: list[Unit], monkeypatch: pytest.MonkeyPatch):
    """The pieces of a passage are looked up at once on threads: each gets what it gets when
    the pieces go one after another, in the passage's order, and finds its own unit."""
    chosen = [u for u in units[3::23] if len(u.texts["fr"].split()) >= 8][:6]
    passage = "\n".join(u.texts["fr"] for u in chosen)
    at_once = store.lookup(passage, src="fr", tgt="en", semantic=False)
    monkeypatch.setattr(search_module, "PIECE_THREADS", 1)
    in_turn = store.lookup(passage, src="fr", tgt="en", semantic=False)

    def answers(found: Lookup) -> list[tuple]:
        return [(p.text, [(m.unit_id, m.score, m.kind) for m in p.matches])
                for p in found.pieces]

    assert len(at_once.pieces) >= len(chosen) == 6
    assert answers(at_once) == answers(in_turn)
    firsts = {p.matches[0].unit["fr"] for p in at_once.pieces if p.matches}
    assert {u.texts["fr"] for u in chosen} <= firsts


def test_a_piece_asking_what_the_whole_query_asked_gets_its_answer_without_asking_again(
        store: Memory, units: list[Unit], monkeypatch: pytest.MonkeyPatch):
    """Two sentences looked up as one line are looked up whole, then sentence by sentence;
    the sentence holding the rarest words often asks the same full-text question as the
    whole (on a large memory, where the postings cap leaves a few rare words; here three words
    at most). Within one look-up the store is never asked one question twice, some pieces are
    answered from what the whole was told, and the matches are what they are when every
    search asks the store itself."""
    monkeypatch.setattr(candidates_module, "MAX_QUERY_TERMS", 3)
    asked: list[str] = []
    questions: list[str] = []
    ask, ranked = store.store.fts_candidates, candidates_module._ranked

    def counting(lang: str, match: str, **kwargs) -> list[int]:
        asked.append(match)
        return ask(lang, match, **kwargs)

    def questioning(store_, src: str, match: str, filters, postings) -> list[int]:
        questions.append(match)
        return ranked(store_, src, match, filters, postings)

    monkeypatch.setattr(store.store, "fts_candidates", counting)
    monkeypatch.setattr(candidates_module, "_ranked", questioning)
    pairs = [(a, b) for a, b in zip(units[11::23], units[12::23], strict=False)
             if len(a.texts["fr"].split()) >= 8 and len(b.texts["fr"].split()) >= 8][:12]
    answers = []
    reused = 0
    for a, b in pairs:
        asked.clear()
        questions.clear()
        found = store.lookup(a.texts["fr"] + " " + b.texts["fr"], semantic=False)
        assert len(asked) == len(set(asked)) > 0
        reused += len(questions) - len(asked)
        answers.append([(m.unit_id, m.score, m.kind) for m in found.matches])
    assert reused > 0 and len(pairs) >= 8
    monkeypatch.setattr(candidates_module, "_ranked", lambda store_, src, match, filters, _: (
        ranked(store_, src, match, filters, None)))
    assert answers == [[(m.unit_id, m.score, m.kind) for m in store.lookup(
        a.texts["fr"] + " " + b.texts["fr"], semantic=False).matches] for a, b in pairs]


def test_results_are_shown_as_stored_and_carry_origin(store: Memory, units: list[Unit]):
    unit = next(u for u in units if "\u064e" in u.texts["ar"] or "\u0651" in u.texts["ar"])
    match = store.search(normalise(unit.texts["ar"]), src="ar", tgt="fr")[0]
    assert match.source == unit.texts["ar"]  # harakat kept in what is shown
    assert match.unit == unit.texts
    assert match.origin == {"document": unit.document, "symbol": unit.symbol,
                            "paragraph": unit.paragraph, "resolution": "",
                            "resolution_title": ""}


def test_filters_by_document_and_symbol(store: Memory, units: list[Unit]):
    unit = next(u for u in units if "Nations Unies" in u.texts["fr"])
    query = "Organisation des Nations Unies"
    everywhere = store.search(query, limit=50, min_score=0, semantic=False)
    assert len({m.origin["symbol"] for m in everywhere}) > 1
    only = store.search(query, limit=50, min_score=0, symbol=unit.symbol.lower(),
                  semantic=False)
    assert only and {m.origin["symbol"] for m in only} == {unit.symbol}
    by_doc = store.search(query, limit=50, min_score=0, document=unit.document)
    assert by_doc and {m.origin["document"] for m in by_doc} == {unit.document}
    assert store.search(query, symbol="NO/SUCH/SYMBOL") == []


def test_min_score_and_limit(store: Memory, units: list[Unit]):
    query = units[10].texts["fr"]
    for match in store.search(query, min_score=90, limit=3):
        assert match.score >= 90
    assert len(store.search("Nations Unies", min_score=0, limit=3, semantic=False)) == 3


# --- Arabic normalisation -------------------------------------------------------------------

_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _vary_arabic(text: str) -> str:
    """What a translator might type: hamza forms dropped, ى as ي, harakat and tatweel added,
    Arabic-Indic digits."""
    swapped = (text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ى", "ي")
               .translate(_INDIC_DIGITS))
    out = []
    for i, char in enumerate(swapped):
        out.append(char)
        if "\u0628" <= char <= "\u064a" and i % 3 == 0:
            out.append("\u064e")  # fatha
        if char == "\u0644" and i % 5 == 0:
            out.append("\u0640")  # tatweel
    return "".join(out)


def test_arabic_query_with_harakat_and_hamza_variants_finds_the_stored_arabic(
    store: Memory, units: list[Unit]
):
    with_hamza = [u for u in units if re.search("[أإآى]", u.texts["ar"])
                  and len(words(u.texts["ar"])) >= 5][:40]
    assert len(with_hamza) >= 20
    for unit in with_hamza:
        query = _vary_arabic(unit.texts["ar"])
        assert query != unit.texts["ar"]
        matches = store.search(query, src="ar", tgt="fr", semantic=False)
        assert matches and matches[0].score == 99.0 and matches[0].kind == "fuzzy"
        assert any(m.source == unit.texts["ar"] and m.target == unit.texts["fr"]
                   for m in matches if m.score == 99.0)


def test_hand_written_vocalised_arabic():
    text = "إِنَّ الأُمَمَ المُتَّحِدَةَ مَسْؤُولَةٌ عَن ١٢ مُنَظَّمَة"
    assert normalise(text) == "ان الامم المتحده مسووله عن 12 منظمه"
    assert normalise("ـالأمــم") == "الامم"


# --- semantic -------------------------------------------------------------------------------

PARAPHRASES = {
    "2. The Force is mandated to help the Security Council":
        "The Force's mandate is to assist the Security Council in reaching its overall goal "
        "of maintaining international peace and security.",
    "In order to gain access to basic energy resources":
        "Access to basic energy resources requires energy transport between countries, regions "
        "and continents that is stable, efficient and reliable.",
    "17. The Unit participated in the annual meeting":
        "In March 2014 the Unit took part in the yearly meeting of the UN Evaluation Group.",
    "The number of traffic violations and vehicle accidents":
        "Traffic offences and car accidents stayed numerous because MINUSTAH had put no "
        "deterrent in place against people who repeatedly broke the traffic rules.",
    "MOPAN members have agreed to":
        "The members of MOPAN agreed to conduct joint assessments, exchange information and "
        "learn from one another's experience of monitoring and evaluation.",
}


@pytest.mark.parametrize("english_start", list(PARAPHRASES))
def test_english_paraphrase_finds_the_french_unit(
    store: Memory, units: list[Unit], english_start: str
):
    unit = _by_english(units, english_start)
    matches = store.search(PARAPHRASES[english_start], src="fr", tgt="ar", limit=3)
    assert matches, PARAPHRASES[english_start]
    top = matches[0]
    assert top.kind == "semantic" and top.source == unit.texts["fr"]
    assert top.target == unit.texts["ar"] and top.unit["en"] == unit.texts["en"]
    assert 60 <= top.similarity < 100
    assert top.score < 50  # the wording is another: its fuzzy % says so, apart


def test_noise_is_not_returned_as_a_semantic_match(store: Memory):
    for query in ("Preheat the oven and whisk two eggs with a cup of sugar.",
                  "My cat sleeps on the warm windowsill every afternoon.",
                  "Le match de football a été reporté à cause de la pluie."):
        assert [m for m in store.search(query) if m.kind == "semantic"] == []


def test_semantic_off_gives_only_text_matches(store: Memory, units: list[Unit]):
    paraphrase = PARAPHRASES["MOPAN members have agreed to"]
    assert all(m.kind != "semantic" for m in store.search(paraphrase, semantic=False))


def _summary(matches) -> list[tuple]:
    return [(m.unit_id, m.kind, m.score, m.target) for m in matches]


def test_one_wording_held_many_times_ranks_newer_then_better_aligned_at_any_limit(
    memory_location: str,
):
    """Units holding the same French wording tie on score; they rank newer first, then better
    aligned, and a look-up with a small limit returns the head of that ranking (it settles
    the ties from two columns instead of reading every tied unit)."""
    from datetime import UTC, datetime

    lines = devset_lines()
    french = lines["fr"][10]
    held = [Unit(texts={"fr": french, "en": lines["en"][10 + k]},
                 created=datetime(2015, 1 + k % 3, 1, tzinfo=UTC), score=0.5 + 0.05 * k)
            for k in range(9)]
    expected = [u.texts["en"] for u in sorted(held, key=lambda u: (-u.created.timestamp(),
                                                                 -u.score))]
    words = french.split()
    fuzzy = " ".join(words[:3] + words[4:])
    with Memory.open(memory_location, encoder="none") as memory:
        assert memory.add_units(held).added == len(held)
        for query, kind in ((french, "exact"), (fuzzy, "fuzzy")):
            whole = memory.search(query, src="fr", tgt="en", semantic=False, limit=20)
            assert [m.target for m in whole] == expected, query
            assert {m.kind for m in whole} == {kind}
            for limit in (1, 2, 5):
                head = memory.search(query, src="fr", tgt="en", semantic=False, limit=limit)
                assert [m.target for m in head] == expected[:limit], (query, limit)


def test_searches_during_an_import_answer_from_the_memory_as_committed(
    units: list[Unit], memory_location: str
):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    committed, incoming = units[:100], units[100:160]
    with Memory.open(memory_location) as memory:
        assert memory.add_units(committed).added == 100
        new = max(incoming[:-1], key=lambda u: len(u.texts["en"]))
        queries = [u.texts["en"] for u in committed[::20]] + [new.texts["fr"]]

        def look(query: str) -> list[tuple]:
            return _summary(memory.search(query, src="fr", tgt="en", min_score=0))

        before = {q: look(q) for q in queries}
        assert not [m for m in before[new.texts["fr"]] if m[1] == "exact"]
        reached, go = threading.Event(), threading.Event()

        def feed():
            yield from incoming[:-1]
            reached.set()
            go.wait(300)
            yield incoming[-1]

        with ThreadPoolExecutor(max_workers=3) as pool:
            writer = pool.submit(memory.add_units, feed())
            try:
                assert reached.wait(300)
                during = dict(zip(queries, pool.map(look, queries), strict=True))
                assert not writer.done()  # answered while the import held its transaction
            finally:
                go.set()
            assert writer.result(timeout=300).added == 60
        assert during == before  # semantic matches included: the index was not touched
        exact = memory.search(new.texts["fr"], src="fr", tgt="en")[0]
        assert exact.kind == "exact" and exact.target == new.texts["en"]
        assert memory.search(new.texts["en"], src="fr", tgt="ar")[0].source == new.texts["fr"]
        top = memory.index.nearest(new.texts["en"], 1)[0][0]  # the writer indexed it
        assert memory.get_unit(top).texts["fr"] == new.texts["fr"]


# --- concordance ----------------------------------------------------------------------------

def test_concordance_highlights_the_phrase_in_the_original_text(
    store: Memory, units: list[Unit]
):
    phrase = ["conseil", "de", "securite"]
    expected = {i for i, u in enumerate(units)
                if " conseil de securite " in f" {' '.join(words(u.texts['fr']))} "}
    assert len(expected) >= 3
    page = store.concordance("CONSEIL DE SÉCURITÉ", lang="fr", limit=200)
    hits = page.hits
    assert len(hits) == len(expected) == page.total
    for hit in hits:
        assert hit.lang == "fr" and hit.highlighted
        for start, end in hit.highlighted:
            assert words(hit.text[start:end]) == phrase
            assert hit.text[start:end].lower().startswith("conseil")
        assert hit.unit["fr"] == hit.text and "en" in hit.unit


def test_concordance_in_arabic_maps_spans_through_harakat(store: Memory):
    hits = store.concordance("الأُمَمُ المُتَّحِدَةُ", lang="ar", limit=100).hits
    assert len(hits) >= 5
    for hit in hits:
        for start, end in hit.highlighted:  # the proclitic forms (للأمم, والأمم) too
            assert form_keys(hit.text[start:end], "ar") == ["امم", "متحده"]
            assert not unicodedata.combining(hit.text[end - 1]) or end == len(hit.text) or \
                not unicodedata.combining(hit.text[end])


def test_concordance_counts_a_unit_with_two_french_variants_once(memory_location: str):
    """A unit holding fr and fr-CA (a TMX with regional variants) is one concordance hit,
    before and after another file adds such units, and in a file reopened later."""
    lines = devset_lines()
    memory = Memory.open(memory_location, encoder="none")
    try:
        memory.add_units([Unit(texts={"fr": lines["fr"][i], "en": lines["en"][i]})
                          for i in range(40)])
        word = next(w for w in lines["fr"][0].split() if len(w) > 6)
        before = memory.concordance(word, lang="fr", equivalents=False).total
        assert before >= 1
        memory.add_units([Unit(variants=[Variant("fr", lines["fr"][0] + " bis"),
                                         Variant("fr-CA", lines["fr"][0] + " ter"),
                                         Variant("en", lines["en"][0])])])
        assert memory.concordance(word, lang="fr", equivalents=False).total == before + 1
    finally:
        memory.close()
    reopened = Memory.open(memory_location, encoder="none")
    try:
        assert reopened.concordance(word, lang="fr", equivalents=False).total == before + 1
    finally:
        reopened.close()


def test_concordance_across_languages_and_filters(store: Memory, units: list[Unit]):
    langs = {hit.lang for hit in store.concordance("2014", limit=200).hits}
    assert langs == {"fr", "en", "ar"}  # digits are words in every language
    unit = next(u for u in units if "Nations Unies" in u.texts["fr"])
    hits = store.concordance("Nations Unies", symbol=unit.symbol, limit=100).hits
    assert hits and {h.origin["symbol"] for h in hits} == {unit.symbol}


# --- input errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"query": ""}, {"query": "   "}, {"query": "x" * 10_001},
    {"query": "paix", "src": "de"}, {"query": "paix", "tgt": "zz"},
    {"query": "paix", "src": "fr", "tgt": "fr"}, {"query": "paix", "limit": 0},
    {"query": "paix", "min_score": 101},
])
def test_bad_search_input_is_an_input_error(store: Memory, kwargs: dict):
    with pytest.raises(InputError):
        store.search(**kwargs)


@pytest.mark.parametrize("kwargs", [
    {"query": ""}, {"query": "..."}, {"query": "paix", "lang": "es"}, {"query": "y" * 10_001},
])
def test_bad_concordance_input_is_an_input_error(store: Memory, kwargs: dict):
    with pytest.raises(InputError):
        store.concordance(**kwargs)


def test_fts_syntax_in_queries_is_just_text(store: Memory):
    for query in ('"unbalanced', "NOT AND OR", "paix*", "col:umn ^ NEAR(a b)", "(((", "-x"):
        store.search(query, semantic=False)
        with contextlib.suppress(InputError):  # a query with no words at all
            store.concordance(query)


# --- normalisation properties ---------------------------------------------------------------

_ALPHABET = st.sampled_from(list("abcdeéèêàçœABCÉ  ,.'’-«»0123456789")
                            + list("ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآىةؤئ")
                            + ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0640",
                               "\u0660", "\u0665"])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_token_spans_point_at_their_words_in_the_original(text: str):
    found = tokens(text)
    assert [t.norm for t in found] == words(text)
    for token in found:
        assert words(text[token.start:token.end]) == [token.norm]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_normalising_twice_changes_nothing(text: str):
    assert normalise(normalise(text)) == normalise(text)


def test_a_capped_count_stops_at_its_cap_and_equivalents_do_not_change(
        store: Memory, monkeypatch: pytest.MonkeyPatch):
    """Equivalents count a candidate translation's units only up to the frequency at which it
    could still pass (`_most_telling`): the count is min(true count, cap) on both backends,
    and the marked translations and groups are the same as with every count in full."""
    raw = store.store
    for words_ in ("Conseil de sécurité", "Assemblée générale", "droits de l'homme",
                   "Secrétaire général"):
        expression = phrase(form_keys(words_, "fr"))
        true = raw.fts_count("fr", expression)
        assert true > 3, words_
        for cap in (0, 1, 3, true, true + 5):
            assert raw.fts_count("fr", expression, at_most=cap) == min(true, cap), (words_, cap)
        assert raw.fts_count("fr", expression, at_most=2, symbol="nothing-has-this") == 0
    queries = ("Conseil de sécurité", "maintien de la paix", "droits de l'homme",
               "Assemblée générale", "développement durable")
    capped = [find_concordance(raw, query, lang="fr", limit=50) for query in queries]
    count = raw.fts_count  # as before: every count in full
    monkeypatch.setattr(raw, "fts_count",
                        lambda lang, match, *, at_most=None, **filters: count(lang, match,
                                                                             **filters))
    full = [find_concordance(raw, query, lang="fr", limit=50) for query in queries]
    for query, now, before in zip(queries, capped, full, strict=True):
        assert now.groups == before.groups, query
        assert [h.equivalents for h in now.hits] == [h.equivalents for h in before.hits]
    assert sum(bool(page.groups) for page in capped) >= 3


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 100), st.integers(0, 100), st.integers(1, 5000), st.integers(1, 10**6))
def test_a_run_commoner_than_the_cap_can_never_pass(count, extra, total, units):
    """The cap on a run's count (`_most_telling`) is the exact edge: one unit above it a run
    cannot pass both tests; at it, a run found in at least its estimated joint count can."""
    sample = count + extra
    total = max(total, sample)
    units = max(units, total)
    useful = _most_telling(count, sample, total, units)
    above = association(count, sample, total, units, max(useful + 1, 1))
    assert above[0] < MIN_DICE or above[1] < MIN_LIFT
    if useful >= max(1, count * total / sample):
        dice, lift = association(count, sample, total, units, useful)
        assert dice >= MIN_DICE - 1e-9 and lift >= MIN_LIFT - 1e-9
