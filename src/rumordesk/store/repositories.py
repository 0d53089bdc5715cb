"""Repositories: the queries the services need, and nothing else, over one Session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from rumordesk.store.models import ApiKey, Claim, ClaimRevision, Organisation


@dataclass(frozen=True)
class ClaimFilter:
    """Filters for listing claims; ``None`` means 'any'."""

    status: str | None = None
    category: str | None = None
    tier: str | None = None
    language: str | None = None
    org_id: str | None = None
    text: str | None = None


class OrganisationRepository:
    """Organisations and their API keys."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, org_id: str) -> Organisation | None:
        return self.session.get(Organisation, org_id)

    def by_name(self, name: str) -> Organisation | None:
        return self.session.scalar(select(Organisation).where(Organisation.name == name))

    def list(self) -> Sequence[Organisation]:
        return self.session.scalars(select(Organisation).order_by(Organisation.name)).all()

    def add(self, org: Organisation) -> Organisation:
        self.session.add(org)
        self.session.flush()
        return org

    def add_key(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        self.session.flush()
        return key

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        return self.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))

    def keys(self, org_id: str) -> Sequence[ApiKey]:
        stmt = select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.created_at)
        return self.session.scalars(stmt).all()


class ClaimRepository:
    """Claims and their revision history."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, claim_id: str) -> Claim | None:
        return self.session.get(Claim, claim_id)

    def by_external_id(self, org_id: str, external_id: str) -> Claim | None:
        stmt = select(Claim).where(Claim.org_id == org_id, Claim.external_id == external_id)
        return self.session.scalar(stmt)

    def by_external_ids(self, org_id: str, external_ids: Sequence[str]) -> dict[str, Claim]:
        """Claims of one organisation keyed by external id (chunked for large imports)."""
        found: dict[str, Claim] = {}
        for start in range(0, len(external_ids), 500):
            chunk = list(external_ids[start : start + 500])
            stmt = select(Claim).where(Claim.org_id == org_id, Claim.external_id.in_(chunk))
            for claim in self.session.scalars(stmt):
                assert claim.external_id is not None
                found[claim.external_id] = claim
        return found

    def by_text(self, org_id: str, text: str) -> Claim | None:
        stmt = select(Claim).where(Claim.org_id == org_id, Claim.canonical_text == text).limit(1)
        return self.session.scalar(stmt)

    def add(self, claim: Claim) -> Claim:
        self.session.add(claim)
        return claim

    def add_revision(self, revision: ClaimRevision) -> None:
        self.session.add(revision)

    def revisions(self, claim_id: str) -> Sequence[ClaimRevision]:
        stmt = (
            select(ClaimRevision)
            .where(ClaimRevision.claim_id == claim_id)
            .order_by(ClaimRevision.number)
        )
        return self.session.scalars(stmt).all()

    def _visible(self, stmt: Select[Any], viewer_org: str | None) -> Select[Any]:
        # Own claims in any state; other organisations' claims only once confirmed (published).
        if viewer_org is None:
            return stmt
        return stmt.where(or_(Claim.org_id == viewer_org, Claim.status == "confirmed"))

    def list(
        self, flt: ClaimFilter, *, viewer_org: str | None, limit: int, offset: int
    ) -> tuple[Sequence[Claim], int]:
        """One page of claims visible to ``viewer_org`` and the total count."""
        stmt = self._visible(select(Claim), viewer_org)
        for column, value in (
            (Claim.status, flt.status),
            (Claim.category, flt.category),
            (Claim.tier, flt.tier),
            (Claim.language, flt.language),
            (Claim.org_id, flt.org_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if flt.text:
            pattern = f"%{flt.text}%"
            stmt = stmt.where(
                or_(Claim.canonical_text.ilike(pattern), Claim.debunk_summary.ilike(pattern))
            )
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        page = stmt.order_by(Claim.updated_at.desc(), Claim.id).limit(limit).offset(offset)
        return self.session.scalars(page).all(), total

    def all_matchable(self) -> Sequence[Claim]:
        """Every claim the matcher indexes: all but retracted ones."""
        stmt = select(Claim).where(Claim.status != "retracted").order_by(Claim.id)
        return self.session.scalars(stmt).all()

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Claim)) or 0
