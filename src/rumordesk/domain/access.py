"""Who may do what: roles, principals and the permission table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rumordesk.domain.errors import Forbidden


class Role(StrEnum):
    """Roles an API key can hold, always within one organisation."""

    ADMIN = "admin"
    REVIEWER = "reviewer"
    PLATFORM = "platform"
    VIEWER = "viewer"


class Action(StrEnum):
    """Things a caller can try to do."""

    READ = "read"
    EDIT_CLAIMS = "edit_claims"
    REVIEW_CLAIMS = "review_claims"
    SUBMIT_CONTENT = "submit_content"
    MANAGE_ORG = "manage_org"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.REVIEWER: frozenset(
        {Action.READ, Action.EDIT_CLAIMS, Action.REVIEW_CLAIMS, Action.SUBMIT_CONTENT}
    ),
    Role.PLATFORM: frozenset({Action.READ, Action.SUBMIT_CONTENT}),
    Role.VIEWER: frozenset({Action.READ}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a key's organisation, role and display name."""

    org_id: str
    role: Role
    name: str
    key_id: str | None = None

    def can(self, action: Action) -> bool:
        """Whether this caller's role allows ``action``."""
        return action in PERMISSIONS[self.role]

    def require(self, action: Action) -> None:
        """Raise Forbidden unless the role allows ``action``."""
        if not self.can(action):
            raise Forbidden(f"role '{self.role.value}' may not {action.value.replace('_', ' ')}")


def system_principal(org_id: str, name: str = "system") -> Principal:
    """A principal for trusted local tools (CLI, demo loader) acting for one organisation."""
    return Principal(org_id=org_id, role=Role.ADMIN, name=name)
