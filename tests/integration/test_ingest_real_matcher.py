"""Ingestion end to end with the real matching service: evasive copies labelled on the way in,
reposts inheriting matches, cases attached, and a sweep labelling copies stored before the claim."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.ingest_support import add_claim, post

from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal
from rumordesk.services.ingestion import ingest_events
from rumordesk.services.sweeps import run_sweep, start_sweep
from rumordesk.store.ingest_models import Case, Post, PostMatch

QUAKE = "地震局内部消息：今晚两点成都将发生七级大地震，大家不要睡觉"
METRO = "The city metro will be closed for a whole month starting next Monday"


def _labels(desk: Rumordesk) -> dict[str, str | None]:
    with desk.sessions() as s:
        return dict(s.execute(select(Post.external_id, Post.label)).all())


def test_pipeline_labels_evasive_copies_and_reposts(desk: Rumordesk, admin: Principal) -> None:
    quake = add_claim(desk, admin, QUAKE)
    events = [
        post(
            "o1",
            text="转发扩散！地★震局內部消息：今晚兩點成都將發生七級大地震，大家不要睡覺！！",
            account="a1",
        ),
        post("r1", kind="repost", parent="o1", root="o1", account="a2", minute=1),
        post("r2", kind="repost", parent="r1", root="o1", account="a3", minute=2),
        post("o2", text="今天成都天气很好，去公园散步了", account="a4", minute=3),
    ]
    report = ingest_events(
        factory=desk.sessions, raws=events, matcher=desk.matching, policy=desk.policy
    )
    assert report.summary()["accepted"] == 4, report.results
    labels = _labels(desk)
    assert labels["o1"] == quake and labels["r1"] == quake and labels["r2"] == quake
    assert labels["o2"] is None
    with desk.sessions() as s:
        sources = dict(
            s.execute(
                select(Post.external_id, PostMatch.source).join(
                    PostMatch, PostMatch.post_id == Post.id
                )
            ).all()
        )
        case = s.scalar(select(Case).where(Case.claim_id == quake))
    assert sources == {"o1": "ingest", "r1": "inherited", "r2": "inherited"}
    assert case is not None and case.post_count == 3


def test_sweep_with_real_matcher_labels_old_copies(desk: Rumordesk, admin: Principal) -> None:
    old = [
        post(
            "m1",
            text="Heads up: the city METRO will be closed for a whole month from next Monday!!",
            account="b1",
        ),
        post("m2", kind="repost", parent="m1", root="m1", account="b2", minute=1),
        post("m3", text="Metro ridership grew 5% this year", account="b3", minute=2),
    ]
    ingest_events(factory=desk.sessions, raws=old, matcher=desk.matching, policy=desk.policy)
    assert set(_labels(desk).values()) == {None}
    metro = add_claim(desk, admin, METRO)  # confirmed after the posts were stored
    sweep = start_sweep(factory=desk.sessions, claim_id=metro)
    done = run_sweep(factory=desk.sessions, matcher=desk.matching, sweep_id=sweep.id)
    assert done.status == "done"
    labels = _labels(desk)
    assert labels["m1"] == metro and labels["m2"] == metro and labels["m3"] is None
    with desk.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(PostMatch).where(PostMatch.source == "sweep"))
            == 1
        )
