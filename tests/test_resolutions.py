"""Compendium splitting on the real seed 001, symbol matching across OIC language conventions,
and the embedding fallback with the real default encoder on UN devset documents."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest

from resolign.align.encoders import load_encoder
from resolign.align.paragraphs import presegmented_paragraphs, rebuild_paragraphs
from resolign.align.resolutions import (
    Resolution,
    find_symbol,
    match_documents,
    split_resolutions,
    symbol_key,
)


@pytest.fixture(scope="module")
def compendium(seeds_dir: Path) -> list[Resolution]:
    (path,) = sorted(seeds_dir.glob("001_*.txt"))
    return split_resolutions(rebuild_paragraphs(path.read_text(encoding="utf-8")))


def test_seed_001_has_front_matter_and_72_resolutions_in_order(compendium):
    front, *resolutions = compendium
    assert front.symbol == "" and front.title == "OIC/CFM-47/2020/POL/RES/FINAL"
    assert sum("\t" in p.text for p in front.paragraphs) == 73  # the table of contents
    assert [r.symbol for r in resolutions] == [f"{n}/47-POL" for n in range(1, 73)]
    for resolution in resolutions:
        assert resolution.paragraphs[0].kind == "heading"
        assert find_symbol(resolution.paragraphs[0].text) == resolution.symbol
        assert resolution.title
        assert len(resolution.paragraphs) >= 6


def test_seed_001_titles(compendium):
    titles = {r.symbol: r.title for r in compendium}
    assert titles["1/47-POL"] == "LA SITUATION EN SOMALIE"
    assert titles["2/47-POL"] == (
        "LA CONDAMNATION DES ACTIVITES VIOLENTES DU GROUPE TERRORISTE AL-SHABAAB EN SOMALIE"
    )
    # extraction glued "DE" to the keyword: "DERÉSOLUTION N°14/47-POL"
    assert titles["14/47-POL"] == "LA SITUATION A LA FRONTIERE ENTRE DJIBOUTI ETL'ERYTHREE"
    assert titles["66/47-POL"] == "Le Document de Makkah Al-Mukarammah"
    assert titles["72/47-POL"].startswith("CONCERNANT LA RESOLUTION 2532 (2020) DU CONSEIL")


def test_seed_001_resolution_bodies(compendium):
    somalia = compendium[1]
    numbers = [p.number for p in somalia.paragraphs if p.number]
    assert numbers == [str(n) for n in range(1, 26)]
    assert somalia.paragraphs[-1].text.startswith("25. **DEMANDE** au Secrétaire général")


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("RESOLUTION N°1/47-POL", "1/47-POL"),
        ("Résolution n°1/47-POL sur la situation en Somalie", "1/47-POL"),
        ("RÉSOLUTION N° 71/47-POL", "71/47-POL"),
        ("RESOLUTION 72/47 POL", "72/47-POL"),
        ("No. 1/47-POL", "1/47-POL"),
        ("RESOLUTION No. 1/47-POL", "1/47-POL"),
        ("RESOLUTION NO.12/47-POL ON THE AGGRESSION", "12/47-POL"),
        ("Projet de résolution N° **21/46-POL** adopté", "21/46-POL"),
        ("قرار رقم 1/47-س", "1/47-س"),
        ("القرار رقم 1/47-س بشأن الوضع في الصومال", "1/47-س"),
        ("القرار رقم 1/47", "1/47"),
        ("قرار رقم ١/٤٧-س", "1/47-س"),
        ("A/RES/73/135", "A/RES/73/135"),
        ("la résolution numéro A/79/L.9/Rev.1, intitulée", "A/79/L.9/Rev.1"),
        ("Voir S/PV.7813.", "S/PV.7813"),
        ("l’AGNU le 11/12/1948 et", None),
        ("la résolution 2334 du Conseil de sécurité", None),
        ("", None),
    ],
)
def test_find_symbol(text, symbol):
    assert find_symbol(text) == symbol


def test_symbol_key_ignores_the_committee_suffix():
    assert symbol_key("1/47-POL") == symbol_key("1/47-س") == symbol_key("1/47") == "1/47"
    assert symbol_key("A/RES/73/135") == "A/RES/73/135"


ENGLISH = """RESOLUTION No. {n}/47-POL
ON
{title}
The Council of Foreign Ministers of the Organization of Islamic Cooperation,
1. DECIDES to remain seized of the matter."""
ARABIC = """قرار رقم {n}/47-س
بشأن
{title}
إن مجلس وزراء الخارجية لمنظمة التعاون الإسلامي،
1 - يقرر إبقاء المسألة قيد نظره."""


def compendium_text(template: str, items: list[tuple[int, str]]) -> list[Resolution]:
    text = "\n".join(template.format(n=n, title=title) for n, title in items)
    return split_resolutions(presegmented_paragraphs(text))


def test_match_by_symbol_across_languages(compendium):
    french = compendium[1:4]  # 1/47-POL .. 3/47-POL
    english = compendium_text(
        ENGLISH, [(3, "THE OIC MISSION IN MOGADISHU"), (1, "THE SITUATION IN SOMALIA")]
    )
    assert [r.symbol for r in english] == ["3/47-POL", "1/47-POL"]
    assert english[1].title == "THE SITUATION IN SOMALIA"
    # everything resolved by symbol: no encoder is needed (or loaded)
    assert match_documents(french, english) == [(0, 1), (1, None), (2, 0)]
    arabic = compendium_text(ARABIC, [(2, "إدانة أنشطة حركة الشباب"), (1, "الوضع في الصومال")])
    assert [r.symbol for r in arabic] == ["2/47-س", "1/47-س"]
    assert arabic[1].title == "الوضع في الصومال"
    assert match_documents(french, arabic) == [(0, 1), (1, 0), (2, None)]


def devset_documents(devset_dir: Path, lang: str, ids: list[str], per_doc: int):
    lines = (devset_dir / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").split("\n")
    grouped: dict[str, list[str]] = defaultdict(list)
    for doc, line in zip(devset_ids(devset_dir), lines, strict=False):
        grouped[doc].append(line)
    return [
        Resolution("", doc, presegmented_paragraphs("\n".join(grouped[doc][:per_doc])))
        for doc in ids
    ]


def devset_ids(devset_dir: Path) -> list[str]:
    text = (devset_dir / "UNv1.0.devset.ids").read_text(encoding="utf-8")
    return [line.split()[0] for line in text.split("\n") if line.strip()]


@pytest.mark.slow
def test_embedding_fallback_with_real_encoder(devset_dir):
    counts: dict[str, int] = defaultdict(int)
    for doc in devset_ids(devset_dir):
        counts[doc] += 1
    docs = [doc for doc, n in counts.items() if n >= 8][:7]
    french = devset_documents(devset_dir, "fr", docs, 5)
    others = {lang: devset_documents(devset_dir, lang, docs[:6], 5) for lang in ("en", "ar")}
    # the 7th French document has no counterpart; symbols that disagree are never paired
    french[5].symbol, others["en"][5].symbol = "5/47-POL", "6/47-POL"
    encoder = load_encoder()
    for lang, other in others.items():
        order = list(range(len(other)))
        random.Random(7).shuffle(order)
        shuffled = [other[k] for k in order]
        pairs = match_documents(french, shuffled, encoder=encoder)
        expected = [(i, order.index(i) if i < 6 else None) for i in range(7)]
        if lang == "en":
            expected[5] = (5, None)
        assert pairs == expected, lang
