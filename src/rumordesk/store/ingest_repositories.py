"""Bulk queries for ingestion: one statement per batch, never one per row.

Writes use ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` from the dialect's own ``insert`` (the
same SQL on SQLite and PostgreSQL), so re-delivered events are dropped by the database and the
rows actually inserted are known exactly (counters count only those).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rumordesk.store.ingest_models import (
    Account,
    Case,
    DeadLetter,
    Exposure,
    Post,
    PostMatch,
    Search,
    SpreadBucket,
    VerificationItem,
)
from rumordesk.store.types import UTCDateTime, utcnow

T = TypeVar("T")
CHUNK = 900  # under every driver's bound-parameter limit for IN lists
POSTS: Table = Post.__table__  # type: ignore[assignment]
MATCHES: Table = PostMatch.__table__  # type: ignore[assignment]
SHARE_KINDS = ("repost", "quote")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def dialect_insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


# -- posts -------------------------------------------------------------------------------------
def insert_posts(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert posts, skipping ones already stored; returns (id, external_id) of new rows."""
    if not rows:
        return []
    stmt = (
        dialect_insert(session, POSTS)
        .on_conflict_do_nothing()
        .returning(POSTS.c.id, POSTS.c.external_id)
    )
    return [(r[0], r[1]) for r in session.execute(stmt, rows)]


def post_refs(
    session: Session, platform: str, external_ids: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """(id, root_external_id) of stored posts, by external id."""
    found: dict[str, tuple[int, str]] = {}
    for part in chunks(sorted(set(external_ids))):
        stmt = select(Post.external_id, Post.id, Post.root_external_id).where(
            Post.platform == platform, Post.external_id.in_(part)
        )
        for ext, pid, root in session.execute(stmt):
            found[ext] = (pid, root)
    return found


def link_posts(session: Session, platform: str, new_ids: Sequence[str]) -> None:
    """Resolve parent/root links of new posts and of stored posts that were waiting for them."""
    parent = POSTS.alias("parent")
    for column, ref in (
        (POSTS.c.parent_post_id, POSTS.c.parent_external_id),
        (POSTS.c.root_post_id, POSTS.c.root_external_id),
    ):
        target = (
            select(parent.c.id)
            .where(parent.c.platform == POSTS.c.platform, parent.c.external_id == ref)
            .scalar_subquery()
        )
        for part in chunks(list(new_ids)):
            session.execute(
                update(POSTS)
                .where(
                    POSTS.c.platform == platform,
                    column.is_(None),
                    ref.is_not(None),
                    ref != POSTS.c.external_id,
                    (POSTS.c.external_id.in_(part) | ref.in_(part)),
                )
                .values({column: target})
            )


def relink_orphans(session: Session) -> int:
    """Link every stored post whose parent or root arrived without the link being made.

    Two workers can each commit one side of a parent/child pair while neither sees the other's
    uncommitted row; this repair pass (run when a worker is idle) closes such gaps. Returns how
    many links it made.
    """
    parent = POSTS.alias("parent")
    made = 0
    for column, ref in (
        (POSTS.c.parent_post_id, POSTS.c.parent_external_id),
        (POSTS.c.root_post_id, POSTS.c.root_external_id),
    ):
        match = (parent.c.platform == POSTS.c.platform) & (parent.c.external_id == ref)
        target = select(parent.c.id).where(match).scalar_subquery()
        result = session.execute(
            update(POSTS)
            .where(
                column.is_(None),
                ref.is_not(None),
                ref != POSTS.c.external_id,
                select(parent.c.id).where(match).exists(),
            )
            .values({column: target})
        )
        made += cast(CursorResult[Any], result).rowcount or 0
    return made


def reroot(session: Session, platform: str, moved: dict[str, str]) -> None:
    """Posts filed under a provisional root (a parent not yet seen) move to the real root."""
    for old, new in moved.items():
        session.execute(
            update(POSTS)
            .where(POSTS.c.platform == platform, POSTS.c.root_external_id == old)
            .values(root_external_id=new, root_post_id=None)
        )


def posts_by_ids(session: Session, ids: Sequence[int]) -> list[Post]:
    """Posts by surrogate id."""
    found: list[Post] = []
    for part in chunks(list(ids)):
        found.extend(session.scalars(select(Post).where(Post.id.in_(part))))
    return found


# -- accounts ----------------------------------------------------------------------------------
def upsert_accounts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or update accounts; fields an event leaves out keep their stored value."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:  # one executemany per shape of row
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, group in groups.items():
        stmt = dialect_insert(session, Account.__table__)
        changes = {k: stmt.excluded[k] for k in keys if k not in ("platform", "external_id")}
        session.execute(
            stmt.on_conflict_do_update(index_elements=["platform", "external_id"], set_=changes),
            group,
        )


def account_facts(
    session: Session, platform: str, accounts: Iterable[str]
) -> dict[str, tuple[int | None, bool | None]]:
    """(followers, verified) of known accounts."""
    found: dict[str, tuple[int | None, bool | None]] = {}
    for part in chunks(sorted(set(accounts))):
        stmt = select(Account.external_id, Account.followers, Account.verified).where(
            Account.platform == platform, Account.external_id.in_(part)
        )
        for ext, followers, verified in session.execute(stmt):
            found[ext] = (followers, verified)
    return found


# -- matches, labels, cases --------------------------------------------------------------------
Inserted = list[tuple[int, str, str]]  # (post_id, claim_id, decision)


def insert_matches(session: Session, rows: list[dict[str, Any]]) -> Inserted:
    """Store match rows; a (post, claim) pair already stored is kept as it was."""
    if not rows:
        return []
    stmt = (
        dialect_insert(session, MATCHES)
        .on_conflict_do_nothing()
        .returning(MATCHES.c.post_id, MATCHES.c.claim_id, MATCHES.c.decision)
    )
    return [(r[0], r[1], r[2]) for r in session.execute(stmt, rows)]


def inherit_matches(
    session: Session,
    *,
    child_ids: Sequence[int] = (),
    parent_ids: Sequence[int] = (),
    claim_id: str | None = None,
) -> Inserted:
    """Copy parents' matches onto their reposts/quotes (source ``inherited``), in SQL.

    ``child_ids`` pulls for these reposts; ``parent_ids`` pushes to these posts' reposts.
    One level per call: callers repeat with the returned posts to walk down a cascade.
    """
    child = POSTS.alias("child")
    cols = ["post_id", "claim_id", "score", "decision", "layers", "source", "matched_at"]
    out: Inserted = []
    for by, ids in ((child.c.id, child_ids), (child.c.parent_post_id, parent_ids)):
        for part in chunks(list(ids)):
            cond: list[ColumnElement[bool]] = [by.in_(part), child.c.kind.in_(SHARE_KINDS)]
            if claim_id is not None:
                cond.append(MATCHES.c.claim_id == claim_id)
            source = (
                select(
                    child.c.id,
                    MATCHES.c.claim_id,
                    MATCHES.c.score,
                    MATCHES.c.decision,
                    MATCHES.c.layers,
                    literal("inherited"),
                    literal(utcnow(), UTCDateTime),
                )
                .join(MATCHES, MATCHES.c.post_id == child.c.parent_post_id)
                .where(and_(*cond))
            )
            stmt = (
                dialect_insert(session, MATCHES)
                .from_select(cols, source)
                .on_conflict_do_nothing()
                .returning(MATCHES.c.post_id, MATCHES.c.claim_id, MATCHES.c.decision)
            )
            out.extend((r[0], r[1], r[2]) for r in session.execute(stmt))
    return out


def relabel(session: Session, post_ids: Iterable[int]) -> list[int]:
    """Set each post's label to its best match (``match`` before ``review``, then score).

    Returns the posts whose label is now a ``match``.
    """
    best: dict[int, tuple[int, float, str, str]] = {}
    for part in chunks(sorted(set(post_ids))):
        stmt = select(
            PostMatch.post_id, PostMatch.claim_id, PostMatch.score, PostMatch.decision
        ).where(PostMatch.post_id.in_(part))
        for pid, cid, score, decision in session.execute(stmt):
            rank = (1 if decision == "match" else 0, score, cid, decision)
            if pid not in best or rank[:2] > best[pid][:2]:
                best[pid] = rank
    rows = [{"b_id": pid, "b_label": r[2], "b_status": r[3]} for pid, r in best.items()]
    if rows:
        session.connection().execute(
            update(POSTS)
            .where(POSTS.c.id == bindparam("b_id"))
            .values(label=bindparam("b_label"), label_status=bindparam("b_status")),
            rows,
        )
    return [pid for pid, r in best.items() if r[3] == "match"]


def attach_cases(session: Session, inserted: Inserted) -> dict[str, str]:
    """Attach new ``match`` rows to the open case of their claim (opened when missing)."""
    per_claim: dict[str, set[int]] = {}
    for pid, cid, decision in inserted:
        if decision == "match":
            per_claim.setdefault(cid, set()).add(pid)
    opened: dict[str, str] = {}
    if not per_claim:
        return opened
    seen_at: dict[int, datetime] = {}
    for part in chunks(sorted({p for ps in per_claim.values() for p in ps})):
        stmt = select(Post.id, Post.created_at).where(Post.id.in_(part))
        seen_at.update(dict(session.execute(stmt).all()))
    for cid in sorted(per_claim):  # fixed order: concurrent workers lock cases alike
        pids = per_claim[cid]
        session.execute(
            dialect_insert(session, Case.__table__)
            .values(id=_new_id(), claim_id=cid, status="open", opened_at=utcnow(), post_count=0)
            .on_conflict_do_nothing()
        )
        case_id = session.scalars(
            select(Case.id).where(Case.claim_id == cid, Case.status == "open")
        ).one()
        last = max(seen_at[p] for p in pids if p in seen_at)
        session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(
                post_count=Case.post_count + len(pids),
                last_seen_at=case(
                    (Case.last_seen_at.is_(None), last),
                    (Case.last_seen_at < last, last),
                    else_=Case.last_seen_at,
                ),
            )
        )
        session.execute(
            update(PostMatch)
            .where(PostMatch.claim_id == cid, PostMatch.case_id.is_(None))
            .values(case_id=case_id)
        )
        opened[cid] = case_id
    return opened


def _new_id() -> str:
    from rumordesk.store.models import new_id

    return new_id()


def matches_of(session: Session, post_id: int) -> list[PostMatch]:
    """A post's matches, best first."""
    stmt = select(PostMatch).where(PostMatch.post_id == post_id).order_by(PostMatch.score.desc())
    return list(session.scalars(stmt))


# -- exposures, searches, dead letters ---------------------------------------------------------
def insert_keyed(
    session: Session, model: type[Exposure] | type[Search], rows: list[dict[str, Any]]
) -> list[str]:
    """Insert exposures or searches by event key; returns the keys that were new."""
    if not rows:
        return []
    table: Table = model.__table__  # type: ignore[assignment]
    stmt = dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.event_key)
    return [r[0] for r in session.execute(stmt, rows)]


def add_dead_letter(
    session: Session, *, source: str, ref: str | None, payload: str, error: str, attempts: int
) -> None:
    """Keep an event that cannot be ingested, with why."""
    session.add(
        DeadLetter(
            source=source,
            ref=(ref or "")[:300] or None,
            payload=payload,
            error=error,
            attempts=attempts,
        )
    )


# -- spread counters ---------------------------------------------------------------------------
def bump_buckets(session: Session, counts: dict[tuple[str, str, datetime], list[int]]) -> None:
    """Add (reposts, comments, exposures) to per-minute buckets: one executemany, key order."""
    if not counts:
        return
    stmt = dialect_insert(session, SpreadBucket.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["platform", "root_external_id", "bucket_start"],
        set_={
            "reposts": SpreadBucket.reposts + stmt.excluded.reposts,
            "comments": SpreadBucket.comments + stmt.excluded.comments,
            "exposures": SpreadBucket.exposures + stmt.excluded.exposures,
        },
    )
    rows = [
        {
            "platform": p,
            "root_external_id": r,
            "bucket_start": b,
            "reposts": n[0],
            "comments": n[1],
            "exposures": n[2],
        }
        for (p, r, b), n in sorted(counts.items())
    ]
    session.execute(stmt, rows)


def buckets(
    session: Session, roots: Sequence[tuple[str, str]], since: datetime | None = None
) -> dict[tuple[str, str], list[tuple[datetime, int, int, int]]]:
    """Bucket rows of these cascades (optionally from ``since``), oldest first."""
    out: dict[tuple[str, str], list[tuple[datetime, int, int, int]]] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, root in roots:
        by_platform.setdefault(platform, []).append(root)
    for platform, ids in by_platform.items():
        for part in chunks(sorted(set(ids))):
            stmt = select(
                SpreadBucket.root_external_id,
                SpreadBucket.bucket_start,
                SpreadBucket.reposts,
                SpreadBucket.comments,
                SpreadBucket.exposures,
            ).where(SpreadBucket.platform == platform, SpreadBucket.root_external_id.in_(part))
            if since is not None:
                stmt = stmt.where(SpreadBucket.bucket_start >= since)
            for root, start, r, c, e in session.execute(stmt.order_by(SpreadBucket.bucket_start)):
                out.setdefault((platform, root), []).append((start, r, c, e))
    return out


def cascade_accounts(
    session: Session, roots: Sequence[tuple[str, str]], start: datetime | None, end: datetime | None
) -> dict[str, int | None]:
    """Distinct accounts active in these cascades in [start, end]: account -> followers."""
    found: dict[str, int | None] = {}
    for platform, root in roots:
        post_q = (
            select(Post.account, func.max(Post.followers))
            .where(Post.platform == platform, Post.root_external_id == root)
            .group_by(Post.account)
        )
        exp_q = (
            select(Exposure.account)
            .where(Exposure.platform == platform, Exposure.root_external_id == root)
            .distinct()
        )
        if start is not None and end is not None:
            post_q = post_q.where(Post.created_at >= start, Post.created_at <= end)
            exp_q = exp_q.where(Exposure.at >= start, Exposure.at <= end)
        for account, followers in session.execute(post_q):
            key = f"{platform}:{account}"
            found[key] = max(found.get(key) or 0, followers or 0) or followers
        for (account,) in session.execute(exp_q):
            found.setdefault(f"{platform}:{account}", None)
    return found


def upsert_queue_item(session: Session, row: dict[str, Any]) -> None:
    """Put a cascade on the verification queue, or refresh its figures."""
    stmt = dialect_insert(session, VerificationItem.__table__).values(**row)
    keep = {
        k: stmt.excluded[k]
        for k in row
        if k not in ("platform", "root_external_id", "first_flagged_at", "status")
    }
    session.execute(
        stmt.on_conflict_do_update(index_elements=["platform", "root_external_id"], set_=keep)
    )


def resolve_queue(session: Session, post_ids: Sequence[int]) -> None:
    """Labelled cascades leave the verification queue (status ``matched``)."""
    for part in chunks(list(post_ids)):
        session.execute(
            update(VerificationItem)
            .where(VerificationItem.status == "open", VerificationItem.post_id.in_(part))
            .values(status="matched", updated_at=utcnow())
        )
