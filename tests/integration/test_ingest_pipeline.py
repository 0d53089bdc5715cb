"""The ingestion pipeline on SQLite and PostgreSQL: idempotency, late parents, inheritance,
cases, spread, the early-warning queue and stock sweeps.

Matching uses ``SubstringMatcher`` (tests/ingest_support.py) to isolate pipeline logic.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select
from tests.ingest_support import SubstringMatcher, add_claim, at, post

from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal
from rumordesk.services.ingestion import (
    claim_spread,
    ingest_events,
    post_view,
    verification_queue,
)
from rumordesk.services.sweeps import run_sweep, start_sweep
from rumordesk.store.ingest_models import Case, Post, PostMatch, SpreadBucket


def _ingest(desk: Rumordesk, events: list[dict[str, Any]], matcher: Any) -> dict[str, int]:
    return ingest_events(
        factory=desk.sessions, raws=events, matcher=matcher, policy=desk.policy
    ).summary()


def _count(desk: Rumordesk, model: Any) -> int:
    with desk.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_idempotent_late_parent_inheritance_and_case(desk: Rumordesk, admin: Principal) -> None:
    claim = add_claim(desk, admin, "Garlic cures the flu")
    matcher = SubstringMatcher({claim: "garlic cures"})
    # a repost of a repost arrives before its parent, which arrives before the original
    first = [
        post("c", kind="repost", parent="b", root="a", minute=3),
        post("b", kind="repost", parent="a", minute=2),
    ]
    assert _ingest(desk, first, matcher)["accepted"] == 2
    rest = [
        post("a", text="Doctors agree: garlic cures the flu", minute=0),
        post("d", kind="comment", parent="a", text="no it does not", minute=4),
        {
            "type": "exposure",
            "platform": "weibo",
            "account": "v1",
            "post_id": "c",
            "action": "view",
            "at": at(5),
        },
        {"type": "search", "platform": "weibo", "query": "garlic cures flu?", "at": at(6)},
    ]
    assert _ingest(desk, rest, matcher) == {
        "accepted": 4,
        "duplicate": 0,
        "rejected": 0,
        "failed": 0,
    }
    again = _ingest(desk, first + rest, matcher)
    assert again == {"accepted": 0, "duplicate": 6, "rejected": 0, "failed": 0}
    assert _count(desk, Post) == 4
    with desk.sessions() as s:
        posts = {p.external_id: p for p in s.scalars(select(Post))}
        assert posts["c"].parent_post_id == posts["b"].id
        assert posts["b"].parent_post_id == posts["a"].id
        assert posts["c"].root_post_id == posts["a"].id
        sources = dict(
            s.execute(
                select(Post.external_id, PostMatch.source).join(
                    PostMatch, PostMatch.post_id == Post.id
                )
            ).all()
        )
        assert sources == {"a": "ingest", "b": "inherited", "c": "inherited"}
        assert {p.external_id for p in posts.values() if p.label == claim} == {"a", "b", "c"}
        assert posts["d"].label is None  # comments do not inherit
        case = s.scalars(select(Case)).one()
        assert (case.claim_id, case.post_count, case.status) == (claim, 3, "open")
        view = post_view(session=s, platform="weibo", external_id="c", policy=desk.policy)
        assert view["label"] == claim and view["matches"][0]["source"] == "inherited"
        assert view["spread"]["reposts"] == 2 and view["spread"]["comments"] == 1
        assert view["spread"]["exposures"] == 1
        spread = claim_spread(session=s, principal=admin, claim_id=claim, policy=desk.policy)
        assert spread["case"]["post_count"] == 3 and spread["cascades"] == 1
    # only the original and the search were matched; inherited reposts were not re-matched
    assert sum(matcher.calls) == 3  # a + d (comment) + search, in one call per batch


def test_sweep_labels_old_posts_and_resumes(desk: Rumordesk, admin: Principal) -> None:
    events = [
        post(f"o{i}", text=f"story {i}: the bridge collapsed today", minute=i) for i in range(12)
    ]
    events += [post(f"r{i}", kind="repost", parent=f"o{i}", minute=i + 1) for i in range(12)]
    events += [post("x", text="unrelated weather talk", minute=1)]
    assert _ingest(desk, events, None)["accepted"] == 25  # stored without matching
    claim = add_claim(desk, admin, "The bridge collapsed")
    matcher = SubstringMatcher({claim: "bridge collapsed"})
    sweep = start_sweep(factory=desk.sessions, claim_id=claim)
    assert sweep.total == 13
    stop = threading.Event()
    seen: list[int] = []

    def halt(s: Any) -> None:
        seen.append(s.done)
        stop.set()  # stop after the first committed batch

    stopped = run_sweep(
        factory=desk.sessions,
        matcher=matcher,
        sweep_id=sweep.id,
        batch_size=5,
        stop=stop,
        progress=halt,
    )
    assert stopped.status == "stopped" and stopped.done == 5
    assert start_sweep(factory=desk.sessions, claim_id=claim).id == sweep.id  # same revision
    done = run_sweep(factory=desk.sessions, matcher=matcher, sweep_id=sweep.id, batch_size=5)
    assert (done.status, done.done, done.matched) == ("done", 13, 12)
    with desk.sessions() as s:
        labelled = set(s.scalars(select(Post.external_id).where(Post.label == claim)))
        assert labelled == {f"o{i}" for i in range(12)} | {f"r{i}" for i in range(12)}
        assert s.scalars(select(Case.post_count)).one() == 24
        assert (
            s.scalar(select(func.count()).select_from(PostMatch).where(PostMatch.source == "sweep"))
            == 12
        )


def _cascade(root: str, n: int, *, minutes: float, followers: int, text: str) -> list[dict]:
    events = [post(root, text=text, minute=0, followers=followers)]
    events += [
        post(f"{root}-{i}", kind="repost", parent=root, minute=i * minutes / n, followers=followers)
        for i in range(n)
    ]
    return events


def test_early_warning_queue_ranks_fast_unmatched_cascades(
    desk: Rumordesk, admin: Principal
) -> None:
    claim = add_claim(desk, admin, "Aliens landed downtown")
    matcher = SubstringMatcher({claim: "aliens landed"})
    events = (
        _cascade("fast", 80, minutes=40, followers=100, text="water cut tonight citywide")
        + _cascade("faster", 90, minutes=20, followers=100, text="school closed tomorrow")
        + _cascade("slow", 80, minutes=600, followers=10**6, text="trains stop at noon")
        + _cascade("matched", 90, minutes=20, followers=100, text="aliens landed here")
        + _cascade(
            "sourced",
            90,
            minutes=20,
            followers=100,
            text="curfew tonight https://www.gov.cn/notice/1",
        )
    )
    for start in range(0, len(events), 100):
        _ingest(desk, events[start : start + 100], matcher)
    with desk.sessions() as s:
        items, total = verification_queue(session=s, limit=10)
    assert [i["root_id"] for i in items] == ["faster", "fast"] and total == 2
    assert items[0]["reach"] == 91 * 100 and items[0]["unique_accounts"] == 91
    assert items[0]["velocity_per_hour"] == 90.0 and items[1]["velocity_per_hour"] == 80.0
    # a claim for the leading cascade is confirmed and swept: it leaves the queue
    later = add_claim(desk, admin, "School is closed tomorrow")
    sweep = start_sweep(factory=desk.sessions, claim_id=later)
    run_sweep(
        factory=desk.sessions, matcher=SubstringMatcher({later: "school closed"}), sweep_id=sweep.id
    )
    with desk.sessions() as s:
        items, _ = verification_queue(session=s, limit=10)
        assert [i["root_id"] for i in items] == ["fast"]
        assert s.scalar(select(func.sum(SpreadBucket.reposts))) == 430
