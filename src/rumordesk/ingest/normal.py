"""The stored normalised text of a post: what dedup and sweeps key on.

Cheap and stable on purpose (NFKC, traditional -> simplified, case-folded, invisible characters
and repeated whitespace removed); the matcher applies its own, richer normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

MIN_MATCH_CHARS = 4  # shorter texts ("转发微博" aside) say too little to match
INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\u00ad]")
SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str | None) -> str | None:
    """The normalised form, or None when nothing matchable is left."""
    if not text:
        return None
    out = unicodedata.normalize("NFKC", text)
    out = INVISIBLE.sub("", out)
    out = SPACES.sub(" ", out).strip().casefold()
    if not out:
        return None
    if any("\u3400" <= ch <= "\u9fff" for ch in out):
        out = _t2s().convert(out)
    return out


def matchable(norm: str | None) -> bool:
    """Whether a normalised text is long enough to send to matching."""
    return norm is not None and len(norm) >= MIN_MATCH_CHARS
