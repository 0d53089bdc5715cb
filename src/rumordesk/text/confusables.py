"""Look-alike tables: the characters evaders swap in so a filter misses a word.

Kept apart from the pipeline so the tables can grow without touching the steps. Every table maps
to a form that the later steps leave alone (a fixed point), which keeps ``normalize`` idempotent.
"""

from __future__ import annotations

# Character classes as regex fragments (inside [...]).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Scripts written without spaces: padding and spaces between these characters mean nothing.
JOINED = (
    "\u2e80-\u2fdf\u3005-\u3007\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
# Scripts that BM25 reads as character unigrams and bigrams (JOINED plus Hangul).
CJK_TOKENS = JOINED + "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"

# Zero-width and invisible characters: ZWSP/ZWNJ/ZWJ, word joiner and other invisible operators,
# BOM, soft hyphen, combining grapheme joiner, bidi controls and isolates, Hangul fillers,
# Mongolian selectors, variation selectors (and their supplement), tag characters, and lone
# surrogates (they cannot be encoded and only come from broken input).
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ud800-\udfff"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)

# Cyrillic, Greek, Armenian and IPA/small-capital letters that look like Latin ones
# (applied after casefold, so lower case only).
LATIN_LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ү": "y", "ѡ": "w", "ɡ": "g", "ь": "b",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϳ": "j",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ց": "g", "ո": "n",
    # Latin variants and small capitals
    "ɑ": "a", "ı": "i", "ȷ": "j", "ɩ": "i", "ʋ": "u", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d",
    "ᴇ": "e", "ғ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m",
    "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w",
    "ʏ": "y", "ᴢ": "z",
}  # fmt: skip
# Negative circled and negative squared capitals (🅐, 🅰): NFKC leaves them alone.
LATIN_LOOKALIKES.update({chr(0x1F150 + i): chr(ord("a") + i) for i in range(26)})
LATIN_LOOKALIKES.update({chr(0x1F170 + i): chr(ord("a") + i) for i in range(26)})

# CJK Radicals Supplement forms that NFKC leaves alone (the Kangxi radicals it does fold).
RADICALS: dict[str, str] = {
    "⺁": "厂", "⺇": "几", "⺌": "小", "⺓": "幺", "⺕": "彐", "⺟": "母", "⺠": "民", "⺮": "竹",
    "⺶": "羊", "⺷": "羊", "⻉": "贝", "⻊": "足", "⻋": "车", "⻓": "长", "⻔": "门", "⻘": "青",
    "⻙": "韦", "⻚": "页", "⻛": "风", "⻜": "飞", "⻝": "食", "⻢": "马", "⻤": "鬼", "⻥": "鱼",
    "⻦": "鸟", "⻨": "麦", "⻩": "黄", "⻬": "齐", "⻰": "龙", "⻳": "龟", "⻅": "见", "⻆": "角",
    "囗": "口", "朩": "木",
}  # fmt: skip

# Katakana that look like Chinese characters; replaced only in a run touching Han characters, so
# Japanese words are left alone.
KATAKANA_LOOKALIKES: dict[str, str] = {
    "カ": "力", "エ": "工", "ハ": "八", "ニ": "二", "ー": "一", "タ": "夕", "ト": "卜", "ロ": "口",
    "ヒ": "匕", "ヌ": "又", "オ": "才",
}  # fmt: skip

# Characters written as their components ("氵去" for 法). Only splits whose first part is a
# radical form that never stands alone in ordinary text, so no real word is rewritten.
SPLITS: dict[str, str] = {
    "氵去": "法", "氵每": "海", "氵舌": "活", "氵肖": "消", "氵青": "清", "氵由": "油",
    "氵台": "治", "氵亏": "污", "氵皮": "波", "氵良": "浪", "亻尔": "你", "亻也": "他",
    "亻言": "信", "亻本": "体", "亻呆": "保", "亻旦": "但", "亻故": "做", "亻吏": "使",
    "亻门": "们", "亻专": "传", "亻介": "价", "扌丁": "打", "扌广": "扩", "扌是": "提",
    "扌斤": "折", "扌召": "招", "扌非": "排", "讠方": "访", "讠吾": "语", "讠仑": "论",
    "讠兑": "说", "讠射": "谢", "讠舌": "话", "讠青": "请", "讠正": "证", "讠己": "记",
    "讠午": "许", "讠式": "试", "讠只": "识", "讠炎": "谈", "讠周": "调", "讠成": "诚",
    "讠羊": "详", "讠吴": "误", "讠荒": "谎", "讠十": "计", "讠义": "议", "钅艮": "银",
    "钅戋": "钱", "钅失": "铁", "饣反": "饭", "饣欠": "饮", "纟工": "红", "纟冬": "终",
    "纟及": "级", "纟色": "绝", "纟充": "统", "忄青": "情", "忄白": "怕", "忄亡": "忙",
    "忄央": "快", "疒丙": "病", "疒正": "症", "疒殳": "疫", "犭句": "狗", "犭者": "猪",
    "礻兄": "祝", "礻申": "神", "礻畐": "福", "艹田": "苗", "艹约": "药", "艹化": "花",
    "冫咸": "减", "冫令": "冷", "冫欠": "次",
}  # fmt: skip
