"""Sentence-level sub-alignment inside each paragraph bead, for sentence-segmented TMX.

Each FR–EN–AR paragraph bead is split into sentences per language (Arabic punctuation
included) and aligned again with the same aligner, so sentences never cross paragraph beads.
"""

from __future__ import annotations

from resolign.align.aligner import AlignParams
from resolign.align.embedding_cache import EmbeddingCache
from resolign.align.encoders import DEFAULT_ENCODER, load_encoder
from resolign.align.paragraphs import clean_markup
from resolign.align.pipeline import AlignmentResult, align_pairwise, paragraph_label
from resolign.align.sentences import split_sentences
from resolign.align.trilingual import join_on_pivot
from resolign.languages import PIVOT
from resolign.units import Unit


def sentence_units(
    result: AlignmentResult,
    *,
    encoder_spec: str = DEFAULT_ENCODER,
    params: AlignParams | None = None,
) -> list[Unit]:
    """Units of aligned sentences (one per sentence bead with at least two languages)."""
    cache = EmbeddingCache(load_encoder(encoder_spec))
    units: list[Unit] = []
    for bead in result.beads:
        present = {lang: ix for lang, ix in bead.indices.items() if ix}
        if PIVOT not in present or len(present) < 2:
            continue
        sentences = {
            lang: [s for i in ix for s in split_sentences(result.paragraphs[lang][i].text, lang)]
            for lang, ix in present.items()
        }
        others = {
            lang: [clean_markup(s) for s in sents]
            for lang, sents in sentences.items()
            if lang != PIVOT
        }
        pivot = [clean_markup(s) for s in sentences[PIVOT]]
        pairwise = align_pairwise(pivot, others, cache, params)
        sentence_beads = join_on_pivot(pairwise, len(pivot))
        label = paragraph_label(result.paragraphs[PIVOT], present[PIVOT])
        for sub in sentence_beads:
            texts = {
                lang: " ".join(sentences[lang][i] for i in ix)
                for lang, ix in sub.indices.items()
                if ix
            }
            if len(texts) >= 2:
                units.append(
                    Unit(
                        texts=texts,
                        document=result.document,
                        symbol=result.symbol,
                        paragraph=label,
                        score=sub.score,
                    )
                )
    return units
