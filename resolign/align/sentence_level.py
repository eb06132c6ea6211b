"""Sentence units for sentence-segmented TMX, read off the sentence alignment that the
paragraph beads came from (no second alignment, no second encoding).

Every language's sentence beads against the pivot are joined on the pivot's sentences, as the
paragraph beads are; a sentence bead never crosses a paragraph bead, because paragraph beads
are unions of sentence links.
"""

from __future__ import annotations

from resolign.align.pipeline import AlignmentResult, paragraph_label
from resolign.align.sentences import split_sentences
from resolign.align.trilingual import join_on_pivot
from resolign.units import Unit


def display_sentences(result: AlignmentResult, lang: str) -> list[str]:
    """Each aligned sentence as written (markup kept) where the paragraph's original text
    splits into the same number of sentences as its matching text, else as matched."""
    matched = result.sentences[lang]
    owner = result.sentence_paragraph[lang]
    shown: list[str] = []
    k = 0
    for p, paragraph in enumerate(result.paragraphs[lang]):
        count = 0
        while k + count < len(owner) and owner[k + count] == p:
            count += 1
        original = split_sentences(paragraph.text, lang)
        shown += original if len(original) == count else matched[k : k + count]
        k += count
    return shown


def sentence_units(result: AlignmentResult) -> list[Unit]:
    """Units of aligned sentences (one per sentence bead with at least two languages)."""
    pivot = result.pivot
    texts = {lang: display_sentences(result, lang) for lang in result.sentences}
    joined = join_on_pivot(result.sentence_pairwise, len(result.sentences[pivot]), pivot)
    units: list[Unit] = []
    for bead in joined:
        present = {lang: ix for lang, ix in bead.indices.items() if ix}
        if pivot not in present or len(present) < 2:
            continue
        paragraphs = sorted({result.sentence_paragraph[pivot][i] for i in present[pivot]})
        units.append(
            Unit(
                texts={lang: " ".join(texts[lang][i] for i in ix) for lang, ix in present.items()},
                document=result.document,
                symbol=result.symbol,
                paragraph=paragraph_label(result.paragraphs[pivot], paragraphs),
                score=bead.score,
            )
        )
    return units
