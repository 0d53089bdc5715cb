"""The in-process queue: the embedded default (``RUMORDESK_BUS=memory``), no server needed.

Same semantics as the durable bus within one process: a delivery is owed until acked, a nak
puts it back after a delay with its attempt count raised. Nothing survives the process.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class MemoryDelivery:
    """A message taken from a :class:`MemoryBus`."""

    data: bytes
    attempt: int
    bus: MemoryBus = field(repr=False)
    settled: bool = False

    def ack(self) -> None:
        """Forget the message."""
        if not self.settled:
            self.settled = True
            self.bus._settle()

    def nak(self, delay: float) -> None:
        """Put the message back, due after ``delay`` seconds."""
        if not self.settled:
            self.settled = True
            self.bus._requeue(self.data, self.attempt + 1, delay)


class MemoryBus:
    """A thread-safe in-process queue implementing ``EventBus``."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, bytes, int]] = []
        self._seq = itertools.count()
        self._owed = 0
        self._seen: set[str] = set()

    def publish(self, payloads: Sequence[bytes], keys: Sequence[str] | None = None) -> int:
        """Append payloads; a key published before is dropped."""
        added = 0
        with self._cond:
            for i, payload in enumerate(payloads):
                if keys is not None:
                    if keys[i] in self._seen:
                        continue
                    self._seen.add(keys[i])
                heapq.heappush(self._heap, (0.0, next(self._seq), payload, 1))
                added += 1
            self._cond.notify_all()
        return added

    def fetch(self, batch: int, timeout: float) -> list[MemoryDelivery]:
        """Up to ``batch`` due messages, waiting up to ``timeout`` for the first."""
        deadline = time.monotonic() + timeout
        out: list[MemoryDelivery] = []
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now and len(out) < batch:
                    _, _, data, attempt = heapq.heappop(self._heap)
                    out.append(MemoryDelivery(data, attempt, self))
                if out or now >= deadline:
                    self._owed += len(out)
                    return out
                wait = deadline - now
                if self._heap:
                    wait = min(wait, max(self._heap[0][0] - now, 0.001))
                self._cond.wait(wait)

    def flush(self) -> None:
        """Acks are immediate in process."""

    def drained(self) -> bool:
        """Nothing queued and nothing owed."""
        with self._cond:
            return not self._heap and self._owed == 0

    def _settle(self) -> None:
        with self._cond:
            self._owed -= 1

    def _requeue(self, data: bytes, attempt: int, delay: float) -> None:
        with self._cond:
            self._owed -= 1
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), data, attempt))
            self._cond.notify_all()

    def close(self) -> None:
        """Nothing to release."""
