"""Spread counters: per-minute buckets per cascade, summed over sliding windows in event time.

Event time, not wall clock: a window ends at the newest event seen in the cascade, so replaying
history gives the same figures as watching it live. Velocity is (reposts + comments) per hour
over the last window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from rumordesk.ingest.contract import COMMENT_KINDS, SHARE_KINDS

BUCKET = timedelta(minutes=1)
Counts = dict[tuple[str, str, datetime], list[int]]


def bucket_of(at: datetime) -> datetime:
    """Start of the minute an event falls in."""
    return at.replace(second=0, microsecond=0)


def count_post(counts: Counts, platform: str, root: str, kind: str, at: datetime) -> None:
    """Count a new repost/quote or comment/reply into its cascade's bucket."""
    if kind in SHARE_KINDS:
        slot = 0
    elif kind in COMMENT_KINDS:
        slot = 1
    else:
        return
    counts.setdefault((platform, root, bucket_of(at)), [0, 0, 0])[slot] += 1


def count_exposure(counts: Counts, platform: str, root: str, at: datetime) -> None:
    """Count a new exposure into its cascade's bucket."""
    counts.setdefault((platform, root, bucket_of(at)), [0, 0, 0])[2] += 1


@dataclass(frozen=True)
class SpreadFigures:
    """How a cascade (or a claim's cascades) spread: totals and the last window."""

    reposts: int
    comments: int
    exposures: int
    window_minutes: int
    window_end: datetime | None
    window_reposts: int
    window_comments: int
    window_exposures: int
    velocity_per_hour: float
    unique_accounts: int = 0
    window_unique_accounts: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out = asdict(self)
        out["window_end"] = self.window_end.isoformat() if self.window_end else None
        out["velocity_per_hour"] = round(self.velocity_per_hour, 3)
        return out


def window_start(end: datetime, window_minutes: int) -> datetime:
    """First bucket inside the window that ends with the bucket holding ``end``."""
    return bucket_of(end) - timedelta(minutes=window_minutes) + BUCKET


def figures(rows: Iterable[tuple[datetime, int, int, int]], window_minutes: int) -> SpreadFigures:
    """Totals and last-window sums of bucket rows (bucket_start, reposts, comments, exposures)."""
    rows = list(rows)
    if not rows:
        return SpreadFigures(0, 0, 0, window_minutes, None, 0, 0, 0, 0.0)
    end = max(r[0] for r in rows)
    start = window_start(end, window_minutes)
    inside = [r for r in rows if r[0] >= start]
    wr = sum(r[1] for r in inside)
    wc = sum(r[2] for r in inside)
    we = sum(r[3] for r in inside)
    return SpreadFigures(
        reposts=sum(r[1] for r in rows),
        comments=sum(r[2] for r in rows),
        exposures=sum(r[3] for r in rows),
        window_minutes=window_minutes,
        window_end=end + BUCKET,
        window_reposts=wr,
        window_comments=wc,
        window_exposures=we,
        velocity_per_hour=(wr + wc) * 60.0 / window_minutes,
    )
