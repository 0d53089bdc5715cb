"""The rumour library: create, edit, move through the lifecycle, list, and keep history.

Every change writes a revision (who, what, when, why) in the same transaction, and marks
the claim as changed in ``session.info`` so the composition root can refresh match indexes
after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from rumordesk.domain.access import Action, Principal
from rumordesk.domain.claims import ClaimFields, ClaimStatus, check_transition
from rumordesk.domain.errors import Forbidden, NotFound, ValidationFailed
from rumordesk.domain.policy import Policy
from rumordesk.store.models import Claim, ClaimRevision, new_id
from rumordesk.store.repositories import ClaimFilter, ClaimRepository
from rumordesk.store.types import utcnow

CHANGED_CLAIMS = "rumordesk.changed_claims"
CONTENT_FIELDS = tuple(ClaimFields.model_fields)


@dataclass(frozen=True)
class ClaimPage:
    """One page of a claim listing."""

    items: Sequence[Claim]
    total: int
    limit: int
    offset: int


def _mark_changed(session: Session, claim_id: str) -> None:
    session.info.setdefault(CHANGED_CLAIMS, set()).add(claim_id)


def _stored_value(fields: ClaimFields, name: str) -> Any:
    return fields.model_dump(mode="json")[name]


def _check_policy(fields: ClaimFields, policy: Policy) -> tuple[str, str]:
    category = fields.category or policy.default_category
    tier = fields.tier or policy.default_tier
    if category not in policy.category_ids():
        raise ValidationFailed(
            f"unknown category '{category}'; the policy defines: {', '.join(policy.category_ids())}"
        )
    if tier not in policy.tier_ids():
        raise ValidationFailed(
            f"unknown tier '{tier}'; the policy defines: {', '.join(policy.tier_ids())}"
        )
    return category, tier


def _record(
    repo: ClaimRepository,
    claim: Claim,
    *,
    actor: str,
    action: str,
    reason: str | None,
    changes: dict[str, Any],
) -> None:
    number = claim.revision
    repo.add_revision(
        ClaimRevision(
            claim_id=claim.id,
            number=number,
            actor=actor,
            action=action,
            reason=reason,
            changes=changes,
            at=claim.updated_at,
        )
    )


def _owned(session: Session, principal: Principal, claim_id: str) -> Claim:
    claim = get_claim(session=session, principal=principal, claim_id=claim_id)
    if claim.org_id != principal.org_id:
        raise Forbidden("this claim belongs to another organisation; only its owner may change it")
    return claim


def create_claim(
    *,
    session: Session,
    principal: Principal,
    policy: Policy,
    fields: ClaimFields,
    status: ClaimStatus = ClaimStatus.CANDIDATE,
    reviewer: str | None = None,
    reason: str | None = None,
) -> Claim:
    """Add a claim; creating it straight as ``confirmed`` obeys the confirmation rules."""
    principal.require(Action.EDIT_CLAIMS)
    if status == ClaimStatus.CONFIRMED:
        principal.require(Action.REVIEW_CLAIMS)
        check_transition(
            ClaimStatus.CANDIDATE,
            status,
            evidence_count=len(fields.evidence),
            reviewer=reviewer,
            reason=reason,
        )
    elif status == ClaimStatus.RETRACTED:
        raise ValidationFailed("a new claim cannot start as retracted")
    category, tier = _check_policy(fields, policy)
    now = utcnow()
    values = fields.model_dump(mode="json")
    values.update(category=category, tier=tier)
    claim = Claim(
        id=new_id(),
        org_id=principal.org_id,
        status=status.value,
        reviewer=reviewer,
        revision=1,
        created_at=now,
        updated_at=now,
        confirmed_at=now if status == ClaimStatus.CONFIRMED else None,
        **values,
    )
    repo = ClaimRepository(session)
    repo.add(claim)
    changes = {k: [None, v] for k, v in values.items() if v not in (None, [], "")}
    changes["status"] = [None, status.value]
    _record(repo, claim, actor=principal.name, action="create", reason=reason, changes=changes)
    _mark_changed(session, claim.id)
    return claim


def update_claim(
    *,
    session: Session,
    principal: Principal,
    policy: Policy,
    claim_id: str,
    fields: ClaimFields,
    reason: str | None = None,
) -> Claim:
    """Replace a claim's content; a confirmed claim keeps its evidence requirement."""
    principal.require(Action.EDIT_CLAIMS)
    claim = _owned(session, principal, claim_id)
    if claim.status == ClaimStatus.RETRACTED:
        raise ValidationFailed("a retracted claim cannot be edited; reopen it first")
    if claim.status == ClaimStatus.CONFIRMED and not fields.evidence:
        raise ValidationFailed("a confirmed claim must keep at least one evidence source")
    category, tier = _check_policy(fields, policy)
    values = fields.model_dump(mode="json")
    values.update(category=category, tier=tier)
    changes = {}
    for name, new in values.items():
        old = getattr(claim, name)
        if old != new:
            changes[name] = [old, new]
            setattr(claim, name, new)
    if not changes:
        return claim
    claim.revision += 1
    claim.updated_at = utcnow()
    _record(
        ClaimRepository(session),
        claim,
        actor=principal.name,
        action="edit",
        reason=reason,
        changes=changes,
    )
    _mark_changed(session, claim.id)
    return claim


def transition_claim(
    *,
    session: Session,
    principal: Principal,
    claim_id: str,
    target: ClaimStatus,
    reviewer: str | None = None,
    reason: str | None = None,
) -> Claim:
    """Move a claim through its lifecycle (confirm, retract, send to verification, reopen)."""
    principal.require(Action.REVIEW_CLAIMS)
    claim = _owned(session, principal, claim_id)
    current = ClaimStatus(claim.status)
    check_transition(
        current, target, evidence_count=len(claim.evidence), reviewer=reviewer, reason=reason
    )
    changes: dict[str, Any] = {"status": [current.value, target.value]}
    claim.status = target.value
    claim.updated_at = utcnow()
    if target == ClaimStatus.CONFIRMED:
        changes["reviewer"] = [claim.reviewer, reviewer]
        claim.reviewer = reviewer
        claim.confirmed_at = claim.updated_at
    if target == ClaimStatus.RETRACTED:
        changes["retraction_reason"] = [claim.retraction_reason, reason]
        claim.retraction_reason = reason
    claim.revision += 1
    _record(
        ClaimRepository(session),
        claim,
        actor=principal.name,
        action=target.value,
        reason=reason,
        changes=changes,
    )
    _mark_changed(session, claim.id)
    return claim


def get_claim(*, session: Session, principal: Principal, claim_id: str) -> Claim:
    """A claim visible to the caller (own organisation, or confirmed elsewhere)."""
    principal.require(Action.READ)
    claim = ClaimRepository(session).get(claim_id)
    if claim is None or (claim.org_id != principal.org_id and claim.status != "confirmed"):
        raise NotFound(f"no claim '{claim_id}'")
    return claim


def claim_history(
    *, session: Session, principal: Principal, claim_id: str
) -> Sequence[ClaimRevision]:
    """The revisions of a claim, oldest first."""
    get_claim(session=session, principal=principal, claim_id=claim_id)
    return ClaimRepository(session).revisions(claim_id)


def list_claims(
    *,
    session: Session,
    principal: Principal,
    flt: ClaimFilter,
    limit: int = 50,
    offset: int = 0,
    max_limit: int = 500,
) -> ClaimPage:
    """Claims visible to the caller, newest first, filtered and paginated."""
    principal.require(Action.READ)
    if not 1 <= limit <= max_limit:
        raise ValidationFailed(f"limit must be between 1 and {max_limit}")
    if offset < 0:
        raise ValidationFailed("offset must not be negative")
    items, total = ClaimRepository(session).list(
        flt, viewer_org=principal.org_id, limit=limit, offset=offset
    )
    return ClaimPage(items=items, total=total, limit=limit, offset=offset)


def claim_fields(claim: Claim) -> ClaimFields:
    """The editable content of a stored claim."""
    return ClaimFields.model_validate({name: getattr(claim, name) for name in CONTENT_FIELDS})
