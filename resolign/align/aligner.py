"""Dynamic-programming aligner of two text sequences (in the spirit of Vecalign), banded
around anchors. resolign runs it on sentences (`sentence_first`); the benchmarks also run it on
paragraphs.

Each side comes as overlap embeddings: `vectors[n][i]` embeds texts i..i+n-1 joined, so a
2-1 bead compares the two French sentences *together* with the English one. A bead's cost
falls with its similarity — cosine blended with the ratio margin against each side's k nearest
neighbours — and rises with a length-ratio deviation and a small penalty per merge; skipping a
text (1-0, 0-1) has a fixed cost, a little lower for a text of a few words (`_skip_costs`).
Short documents are solved in full; long ones in a band around a monotone chain of FAISS
anchors, so time and memory grow linearly with length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from resolign.align.beads import Bead
from resolign.align.candidates import anchors, density

BEAD_TYPES: tuple[tuple[int, int], ...] = (
    (1, 1),
    (1, 2),
    (2, 1),
    (2, 2),
    (1, 3),
    (3, 1),
    (1, 0),
    (0, 1),
)
MAX_SPAN = 3
MERGE_PENALTY: dict[tuple[int, int], float] = {
    (1, 2): 0.015,
    (2, 1): 0.015,
    (2, 2): 0.035,
    (1, 3): 0.035,
    (3, 1): 0.035,
}


@dataclass
class AlignParams:
    """Tuned on UN devset documents (see bench/align_quality.py)."""

    threshold: float = 0.5  # similarity at which aligning and skipping cost the same
    margin_weight: float = 0.1  # 0 = plain cosine, 1 = pure ratio margin
    margin_k: int = 4
    skip_cost: float = 0.0
    short_skip: float = 0.0  # added to skipping a text of at most `short_words` words
    short_words: int = 3
    merge_penalty: dict[tuple[int, int], float] = field(
        default_factory=lambda: dict(MERGE_PENALTY)
    )
    size_exponent: float = (
        0.0  # bead weight ((a+b)/2)**exponent: 0 keeps merges from absorbing drops
    )
    length_weight: float = 0.01  # per squared standard deviation of log length ratio
    length_sigma: float = 0.35
    full_dp_cells: int = 250_000  # above this many cells, search a band around anchors
    band_width: int = 12
    bead_types: tuple[tuple[int, int], ...] = BEAD_TYPES

    @property
    def max_span(self) -> tuple[int, int]:
        """Longest run each side's beads take (the overlap embeddings a Side needs)."""
        return max(a for a, _ in self.bead_types), max(b for _, b in self.bead_types)


@dataclass
class Side:
    """One language of a pair: overlap embeddings by span size and paragraph lengths."""

    vectors: dict[int, np.ndarray]  # n -> (count - n + 1, dim)
    lengths: np.ndarray  # characters per paragraph
    words: np.ndarray | None = None  # words per text (for AlignParams.short_skip)

    @property
    def count(self) -> int:
        return int(self.lengths.shape[0])

    @cached_property
    def length_prefix(self) -> np.ndarray:
        """Cumulative characters: span lengths in O(1), computed once per side, not per row."""
        return np.concatenate([[0.0], np.cumsum(self.lengths)])


def align_pair(src: Side, tgt: Side, params: AlignParams | None = None) -> list[Bead]:
    """Best monotone bead sequence covering every paragraph of both sides exactly once."""
    params = params or AlignParams()
    n, m = src.count, tgt.count
    if n == 0 or m == 0:
        return [Bead((i,), (), 0.0) for i in range(n)] + [Bead((), (j,), 0.0) for j in range(m)]
    scoring = _Scoring(
        src, tgt,
        {a: density(v, tgt.vectors[1], params.margin_k) for a, v in src.vectors.items()},
        {b: density(v, src.vectors[1], params.margin_k) for b, v in tgt.vectors.items()},
        _expected_log_ratio(src, tgt), params)
    lo, hi = _band(src, tgt, params)
    src_skip = _skip_costs(src, params)
    tgt_skips = np.concatenate([[0.0], np.cumsum(_skip_costs(tgt, params))])
    steps = {
        t: _band_costs(a, b, lo, hi, scoring)
        for t, (a, b) in enumerate(params.bead_types) if a and b
    }
    cost_rows: list[np.ndarray] = []
    back_rows: list[np.ndarray] = []
    for i in range(n + 1):
        width = hi[i] - lo[i] + 1
        row = np.full(width, np.inf)
        back = np.full(width, -1, dtype=np.int8)
        if i == 0 and lo[0] == 0:
            row[0] = 0.0
        for t, (a, b) in enumerate(params.bead_types):
            if a == 0 or a > i:
                continue
            prev_lo, prev_hi = lo[i - a], hi[i - a]
            j_first = max(lo[i], prev_lo + b)
            j_last = min(hi[i], prev_hi + b)
            if j_first > j_last:
                continue
            prev = cost_rows[i - a][j_first - b - prev_lo : j_last - b - prev_lo + 1]
            if b == 0:
                step = src_skip[i - 1]
            else:
                costs, offsets = steps[t]
                step = costs[offsets[i] : offsets[i] + j_last - j_first + 1]
            total = prev + step
            here = row[j_first - lo[i] : j_last - lo[i] + 1]  # views: writes land in row, back
            better = total < here
            here[better] = total[better]
            back[j_first - lo[i] : j_last - lo[i] + 1][better] = t
        _scan_insertions(row, back, tgt_skips[lo[i]:lo[i] + width],
                         params.bead_types.index((0, 1)))
        cost_rows.append(row)
        back_rows.append(back)
    return _trace(cost_rows, back_rows, lo, src, tgt, params.bead_types)


@dataclass
class _Scoring:
    """What every bead cost of one alignment reads: both sides, each span's margin density
    against the other side, the expected length ratio, the parameters."""

    src: Side
    tgt: Side
    dens_src: dict[int, np.ndarray]
    dens_tgt: dict[int, np.ndarray]
    log_ratio: float
    params: AlignParams


def _band_costs(a: int, b: int, lo: list[int], hi: list[int],
                scoring: _Scoring) -> tuple[np.ndarray, np.ndarray]:
    """Costs of every a-b bead the band allows, computed at once (they do not depend on the
    path): for the row ending at source i, the beads ending at target j_first(i)..j_last(i)
    are costs[offsets[i]:], in order."""
    n = scoring.src.count
    rows = np.arange(a, n + 1)
    lo_, hi_ = np.asarray(lo), np.asarray(hi)
    j_first = np.maximum(lo_[rows], lo_[rows - a] + b)
    j_last = np.minimum(hi_[rows], hi_[rows - a] + b)
    counts = np.maximum(j_last - j_first + 1, 0)
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[a:] = np.cumsum(counts) - counts
    row_of = np.repeat(rows, counts)
    ts = (np.arange(int(counts.sum())) - np.repeat(offsets[a:], counts)
          + np.repeat(j_first, counts) - b)  # each bead's first target
    costs = np.empty(ts.shape[0])
    for start in range(0, ts.shape[0], _CHUNK):  # bounded memory for the gathered vectors
        part = slice(start, start + _CHUNK)
        costs[part] = _bead_cost(row_of[part] - a, a, ts[part], b, scoring)
    return costs, offsets


_CHUNK = 8192


def _bead_cost(s: np.ndarray, a: int, ts: np.ndarray, b: int, scoring: _Scoring) -> np.ndarray:
    """Cost of beads src[s:s+a] ~ tgt[t:t+b] for every pair (s, t) of `s` and `ts`."""
    src, tgt, params = scoring.src, scoring.tgt, scoring.params
    dens_src, dens_tgt, log_ratio = scoring.dens_src, scoring.dens_tgt, scoring.log_ratio
    ok = ts + b <= tgt.count
    ts_ok = np.where(ok, ts, 0)
    cos = np.einsum("ij,ij->i", tgt.vectors[b][ts_ok], src.vectors[a][s])
    ratio = cos / ((dens_src[a][s] + dens_tgt[b][ts_ok]) / 2)
    sim = (1 - params.margin_weight) * cos + params.margin_weight * ratio
    src_len = src.length_prefix[s + a] - src.length_prefix[s]
    tgt_len = tgt.length_prefix[np.minimum(ts_ok + b, tgt.count)] - tgt.length_prefix[ts_ok]
    deviation = (np.log((tgt_len + 10) / (src_len + 10)) - log_ratio) / params.length_sigma
    cost = ((a + b) / 2) ** params.size_exponent * (
        params.threshold - sim
    ) + params.length_weight * deviation**2
    cost += params.merge_penalty.get((a, b), 0.0)
    return np.where(ok, cost, np.inf)


def _skip_costs(side: Side, params: AlignParams) -> np.ndarray:
    """What skipping each text costs (1-0, 0-1): `skip_cost`, plus `short_skip` for a text of
    `short_words` words or fewer. A label such as "Additif" or "Paru" is what one language
    drops or runs into its neighbour, and a vector of so few words places it poorly."""
    costs = np.full(side.count, params.skip_cost)
    if params.short_skip and side.words is not None:
        costs += np.where(side.words <= params.short_words, params.short_skip, 0.0)
    return costs


def _scan_insertions(row: np.ndarray, back: np.ndarray, skipped: np.ndarray,
                     insertion_type: int) -> None:
    """Apply 0-1 beads along a row: row[j] = min(row[j], row[j-1] + cost of skipping target
    j-1), in one vectorised pass. `skipped[j]` is what skipping every target text before the
    row's j-th slot costs, so min over k <= j of row[k] + skipped[j] - skipped[k] is a running
    minimum."""
    if row.shape[0] < 2:
        return
    steps = skipped - skipped[0]
    best = np.minimum.accumulate(row - steps) + steps
    better = best < row - 1e-12  # not a rounding of row[j] itself
    better[0] = False
    row[better] = best[better]
    back[better] = insertion_type


def _trace(
    cost_rows: list[np.ndarray],
    back_rows: list[np.ndarray],
    lo: list[int],
    src: Side,
    tgt: Side,
    bead_types: tuple[tuple[int, int], ...],
) -> list[Bead]:
    i, j = src.count, tgt.count
    beads: list[Bead] = []
    while i > 0 or j > 0:
        t = int(back_rows[i][j - lo[i]])
        if t < 0:
            raise RuntimeError(f"alignment band lost the path at ({i}, {j})")
        a, b = bead_types[t]
        s_idx = tuple(range(i - a, i))
        t_idx = tuple(range(j - b, j))
        score = 0.0
        if a and b:
            score = float(src.vectors[a][i - a] @ tgt.vectors[b][j - b])
        beads.append(Bead(s_idx, t_idx, round(score, 4)))
        i, j = i - a, j - b
    return beads[::-1]


def _expected_log_ratio(src: Side, tgt: Side) -> float:
    """Typical log(target/source) length ratio: the whole documents' ratio is robust enough."""
    return float(np.log((tgt.lengths.sum() + 10) / (src.lengths.sum() + 10)))


def _band(src: Side, tgt: Side, params: AlignParams) -> tuple[list[int], list[int]]:
    """For each source position i (0..n), the target positions the path may pass through."""
    n, m = src.count, tgt.count
    if (n + 1) * (m + 1) <= params.full_dp_cells:
        return [0] * (n + 1), [m] * (n + 1)
    # anchors form a strictly increasing chain inside [0, n) x [0, m): only one on the first
    # row or column would not come strictly after the start point
    inner = anchors(src.vectors[1], tgt.vectors[1], params.margin_k)
    points = [(0, 0)] + [(i, j) for i, j in inner if i > 0 and j > 0] + [(n, m)]
    lo = [0] * (n + 1)
    hi = [m] * (n + 1)
    for (i0, j0), (i1, j1) in zip(points, points[1:], strict=False):
        span_i, span_j = max(i1 - i0, 1), j1 - j0
        width = params.band_width + abs(span_i - span_j)
        for i in range(i0, i1 + 1):
            centre = j0 + (i - i0) * span_j / span_i
            lo[i] = max(0, int(centre) - width)
            hi[i] = min(m, int(np.ceil(centre)) + width)
    for i in range(1, n + 1):  # monotone band edges so every row connects to the next
        lo[i] = max(lo[i], lo[i - 1])
        hi[i] = max(hi[i], hi[i - 1])
    lo[0], hi[n] = 0, m
    for i in range(n - 1, -1, -1):
        lo[i] = min(lo[i], lo[i + 1])
    return lo, hi
