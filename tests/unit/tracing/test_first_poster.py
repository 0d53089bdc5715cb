"""First poster overall and per platform; ties, clock skew and their notes."""

from __future__ import annotations

from rumordesk.tracing import trace_claim

from .conftest import T0, MakePost


def test_rivals_within_skew_tolerance_are_noted(post: MakePost) -> None:
    nodes = [
        post("p9", "acc-9", "original", None, 38),
        post("p7", "acc-7", "original", None, 0),
        post("p3", "acc-3", "original", None, 500),
    ]
    trace = trace_claim(nodes)
    assert trace.first_poster is not None
    assert (trace.first_poster.account, trace.first_poster.created_at) == ("acc-7", T0)
    assert any(
        "acc-7 and acc-9 posted within 38 s of each other; first poster is uncertain within"
        " clock skew" in note
        for note in trace.notes
    )
    assert trace_claim(nodes, skew_tolerance_s=10).notes == []


def test_exact_ties_break_by_platform_then_post_id(post: MakePost) -> None:
    nodes = [
        post("z1", "acc-1", "original", None, 0, platform="weibo"),
        post("a2", "acc-2", "original", None, 0, platform="weibo"),
        post("q3", "acc-3", "original", None, 0, platform="twitter"),
    ]
    trace = trace_claim(nodes)
    assert trace.first_poster is not None and trace.first_poster.post_id == "q3"
    assert trace.first_poster_by_platform["weibo"].post_id == "a2"
    assert any("posted at the same time" in n and "uncertain" in n for n in trace.notes)
    # The same account posting twice is no rival.
    same = trace_claim([post("x", "acc-1", "original", None, 0), post("y", "acc-1", "original")])
    assert same.notes == []


def test_per_platform_first_poster_includes_cross_platform_quotes(post: MakePost) -> None:
    nodes = [
        post("w1", "wa", "original", None, 0, platform="weibo"),
        post("w2", "wb", "repost", "w1", 100, platform="weibo"),
        post("t1", "ta", "quote", "w2", 4000, platform="twitter"),
        post("t2", "tb", "repost", "t1", 4100, platform="twitter"),
        post("t0", "tc", "original", None, 9000, platform="twitter"),
    ]
    trace = trace_claim(nodes)
    assert trace.first_poster is not None and trace.first_poster.post_id == "w1"
    assert {k: v.post_id for k, v in trace.first_poster_by_platform.items()} == {
        "weibo": "w1",
        "twitter": "t1",
    }
    assert trace.first_poster_by_platform["twitter"].to_dict()["account"] == "ta"


def test_child_before_parent_is_skew_and_parent_counts_as_earlier(post: MakePost) -> None:
    nodes = [
        post("a", "A", "original", None, 100),
        post("b", "B", "repost", "a", 55),  # 45 s before its parent
        post("c", "C", "repost", "b", 130),
    ]
    trace = trace_claim(nodes, milestones=(2, 3))
    assert trace.first_poster is not None and trace.first_poster.post_id == "a"
    assert trace.skewed_edges == 1
    assert any(
        "post b by B is timestamped 45 s before its parent a by A" in n
        and "parent is treated as earlier" in n
        for n in trace.notes
    )
    [c] = trace.cascades
    assert c.time_to_accounts == {2: 0.0, 3: 30.0}  # b counts from its parent's time


def test_provisional_first_poster_is_noted(post: MakePost) -> None:
    trace = trace_claim([post("b", "B", "repost", "gone", 0), post("c", "C", "repost", "b", 9)])
    assert trace.first_poster is not None and trace.first_poster.post_id == "b"
    assert any("not among the traced posts; an earlier poster may exist" in n for n in trace.notes)


def test_empty_trace() -> None:
    trace = trace_claim([])
    assert trace.first_poster is None and trace.cascades == [] and trace.posts == 0
    assert trace.to_dict()["first_poster_by_platform"] == {}
