"""Event buses behind one interface: an in-process queue and NATS JetStream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rumordesk.bus.base import EventBus
    from rumordesk.config import Settings


def make_bus(settings: Settings, kind: str | None = None, **options: Any) -> EventBus:
    """The bus named by ``kind`` or ``settings.bus``: ``memory`` or ``nats``."""
    kind = kind or settings.bus
    if kind == "memory":
        from rumordesk.bus.memory import MemoryBus

        return MemoryBus()
    if kind == "nats":
        from rumordesk.bus.nats import NatsBus

        return NatsBus(settings.nats_url, **options)
    from rumordesk.domain.errors import ValidationFailed

    raise ValidationFailed(f"unknown bus '{kind}': use 'memory' or 'nats' (RUMORDESK_BUS)")
