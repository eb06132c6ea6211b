"""OCR repair on the real OCR'd seed 003, on clean seeds (left alone) and on devset French
damaged by the bench's generator (seed-003 kinds and rates)."""

from __future__ import annotations

import importlib.util
import random
import re
from pathlib import Path

import pytest

from resolign.align.ocr import is_ocr_damaged, repair_document, repair_text, repair_word
from resolign.align.paragraphs import rebuild_paragraphs
from resolign.align.pipeline import read_paragraphs

ROOT = Path(__file__).resolve().parent.parent
DAMAGED_L = re.compile(r"(?<![\w’'])(?:[I1\[|]{1,2})[’']\s?[aeiouyhéèêàâîôœAEIOUYHÉÈÊÀÂÎÔ]")


def load_bench():
    spec = importlib.util.spec_from_file_location("ocr_repair", ROOT / "bench" / "ocr_repair.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def seed_path(seeds_dir: Path, prefix: str) -> Path:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return path


@pytest.fixture(scope="module")
def seed_003(seeds_dir):
    return read_paragraphs(seed_path(seeds_dir, "003"), "fr")


def test_seed_003_keeps_no_misread_l_apostrophe(seed_003):
    extracted = sum(len(DAMAGED_L.findall(p.text)) for p in seed_003)
    assert extracted >= 160  # I’, 1’ and [’ for l’ in the extraction ...
    for p in seed_003:
        assert not DAMAGED_L.search(p.match_text), p.match_text[:120]  # ... none once repaired
    words = " ".join(p.match_text for p in seed_003)
    assert words.count("l’Organisation") >= 60


def test_seed_003_classic_confusions_repaired(seed_003):
    repaired = {(r.original, r.repaired) for p in seed_003 for r in p.repairs}
    for pair in [
        ("rdle", "rôle"), ("ceuvre", "œuvre"), ("si¢ge", "siège"), ("religicuse", "religieuse"),
        ("au-delda", "au-delà"), ("matiére", "matière"), ("’homme", "l’homme"),
        ("cecuménique", "œcuménique"), ("¢&tablissant", "établissant"), ("Genéve", "Genève"),
        ("aouit", "août"), ("I’¢élargissement", "l’élargissement"),
    ]:
        assert pair in repaired, pair
    text = " ".join(p.match_text for p in seed_003)
    assert "de l’homme" in text and "de ’homme" not in text
    assert "mise en œuvre effective" in text
    # "à" read as "a" before an article or infinitive; the verb stays ("elle a décidé")
    assert "à participer, en qualité d’observateur, à ses sessions" in text
    assert "elle a décidé d’inviter" in text


def test_seed_003_original_stays_recoverable(seed_003):
    title = seed_003[0]
    assert title.text.startswith("Coopération entre I’Organisation des Nations Unies")
    assert title.match_text.startswith("Coopération entre l’Organisation des Nations Unies")
    assert [r.as_json() for r in title.repairs][0] == {
        "original": "I’Organisation", "repaired": "l’Organisation", "kind": "elision",
    }
    # every repair names a token of the extracted text
    for p in seed_003:
        for r in p.repairs:
            assert r.original in p.text or r.original.replace(" ", "") in p.text, r


@pytest.mark.parametrize("prefix", ["000", "001", "002", "004"])
def test_clean_seeds_are_not_touched(seeds_dir, prefix):
    paragraphs = read_paragraphs(seed_path(seeds_dir, prefix), "fr")
    assert not is_ocr_damaged([p.match_text for p in paragraphs], "fr")
    assert all(not p.repairs for p in paragraphs)


def test_long_documents_are_judged_on_a_sample_that_still_finds_an_ocrd_part(seeds_dir):
    """Seed 001 (87,000 words, clean) is judged on about 20,000 of them; with the OCR'd seed 003
    appended (4,000 words, 412 misreadings) the sample still holds enough of its damage."""
    from resolign.align.ocr import SAMPLE_WORDS, _evenly

    clean = [p.match_text for p in read_paragraphs(seed_path(seeds_dir, "001"), "fr")]
    damaged = [p.text for p in read_paragraphs(seed_path(seeds_dir, "003"), "fr")]
    sample = _evenly(clean + damaged)
    assert len(sample) < len(clean) / 3
    assert sum(t.count(" ") + 1 for t in sample) <= 1.2 * SAMPLE_WORDS
    assert not is_ocr_damaged(clean, "fr")
    assert is_ocr_damaged(clean + damaged, "fr")
    assert is_ocr_damaged(damaged + clean, "fr")


def test_clean_devset_documents_are_not_touched(devset_dir):
    bench = load_bench()
    changed = 0
    for doc in bench.devset_documents(devset_dir):
        changed += sum(text != clean for text, (clean, _) in zip(
            doc, repair_document(doc, "fr"), strict=True))
    assert changed <= 3  # 732 documents; the few are real typos ("1'espace")


def test_word_repairs_need_the_word_list():
    assert repair_word("matiére", "fr") == "matière"  # 1,000 times rarer than the repair
    assert repair_word("apres", "fr") == "après"
    assert repair_word("repére", "fr") == "repère"  # an accent swap beats a lost accent
    assert repair_word("Etats", "fr") is None  # a normal spelling (capitals go unaccented)
    assert repair_word("cote", "fr") is None  # a word of its own
    assert repair_word("da", "fr") is None  # a whole token is never swapped
    assert repair_word("Kulaklıkaya", "fr") is None  # unknown, and no confusion explains it
    assert repair_word("CONFERENCE", "fr") is None  # capitals are left alone


def test_english_and_arabic_use_the_same_entry_point():
    text, repairs = repair_text("the Governrnent of the Republic and its rnembers", "en")
    assert text == "the Government of the Republic and its members"
    assert [r.kind for r in repairs] == ["letters", "letters"]
    arabic = "إن الجمعية العامة، إذ تشير إلى قراراتها السابقة"
    assert repair_document([arabic] * 3, "ar") == [(arabic, [])] * 3


@pytest.mark.slow
def test_damaged_devset_french_is_repaired(devset_dir):
    bench = load_bench()
    docs = bench.devset_documents(devset_dir)
    result = bench.evaluate(random.Random(3).sample(docs, 250), seed=11)
    totals = result["totals"]
    assert totals["damaged"] > 2000
    assert totals["repaired"] / totals["damaged"] >= 0.90
    assert totals["clean changed"] / totals["clean"] <= 0.002


def test_rebuild_alone_does_not_repair(seeds_dir):
    # paragraph rebuilding knows no language: repair is a separate, language-aware step
    paragraphs = rebuild_paragraphs(seed_path(seeds_dir, "003").read_text(encoding="utf-8"))
    assert all(not p.repairs for p in paragraphs)
    assert "I’Organisation" in paragraphs[0].match_text


def test_bench_script_prints_both_rates():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(ROOT / "bench" / "ocr_repair.py"), "--quick"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    header, _rule, row = [line for line in run.stdout.splitlines() if line.startswith("|")][:3]
    cells = dict(zip([c.strip() for c in header.strip("|").split("|")],
                     [c.strip() for c in row.strip("|").split("|")], strict=True))
    assert cells["documents"] == "20"
    assert cells["damaged words repaired"].endswith("%")
    assert cells["share changed"].endswith("%")
