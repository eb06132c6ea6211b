"""Sentence splitting on real UN devset documents (one sentence per line) and hard cases."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from resolign.align.sentences import split_sentences

ENDS = re.compile(r"[.!?؟][\"»”)]*$")


def devset_documents(devset_dir: Path, lang: str) -> list[list[str]]:
    """Lines of each devset document, in file order, for documents of 4+ sentences."""
    ids = (devset_dir / "UNv1.0.devset.ids").read_text(encoding="utf-8").split("\n")
    lines = (devset_dir / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").split("\n")
    grouped: dict[str, list[str]] = defaultdict(list)
    for doc, line in zip(ids, lines, strict=False):
        if doc.strip() and line.strip():
            grouped[doc.split()[0]].append(line.strip())
    return [sentences for sentences in grouped.values() if len(sentences) >= 4]


@pytest.mark.parametrize(("lang", "minimum"), [("fr", 1.0), ("ar", 1.0), ("en", 0.97)])
def test_devset_documents_split_back_into_their_sentences(devset_dir, lang, minimum):
    documents = devset_documents(devset_dir, lang)
    # a rule-based splitter needs a final mark: keep documents whose sentences all have one
    punctuated = [doc for doc in documents if all(ENDS.search(s) for s in doc)]
    assert len(punctuated) >= 70
    exact = sum(split_sentences(" ".join(doc), lang) == doc for doc in punctuated)
    assert exact >= minimum * len(punctuated), (exact, len(punctuated))


@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_nothing_is_lost_on_any_devset_document(devset_dir, lang):
    for doc in devset_documents(devset_dir, lang):
        text = "  ".join(doc)
        pieces = split_sentences(text, lang)
        assert " ".join(pieces).split() == text.split()
        assert all(piece == piece.strip() and piece for piece in pieces)


@pytest.mark.parametrize(("lang", "count"), [("fr", 1), ("en", 1), ("ar", 1)])
def test_each_devset_line_is_one_sentence_almost_always(devset_dir, lang, count):
    lines = (devset_dir / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").split("\n")
    lines = [line for line in lines if line.strip()]
    over = [line for line in lines if len(split_sentences(line, lang)) != count]
    assert len(over) <= 0.01 * len(lines)


# each case lists the expected sentences separated by " | "; the input is them joined by spaces
HARD_CASES = [
    ("fr", "M. Dupont a parlé. | Mme Diallo a répondu."),
    ("fr", "Voir l’art. 5 et le par. 7 ci-dessous. | Le Conseil décide."),
    (
        "fr",
        "S.E. Dr. Yousef Ahmed Al Othaimeen a pris la parole. | "
        "Il a noté que la croissance atteint 1.5 %.",
    ),
    ("fr", "Elle a adopté la résolution A/RES/73/135. | Le texte figure en annexe."),
    ("fr", "Quelle suite donner ? | Le Comité propose « la paix ! » et conclut."),
    ("fr", "Les activités sont prioritaires. | b) Les activités prescrites."),
    ("en", "Mr. Smith (No. 5) spoke, e.g. on item 3. | The meeting rose at 1 p.m."),
    ("en", "The draft is contained in annex I. | It was adopted by J. R. Doe."),
    ("en", "12. Decides to remain seized of the matter."),
    ("en", "See A/79/L.9/Rev.1. | It passed."),
    ("en", "To be held on Tuesday, 3 March 2015, at 10.44 a.m. | 2. In addition, it met."),
    ("ar", "هل تحقق الهدف؟ | نعم. | وقد اعتمد القرار!"),
    ("ar", "٣ - تلاحظ التعاون؛ وترحب به. | ٤ - تقرر مواصلة النظر."),
    ("ar", "بلغ المعدل 2.5 في المائة. | وهذا كاف."),
]


@pytest.mark.parametrize(("lang", "case"), HARD_CASES)
def test_hard_cases(lang, case):
    expected = case.split(" | ")
    assert split_sentences(" ".join(expected), lang) == expected


def test_empty_and_unpunctuated():
    assert split_sentences("", "fr") == []
    assert split_sentences("   ", "ar") == []
    assert split_sentences("RESOLUTION N°1/47-POL", "fr") == ["RESOLUTION N°1/47-POL"]
