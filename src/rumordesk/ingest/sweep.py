"""The stock sweep engine: re-match stored posts against one claim, batch by batch.

1. Page: the next ``batch_size`` posts after the cursor (by id) that have matchable text.
2. Match: each distinct normalised text once, via ``matcher.match_claim(claim_id, items)``.
3. Store: new matches (source ``sweep``); reposts of matched posts inherit them down the cascade.
4. Label and attach as on ingest; the cursor and counters move in the same transaction, so a
   stopped sweep resumes after the last committed batch and never re-counts one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rumordesk.ingest.normal import MIN_MATCH_CHARS
from rumordesk.ingest.pipeline import label_and_attach
from rumordesk.services.matching_contract import ContentItem, ContentMatcher
from rumordesk.store import ingest_repositories as repo
from rumordesk.store.ingest_models import Post, Sweep
from rumordesk.store.types import utcnow

MAX_DEPTH = 64


def sweepable() -> list[Any]:
    """Conditions on posts a sweep looks at: stored normalised text long enough to match."""
    return [Post.norm_text.is_not(None), func.length(Post.norm_text) >= MIN_MATCH_CHARS]


def count_sweepable(session: Session) -> int:
    """How many stored posts a sweep will look at."""
    return session.scalar(select(func.count()).select_from(Post).where(*sweepable())) or 0


def sweep_batch(session: Session, sweep: Sweep, matcher: ContentMatcher, batch_size: int) -> bool:
    """Process the next batch of ``sweep``; returns False when nothing was left."""
    stmt = (
        select(Post.id, Post.text, Post.norm_text)
        .where(Post.id > sweep.cursor, *sweepable())
        .order_by(Post.id)
        .limit(batch_size)
    )
    page = session.execute(stmt).all()
    if not page:
        return False
    first: dict[str, tuple[int, str | None]] = {}
    for pid, text, norm in page:
        if norm is not None:  # (``sweepable`` already excludes posts without text)
            first.setdefault(norm, (pid, text))
    norms = list(first)
    found = matcher.match_claim(
        sweep.claim_id,
        [ContentItem(key=str(first[n][0]), text=first[n][1], norm=n) for n in norms],
    )
    hits = {
        n: m
        for n, m in zip(norms, found, strict=True)
        if m is not None and m.decision in ("match", "review")
    }
    now = utcnow()
    rows = [
        {
            "post_id": pid,
            "claim_id": sweep.claim_id,
            "score": float(hits[norm].score),
            "decision": hits[norm].decision,
            "layers": hits[norm].layers,
            "source": "sweep",
            "case_id": None,
            "matched_at": now,
        }
        for pid, _, norm in page
        if norm in hits
    ]
    inserted = repo.insert_matches(session, rows)
    frontier = sorted({pid for pid, _, norm in page if norm in hits})
    for _ in range(MAX_DEPTH):
        got = repo.inherit_matches(session, parent_ids=frontier, claim_id=sweep.claim_id)
        inserted.extend(got)
        frontier = sorted({p for p, _, _ in got})
        if not frontier:
            break
    labelled = label_and_attach(session, inserted)
    sweep.cursor = page[-1][0]
    sweep.done += len(page)
    sweep.matched += len(rows)
    sweep.labelled += len(labelled)
    sweep.updated_at = now
    return True
