"""Conservative repair of OCR misreadings, driven by a real word list (`lexicon`).

OCR'd French resolutions misread a few glyphs again and again: "l’" as "I’", "1’" or "[’" (or
loses the "l": "de ’homme"), "è" as "é" ("matiére"), "ô" as "d" ("rdle"), "œ" as "ce"
("ceuvre"), "e" as "c" ("religicuse"), "é" as "¢" ("si¢ge"), "à" as "a" or "&". A token is
repaired only when

* the document as a whole shows such damage (`is_ocr_damaged`): clean text is never touched;
* undoing one to three known confusions (`CONFUSIONS`, never a list of words) gives a form the
  word list knows, at least `MARGIN` (Zipf units, a factor of 20) more frequent than the token,
  which itself is rare (a misspelling that web text repeats, "matiére", is still 1,000 times
  rarer than "matière"; "Etats" is a normal spelling and stays);
* all-capital tokens, tokens with digits (but ordinals: "48éme") and a token's capital first
  letter are left alone (French capitals often go without accents).

"a" → "à" depends on the next word, not on the word list: a past participle or an adverb
("a été", "a également") keeps the verb; a determiner, infinitive, number or name takes the
preposition ("a la", "a participer", "a Genève"). On clean French this picks the right word
for 98% of "à" and 91% of "a" (UN devset); it is applied only when the document has lost
some of its "à" (`GRAVE_LOSS`).

Every change is returned as a `Repair`, so the extracted text stays recoverable. English has
its own classic confusions ("rn" for "m", "cl" for "d"); Arabic has none yet, so nothing is
repaired there, but the same entry point serves it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations

from resolign.align.lexicon import zipf
from resolign.align.paragraphs import Paragraph, Repair

__all__ = [
    "CONFUSIONS",
    "Repair",
    "is_ocr_damaged",
    "repair_document",
    "repair_paragraphs",
    "repair_text",
]

CONFUSIONS: dict[str, tuple[tuple[str, str, float], ...]] = {
    # (as misread, as printed, cost in Zipf units: how much likelier the misreading must make
    # a word to be preferred). Accent swaps are the commonest misreadings, lost accents and
    # odd glyphs less so ("repére" is "repère" rather than "repéré").
    "fr": (
        ("é", "è", 0.5), ("é", "ê", 0.5),
        ("c", "e", 1.0), ("c", "é", 1.0), ("c", "è", 1.0), ("¢", "é", 1.0), ("¢", "è", 1.0),
        ("d", "ô", 1.0), ("ce", "œ", 1.0), ("g", "ç", 1.0), ("ui", "û", 1.0), ("da", "à", 1.0),
        ("I", "l", 1.0), ("|", "l", 1.0),
        ("e", "é", 1.5), ("e", "è", 1.5), ("e", "ê", 1.5), ("o", "ô", 1.5), ("c", "ç", 1.5),
        ("u", "û", 1.5), ("i", "î", 1.5), ("a", "â", 1.5), ("u", "ù", 1.5),
        ("¢é", "é", 2.0), ("¢&", "é", 2.0), ("ée", "è", 2.0), ("ét", "è", 2.0),
    ),
    "en": (
        ("rn", "m", 1.0), ("cl", "d", 1.0), ("vv", "w", 1.0), ("I", "l", 1.0), ("|", "l", 1.0),
        ("c", "e", 1.0), ("li", "h", 1.5),
    ),
    "ar": (),
}
MARGIN = 1.3
"""The repaired form must be this many Zipf units (a factor of 20) more frequent."""
MIN_ZIPF = 1.5
"""The repaired form must be at least this frequent (about one in 30 million words)."""
KNOWN = 5.0
"""A token this frequent is a word whatever its neighbours ("etat" 5.1; "meme" 4.8 is not)."""
MAX_EDITS = 3
"""Confusions undone in an unknown token; 2 in a rare listed one, 1 in a common one."""
DAMAGE_RATE = 0.002
"""A document is OCR-damaged when at least this share of its words (and 2 words) show a
repairable misreading: 0.005% in the clean compendium (seed 001), 0 in 730 of the 732 UN
devset documents (the other two hold real typos, "1'espace"), 10% in the OCR'd seed 003."""

_L_LOOKALIKE = r"(?:[I1\[|\]!]{1,2})"
_APOSTROPHE = "’'"
_VOWEL_OR_H = "aeiouyhàâäéèêëîïôöûüœæ"
# "I’Organisation", "1’adoption", "[’Organisation", "1I’homme", "I’ Assemblée"
_DAMAGED_ELISION = re.compile(
    r"(?<![\w’'\[\]|!])(" + _L_LOOKALIKE + r")([’'])[ ]?(?=((?:[^\W\d_]|[¢&|])+))"
)
# "de ’homme": the l was lost
_LOST_L = re.compile(r"(?:(?<=\s)|^)([’'])(?=([^\W\d_]+))")
_L_LOOKALIKE_START = re.compile(r"^(?:" + _L_LOOKALIKE + r")?(?=[’'][^\W\d_])")
_WORD = re.compile(r"(?:[^\W\d_]|[¢&|])+")
_WORD_WITH_DIGITS = re.compile(r"[\w¢&|]+")
_ORDINAL = re.compile(r"(\d{1,4})((?:[^\W\d_]|[¢&|]){1,4})")
_A = re.compile(r"(?<![\w’'\-])([a&])(?=\s+(\S+))")
# "a été", "a pris", "a fait", "a reçu", "a ouvert", "a atteint", "a également"; not the
# nouns and pronouns "à tous", "à vie", "à chaque", "à nouveau", "à peu" (but "à proximité")
_NEXT_PARTICIPLE = re.compile(r"(?:é|ée|és|ées|i|is|it|(?<![ae])u|û|^eu|ert|erts|int|ment)$")
_NEXT_INFINITIVE = re.compile(r"(?:er|ir|re|oir)$")


def _starts_elidable(word: str, lang: str, names: bool = False) -> bool:
    """A listed word (or, with `names`, any capitalised one: "I’Oummah", "1’AGNU") that
    starts with a vowel or h, as an elided "l’" requires."""
    if word[:1].lower() not in _VOWEL_OR_H:
        return False
    return (names and word[:1].isupper()) or zipf(word, lang) >= MIN_ZIPF


def _capital_l(text: str, start: int, word: str) -> bool:
    """"L’" rather than "l’": at a sentence start, or inside an all-capital title."""
    before = text[:start].rstrip()
    if not before or before[-1] in "!?:»\"”":
        return True
    last = before.split()[-1]
    if before[-1] == "." and len(re.sub(r"[^\w]", "", last.split(".")[-2] if "." in last[:-1]
                                        else last)) >= 3:
        return True  # "... conflits. L’Organisation", not "S.E. l’Ambassadeur"
    return word.isupper() and len(word) > 1 and last.isupper()


def _elisions(text: str, lang: str) -> list[tuple[int, int, str, str]]:
    """(start, end, replacement, kind) for damaged and lost "l’" (French only)."""
    if lang != "fr":
        return []
    found = []
    for match in _DAMAGED_ELISION.finditer(text):
        word = match.group(3)
        if _starts_elidable(repair_word(word, lang) or word, lang, names=True):
            letter = "L" if _capital_l(text, match.start(), word) else "l"
            found.append((match.start(), match.end(), letter + match.group(2), "elision"))
    for match in _LOST_L.finditer(text):
        after = match.end() + len(match.group(2))
        quoted = text[after : after + 1] in _APOSTROPHE  # 'word' is a quotation
        if not quoted and _starts_elidable(match.group(2), lang):
            letter = "L" if _capital_l(text, match.start(), match.group(2)) else "l"
            found.append((match.start(), match.end(), letter + match.group(1), "lost-l"))
    return found


def _variants(
    word: str, confusions: Iterable[tuple[str, str, float]], max_edits: int
) -> Iterable[tuple[str, float]]:
    """(spelling, cost) for every way of undoing 1..max_edits non-overlapping confusions that
    leaves some of the token unchanged (a whole token is never swapped: "da" stays)."""
    sites = []
    for damaged, printed, cost in confusions:
        start = word.find(damaged, 1 if word[:1].isupper() else 0)
        while start >= 0:
            sites.append((start, start + len(damaged), printed, cost))
            start = word.find(damaged, start + 1)
    if len(sites) > 24:  # a long unknown word with many e's: too many guesses to trust
        return
    for n in range(1, max_edits + 1):
        for chosen in combinations(sorted(sites), n):
            if any(a[1] > b[0] for a, b in zip(chosen, chosen[1:], strict=False)):
                continue
            if sum(end - start for start, end, *_ in chosen) >= len(word):
                continue
            out, last = [], 0
            for start, end, printed, _cost in chosen:
                out.append(word[last:start])
                out.append(printed)
                last = end
            out.append(word[last:])
            yield "".join(out), sum(cost for *_, cost in chosen)


@lru_cache(maxsize=65536)
def repair_word(word: str, lang: str) -> str | None:
    """The word the token was misread from, or None when it is a word or no repair is sure.
    Among listed spellings frequent enough, the likeliest: highest Zipf minus confusion cost."""
    if len(word) < 2 or (word.isupper() and len(word) > 1) or any(c.isdigit() for c in word):
        return None
    confusions = CONFUSIONS.get(lang, ())
    if not confusions:
        return None
    own = zipf(word, lang)
    if own >= KNOWN:
        return None
    # a listed word is more likely right than thrice misread (and guessing is costly)
    max_edits = MAX_EDITS if own == 0 else 2 if own < 3 else 1
    best: tuple[float, str] | None = None
    for candidate, cost in _variants(word, confusions, max_edits):
        score = zipf(candidate, lang)
        if score >= max(MIN_ZIPF, own + MARGIN) and (best is None or score - cost > best[0]):
            best = (score - cost, candidate)
    return best[1] if best else None


@lru_cache(maxsize=65536)
def _token_repair(token: str, lang: str) -> tuple[int, str] | None:
    """(offset, repaired form) for a token of letters (or an ordinal, "48éme": its suffix)."""
    offset = 0
    ordinal = _ORDINAL.fullmatch(token)
    if ordinal:
        token, offset = ordinal.group(2), len(ordinal.group(1))
    if not _WORD.fullmatch(token) or not any(c.isalpha() for c in token):
        return None
    repaired = repair_word(token, lang)
    return None if repaired is None else (offset, repaired)


def _word_repairs(text: str, lang: str) -> list[tuple[int, int, str, str]]:
    found = []
    for match in _WORD_WITH_DIGITS.finditer(text):
        repair = _token_repair(match.group(0), lang)
        if repair is not None:
            found.append((match.start() + repair[0], match.end(), repair[1], "letters"))
    return found


def _a_grave(text: str, lang: str, ampersand: bool = True) -> list[tuple[int, int, str, str]]:
    """"a"/"&" that stand for the preposition "à" (see the module docstring)."""
    if lang != "fr":
        return []
    found = []
    for match in _A.finditer(text):
        if match.group(1) == "&" and not ampersand:
            continue
        nxt = match.group(2).strip("«»\"“”()[],;:.")
        nxt = _L_LOOKALIKE_START.sub("l", nxt)  # "a I’issue", "a ’issue": "l’" damaged too
        if not nxt or not (nxt[0].isalpha() or nxt[0].isdigit()):
            continue
        if match.group(1) == "&":  # "solutions & des", "prisons & Tripoli"; not "IOJ & K"
            before = text[: match.start()].split()
            common = bool(before) and (before[-1][:1].islower() or before[-1][-1] in ",;")
            if common and _takes_preposition(nxt):
                found.append((match.start(), match.end(), "à", "à"))
            continue
        if _takes_preposition(nxt):
            found.append((match.start(), match.end(), "à", "à"))
    return found


def _takes_preposition(nxt: str) -> bool:
    if nxt[0].isdigit() or re.match(r"^\w{1,3}[’']", nxt):
        return True
    if nxt[0].isupper() and not nxt.isupper():
        return True  # a name: "a Genève"; an all-capital verb is read as a word below
    word = nxt.lower()
    if _NEXT_INFINITIVE.search(word):
        return True
    return not _NEXT_PARTICIPLE.search(word)


GRAVE_LOSS = 0.05
""""à" is restored when "a" stands where the preposition belongs (by `_takes_preposition`) in
at least this share of such places: 2.4% on clean UN devset French (verbs taken
for prepositions), 25% when OCR misread a third of the "à"."""


def _lost_grave(texts: list[str]) -> bool:
    """Has the document lost some of its "à" to "a"?"""
    lost = kept = 0
    for text in texts:
        kept += len(re.findall(r"(?<![\w’'\-])à(?![\w’'])", text))
        lost += sum(1 for _ in _a_grave(text, "fr", ampersand=False))
    return lost >= 1 and lost >= GRAVE_LOSS * (lost + kept)


def _token_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The whitespace-delimited token around text[start:end], without outer punctuation."""
    left = start
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    right = max(end, start + 1)
    while right < len(text) and not text[right].isspace():
        right += 1
    while left < start and text[left] in _OUTER:
        left += 1
    while right > end and text[right - 1] in _OUTER:
        right -= 1
    return left, right


_OUTER = "«»\"“”()[],;:.!?…"


def _apply(text: str, edits: list[tuple[int, int, str, str]]) -> tuple[str, list[Repair]]:
    """Apply non-overlapping edits; one Repair per changed token (its edits merged)."""
    kept: list[tuple[int, int, str, str]] = []
    for edit in sorted(edits):
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    groups: dict[tuple[int, int], list[tuple[int, int, str, str]]] = {}
    for edit in kept:
        left, right = _token_bounds(text, edit[0], edit[1])
        groups.setdefault((min(left, edit[0]), max(right, edit[1])), []).append(edit)
    repairs = []
    for (left, right), group in sorted(groups.items()):
        repaired, last = [], left
        for start, end, replacement, _kind in group:
            repaired += [text[last:start], replacement]
            last = end
        repaired.append(text[last:right])
        kinds = "+".join(dict.fromkeys(kind for *_, kind in group))
        repairs.append(Repair(text[left:right], "".join(repaired), kinds))
    out, last = [], 0
    for start, end, replacement, _kind in kept:
        out += [text[last:start], replacement]
        last = end
    out.append(text[last:])
    return "".join(out), repairs


def _damage_signals(texts: list[str], lang: str) -> tuple[int, int]:
    """(words, words showing a repairable misreading) over the document."""
    tokens = Counter(_WORD_WITH_DIGITS.findall("\n".join(texts)))
    signals = sum(n for token, n in tokens.items() if _token_repair(token, lang) is not None)
    for text in texts:
        # "I’"/"1’" before a word is never French: it counts twice (one is enough)
        signals += sum(2 if kind == "elision" else 1 for *_, kind in _elisions(text, lang))
    return sum(tokens.values()), signals


SAMPLE_WORDS = 20_000
"""The damage rate is read on about this many words, paragraphs taken evenly through a longer
document: at rates of 0.005% (clean) and 10% (OCR'd) against a threshold of 0.2%, 20,000 words
decide as surely as all of them, and looking up the misreadings of every rare word of a
1,000-paragraph document took 0.8 s of a 15 s alignment."""


def _evenly(texts: list[str], words: int = SAMPLE_WORDS) -> list[str]:
    """Every k-th text, k chosen so that about `words` words are kept (all when fewer)."""
    total = sum(text.count(" ") + 1 for text in texts)
    step = -(-total // words)
    return texts if step <= 1 else texts[::step]


def is_ocr_damaged(texts: list[str], lang: str) -> bool:
    """Does the document show OCR misreadings often enough to be repaired (judged on
    `SAMPLE_WORDS` words spread over it)?"""
    words, signals = _damage_signals(_evenly(texts), lang)
    return signals >= 2 and signals >= DAMAGE_RATE * words


def repair_text(text: str, lang: str, *, grave: bool = False) -> tuple[str, list[Repair]]:
    """`text` with its misreadings undone, and what was changed (no document-level check:
    use `repair_document`). `grave` also restores "à" read as "a"."""
    edits = _elisions(text, lang) + _word_repairs(text, lang)
    if grave:
        edits += _a_grave(text, lang)
    return _apply(text, edits)


def repair_document(texts: list[str], lang: str) -> list[tuple[str, list[Repair]]]:
    """Each text repaired, or left as it is when the document does not look OCR'd."""
    if not CONFUSIONS.get(lang) or not is_ocr_damaged(texts, lang):
        return [(text, []) for text in texts]
    grave = lang == "fr" and _lost_grave(texts)
    return [repair_text(text, lang, grave=grave) for text in texts]


def repair_paragraphs(paragraphs: list[Paragraph], lang: str) -> list[Paragraph]:
    """Repair each paragraph's `match_text` in place (when the document looks OCR'd), keep
    what was changed in `repairs`; `text` stays as extracted. Returns the same list."""
    fixed = repair_document([p.match_text for p in paragraphs], lang)
    for paragraph, (text, repairs) in zip(paragraphs, fixed, strict=True):
        paragraph.match_text, paragraph.repairs = text, repairs
    return paragraphs
