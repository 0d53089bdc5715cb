"""Cascade figures on hand-built trees, and against a plain reference on random forests."""

from __future__ import annotations

import json
import random
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from rumordesk.tracing import PostNode, trace_claim

from .conftest import MakePost, make_post


def tree(post: MakePost) -> list[PostNode]:
    """a <- b, c; b <- d, e; e <- f; c <- g (B posts twice: b and d)."""
    return [
        post("a", "A", "original", None, 0),
        post("b", "B", "repost", "a", 10),
        post("c", "C", "repost", "a", 20),
        post("d", "B", "repost", "b", 30),
        post("e", "E", "comment", "b", 40),
        post("f", "F", "reply", "e", 50),
        post("g", "G", "quote", "c", 60),
    ]


def test_size_depth_breadth_accounts(post: MakePost) -> None:
    trace = trace_claim(tree(post), milestones=(2, 3, 6, 10))
    [c] = trace.cascades
    assert (c.root_post_id, c.size, c.depth, c.breadth, c.accounts) == ("a", 7, 3, 3, 6)
    assert c.first_poster.account == "A" and not c.provisional
    # Accounts arrive A@0, B@10, C@20, E@40 (B's second post at 30 is no new account), F, G@60.
    assert c.time_to_accounts == {2: 10.0, 3: 20.0, 6: 60.0, 10: None}


def test_independent_posts_are_separate_roots_in_time_order(post: MakePost) -> None:
    nodes = [
        post("late", "X", "original", None, 500),
        post("r1", "Y", "repost", "late", 510),
        *tree(post),
    ]
    trace = trace_claim(nodes)
    assert [c.root_post_id for c in trace.cascades] == ["a", "late"]
    assert [c.size for c in trace.cascades] == [7, 2]
    assert trace.first_poster is not None and trace.first_poster.post_id == "a"


def test_input_order_does_not_matter(post: MakePost) -> None:
    nodes = tree(post)
    expected = trace_claim(nodes).to_dict()
    for seed in range(5):
        shuffled = nodes[:]
        random.Random(seed).shuffle(shuffled)
        assert trace_claim(shuffled).to_dict() == expected


def test_json_shape(post: MakePost) -> None:
    data = json.loads(json.dumps(trace_claim(tree(post)).to_dict()))
    assert {"first_poster", "first_poster_by_platform", "cascades", "accounts", "notes"} <= set(
        data
    )
    assert {"cycles", "duplicates"} <= set(data)
    cascade = data["cascades"][0]
    for key in ("root_post_id", "first_poster", "size", "depth", "breadth", "accounts"):
        assert key in cascade
    assert set(cascade["first_poster"]) == {"account", "post_id", "platform", "created_at"}
    assert cascade["time_to_accounts"] == {"10": None, "100": None, "1000": None}
    assert cascade["top_amplifiers"][0] == {
        "account": "B",
        "platform": "weibo",
        "reposts": 2,
        "reach": 4,  # b, d, e, f: d is nested under b and not counted twice
    }


def reference(parents: list[int | None]) -> dict[int, tuple[int, int, int]]:
    """Per root: (size, depth, breadth) by a plain breadth-first walk."""
    children = defaultdict(list)
    for child, parent in enumerate(parents):
        if parent is not None:
            children[parent].append(child)
    result = {}
    for root, parent in enumerate(parents):
        if parent is None:
            level, depth, size, breadth = [root], 0, 0, 0
            while level:
                size += len(level)
                breadth = max(breadth, len(level))
                level = [k for v in level for k in children[v]]
                depth += 1
            result[root] = (size, depth - 1, breadth)
    return result


@st.composite
def forests(draw: st.DrawFn) -> list[int | None]:
    n = draw(st.integers(1, 60))
    return [
        None
        if i == 0 or draw(st.booleans()) and draw(st.booleans())
        else draw(st.integers(0, i - 1))
        for i in range(n)
    ]


@settings(max_examples=60, deadline=None)
@given(forests(), st.randoms(use_true_random=False))
def test_matches_reference_on_random_forests(parents: list[int | None], rnd: random.Random) -> None:
    nodes = [
        make_post(
            f"p{i}",
            f"acc{rnd.randrange(5)}",
            "original" if p is None else rnd.choice(["repost", "quote", "comment", "reply"]),
            None if p is None else f"p{p}",
            rnd.randrange(1000),
        )
        for i, p in enumerate(parents)
    ]
    rnd.shuffle(nodes)
    trace = trace_claim(nodes, top=100)
    expected = reference(parents)
    got = {int(c.root_post_id[1:]): (c.size, c.depth, c.breadth) for c in trace.cascades}
    assert got == expected
    assert sum(c.size for c in trace.cascades) == trace.posts == len(parents)
    for c in trace.cascades:
        assert all(a.reach <= c.size for a in c.top_amplifiers)
    assert not trace.cycles and trace.duplicates == 0
