"""Normalisation: never raises, idempotent, undoes each evasion trick, leaves plain text alone."""

from __future__ import annotations

import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumordesk.text.confusables import KATAKANA_LOOKALIKES, SPLITS
from rumordesk.text.normalize import (
    STEPS,
    clear_cache,
    normalize,
    normalize_uncached,
    strip_noise,
    to_simplified,
)

# characters that exercise every step: CJK (traditional too), look-alikes, padding, leet, spaces
EVASION_ALPHABET = (
    "地震局今晚有大★.。·🔥 \u200b\u3000傳謠預測乾隆後后ａｂc0135@$!#_'ロエ中氵去疒殳艹田"
    "vаcіneο1aeo太l〇二:,\u0301\ufe0f⼈⺠"
)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_never_raises_and_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_uncached(text)
    assert normalize_uncached(once) == once


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=st.sampled_from(EVASION_ALPHABET), max_size=40))
def test_idempotent_on_the_evasion_alphabet(text: str) -> None:
    once = normalize_uncached(text)
    assert normalize_uncached(once) == once


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=st.sampled_from("海区新 haiquoxnegzw12345@$0.ǎīūéü-'"), max_size=30))
def test_idempotent_on_pinyin_with_tones_and_leet(text: str) -> None:
    once = normalize_uncached(text)
    assert normalize_uncached(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=["Lo", "Zs", "Po", "So"])))
def test_idempotent_on_letters_and_symbols(text: str) -> None:
    once = normalize_uncached(text)
    assert normalize_uncached(once) == once


@pytest.mark.parametrize(
    ("evasive", "clean"),
    [
        ("地★震局预测今晚有大地震", "地震局预测今晚有大地震"),  # symbol padding
        ("新.冠.疫.苗", "新冠疫苗"),
        ("新🔥冠🔥疫🔥苗", "新冠疫苗"),  # emoji padding
        ("地震局預測今晚有大地震", "地震局预测今晚有大地震"),  # traditional
        ("地\u200b震\u200d局\ufeff预\u00ad测\u2066", "地震局预测"),  # zero-width, bidi
        ("fa\U000e0041ke ne\ufe0fws", "fake news"),  # tag characters, variation selector
        ("ＦＡＫＥ　ＮＥＷＳ", "fake news"),  # full-width
        ("５Ｇ基站传播新冠", "5G基站传播新冠"),
        ("𝐟𝐚𝐤𝐞 🅵🅰🅺🅴 ⓕⓐⓚⓔ", "fake fake fake"),  # math, negative squared, circled
        ("vаccіne", "vaccine"),  # Cyrillic look-alikes
        ("Сονіd", "covid"),  # Greek and Cyrillic
        ("ᴠᴀᴄᴄɪɴᴇ", "vaccine"),  # small capitals
        ("c0v1d vacc1ne", "covid vaccine"),  # l33t
        ("fa1se he11o ch@t u$a", "false hello chat usa"),
        ("v a c c i n e", "vaccine"),  # spaced letters
        ("the v a c c i n e kills", "the vaccine kills"),
        ("f.a.k.e", "fake"),  # dotted letters
        ("f̴a̴k̴e̴ news", "fake news"),  # combining marks (zalgo)
        ("太太太可怕了", "太可怕了"),  # repeats
        ("太★太★太可怕了", "太可怕了"),
        ("sooooo bad", "so bad"),
        ("@someone 看 https://t.example.com/x 地震", "看地震"),  # mentions, URLs
        ("http://t.cn/A6x地震来了 www.example.com", "地震来了"),
        ("//@张三:转发 地震", "转发地震"),
        ("特别是@黄海冰 @胡歌，转发", "特别是转发"),
        ("#地震预警# 今晚", "地震预警今晚"),  # hashtag markers
        ("⼈⺠⽇报", "人民日报"),  # Kangxi radicals and supplement forms
        ("㊥国 ①号", "中国 1号"),  # enclosed forms
        ("地 震 局", "地震局"),  # spaced CJK
        ("将发生 7 级 地震", "将发生7级地震"),
        ("新冠 v a c c i n e 有毒", "新冠vaccine有毒"),
        ("氵去轮功", "法轮功"),  # component splits
        ("疒殳艹田有毒", "疫苗有毒"),
        ("中ロ国エ人", "中口国工人"),  # katakana look-alikes
        ("喝熱水能殺死新冠病毒！！！", "喝热水能杀死新冠病毒"),
        ("新冠yì miáo有毒", "新冠yi miao有毒"),  # pinyin with tone marks (pypinyin's default)
        ("新冠yi4miao2有毒", "新冠yimiao有毒"),  # tone numbers after the syllable (TONE3)
        ("新冠yi4 mia2o有毒", "新冠yi miao有毒"),  # tone numbers after the vowel (TONE2)
        ("Vaccíne kílls", "vaccine kills"),  # accents added or dropped at will
    ],
)
def test_tricks_normalise_to_the_clean_text(evasive: str, clean: str) -> None:
    assert normalize(evasive) == normalize(clean)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The vaccine rollout starts in 2024.", "the vaccine rollout starts in 2024"),
        ("5G towers spread COVID-19", "5g towers spread covid 19"),
        ("Call 110 at 8:30, pay $1,000", "call 110 at 8:30 pay 1,000"),
        ("9.0级地震", "9.0级地震"),
        ("二〇〇〇年 1000人 666", "二〇〇〇年1000人666"),
        ("mp3 web3 covid19 4chan 50k", "mp3 web3 covid19 4chan 50k"),
        ("谢谢大家，常常洗手", "谢谢大家常常洗手"),
        ("每月3、7、13日 v1.3", "每月3 7 13日v1 3"),
        ("Don't share it", "dont share it"),
        ("日本のコーヒー", "日本のコーヒー"),
        ("Café Müller, São Paulo", "cafe muller sao paulo"),
        ("a1 b4 mp3 he11o", "a1 b4 mp3 hello"),  # tone numbers are read only in Chinese text
        ("打印a4纸 o2o模式 hai3qu1", "打印a4纸o2o模式haiqu"),
    ],
)
def test_ordinary_text_keeps_words_and_numbers(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_steps_are_named_and_compose_to_normalize() -> None:
    text = "地★震 https://x.cn/a c0v1d 太太太"
    out = text
    for name, step in STEPS:
        assert name == step.__name__
        out = step(out)
    assert out == normalize(text) == "地震covid太"


def test_split_outputs_never_start_a_new_split() -> None:
    parts = {ch for key in SPLITS for ch in key}
    assert not parts & set(SPLITS.values())
    assert not parts & set(KATAKANA_LOOKALIKES.values()) - {"工"}  # 工 is folded first


def test_cache_returns_the_same_result() -> None:
    clear_cache()
    text = "地震局預測"
    assert normalize(text) == normalize(text) == normalize_uncached(text)
    assert normalize(normalize(text)) == normalize(text)


def test_to_simplified_is_safe_on_raw_input() -> None:
    assert to_simplified("預測\ud800") == "预测"
    assert to_simplified("plain") == "plain"


def test_strip_noise_on_raw_text_keeps_hashtag_words() -> None:
    assert strip_noise("#新冠# 看 https://t.cn/x @某人 你好").split() == ["新冠", "看", "你好"]


def test_weibo_emoticon_codes_are_noise_but_bracketed_characters_are_not() -> None:
    """A "[蜡烛]" code renders as a candle: a comment of emoticons says nothing a claim does."""
    assert normalize("确实死了，[蜡烛][蜡烛][蜡烛]") == "确实死了"
    assert normalize("李天一将无罪释放[疑问]") == "李天一将无罪释放"
    assert normalize("［哈哈］太好了 [doge]") == "太好了"  # full-width brackets fold first
    assert normalize("新[冠]疫苗") == "新冠疫苗"  # one character in brackets is padding, kept


def test_converter_is_built_once_under_threads() -> None:
    results: list[str] = []

    def work() -> None:
        results.append(to_simplified("傳謠"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["传谣"] * 8


def test_chained_opencc_mappings_are_idempotent() -> None:
    from rumordesk.text.normalize import normalize_uncached

    once = normalize_uncached("薴")  # OpenCC maps 薴 → 苧, and 苧 → 苎
    assert normalize_uncached(once) == once


# The fast paths below must give exactly what the plain patterns give; these alphabets are
# made of the characters the patterns turn on (schemes, dots, domains, dashes, handles, dates).
URL_ALPHABET = list("htpsw:/.-_@#?=abcmonrgi0 \n") + [".com", "www.", "https://", ".co", ".cn"]
ATTRIBUTION_ALPHABET = list("ab -\u2014\u2013(@)_1,2 \n\t\"'\u201d") + ["(@user)", "jan", " 2020"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(URL_ALPHABET), max_size=30).map("".join))
def test_url_stripping_piece_by_piece_equals_the_whole_text_pattern(text: str) -> None:
    from rumordesk.text.normalize import _URL, strip_urls

    assert strip_urls(text) == _URL.sub(" ", text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(ATTRIBUTION_ALPHABET), max_size=40).map("".join))
def test_attribution_search_from_the_last_handle_equals_the_whole_text_pattern(text: str) -> None:
    from rumordesk.text.normalize import _ATTRIBUTION, strip_attribution

    assert strip_attribution(text) == _ATTRIBUTION.sub("", text)


def test_attribution_after_a_long_run_of_spaces_is_still_found() -> None:
    from rumordesk.text.normalize import _ATTRIBUTION, strip_attribution

    text = "Vaccines cause X " + "-" + " " * 300 + "Some Name (@handle) May 1, 2020"
    assert strip_attribution(text) == _ATTRIBUTION.sub("", text) == "Vaccines cause X"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\n\u3000\u00a0\x1cab"), max_size=20))
def test_whitespace_collapse_equals_the_regex(text: str) -> None:
    import re

    from rumordesk.text.normalize import collapse_whitespace

    assert collapse_whitespace(text) == re.sub(r"\s+", " ", text)


@settings(max_examples=1500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(EVASION_ALPHABET + "abc 9.0,:'\u2019\n\t-_"), max_size=40)
    | st.text(max_size=40)
)
def test_padding_removal_equals_deciding_every_run(text: str) -> None:
    from rumordesk.text.normalize import (
        _NUMBER_SEPARATOR,
        _PADDING,
        _number_separator,
        padding_replacement,
        remove_padding,
    )

    every_run = _PADDING.sub(lambda m: padding_replacement(m.string, *m.span()), text)
    if "." in every_run or "," in every_run or ":" in every_run:
        every_run = _NUMBER_SEPARATOR.sub(_number_separator, every_run)
    assert remove_padding(text) == every_run


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab яß \n\t."), max_size=30))
def test_the_spaced_letters_hint_is_in_every_run_the_full_pattern_joins(text: str) -> None:
    from rumordesk.text.normalize import _SPACED_HINT, _SPACED_LETTERS

    if _SPACED_LETTERS.search(text):
        assert _SPACED_HINT.search(text)


def test_the_fold_check_matches_exactly_the_folded_characters() -> None:
    """``fold_unicode`` translates only a text in which ``_FOLDED_CHAR`` finds a character: the
    class must hold every key of ``_FOLD`` and nothing else."""
    from rumordesk.text.normalize import _FOLD, _FOLDED_CHAR

    keys = set(_FOLD)
    wrong = [
        code
        for code in range(0x30000)
        if not 0xD800 <= code <= 0xDFFF
        and (code in keys) != bool(_FOLDED_CHAR.fullmatch(chr(code)))
    ]
    assert keys and max(keys) < 0x30000 and wrong == []


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab 地.,_-\0★\n"), max_size=30) | st.text(max_size=30))
def test_padding_split_keeps_the_texts_and_the_run_lengths_of_the_padding_pattern(
    text: str,
) -> None:
    from rumordesk.text.normalize import _PADDING, padding_split

    reference = re.split(f"({_PADDING.pattern})", text)
    parts = padding_split(text)
    assert parts[::2] == reference[::2]
    assert [len(p) for p in parts] == [len(p) for p in reference]
