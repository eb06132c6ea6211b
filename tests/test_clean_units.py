"""From documents to units: a FR–EN–AR compendium of two resolutions built from real devset
documents (French OCR-damaged and with Markdown) aligns into units that carry the document's
words without markup, the repaired French with its extraction kept, and their resolution."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from resolign.align.pipeline import align_files
from resolign.align.to_units import alignment_units
from tests.conftest import devset_documents
from tests.test_ocr import DAMAGED_L, load_bench

MARKUP = re.compile(r"\*\*|~~|\^\{|</?i>")
HEADINGS = {
    "fr": ("OCI/CFM-48/2022/POL/RES/FINAL", "**RÉSOLUTION N°{n}/48-POL**"),
    "en": ("OIC/CFM-48/2022/POL/RES/FINAL", "**RESOLUTION No. {n}/48-POL**"),
    "ar": ("OIC/CFM-48/2022/POL/RES/FINAL", "قرار رقم {n}/48-س"),
}
COVER = {
    "fr": "ADOPTÉES PAR LA **48^{ème} SESSION DU CONSEIL DES MINISTRES**",
    "en": "ADOPTED BY THE **48^{th} SESSION OF THE COUNCIL OF FOREIGN MINISTERS**",
    "ar": "التي اعتمدتها الدورة الثامنة والأربعون لمجلس وزراء الخارجية",
}
TITLES = ["SUR LA SITUATION HUMANITAIRE", "SUR LA COOPÉRATION ENTRE LES DEUX ORGANISATIONS"]


@pytest.fixture(scope="module")
def compendium(tmp_path_factory) -> dict[str, Path]:
    bench = load_bench()
    rng = random.Random(5)
    docs = []
    for doc in devset_documents(min_sentences=10):
        body = [i for i, s in enumerate(doc.sentences["fr"]) if len(s) > 40 and s[-1] in ".;:,"]
        if len(body) >= 7:
            docs.append({lang: [doc.sentences[lang][i] for i in body[:7]] for lang in HEADINGS})
        if len(docs) == 2:
            break
    folder = tmp_path_factory.mktemp("compendium")
    paths = {}
    for lang, (symbol, heading) in HEADINGS.items():
        lines = [symbol, COVER[lang]]
        for n, doc in enumerate(docs, start=1):
            lines.append(heading.format(n=n))
            if lang == "fr":
                lines.append(TITLES[n - 1])
            for sentence in doc[lang]:
                lines.append(bench.damage_text(sentence, rng)[0] if lang == "fr" else sentence)
        paths[lang] = folder / f"{lang}.txt"
        paths[lang].write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def units(compendium):
    result = align_files(compendium["fr"], compendium["en"], compendium["ar"])
    return alignment_units([result])


def test_units_carry_words_without_markup(units):
    assert len(units) >= 14
    for unit in units:
        for text in unit.texts.values():
            assert not MARKUP.search(text), text
    cover = next(u for u in units if "ADOPT" in u.texts.get("fr", ""))
    assert cover.texts["fr"] == "ADOPTÉES PAR LA 48ème SESSION DU CONSEIL DES MINISTRES"


def test_units_carry_the_repaired_french_and_keep_the_extraction(units, compendium):
    extracted = compendium["fr"].read_text(encoding="utf-8")
    assert DAMAGED_L.search(extracted)
    repaired = [u for u in units if "original:fr" in u.provenance]
    assert len(repaired) >= 5
    for unit in units:
        assert not DAMAGED_L.search(unit.texts.get("fr", "")), unit.texts
    for unit in repaired:
        assert unit.provenance["original:fr"] != unit.texts["fr"]
        assert all(part in extracted for part in unit.provenance["original:fr"].split(" ")[:5])
    # besides the extraction, only the aligner's marks (finer bilingual unit, one language)
    assert all(set(u.provenance) <= {"original:fr", "finer", "one_sided"} for u in units)


def test_units_carry_their_resolution(units):
    assert {u.symbol for u in units} == {"OCI/CFM-48/2022/POL/RES/FINAL"}
    by_resolution: dict[str, list] = {}
    for unit in units:
        by_resolution.setdefault(unit.resolution, []).append(unit)
    assert set(by_resolution) == {"", "1/48-POL", "2/48-POL"}
    assert all(len(by_resolution[r]) >= 6 for r in ("1/48-POL", "2/48-POL"))
    assert {u.resolution_title for u in by_resolution["1/48-POL"]} == {"LA SITUATION HUMANITAIRE"}
    assert {u.resolution_title for u in by_resolution["2/48-POL"]} == {
        "LA COOPÉRATION ENTRE LES DEUX ORGANISATIONS"}
    assert all(u.resolution_title == "" for u in by_resolution[""])


def test_memory_tmx_and_search_carry_the_resolution(units, tmp_path):
    from lxml import etree

    from resolign.service.http.shapes import match_shape
    from resolign.service.memory import NO_ENCODER, Memory
    from resolign.tmx.writer import iter_tmx_bytes

    with Memory.open(tmp_path / "m.db", encoder=NO_ENCODER) as memory:
        memory.add_units(units)
        unit = next(u for u in units if u.resolution == "2/48-POL" and {"fr", "en"} <= set(u.texts))
        [match] = memory.search(unit.texts["fr"], src="fr", tgt="en", limit=1)
        shape = match_shape(match, unit.texts["fr"])
        assert (shape.origin.resolution, shape.origin.resolution_title) == (
            "2/48-POL", unit.resolution_title)
        only = memory.search(unit.texts["fr"], src="fr", tgt="en", min_score=0, limit=50,
                             resolution="1/48-POL")
        assert only and all(m.origin["resolution"] == "1/48-POL" for m in only)
        word = unit.texts["fr"].split()[0]
        hits = memory.concordance(word, lang="fr", limit=200, resolution="2/48-POL").hits
        assert hits and {h.origin["resolution"] for h in hits} == {"2/48-POL"}
        root = etree.fromstring(b"".join(iter_tmx_bytes(memory.iter_units())))
    props = {p.get("type"): p.text for p in root.iter("prop")}
    assert {"x-resolution", "x-resolution-title"} <= set(props)
    assert {p.text for p in root.iter("prop") if p.get("type") == "x-resolution"} == {
        "1/48-POL", "2/48-POL"}
