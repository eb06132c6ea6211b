"""From paragraphs to FR–EN–AR beads: cut each language into sentences (each encoded once),
align the sentences of every language to French's, read paragraph beads of any shape off the
sentence links, join on French, and pair what French lacks. `align_files` runs the whole path
from documents on disk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from resolign.align.aligner import AlignParams
from resolign.align.beads import Bead, check_complete
from resolign.align.embedding_cache import EmbeddingCache
from resolign.align.encoders import DEFAULT_ENCODER, load_encoder
from resolign.align.ingest import read_text
from resolign.align.language import check_language, file_languages
from resolign.align.paragraphs import Paragraph, presegmented_paragraphs, rebuild_paragraphs
from resolign.align.sections import resolution_cuts
from resolign.align.sentence_first import PairAlignment, align_sides
from resolign.align.sentence_sides import SentenceSide, sentence_side
from resolign.align.trilingual import MultiBead, join_on_pivot, pair_orphans
from resolign.errors import InputError
from resolign.languages import LANGS, PIVOT

Progress = Callable[[int], None]


def pivot_of(langs) -> str:
    """French when present (every alignment is read against it), else the first language."""
    langs = list(langs)
    return PIVOT if PIVOT in langs else next(lang for lang in LANGS if lang in langs)


def align_in_pieces(
    sides: dict[str, SentenceSide],
    cuts: list[dict[str, int]],
    pivot: str = PIVOT,
    params: AlignParams | None = None,
) -> dict[str, PairAlignment]:
    """Align every language to the pivot piece by piece between hard cuts (resolution
    starts), then renumber paragraphs and sentences to whole-document indices. The first
    language (English in FR–EN–AR) is aligned on its own; the next is aligned against the
    pivot and the first language's linked sentences together (bridge.py)."""
    counts = {lang: side.paragraph_count for lang, side in sides.items()}
    bounds = [{lang: 0 for lang in sides}] + cuts + [counts]
    out = {lang: PairAlignment([], []) for lang in sides if lang != pivot}
    for start, end in zip(bounds, bounds[1:], strict=False):
        piece = {lang: side.slice(start[lang], end[lang]) for lang, side in sides.items()}
        first: tuple[PairAlignment, SentenceSide] | None = None
        for lang, found in out.items():
            # after the first language, the pivot's spans carry its linked sentences
            pair = align_sides(piece[pivot], piece[lang], params, through=first)
            first = first or (pair, piece[lang])
            offsets = (start[pivot], start[lang])
            sentence_offsets = (int(sides[pivot].paragraph_start[start[pivot]]),
                                int(sides[lang].paragraph_start[start[lang]]))
            found.paragraphs += [_shift(b, offsets) for b in pair.paragraphs]
            found.sentences += [_shift(b, sentence_offsets) for b in pair.sentences]
    for lang, found in out.items():
        check_complete(found.paragraphs, counts[pivot], counts[lang])
    return out


def _shift(bead: Bead, offsets: tuple[int, int]) -> Bead:
    return Bead(tuple(i + offsets[0] for i in bead.src), tuple(j + offsets[1] for j in bead.tgt),
                bead.score)


@dataclass
class AlignmentResult:
    """Everything one alignment run produced, in plain data, for the CLI, TMX and the memory.

    `pairwise[lang]` holds the paragraph beads of `lang` against the pivot (French when
    present); `sentence_pairwise[lang]` the sentence beads they were read from, indices into
    `sentences[lang]` (each paragraph's sentences in order, `sentence_paragraph` says whose;
    clauses of one sentence are items of their own, `sentence_whole` names their sentence).
    `beads` joins every language on the pivot; beads with an empty pivot side pair the
    paragraphs the pivot lacks.
    """

    paragraphs: dict[str, list[Paragraph]]  # language -> paragraphs in input order
    pairwise: dict[str, list[Bead]]
    beads: list[MultiBead]
    document: str = ""
    symbol: str = ""
    encoder: str = ""
    pivot: str = PIVOT
    sentences: dict[str, list[str]] = field(default_factory=dict)
    sentence_paragraph: dict[str, list[int]] = field(default_factory=dict)
    sentence_whole: dict[str, list[int]] = field(default_factory=dict)
    sentence_pairwise: dict[str, list[Bead]] = field(default_factory=dict)

    def beads_json(self) -> list[dict]:
        return [bead.as_json() for bead in self.beads]

    def summary(self) -> str:
        """One line for the terminal: paragraphs per language and bead shapes per pair."""
        parts = []
        for lang, beads in self.pairwise.items():
            kinds = Counter(b.kind for b in beads)
            listed = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda x: -x[1]))
            parts.append(f"{self.pivot}-{lang}: {len(beads)} beads ({listed})")
        unpaired = sum(1 for b in self.beads if not b.indices[self.pivot]
                       and sum(bool(ix) for ix in b.indices.values()) >= 2)
        if unpaired:
            parts.append(f"{unpaired} beads without {self.pivot}")
        counts = ", ".join(f"{len(p)} {lang}" for lang, p in self.paragraphs.items())
        name = self.document or "document"
        symbol = f" [{self.symbol}]" if self.symbol else ""
        return f"{name}{symbol}: {counts} paragraphs; " + "; ".join(parts)


def paragraph_label(paragraphs: list[Paragraph], indices: list[int]) -> str:
    """The paragraph number(s) a translator would cite: "12", "12-13", or position."""
    if not indices:
        return ""
    labels = [paragraphs[i].number or f"¶{i + 1}" for i in (indices[0], indices[-1])]
    return labels[0] if labels[0] == labels[1] else f"{labels[0]}-{labels[1]}"


def read_paragraphs(path: Path, lang: str, *, presegmented: bool = False) -> list[Paragraph]:
    """Ingest one document and rebuild its paragraphs; refuse empty or wrong-language input."""
    text = read_text(Path(path))
    check_language(text, lang, str(path))
    return document_paragraphs(text, path, lang, presegmented=presegmented)


def document_paragraphs(text: str, path: Path | str, lang: str, *,
                        presegmented: bool = False) -> list[Paragraph]:
    """A document's text (language already checked) to paragraphs: OCR misreadings repaired,
    each paragraph labelled with its resolution; no paragraph at all is refused."""
    from resolign.align.ocr import repair_paragraphs
    from resolign.align.resolutions import label_resolutions

    paragraphs = presegmented_paragraphs(text) if presegmented else rebuild_paragraphs(text)
    if not paragraphs:
        raise InputError(f"{path} has no paragraphs")
    label_resolutions(repair_paragraphs(paragraphs, lang))
    return paragraphs


def align_paragraphs(
    paragraphs: dict[str, list[Paragraph]],
    *,
    encoder_spec: str = DEFAULT_ENCODER,
    params: AlignParams | None = None,
    progress: Progress | None = None,
    document: str = "",
) -> AlignmentResult:
    """Align two or three of fr, en, ar: sentence-first against the pivot (French when
    present), joined on the pivot, then what the pivot lacks aligned across the others."""
    unknown = sorted(set(paragraphs) - set(LANGS))
    if unknown:
        raise InputError(f"unsupported language(s) {', '.join(unknown)}: use fr, en, ar")
    if len(paragraphs) < 2:
        raise InputError("give at least two languages to align")
    paragraphs = {lang: paragraphs[lang] for lang in LANGS if lang in paragraphs}
    pivot = pivot_of(paragraphs)
    cache = EmbeddingCache(load_encoder(encoder_spec))
    sides = {lang: sentence_side([p.match_text for p in paras], lang, cache, progress)
             for lang, paras in paragraphs.items()}
    pairs = align_in_pieces(sides, resolution_cuts(paragraphs, pivot), pivot, params)
    pairwise = {lang: pair.paragraphs for lang, pair in pairs.items()}
    beads = join_on_pivot(pairwise, sides[pivot].paragraph_count, pivot)

    def align_unpaired(first: str, a: range, second: str, b: range) -> list[Bead]:
        return align_sides(sides[first].slice(a.start, a.stop),
                           sides[second].slice(b.start, b.stop), params).paragraphs

    beads = pair_orphans(beads, pivot, align_unpaired)
    from resolign.align.resolutions import document_symbol

    return AlignmentResult(
        paragraphs=paragraphs,
        pairwise=pairwise,
        beads=beads,
        document=document,
        symbol=document_symbol(paragraphs[pivot]),
        encoder=cache.encoder.name,
        pivot=pivot,
        sentences={lang: side.sentences for lang, side in sides.items()},
        sentence_paragraph={lang: side.paragraph_of.tolist() for lang, side in sides.items()},
        sentence_whole={lang: side.whole_of.tolist() for lang, side in sides.items()},
        sentence_pairwise={lang: pair.sentences for lang, pair in pairs.items()},
    )


def align_files(
    *paths: Path | str | None,
    langs: Sequence[str] | str | None = None,
    encoder_spec: str = DEFAULT_ENCODER,
    presegmented: bool = False,
    params: AlignParams | None = None,
    progress: Progress | None = None,
) -> AlignmentResult:
    """Two or three documents on disk to beads: ingest, rebuild paragraphs, align, join.

    `langs` ("fr,ar" or ["fr", "ar"]) states each file's language; without it the first file
    is taken as French and the others' languages are detected (`language.file_languages`).
    """
    given = [Path(p) for p in paths if p is not None]
    texts = [read_text(path) for path in given]
    found = file_languages([str(p) for p in given], texts, langs)
    paragraphs = {
        lang: document_paragraphs(text, path, lang, presegmented=presegmented)
        for path, text, lang in zip(given, texts, found, strict=True)
    }
    pivot = pivot_of(found)
    return align_paragraphs(
        paragraphs,
        encoder_spec=encoder_spec,
        params=params,
        progress=progress,
        document=given[found.index(pivot)].name,
    )
