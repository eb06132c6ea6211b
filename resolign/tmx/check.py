"""Validate a TMX file against the TMX 1.4b rules CAT tools actually enforce, with line numbers.

Streaming (one TU in memory at a time) and using the same hardened parser as the importer, so
checking an untrusted upload is as safe as importing it. A file that is not well-formed XML, or
is refused as unsafe, yields exactly one Problem: the first error the parser hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from resolign.tmx.inline import has_inline_elements, seg_text
from resolign.tmx.langs import same_language
from resolign.tmx.safeparse import Source, TmxParseError, iterparse
from resolign.tmx.spec import (
    ALL_LANGS,
    HEADER_REQUIRED,
    KNOWN_VERSIONS,
    OLD_LANG,
    SEGTYPES,
    XML_LANG,
    localname,
)


@dataclass
class Problem:
    """One rule broken, at the line where the offending element starts."""

    line: int
    message: str


@dataclass
class CheckResult:
    """Problems plus what the file holds, for a one-line summary."""

    problems: list[Problem] = field(default_factory=list)
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

    def body(self, element: etree._Element) -> None:
        if not self.seen_header:
            self.problem(element, "<body> without a <header> before it")
        self.seen_body = True

    def tu(self, tu: etree._Element) -> None:
        self.result.tu_count += 1
        tuvs = [child for child in tu if localname(child.tag) == "tuv"]
        if len(tuvs) < 2:
            self.problem(tu, f"<tu> has {len(tuvs)} <tuv>; a translation unit needs at least 2")
        languages: list[str] = []
        for tuv in tuvs:
            lang = (tuv.get(XML_LANG) or tuv.get(OLD_LANG) or "").strip()
            if lang:
                languages.append(lang)
                self.result.languages.add(lang)
            else:
                self.problem(tuv, "<tuv> has no xml:lang attribute")
            segs = [child for child in tuv if localname(child.tag) == "seg"]
            if not segs:
                self.problem(tuv, f"<tuv xml:lang={lang!r}> has no <seg>")
            for seg in segs:
                if not seg_text(seg).strip() and not has_inline_elements(seg):
                    self.problem(seg, f"empty <seg> (xml:lang={lang!r})")
        srclang = (tu.get("srclang") or self.srclang).strip()
        if (
            srclang
            and srclang != ALL_LANGS
            and languages
            and not any(same_language(srclang, lang) for lang in languages)
        ):
            self.problem(tu, f"<tu> has no <tuv> in the source language {srclang!r} (srclang)")

    def finish(self) -> None:
        if not self.seen_header:
            self.problem(None, "missing <header>")
        if not self.seen_body:
            self.problem(None, "missing <body>")


def inspect_tmx(source: Source) -> CheckResult:
    """check_tmx plus counts. Raises TmxError only when the file cannot be read at all."""
    checker = _Checker()
    depth = 0
    try:
        for event, element in iterparse(source):
            name = localname(element.tag)
            if event == "start":
                depth += 1
                if depth == 1 and not checker.root(element):
                    return checker.result
                elif depth == 2 and name == "header":
                    checker.header(element)
                elif depth == 2 and name == "body":
                    checker.body(element)
                continue
            depth -= 1
            if name == "tu" and depth == 2:
                checker.tu(element)
                element.clear(keep_tail=False)
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    except TmxParseError as error:
        return CheckResult(problems=[Problem(error.line, str(error))])
    checker.finish()
    return checker.result


def check_tmx(source: Source) -> list[Problem]:
    """Every TMX 1.4b problem in the file (path or bytes), in document order; [] when valid."""
    return inspect_tmx(source).problems
