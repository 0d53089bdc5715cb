"""NATS JetStream adapter: one durable stream, one durable pull consumer shared by workers.

Names are versioned and stable (stream ``RUMORDESK_EVENTS``, subject ``rumordesk.events.v1``,
durable consumer ``rumordesk-ingest-v1``): every worker that binds the same durable shares one
position in the stream, so adding workers adds throughput. Messages are acked explicitly, only
after the database commit; an unacked message comes back after ``ack_wait``. The client is
asyncio; it runs on a private event-loop thread so the synchronous worker can use it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from rumordesk.bus.base import DURABLE, STREAM, SUBJECT

T = TypeVar("T")
PUBLISH_WINDOW = 512  # publishes in flight at once


@dataclass
class NatsDelivery:
    """A JetStream message; ``ack``/``nak`` are sent asynchronously, ``bus.flush`` waits."""

    msg: Any
    bus: NatsBus = field(repr=False)

    @property
    def data(self) -> bytes:
        """The payload."""
        return bytes(self.msg.data)

    @property
    def attempt(self) -> int:
        """How many times JetStream has delivered this message (1 = first)."""
        return int(self.msg.metadata.num_delivered)

    def ack(self) -> None:
        """Acknowledge (after the commit)."""
        self.bus._spawn(self.msg.ack())

    def nak(self, delay: float) -> None:
        """Ask for redelivery after ``delay`` seconds."""
        self.bus._spawn(self.msg.nak(delay=delay))


class NatsBus:
    """``EventBus`` over NATS JetStream."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = STREAM,
        subject: str = SUBJECT,
        durable: str = DURABLE,
        ack_wait: float = 60.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.stream, self.subject, self.durable = stream, subject, durable
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="rumordesk-nats", daemon=True
        )
        self._thread.start()
        self._pending: list[Future[Any]] = []
        self._sub: Any = None
        try:
            self._call(self._connect(url, ack_wait, connect_timeout))
        except BaseException:
            self._stop_loop()
            raise

    # -- plumbing ------------------------------------------------------------------------------
    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._pending.append(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _connect(self, url: str, ack_wait: float, timeout: float) -> None:
        self._nc = await nats.connect(
            url, connect_timeout=timeout, max_reconnect_attempts=3, allow_reconnect=True
        )
        self._js = self._nc.jetstream()
        try:
            await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(
                StreamConfig(name=self.stream, subjects=[self.subject], duplicate_window=600.0)
            )

        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            max_deliver=-1,
            max_ack_pending=20_000,
        )
        self._config = config

    async def _subscribe(self) -> Any:
        if self._sub is None:
            self._sub = await self._js.pull_subscribe(
                self.subject, durable=self.durable, stream=self.stream, config=self._config
            )
        return self._sub

    # -- EventBus ------------------------------------------------------------------------------
    def publish(self, payloads: Sequence[bytes], keys: Sequence[str] | None = None) -> int:
        """Publish and wait for the stream's acks; ``keys`` become ``Nats-Msg-Id`` (dedup)."""

        async def send() -> int:
            stored = 0
            for start in range(0, len(payloads), PUBLISH_WINDOW):
                sends = []
                for i in range(start, min(start + PUBLISH_WINDOW, len(payloads))):
                    headers = {"Nats-Msg-Id": keys[i]} if keys is not None else None
                    sends.append(self._js.publish(self.subject, payloads[i], headers=headers))
                for ack in await asyncio.gather(*sends):
                    stored += 0 if getattr(ack, "duplicate", False) else 1
            return stored

        return self._call(send())

    def fetch(self, batch: int, timeout: float) -> list[NatsDelivery]:
        """Up to ``batch`` messages from the durable consumer."""

        async def pull() -> list[Any]:
            sub = await self._subscribe()
            try:
                return list(await sub.fetch(batch, timeout=timeout))
            except NatsTimeout:
                return []

        return [NatsDelivery(m, self) for m in self._call(pull())]

    def flush(self) -> None:
        """Wait until acks/naks are handed to the client, then flush them to the server."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result(timeout=30)
        self._call(self._nc.flush(timeout=30))

    def drained(self) -> bool:
        """No message waiting and none delivered but unacked, for any worker of the durable."""

        async def info() -> Any:
            await self._subscribe()
            return await self._js.consumer_info(self.stream, self.durable)

        state = self._call(info())
        return int(state.num_pending or 0) == 0 and int(state.num_ack_pending or 0) == 0

    def close(self) -> None:
        """Flush and disconnect."""
        try:
            self.flush()
            self._call(self._nc.close(), timeout=10)
        finally:
            self._stop_loop()
