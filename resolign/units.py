"""Translation units: the plain record that travels from an alignment or a TMX file to the memory.

A unit is a list of language variants, each keyed by a full BCP 47 tag (`en-GB`, `fr-CA`,
`zh-Hant-TW`), several per language allowed (real memories hold FR, FR-CA and FR-FR in one TU,
even the same tag twice). A variant keeps its plain text (what search matches), its `<seg>`
markup with inline codes when it has any, and whatever other tools wrote beside it (attributes,
props, notes). Everything is plain data (str, list, dict; `created` travels as ISO 8601) so a
store can save a unit as JSON and give back exactly the same unit (`to_json` / `from_json`).

`unit.texts` is the old, one-text-per-language view that alignment, folding and the page's
three columns use: primary language -> text of the first variant with text in that language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import InitVar, asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from resolign import languages
from resolign.languages import LANGS, normalise_tag, tag_matches

# --- what other tools wrote -----------------------------------------------------------------


@dataclass
class Annotation:
    """One `<prop>` or `<note>` another tool wrote: kind "prop" or "note", its text, and its
    attributes as written (`type` for a prop, `xml:lang`, `o-encoding`...)."""

    kind: str
    text: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.attributes.get("type", "")


@dataclass
class Annotations:
    """Everything at one level (header, tu or tuv) that resolign does not interpret itself.

    `attributes`: XML attributes in file order (tuid, changedate, usagecount, o-encoding...;
    `xml:lang` for that prefix, `{uri}name` for other namespaces). `entries`: props and notes
    in file order. `xml`: other elements kept verbatim as XML strings (a header's `<ude>`).
    """

    attributes: dict[str, str] = field(default_factory=dict)
    entries: list[Annotation] = field(default_factory=list)
    xml: list[str] = field(default_factory=list)

    def props(self) -> list[tuple[str, str]]:
        return [(entry.type, entry.text) for entry in self.entries if entry.kind == "prop"]

    def notes(self) -> list[str]:
        return [entry.text for entry in self.entries if entry.kind == "note"]

    def __bool__(self) -> bool:
        return bool(self.attributes or self.entries or self.xml)

    def absorb(self, other: Annotations) -> bool:
        """Add the entries and XML of `other` not already here (attributes stay as they are)."""
        changed = False
        for entry in other.entries:
            if entry not in self.entries:
                self.entries.append(entry)
                changed = True
        for xml in other.xml:
            if xml not in self.xml:
                self.xml.append(xml)
                changed = True
        return changed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Annotations:
        data = data or {}
        return cls(
            attributes=dict(data.get("attributes", {})),
            entries=[Annotation(**entry) for entry in data.get("entries", [])],
            xml=list(data.get("xml", [])),
        )


# --- variants and units ---------------------------------------------------------------------


@dataclass
class Variant:
    """One language version of a unit.

    `text`: what search matches and the page shows; inline codes removed, a code that stands
    for whitespace (`<ph>&lt;br&gt;</ph>`, `<ph>\\t</ph>`) counted as that whitespace, spaces
    kept exactly. `markup`: the `<seg>` content as TMX XML (codes and `<hi>` included) when the
    segment has inline elements, else "" (then `text` is the whole segment).
    """

    lang: str
    text: str
    markup: str = ""
    annotations: Annotations = field(default_factory=Annotations)

    def __post_init__(self) -> None:
        self.lang = normalise_tag(self.lang)

    @property
    def primary(self) -> str:
        return languages.primary(self.lang)

    def has_content(self) -> bool:
        """False for an empty segment (no text and no inline code)."""
        return bool(self.text.strip() or self.markup)

    def identity(self) -> tuple[str, str, str]:
        """What makes two variants the same segment: tag, text (whitespace aside) and codes."""
        return (self.lang, " ".join(self.text.split()), " ".join(self.markup.split()))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Variant:
        return cls(
            lang=data["lang"],
            text=data["text"],
            markup=data.get("markup", ""),
            annotations=Annotations.from_json(data.get("annotations")),
        )


class TextsView(dict):
    """`unit.texts`: a real dict (JSON-ready) whose changes are written through to the unit.

    Setting `texts["fr"]` replaces the text of the French variant shown (its codes no longer
    fit the new text, so its markup is dropped) or adds a bare `fr` variant; deleting removes
    every variant of that language.
    """

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit._shown_texts())
        self._unit = unit

    def _refresh(self) -> None:
        super().clear()
        super().update(self._unit._shown_texts())

    def __setitem__(self, lang: str, text: str) -> None:
        self._unit._set_text(lang, text)
        self._refresh()

    def __delitem__(self, lang: str) -> None:
        if lang not in self:
            raise KeyError(lang)
        self._unit._drop_language(languages.primary(lang))
        self._refresh()

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for lang, text in dict(*args, **kwargs).items():
            self._unit._set_text(lang, text)
        self._refresh()

    def setdefault(self, lang: str, default: str = "") -> str:  # type: ignore[override]
        if lang not in self:
            self[lang] = default
        return self[lang]

    def pop(self, lang: str, *default: Any) -> Any:  # type: ignore[override]
        if lang not in self:
            if default:
                return default[0]
            raise KeyError(lang)
        value = self[lang]
        del self[lang]
        return value

    def popitem(self) -> tuple[str, str]:
        lang = next(reversed(self))
        return lang, self.pop(lang)

    def clear(self) -> None:
        for lang in list(self):
            del self[lang]

    def __ior__(self, other: Any) -> TextsView:  # type: ignore[override]
        self.update(other)
        return self


@dataclass
class Unit:
    """One translation unit: language variants plus where it came from and what it carries.

    Build it from `texts` ({"fr": ..., "en": ...}, the old way, one bare-language variant
    each) or from `variants`. resolign's own fields (document, symbol, paragraph, score,
    created, resolution, resolution_title, provenance) sit beside `annotations`, which keeps
    the tu-level attributes, props and notes of other tools (tuid, changedate, srclang...).
    """

    texts: InitVar[Mapping[str, str] | None] = None
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
    variants: list[Variant] = field(default_factory=list)
    annotations: Annotations = field(default_factory=Annotations)

    def __post_init__(self, texts: Mapping[str, str] | None) -> None:
        if texts is None:
            return
        if self.variants:
            if isinstance(texts, TextsView):
                return  # dataclasses.replace() hands the old unit's view back: variants rule
            raise ValueError("give a Unit either texts or variants, not both")
        self.variants = [Variant(lang, text) for lang, text in texts.items()]

    # --- the one-text-per-language view ---------------------------------------------------

    def _shown(self) -> dict[str, Variant]:
        """Primary language -> the first variant with text in it; fr, en, ar first."""
        shown: dict[str, Variant] = {}
        for variant in self.variants:
            if variant.text.strip():
                shown.setdefault(variant.primary, variant)
        order = {lang: rank for rank, lang in enumerate(LANGS)}
        return dict(sorted(shown.items(), key=lambda item: order.get(item[0], len(order))))

    def _shown_texts(self) -> dict[str, str]:
        return {lang: variant.text for lang, variant in self._shown().items()}

    def _set_text(self, lang: str, text: str) -> None:
        primary = languages.primary(lang)
        target = self._shown().get(primary) or next(
            (v for v in self.variants if v.primary == primary), None
        )
        if target is None:
            self.variants.append(Variant(lang, text))
        elif target.text != text:
            target.text = text
            target.markup = ""

    def _drop_language(self, primary: str) -> None:
        self.variants = [v for v in self.variants if v.primary != primary]

    def _get_texts(self) -> TextsView:
        return TextsView(self)

    def _replace_texts(self, texts: Mapping[str, str]) -> None:
        """Assigning `unit.texts = {...}`: languages in the mapping come first, in its order,
        keeping their other variants; a language shown before and absent now is removed."""
        texts = dict(texts)
        wanted = [languages.primary(lang) for lang in texts]
        for primary in set(self._shown()) - set(wanted):
            self._drop_language(primary)
        for lang, text in texts.items():
            self._set_text(lang, text)
        rank = {primary: index for index, primary in enumerate(wanted)}
        self.variants.sort(key=lambda v: rank.get(v.primary, len(rank)))

    # --- queries ---------------------------------------------------------------------------

    def tags(self) -> list[str]:
        """Distinct full tags of the variants, in order."""
        return list(dict.fromkeys(variant.lang for variant in self.variants))

    def variants_for(self, query: str) -> list[Variant]:
        """Variants for a language query: `fr` gives fr, fr-CA, fr-FR...; `fr-CA` only fr-CA."""
        return [variant for variant in self.variants if tag_matches(variant.lang, query)]

    def text_for(self, query: str) -> str | None:
        """Text of the first variant with text matching the query, or None."""
        return next((v.text for v in self.variants_for(query) if v.text.strip()), None)

    def dedup_key(self) -> str:
        """Identity for deduplication: the multiset of (tag, text, codes) of the variants with
        content, whitespace aside. Three TUs that differ only in their codes keep three keys;
        annotations, dates and resolign's own fields do not count."""
        identities = sorted(v.identity() for v in self.variants if v.has_content())
        payload = json.dumps(identities, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    # --- plain data ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict holding the whole unit (`created` as ISO 8601)."""
        data = {
            name: getattr(self, name)
            for name in (
                "document", "symbol", "paragraph", "score", "resolution",
                "resolution_title", "provenance",
            )
        }
        data["provenance"] = dict(self.provenance)
        data["created"] = self.created.isoformat()
        data["variants"] = [variant.to_json() for variant in self.variants]
        data["annotations"] = self.annotations.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Unit:
        """The inverse of `to_json` (missing keys take their defaults)."""
        created = data.get("created")
        return cls(
            document=data.get("document", ""),
            symbol=data.get("symbol", ""),
            paragraph=data.get("paragraph", ""),
            score=data.get("score"),
            created=datetime.fromisoformat(created) if created else datetime.now(UTC),
            resolution=data.get("resolution", ""),
            resolution_title=data.get("resolution_title", ""),
            provenance=dict(data.get("provenance", {})),
            variants=[Variant.from_json(v) for v in data.get("variants", [])],
            annotations=Annotations.from_json(data.get("annotations")),
        )


Unit.texts = property(  # type: ignore[assignment,method-assign]
    Unit._get_texts,
    Unit._replace_texts,
    doc="Primary language -> text of the first variant with text (fr, en, ar first). "
    "A dict; changes made to it, or assigning a new dict, are written to the variants.",
)


def absorb_duplicate(kept: Unit, duplicate: Unit) -> bool:
    """Fold what a duplicate (same `dedup_key`) carries into the unit kept: its tu-level and
    tuv-level props, notes and XML not already there. Attributes (tuid, dates) of the kept unit
    win. True when `kept` changed, so a store knows to save it again.

    Why: two TUs with the same text can differ in context props (Swordfish prev/next, Okapi
    group names); merging them must not lose those.
    """
    changed = kept.annotations.absorb(duplicate.annotations)
    unmatched = [v for v in kept.variants]
    for variant in duplicate.variants:
        twin = next((v for v in unmatched if v.identity() == variant.identity()), None)
        if twin is not None:
            unmatched.remove(twin)
            changed = twin.annotations.absorb(variant.annotations) or changed
    return changed

