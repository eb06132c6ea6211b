"""Look-ups run on a few threads per process, first come, first served.

A look-up is mostly Python, and a process runs one Python thread at a time (the GIL). On
Starlette's pool of 40 threads, 16 look-ups at once shared the process's one core: each waited
for the GIL again after every SQLite call, so every look-up took about as long as all of them
together (p99 4-5 times the mean). LOOKUP_THREADS at a time still let the store's waits (page
reads, PostgreSQL round trips) overlap with Python work; the other look-ups wait their turn in
order. Writes (imports, review edits) and downloads keep Starlette's pool, so a long import
never holds up a look-up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

LOOKUP_THREADS = 2
"""Look-ups a process runs at once. Measured with bench/load.py (16 clients, two processes,
700 units): 1, 2, 4 and 40 threads gave p99 134/134, 118/135, 154/184 and 183/196 ms."""
_LIMITER: RunVar[CapacityLimiter] = RunVar("resolign_lookup_limiter")
T = TypeVar("T")


async def run_lookup(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` on one of the event loop's LOOKUP_THREADS look-up threads."""
    try:
        limiter = _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(LOOKUP_THREADS)
        _LIMITER.set(limiter)
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs),
                                          limiter=limiter)
