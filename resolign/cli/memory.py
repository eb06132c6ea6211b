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
    conc.add_argument("query", help="word or phrase (case, accents and harakat ignored)")
    _db_argument(conc)
    conc.add_argument("--lang", help=f"only this language ({', '.join(LANGS)}; default all)")
    conc.add_argument("--limit", type=int, default=20, help="at most N hits (20)")
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
    parser.add_argument("--db", type=Path, required=True, metavar="PATH",
                        help="translation memory file (SQLite)")


def _encoder_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoder", default=DEFAULT_ENCODER,
                        help="sentence encoder for semantic search (use-m3 or st:NAME_OR_PATH)")


# --- search and concordance -----------------------------------------------------------------

def run_search(args: argparse.Namespace) -> int:
    from resolign.service.http.shapes import match_shape

    encoder = NO_ENCODER if args.no_semantic else args.encoder
    with Memory.open(args.db, encoder=encoder, create=False) as memory:
        src, tgt = check_pair(args.src, args.tgt, memory.tags())
        matches = memory.search(args.query, src=src, tgt=tgt, limit=args.limit,
                                min_score=args.min_score, document=args.document,
                                symbol=args.symbol, resolution=args.resolution)
        if memory.semantic_unavailable:
            print(f"note: semantic search off: {memory.semantic_unavailable}", file=sys.stderr)
    if args.json:
        shapes = [match_shape(m, args.query.strip()).model_dump() for m in matches]
        print(json.dumps(shapes, ensure_ascii=False, indent=2))
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
        print(f"{match.score:6.1f}  {match.kind:<8}  #{match.unit_id} {where}".rstrip())
        for lang in (src, tgt, *others):
            if match.unit.get(lang):
                print(f"{'':16}{lang}  {match.unit[lang]}")
    return 0


def run_concordance(args: argparse.Namespace) -> int:
    from resolign.service.http.shapes import hit_shape

    with Memory.open(args.db, encoder=NO_ENCODER, create=False) as memory:
        hits = memory.concordance(args.query, lang=args.lang, limit=args.limit,
                                  document=args.document, symbol=args.symbol,
                                  resolution=args.resolution)
    if args.json:
        print(json.dumps([hit_shape(h).model_dump() for h in hits], ensure_ascii=False,
                         indent=2))
        return 0
    if not hits:
        print("no hit")
    for hit in hits:
        marked, last = [], 0
        for start, end in hit.highlighted:
            marked += [hit.text[last:start], "[", hit.text[start:end], "]"]
            last = end
        marked.append(hit.text[last:])
        print(f"#{hit.unit_id} {hit.lang}  {''.join(marked)}")
    return 0


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
