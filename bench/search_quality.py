"""What a translator's look-ups find: word-form concordance, typos, pasted passages, parts.

    python bench/search_quality.py                  # devset paragraphs (+ their sentences)
    python bench/search_quality.py --queries 100    # fewer passage queries

The memory: UN devset documents (Ziemski, Junczys-Dowmunt and Pouliquen, LREC 2016), each
document's consecutive sentences grouped into paragraphs of 1-4 sentences (seeded), stored as
FR/EN/AR units; a second memory also holds every sentence as its own unit (what `align
--sentences` and the demo store). Figures, through the same calls the HTTP API makes:

- concordance: recall and precision of word-form phrase queries (every page read, the total
  checked against the pages). The gold is each query's hand-written pattern of the forms a
  translator means (plural, ligature, Arabic proclitics), matched on the raw text with harakat
  stripped — not the search's own rules.
- typo: a paragraph with two adjacent letters of one word swapped finds that paragraph first.
- two paragraphs: two consecutive paragraphs pasted as one query (joined by a blank line, and
  by a space) bring both into the top 5.
- first half: the first half (by words) of a paragraph finds that paragraph first.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEVSET = HERE.parent.parent / "shared" / "data" / "un-devset"

from common import machine_line  # noqa: E402

from resolign.units import Unit  # noqa: E402

_HARAKAT = re.compile("[\u064b-\u0652\u0640]")
_AR_PRE = r"(?<![\w])(?:[وف]?(?:[بك]?ال|لل|ل)?)"
"""Arabic proclitics before a noun with the article: و/ف, then ب/ك + ال, or لل (ل + ال)."""

GOLD: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("mise en oeuvre", r"\bmises? en (?:oe|œ)uvre\b"),
        ("État Membre", r"\b[ée]tats? membres?\b"),
        ("droit de l'homme", r"\bdroits? de l['’]homme\b"),
        ("Conseil de sécurité", r"\bconseils? de s[ée]curit[ée]s?\b"),
        ("maintien de la paix", r"\bmaintiens? de la paix\b"),
        ("organisation non gouvernementale",
         r"\borganisations? non gouvernementales?\b"),
        ("pays en développement", r"\bpays en d[ée]veloppement\b"),
        ("rapport du Secrétaire général", r"\brapports? du secr[ée]taire g[ée]n[ée]ral\b"),
        ("Assemblée générale", r"\bassembl[ée]es? g[ée]n[ée]rales?\b"),
    ],
    "en": [
        ("peacekeeping operation", r"\bpeacekeeping operations?\b"),
        ("developing country", r"\bdeveloping countr(?:y|ies)\b"),
        ("Member State", r"\bmember states?\b"),
        ("human right", r"\bhuman rights?\b"),
        ("General Assembly", r"\bgeneral assembl(?:y|ies)\b"),
        ("Security Council", r"\bsecurity councils?\b"),
        ("non-governmental organization", r"\bnon-governmental organi[sz]ations?\b"),
        ("report of the Secretary-General", r"\breports? of the secretary-general\b"),
    ],
    "ar": [
        ("الأمم المتحدة", _AR_PRE + r"[أا]مم المتحد[ةه]"),
        ("حقوق الإنسان", r"(?<![\w])[وف]?[بكل]?حقوق ال[إا]نسان"),
        ("مجلس الأمن", r"(?<![\w])[وف]?[بكل]?مجلس ال[أا]من"),
        ("الجمعية العامة", _AR_PRE + r"جمعي[ةه] العام[ةه]"),
        ("الدول الأعضاء", _AR_PRE + r"دول ال[أا]عضاء"),
        ("الأمين العام", _AR_PRE + r"[أا]مين العام"),
    ],
}


def build_units(seed: int = 5) -> tuple[list[Unit], list[Unit], list[list[int]]]:
    """(paragraph units, sentence units, per document the paragraph indices in order)."""
    from resolign.align.evaluation import load_parallel_documents

    rng = random.Random(seed)
    paragraphs: list[Unit] = []
    sentences: list[Unit] = []
    documents: list[list[int]] = []
    for doc in load_parallel_documents(DEVSET):
        n = len(doc.sentences["fr"])
        order: list[int] = []
        k = 0
        while k < n:
            size = min(n - k, rng.choice((1, 2, 2, 3, 3, 4)))
            texts = {lang: " ".join(doc.sentences[lang][k:k + size]) for lang in ("fr", "en", "ar")}
            order.append(len(paragraphs))
            paragraphs.append(Unit(texts=texts, document=doc.symbol, paragraph=str(len(order))))
            if size > 1:
                for j in range(k, k + size):
                    sentences.append(Unit(texts={lang: doc.sentences[lang][j]
                                                 for lang in ("fr", "en", "ar")},
                                          document=doc.symbol))
            k += size
        documents.append(order)
    return paragraphs, sentences, documents


def gold_ids(memory, lang: str, pattern: str) -> set[int]:
    rx = re.compile(pattern, re.IGNORECASE)
    return {u.id for u in memory.iter_units()
            if lang in u.texts and rx.search(_HARAKAT.sub("", u.texts[lang]))}


def concordance_figures(memory) -> list[tuple]:
    rows = []
    for lang, queries in GOLD.items():
        for query, pattern in queries:
            gold = gold_ids(memory, lang, pattern)
            found: list[int] = []
            offset, total = 0, None
            while True:
                page = memory.concordance(query, lang=lang, limit=50, offset=offset)
                total = page.total
                found += [h.unit_id for h in page.hits]
                offset += len(page.hits)
                if not page.hits or offset >= page.total:
                    break
            hit = set(found)
            recall = len(hit & gold) / len(gold) if gold else 1.0
            precision = len(hit & gold) / len(hit) if hit else 1.0
            rows.append((lang, query, len(gold), len(hit), total == len(found) == len(hit),
                         recall, precision))
    return rows


def swap_letters(text: str, rng: random.Random) -> str | None:
    spots = [m for m in re.finditer(r"[^\W\d_]{5,}", text)]
    if not spots:
        return None
    word = rng.choice(spots)
    i = rng.randrange(word.start() + 1, word.end() - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def passage_figures(memory, paragraphs: list[Unit], ids: list[int],
                    documents: list[list[int]], n: int, seed: int = 9) -> dict[str, tuple]:
    rng = random.Random(seed)
    long_enough = [i for i, p in enumerate(paragraphs) if len(p.texts["fr"].split()) >= 12]
    out: dict[str, tuple] = {}
    times: list[float] = []

    def top(query: str, k: int) -> list[int]:
        start = time.perf_counter()
        found = memory.search(query, src="fr", tgt="en", limit=k, semantic=False)
        times.append(time.perf_counter() - start)
        return [m.unit_id for m in found]

    picks = rng.sample(long_enough, min(n, len(long_enough)))
    ok = tried = 0
    for i in picks:
        query = swap_letters(paragraphs[i].texts["fr"], rng)
        if query is None:
            continue
        tried += 1
        ok += top(query, 1)[:1] == [ids[i]]
    out["typo: paragraph with two letters swapped, found first"] = (ok, tried)

    pairs = [(d[j], d[j + 1]) for d in documents for j in range(len(d) - 1)]
    for joiner, name in (("\n\n", "blank line"), (" ", "space")):
        ok = tried = 0
        for a, b in rng.sample(pairs, min(n, len(pairs))):
            query = paragraphs[a].texts["fr"] + joiner + paragraphs[b].texts["fr"]
            found = top(query, 5)
            tried += 1
            ok += ids[a] in found and ids[b] in found
        out[f"two consecutive paragraphs joined by a {name}, both in the top 5"] = (ok, tried)

    ok = tried = 0
    for i in picks:
        words = paragraphs[i].texts["fr"].split()
        query = " ".join(words[:len(words) // 2])
        tried += 1
        ok += top(query, 1)[:1] == [ids[i]]
    out["first half of a paragraph, found first"] = (ok, tried)
    out["_times"] = (statistics.median(times) * 1000, max(times) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    from resolign.service.memory import Memory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    paragraphs, sentences, documents = build_units()
    print(f"# Search quality — {len(paragraphs)} devset paragraphs ({len(sentences)} sentences "
          f"of the multi-sentence ones)\n")
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("paragraphs", []), ("paragraphs + sentences", sentences)):
            with Memory.open(Path(tmp) / f"{len(extra)}.db", encoder="none") as memory:
                memory.add_units(paragraphs + extra)
                by_text = {u.texts["fr"]: u.id for u in memory.iter_units()}
                ids = [by_text[p.texts["fr"]] for p in paragraphs]
                print(f"## Memory: {label} ({memory.count()} units)\n")
                rows = concordance_figures(memory)
                print("| lang | query | gold | found | total = pages | recall | precision |")
                print("|---|---|---|---|---|---|---|")
                for lang, query, gold, found, paged, recall, precision in rows:
                    print(f"| {lang} | {query} | {gold} | {found} | {'yes' if paged else 'NO'} "
                          f"| {recall:.3f} | {precision:.3f} |")
                gold_all = sum(r[2] for r in rows)
                hit_all = sum(round(r[2] * r[5]) for r in rows)
                found_all = sum(r[3] for r in rows)
                good = sum(round(r[3] * r[6]) for r in rows)
                print(f"\nOverall recall {hit_all / gold_all:.3f} ({hit_all}/{gold_all}), "
                      f"precision {good / max(1, found_all):.3f} ({good}/{found_all}); "
                      f"lowest per-query recall {min(r[5] for r in rows):.3f}\n")
                figures = passage_figures(memory, paragraphs, ids, documents, args.queries)
                p50, worst = figures.pop("_times")
                print("| passage look-up | found | rate |")
                print("|---|---|---|")
                for name, (ok, tried) in figures.items():
                    print(f"| {name} | {ok}/{tried} | {ok / max(1, tried):.1%} |")
                print(f"\nsearch p50 {p50:.0f} ms, slowest {worst:.0f} ms (no semantic)\n")
    print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
