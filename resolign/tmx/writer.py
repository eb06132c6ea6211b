"""Export units as TMX 1.4b, streamed TU by TU so a million units never sit in memory at once."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from resolign import __version__
from resolign.errors import TmxError
from resolign.languages import PIVOT, normalise_tag, tag_matches
from resolign.tmx.build import Prepared, header_children, prepare, tu_element, unit_label
from resolign.tmx.files import atomic_write
from resolign.tmx.langs import is_language_tag, to_tmx, validate_mapping
from resolign.tmx.spec import SEGTYPES, TMX_VERSION, format_date
from resolign.units import Annotations, Unit

SOURCE_LANG = PIVOT
"""French is the pivot of every resolution we align, so it is the TMX source language."""
MAX_DETAILED_WARNINGS = 200
"""Past this, warnings are only counted: a 1M-unit export must not grow a 1M-line report."""
_CHUNK = 64 * 1024


@dataclass
class WriteReport:
    """What an export did: TUs written, units left out, and why (one line each)."""

    written: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Options:
    segtype: str
    pair: tuple[str, str] | None
    min_score: float | None
    lang_codes: dict[str, str]
    one_sided: bool
    headers: Sequence[Annotations]

    @property
    def source(self) -> str:
        return normalise_tag(self.pair[0]) if self.pair else SOURCE_LANG


class _Selection:
    """Decides unit by unit what goes into the TMX, counting and explaining what does not."""

    def __init__(self, report: WriteReport, options: _Options) -> None:
        self.report = report
        self.options = options
        self.below_score = 0
        self.missing_pair = 0
        self.empty = 0
        self.hidden = 0

    def warn(self, message: str) -> None:
        if len(self.report.warnings) < MAX_DETAILED_WARNINGS:
            self.report.warnings.append(message)
        else:
            self.hidden += 1

    def take(self, unit: Unit, position: int) -> Prepared | None:
        """The prepared unit to write, or None (counted in `skipped`)."""
        options = self.options
        minimum = options.min_score
        if minimum is not None and unit.score is not None and unit.score < minimum:
            self.report.skipped += 1
            self.below_score += 1
            return None
        prepared = prepare(unit, position, options.pair, options.lang_codes)
        for message in prepared.warnings:
            self.warn(message)
        prepared.warnings.clear()
        if self._complete(prepared):
            self.report.written += 1
            self.empty += prepared.empty
            return prepared
        self.report.skipped += 1
        if options.pair:
            self.missing_pair += 1
        else:
            present = ", ".join(dict.fromkeys(s.tag for s in prepared.segments)) or "none"
            self.warn(
                f"{unit_label(unit, position)}: skipped, a TU needs at least two languages "
                f"(has: {present})"
            )
        return None

    def _complete(self, prepared: Prepared) -> bool:
        """Both languages of the pair; else two segments (one with `one_sided`)."""
        segments = prepared.segments
        if self.options.pair:
            return len(segments) >= 2 and all(
                any(tag_matches(s.variant.lang, query) for s in segments)
                for query in self.options.pair
            )
        return len(segments) >= (1 if self.options.one_sided else 2)

    def summarise(self) -> None:
        """Per-cause totals go after the detailed lines, which are capped."""
        if self.below_score:
            self.report.warnings.append(
                f"{self.below_score} unit(s) below min_score {self.options.min_score} left out"
            )
        if self.missing_pair and self.options.pair:
            first, second = self.options.pair
            self.report.warnings.append(
                f"{self.missing_pair} unit(s) without both {first} and {second} left out"
            )
        if self.empty:
            self.report.warnings.append(
                f"{self.empty} empty segment(s) left out of the TUs written (no text, no code)"
            )
        if self.hidden:
            self.report.warnings.append(f"... and {self.hidden} more warning(s) not listed")


class _Sink:
    """A write() target that the streaming generator drains between TUs."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.parts.append(bytes(data))
        self.size += len(data)

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def _check_options(
    segtype: str,
    pair: tuple[str, str] | None,
    min_score: float | None,
    lang_codes: dict[str, str] | None,
) -> None:
    if segtype not in SEGTYPES:
        raise TmxError(f"segtype must be one of {', '.join(SEGTYPES)}, not {segtype!r}")
    if pair is not None and (
        len(pair) != 2
        or normalise_tag(pair[0]).lower() == normalise_tag(pair[1]).lower()
        or not all(map(is_language_tag, pair))
    ):
        raise TmxError(f"pair must be two different language codes, not {pair!r}")
    if min_score is not None and min_score != min_score:  # NaN would silently drop everything
        raise TmxError("min_score must be a number")
    validate_mapping(lang_codes)


def _header(options: _Options) -> etree._Element:
    header = etree.Element(
        "header",
        creationtool="resolign",
        creationtoolversion=__version__,
        datatype="plaintext",
        segtype=options.segtype,
        adminlang="en",
        srclang=to_tmx(options.source, options.lang_codes),
    )
    header.set("o-tmf", "resolign")
    header.set("creationdate", format_date(datetime.now(UTC)))
    children = header_children(options.headers)
    if children:
        header.text = "\n    "
        for child in children:
            header.append(child)
            child.tail = "\n    "
        children[-1].tail = "\n  "
    header.tail = "\n  "
    return header


def iter_tmx_bytes(
    units: Iterable[Unit],
    *,
    segtype: str = "paragraph",
    pair: tuple[str, str] | None = None,
    min_score: float | None = None,
    lang_codes: dict[str, str] | None = None,
    one_sided: bool = False,
    headers: Sequence[Annotations] = (),
    report: WriteReport | None = None,
) -> Iterator[bytes]:
    """Yield a TMX 1.4b document in chunks of about 64 KB (for an HTTP streaming response).

    Options are checked now, before the first byte, so a bad request fails cleanly. Pass a
    WriteReport as `report` to read the counts and warnings once the iterator is exhausted.

    `pair` ("fr", "en") writes the variants of those two languages, every region of each
    (("en-US", "en-GB") picks regions). `lang_codes` ({"fr": "fr-FR"}) renames variants whose
    tag is exactly a key. Units with a score below `min_score` are skipped; units without a
    score are kept. A unit needs two segments unless `one_sided` (then a single-language unit,
    as imported from another tool, is written too). `headers`: the header annotations of
    imported files, whose props, notes and `<ude>` go into this header.
    """
    _check_options(segtype, pair, min_score, lang_codes)
    mapping = {normalise_tag(k): v for k, v in (lang_codes or {}).items()}
    options = _Options(segtype, pair, min_score, mapping, one_sided, list(headers))
    return _generate(units, options, report or WriteReport())


def _generate(units: Iterable[Unit], options: _Options, report: WriteReport) -> Iterator[bytes]:
    header_srclang = to_tmx(options.source, options.lang_codes)
    selection = _Selection(report, options)
    sink = _Sink()
    sink.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    with etree.xmlfile(sink, encoding="utf-8") as xf, xf.element("tmx", version=TMX_VERSION):
        xf.write("\n  ")
        xf.write(_header(options))
        with xf.element("body"):
            for position, unit in enumerate(units, start=1):
                prepared = selection.take(unit, position)
                if prepared is None:
                    continue
                xf.write("\n    ")
                xf.write(tu_element(prepared, unit, str(report.written), header_srclang))
                for message in prepared.warnings:
                    selection.warn(message)
                if report.written % 64 == 0:
                    xf.flush()
                if sink.size >= _CHUNK:
                    yield sink.drain()
            xf.write("\n  ")
        xf.write("\n")
    selection.summarise()
    yield sink.drain() + b"\n"


def write_tmx(
    units: Iterable[Unit],
    out: Path | BinaryIO,
    *,
    segtype: str = "paragraph",
    pair: tuple[str, str] | None = None,
    min_score: float | None = None,
    lang_codes: dict[str, str] | None = None,
    one_sided: bool = False,
    headers: Sequence[Annotations] = (),
) -> WriteReport:
    """Write a TMX 1.4b file (options as for iter_tmx_bytes).

    A path is written atomically (a failed export leaves no half file) and gets the user's
    umask (0644 normally), or keeps the mode of the file it replaces.
    """
    report = WriteReport()
    chunks = iter_tmx_bytes(
        units,
        segtype=segtype,
        pair=pair,
        min_score=min_score,
        lang_codes=lang_codes,
        one_sided=one_sided,
        headers=headers,
        report=report,
    )
    if not isinstance(out, str | os.PathLike):
        for chunk in chunks:
            out.write(chunk)
        return report
    with atomic_write(Path(out), TmxError) as handle:
        for chunk in chunks:
            handle.write(chunk)
    return report
