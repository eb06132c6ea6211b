"""Alignment quality on documents built from real UN translations, through the exact calls
the issue judges: `resolign align --presegmented FR EN AR --beads`, `FR EN`, `FR AR`.

Long documents come from seed 2 of `build_long_eval_set` (parameters were tuned on seed 1):
devset documents concatenated, each language merging 2–4 paragraphs, splitting, re-cutting,
dropping and inserting on its own. The embedding cache is shared by the whole test session,
so the two-file runs reuse the three-way run's sentence encodings.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from resolign.align.aligner import AlignParams
from resolign.align.evaluation import (
    bead_scores,
    build_eval_set,
    build_long_eval_set,
    concatenate,
    join_gold,
    project,
    three_way_scores,
)
from resolign.align.paragraphs import presegmented_paragraphs
from resolign.align.pipeline import align_paragraphs

TEST_SEED = 2


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "resolign.cli", *args],
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def long_doc(devset_dir):
    """Two long documents end to end: about 550 French paragraphs."""
    return concatenate(build_long_eval_set(devset_dir, TEST_SEED)[:2])


@pytest.fixture(scope="module")
def files(long_doc, tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    paths = {}
    for lang in ("fr", "en", "ar"):
        paths[lang] = folder / f"{lang}.txt"
        paths[lang].write_text("\n".join(long_doc.paragraphs[lang]) + "\n", encoding="utf-8")
    return folder, paths


@pytest.fixture(scope="module")
def three_way(files):
    """One `align --presegmented FR EN AR` writing beads, TMX and a memory."""
    folder, paths = files
    beads, tmx, db = folder / "beads.jsonl", folder / "out.tmx", folder / "memory.db"
    run = _cli("align", "--presegmented", str(paths["fr"]), str(paths["en"]), str(paths["ar"]),
               "--beads", str(beads), "--tmx", str(tmx), "--db", str(db))
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in beads.read_text().splitlines()], tmx, db


@pytest.mark.slow
def test_three_way_beads_on_a_long_document(long_doc, three_way):
    beads, _, _ = three_way
    assert all(set(b) == {"fr", "en", "ar", "score"} for b in beads)
    for lang in ("fr", "en", "ar"):  # every paragraph of every language once, in order
        assert [i for b in beads for i in b[lang]] == list(range(len(long_doc.paragraphs[lang])))
    gold = join_gold(long_doc)
    # the goal is 0.98; these documents score 0.982 (fr-en 0.988, fr-ar 0.985 from the
    # join), so the floors guard what is reached with a little room
    scores = three_way_scores(beads, gold)
    assert scores.f1 >= 0.975, f"FR-EN-AR strict F1 {scores.f1:.3f}"
    for lang in ("en", "ar"):
        projected = bead_scores(project(beads, lang), project(gold, lang))
        assert projected.f1 >= 0.98, f"fr-{lang} from FR-EN-AR {projected.f1:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_two_file_beads_on_a_long_document(long_doc, files, three_way, lang):
    folder, paths = files
    out = folder / f"beads-{lang}.jsonl"
    run = _cli("align", "--presegmented", str(paths["fr"]), str(paths[lang]), "--beads", str(out))
    assert run.returncode == 0, run.stderr
    beads = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(set(b) == {"fr", lang, "score"} for b in beads)
    scores = bead_scores([(tuple(b["fr"]), tuple(b[lang])) for b in beads], long_doc.gold[lang])
    # goal 0.98; reached here: fr-en 0.987, fr-ar 0.989
    assert scores.f1 >= 0.98, f"FR {lang.upper()} strict F1 {scores.f1:.3f}"


@pytest.mark.slow
def test_the_tmx_keeps_every_paragraph_of_every_language(long_doc, three_way):
    from resolign.tmx.reader import read_tmx

    _, tmx, _ = three_way
    units = read_tmx(tmx)
    for lang, paragraphs in long_doc.paragraphs.items():
        segments = {u.texts[lang] for u in units if lang in u.texts}
        joined = "\n".join(segments)
        missing = [p for p in paragraphs if p not in segments and p not in joined]
        assert len(missing) <= 0.01 * len(paragraphs), (lang, len(missing))


@pytest.mark.slow
def test_exact_look_up_returns_the_paragraphs_own_translation(long_doc, three_way):
    """For French paragraphs that are 1-1 in truth, an exact look-up in the memory `align
    --db` built returns the paragraph's own English (and Arabic) first, for at least 95%."""
    from resolign.service.memory import Memory

    _, _, db = three_way
    fr = long_doc.paragraphs["fr"]
    with Memory.open(db, encoder=None) as store:
        for lang in ("en", "ar"):
            truly = [(s[0], t[0]) for s, t in long_doc.gold[lang] if len(s) == 1 == len(t)]
            right = 0
            for i, j in truly:
                top = store.search(fr[i], src="fr", tgt=lang, limit=1, semantic=False)
                right += bool(top) and top[0].kind == "exact" and (
                    top[0].target == long_doc.paragraphs[lang][j])
            assert right >= 0.95 * len(truly), (lang, right, len(truly))


@pytest.fixture(scope="module")
def short_docs(devset_dir):
    # seed 11 is not a tuning seed; every document with 2+ sentences
    docs = build_eval_set(devset_dir, seed=11)
    return [d for d in docs if all(len(p) == len(presegmented_paragraphs("\n".join(p)))
                                   for p in d.paragraphs.values())][:120]


def test_paragraph_bead_f1_on_short_documents(short_docs):
    predicted = {"en": [], "ar": []}
    gold = {"en": [], "ar": []}
    for n, doc in enumerate(short_docs):
        paragraphs = {lang: presegmented_paragraphs("\n".join(p))
                      for lang, p in doc.paragraphs.items()}
        beads = align_paragraphs(paragraphs).beads_json()
        offset = 10_000 * n  # pool all documents into one score
        for lang in predicted:
            predicted[lang] += [(tuple(i + offset for i in s), tuple(j + offset for j in t))
                                for s, t in project(beads, lang)]
            gold[lang] += [(tuple(i + offset for i in s), tuple(j + offset for j in t))
                           for s, t in project(join_gold(doc), lang)]
    for lang in predicted:
        scores = bead_scores(predicted[lang], gold[lang])
        assert scores.f1 >= 0.97, f"fr-{lang} strict F1 {scores.f1:.3f}"


def test_band_gives_the_full_programmes_answer_on_long_input(devset_dir):
    """The banded sentence DP around anchors must not lose the path the full DP finds."""
    from resolign.align import aligner
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.sentence_first import sentence_params
    from resolign.align.sentence_sides import sentence_side

    doc = build_long_eval_set(devset_dir, TEST_SEED)[2]
    cache = EmbeddingCache(load_encoder())
    params = sentence_params()
    span = max(params.max_span)
    fr = sentence_side(doc.paragraphs["fr"][:150], "fr", cache).aligner_side(span)
    en = sentence_side(doc.paragraphs["en"][:150], "en", cache).aligner_side(span)
    full = aligner.align_pair(fr, en, AlignParams(**{**vars(params), "full_dp_cells": 10**9}))
    banded = aligner.align_pair(fr, en, AlignParams(**{**vars(params), "full_dp_cells": 0}))
    lo, hi = aligner._band(fr, en, AlignParams(**{**vars(params), "full_dp_cells": 0}))
    cells = sum(top - bottom + 1 for bottom, top in zip(lo, hi, strict=True))
    assert cells < (fr.count + 1) * (en.count + 1) / 4
    assert [(b.src, b.tgt) for b in banded] == [(b.src, b.tgt) for b in full]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_short_line_one_language_drops_is_left_alone(lang):
    """Every devset line of three French words or fewer ("Additif", "Soixante-neuvième
    session", "28 octobre 2014"), between its three real neighbours on each side: where the
    translation drops it, it stays a 1-0 bead and the six others stay 1-1 (the former skip
    cost: 93% English, 90% Arabic); where the translation keeps it, all seven stay 1-1."""
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.sentence_first import align_sides
    from resolign.align.sentence_sides import sentence_side
    from tests.devset import devset_lines

    lines = devset_lines()
    cache = EmbeddingCache(load_encoder())
    short = [k for k in range(3, len(lines["fr"]) - 3) if len(lines["fr"][k].split()) <= 3]
    assert len(short) > 150
    left_alone = kept = 0
    for k in short:
        around = list(range(k - 3, k + 4))
        french = sentence_side([lines["fr"][i] for i in around], "fr", cache)
        dropped = sentence_side([lines[lang][i] for i in around if i != k], lang, cache)
        beads = {b.src: b.tgt for b in align_sides(french, dropped).paragraphs}
        left_alone += beads == {**{(p,): (p,) for p in range(3)}, (3,): (),
                                **{(p,): (p - 1,) for p in range(4, 7)}}
        whole = sentence_side([lines[lang][i] for i in around], lang, cache)
        beads = {b.src: b.tgt for b in align_sides(french, whole).paragraphs}
        kept += beads == {(p,): (p,) for p in range(7)}
    assert left_alone >= 0.96 * len(short), f"{left_alone} of {len(short)} left alone"
    assert kept >= 0.98 * len(short), f"{kept} of {len(short)} kept 1-1"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_short_line_run_into_its_neighbour_joins_that_paragraphs_bead(lang):
    """The same devset lines of three French words or fewer, run into the next line (a heading
    with no full stop: "Résumé analytique Le rapport ...") or the previous one, in French or in
    the translation, and kept a paragraph of their own in the other language: the glued
    paragraph and the two it holds make one bead (1-2 or 2-1), all others stay 1-1. Without
    looking for the line inside its neighbour (glued.py) this held for 91% (English) and 86%
    (Arabic) of the cases."""
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.sentence_first import align_sides
    from resolign.align.sentence_sides import sentence_side
    from tests.devset import devset_lines

    lines = devset_lines()
    cache = EmbeddingCache(load_encoder())
    short = [k for k in range(3, len(lines["fr"]) - 3) if len(lines["fr"][k].split()) <= 3]
    right = total = 0
    for k in short:
        around = list(range(k - 3, k + 4))
        apart = {code: sentence_side([lines[code][i] for i in around], code, cache)
                 for code in ("fr", lang)}
        for first in (2, 3):  # the line runs into the previous (2) or the next (3) line
            for glued, other in (("fr", lang), (lang, "fr")):
                texts = [lines[glued][i] for i in around]
                joined = sentence_side(texts[:first] + [texts[first] + " " + texts[first + 1]]
                                       + texts[first + 2:], glued, cache)
                sides = (joined, apart[other]) if glued == "fr" else (apart[other], joined)
                found = {(b.src, b.tgt) if glued == "fr" else (b.tgt, b.src)
                         for b in align_sides(*sides).paragraphs}
                wanted = {((p,), (p,)) for p in range(first)} | {
                    ((first,), (first, first + 1))} | {
                    ((p,), (p + 1,)) for p in range(first + 1, 6)}
                right += found == wanted
                total += 1
    assert right >= 0.92 * total, f"{right} of {total} glued lines found in their neighbour"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_short_line_crossing_a_paragraph_boundary_joins_the_two_beads(lang):
    """The same short devset lines closing the previous paragraph in one language ("... of the
    report Summary") and opening the next one in the other ("Résumé Le présent rapport ..."):
    the two paragraphs of each side make one 2-2 bead, all others stay 1-1. Without looking
    for the line across the boundary (glued.join_crossing) this held for 76% (English) and 70%
    (Arabic) of the cases."""
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.sentence_first import align_sides
    from resolign.align.sentence_sides import sentence_side
    from tests.devset import devset_lines

    lines = devset_lines()
    cache = EmbeddingCache(load_encoder())
    short = [k for k in range(3, len(lines["fr"]) - 3) if len(lines["fr"][k].split()) <= 3]
    wanted = {((0,), (0,)), ((1,), (1,)), ((2, 3), (2, 3)), ((4,), (4,)), ((5,), (5,))}
    right = total = 0
    for k in short:
        texts = {code: [lines[code][i] for i in range(k - 3, k + 4)] for code in ("fr", lang)}
        for closing, opening in (("fr", lang), (lang, "fr")):
            a, b = texts[closing], texts[opening]
            paragraphs = {closing: a[:2] + [a[2] + " " + a[3]] + a[4:],
                          opening: b[:3] + [b[3] + " " + b[4]] + b[5:]}
            found = align_sides(sentence_side(paragraphs["fr"], "fr", cache),
                                sentence_side(paragraphs[lang], lang, cache)).paragraphs
            right += {(bead.src, bead.tgt) for bead in found} == wanted
            total += 1
    assert right >= 0.83 * total, f"{right} of {total} crossing lines joined"


@pytest.mark.slow
def test_arabic_aligned_through_english_makes_fewer_three_way_errors(devset_dir):
    """The eight long documents of seed 3 (not the fixture's seed): FR–EN–AR beads when Arabic
    is aligned against French and the English linked to it (the product path) against Arabic
    aligned to French alone, joined the same way. Measured 0.984 against 0.977."""
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder
    from resolign.align.sentence_first import align_sides
    from resolign.align.sentence_sides import sentence_side
    from resolign.align.trilingual import join_on_pivot

    cache = EmbeddingCache(load_encoder())
    found: dict[str, list[dict]] = {"through English": [], "alone": []}
    gold: list[dict] = []

    def tagged(beads: list[dict], d: int) -> list[dict]:
        return [{k: [(d, i) for i in v] for k, v in b.items() if k != "score"} for b in beads]

    for d, doc in enumerate(build_long_eval_set(devset_dir, 3)):
        paragraphs = {lang: presegmented_paragraphs("\n".join(p))
                      for lang, p in doc.paragraphs.items()}
        result = align_paragraphs(paragraphs)
        sides = {lang: sentence_side([p.match_text for p in paragraphs[lang]], lang, cache)
                 for lang in ("fr", "en", "ar")}
        alone = {"en": result.pairwise["en"],
                 "ar": align_sides(sides["fr"], sides["ar"]).paragraphs}
        found["through English"] += tagged(result.beads_json(), d)
        joined = join_on_pivot(alone, sides["fr"].paragraph_count)
        found["alone"] += tagged([b.as_json() for b in joined], d)
        gold += tagged(join_gold(doc), d)
    through = three_way_scores(found["through English"], gold).f1
    alone = three_way_scores(found["alone"], gold).f1
    assert through >= 0.98, f"FR-EN-AR strict F1 {through:.3f}"
    assert through >= alone + 0.004, f"through English {through:.3f}, alone {alone:.3f}"
