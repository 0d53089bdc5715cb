"""/v1/posts and /v1/claims/{id}/spread: stored posts, their labels and how they spread."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rumordesk.api.deps import DeskDep, PrincipalDep, SessionDep
from rumordesk.domain.access import Action
from rumordesk.services.ingestion import claim_spread, post_view

router = APIRouter(prefix="/v1", tags=["ingestion"])


@router.get("/posts/{platform}/{post_id}")
def get_post(
    platform: str, post_id: str, session: SessionDep, principal: PrincipalDep, desk: DeskDep
) -> Any:
    """A post: its matches (claim, score, decision, source), label and cascade spread."""
    principal.require(Action.READ)
    return post_view(session=session, platform=platform, external_id=post_id, policy=desk.policy)


@router.get("/claims/{claim_id}/spread")
def get_claim_spread(
    claim_id: str, session: SessionDep, principal: PrincipalDep, desk: DeskDep
) -> Any:
    """Spread of the cascades that repeat a claim: totals, last window, velocity, its case."""
    return claim_spread(session=session, principal=principal, claim_id=claim_id, policy=desk.policy)
