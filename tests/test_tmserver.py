"""The CAT-tool APIs over real HTTP, as the clients call them, on a memory built the way a user
builds one: a held-out UN document (not in the bundled example) aligned by `resolign align
--presegmented FR EN AR --db`, then `resolign serve` with an API key and one CORS origin.

Requests are built with the clients' own URL encoding (tests/cat_clients.py): Weblate's
tmserver machinery, Virtaal's amaGama plugin (its double slash), amaGama's ?source= form, and
MyMemory's /get. The judged figures are printed (run with -s to see them).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from resolign.service.memory import NO_ENCODER, Memory
from resolign.service.normalise import same_surface
from resolign.tmx.reader import read_tmx
from tests.cat_clients import (
    held_out_document,
    omegat_retrieve,
    resolign,
    served,
    virtaal_unit_url,
    weblate_unit_url,
    weblate_url,
)
from tests.devset import devset_lines

pytestmark = pytest.mark.slow  # one real alignment (about a minute on 2 cores, cold cache)

KEY = "cat-test-key"
ORIGIN = "https://weblate.example.org"
MIN_PARAGRAPHS = 80
JUDGED = 40
WRITE_SECONDS = 60
"""A write pays the semantic index's catch-up (the first one loads the encoder)."""
RATE_LIMIT_CODES = {401, 403, 429, 503}
"""What Weblate takes as rate limiting (it then stops asking for 30 minutes)."""
HTTP = httpx.Client(timeout=10)
"""One client for the module: a new httpx client per request costs ~0.3 s of TLS set-up."""


@pytest.fixture(scope="module", autouse=True)
def _close_client():
    yield
    HTTP.close()


@pytest.fixture(scope="module")
def document(devset_dir: Path) -> dict[str, list[str]]:
    return held_out_document(MIN_PARAGRAPHS)


@pytest.fixture(scope="module")
def memory_db(tmp_path_factory: pytest.TempPathFactory, document) -> Path:
    folder = tmp_path_factory.mktemp("held-out")
    paths = {}
    for lang, paragraphs in document.items():
        paths[lang] = folder / f"{lang}.txt"
        paths[lang].write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
    db = folder / "memory.db"
    done = resolign("align", "--presegmented", str(paths["fr"]), str(paths["en"]),
                    str(paths["ar"]), "--db", str(db))
    assert done.returncode == 0, done.stderr[-2000:]
    return db


@pytest.fixture(scope="module")
def server(memory_db: Path):
    with served(memory_db, "--cors-origin", ORIGIN, env={"RESOLIGN_API_KEY": KEY}) as served_at:
        yield served_at


@pytest.fixture(scope="module")
def base(server) -> str:
    return server[0]


@pytest.fixture(scope="module")
def judged(document) -> list[str]:
    """40 French paragraphs of at most 500 characters, spread over the document, the ones with
    a `/` among them."""
    short = [p for p in document["fr"] if len(p) <= 500]
    step = len(short) / JUDGED
    chosen = [short[int(i * step)] for i in range(JUDGED)]
    assert any("/" in p for p in chosen), "no paragraph with a slash among the judged ones"
    return chosen


def first(answer: list[dict]) -> dict:
    assert answer, "no suggestion"
    return answer[0]


def english_of(document, paragraph: str) -> str:
    return document["en"][document["fr"].index(paragraph)]


# --- reading, as Weblate asks ------------------------------------------------------------------


def test_languages_as_weblate_asks(base):
    response = HTTP.get(weblate_url(f"{base}/tmserver", "languages", ""))
    assert response.status_code == 200
    data = response.json()
    assert {"fr", "en", "ar"} <= set(data["sourceLanguages"])
    assert {"fr", "en", "ar"} <= set(data["targetLanguages"])
    # Weblate's download_languages: every (source, target) pair; fr_FR falls back to fr
    pairs = {(s, t) for s in data["sourceLanguages"] for t in data["targetLanguages"]}
    assert ("fr", "en") in pairs and ("fr_fr", "en") not in pairs


def test_exact_paragraphs_come_back_first_at_full_quality(base, document, judged):
    exact = 0
    for paragraph in judged:
        response = HTTP.get(weblate_unit_url(f"{base}/tmserver", "fr", "en", paragraph),
                             timeout=5)  # Weblate's timeout
        assert response.status_code == 200
        answer = response.json()
        if answer and answer[0]["source"] == paragraph and answer[0]["quality"] >= 99.5:
            exact += 1
            assert answer[0]["target"] == english_of(document, paragraph)
            assert int(answer[0]["quality"]) >= 80  # Weblate keeps it at its default threshold
    print(f"\nexact French paragraphs first with quality >= 99.5: {exact}/{len(judged)}")
    assert exact >= 0.95 * len(judged)


@pytest.mark.parametrize("char", ["/", "%", "+", ";"])
def test_url_special_characters_survive(base, document, char):
    paragraph = next(p for p in document["fr"] if char in p and len(p) <= 500)
    url = weblate_unit_url(f"{base}/tmserver", "fr", "en", paragraph)
    tail = url.split("/unit/")[1]
    assert quote(char, safe="") in tail and (char == "%" or char not in tail)  # %2F, %25...
    top = first(HTTP.get(url).json())
    assert top["source"] == paragraph and top["quality"] == 100.0


def test_arabic_paragraph_both_ways(base, document):
    paragraph = next(p for p in document["ar"] if 60 <= len(p) <= 500)
    french = document["fr"][document["ar"].index(paragraph)]
    top = first(HTTP.get(weblate_unit_url(f"{base}/tmserver", "ar", "fr", paragraph)).json())
    assert top["source"] == paragraph and top["target"] == french and top["quality"] == 100.0
    top = first(HTTP.get(weblate_unit_url(f"{base}/tmserver", "fr", "ar", french)).json())
    assert top["target"] == paragraph


def test_api_v1_and_virtaal_double_slash(base, judged):
    paragraph = judged[7]
    weblate = HTTP.get(weblate_unit_url(f"{base}/api/v1", "fr", "en", paragraph)).json()
    url = virtaal_unit_url(f"{base}/api/v1/", "fr", "en", paragraph)
    assert "/api/v1//fr/en/unit/" in url
    virtaal = HTTP.get(url, params={"style": "gnome"}).json()
    assert first(virtaal)["source"] == paragraph == first(weblate)["source"]
    assert virtaal == weblate
    assert HTTP.get(f"{base}/api/v1//languages/").json()["sourceLanguages"][:3] == [
        "fr", "en", "ar"]


@pytest.mark.parametrize(("src", "tgt"), [("fr_FR", "en_GB"), ("fr-FR", "en-GB"),
                                          ("FR", "EN_us")])
def test_locale_codes_fall_back_to_the_language(base, judged, src, tgt):
    paragraph = judged[3]
    top = first(HTTP.get(weblate_unit_url(f"{base}/tmserver", src, tgt, paragraph)).json())
    assert top["source"] == paragraph and top["quality"] == 100.0


def test_source_query_parameter(base, judged):
    paragraph = judged[11]
    for path in ("/tmserver/fr/en/unit/", "/api/v1/fr/en/unit/"):
        top = first(HTTP.get(base + path, params={"source": paragraph}).json())
        assert top["source"] == paragraph and top["quality"] == 100.0


def test_one_word_missing_is_a_fuzzy_match(base, judged):
    checked = 0
    for paragraph in judged:
        words = paragraph.split()
        if len(words) < 10:
            continue
        query = " ".join(words[:len(words) // 2] + words[len(words) // 2 + 1:])
        top = first(HTTP.get(weblate_unit_url(f"{base}/tmserver", "fr", "en", query)).json())
        assert top["source"] == paragraph
        assert 70 <= top["quality"] < 100
        checked += 1
    assert checked >= 20


def test_a_miss_is_an_empty_list(base, document):
    lines = devset_lines()["fr"]
    stranger = next(line for line in lines if len(line) > 80 and line not in " ".join(
        document["fr"]) and "Conseil" in line)
    for url in (weblate_unit_url(f"{base}/tmserver", "fr", "en", stranger),
                weblate_unit_url(f"{base}/tmserver", "en", "de", "test"),  # Weblate's check
                weblate_unit_url(f"{base}/tmserver", "fr", "es", stranger),
                f"{base}/tmserver/fr/en/unit/%20%20"):
        response = HTTP.get(url)
        assert (response.status_code, response.json()) == (200, []), url


@pytest.mark.parametrize(("src", "tgt"), [("fr", "fr"), ("fr_FR", "fr"), ("en_gb", "en-US")])
def test_same_language_is_404(base, src, tgt):
    response = HTTP.get(weblate_unit_url(f"{base}/tmserver", src, tgt, "Rapport"))
    assert response.status_code == 404 and "same language" in response.json()["detail"]


def test_min_similarity_and_max_candidates(base, judged):
    paragraph = next(p for p in judged if len(p.split()) >= 20)
    words = paragraph.split()
    variants = [{"source": " ".join(words[:i] + ["modifié"] + words[i + 1:]),
                 "target": f"variant {i}"} for i in range(1, 9)]
    stored = HTTP.post(f"{base}/tmserver/fr/en/store/variants.po", json=variants,
                        headers={"X-API-Key": KEY}, timeout=WRITE_SECONDS)
    assert stored.status_code == 200 and stored.json()["units"] == 8
    url = weblate_unit_url(f"{base}/tmserver", "fr", "en", paragraph)
    everything = HTTP.get(url, params={"max_candidates": 30}).json()
    assert len(everything) == 9 and everything[0]["source"] == paragraph
    qualities = [s["quality"] for s in everything]
    assert qualities == sorted(qualities, reverse=True)
    assert len(HTTP.get(url).json()) == 5  # amaGama's default
    for wanted in (1, 3):
        assert len(HTTP.get(url, params={"max_candidates": wanted}).json()) == wanted
    assert len(HTTP.get(url, params={"max_candidates": 500}).json()) == 9  # capped at 30
    assert [s["rank"] for s in everything] == qualities
    # a threshold above the variants' quality keeps the exact match only
    strict = HTTP.get(url, params={"min_similarity": int(qualities[1]) + 1,
                                    "max_candidates": 30}).json()
    assert [s["source"] for s in strict] == [paragraph]


def test_jsonp(base, judged):
    response = HTTP.get(f"{base}/tmserver/fr/en/unit/",
                         params={"source": judged[0], "jsoncallback": "jQuery123_cb"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert re.fullmatch(r"/\*\*/jQuery123_cb\(\[.*\]\);", response.text, re.S)
    bad = HTTP.get(f"{base}/tmserver/languages/", params={"jsoncallback": "alert(1)//"})
    assert bad.status_code == 422 and "jsoncallback" in bad.json()["detail"]


def test_reads_never_answer_rate_limit_codes(base):
    odd = [f"{base}/tmserver/fr/en/unit/" + "x" * 20_000,  # too long
           f"{base}/tmserver/f%C3%A9/en/unit/x", f"{base}/tmserver/fr/en/unit/",
           f"{base}/tmserver/fr/en/unit/x?min_similarity=abc",
           f"{base}/tmserver/zz/yy/unit/x", f"{base}/get?q=x&langpair=fr",
           f"{base}/tmx/xx-yy.tmx"]
    for url in odd:
        response = HTTP.get(url)
        assert response.status_code not in RATE_LIMIT_CODES, url
        if response.status_code >= 400:
            assert response.json()["detail"]


# --- MyMemory ----------------------------------------------------------------------------------


@pytest.mark.parametrize("langpair", ["fr|en", "fr-FR|en-GB", "fr_FR|en_GB"])
def test_mymemory_get(base, document, judged, langpair):
    paragraph = judged[5]
    response = HTTP.get(f"{base}/get", params={"q": paragraph, "langpair": langpair})
    assert response.status_code == 200
    data = response.json()
    assert data["responseStatus"] == 200
    assert data["responseData"]["translatedText"] == english_of(document, paragraph)
    assert data["responseData"]["match"] == 1.0
    for match in data["matches"]:
        assert 0 <= match["match"] <= 1
        # what Weblate's MyMemory machinery reads
        assert {"translation", "segment", "last-updated-by", "reference"} <= set(match)
        assert {"id", "source", "target", "quality", "created-by", "last-update-date"} <= set(
            match)
    assert data["matches"][0]["segment"] == paragraph
    assert data["matches"][0]["source"] == langpair.split("|")[0]


def test_mymemory_miss_and_refusals(base):
    miss = HTTP.get(f"{base}/get", params={"q": "zzqx wvvk", "langpair": "fr|en"}).json()
    assert miss["responseData"] == {"translatedText": "", "match": 0.0}
    assert miss["matches"] == []
    for params in ({"q": "x", "langpair": "fr"}, {"q": "x", "langpair": "fr|fr-CA"},
                   {"langpair": "fr|en"}):
        response = HTTP.get(f"{base}/get", params=params)
        assert response.status_code == 422 and response.json()["detail"]


# --- write-back --------------------------------------------------------------------------------


def test_write_back_needs_the_key(base, memory_db):
    url = f"{base}/tmserver/fr/en/unit/" + "Nouvelle%20phrase"
    body = {"source": "Nouvelle phrase sans clé", "target": "New sentence without a key"}
    with Memory.open(memory_db, encoder=NO_ENCODER, create=False) as memory:
        before = memory.count()
    assert HTTP.put(url, json=body).status_code == 401
    assert HTTP.post(url, json=body, headers={"X-API-Key": "wrong"}).status_code == 401
    assert HTTP.post(f"{base}/tmserver/fr/en/store/x.po", json=[body]).status_code == 401
    with Memory.open(memory_db, encoder=NO_ENCODER, create=False) as memory:
        assert memory.count() == before


def test_written_back_translation_is_found_with_its_provenance(base, memory_db, judged):
    source = "Le Secrétariat a pris note de la résolution A/RES/71/1 relative aux réfugiés."
    target = "The Secretariat took note of resolution A/RES/71/1 on refugees."
    url = weblate_unit_url(f"{base}/tmserver", "fr_FR", "en_GB", source)
    assert HTTP.get(url).json() == []
    written = HTTP.put(url, json={"source": source, "target": target},
                        headers={"X-API-Key": KEY, "User-Agent": "Virtaal/0.7.1",
                                 "X-Request-ID": "write-1"}, timeout=WRITE_SECONDS)
    assert written.status_code == 200 and written.json()["added"] == 1
    again = HTTP.put(url, json={"source": source, "target": target},
                      headers={"X-API-Key": KEY}, timeout=WRITE_SECONDS)
    assert again.json() == {**again.json(), "added": 0, "duplicates": 1}
    top = first(HTTP.get(url).json())
    assert (top["source"], top["target"], top["quality"]) == (source, target, 100.0)
    # a region is the client's locale, not a filter: plain fr finds the fr-FR unit, and fr_FR
    # still finds the aligned (plain fr) paragraphs
    plain = weblate_unit_url(f"{base}/tmserver", "fr", "en", source)
    assert first(HTTP.get(plain).json())["target"] == target
    aligned = first(HTTP.get(weblate_unit_url(f"{base}/tmserver", "fr_FR", "en_GB",
                                              judged[9])).json())
    assert aligned["source"] == judged[9] and aligned["quality"] == 100.0
    assert HTTP.get(f"{base}/tmserver/languages/").json()["sourceLanguages"] == ["fr", "en", "ar"]
    with Memory.open(memory_db, encoder=NO_ENCODER, create=False) as memory:
        unit = memory.get_unit(memory.search(source, src="fr", tgt="en", semantic=False,
                                             limit=1)[0].unit_id)
        history = memory.history(unit.id)
    assert unit.provenance["origin"] == "client"
    assert unit.provenance["client"] == "Virtaal/0.7.1"
    assert unit.provenance["request_id"] == "write-1"
    assert unit.provenance["at"][:4].isdigit()
    assert {v.lang for v in unit.variants} == {"fr-FR", "en-GB"}  # the client's codes
    # one change of the history: who added what, when (the duplicate write added none)
    assert [(c.action, c.who) for c in history] == [("add", "Virtaal/0.7.1")]
    assert history[0].before == [] and history[0].after_ids == [unit.id]
    assert history[0].after[0]["provenance"]["request_id"] == "write-1"
    mymemory = HTTP.get(f"{base}/get", params={"q": source, "langpair": "fr|en"}).json()
    assert mymemory["matches"][0]["created-by"] == "Virtaal/0.7.1"


def test_store_write_back(base, memory_db):
    units = [{"source": "Le Conseil de sécurité se réunit demain.",
              "target": "The Security Council meets tomorrow.", "context": "msgctxt"},
             {"source": "Sans traduction", "target": ""}]
    response = HTTP.post(f"{base}/api/v1//fr/en/store/po%2Fcouncil.po", json=units,
                          headers={"X-API-Key": KEY}, timeout=WRITE_SECONDS)
    assert response.status_code == 200
    assert response.json() == {"added": 1, "duplicates": 0, "skipped": 1, "units": 2,
                               "store": "po/council.po"}
    top = first(HTTP.get(weblate_unit_url(f"{base}/api/v1", "fr", "en", units[0]["source"]))
                .json())
    assert top["target"] == units[0]["target"]
    with Memory.open(memory_db, encoder=NO_ENCODER, create=False) as memory:
        unit = memory.get_unit(memory.search(units[0]["source"], src="fr", tgt="en",
                                             semantic=False, limit=1)[0].unit_id)
        history = memory.history(unit.id)
    assert unit.document == "po/council.po"
    assert unit.provenance["store"] == "po/council.po" and unit.provenance["context"] == "msgctxt"
    assert [c.action for c in history] == ["add"]
    for bad in ({"source": "x"}, [{"source": 1, "target": "y"}], "not json"):
        refused = HTTP.post(f"{base}/tmserver/fr/en/store/bad.po", headers={"X-API-Key": KEY},
                             content=bad if isinstance(bad, str) else None,
                             json=None if isinstance(bad, str) else bad)
        assert refused.status_code in (400, 422) and refused.json()["detail"]


# --- OmegaT's TMX files, CORS, request ids, caching --------------------------------------------


def test_tmx_files_kept_current_as_omegat_does(base, document, tmp_path):
    """An OmegaT team project maps `{base}/tmx/` + `fr-FR,en-GB.tmx` to tm/resolign.tmx."""
    local, etags = tmp_path / "resolign.tmx", {}
    url = f"{base}/tmx/" + "fr-FR,en-GB.tmx"
    assert omegat_retrieve(url, local, etags) == 200
    units = read_tmx(local)
    assert len(units) >= len(document["fr"])
    assert {"fr", "en"} <= set(units[0].texts) and "ar" not in units[0].texts
    assert b'xml:lang="fr-FR"' in local.read_bytes() and b'srclang="fr-FR"' in local.read_bytes()
    assert omegat_retrieve(url, local, etags) == 304  # nothing changed: the copy stays
    kept = etags[local.name]
    source = "Texte ajouté pour voir l'ETag changer."
    HTTP.put(weblate_unit_url(f"{base}/tmserver", "fr", "en", source),
              json={"source": source, "target": "Text added to see the ETag change."},
              headers={"X-API-Key": KEY}, timeout=WRITE_SECONDS)
    assert omegat_retrieve(url, local, etags) == 200 and etags[local.name] != kept
    assert source in {u.texts["fr"] for u in read_tmx(local)}
    plain = HTTP.get(f"{base}/tmx/fr-en.tmx")
    assert plain.status_code == 200 and b'xml:lang="fr"' in plain.content
    assert plain.headers["etag"] != etags[local.name]  # one ETag per file
    assert "fr-en.tmx" in HTTP.get(f"{base}/tmx/").json()["files"]
    for missing in ("fr-fr.tmx", "fr-en.txt", "xx-yy.tmx", "fr-FR,xx.tmx"):
        assert HTTP.get(f"{base}/tmx/{missing}").status_code == 404


def test_cors_only_for_the_allowed_origin(base):
    url = weblate_unit_url(f"{base}/tmserver", "fr", "en", "Rapport")
    allowed = HTTP.get(url, headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = HTTP.get(url, headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
    preflight = HTTP.options(f"{base}/tmserver/fr/en/unit/x", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "X-API-Key, Content-Type"})
    assert preflight.status_code == 200
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()


def test_request_ids_are_echoed_and_logged(server):
    base, log = server
    mine = HTTP.get(f"{base}/tmserver/languages/", headers={"X-Request-ID": "weblate-42"})
    assert mine.headers["x-request-id"] == "weblate-42"
    made = HTTP.get(f"{base}/tmserver/languages/").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    forged = HTTP.get(f"{base}/healthz", headers={"X-Request-ID": "a b\tc"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])
    text = log.read_text()
    assert 'GET /tmserver/languages/" 200' in text
    assert "rid=weblate-42" in text and f"rid={made}" in text


def test_cache_control_on_reads(base, judged):
    read = HTTP.get(weblate_unit_url(f"{base}/tmserver", "fr", "en", judged[0]))
    assert re.fullmatch(r"public, max-age=\d+", read.headers["cache-control"])
    assert "max-age" in HTTP.get(f"{base}/api/search", params={"q": judged[0]}).headers[
        "cache-control"]
    assert HTTP.get(f"{base}/healthz").headers["cache-control"] == "no-store"
    assert HTTP.get(f"{base}/tmx/fr-en.tmx").headers["cache-control"] == "no-cache"
    refused = HTTP.get(f"{base}/tmserver/fr/fr/unit/x")
    assert "cache-control" not in refused.headers


# --- locale codes on the JSON API --------------------------------------------------------------


@pytest.mark.parametrize(("src", "tgt"), [("fr-CA", "en-US"), ("fr_CA", "en_US")])
def test_locale_codes_on_search_and_concordance(base, document, judged, src, tgt):
    paragraph = judged[2]
    plain = HTTP.get(f"{base}/api/search", params={"q": paragraph, "src": "fr", "tgt": "en"})
    local = HTTP.get(f"{base}/api/search", params={"q": paragraph, "src": src, "tgt": tgt})
    assert local.status_code == 200 and local.json() == plain.json()
    assert same_surface(local.json()["matches"][0]["source"], paragraph)
    phrase = " ".join(paragraph.split()[2:5])
    hits = HTTP.get(f"{base}/api/concordance", params={"q": phrase, "lang": src})
    assert hits.status_code == 200 and hits.json()["hits"]
    plain_tmx = HTTP.get(f"{base}/api/export.tmx", params={"pair": "fr-en"})
    local_tmx = HTTP.get(f"{base}/api/export.tmx", params={"pair": f"{src},{tgt}"})
    assert local_tmx.status_code == 200
    assert len(read_tmx(local_tmx.content)) == len(read_tmx(plain_tmx.content)) >= len(
        document["fr"])
