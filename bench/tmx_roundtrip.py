"""TMX interoperability: what of real files from other tools survives read -> store -> write,
and whether export still streams.

Part 1, per file of ../shared/data/tmx-wild (39 files, 12 tools): read with resolign, units
through JSON and deduplication as a store keeps them, written back with `one_sided=True` and
the file's header; input and output judged by an independent lxml parse
(tests/tmx_inventory.py): distinct tuvs (language with region, text outside codes, number of
codes), props/notes at tu, tuv and header level, tu/tuv attributes, tuids.

Part 2: N synthetic units (three languages, two with inline codes and tuv props) exported to a
sink and read back, with the peak of Python allocations (tracemalloc), next to the same number
of plain fr/en/ar units.

    python bench/tmx_roundtrip.py [--wild DIR] [--units 200000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine_line  # noqa: E402  (bench/ is the script's folder)

from resolign.errors import TmxError  # noqa: E402
from resolign.tmx import iter_tmx_bytes, iter_tmx_units, write_tmx  # noqa: E402
from resolign.tmx.reader import read_tmx_report  # noqa: E402
from resolign.units import Annotation, Annotations, Unit, Variant, absorb_duplicate  # noqa: E402
from tests.tmx_inventory import inventory, missing  # noqa: E402

MEASURES = (
    ("tuvs", "tuvs"),
    ("tu props/notes", "tu_remarks"),
    ("tuv props/notes", "tuv_remarks"),
    ("header props/notes", "header_remarks"),
    ("tu attributes", "tu_attributes"),
    ("tuv attributes", "tuv_attributes"),
    ("tuids", "tuids"),
)


def stored(units: list[Unit]) -> list[Unit]:
    kept: dict[str, Unit] = {}
    for unit in units:
        copy = Unit.from_json(json.loads(json.dumps(unit.to_json(), ensure_ascii=False)))
        key = copy.dedup_key()
        if key in kept:
            absorb_duplicate(kept[key], copy)
        else:
            kept[key] = copy
    return list(kept.values())


def interop(wild: Path) -> None:
    files = sorted(p for p in wild.glob("*") if p.suffix.lower() == ".tmx")
    print(f"## Round trip of {len(files)} files from {wild.name}/ (found / distinct in input)\n")
    print("| file | TUs | units | merged | " + " | ".join(m for m, _ in MEASURES) + " |")
    print("|---" * (4 + len(MEASURES)) + "|")
    totals = {name: [0, 0] for name, _ in MEASURES}
    refused = []
    with tempfile.TemporaryDirectory() as folder:
        for path in files:
            try:
                units, report = read_tmx_report(path)
            except TmxError as error:
                refused.append(str(error).replace(str(path), path.name))
                continue
            memory = stored(units)
            out = Path(folder) / "out.tmx"
            write_tmx(memory, out, one_sided=True, headers=[report.header])
            before, after = inventory(path), inventory(out)
            cells = []
            for name, attribute in MEASURES:
                wanted = getattr(before, attribute)
                found = len(wanted) - len(missing(wanted, getattr(after, attribute)))
                totals[name][0] += found
                totals[name][1] += len(wanted)
                cells.append(f"{found}/{len(wanted)}")
            merged = len(units) - len(memory)
            print(f"| {path.name} | {report.tus} | {report.units} | {merged} | "
                  + " | ".join(cells) + " |")
    print("| **all** | | | | " + " | ".join(f"**{f}/{t}**" for f, t in totals.values()) + " |")
    for line in refused:
        print(f"\nrefused: {line}")


def synthetic(count: int, coded: bool) -> Iterator[Unit]:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(count):
        fr = f"Prend note du rapport {index} du Secrétaire général sur la revitalisation"
        en = f"Takes note of report {index} of the Secretary-General on revitalization"
        ar = "يحيط علما بتقرير الأمين العام"
        if not coded:
            yield Unit({"fr": fr, "en": en, "ar": ar}, symbol=f"A/RES/{index}", created=when)
            continue
        note = Annotations({"changeid": "ys"}, [Annotation("prop", "yes", {"type": "approved"})])
        yield Unit(
            variants=[
                Variant("fr-FR", fr, f'<bpt i="1">&lt;b&gt;</bpt>{fr}<ept i="1">&lt;/b&gt;</ept>'),
                Variant("en-GB", en, f'<bpt i="1">&lt;b&gt;</bpt>{en}<ept i="1">&lt;/b&gt;</ept>',
                        note),
                Variant("ar", ar),
            ],
            symbol=f"A/RES/{index}",
            created=when,
            annotations=Annotations({"tuid": f"t{index}"}),
        )


def streaming(count: int) -> None:
    print(f"\n## Export then import of {count:,} units (sink in memory, one TU at a time)\n")
    print("| units | export s | export MB | peak alloc KiB (export) | import s | units back |")
    print("|---|---|---|---|---|---|")
    for label, coded in (("plain fr/en/ar", False), ("fr-FR/en-GB codes + tuv props", True)):
        tracemalloc.start()
        start = time.perf_counter()
        size = 0
        with tempfile.NamedTemporaryFile(suffix=".tmx") as handle:
            for chunk in iter_tmx_bytes(synthetic(count, coded)):
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            export_s = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            start = time.perf_counter()
            back = sum(1 for _ in iter_tmx_units(Path(handle.name)))
            import_s = time.perf_counter() - start
        print(f"| {label} | {export_s:.1f} | {size / 1e6:.1f} | {peak / 1024:.0f} | "
              f"{import_s:.1f} | {back:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wild", type=Path, default=ROOT.parent / "shared/data/tmx-wild")
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="500 synthetic units")
    args = parser.parse_args()
    print(machine_line() + "\n")
    interop(args.wild)
    streaming(500 if args.quick else args.units)


if __name__ == "__main__":
    main()
