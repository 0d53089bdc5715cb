"""The idle-time repair pass links posts whose parent two workers committed concurrently."""

from __future__ import annotations

from sqlalchemy import select, update
from tests.ingest_support import post

from rumordesk.composition import Rumordesk
from rumordesk.services.ingestion import ingest_events
from rumordesk.store.ingest_models import Post
from rumordesk.store.ingest_repositories import relink_orphans


def test_relink_orphans_repairs_links_missed_by_a_race(desk: Rumordesk) -> None:
    events = [
        post("p1", text="original text here"),
        post("c1", kind="repost", parent="p1", root="p1", minute=1),
        post("c2", kind="repost", parent="c1", root="p1", minute=2),
        post("lost", kind="repost", parent="never-arrives", root="never-arrives", minute=3),
    ]
    ingest_events(factory=desk.sessions, raws=events, matcher=None, policy=desk.policy)
    with desk.sessions() as s, s.begin():  # what a race between two workers leaves behind
        s.execute(
            update(Post)
            .where(Post.external_id.in_(["c1", "c2"]))
            .values(parent_post_id=None, root_post_id=None)
        )
    with desk.sessions() as s, s.begin():
        assert relink_orphans(s) == 4  # two parent links and two root links
    with desk.sessions() as s:
        ids = dict(s.execute(select(Post.external_id, Post.id)).all())
        rows = {r.external_id: r for r in s.scalars(select(Post))}
    assert rows["c1"].parent_post_id == ids["p1"] and rows["c1"].root_post_id == ids["p1"]
    assert rows["c2"].parent_post_id == ids["c1"] and rows["c2"].root_post_id == ids["p1"]
    assert rows["lost"].parent_post_id is None
    with desk.sessions() as s, s.begin():
        assert relink_orphans(s) == 0
