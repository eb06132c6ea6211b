"""Sentence units for sentence-segmented TMX, read off the sentence alignment that the
paragraph beads came from (no second alignment, no second encoding).

A unit holds whole sentences, as a CAT tool segments them: where the alignment cut a sentence
into clauses (`sentence_sides.clauses`), the links of its clauses are read as links of the
sentence (`group_beads`). Every language's sentence beads against the pivot are then joined
on the pivot's sentences, as the paragraph beads are; a sentence bead never crosses a
paragraph bead, because paragraph beads are unions of sentence links. Sentences are read from
each paragraph's `match_text` (no markup, OCR misreadings repaired), as the paragraph units
are.
"""

from __future__ import annotations

from resolign.align.paragraph_beads import group_beads
from resolign.align.pipeline import AlignmentResult, paragraph_label
from resolign.align.trilingual import join_on_pivot
from resolign.units import Unit


def sentence_units(result: AlignmentResult) -> list[Unit]:
    """Units of aligned sentences (one per sentence bead with at least two languages)."""
    pivot = result.pivot
    texts: dict[str, list[str]] = {}  # whole sentences of each paragraph's match_text
    paragraph_of: dict[str, list[int]] = {}
    for lang, pieces in result.sentences.items():
        whole = result.sentence_whole[lang]
        texts[lang], paragraph_of[lang] = [], []
        for k, piece in enumerate(pieces):
            if k and whole[k] == whole[k - 1]:
                texts[lang][-1] += " " + piece
            else:
                texts[lang].append(piece)
                paragraph_of[lang].append(result.sentence_paragraph[lang][k])
    pairwise = {lang: group_beads(beads, result.sentence_whole[pivot], result.sentence_whole[lang],
                                  len(texts[pivot]), len(texts[lang]))
                for lang, beads in result.sentence_pairwise.items()}
    joined = join_on_pivot(pairwise, len(texts[pivot]), pivot)
    units: list[Unit] = []
    for bead in joined:
        present = {lang: ix for lang, ix in bead.indices.items() if ix}
        if pivot not in present or len(present) < 2:
            continue
        paragraphs = sorted({paragraph_of[pivot][i] for i in present[pivot]})
        first = result.paragraphs[pivot][paragraphs[0]]
        units.append(
            Unit(
                texts={lang: " ".join(texts[lang][i] for i in ix) for lang, ix in present.items()},
                document=result.document,
                symbol=result.symbol,
                paragraph=paragraph_label(result.paragraphs[pivot], paragraphs),
                score=bead.score,
                resolution=first.resolution,
                resolution_title=first.resolution_title,
            )
        )
    return units
