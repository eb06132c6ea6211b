"""`align-dir`: many documents per language, paired by resolution symbol, then aligned."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from resolign.align.encoders import DEFAULT_ENCODER, load_encoder
from resolign.align.ingest import TEXT_SUFFIXES
from resolign.align.pipeline import (
    AlignmentResult,
    Progress,
    align_paragraphs,
    read_paragraphs,
)
from resolign.align.resolutions import Resolution, document_symbol, match_documents
from resolign.errors import InputError
from resolign.languages import ENGLISH_NAMES


def _documents(folder: Path, lang: str, presegmented: bool) -> list[tuple[Path, Resolution]]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | {".docx", ".pdf"}
    )
    if not files:
        raise InputError(f"{folder} has no .txt, .md, .docx or .pdf documents")
    out = []
    for path in files:
        paragraphs = read_paragraphs(path, lang, presegmented=presegmented)
        symbol = document_symbol(paragraphs)
        out.append((path, Resolution(symbol=symbol, title=path.stem, paragraphs=paragraphs)))
    return out


def align_folders(
    fr_dir: Path,
    en_dir: Path,
    ar_dir: Path | None = None,
    *,
    encoder_spec: str = DEFAULT_ENCODER,
    presegmented: bool = False,
    progress: Progress | None = None,
    report: Callable[[str], None] = print,
) -> list[AlignmentResult]:
    """Pair every French document with its translations (symbol first, then similarity)."""
    folders = {
        lang: Path(d)
        for lang, d in (("fr", fr_dir), ("en", en_dir), ("ar", ar_dir))
        if d is not None
    }
    docs = {lang: _documents(folder, lang, presegmented) for lang, folder in folders.items()}
    encoder = load_encoder(encoder_spec)
    partners: dict[str, list[int | None]] = {}
    for lang in folders:
        if lang == "fr":
            continue
        pairs = match_documents([r for _, r in docs["fr"]], [r for _, r in docs[lang]], encoder)
        partners[lang] = [j for _, j in pairs]
    results = []
    for k, (path, resolution) in enumerate(docs["fr"]):
        paragraphs = {"fr": resolution.paragraphs}
        for lang, matches in partners.items():
            j = matches[k]
            if j is None:
                report(f"{path.name}: no {ENGLISH_NAMES[lang]} counterpart found")
            else:
                paragraphs[lang] = docs[lang][j][1].paragraphs
        if len(paragraphs) < 2:
            continue
        results.append(
            align_paragraphs(
                paragraphs, encoder_spec=encoder_spec, progress=progress, document=path.name
            )
        )
    if not results:
        raise InputError("no French document could be paired with a translation")
    return results
