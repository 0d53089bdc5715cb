"""The event contract: table-driven validation, and a parser that never crashes on junk."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rumordesk.ingest.contract import (
    AccountEvent,
    ExposureEvent,
    PostEvent,
    SearchEvent,
    parse_event,
    parse_line,
)

POST = {
    "type": "post",
    "id": "p1",
    "platform": "weibo",
    "account": "u1",
    "kind": "original",
    "text": "hello",
    "created_at": "2024-05-01T12:00:00+08:00",
}
EXPOSURE = {
    "type": "exposure",
    "platform": "weibo",
    "account": "u2",
    "post_id": "p1",
    "action": "view",
    "at": "2024-05-01T04:00:00Z",
}


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (POST, PostEvent),
        ({**POST, "kind": "repost", "parent_id": "p0", "text": None}, PostEvent),
        ({**POST, "kind": "comment", "root_id": "p0", "metrics": {"followers": 3}}, PostEvent),
        ({"type": "account", "id": "u1", "platform": "weibo", "verified": True}, AccountEvent),
        (EXPOSURE, ExposureEvent),
        (
            {
                "type": "search",
                "platform": "weibo",
                "query": "garlic flu",
                "at": "2024-05-01T04:00:00+00:00",
            },
            SearchEvent,
        ),
    ],
)
def test_valid_events(event: dict[str, Any], kind: type) -> None:
    assert isinstance(parse_event(event), kind)


@pytest.mark.parametrize(
    ("event", "field", "words"),
    [
        ({**POST, "created_at": "2024-05-01 12:00:00"}, "created_at", "no UTC offset"),
        ({**POST, "created_at": "2024-05-01T12:00:00"}, "created_at", "no UTC offset"),
        ({**POST, "kind": "share"}, "kind", "original"),
        ({**POST, "kind": "repost"}, "(event)", "needs parent_id"),
        ({**POST, "parent_id": "x"}, "(event)", "no parent_id"),
        ({**POST, "id": ""}, "id", "at least 1"),
        ({**POST, "metrics": {"followers": -1}}, "metrics.followers", "greater than or equal"),
        ({**EXPOSURE, "action": "smile"}, "action", "view"),
        ({**EXPOSURE, "at": "yesterday"}, "at", "datetime"),
        ({"type": "tweet"}, "type", "one of"),
        (["not", "an", "object"], "(event)", "JSON object"),
    ],
)
def test_invalid_events_name_event_and_field(event: Any, field: str, words: str) -> None:
    problems = parse_event(event, 7)
    assert isinstance(problems, list) and problems
    assert problems[0].index == 7
    assert any(p.field == field and words in p.message for p in problems), problems
    if isinstance(event, dict) and event.get("id"):
        assert f"(id '{event['id']}')" in str(problems[0])


def test_times_are_utc_and_keys_deterministic() -> None:
    a = parse_event(EXPOSURE)
    b = parse_event({**EXPOSURE, "at": "2024-05-01T12:00:00+08:00"})
    assert isinstance(a, ExposureEvent) and isinstance(b, ExposureEvent)
    assert a.at.utcoffset() is not None and a.at == b.at
    assert a.key == b.key
    other = parse_event({**EXPOSURE, "action": "like"})
    assert isinstance(other, ExposureEvent) and other.key != a.key


def test_unknown_fields_are_ignored() -> None:
    assert isinstance(parse_event({**POST, "lang": "zh"}), PostEvent)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(list(POST) + ["metrics", "at", "action", "query", "x"]),
            children,
            max_size=8,
        )
    ),
    max_leaves=20,
)


@given(json_values)
def test_parser_never_crashes_on_junk_json(value: Any) -> None:
    result = parse_line(json.dumps(value))
    assert isinstance(result, list) or result.type in ("post", "account", "exposure", "search")


@given(st.dictionaries(st.sampled_from(list(POST)), json_values, max_size=8))
def test_parser_never_crashes_on_post_like_junk(value: dict[str, Any]) -> None:
    result = parse_event({**value, "type": "post"})
    assert isinstance(result, list | PostEvent)


@given(st.binary(max_size=200))
def test_parser_never_crashes_on_bytes(raw: bytes) -> None:
    result = parse_line(raw)
    assert isinstance(result, list) or hasattr(result, "type")
