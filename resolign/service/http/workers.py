"""Several serving processes on one port, each accepting connections on a socket of its own.

uvicorn's own `workers` share one listening socket, and the process that wakes first takes
every connection waiting (asyncio accepts up to a hundred at once): 16 clients connecting
together were split 14/2 or 13/3, so one process answered most of them while the other idled,
and under load p99 doubled. Here every process listens on its own socket bound to the same
port (SO_REUSEPORT, Linux), and the kernel spreads new connections among them by a hash of
the client's address and port. A worker that dies is started again; SIGINT or SIGTERM stops
them all. Elsewhere (`spreads_connections()` false) `resolign serve` keeps uvicorn's.
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from resolign.errors import InputError

APP_FACTORY = "resolign.service.http.app:app_from_environment"
"""What each worker serves: the app built from the settings `resolign serve` left in the
environment (SERVE_ENV), which spawned processes inherit."""
START_WAIT = 600.0
"""Seconds the first workers wait for each other to have the app before they listen anyway."""
STOP_GRACE = 30.0
"""Seconds a worker has to finish its requests in flight once told to stop."""

logger = logging.getLogger("resolign.workers")


def spreads_connections() -> bool:
    """Can each worker listen on the port itself, the kernel spreading connections?"""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def check_port_free(host: str, port: int) -> None:
    """Refuse a port something already answers on (with SO_REUSEPORT, another server of the
    same user's would otherwise silently share it with us)."""
    probe = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    with contextlib.suppress(OSError), socket.create_connection((probe, port), timeout=1):
        raise InputError(f"port {port} on {host} is in use")


def port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that others of this user may bind too."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise InputError(f"cannot listen on {host} port {port}: {error.strerror}") from None
    return sock


def run_workers(count: int, host: str, port: int, options: dict[str, Any]) -> int:
    """Serve APP_FACTORY from `count` processes on (host, port) with uvicorn `options` until
    SIGINT or SIGTERM; 1 when a worker could not start (its log says why), else 0. The caller
    has refused a port something answers on (`check_port_free`, before opening the memory)."""
    if options.get("log_config"):
        logging.config.dictConfig(options["log_config"])  # as uvicorn does in each worker
    # Bound, never listening: it takes no connection, but holds the port between a worker's
    # death and its replacement, and refuses here a port another program holds.
    reserved = port_socket(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start(together: Barrier | None = None) -> tuple[multiprocessing.process.BaseProcess,
                                                        Event]:
        ready = context.Event()
        process = context.Process(target=_worker, args=(host, port, options, ready, together),
                                  name="resolign-worker")
        process.start()
        return process, ready

    def stop(*_: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    together = context.Barrier(count)  # the first workers listen once all have the app
    workers = [start(together) for _ in range(count)]
    logger.info("serving on %s port %d from %d processes, each accepting its own connections",
                host, port, count)
    failed = False
    try:
        while not stopping.wait(0.5):
            for n, (process, ready) in enumerate(workers):
                if process.is_alive():
                    continue
                if not ready.is_set():  # it never served: it would fail the same way again
                    logger.error("a worker could not start (exit code %s): stopping",
                                 process.exitcode)
                    failed = True
                    stopping.set()
                    break
                logger.warning("worker %s ended (exit code %s): starting another",
                               process.pid, process.exitcode)
                workers[n] = start()
    finally:
        for process, _ in workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_GRACE
        for process, _ in workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reserved.close()
    return 1 if failed else 0


def _worker(host: str, port: int, options: dict[str, Any], ready: Event,
            together: Barrier | None) -> None:
    """One serving process: its own socket on the port, uvicorn on it, `ready` set once it
    accepts connections. The app (the memory opened) is built first; with `together`, the
    process then waits for the others to have theirs, so the server's first clients are spread
    over all of them rather than all taken by the first one up."""
    import uvicorn

    sock = port_socket(host, port)
    config = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, **options)
    config.load()
    if together is not None:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=START_WAIT)
    server = uvicorn.Server(config)

    def tell_when_started() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.set()

    threading.Thread(target=tell_when_started, daemon=True).start()
    server.run(sockets=[sock])
