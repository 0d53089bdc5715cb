"""Tokens for BM25, character shingles for MinHash, and pinyin keys for homophones.

All three start from ``normalize``, so a post and a claim are compared in one spelling.
"""

from __future__ import annotations

import functools
import re

from rumordesk.text.confusables import CJK_TOKENS
from rumordesk.text.normalize import normalize
from rumordesk.text.pinyin import pinyin_key

__all__ = ["STOP_WORDS", "char_shingles", "pinyin_key", "stem", "tokenize"]

_CJK_RUN = re.compile(f"([{CJK_TOKENS}]+)")
# after normalisation the only punctuation left is a separator inside a number ("9.0", "8:30")
_WORD = re.compile(r"[^\W_]+(?:[.,:][^\W_]+)*")
_NOT_PLAIN = re.compile(r"[^a-z0-9 ]")
STOP_WORDS = frozenset(
    """a about after all also am an and any are as at be because been before being but by can
    could did do does doing during each for from had has have having he her here hers him his
    how i if in into is it its itself just me more most my no nor not now of on once only or
    other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours""".split()
)
_VOWELS = frozenset("aeiouy")


def _undouble(stem_: str) -> str:
    """'stopp' → 'stop', 'spreadd' is not a thing, 'fall' stays (l, s and z double in roots)."""
    if len(stem_) > 3 and stem_[-1] == stem_[-2] and stem_[-1] not in "lsz" + "aeiou":
        return stem_[:-1]
    return stem_


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English stemmer: plurals, -ed, -ing, -ly and a final -e, so that 'vaccine',
    'vaccines' and 'vaccinated'/'vaccinate' meet and 'virus'/'viruses' do too."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses") or word.endswith("xes") or word.endswith("ches"):
        word = word[:-2]
    elif word.endswith("ses") and len(word) > 5:
        word = word[:-1]  # viruses → viruse → virus (final e below)
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5 and set(word[:-3]) & _VOWELS:
        word = _undouble(word[:-3])
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 5 and set(word[:-2]) & _VOWELS:
        word = _undouble(word[:-2])
    elif word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _words(part: str) -> list[str]:
    """``_WORD``'s words; a part of only ASCII letters, digits and spaces (most normalised
    English text) splits into the same words at a fifth of the cost."""
    if not _NOT_PLAIN.search(part):
        return part.split()
    words: list[str] = _WORD.findall(part)
    return words


def tokenize(text: str) -> list[str]:
    """BM25 tokens: stemmed words without stop words; CJK runs as unigrams plus bigrams."""
    tokens: list[str] = []
    text = normalize(text)
    for i, part in enumerate([text] if text.isascii() else _CJK_RUN.split(text)):
        if i % 2:  # a CJK run (split keeps the captured runs at odd positions)
            tokens.extend(part)
            tokens.extend(part[j : j + 2] for j in range(len(part) - 1))
        else:
            tokens += [stem(w) for w in _words(part) if w not in STOP_WORDS]
    return tokens


def char_shingles(text: str, k: int = 3) -> set[str]:
    """Character k-shingles of the normalised text with spaces removed (the whole text when
    it is shorter than k, nothing when it is empty)."""
    if k < 1:
        raise ValueError(f"shingle size must be at least 1, got {k}")
    compact = normalize(text).replace(" ", "")
    if len(compact) <= k:
        return {compact} if compact else set()
    return {compact[i : i + k] for i in range(len(compact) - k + 1)}
