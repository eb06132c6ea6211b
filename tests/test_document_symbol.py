"""The document's own symbol (from its header, never a citation), resolution labels on the
paragraphs of the real compendium (seed 001), and what `align-dir` pairs as a result."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolign.align.collection import align_folders
from resolign.align.pipeline import read_paragraphs
from resolign.align.resolutions import document_symbol, header_symbol
from resolign.errors import InputError


def seed_path(seeds_dir: Path, prefix: str) -> Path:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return path


@pytest.mark.parametrize(
    ("line", "symbol"),
    [
        ("A/79/L.9/Rev.1", "A/79/L.9/Rev.1"),
        ("United Nations A/RES/73/135", "A/RES/73/135"),
        ("Nations Unies A/RES/73/135", "A/RES/73/135"),
        ("الأمم المتحدة A/RES/73/135", "A/RES/73/135"),
        ("OIC/CFM-47/2020/POL/RES/FINAL", "OIC/CFM-47/2020/POL/RES/FINAL"),
        ("RÉSOLUTION N°1/47-POL", "1/47-POL"),
        ("**RESOLUTION No. 12/47-POL**", "12/47-POL"),
        ("القرار رقم 1/47-س", "1/47-س"),
        # citations, not the document's own symbol
        ("« LA MISE EN ŒUVRE DE LA RÉSOLUTION NO 53/45-POL : DEFIS ET OPPORTUNITES »", None),
        ("de la résolution numéro A/79/L.9/Rev.1, intitulée « Coopération »", None),
        ("Rappelant sa résolution A/RES/73/135,", None),
        ("Voir S/PV.7813.", None),
        ("Rappelant ses résolutions 37/4 du 22 octobre 1982", None),
    ],
)
def test_header_symbol(line, symbol):
    assert header_symbol(line) == symbol


@pytest.mark.parametrize(
    ("prefix", "symbol"),
    [
        ("000", ""),
        ("001", "OIC/CFM-47/2020/POL/RES/FINAL"),
        ("002", ""),  # a conference report that cites resolution 53/45-POL in its title
        ("003", ""),
        ("004", ""),  # a press release that cites A/79/L.9/Rev.1
    ],
)
def test_seed_document_symbols(seeds_dir, prefix, symbol):
    assert document_symbol(read_paragraphs(seed_path(seeds_dir, prefix), "fr")) == symbol


def test_seed_001_paragraphs_carry_their_resolution(seeds_dir):
    paragraphs = read_paragraphs(seed_path(seeds_dir, "001"), "fr")
    labels = [p.resolution for p in paragraphs]
    assert len(set(labels) - {""}) == 72
    assert labels.index("1/47-POL") > 0 and not any(labels[: labels.index("1/47-POL")])
    assert [p.resolution for p in paragraphs if p.kind == "footnote"] == []
    heading = next(i for i, p in enumerate(paragraphs) if p.text == "RESOLUTION N°2/47-POL")
    second = paragraphs[heading : heading + 4]
    assert {p.resolution for p in second} == {"2/47-POL"}
    assert paragraphs[heading - 1].resolution == "1/47-POL"
    assert second[0].resolution_title == (
        "LA CONDAMNATION DES ACTIVITES VIOLENTES DU GROUPE TERRORISTE AL-SHABAAB EN SOMALIE"
    )
    somalia = [p for p in paragraphs if p.resolution == "1/47-POL"]
    assert {p.resolution_title for p in somalia} == {"LA SITUATION EN SOMALIE"}
    assert somalia[-1].match_text.startswith("25. DEMANDE au Secrétaire général")
    assert all(p.resolution == "" and p.resolution_title == "" for p in paragraphs[:5])


def test_seed_003_and_004_have_no_resolution_labels(seeds_dir):
    for prefix in ("003", "004"):
        assert all(not p.resolution for p in read_paragraphs(seed_path(seeds_dir, prefix), "fr"))


def test_align_dir_no_longer_pairs_a_press_release_by_a_cited_symbol(tmp_path, seeds_dir,
                                                                      devset_dir):
    fr, en = tmp_path / "fr", tmp_path / "en"
    fr.mkdir()
    en.mkdir()
    (fr / "press.txt").write_text(seed_path(seeds_dir, "004").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    english = (devset_dir / "UNv1.0.devset.en").read_text(encoding="utf-8").splitlines()
    body = [line for line in english[1000:1040] if line.strip()][:12]
    resolution = ["United Nations", "A/79/L.9/Rev.1", "General Assembly", *body]
    (en / "resolution.txt").write_text("\n\n".join(resolution), encoding="utf-8")
    assert document_symbol(read_paragraphs(en / "resolution.txt", "en")) == "A/79/L.9/Rev.1"
    reports: list[str] = []
    with pytest.raises(InputError, match="no French document could be paired"):
        align_folders(fr, en, report=reports.append)
    assert reports == ["press.txt: no English counterpart found"]
