"""Alignment results → translation units: the one path the CLI, the demo and HTTP all take.

Paragraph units are the joined beads, the finer bilingual beads inside them and one-language
units for paragraphs nothing translates (`paragraph_units`); a sentence unit is one bead of
the sentence alignment the paragraph beads were read from (`sentence_level`). The memory of
the demo keeps both, so a translator looking up one sentence of a long paragraph still gets a
whole-segment match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from resolign.align.beads import Bead
from resolign.align.encoders import DEFAULT_ENCODER
from resolign.align.pipeline import AlignmentResult, paragraph_label
from resolign.units import Unit

Level = Literal["paragraph", "sentence", "both"]


def paragraph_units(result: AlignmentResult) -> list[Unit]:
    """The finest units an alignment supports, and every paragraph of every input in one.

    * one unit per bead with two or more languages (FR–EN–AR, or EN–AR where French lacks);
    * where a language's own beads against French are finer than the joined bead (English
      keeps two paragraphs that Arabic merges), also one bilingual unit per finer bead,
      marked provenance {"finer": "fr-en"}: looking up one French paragraph then finds its
      English paragraph as a whole-segment match;
    * a paragraph no translation holds becomes a one-language unit marked
      {"one_sided": "fr"} (or "en", "ar"), so nothing of any input is left out.
    """
    pivot = result.pivot
    units: list[Unit] = []
    covered = {lang: set() for lang in result.paragraphs}
    for bead in result.beads:
        present = {lang: list(ix) for lang, ix in bead.indices.items() if ix}
        if len(present) < 2:
            continue
        units.append(_unit(result, present, bead.score))
        for lang, ix in present.items():
            covered[lang].update(ix)
        if pivot not in present or len(present) < 3:
            continue
        for lang in present:
            if lang == pivot:
                continue
            for pair in _inside(result.pairwise[lang], present[pivot]):
                if list(pair.src) != present[pivot] or list(pair.tgt) != present[lang]:
                    units.append(_unit(result, {pivot: list(pair.src), lang: list(pair.tgt)},
                                       pair.score, {"finer": f"{pivot}-{lang}"}))
    for lang, paragraphs in result.paragraphs.items():
        for i in range(len(paragraphs)):
            if i not in covered[lang]:
                units.append(_unit(result, {lang: [i]}, None, {"one_sided": lang}))
    return units


def _inside(beads: list[Bead], pivot_indices: list[int]) -> list[Bead]:
    """The two-sided beads whose pivot paragraphs all lie in `pivot_indices`."""
    wanted = set(pivot_indices)
    return [b for b in beads if b.src and b.tgt and wanted.issuperset(b.src)]


def _unit(result: AlignmentResult, indices: dict[str, list[int]], score: float | None,
          provenance: dict[str, str] | None = None) -> Unit:
    members = {lang: [result.paragraphs[lang][i] for i in ix] for lang, ix in indices.items()}
    # the document's words (no markup, OCR repaired); the extraction kept when repaired
    texts = {lang: " ".join(p.match_text for p in paras) for lang, paras in members.items()}
    kept = dict(provenance or {})
    kept.update({
        f"original:{lang}": " ".join(p.text for p in paras)
        for lang, paras in members.items()
        if any(p.repairs for p in paras)
    })
    label_lang = result.pivot if result.pivot in indices else next(iter(indices))
    labelled = next(
        (p for lang in (label_lang, *members) for p in members[lang] if p.resolution), None
    )
    return Unit(
        texts=texts,
        document=result.document,
        symbol=result.symbol,
        paragraph=paragraph_label(result.paragraphs[label_lang], indices[label_lang]),
        score=score,
        resolution=labelled.resolution if labelled else "",
        resolution_title=labelled.resolution_title if labelled else "",
        provenance=kept,
    )


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

    `min_score` leaves out beads whose alignment score is below it (one-language units have
    no score and stay); `document` and `symbol` replace what the alignment recorded (an
    upload's file name, a symbol the user states). `encoder_spec` is accepted for callers of
    the former sentence sub-alignment; sentence units now come from the alignment itself.
    """
    units: list[Unit] = []
    for result in results:
        if level in ("paragraph", "both"):
            units += paragraph_units(result)
        if level in ("sentence", "both"):
            from resolign.align.sentence_level import sentence_units

            units += sentence_units(result)
    if min_score is not None:
        units = [u for u in units if u.score is None or u.score >= min_score]
    for unit in units:
        if document:
            unit.document = document
        if symbol:
            unit.symbol = symbol
    return units
