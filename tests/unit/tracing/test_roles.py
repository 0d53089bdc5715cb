"""Account roles, repost counts and reach (nested reposts of one account counted once)."""

from __future__ import annotations

from rumordesk.tracing import PostNode, trace_claim

from .conftest import MakePost


def nested(post: MakePost) -> list[PostNode]:
    """B reposts a, C reposts b, B reposts c, D reposts d; B reposts a a second time."""
    return [
        post("a", "A", "original", None, 0),
        post("b", "B", "repost", "a", 10),
        post("c", "C", "repost", "b", 20),
        post("d", "B", "repost", "c", 30),
        post("e", "D", "repost", "d", 40),
        post("b2", "B", "repost", "a", 50),
        post("x", "E", "comment", "b2", 60),
        post("y", "E", "reply", "x", 70),
    ]


def test_reach_does_not_double_count_nested_reposts(post: MakePost) -> None:
    trace = trace_claim(nested(post))
    b = trace.role_of("B", "weibo")
    assert b is not None
    # Subtree of b = {b, c, d, e} (d nested inside it adds nothing) + subtree of b2 = {b2, x, y}.
    assert (b.reposts, b.reach, b.posts) == (3, 7, 3)
    c = trace.role_of("C", "weibo")
    d = trace.role_of("D", "weibo")
    assert c is not None and d is not None
    assert (c.reposts, c.reach) == (1, 3)
    assert (d.reposts, d.reach) == (1, 1)
    [cascade] = trace.cascades
    assert [(a.account, a.reposts, a.reach) for a in cascade.top_amplifiers] == [
        ("B", 3, 7),
        ("C", 1, 3),
        ("D", 1, 1),
    ]
    # By reach, then reposts, then posts (E has two), then name.
    assert [a.account for a in trace.accounts] == ["B", "C", "D", "E", "A"]


def test_roles(post: MakePost) -> None:
    trace = trace_claim(nested(post), early_share=0.4)
    roles = {a.account: a.role for a in trace.accounts}
    # 5 accounts, 40 %: the first 2 to arrive (A, then B at 10 s) are early.
    assert roles == {
        "A": "originator",
        "B": "early_amplifier",
        "C": "amplifier",
        "D": "amplifier",
        "E": "commenter",
    }
    assert trace.role_counts == {
        "originator": 1,
        "early_amplifier": 1,
        "amplifier": 2,
        "commenter": 1,
    }
    a = trace.role_of("A", "weibo")
    assert a is not None and a.originated == 8 and a.reach == 0


def test_early_share_is_a_parameter(post: MakePost) -> None:
    nodes = [post("a", "A", "original", None, 0)] + [
        post(f"r{i}", f"R{i:02d}", "repost", "a", 10 * (i + 1)) for i in range(19)
    ]
    default = trace_claim(nodes)  # 20 accounts * 10 % = 2: A and R00
    early = [a.account for a in default.accounts if a.role == "early_amplifier"]
    assert early == ["R00"]
    wide = trace_claim(nodes, early_share=0.25)  # 5 accounts: A and R00..R03
    early = sorted(a.account for a in wide.accounts if a.role == "early_amplifier")
    assert early == ["R00", "R01", "R02", "R03"]


def test_strongest_role_wins_and_lookup_beyond_limit(post: MakePost) -> None:
    nodes = [
        post("a", "A", "original", None, 0),
        post("b", "B", "repost", "a", 10),
        post("c", "A", "repost", "b", 20),  # the originator also amplifies
        post("d", "C", "comment", "c", 30),
    ]
    trace = trace_claim(nodes, account_limit=1, top=1)
    assert len(trace.accounts) == 1 and trace.account_count == 3
    a = trace.role_of("A", "weibo")
    assert a is not None and (a.role, a.reposts, a.reach) == ("originator", 1, 2)
    assert trace.role_of("C", "weibo") is not None
    assert trace.role_of("C", "twitter") is None
    assert len(trace.cascades[0].top_amplifiers) == 1


def test_same_handle_on_two_platforms_is_two_accounts(post: MakePost) -> None:
    nodes = [
        post("a", "same", "original", None, 0, platform="weibo"),
        post("b", "same", "repost", "a", 10, platform="twitter"),
    ]
    trace = trace_claim(nodes)
    assert trace.account_count == 2
    weibo, twitter = trace.role_of("same", "weibo"), trace.role_of("same", "twitter")
    assert weibo is not None and weibo.role == "originator"
    assert twitter is not None and twitter.reach == 1
