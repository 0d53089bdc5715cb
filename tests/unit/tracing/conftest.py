"""A compact way to write hand-built cascades: ``post("b", "acc-2", "repost", "a", 10)``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from rumordesk.tracing import PostNode

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
MakePost = Callable[..., PostNode]


def make_post(
    post_id: str,
    account: str,
    kind: str = "repost",
    parent: str | None = None,
    seconds: float = 0.0,
    platform: str = "weibo",
) -> PostNode:
    """A post ``seconds`` after T0."""
    return PostNode(post_id, platform, account, kind, parent, T0 + timedelta(seconds=seconds))


@pytest.fixture
def post() -> MakePost:
    """The ``make_post`` factory."""
    return make_post
