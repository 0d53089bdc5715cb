"""The live match index over the library: updates without rebuilds, persistence, replicas."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from rumordesk.api.app import create_app
from rumordesk.composition import Rumordesk, build
from rumordesk.domain.access import Principal
from rumordesk.domain.claims import ClaimFields, ClaimStatus
from rumordesk.services import claims as svc
from rumordesk.services.matching import MatchingService
from rumordesk.services.matching_contract import ContentItem

EVIDENCE = [
    {"authority": "Metro Authority", "title": "Statement", "url": "https://m.example.org/1"}
]
QUAKE = "地震局内部消息：今晚两点成都将发生七级大地震，大家不要睡觉"
METRO = "The city metro will be closed for a whole month starting Monday"


def _add(desk: Rumordesk, p: Principal, text: str, **kw) -> str:
    with desk.sessions() as s, s.begin():
        fields = ClaimFields(canonical_text=text, evidence=EVIDENCE, keywords=kw.pop("kw", []))
        return svc.create_claim(
            session=s,
            principal=p,
            policy=desk.policy,
            fields=fields,
            status=ClaimStatus.CONFIRMED,
            reviewer="R",
            **kw,
        ).id


def _top(service: MatchingService, text: str) -> list[str]:
    rows = service.match_items([ContentItem(key="q", text=text)], top_k=3, include_no_match=True)
    return [m.claim_id for m in rows[0]]


def test_library_changes_reach_the_index_without_rebuild(desk: Rumordesk, admin: Principal) -> None:
    quake = _add(desk, admin, QUAKE, kw=["地震局内部", "七级"])
    service = desk.matching
    assert _top(service, "转发！地★震局內部消息：今晚兩點成都有七級大地震")[0] == quake
    version = service.version
    metro = _add(desk, admin, METRO)  # committed → listener upserts it
    assert service.version != version
    assert _top(service, "the metro will close for a month from monday!!")[0] == metro
    with desk.sessions() as s, s.begin():
        svc.transition_claim(
            session=s,
            principal=admin,
            claim_id=metro,
            target=ClaimStatus.RETRACTED,
            reason="it really closed",
        )
    assert metro not in _top(service, "the metro will close for a month from monday!!")


def test_index_persists_and_replicas_catch_up(desk: Rumordesk, admin: Principal) -> None:
    quake = _add(desk, admin, QUAKE)
    first = desk.matching
    first.matcher  # noqa: B018 - build and persist
    assert (desk.settings.index_dir / "watermark.json").exists()
    # a second process: loads the persisted index instead of rebuilding
    replica_desk = build(desk.settings)
    replica = MatchingService(replica_desk, refresh_seconds=0)
    assert _top(replica, QUAKE)[0] == quake
    # the first process adds a claim; the replica sees it on its next refresh
    metro = _add(desk, admin, METRO)
    assert _top(replica, METRO)[0] == metro
    replica_desk.close()


def test_unconfirmed_claims_are_capped_at_review(desk: Rumordesk, admin: Principal) -> None:
    with desk.sessions() as s, s.begin():
        svc.create_claim(
            session=s, principal=admin, policy=desk.policy, fields=ClaimFields(canonical_text=METRO)
        )
    rows = desk.matching.match_items(
        [ContentItem(key="q", text=METRO)], top_k=1, include_no_match=True
    )
    assert rows[0] and rows[0][0].decision in ("review", "no_match")


def test_sweep_prefilter_matches_only_lexical_relatives(desk: Rumordesk, admin: Principal) -> None:
    quake = _add(desk, admin, QUAKE)
    items = [
        ContentItem(key="a", text="地震局内部消息：今晚两点成都将发生七级大地震，快转"),
        ContentItem(key="b", text="今天天气不错，去公园散步"),
        ContentItem(key="c", text=None),
    ]
    found = desk.matching.match_claim(quake, items)
    assert found[1] is None and found[2] is None
    assert found[0] is None or found[0].claim_id == quake


def _persisted(desk: Rumordesk, admin: Principal) -> tuple[Path, str]:
    """A one-claim library whose match index is built and saved: the watermark file and what
    it says."""
    _add(desk, admin, QUAKE)
    desk.matching.matcher  # noqa: B018 - build and persist
    marker = desk.settings.index_dir / "watermark.json"
    return marker, marker.read_text()


def test_live_changes_are_saved_at_most_every_save_seconds_and_on_close(
    desk: Rumordesk, admin: Principal
) -> None:
    """A live change is not written to disk on the request that applies it when the last save
    is recent; the next refresh after ``save_seconds`` writes it, and so does closing."""
    service = desk.matching
    marker, saved = _persisted(desk, admin)
    service.save_seconds = 3600.0
    metro = _add(desk, admin, METRO)  # applied at once, saved later
    assert _top(service, METRO)[0] == metro
    assert marker.read_text() == saved
    service.save_seconds = 0.0
    service.refresh(force=True)  # nothing new to apply, but a save is due: in the background
    service.wait_for_save()
    assert marker.read_text() != saved
    again = marker.read_text()
    service.save_seconds = 3600.0
    _add(desk, admin, "Drinking hot water every fifteen minutes kills the virus in the throat")
    service.refresh(force=True)
    assert marker.read_text() == again
    desk.close()
    assert marker.read_text() != again
    # a new process loads what close saved: all three claims, without catching up
    reloaded = MatchingService(build(desk.settings), refresh_seconds=3600)
    assert len(reloaded.matcher) == 3


def test_a_due_save_runs_beside_requests_not_on_them(desk: Rumordesk, admin: Principal) -> None:
    """The request whose refresh makes a save due returns while the save writes (here held
    back by the engine's own save lock), matches go on meanwhile, and the save lands after."""
    service = desk.matching
    marker, saved = _persisted(desk, admin)
    service.save_seconds = 0.0
    with service.matcher._save_lock:  # a save in progress elsewhere
        metro = _add(desk, admin, METRO)  # applied at once; its save is due and starts
        assert _top(service, METRO)[0] == metro  # answered while the save waits
        assert service._saver is not None and service._saver.is_alive()
        assert marker.read_text() == saved
    service.wait_for_save(timeout=60)
    assert not service._saver.is_alive()
    assert marker.read_text() != saved
    reloaded = MatchingService(build(desk.settings), refresh_seconds=3600)
    assert len(reloaded.matcher) == 2


def test_the_api_saves_live_index_changes_at_shutdown(desk: Rumordesk, admin: Principal) -> None:
    marker, saved = _persisted(desk, admin)
    desk.matching.save_seconds = 3600.0
    with TestClient(create_app(desk)):
        _add(desk, admin, METRO)  # applied live, not saved yet
        assert marker.read_text() == saved
    assert marker.read_text() != saved  # the app's shutdown saved it
