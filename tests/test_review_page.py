"""The review flow on the unit page in a real headless Chromium against `resolign serve`:
the write key typed in, a text corrected (markup in it shown as text, never run), the history,
undo, delete and undo, merge with the next unit; the alignment score flagged when low.

Same set-up as test_web_page.py (Debian's chromium, the Python playwright package); the memory
holds UN devset units, served without a semantic index.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from resolign.service.memory import NO_ENCODER, Memory
from resolign.units import Unit
from tests.cat_clients import served
from tests.devset import devset_units
from tests.test_web_page import XSS, browser, page, screenshot  # noqa: F401 (fixtures)

KEY = "review-page-key"
REVIEWER = "Amina Haddad"


@pytest.fixture(scope="module")
def units(devset_dir: Path) -> list[Unit]:
    return devset_units(0, 24)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, units: list[Unit]):
    db = tmp_path_factory.mktemp("review") / "memory.db"
    with Memory.open(db, encoder=NO_ENCODER) as memory:
        memory.add_units(units)
    with served(db, "--encoder", NO_ENCODER, env={"RESOLIGN_API_KEY": KEY}) as (base, _log):
        yield base


def open_review(page, base: str, unit_id: int, key: str = KEY) -> None:  # noqa: F811
    page.goto(f"{base}/units/{unit_id}")
    assert page.locator("#review-tools").is_hidden()
    page.fill("#key", key)
    page.fill("#who", REVIEWER)
    page.click("#review-key button[type=submit]")


def en_cell(page) -> str:  # noqa: F811
    return page.locator('article.unit .cell[lang="en"]').inner_text()


def test_a_correction_is_shown_with_its_history_and_undone(page, server, units, tmp_path):  # noqa: F811
    unit = units[1]  # alignment score 0.5: flagged for review
    open_review(page, server, 2)
    expect(page.locator("#history li")).to_have_text("No change yet.")
    assert page.locator(".details .alignment.review").inner_text() == "aligned 0.50"

    corrected = f"{unit.texts['en']} (checked) {XSS}"
    page.fill('#review-edit textarea[name="en"]', corrected)
    page.click("#save")
    page.wait_for_url(f"{server}/units/25")  # a corrected unit is a new unit
    expect(page.locator("#review-status")).to_have_text("Saved: unit 2 is now unit 25")
    assert en_cell(page) == corrected
    assert page.locator('article.unit .cell[lang="fr"]').inner_text() == unit.texts["fr"]
    change = page.locator("#history li.change")
    expect(change).to_have_count(1)  # the history is read after the page loads
    assert change.locator(".action").inner_text() == "edit"
    assert change.locator(".who").inner_text() == REVIEWER
    assert unit.texts["en"] in change.locator(".change-before").inner_text()
    assert corrected in change.locator(".change-after").inner_text()
    # the markup in the correction is text in the cell, the text box and the history
    assert page.title() != "pwned" and page.locator("main img, main script").count() == 0
    screenshot(page, tmp_path, "review-edited")
    # the search finds the correction
    found = httpx.get(f"{server}/api/search", params={"q": unit.texts["fr"],
                                                      "semantic": False}).json()["matches"]
    assert found[0]["id"] == 25 and found[0]["target"] == corrected

    change.locator("button.undo").click()
    page.wait_for_url(f"{server}/units/2")
    assert en_cell(page) == unit.texts["en"]
    expect(page.locator("#history li.change .action")).to_have_text(["edit", "undo"])
    expect(page.locator("#history li.change").first).to_contain_text("undone by change")


def test_delete_then_undo_and_merge_with_the_next_unit(page, server, units):  # noqa: F811
    open_review(page, server, 10)
    expect(page.locator("#review-tools")).to_be_visible()
    page.click("#delete")
    expect(page.locator("#review-status")).to_contain_text("Deleted unit 10")
    assert "deleted or replaced" in page.locator("main").inner_text()
    assert page.locator("#review-edit").count() == 0  # only the history and undo are left
    page.locator("#history li.change-delete button.undo").click()
    expect(page.locator('article.unit .cell[lang="fr"]')).to_have_text(units[9].texts["fr"])

    # unit 10 (paragraph 47) comes before unit 9 (paragraph 120) in their document
    page.goto(f"{server}/units/10")
    expect(page.locator("#merge-next")).to_be_enabled()
    assert page.locator("#merge-previous").is_disabled()
    page.click("#merge-next")
    expect(page.locator("#review-status")).to_contain_text("Merged into unit")
    assert page.locator('article.unit .cell[lang="fr"]').inner_text() == (
        f"{units[9].texts['fr']} {units[8].texts['fr']}")


def test_a_wrong_key_shows_why_and_no_tools(page, server):  # noqa: F811
    open_review(page, server, 3, key="not-the-key")
    expect(page.locator("#review-status")).to_have_text("wrong API key")
    assert page.locator("#review-tools").is_hidden()
