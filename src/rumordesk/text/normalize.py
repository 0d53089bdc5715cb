"""Normalise text so evasive spellings of a rumour look like the original.

Pipeline (each step a small function, composed in ``normalize``):
1. Strip URLs and @mentions; unwrap #hashtags# (keep the words).
2. Unicode NFKC: full-width → half-width, compatibility ideographs and radicals (⼈→人),
   circled/enclosed forms, ligatures.
3. Remove zero-width and invisible characters (ZWSP, ZWJ, BOM, soft hyphen, variation
   selectors, bidi controls, tag characters).
4. Casefold; map Cyrillic/Greek look-alikes to Latin.
5. Traditional → simplified Chinese (OpenCC t2s).
6. Undo l33t digits inside Latin words ("v4cc1ne" → "vaccine").
7. Remove symbol/emoji/punctuation padding between characters ("地★震", "f.a.k.e"),
   and join spaced-out letters ("v a c c i n e").
8. Collapse runs of 3+ repeated characters (not digits), and whitespace.
Idempotent: normalising twice gives the same text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9.-]+\.(?:com|cn|org|net|io|cc|me)/\S*", re.I)
_MENTION = re.compile(r"@[\w\-.]{1,30}")
_HASHTAG = re.compile(r"#([^#\s]{1,40})#")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ɡ": "g",
        "α": "a",
        "β": "b",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ı": "i",
        "ӏ": "l",
    }
)
# CJK Radicals Supplement forms that NFKC leaves alone but evaders use as look-alikes
_RADICALS = str.maketrans(
    {
        "⺠": "民",
        "⻛": "风",
        "⻢": "马",
        "⻓": "长",
        "⻅": "见",
        "⻆": "角",
        "⻔": "门",
        "⻥": "鱼",
        "⻋": "车",
        "⻉": "贝",
        "⻝": "食",
        "⺟": "母",
        "⻩": "黄",
        "⻬": "齐",
        "⻨": "麦",
        "⻜": "飞",
        "⻚": "页",
        "⻙": "韦",
        "⻘": "青",
        "⻤": "鬼",
        "⻦": "鸟",
        "⻰": "龙",
        "⻳": "龟",
        "⺁": "厂",
        "⺇": "几",
        "⺌": "小",
        "⺓": "幺",
        "⺕": "彐",
        "⺮": "竹",
        "⺶": "羊",
        "⺷": "羊",
        "⻊": "足",
    }
)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_WORD = re.compile(
    r"(?<![\w@$])(?=[\w@$]*[a-z])(?=[\w@$]*[013457@$])[a-z013457@$]{3,}(?![\w@$])"
)
_SPACE = re.compile(r"\s+")
_REPEAT = re.compile(r"(\D)\1{2,}")
_SPACED_LETTERS = re.compile(r"(?<![a-z])(?:[a-z] ){2,}[a-z](?![a-z])")


def _is_padding(ch: str) -> bool:
    """Symbols, emoji and punctuation that evaders put between characters."""
    cat = unicodedata.category(ch)
    return cat[0] in "SP" or cat in ("Mn", "Me", "Cf", "Co", "Cn")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch


class _Converter:
    """OpenCC t2s, created once, lazily, safely across threads."""

    _lock = threading.Lock()
    _cc: object | None = None

    @classmethod
    def convert(cls, text: str) -> str:
        if cls._cc is None:
            with cls._lock:
                if cls._cc is None:
                    import opencc

                    cls._cc = opencc.OpenCC("t2s")
        return str(cls._cc.convert(text))  # type: ignore[attr-defined]


def strip_noise(text: str) -> str:
    """Remove URLs and @mentions; keep hashtag words."""
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return _HASHTAG.sub(r" \1 ", text)


def fold_unicode(text: str) -> str:
    """NFKC, invisible characters removed, casefolded, look-alikes mapped to Latin."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    return text.casefold().translate(_HOMOGLYPHS).translate(_RADICALS)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (only when the text has CJK characters)."""
    if any(_is_cjk(ch) for ch in text):
        return _Converter.convert(text)
    return text


def undo_leet(text: str) -> str:
    """Replace l33t digits inside mostly-letter words ("c0v1d" → "covid"); keep numbers."""
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)


def remove_padding(text: str) -> str:
    """Drop symbols/punctuation/emoji; CJK padding vanishes, Latin words stay apart."""
    out: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in ".,:" and 0 < i < last and text[i - 1].isdigit() and text[i + 1].isdigit():
            out.append(ch)  # 9.0, 1,000 and 8:30 are numbers, not padding
        elif _is_padding(ch):
            # between two CJK characters (or letters of one word) padding simply disappears;
            # elsewhere it becomes a space so words do not run together
            out.append("\x00")
        else:
            out.append(ch)
    joined = "".join(out)
    # "f.a.k.e" / "地★震": a separator between single characters of a run is removed
    joined = re.sub(r"(?<=\w)\x00+(?=\w)", _join_or_space, joined)
    joined = joined.replace("\x00", " ")
    return _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), joined)


def _join_or_space(match: re.Match[str]) -> str:
    text = match.string
    before, after = text[match.start() - 1], text[match.end()]
    if _is_cjk(before) or _is_cjk(after):
        return ""
    # Latin/digits: join only when the neighbours are single characters ("f.a.k.e")
    left_single = match.start() < 2 or not text[match.start() - 2].isalnum()
    right_single = match.end() + 1 >= len(text) or not text[match.end() + 1].isalnum()
    return "" if left_single and right_single else " "


def collapse(text: str) -> str:
    """Runs of 3+ identical non-digit characters → one; whitespace → single spaces."""
    text = _REPEAT.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()


def _cjk_spaces(text: str) -> str:
    # spaces between CJK characters carry no meaning and are a common evasion
    return re.sub(r"(?<=[\u3400-\u9fff]) +(?=[\u3400-\u9fff])", "", text)


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """The full pipeline (see module docstring); safe on any Unicode input, idempotent."""
    previous = None
    current = text
    # the steps interact (NFKC can expose padding; padding removal can expose repeats);
    # iterating to a fixed point guarantees idempotence, and almost always stops after 2 rounds
    for _ in range(4):
        if current == previous:
            break
        previous = current
        current = strip_noise(current)
        current = fold_unicode(current)
        current = to_simplified(current)
        current = undo_leet(current)
        current = remove_padding(current)
        current = _cjk_spaces(collapse(current))
    return current
