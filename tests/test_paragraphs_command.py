"""`resolign paragraphs FILE [--json]` on the five real seeds: what a user checks before
aligning (no markup, own symbol, resolutions, OCR repairs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from resolign.cli import main

MARKUP = re.compile(r"\*\*|~~|\^\{|\d\^[^\W\d_]|</?(?:i|b|em|strong|u|sup|sub|span)\b|^[#>*]\s|__")
MISREAD_L = re.compile(r"(?<![\w’'])[I1\[][’']")


def seed_path(seeds_dir: Path, prefix: str) -> Path:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return path


@pytest.fixture(scope="module")
def shown(seeds_dir) -> dict[str, dict]:
    out = {}
    for prefix in ("000", "001", "002", "003", "004"):
        run = subprocess.run(
            [sys.executable, "-m", "resolign.cli", "paragraphs",
             str(seed_path(seeds_dir, prefix)), "--json"],
            capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stderr
        out[prefix] = json.loads(run.stdout)
    return out


def test_json_shape(shown):
    for document in shown.values():
        assert set(document) == {"document_symbol", "paragraphs"}
        for p in document["paragraphs"]:
            assert set(p) == {"text", "kind", "number", "resolution", "repairs"}
            assert p["kind"] in {"paragraph", "heading", "footnote"}


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_no_markup_in_any_paragraph(shown, prefix):
    for p in shown[prefix]["paragraphs"]:
        assert not MARKUP.search(p["text"]), p["text"][:160]


def test_seed_001_own_symbol_and_72_resolutions(shown):
    document = shown["001"]
    assert document["document_symbol"] == "OIC/CFM-47/2020/POL/RES/FINAL"
    resolutions = [p["resolution"] for p in document["paragraphs"]]
    assert len({r for r in resolutions if r}) == 72
    assert resolutions[0] is None  # the cover belongs to no resolution
    title = document["paragraphs"][2]["text"]
    assert title == "ADOPTÉES PAR LA 47ème SESSION DU CONSEIL DES MINISTRES DES AFFAIRES ETRANGERES"


def test_cited_symbols_are_not_the_document_symbol(shown):
    assert shown["002"]["document_symbol"] is None  # cites 53/45-POL in its title
    assert shown["004"]["document_symbol"] is None  # cites A/79/L.9/Rev.1


def test_seed_003_repaired_and_says_so(shown):
    paragraphs = shown["003"]["paragraphs"]
    for p in paragraphs:
        assert not MISREAD_L.search(p["text"]), p["text"][:160]
    repairs = [r for p in paragraphs for r in p["repairs"]]
    assert len(repairs) > 250
    assert {"original": "rdle", "repaired": "rôle", "kind": "letters"} in repairs


@pytest.mark.parametrize("prefix", ["000", "001", "002", "004"])
def test_clean_seeds_report_no_repairs(shown, prefix):
    assert all(not p["repairs"] for p in shown[prefix]["paragraphs"])


def test_text_listing_and_language_option(seeds_dir, capsys):
    assert main(["paragraphs", str(seed_path(seeds_dir, "004")), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(
        "4 paragraphs (fr), document symbol (none), 0 resolutions, 0 OCR repairs")
    assert "\n[1] paragraph\nLe Secrétariat général de l'Organisation" in out


def test_wrong_language_and_unreadable_file_are_one_line_errors(seeds_dir, tmp_path, capsys):
    assert main(["paragraphs", str(seed_path(seeds_dir, "004")), "--lang", "ar"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("resolign paragraphs: error:") and "looks like French" in err
    assert "\n" not in err
    (tmp_path / "x.rtf").write_text("{\\rtf1}", encoding="utf-8")
    assert main(["paragraphs", str(tmp_path / "x.rtf")]) == 2
    assert "unsupported file type" in capsys.readouterr().err
