"""Where to mark a text for the reader: spans of code points into the text as stored.

Matching runs on folded words (normalise.py); marks must point into the original text, so both
functions work on tokens that carry their original character spans.
"""

from __future__ import annotations

from resolign.service.normalise import tokens

Span = tuple[int, int]


def phrase_spans(text: str, phrase_words: list[str]) -> list[Span]:
    """Spans where the normalised phrase occurs word for word (concordance hits)."""
    toks = tokens(text)
    norms = [t.norm for t in toks]
    n = len(phrase_words)
    return [(toks[i].start, toks[i + n - 1].end)
            for i in range(len(toks) - n + 1) if norms[i:i + n] == phrase_words]


def word_spans(text: str, query: str) -> list[Span]:
    """Where the query's words (2+ letters, or numbers) occur in `text`, one mark per run of
    matched words (easier to read than a mark per word)."""
    wanted = {t.norm for t in tokens(query) if len(t.norm) > 1 or t.norm.isdigit()}
    spans: list[Span] = []
    for t in tokens(text) if wanted else []:
        if t.norm not in wanted:
            continue
        if spans and _joinable(text[spans[-1][1]:t.start]):
            spans[-1] = (spans[-1][0], t.end)
        else:
            spans.append((t.start, t.end))
    return spans


def _joinable(gap: str) -> bool:
    return len(gap) <= 3 and not any(c.isalnum() for c in gap)
