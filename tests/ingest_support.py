"""Test support for ingestion: a tiny exact-substring matcher and event builders.

``SubstringMatcher`` implements the ``ContentMatcher`` protocol by plain substring search over
claim texts. It exists only to isolate pipeline logic in tests; it is not a matching engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rumordesk.services.matching_contract import ClaimMatch, ContentItem


class SubstringMatcher:
    """Matches an item when a claim's key phrase occurs in its text (``match`` decision)."""

    version = "substring-1"

    def __init__(self, phrases: dict[str, str]) -> None:
        self.phrases = phrases  # claim id -> phrase
        self.calls: list[int] = []

    def _one(self, claim_id: str, item: ContentItem) -> ClaimMatch | None:
        phrase = self.phrases[claim_id]
        if item.text and phrase in item.text:
            return ClaimMatch(
                claim_id=claim_id,
                external_id=None,
                score=0.95,
                decision="match",
                layers={"substring": {"phrase": phrase}},
            )
        return None

    def match_items(
        self, items: Sequence[ContentItem], *, top_k: int = 5
    ) -> list[list[ClaimMatch]]:
        self.calls.append(len(items))
        out = []
        for item in items:
            found = [m for c in self.phrases if (m := self._one(c, item)) is not None]
            out.append(found[:top_k])
        return out

    def match_claim(self, claim_id: str, items: Sequence[ContentItem]) -> list[ClaimMatch | None]:
        return [self._one(claim_id, item) for item in items]


T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    """An ISO timestamp ``minutes`` after T0, with an offset."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def post(
    pid: str,
    *,
    kind: str = "original",
    parent: str | None = None,
    root: str | None = None,
    text: str | None = None,
    account: str | None = None,
    minute: float = 0,
    platform: str = "weibo",
    followers: int | None = None,
) -> dict[str, Any]:
    """A post event in the contract."""
    event: dict[str, Any] = {
        "type": "post",
        "id": pid,
        "platform": platform,
        "account": account or f"acc-{pid}",
        "kind": kind,
        "created_at": at(minute),
    }
    for key, value in (("parent_id", parent), ("root_id", root), ("text", text)):
        if value is not None:
            event[key] = value
    if followers is not None:
        event["metrics"] = {"followers": followers}
    return event


EVIDENCE = [
    {
        "authority": "City Emergency Bureau",
        "title": "No such event",
        "url": "https://gov.example.org/n/1",
        "date": "2024-05-02",
    }
]


def add_claim(desk: Any, principal: Any, text: str, *, confirmed: bool = True) -> str:
    """Create a library claim (confirmed by default) and return its id."""
    from rumordesk.domain.claims import ClaimFields, ClaimStatus
    from rumordesk.services import claims as claim_service

    fields = ClaimFields.model_validate(
        {"canonical_text": text, "category": "public_safety", "tier": "tier1", "evidence": EVIDENCE}
    )
    status = ClaimStatus.CONFIRMED if confirmed else ClaimStatus.CANDIDATE
    with desk.sessions() as session, session.begin():
        claim = claim_service.create_claim(
            session=session,
            principal=principal,
            policy=desk.policy,
            fields=fields,
            status=status,
            reviewer="Reviewer R" if confirmed else None,
        )
        return str(claim.id)
