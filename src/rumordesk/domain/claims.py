"""Claims in the rumour library and the lifecycle rules that guard them.

Lifecycle: candidate → verifying → confirmed → retracted. A claim enters the library
(``confirmed``) only with at least one evidence source and a named reviewer; retracting
needs a reason. Every change is recorded as a revision by the service layer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from rumordesk.domain.errors import InvalidTransition


class ClaimStatus(StrEnum):
    """Where a claim is in its lifecycle."""

    CANDIDATE = "candidate"
    VERIFYING = "verifying"
    CONFIRMED = "confirmed"
    RETRACTED = "retracted"


class Verdict(StrEnum):
    """The fact-checkers' finding about a claim."""

    FALSE = "false"
    MISLEADING = "misleading"
    UNPROVEN = "unproven"
    TRUE_BUT_MISUSED = "true_but_misused"


ALLOWED_TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.CANDIDATE: frozenset({ClaimStatus.VERIFYING, ClaimStatus.CONFIRMED}),
    ClaimStatus.VERIFYING: frozenset({ClaimStatus.CANDIDATE, ClaimStatus.CONFIRMED}),
    ClaimStatus.CONFIRMED: frozenset({ClaimStatus.RETRACTED}),
    ClaimStatus.RETRACTED: frozenset({ClaimStatus.VERIFYING}),
}


class EvidenceSource(BaseModel):
    """A source backing the debunk: an authority's statement, a document, a link."""

    model_config = ConfigDict(extra="forbid")

    authority: str = Field(min_length=1, max_length=300)
    title: str = Field(default="", max_length=1000)
    url: HttpUrl | None = None
    date: dt.date | None = None


def check_transition(
    current: ClaimStatus,
    target: ClaimStatus,
    *,
    evidence_count: int,
    reviewer: str | None,
    reason: str | None,
) -> None:
    """Raise InvalidTransition unless moving ``current`` → ``target`` obeys the lifecycle rules."""
    if target == current:
        raise InvalidTransition(f"claim is already {current.value}")
    if target not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current]))
        raise InvalidTransition(
            f"cannot move a {current.value} claim to {target.value} (allowed: {allowed})"
        )
    if target == ClaimStatus.CONFIRMED:
        if evidence_count < 1:
            raise InvalidTransition("confirming a claim needs at least one evidence source")
        if not reviewer or not reviewer.strip():
            raise InvalidTransition("confirming a claim needs a reviewer")
    if target == ClaimStatus.RETRACTED and (not reason or not reason.strip()):
        raise InvalidTransition("retracting a claim needs a reason")


class ClaimFields(BaseModel):
    """Editable content of a claim, as accepted from import files, the API and the CLI."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str | None = Field(default=None, max_length=200)
    canonical_text: str = Field(min_length=1, max_length=10_000)
    variants: list[str] = Field(default_factory=list, max_length=200)
    keywords: list[str] = Field(default_factory=list, max_length=200)
    language: str | None = Field(default=None, max_length=16)
    category: str | None = None
    tier: str | None = None
    verdict: Verdict = Verdict.FALSE
    rating_label: str | None = Field(
        default=None, max_length=200, description="The publisher's own rating wording."
    )
    debunk_summary: str = Field(default="", max_length=2_000)
    debunk_text: str = Field(default="", max_length=50_000)
    evidence: list[EvidenceSource] = Field(default_factory=list, max_length=100)
    publisher: str | None = Field(default=None, max_length=300)
    review_url: HttpUrl | None = None
    published_at: dt.date | None = None
    appearances: list[HttpUrl] = Field(default_factory=list, max_length=200)
    first_appearance: HttpUrl | None = None
    image_hashes: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("variants", "keywords")
    @classmethod
    def _no_blank(cls, items: list[str]) -> list[str]:
        cleaned = [i.strip() for i in items if i and i.strip()]
        return list(dict.fromkeys(cleaned))

    @field_validator("image_hashes")
    @classmethod
    def _pdq_hex(cls, items: list[str]) -> list[str]:
        for h in items:
            if len(h) != 64 or any(c not in "0123456789abcdefABCDEF" for c in h):
                raise ValueError(f"image hash {h!r} is not a 64-hex-digit PDQ hash")
        return [h.lower() for h in items]
