"""What ingestion, sweeps and delivery need from matching, as a small protocol.

The matching service (``rumordesk.services.matching``) implements it over the matching engine;
the ingestion pipeline depends only on this contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Decision = Literal["match", "review", "no_match"]


@dataclass(frozen=True)
class ContentItem:
    """A piece of content to match: a post, comment or search query (text and/or one image)."""

    key: str
    text: str | None
    lang: str | None = None
    image_path: str | None = None
    norm: str | None = None  # the stored normalised text, when the caller has it (sweeps)


@dataclass(frozen=True)
class ClaimMatch:
    """One library claim a piece of content repeats, with a calibrated score and why."""

    claim_id: str
    external_id: str | None
    score: float
    decision: Decision
    layers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form; ``claim_id`` is the external id when the claim has one."""
        return {
            "claim_id": self.external_id or self.claim_id,
            "internal_id": self.claim_id,
            "score": round(self.score, 4),
            "decision": self.decision,
            "layers": self.layers,
        }


class ContentMatcher(Protocol):
    """Matches content against the library."""

    @property
    def version(self) -> str:
        """Changes whenever the library index changes."""
        ...

    def match_items(
        self, items: Sequence[ContentItem], *, top_k: int = 5
    ) -> list[list[ClaimMatch]]:
        """Matches for each item (best first; only ``match``/``review`` decisions)."""
        ...

    def match_claim(self, claim_id: str, items: Sequence[ContentItem]) -> list[ClaimMatch | None]:
        """For a stock sweep: does each stored item repeat this one claim?"""
        ...
