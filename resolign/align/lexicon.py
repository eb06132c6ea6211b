"""Word frequencies per language, from the word lists `wordfreq` ships (no network).

The OCR repair needs more than "is this a word": web and subtitle sources also hold common
misspellings ("matiére" has a Zipf frequency of 1.9, "matière" 5.0; "Etats" 4.8 is a normal
spelling, "États" 5.2). Frequencies let a repair demand that the repaired form be much more
common than the damaged one. wordfreq's "large" lists hold 311k French, 321k English and 621k
Arabic words (Wikipedia, subtitles, news, books, web), lower-cased, elisions split off.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = ["zipf"]


@lru_cache(maxsize=4)
def _frequencies(lang: str) -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict(lang, wordlist="large")


def zipf(word: str, lang: str) -> float:
    """log10 of the word's frequency per billion words (0.0 for a word not in the list):
    about 7 for "de", 5 for "coopération", 3 for "islamophobie", under 2 for misspellings."""
    frequency = _frequencies(lang).get(word.lower(), 0.0)
    return math.log10(frequency) + 9.0 if frequency > 0 else 0.0
