"""/v1/events: the HTTP way in (batches of up to 1,000 events, one result per event)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool

from rumordesk.api.deps import DeskDep, PrincipalDep
from rumordesk.domain.access import Action
from rumordesk.domain.errors import ValidationFailed
from rumordesk.services.ingestion import MAX_API_BATCH, default_matcher, ingest_events

router = APIRouter(prefix="/v1", tags=["ingestion"])

EXAMPLE = [
    {
        "type": "post",
        "id": "p1",
        "platform": "weibo",
        "account": "u1",
        "kind": "original",
        "text": "…",
        "created_at": "2024-05-01T12:00:00+08:00",
    }
]


@router.post("/events")
async def post_events(
    desk: DeskDep, principal: PrincipalDep, body: Any = Body(..., examples=[EXAMPLE])
) -> Any:
    """Ingest a JSON array of events (or ``{"events": [...]}``), at most 1,000.

    Valid events are stored even when others in the batch are rejected; each event gets a
    result: ``accepted``, ``duplicate`` (already stored), ``rejected`` (with field errors) or
    ``failed`` (kept in the dead-letter table). Roles: platform, reviewer, admin.
    """
    principal.require(Action.SUBMIT_CONTENT)
    events = body.get("events") if isinstance(body, dict) else body
    if not isinstance(events, list):
        raise ValidationFailed("send a JSON array of events, or an object with 'events'")
    if len(events) > MAX_API_BATCH:
        raise ValidationFailed(f"a batch holds at most {MAX_API_BATCH} events; got {len(events)}")
    report = await run_in_threadpool(
        lambda: ingest_events(
            factory=desk.sessions, raws=events, matcher=default_matcher(desk), policy=desk.policy
        )
    )
    return {"summary": report.summary(), "results": report.results}
