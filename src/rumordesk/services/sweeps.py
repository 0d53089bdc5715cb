"""Stock sweeps (存量处置): when a claim is confirmed, old copies are found and labelled too.

``start_sweep`` records a sweep; ``run_sweep`` works through it batch by batch (each batch its
own transaction, cursor included) so it can stop at any point and resume later. A
``SweepRunner`` runs sweeps on a background thread so ingestion and the API never wait for one;
``install_sweep_trigger`` starts a sweep whenever a confirmed claim changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rumordesk.domain.errors import NotFound, ValidationFailed
from rumordesk.ingest.sweep import count_sweepable, sweep_batch
from rumordesk.services.matching_contract import ContentMatcher
from rumordesk.store.ingest_models import Sweep
from rumordesk.store.models import Claim
from rumordesk.store.types import utcnow

log = logging.getLogger(__name__)
DEFAULT_BATCH = 2000
ACTIVE = ("pending", "running", "stopped")


def sweep_view(sweep: Sweep) -> dict[str, Any]:
    """JSON form of a sweep's progress."""
    return {
        "id": sweep.id,
        "claim_id": sweep.claim_id,
        "claim_revision": sweep.claim_revision,
        "status": sweep.status,
        "total": sweep.total,
        "done": sweep.done,
        "matched": sweep.matched,
        "labelled": sweep.labelled,
        "cursor": sweep.cursor,
        "error": sweep.error,
        "progress": round(sweep.done / sweep.total, 4) if sweep.total else 1.0,
        **{
            k: (v.isoformat() if v else None)
            for k, v in (
                ("created_at", sweep.created_at),
                ("started_at", sweep.started_at),
                ("finished_at", sweep.finished_at),
            )
        },
    }


def start_sweep(*, factory: sessionmaker[Session], claim_id: str) -> Sweep:
    """Record a sweep for ``claim_id`` (or return the unfinished one for the same revision)."""
    with factory() as session, session.begin():
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise NotFound(f"no claim '{claim_id}'")
        if claim.status == "retracted":
            raise ValidationFailed(f"claim '{claim_id}' is retracted; nothing to sweep for")
        existing = session.scalar(
            select(Sweep)
            .where(
                Sweep.claim_id == claim_id,
                Sweep.claim_revision == claim.revision,
                Sweep.status.in_(ACTIVE),
            )
            .order_by(Sweep.created_at.desc())
            .limit(1)
        )
        if existing is not None:
            return existing
        sweep = Sweep(
            claim_id=claim_id,
            claim_revision=claim.revision,
            status="pending",
            total=count_sweepable(session),
            done=0,
            matched=0,
            labelled=0,
            cursor=0,
        )
        session.add(sweep)
        session.flush()
        return sweep


def get_sweep(*, session: Session, sweep_id: str) -> Sweep:
    """A sweep by id."""
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        raise NotFound(f"no sweep '{sweep_id}'")
    return sweep


def run_sweep(
    *,
    factory: sessionmaker[Session],
    matcher: ContentMatcher,
    sweep_id: str,
    batch_size: int = DEFAULT_BATCH,
    stop: threading.Event | None = None,
    progress: Callable[[Sweep], None] | None = None,
) -> Sweep:
    """Work through a sweep until done or ``stop`` is set (then status ``stopped``)."""
    with factory() as session, session.begin():
        sweep = get_sweep(session=session, sweep_id=sweep_id)
        if sweep.status == "done":
            return sweep
        sweep.status, sweep.error = "running", None
        sweep.started_at = sweep.started_at or utcnow()
    while True:
        if stop is not None and stop.is_set():
            with factory() as session, session.begin():
                sweep = get_sweep(session=session, sweep_id=sweep_id)
                sweep.status = "stopped"
            return sweep
        try:
            with factory() as session, session.begin():
                sweep = get_sweep(session=session, sweep_id=sweep_id)
                more = sweep_batch(session, sweep, matcher, batch_size)
                if not more:
                    sweep.status, sweep.finished_at = "done", utcnow()
                    sweep.total = max(sweep.total, sweep.done)
        except Exception as exc:
            with factory() as session, session.begin():
                failed = get_sweep(session=session, sweep_id=sweep_id)
                failed.status, failed.error = "failed", repr(exc)[:2000]
            raise
        if progress is not None:
            progress(sweep)
        if not more:
            return sweep


class SweepRunner:
    """Runs sweeps on one background thread, so callers never block on them."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        matcher: ContentMatcher,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self.factory, self.matcher, self.batch_size = factory, matcher, batch_size
        self.stop_event = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rumordesk-sweep")
        self.futures: dict[str, Future[Sweep]] = {}

    def start(self, claim_id: str) -> Sweep:
        """Record a sweep for the claim and queue it on the background thread."""
        sweep = start_sweep(factory=self.factory, claim_id=claim_id)
        if sweep.id not in self.futures or self.futures[sweep.id].done():
            self.futures[sweep.id] = self._pool.submit(self._run, sweep.id)
        return sweep

    def _run(self, sweep_id: str) -> Sweep:
        refresh = getattr(self.matcher, "refresh", None)
        if callable(refresh):  # a live index catches up with the change that started us
            refresh(force=True)
        try:
            return run_sweep(
                factory=self.factory,
                matcher=self.matcher,
                sweep_id=sweep_id,
                batch_size=self.batch_size,
                stop=self.stop_event,
            )
        except Exception:
            log.exception("sweep %s failed", sweep_id)
            raise

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the sweeps queued so far (tests, CLI)."""
        for future in list(self.futures.values()):
            future.result(timeout=timeout)

    def close(self) -> None:
        """Stop after the current batch; stopped sweeps resume with ``rumordesk sweep run``."""
        self.stop_event.set()
        self._pool.shutdown(wait=True)


def install_sweep_trigger(
    desk: Any, matcher: ContentMatcher, batch_size: int = DEFAULT_BATCH
) -> SweepRunner:
    """Start a sweep whenever a committed change touches a confirmed claim.

    A sweep is recorded per claim revision, so confirming and then editing text or variants
    sweeps again, while repeated notifications for one revision do not.
    """
    runner = SweepRunner(desk.sessions, matcher, batch_size)

    def on_change(claim_ids: set[str]) -> None:
        with desk.sessions() as session:
            confirmed = list(
                session.scalars(
                    select(Claim.id).where(
                        Claim.id.in_(sorted(claim_ids)), Claim.status == "confirmed"
                    )
                )
            )
        for claim_id in confirmed:
            runner.start(claim_id)

    desk.on_library_change(on_change)
    return runner
