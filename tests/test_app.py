"""The HTTP app over a real memory of UN devset units: every endpoint, its refusals, the page.

The memory is built once per session (real Memory with the embedded encoder, so semantic
search is live) and copied per test, so writes in one test never leak into another.
"""

from __future__ import annotations

import asyncio
import gc
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from resolign.cli import main as cli_main
from resolign.errors import InputError
from resolign.service.http.app import SERVE_ENV, AppSettings, app_from_environment, create_app
from resolign.service.memory import Memory
from resolign.tmx.reader import read_tmx
from resolign.units import Unit
from tests.devset import devset_lines, devset_units

KEY = "s3cret-test-key"
N_UNITS = 60
XSS = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture(scope="session")
def units(devset_dir: Path) -> list[Unit]:
    return devset_units(0, N_UNITS)


@pytest.fixture(scope="session")
def memory_template(tmp_path_factory: pytest.TempPathFactory, units: list[Unit]) -> Path:
    path = tmp_path_factory.mktemp("memory") / "un.db"
    xss = Unit(texts={"fr": f"Texte piégé {XSS}", "en": f"Trapped text {XSS}",
                      "ar": f"نص مفخخ {XSS}"}, document="xss", symbol="X/1", paragraph="1")
    with Memory.open(path) as store:
        assert store.add_units([*units, xss]).added == N_UNITS + 1
    return path


@pytest.fixture()
def db(tmp_path: Path, memory_template: Path) -> Path:
    for file in memory_template.parent.glob(f"{memory_template.name}*"):
        shutil.copy(file, tmp_path / file.name)
    return tmp_path / memory_template.name


@pytest.fixture()
def client(db: Path):
    with TestClient(create_app(db, api_key=KEY, max_upload_bytes=2_000_000)) as c:
        yield c


def detail(response) -> str:
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return body["detail"]


# --- search -------------------------------------------------------------------------------------


def test_search_exact_french_sentence_gives_the_unit_in_three_languages(client, units):
    unit = units[2]
    r = client.get("/api/search", params={"q": unit.texts["fr"], "src": "fr", "tgt": "en"})
    assert r.status_code == 200
    best = r.json()["matches"][0]
    assert best["score"] == 100 and best["kind"] == "exact"
    assert best["source"] == unit.texts["fr"] and best["target"] == unit.texts["en"]
    assert best["unit"] == unit.texts
    assert best["origin"] == {"document": unit.document, "symbol": unit.symbol,
                              "paragraph": unit.paragraph, "resolution": "",
                              "resolution_title": ""}
    # an exact match differs from the query in nothing: nothing to mark
    assert best["highlight"] == [] and best["diffs"] == []
    # one word changed: that word, and only it, is marked
    query = unit.texts["fr"].replace("réforme", "révision", 1)
    changed = client.get("/api/search", params={"q": query, "src": "fr", "tgt": "en",
                                                "semantic": "false"}).json()["matches"][0]
    assert changed["kind"] == "fuzzy" and changed["id"] == best["id"]
    assert [unit.texts["fr"][s:e] for s, e in changed["highlight"]] == ["réforme"]
    assert [d["op"] for d in changed["diffs"]] == ["replace"]
    assert client.get(f"/api/units/{best['id']}").json()["unit"] == unit.texts


def test_search_english_to_arabic_fuzzy(client, units):
    unit = units[5]
    words = unit.texts["en"].split()
    query = " ".join(words[:-1])  # last word dropped: still found, below 100
    r = client.get("/api/search", params={"q": query, "src": "en", "tgt": "ar", "limit": 3})
    best = r.json()["matches"][0]
    assert best["target"] == unit.texts["ar"] and 50 <= best["score"] < 100
    assert best["kind"] in {"fuzzy", "semantic"}


def test_search_filters_by_document_and_symbol(client, units):
    unit = units[2]
    base = {"q": unit.texts["fr"], "src": "fr", "tgt": "en", "semantic": "false"}
    assert client.get("/api/search", params={**base, "symbol": unit.symbol}).json()["matches"]
    other = client.get("/api/search", params={**base, "document": "nowhere"}).json()
    assert other["matches"] == []


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"q": "paix", "src": "de"}, 422, "unknown language"),
    ({"q": "paix", "tgt": "xx"}, 422, "unknown language"),
    ({"q": "paix", "src": "fr", "tgt": "fr"}, 422, "different"),
    ({"q": "   "}, 422, "empty query"),
    ({}, 422, "q"),
    ({"q": "paix " * 2001}, 413, "too long"),
    ({"q": "paix", "limit": "0"}, 422, "limit"),
    ({"q": "paix", "limit": "many"}, 422, "limit"),
    ({"q": "paix", "min_score": "101"}, 422, "min_score"),
])
def test_search_refuses_bad_input_with_a_json_reason(client, params, status, words):
    r = client.get("/api/search", params=params)
    assert r.status_code == status
    assert words in detail(r)


# --- concordance, units, health ------------------------------------------------------------------


def test_concordance_highlights_the_phrase(client):
    r = client.get("/api/concordance", params={"q": "égalité souveraine", "lang": "fr"})
    hits = r.json()["hits"]
    assert hits and all(h["lang"] == "fr" for h in hits)
    assert {h["text"][s:e] for h in hits for s, e in h["highlight"]} == {"égalité souveraine"}
    assert set(hits[0]["unit"]) == {"fr", "en", "ar"} and hits[0]["origin"]["symbol"]


def test_concordance_in_arabic_folds_hamza_and_marks(client, units):
    r = client.get("/api/concordance", params={"q": "الامم المتحدة", "lang": "ar"})
    hits = r.json()["hits"]
    assert hits
    for hit in hits:
        assert all("متحدة" in hit["text"][s:e] for s, e in hit["highlight"])


@pytest.mark.parametrize(("params", "status"), [
    ({"q": "paix", "lang": "es"}, 422), ({"q": ""}, 422), ({"q": "x" * 10_001}, 413),
    ({"q": "!!!"}, 400),  # no words at all: the search layer's InputError
])
def test_concordance_refusals(client, params, status):
    r = client.get("/api/concordance", params=params)
    assert r.status_code == status
    detail(r)


def test_unit_by_id_and_missing_unit(client, units):
    r = client.get("/api/units/1")
    assert r.status_code == 200 and r.json()["unit"] == units[0].texts
    missing = client.get("/api/units/999999")
    assert missing.status_code == 404 and "999999" in detail(missing)
    for bad in ("abc", "0", str(10**30)):  # 10**30 would overflow SQLite: refused up front
        assert client.get(f"/api/units/{bad}").status_code == 422


def test_healthz_reports_units_and_index(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["units"] == N_UNITS + 1
    assert body["backend"] == "sqlite"
    assert body["index"]["semantic"] == "ready" and body["index"]["vectors"] == N_UNITS + 1
    assert body["index"]["lag"] == 0
    assert body["writes"] == "enabled"


def test_a_worker_freezes_what_it_built_before_its_first_request(db, monkeypatch):
    """Each full collection walked the start-up objects (80,000 with a 1M-unit memory open:
    43 ms, a pause for every request in flight); a worker freezes them once (gc.freeze)."""
    monkeypatch.setenv(SERVE_ENV, AppSettings(location=str(db)).to_json())
    gc.unfreeze()
    try:
        app = app_from_environment()
        frozen = gc.get_freeze_count()
        with TestClient(app) as worker:  # its lifespan closes the memory
            assert worker.get("/api/units/1").status_code == 200
    finally:
        gc.unfreeze()
    assert frozen > 20_000


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/concordance", "/api/import", "/api/align"} <= set(paths)


# --- export ------------------------------------------------------------------------------------


def test_export_streams_a_valid_tmx_with_every_unit(client, units, tmp_path):
    with client.stream("GET", "/api/export.tmx", params={"segtype": "sentence"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/x-tmx+xml"
        assert r.headers["content-disposition"] == 'attachment; filename="un.tmx"'
        data = b"".join(r.iter_bytes())
    root = etree.fromstring(data)
    assert root.tag == "tmx" and len(root.findall("body/tu")) == N_UNITS + 1
    back = read_tmx(data)
    assert back[0].texts == units[0].texts and back[0].symbol == units[0].symbol


def test_export_pair_and_bad_options(client):
    r = client.get("/api/export.tmx", params={"pair": "fr-ar"})
    langs = {tuv.get("{http://www.w3.org/XML/1998/namespace}lang")
             for tuv in etree.fromstring(r.content).iter("tuv")}
    assert langs == {"fr", "ar"}
    assert client.get("/api/export.tmx", params={"pair": "fr-fr"}).status_code == 422
    assert client.get("/api/export.tmx", params={"pair": "fr-de"}).status_code == 422
    bad = client.get("/api/export.tmx", params={"segtype": "chapter"})
    assert bad.status_code == 400 and "segtype" in detail(bad)
    # alignment scores are cosines (0-1), unlike search's match percentages
    percent = client.get("/api/export.tmx", params={"min_score": "80"})
    assert percent.status_code == 422 and "min_score" in detail(percent)


# --- import and auth ---------------------------------------------------------------------------


def tmx_of(start: int, stop: int) -> bytes:
    from resolign.tmx.writer import iter_tmx_bytes

    return b"".join(iter_tmx_bytes(devset_units(start, stop), segtype="sentence"))


def test_import_adds_units_then_counts_duplicates(client, devset_dir):
    tmx = tmx_of(500, 520)
    files = {"file": ("new.tmx", tmx, "application/x-tmx+xml")}
    r = client.post("/api/import", files=files, headers={"X-API-Key": KEY})
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 20 and r.json()["duplicates"] == 0
    again = client.post("/api/import", files=files, headers={"X-API-Key": KEY}).json()
    assert again["added"] == 0 and again["duplicates"] == 20
    assert client.get("/healthz").json()["units"] == N_UNITS + 21
    fr = devset_lines()["fr"][510]
    found = client.get("/api/search", params={"q": fr, "semantic": "false"}).json()
    assert found["matches"][0]["kind"] == "exact"


@pytest.mark.parametrize(("headers", "status", "words"), [
    ({}, 401, "missing X-API-Key"),
    ({"X-API-Key": "wrong"}, 401, "wrong API key"),
    ({"X-API-Key": KEY + "x"}, 401, "wrong API key"),
])
def test_write_endpoints_refuse_without_the_right_key(client, devset_dir, headers, status, words):
    files = {"file": ("t.tmx", tmx_of(600, 602), "application/xml")}
    for path in ("/api/import", "/api/align"):
        r = client.post(path, files=files, headers=headers)
        assert r.status_code == status and words in detail(r)
    assert client.get("/healthz").json()["units"] == N_UNITS + 1


def test_write_endpoints_disabled_when_no_key_is_configured(db, monkeypatch, devset_dir):
    monkeypatch.delenv("RESOLIGN_API_KEY", raising=False)
    files = {"file": ("t.tmx", tmx_of(600, 602), "application/xml")}
    for app in (create_app(db), create_app(db, api_key=""), create_app(db, api_key=None)):
        with TestClient(app) as c:
            r = c.post("/api/import", files=files, headers={"X-API-Key": ""})
            assert r.status_code == 403 and "disabled" in detail(r)
            assert c.post("/api/align", files=files).status_code == 403
            assert c.get("/healthz").json()["writes"] == "disabled"


def test_api_key_comes_from_the_environment(db, monkeypatch, devset_dir):
    monkeypatch.setenv("RESOLIGN_API_KEY", "from-env")
    files = {"file": ("t.tmx", tmx_of(600, 602), "application/xml")}
    with TestClient(create_app(db)) as c:
        assert c.post("/api/import", files=files, headers={"X-API-Key": KEY}).status_code == 401
        r = c.post("/api/import", files=files, headers={"X-API-Key": "from-env"})
        assert r.status_code == 200 and r.json()["added"] == 2


@pytest.mark.parametrize(("content", "words"), [
    (b"this is not xml", "not well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaa">]><tmx version="1.4">'
     b"<header/><body><tu><tuv xml:lang='fr'><seg>&a;</seg></tuv></tu></body></tmx>", ""),
    (b'<?xml version="1.0"?><tmx version="1.4"><header/><body></body></tmx>', "no translation"),
])
def test_import_refuses_bad_tmx_with_400(client, content, words):
    r = client.post("/api/import", files={"file": ("bad.tmx", content, "text/xml")},
                    headers={"X-API-Key": KEY})
    assert r.status_code == 400
    assert words in detail(r)
    assert client.get("/healthz").json()["units"] == N_UNITS + 1


def test_import_refuses_bad_forms(client):
    key = {"X-API-Key": KEY}
    r = client.post("/api/import", files={"other": ("a.tmx", b"x", "text/xml")}, headers=key)
    assert r.status_code == 400 and "missing file field 'file'" in detail(r)
    r = client.post("/api/import", files={"file": ("a.tmx", b"", "text/xml")}, headers=key)
    assert r.status_code == 400 and "empty" in detail(r)
    r = client.post("/api/import", content=b"<tmx/>", headers={**key,
                                                                 "Content-Type": "text/xml"})
    assert r.status_code == 415 and "multipart" in detail(r)
    r = client.post("/api/import", headers={**key, "Content-Type": "multipart/form-data; "
                                            "boundary=xyz"}, content=b"--xyz\r\nbroken")
    assert r.status_code == 400 and "multipart" in detail(r)


# --- oversize uploads: refused before being read whole ---------------------------------------


def asgi_post(app, headers: dict[str, str], chunks, limit_chunks: int) -> tuple[int, int, bytes]:
    """POST straight into the ASGI app; returns (status, body chunks the app pulled, body)."""
    pulled = 0
    sent: list[dict] = []
    source = iter(chunks)

    async def receive() -> dict:
        nonlocal pulled
        chunk = next(source, None)
        if chunk is None or pulled >= limit_chunks:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/import", "raw_path": b"/api/import", "query_string": b"",
        "root_path": "", "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], pulled, body


def test_oversize_upload_refused_from_content_length_without_reading(db):
    app = create_app(db, api_key=KEY, max_upload_bytes=1_000_000)
    endless = (b"x" * 65536 for _ in range(10_000))
    status, pulled, body = asgi_post(app, {
        "content-type": "multipart/form-data; boundary=b", "content-length": str(50_000_000),
        "x-api-key": KEY}, endless, 10_000)
    assert status == 413 and b"too large" in body
    assert pulled == 0


def test_oversize_streamed_upload_aborted_past_the_limit(db):
    app = create_app(db, api_key=KEY, max_upload_bytes=1_000_000)
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.tmx"\r\n\r\n'
    endless = (head if i == 0 else b"x" * 65536 for i in range(10_000))  # 650 MB if all read
    status, pulled, body = asgi_post(app, {
        "content-type": "multipart/form-data; boundary=b", "x-api-key": KEY}, endless, 10_000)
    assert status == 413 and b"too large" in body
    assert pulled <= 1_000_000 // 65536 + 2


def test_unauthenticated_upload_is_refused_before_reading(db):
    app = create_app(db, api_key=KEY)
    status, pulled, _ = asgi_post(app, {"content-type": "multipart/form-data; boundary=b"},
                                  (b"x" * 65536 for _ in range(100)), 100)
    assert status == 401 and pulled == 0


# --- align -------------------------------------------------------------------------------------


def lines_file(lang: str, start: int, stop: int) -> bytes:
    return ("\n".join(devset_lines()[lang][start:stop]) + "\n").encode("utf-8")


def test_align_uploaded_documents_into_the_memory(client, devset_dir):
    files = {lang: (f"../../etc/{lang}.txt", lines_file(lang, 300, 308),
                    "text/plain") for lang in ("fr", "en", "ar")}
    r = client.post("/api/align", files=files, headers={"X-API-Key": KEY},
                    data={"presegmented": "true", "symbol": "A/70/1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 8 and body["document"] == "fr.txt"  # base name only
    fr = lines_file("fr", 304, 305).decode().strip()
    ar = lines_file("ar", 304, 305).decode().strip()
    best = client.get("/api/search", params={"q": fr, "tgt": "ar", "semantic": "false"}).json()
    match = best["matches"][0]
    assert match["kind"] == "exact" and match["target"] == ar
    assert match["origin"]["symbol"] == "A/70/1" and match["origin"]["document"] == "fr.txt"


def test_align_refuses_missing_or_wrong_documents(client, devset_dir):
    key = {"X-API-Key": KEY}
    r = client.post("/api/align", files={"fr": ("a.txt", b"Bonjour.", "text/plain")},
                    headers=key)
    assert r.status_code == 400 and "'en' or 'ar'" in detail(r)
    r = client.post("/api/align", files={"en": ("a.txt", b"Hello.", "text/plain")}, headers=key)
    assert r.status_code == 400 and "'fr'" in detail(r)
    swapped = {"fr": ("fr.txt", lines_file("ar", 300, 312), "text/plain"),
               "en": ("en.txt", lines_file("en", 300, 312), "text/plain")}
    r = client.post("/api/align", files=swapped, headers=key)
    assert r.status_code == 400
    detail(r)
    assert client.get("/healthz").json()["units"] == N_UNITS + 1


# --- the page ----------------------------------------------------------------------------------


def test_page_renders_results_without_javascript(client, units):
    unit = units[2]
    r = client.get("/", params={"q": unit.texts["fr"], "src": "fr", "tgt": "ar"})
    assert r.status_code == 200
    html = r.text
    assert 'aria-live="polite">1 match</p>' in html
    assert '<div class="cell src" lang="fr" dir="ltr">' in html
    assert '<div class="cell tgt" lang="ar" dir="rtl">' in html
    assert "<mark" not in html.split('<section id="results"')[1].split("</section>")[0]
    assert "100%" in html
    assert 'href="/units/3"' in html
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_page_escapes_stored_text_and_the_query(client):
    r = client.get("/", params={"q": 'Texte piégé <script>alert("x")</script>'})
    html = r.text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'value="Texte piégé &lt;script&gt;' in html


def test_page_concordance_mode_and_bad_input(client):
    r = client.get("/", params={"q": "égalité souveraine", "mode": "concordance"})
    assert "<mark>égalité souveraine</mark>" in r.text and " checked" in r.text
    r = client.get("/", params={"q": "paix", "src": "fr", "tgt": "fr"})
    assert r.status_code == 422 and "different languages" in r.text
    assert client.get("/").status_code == 200


def test_unit_page(client, units):
    r = client.get("/units/3")
    assert r.status_code == 200 and 'lang="ar" dir="rtl"' in r.text
    assert units[2].symbol in r.text and 'href="/api/units/3"' in r.text
    assert client.get("/units/999999").status_code == 404
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


# --- create_app and resolign serve ---------------------------------------------------------------


def test_missing_database_is_an_error_not_a_new_memory(tmp_path, capsys):
    missing = tmp_path / "nope.db"
    with pytest.raises(InputError, match="not found"):
        create_app(missing)
    assert cli_main(["serve", "--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "memory database not found" in err
    assert not missing.exists()


def test_serve_defaults_to_localhost():
    from resolign.cli import build_parser

    args = build_parser().parse_args(["serve", "--db", "x.db"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)


def test_api_docs_are_served_without_any_network(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "resolign translation memory"
