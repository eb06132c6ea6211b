"""Rebuild translator-sized paragraphs from PDF/OCR text extractions.

Extractions come in a few layouts, detected per document rather than assumed:
* "wrapped": hard-wrapped lines (about one printed line each). Blank lines may separate
  paragraphs, may follow *every* line (double spacing: then they carry no information) or may
  be absent (pypdf). Page breaks show as a form feed or as a line starting with a space right
  after a non-blank line; the footnotes printed just above a page break are detached.
* "flowed": one paragraph per line (Word-like exports), where only page breaks split a
  paragraph and repeated running-header blocks interrupt the text.
A split paragraph is rejoined when the next piece starts lower-case, with a digit or bracket,
or the previous piece ends on a function word ("de", "the", "&" ...). Numbered paragraphs,
headings and resolution symbol lines always start a unit of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

__all__ = [
    "Paragraph",
    "Repair",
    "clean_markup",
    "is_symbol_heading",
    "presegmented_paragraphs",
    "rebuild_paragraphs",
]


ParagraphKind = Literal["paragraph", "heading", "footnote"]
"""A heading (title, resolution heading) and a footnote are kept apart from body paragraphs:
a heading never joins the paragraph after it, footnotes come after the body."""


@dataclass(frozen=True)
class Repair:
    """One changed token: as extracted, as repaired, and which confusion was undone
    (`ocr.py` makes them; a paragraph keeps them)."""

    original: str
    repaired: str
    kind: str  # "elision" | "lost-l" | "letters" | "à"

    def as_json(self) -> dict[str, str]:
        return {"original": self.original, "repaired": self.repaired, "kind": self.kind}


@dataclass
class Paragraph:
    """One rebuilt paragraph. `text` is what the extraction holds (markup, misreadings);
    `match_text` is the document's words: no markup, OCR misreadings repaired (`repairs` says
    what was changed). Units, embeddings and search use `match_text`."""

    text: str
    match_text: str
    number: str = ""
    kind: ParagraphKind = "paragraph"
    repairs: list[Repair] = field(default_factory=list)
    resolution: str = ""  # symbol of the compendium resolution it belongs to ("1/47-POL")
    resolution_title: str = ""


# --- line classification -------------------------------------------------------------------

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_MARK = r"(?:\d{1,3}|[a-z]|[ivx]{1,4}|[\u0621-\u064A])"
_NUMBERED = re.compile(
    r"^\s*(?:[-–•·]\s*)?(?:\*\*)?(?:\((" + _MARK + r")\)|(" + _MARK + r")\s*[.)\-–])"
    r"(?:\*\*)?(?:\s|$)"
)
_BARE_NUMBER = re.compile(r"^\s*(\d{1,3})\s{2,}(?=[A-ZÀ-ÖØ-Þ])")
_BULLET = re.compile(r"^\s*[-–•·]\s+\S")
_OPENER = re.compile(
    r"^\s*(?:L[’']Assemblée générale|Le Conseil de sécurité|Le Conseil économique et social"
    r"|Le Conseil des droits de l[’']homme|The General Assembly|The Security Council"
    r"|The Economic and Social Council|The Human Rights Council|إن الجمعية العامة|إن مجلس الأمن"
    r"|إن مجلس حقوق الإنسان)\s*[,،]?\s*$",
    re.IGNORECASE,
)
_SYMBOL_HEADING = re.compile(
    r"^\W*(?:[A-Z]{0,3}R[ÉE]SOLUTIONS?|RESOLUCIÓN)\s*(?:N[°ºo]\.?|NO\.?|Nº|NUMBER)?\s*"
    r"\d{1,3}\s*/\s*\d{1,3}(?:\s*[-–‐]?\s*[A-Z&]{1,6}|\s*[-–‐]\s*[\u0621-\u064A]{1,4})?\W*$"
    r"|^\W*(?:ال)?قرار\s*(?:رقم)?\s*:?\s*\d{1,3}\s*/\s*\d{1,3}(?:\s*[-–‐]\s*[\u0621-\u064A]{1,4})?\W*$",
    re.IGNORECASE,
)
_SUPERSCRIPT_SUFFIX = re.compile(r"^(?:ème|eme|ère|er|re|e|nd|st|rd|th)$")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*(?:/|of|sur)\s*\d{1,4})?$", re.IGNORECASE
)
_FOOTNOTE_START = re.compile(
    r"^(\d{1,3}|[*!%>®?†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})\s+(?=[A-ZÀ-ÖØ-Þ(«\"“/]|[Vv]oir\b|[Ss]ee\b)"
)
_BARE_MARK = re.compile(r"^[*†‡§]{1,3}$")
_FEW_ALNUM = re.compile(r"^[\W_]*(?:[^\W_][\W_]*)?$")
_RULE = re.compile(r"^[_\-–—=.·\s]{5,}$")
_TERMINAL = re.compile(r"[.!?…:;؟؛](?:\s*[»”\"’)\]])*\s*$")
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\S+",
        """de du des la le les l d au aux à a et ou en par pour sur avec dans un une que qui dont
        ce cette ces son sa ses leur leurs notre nos nous vous il elle ils elles ne se sous entre
        vers chez contre sans selon depuis lors dès afin
        the of and or to in for on at by with from an as that which this these its their our we
        is are be was were has have into under between against without""",
    )
)


def _strip_md(text: str) -> str:
    return text.replace("**", "").replace("~~", "")


def is_symbol_heading(text: str) -> bool:
    """A line that is only a resolution number: "RESOLUTION N°1/47-POL", "القرار رقم 1/47-س"."""
    if len(text) > 80:
        return False
    return bool(_SYMBOL_HEADING.match(_strip_md(text).translate(_ARABIC_DIGITS).strip()))


@lru_cache(maxsize=8192)
def _is_caps(text: str) -> bool:
    if len(text) > 400:
        return False
    core = clean_markup(text)
    cased = [c for c in core if c.isupper() or c.islower()]
    if len(cased) < 2 or len(core) > 250:
        return False
    return sum(c.isupper() for c in cased) >= 0.8 * len(cased)


def _numbered(text: str, last: int | None = None) -> str | None:
    """The paragraph number at the start of `text`, or None. A bare "21  Text" counts only
    when it continues the running sequence (OCR often loses the dot)."""
    found = _NUMBERED.match(text[:24].translate(_ARABIC_DIGITS))
    if found:
        return found.group(1) or found.group(2)
    bare = _BARE_NUMBER.match(text)
    if bare and last is not None and int(bare.group(1)) == last + 1:
        return bare.group(1)
    return None


def _is_toc_row(text: str) -> bool:
    return "\t" in text and bool(re.search(r"\t\s*\d{1,4}\s*$", text) or text.count("\t") >= 2)


@lru_cache(maxsize=8192)
def _heading_line(text: str) -> bool:
    if _is_toc_row(text):
        return False
    return is_symbol_heading(text) or bool(_OPENER.match(text)) or (
        _is_caps(text) and _numbered(text) is None
    )


def _short_title(text: str, limit: int = 80) -> bool:
    core = clean_markup(text)
    first = next((c for c in core if c.isalnum()), "")
    return (
        0 < len(core) <= limit
        and "\t" not in text
        and not re.search(r"[.;,:،؛]\s*$", core)
        and (first.isupper() or first.isdigit() or first.isalpha() and not first.islower())
        and _numbered(text) is None
        and not _BULLET.match(text)
    )


def _first_letter(text: str) -> str:
    return next((c for c in text if c.isalpha()), "")


def _open_bold(so_far: str) -> bool:
    """A short unit that opened "**" and has not closed it yet (a bold title over lines).
    Stray marks ("FELICITE**") are ignored rather than gluing the rest of the document."""
    return so_far.startswith("**") and so_far.count("**") % 2 == 1 and len(so_far) < 300


def _ends_open(text: str) -> bool:
    """Ends on a word that cannot end a sentence ("de", "the", "&")."""
    text = clean_markup(text)
    if not text or text[-1] in "&-–/’'":
        return bool(text)
    return re.split(r"[\s’']", text)[-1].lower() in _FUNCTION_WORDS


def _continues(prev: str, nxt: str) -> bool:
    """Does `nxt` carry on the sentence that `prev` left open (page break, column break)?"""
    prev = prev.rstrip()
    if not prev:
        return False
    letter = _first_letter(nxt)
    head = nxt.lstrip()[:1]
    if letter.islower() and not _NUMBERED.match(nxt) and head not in "«\"“-–•":
        return True
    if _TERMINAL.search(prev) or prev.endswith((",", "،")):
        return False
    if head.isdigit() or head in "([{":
        return True
    if _ends_open(prev):
        return True
    return bool(letter) and not (letter.isupper() or letter.islower())  # Arabic: no case


# --- markup ---------------------------------------------------------------------------------


_MARKUP_SIGNS = frozenset("~*_<^®¹²³⁴⁵⁶⁷⁸⁹⁰”")
"""Every rule of `clean_markup` but the spacing needs one of these characters."""


def clean_markup(text: str) -> str:
    """The wording without layout markup, for matching and embedding."""
    if _MARKUP_SIGNS.isdisjoint(text):  # plain text (most paragraphs): only the spacing
        return re.sub(r"\s+", " ", text).strip()
    s = re.sub(r"~~.*?~~", "", text)  # struck-out words are not part of the adopted text
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", s)
    s = re.sub(r"</?(?:i|b|em|strong|u|sup|sub|span)\b[^>]*>", "", s, flags=re.IGNORECASE)
    s = re.sub(r"\^\{\s*(?:\d+|[*†‡])\s*\}", "", s)  # footnote calls
    s = re.sub(r"\^\{([^}]*)\}", r"\1", s)  # 47^{ème} -> 47ème
    s = re.sub(r"(?<=\d)\^(?=[^\W\d_]{1,3}\b)", "", s)  # 39^e -> 39e
    s = re.sub(r"(?<=[^\W\d_])[®¹²³⁴⁵⁶⁷⁸⁹⁰]+", "", s)  # OCR'd footnote call glued to a word
    s = re.sub(r"(?<=[^\W\d_][,.;)])[®¹²³⁴⁵⁶⁷⁸⁹⁰]+", "", s)
    if "“" not in s:
        s = re.sub(r"(?<=[^\W\d_])”(?=[\s,;.]|$)", "", s)  # stray superscript read as a quote
    return re.sub(r"\s+", " ", s).strip()


def _paragraph(text: str, kind: str = "paragraph", number: str | None = None) -> Paragraph:
    if number is None:
        number = "" if _is_toc_row(text) else (_numbered(text) or "")
    return Paragraph(text=text, match_text=clean_markup(text), number=number, kind=kind)


def presegmented_paragraphs(text: str) -> list[Paragraph]:
    """One paragraph per non-empty line, as given (DOCX, aligned plain text)."""
    out: list[Paragraph] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n"):
        line = line.strip()
        if line:
            out.append(_paragraph(line, _kind(line)))
    return out


# --- reconstruction -------------------------------------------------------------------------


@dataclass
class _Line:
    text: str
    trailing: int  # spaces after the text (Word exports leave two after a paragraph end)
    blank_before: int
    indented: bool  # starts with whitespace right after a non-blank line
    form_feed: bool
    page_start: bool = False


def _read_lines(text: str) -> list[_Line]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\f\n")
    lines: list[_Line] = []
    blanks, feed = 0, False
    for raw in text.split("\n"):
        if raw == "\f":
            feed = True
            continue
        if not raw.strip():
            blanks += 1
            continue
        stripped = raw.rstrip()
        lines.append(
            _Line(
                text=raw.strip(),
                trailing=len(raw) - len(stripped),
                blank_before=blanks,
                indented=bool(lines) and blanks == 0 and raw[:1].isspace(),
                form_feed=feed,
            )
        )
        blanks, feed = 0, False
    return lines


def _glue_superscripts(lines: list[_Line]) -> list[_Line]:
    """"7" / "ème" on lines of their own (a raised suffix) become "7ème"."""
    out: list[_Line] = []
    for line in lines:
        if (
            out
            and _SUPERSCRIPT_SUFFIX.match(line.text)
            and re.fullmatch(r"\d{1,4}", out[-1].text)
        ):
            out[-1].text += line.text
            continue
        out.append(line)
    return out


def _is_wrapped(lines: list[_Line]) -> bool:
    """Hard-wrapped lines: similar lengths, and most body lines stop mid-sentence. (Short
    one-paragraph-per-line files have similar lengths too, but their lines end complete.)"""
    lengths = sorted(len(line.text) for line in lines if not _heading_line(line.text))
    if len(lengths) < 4:
        return False
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    similar = p90 <= 150 and sum(n >= 0.6 * p90 for n in lengths) >= 0.5 * len(lengths)
    return similar and _open_ends_share(lines) >= 0.4


_ENDS_COMPLETE = re.compile(r"[.,;:!?…»\"”’)\]،؛؟]\s*$")


def _open_ends_share(lines: list[_Line]) -> float:
    """Share of body lines (not headings or titles) that end without punctuation. Measured on
    the seeds: 0.72 and 0.85 for the wrapped extractions, 0.00-0.18 for one paragraph a line."""
    body = [
        line.text
        for line in lines[:-1]
        if not (_heading_line(line.text) or _short_title(line.text, limit=100))
    ]
    open_ends = sum(not _ENDS_COMPLETE.search(clean_markup(text)) for text in body)
    return open_ends / max(len(body), 1)


def _mark_page_starts(lines: list[_Line]) -> None:
    for i, line in enumerate(lines):
        # in a run of indented lines only the last starts a page (the others are indented
        # footnote continuations)
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        line.page_start = line.form_feed or (
            line.indented and not (nxt is not None and nxt.indented)
        )


def _running_numbers(lines: list[_Line]) -> list[int | None]:
    """For each line, the last paragraph number (digits) seen before it."""
    out: list[int | None] = []
    last: int | None = None
    for line in lines:
        out.append(last)
        number = _numbered(line.text, last)
        if number and number.isdigit():
            last = int(number)
    return out


def _split_footnotes(lines: list[_Line]) -> tuple[list[_Line], list[Paragraph]]:
    """Detach the footnote block printed above each page break (and at the end)."""
    before = _running_numbers(lines)
    boundaries = [i for i, line in enumerate(lines) if line.page_start] + [len(lines)]
    in_note: set[int] = set()
    page_begin = 0
    for boundary in boundaries:
        zone, since, j = None, 0, boundary - 1
        while j >= page_begin and since <= 4:
            text = lines[j].text
            if _RULE.match(text) and zone is not None:
                zone = j
                break
            start = _FOOTNOTE_START.match(text)
            seq = before[j]
            clash = start and start.group(1).isdigit() and seq is not None and (
                int(start.group(1)) == seq + 1
            )
            if (start and not clash) or (_BARE_MARK.match(text) and zone is not None):
                zone, since = j, 0
            else:
                since += 1
            j -= 1
        if zone is not None:
            in_note.update(range(zone, boundary))
        page_begin = boundary
    body = [line for i, line in enumerate(lines) if i not in in_note]
    notes: list[list[str]] = []
    for i in sorted(in_note):
        text = lines[i].text
        if _RULE.match(text):
            continue
        if _FOOTNOTE_START.match(text) or _BARE_MARK.match(text) or not notes:
            notes.append([text])
        else:
            notes[-1].append(text)
    paragraphs = []
    for pieces in notes:
        text = _join_lines(pieces, set())
        marker = _FOOTNOTE_START.match(text)
        number = marker.group(1) if marker and marker.group(1).isdigit() else ""
        note = _paragraph(text, "footnote", number)
        if marker:  # the call mark ("*", "2") is not part of the note's wording
            note.match_text = clean_markup(text[marker.end() :])
        paragraphs.append(note)
    return body, paragraphs


def _noise_mask(lines: list[_Line]) -> list[bool]:
    """False for page numbers and OCR specks ("\\ r", ". . . , . 2"); marker-only lines stay."""
    keep = []
    for line in lines:
        text = line.text
        if _PAGE_NUMBER.match(text):
            keep.append(False)
        elif _FEW_ALNUM.match(text):
            keep.append(bool(re.fullmatch(r"\(?\w{1,3}[.)\-–]?\)?", text)))
        else:
            keep.append(True)
    return keep


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _header_mask(lines: list[_Line], wrapped: bool) -> list[bool]:
    """False for repeated running headers/footers; the first occurrence is kept (the title)."""
    if wrapped:
        return _header_mask_wrapped(lines)
    keep = [True] * len(lines)
    blocks: list[list[int]] = []
    for i, line in enumerate(lines):
        if not blocks or line.blank_before:
            blocks.append([])
        blocks[-1].append(i)
    groups: list[tuple[str, list[list[int]]]] = []
    for block in blocks:
        joined = " ".join(lines[i].text for i in block)
        key = _norm(joined)
        if not (_is_caps(joined) and len(key) >= 15 and len(joined) <= 300):
            continue
        for rep, members in groups:
            if abs(len(rep) - len(key)) > 0.2 * max(len(rep), len(key)):
                continue
            matcher = SequenceMatcher(None, rep, key, autojunk=False)
            if matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9:
                members.append(block)
                break
        else:
            groups.append((key, [block]))
    for _rep, members in groups:
        if len(members) >= 3:
            for block in members[1:]:
                for i in block:
                    keep[i] = False
    return keep


def _header_mask_wrapped(lines: list[_Line]) -> list[bool]:
    near: set[int] = set()
    for i, line in enumerate(lines):
        if line.page_start:
            near.update(k for k in (i - 2, i - 1, i, i + 1) if 0 <= k < len(lines))
    counts: dict[str, int] = {}
    for k in near:
        key = _norm(lines[k].text)
        if len(key) >= 6:
            counts[key] = counts.get(key, 0) + 1
    headers = {key for key, n in counts.items() if n >= 3}
    keep, seen = [], set()
    for i, line in enumerate(lines):
        key = _norm(line.text)
        repeat = key in headers and i in near and key in seen
        seen.add(key)
        keep.append(not repeat)
    return keep


def _join_lines(pieces: list[str], vocabulary: set[str]) -> str:
    """Join wrapped lines with a space; a word cut by a line-end hyphen is mended only when
    the document itself spells it unhyphenated (dévelop-|pement), never on a guess.
    Decisions look only at the end of the text so far (`tail`): linear in the line count."""
    parts: list[str] = []
    tail = ""
    for piece in pieces:
        glue = " "
        if not parts:
            glue = ""
        elif tail.endswith("\u00ad"):
            parts[-1], tail, glue = parts[-1][:-1], tail[:-1], ""
        elif tail.endswith("-") and len(tail) > 1 and tail[-2].isalpha() and piece[:1].isalpha():
            if not _keep_hyphen(tail, piece, vocabulary):
                parts[-1], tail = parts[-1][:-1], tail[:-1]
            glue = ""
        elif tail[-1:].isdigit() and _SUPERSCRIPT_SUFFIX.match(piece):
            glue = ""
        parts.append(glue + piece)
        tail = (tail + glue + piece)[-_TAIL:]
    return "".join(parts)


def _keep_hyphen(left: str, right: str, vocabulary: set[str]) -> bool:
    if right[:1].isupper():
        return True  # Al-|Qods, Bosnie-|Herzégovine
    head = re.split(r"[\s’'(«\"/]", left[:-1])[-1].lower()
    tail = re.split(r"[\s,;.:)»\"]", right)[0].lower()
    joined, hyphenated = head + tail, head + "-" + tail
    return not (joined in vocabulary and hyphenated not in vocabulary)


def _vocabulary(lines: list[_Line]) -> set[str]:
    words: set[str] = set()
    for line in lines:
        words.update(w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", line.text))
    return words


def _blank_mode(lines: list[_Line]) -> str:
    """"double" (a blank after every line: no information), "none" or "separator"."""
    gaps = [line.blank_before > 0 for line in lines[1:]]
    share = sum(gaps) / max(len(gaps), 1)
    if share >= 0.75:
        return "double"
    return "none" if share <= 0.05 else "separator"


def _width(lines: list[_Line]) -> int:
    lengths = sorted(len(line.text) for line in lines) or [0]
    return lengths[int(0.9 * (len(lengths) - 1))]


def _starts_sentence(text: str) -> bool:
    head = text.lstrip()[:1]
    return _first_letter(text).isupper() or head.isdigit() or head in "«\"“("


def _break_wrapped(prev: _Line, line: _Line, so_far: str, mode: str, width: int,
                   last: int | None) -> bool:
    if _open_bold(so_far) and not line.blank_before:
        return False
    text = line.text
    if is_symbol_heading(text) or is_symbol_heading(prev.text):
        return True
    if _numbered(text, last) is not None or _BULLET.match(text):
        return True
    if _OPENER.match(text) or _OPENER.match(prev.text):
        return True
    caps, caps_prev = _is_caps(text), _is_caps(prev.text)
    if caps != caps_prev:
        return True
    if line.page_start or (mode == "separator" and line.blank_before):
        return not _continues(so_far, text)
    if caps or mode == "separator":
        return False
    ended = _TERMINAL.search(prev.text) is not None
    short = len(prev.text) < 0.75 * width or prev.trailing >= 2
    return ended and short and _starts_sentence(text)


def _break_flowed(prev: _Line, line: _Line, so_far: str) -> bool:
    text = line.text
    if _open_bold(so_far) and not line.blank_before:
        return False
    if is_symbol_heading(text) or is_symbol_heading(prev.text):
        return True
    if _numbered(text) is not None or _BULLET.match(text) or _OPENER.match(text):
        return True
    heading = _heading_line(text)
    if _heading_line(prev.text) or _short_title(prev.text):
        together = line.blank_before == 0 or _ends_open(so_far)  # ADOPTÉES PAR LA | ...
        return not ((heading or _short_title(text)) and together)
    if heading:
        return True
    return not _continues(so_far, text)


_TAIL = 300
"""Characters of a unit being built that break decisions look at (its end; `_open_bold` only
needs more while the unit is shorter than this). Keeps rebuilding linear in the line count."""


def _group(lines: list[_Line], wrapped: bool, mode: str) -> list[list[_Line]]:
    width = _width(lines)
    groups: list[list[_Line]] = []
    last: int | None = None
    so_far = ""  # the end (_TAIL characters) of the current group's joined text
    for line in lines:
        split = True
        if groups:
            prev = groups[-1][-1]
            split = (
                _break_wrapped(prev, line, so_far, mode, width, last)
                if wrapped
                else _break_flowed(prev, line, so_far)
            )
        if split:
            groups.append([line])
            so_far = line.text[-_TAIL:]
            number = _numbered(line.text, last)
            if number and number.isdigit():
                last = int(number)
        else:
            groups[-1].append(line)
            so_far = (so_far + " " + line.text)[-_TAIL:]
    return groups


def _carry_flags(lines: list[_Line], keep: list[bool]) -> list[_Line]:
    """Drop lines but keep the page-break and blank-line signals they carried."""
    out: list[_Line] = []
    page, blanks = False, 0
    for line, kept in zip(lines, keep, strict=True):
        if not kept:
            page = page or line.page_start
            blanks = max(blanks, line.blank_before, 1)
            continue
        if page:
            line.page_start = True
        line.blank_before = max(line.blank_before, blanks if blanks and out else 0)
        page, blanks = False, 0
        out.append(line)
    return out


def _kind(text: str) -> str:
    if _heading_line(text) or _short_title(text, limit=100):
        return "heading"
    return "paragraph"


def rebuild_paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs in reading order, footnotes (kind="footnote") at the end."""
    lines = _glue_superscripts(_read_lines(text))
    if not lines:
        return []
    wrapped = _is_wrapped(lines)
    mode = _blank_mode(lines) if wrapped else "separator"
    notes: list[Paragraph] = []
    if wrapped:
        _mark_page_starts(lines)
        lines, notes = _split_footnotes(lines)
    lines = _carry_flags(lines, _noise_mask(lines))
    lines = _carry_flags(lines, _header_mask(lines, wrapped))
    vocabulary = _vocabulary(lines)
    paragraphs: list[Paragraph] = []
    last: int | None = None
    for group in _group(lines, wrapped, mode):
        joined = _join_lines([line.text for line in group], vocabulary)
        number = "" if _is_toc_row(joined) else (_numbered(joined, last) or "")
        if number.isdigit():
            last = int(number)
        paragraphs.append(_paragraph(joined, _kind(joined), number))
    return paragraphs + notes
