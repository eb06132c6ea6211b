"""Alignment results → translation units: the one path the CLI, the demo and HTTP all take.

A paragraph unit is one FR–EN–AR bead with at least two languages; a sentence unit is one
bead of the sentence sub-alignment inside a paragraph bead (`sentence_level`). The memory of
the demo keeps both, so a translator looking up one sentence of a long paragraph still gets a
whole-segment match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from resolign.align.encoders import DEFAULT_ENCODER
from resolign.align.pipeline import AlignmentResult, paragraph_label
from resolign.languages import PIVOT
from resolign.units import Unit

Level = Literal["paragraph", "sentence", "both"]


def paragraph_units(result: AlignmentResult) -> list[Unit]:
    """One translation unit per bead that has at least two languages."""
    units = []
    for bead in result.beads:
        members = {
            lang: [result.paragraphs[lang][i] for i in ix]
            for lang, ix in bead.indices.items()
            if ix
        }
        if len(members) < 2:
            continue
        # the document's words (no markup, OCR repaired); the extraction kept when repaired
        texts = {lang: " ".join(p.match_text for p in paras) for lang, paras in members.items()}
        provenance = {
            f"original:{lang}": " ".join(p.text for p in paras)
            for lang, paras in members.items()
            if any(p.repairs for p in paras)
        }
        labelled = next(
            (p for lang in (PIVOT, *members) for p in members.get(lang, []) if p.resolution),
            None,
        )
        units.append(
            Unit(
                texts=texts,
                document=result.document,
                symbol=result.symbol,
                paragraph=paragraph_label(result.paragraphs[PIVOT], bead.indices[PIVOT]),
                score=bead.score,
                resolution=labelled.resolution if labelled else "",
                resolution_title=labelled.resolution_title if labelled else "",
                provenance=provenance,
            )
        )
    return units


def alignment_units(
    results: Iterable[AlignmentResult],
    *,
    level: Level = "paragraph",
    encoder_spec: str = DEFAULT_ENCODER,
    min_score: float | None = None,
    document: str | None = None,
    symbol: str | None = None,
) -> list[Unit]:
    """The units of one or more alignments, at paragraph and/or sentence level.

    `min_score` leaves out beads whose alignment score is below it; `document` and `symbol`
    replace what the alignment recorded (an upload's file name, a symbol the user states).
    """
    units: list[Unit] = []
    for result in results:
        if level in ("paragraph", "both"):
            units += paragraph_units(result)
        if level in ("sentence", "both"):
            from resolign.align.sentence_level import sentence_units

            units += sentence_units(result, encoder_spec=encoder_spec)
    if min_score is not None:
        units = [u for u in units if u.score is None or u.score >= min_score]
    for unit in units:
        if document:
            unit.document = document
        if symbol:
            unit.symbol = symbol
    return units
