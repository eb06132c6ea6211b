"""The vector table shared by every server on one PostgreSQL memory.

Kept apart from store_postgres.py because it is a concern of the semantic index, not of the
units: the store only lends it its pool and its one-statement query. Each unit's vector is
embedded once, by whichever server holds the encoder's advisory lock, and read by the others.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Sequence

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool, PoolClosed

from resolign.service.pg_rows import Query


class PgVectors:
    """Unit vectors kept in the database (raw float32 per unit and encoder), so every server
    builds and extends its FAISS index without embedding what another server embedded.

    Who embeds: the process holding the encoder's advisory lock (`claim`). A writer takes it
    before its commit shows, so other servers wait for its vectors instead of embedding the
    same units; if it dies, the lock goes with its connection and the next server to catch up
    embeds what is still missing.
    """

    def __init__(self, query: Query, pool: ConnectionPool):
        self._query = query
        """The store's one-statement query (autocommit, one retry on a dropped connection)."""
        self._pool = pool
        self._claims: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def load(self, encoder: str, dim: int, unit_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of some units (units without one are absent)."""
        found: dict[int, np.ndarray] = {}
        ids = [int(i) for i in unit_ids]
        for start in range(0, len(ids), 4096):
            for unit_id, blob in self._query(
                    "SELECT unit_id, vector FROM vectors WHERE encoder = %s "
                    "AND unit_id = ANY(%s::bigint[])", (encoder, ids[start:start + 4096])):
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.shape[0] == dim:
                    found[unit_id] = vector
        return found

    def save(self, encoder: str, unit_ids: Sequence[int], vectors: np.ndarray) -> None:
        """Store vectors (a unit's first vector per encoder wins: they are deterministic)."""
        blobs = [np.ascontiguousarray(v, dtype="<f4").tobytes() for v in vectors]
        for start in range(0, len(blobs), 2048):
            self._query(
                "INSERT INTO vectors(encoder, unit_id, vector) SELECT %s, * FROM unnest("
                "%s::bigint[], %s::bytea[]) ON CONFLICT DO NOTHING RETURNING 1",
                (encoder, [int(i) for i in unit_ids[start:start + 2048]],
                 blobs[start:start + 2048]))

    def claim(self, encoder: str) -> object | None:
        """The right to embed for `encoder` (a token to `release`), or None when another
        process holds it. Never waits."""
        key = zlib.crc32(f"resolign embed {encoder}".encode()) & 0x7FFFFFFF
        try:
            conn = self._pool.getconn()
        except (PoolClosed, psycopg.Error):
            return None
        try:
            taken = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        except psycopg.Error:
            self._pool.putconn(conn)
            return None
        if not taken:
            self._pool.putconn(conn)
            return None
        with self._lock:
            self._claims.append(conn)
        return (conn, key)

    def release(self, token: object) -> None:
        conn, key = token  # type: ignore[misc]
        with self._lock:
            if conn not in self._claims:
                return
            self._claims.remove(conn)
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            self._pool.putconn(conn)
        except (psycopg.Error, PoolClosed):
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        with self._lock:
            claims, self._claims = self._claims, []
        for conn in claims:
            with contextlib.suppress(Exception):
                conn.close()  # the advisory lock goes with the session
