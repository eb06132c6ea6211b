"""Validate a TMX file against the TMX 1.4b rules CAT tools actually enforce, with line numbers.

Streaming (one TU in memory at a time) over the same walk of the file as the importer
(`stream.walk`, same hardened parser), so checking an untrusted upload is as safe as importing
it and sees the file as the importer does. A file that is not well-formed XML, or is refused as
unsafe, yields exactly one Problem: the first error the parser hit.

Beside problems (rules broken), warnings say what another tool may lose from a valid file:
TUs pairing regions of one language only, a language twice in one TU, segments made only of
codes, codes that stand for whitespace, dates not in TMX form, language values not shaped like
BCP 47 tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from resolign.languages import primary
from resolign.tmx.inline import has_inline_elements, seg_text, stands_for
from resolign.tmx.langs import is_language_tag, same_language
from resolign.tmx.safeparse import Source, TmxParseError
from resolign.tmx.spec import (
    ALL_LANGS,
    CODE_ELEMENTS,
    HEADER_REQUIRED,
    KNOWN_VERSIONS,
    OLD_LANG,
    SEGTYPES,
    XML_LANG,
    localname,
    parse_date,
)
from resolign.tmx.stream import walk

DATE_ATTRIBUTES = ("creationdate", "changedate", "lastusagedate")


@dataclass
class Problem:
    """One rule broken, at the line where the offending element starts."""

    line: int
    message: str


@dataclass
class CheckResult:
    """Problems plus what the file holds, for a one-line summary."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    tu_count: int = 0
    languages: set[str] = field(default_factory=set)


class _Checker:
    def __init__(self) -> None:
        self.result = CheckResult()
        self.srclang = ""
        self.seen_header = False
        self.seen_body = False
        self.root_line = 1

    def problem(self, element: etree._Element | None, message: str) -> None:
        line = (element.sourceline if element is not None else None) or self.root_line
        self.result.problems.append(Problem(line, message))

    def warn(self, element: etree._Element, message: str) -> None:
        self.result.warnings.append(Problem(element.sourceline or self.root_line, message))

    def dates(self, element: etree._Element) -> None:
        for name in DATE_ATTRIBUTES:
            value = element.get(name)
            if value is not None and parse_date(value) is None:
                self.warn(
                    element,
                    f"<{localname(element.tag)}> {name} {value!r} is not in TMX form "
                    "(YYYYMMDDThhmmssZ); other tools may ignore or refuse it",
                )

    def root(self, element: etree._Element) -> bool:
        """False when the document is not TMX at all (then nothing else is worth reporting)."""
        self.root_line = element.sourceline or 1
        name = localname(element.tag)
        if name != "tmx":
            self.problem(element, f"root element is <{name}>, expected <tmx>")
            return False
        version = element.get("version")
        if not version:
            self.problem(element, "<tmx> has no version attribute")
        elif version.strip() not in KNOWN_VERSIONS:
            self.problem(element, f"unsupported TMX version {version!r} (expected 1.4)")
        return True

    def header(self, element: etree._Element) -> None:
        self.seen_header = True
        if self.seen_body:
            self.problem(element, "<header> must come before <body>")
        for attribute in HEADER_REQUIRED:
            if not (element.get(attribute) or "").strip():
                self.problem(element, f"<header> is missing required attribute {attribute}")
        segtype = element.get("segtype")
        if segtype and segtype not in SEGTYPES:
            self.problem(
                element, f"<header> segtype {segtype!r} is not one of {', '.join(SEGTYPES)}"
            )
        self.srclang = (element.get("srclang") or "").strip()
        self.dates(element)

    def body(self, element: etree._Element) -> None:
        if not self.seen_header:
            self.problem(element, "<body> without a <header> before it")
        self.seen_body = True

    def tu(self, tu: etree._Element) -> None:
        self.result.tu_count += 1
        self.dates(tu)
        tuvs = [child for child in tu if localname(child.tag) == "tuv"]
        if not tuvs:
            self.problem(tu, "<tu> has no <tuv>; a translation unit needs at least one")
        elif len(tuvs) == 1:  # valid (the DTD asks for one or more), but no translation in it
            self.warn(tu, "<tu> has a single <tuv>: a CAT tool finds no translation in it")
        languages: list[str] = []
        for tuv in tuvs:
            self.dates(tuv)
            lang = (tuv.get(XML_LANG) or tuv.get(OLD_LANG) or "").strip()
            if lang:
                languages.append(lang)
                self.result.languages.add(lang)
                if not is_language_tag(lang):
                    self.warn(tuv, f"<tuv> language {lang!r} is not a BCP 47 language tag")
            else:
                self.problem(tuv, "<tuv> has no xml:lang attribute")
            segs = [child for child in tuv if localname(child.tag) == "seg"]
            if not segs:
                self.problem(tuv, f"<tuv xml:lang={lang!r}> has no <seg>")
            for seg in segs:
                self.seg(seg, lang)
        self.languages(tu, languages)
        srclang = (tu.get("srclang") or self.srclang).strip()
        if (
            srclang
            and srclang != ALL_LANGS
            and languages
            and not any(same_language(srclang, lang) for lang in languages)
        ):
            self.problem(tu, f"<tu> has no <tuv> in the source language {srclang!r} (srclang)")

    def seg(self, seg: etree._Element, lang: str) -> None:
        text = seg_text(seg)
        if not text.strip() and not has_inline_elements(seg):
            self.problem(seg, f"empty <seg> (xml:lang={lang!r})")
        elif not text.strip():
            self.warn(
                seg,
                f"<seg> (xml:lang={lang!r}) holds inline codes but no text; a tool that "
                "imports text only sees an empty segment",
            )
        spaces = [c for c in seg.iter() if localname(c.tag) in CODE_ELEMENTS and stands_for(c)]
        if spaces:
            self.warn(
                seg,
                f"<seg> (xml:lang={lang!r}) has {len(spaces)} code(s) standing for whitespace "
                f"(<{localname(spaces[0].tag)}>); a tool that drops codes joins the words "
                "around them",
            )

    def languages(self, tu: etree._Element, languages: list[str]) -> None:
        """Warn about language sets other tools read differently."""
        tags = [lang.replace("_", "-").lower() for lang in languages]
        twice = sorted({lang for lang, tag in zip(languages, tags, strict=True)
                        if tags.count(tag) > 1})
        if twice:
            self.warn(
                tu,
                f"<tu> has several <tuv> in {', '.join(twice)}; most tools keep only one per "
                "language",
            )
        primaries = {primary(tag) for tag in tags}
        if len(set(tags)) > 1 and len(primaries) == 1:
            self.warn(
                tu,
                f"<tu> pairs regions of one language only ({', '.join(dict.fromkeys(languages))});"
                " tools that key a memory by language may merge or drop them",
            )

    def finish(self) -> None:
        if not self.seen_header:
            self.problem(None, "missing <header>")
        if not self.seen_body:
            self.problem(None, "missing <body>")


def inspect_tmx(source: Source) -> CheckResult:
    """check_tmx plus warnings and counts. Raises TmxError only when the file cannot be read."""
    checker = _Checker()
    try:
        for part, element in walk(source):
            if part == "root" and not checker.root(element):
                return checker.result
            if part == "header":
                checker.header(element)
            elif part == "body":
                checker.body(element)
            elif part == "tu":
                checker.tu(element)
    except TmxParseError as error:
        return CheckResult(problems=[Problem(error.line, str(error))])
    checker.finish()
    return checker.result


def check_tmx(source: Source) -> list[Problem]:
    """Every TMX 1.4b problem in the file (path or bytes), in document order; [] when valid."""
    return inspect_tmx(source).problems
