"""Alignment quality on documents built from real UN translations (the issue's judging set-up)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from resolign.align.aligner import AlignParams
from resolign.align.evaluation import (
    bead_scores,
    build_eval_set,
    concatenate,
    join_gold,
    project,
)
from resolign.align.paragraphs import presegmented_paragraphs
from resolign.align.pipeline import align_paragraphs


def _paragraphs(doc):
    return {lang: presegmented_paragraphs("\n".join(p)) for lang, p in doc.paragraphs.items()}


@pytest.fixture(scope="module")
def eval_docs(devset_dir):
    # seed 11 is not one of the tuning seeds (1); every document with 2+ sentences
    docs = build_eval_set(devset_dir, seed=11)
    return [d for d in docs if all(len(p) == len(presegmented_paragraphs("\n".join(p)))
                                   for p in d.paragraphs.values())][:120]


def test_paragraph_bead_f1_meets_the_bar_for_fr_en_and_fr_ar(eval_docs):
    predicted = {"en": [], "ar": []}
    gold = {"en": [], "ar": []}
    for n, doc in enumerate(eval_docs):
        result = align_paragraphs(_paragraphs(doc))
        beads = result.beads_json()
        for lang in predicted:
            offset = 10_000 * n  # pool all documents into one score
            predicted[lang] += [(tuple(i + offset for i in s), tuple(j + offset for j in t))
                                for s, t in project(beads, lang)]
            gold[lang] += [(tuple(i + offset for i in s), tuple(j + offset for j in t))
                           for s, t in project(join_gold(doc), lang)]
    for lang in predicted:
        scores = bead_scores(predicted[lang], gold[lang])
        assert scores.f1 >= 0.95, f"fr-{lang} strict F1 {scores.f1:.3f}"


def test_cli_presegmented_beads_on_a_long_document(eval_docs, tmp_path):
    """The exact judging call: `resolign align --presegmented FR EN AR --beads OUT`."""
    doc = concatenate(eval_docs[:60])
    paths = []
    for lang in ("fr", "en", "ar"):
        path = tmp_path / f"{lang}.txt"
        path.write_text("\n".join(doc.paragraphs[lang]) + "\n", encoding="utf-8")
        paths.append(str(path))
    out = tmp_path / "beads.jsonl"
    run = subprocess.run([sys.executable, "-m", "resolign.cli", "align", "--presegmented",
                          *paths, "--beads", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    beads = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(set(b) == {"fr", "en", "ar", "score"} for b in beads)
    # every paragraph of every language appears exactly once, in order
    for lang in ("fr", "en", "ar"):
        seen = [i for b in beads for i in b[lang]]
        assert seen == list(range(len(doc.paragraphs[lang])))
    for lang in ("en", "ar"):
        scores = bead_scores(project(beads, lang), project(join_gold(doc), lang))
        assert scores.f1 >= 0.95, f"fr-{lang} strict F1 {scores.f1:.3f}"


def test_band_gives_the_full_programmes_answer_on_long_input(eval_docs):
    """Banded search around FAISS anchors must not lose the path the full DP finds."""
    from resolign.align import aligner
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.pipeline import EmbeddedSide

    doc = concatenate(eval_docs[:120])
    cache = EmbeddingCache(load_encoder())
    fr_side = EmbeddedSide(doc.paragraphs["fr"], cache)
    en_side = EmbeddedSide(doc.paragraphs["en"], cache)
    for side in (fr_side, en_side):  # every overlap encoded: the exact answer
        side.refine(set(range(side.side.count)), (2, 3))
    fr, en = fr_side.side, en_side.side
    full = aligner.align_pair(fr, en, AlignParams(full_dp_cells=10**9))
    banded_params = AlignParams(full_dp_cells=0)
    banded = aligner.align_pair(fr, en, banded_params)
    lo, hi = aligner._band(fr, en, banded_params)
    cells = sum(top - bottom + 1 for bottom, top in zip(lo, hi, strict=True))
    assert cells < (fr.count + 1) * (en.count + 1) / 4
    assert [(b.src, b.tgt) for b in banded] == [(b.src, b.tgt) for b in full]
