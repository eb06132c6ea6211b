"""Paragraph reconstruction on the five real seed extractions (counts established by reading)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from resolign.align.paragraphs import (
    Paragraph,
    clean_markup,
    presegmented_paragraphs,
    rebuild_paragraphs,
)

# a paragraph number where a paragraph would start: text start or after a sentence end
NUMBERED_START = re.compile(r"(?:^|[.;:»]\s+)-?\s*(\d{1,3})[-.]\s+(?=\*\*|[A-ZÀ-Ý])")


def seed(seeds_dir: Path, prefix: str) -> list[Paragraph]:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return rebuild_paragraphs(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> dict[str, list[Paragraph]]:
    return {prefix: seed(seeds_dir, prefix) for prefix in ("000", "001", "002", "003", "004")}


def body(paragraphs: list[Paragraph]) -> list[Paragraph]:
    return [p for p in paragraphs if p.kind != "footnote"]


def find(paragraphs: list[Paragraph], needle: str) -> Paragraph:
    hits = [p for p in paragraphs if needle in p.text]
    assert len(hits) == 1, (needle, [h.text[:80] for h in hits])
    return hits[0]


def test_expected_counts_per_seed(seeds):
    counts = {prefix: Counter(p.kind for p in ps) for prefix, ps in seeds.items()}
    assert counts["000"] == {"paragraph": 103}
    assert counts["001"] == {"paragraph": 1731, "heading": 158}
    assert counts["002"] == {"paragraph": 28, "heading": 9}
    assert counts["003"] == {"paragraph": 52, "heading": 2, "footnote": 7}
    assert counts["004"] == {"paragraph": 4}


def test_seed_000_numbers_1_to_102_once_in_order(seeds):
    paragraphs = seeds["000"]
    numbers = [p.number for p in paragraphs if p.number]
    assert numbers == [str(n) for n in range(1, 103)]
    for p in paragraphs:
        if p.number:
            assert p.text.startswith(f"{p.number}-")
    # the one unnumbered paragraph: a new paragraph inside 22 (short line + Word's two spaces)
    (loose,) = [p for p in paragraphs if not p.number]
    assert loose.text.startswith("Elle a également salué les efforts déployés par le Centre")
    assert paragraphs.index(loose) == 22


def test_seed_000_blank_after_every_line_is_not_a_break(seeds):
    first = seeds["000"][0].text
    assert first.startswith("1- Les Chefs d’Etat et de Gouvernement")
    assert first.endswith("le Roi Salman bin Abdulaziz Al Saoud.")
    assert "\n" not in first


def test_seed_000_page_breaks_rejoined(seeds):
    paragraphs = seeds["000"]
    # page break inside paragraph 5 (next page starts " ambassades vers ...")
    five = find(paragraphs, "ont transféré leurs ambassades vers la ville d’Al-Qods")
    assert five.number == "5"
    # and inside 47 (" de Justice au nom de l’OCI")
    assert find(paragraphs, "Cour internationale de Justice au nom de l’OCI").number == "47"
    # a superscript split over three lines: "7" / "ème" / " Session"
    assert "issu de la 7ème Session extraordinaire" in five.text
    # "2019." alone on the last line of 68 is text, not a page number
    assert find(paragraphs, "en septembre 2019.").number == "68"
    # hyphen at line end before a capital is a real hyphen: "Al-|Charif", "Bosnie-|Herzégovine"
    assert "« Al-Haram Al-Charif »" in find(paragraphs, "synonymie absolue").text
    assert "le peuple de Bosnie-Herzégovine" in find(paragraphs, "42- La Conférence").text


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_no_paragraph_glues_two_numbered_paragraphs(seeds, prefix):
    for p in body(seeds[prefix]):
        if "\t" in p.text:
            continue  # table-of-contents rows
        assert len(NUMBERED_START.findall(clean_markup(p.text))) <= 1, p.text[:200]


def test_seed_001_table_of_contents_one_row_each(seeds):
    paragraphs = seeds["001"]
    rows = [p for p in paragraphs if "\t" in p.text]
    assert len(rows) == 73  # header row + 72 resolutions
    assert rows[0].text == "No.\tIntitulé\tPage"
    assert rows[1].text == "1.\tRésolution n°1/47-POL sur la Situation en Somalie\t5"
    assert rows[-1].text.startswith("72.\tRésolution n° 72/47 POL concernant la résolution 2532")
    assert all(row.kind == "paragraph" and row.number == "" for row in rows)


def test_seed_001_page_breaks_rejoined(seeds):
    paragraphs = seeds["001"]
    # lower-case continuation after a blank line
    five = find(paragraphs, "5. **CONDAMNE** fermement l'extrémisme violent")
    assert "d'autres villes somaliennes, les forces de sécurité somaliennes et la Mission" in (
        five.text
    )
    # continuations that start with a capital: the previous piece ends on a function word
    assert "l'IOJ & K en violation" in find(paragraphs, "l'IOJ & K en violation").text
    assert "Nous INVITONS également" in find(paragraphs, "10. Nous **APPELONS**").text
    rejecting = find(paragraphs, "Rejetant, en outre, « l")
    assert "la propriété foncière { « Réorganisation" in rejecting.text
    # ... but a preambular paragraph without final punctuation is not glued to the next one
    gratitude = find(paragraphs, "Exprimant sa gratitude pour les efforts du Secrétaire général")
    assert gratitude.text.endswith("deux États constituants de statut égal")


def test_seed_001_headings_and_markup(seeds):
    paragraphs = seeds["001"]
    title = paragraphs[2]
    assert title.kind == "heading"
    assert title.text == (
        "ADOPTÉES PAR LA **47^{ème} SESSION DU CONSEIL DES MINISTRES DES AFFAIRES ETRANGERES**"
    )
    assert title.match_text == (
        "ADOPTÉES PAR LA 47ème SESSION DU CONSEIL DES MINISTRES DES AFFAIRES ETRANGERES"
    )
    symbol = find(paragraphs, "RESOLUTION N°2/47-POL")
    after = paragraphs[paragraphs.index(symbol) + 1]
    assert symbol.kind == after.kind == "heading"
    assert after.text == (
        "SUR LA CONDAMNATION DES ACTIVITES VIOLENTES DU GROUPE TERRORISTE AL-SHABAAB EN SOMALIE"
    )
    one = find(paragraphs, "1. **SOULIGNE** le caractère sacré")
    assert one.number == "1" and one.kind == "paragraph"
    assert one.match_text.startswith("1. SOULIGNE le caractère sacré")
    struck = find(paragraphs, "2178 ~~et~~, 2199")
    assert "2178 , 2199" in struck.match_text
    assert "Sawt Al-Hikma pour" in find(paragraphs, "<i>Sawt Al-Hikma</i>").match_text


def test_seed_002_running_headers_dropped_and_pages_rejoined(seeds):
    paragraphs = seeds["002"]
    headers = [p for p in paragraphs if "DEUXIEME CONFERENCE DES ETATS MEMBRES" in p.text]
    assert len(headers) == 1 and paragraphs[0] is headers[0]  # the title stays, repeats go
    assert headers[0].text.endswith("ISTANBUL, 29 NOVEMBRE 2018")
    assert "En référence aux efforts de médiation en cours au sein de l'OCI" in (
        find(paragraphs, "Dans sa présentation, l'Ambassadeur Kulaklıkaya").text
    )
    rupture = find(paragraphs, "Cela reflète la rupture entre la prise de décision")
    assert rupture.text.startswith("Il a été avancé qu'il existe un grand fossé")
    assert not any(p.text[:1].islower() for p in paragraphs)
    assert [p.text for p in paragraphs if p.kind == "heading"][1:3] == [
        "RAPPORT SOMMAIRE",
        "RESUME ANALYTIQUE",
    ]


def test_seed_003_footnotes_detached(seeds):
    paragraphs = seeds["003"]
    notes = [p for p in paragraphs if p.kind == "footnote"]
    assert paragraphs[-len(notes) :] == notes  # kept, at the end
    assert [n.text[:12] for n in notes] == [
        "* Au nom des",
        "! Le 28 juin",
        "2 A/71/160-S",
        "% Voir S/PV.",
        "4 S/PRST/201",
        "> Voir résol",
        "8 Voir Docum",
    ]
    assert notes[1].text.endswith("pour devenir I’Organisation de la coopération islamique.")
    assert notes[4].text.endswith("2013-31 juillet 2014 (S/INF/69).")
    for p in body(paragraphs):
        assert not p.text.startswith(("Au nom des Etats", "! Le 28", "2 A/71"))


def test_seed_003_structure(seeds):
    paragraphs = body(seeds["003"])
    assert paragraphs[0].kind == "heading"
    assert paragraphs[0].text == (
        "Coopération entre I’Organisation des Nations Unies et I’Organisation de la coopération "
        "islamique"
    )
    assert paragraphs[1].text == "L’Assemblée générale," and paragraphs[1].kind == "heading"
    assert [p.number for p in paragraphs if p.number] == [str(n) for n in range(1, 26)]
    # page break with footnotes in between: the paragraph goes on on the next page
    constatant = find(paragraphs, "Constatant que 1’Organisation de la coopération islamique")
    assert "en matiére de prévention et de réglement des conflits, de médiation et de" in (
        constatant.text
    )
    # page break without blank line in the middle of paragraph 5 and 13
    assert "la protection de I’environnement, les changements climatiques" in (
        find(paragraphs, "5.  Prie I’Organisation").text
    )
    assert "d’un mémorandum de coopération" in find(paragraphs, "13.  Se félicite").text
    # OCR lost the dot of "21."; the running sequence still makes it paragraph 21
    assert find(paragraphs, "21  Encourage les institutions").number == "21"
    assert find(paragraphs, "22. Invite 1’Organisation").number == "22"
    # OCR specks between paragraphs are gone
    assert not any(p.text in {"\\ r", "*"} for p in paragraphs)
    assert "®" not in find(paragraphs, "régionales ou autres®,").match_text


def test_seed_004_one_paragraph_per_block(seeds):
    paragraphs = seeds["004"]
    assert [p.text[:25] for p in paragraphs] == [
        "Le Secrétariat général de",
        "La résolution, qui a été ",
        "Saisissant cette occasion",
        "À la lumière des conflits",
    ]


def test_presegmented_keeps_lines_and_cleans_match_text():
    text = "RESOLUTION N°1/47-POL\n\n1. **SALUE** le 1^{er} février ; \n  plain line\n"
    paragraphs = presegmented_paragraphs(text)
    assert [p.text for p in paragraphs] == [
        "RESOLUTION N°1/47-POL",
        "1. **SALUE** le 1^{er} février ;",
        "plain line",
    ]
    assert paragraphs[0].kind == "heading"
    assert paragraphs[1].number == "1" and paragraphs[1].match_text == "1. SALUE le 1er février ;"


def test_clean_markup():
    assert clean_markup("la **14^{ème}** session") == "la 14ème session"
    assert clean_markup("du *statut quo ante* »") == "du statut quo ante »"
    assert clean_markup("islamique^{1} a") == "islamique a"
    assert clean_markup("Centre <i>Sawt</i>\tpour") == "Centre Sawt pour"


def test_empty_input():
    assert rebuild_paragraphs("") == []
    assert rebuild_paragraphs("\n \n\f\n") == []
