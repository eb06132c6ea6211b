"""Where to mark a text for the reader: spans of code points into the text as stored.

Matching runs on folded words and their form keys (normalise.py, wordforms.py); marks must
point into the original text, so spans come from tokens that carry their original offsets.
Concordance marks the phrase in any of its forms (here); matches mark their differences from
the query (fuzzy.py); the phrase's translations are marked by equivalents.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from resolign.service.wordforms import FormWords, form_words

Span = tuple[int, int]


def phrase_spans(text: str, lang: str, keys: Sequence[str]) -> list[Span]:
    """Where the phrase of form keys occurs in `text` (every occurrence, in any form)."""
    return run_spans(form_words(text, lang), tuple(keys))


def run_spans(words: FormWords, run: tuple[str, ...], *, first: bool = False) -> list[Span]:
    """Where the run of form keys occurs among `words` (only the first place with `first`)."""
    keys, n, found = words.keys, len(run), []
    if not n:
        return found
    for i in range(len(keys) - n + 1):
        if keys[i] == run[0] and keys[i:i + n] == run:
            found.append((words.spans[i][0], words.spans[i + n - 1][1]))
            if first:
                break
    return found
