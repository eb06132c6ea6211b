"""Translation-memory look-up latency: exact, fuzzy, concordance and semantic search by size.

    python bench/lookup.py                 # 10k and 100k units
    python bench/lookup.py --full          # also 1M units
    python bench/lookup.py --quick         # 1k units, few queries (smoke test)
    python bench/lookup.py --db postgresql://postgres@127.0.0.1:5432/postgres --sizes 100000
                                           # SQLite and PostgreSQL side by side

With --db, every size is built twice, in a SQLite file and in a scratch PostgreSQL database
(`resolign_bench_<size>`, created on the server the URL names and dropped at the end; the URL's
own database is never touched), with the same units, vectors and queries.

Units are real UN devset sentence triples (fr/en/ar; Ziemski, Junczys-Dowmunt and Pouliquen,
LREC 2016) repeated with variations so they are not trivially identical: numbers and years
swapped, a word dropped or inserted, two sentences combined. Each variation is applied to all
three languages alike. Every figure is compared with a brute-force scan in the same run.

Semantic vectors: only the BASE sentences are embedded with the real encoder (use-m3, cached
in $RESOLIGN_CACHE_DIR). A variant's vector is DERIVED, not embedded: a combined unit gets the
normalised sum of its two bases' vectors, an edited one its base's vector plus small Gaussian
noise (cosine to the base about 0.99). Queries ARE embedded with the real encoder, and the
index is the one the store builds (SemanticIndex with its own flat/HNSW choice); only its
`embed_units` is replaced by the derived vectors.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEVSET = HERE.parent.parent / "shared" / "data" / "un-devset"
os.environ.setdefault("RESOLIGN_CACHE_DIR", str(HERE / ".cache"))

from common import drop_database, machine_line, scratch_database, server_line  # noqa: E402

from resolign.units import Unit  # noqa: E402

_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"\b(19|20)\d\d\b")


def load_bases(devset: Path, limit: int, seed: int = 7) -> list[dict[str, str]]:
    from resolign.align.evaluation import load_parallel_documents

    triples = []
    for doc in load_parallel_documents(devset):
        for k in range(len(doc.sentences["fr"])):
            texts = {lang: doc.sentences[lang][k] for lang in ("fr", "en", "ar")}
            if all(len(t.split()) >= 4 for t in texts.values()):
                triples.append(texts)
    random.Random(seed).shuffle(triples)
    return triples[:limit]


def _drop_word(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 3:
        del words[rng.randrange(len(words))]
    return " ".join(words)


def _insert_word(text: str, rng: random.Random, donor: str) -> str:
    words, extra = text.split(), donor.split()
    words.insert(rng.randrange(len(words) + 1), rng.choice(extra))
    return " ".join(words)


def make_units(bases: list[dict[str, str]], count: int, seed: int = 1):
    """`count` distinct units and, for each, how its vector derives from the bases:
    ("base", i) | ("edit", i) | ("pair", i, j)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    units: list[Unit] = []
    recipe: list[tuple] = []
    n = len(bases)
    k = 0
    while len(units) < count:
        i = k % n
        k += 1
        base = bases[i]
        if k <= n:
            texts, how = dict(base), ("base", i)
        else:
            op = rng.choice(("number", "year", "drop", "insert", "combine"))
            if op == "combine":
                j = rng.randrange(n)
                texts = {lang: base[lang] + " " + bases[j][lang] for lang in base}
                how = ("pair", i, j)
            else:
                number = str(rng.randrange(1, 3000))
                year = str(rng.randrange(1945, 2031))
                donor = bases[rng.randrange(n)]
                pos = rng.random()
                texts = {}
                for lang, text in base.items():
                    if op == "number":
                        text = _NUMBER.sub(number, text, count=1) if _NUMBER.search(text) \
                            else f"{text} {number}"
                    elif op == "year":
                        text = _YEAR.sub(year, text) if _YEAR.search(text) else f"{year} {text}"
                    elif op == "drop":
                        text = _drop_word(text, random.Random(f"{k}{lang}"))
                    else:
                        words = text.split()
                        words.insert(int(pos * len(words)), rng.choice(donor[lang].split()))
                        text = " ".join(words)
                    texts[lang] = text
                how = ("edit", i)
        key = Unit(texts=texts).dedup_key()
        if key in seen:
            continue
        seen.add(key)
        units.append(Unit(texts=texts, document=f"doc{i % 97}.docx", symbol=f"A/RES/{i % 300}",
                          paragraph=str(k)))
        recipe.append(how)
    return units, recipe


def derive_vectors(base_vecs: np.ndarray, recipe: list[tuple], seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dim = base_vecs.shape[1]
    out = np.empty((len(recipe), dim), dtype=np.float32)
    noise_scale = 0.15 / np.sqrt(dim)  # |noise| ~ 0.15 -> cosine ~ 0.99
    for row, how in enumerate(recipe):
        if how[0] == "base":
            out[row] = base_vecs[how[1]]
        elif how[0] == "pair":
            out[row] = base_vecs[how[1]] + base_vecs[how[2]]
        else:
            out[row] = base_vecs[how[1]] + rng.normal(0, noise_scale, dim)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def embed_bases(bases: list[dict[str, str]], spec: str) -> tuple[np.ndarray, float]:
    from resolign.align.embedding_cache import EmbeddingCache
    from resolign.align.encoders import load_encoder

    cache = EmbeddingCache(load_encoder(spec))
    start = time.perf_counter()
    total = sum(cache.embed([b[lang] for b in bases]) for lang in ("fr", "en", "ar"))
    vecs = total / np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)
    return vecs.astype(np.float32), time.perf_counter() - start


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99 in ms and throughput (queries/s, one thread, back to back)."""
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return statistics.median(ms), p99, len(ms) / sum(samples)


def timed(fn, queries):
    out, samples = [], []
    for q in queries:
        start = time.perf_counter()
        out.append(fn(q))
        samples.append(time.perf_counter() - start)
    return out, samples


WARM = "warm"
"""Rows measured again after `prewarm`: the first ones read whatever pages their queries need
from disk (a server just started); a server running for a while has its memory cached."""


def prewarm(location: str, backend: str) -> str | None:
    """Read the whole memory once into the OS cache (SQLite: the database file; PostgreSQL:
    every relation of its schema, through the pg_prewarm extension of the contrib package).
    Returns how, or None when it could not be done."""
    start = time.perf_counter()
    if backend != "postgresql":
        read = 0
        for path in sorted(Path(location).parent.glob(Path(location).name + "*")):
            if path.suffix in (".faiss", ".json"):
                continue  # the index is loaded in memory already
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 24):
                    read += len(chunk)
        return f"{read / 2**20:.0f} MB read in {time.perf_counter() - start:.1f} s"
    import psycopg

    try:
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            blocks = conn.execute(
                "WITH own AS (SELECT c.oid, c.reltoastrelid FROM pg_class AS c"
                " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'resolign' AND c.relkind IN ('r', 'i', 'm'))"
                " SELECT sum(pg_prewarm(r.oid, 'read')) FROM ("
                "  SELECT oid FROM own UNION SELECT reltoastrelid FROM own"
                "  WHERE reltoastrelid <> 0 UNION SELECT i.indexrelid FROM pg_index AS i"
                "  JOIN own ON i.indrelid = own.reltoastrelid) AS r"
                " WHERE pg_relation_size(r.oid) > 0").fetchone()[0]
    except psycopg.Error as error:
        print(f"(no warm rows for PostgreSQL: {str(error).splitlines()[0]})")
        return None
    return f"{int(blocks or 0) * 8192 / 2**20:.0f} MB read in {time.perf_counter() - start:.1f} s"


def database_bytes(location: str) -> int:
    import psycopg

    with psycopg.connect(location) as conn:
        return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def bulk_import(store, units: list[Unit], location: str):
    """A fresh PostgreSQL memory's first import with its full-text GIN index dropped, and the
    index built once at the end, as pg_restore does: kept up row by row, a 1M-unit import took
    over an hour; without it 21 min, plus 31 min for the index (2026-12-04). Only for the
    bench's scratch databases: no one else reads them meanwhile. The common phrases an import
    counts ahead (store_postgres.count_ahead_when_grown) are counted once the index is back,
    by the import's own rule. (The seconds spent counting them are returned.)"""
    import psycopg

    from resolign.service import store_postgres
    from resolign.service.pg_schema import FULLTEXT_INDEX, SCHEMA

    ahead = store_postgres.COUNT_AHEAD_FROM
    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        conn.execute("DROP INDEX fulltext_tsv")
        store_postgres.COUNT_AHEAD_FROM = math.inf  # (no index to count with yet)
        try:
            report = store.add_units(units)
        finally:  # (also after a failed import: the memory keeps its index)
            store_postgres.COUNT_AHEAD_FROM = ahead
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute(FULLTEXT_INDEX)
            conn.execute("VACUUM ANALYZE fulltext")
    start = time.perf_counter()
    store.store.count_ahead_when_grown()
    return report, time.perf_counter() - start


def bench_size(size: int, bases, base_vecs, spec: str, n_queries: int, workdir: Path,
               backend: str = "sqlite", server_url: str | None = None, built=None,
               keep: bool = False) -> dict:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from resolign.service.backends import index_path, vector_source
    from resolign.service.candidates import text_candidates
    from resolign.service.fuzzy import prepare
    from resolign.service.memory import Memory
    from resolign.service.normalise import words
    from resolign.service.semantic_index import SemanticIndex

    units, recipe = built if built is not None else make_units(bases, size)
    vectors = derive_vectors(base_vecs, recipe)
    if backend == "postgresql":
        location = scratch_database(server_url, f"resolign_bench_{size}", reuse=keep)
    else:
        location = str(workdir / f"tm-{size}.db")
    start = time.perf_counter()
    store = Memory.open(location, encoder="none")
    held = store.count()
    reused = held == size
    if not reused and held and backend == "postgresql":  # an unfinished memory
        store.close()
        location = scratch_database(server_url, f"resolign_bench_{size}")
        store = Memory.open(location, encoder="none")
    counted_ahead = None
    if not reused:  # (--keep may hold this size's memory from an earlier run)
        if backend == "postgresql":
            report, counted_ahead = bulk_import(store, units, location)
        else:
            report = store.add_units(units)
        assert report.added == size, (report, size)
    build_db = None if reused else time.perf_counter() - start
    ids = store.ids()
    assert size == len(ids), (size, len(ids))
    by_id = dict(zip(ids, vectors, strict=True))

    class DerivedIndex(SemanticIndex):
        def embed_units(self, unit_ids):  # derived vectors (see module docstring)
            return np.stack([by_id[int(i)] for i in unit_ids]).astype(np.float32)

    start = time.perf_counter()
    index = DerivedIndex(store.store, spec, index_path(store.store, spec),
                         vectors=vector_source(store.store))
    store.index = index
    index.sync()
    build_index = time.perf_counter() - start
    if backend == "postgresql":
        index._save(index._index)
        db_bytes = database_bytes(location)
    else:
        db_bytes = sum(p.stat().st_size for p in workdir.glob(f"tm-{size}.db*")
                       if not p.name.endswith((".faiss", ".json")))
    sizes = {"db": db_bytes, "faiss": index.index_path.stat().st_size}

    rng = random.Random(size)
    picks = [rng.randrange(size) for _ in range(n_queries)]
    exact_q = [units[p].texts["fr"] for p in picks]
    fuzzy_q = [_insert_word(_drop_word(units[p].texts["fr"], rng), rng, units[p - 1].texts["fr"])
               for p in picks]
    conc_q, conc_new_q = [], []
    for p in picks:
        w = units[p].texts["fr"].split()
        s = rng.randrange(max(1, len(w) - 2))
        conc_q.append(" ".join(w[s:s + 3]))
    for p in [rng.randrange(size) for _ in range(n_queries)]:  # not looked up before
        w = units[p].texts["fr"].split()
        s = rng.randrange(max(1, len(w) - 2))
        conc_new_q.append(" ".join(w[s:s + 3]))
    sem_q = [_drop_word(units[p].texts["en"], rng) for p in picks]

    rows = {}
    def exact_best(q):
        return store.search(q, src="fr", tgt="en", semantic=False, limit=1)

    def fuzzy(q):
        return store.search(q, src="fr", tgt="en", semantic=False, min_score=50)

    def concordance(q):
        return store.concordance(q, lang="fr", limit=20, equivalents=False)

    def semantic(q):
        return index.nearest(q, 10)

    def exact_first(res) -> float:
        return sum(bool(r) and r[0].kind == "exact" for r in res) / len(res)

    def found(res) -> float:
        return sum(r.total > 0 for r in res) / len(res)

    res, t = timed(exact_best, exact_q)
    rows["exact, best match (limit 1: direct key)"] = (*percentiles(t), exact_first(res))
    res, t = timed(lambda q: store.search(q, src="fr", tgt="en", semantic=False), exact_q)
    rows["exact + near variants (limit 10)"] = (*percentiles(t), exact_first(res))
    fuzzy_res, t = timed(fuzzy, fuzzy_q)
    rows["fuzzy"] = (*percentiles(t), None)
    res, t = timed(concordance, conc_q)
    rows["concordance"] = (*percentiles(t), found(res))
    res, t = timed(lambda q: store.concordance(q, lang="fr", limit=20), conc_q[:50])
    rows["concordance + translations marked and grouped"] = (
        *percentiles(t), sum(bool(r.groups) for r in res) / len(res))
    passage_q = [units[p].texts["fr"] + "\n\n" + units[p - 1].texts["fr"] for p in picks[:50]]
    _, t = timed(fuzzy, passage_q)
    rows["two pasted units (pieces)"] = (*percentiles(t), None)
    _, t = timed(semantic, sem_q)
    rows["semantic"] = (*percentiles(t), None)
    warmed = prewarm(location, backend)
    if warmed:  # the main rows again, as on a server whose memory the OS keeps cached
        for name, look_up, queries, check in (
                ("exact, best match", exact_best, exact_q, exact_first),
                ("fuzzy", fuzzy, fuzzy_q, None), ("concordance", concordance, conc_q, found),
                ("semantic", semantic, sem_q, None)):
            res, t = timed(look_up, queries)
            rows[f"{name}, {WARM}"] = (*percentiles(t), check(res) if check else None)
        # PostgreSQL keeps the counts of common phrases once counted (pg_phrases.py): the
        # concordance row above reads them; these phrases are counted for the first time.
        res, t = timed(concordance, [q for q in conc_new_q if q not in set(conc_q)])
        rows[f"concordance, {WARM}, phrases not looked up before"] = (*percentiles(t), found(res))
    # The store's part alone (what the database answers, before Python scores candidates).
    raw = store.store

    def exact_lookup(q):
        return raw.get_units(raw.same_words("fr", q))

    res, t = timed(exact_lookup, exact_q)
    rows["exact: store look-up only"] = (*percentiles(t), sum(bool(r) for r in res) / len(res))

    def fuzzy_candidates(q):
        return text_candidates(raw, q, prepare(q, "fr"), "fr",
                                filters={"document": None, "symbol": None, "resolution": None})

    _, t = timed(fuzzy_candidates, fuzzy_q)
    rows["fuzzy: store candidates only"] = (*percentiles(t), None)

    # brute force, same queries
    start = time.perf_counter()
    all_words = [words(u.texts["fr"]) for u in units]
    brute_prep = time.perf_counter() - start
    brute_fuzzy, t = timed(lambda q: process.extractOne(
        words(q), all_words, scorer=Levenshtein.normalized_similarity, processor=None), fuzzy_q)
    agree = 0
    for mine, brute in zip(fuzzy_res, brute_fuzzy, strict=True):
        best = min(99.0, round(100 * brute[1], 1))
        agree += bool(mine) and mine[0].score >= best - 1e-9
    rows["fuzzy brute force (rapidfuzz over every unit)"] = (*percentiles(t), None)
    fuzzy_agree = agree / len(fuzzy_q)

    encoder = index.encoder
    qvecs = encoder.encode(sem_q)
    start = time.perf_counter()
    faiss_ids = [index._index.search(v.reshape(1, -1), 10)[1][0] for v in qvecs]
    faiss_only = (time.perf_counter() - start) / len(qvecs)
    matrix = np.ascontiguousarray(np.stack([by_id[i] for i in ids]))
    id_arr = np.asarray(ids)

    def brute_sem(q):
        v = encoder.encode([q])[0]
        sims = matrix @ v
        top = np.argpartition(-sims, 10)[:10]
        return id_arr[top[np.argsort(-sims[top])]]

    _, t = timed(brute_sem, sem_q)
    rows["semantic brute force (numpy dot over all vectors)"] = (*percentiles(t), None)
    start = time.perf_counter()
    exact_ids = []
    for v in qvecs:
        sims = matrix @ v
        top = np.argpartition(-sims, 10)[:10]
        exact_ids.append(set(id_arr[top].tolist()))
    numpy_only = (time.perf_counter() - start) / len(qvecs)
    kind = index.kind()
    recall = np.mean([len(set(f.tolist()) & e) / 10 for f, e in
                      zip(faiss_ids, exact_ids, strict=True)])
    store.close()
    if backend == "postgresql" and not keep:
        index.index_path.unlink(missing_ok=True)
        drop_database(server_url, f"resolign_bench_{size}")
    return {"size": size, "backend": backend, "build_db": build_db, "build_index": build_index,
            "counted_ahead": counted_ahead,
            "sizes": sizes, "warmed": warmed,
            "kind": kind, "rows": rows,
            "fuzzy_agree": fuzzy_agree, "brute_prep": brute_prep, "faiss_only": faiss_only,
            "numpy_only": numpy_only, "recall10": float(recall), "queries": n_queries}



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--full", action="store_true", help="also 1,000,000 units")
    parser.add_argument("--bases", type=int, default=1000,
                        help="distinct devset sentence triples embedded for real")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--encoder", default="use-m3")
    parser.add_argument("--quick", action="store_true", help="1k units, 30 bases, 10 queries")
    parser.add_argument("--db", metavar="POSTGRESQL_URL",
                        help="also measure PostgreSQL: a server where scratch databases may be "
                             "created (the URL's own database is not touched)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the SQLite memories built here (tm-<size>.db), and the "
                             "PostgreSQL databases (resolign_bench_<size>), and reuse them on "
                             "the next run (the same units: they are made from a seed)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"),
                        help="with --db: measure one backend only")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.db else ["sqlite"]
    if args.only:
        backends = [args.only]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    n_bases, n_queries = args.bases, args.queries
    if args.quick:
        sizes, n_bases, n_queries = [1000], 30, 10

    bases = load_bases(args.devset, n_bases)
    base_vecs, embed_s = embed_bases(bases, args.encoder)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            built = make_units(bases, size)
            for backend in backends:
                results.append(bench_size(size, bases, base_vecs, args.encoder, n_queries,
                                          workdir, backend, args.db, built,
                                          keep=args.keep is not None))

    print(f"# Memory look-up — {len(bases)} base sentence triples, {n_queries} queries per kind, "
          f"encoder {args.encoder}\n")
    print(f"Semantic vectors: the {len(bases)} base texts (x3 languages) were embedded for real "
          f"({embed_s:.1f} s, cached); every variant's vector is DERIVED from its base(s) "
          "(sum for combined units, base + noise at cosine ~0.99 for edits), not embedded. "
          "Queries are embedded for real.\n")
    print("| units | backend | db build s | semantic index build s | index kind | db MB | "
          "faiss MB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        build_db = "reused" if r["build_db"] is None else f"{r['build_db']:.1f}"
        print(f"| {r['size']:,} | {r['backend']} | {build_db} | {r['build_index']:.1f} "
              f"| {r['kind']} | {r['sizes']['db'] / 2**20:.1f} | "
              f"{r['sizes']['faiss'] / 2**20:.1f} |")
    for r in results:
        if r["counted_ahead"] is not None:
            print(f"\n{r['size']:,} {r['backend']}: the db build includes "
                  f"{r['counted_ahead']:.1f} s counting the common phrases ahead "
                  "(store_postgres.count_common_phrases).")
    print("\n| units | backend | look-up | p50 ms | p99 ms | queries/s (1 thread) | check |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        for name, (p50, p99, qps, hit) in r["rows"].items():
            check = ""
            if name.startswith("exact"):
                check = f"top-1 exact {hit:.0%}"
            elif name.startswith("exact:") or name == "concordance":
                check = f"found {hit:.0%}"
            elif name.startswith("concordance +"):
                check = f"translations grouped {hit:.0%}"
            elif name == "fuzzy":
                check = f"top-1 score = brute-force best {r['fuzzy_agree']:.0%}"
            elif name == "semantic":
                check = f"index recall@10 vs exact {r['recall10']:.0%}"
            print(f"| {r['size']:,} | {r['backend']} | {name} | {p50:.1f} | {p99:.1f} | "
                  f"{qps:.0f} | {check} |")
    for r in results:
        if r["warmed"]:
            print(f"\n{r['size']:,} {r['backend']}: the rows marked {WARM} were measured after "
                  f"reading the whole memory into the OS cache ({r['warmed']}).")
    print("\n| units | backend | brute / indexed p50 (fuzzy) | brute / indexed p50 (semantic, "
          "incl. query embedding) | numpy dot ms | faiss search ms (no embedding) | "
          "numpy / faiss |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        rows = r["rows"]
        fz = rows["fuzzy brute force (rapidfuzz over every unit)"][0] / rows["fuzzy"][0]
        sm = rows["semantic brute force (numpy dot over all vectors)"][0] / rows["semantic"][0]
        print(f"| {r['size']:,} | {r['backend']} | {fz:.1f}× | {sm:.2f}× | "
              f"{r['numpy_only'] * 1000:.2f} | "
              f"{r['faiss_only'] * 1000:.2f} | {r['numpy_only'] / r['faiss_only']:.1f}× |")
    print("\nBrute-force fuzzy excludes normalising every unit's words once "
          + ", ".join(f"({r['brute_prep']:.1f} s at {r['size']:,})" for r in results) + ".")
    print(f"\n{machine_line()}")
    if "postgresql" in backends:
        print(server_line(args.db))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
