"""Tokens for BM25, character shingles for MinHash, and pinyin keys for homophones."""

from __future__ import annotations

import re
from functools import lru_cache

from rumordesk.text.normalize import normalize

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
STOP_WORDS = frozenset(
    "a an and are as at be been but by for from has have he her his i if in into is it its "
    "me my no not of on or our she so that the their them they this to was we were what when "
    "which who will with you your".split()
)
_SUFFIXES = ("ingly", "edly", "ing", "ied", "ies", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'vaccines'/'vaccine', 'spreading'/'spread'."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """BM25 tokens: stemmed English words without stop words; CJK unigrams and bigrams."""
    norm = normalize(text)
    tokens: list[str] = []
    for word in _WORD.findall(norm):
        if word not in STOP_WORDS:
            tokens.append(stem(word))
    for run in _CJK_RUN.findall(norm):
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def char_shingles(text: str, k: int = 3) -> set[str]:
    """Character k-shingles of the normalised text with spaces removed."""
    compact = normalize(text).replace(" ", "")
    if len(compact) <= k:
        return {compact} if compact else set()
    return {compact[i : i + k] for i in range(len(compact) - k + 1)}


@lru_cache(maxsize=65536)
def _pinyin_of(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.NORMAL, errors="default")[0]


def pinyin_key(text: str) -> str:
    """CJK characters → toneless pinyin, Latin kept; spaces removed, so 微信, 威信 and
    'wei xin' all give 'weixin'."""
    norm = normalize(text)
    out = []
    for ch in norm:
        if "\u3400" <= ch <= "\u9fff":
            out.append(_pinyin_of(ch))
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)
