"""Helpers shared by the reliability tests: a memory fingerprint, free ports, stopping servers."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
from pathlib import Path

from resolign.service.memory import NO_ENCODER, Memory


def fingerprint(db: Path) -> tuple[int, str]:
    """Unit count and a hash of every stored unit (ids, texts, origin, score, date); the file
    must also pass SQLite's integrity check."""
    digest = hashlib.sha256()
    with Memory.open(db, encoder=NO_ENCODER, create=False) as store:
        count = store.count()
        for unit in store.iter_units(batch=257):
            digest.update(json.dumps([unit.id, sorted(unit.texts.items()), unit.document,
                                      unit.symbol, unit.paragraph, unit.score,
                                      unit.created.isoformat()], ensure_ascii=False).encode())
        assert store.store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return count, digest.hexdigest()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Ask a server subprocess to stop (SIGTERM), kill it if it does not."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
