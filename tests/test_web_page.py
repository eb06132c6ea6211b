"""The search page in a real headless Chromium against a real `resolign serve` subprocess.

Needs Debian's chromium (apt-get install -y chromium) and the Python playwright package
(pip install playwright; no `playwright install`: the system browser is used). Missing either
is a test FAILURE that names the install command, never a silent skip.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from resolign.service.memory import Memory
from resolign.units import Unit
from tests.devset import devset_units
from tests.memory_checks import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("RESOLIGN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_SECONDS = 60
KEY = "web-test-key"
XSS = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
SHOTS = Path(os.environ.get("RESOLIGN_SCREENSHOTS", "")) if os.environ.get(
    "RESOLIGN_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def units(devset_dir: Path) -> list[Unit]:
    return devset_units(0, 40)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, units: list[Unit]):
    """`resolign serve` on a free 127.0.0.1 port; always stopped at the end."""
    db = tmp_path_factory.mktemp("served") / "memory.db"
    trap = Unit(texts={"fr": f"Piège {XSS}", "en": f"Trap {XSS}", "ar": f"فخ {XSS}"},
                document="xss", symbol="X/1", paragraph="1")
    with Memory.open(db) as store:
        store.add_units([*units, trap])
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RESOLIGN_API_KEY": KEY}
    log = (db.parent / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "resolign.cli", "serve", "--db", str(db),
         "--host", "127.0.0.1", "--port", str(port), "--max-upload-mb", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"resolign serve exited: {(db.parent / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"resolign serve not up after {SERVER_START_SECONDS}s")
            time.sleep(0.2)
        yield base
    finally:
        stop(proc, timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Python package playwright is missing: run `pip install playwright` "
                    "(no `playwright install` needed; the system chromium is used)")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"chromium not found at {CHROMIUM}: run "
                    "`apt-get update && apt-get install -y chromium` (or set RESOLIGN_CHROMIUM)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if SHOTS:  # set RESOLIGN_SCREENSHOTS=DIR to keep them for a human look
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)
    return path


def check_first_match(page, unit: Unit, score: str) -> None:
    first = page.locator("article.match").first
    assert first.locator('.cell[lang="fr"]').inner_text() == unit.texts["fr"]
    assert first.locator('.cell[lang="en"]').inner_text() == unit.texts["en"]
    arabic = first.locator('.cell[lang="ar"]')
    assert arabic.inner_text() == unit.texts["ar"]
    assert arabic.get_attribute("dir") == "rtl"
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert arabic.evaluate("e => getComputedStyle(e).textAlign") in {"right", "start"}
    assert first.locator(".score").inner_text() == score
    marks = first.locator('.cell[lang="fr"] mark').all_inner_texts()
    assert marks[0] == "Aucune réforme de" and any("Charte" in m for m in marks)
    assert first.locator("a.origin").inner_text().startswith(unit.symbol)


def test_search_shows_the_unit_side_by_side(page, server, units, tmp_path):
    unit = units[2]
    page.goto(server + "/")
    page.fill("#q", unit.texts["fr"])
    page.select_option("#src", "fr")
    page.select_option("#tgt", "en")
    page.click("button[type=submit]")
    page.wait_for_selector("article.match")
    check_first_match(page, unit, "100%")
    assert page.locator("article.match .kind").first.inner_text().lower() == "exact"
    assert "q=" in page.url  # the result is a shareable URL
    shot = screenshot(page, tmp_path, "search")
    assert shot.stat().st_size > 10_000
    # the source link opens the unit page with its origin
    page.locator("a.origin").first.click()
    page.wait_for_url("**/units/3")
    assert page.locator('.cell[lang="ar"]').get_attribute("dir") == "rtl"
    assert unit.symbol in page.locator(".details").inner_text()


def test_page_works_without_javascript(browser, server, units, tmp_path):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        unit = units[2]
        page.goto(server + "/")
        page.fill("#q", unit.texts["fr"])
        page.click("button[type=submit]")  # plain GET form, rendered by the server
        page.wait_for_selector("article.match")
        check_first_match(page, unit, "100%")
    finally:
        context.close()


def test_concordance_toggle_highlights_the_phrase(page, server, tmp_path):
    page.goto(server + "/")
    page.fill("#q", "égalité souveraine")
    page.check("#mode")
    page.click("button[type=submit]")
    page.wait_for_selector("article.match mark")
    marks = page.locator('.cell.src[lang="fr"] mark').all_inner_texts()
    assert marks and set(marks) == {"égalité souveraine"}
    assert "concordance" in page.locator("#status").inner_text()
    screenshot(page, tmp_path, "concordance")


def test_stored_markup_is_shown_as_text_never_run(page, server):
    page.goto(server + "/")
    page.fill("#q", "Piège")
    page.check("#mode")
    page.click("button[type=submit]")
    page.wait_for_selector("article.match")
    assert page.title() != "pwned"
    assert page.locator("article.match img").count() == 0
    assert "<img src=x" in page.locator('.cell[lang="fr"]').first.inner_text()


def test_errors_are_shown_in_the_page(page, server):
    page.goto(server + "/")
    page.fill("#q", "paix")
    page.select_option("#src", "en")
    page.select_option("#tgt", "en")
    page.click("button[type=submit]")
    page.wait_for_selector("#status.error")
    assert "different languages" in page.locator("#status").inner_text()


def test_served_app_refuses_oversize_upload_from_its_headers(server):
    """Over a real socket: a 1 GB Content-Length is answered 413 with no body sent at all."""
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", "/api/import")
        conn.putheader("Content-Type", "multipart/form-data; boundary=b")
        conn.putheader("Content-Length", str(1 << 30))
        conn.putheader("X-API-Key", KEY)
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413 and b"too large" in response.read()
    finally:
        conn.close()


def test_served_app_aborts_a_streamed_upload_past_the_limit(server):
    """Chunked (no Content-Length) 64 MB body against a 1 MB limit: cut off early with 413."""
    sent = 0

    def body():
        nonlocal sent
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.tmx"\r\n\r\n'
        for _ in range(1024):
            sent += 65536
            yield b"x" * 65536

    try:
        r = httpx.post(server + "/api/import", content=body(), timeout=20, headers={
            "Content-Type": "multipart/form-data; boundary=b", "X-API-Key": KEY})
        assert r.status_code == 413 and "too large" in r.json()["detail"]
    except httpx.WriteError:
        pass  # the server answered 413 and closed while we were still sending: also a refusal
    assert sent < 16 * 1024 * 1024  # socket buffers hold a few MB; the rest was never sent


def test_served_app_takes_long_arabic_queries_and_refuses_too_long_ones(server):
    """The limit is 10,000 characters in every script (percent-encoded Arabic is six times its
    length in the request line): the server must still answer in JSON."""
    word = "الأمم المتحدة "  # 14 characters, 26 bytes of UTF-8
    ok = httpx.get(server + "/api/search", timeout=30,
                   params={"q": word * 700, "src": "ar", "semantic": "false"})  # 9,800 chars
    assert ok.status_code == 200 and ok.json() == {"matches": []}
    too_long = httpx.get(server + "/api/search", params={"q": word * 720, "src": "ar"},
                         timeout=30)  # 10,080 characters
    assert too_long.status_code == 413 and "too long" in too_long.json()["detail"]
