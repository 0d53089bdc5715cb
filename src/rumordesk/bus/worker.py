"""The stream worker: pull a batch, ingest it in one transaction, ack only after the commit.

1. Fetch up to ``batch_size`` deliveries from the bus (durable consumer shared by workers).
2. Validate: events that can never be valid are dead-lettered at once and acked.
3. Ingest the valid ones in one transaction; after the commit, ack them all.
4. If the batch fails, each event is tried alone; one that still fails is nak'ed with back-off
   and, once it has been delivered ``max_tries`` times, dead-lettered and acked.
5. Stop: on SIGTERM/SIGINT after the current batch (nothing half-done is acked); in ``burst``
   mode when the bus is drained (nothing waiting, nothing owed by any worker).
A crash at any point loses nothing: unacked messages are redelivered, and the database drops
what it already stored (idempotent inserts).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rumordesk.bus.base import Delivery, EventBus
from rumordesk.domain.policy import Policy
from rumordesk.ingest.contract import Event, parse_line
from rumordesk.ingest.pipeline import ingest_batch
from rumordesk.services.matching_contract import ContentMatcher
from rumordesk.store import ingest_repositories as repo

log = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    """What a worker did."""

    batches: int = 0
    accepted: int = 0
    duplicate: int = 0
    dead_lettered: int = 0
    retried: int = 0


class Worker:
    """Consumes events from a bus into the database (see the module docstring)."""

    def __init__(
        self,
        *,
        bus: EventBus,
        factory: sessionmaker[Session],
        policy: Policy,
        matcher: ContentMatcher | None,
        batch_size: int = 500,
        max_tries: int = 5,
        retry_delay: float = 1.0,
        fetch_timeout: float = 1.0,
    ) -> None:
        self.bus, self.factory, self.policy, self.matcher = bus, factory, policy, matcher
        self.batch_size, self.max_tries = batch_size, max_tries
        self.retry_delay, self.fetch_timeout = retry_delay, fetch_timeout
        self.stop = threading.Event()
        self.stats = WorkerStats()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT finish the current batch, then stop."""

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %d: stopping after this batch", signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run(
        self, *, burst: bool = False, on_batch: Callable[[WorkerStats], None] | None = None
    ) -> WorkerStats:
        """Consume until stopped (or, with ``burst``, until the bus is drained)."""
        while not self.stop.is_set():
            deliveries = self.bus.fetch(self.batch_size, self.fetch_timeout)
            if not deliveries:
                self.repair_links()
                if burst and self.bus.drained():
                    break
                continue
            self.handle(deliveries)
            self.stats.batches += 1
            if on_batch is not None:
                on_batch(self.stats)
        self.bus.flush()
        return self.stats

    def repair_links(self) -> int:
        """When idle: link posts whose parent was committed by another worker at the same time."""
        from rumordesk.store.ingest_repositories import relink_orphans

        with self.factory() as session, session.begin():
            made = relink_orphans(session)
        if made:
            log.info("linked %d posts whose parent arrived through another worker", made)
        return made

    def handle(self, deliveries: Sequence[Delivery]) -> None:
        """Steps 2-4 for one fetched batch."""
        valid: list[tuple[Delivery, Event]] = []
        for index, delivery in enumerate(deliveries):
            parsed = parse_line(delivery.data, index)
            if isinstance(parsed, list):
                self._dead_letter(delivery, "; ".join(map(str, parsed)))
            else:
                valid.append((delivery, parsed))
        if valid:
            try:
                with self.factory() as session, session.begin():
                    outcome = ingest_batch(
                        session, [e for _, e in valid], matcher=self.matcher, policy=self.policy
                    )
                self._count(outcome.statuses)
                for delivery, _ in valid:
                    delivery.ack()
            except OperationalError:
                raise  # the database is down: let the process exit; nothing was acked
            except Exception as exc:  # noqa: BLE001 - isolate the failing events below
                log.warning("batch of %d failed (%s); trying events one by one", len(valid), exc)
                for delivery, event in valid:
                    self._one(delivery, event)
        self.bus.flush()

    def _one(self, delivery: Delivery, event: Event) -> None:
        try:
            with self.factory() as session, session.begin():
                outcome = ingest_batch(session, [event], matcher=self.matcher, policy=self.policy)
            self._count(outcome.statuses)
            delivery.ack()
        except OperationalError:
            raise
        except Exception as exc:  # noqa: BLE001 - retry with back-off, then dead-letter
            if delivery.attempt >= self.max_tries:
                self._dead_letter(delivery, repr(exc))
            else:
                self.stats.retried += 1
                delivery.nak(self.retry_delay * 2 ** (delivery.attempt - 1))

    def _dead_letter(self, delivery: Delivery, error: str) -> None:
        with self.factory() as session, session.begin():
            repo.add_dead_letter(
                session,
                source="stream",
                ref=None,
                payload=delivery.data.decode("utf-8", "replace")[:100_000],
                error=error[:10_000],
                attempts=delivery.attempt,
            )
        delivery.ack()
        self.stats.dead_lettered += 1

    def _count(self, statuses: list[str]) -> None:
        self.stats.accepted += statuses.count("accepted")
        self.stats.duplicate += statuses.count("duplicate")


def wait_until_drained(bus: EventBus, timeout: float, poll: float = 0.2) -> bool:
    """Poll ``bus.drained()`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bus.drained():
            return True
        time.sleep(poll)
    return bus.drained()
