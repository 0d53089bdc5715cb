"""Set up the demo: a demo organisation, its API key and the demo library (only when empty)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Role, system_principal
from rumordesk.services.importing import ImportOptions, ImportReport, import_claims, read_file
from rumordesk.services.organisations import create_api_key, create_organisation, hash_key
from rumordesk.store.repositories import ClaimRepository, OrganisationRepository

DEMO_ORG = "Demo Fact Check Desk"


@dataclass(frozen=True)
class DemoSetup:
    """What demo setup did."""

    org_id: str
    api_key: str
    library: ImportReport | None


def setup_demo(
    desk: Rumordesk, demo_dir: Path, progress: Callable[[int], None] | None = None
) -> DemoSetup:
    """Create the demo organisation and key if missing; load the demo library into an empty one."""
    secret = desk.settings.demo_api_key
    with desk.sessions() as session, session.begin():
        repo = OrganisationRepository(session)
        org = repo.by_name(DEMO_ORG) or create_organisation(session=session, name=DEMO_ORG)
        if repo.key_by_hash(hash_key(secret)) is None:
            create_api_key(
                session=session, org_id=org.id, role=Role.ADMIN, name="demo admin", secret=secret
            )
        empty = ClaimRepository(session).count() == 0
        org_id = org.id
    report = None
    if empty:
        report = import_claims(
            factory=desk.sessions,
            principal=system_principal(org_id, "demo loader"),
            policy=desk.policy,
            records=read_file(demo_dir / "claims.jsonl"),
            options=ImportOptions(reason="demo library"),
            progress=progress,
        )
    return DemoSetup(org_id=org_id, api_key=secret, library=report)
