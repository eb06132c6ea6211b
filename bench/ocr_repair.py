"""OCR repair on damaged French: share of damaged words repaired, share of clean words changed.

Clean French text (UN devset documents by default, or the clean OIC seeds with `--source
seeds`) is damaged with the misreadings a real OCR'd resolution shows (seed 003: "l’" read as
"I’"/"1’"/"[’" or losing its "l", "è"/"ê" read as "é", "ô" as "d", "œ" as "ce", "ç" as "g",
"à" as "a"/"&", stray "¢" and "c" for "é"/"e"), at rates like seed 003's, with a seeded random
generator. Each document is then repaired as `resolign paragraphs` does (`repair_document`:
detection, then repair) and compared word by word with the clean text.

    python bench/ocr_repair.py [--seed 7] [--source devset|seeds] [--quick]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine_line  # noqa: E402

from resolign.align.ocr import repair_document  # noqa: E402

DEVSET = ROOT.parent / "shared" / "data" / "un-devset"
SEEDS = ROOT.parent / "shared" / "seeds"

# kind -> (probability that an occurrence is damaged, {misreading: weight})
# rates as seen in seed 003, where nearly every "l’", "à", "è" and "ê" is misread
LETTER_DAMAGE: dict[str, tuple[float, dict[str, float]]] = {
    "è": (0.9, {"é": 0.82, "e": 0.08, "c": 0.03, "¢": 0.03, "ée": 0.02, "ét": 0.02}),
    "ê": (0.85, {"é": 0.85, "e": 0.15}),
    "ô": (0.8, {"d": 0.6, "o": 0.4}),
    "œ": (0.9, {"ce": 1.0}),
    "ç": (0.5, {"g": 0.5, "c": 0.5}),
    "û": (0.5, {"ui": 0.5, "u": 0.5}),
    "î": (0.3, {"i": 1.0}),
    "â": (0.3, {"a": 1.0}),
    "é": (0.01, {"¢": 0.5, "c": 0.3, "¢é": 0.2}),
    "e": (0.004, {"c": 1.0}),
}
ELISION_DAMAGE = (0.95, {"I": 0.45, "1": 0.43, "[": 0.03, "": 0.09})  # "" = the l is lost
GRAVE_DAMAGE = (0.9, {"a": 0.97, "&": 0.03})  # the word "à"
IN_WORD_GRAVE = (0.5, {"da": 0.5, "a": 0.5})  # "là", "delà", "voilà"


def _pick(rng: random.Random, choices: dict[str, float]) -> str:
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def damage_word(word: str, rng: random.Random, scale: float = 1.0) -> tuple[str, list[str]]:
    """The word as an OCR engine might misread it, and the kinds of damage done. `scale`
    multiplies every damage rate (1.0: seed 003's)."""
    kinds = []
    elision = re.match(r"^([lL])([’'])(?=[^\W\d_])", word)
    if elision and rng.random() < ELISION_DAMAGE[0] * scale:
        word = _pick(rng, ELISION_DAMAGE[1]) + word[1:]
        kinds.append("l’")
    if word == "à" and rng.random() < GRAVE_DAMAGE[0] * scale:
        return _pick(rng, GRAVE_DAMAGE[1]), ["à"]
    out = []
    for i, char in enumerate(word):
        rate, choices = LETTER_DAMAGE.get(char, (0.0, {}))
        if char == "à" and i > 0:
            rate, choices = IN_WORD_GRAVE
        if rate and i > 0 and rng.random() < rate * scale:  # first letters of words stay (capitals)
            out.append(_pick(rng, choices))
            kinds.append(char)
        else:
            out.append(char)
    return "".join(out), kinds


def damage_text(
    text: str, rng: random.Random, scale: float = 1.0
) -> tuple[str, list[list[str]]]:
    """Damage every whitespace-separated word; the text keeps its words and spaces."""
    words, kinds = [], []
    for word in text.split(" "):
        damaged, done = damage_word(word, rng, scale)
        words.append(damaged)
        kinds.append(done)
    return " ".join(words), kinds


def devset_documents(devset: Path) -> list[list[str]]:
    ids = [line.split()[0] for line in (devset / "UNv1.0.devset.ids").read_text().splitlines()]
    lines = (devset / "UNv1.0.devset.fr").read_text(encoding="utf-8").splitlines()
    grouped: dict[str, list[str]] = defaultdict(list)
    for doc, line in zip(ids, lines, strict=False):
        if line.strip():
            grouped[doc].append(line.strip())
    return list(grouped.values())


def seed_documents(seeds: Path) -> list[list[str]]:
    from resolign.align.paragraphs import rebuild_paragraphs

    docs = []
    for prefix in ("000", "001", "002", "004"):  # 003 is the OCR'd one
        (path,) = sorted(seeds.glob(f"{prefix}_*.txt"))
        docs.append([p.match_text for p in rebuild_paragraphs(path.read_text(encoding="utf-8"))])
    return docs


def evaluate(docs: list[list[str]], seed: int, scale: float = 1.0) -> dict:
    rng = random.Random(seed)
    totals: Counter = Counter()
    per_kind: dict[str, Counter] = defaultdict(Counter)
    missed: Counter = Counter()
    changed: Counter = Counter()
    seconds = 0.0
    for doc in docs:
        damaged, kinds = zip(*(damage_text(line, rng, scale) for line in doc), strict=True)
        start = time.perf_counter()
        repaired = [text for text, _ in repair_document(list(damaged), "fr")]
        seconds += time.perf_counter() - start
        for clean, broken, fixed, line_kinds in zip(doc, damaged, repaired, kinds, strict=True):
            clean_words, broken_words = clean.split(" "), broken.split(" ")
            fixed_words = fixed.split(" ")
            if len(fixed_words) != len(clean_words):
                totals["lines with a changed word count"] += 1
                continue
            for c, b, f, k in zip(clean_words, broken_words, fixed_words, line_kinds,
                                  strict=True):
                if b != c:
                    totals["damaged"] += 1
                    totals["repaired"] += f == c
                    for kind in set(k):
                        per_kind[kind]["damaged"] += 1
                        per_kind[kind]["repaired"] += f == c
                    if f != c:
                        missed[(b, f, c)] += 1
                else:
                    totals["clean"] += 1
                    if f != c:
                        totals["clean changed"] += 1
                        changed[(c, f)] += 1
    return {"totals": totals, "per_kind": per_kind, "missed": missed, "changed": changed,
            "seconds": seconds, "docs": len(docs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--source", choices=["devset", "seeds"], default="devset")
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every damage rate (1.0: seed 003's rates)")
    parser.add_argument("--quick", action="store_true", help="20 documents (smoke run)")
    parser.add_argument("--show", type=int, default=15, help="examples of misses and changes")
    args = parser.parse_args()
    docs = devset_documents(args.devset) if args.source == "devset" else seed_documents(SEEDS)
    if args.quick:
        docs = docs[:20]
    result = evaluate(docs, args.seed, args.scale)
    t = result["totals"]
    words = t["damaged"] + t["clean"]
    print(f"## OCR repair, {args.source} French, damage seed {args.seed}, "
          f"damage rates x{args.scale:g}\n")
    print("| documents | words | damaged words | repaired | damaged words repaired "
          "| clean words | clean words changed | share changed | repair time |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {result['docs']} | {words:,} | {t['damaged']:,} | {t['repaired']:,} "
          f"| {t['repaired'] / max(t['damaged'], 1):.1%} | {t['clean']:,} "
          f"| {t['clean changed']:,} | {t['clean changed'] / max(t['clean'], 1):.3%} "
          f"| {result['seconds']:.1f} s |")
    if t["lines with a changed word count"]:
        print(f"\n{t['lines with a changed word count']} lines skipped (word count changed)")
    print("\n| damage kind | damaged words | repaired | share |\n|---|---|---|---|")
    for kind, counts in sorted(result["per_kind"].items(), key=lambda kv: -kv[1]["damaged"]):
        print(f"| {kind} | {counts['damaged']:,} | {counts['repaired']:,} "
              f"| {counts['repaired'] / max(counts['damaged'], 1):.1%} |")
    print("\nMost frequent misses (damaged → output, expected):")
    for (b, f, c), n in result["missed"].most_common(args.show):
        print(f"  {n:4d}  {b} → {f}  ({c})")
    print("\nMost frequent clean words changed (clean → output):")
    for (c, f), n in result["changed"].most_common(args.show):
        print(f"  {n:4d}  {c} → {f}")
    print(f"\n{machine_line()}")


if __name__ == "__main__":
    main()
