"""Evaluation documents with known paragraph alignment, built from a sentence-aligned corpus.

The UN Parallel Corpus devset (Ziemski, Junczys-Dowmunt and Pouliquen, LREC 2016) gives real
fr/en/ar translations one sentence per line with the document symbol of each line. We group
lines by document in French line order, make paragraphs of 1–3 sentences, then in each target
language merge, split or drop some paragraphs, so the gold beads are known exactly.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

GoldBead = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass
class ParallelDocument:
    symbol: str
    sentences: dict[str, list[str]]  # lang -> sentences, aligned line by line


@dataclass
class EvalDocument:
    """French paragraphs, each target language's paragraphs and the gold fr–X beads.

    `sources` (long documents only) names, per language and paragraph, the corpus lines the
    paragraph is made of (negative: a stranger line no other language has), so the gold of
    any pair follows from shared lines (`pair_gold`).
    """

    symbol: str
    paragraphs: dict[str, list[str]]
    gold: dict[str, list[GoldBead]] = field(default_factory=dict)
    sources: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)


def load_parallel_documents(
    devset_dir: Path,
    langs: tuple[str, ...] = ("fr", "en", "ar"),
) -> list[ParallelDocument]:
    """Group the devset's aligned lines by document symbol, in French line order."""
    devset_dir = Path(devset_dir)
    columns = {
        lang: (devset_dir / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").splitlines()
        for lang in langs
    }
    ids = (devset_dir / "UNv1.0.devset.ids").read_text(encoding="utf-8").splitlines()
    rows: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row, line in enumerate(ids):
        fields = line.split()
        french_line = next(int(f.split(":")[1]) for f in fields[1:] if f.startswith("fr:"))
        rows[fields[0]].append((french_line, row))
    documents = []
    for symbol, members in rows.items():
        order = [row for _, row in sorted(members)]
        documents.append(
            ParallelDocument(
                symbol=symbol,
                sentences={lang: [columns[lang][r].strip() for r in order] for lang in langs},
            )
        )
    return documents


def _group_sizes(n: int, rng: random.Random) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(rng.choice((1, 1, 2, 2, 3)), n - sum(sizes)))
    return sizes


def make_eval_document(
    doc: ParallelDocument,
    rng: random.Random,
    strangers: list[ParallelDocument],
    *,
    pivot: str = "fr",
    p_merge: float = 0.08,
    p_split: float = 0.08,
    p_drop: float = 0.05,
) -> EvalDocument:
    """Paragraphs of 1–3 sentences; per target language some merged, split or dropped.

    A merge joins two French paragraphs into one target paragraph (gold 2-1), a split cuts a
    multi-sentence paragraph in two in the target (1-2), a drop leaves a French paragraph
    untranslated (1-0) or adds a target paragraph with no French (0-1: a sentence taken from
    one of `strangers`, other documents). Changes never chain, so every gold bead has at most
    2 paragraphs on a side.
    """
    sizes = _group_sizes(len(doc.sentences[pivot]), rng)
    starts = [sum(sizes[:k]) for k in range(len(sizes))]
    base = {
        lang: [" ".join(sents[s : s + n]) for s, n in zip(starts, sizes, strict=True)]
        for lang, sents in doc.sentences.items()
    }
    result = EvalDocument(symbol=doc.symbol, paragraphs={pivot: base[pivot]})
    for lang in doc.sentences:
        if lang == pivot:
            continue
        paragraphs: list[str] = []
        gold: list[GoldBead] = []
        k = 0
        while k < len(sizes):
            roll = rng.random()
            if roll < p_merge and k + 1 < len(sizes):
                gold.append(((k, k + 1), (len(paragraphs),)))
                paragraphs.append(base[lang][k] + " " + base[lang][k + 1])
                k += 2
                continue
            first = starts[k]
            if roll < p_merge + p_split and sizes[k] > 1:
                cut = rng.randint(1, sizes[k] - 1)
                sents = doc.sentences[lang][first : first + sizes[k]]
                gold.append(((k,), (len(paragraphs), len(paragraphs) + 1)))
                paragraphs += [" ".join(sents[:cut]), " ".join(sents[cut:])]
            elif roll < p_merge + p_split + p_drop:
                gold.append(((k,), ()))  # French paragraph with no translation
            elif roll < p_merge + p_split + 2 * p_drop:
                gold.append(((k,), (len(paragraphs),)))
                paragraphs.append(base[lang][k])
                stranger = rng.choice(strangers).sentences[lang]
                gold.append(((), (len(paragraphs),)))
                paragraphs.append(rng.choice(stranger))
            else:
                gold.append(((k,), (len(paragraphs),)))
                paragraphs.append(base[lang][k])
            k += 1
        result.paragraphs[lang] = paragraphs
        result.gold[lang] = gold
    return result


def concatenate(documents: list[EvalDocument], symbol: str = "concatenated") -> EvalDocument:
    """One long document from many (to measure speed and banded search on long inputs)."""
    out = EvalDocument(symbol=symbol, paragraphs={lang: [] for lang in documents[0].paragraphs})
    out.gold = {lang: [] for lang in documents[0].gold}
    for doc in documents:
        offsets = {lang: len(out.paragraphs[lang]) for lang in out.paragraphs}
        for lang, paragraphs in doc.paragraphs.items():
            out.paragraphs[lang] += paragraphs
        for lang, beads in doc.gold.items():
            out.gold[lang] += [
                (tuple(i + offsets["fr"] for i in src), tuple(j + offsets[lang] for j in tgt))
                for src, tgt in beads
            ]
    return out


def build_eval_set(
    devset_dir: Path, seed: int, *, min_sentences: int = 2, **rates: float
) -> list[EvalDocument]:
    rng = random.Random(seed)
    everything = load_parallel_documents(devset_dir)
    docs = [d for d in everything if len(d.sentences["fr"]) >= min_sentences]
    return [
        make_eval_document(d, rng, [x for x in rng.sample(everything, 3) if x is not d], **rates)
        for d in docs
    ]


@dataclass
class LongRates:
    """Per language and per original paragraph, how often the paragraphing is changed.

    Each language (French included) draws on its own, so a fr–en bead can be 2-2 (both
    re-cut), 2-3, 3-1, 4-1 (a merge of four) or 0-1 (French dropped what English kept).
    """

    merge: float = 0.07  # join this and the next 1–3 paragraphs (2-, 3- or 4-paragraph merge)
    split: float = 0.06  # cut a paragraph of 2+ lines in two (or three)
    recut: float = 0.04  # move the boundary between this paragraph and the next
    drop: float = 0.03  # leave the paragraph out (not translated)
    insert: float = 0.03  # add a paragraph taken from another document after this one


def _segment(base: list[list[int]], rng: random.Random, rates: LongRates,
             strangers: list[int]) -> list[tuple[int, ...]]:
    """One language's paragraphs (tuples of line ids) made from the original paragraphs."""
    out: list[tuple[int, ...]] = []
    k = 0
    while k < len(base):
        roll = rng.random()
        edges = (rates.merge, rates.split, rates.recut, rates.drop, rates.insert)
        bounds = [sum(edges[: n + 1]) for n in range(len(edges))]
        if roll < bounds[0] and k + 1 < len(base):
            size = min(rng.choice((2, 2, 2, 3, 3, 4)), len(base) - k)
            out.append(tuple(i for group in base[k : k + size] for i in group))
            k += size
            continue
        lines = base[k]
        if bounds[0] <= roll < bounds[1] and len(lines) > 1:
            cuts = sorted(rng.sample(range(1, len(lines)), min(len(lines) - 1,
                                                               rng.choice((1, 1, 2)))))
            out += [tuple(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)],
                                                       strict=True)]
        elif bounds[1] <= roll < bounds[2] and k + 1 < len(base) and len(lines) + len(
                base[k + 1]) > 2:
            joined = lines + base[k + 1]
            cut = rng.choice([c for c in range(1, len(joined)) if c != len(lines)])
            out += [tuple(joined[:cut]), tuple(joined[cut:])]
            k += 2
            continue
        elif bounds[2] <= roll < bounds[3]:
            pass  # dropped
        elif bounds[3] <= roll < bounds[4]:
            out += [tuple(lines), (rng.choice(strangers),)]
        else:
            out.append(tuple(lines))
        k += 1
    return out


def pair_gold(doc: EvalDocument, src: str, tgt: str) -> list[GoldBead]:
    """Gold src–tgt beads of a long document: paragraphs sharing a corpus line are one bead
    (with any paragraph lying between them on a side), a paragraph sharing none is a bead of
    its own (1-0 or 0-1), in the order `beads.components` gives."""
    from resolign.align.beads import components

    a, b = doc.sources[src], doc.sources[tgt]
    owner_b = {line: j for j, lines in enumerate(b) for line in lines if line >= 0}
    links = [(i, owner_b[x]) for i, lines in enumerate(a) for x in lines if x in owner_b]
    return components(links, len(a), len(b))


def make_long_document(
    docs: list[ParallelDocument],
    rng: random.Random,
    strangers: list[ParallelDocument],
    *,
    pivot: str = "fr",
    rates: LongRates | None = None,
    symbol: str = "long",
) -> EvalDocument:
    """Many corpus documents one after another, paragraphs of 1–3 lines, then each language
    (French too) merges 2–4 paragraphs, splits, re-cuts, drops and inserts on its own."""
    rates = rates or LongRates()
    langs = list(docs[0].sentences)
    lines: dict[str, list[str]] = {lang: [] for lang in langs}
    base: list[list[int]] = []
    for doc in docs:
        first = len(lines[pivot])
        for lang in langs:
            lines[lang] += doc.sentences[lang]
        sizes = _group_sizes(len(doc.sentences[pivot]), rng)
        starts = [first + sum(sizes[:k]) for k in range(len(sizes))]
        base += [list(range(s, s + n)) for s, n in zip(starts, sizes, strict=True)]
    pool = [s for d in strangers for s in range(len(d.sentences[pivot]))]
    foreign = {lang: [] for lang in langs}
    owners = [(d, s) for d in strangers for s in range(len(d.sentences[pivot]))]
    result = EvalDocument(symbol=symbol, paragraphs={})
    for lang in langs:
        picks = [-(k + 1) for k in range(len(pool))]
        sources = _segment(base, rng, rates, picks)
        foreign[lang] = [owners[-x - 1][0].sentences[lang][owners[-x - 1][1]] for x in picks]
        result.sources[lang] = sources
        result.paragraphs[lang] = [
            " ".join(lines[lang][x] if x >= 0 else foreign[lang][-x - 1] for x in group)
            for group in sources
        ]
    # a stranger line is only ever in one language: make ids distinct per language
    for n, lang in enumerate(langs):
        result.sources[lang] = [tuple(x if x >= 0 else x - 1_000_000 * n for x in group)
                                for group in result.sources[lang]]
    result.gold = {lang: pair_gold(result, pivot, lang) for lang in langs if lang != pivot}
    return result


def build_long_eval_set(
    devset_dir: Path,
    seed: int,
    *,
    paragraphs: int = 270,
    rates: LongRates | None = None,
) -> list[EvalDocument]:
    """Long documents (about `paragraphs` French paragraphs each) from the whole corpus,
    documents in a seeded random order, so no document is in two long documents."""
    rng = random.Random(seed)
    everything = load_parallel_documents(devset_dir)
    order = everything[:]
    rng.shuffle(order)
    lines_per_doc = paragraphs * 1.8  # paragraphs of 1, 1, 2, 2 or 3 lines
    groups: list[list[ParallelDocument]] = [[]]
    for doc in order:
        if sum(len(d.sentences["fr"]) for d in groups[-1]) >= lines_per_doc:
            groups.append([])
        groups[-1].append(doc)
    if len(groups) > 1 and sum(len(d.sentences["fr"]) for d in groups[-1]) < lines_per_doc / 2:
        groups.pop()  # too short to be a long document
    out = []
    for n, group in enumerate(groups):
        others = [d for g in groups[:n] + groups[n + 1 :] for d in g] or group
        strangers = rng.sample(others, min(40, len(others)))
        out.append(make_long_document(group, rng, strangers, rates=rates,
                                      symbol=f"long-{seed}-{n}"))
    return out


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float


def bead_scores(predicted: list[GoldBead], gold: list[GoldBead], *, strict: bool = True) -> Scores:
    """Strict: a bead counts when both sides are exactly right. Lax: when it overlaps a gold
    bead on both sides. Beads with an empty side are ignored, as in the issue's judging."""
    pred = [(tuple(s), tuple(t)) for s, t in predicted if s and t]
    ref = [(tuple(s), tuple(t)) for s, t in gold if s and t]
    if strict:
        hits_p = hits_r = len(set(pred) & set(ref))
    else:

        def overlaps(a: GoldBead, b: GoldBead) -> bool:
            return bool(set(a[0]) & set(b[0])) and bool(set(a[1]) & set(b[1]))

        ref_by_src = defaultdict(list)
        for bead in ref:
            for i in bead[0]:
                ref_by_src[i].append(bead)
        pred_by_src = defaultdict(list)
        for bead in pred:
            for i in bead[0]:
                pred_by_src[i].append(bead)
        hits_p = sum(any(overlaps(p, g) for i in p[0] for g in ref_by_src[i]) for p in pred)
        hits_r = sum(any(overlaps(g, p) for i in g[0] for p in pred_by_src[i]) for g in ref)
    precision = hits_p / len(pred) if pred else 0.0
    recall = hits_r / len(ref) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


def join_gold(doc: EvalDocument, pivot: str = "fr") -> list[dict]:
    """The gold beads joined on French exactly as the aligner joins its own output."""
    from resolign.align.beads import Bead
    from resolign.align.trilingual import join_on_pivot

    pairwise = {
        lang: [Bead(src, tgt, 1.0) for src, tgt in beads] for lang, beads in doc.gold.items()
    }
    return [bead.as_json() for bead in join_on_pivot(pairwise, len(doc.paragraphs[pivot]), pivot)]


def project(beads: list[dict], lang: str, pivot: str = "fr") -> list[GoldBead]:
    """fr–`lang` beads read off joined FR–EN–AR beads (as the judging does with --beads output)."""
    return [(tuple(b[pivot]), tuple(b[lang])) for b in beads if b.get(pivot) and b.get(lang)]


def three_way_scores(predicted: list[dict], gold: list[dict],
                     langs: tuple[str, ...] = ("fr", "en", "ar")) -> Scores:
    """Strict P/R/F1 of FR–EN–AR beads (`--beads` rows) against the gold joined on French:
    a bead counts when every language's side is exactly right; beads with an empty side are
    not scored."""
    def full(beads: list[dict]) -> set[tuple[tuple[int, ...], ...]]:
        return {tuple(tuple(b[lang]) for lang in langs) for b in beads
                if all(b.get(lang) for lang in langs)}

    pred, ref = full(predicted), full(gold)
    hits = len(pred & ref)
    precision = hits / len(pred) if pred else 0.0
    recall = hits / len(ref) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


def truncate(doc: EvalDocument, size: int, pivot: str = "fr") -> EvalDocument:
    """The document's first `size` pivot paragraphs (a little more: up to where every pair's
    gold beads all end), with every language's paragraphs, sources and gold cut to match."""
    ends = [sum(len(s) for s, _ in beads[: k + 1])
            for beads in doc.gold.values() for k in range(len(beads))]
    common = [e for e in sorted(set(ends)) if all(
        e in {sum(len(s) for s, _ in beads[: k + 1]) for k in range(len(beads))}
        for beads in doc.gold.values())]
    cut = next((e for e in common if e >= size), len(doc.paragraphs[pivot]))
    out = EvalDocument(symbol=f"{doc.symbol}[:{cut}]",
                       paragraphs={pivot: doc.paragraphs[pivot][:cut]})
    if doc.sources:
        out.sources[pivot] = doc.sources[pivot][:cut]
    for lang, beads in doc.gold.items():
        kept: list[GoldBead] = []
        for src, tgt in beads:
            if src and src[0] >= cut:
                break
            kept.append((src, tgt))
        count = max((j + 1 for _, tgt in kept for j in tgt), default=0)
        out.gold[lang] = kept
        out.paragraphs[lang] = doc.paragraphs[lang][:count]
        if doc.sources:
            out.sources[lang] = doc.sources[lang][:count]
    return out
