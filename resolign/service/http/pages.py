"""The translator's pages: the search page (rendered on the server, so it works without
JavaScript; app.js only enhances it) and one printable page per unit.

HTML is built from the same shapes the JSON API returns; every text is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from resolign import __version__
from resolign.errors import ResolignError
from resolign.languages import LANGS, NATIVE_NAMES, RIGHT_TO_LEFT
from resolign.service.equivalents import SAMPLE as EQUIVALENT_SAMPLE
from resolign.service.highlight import Span
from resolign.service.http.api import UnitId
from resolign.service.http.shapes import (
    Hits,
    HitShape,
    Matches,
    MatchShape,
    Origin,
    Remark,
    UnitShape,
    hits_shape,
    lookup_shape,
    unit_shape,
)
from resolign.service.memory import Memory
from resolign.service.queries import MAX_PAGE

STATIC = Path(__file__).resolve().parent.parent / "static"
NO_MATCH = ("No earlier wording found. For a word or phrase inside longer passages, "
            "tick Concordance.")
NO_HIT = "No passage contains these words in this language."
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_HITS = 50
PAGE_MATCHES = 10
PAGE_MIN_SCORE = 50.0

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request) -> HTMLResponse:
    """The search page; with ?q= the results are rendered here, so it works without JS."""
    memory: Memory = request.app.state.memory
    params = request.query_params
    q = params.get("q", "")
    src = params.get("src", "fr") if params.get("src") in LANGS else "fr"
    tgt = params.get("tgt", "en") if params.get("tgt") in LANGS else "en"
    concordance_mode = params.get("mode") == "concordance"
    status, results, code, paging = "", "", 200, ""
    if q.strip():
        try:
            if concordance_mode:
                offset = _offset(params.get("offset"))
                limit = min(MAX_PAGE, _offset(params.get("limit")) or PAGE_HITS)
                found = await run_in_threadpool(memory.concordance, q, lang=src,
                                                limit=limit, offset=offset)
                shape = hits_shape(found, limit)
                results = _groups_html(shape) + "".join(_hit_html(h) for h in shape.hits)
                status = _hits_status(shape)
                paging = _paging_html(q, src, tgt, shape)
            else:
                found = await run_in_threadpool(memory.lookup, q, src=src, tgt=tgt,
                                                limit=PAGE_MATCHES, min_score=PAGE_MIN_SCORE)
                shape = lookup_shape(found)
                results = (_assembled_html(shape.assembled, tgt)
                           + "".join(_match_html(m, src, tgt) for m in shape.matches)
                           + _pieces_html(shape, src, tgt))
                status = _count(len(shape.matches), "match", "matches") if shape.matches \
                    else NO_MATCH
        except ResolignError as error:
            status, code = str(error), error.http_status
    return page("index.html", code, q=escape(q, quote=True),
                src_options=_options(src), tgt_options=_options(tgt),
                concordance_checked=" checked" if concordance_mode else "",
                status=escape(status), status_class=" error" if code >= 400 else "",
                results=results, paging=paging,
                version=escape(__version__))


def _offset(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _hits_status(shape: Hits) -> str:
    if not shape.total:
        return NO_HIT
    if not shape.hits:
        return f"No hit at {shape.offset + 1}: there are {shape.total} in all"
    first, last = shape.offset + 1, shape.offset + len(shape.hits)
    noun = "concordance hit" if shape.total == 1 else "concordance hits"
    return f"{first}–{last} of {shape.total} {noun}"


def _paging_html(q: str, src: str, tgt: str, shape: Hits) -> str:
    links = []
    for label, offset, rel, show in (
            ("← Previous", max(0, shape.offset - shape.limit), "prev", shape.offset > 0),
            ("Next →", shape.offset + shape.limit, "next",
             shape.offset + shape.limit < shape.total)):
        if show:
            query = urlencode({"q": q, "src": src, "tgt": tgt, "mode": "concordance",
                               "offset": offset, **({"limit": shape.limit}
                                                    if shape.limit != PAGE_HITS else {})})
            links.append(f'<a class="{rel}" rel="{rel}" href="/?{escape(query)}">{label}</a>')
    return f'<nav class="paging">{"".join(links)}</nav>' if links else ""


def _groups_html(shape: Hits) -> str:
    """The distinct translations of the phrase and how many hits use each."""
    if not shape.groups:
        return ""
    rows = []
    for lang in LANGS:
        items = [g for g in shape.groups if g.lang == lang]
        if items:
            direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
            entries = "".join(f'<li><mark class="equiv">{escape(g.text)}</mark> '
                              f'<span class="count">{g.count}</span></li>' for g in items)
            rows.append(f'<div class="group" lang="{lang}" dir="{direction}">'
                        f'<span class="group-lang">{lang.upper()}</span><ul>{entries}</ul></div>')
    sampled = min(shape.total, EQUIVALENT_SAMPLE)
    return (f'<section class="groups"><h2>Translations of the phrase '
            f'<span class="note">(in {sampled} of {shape.total} hits)</span></h2>'
            f'{"".join(rows)}</section>')


@router.get("/units/{unit_id}", response_class=HTMLResponse)
async def unit_page(request: Request, unit_id: UnitId) -> HTMLResponse:
    """One unit, printable, with its origin: the target of every result's source link."""
    memory: Memory = request.app.state.memory
    unit = await run_in_threadpool(memory.get_unit, unit_id)
    if unit is None:
        changed = bool(await run_in_threadpool(memory.history, unit_id))
        details = (f"<p>Unit {int(unit_id)} was deleted or replaced by a review: its history "
                   "below says where its text went.</p>" if changed
                   else f"<p>No unit with id {int(unit_id)}.</p>")
        return page("unit.html", 404, title="Unit not found", cells="", details=details,
                    review=review_html(unit_id, None) if changed else "",
                    version=escape(__version__))
    shape = unit_shape(unit, unit.id)
    return page("unit.html", title=f"Unit {int(unit_id)}", details=_unit_details(shape),
                cells=_cells(shape.unit, {}, {}), review=review_html(unit.id, shape.unit),
                version=escape(__version__))


def review_html(unit_id: int, texts: dict[str, str] | None) -> str:
    """The review tools (review.js shows them once a write key is typed in; the key stays in
    the tab's sessionStorage): one text box per language to correct or, with blank lines,
    split; merge with the previous or next unit; delete; the history with undo. `texts`
    None: the unit is no longer live (only its history and undo)."""
    boxes = ""
    if texts is not None:
        fields = []
        for lang, text in texts.items():
            direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
            fields.append(f'<label class="edit-lang"><span class="tag">{escape(lang)}</span>'
                          f'<textarea name="{escape(lang, quote=True)}" lang="{escape(lang)}" '
                          f'dir="{direction}" rows="4" data-was="{escape(text, quote=True)}">'
                          f"{escape(text)}</textarea></label>")
        boxes = (f'<form id="review-edit">{"".join(fields)}'
                 '<p class="actions"><button type="submit" id="save">Save correction</button>'
                 '<button type="button" id="split" title="split every language at its blank '
                 'lines: the same number of parts in each">Split at blank lines</button>'
                 '<button type="button" id="merge-previous" disabled>Merge with previous'
                 '</button><button type="button" id="merge-next" disabled>Merge with next'
                 '</button><button type="button" id="delete">Delete</button></p></form>')
    return (f'<section id="review" data-id="{int(unit_id)}"><h2>Review</h2>'
            '<form id="review-key"><label>Write key <input type="password" id="key" '
            'autocomplete="off" required></label> <label>Your name <input id="who" '
            'maxlength="100" placeholder="api"></label> <button type="submit">Review'
            '</button></form><p id="review-status" role="status"></p>'
            f'<div id="review-tools" hidden>{boxes}<h3>History</h3>'
            '<ol id="history"></ol></div></section>')


def _unit_details(shape: UnitShape) -> str:
    """Where the unit came from, then every language version and what other tools wrote."""
    origin = shape.origin
    facts = [("Symbol", origin.symbol), ("Document", origin.document),
             ("Paragraph", origin.paragraph), ("Resolution", shape.resolution),
             ("Resolution title", shape.resolution_title),
             ("Created", shape.created or ""),
             *((f"Provenance: {key}", value) for key, value in shape.provenance.items()),
             *((f"TMX {name}", value) for name, value in shape.attributes.items())]
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value) or '—'}</dd>"
                   for label, value in facts)
    rows += (f"<dt>Alignment score</dt>"
             f"<dd>{_alignment_html(shape.score, shape.review) or '—'}</dd>")
    html = [f'<dl class="details">{rows}</dl>', _remarks_html(shape.remarks)]
    if len(shape.variants) > len([t for t in shape.unit.values() if t]) or any(
            v.markup or v.remarks or v.attributes for v in shape.variants):
        items = []
        for variant in shape.variants:
            extra = "".join(f" <span class=\"attr\">{escape(k)}={escape(v)}</span>"
                            for k, v in variant.attributes.items())
            items.append(f'<li><span class="tag">{escape(variant.lang)}</span> '
                         f'<span dir="auto">{escape(variant.text)}</span>{extra}'
                         f"{_remarks_html(variant.remarks)}</li>")
        html.append(f'<h2>Language versions</h2><ul class="variants">{"".join(items)}</ul>')
    html.append(f'<p><a href="/api/units/{int(shape.id)}">JSON</a></p>')
    return "".join(html)


def _remarks_html(remarks: list[Remark]) -> str:
    if not remarks:
        return ""
    items = []
    for remark in remarks:
        label = remark.kind + (f" {remark.attributes.get('type', '')}"
                               if remark.kind == "prop" else "")
        items.append(f'<li>{escape(label)}: <span dir="auto">{escape(remark.text)}</span></li>')
    return f'<ul class="remarks">{"".join(items)}</ul>'



def page(template: str, code: int = 200, **values: str) -> HTMLResponse:
    html = Template((STATIC / template).read_text(encoding="utf-8")).substitute(values)
    return HTMLResponse(html, status_code=code, headers=PAGE_HEADERS)


def marked(text: str, spans: list[Span] | list[list[int]], cls: str = "") -> str:
    """HTML for `text` with the spans wrapped in <mark> (of class `cls`); everything escaped."""
    return classed(text, [(int(s), int(e), cls) for s, e in spans])


def classed(text: str, spans: list[tuple[int, int, str]]) -> str:
    """HTML for `text` with each (start, end, class) span wrapped in <mark>; an overlap keeps
    the earlier span; everything escaped."""
    out, pos = [], 0
    for start, end, cls in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        attr = f' class="{escape(cls)}"' if cls else ""
        out.append(f"<mark{attr}>{escape(text[start:end])}</mark>")
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _options(selected: str) -> str:
    return "".join(
        f'<option value="{lang}"{" selected" if lang == selected else ""}>'
        f"{lang.upper()} — {escape(NATIVE_NAMES[lang])}</option>" for lang in LANGS
    )


def _cells(texts: dict[str, str], spans: dict[str, list],
           roles: dict[str, str]) -> str:
    """The three language cells; `spans` per language are [start, end] (plain marks) or
    (start, end, class)."""
    cells = []
    for lang in LANGS:
        direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
        role = roles.get(lang, "")
        lang_spans = [(int(s[0]), int(s[1]), s[2] if len(s) > 2 else "")
                      for s in spans.get(lang, [])]
        body = classed(texts[lang], lang_spans) or '<span class="missing">—</span>'
        cells.append(f'<div class="cell {role}" lang="{lang}" dir="{direction}">{body}</div>')
    return "".join(cells)


def _alignment_html(alignment: float | None, review: bool) -> str:
    if alignment is None:
        return ""
    flag = ' review" title="low alignment score: check this unit' if review else ""
    return f'<span class="alignment{flag}">aligned {alignment:.2f}</span>'


def _assembled_html(assembled: str | None, tgt: str) -> str:
    if not assembled:
        return ""
    direction = "rtl" if tgt in RIGHT_TO_LEFT else "ltr"
    return (f'<section class="assembled"><h2>Assembled from the pieces\' matches</h2>'
            f'<p lang="{tgt}" dir="{direction}">{escape(assembled)}</p></section>')


def _pieces_html(shape: Matches, src: str, tgt: str) -> str:
    if not shape.pieces:
        return ""
    parts = []
    for piece in shape.pieces:
        best = piece.matches[0] if piece.matches else None
        summary = (f"{best.score:.0f}% {escape(best.kind)}" if best else "no match")
        parts.append(f'<li><span class="piece-text">{escape(piece.text)}</span> '
                     f'<span class="piece-best">{summary}</span></li>')
    return (f'<section class="pieces"><h2>The query piece by piece</h2>'
            f'<ol>{"".join(parts)}</ol></section>')


def _origin_html(origin: Origin, unit_id: int) -> str:
    bits = [escape(value) for value in (origin.symbol, origin.resolution, origin.document)
            if value]
    if origin.paragraph:
        label = origin.paragraph  # "12" (numbered) or "¶3" (position) from align
        bits.append(escape(label if label.startswith("¶") else f"¶ {label}"))
    label = " · ".join(bits) or f"unit {unit_id}"
    return f'<a class="origin" href="/units/{int(unit_id)}">{label}</a>'


def _match_html(match: MatchShape, src: str, tgt: str) -> str:
    score = (f'<span class="score">{match.score:.0f}%</span>' if match.kind != "semantic" else
             f'<span class="score similarity" title="same meaning, other wording">'
             f'≈{(match.similarity or 0):.0f}%</span>')
    extra = ""
    if match.part:
        extra += '<span class="note">query found inside this unit</span>'
    if match.piece is not None:
        extra += f'<span class="note">piece {match.piece + 1} of the query</span>'
    meta = (score + f'<span class="kind kind-{escape(match.kind)}">{escape(match.kind)}</span>'
            + extra + _alignment_html(match.alignment, match.review)
            + _origin_html(match.origin, match.id))
    spans: dict[str, list] = {src: [(s, e, "diff") for s, e in match.highlight]}
    if match.part:
        spans[src].append((*match.part, "part"))
    if match.target_part:
        spans[tgt] = [(*match.target_part, "part")]
    spans.setdefault(tgt, []).extend((s, e, "diff") for s, e in match.target_highlight)
    cells = _cells(match.unit, spans, {src: "src", tgt: "tgt"})
    review = " review" if match.review else ""
    return (f'<article class="match{review}" data-id="{int(match.id)}">'
            f'<div class="meta">{meta}</div><div class="cells">{cells}</div></article>')


def _hit_html(hit: HitShape) -> str:
    meta = ('<span class="kind kind-concordance">concordance</span>'
            + ('<span class="note">exact phrase</span>' if hit.exact else "")
            + _alignment_html(hit.alignment, hit.review) + _origin_html(hit.origin, hit.id))
    spans: dict[str, list] = {hit.lang: hit.highlight}
    for lang, lang_spans in hit.equivalents.items():
        spans[lang] = [(s, e, "equiv") for s, e in lang_spans]
    cells = _cells(hit.unit, spans, {hit.lang: "src"})
    review = " review" if hit.review else ""
    return (f'<article class="match hit{review}" data-id="{int(hit.id)}">'
            f'<div class="meta">{meta}</div><div class="cells">{cells}</div></article>')
