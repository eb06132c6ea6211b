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
    Remark,
    UnitShape,
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
    return page("unit.html", title=f"Unit {int(unit_id)}", details=_unit_details(shape),
                cells=_cells(shape.unit, {}, {}), version=escape(__version__))


def _unit_details(shape: UnitShape) -> str:
    """Where the unit came from, then every language version and what other tools wrote."""
    origin = shape.origin
    facts = [("Symbol", origin.symbol), ("Document", origin.document),
             ("Paragraph", origin.paragraph), ("Resolution", shape.resolution),
             ("Resolution title", shape.resolution_title),
             ("Alignment score", "" if shape.score is None else f"{shape.score:.2f}"),
             ("Created", shape.created or ""),
             *((f"Provenance: {key}", value) for key, value in shape.provenance.items()),
             *((f"TMX {name}", value) for name, value in shape.attributes.items())]
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value) or '—'}</dd>"
                   for label, value in facts)
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
    bits = [escape(value) for value in (origin.symbol, origin.resolution, origin.document)
            if value]
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
