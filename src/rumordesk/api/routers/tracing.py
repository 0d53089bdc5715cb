"""Source tracing: /v1/claims/{id}/trace and /v1/posts/{id}/cascade (JSON, GraphML, SVG)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from rumordesk.api.deps import DeskDep, PrincipalDep
from rumordesk.domain.access import Action
from rumordesk.services import tracing as service
from rumordesk.tracing import Cascade, ClaimTrace, cascade_svg, to_graphml

router = APIRouter(prefix="/v1", tags=["tracing"])
Format = Literal["json", "graphml", "svg"]


def _render(trace: ClaimTrace, cascade: Cascade | None, fmt: Format) -> Any:
    if fmt == "graphml":
        return Response(to_graphml(trace, cascade), media_type="application/graphml+xml")
    if fmt == "svg":
        return Response(cascade_svg(trace, cascade), media_type="image/svg+xml")
    return (cascade or trace).to_dict()


@router.get("/claims/{claim_id}/trace")
async def claim_trace(
    claim_id: str,
    desk: DeskDep,
    principal: PrincipalDep,
    top: Annotated[int, Query(ge=1, le=500)] = 20,
    include_review: bool = False,
    fmt: Annotated[Literal["json", "graphml"], Query(alias="format")] = "json",
) -> Any:
    """Who posted the rumour first (per platform and overall), its cascades, and each account's
    role, repost count and reach. ``include_review`` also follows posts matched for review."""
    principal.require(Action.READ)

    def work() -> Any:
        with desk.sessions() as session:
            trace = service.trace_claim_view(
                session=session,
                principal=principal,
                claim_id=claim_id,
                top=top,
                include_review=include_review,
            )
        return _render(trace, None, fmt)

    return await run_in_threadpool(work)


@router.get("/posts/{post_id}/cascade")
async def post_cascade(
    post_id: str,
    desk: DeskDep,
    principal: PrincipalDep,
    platform: str | None = None,
    fmt: Annotated[Format, Query(alias="format")] = "json",
) -> Any:
    """The cascade a post belongs to: root, first poster, size, depth, accounts and top
    amplifiers; as JSON, GraphML or an SVG picture (time across, accounts sized by reach)."""
    principal.require(Action.READ)

    def work() -> Any:
        with desk.sessions() as session:
            cascade, nodes = service.cascade_view(
                session=session, post_id=post_id, platform=platform
            )
            return _render(cascade, nodes, fmt)

    return await run_in_threadpool(work)
