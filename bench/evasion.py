"""Evasive variants of Chinese rumour texts, for the Chinese evasion benchmark.

``make_variants(text, rng)`` returns (trick, variant) pairs: each trick of the normaliser's list
alone — traditional characters, full-width, zero-width insertion, emoji/symbol padding, repeated
characters, homophone substitution, pinyin substitution, split/look-alike characters, URL and
@mention noise, added commentary — and a few random combinations of 2-4 tricks.
Run it to see the variants of a sample sentence: `.venv/bin/python -m bench.evasion`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]
PADDING = ["★", "☆", "●", ".", "·", "🔥", "❗", "~", "_", "*", "|", "💥", "/"]
COMMENTARY_BEFORE = [
    "转发扩散！",
    "刚看到的，大家小心：",
    "不知道真假，",
    "求辟谣：",
    "震惊！",
    "朋友圈都在传：",
]
COMMENTARY_AFTER = [
    "，转给家人看看！",
    " 大家注意安全！！",
    "，是真的吗？",
    "【扩散】",
    " 速看，马上删",
]
# common look-alike / split forms used to dodge keyword filters
LOOKALIKE = {
    "人": "亻",
    "民": "⺠",
    "日": "曰",
    "口": "囗",
    "己": "已",
    "土": "士",
    "未": "末",
    "天": "夭",
    "大": "犬",
    "王": "壬",
    "力": "カ",
    "工": "エ",
    "八": "ハ",
    "二": "ニ",
    "一": "ー",
    "夕": "タ",
    "卜": "ト",
    "木": "朩",
}
URL_NOISE = [
    "http://t.cn/A6x",
    "https://weibo.example.com/s/8Kq2",
    "@新闻快讯",
    "@热点追踪",
    "#热门#",
]


def _to_traditional() -> Callable[[str], str]:
    import opencc

    converter = opencc.OpenCC("s2t")
    return lambda text: str(converter.convert(text))


_S2T = _to_traditional()


def _cjk_positions(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]


@lru_cache(maxsize=1)
def _homophones() -> dict[str, list[str]]:
    """Same-pinyin characters among common characters (GB2312 level 1)."""
    from pypinyin import Style, lazy_pinyin

    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    by_sound: dict[str, list[str]] = {}
    for ch in chars:
        by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    return {
        ch: [c for c in group if c != ch]
        for group in by_sound.values()
        for ch in group
        if len(group) > 1
    }


def traditional(text: str, rng: random.Random) -> str:
    return _S2T(text)


def full_width(text: str, rng: random.Random) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def zero_width(text: str, rng: random.Random) -> str:
    return "".join(c + (rng.choice(ZERO_WIDTH) if rng.random() < 0.5 else "") for c in text)


def symbol_padding(text: str, rng: random.Random) -> str:
    pad = rng.choice(PADDING)
    pos = set(rng.sample(_cjk_positions(text), k=min(6, len(_cjk_positions(text)))))
    return "".join(c + (pad if i in pos else "") for i, c in enumerate(text))


def repeated(text: str, rng: random.Random) -> str:
    pos = set(rng.sample(_cjk_positions(text), k=min(3, len(_cjk_positions(text)))))
    return "".join(c * rng.randint(3, 5) if i in pos else c for i, c in enumerate(text))


def homophone(text: str, rng: random.Random) -> str:
    table = _homophones()
    candidates = [i for i in _cjk_positions(text) if text[i] in table]
    pos = set(rng.sample(candidates, k=min(max(1, len(candidates) // 8), 4, len(candidates))))
    return "".join(rng.choice(table[c]) if i in pos else c for i, c in enumerate(text))


def pinyin_words(text: str, rng: random.Random) -> str:
    from pypinyin import Style, lazy_pinyin

    positions = _cjk_positions(text)
    if len(positions) < 2:
        return text
    start = rng.choice(positions[:-1])
    if start + 1 not in positions:
        return text
    word = text[start : start + 2]
    return text[:start] + " ".join(lazy_pinyin(word, style=Style.NORMAL)) + text[start + 2 :]


def lookalike(text: str, rng: random.Random) -> str:
    return "".join(LOOKALIKE.get(c, c) if rng.random() < 0.7 else c for c in text)


def url_noise(text: str, rng: random.Random) -> str:
    return f"{rng.choice(URL_NOISE)} {text} {rng.choice(URL_NOISE)}"


def commentary(text: str, rng: random.Random) -> str:
    return rng.choice(COMMENTARY_BEFORE) + text + rng.choice(COMMENTARY_AFTER)


TRICKS: dict[str, Callable[[str, random.Random], str]] = {
    "traditional": traditional,
    "full_width": full_width,
    "zero_width": zero_width,
    "symbol_padding": symbol_padding,
    "repeated": repeated,
    "homophone": homophone,
    "pinyin": pinyin_words,
    "lookalike": lookalike,
    "url_mention": url_noise,
    "commentary": commentary,
}


def make_variants(text: str, rng: random.Random, combos: int = 3) -> list[tuple[str, str]]:
    """Each trick alone, then ``combos`` random combinations of 2-4 tricks."""
    out = [(name, trick(text, rng)) for name, trick in TRICKS.items()]
    names = list(TRICKS)
    for _ in range(combos):
        chosen = rng.sample(names, k=rng.randint(2, 4))
        variant = text
        for name in chosen:
            variant = TRICKS[name](variant, rng)
        out.append(("+".join(chosen), variant))
    return out


if __name__ == "__main__":
    sample = "紧急通知：地震局预测今晚十点本市将发生七级大地震，请大家做好准备"
    for trick_name, variant in make_variants(sample, random.Random(7)):
        print(f"{trick_name:<40} {variant!r}")
