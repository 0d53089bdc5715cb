"""The claim library on both databases: lifecycle, revisions, listing and organisation scoping."""

from __future__ import annotations

import pytest
from tests.conftest import make_principal

from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal, Role
from rumordesk.domain.claims import ClaimFields, ClaimStatus
from rumordesk.domain.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from rumordesk.services import claims as svc
from rumordesk.store.repositories import ClaimFilter

EVIDENCE = [
    {
        "authority": "City Emergency Bureau",
        "title": "No quake forecast",
        "url": "https://gov.example.org/n/1",
        "date": "2026-01-02",
    }
]


def _fields(text: str = "A 9.0 earthquake will hit the city tonight", **kw) -> ClaimFields:
    data = {"canonical_text": text, "category": "public_safety", "tier": "tier1", **kw}
    return ClaimFields.model_validate(data)


def _create(desk: Rumordesk, p: Principal, **kw) -> str:
    with desk.sessions() as s, s.begin():
        fields = kw.pop("fields", None) or _fields()
        return svc.create_claim(session=s, principal=p, policy=desk.policy, fields=fields, **kw).id


def test_lifecycle_and_revision_history(desk: Rumordesk, admin: Principal) -> None:
    claim_id = _create(desk, admin)
    with desk.sessions() as s, s.begin():
        with pytest.raises(InvalidTransition, match="evidence"):
            svc.transition_claim(
                session=s,
                principal=admin,
                claim_id=claim_id,
                target=ClaimStatus.CONFIRMED,
                reviewer="Li Wei",
            )
    with desk.sessions() as s, s.begin():
        svc.update_claim(
            session=s,
            principal=admin,
            policy=desk.policy,
            claim_id=claim_id,
            fields=_fields(evidence=EVIDENCE, keywords=["earthquake"]),
            reason="added the bureau's statement",
        )
        svc.transition_claim(
            session=s, principal=admin, claim_id=claim_id, target=ClaimStatus.VERIFYING
        )
        with pytest.raises(InvalidTransition, match="reviewer"):
            svc.transition_claim(
                session=s, principal=admin, claim_id=claim_id, target=ClaimStatus.CONFIRMED
            )
    with desk.sessions() as s, s.begin():
        claim = svc.transition_claim(
            session=s,
            principal=admin,
            claim_id=claim_id,
            target=ClaimStatus.CONFIRMED,
            reviewer="Li Wei",
        )
        assert claim.confirmed_at is not None and claim.reviewer == "Li Wei"
        with pytest.raises(InvalidTransition, match="reason"):
            svc.transition_claim(
                session=s, principal=admin, claim_id=claim_id, target=ClaimStatus.RETRACTED
            )
    with desk.sessions() as s, s.begin():
        svc.transition_claim(
            session=s,
            principal=admin,
            claim_id=claim_id,
            target=ClaimStatus.RETRACTED,
            reason="bureau corrected itself",
        )
        history = svc.claim_history(session=s, principal=admin, claim_id=claim_id)
    assert [r.action for r in history] == ["create", "edit", "verifying", "confirmed", "retracted"]
    assert [r.number for r in history] == [1, 2, 3, 4, 5]
    edit = history[1]
    assert edit.reason == "added the bureau's statement"
    assert edit.changes["keywords"] == [[], ["earthquake"]]
    assert history[3].changes["status"] == ["verifying", "confirmed"]
    assert history[4].changes["retraction_reason"] == [None, "bureau corrected itself"]
    assert all(r.actor == admin.name for r in history)
    assert history[0].at.tzinfo is not None


def test_create_confirmed_needs_evidence_and_reviewer(desk: Rumordesk, admin: Principal) -> None:
    with pytest.raises(InvalidTransition):
        _create(desk, admin, status=ClaimStatus.CONFIRMED, reviewer="r")
    claim_id = _create(
        desk, admin, fields=_fields(evidence=EVIDENCE), status=ClaimStatus.CONFIRMED, reviewer="r"
    )
    with desk.sessions() as s, s.begin():
        with pytest.raises(ValidationFailed, match="keep at least one evidence"):
            svc.update_claim(
                session=s, principal=admin, policy=desk.policy, claim_id=claim_id, fields=_fields()
            )


def test_policy_categories_and_tiers_enforced(desk: Rumordesk, admin: Principal) -> None:
    with pytest.raises(ValidationFailed, match="unknown category 'weather'"):
        _create(desk, admin, fields=_fields(category="weather"))
    with pytest.raises(ValidationFailed, match="unknown tier"):
        _create(desk, admin, fields=_fields(tier="tier7"))
    claim_id = _create(desk, admin, fields=ClaimFields(canonical_text="no category given"))
    with desk.sessions() as s:
        claim = svc.get_claim(session=s, principal=admin, claim_id=claim_id)
        assert (claim.category, claim.tier) == (
            desk.policy.default_category,
            desk.policy.default_tier,
        )


def test_list_filters_and_pagination(desk: Rumordesk, admin: Principal) -> None:
    for i in range(7):
        _create(
            desk,
            admin,
            fields=_fields(
                f"rumour number {i} about floods",
                language="en" if i % 2 else "zh",
                tier="tier1" if i < 3 else "tier2",
            ),
        )
    with desk.sessions() as s:
        page = svc.list_claims(session=s, principal=admin, flt=ClaimFilter(tier="tier1"), limit=2)
        assert page.total == 3 and len(page.items) == 2
        rest = svc.list_claims(
            session=s, principal=admin, flt=ClaimFilter(tier="tier1"), limit=2, offset=2
        )
        assert len(rest.items) == 1
        assert {c.id for c in page.items}.isdisjoint({c.id for c in rest.items})
        assert (
            svc.list_claims(session=s, principal=admin, flt=ClaimFilter(language="en")).total == 3
        )
        assert (
            svc.list_claims(session=s, principal=admin, flt=ClaimFilter(text="NUMBER 4")).total == 1
        )
        assert (
            svc.list_claims(session=s, principal=admin, flt=ClaimFilter(status="confirmed")).total
            == 0
        )
        with pytest.raises(ValidationFailed):
            svc.list_claims(session=s, principal=admin, flt=ClaimFilter(), limit=0)


def test_organisation_scoping(desk: Rumordesk, admin: Principal) -> None:
    other = make_principal(desk, "Org B")
    draft = _create(desk, admin)
    published = _create(
        desk,
        admin,
        fields=_fields("published claim", evidence=EVIDENCE),
        status=ClaimStatus.CONFIRMED,
        reviewer="r",
    )
    with desk.sessions() as s, s.begin():
        with pytest.raises(NotFound):
            svc.get_claim(session=s, principal=other, claim_id=draft)
        assert svc.get_claim(session=s, principal=other, claim_id=published).id == published
        ids = {c.id for c in svc.list_claims(session=s, principal=other, flt=ClaimFilter()).items}
        assert ids == {published}
        with pytest.raises(Forbidden, match="another organisation"):
            svc.transition_claim(
                session=s,
                principal=other,
                claim_id=published,
                target=ClaimStatus.RETRACTED,
                reason="x",
            )


def test_roles(desk: Rumordesk, admin: Principal) -> None:
    viewer = Principal(org_id=admin.org_id, role=Role.VIEWER, name="v")
    platform = Principal(org_id=admin.org_id, role=Role.PLATFORM, name="p")
    reviewer = Principal(org_id=admin.org_id, role=Role.REVIEWER, name="r")
    with pytest.raises(Forbidden):
        _create(desk, viewer)
    with pytest.raises(Forbidden):
        _create(desk, platform)
    claim_id = _create(desk, reviewer, fields=_fields(evidence=EVIDENCE))
    with desk.sessions() as s, s.begin():
        with pytest.raises(Forbidden):
            svc.transition_claim(
                session=s,
                principal=platform,
                claim_id=claim_id,
                target=ClaimStatus.CONFIRMED,
                reviewer="x",
            )
        svc.transition_claim(
            session=s,
            principal=reviewer,
            claim_id=claim_id,
            target=ClaimStatus.CONFIRMED,
            reviewer="r",
        )
        assert svc.get_claim(session=s, principal=viewer, claim_id=claim_id).status == "confirmed"


def test_library_change_listener_fires_after_commit_only(desk: Rumordesk, admin: Principal) -> None:
    seen: list[set[str]] = []
    desk.on_library_change(seen.append)
    claim_id = _create(desk, admin)
    assert seen == [{claim_id}]
    with pytest.raises(RuntimeError):
        with desk.sessions() as s, s.begin():
            svc.create_claim(
                session=s, principal=admin, policy=desk.policy, fields=_fields("rolled back")
            )
            raise RuntimeError("boom")
    assert seen == [{claim_id}]
