"""Concordance and matches in a real headless Chromium against `resolign serve`: pages with
the true total, the phrase's translations marked and grouped, differences and alignment scores.

Same set-up as test_web_page.py (Debian's chromium, the Python playwright package); the memory
is the devset as paragraphs, served without a semantic index.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from resolign.service.memory import Memory
from tests.memory_checks import free_port, stop
from tests.test_search_forms import paragraph_units
from tests.test_web_page import ROOT, browser, page, screenshot  # noqa: F401 (fixtures)

PHRASE = "Conseil de sécurité"


@pytest.fixture(scope="module")
def served(devset_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    units, _ = paragraph_units(1000)
    db = tmp_path_factory.mktemp("concordance") / "memory.db"
    with Memory.open(db, encoder="none") as memory:
        memory.add_units(units)
    port = free_port()
    log = (db.parent / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "resolign.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
         "--port", str(port), "--encoder", "none"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log,
        stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"resolign serve exited: {(db.parent / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("resolign serve not up after 60 s")
            time.sleep(0.2)
        yield base, units, db.parent / "server.log"
    finally:
        stop(proc, timeout=10)
        log.close()


def _concordance(page, base: str, limit: int = 20) -> int:  # noqa: F811
    page.goto(f"{base}/?limit={limit}")
    page.fill("#q", PHRASE)
    page.check("#mode")
    # the form has no limit field: the first page is the default size; go through the URL
    page.goto(f"{base}/?q={PHRASE}&src=fr&tgt=en&mode=concordance&limit={limit}")
    page.wait_for_selector("article.hit")
    status = page.locator("#status").inner_text()
    match = re.fullmatch(r"1–(\d+) of (\d+) concordance hits", status)
    assert match, status
    return int(match.group(2))


def test_concordance_pages_forward_and_back_with_the_true_total(page, served, tmp_path):  # noqa: F811
    base, _, _ = served
    total = _concordance(page, base)
    api_total = httpx.get(f"{base}/api/concordance",
                          params={"q": PHRASE, "lang": "fr", "limit": 1}).json()["total"]
    assert total == api_total > 40
    first_ids = page.locator("article.hit").evaluate_all("a => a.map(e => e.dataset.id)")
    page.click("nav.paging a.next")
    expect(page.locator("#status")).to_have_text(f"21–40 of {total} concordance hits")
    assert "offset=20" in page.url
    second_ids = page.locator("article.hit").evaluate_all("a => a.map(e => e.dataset.id)")
    assert len(second_ids) == 20 and not set(first_ids) & set(second_ids)
    screenshot(page, tmp_path, "concordance-page-2")
    page.click("nav.paging a.prev")
    expect(page.locator("#status")).to_have_text(f"1–20 of {total} concordance hits")
    assert page.locator("article.hit").evaluate_all("a => a.map(e => e.dataset.id)") == first_ids
    page.go_back()  # the browser's history follows the pages
    expect(page.locator("#status")).to_have_text(f"21–40 of {total} concordance hits")


def test_translations_of_the_phrase_are_marked_and_grouped(page, served):  # noqa: F811
    base, _, _ = served
    _concordance(page, base)
    english = page.locator('article.hit .cell[lang="en"] mark.equiv').all_inner_texts()
    assert english and sum(t.lower() == "security council" for t in english) >= 0.8 * len(english)
    arabic = page.locator('article.hit .cell[lang="ar"] mark.equiv').all_inner_texts()
    assert arabic and all("مجلس" in t for t in arabic)
    # the French phrase itself stays marked as the hit
    assert {t.lower() for t in page.locator('article.hit .cell.src[lang="fr"] mark')
            .all_inner_texts()} <= {"conseil de sécurité", "conseils de sécurité"}
    group = page.locator('.groups .group[lang="en"] li').first
    assert group.locator("mark.equiv").inner_text() == "security council"
    assert int(group.locator(".count").inner_text()) >= 10


def test_fuzzy_match_marks_what_differs_and_shows_the_alignment_score(page, served):  # noqa: F811
    base, units, log = served
    unit = next(u for u in units if len(u.texts["fr"].split()) > 15 and "sécurité" in
                u.texts["fr"] and u.score is not None and u.score < 0.6)
    query = unit.texts["fr"].replace("sécurité", "stabilité", 1)
    page.goto(base + "/")
    page.fill("#q", query)
    page.click("button[type=submit]")
    page.wait_for_selector("article.match")
    first = page.locator("article.match").first
    assert first.locator('.cell[lang="en"]').inner_text() == unit.texts["en"]
    assert first.locator(".kind").inner_text().lower() == "fuzzy"
    assert first.locator('.cell[lang="fr"] mark.diff').all_inner_texts() == ["sécurité"]
    assert first.locator(".alignment.review").inner_text() == f"aligned {unit.score:.2f}"
    assert "review" in (first.get_attribute("class") or "")
    # the served access log names the route, never the draft looked up
    assert "stabilit" not in log.read_text() and "/?q" not in log.read_text()
