"""The review API over a real memory of UN devset units: correcting, splitting, merging with the
neighbour, deleting, undoing, the history, the write key, refusals that change nothing, and a
corrected unit exported with changedate/changeid.

Served without a semantic index (exact, fuzzy and concordance look-ups are what a review
changes; the store and the index are kept in step by Memory, tested elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from resolign.service.http.app import create_app
from resolign.service.memory import NO_ENCODER, Memory
from resolign.units import Unit
from tests.devset import devset_units

KEY = "review-test-key"
AUTH = {"X-API-Key": KEY}


@pytest.fixture()
def units(devset_dir: Path) -> list[Unit]:
    return devset_units(0, 24)


@pytest.fixture()
def client(memory_location: str, units: list[Unit]):
    """The review API over a memory of each backend (a file, a PostgreSQL database)."""
    db = memory_location
    with Memory.open(db, encoder=NO_ENCODER) as memory:
        assert memory.add_units(units).ids == list(range(1, len(units) + 1))
    with TestClient(create_app(db, api_key=KEY, encoder=NO_ENCODER)) as c:
        yield c


def texts(client: TestClient, unit_id: int) -> dict[str, str] | None:
    r = client.get(f"/api/units/{unit_id}")
    return r.json()["unit"] if r.status_code == 200 else None


def best_target(client: TestClient, query: str, tgt: str = "en") -> str:
    found = client.get("/api/search", params={"q": query, "src": "fr", "tgt": tgt,
                                              "semantic": False}).json()["matches"]
    return found[0]["target"] if found and found[0]["kind"] == "exact" else ""


def test_a_corrected_text_is_found_kept_in_the_history_and_undone(client, units):
    unit = units[2]
    corrected = unit.texts["en"].replace("United Nations", "UN") + " (corrected)"
    r = client.patch("/api/units/3", json={"texts": {"en": corrected}},
                     params={"who": "Amina Haddad"}, headers=AUTH)
    assert r.status_code == 200, r.text
    done = r.json()
    [new_id] = done["ids"]
    change = done["change"]
    assert (change["action"], change["who"]) == ("edit", "Amina Haddad")
    assert [u["id"] for u in change["before"]] == [3] and change["after"][0]["id"] == new_id
    assert change["before"][0]["unit"]["en"] == unit.texts["en"]
    assert change["after"][0]["unit"] == {**unit.texts, "en": corrected}
    # the memory answers with the correction; the old unit is gone from look-ups
    assert texts(client, new_id) == {**unit.texts, "en": corrected}
    assert texts(client, 3) is None
    assert best_target(client, unit.texts["fr"]) == corrected
    # both ids tell the story; the replaced one says it is no longer live
    old = client.get("/api/units/3/history", headers=AUTH).json()
    new = client.get(f"/api/units/{new_id}/history", headers=AUTH).json()
    assert old["live"] is False and new["live"] is True
    assert [c["id"] for c in old["changes"]] == [c["id"] for c in new["changes"]] == [
        change["id"]]
    # undo: the original text is back under its own id, the correction leaves look-ups
    undo = client.post(f"/api/changes/{change['id']}/undo", params={"who": "Amina Haddad"},
                       headers=AUTH)
    assert undo.status_code == 200, undo.text
    assert undo.json()["ids"] == [3] and undo.json()["change"]["action"] == "undo"
    assert texts(client, 3) == unit.texts and texts(client, new_id) is None
    assert best_target(client, unit.texts["fr"]) == unit.texts["en"]
    history = client.get("/api/units/3/history", headers=AUTH).json()["changes"]
    assert [c["action"] for c in history] == ["edit", "undo"]
    assert history[0]["undone_by"] == history[1]["id"]


def test_a_deleted_unit_stays_in_the_history_and_undo_brings_it_back(client, units):
    unit = units[6]
    word = "transparence"
    assert word in unit.texts["fr"]

    def concordance_ids() -> set[int]:
        return {h["id"] for h in client.get("/api/concordance", params={
            "q": word, "lang": "fr", "limit": 100}).json()["hits"]}

    assert 7 in concordance_ids()
    count = client.get("/healthz").json()["units"]
    r = client.delete("/api/units/7", headers=AUTH)  # no name given: recorded as "api"
    assert r.status_code == 200, r.text
    change = r.json()["change"]
    assert (change["action"], change["who"], r.json()["ids"]) == ("delete", "api", [])
    assert change["before"][0]["unit"] == unit.texts and change["after"] == []
    assert texts(client, 7) is None and 7 not in concordance_ids()
    assert client.get("/healthz").json()["units"] == count - 1
    assert client.delete("/api/units/7", headers=AUTH).status_code == 404  # already gone
    history = client.get("/api/units/7/history", headers=AUTH).json()
    assert history["live"] is False and history["changes"][0]["id"] == change["id"]

    assert client.post(f"/api/changes/{change['id']}/undo", headers=AUTH).status_code == 200
    assert texts(client, 7) == unit.texts and 7 in concordance_ids()
    assert client.get("/healthz").json()["units"] == count
    again = client.post(f"/api/changes/{change['id']}/undo", headers=AUTH)
    assert again.status_code == 400 and "already undone" in again.json()["detail"]


def test_split_then_merge_with_the_neighbour_in_reading_order(client, units):
    # units[4] and units[5] are paragraphs 34 and 26 of one document: 26 comes first
    first, second = units[5], units[4]
    nav = client.get("/api/units/5/history", headers=AUTH).json()
    assert (nav["previous"], nav["next"]) == (6, None)
    r = client.post("/api/units/5/merge", json={"neighbour": "previous"},
                    params={"who": "reviewer"}, headers=AUTH)
    assert r.status_code == 200, r.text
    [merged] = r.json()["ids"]
    assert texts(client, merged) == {lang: f"{first.texts[lang]} {second.texts[lang]}"
                                     for lang in ("fr", "en", "ar")}
    assert sorted(u["id"] for u in r.json()["change"]["before"]) == [5, 6]
    assert texts(client, 5) is None and texts(client, 6) is None

    # split it back into its two real paragraphs: each is found again on its own
    parts = [dict(first.texts), dict(second.texts)]
    split = client.post(f"/api/units/{merged}/split", json={"parts": parts}, headers=AUTH)
    assert split.status_code == 200, split.text
    a, b = split.json()["ids"]
    assert texts(client, a) == first.texts and texts(client, b) == second.texts
    assert best_target(client, second.texts["fr"], "ar") == second.texts["ar"]
    nav = client.get(f"/api/units/{a}/history", headers=AUTH).json()
    assert nav["next"] == b and [c["action"] for c in nav["changes"]] == ["merge", "split"]

    # units of different documents are never merged; the last of a document has no next
    other = client.post(f"/api/units/{a}/merge", json={"neighbour": 1}, headers=AUTH)
    assert other.status_code == 400 and "different documents" in other.json()["detail"]
    last = client.post(f"/api/units/{b}/merge", json={"neighbour": "next"}, headers=AUTH)
    assert last.status_code == 400 and "no next unit" in last.json()["detail"]


def test_review_routes_need_the_write_key_and_change_nothing_without_it(client, memory_location):
    calls = [("patch", "/api/units/1", {"texts": {"en": "x"}}), ("delete", "/api/units/1", None),
             ("post", "/api/units/1/split", {"parts": [{"fr": "a"}, {"fr": "b"}]}),
             ("post", "/api/units/1/merge", {"neighbour": "next"}),
             ("post", "/api/changes/1/undo", None), ("get", "/api/units/1/history", None)]
    before = client.get("/api/units/1").json()
    for method, url, body in calls:
        for headers, reason in (({}, "missing X-API-Key"),
                                ({"X-API-Key": KEY + "x"}, "wrong API key")):
            r = client.request(method.upper(), url, json=body, headers=headers)
            assert r.status_code == 401 and reason in r.json()["detail"], (method, url)
    assert client.get("/api/units/1").json() == before
    with TestClient(create_app(memory_location, api_key=None,
                               encoder=NO_ENCODER)) as closed:
        r = closed.delete("/api/units/1", headers=AUTH)
        assert r.status_code == 403 and "disabled" in r.json()["detail"]
        assert closed.get("/api/units/1").status_code == 200


@pytest.mark.parametrize(("method", "url", "body", "params", "status", "reason"), [
    ("patch", "/api/units/999999", {"texts": {"en": "x"}}, {}, 404, "no unit with id 999999"),
    ("patch", "/api/units/0", {"texts": {"en": "x"}}, {}, 422, "unit_id"),
    ("patch", "/api/units/1", {"texts": {"en": "  "}}, {}, 400, "cannot be empty"),
    ("patch", "/api/units/1", {"texts": {}}, {}, 400, "at least one language"),
    ("patch", "/api/units/1", {"texts": {"en fr": "x"}}, {}, 422, "not a language tag"),
    ("patch", "/api/units/1", {"text": "x"}, {}, 422, "texts"),
    ("patch", "/api/units/1", {"texts": {"en": "x"}}, {"who": "x" * 101}, 422, "who"),
    ("patch", "/api/units/1", {"texts": {"en": "x"}}, {"who": "a\u0007b"}, 422, "who"),
    ("post", "/api/units/1/split", {"parts": [{"fr": "seul"}]}, {}, 422, "parts"),
    ("post", "/api/units/1/merge", {"neighbour": "above"}, {}, 422, "neighbour"),
    ("post", "/api/units/1/merge", {"neighbour": 1}, {}, 400, "itself"),
    ("post", "/api/units/1/merge", {"neighbour": 999999}, {}, 404, "no unit with id 999999"),
    ("post", "/api/changes/999999/undo", None, {}, 404, "no change with id 999999"),
    ("delete", "/api/units/999999", None, {}, 404, "no unit with id 999999"),
    ("get", "/api/units/999999/history", None, {}, 404, "no unit with id 999999"),
])
def test_bad_review_requests_are_refused_with_a_reason(client, units, method, url, body,
                                                       params, status, reason):
    r = client.request(method.upper(), url, json=body, params=params, headers=AUTH)
    assert r.status_code == status, r.text
    assert reason in r.json()["detail"]
    assert client.get("/healthz").json()["units"] == len(units)
    assert texts(client, 1) == units[0].texts


def test_an_edit_that_duplicates_another_unit_is_refused_and_both_are_kept(client, units):
    r = client.patch("/api/units/1", json={"texts": units[1].texts}, headers=AUTH)
    assert r.status_code == 400 and "already holds" in r.json()["detail"]
    assert texts(client, 1) == units[0].texts and texts(client, 2) == units[1].texts


def test_a_corrected_unit_is_exported_with_changedate_and_changeid(client):
    r = client.patch("/api/units/4", json={"texts": {"ar": "نص مصحح.", "fr-CA": "Texte."}},
                     params={"who": "Hélène"}, headers=AUTH)
    assert r.status_code == 200, r.text
    root = etree.fromstring(client.get("/api/export.tmx").content)
    [corrected] = [tu for tu in root.iter("tu") if tu.get("changeid")]
    assert corrected.get("changeid") == "Hélène"
    assert corrected.get("changedate") >= corrected.get("creationdate")
    segs = {tuv.get("{http://www.w3.org/XML/1998/namespace}lang"): tuv.findtext("seg")
            for tuv in corrected.iter("tuv")}
    assert segs["ar"] == "نص مصحح." and segs["fr-CA"] == "Texte."


def test_the_review_api_is_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/units/{unit_id}"]) == {"get", "patch", "delete"}
    for path in ("/api/units/{unit_id}/split", "/api/units/{unit_id}/merge",
                 "/api/changes/{change_id}/undo"):
        assert "review" in paths[path]["post"]["tags"]
        assert {"401", "403", "404"} <= set(paths[path]["post"]["responses"])
    assert "review" in paths["/api/units/{unit_id}/history"]["get"]["tags"]


def test_every_result_and_unit_carries_its_alignment_score_and_low_ones_are_flagged(client,
                                                                                    units):
    from resolign.service.http.shapes import REVIEW_BELOW

    scores = {i + 1: unit.score for i, unit in enumerate(units)}
    assert {score < REVIEW_BELOW for score in scores.values()} == {True, False}
    seen = []
    for unit in units[:8]:
        query = unit.texts["fr"].rstrip(".") + " en outre"  # an exact match and fuzzy ones
        for match in client.get("/api/search", params={"q": query, "semantic": False,
                                                       "min_score": 0}).json()["matches"]:
            seen.append((match["id"], match["alignment"], match["review"]))
    hits = client.get("/api/concordance", params={"q": "de la", "lang": "fr",
                                                  "limit": 100}).json()["hits"]
    seen += [(hit["id"], hit["alignment"], hit["review"]) for hit in hits]
    for unit_id in scores:
        data = client.get(f"/api/units/{unit_id}").json()
        seen.append((unit_id, data["score"], data["review"]))
        flagged = 'class="alignment review"' in client.get(f"/units/{unit_id}").text
        assert flagged == (scores[unit_id] < REVIEW_BELOW)
    assert len(seen) > 2 * len(scores)
    for unit_id, alignment, review in seen:
        assert alignment == scores[unit_id] and review == (alignment < REVIEW_BELOW)
