"""Hard anchors from resolution symbols: a compendium is cut where every language starts the
same resolution, so no bead can cross from one resolution into another and each piece is
aligned on its own (shorter pieces, fewer chances to drift).
"""

from __future__ import annotations

from resolign.align.candidates import longest_monotone_chain
from resolign.align.paragraphs import Paragraph
from resolign.align.resolutions import Resolution, split_resolutions, symbol_key

Cut = dict[str, int]  # language -> index of the first paragraph of a piece


def _starts(resolutions: list[Resolution]) -> list[int]:
    starts, position = [], 0
    for resolution in resolutions:
        starts.append(position)
        position += len(resolution.paragraphs)
    return starts


def resolution_cuts(paragraphs: dict[str, list[Paragraph]], pivot: str = "fr") -> list[Cut]:
    """Paragraph positions, one per language, where the same symbol-bearing resolution starts
    everywhere; [] when the documents are not compendiums of two or more resolutions."""
    split = {lang: split_resolutions(paras) for lang, paras in paragraphs.items()}
    for lang, resolutions in split.items():
        covered = sum(len(r.paragraphs) for r in resolutions)
        if covered != len(paragraphs[lang]) or sum(bool(r.symbol) for r in resolutions) < 2:
            return []
    starts = {lang: _starts(resolutions) for lang, resolutions in split.items()}
    # for each other language, French resolution k -> its resolution with the same symbol key
    shared: dict[int, dict[str, int]] = {}
    for k, resolution in enumerate(split[pivot]):
        if resolution.symbol:
            shared[k] = {}
    for lang, resolutions in split.items():
        if lang == pivot:
            continue
        index = {symbol_key(r.symbol): m for m, r in enumerate(resolutions) if r.symbol}
        pairs = [
            (k, index[symbol_key(split[pivot][k].symbol)])
            for k in shared
            if symbol_key(split[pivot][k].symbol) in index
        ]
        keep = dict(longest_monotone_chain(pairs))
        for k in list(shared):
            if k in keep:
                shared[k][lang] = keep[k]
            else:
                del shared[k]
    cuts = [
        {pivot: starts[pivot][k], **{lang: starts[lang][m] for lang, m in found.items()}}
        for k, found in sorted(shared.items())
    ]
    return [cut for cut in cuts if any(cut.values())]  # the start of the documents is no cut
