"""Organisations and API keys: creation and authentication."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from rumordesk.domain.access import Principal, Role
from rumordesk.domain.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from rumordesk.store.models import ApiKey, Organisation
from rumordesk.store.repositories import OrganisationRepository

ORG_KINDS = ("platform", "fact_checker", "authority", "other")


def hash_key(secret: str) -> str:
    """SHA-256 of an API key; keys are long random strings, so a fast hash is safe here."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_organisation(*, session: Session, name: str, kind: str = "fact_checker") -> Organisation:
    """Create an organisation; names are unique."""
    name = name.strip()
    if not name:
        raise ValidationFailed("organisation name must not be empty")
    if kind not in ORG_KINDS:
        raise ValidationFailed(f"organisation kind must be one of {', '.join(ORG_KINDS)}")
    repo = OrganisationRepository(session)
    if repo.by_name(name):
        raise Conflict(f"an organisation named '{name}' already exists")
    return repo.add(Organisation(name=name, kind=kind))


def get_organisation(*, session: Session, org_ref: str) -> Organisation:
    """Find an organisation by id or by name."""
    repo = OrganisationRepository(session)
    org = repo.get(org_ref) or repo.by_name(org_ref)
    if org is None:
        raise NotFound(f"no organisation '{org_ref}'")
    return org


def create_api_key(
    *, session: Session, org_id: str, role: Role, name: str, secret: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is shown once and stored only hashed."""
    repo = OrganisationRepository(session)
    if repo.get(org_id) is None:
        raise NotFound(f"no organisation '{org_id}'")
    secret = secret or "rd_" + secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise ValidationFailed("an API key must be at least 16 characters long")
    key_hash = hash_key(secret)
    if repo.key_by_hash(key_hash):
        raise Conflict("this API key already exists")
    key = ApiKey(org_id=org_id, role=role.value, name=name, prefix=secret[:10], key_hash=key_hash)
    return repo.add_key(key), secret


def authenticate(*, session: Session, secret: str | None) -> Principal:
    """The principal behind an API key, or Unauthorized."""
    if not secret:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    key = OrganisationRepository(session).key_by_hash(hash_key(secret))
    if key is None or key.revoked_at is not None:
        raise Unauthorized("invalid or revoked API key")
    return Principal(org_id=key.org_id, role=Role(key.role), name=key.name, key_id=key.id)
