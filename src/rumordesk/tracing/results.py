"""What tracing returns: plain dataclasses, each with a JSON-ready ``to_dict``.

These are the evidence that enforcement relies on, so every figure is named in the field's words
(first poster, cascade, reach) and ``ClaimTrace.notes`` says in prose where the data was uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from rumordesk.tracing.graph import Cycle, PropagationGraph
    from rumordesk.tracing.roles import AccountTable

ORIGINATOR: Final = "originator"
EARLY_AMPLIFIER: Final = "early_amplifier"
AMPLIFIER: Final = "amplifier"
COMMENTER: Final = "commenter"
#: Role names by code, strongest first: an account takes the strongest role any post earns it.
ROLES: Final[tuple[str, ...]] = (ORIGINATOR, EARLY_AMPLIFIER, AMPLIFIER, COMMENTER)


@dataclass(frozen=True)
class FirstPoster:
    """The earliest post of a scope (a claim, a platform or a cascade) and who posted it."""

    account: str
    post_id: str
    platform: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "account": self.account,
            "post_id": self.post_id,
            "platform": self.platform,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Amplifier:
    """An account's reposts/quotes within one cascade and the posts under them (its reach)."""

    account: str
    platform: str
    reposts: int
    reach: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "account": self.account,
            "platform": self.platform,
            "reposts": self.reposts,
            "reach": self.reach,
        }


@dataclass(frozen=True)
class Cascade:
    """One propagation tree: a root post and everything reached from it through parent links."""

    root_post_id: str
    platform: str
    first_poster: FirstPoster
    size: int  # posts
    depth: int  # edges on the longest root-to-leaf path
    breadth: int  # most posts at one depth level
    accounts: int  # distinct accounts
    provisional: bool  # the root names a parent that is not among the traced posts
    missing_parent_id: str | None
    time_to_accounts: dict[int, float | None]  # seconds from the root until the Nth account
    top_amplifiers: list[Amplifier]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``time_to_accounts`` keys become strings, as JSON requires)."""
        return {
            "root_post_id": self.root_post_id,
            "platform": self.platform,
            "first_poster": self.first_poster.to_dict(),
            "size": self.size,
            "depth": self.depth,
            "breadth": self.breadth,
            "accounts": self.accounts,
            "provisional": self.provisional,
            "missing_parent_id": self.missing_parent_id,
            "time_to_accounts": {str(k): v for k, v in self.time_to_accounts.items()},
            "top_amplifiers": [a.to_dict() for a in self.top_amplifiers],
        }


@dataclass(frozen=True)
class AccountRole:
    """One account's part in the spread of a claim."""

    account: str
    platform: str
    role: str  # one of ROLES
    posts: int  # all its posts in the graph
    reposts: int  # its reposts and quotes
    reach: int  # distinct posts in the subtrees under its reposts/quotes, those included
    originated: int  # posts in the cascades whose root it posted (0 unless an originator)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "account": self.account,
            "platform": self.platform,
            "role": self.role,
            "posts": self.posts,
            "reposts": self.reposts,
            "reach": self.reach,
            "originated": self.originated,
        }


@dataclass(frozen=True)
class TraceParameters:
    """The knobs a trace ran with, echoed so a report can be reproduced."""

    skew_tolerance_s: float = 120.0
    top: int = 20
    account_limit: int = 100
    early_share: float = 0.1
    milestones: tuple[int, ...] = (10, 100, 1000)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "skew_tolerance_s": self.skew_tolerance_s,
            "top": self.top,
            "account_limit": self.account_limit,
            "early_share": self.early_share,
            "milestones": list(self.milestones),
        }


@dataclass(frozen=True)
class ClaimTrace:
    """The whole trace of one claim; ``graph`` and ``roles`` keep every figure for look-ups."""

    posts: int
    first_poster: FirstPoster | None
    first_poster_by_platform: dict[str, FirstPoster]
    cascades: list[Cascade]  # chronological by root
    accounts: list[AccountRole]  # by reach, then reposts, at most ``account_limit``
    account_count: int
    role_counts: dict[str, int]
    notes: list[str]
    cycles: list[Cycle]
    duplicates: int  # extra copies dropped
    duplicate_post_ids: list[str]
    skewed_edges: int  # posts timestamped before their parent
    parameters: TraceParameters
    graph: PropagationGraph = field(repr=False, compare=False)
    account_table: AccountTable = field(repr=False, compare=False)

    def role_of(self, account: str, platform: str) -> AccountRole | None:
        """Any account's role, reposts and reach, not only the listed top accounts."""
        return self.account_table.get(account, platform)

    def cascade_of(self, post_id: str) -> Cascade:
        """The cascade a post belongs to; ``KeyError`` when the post is not in the trace."""
        for i, node in enumerate(self.graph.posts):
            if node.post_id == post_id:
                root_id = self.graph.posts[int(self.graph.root[i])].post_id
                return next(c for c in self.cascades if c.root_post_id == root_id)
        raise KeyError(post_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "posts": self.posts,
            "first_poster": self.first_poster.to_dict() if self.first_poster else None,
            "first_poster_by_platform": {
                k: v.to_dict() for k, v in self.first_poster_by_platform.items()
            },
            "cascades": [c.to_dict() for c in self.cascades],
            "accounts": [a.to_dict() for a in self.accounts],
            "account_count": self.account_count,
            "role_counts": self.role_counts,
            "notes": self.notes,
            "cycles": [c.to_dict() for c in self.cycles],
            "duplicates": self.duplicates,
            "duplicate_post_ids": self.duplicate_post_ids,
            "skewed_edges": self.skewed_edges,
            "parameters": self.parameters.to_dict(),
        }
