"""Word forms: the one place that decides which spellings of a word a look-up treats as the same.

A full-text row holds, for each word of a variant, its FORM KEY: the folded word (normalise.py:
case, accents, harakat, hamza carriers, ligatures œ/æ) with its inflection taken off —

- English and French: the plural (and French -aux/-al), the "S-stemmer" of Harman (1991) that
  Lucene ships as its minimal stemmers, but an ending is only taken off when the Snowball stemmer
  (PyStemmer) gives the word and the shortened word one stem: "countries" → "country", "États" →
  "etat", while "this", "bus", "fois" (≠ "foi") and "mais" (≠ "mai") keep their s. Full Snowball
  stems were measured too broad for a concordance on the UN devset: they join "united" with
  "unit", "nations" with "national", "developing" with "developed" and "development",
  "égalité" with "également" — "developing country" would list "developed countries".
- Arabic: the proclitics و ف (and), ب ك ل (prepositions) and the article ال are split off
  (ل + ال is written لل), as Arabic light stemmers do (Larkey's light10, Lucene's
  ArabicStemmer): "للأمم", "والأمم", "بالأمم" all give "امم"; "لحقوق", "بحقوق" give "حقوق".
  A letter is split off only while three letters remain, and always the same way (greedily), so
  a word and every proclitic form of it get one key.
- Any other language: the folded word.

One key per word, in order, so a phrase of keys matches the same words in the same order.
After the keys the row repeats every word's folded SURFACE form behind SURFACE_MARK: a phrase
of marked words finds the query exactly as typed (case and accents aside), which is how the
exact phrase is ranked before its other forms; FTS5 phrases never run from one half into the
other because no key carries the mark.

WORDFORMS_VERSION names these rules: a memory written under other rules rebuilds its full-text
rows and exact keys when opened (the store compares it with the version it recorded).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from resolign.service.normalise import tokens, words

WORDFORMS_VERSION = "1"
SURFACE_MARK = "\ue000"
"""A private-use character (a letter to SQLite's unicode61 tokenizer, never in folded text)."""

_SNOWBALL = {"en": "english", "fr": "french"}
_PROCLITIC_LETTERS = frozenset("وفبكل")
_ARTICLE = "ال"
_MIN_ARABIC_STEM = 3
_EN_ES_KEEP = ("aes", "ees", "oes")
_EN_S_KEEP = ("us", "ss", "is")


@dataclass(frozen=True, slots=True)
class FormWords:
    """The words of a text, in order: their form keys, folded surfaces and spans in the
    original text. Tuples of strings and ints, which the garbage collector stops tracking: a
    server caches thousands (`form_words`), and as lists of token objects they were walked at
    every full collection."""

    keys: tuple[str, ...]
    norms: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Stemmer.Stemmer | None:
    name = _SNOWBALL.get(lang)
    return Stemmer.Stemmer(name) if name else None


def _same_stem(lang: str, word: str, shorter: str) -> bool:
    stemmer = _stemmer(lang)
    return stemmer is not None and stemmer.stemWord(word) == stemmer.stemWord(shorter)


def _english(word: str) -> str:
    if len(word) > 3 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        shorter = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(_EN_S_KEEP) \
            and not word.endswith(_EN_ES_KEEP):
        shorter = word[:-1]  # "operations" → "operation", "resources" → "resource"
    else:
        return word
    return shorter if _same_stem("en", word, shorter) else word


def _french(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("aux") and len(word) > 4:
        shorter = word[:-3] + "al"
        if _same_stem("fr", word, shorter):
            return shorter
    if word.endswith(("s", "x")):
        shorter = word[:-1]
        if _same_stem("fr", word, shorter):
            return shorter
    return word


def _arabic(word: str) -> str:
    while True:
        if word.startswith(_ARTICLE) and len(word) - 2 >= _MIN_ARABIC_STEM:
            word = word[2:]
        elif word[:1] in _PROCLITIC_LETTERS and len(word) - 1 >= _MIN_ARABIC_STEM:
            word = word[1:]
        else:
            return word


_RULES = {"en": _english, "fr": _french, "ar": _arabic}


@lru_cache(maxsize=1 << 18)
def form_key(word: str, lang: str) -> str:
    """The form key of one folded word (see the module docstring)."""
    rule = _RULES.get(lang)
    return rule(word) if rule else word


def _base(lang: str) -> str:
    return lang.strip().replace("_", "-").split("-")[0].lower()


def form_words(text: str, lang: str) -> FormWords:
    """Every word of `text`: its form key, folded surface and span in the original."""
    return _form_words(text, _base(lang))


@lru_cache(maxsize=8192)
def _form_words(text: str, base: str) -> FormWords:
    """Cached: a concordance page reads the same hits' texts several times (learning their
    translations, grouping and marking them), and building token objects at each was a fifth
    of its time."""
    found = tokens(text)
    norms = tuple(t.norm for t in found)
    return FormWords(tuple(form_key(norm, base) for norm in norms), norms,
                     tuple((t.start, t.end) for t in found))


def form_keys(text: str, lang: str) -> list[str]:
    """The form keys of the words of `text`, in order (what a query's phrase is made of)."""
    base = _base(lang)
    return [form_key(word, base) for word in words(text)]


def index_terms(text: str, lang: str) -> list[str]:
    """What a variant's full-text row holds: every word's form key, then every word's folded
    surface behind SURFACE_MARK (see the module docstring)."""
    keys, surfaces = index_phrases(text, lang)
    return keys + surfaces


def index_phrases(text: str, lang: str) -> tuple[list[str], list[str]]:
    """`index_terms` as the two phrases a query's phrase can match: the form keys, and the
    marked surfaces, each in text order."""
    folded = words(text)
    base = _base(lang)
    return [form_key(w, base) for w in folded], [SURFACE_MARK + w for w in folded]


def surface_terms(text: str) -> list[str]:
    """The marked surface terms of `text` (a phrase of them finds the text as typed)."""
    return [SURFACE_MARK + w for w in words(text)]


def exact_key(text: str) -> str:
    """Hash of the folded words: equal keys mean the texts differ at most in case, accents,
    harakat, ligatures or punctuation (the key an exact look-up finds a segment by)."""
    return hashlib.sha1(" ".join(words(text)).encode()).hexdigest()[:24]
