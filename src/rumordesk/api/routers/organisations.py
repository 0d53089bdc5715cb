"""/v1/organisations: the caller's organisation and its API keys; /v1/policy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from rumordesk.api.deps import DeskDep, PrincipalDep, SessionDep
from rumordesk.api.schemas import KeyCreate, KeyOut, OrganisationOut
from rumordesk.domain.access import Action
from rumordesk.services import organisations as service
from rumordesk.store.repositories import OrganisationRepository

router = APIRouter(tags=["organisations"])


@router.get("/v1/organisations/me", response_model=OrganisationOut)
def my_organisation(session: SessionDep, principal: PrincipalDep) -> Any:
    """The caller's organisation."""
    return service.get_organisation(session=session, org_ref=principal.org_id)


@router.get("/v1/organisations/me/keys", response_model=list[KeyOut])
def list_keys(session: SessionDep, principal: PrincipalDep) -> Any:
    """API keys of the caller's organisation (admins only; secrets are never shown again)."""
    principal.require(Action.MANAGE_ORG)
    return OrganisationRepository(session).keys(principal.org_id)


@router.post(
    "/v1/organisations/me/keys", response_model=KeyOut, status_code=status.HTTP_201_CREATED
)
def create_key(body: KeyCreate, session: SessionDep, principal: PrincipalDep) -> Any:
    """Create a key in the caller's organisation; the secret is returned this once."""
    principal.require(Action.MANAGE_ORG)
    key, secret = service.create_api_key(
        session=session, org_id=principal.org_id, role=body.role, name=body.name
    )
    out = KeyOut.model_validate(key)
    out.secret = secret
    return out


@router.get("/v1/policy")
def policy(desk: DeskDep, principal: PrincipalDep) -> Any:
    """The policy in force: categories, tiers, deadlines, sanctions and thresholds."""
    principal.require(Action.READ)
    return desk.policy.model_dump(mode="json")
