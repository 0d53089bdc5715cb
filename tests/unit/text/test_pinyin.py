"""Pinyin keys: homophones and pinyin written in Latin letters meet; nothing else is lost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumordesk.text.pinyin import is_pinyin, pinyin_of
from rumordesk.text.syllables import without_tone_numbers
from rumordesk.text.tokens import pinyin_key


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    assert isinstance(pinyin_key(text), str)


@pytest.mark.parametrize(
    "spellings",
    [
        ("微信", "威信", "wei xin", "weixin", "微 xin", "WEI XIN"),
        ("疫苗", "yi miao", "亦苗", "疫 miao"),
        ("地震", "帝镇", "di zhen"),
        ("核污染", "he wu ran", "合物染"),
        ("新海区", "新hǎi qū", "新hai3qu1", "新ha3i qu1", "新HǍI QŪ"),  # tone marks, numbers
    ],
)
def test_homophones_and_written_pinyin_share_a_key(spellings: tuple[str, ...]) -> None:
    assert len({pinyin_key(s) for s in spellings}) == 1


def test_other_text_and_its_spaces_are_kept() -> None:
    assert pinyin_key("疫苗 zheng ce, it is bad 2024") == "yimiaozhengceit is bad 2024"
    assert pinyin_key("10万元RMB") == pinyin_key("10 wan yuan RMB") == "10wanyuanrmb"


def test_traditional_and_padded_text_gives_the_same_key() -> None:
    assert pinyin_key("疫★苗") == pinyin_key("疫苗") == "yimiao"
    assert pinyin_key("傳播") == pinyin_key("传播") == "chuanbo"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("weixin", True), ("zhongguo", True), ("xian", True), ("hello", False), ("the", False)],
)
def test_is_pinyin_splits_words_into_syllables(word: str, expected: bool) -> None:
    assert is_pinyin(word) is expected


def test_pinyin_of_falls_back_to_the_character() -> None:
    assert pinyin_of("中") == "zhong"
    assert pinyin_of("\U0002ffff") == "\U0002ffff"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hai3qu1", "haiqu"),
        ("ha3iqu1", "haiqu"),
        ("zhong1guo2", "zhongguo"),
        ("xi1an1", "xian"),
        ("weixin", None),  # no tone number: already plain pinyin
        ("he11o", None),  # l33t: two digits after one syllable
        ("v4ccine", None),
        ("mp3", None),
        ("hai3x", None),
        ("a4", None),  # A4 paper, not 啊
        ("o2o", None),
        ("e3", None),
        ("e4xing4", "exing"),  # a lone vowel is a syllable beside a longer one
    ],
)
def test_tone_numbers_are_read_only_on_pinyin_syllables(word: str, expected: str | None) -> None:
    assert without_tone_numbers(word) == expected
