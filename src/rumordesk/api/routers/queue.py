"""/v1/queue/verification: fast-spreading, unmatched, unsourced cascades, ranked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from rumordesk.api.deps import DeskDep, PrincipalDep, SessionDep
from rumordesk.domain.access import Action
from rumordesk.services.ingestion import verification_queue

router = APIRouter(prefix="/v1/queue", tags=["ingestion"])


@router.get("/verification")
def list_verification_queue(
    session: SessionDep,
    principal: PrincipalDep,
    desk: DeskDep,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Annotated[str, Query(pattern="^(open|matched|dismissed)$")] = "open",
) -> Any:
    """The verification queue, highest priority (velocity x reach) first."""
    principal.require(Action.READ)
    items, total = verification_queue(
        session=session, status=status, offset=offset, limit=min(limit, desk.settings.page_size_max)
    )
    return {"total": total, "items": items}
