"""`resolign align` and `resolign align-dir`: documents in, beads / TMX / memory out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from resolign.align.encoders import DEFAULT_ENCODER
from resolign.cli.db_option import add_db_argument
from resolign.cli.terminal import progress
from resolign.errors import InputError

if TYPE_CHECKING:
    from resolign.align.pipeline import AlignmentResult


def register(sub: argparse._SubParsersAction) -> None:
    """Add the alignment commands to the `resolign` parser."""
    align = sub.add_parser(
        "align",
        help="align a French document with its English and/or Arabic versions",
        description="Align FR_FILE with EN_FILE (and AR_FILE) paragraph by paragraph. "
        "Inputs: .txt/.md (UTF-8), .docx, .pdf.",
    )
    align.add_argument("fr_file", type=Path, metavar="FR_FILE")
    align.add_argument("en_file", type=Path, metavar="EN_FILE")
    align.add_argument("ar_file", type=Path, metavar="AR_FILE", nargs="?")
    _output_options(align)
    align.set_defaults(func=run_align)

    align_dir = sub.add_parser(
        "align-dir",
        help="align every document of a folder with its translations, matched by symbol",
        description="Documents are paired across FR_DIR, EN_DIR and AR_DIR by their resolution "
        "symbol (e.g. 1/47-POL), falling back to whole-document similarity.",
    )
    align_dir.add_argument("fr_dir", type=Path, metavar="FR_DIR")
    align_dir.add_argument("en_dir", type=Path, metavar="EN_DIR")
    align_dir.add_argument("ar_dir", type=Path, metavar="AR_DIR", nargs="?")
    align_dir.add_argument(
        "--out", type=Path, metavar="DIR", help="write one beads .jsonl per French document here"
    )
    _output_options(align_dir, beads=False)
    align_dir.set_defaults(func=run_align_dir)


def _output_options(parser: argparse.ArgumentParser, *, beads: bool = True) -> None:
    parser.add_argument(
        "--langs",
        metavar="fr,ar",
        help="the inputs' languages in order (fr, en, ar); default: the first is French and "
        "the others' are detected",
    )
    parser.add_argument(
        "--presegmented",
        action="store_true",
        help="each non-empty line is one paragraph (no paragraph rebuilding)",
    )
    parser.add_argument(
        "--encoder",
        default=DEFAULT_ENCODER,
        metavar="SPEC",
        help="'use-m3' (embedded default) or 'st:NAME_OR_PATH' "
        "(any sentence-transformers model, e.g. st:sentence-transformers/LaBSE)",
    )
    if beads:
        parser.add_argument(
            "--beads",
            type=Path,
            metavar="OUT.jsonl",
            help='write one JSON bead per line: {"fr": [i], "en": [j], "ar": [k], '
            '"score": 0.93} (0-based paragraph indices); "-" for stdout',
        )
    parser.add_argument(
        "--tmx", type=Path, metavar="OUT.tmx", help="write the aligned units as TMX 1.4b"
    )
    parser.add_argument(
        "--sentences",
        action="store_true",
        help="sub-align sentences inside each paragraph bead (TMX segtype=sentence)",
    )
    parser.add_argument(
        "--min-score",
        type=float,
        default=None,
        metavar="X",
        help="leave beads scoring below X out of the TMX and the memory",
    )
    add_db_argument(parser, required=False,
                    help="also add the aligned units to this translation memory (a file or "
                         "postgresql://user@host/database)")


def run_align(args: argparse.Namespace) -> int:
    from resolign.align.pipeline import align_files

    with progress("embedding", "text") as update:
        result = align_files(args.fr_file, args.en_file, args.ar_file, langs=args.langs,
                             encoder_spec=args.encoder, presegmented=args.presegmented,
                             progress=update)
    if args.beads is None and args.tmx is None and args.db is None:
        args.beads = Path("-")
    if args.beads is not None:
        write_beads(result, args.beads)
    _write_units([result], args)
    print(summary(result), file=sys.stderr)
    return 0


def run_align_dir(args: argparse.Namespace) -> int:
    from resolign.align.collection import align_folders

    with progress("embedding", "text") as update:
        results = align_folders(args.fr_dir, args.en_dir, args.ar_dir, langs=args.langs,
                                encoder_spec=args.encoder,
                                presegmented=args.presegmented, progress=update,
                                report=lambda line: print(line, file=sys.stderr))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for result in results:
            write_beads(result, args.out / (Path(result.document).stem + ".beads.jsonl"))
    _write_units(results, args)
    for result in results:
        print(summary(result), file=sys.stderr)
    return 0


def write_beads(result: AlignmentResult, target: Path) -> None:
    lines = "".join(json.dumps(bead, ensure_ascii=False) + "\n" for bead in result.beads_json())
    if str(target) == "-":
        sys.stdout.write(lines)
        return
    _atomic_write(target, lines.encode("utf-8"))


def _atomic_write(target: Path, data: bytes) -> None:
    """Write next to the target then rename: an interrupted run never leaves half a file."""
    if target.is_dir():
        raise InputError(f"{target} is a folder, not a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    partial.replace(target)


def _write_units(results: list[AlignmentResult], args: argparse.Namespace) -> None:
    if args.tmx is None and args.db is None:
        return
    from resolign.align.to_units import alignment_units

    units = alignment_units(results, level="sentence" if args.sentences else "paragraph",
                            encoder_spec=args.encoder, min_score=args.min_score)
    if args.tmx is not None:
        from resolign.tmx.writer import write_tmx

        partial = args.tmx.with_name(f".{args.tmx.name}.partial")
        report = write_tmx(units, partial, segtype="sentence" if args.sentences else "paragraph",
                           one_sided=True)
        partial.replace(args.tmx)
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"wrote {report.written} translation units to {args.tmx}", file=sys.stderr)
    if args.db is not None:
        from resolign.service.memory import Memory

        with Memory.open(args.db) as memory:
            added = memory.add_units(units)
        print(
            f"memory {args.db}: {added.added} units added, {added.duplicates} already there",
            file=sys.stderr,
        )


def summary(result: AlignmentResult) -> str:
    return result.summary()
