"""Run Bertalign (PyPI `bertalign`, Python >= 3.12) on paragraphs with vectors we send.

    python3.12 bench/bertalign_child.py JOBS.json   # called by bench/peers.py

JOBS.json: {"max_align": 5, "jobs": [{"vectors": "pairK.npz", "src": [...], "tgt": [...],
"langs": ["fr", "ar"]}]};
each .npz holds `src` and `tgt` overlap vectors (max_align - 1, n, dim), front-padded as
Bertalign's own Encoder.transform lays them out. Prints {"beads": [[[src], [tgt]], ...] per
job, "seconds": alignment time} as JSON.
"""

from __future__ import annotations

import json
import sys
import time

import bertalign.aligner
import numpy as np
from bertalign import Bertalign, Encoder


class GivenVectors(Encoder):
    """Bertalign's Encoder without a model: transform() returns the vectors we were sent."""

    def __init__(self) -> None:  # no SentenceTransformer: nothing to download
        self.model_name = "use-m3 (resolign)"
        self.queue: list[tuple[list[str], np.ndarray]] = []

    def transform(self, sents, num_overlaps):
        lines, vectors = self.queue.pop(0)
        if len(sents) != len(lines) or vectors.shape[0] != num_overlaps:
            raise ValueError("Bertalign asked for other lines than the ones sent")
        lengths = np.zeros((num_overlaps, len(lines)), dtype=np.int64)
        for k in range(1, num_overlaps + 1):
            for end in range(len(lines)):
                start = max(0, end - k + 1)
                text = " ".join(lines[start : end + 1]) if end >= k - 1 else "PAD"
                lengths[k - 1, end] = len(text.encode("utf-8"))
        return vectors.astype(np.float32), lengths


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    encoder = GivenVectors()
    out = []
    seconds = 0.0
    for job in spec["jobs"]:
        vectors = np.load(job["vectors"])
        encoder.queue = [(job["src"], vectors["src"]), (job["tgt"], vectors["tgt"])]
        # the languages are known: Bertalign's detector refuses some UN texts (a first line of
        # numbers or names) and, with is_split, only names the languages in its messages
        stated = iter(job["langs"])
        bertalign.aligner.detect_lang = lambda text, stated=stated: next(stated)
        start = time.perf_counter()
        aligner = Bertalign("\n".join(job["src"]), "\n".join(job["tgt"]), is_split=True,
                            max_align=spec["max_align"], model=encoder)
        beads = aligner.align_sents()
        seconds += time.perf_counter() - start
        out.append([[list(map(int, s)), list(map(int, t))] for s, t in beads])
    json.dump({"beads": out, "seconds": seconds}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
