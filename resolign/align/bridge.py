"""The pivot's sentences seen through a language already aligned to it: French spans whose
vectors also hold the English that FR–EN linked to them, for aligning Arabic.

A three-way bead is right only when both pairs are right around it, and the two pairs used to
err independently. Aligning Arabic against French *and* its English gives the weaker pair two
views of each span (USE-m3 devset P@1 fr→en 0.978, fr→ar 0.959), and where FR–EN erred the
FR–AR links tend to err with it, so the joined beads lose one error instead of two. Measured
on the 16 single long documents of seeds 2–3 (tuning; `bench/align_quality.py`'s builder),
three-way strict F1 0.975 → 0.981; held-out seeds 1, 4–15: 0.982 → 0.984. Weighing English
half or 1.5 times as much as French did worse (0.979); re-aligning English through Arabic
afterwards gained nothing (0.980).
"""

from __future__ import annotations

import numpy as np

from resolign.align.aligner import Side
from resolign.align.beads import Bead
from resolign.align.encoders import unit_length
from resolign.align.sentence_sides import SentenceSide


def bridged_side(pivot: Side, links: list[Bead], other: SentenceSide) -> Side:
    """`pivot`'s span vectors, each summed with the vector of `other`'s sentences that
    `links` (pivot sentence -> `other` sentence beads) tie to the span, and made unit length
    again; a span none of whose sentences is linked keeps its own vector."""
    count = pivot.count
    unlinked = np.iinfo(np.int64).max
    first = np.full(count, unlinked, dtype=np.int64)
    last = np.full(count, -1, dtype=np.int64)  # one past the last linked sentence
    for bead in links:
        if bead.src and bead.tgt:
            first[list(bead.src)] = bead.tgt[0]
            last[list(bead.src)] = bead.tgt[-1] + 1
    vectors = {}
    for span, own in pivot.vectors.items():
        starts = np.arange(own.shape[0])
        lo = np.min([first[starts + k] for k in range(span)], axis=0, initial=unlinked)
        hi = np.max([last[starts + k] for k in range(span)], axis=0, initial=-1)
        linked = hi > 0
        mixed = np.array(own, dtype=np.float32)
        if linked.any():
            mixed[linked] = unit_length(mixed[linked] + other.runs(lo[linked], hi[linked]))
        vectors[span] = mixed
    return Side(vectors=vectors, lengths=pivot.lengths, words=pivot.words)
