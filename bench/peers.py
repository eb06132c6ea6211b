"""Published aligners run on resolign's evaluation documents, with resolign's USE-m3 vectors.

Each peer aligns paragraphs as its units (what resolign is judged on), in-process when it runs
on Python 3.11, in a subprocess otherwise. None of them is a dependency of resolign: install
them for the benchmark only (bench/README.md).

* Gale–Church, PyPI `galechurch` (Rust DP over character lengths), with c and s² estimated
  from the documents as for our own Gale–Church baseline.
* Vecalign's DP, PyPI `sentalign` (`sentalign()` takes any encoder object): its encoder here
  answers every overlap text from the same sentence encodings resolign uses.
* Bertalign, PyPI `bertalign` (Python ≥ 3.12, so run by `bertalign_child.py` in another
  interpreter): its `Encoder` is replaced by one that returns the overlap vectors we send.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from resolign.align.beads import Bead
from resolign.align.embedding_cache import EmbeddingCache
from resolign.align.sentence_sides import SentenceSide, sentence_side

HERE = Path(__file__).resolve().parent


class OverlapVectors:
    """USE-m3 vectors of runs of consecutive paragraphs, joined from sentence encodings."""

    def __init__(self, paragraphs: list[str], lang: str, cache: EmbeddingCache):
        self.paragraphs = [p.strip() for p in paragraphs]
        self.lang = lang
        self.side: SentenceSide = sentence_side(self.paragraphs, lang, cache)
        self.cache = cache

    def front_padded(self, max_span: int) -> np.ndarray:
        """(max_span, n, dim): [k-1, i] is the run of k paragraphs ending at i (Vecalign and
        Bertalign's layout); runs that would start before 0 get the vector of "PAD"."""
        n = len(self.paragraphs)
        pad = self.cache.embed(["PAD"])[0]
        out = np.tile(pad, (max_span, n, 1)).astype(np.float32)
        for k in range(1, max_span + 1):
            ends = np.arange(k - 1, n)
            if ends.size:
                out[k - 1, ends] = self.side.paragraph_runs(ends - k + 1, ends + 1)
        return out

    def text_index(self, max_span: int) -> dict[str, np.ndarray]:
        """Joined text of every run up to max_span paragraphs -> its vector."""
        index: dict[str, np.ndarray] = {}
        padded = self.front_padded(max_span)
        for k in range(1, max_span + 1):
            for end in range(k - 1, len(self.paragraphs)):
                index[" ".join(self.paragraphs[end - k + 1 : end + 1])] = padded[k - 1, end]
        return index


def galechurch_pypi(src: list[str], tgt: list[str], c: float, s2: float) -> list[Bead]:
    import galechurch

    block = galechurch.align(src, tgt, mean_xy=c, variance_xy=s2)
    return [Bead(tuple(range(b.source_start, b.source_end)),
                 tuple(range(b.target_start, b.target_end)), 0.0) for b in block.beads]


def vecalign(src: OverlapVectors, tgt: OverlapVectors, max_size: int = 5) -> list[Bead]:
    """sentalign's `sentalign()` (Vecalign's DP, default parameters but beads of at most 5
    paragraphs in all: its default 8 took 612 s on one 300-paragraph document here) on
    paragraphs."""
    from sentalign import sentalign

    known = {**src.text_index(max_size - 1), **tgt.text_index(max_size - 1)}
    cache = src.cache

    class Lookup:
        def encode(self, texts):
            missing = [t for t in texts if t not in known]
            if missing:
                for t, v in zip(missing, cache.embed(missing), strict=True):
                    known[t] = v
            return np.stack([known[t] for t in texts])

    result = sentalign(src.paragraphs, tgt.paragraphs, Lookup(), alignment_max_size=max_size)
    return [Bead(tuple(a.src_indices), tuple(a.tgt_indices), float(a.score))
            for a in result.alignments]


def bertalign_many(pairs: list[tuple[OverlapVectors, OverlapVectors]], python: str,
                   max_align: int = 5) -> tuple[list[list[Bead]], float]:
    """Bertalign (default parameters, max_align 5) on each pair, in one child process;
    returns the beads and the child's own alignment time (model loading excluded)."""
    with tempfile.TemporaryDirectory(prefix="bertalign-") as tmp:
        folder = Path(tmp)
        jobs = []
        for k, (src, tgt) in enumerate(pairs):
            path = folder / f"pair{k}.npz"
            np.savez(path, src=src.front_padded(max_align - 1), tgt=tgt.front_padded(max_align - 1))
            jobs.append({"vectors": str(path), "src": src.paragraphs, "tgt": tgt.paragraphs,
                         "langs": [src.lang, tgt.lang]})
        (folder / "jobs.json").write_text(json.dumps({"max_align": max_align, "jobs": jobs}))
        run = subprocess.run([python, str(HERE / "bertalign_child.py"), str(folder / "jobs.json")],
                             capture_output=True, text=True, timeout=36000)
        if run.returncode != 0:
            raise RuntimeError(f"bertalign child failed: {run.stderr.strip()[-2000:]}")
        answer = json.loads(run.stdout)
    beads = [[Bead(tuple(s), tuple(t), 0.0) for s, t in found] for found in answer["beads"]]
    return beads, float(answer["seconds"])
