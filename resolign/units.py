"""Translation units: the plain record that travels from an alignment to TMX and the memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Unit:
    """One aligned segment in up to three languages, with where it came from.

    `texts` maps a language code ("fr", "en", "ar") to the segment as it should be shown
    (original wording, not the normalised matching text). A missing language is absent.
    """

    texts: dict[str, str]
    document: str = ""
    symbol: str = ""
    paragraph: str = ""
    score: float | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    resolution: str = ""
    """Symbol of the resolution the unit belongs to inside a compendium ("1/47-POL"), or ""."""
    resolution_title: str = ""
    provenance: dict[str, str] = field(default_factory=dict)
    """How the unit was made, as plain strings: e.g. {"origin": "align"}, the text as extracted
    before OCR repair under "original:fr", the client that wrote it back under "client"."""

    def languages(self) -> list[str]:
        return [lang for lang, text in self.texts.items() if text.strip()]
