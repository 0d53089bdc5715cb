"""/v1/claims: the rumour library."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from rumordesk.api.deps import DeskDep, PrincipalDep, SessionDep
from rumordesk.api.schemas import (
    ClaimCreate,
    ClaimList,
    ClaimOut,
    ClaimUpdate,
    ImportBody,
    RevisionOut,
    StatusChange,
)
from rumordesk.domain.access import Action
from rumordesk.domain.claims import ClaimFields, ClaimStatus
from rumordesk.services import claims as service
from rumordesk.services.claimreview import to_claimreview
from rumordesk.services.importing import ImportOptions, import_claims
from rumordesk.store.repositories import ClaimFilter

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get("", response_model=ClaimList)
def list_claims(
    session: SessionDep,
    principal: PrincipalDep,
    desk: DeskDep,
    status_: Annotated[ClaimStatus | None, Query(alias="status")] = None,
    category: str | None = None,
    tier: str | None = None,
    language: str | None = None,
    organisation: str | None = None,
    q: Annotated[
        str | None, Query(max_length=500, description="Text contained in the claim")
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """Claims visible to the caller: their organisation's, and confirmed claims of others."""
    flt = ClaimFilter(
        status=status_.value if status_ else None,
        category=category,
        tier=tier,
        language=language,
        org_id=organisation,
        text=q,
    )
    page = service.list_claims(
        session=session,
        principal=principal,
        flt=flt,
        limit=limit,
        offset=offset,
        max_limit=desk.settings.page_size_max,
    )
    return ClaimList(
        items=[ClaimOut.model_validate(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=ClaimOut, status_code=status.HTTP_201_CREATED)
def create_claim(
    body: ClaimCreate, session: SessionDep, principal: PrincipalDep, desk: DeskDep
) -> Any:
    """Add a claim to the library (confirming needs evidence and a reviewer)."""
    fields = ClaimFields.model_validate(body.model_dump(exclude={"status", "reviewer", "reason"}))
    return service.create_claim(
        session=session,
        principal=principal,
        policy=desk.policy,
        fields=fields,
        status=body.status,
        reviewer=body.reviewer,
        reason=body.reason,
    )


@router.post("/import")
def import_records(body: ImportBody, principal: PrincipalDep, desk: DeskDep) -> Any:
    """Import records; valid ones are stored, invalid ones reported by position and reason."""
    principal.require(Action.EDIT_CLAIMS)
    report = import_claims(
        factory=desk.sessions,
        principal=principal,
        policy=desk.policy,
        records=((i, r) for i, r in enumerate(body.records, start=1)),
        options=ImportOptions(status=body.status, reviewer=body.reviewer, reason="API import"),
    )
    return report.to_dict()


@router.get("/{claim_id}", response_model=ClaimOut)
def get_claim(claim_id: str, session: SessionDep, principal: PrincipalDep) -> Any:
    """One claim."""
    return service.get_claim(session=session, principal=principal, claim_id=claim_id)


@router.put("/{claim_id}", response_model=ClaimOut)
def update_claim(
    claim_id: str, body: ClaimUpdate, session: SessionDep, principal: PrincipalDep, desk: DeskDep
) -> Any:
    """Replace a claim's content; the change is recorded as a revision."""
    fields = ClaimFields.model_validate(body.model_dump(exclude={"reason"}))
    return service.update_claim(
        session=session,
        principal=principal,
        policy=desk.policy,
        claim_id=claim_id,
        fields=fields,
        reason=body.reason,
    )


@router.post("/{claim_id}/status", response_model=ClaimOut)
def change_status(
    claim_id: str, body: StatusChange, session: SessionDep, principal: PrincipalDep
) -> Any:
    """Confirm, retract, send to verification or reopen a claim."""
    return service.transition_claim(
        session=session,
        principal=principal,
        claim_id=claim_id,
        target=body.status,
        reviewer=body.reviewer,
        reason=body.reason,
    )


@router.get("/{claim_id}/revisions", response_model=list[RevisionOut])
def revisions(claim_id: str, session: SessionDep, principal: PrincipalDep) -> Any:
    """The claim's history: who changed what, when and why."""
    return service.claim_history(session=session, principal=principal, claim_id=claim_id)


@router.get("/{claim_id}/claimreview")
def claimreview(claim_id: str, session: SessionDep, principal: PrincipalDep) -> Any:
    """The claim as schema.org ClaimReview JSON-LD."""
    return to_claimreview(
        service.get_claim(session=session, principal=principal, claim_id=claim_id)
    )
