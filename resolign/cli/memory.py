"""`resolign search`, `concordance`, `import` and `export`: the translation memory from the shell.

Handlers raise ResolignError for anything the user can fix; cli.main prints it on one line.
Searching a memory that does not exist is an error (never a silently created empty file);
importing creates the memory.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from resolign.align.encoders import DEFAULT_ENCODER
from resolign.cli.db_option import add_db_argument
from resolign.cli.terminal import progress
from resolign.errors import InputError
from resolign.languages import LANGS, check_lang, check_pair, parse_pair
from resolign.service.memory import NO_ENCODER, Memory

MAX_WARNINGS_SHOWN = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Add the memory commands to the `resolign` parser."""
    search = sub.add_parser("search", help="look a passage up in a translation memory",
                            description="Exact, fuzzy and semantic matches, best first.")
    search.add_argument("query", help="the passage to look up (any of fr, en, ar)")
    _db_argument(search)
    search.add_argument("--src", default="fr", help="language of the segments to match (fr)")
    search.add_argument("--tgt", default="en", help="language of the translation shown (en)")
    search.add_argument("--limit", type=int, default=10, help="at most N matches (10)")
    search.add_argument("--min-score", type=float, default=50, help="lowest score shown (50)")
    search.add_argument("--document", help="only units from this document")
    search.add_argument("--symbol", help="only units with this document symbol")
    search.add_argument("--resolution", help="only units of this resolution (e.g. 1/47-POL)")
    search.add_argument("--no-semantic", action="store_true",
                        help="exact and fuzzy matches only (no embedding model needed)")
    _encoder_argument(search)
    search.add_argument("--json", action="store_true", help="print the matches as JSON")
    search.set_defaults(func=run_search)

    conc = sub.add_parser("concordance", help="find a word or phrase in a translation memory",
                          description="Segments containing the phrase, with the hits marked.")
    conc.add_argument("query", help="word or phrase, found in any of its forms (case, accents, "
                                    "harakat, plural, ligatures and Arabic proclitics aside)")
    _db_argument(conc)
    conc.add_argument("--lang", help=f"only this language ({', '.join(LANGS)}; default all)")
    conc.add_argument("--limit", type=int, default=20, help="at most N hits, up to 500 (20)")
    conc.add_argument("--offset", type=int, default=0,
                      help="hits to skip: the next page is --offset LIMIT (0)")
    conc.add_argument("--document", help="only units from this document")
    conc.add_argument("--symbol", help="only units with this document symbol")
    conc.add_argument("--resolution", help="only units of this resolution (e.g. 1/47-POL)")
    conc.add_argument("--json", action="store_true", help="print the hits as JSON")
    conc.set_defaults(func=run_concordance)

    imp = sub.add_parser("import", help="add a TMX file to a translation memory",
                         description="All units or none: a failed import leaves the memory as it "
                                     "was. Identical units are counted, not stored twice.")
    imp.add_argument("file", type=Path, metavar="FILE.tmx", help="TMX 1.1-1.4 file")
    _db_argument(imp)
    _encoder_argument(imp)
    imp.set_defaults(func=run_import)

    exp = sub.add_parser("export", help="write a translation memory as TMX 1.4b",
                         description="Export every unit (or one language pair) as TMX 1.4b.")
    _db_argument(exp)
    exp.add_argument("out", type=Path, metavar="OUT.tmx", help="file to write")
    exp.add_argument("--pair", help="only this language pair, e.g. fr-en")
    exp.add_argument("--min-score", type=float,
                     help="leave out units whose alignment score (cosine, 0-1) is below this")
    exp.add_argument("--lang-codes", help="codes to write, e.g. fr-FR,en-GB,ar-SA")
    exp.add_argument("--two-sided-only", action="store_true",
                     help="leave out units with a single language (kept by default: an export "
                          "of the whole memory loses nothing that was imported)")
    exp.add_argument("--segtype", default="paragraph",
                     help="TMX segtype: paragraph (what `align` stores, the default) or sentence")
    exp.set_defaults(func=run_export)


def _db_argument(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)


def _encoder_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoder", default=DEFAULT_ENCODER,
                        help="sentence encoder for semantic search (use-m3 or st:NAME_OR_PATH)")


# --- search and concordance -----------------------------------------------------------------

def run_search(args: argparse.Namespace) -> int:
    from resolign.service.http.shapes import lookup_shape, needs_review

    encoder = NO_ENCODER if args.no_semantic else args.encoder
    with Memory.open(args.db, encoder=encoder, create=False) as memory:
        src, tgt = check_pair(args.src, args.tgt, memory.tags())  # en-GB when it holds en-GB
        found = memory.lookup(args.query, src=src, tgt=tgt, limit=args.limit,
                              min_score=args.min_score, document=args.document,
                              symbol=args.symbol, resolution=args.resolution)
        if memory.semantic_unavailable:
            print(f"note: semantic search off: {memory.semantic_unavailable}", file=sys.stderr)
    matches = found.matches
    if args.json:
        print(json.dumps(lookup_shape(found).model_dump(), ensure_ascii=False, indent=2))
        return 0
    if not matches:
        print("no match")
        return 0
    others = [lang for lang in LANGS if lang not in (src, tgt)]
    print(f"{'score':>6}  {'kind':<8}  languages: {src} (source), {tgt} (target)"
          f"{', ' + ', '.join(others) if others else ''}")
    for match in matches:
        where = " ".join(v for v in (match.origin.get("symbol") or match.origin.get("document"),
                                     match.origin.get("resolution"),
                                     match.origin.get("paragraph")) if v)
        score = f"~{match.similarity:5.1f}" if match.kind == "semantic" else f"{match.score:6.1f}"
        notes = [f"aligned {match.alignment:.2f}" + (" REVIEW" if needs_review(match.alignment)
                                                      else "")] if match.alignment else []
        if match.part:
            notes.append("query inside this unit")
        if match.piece is not None:
            notes.append(f"piece {match.piece + 1}")
        print(f"{score}  {match.kind:<8}  #{match.unit_id} {where}  {'; '.join(notes)}".rstrip())
        for lang in (src, tgt, *others):
            if match.unit.get(lang):
                spans = [tuple(s) for s in ([d.text for d in match.diffs if d.text]
                                            if lang == src else [])]
                if lang == tgt and match.unit[lang] == match.target:
                    spans = list(match.target_edits)  # the translation of what differs
                print(f"{'':16}{lang}  {_bracketed(match.unit[lang], spans)}")
    if found.assembled:
        print(f"assembled {tgt}: {found.assembled}")
    return 0


def run_concordance(args: argparse.Namespace) -> int:
    from resolign.service.http.shapes import hits_shape

    with Memory.open(args.db, encoder=NO_ENCODER, create=False) as memory:
        page = memory.concordance(args.query, lang=args.lang, limit=args.limit,
                                  offset=args.offset, document=args.document,
                                  symbol=args.symbol, resolution=args.resolution)
    if args.json:
        print(json.dumps(hits_shape(page, args.limit).model_dump(), ensure_ascii=False,
                         indent=2))
        return 0
    if not page.total:
        print("no hit")
        return 0
    last = page.offset + len(page.hits)
    print(f"hits {page.offset + 1}-{last} of {page.total}"
          + (f" (next: --offset {last})" if last < page.total else ""))
    for lang, text, count in page.groups:
        print(f"  {lang} [{text}] {count}")
    for hit in page.hits:
        print(f"#{hit.unit_id} {hit.lang}  {_bracketed(hit.text, hit.highlighted)}")
        for lang, text in hit.unit.items():
            if lang != hit.lang and text:
                print(f"    {lang}  {_bracketed(text, hit.equivalents.get(lang, []))}")
    return 0


def _bracketed(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span in [brackets] (the terminal's highlight)."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], "[", text[start:end], "]"]
        last = end
    out.append(text[last:])
    return "".join(out)


# --- import and export ----------------------------------------------------------------------

def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise InputError(f"no such TMX file: {args.file}")
    with Memory.open(args.db, encoder=args.encoder) as memory, \
            progress("importing", "TU") as update:
        report = memory.import_tmx(args.file, progress=update)
        total = memory.count()
        note = memory.semantic_unavailable
    added = report.added
    print(f"imported {added.added} units from {args.file} into {args.db} ({added.duplicates} "
          f"duplicates, {added.skipped} empty); {total} units in memory")
    print(f"  {report.summary()}")
    for refusal in report.read.details[:MAX_WARNINGS_SHOWN]:
        print(f"  {args.file}:{refusal.line}: {refusal.reason}")
    if note:
        print(f"note: semantic index not updated: {note}", file=sys.stderr)
    return 0


def parse_lang_codes(value: str | None) -> dict[str, str] | None:
    """`fr-FR,en-GB,ar-SA` → {"fr": "fr-FR", "en": "en-GB", "ar": "ar-SA"}."""
    if not value:
        return None
    codes: dict[str, str] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        codes[check_lang(item, "--lang-codes")] = item
    return codes


def run_export(args: argparse.Namespace) -> int:
    from resolign.tmx.writer import write_tmx

    lang_codes = parse_lang_codes(args.lang_codes)
    with Memory.open(args.db, encoder=NO_ENCODER, create=False) as memory:
        pair = parse_pair(args.pair, "--pair", memory.tags())
        report = write_tmx(memory.iter_units(), args.out, segtype=args.segtype, pair=pair,
                           min_score=args.min_score, lang_codes=lang_codes,
                           one_sided=pair is None and not args.two_sided_only,
                           headers=memory.import_header_annotations())
    for warning in report.warnings[:MAX_WARNINGS_SHOWN]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(report.warnings) > MAX_WARNINGS_SHOWN:
        print(f"warning: ... {len(report.warnings) - MAX_WARNINGS_SHOWN} more", file=sys.stderr)
    print(f"exported {report.written} units to {args.out} ({report.skipped} left out)")
    return 0
