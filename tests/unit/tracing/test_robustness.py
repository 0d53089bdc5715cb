"""Real-data trouble: orphans, duplicates, cycles, bad input, and very deep or very wide trees."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from rumordesk.tracing import PostNode, TracingInputError, trace_claim

from .conftest import MakePost


def test_orphan_is_provisional_then_attaches(post: MakePost) -> None:
    a = post("a", "A", "original", None, 0)
    rest = [post("b", "B", "repost", "a", 10), post("c", "C", "repost", "b", 20)]
    early = trace_claim(rest)
    [c] = early.cascades
    assert (c.root_post_id, c.provisional, c.missing_parent_id, c.size) == ("b", True, "a", 2)
    assert c.to_dict()["provisional"] is True
    assert any("1 cascades are provisional" in n for n in early.notes)
    b = early.role_of("B", "weibo")
    assert b is not None and b.role == "early_amplifier"  # a repost, even as a provisional root

    later = trace_claim([*rest, a])
    [c] = later.cascades
    assert (c.root_post_id, c.provisional, c.missing_parent_id, c.size) == ("a", False, None, 3)


def test_duplicates_are_kept_once_and_counted(post: MakePost) -> None:
    a = post("a", "A", "original", None, 0)
    b = post("b", "B", "repost", "a", 10)
    trace = trace_claim([a, b, b, a, b])
    assert (trace.posts, trace.duplicates, trace.duplicate_post_ids) == (2, 3, ["a", "b"])
    assert trace.cascades[0].size == 2
    assert any("3 duplicate copies dropped" in n for n in trace.notes)


def test_conflicting_duplicates_keep_the_copy_with_a_parent(post: MakePost) -> None:
    a = post("a", "A", "original", None, 0)
    bare = post("b", "B", "repost", None, 10)  # first seen without its parent link
    linked = post("b", "B", "repost", "a", 12)
    for order in ([a, bare, linked], [linked, a, bare]):
        trace = trace_claim(order)
        assert [c.root_post_id for c in trace.cascades] == ["a"]
        assert trace.duplicates == 1
        assert any("disagree between copies" in n for n in trace.notes)


def test_two_cycle_is_detected_reported_and_broken(post: MakePost) -> None:
    nodes = [
        post("a", "A", "repost", "b", 0),
        post("b", "B", "repost", "a", 5),
        post("c", "C", "comment", "b", 9),
    ]
    trace = trace_claim(nodes)
    [cycle] = trace.cycles
    assert sorted(cycle.post_ids) == ["a", "b"] and cycle.broken_at == "a"
    [c] = trace.cascades
    assert (c.root_post_id, c.size, c.depth, c.provisional) == ("a", 3, 2, False)
    assert trace.to_dict()["cycles"] == [cycle.to_dict()]
    assert any("cycle" in n and "broken at a" in n for n in trace.notes)


def test_self_loop_is_a_cycle_of_one(post: MakePost) -> None:
    trace = trace_claim([post("a", "A", "repost", "a", 0), post("b", "B", "repost", "a", 3)])
    assert [(c.post_ids, c.broken_at) for c in trace.cycles] == [(["a"], "a")]
    assert [(c.root_post_id, c.size) for c in trace.cascades] == [("a", 2)]


def test_long_cycle_with_tail(post: MakePost) -> None:
    ring = [post(f"r{i}", f"R{i}", "repost", f"r{(i + 1) % 500}", i) for i in range(500)]
    tail = [post(f"t{i}", "T", "repost", f"r{i * 7}", 1000 + i) for i in range(50)]
    trace = trace_claim(ring + tail)
    [cycle] = trace.cycles
    assert len(cycle.post_ids) == 500 and cycle.broken_at == "r0"
    assert [c.size for c in trace.cascades] == [550]


def test_bad_input_is_refused(post: MakePost) -> None:
    naive = dataclasses.replace(post("a", "A", "original"), created_at=datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(TracingInputError, match="timezone-aware"):
        trace_claim([naive])
    with pytest.raises(TracingInputError, match="unknown kind 'like'"):
        trace_claim([post("a", "A", "like")])


def test_chain_of_200k_needs_no_recursion(post: MakePost) -> None:
    n = 200_000
    nodes: list[PostNode] = [post("p0", "A0", "original", None, 0)]
    nodes += [post(f"p{i}", f"A{i % 3}", "repost", f"p{i - 1}", i) for i in range(1, n)]
    trace = trace_claim(reversed(nodes), milestones=(3,))
    [c] = trace.cascades
    assert (c.size, c.depth, c.breadth, c.accounts) == (n, n - 1, 1, 3)
    assert c.time_to_accounts == {3: 2.0}
    a1 = trace.role_of("A1", "weibo")
    assert a1 is not None and (a1.reposts, a1.reach) == (66_667, n - 1)  # first repost covers all


def test_star_of_200k(post: MakePost) -> None:
    n = 200_000
    nodes = [post("hub", "H", "original", None, 0)]
    nodes += [post(f"s{i}", f"S{i % 1000}", "repost", "hub", i) for i in range(1, n)]
    trace = trace_claim(nodes, top=3)
    [c] = trace.cascades
    assert (c.size, c.depth, c.breadth, c.accounts) == (n, 1, n - 1, 1001)
    assert c.time_to_accounts == {10: 9.0, 100: 99.0, 1000: 999.0}
    assert [(a.reposts, a.reach) for a in c.top_amplifiers] == [(200, 200)] * 3
