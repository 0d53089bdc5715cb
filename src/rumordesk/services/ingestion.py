"""Ingestion verbs shared by the API, the CLI and the stream worker.

All three ways in end in :func:`ingest_valid`: one transaction per batch around the pipeline;
if a batch fails, each event is retried on its own so one bad event cannot block the rest, and
what still fails is dead-lettered with its error.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rumordesk.domain.access import Principal
from rumordesk.domain.errors import NotFound, ValidationFailed
from rumordesk.domain.policy import Policy
from rumordesk.ingest import spread
from rumordesk.ingest.contract import Event, EventProblem, parse_line, parse_many
from rumordesk.ingest.pipeline import BatchOutcome, ingest_batch
from rumordesk.services.claims import get_claim
from rumordesk.services.matching_contract import ContentMatcher
from rumordesk.store import ingest_repositories as repo
from rumordesk.store.ingest_models import (
    Case,
    IngestCheckpoint,
    Post,
    PostMatch,
    VerificationItem,
)
from rumordesk.store.types import utcnow

log = logging.getLogger(__name__)
MAX_API_BATCH = 1000
HEAD_BYTES = 64 * 1024


@dataclass
class IngestReport:
    """Per-event results of one call: ``accepted``, ``duplicate``, ``rejected`` or ``failed``."""

    results: list[dict[str, Any]] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many events ended with ``status``."""
        return sum(1 for r in self.results if r["status"] == status)

    def summary(self) -> dict[str, int]:
        """Counts per status."""
        return {s: self.count(s) for s in ("accepted", "duplicate", "rejected", "failed")}


def _ref(event: Event) -> str:
    return event.key if event.type in ("post", "account") else f"{event.type}:{event.key[:16]}"


def ingest_valid(
    factory: sessionmaker[Session],
    events: Sequence[Event],
    *,
    matcher: ContentMatcher | None,
    policy: Policy,
    source: str = "api",
    extra: Callable[[Session, list[str]], None] | None = None,
) -> list[str]:
    """Ingest validated events in one transaction (``extra`` runs inside it, e.g. a checkpoint).

    On failure the batch is retried event by event; an event that fails alone is dead-lettered
    (status ``failed``). Database outages are raised, never dead-lettered.
    """
    try:
        with factory() as session, session.begin():
            outcome: BatchOutcome = ingest_batch(session, events, matcher=matcher, policy=policy)
            if extra is not None:
                extra(session, outcome.statuses)
        return outcome.statuses
    except OperationalError:
        raise
    except Exception as exc:  # noqa: BLE001 - isolate the failing event below
        log.warning(
            "batch of %d failed (%s); retrying one by one",
            len(events),
            exc,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
    statuses: list[str] = []
    for event in events:
        try:
            with factory() as session, session.begin():
                statuses += ingest_batch(session, [event], matcher=matcher, policy=policy).statuses
        except OperationalError:
            raise
        except Exception as exc:  # noqa: BLE001 - dead-letter, keep going
            with factory() as session, session.begin():
                repo.add_dead_letter(
                    session,
                    source=source,
                    ref=_ref(event),
                    payload=event.model_dump_json(),
                    error=repr(exc),
                    attempts=1,
                )
            statuses.append("failed")
    if extra is not None:
        with factory() as session, session.begin():
            extra(session, statuses)
    return statuses


def ingest_events(
    *,
    factory: sessionmaker[Session],
    raws: Sequence[object],
    matcher: ContentMatcher | None,
    policy: Policy,
) -> IngestReport:
    """Validate a batch (at most 1,000) and ingest the valid events, reporting each one."""
    if len(raws) > MAX_API_BATCH:
        raise ValidationFailed(f"a batch holds at most {MAX_API_BATCH} events; got {len(raws)}")
    good, bad = parse_many(raws)
    report = IngestReport(
        [{"index": i, "id": None, "status": "rejected", "errors": []} for i in range(len(raws))]
    )
    for problem in bad:
        row = report.results[problem.index]
        row["id"] = problem.event_id
        row["errors"].append({"field": problem.field, "message": problem.message})
    statuses = ingest_valid(factory, [e for _, e in good], matcher=matcher, policy=policy)
    for (index, event), status in zip(good, statuses, strict=True):
        report.results[index].update(id=getattr(event, "id", None) or event.key, status=status)
        report.results[index].pop("errors")
    return report


# -- files -------------------------------------------------------------------------------------
def file_identity(path: Path) -> tuple[str, int]:
    """A key that survives renames and touches: SHA-256 of the size and the first 64 KiB."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    return hashlib.sha256(str(size).encode() + b"\0" + head).hexdigest(), size


def iter_lines(path: Path) -> Iterator[bytes]:
    """Raw lines of a JSONL or JSONL.gz file."""
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        yield from handle


@dataclass
class FileReport:
    """What a file ingest did (this run), and where it resumed."""

    resumed_at: int = 0
    lines: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    failed: int = 0
    problems: list[EventProblem] = field(default_factory=list)


def ingest_file(
    *,
    factory: sessionmaker[Session],
    path: Path,
    matcher: ContentMatcher | None,
    policy: Policy,
    batch_size: int = 1000,
    restart: bool = False,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Ingest a JSONL(.gz) file of events, resuming after the last committed line.

    The checkpoint row is written in the same transaction as each batch, so an interrupted run
    resumes exactly where the database says it stopped. Invalid lines are dead-lettered.
    """
    if not path.exists():
        raise ValidationFailed(f"{path}: no such file")
    key, size = file_identity(path)
    report = FileReport()
    with factory() as session, session.begin():
        point = session.get(IngestCheckpoint, key)
        if point is None:
            point = IngestCheckpoint(
                file_key=key, path=str(path), size=size, line=0, accepted=0, rejected=0, done=False
            )
            session.add(point)
        elif restart:
            point.line, point.done = 0, False
        report.resumed_at = point.line
    pending: list[Event] = []
    invalid: list[tuple[int, bytes, list[EventProblem]]] = []
    number = 0

    def flush() -> None:
        last, bad = number, list(invalid)

        def checkpoint(session: Session, statuses: list[str]) -> None:
            for line_no, raw, problems in bad:
                repo.add_dead_letter(
                    session,
                    source="file",
                    ref=f"{path.name}:{line_no}",
                    payload=raw.decode("utf-8", "replace")[:100_000],
                    error="; ".join(map(str, problems)),
                    attempts=1,
                )
            row = session.get(IngestCheckpoint, key)
            assert row is not None
            row.line, row.updated_at = last, utcnow()
            row.accepted += statuses.count("accepted")
            row.rejected += len(bad)

        if pending:
            statuses = ingest_valid(
                factory, pending, matcher=matcher, policy=policy, source="file", extra=checkpoint
            )
        else:
            statuses = []
            with factory() as session, session.begin():
                checkpoint(session, statuses)
        for status in statuses:
            setattr(report, status, getattr(report, status) + 1)
        report.rejected += len(bad)
        report.problems.extend(p for _, _, ps in bad for p in ps)
        if progress is not None:
            progress(len(pending) + len(bad))
        pending.clear()
        invalid.clear()

    for number, raw in enumerate(iter_lines(path), start=1):
        if number <= report.resumed_at:
            continue
        report.lines += 1
        if not raw.strip():
            continue
        parsed = parse_line(raw, number)
        if isinstance(parsed, list):
            invalid.append((number, raw, parsed))
        else:
            pending.append(parsed)
        if len(pending) + len(invalid) >= batch_size:
            flush()
    if pending or invalid or number > report.resumed_at:
        flush()
    with factory() as session, session.begin():
        row = session.get(IngestCheckpoint, key)
        if row is not None:
            row.done = True
    return report


def checkpoints(session: Session) -> list[IngestCheckpoint]:
    """Every file ingested so far, newest first."""
    stmt = select(IngestCheckpoint).order_by(IngestCheckpoint.updated_at.desc())
    return list(session.scalars(stmt))


def dump_event(event: Event) -> bytes:
    """An event as one JSON line (what ``publish`` sends)."""
    return orjson.dumps(event.model_dump(mode="json", exclude_none=True))


# -- reading -----------------------------------------------------------------------------------
def default_matcher(desk: Any) -> ContentMatcher:
    """The process's live matcher: ``desk.matcher`` when wired, else the matching service."""
    matcher = getattr(desk, "matcher", None)
    return matcher if matcher is not None else desk.matching  # type: ignore[no-any-return]


def _cascade_figures(
    session: Session, roots: list[tuple[str, str]], minutes: int
) -> dict[str, Any]:
    rows = [row for rs in repo.buckets(session, roots).values() for row in rs]
    merged: dict[Any, list[int]] = {}
    for start, r, c, e in rows:
        slot = merged.setdefault(start, [0, 0, 0])
        slot[0] += r
        slot[1] += c
        slot[2] += e
    fig = spread.figures(((s, *v) for s, v in merged.items()), minutes)
    out = fig.to_dict()
    out["unique_accounts"] = len(repo.cascade_accounts(session, roots, None, None))
    if fig.window_end is not None:
        end = fig.window_end - timedelta(microseconds=1)
        out["window_unique_accounts"] = len(
            repo.cascade_accounts(session, roots, spread.window_start(end, minutes), end)
        )
    return out


def post_view(
    *, session: Session, platform: str, external_id: str, policy: Policy
) -> dict[str, Any]:
    """A stored post with its matches, label, cascade links and the spread of its cascade."""
    post = session.scalar(
        select(Post).where(Post.platform == platform, Post.external_id == external_id)
    )
    if post is None:
        raise NotFound(f"no post '{external_id}' on platform '{platform}'")
    return {
        "platform": post.platform,
        "id": post.external_id,
        "account": post.account,
        "kind": post.kind,
        "parent_id": post.parent_external_id,
        "root_id": post.root_external_id,
        "parent_linked": post.parent_post_id is not None,
        "text": post.text,
        "images": post.images,
        "group_id": post.group_id,
        "created_at": post.created_at.isoformat(),
        "followers": post.followers,
        "label": post.label,
        "label_status": post.label_status,
        "authority_link": post.authority_link,
        "matches": [
            {
                "claim_id": m.claim_id,
                "score": round(m.score, 4),
                "decision": m.decision,
                "source": m.source,
                "case_id": m.case_id,
                "layers": m.layers,
            }
            for m in repo.matches_of(session, post.id)
        ],
        "spread": _cascade_figures(
            session, [(post.platform, post.root_external_id)], policy.early_warning.window_minutes
        ),
    }


def claim_spread(
    *, session: Session, principal: Principal, claim_id: str, policy: Policy
) -> dict[str, Any]:
    """Spread of every cascade holding a post that matches the claim, and its open case."""
    claim = get_claim(session=session, principal=principal, claim_id=claim_id)
    roots = [
        (p, r)
        for p, r in session.execute(
            select(Post.platform, Post.root_external_id)
            .distinct()
            .join(PostMatch, PostMatch.post_id == Post.id)
            .where(PostMatch.claim_id == claim.id, PostMatch.decision == "match")
        )
    ]
    matched = (
        session.scalar(
            select(func.count())
            .select_from(PostMatch)
            .where(PostMatch.claim_id == claim.id, PostMatch.decision == "match")
        )
        or 0
    )
    case = session.scalar(select(Case).where(Case.claim_id == claim.id, Case.status == "open"))
    return {
        "claim_id": claim.id,
        "external_id": claim.external_id,
        "cascades": len(roots),
        "matched_posts": matched,
        "case": None
        if case is None
        else {
            "id": case.id,
            "status": case.status,
            "post_count": case.post_count,
            "opened_at": case.opened_at.isoformat(),
            "last_seen_at": case.last_seen_at.isoformat() if case.last_seen_at else None,
        },
        "spread": _cascade_figures(session, roots, policy.early_warning.window_minutes),
    }


def verification_queue(
    *, session: Session, limit: int, offset: int = 0, status: str = "open"
) -> tuple[list[dict[str, Any]], int]:
    """The verification queue, highest priority (velocity x reach) first."""
    base = select(VerificationItem).where(VerificationItem.status == status)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = session.scalars(
        base.order_by(VerificationItem.priority.desc(), VerificationItem.id)
        .limit(limit)
        .offset(offset)
    )
    texts = {}
    items = list(page)
    ids = [i.post_id for i in items if i.post_id is not None]
    if ids:
        stmt = select(Post.id, Post.text).where(Post.id.in_(ids))
        texts = dict(session.execute(stmt).all())
    return [
        {
            "platform": i.platform,
            "root_id": i.root_external_id,
            "status": i.status,
            "priority": round(i.priority, 3),
            "velocity_per_hour": round(i.velocity, 3),
            "reach": i.reach,
            "reposts": i.reposts,
            "comments": i.comments,
            "exposures": i.exposures,
            "unique_accounts": i.unique_accounts,
            "window_end": i.window_end.isoformat(),
            "first_flagged_at": i.first_flagged_at.isoformat(),
            "text": texts.get(i.post_id) if i.post_id is not None else None,
        }
        for i in items
    ], total
