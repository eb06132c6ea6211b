"""What the benchmarks share: the lines printed under their tables (when, on what, how loaded
the machine was, how the PostgreSQL server was set) and the scratch PostgreSQL databases of
the side-by-side runs."""

from __future__ import annotations

import datetime
import os
import platform


def machine_line() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{datetime.date.today()} · {platform.python_version()} · {os.cpu_count()} CPUs · "
            f"load average at the end {load} (the machine is shared)")


def server_line(server_url: str) -> str:
    """The PostgreSQL server's version and cache settings: its look-up times at 1M units
    depend on how much of the memory its shared buffers hold (bench/README)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        version, buffers, cache = (conn.execute(f"SHOW {name}").fetchone()[0] for name in (
            "server_version", "shared_buffers", "effective_cache_size"))
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"PostgreSQL {version.split()[0]}: shared_buffers {buffers}, effective_cache_size "
            f"{cache}; the machine has {ram:.0f} GB of RAM")


def scratch_database(server_url: str, name: str, *, reuse: bool = False) -> str:
    """A new empty database `name` on the server of `server_url` (an old one is dropped, or
    with `reuse` kept as it is)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (name,)).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
