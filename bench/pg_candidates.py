"""Fuzzy candidates in PostgreSQL: pg_trgm on the folded text vs. rare folded words (GIN).

    python bench/pg_candidates.py --db postgresql://postgres@127.0.0.1:5432/postgres --units 100000

Why this exists: the PostgreSQL store could pick fuzzy candidates with pg_trgm (trigram
similarity of the whole folded segment, GIN `gin_trgm_ops`) or as the SQLite store does (an OR
of the query's rarer folded words in a GIN tsvector index, bm25-like ranking). This measures
both on the same units and queries (lookup.py's: devset sentences varied, a word dropped and
one inserted), in a scratch database `resolign_candidates` it drops at the end: latency, and
how often the unit that brute force says scores best is among the 200 candidates.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import machine_line  # noqa: E402
from lookup import (  # noqa: E402
    DEVSET,
    _drop_word,
    _insert_word,
    load_bases,
    make_units,
    percentiles,
)

LIMIT = 200


def main(argv: list[str] | None = None) -> int:
    import psycopg
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from resolign.service.candidates import text_candidates
    from resolign.service.fuzzy import prepare
    from resolign.service.memory import Memory
    from resolign.service.normalise import words

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, metavar="POSTGRESQL_URL")
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--bases", type=int, default=1000)
    args = parser.parse_args(argv)

    name = "resolign_candidates"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(args.db)._replace(path=f"/{name}"))
    try:
        units, _ = make_units(load_bases(DEVSET, args.bases), args.units)
        memory = Memory.open(url, encoder="none")
        memory.add_units(units)
        store = memory.store
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.execute("CREATE TABLE folded(id bigint PRIMARY KEY, norm text NOT NULL)")
            with conn.cursor().copy("COPY folded(id, norm) FROM STDIN") as copy:
                for unit_id, unit in enumerate(units, start=1):
                    copy.write_row((unit_id, " ".join(words(unit.texts["fr"]))))
            start = time.perf_counter()
            conn.execute("CREATE INDEX folded_trgm ON folded USING gin(norm gin_trgm_ops)")
            trgm_build = time.perf_counter() - start
            conn.execute("ANALYZE folded")
            trgm_mb = conn.execute(
                "SELECT pg_relation_size('folded_trgm') / 1048576.0").fetchone()[0]
            rng = random.Random(args.units)
            picks = [rng.randrange(args.units) for _ in range(args.queries)]
            queries = [_insert_word(_drop_word(units[p].texts["fr"], rng), rng,
                                    units[p - 1].texts["fr"]) for p in picks]
            all_words = [words(u.texts["fr"]) for u in units]
            best = []
            for q in queries:
                found = process.extractOne(words(q), all_words,
                                           scorer=Levenshtein.normalized_similarity,
                                           processor=None)
                best.append(found[2] + 1)  # unit id of the brute-force best

            def trigram(q: str) -> list[int]:
                folded = " ".join(words(q))
                rows = conn.execute(
                    "SELECT id FROM folded WHERE norm %% %s ORDER BY similarity(norm, %s) DESC "
                    "LIMIT %s", (folded, folded, LIMIT)).fetchall()
                return [r[0] for r in rows]

            def rare_words(q: str) -> list[int]:  # what a fuzzy look-up asks the store
                return text_candidates(store, q, prepare(q, "fr"), "fr", filters={
                    "document": None, "symbol": None, "resolution": None})[0]

            rows = []
            for label, method in (("pg_trgm similarity (%, GIN gin_trgm_ops)", trigram),
                                  ("rare folded words (GIN tsvector, bm25-like)", rare_words)):
                samples, hits = [], 0
                for q, want in zip(queries, best, strict=True):
                    start = time.perf_counter()
                    got = method(q)
                    samples.append(time.perf_counter() - start)
                    hits += want in got
                p50, p99, _ = percentiles(samples)
                rows.append((label, p50, p99, hits / len(queries)))
        memory.close()
    finally:
        with psycopg.connect(args.db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"# Fuzzy candidates in PostgreSQL — {args.units:,} units, {args.queries} queries, "
          f"{LIMIT} candidates\n")
    print(f"pg_trgm GIN index: built in {trgm_build:.1f} s, {trgm_mb:.0f} MB\n")
    print("| candidates from | p50 ms | p99 ms | brute-force best among them |")
    print("|---|---|---|---|")
    for label, p50, p99, recall in rows:
        print(f"| {label} | {p50:.1f} | {p99:.1f} | {recall:.0%} |")
    print(f"\n{machine_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
