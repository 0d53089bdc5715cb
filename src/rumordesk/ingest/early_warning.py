"""Early warning: fast-spreading cascades with no match and no authoritative source.

1. Screen: after each batch, every cascade it touched is measured over the policy window
   (``early_warning.window_minutes``, event time); it needs ``min_reposts`` reposts and
   ``min_velocity_per_hour`` (reposts + comments per hour) to go further.
2. Check the root post: it must be stored, carry no label (no ``match`` or ``review``), have no
   link to an authority domain, and its account must not be verified.
3. Count distinct accounts in the window (posters and exposed accounts): at least
   ``min_unique_accounts``.
4. Rank: priority = velocity x reach, where reach is the sum over those distinct accounts of
   max(followers, 1) (followers from the post's metrics or the account events; an account
   with unknown followers counts 1, so reach is never below the number of accounts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from rumordesk.domain.policy import EarlyWarningPolicy
from rumordesk.ingest.spread import figures, window_start
from rumordesk.store import ingest_repositories as repo
from rumordesk.store.ingest_models import Account, Post
from rumordesk.store.types import utcnow

URL = re.compile(r"https?://[^\s<>\"'，。）)]+", re.IGNORECASE)


def authority_domains(policy: EarlyWarningPolicy) -> tuple[str, ...]:
    """The allow-list of authority domains from the policy file."""
    return tuple(policy.authority_domains)


def cites_authority(text: str | None, domains: Sequence[str]) -> bool:
    """Whether the text links to an allow-listed domain (or any subdomain of one)."""
    if not text or "http" not in text.lower():
        return False
    for url in URL.findall(text):
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        if any(host == d or host.endswith("." + d) for d in domains):
            return True
    return False


def evaluate(
    session: Session,
    policy: EarlyWarningPolicy,
    roots: Iterable[tuple[str, str]],
    since: datetime | None = None,
) -> int:
    """Queue the touched cascades that now qualify; returns how many were queued or refreshed.

    ``since``: the oldest event time in the batch; a window ends at or after it, so buckets
    older than ``since - window`` need not be read.
    """
    roots = sorted(set(roots))
    if not roots:
        return 0
    minutes = policy.window_minutes
    floor = since - timedelta(minutes=minutes + 1) if since is not None else None
    rows = repo.buckets(session, roots, floor)
    queued = 0
    for key in roots:
        fig = figures(rows.get(key, []), minutes)
        if fig.window_end is None or fig.window_reposts < policy.min_reposts:
            continue
        if fig.velocity_per_hour < policy.min_velocity_per_hour:
            continue
        platform, root = key
        post = session.scalar(
            select(Post).where(Post.platform == platform, Post.external_id == root)
        )
        if post is None or post.label is not None or post.authority_link:
            continue
        verified = session.scalar(
            select(Account.verified).where(
                Account.platform == platform, Account.external_id == post.account
            )
        )
        if verified:
            continue
        end = fig.window_end - timedelta(microseconds=1)
        accounts = repo.cascade_accounts(session, [key], window_start(end, minutes), end)
        if len(accounts) < policy.min_unique_accounts:
            continue
        reach = float(sum(max(f or 0, 1) for f in accounts.values()))
        now = utcnow()
        repo.upsert_queue_item(
            session,
            {
                "platform": platform,
                "root_external_id": root,
                "post_id": post.id,
                "status": "open",
                "velocity": fig.velocity_per_hour,
                "reach": reach,
                "priority": fig.velocity_per_hour * reach,
                "reposts": fig.window_reposts,
                "comments": fig.window_comments,
                "exposures": fig.window_exposures,
                "unique_accounts": len(accounts),
                "window_end": fig.window_end,
                "first_flagged_at": now,
                "updated_at": now,
            },
        )
        queued += 1
    return queued
