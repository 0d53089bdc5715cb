"""The ingestion pipeline: one batch of validated events, one transaction, in numbered steps.

1. Accounts: upsert what account events say (latest wins).
2. Posts: infer each post's cascade root, bulk-insert with ON CONFLICT DO NOTHING (a post seen
   twice is stored once; only rows actually inserted go further), then resolve parent/root links
   of new posts and of stored posts that were waiting for them (parents may arrive later).
3. Match: new posts with enough text (and searches) go to ``matcher.match_items``, once per
   distinct normalised text; results are stored as ``post_matches`` (source ``ingest``).
4. Inherit: reposts/quotes copy their parent's matches (source ``inherited``) instead of being
   matched again; a late parent pushes its matches down to reposts already stored.
5. Label and attach: each touched post's label is its best match; ``match`` rows join the open
   case of their claim; labelled cascades leave the verification queue.
6. Exposures and searches: stored by deterministic event key (idempotent).
7. Spread: new reposts, comments and exposures bump per-minute cascade buckets.
8. Early warning: touched cascades are screened and queued (see ``early_warning``).
The caller commits; nothing here commits, so a failed batch leaves no trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rumordesk.domain.policy import Policy
from rumordesk.ingest import early_warning, spread
from rumordesk.ingest.contract import (
    SHARE_KINDS,
    AccountEvent,
    Event,
    ExposureEvent,
    PostEvent,
    SearchEvent,
)
from rumordesk.ingest.normal import matchable, normalise
from rumordesk.services.matching_contract import ClaimMatch, ContentItem, ContentMatcher
from rumordesk.store import ingest_repositories as repo
from rumordesk.store.ingest_models import Exposure, Post, Search
from rumordesk.store.types import utcnow

MAX_INHERIT_DEPTH = 64


@dataclass
class BatchOutcome:
    """What a batch did; ``statuses[i]`` is ``accepted`` or ``duplicate`` for event ``i``."""

    statuses: list[str]
    matched: int = 0
    inherited: int = 0
    queued: int = 0
    labelled: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Events stored (or applied) for the first time."""
        return self.statuses.count("accepted")


def _match_rows(post_id: int, matches: Sequence[ClaimMatch], source: str) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "post_id": post_id,
            "claim_id": m.claim_id,
            "score": float(m.score),
            "decision": m.decision,
            "layers": m.layers,
            "source": source,
            "case_id": None,
            "matched_at": now,
        }
        for m in matches
        if m.decision in ("match", "review")
    ]


def match_texts(matcher: ContentMatcher, texts: dict[str, str]) -> dict[str, list[ClaimMatch]]:
    """Match each distinct normalised text once (keyed by it); ``texts`` maps norm -> original."""
    if not texts:
        return {}
    norms = list(texts)
    items = [ContentItem(key=str(i), text=texts[n]) for i, n in enumerate(norms)]
    return dict(zip(norms, matcher.match_items(items), strict=True))


def _root_resolver(posts: dict[str, PostEvent], stored: dict[str, tuple[int, str]]) -> Any:
    memo: dict[str, str] = {}

    def root_of(ev: PostEvent, depth: int = 0) -> str:
        if ev.id in memo:
            return memo[ev.id]
        if ev.root_id:
            root = ev.root_id
        elif ev.kind == "original" or ev.parent_id is None:
            root = ev.id
        elif ev.parent_id in posts and depth < MAX_INHERIT_DEPTH and ev.parent_id != ev.id:
            root = root_of(posts[ev.parent_id], depth + 1)
        elif ev.parent_id in stored:
            root = stored[ev.parent_id][1]
        else:
            root = ev.parent_id  # provisional: re-rooted when the parent arrives
        memo[ev.id] = root
        return root

    return root_of


def _post_rows(
    session: Session, platform: str, posts: dict[str, PostEvent], domains: Sequence[str]
) -> list[dict[str, Any]]:
    missing = {e.parent_id for e in posts.values() if e.parent_id and e.parent_id not in posts}
    root_of = _root_resolver(posts, repo.post_refs(session, platform, missing))
    facts = repo.account_facts(session, platform, (e.account for e in posts.values()))
    now = utcnow()
    rows = []
    for ev in posts.values():
        metrics = ev.metrics
        followers = metrics.followers if metrics else None
        if followers is None and ev.account in facts:
            followers = facts[ev.account][0]
        rows.append(
            {
                "platform": platform,
                "external_id": ev.id,
                "account": ev.account,
                "kind": ev.kind,
                "parent_external_id": ev.parent_id
                or (ev.root_id if ev.kind != "original" else None),
                "root_external_id": root_of(ev),
                "parent_post_id": None,
                "root_post_id": None,
                "text": ev.text,
                "norm_text": normalise(ev.text),
                "images": ev.images,
                "group_id": ev.group_id,
                "followers": followers,
                "reposts": metrics.reposts if metrics else None,
                "likes": metrics.likes if metrics else None,
                "views": metrics.views if metrics else None,
                "authority_link": early_warning.cites_authority(ev.text, domains),
                "label": None,
                "label_status": None,
                "created_at": ev.created_at,
                "ingested_at": now,
            }
        )
    return rows


def _reroot(session: Session, platform: str, rows: list[dict[str, Any]], new_ids: set[str]) -> None:
    candidates = [
        r["external_id"]
        for r in rows
        if r["external_id"] in new_ids and r["root_external_id"] != r["external_id"]
    ]
    if not candidates:
        return
    real = {r["external_id"]: r["root_external_id"] for r in rows}
    waiting: set[str] = set()
    for part in repo.chunks(candidates):
        waiting.update(
            session.scalars(
                select(Post.root_external_id)
                .distinct()
                .where(Post.platform == platform, Post.root_external_id.in_(part))
            )
        )
    repo.reroot(session, platform, {old: real[old] for old in waiting})


def _inherit(session: Session, new_shares: list[int], sources: list[int]) -> repo.Inserted:
    out: repo.Inserted = []
    for _ in range(MAX_INHERIT_DEPTH):  # pull, one cascade level per round, inside the batch
        got = repo.inherit_matches(session, child_ids=new_shares)
        out.extend(got)
        if not got:
            break
    frontier = sorted(set(sources) | {p for p, _, _ in out})
    for _ in range(MAX_INHERIT_DEPTH):  # push down to reposts that arrived before their parent
        got = repo.inherit_matches(session, parent_ids=frontier)
        out.extend(got)
        frontier = sorted({p for p, _, _ in got})
        if not frontier:
            break
    return out


def label_and_attach(session: Session, inserted: repo.Inserted) -> list[int]:
    """Step 5: relabel touched posts, attach cases, take labelled cascades off the queue."""
    if not inserted:
        return []
    labelled = repo.relabel(session, (p for p, _, _ in inserted))
    repo.attach_cases(session, inserted)
    repo.resolve_queue(session, labelled)
    return labelled


def ingest_batch(
    session: Session, events: Sequence[Event], *, matcher: ContentMatcher | None, policy: Policy
) -> BatchOutcome:
    """Run steps 1-8 for one batch of validated events (see the module docstring)."""
    statuses = ["duplicate"] * len(events)
    outcome = BatchOutcome(statuses=statuses)
    domains = early_warning.authority_domains(policy.early_warning)
    counts: spread.Counts = {}
    touched: set[tuple[str, str]] = set()
    oldest: datetime | None = None

    # 1. accounts
    accounts: dict[str, dict[str, Any]] = {}
    for i, ev in enumerate(events):
        if isinstance(ev, AccountEvent):
            facts = {
                k: v
                for k, v in (
                    ("name", ev.name),
                    ("followers", ev.followers),
                    ("verified", ev.verified),
                    ("created_at", ev.created_at),
                )
                if v is not None
            }
            accounts[ev.key] = {
                "platform": ev.platform,
                "external_id": ev.id,
                **facts,
                "updated_at": utcnow(),
            }
            statuses[i] = "accepted"
    repo.upsert_accounts(session, [accounts[k] for k in sorted(accounts)])

    # 2. posts, per platform
    by_platform: dict[str, dict[str, PostEvent]] = {}
    index_of: dict[tuple[str, str], int] = {}
    for i, ev in enumerate(events):
        if isinstance(ev, PostEvent) and (ev.platform, ev.id) not in index_of:
            by_platform.setdefault(ev.platform, {})[ev.id] = ev
            index_of[(ev.platform, ev.id)] = i
    new_posts: list[tuple[int, dict[str, Any]]] = []
    for platform, posts in by_platform.items():
        rows = _post_rows(session, platform, posts, domains)
        inserted = {ext: pid for pid, ext in repo.insert_posts(session, rows)}
        if not inserted:
            continue
        repo.link_posts(session, platform, sorted(inserted))
        _reroot(session, platform, rows, set(inserted))
        for row in rows:
            if row["external_id"] in inserted:
                statuses[index_of[(platform, row["external_id"])]] = "accepted"
                new_posts.append((inserted[row["external_id"]], row))

    # 3. match posts and searches
    searches = [(i, ev) for i, ev in enumerate(events) if isinstance(ev, SearchEvent)]
    if searches:  # a re-delivered search is not matched again
        known = set(
            session.scalars(
                select(Search.event_key).where(Search.event_key.in_([ev.key for _, ev in searches]))
            )
        )
        searches = [(i, ev) for i, ev in searches if ev.key not in known]
    texts: dict[str, str] = {}
    for _, row in new_posts:
        if matchable(row["norm_text"]):
            texts.setdefault(row["norm_text"], row["text"])
    search_norms = {i: normalise(ev.query) for i, ev in searches}
    for i, ev in searches:
        if matchable(search_norms[i]):
            texts.setdefault(search_norms[i] or "", ev.query)
    results = match_texts(matcher, texts) if matcher is not None else {}
    match_rows: list[dict[str, Any]] = []
    for pid, row in new_posts:
        match_rows.extend(_match_rows(pid, results.get(row["norm_text"] or "", []), "ingest"))
    own = repo.insert_matches(session, match_rows)
    outcome.matched = len(own)

    # 4. inheritance
    shares = [pid for pid, row in new_posts if row["kind"] in SHARE_KINDS]
    inherited = _inherit(
        session, shares, sorted({p for p, _, _ in own} | {pid for pid, _ in new_posts})
    )
    outcome.inherited = len(inherited)

    # 5. labels, cases, queue
    outcome.labelled = label_and_attach(session, own + inherited)

    # 6. exposures and searches
    exposures = [(i, ev) for i, ev in enumerate(events) if isinstance(ev, ExposureEvent)]
    if exposures:
        roots: dict[tuple[str, str], str] = {
            (p, row["external_id"]): row["root_external_id"]
            for _, row in new_posts
            for p in (row["platform"],)
        }
        for platform in {ev.platform for _, ev in exposures}:
            wanted = {ev.post_id for _, ev in exposures if ev.platform == platform}
            for ext, (_, root) in repo.post_refs(session, platform, wanted).items():
                roots[(platform, ext)] = root
        exposure_rows: dict[str, dict[str, Any]] = {
            ev.key: {
                "event_key": ev.key,
                "platform": ev.platform,
                "account": ev.account,
                "post_external_id": ev.post_id,
                "action": ev.action,
                "at": ev.at,
                "root_external_id": roots.get((ev.platform, ev.post_id), ev.post_id),
            }
            for _, ev in exposures
        }
        fresh = set(repo.insert_keyed(session, Exposure, list(exposure_rows.values())))
        for i, ev in exposures:
            if ev.key in fresh:
                fresh.discard(ev.key)
                statuses[i] = "accepted"
                root = exposure_rows[ev.key]["root_external_id"]
                spread.count_exposure(counts, ev.platform, root, ev.at)
                touched.add((ev.platform, root))
                oldest = min(oldest or ev.at, ev.at)
    if searches:
        rows_s: dict[str, dict[str, Any]] = {}
        for i, ev in searches:
            found = results.get(search_norms[i] or "", [])
            best = max(found, key=lambda m: (m.decision == "match", m.score), default=None)
            rows_s.setdefault(
                ev.key,
                {
                    "event_key": ev.key,
                    "platform": ev.platform,
                    "account": ev.account,
                    "query": ev.query,
                    "at": ev.at,
                    "matches": [m.to_dict() for m in found],
                    "label": best.claim_id if best else None,
                    "label_status": best.decision if best else None,
                },
            )
        fresh = set(repo.insert_keyed(session, Search, list(rows_s.values())))
        for i, ev in searches:
            if ev.key in fresh:
                fresh.discard(ev.key)
                statuses[i] = "accepted"

    # 7. spread counters
    for _, row in new_posts:
        spread.count_post(
            counts, row["platform"], row["root_external_id"], row["kind"], row["created_at"]
        )
        if row["kind"] != "original":
            touched.add((row["platform"], row["root_external_id"]))
            oldest = min(oldest or row["created_at"], row["created_at"])
    repo.bump_buckets(session, counts)

    # 8. early warning
    outcome.queued = early_warning.evaluate(session, policy.early_warning, touched, oldest)
    return outcome
