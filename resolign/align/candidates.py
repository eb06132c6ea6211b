"""FAISS candidate search: nearest neighbours across languages, margin densities and anchors.

Anchors are mutual nearest neighbours with a clear ratio margin; their longest monotone chain
tells the dynamic programme where to look, so long documents never need a full N×M matrix.
"""

from __future__ import annotations

import bisect

import faiss
import numpy as np

SMALL_SEARCH = 250_000
"""Below this many query×base pairs an exact numpy product answers at once; FAISS's
multithreaded search costs more to start than it saves (50× slower on a 4×4 search measured
on a busy 2-core machine)."""


def knn(queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Inner-product (cosine, for unit vectors) k nearest neighbours of each query in base."""
    k = max(1, min(k, base.shape[0]))
    if queries.shape[0] * base.shape[0] <= SMALL_SEARCH:
        sims = queries @ base.T
        if k < base.shape[0]:  # the k best of each row, then only those sorted
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
            ids = np.take_along_axis(top, order, axis=1)
        else:
            ids = np.argsort(-sims, axis=1, kind="stable")
        return np.take_along_axis(sims, ids, axis=1).astype(np.float32), ids.astype(np.int64)
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(np.ascontiguousarray(base, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


def density(queries: np.ndarray, base: np.ndarray, k: int = 4) -> np.ndarray:
    """Mean cosine of each query to its k nearest neighbours in base (ratio-margin denominator)."""
    if queries.shape[0] == 0 or base.shape[0] == 0:
        return np.ones(queries.shape[0], dtype=np.float32)
    sims, _ = knn(queries, base, k)
    return np.maximum(sims.mean(axis=1), 1e-3)


def anchors(
    src: np.ndarray,
    tgt: np.ndarray,
    k: int = 4,
    min_margin: float = 1.06,
) -> list[tuple[int, int]]:
    """Mutual best matches whose ratio margin is at least `min_margin`, as a monotone chain."""
    if src.shape[0] == 0 or tgt.shape[0] == 0:
        return []
    s_sims, s_ids = knn(src, tgt, k)
    t_sims, t_ids = knn(tgt, src, k)
    r_src = np.maximum(s_sims.mean(axis=1), 1e-3)
    r_tgt = np.maximum(t_sims.mean(axis=1), 1e-3)
    pairs = []
    for i in range(src.shape[0]):
        j = int(s_ids[i, 0])
        if j < 0 or int(t_ids[j, 0]) != i:
            continue
        margin = float(s_sims[i, 0]) / ((r_src[i] + r_tgt[j]) / 2)
        if margin >= min_margin:
            pairs.append((i, j))
    return longest_monotone_chain(pairs)


def longest_monotone_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence strictly increasing in both coordinates (patience sorting)."""
    pairs = sorted(pairs)
    tails: list[int] = []  # smallest j ending a chain of each length
    tail_at: list[int] = []
    parent = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[pos] = j
            tail_at[pos] = n
        parent[n] = tail_at[pos - 1] if pos else -1
    chain = []
    n = tail_at[-1] if tail_at else -1
    while n >= 0:
        chain.append(pairs[n])
        n = parent[n]
    return chain[::-1]
