"""Evasive variants of Chinese rumour texts, for the Chinese evasion benchmark.

``make_variants(text, rng)`` returns (trick, variant) pairs: each trick alone — traditional
characters, full-width forms, zero-width insertion, emoji/symbol padding, repeated characters,
homophone substitution, pinyin substitution, split characters, look-alike characters, URL and
@mention noise, added commentary — then a few random combinations of 2-4 tricks.

The tables here are written from what posters do, not copied from the normaliser's tables, so
the benchmark also shows what normalisation misses (e.g. splits into real characters, 弓长 for 张).
A trick that cannot change a text (no ASCII to widen, no splittable character) is left out of
that text's variants rather than counted as an easy success.
Run it to see the variants of a sample sentence: `.venv/bin/python -m bench.evasion`.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u202c", "\ufe0f"]
PADDING = ["★", "☆", "●", ".", "·", "🔥", "❗", "~", "_", "*", "|", "💥", "/", " ", "👉", "、"]
COMMENTARY_BEFORE = [
    "转发扩散！",
    "刚看到的，大家小心：",
    "不知道真假，",
    "求辟谣：",
    "震惊！",
    "朋友圈都在传：",
    "家人们注意了！",
    "#热门# ",
]
COMMENTARY_AFTER = [
    "，转给家人看看！",
    " 大家注意安全！！",
    "，是真的吗？",
    "【扩散】",
    " 速看，马上删",
    "，不转不是中国人",
]
# characters written as their parts: radical splits and splits into real characters
SPLITS = {
    "法": "氵去", "海": "氵每", "活": "氵舌", "消": "氵肖", "清": "氵青", "油": "氵由",
    "治": "氵台", "你": "亻尔", "他": "亻也", "信": "亻言", "体": "亻本", "保": "亻呆",
    "打": "扌丁", "扩": "扌广", "说": "讠兑", "谢": "讠射", "话": "讠舌", "证": "讠正",
    "谣": "讠䍃", "病": "疒丙", "疫": "疒殳", "苗": "艹田", "药": "艹约", "情": "忄青",
    "张": "弓长", "李": "木子", "吴": "口天", "陈": "耳东", "胡": "古月", "明": "日月",
    "好": "女子", "炸": "火乍", "秋": "禾火", "地": "土也", "部": "咅阝", "林": "木木",
    "封": "圭寸", "城": "土成", "震": "雨辰", "毒": "龶毋", "死": "歹匕", "核": "木亥",
}  # fmt: skip
# real characters that look like others (the normaliser cannot fold these safely)
LOOKALIKE_CHARS = {
    "己": "已", "未": "末", "土": "士", "日": "曰", "天": "夭", "大": "犬", "王": "壬",
    "人": "入", "口": "ロ", "工": "エ", "力": "カ", "八": "ハ", "二": "ニ", "一": "ー",
    "夕": "タ", "卜": "ト", "木": "朩",
}  # fmt: skip
URL_NOISE = [
    "http://t.cn/A6x",
    "https://weibo.example.com/s/8Kq2",
    "@新闻快讯",
    "@热点追踪",
    "//@吃瓜群众:",
    "www.example.cn/a?b=1",
]


_LINKED = re.compile(r"@[\w\-.]{1,30}|https?://\S+")


@lru_cache(maxsize=1)
def _s2t() -> Callable[[str], str]:
    import opencc

    converter = opencc.OpenCC("s2t")
    return lambda text: str(converter.convert(text))


@lru_cache(maxsize=1)
def _compat_forms() -> dict[str, list[str]]:
    """Kangxi radicals, compatibility and enclosed ideographs that NFKC folds to a character."""
    blocks = [(0x2F00, 0x2FE0), (0xF900, 0xFB00), (0x3280, 0x32B1), (0x1F210, 0x1F23C)]
    forms: dict[str, list[str]] = {}
    for lo, hi in blocks:
        for cp in range(lo, hi):
            folded = unicodedata.normalize("NFKC", chr(cp))
            if len(folded) == 1 and "\u4e00" <= folded <= "\u9fff":
                forms.setdefault(folded, []).append(chr(cp))
    return forms


@lru_cache(maxsize=1)
def _homophones() -> dict[str, list[str]]:
    """Same-pinyin (toneless) characters among the 3,755 common characters (GB2312 level 1)."""
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


def _cjk_positions(text: str) -> list[int]:
    """Chinese characters outside @mentions and links (a poster cannot alter those)."""
    fixed = {i for m in _LINKED.finditer(text) for i in range(m.start(), m.end())}
    return [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff" and i not in fixed]


def _some(rng: random.Random, positions: list[int], most: int) -> set[int]:
    return set(rng.sample(positions, k=min(most, len(positions))))


def traditional(text: str, rng: random.Random) -> str:
    """Simplified → traditional characters (OpenCC s2t)."""
    return _s2t()(text)


def full_width(text: str, rng: random.Random) -> str:
    """ASCII letters, digits and punctuation → full-width forms; spaces → ideographic space."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def zero_width(text: str, rng: random.Random) -> str:
    """Invisible characters after about half of the Chinese characters."""
    chosen = {i for i in _cjk_positions(text) if rng.random() < 0.5}
    return "".join(c + (rng.choice(INVISIBLE) if i in chosen else "") for i, c in enumerate(text))


def symbol_padding(text: str, rng: random.Random) -> str:
    """One padding symbol (emoji, star, dot, space...) after up to six Chinese characters."""
    pad = rng.choice(PADDING)
    chosen = _some(rng, _cjk_positions(text)[:-1], 6)
    return "".join(c + (pad if i in chosen else "") for i, c in enumerate(text))


def repeated(text: str, rng: random.Random) -> str:
    """Up to three Chinese characters written 3-5 times ("太太太可怕")."""
    chosen = _some(rng, _cjk_positions(text), 3)
    return "".join(c * rng.randint(3, 5) if i in chosen else c for i, c in enumerate(text))


def homophone(text: str, rng: random.Random) -> str:
    """About one character in eight (1-4) replaced by a same-pinyin character."""
    table = _homophones()
    candidates = [i for i in _cjk_positions(text) if text[i] in table]
    chosen = _some(rng, candidates, min(max(1, len(candidates) // 8), 4))
    return "".join(rng.choice(table[c]) if i in chosen else c for i, c in enumerate(text))


def pinyin_words(text: str, rng: random.Random) -> str:
    """A two-character word replaced by its pinyin, with or without a space between syllables."""
    from pypinyin import Style, lazy_pinyin

    positions = set(_cjk_positions(text))
    starts = [i for i in sorted(positions) if i + 1 in positions]
    if not starts:
        return text
    start = rng.choice(starts)
    syllables = lazy_pinyin(text[start : start + 2], style=Style.NORMAL)
    word = rng.choice([" ", ""]).join(syllables)
    return f"{text[:start]} {word} {text[start + 2 :]}"


def split_chars(text: str, rng: random.Random) -> str:
    """Characters written as their components ("氵去" for 法, "弓长" for 张)."""
    chosen = {i for i in _cjk_positions(text) if text[i] in SPLITS and rng.random() < 0.8}
    return "".join(SPLITS[c] if i in chosen else c for i, c in enumerate(text))


def lookalike(text: str, rng: random.Random) -> str:
    """Look-alike forms: Kangxi radicals and compatibility/enclosed ideographs (⼈, ㊥),
    katakana, and real characters that look alike (已 for 己)."""
    forms = _compat_forms()
    free = set(_cjk_positions(text))
    out = []
    for i, c in enumerate(text):
        if i not in free:
            out.append(c)
        elif c in forms and rng.random() < 0.5:
            out.append(rng.choice(forms[c]))
        elif c in LOOKALIKE_CHARS and rng.random() < 0.7:
            out.append(LOOKALIKE_CHARS[c])
        else:
            out.append(c)
    return "".join(out)


def url_noise(text: str, rng: random.Random) -> str:
    """A link, @mention or hashtag before and after the text."""
    return f"{rng.choice(URL_NOISE)} {text} {rng.choice(URL_NOISE)}"


def commentary(text: str, rng: random.Random) -> str:
    """Reposter's words before and after ("转发扩散！", "是真的吗？")."""
    return rng.choice(COMMENTARY_BEFORE) + text + rng.choice(COMMENTARY_AFTER)


TRICKS: dict[str, Callable[[str, random.Random], str]] = {
    "traditional": traditional,
    "full_width": full_width,
    "zero_width": zero_width,
    "symbol_padding": symbol_padding,
    "repeated": repeated,
    "homophone": homophone,
    "pinyin": pinyin_words,
    "split": split_chars,
    "lookalike": lookalike,
    "url_mention": url_noise,
    "commentary": commentary,
}


def make_variants(text: str, rng: random.Random, combos: int = 3) -> list[tuple[str, str]]:
    """Each trick alone (when it changes the text), then ``combos`` random combinations of
    2-4 tricks applied in a random order, named like "homophone+zero_width"."""
    out = []
    for name, trick in TRICKS.items():
        variant = trick(text, rng)
        if variant != text:
            out.append((name, variant))
    names = list(TRICKS)
    for _ in range(combos):
        chosen = rng.sample(names, k=rng.randint(2, 4))
        variant = text
        for name in chosen:
            variant = TRICKS[name](variant, rng)
        if variant != text:
            out.append(("+".join(chosen), variant))
    return out


# -- heavier and differently spelled tricks (``--stress``): not used for training or tuning -----
# rarer invisible characters than ``INVISIBLE``: Mongolian vowel separator, combining grapheme
# joiner, invisible operators, Hangul fillers, a tag space, bidi marks, Khmer inherent vowel
RARE_INVISIBLE = [
    "\u180e", "\u034f", "\u2061", "\u2062", "\u2063", "\u2064", "\u3164", "\u115f",
    "\U000e0020", "\u200e", "\u200f", "\u17b4",
]  # fmt: skip
STRESS_SYMBOLS = list("♥♡※✿❀◆◇■□▲△▽〓♪♫☞☜✔✘") + ["😂", "🙏", "👍", "🌹", "⚠️", "👇"]
# "Martian script" (火星文): look-alike or archaic characters for common ones
MARTIAN = {
    "的": "の", "是": "昰", "么": "麼", "你": "妳", "我": "莪", "有": "冇", "人": "亾",
    "不": "芣", "没": "莈", "好": "恏", "了": "叻", "这": "這", "吗": "嗎",
}  # fmt: skip


def homophone_quarter(text: str, rng: random.Random) -> str:
    """A quarter of the characters that have a homophone replaced by one."""
    table = _homophones()
    candidates = [i for i in _cjk_positions(text) if text[i] in table]
    chosen = _some(rng, candidates, len(candidates) // 4)
    return "".join(rng.choice(table[c]) if i in chosen else c for i, c in enumerate(text))


def _after_each(text: str, insert: Callable[[], str]) -> str:
    positions = set(_cjk_positions(text)[:-1])
    return "".join(c + (insert() if i in positions else "") for i, c in enumerate(text))


def symbol_every(text: str, rng: random.Random) -> str:
    """A symbol or emoji (a random one each time) after every Chinese character."""
    return _after_each(text, lambda: rng.choice(STRESS_SYMBOLS))


def space_every(text: str, rng: random.Random) -> str:
    """A space after every Chinese character."""
    return _after_each(text, lambda: " ")


def invisible_every(text: str, rng: random.Random) -> str:
    """A rare invisible character after every Chinese character."""
    return _after_each(text, lambda: rng.choice(RARE_INVISIBLE))


def _pinyin_words(text: str, rng: random.Random, style: str, joiner: str) -> str:
    from pypinyin import Style, lazy_pinyin

    positions = set(_cjk_positions(text))
    starts = [i for i in sorted(positions) if i + 1 in positions]
    out = text
    for start in sorted(_some(rng, starts[::2], 3), reverse=True):
        syllables = lazy_pinyin(out[start : start + 2], style=getattr(Style, style))
        out = f"{out[:start]} {joiner.join(syllables)} {out[start + 2 :]}"
    return out


def toned_pinyin(text: str, rng: random.Random) -> str:
    """Up to three two-character words in pinyin with tone marks ("hǎi qū", pypinyin's
    default style)."""
    return _pinyin_words(text, rng, "TONE", " ")


def numbered_pinyin(text: str, rng: random.Random) -> str:
    """Up to three two-character words in pinyin with tone numbers ("hai3qu1")."""
    return _pinyin_words(text, rng, "TONE3", "")


def martian(text: str, rng: random.Random) -> str:
    """Common characters written in "Martian script" (の for 的, 昰 for 是)."""
    free = set(_cjk_positions(text))
    return "".join(
        MARTIAN[c] if i in free and c in MARTIAN and rng.random() < 0.8 else c
        for i, c in enumerate(text)
    )


def truncated(text: str, rng: random.Random) -> str:
    """Only the first 60 % of the text, between a lead-in and a question."""
    return "据说" + text[: max(10, len(text) * 3 // 5)] + "……大家怎么看？"


STRESS_TRICKS: dict[str, Callable[[str, random.Random], str]] = {
    "homophone (a quarter of the characters)": homophone_quarter,
    "symbol after every character": symbol_every,
    "space after every character": space_every,
    "rare invisible after every character": invisible_every,
    "pinyin with tone marks": toned_pinyin,
    "pinyin with tone numbers": numbered_pinyin,
    "Martian script": martian,
    "first 60 % only": truncated,
}


def make_stress_variants(text: str, rng: random.Random, combos: int = 2) -> list[tuple[str, str]]:
    """Each stress trick alone, then ``combos`` random combinations of two or three of them with
    one trick of ``TRICKS`` (named "combination")."""
    out = []
    for name, trick in STRESS_TRICKS.items():
        variant = trick(text, rng)
        if variant != text:
            out.append((name, variant))
    stress = [n for n in STRESS_TRICKS if n != "first 60 % only"]
    for _ in range(combos):
        variant = TRICKS[rng.choice(list(TRICKS))](text, rng)
        for name in rng.sample(stress, k=rng.randint(2, 3)):
            variant = STRESS_TRICKS[name](variant, rng)
        if variant != text:
            out.append(("combination (a trick + 2-3 stress tricks)", variant))
    return out


if __name__ == "__main__":
    sample = "紧急通知：地震局预测今晚10点本市将发生7级大地震，请大家做好准备，转发给你的家人"
    for trick_name, variant in make_variants(sample, random.Random(7)):
        print(f"{trick_name:<44} {variant!r}")
    for trick_name, variant in make_stress_variants(sample, random.Random(7)):
        print(f"{trick_name:<44} {variant!r}")
