"""Finest units downstream: what `resolign align --tmx --db` stores when English and Arabic
cut a French passage differently, and paragraphs nothing translates (real devset text)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from resolign.service.memory import Memory
from resolign.tmx.reader import read_tmx
from tests.conftest import devset_documents


@pytest.fixture(scope="module")
def aligned(tmp_path_factory):
    """French 5 paragraphs; English keeps 1 and 2 apart where Arabic merges them, English
    adds a paragraph nobody else has, Arabic drops French paragraph 4."""
    doc = next(d for d in devset_documents(12) if d.symbol == "2015/dp/2015/9").sentences
    stranger = next(d for d in devset_documents(12) if d.symbol == "2015/hsp/gc/25/2/add_6")
    layout = {"fr": [[0], [1], [2], [3, 4], [5]],
              "en": [[0], [1], [2], [3, 4], [5]],
              "ar": [[0], [1, 2], [3, 4]]}
    paragraphs = {lang: [" ".join(doc[lang][k] for k in group) for group in groups]
                  for lang, groups in layout.items()}
    paragraphs["en"].insert(3, stranger.sentences["en"][2])
    folder = tmp_path_factory.mktemp("units")
    paths = []
    for lang in ("fr", "en", "ar"):
        path = folder / f"{lang}.txt"
        path.write_text("\n".join(paragraphs[lang]) + "\n", encoding="utf-8")
        paths.append(str(path))
    tmx, db = folder / "out.tmx", folder / "memory.db"
    run = subprocess.run([sys.executable, "-m", "resolign.cli", "align", "--presegmented",
                          *paths, "--tmx", str(tmx), "--db", str(db)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return paragraphs, read_tmx(tmx), db


def test_finer_bilingual_units_where_english_and_arabic_differ(aligned):
    paragraphs, units, _ = aligned
    fr, en, ar = paragraphs["fr"], paragraphs["en"], paragraphs["ar"]
    pairs = {(u.texts.get("fr"), u.texts.get("en"), u.texts.get("ar")) for u in units}
    # the component: French 1-2, English 1-2, Arabic 1 (which merges them) ...
    assert (f"{fr[1]} {fr[2]}", f"{en[1]} {en[2]}", ar[1]) in pairs
    # ... and the finer French–English units inside it
    assert (fr[1], en[1], None) in pairs and (fr[2], en[2], None) in pairs
    assert (fr[0], en[0], ar[0]) in pairs  # where they agree: one FR–EN–AR unit only
    assert sum(1 for u in units if u.texts.get("fr") == fr[0]) == 1


def test_no_paragraph_of_any_input_is_missing_from_the_tmx(aligned):
    paragraphs, units, _ = aligned
    for lang, texts in paragraphs.items():
        segments = [u.texts[lang] for u in units if lang in u.texts]
        for text in texts:
            assert any(text in segment for segment in segments), (lang, text[:60])
    one_language = [u for u in units if len(u.texts) == 1]
    # French 4 has no Arabic but has English; the inserted English paragraph has nothing
    assert [next(iter(u.texts)) for u in one_language] == ["en"]
    assert one_language[0].texts["en"] == paragraphs["en"][3]


def test_exact_look_up_of_one_french_paragraph_finds_its_own_english(aligned):
    paragraphs, _, db = aligned
    with Memory.open(db, encoder=None) as store:
        for k in (0, 1, 2, 4):
            english = paragraphs["en"][k + (k >= 3)]  # English 3 is the inserted paragraph
            top = store.search(paragraphs["fr"][k], src="fr", tgt="en", limit=1,
                         semantic=False)
            assert top and top[0].kind == "exact" and top[0].target == english, k
        arabic = store.search(paragraphs["fr"][1], src="fr", tgt="ar", limit=1, semantic=False)
        assert not arabic or arabic[0].kind != "exact"  # Arabic has no paragraph of its own
        stored = [u.texts for u in store.iter_units()]
    assert {"en": paragraphs["en"][3]} in stored  # kept, as a one-language unit
