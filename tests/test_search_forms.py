"""Translator look-ups on a real paragraph memory: word forms in concordance (through the HTTP
API, every page), placeables, typos, pasted passages and parts of paragraphs.

The memory: UN devset documents, each one's consecutive sentences grouped into paragraphs of 1-4
sentences (real FR/EN/AR translations). Gold for concordance is a hand-written pattern of the
forms a translator means, matched on the raw text — not the search's own rules.
"""

from __future__ import annotations

import gc
import logging
import random
import re
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from resolign.service.equivalents import SAMPLE
from resolign.service.fuzzy import compare, prepare
from resolign.service.http.app import create_app
from resolign.service.memory import Memory
from resolign.service.placeables import numbering_end
from resolign.service.wordforms import WORDFORMS_VERSION, _form_words, form_keys
from resolign.units import Unit
from tests.devset import devset_lines, un_symbol

DOCUMENTS = 1000
"""Every devset document (about 2,300 paragraphs)."""
_HARAKAT = re.compile("[\u064b-\u0652\u0640]")
GOLD = [
    ("fr", "mise en oeuvre", r"\bmises? en (?:oe|œ)uvre\b"),
    ("fr", "État Membre", r"\b[ée]tats? membres?\b"),
    ("fr", "droit de l'homme", r"\bdroits? de l['’]homme\b"),
    ("en", "Member State", r"\bmember states?\b"),
    ("en", "human right", r"\bhuman rights?\b"),
    ("ar", "الأمم المتحدة", r"(?<![\w])[وف]?(?:[بك]?ال|لل|ل)?[أا]مم المتحد[ةه]"),
    ("ar", "حقوق الإنسان", r"(?<![\w])[وف]?[بكل]?حقوق ال[إا]نسان"),
]


def paragraph_units(documents: int, seed: int = 5) -> tuple[list[Unit], list[list[int]]]:
    """Devset documents as paragraphs of 1-4 consecutive sentences, and each document's
    paragraph indices in order."""
    lines = devset_lines()
    by_doc: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(lines["ids"]):
        by_doc[line.split()[0]].append(index)
    rng = random.Random(seed)
    units: list[Unit] = []
    order: list[list[int]] = []
    for doc in sorted(by_doc)[:documents]:
        rows, k, mine = by_doc[doc], 0, []
        while k < len(rows):
            size = rng.choice((1, 2, 2, 3, 3, 4))
            texts = {lang: " ".join(lines[lang][i] for i in rows[k:k + size])
                     for lang in ("fr", "en", "ar")}
            mine.append(len(units))
            units.append(Unit(texts=texts, document=doc, symbol=un_symbol(doc),
                              paragraph=str(len(mine)), score=0.5 + 0.1 * (k % 5)))
            k += size
        order.append(mine)
    return units, order


@pytest.fixture(scope="module")
def built(devset_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    units, order = paragraph_units(DOCUMENTS)
    db = tmp_path_factory.mktemp("forms") / "memory.db"
    with Memory.open(db, encoder="none") as memory:
        memory.add_units(units)
        ids = [u.id for u in memory.iter_units()]
    return db, units, order, ids


@pytest.fixture(scope="module")
def memory(built):
    with Memory.open(built[0], encoder="none", create=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def client(built):
    with TestClient(create_app(built[0], api_key=None, encoder="none")) as test_client:
        yield test_client


def _all_pages(client: TestClient, query: str, lang: str, limit: int) -> tuple[list[int], int]:
    found, offset, total = [], 0, None
    while True:
        body = client.get("/api/concordance", params={"q": query, "lang": lang,
                                                      "limit": limit, "offset": offset}).json()
        total = body["total"] if total is None else total
        assert body["total"] == total and body["offset"] == offset
        found += [hit["id"] for hit in body["hits"]]
        offset += len(body["hits"])
        if not body["hits"]:
            return found, total


@pytest.mark.parametrize(("lang", "query", "pattern"), GOLD)
def test_concordance_finds_every_word_form_through_the_api(client, memory, lang, query,
                                                           pattern):
    rx = re.compile(pattern, re.IGNORECASE)
    gold = {u.id for u in memory.iter_units() if rx.search(_HARAKAT.sub("", u.texts[lang]))}
    assert len(gold) >= 5, query
    found, total = _all_pages(client, query, lang, limit=7)
    assert total == len(found) == len(set(found))
    recall = len(set(found) & gold) / len(gold)
    precision = len(set(found) & gold) / len(found)
    assert recall >= 0.97 and precision >= 0.9, (query, recall, precision)


def test_exact_phrase_comes_first_and_marks_point_at_the_forms(client):
    body = client.get("/api/concordance", params={"q": "États Membres", "lang": "fr",
                                                  "limit": 500}).json()
    exact = [hit["exact"] for hit in body["hits"]]
    assert exact == sorted(exact, reverse=True) and True in exact and False in exact
    for hit in body["hits"]:
        for start, end in hit["highlight"]:
            assert form_keys(hit["text"][start:end], "fr") == ["etat", "membre"]


def test_every_page_is_its_slice_of_the_whole_concordance(memory, monkeypatch):
    """Pages of any size at any offset, across the exact/other-forms boundary and from one
    language to the next, are the slices of the whole listing; the exact hits are counted
    only when a page starts after them, and the other forms looked for only if there are
    any."""
    for lang in ("fr", None):
        whole = memory.concordance("États Membres", lang=lang, limit=500, equivalents=False)
        ids = [(hit.lang, hit.unit_id, hit.exact) for hit in whole.hits]
        assert len(ids) == whole.total > 30 and len(set(ids)) == len(ids)
        n_exact = sum(exact for lang_, _, exact in ids if lang_ == "fr")
        n_french = sum(lang_ == "fr" for lang_, _, _ in ids)
        assert 0 < n_exact < n_french <= whole.total
        for limit in (1, 4, 7):
            for at in {0, 3, n_exact - 1, n_exact, n_exact + 2, n_french - 1, n_french,
                       n_french + 1, whole.total - 2, whole.total}:
                page = memory.concordance("États Membres", lang=lang, limit=limit, offset=at,
                                          equivalents=False)
                assert page.total == whole.total
                assert [(h.lang, h.unit_id, h.exact) for h in page.hits] == ids[at:at + limit]
    counted: list[str] = []
    count = memory.store.fts_count
    monkeypatch.setattr(memory.store, "fts_count",
                        lambda lang, match, **kw: counted.append(match) or count(lang, match, **kw))
    memory.concordance("États Membres", lang="fr", limit=5, equivalents=False)
    assert len(counted) == 1 and " NOT " not in counted[0]
    memory.concordance("États Membres", lang="fr", limit=5, offset=n_exact + 1,
                       equivalents=False)
    assert len(counted) == 3
    paged: list[str] = []
    page = memory.store.fts_page
    monkeypatch.setattr(memory.store, "fts_page",
                        lambda lang, match, **kw: paged.append(match) or page(lang, match, **kw))
    numbers = memory.concordance("2014", lang="fr", limit=500, equivalents=False)
    assert numbers.total >= 5 and all(hit.exact for hit in numbers.hits)
    assert len(paged) == 1  # every hit was exact: the other forms are not looked for


def test_concordance_marks_and_groups_the_translations(client):
    body = client.get("/api/concordance", params={"q": "droits de l'homme", "lang": "fr",
                                                  "limit": 50}).json()
    english = [g for g in body["groups"] if g["lang"] == "en"]
    assert english and english[0]["text"] == "human rights"
    assert english[0]["count"] >= 0.8 * min(body["total"], 100)
    marked = [hit["unit"]["en"][s:e].lower() for hit in body["hits"]
              for s, e in hit["equivalents"].get("en", [])]
    assert marked and {m for m in marked} <= {"human rights", "human right"}
    arabic = [g for g in body["groups"] if g["lang"] == "ar"]
    assert arabic and "حقوق" in arabic[0]["text"]


def test_placeables_only_score_at_least_95_and_are_marked():
    stored = "12. Prend note du rapport du Secrétaire général du 15 janvier 2014 ;"
    for query in ("Prend note du rapport du Secrétaire général du 3 mars 2015 ;",
                  "4. Prend note du rapport du Secrétaire général du 15 janvier 2014"):
        found = compare(prepare(query, "fr"), prepare(stored, "fr"))
        assert 95 <= found.score < 100
        assert {d.op for d in found.diffs} == {"placeable"}
    word = compare(prepare("Prend note du plan du Secrétaire général du 15 janvier 2014",
                           "fr"), prepare(stored, "fr"))
    assert word.score < 95 and [stored[slice(*d.text)] for d in word.diffs
                                if d.op == "replace"] == ["rapport"]


def test_cached_words_leave_the_garbage_collector_nothing_to_walk():
    """A server caches thousands of prepared texts (search) and tokenised hits (concordance),
    and each full collection walks every object the collector tracks: as lists of Tokens they
    made each one take 80-140 ms in a 1M-unit look-up process, a pause for every request in
    flight."""
    lines = devset_lines()
    texts = [(text, lang) for lang in ("fr", "en", "ar") for text in lines[lang][:300]]
    prepared = [prepare.__wrapped__(text, lang) for text, lang in texts]
    tokenised = [_form_words.__wrapped__(text, lang) for text, lang in texts]
    gc.collect()  # a tuple is let go once its items are: spans, then the tuple holding them
    gc.collect()
    parts = [part for words in prepared
             for field in (words.mark, words.mark_spans, words.spans, words.keys, words.norms)
             for part in (field, *field)]
    parts += [part for words in tokenised for field in (words.keys, words.norms, words.spans)
              for part in (field, *field)]
    assert sum(len(words.spans) for words in prepared) > 10_000
    assert [part for part in parts if gc.is_tracked(part)] == []


def _swap(text: str, rng: random.Random) -> str:
    word = rng.choice(list(re.finditer(r"[^\W\d_]{5,}", text)))
    i = rng.randrange(word.start() + 1, word.end() - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def test_paragraph_with_two_letters_swapped_is_found_first(client, built):
    _, units, _, ids = built
    rng = random.Random(3)
    picks = rng.sample([i for i, u in enumerate(units) if len(u.texts["fr"].split()) >= 12], 25)
    first = 0
    for i in picks:
        body = client.get("/api/search", params={"q": _swap(units[i].texts["fr"], rng),
                                                 "semantic": "false", "limit": 1}).json()
        first += [m["id"] for m in body["matches"]] == [ids[i]]
    assert first >= 0.95 * len(picks)


def test_two_pasted_paragraphs_are_both_in_the_top_5(client, built):
    _, units, order, ids = built
    rng = random.Random(4)
    pairs = rng.sample([(d[j], d[j + 1]) for d in order for j in range(len(d) - 1)], 25)
    both = 0
    for a, b in pairs:
        query = units[a].texts["fr"] + "\n\n" + units[b].texts["fr"]
        body = client.get("/api/search", params={"q": query, "semantic": "false",
                                                 "limit": 5}).json()
        top = [m["id"] for m in body["matches"]]
        both += ids[a] in top and ids[b] in top
        assert len(body["pieces"]) == 2
        assert body["assembled"] == units[a].texts["en"] + "\n" + units[b].texts["en"]
    assert both >= 0.9 * len(pairs)


def test_first_half_of_a_paragraph_finds_it_first_with_the_part_marked(client, built):
    _, units, _, ids = built
    rng = random.Random(6)
    picks = rng.sample([i for i, u in enumerate(units) if len(u.texts["fr"].split()) >= 16], 25)
    first = 0
    for i in picks:
        text = units[i].texts["fr"]
        words = text.split()
        query = " ".join(words[:len(words) // 2])
        top = client.get("/api/search", params={"q": query, "semantic": "false",
                                                "limit": 1}).json()["matches"]
        if top and top[0]["id"] == ids[i]:
            first += 1
            start, end = top[0]["part"]  # from the first word (after a "1." paragraph mark)
            assert not any(c.isalnum() for c in text[numbering_end(text):start])
            assert len(query) // 2 <= end < len(text)
    assert first >= 0.9 * len(picks)


def test_a_memory_indexed_by_earlier_rules_is_reindexed_on_open(built, tmp_path: Path):
    db = tmp_path / "old.db"
    units = built[1][:200]
    with Memory.open(db, encoder="none") as memory:
        memory.add_units(units)
        before = memory.concordance("mise en oeuvre", lang="fr").total
    assert before > 0
    with sqlite3.connect(db) as raw:  # a file indexed before the rules had a version
        raw.execute("INSERT INTO fts_fr(fts_fr) VALUES ('delete-all')")
        raw.execute("DELETE FROM meta WHERE key = 'wordforms'")
        raw.execute("INSERT INTO fts_fr(rowid, norm) SELECT id, 'qzxv' FROM variants "
                    "WHERE base = 'fr'")
        raw.execute("UPDATE variants SET nkey = 'qzxv'")
    with Memory.open(db, encoder="none", create=False) as memory:
        assert memory.concordance("mise en oeuvre", lang="fr").total == before
        assert memory.concordance("qzxv", lang="fr").total == 0
        text = units[7].texts["fr"]
        assert [memory.get_unit(i).texts["fr"] for i in  # the exact key, rebuilt
                memory.store.same_words("fr", text.upper())] == [text]
        assert memory.store._meta("wordforms") == WORDFORMS_VERSION


@pytest.mark.parametrize("log_queries", [False, True])
def test_access_log_leaves_the_text_looked_up_out_unless_asked(built, caplog, log_queries):
    app = create_app(built[0], api_key=None, encoder="none", log_queries=log_queries)
    with TestClient(app) as test_client, caplog.at_level(logging.INFO, logger="resolign.http"):
        test_client.get("/api/search", params={"q": "projet confidentiel", "semantic": "false"})
        test_client.get("/tmserver/fr/en/unit/brouillon%20secret")
        test_client.get("/api/v1//fr/en/unit/brouillon%20secret")
    lines = [r.getMessage() for r in caplog.records if r.name == "resolign.http"]
    assert len(lines) == 3 and "/api/search" in lines[0] and "/api/v1/fr/en/unit/" in lines[2]
    assert all(("confidentiel" in line or "secret" in line) == log_queries for line in lines)


WORD_PAIRS = [("rapport", "report"), ("résolution", "resolution"), ("Conseil", "Council"),
              ("pays", "countr"), ("femmes", "women")]
"""A French word and the start of its English translation (a hand-written check, not the
model's output)."""


def test_the_target_words_to_edit_are_marked(client, built):
    _, units, _, ids = built
    rng = random.Random(8)
    marked = right = 0
    for fr, en in WORD_PAIRS:
        rx = re.compile(rf"\b{fr}\b")
        picks = [i for i, u in enumerate(units) if len(rx.findall(u.texts["fr"])) == 1
                 and len(u.texts["fr"].split()) >= 10 and en in u.texts["en"]]
        for i in rng.sample(picks, 4):
            query = rx.sub("programme", units[i].texts["fr"])
            top = client.get("/api/search", params={"q": query, "semantic": "false",
                                                    "limit": 1}).json()["matches"][0]
            assert top["id"] == ids[i]
            spans = [top["target"][s:e] for s, e in top["target_highlight"]]
            marked += bool(spans)
            right += bool(spans) and all(en.lower() in s.lower() for s in spans)
    assert marked >= 0.8 * 4 * len(WORD_PAIRS) and right >= 0.9 * marked, (marked, right)


def test_the_target_marks_are_learned_once_per_memory_revision(built, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    """What a run of differing words translates to is learned from the memory's hits once
    and kept while the memory is unchanged: the same look-up again marks the same target
    words without reading a hit; a write (a new revision) makes it learn again."""
    db = tmp_path / "memory.db"
    shutil.copy(built[0], db)
    _, units, _, _ = built
    rx = re.compile(r"\brapport\b")
    queries = [rx.sub("programme", u.texts["fr"]) for u in units
               if len(rx.findall(u.texts["fr"])) == 1 and "report" in u.texts["en"]
               and len(u.texts["fr"].split()) >= 10][:6]
    with Memory.open(db, encoder="none", create=False) as memory:
        sampled: list[str] = []
        read = memory.store.fts_page

        def sampling(lang: str, match: str, **kwargs) -> list[int]:
            sampled.append(match)
            return read(lang, match, **kwargs)

        monkeypatch.setattr(memory.store, "fts_page", sampling)

        def marks() -> list[list[str]]:
            found = [memory.lookup(q, semantic=False, limit=1).matches[0] for q in queries]
            return [[m.target[s:e] for s, e in m.target_edits] for m in found]

        first = marks()
        assert len(queries) == 6 and sum(bool(m) for m in first) >= 4 and sampled
        sampled.clear()
        assert marks() == first and sampled == []
        memory.add_units([Unit(texts={"fr": "Un rapport de plus.", "en": "One more report.",
                                      "ar": "تقرير آخر."})])
        assert marks() == first and sampled


def test_a_phrases_translations_are_learned_once_per_memory_revision(
        built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A concordance learns the phrase's translations from a sample of its hits. Every page of
    the phrase, and the same look-up again, marks and groups them as learned the first time,
    without sampling again, while the memory is unchanged; after a write it learns again."""
    db = tmp_path / "memory.db"
    shutil.copy(built[0], db)
    with Memory.open(db, encoder="none", create=False) as memory:
        sampled: list[str] = []
        read = memory.store.fts_page

        def sampling(lang: str, match: str, **kwargs) -> list[int]:
            if kwargs.get("limit") == SAMPLE:
                sampled.append(match)
            return read(lang, match, **kwargs)

        monkeypatch.setattr(memory.store, "fts_page", sampling)

        def pages() -> list[tuple]:
            found = [memory.concordance("Conseil de sécurité", lang="fr", limit=10, offset=at)
                     for at in (0, 10, 0)]
            return [(page.groups, [(h.unit_id, h.equivalents, h.group) for h in page.hits])
                    for page in found]

        first = pages()
        assert len(sampled) == 1
        assert first[0] == first[2] and first[0][0] == first[1][0]
        assert any(label == "security council" for _, label, _ in first[0][0])
        assert sum(bool(h[1].get("en")) for page in first for h in page[1]) >= 15
        sampled.clear()
        assert pages() == first and sampled == []
        memory.add_units([Unit(texts={"fr": "Le Conseil de sécurité se réunit.",
                                      "en": "The Security Council meets.",
                                      "ar": "يجتمع مجلس الأمن."})])
        again = pages()
        assert len(sampled) == 1 and again[0][0][0] == first[0][0][0]
