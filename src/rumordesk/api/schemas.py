"""Request and response bodies of the API (kept apart from storage models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rumordesk.domain.access import Role
from rumordesk.domain.claims import ClaimFields, ClaimStatus


class ClaimCreate(ClaimFields):
    """A new claim; may start as candidate, verifying or (with evidence and reviewer) confirmed."""

    status: ClaimStatus = ClaimStatus.CANDIDATE
    reviewer: str | None = None
    reason: str | None = None


class ClaimUpdate(ClaimFields):
    """The full new content of a claim and why it changed."""

    reason: str | None = None


class StatusChange(BaseModel):
    """Move a claim through its lifecycle."""

    model_config = ConfigDict(extra="forbid")
    status: ClaimStatus
    reviewer: str | None = None
    reason: str | None = None


class ClaimOut(ClaimFields):
    """A claim as the API returns it."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")
    id: str
    org_id: str
    category: str
    tier: str
    status: ClaimStatus
    reviewer: str | None
    retraction_reason: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None


class ClaimList(BaseModel):
    """A page of claims."""

    items: list[ClaimOut]
    total: int
    limit: int
    offset: int


class RevisionOut(BaseModel):
    """One entry of a claim's history."""

    model_config = ConfigDict(from_attributes=True)
    number: int
    actor: str
    action: str
    reason: str | None
    changes: dict[str, Any]
    at: datetime


class ImportBody(BaseModel):
    """Records to import, in the same shape as JSONL import lines."""

    records: list[dict[str, Any]] = Field(max_length=5000)
    status: ClaimStatus = ClaimStatus.CANDIDATE
    reviewer: str | None = None


class OrganisationOut(BaseModel):
    """An organisation."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    kind: str
    created_at: datetime


class KeyCreate(BaseModel):
    """A new API key for the caller's organisation."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Role


class KeyOut(BaseModel):
    """An API key's metadata (never its secret, except once at creation)."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    secret: str | None = None
