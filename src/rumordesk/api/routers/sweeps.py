"""/v1/sweeps: start a stock sweep for a claim (runs in the background) and follow it."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict

from rumordesk.api.deps import DeskDep, PrincipalDep, SessionDep
from rumordesk.domain.access import Action
from rumordesk.services.claims import get_claim
from rumordesk.services.ingestion import default_matcher
from rumordesk.services.sweeps import SweepRunner, get_sweep, sweep_view

router = APIRouter(prefix="/v1/sweeps", tags=["ingestion"])
_lock = threading.Lock()


class SweepStart(BaseModel):
    """Which claim to sweep stored posts for."""

    model_config = ConfigDict(extra="forbid")
    claim_id: str


def runner_of(request: Request) -> SweepRunner:
    """The app's background sweep runner (the trigger's, if installed; else one made now)."""
    with _lock:
        runner = getattr(request.app.state, "sweep_runner", None)
        if runner is None:
            desk = request.app.state.desk
            runner = SweepRunner(desk.sessions, default_matcher(desk))
            request.app.state.sweep_runner = runner
        return runner


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start(
    body: SweepStart, request: Request, session: SessionDep, principal: PrincipalDep, desk: DeskDep
) -> Any:
    """Re-match every stored post against one claim; returns at once with the sweep's id."""
    principal.require(Action.REVIEW_CLAIMS)
    claim = get_claim(session=session, principal=principal, claim_id=body.claim_id)
    return sweep_view(runner_of(request).start(claim.id))


@router.get("/{sweep_id}")
def progress(sweep_id: str, session: SessionDep, principal: PrincipalDep) -> Any:
    """A sweep's status and progress (total, done, matched, labelled)."""
    principal.require(Action.READ)
    return sweep_view(get_sweep(session=session, sweep_id=sweep_id))
