"""The UN devset (../shared) as translation units: the one loader the memory tests share.

Each devset line is a real FR/EN/AR sentence triple; its `.ids` line names the document
(`2015/a/ac_182/l_139`) and the sentence's line in each language's original.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from resolign.units import Unit
from tests.conftest import DEVSET

LANGS = ("fr", "en", "ar")


@cache
def devset_lines() -> dict[str, list[str]]:
    """Every devset line of fr, en, ar and ids (read once per test session)."""
    return {lang: (DEVSET / f"UNv1.0.devset.{lang}").read_text("utf-8").splitlines()
            for lang in (*LANGS, "ids")}


def un_symbol(doc_id: str) -> str:
    """`2015/a/ac_182/l_139` → `A/AC.182/L.139` (the devset writes symbols path-style)."""
    return doc_id.split("/", 1)[1].upper().replace("_", ".")


def devset_unit(index: int) -> Unit:
    """Line `index` as a unit: its document id, UN symbol and French line as paragraph, and a
    varied alignment score (0.4–0.9), so score filters have something to keep and leave out."""
    lines = devset_lines()
    doc, *refs = lines["ids"][index].split()
    paragraph = next(r.split(":")[1] for r in refs if r.startswith("fr:"))
    return Unit(texts={lang: lines[lang][index] for lang in LANGS}, document=doc,
                symbol=un_symbol(doc), paragraph=paragraph, score=round(0.4 + index % 6 / 10, 2))


def devset_units(start: int, stop: int) -> list[Unit]:
    """Lines start..stop as units (see `devset_unit`)."""
    return [devset_unit(i) for i in range(start, stop)]


def whole_documents(target: int) -> list[Unit]:
    """Whole documents, in symbol order, until at least `target` units."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(devset_lines()["ids"]):
        by_doc[line.split()[0]].append(index)
    units: list[Unit] = []
    for doc in sorted(by_doc):
        if len(units) >= target:
            break
        units += [devset_unit(i) for i in by_doc[doc]]
    return units
