"""Fixtures for the matching engine: the real sentence encoder and a small hand-made library."""

from __future__ import annotations

import pytest

from rumordesk.matching.engine import IndexRecord, Matcher, Thresholds
from rumordesk.matching.semantic import UseEncoder

LIBRARY = [
    IndexRecord(
        "c-5g",
        "EXT-5G",
        ["5G towers spread the coronavirus to people nearby"],
        keywords=["5G", "coronavirus"],
        language="en",
    ),
    IndexRecord(
        "c-bleach",
        None,
        ["Drinking bleach cures COVID-19 infections"],
        keywords=["bleach"],
        language="en",
    ),
    IndexRecord(
        "c-quake",
        "EXT-QUAKE",
        ["明天本市将发生8级大地震，请大家做好准备"],
        keywords=["大地震"],
        language="zh",
    ),
    IndexRecord("c-salt", None, ["吃碘盐可以预防核辐射，大家赶紧去超市抢购"], language="zh"),
    IndexRecord(
        "c-moon",
        None,
        ["The moon landing in 1969 was filmed in a Hollywood studio"],
        language="en",
        confirmed=False,
    ),
    IndexRecord(
        "c-fries",
        None,
        [
            "McDonald's restaurants are offering $1 any size fries this month",
            "$1 McDonald's Any Size Fries",
        ],
        language="en",
    ),
]


@pytest.fixture(scope="session")
def encoder() -> UseEncoder:
    """The real multilingual encoder (loaded once per test session)."""
    return UseEncoder()


@pytest.fixture
def matcher(encoder: UseEncoder) -> Matcher:
    """A matcher over the small library with the shipped re-ranker."""
    m = Matcher(thresholds=Thresholds(match=0.8, review=0.5), encoder=encoder)
    m.build(LIBRARY)
    return m
