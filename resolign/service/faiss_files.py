"""The FAISS side of the semantic index: which structure, how it grows, and its file.

Index type by size (inner product on unit vectors = cosine):
  * < FLAT_LIMIT vectors: IndexFlatIP — exact, ~5 ms for 50k x 512 on two cores, no tuning.
  * larger: HNSW (M=32, efSearch >= 128) — no training step (unlike IVF, which would need
    retraining as the memory grows), incremental adds, recall > 0.95 at these sizes.
Both sit in an IndexIDMap2 so FAISS ids are unit ids and the id map is inside the one file.

The file is derived from the store and written atomically (tmp + rename) with a small JSON
beside it naming the store, the encoder and the dimension, so an index from another memory or
model is never read as this one's.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import faiss
import numpy as np

FLAT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128


def new_index(dim: int, size: int) -> faiss.Index:
    """An empty index fit for `size` vectors, its FAISS ids being unit ids."""
    if size < FLAT_LIMIT:
        base = faiss.IndexFlatIP(dim)
    else:
        base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efSearch = HNSW_EF_SEARCH
    return faiss.IndexIDMap2(base)


def index_kind(index: faiss.Index | None) -> str:
    """`flat`, `hnsw`, or `none` for no index."""
    if index is None:
        return "none"
    base = faiss.downcast_index(index.index)
    return "hnsw" if isinstance(base, faiss.IndexHNSW) else "flat"


def outgrows_flat(index: faiss.Index, adding: int) -> bool:
    """A flat index that `adding` more vectors take to FLAT_LIMIT: time to grow it to HNSW."""
    return index_kind(index) == "flat" and index.ntotal + adding >= FLAT_LIMIT


def index_ids(index: faiss.Index) -> np.ndarray:
    return faiss.vector_to_array(index.id_map).astype(np.int64)


def grown_index(flat: faiss.Index, ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
    """A new HNSW index holding a flat index's vectors and the new ones (the flat one is left
    as it is, so searches can go on using it until the new one is swapped in)."""
    old_ids = index_ids(flat)
    old = faiss.downcast_index(flat.index).reconstruct_n(0, flat.ntotal)
    grown = new_index(flat.d, FLAT_LIMIT)
    if len(old_ids):
        grown.add_with_ids(old, old_ids)
    grown.add_with_ids(vectors, ids)
    return grown


def read_index(path: Path, meta_path: Path, meta: dict[str, object]) -> faiss.Index | None:
    """The index in `path` if its JSON matches `meta` and the file reads whole; None (rebuild)
    for a missing, foreign, unreadable or truncated one."""
    if not (path.is_file() and meta_path.is_file()):
        return None
    try:
        found = json.loads(meta_path.read_text(encoding="utf-8"))
        if any(found.get(key) != value for key, value in meta.items()):
            return None
        index = faiss.read_index(str(path))
    except (OSError, ValueError, RuntimeError):
        return None
    if not isinstance(index, faiss.IndexIDMap2) or index.d != meta.get("dim"):
        return None
    return index


def write_index(index: faiss.Index, path: Path, meta_path: Path,
                meta: dict[str, object]) -> None:
    """Write the index and its JSON, each atomically (a reader sees the old file or the new)."""
    suffix = f"{os.getpid()}.{threading.get_ident()}.tmp"
    tmp = path.with_name(f"{path.name}.{suffix}")
    faiss.write_index(index, str(tmp))
    os.replace(tmp, path)
    meta_tmp = meta_path.with_name(f"{meta_path.name}.{suffix}")
    meta_tmp.write_text(json.dumps({**meta, "kind": index_kind(index),
                                    "count": int(index.ntotal)}), encoding="utf-8")
    os.replace(meta_tmp, meta_path)
