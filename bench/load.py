"""Load on a real `resolign serve`: concurrent mixed lookups while a TMX import runs.

    python bench/load.py                       # 2,000 lookups, 32 at a time, 200-unit memory
    python bench/load.py --lookups 500 --concurrency 8 --units 100 --import-units 200
    python bench/load.py --kinds search,concordance,unit   # no semantic look-ups
    python bench/load.py --workers 2           # the server answers from two processes
    python bench/load.py --db postgresql://postgres@127.0.0.1:5432/postgres --replicas 2
                                               # SQLite (one server), then PostgreSQL with
                                               # two servers sharing one memory

With --db, the same scenario runs a second time on PostgreSQL: the memory is built in a scratch
database (`resolign_load`, created on the server the URL names and dropped afterwards), and
--replicas servers serve it, each with its own FAISS folder; look-ups go round robin to all of
them while the import is POSTed to the first.

Starts `resolign serve` on a free 127.0.0.1 port over a memory built from the UN devset (with
its FAISS index), fires search (semantic and not), concordance and unit look-ups from worker
threads while POST /api/import adds more devset units, and prints throughput and p50/p99 per
kind. Bounded: --lookups requests at most, and --max-seconds for the whole run.
tests/test_reliability_load.py runs the same scenario small and checks only correctness.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import drop_database, scratch_database  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT.parent / "shared" / "data" / "un-devset"
KEY = "load-bench-key"
EXPECTED_KEY = {"search": "matches", "semantic": "matches", "concordance": "hits", "unit": "id"}


def devset_lines() -> dict[str, list[str]]:
    return {lang: (DEVSET / f"UNv1.0.devset.{lang}").read_text("utf-8").splitlines()
            for lang in ("fr", "en", "ar", "ids")}


def devset_units(start: int, stop: int):
    from resolign.units import Unit

    lines = devset_lines()
    return [Unit(texts={lang: lines[lang][i] for lang in ("fr", "en", "ar")},
                 document=lines["ids"][i].split()[0], paragraph=str(i)) for i in range(start, stop)]


def build_memory(db: Path | str, units: int) -> None:
    """A memory of the first `units` devset rows, with its semantic index (default encoder)."""
    from resolign.service.memory import Memory

    with Memory.open(db) as store:
        store.add_units(devset_units(0, units))


def import_tmx(start: int, stop: int) -> bytes:
    from io import BytesIO

    from resolign.tmx.writer import write_tmx

    buffer = BytesIO()
    write_tmx(devset_units(start, stop), buffer)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`resolign serve` in a subprocess on 127.0.0.1 with the write key set."""

    def __init__(self, db: Path | str, key: str = KEY, start_timeout: float = 180,
                 log: Path | None = None, cache: Path | None = None, workers: int = 1) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RESOLIGN_API_KEY": key}
        if cache is not None:  # a server's own FAISS folder (PostgreSQL memories)
            env["RESOLIGN_CACHE_DIR"] = str(cache)
        log_path = log or Path(db).with_suffix(".log")
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "resolign.cli", "serve", "--db", str(db), "--port",
             self.url.rsplit(":", 1)[1], "--workers", str(workers)], env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(log_path.read_text())
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("resolign serve did not start")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL only once the server's own grace for its workers is over
        (a worker still starting, on a loaded machine, may take most of it)."""
        from resolign.service.http.workers import STOP_GRACE

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_GRACE + 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()


KINDS = ("search", "semantic", "concordance", "unit")


def lookups(count: int, units: int, seed: int = 7, kinds: tuple[str, ...] = KINDS
            ) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, path, params) for a mix of look-ups a translator's tools would send, the
    `kinds` in turn (every other concordance in Arabic)."""
    lines = devset_lines()
    rng = random.Random(seed)
    out = []
    for n in range(count):
        i = rng.randrange(units)
        kind = kinds[n % len(kinds)]
        if kind == "search":  # a sentence with a word dropped: a fuzzy match
            words = lines["fr"][i].split()
            if len(words) > 3:
                del words[rng.randrange(len(words))]
            out.append((kind, "/api/search", {"q": " ".join(words), "semantic": "false"}))
        elif kind == "semantic":  # English against French segments: only the index finds it
            out.append((kind, "/api/search", {"q": lines["en"][i], "src": "fr", "tgt": "en",
                                              "min_score": "0", "limit": "5"}))
        elif kind == "concordance":
            lang = "ar" if (n // len(kinds)) % 2 else "fr"
            words = [w for w in lines[lang][i].split() if len(w) > 3]
            out.append((kind, "/api/concordance", {"q": rng.choice(words or ["session"]),
                                                   "lang": lang}))
        else:
            out.append((kind, f"/api/units/{i + 1}", {}))
    return out


@dataclass
class Result:
    kind: str
    status: int
    valid: bool
    start: float
    end: float
    error: str = ""


def run_load(url: str | list[str], requests: list[tuple[str, str, dict[str, str]]], *,
             concurrency: int, tmx: bytes | None, key: str = KEY, max_seconds: float = 120
             ) -> tuple[list[Result], dict | None, tuple[float, float]]:
    """Send every look-up from `concurrency` threads while one thread imports `tmx` (through
    the first server when several share the memory; look-ups go to them round robin)."""
    urls = [url] if isinstance(url, str) else list(url)
    url = urls[0]
    deadline = time.monotonic() + max_seconds
    local = threading.local()
    imported: dict = {}
    span = [0.0, 0.0]

    def client(base: str) -> httpx.Client:
        if not hasattr(local, "clients"):
            local.clients = {}
        if base not in local.clients:
            local.clients[base] = httpx.Client(base_url=base, timeout=max_seconds)
        return local.clients[base]

    def one(numbered: tuple[int, tuple[str, str, dict[str, str]]]) -> Result:
        number, (kind, path, params) = numbered
        # A thread's client is built before its first look-up is timed: building one takes
        # ~35 ms of CPU (its TLS context), and 16 threads building theirs at once had put up
        # to half a second into the first look-ups' times, most of the p99.
        session = client(urls[number % len(urls)])
        start = time.monotonic()
        if start > deadline:
            return Result(kind, 0, False, start, start, "not sent: time budget spent")
        try:
            response = session.get(path, params=params)
            body = response.json()
            valid = response.status_code == 200 and EXPECTED_KEY[kind] in body
            return Result(kind, response.status_code, valid, start, time.monotonic(),
                          "" if valid else json.dumps(body)[:200])
        except (httpx.HTTPError, ValueError) as error:
            return Result(kind, 0, False, start, time.monotonic(), repr(error))

    def do_import() -> None:
        span[0] = time.monotonic()
        try:
            response = httpx.post(url + "/api/import", headers={"X-API-Key": key},
                                  files={"file": ("load.tmx", tmx or b"")}, timeout=max_seconds)
            imported.update(status=response.status_code, body=response.json())
        except (httpx.HTTPError, ValueError) as error:
            imported.update(status=0, body={"error": repr(error)})
        span[1] = time.monotonic()

    importer = threading.Thread(target=do_import) if tmx is not None else None
    if importer is not None:
        importer.start()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, enumerate(requests)))
    if importer is not None:
        importer.join(timeout=max(1.0, deadline - time.monotonic()))
    return results, (imported or None), (span[0], span[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(results: list[Result], wall: float) -> str:
    lines = [f"{len(results)} look-ups in {wall:.1f} s: {len(results) / wall:.1f} req/s; "
             f"{sum(r.valid for r in results)} valid"]
    for kind in ("all", *EXPECTED_KEY):
        chosen = [r for r in results if kind == "all" or r.kind == kind]
        ms = [1000 * (r.end - r.start) for r in chosen if r.valid]
        if ms:
            lines.append(f"  {kind:<12} n={len(chosen):<5} p50 {percentile(ms, 0.5):7.1f} ms  "
                         f"p99 {percentile(ms, 0.99):7.1f} ms  mean {statistics.fmean(ms):7.1f}")
    return "\n".join(lines)


def run_scenario(label: str, location: str, servers: int, args: argparse.Namespace,
                 folder: Path) -> int:
    """Build the memory at `location`, serve it with `servers` servers, load them, report."""
    started = time.monotonic()
    build_memory(location, args.units)
    print(f"{label}: memory ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
    tmx = import_tmx(args.units, args.units + args.import_units) if args.import_units else None
    running: list[Server] = []
    try:
        for n in range(servers):
            cache = folder / f"cache-{label}-{n}"
            cache.mkdir()
            running.append(Server(location, log=folder / f"{label}-{n}.log", cache=cache
                                  if location.startswith("postgresql://") else None,
                                  workers=args.workers))
        urls = [server.url for server in running]
        before = httpx.get(urls[0] + "/healthz", timeout=10).json()["units"]
        wall_start = time.monotonic()
        results, imported, span = run_load(
            urls, lookups(args.lookups, before, kinds=args.kinds), concurrency=args.concurrency,
            tmx=tmx,
            max_seconds=args.max_seconds)
        wall = time.monotonic() - wall_start
        print(f"\n## {label}: {servers} server(s) of {args.workers} process(es), "
              f"{args.concurrency} clients\n")
        print(report(results, wall))
        if imported is not None:
            during = sum(1 for r in results if r.start < span[1] and r.end > span[0])
            print(f"import: HTTP {imported['status']} {imported['body']} in "
                  f"{span[1] - span[0]:.1f} s; {during} look-ups overlapped it")
        for n, url in enumerate(urls):
            health = httpx.get(url + "/healthz", timeout=30).json()
            print(f"server {n + 1}: {health['backend']}, {health['units']} units, index "
                  f"{health['index'].get('vectors')} vectors, lag {health['index'].get('lag')}")
        bad = [r for r in results if not r.valid]
        for r in bad[:5]:
            print(f"  failed {r.kind}: {r.status} {r.error}")
        return 1 if bad or (imported and imported["status"] != 200) else 0
    finally:
        for server in running:
            server.stop()


def kinds_arg(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(f"kinds are {', '.join(KINDS)}, not {text!r}")
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--units", type=int, default=200, help="units in the memory at start")
    parser.add_argument("--import-units", type=int, default=500, help="units imported meanwhile")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--kinds", default=",".join(KINDS),
                        type=kinds_arg,
                        help="look-up kinds sent in turn (default: all four; e.g. "
                             "search,concordance,unit for the non-semantic load)")
    parser.add_argument("--db", metavar="POSTGRESQL_URL",
                        help="also run on PostgreSQL: a server where a scratch database may be "
                             "created (the URL's own database is not touched)")
    parser.add_argument("--replicas", type=int, default=2,
                        help="servers sharing the PostgreSQL memory (default 2)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"),
                        help="with --db: run one backend only")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes per server (`resolign serve --workers`, default 1)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="resolign-load-") as tmp:
        folder = Path(tmp)
        if args.only != "postgresql":
            failed |= run_scenario("sqlite", str(folder / "memory.db"), 1, args, folder)
        if args.db and args.only != "sqlite":
            location = scratch_database(args.db, "resolign_load")
            try:
                failed |= run_scenario("postgresql", location, args.replicas, args, folder)
            finally:
                drop_database(args.db, "resolign_load")
    from common import machine_line, server_line

    print(f"\n{machine_line()}")
    if args.db and args.only != "sqlite":
        print(server_line(args.db))
    return failed


if __name__ == "__main__":
    sys.exit(main())
