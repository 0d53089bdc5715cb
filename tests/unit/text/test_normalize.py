"""Normalisation: never raises, idempotent, and undoes each evasion trick."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumordesk.text.normalize import normalize
from rumordesk.text.tokens import char_shingles, pinyin_key, tokenize


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    tokenize(text)
    char_shingles(text)
    pinyin_key(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("地震局今晚有大★.。 \u200b傳謠ａｂc0135@$!#")))
def test_idempotent_on_evasion_alphabet(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    ("evasive", "clean"),
    [
        ("地★震局预测今晚有大地震", "地震局预测今晚有大地震"),  # symbol padding
        ("地震局預測今晚有大地震", "地震局预测今晚有大地震"),  # traditional
        ("地\u200b震\u200d局预测", "地震局预测"),  # zero-width
        ("ＦＡＫＥ　ＮＥＷＳ", "fake news"),  # full-width
        ("vаccіne", "vaccine"),  # Cyrillic look-alikes
        ("c0v1d vacc1ne", "covid vaccine"),  # l33t
        ("v a c c i n e", "vaccine"),  # spaced letters
        ("f.a.k.e", "fake"),  # dotted letters
        ("太太太可怕了", "太可怕了"),  # repeats
        ("sooooo bad", "so bad"),
        ("新🔥冠🔥疫🔥苗", "新冠疫苗"),  # emoji padding
        ("@someone 看 https://t.example.com/x 地震", "看地震"),  # mentions, URLs
        ("#地震预警# 今晚", "地震预警今晚"),  # hashtag markers
        ("⼈⺠⽇报", "人民日报"),  # Kangxi radicals
        ("地 震 局", "地震局"),  # spaced CJK
    ],
)
def test_tricks_normalise_to_the_clean_text(evasive: str, clean: str) -> None:
    assert normalize(evasive) == normalize(clean)


@pytest.mark.parametrize(
    "text", ["The vaccine rollout starts in 2024.", "5G towers", "Call 110 at 8:30", "9.0级"]
)
def test_ordinary_text_keeps_words_and_numbers(text: str) -> None:
    norm = normalize(text)
    for number in ("2024", "5g", "110", "8:30", "9.0"):
        if number in text.casefold():
            assert number in norm
    if " " in text:
        assert " " in norm


def test_pinyin_key_makes_homophones_equal() -> None:
    assert pinyin_key("微信") == pinyin_key("威信") == pinyin_key("wei xin") == "weixin"


def test_tokenize_english_and_chinese() -> None:
    tokens = tokenize("Vaccines are spreading 疫苗传播")
    assert "vaccin" in tokens and "are" not in tokens
    assert "疫苗" in tokens and "传播" in tokens and "疫" in tokens
