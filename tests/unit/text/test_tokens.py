"""BM25 tokens and character shingles: never raise, read English and Chinese as intended."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumordesk.text.normalize import normalize
from rumordesk.text.tokens import STOP_WORDS, char_shingles, stem, tokenize


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=6))
def test_never_raise_on_any_text(text: str, k: int) -> None:
    tokens = tokenize(text)
    assert all(tokens) and not set(tokens) & STOP_WORDS
    shingles = char_shingles(text, k)
    assert all(0 < len(s) <= k and " " not in s for s in shingles)


def test_english_words_are_stemmed_without_stop_words() -> None:
    assert tokenize("The Vaccines are spreading the virus!") == ["vaccin", "spread", "virus"]


@pytest.mark.parametrize(
    "forms",
    [
        ("vaccine", "vaccines", "Vaccine"),
        ("vaccinated", "vaccinate"),
        ("virus", "viruses"),
        ("spread", "spreading"),
        ("stop", "stopped", "stopping"),
        ("study", "studies", "studied", "studying"),
        ("cause", "causes", "caused"),
        ("kill", "kills", "killed"),
    ],
)
def test_stemmer_joins_inflections(forms: tuple[str, ...]) -> None:
    assert len({stem(normalize(form)) for form in forms}) == 1


def test_chinese_runs_give_unigrams_and_bigrams() -> None:
    assert tokenize("疫苗传播") == ["疫", "苗", "传", "播", "疫苗", "苗传", "传播"]


def test_mixed_text_keeps_numbers_and_model_names() -> None:
    tokens = tokenize("5G基站在2024年传播9.0级 COVID-19")
    assert {"5g", "2024", "9.0", "covid", "19", "基站", "传播"} <= set(tokens)


def test_tokens_survive_evasion() -> None:
    assert tokenize("疫★苗傳播 v a c c i n e s") == tokenize("疫苗传播 vaccines")


def test_char_shingles_ignore_spaces_and_padding() -> None:
    assert char_shingles("地★震 局", k=2) == {"地震", "震局"}
    assert char_shingles("ab", k=3) == {"ab"}
    assert char_shingles("  ", k=3) == set()


def test_char_shingles_reject_a_size_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        char_shingles("地震", k=0)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab19 .,:_é中"), max_size=30))
def test_words_split_fast_equals_the_word_pattern(text: str) -> None:
    from rumordesk.text.tokens import _WORD, _words

    assert _words(text) == _WORD.findall(text)
