"""Pinyin keys: one spelling for homophones ("微信", "威信" and "wei xin" all give "weixin").

1. Normalise the text (``normalize``).
2. Each Han character → its toneless pinyin (pypinyin's most common reading, cached per
   character: the same reading for the claim and the post matters more than the right one).
3. Latin words that are pinyin ("wei", "weixin") count as pinyin too, so a word written in
   pinyin in a post meets the characters of the claim.
4. Spaces next to pinyin pieces are dropped (normalised Chinese has none); other text and
   the spaces between other words are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rumordesk.text.confusables import HAN
from rumordesk.text.normalize import normalize
from rumordesk.text.syllables import LONGEST, SYLLABLES

_PIECE = re.compile(f"([{HAN}])|([a-z]+)|( )|([^{HAN}a-z ]+)")


@lru_cache(maxsize=1 << 16)
def pinyin_of(char: str) -> str:
    """Toneless pinyin of one Han character (the character itself when pypinyin has none)."""
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(char, style=Style.NORMAL, errors="default")
    return readings[0] if readings else char


@lru_cache(maxsize=1 << 14)
def is_pinyin(word: str) -> bool:
    """Whether a Latin word splits entirely into pinyin syllables ("weixin" → wei + xin)."""
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - LONGEST), end):
            if reachable[start] and word[start:end] in SYLLABLES:
                reachable[end] = True
                break
    return reachable[-1]


def pinyin_key(text: str) -> str:
    """Han characters → toneless pinyin; spaces next to pinyin dropped, the rest kept."""
    pieces: list[tuple[bool, str]] = []  # (is pinyin, text)
    for han, latin, space, other in _PIECE.findall(normalize(text)):
        if han:
            pieces.append((True, pinyin_of(han)))
        elif latin:
            pieces.append((is_pinyin(latin), latin))
        elif space:
            pieces.append((False, " "))
        else:
            pieces.append((False, other))
    out: list[str] = []
    for i, (_, piece) in enumerate(pieces):
        if piece == " " and 0 < i < len(pieces) - 1 and (pieces[i - 1][0] or pieces[i + 1][0]):
            continue  # "wei xin", "10 wan yuan rmb": the space only separates syllables
        out.append(piece)
    return "".join(out)
