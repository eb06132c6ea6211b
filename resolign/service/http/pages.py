"""The translator's pages: the search page (rendered on the server, so it works without
JavaScript; app.js only enhances it) and one printable page per unit.

HTML is built from the same shapes the JSON API returns; every text is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from resolign import __version__
from resolign.errors import ResolignError
from resolign.languages import LANGS, NATIVE_NAMES, RIGHT_TO_LEFT
from resolign.service.highlight import Span
from resolign.service.http.api import UnitId
from resolign.service.http.shapes import (
    HitShape,
    MatchShape,
    Origin,
    hit_shape,
    match_shape,
    unit_shape,
)
from resolign.service.memory import Memory

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
    status, results, code = "", "", 200
    if q.strip():
        try:
            if concordance_mode:
                hits = await run_in_threadpool(memory.concordance, q, lang=src, limit=PAGE_HITS)
                results = "".join(_hit_html(hit_shape(h)) for h in hits)
                status = _count(len(hits), "concordance hit", "concordance hits") if hits \
                    else NO_HIT
            else:
                matches = await run_in_threadpool(memory.search, q, src=src, tgt=tgt,
                                                  limit=PAGE_MATCHES, min_score=PAGE_MIN_SCORE)
                results = "".join(_match_html(match_shape(m, q), src, tgt) for m in matches)
                status = _count(len(matches), "match", "matches") if matches else NO_MATCH
        except ResolignError as error:
            status, code = str(error), error.http_status
    return page("index.html", code, q=escape(q, quote=True),
                src_options=_options(src), tgt_options=_options(tgt),
                concordance_checked=" checked" if concordance_mode else "",
                status=escape(status), results=results, version=escape(__version__))


@router.get("/units/{unit_id}", response_class=HTMLResponse)
async def unit_page(request: Request, unit_id: UnitId) -> HTMLResponse:
    """One unit, printable, with its origin: the target of every result's source link."""
    memory: Memory = request.app.state.memory
    unit = await run_in_threadpool(memory.get_unit, unit_id)
    if unit is None:
        return page("unit.html", 404, title="Unit not found", cells="",
                    details=f"<p>No unit with id {int(unit_id)}.</p>",
                    version=escape(__version__))
    shape = unit_shape(unit, unit.id)
    origin = shape.origin.model_dump()
    rows = "".join(f"<dt>{label}</dt><dd>{escape(origin[k]) or '—'}</dd>" for k, label in
                   (("symbol", "Symbol"), ("document", "Document"), ("paragraph", "Paragraph")))
    details = (f'<dl class="details">{rows}</dl><p><a href="/api/units/{int(unit_id)}">'
               f"JSON</a></p>")
    return page("unit.html", title=f"Unit {int(unit_id)}", details=details,
                cells=_cells(shape.unit, {}, {}), version=escape(__version__))


def page(template: str, code: int = 200, **values: str) -> HTMLResponse:
    html = Template((STATIC / template).read_text(encoding="utf-8")).substitute(values)
    return HTMLResponse(html, status_code=code, headers=PAGE_HEADERS)


def marked(text: str, spans: list[Span] | list[list[int]]) -> str:
    """HTML for `text` with the spans wrapped in <mark>; everything escaped."""
    out, pos = [], 0
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
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


def _cells(texts: dict[str, str], spans: dict[str, list[list[int]]],
           roles: dict[str, str]) -> str:
    cells = []
    for lang in LANGS:
        direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
        role = roles.get(lang, "")
        body = marked(texts[lang], spans.get(lang, [])) or '<span class="missing">—</span>'
        cells.append(f'<div class="cell {role}" lang="{lang}" dir="{direction}">{body}</div>')
    return "".join(cells)


def _origin_html(origin: Origin, unit_id: int) -> str:
    bits = [escape(value) for value in (origin.symbol, origin.document) if value]
    if origin.paragraph:
        label = origin.paragraph  # "12" (numbered) or "¶3" (position) from align
        bits.append(escape(label if label.startswith("¶") else f"¶ {label}"))
    label = " · ".join(bits) or f"unit {unit_id}"
    return f'<a class="origin" href="/units/{int(unit_id)}">{label}</a>'


def _match_html(match: MatchShape, src: str, tgt: str) -> str:
    meta = (f'<span class="score">{match.score:.0f}%</span>'
            f'<span class="kind kind-{escape(match.kind)}">{escape(match.kind)}</span>'
            + _origin_html(match.origin, match.id))
    cells = _cells(match.unit, {src: match.highlight}, {src: "src", tgt: "tgt"})
    return (f'<article class="match" data-id="{int(match.id)}">'
            f'<div class="meta">{meta}</div><div class="cells">{cells}</div></article>')


def _hit_html(hit: HitShape) -> str:
    meta = '<span class="kind kind-concordance">concordance</span>' + _origin_html(
        hit.origin, hit.id)
    cells = _cells(hit.unit, {hit.lang: hit.highlight}, {hit.lang: "src"})
    return (f'<article class="match" data-id="{int(hit.id)}">'
            f'<div class="meta">{meta}</div><div class="cells">{cells}</div></article>')
