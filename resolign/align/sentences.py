"""Rule-based sentence splitting for French, English and Arabic resolution text.

Splits only at whitespace after . ! ? … (Arabic also ؟), so joining the pieces with single
spaces gives the text back modulo whitespace. Abbreviations (M., Mr., No., art., e.g.),
initials (S.E., J.), numbers (1.5, Rev.1) and paragraph marks ("12.", "a)") never end a
sentence. The Arabic semicolon ؛ is deliberately *not* a boundary: in UN Arabic it joins
clauses exactly like ";" in French and English (74 lines of the UN devset carry one inside a
single sentence), and splitting it would make Arabic segments that have no French partner.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    re.findall(
        r"\S+",
        """m mm mme mmes mlle mlles me mr mrs ms dr drs pr prof st sr jr gen col lt amb
        no nos nr n art arts par para paras p pp vol vols ch chap sect sec suppl add corr rev ref
        fig cf op cit ibid id al
        e.g i.e vs v approx ca inc ltd co corp dept univ
        jan janv feb fév févr mar apr avr jun jul juil aug sep sept oct nov dec déc""",
    )
)
# These end a sentence when a capital follows ("at 10 a.m. The meeting ...").
_MAY_END = frozenset({"etc", "a.m", "p.m"})
_END = re.compile(r"[.!?…؟]+(?:[\s\u00a0]*[»”\"’')\]])*(?=\s)")
_OPENERS = "«\"“‘'([¿¡"
_MARK_AHEAD = re.compile(r"(?:\d{1,3}\s*[.)\-–]|[a-z]{1,3}\)|[-–])\s")
_NUMBERED_THINGS = frozenset(
    re.findall(
        r"\S+",
        """annex annexe annexes article articles chapter chapitre part partie section title titre
        schedule appendix appendice phase category catégorie group groupe protocol protocole
        volume table tableau figure option plan type grade class classe list liste""",
    )
)


def _token_before(text: str, end: int) -> str:
    """The word that the punctuation at `end` closes (without the final period)."""
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([«\"“":
        start -= 1
    return text[start:end]


def _next_start(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _starts_sentence(text: str, pos: int, lang: str) -> bool:
    char = text[pos] if pos < len(text) else ""
    if not char:
        return False
    if char in _OPENERS or char.isupper():
        return True
    if char.isdigit() or char in "-–" or char.islower():  # "12. Decides", "b) Les", "2 - يقرر"
        return bool(_MARK_AHEAD.match(text, pos)) or lang == "ar" and not char.islower()
    return lang == "ar" and char.isalpha()


def _is_boundary(text: str, match: re.Match[str], lang: str) -> bool:
    marks = match.group(0)
    at = _next_start(text, match.end())
    nxt = text[at] if at < len(text) else ""
    if not _starts_sentence(text, at, lang):
        return False
    if marks[0] != ".":
        return True  # ! ? … ؟ end a sentence when something sentence-like follows
    word = _token_before(text, match.start())
    bare = re.split(r"[’']", word.strip("«»\"“”'’()[]"))[-1].lower()
    if not bare or word[-1] in ")]»”\"":
        return True  # a lone period, or one closing a bracket or quotation: "(b). The"
    if bare in _MAY_END:  # "at 10 a.m. The", "at 10.44 a.m. 2. In addition"
        return nxt.isupper() or nxt in _OPENERS or bool(_MARK_AHEAD.match(text, at))
    if bare in _ABBREVIATIONS or bare.rstrip(".") in _ABBREVIATIONS:
        return False
    if re.fullmatch(r"(?:[^\W\d_]\.)*[^\W\d_]", bare) and not _numbering_letter(text, match):
        return False  # initials: S.E., J., U.N., single letters
    # "12. Decides" at the start of a paragraph is a mark, not a sentence
    return not (
        re.fullmatch(r"\d{1,3}|[a-z]|[ivxlc]{1,5}", word, re.IGNORECASE)
        and _is_paragraph_mark(text, match.start() - len(word))
    )


def _numbering_letter(text: str, match: re.Match[str]) -> bool:
    """ "annex I." / "Schedule B." end with a numbering letter, not an initial."""
    words = text[: match.start()].split()
    return len(words) >= 2 and words[-2].lower().strip("(«") in _NUMBERED_THINGS


def _is_paragraph_mark(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".:;"


def split_sentences(text: str, lang: str) -> list[str]:
    """Sentences of `text` in order; " ".join(result) equals `text` modulo whitespace."""
    lang = (lang or "").lower()[:2]
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(text):
        if _is_boundary(text, match, lang):
            piece = text[start : match.end()].strip()
            if piece:
                pieces.append(piece)
            start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces
