"""Where to mark a text for the reader: spans of code points into the text as stored.

Matching runs on folded words and their form keys (normalise.py, wordforms.py); marks must
point into the original text, so spans come from tokens that carry their original offsets.
Concordance marks the phrase in any of its forms (here); matches mark their differences from
the query (fuzzy.py); the phrase's translations are marked by equivalents.py.
"""

from __future__ import annotations

from resolign.service.wordforms import form_tokens

Span = tuple[int, int]


def phrase_spans(text: str, lang: str, keys: list[str]) -> list[Span]:
    """Where the phrase of form keys occurs in `text` (every occurrence, in any form)."""
    toks = form_tokens(text, lang)
    n = len(keys)
    return [(toks[i].start, toks[i + n - 1].end) for i in range(len(toks) - n + 1)
            if [t.key for t in toks[i:i + n]] == keys]
