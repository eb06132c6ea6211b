"""`align-dir`: many documents per language, paired by resolution symbol, then aligned."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from resolign.align.encoders import DEFAULT_ENCODER, load_encoder
from resolign.align.ingest import TEXT_SUFFIXES, read_text
from resolign.align.language import check_language, file_languages
from resolign.align.pipeline import (
    AlignmentResult,
    Progress,
    align_paragraphs,
    document_paragraphs,
    pivot_of,
)
from resolign.align.resolutions import Resolution, document_symbol, match_documents
from resolign.errors import InputError
from resolign.languages import ENGLISH_NAMES


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | {".docx", ".pdf"}
    )
    if not files:
        raise InputError(f"{folder} has no .txt, .md, .docx or .pdf documents")
    return files


def _documents(files: list[Path], texts: list[str], lang: str,
               presegmented: bool) -> list[tuple[Path, Resolution]]:
    out = []
    for path, text in zip(files, texts, strict=True):
        check_language(text, lang, str(path))
        paragraphs = document_paragraphs(text, path, lang, presegmented=presegmented)
        symbol = document_symbol(paragraphs)
        out.append((path, Resolution(symbol=symbol, title=path.stem, paragraphs=paragraphs)))
    return out


def align_folders(
    *dirs: Path | str | None,
    langs: Sequence[str] | str | None = None,
    encoder_spec: str = DEFAULT_ENCODER,
    presegmented: bool = False,
    progress: Progress | None = None,
    report: Callable[[str], None] = print,
) -> list[AlignmentResult]:
    """Pair every pivot (French) document with its translations (symbol first, then
    similarity). The first folder is French unless `langs` says otherwise; the others'
    languages are detected from their documents (`language.file_languages`)."""
    given = [Path(d) for d in dirs if d is not None]
    files = [_files(folder) for folder in given]
    texts = [[read_text(path) for path in folder_files] for folder_files in files]
    # a folder's language is the language of its documents read together
    found = file_languages([str(d) for d in given], ["\n".join(t[:20]) for t in texts], langs)
    docs = {lang: _documents(f, t, lang, presegmented)
            for lang, f, t in zip(found, files, texts, strict=True)}
    pivot = pivot_of(found)
    encoder = load_encoder(encoder_spec)
    partners: dict[str, list[int | None]] = {}
    for lang in found:
        if lang == pivot:
            continue
        pairs = match_documents([r for _, r in docs[pivot]], [r for _, r in docs[lang]], encoder)
        partners[lang] = [j for _, j in pairs]
    results = []
    for k, (path, resolution) in enumerate(docs[pivot]):
        paragraphs = {pivot: resolution.paragraphs}
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
        raise InputError(f"no {ENGLISH_NAMES[pivot]} document could be paired with a translation")
    return results
