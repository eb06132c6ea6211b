"""Split a compendium into resolutions and pair each French resolution with its translation.

Pairing trusts the resolution number first: OIC symbols differ across languages only in the
committee suffix ("1/47-POL", Arabic "1/47-س"), so the "number/session" part is compared.
Resolutions without a usable number fall back to document embeddings (mean of paragraph
vectors), assigned one-to-one and only above a threshold, so an unrelated text stays unpaired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from resolign.align.paragraphs import Paragraph, clean_markup, is_symbol_heading

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_LETTERS = "\u0621-\u064a"
# OIC: "1/47-POL", "72/47 POL", "1/47-س" (a suffix is what makes it a symbol, not a date).
_OIC_SUFFIXED = re.compile(
    r"(?<![\d/])(\d{1,3})\s*/\s*(\d{1,3})"
    r"(?:\s*[-–‐]\s*([A-Z][A-Z&]{0,5}|[" + _ARABIC_LETTERS + r"]{1,4})|\s([A-Z][A-Z&]{1,5}))"
    r"(?![\w/])"
)
# OIC without a suffix needs its keyword: "Résolution n°1/47", "القرار رقم 1/47".
_OIC_KEYWORD = re.compile(
    r"(?:\bN[°ºo]\.?|\bNo\.?|\bNº|رقم|R[ÉEée]SOLUTION|قرار)\s*:?\s*(\d{1,3})\s*/\s*(\d{1,3})(?![\d/])",
    re.IGNORECASE,
)
# UN: A/RES/73/135, A/79/L.9/Rev.1, S/RES/2334 (2016), E/CN.6/2019/L.3, S/PRST/2013/16.
# OIC documents: OIC/CFM-47/2020/POL/RES/FINAL (OCI/... in French).
_UN = re.compile(
    r"(?<![\w/])(?:A|S|E|ST|UNEP|TD|HRC|OIC|OCI)(?:/[A-Za-z0-9][A-Za-z0-9.\-]*)+"
)
_TITLE_LEAD = re.compile(r"^(?:SUR|ON|CONCERNING|RELATIVE À|بشأن|حول)\s+", re.I)


@dataclass
class Resolution:
    symbol: str
    title: str
    paragraphs: list[Paragraph]


def _symbols(plain: str) -> list[tuple[int, str]]:
    """(position, normalised symbol) of every symbol in markup-free, ASCII-digit text."""
    found: list[tuple[int, str]] = []
    for match in _OIC_SUFFIXED.finditer(plain):
        suffix = (match.group(3) or match.group(4)).upper()
        found.append((match.start(), f"{int(match.group(1))}/{int(match.group(2))}-{suffix}"))
    for match in _OIC_KEYWORD.finditer(plain):
        start = match.start(1)
        if not any(start <= pos < start + 8 for pos, _ in found):
            found.append((start, f"{int(match.group(1))}/{int(match.group(2))}"))
    for match in _UN.finditer(plain):
        symbol = match.group(0).rstrip(".-")
        if any(c.isdigit() for c in symbol) and "/" in symbol:
            found.append((match.start(), symbol))
    return sorted(found)


def find_symbol(text: str) -> str | None:
    """The first resolution symbol in `text`, normalised ("1/47-POL", "1/47-س", "1/47",
    "A/RES/73/135", "OIC/CFM-47/2020/POL/RES/FINAL"), or None."""
    found = _symbols(clean_markup(text).translate(_DIGITS))
    return found[0][1] if found else None


def header_symbol(text: str) -> str | None:
    """The symbol of a header line that names the document itself, or None when `text` only
    cites one. A header line is a resolution heading ("RÉSOLUTION N°1/47-POL") or a short
    masthead line that opens or ends with its symbol ("A/79/L.9/Rev.1", "United Nations
    A/RES/73/135", "OIC/CFM-47/2020/POL/RES/FINAL"); a title or sentence that mentions a
    symbol in passing ("... DE LA RÉSOLUTION NO 53/45-POL : DEFIS ...") is not."""
    plain = clean_markup(text).translate(_DIGITS)
    found = _symbols(plain)
    if not found:
        return None
    if is_symbol_heading(text):
        return found[0][1]
    if len(plain) > 120 or _TERMINAL_SENTENCE.search(plain):
        return None
    position, symbol = found[0]
    before = len(plain[:position].split())
    after = len(plain[position:].split()) - 1
    return symbol if before <= 2 or after == 0 else None


_TERMINAL_SENTENCE = re.compile(r"[.,;!?]\s*$")  # "Voir S/PV.7813." cites


def document_symbol(paragraphs: list[Paragraph], head: int = 8) -> str:
    """The document's own symbol, from a header line among its opening paragraphs (see
    `header_symbol`); "" when they only cite symbols (a press release, a meeting report)."""
    for paragraph in paragraphs[:head]:
        if paragraph.kind != "footnote" and (symbol := header_symbol(paragraph.text)):
            return symbol
    return ""


def symbol_key(symbol: str) -> str:
    """The language-independent part of a symbol: "1/47-POL" and "1/47-س" -> "1/47"."""
    oic = re.fullmatch(r"(\d+/\d+)(?:-.+)?", symbol.strip())
    return oic.group(1) if oic else symbol.strip().upper()


def split_resolutions(paragraphs: list[Paragraph]) -> list[Resolution]:
    """One Resolution per symbol heading ("RESOLUTION N°1/47-POL"), its title taken from the
    headings right under it. What comes before the first one (cover, table of contents) is
    kept as a unit with symbol "". A document with no symbol heading is one unit."""
    units: list[Resolution] = []
    current: Resolution | None = None
    body_started = False
    for paragraph in paragraphs:
        if paragraph.kind == "heading" and is_symbol_heading(paragraph.text):
            current = Resolution(find_symbol(paragraph.text) or "", "", [paragraph])
            units.append(current)
            body_started = False
            continue
        if current is None:
            current = Resolution("", "", [])
            units.append(current)
        if current.symbol and not body_started and paragraph.kind == "heading":
            current.title = f"{current.title} {paragraph.match_text}".strip()
        elif paragraph.kind != "footnote":
            body_started = True
        current.paragraphs.append(paragraph)
    for unit in units:
        unit.title = _TITLE_LEAD.sub("", unit.title)
        if not unit.symbol and not unit.title:
            first = next((p for p in unit.paragraphs if p.kind == "heading"), None)
            unit.title = first.match_text if first else ""
    return [unit for unit in units if unit.paragraphs]


def label_resolutions(paragraphs: list[Paragraph]) -> list[Resolution]:
    """Split into resolutions and write each one's symbol and title on its paragraphs (those
    before the first resolution, or in a document without resolution headings, get "")."""
    resolutions = split_resolutions(paragraphs)
    for resolution in resolutions:
        title = resolution.title if resolution.symbol else ""
        for paragraph in resolution.paragraphs:
            paragraph.resolution, paragraph.resolution_title = resolution.symbol, title
    return resolutions


def match_documents(
    fr: list[Resolution], other: list[Resolution], encoder=None, threshold: float = 0.6
) -> list[tuple[int, int | None]]:
    """For each French resolution (in order) the index of its counterpart in `other`, or None.

    Symbols first (by number/session); the rest by cosine of mean paragraph embeddings, best
    pairs first, one-to-one, never pairing two resolutions whose symbols disagree.
    """
    pairs: dict[int, int | None] = {i: None for i in range(len(fr))}
    used: set[int] = set()
    by_key: dict[str, list[int]] = {}
    for j, resolution in enumerate(other):
        if resolution.symbol:
            by_key.setdefault(symbol_key(resolution.symbol), []).append(j)
    for i, resolution in enumerate(fr):
        if not resolution.symbol:
            continue
        for j in by_key.get(symbol_key(resolution.symbol), []):
            if j not in used:
                pairs[i], used = j, used | {j}
                break
    left = [i for i in range(len(fr)) if pairs[i] is None]
    right = [j for j in range(len(other)) if j not in used]
    if left and right:
        if encoder is None:
            from resolign.align.encoders import load_encoder

            encoder = load_encoder()
        a = _document_vectors([fr[i] for i in left], encoder)
        b = _document_vectors([other[j] for j in right], encoder)
        similarity = a @ b.T
        for x, i in enumerate(left):
            for y, j in enumerate(right):
                si, sj = fr[i].symbol, other[j].symbol
                if si and sj and symbol_key(si) != symbol_key(sj):
                    similarity[x, y] = -1.0
        taken_x: set[int] = set()
        taken_y: set[int] = set()
        order = np.dstack(np.unravel_index(np.argsort(-similarity, axis=None), similarity.shape))
        for x, y in order[0]:
            if similarity[x, y] < threshold:
                break
            if x in taken_x or y in taken_y:
                continue
            taken_x.add(x)
            taken_y.add(y)
            pairs[left[x]] = right[y]
    return [(i, pairs[i]) for i in range(len(fr))]


def _document_vectors(units: list[Resolution], encoder, per_document: int = 48) -> np.ndarray:
    """Mean of the (unit) vectors of up to `per_document` paragraphs spread over each text."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for unit in units:
        body = [p.match_text[:2000] for p in unit.paragraphs if p.kind != "footnote"]
        body = [t for t in body if t] or [unit.title or " "]
        if len(body) > per_document:
            step = len(body) / per_document
            body = [body[int(k * step)] for k in range(per_document)]
        spans.append((len(texts), len(texts) + len(body)))
        texts.extend(body)
    vectors = encoder.encode(texts)
    out = np.zeros((len(units), vectors.shape[1]), dtype=np.float32)
    for k, (start, end) in enumerate(spans):
        mean = vectors[start:end].mean(axis=0)
        out[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out
