"""Sentence units for sentence-segmented TMX, read off the sentence alignment that the
paragraph beads came from (no second alignment, no second encoding).

Every language's sentence beads against the pivot are joined on the pivot's sentences, as the
paragraph beads are; a sentence bead never crosses a paragraph bead, because paragraph beads
are unions of sentence links. Sentences are read from each paragraph's `match_text` (no
markup, OCR misreadings repaired), as the paragraph units are.
"""

from __future__ import annotations

from resolign.align.pipeline import AlignmentResult, paragraph_label
from resolign.align.trilingual import join_on_pivot
from resolign.units import Unit


def sentence_units(result: AlignmentResult) -> list[Unit]:
    """Units of aligned sentences (one per sentence bead with at least two languages)."""
    pivot = result.pivot
    texts = result.sentences  # split from each paragraph's match_text, as aligned
    joined = join_on_pivot(result.sentence_pairwise, len(result.sentences[pivot]), pivot)
    units: list[Unit] = []
    for bead in joined:
        present = {lang: ix for lang, ix in bead.indices.items() if ix}
        if pivot not in present or len(present) < 2:
            continue
        paragraphs = sorted({result.sentence_paragraph[pivot][i] for i in present[pivot]})
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
