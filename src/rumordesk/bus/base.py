"""The bus interface: publish raw event payloads; fetch deliveries; ack only after commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

STREAM = "RUMORDESK_EVENTS"
SUBJECT = "rumordesk.events.v1"
DURABLE = "rumordesk-ingest-v1"


class Delivery(Protocol):
    """One message handed to a consumer; it stays owed until ``ack`` (or ``term``)."""

    @property
    def data(self) -> bytes:
        """The event payload (one JSON object)."""
        ...

    @property
    def attempt(self) -> int:
        """1 on first delivery, 2 on the first redelivery, and so on."""
        ...

    def ack(self) -> None:
        """Done: never deliver again. Call only after the database commit."""
        ...

    def nak(self, delay: float) -> None:
        """Failed: deliver again after ``delay`` seconds."""
        ...


class EventBus(Protocol):
    """A durable (or in-process) queue of events shared by any number of workers."""

    def publish(self, payloads: Sequence[bytes], keys: Sequence[str] | None = None) -> int:
        """Append payloads (``keys`` let the bus drop re-published duplicates)."""
        ...

    def fetch(self, batch: int, timeout: float) -> Sequence[Delivery]:
        """Up to ``batch`` deliveries, waiting at most ``timeout`` seconds for the first."""
        ...

    def flush(self) -> None:
        """Make sure acks and naks given so far have reached the server."""
        ...

    def drained(self) -> bool:
        """True when nothing is waiting and nothing is owed by any consumer."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
