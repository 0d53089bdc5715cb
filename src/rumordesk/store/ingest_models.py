"""Tables for monitoring and ingestion: posts, their matches, cases, spread, queue, sweeps.

Registered on the same ``Base`` as the library (imported at the end of ``store.models``), so
Alembic sees them. Idempotency lives in unique constraints: (platform, external_id) for posts and
accounts, a deterministic ``event_key`` for exposures and searches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rumordesk.store.models import Base, new_id
from rumordesk.store.types import JSONType, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Post(Base):
    """A post, repost, comment, reply or quote as the platform sent it, plus our labels."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        Index("ix_posts_parent_ref", "platform", "parent_external_id"),
        Index("ix_posts_root_time", "platform", "root_external_id", "created_at"),
        Index("ix_posts_account", "platform", "account"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    root_external_id: Mapped[str] = mapped_column(String(200))
    parent_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    root_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    norm_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    images: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    group_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    followers: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reposts: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    likes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    views: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    authority_link: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    label_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """A matched cluster: one open case per claim collects the posts that repeat it."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "ix_cases_open_claim",
            "claim_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PostMatch(Base):
    """A post repeats a claim: score, decision, the layers' evidence, and how we learnt it."""

    __tablename__ = "post_matches"
    __table_args__ = (
        UniqueConstraint("post_id", "claim_id"),
        Index("ix_post_matches_claim_case", "claim_id", "case_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"))
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))
    layers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Account(Base):
    """What a platform told us about an account (latest account event wins)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    followers: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exposure(Base):
    """An account saw or engaged with a post; ``event_key`` makes re-delivery harmless."""

    __tablename__ = "exposures"
    __table_args__ = (Index("ix_exposures_root_time", "platform", "root_external_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(String(200))
    post_external_id: Mapped[str] = mapped_column(String(200))
    root_external_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Search(Base):
    """A search query and what it matched (for search interception)."""

    __tablename__ = "searches"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(200))
    account: Mapped[str | None] = mapped_column(String(200), nullable=True)
    query: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    label_status: Mapped[str | None] = mapped_column(String(10), nullable=True)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SpreadBucket(Base):
    """Per-minute counters of one cascade (event time), summed over sliding windows."""

    __tablename__ = "spread_buckets"
    platform: Mapped[str] = mapped_column(String(200), primary_key=True)
    root_external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    exposures: Mapped[int] = mapped_column(Integer, default=0)


class VerificationItem(Base):
    """A fast-spreading cascade with no match and no authoritative source, awaiting review."""

    __tablename__ = "verification_queue"
    __table_args__ = (UniqueConstraint("platform", "root_external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(200))
    root_external_id: Mapped[str] = mapped_column(String(200))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    velocity: Mapped[float] = mapped_column(Float)
    reach: Mapped[float] = mapped_column(Float)
    priority: Mapped[float] = mapped_column(Float, index=True)
    reposts: Mapped[int] = mapped_column(Integer)
    comments: Mapped[int] = mapped_column(Integer)
    exposures: Mapped[int] = mapped_column(Integer)
    unique_accounts: Mapped[int] = mapped_column(Integer)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    first_flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IngestCheckpoint(Base):
    """How far a JSONL file has been ingested, committed with each batch (resume point)."""

    __tablename__ = "ingest_checkpoints"
    file_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadLetter(Base):
    """An event that kept failing (or can never succeed), kept with its error for a human."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str | None] = mapped_column(String(300), nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sweep(Base):
    """A stock sweep: re-match every stored post against one claim, resumable by cursor."""

    __tablename__ = "sweeps"
    __table_args__ = (Index("ix_sweeps_claim_status", "claim_id", "status"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"))
    claim_revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    labelled: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
