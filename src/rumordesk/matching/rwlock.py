"""A readers-writer lock: many matches at once, or one change to the index.

Matching reads the index's arrays from compiled code that runs without the GIL; a live change
(a claim confirmed, edited or retracted) may grow or rebuild those arrays, and a reader that saw
half of a rebuild reads out of bounds. Writers are preferred (a waiting writer stops new readers
from entering), so a stream of matches cannot starve a library update; the read side is taken
per batch of posts, so an update waits at most for the batches in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared (read) or exclusive (write) access; the write side is re-entrant for its holder."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # thread id of the holder
        self._depth = 0
        self._waiting_writers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold shared access for the block (inside the writer's own block it is a no-op)."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                owned = False
            else:
                while self._writer is not None or self._waiting_writers:
                    self._cond.wait()
                self._readers += 1
                owned = True
        try:
            yield
        finally:
            if owned:
                with self._cond:
                    self._readers -= 1
                    if not self._readers:
                        self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold exclusive access for the block."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                self._waiting_writers += 1
                while self._writer is not None or self._readers:
                    self._cond.wait()
                self._waiting_writers -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                    self._cond.notify_all()
