"""Export units as TMX 1.4b, streamed TU by TU so a million units never sit in memory at once."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from resolign import __version__
from resolign.errors import TmxError
from resolign.tmx.build import Prepared, prepare, tu_element, unit_label
from resolign.tmx.langs import is_language_tag, to_tmx, validate_mapping
from resolign.tmx.spec import SEGTYPES, TMX_VERSION, format_date
from resolign.units import Unit

SOURCE_LANG = "fr"
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


class _Selection:
    """Decides unit by unit what goes into the TMX, counting and explaining what does not."""

    def __init__(
        self, report: WriteReport, pair: tuple[str, str] | None, min_score: float | None
    ) -> None:
        self.report = report
        self.pair = pair
        self.min_score = min_score
        self.below_score = 0
        self.missing_pair = 0
        self.hidden = 0

    def warn(self, message: str) -> None:
        if len(self.report.warnings) < MAX_DETAILED_WARNINGS:
            self.report.warnings.append(message)
        else:
            self.hidden += 1

    def take(self, unit: Unit, position: int) -> Prepared | None:
        """The prepared unit to write, or None (counted in `skipped`)."""
        if self.min_score is not None and unit.score is not None and unit.score < self.min_score:
            self.report.skipped += 1
            self.below_score += 1
            return None
        prepared = prepare(unit, position, self.pair)
        for message in prepared.warnings:
            self.warn(message)
        one_sided = unit.provenance.get("one_sided") and not self.pair
        if len(prepared.segments) >= 2 or (one_sided and prepared.segments):
            # an aligner's one-language unit (a paragraph nothing translates) is kept as a
            # one-tuv TU, which TMX 1.4b allows, so no paragraph of an input goes missing
            self.report.written += 1
            return prepared
        self.report.skipped += 1
        if self.pair:
            self.missing_pair += 1
        else:
            present = ", ".join(prepared.segments) or "none"
            self.warn(
                f"{unit_label(unit, position)}: skipped, a TU needs at least two languages "
                f"(has: {present})"
            )
        return None

    def summarise(self) -> None:
        """Per-cause totals go after the detailed lines, which are capped."""
        if self.below_score:
            self.report.warnings.append(
                f"{self.below_score} unit(s) below min_score {self.min_score} left out"
            )
        if self.missing_pair and self.pair:
            self.report.warnings.append(
                f"{self.missing_pair} unit(s) without both {self.pair[0]} and {self.pair[1]} "
                "left out"
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
        len(pair) != 2 or pair[0] == pair[1] or not all(map(is_language_tag, pair))
    ):
        raise TmxError(f"pair must be two different language codes, not {pair!r}")
    if min_score is not None and min_score != min_score:  # NaN would silently drop everything
        raise TmxError("min_score must be a number")
    validate_mapping(lang_codes)


def _header(segtype: str, srclang: str) -> etree._Element:
    header = etree.Element(
        "header",
        creationtool="resolign",
        creationtoolversion=__version__,
        datatype="plaintext",
        segtype=segtype,
        adminlang="en",
        srclang=srclang,
    )
    header.set("o-tmf", "resolign")
    header.set("creationdate", format_date(datetime.now(UTC)))
    header.tail = "\n  "
    return header


def iter_tmx_bytes(
    units: Iterable[Unit],
    *,
    segtype: str = "paragraph",
    pair: tuple[str, str] | None = None,
    min_score: float | None = None,
    lang_codes: dict[str, str] | None = None,
    report: WriteReport | None = None,
) -> Iterator[bytes]:
    """Yield a TMX 1.4b document in chunks of about 64 KB (for an HTTP streaming response).

    Options are checked now, before the first byte, so a bad request fails cleanly. Pass a
    WriteReport as `report` to read the counts and warnings once the iterator is exhausted.
    Units with a score below `min_score` are skipped; units without a score are kept.
    """
    _check_options(segtype, pair, min_score, lang_codes)
    return _generate(units, segtype, pair, min_score, lang_codes, report or WriteReport())


def _generate(
    units: Iterable[Unit],
    segtype: str,
    pair: tuple[str, str] | None,
    min_score: float | None,
    lang_codes: dict[str, str] | None,
    report: WriteReport,
) -> Iterator[bytes]:
    source = pair[0] if pair else SOURCE_LANG
    selection = _Selection(report, pair, min_score)
    sink = _Sink()
    sink.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    with etree.xmlfile(sink, encoding="utf-8") as xf, xf.element("tmx", version=TMX_VERSION):
        xf.write("\n  ")
        xf.write(_header(segtype, to_tmx(source, lang_codes)))
        with xf.element("body"):
            for position, unit in enumerate(units, start=1):
                prepared = selection.take(unit, position)
                if prepared is None:
                    continue
                xf.write("\n    ")
                xf.write(tu_element(prepared, unit, str(report.written), source, lang_codes))
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
) -> WriteReport:
    """Write a TMX 1.4b file. A path is written atomically: a failed export leaves no half file."""
    report = WriteReport()
    chunks = iter_tmx_bytes(
        units,
        segtype=segtype,
        pair=pair,
        min_score=min_score,
        lang_codes=lang_codes,
        report=report,
    )
    if not isinstance(out, str | os.PathLike):
        for chunk in chunks:
            out.write(chunk)
        return report
    path = Path(out)
    try:
        descriptor, partial = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".part"
        )
    except OSError as error:
        raise TmxError(f"{path}: cannot write ({error.strerror or error})") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(partial, path)
    except BaseException as error:
        Path(partial).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise TmxError(f"{path}: cannot write ({error.strerror or error})") from None
        raise
    return report
