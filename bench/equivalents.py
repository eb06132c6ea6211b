"""Concordance with the translations marked and grouped (equivalents) on a large SQLite memory:
as it is, and as it was before counts stopped early and reads were kept between writes.

    python bench/equivalents.py DB [--queries 40]
    python bench/equivalents.py DB --quick      # 5 queries (smoke test)

DB is a memory `bench/lookup.py --keep DIR` left (DIR/tm-1000000.db for 1M units). Queries
are three consecutive French words of random stored units, as `bench/lookup.py` makes them;
both ways run on the same queries, alternating which goes first, in one process. "Before"
counts every candidate translation's units in full (`fts_count` without `at_most`), reads
the unit count and each edge word's frequency afresh on every query: what
`equivalents.learn` did until 2026-12-02. The two must give the same groups.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from common import machine_line  # bench/ is the script's folder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class AsBefore:
    """The store as `equivalents.learn` read it before: whole counts, nothing kept."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def fts_count(self, lang, match, *, at_most=None, **filters):
        return self._store.fts_count(lang, match, **filters)

    def document_frequencies(self, lang, terms, *, at_most=None):
        from resolign.service import sqlite_fulltext

        if at_most is not None:
            return self._store.document_frequencies(lang, terms, at_most=at_most)
        with self._store._readers.reading() as db:
            return sqlite_fulltext.document_frequencies(db, self._store._fts_readable, lang,
                                                        terms)

    def count(self):
        with self._store._readers.reading() as db:
            return int(db.execute("SELECT count(*) FROM units WHERE deleted = 0").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="5 queries (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.queries = 5

    from resolign.service.concordance import find_concordance
    from resolign.service.memory import Memory

    memory = Memory.open(str(args.db), encoder="none", create=False)
    store = memory.store
    rng = random.Random(3)
    queries = []
    for unit_id in rng.sample(store.ids(), args.queries * 2):
        words = store.get_units([unit_id])[unit_id].texts.get("fr", "").split()
        if len(words) > 5 and len(queries) < args.queries:
            start = rng.randrange(len(words) - 3)
            queries.append(" ".join(words[start:start + 3]))
    times: dict[str, list[float]] = {"now": [], "before": []}
    same = 0
    for n, query in enumerate(queries):
        ways = [("now", store), ("before", AsBefore(store))]
        groups = {}
        for name, way in ways if n % 2 else ways[::-1]:
            start = time.perf_counter()
            groups[name] = find_concordance(way, query, lang="fr", limit=20).groups
            times[name].append(1000 * (time.perf_counter() - start))
        same += groups["now"] == groups["before"]
    print(f"# Concordance with equivalents — {memory.count():,} units, {len(queries)} queries\n")
    print("| way | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|")
    for name, values in times.items():
        values = sorted(values)
        print(f"| {name} | {statistics.median(values):.0f} | "
              f"{values[int(0.9 * (len(values) - 1))]:.0f} | {values[-1]:.0f} |")
    ratio = statistics.median(times["before"]) / statistics.median(times["now"])
    print(f"\np50 before / now: {ratio:.1f}×; same groups for {same} of {len(queries)} queries")
    print(f"\n{machine_line()}")
    memory.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
