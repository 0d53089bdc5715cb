"""Spread figures over event-time windows, and the authority-link rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rumordesk.config import DEFAULT_POLICY
from rumordesk.domain.policy import load_policy
from rumordesk.ingest.early_warning import authority_domains, cites_authority
from rumordesk.ingest.spread import bucket_of, figures

T = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_window_ends_at_newest_event_not_wall_clock() -> None:
    rows = [(T + timedelta(minutes=m), 10, 2, 5) for m in (0, 30, 90, 100, 119)]
    fig = figures(rows, 60)
    assert (fig.reposts, fig.comments, fig.exposures) == (50, 10, 25)
    assert fig.window_end == T + timedelta(minutes=120)
    assert (fig.window_reposts, fig.window_comments) == (30, 6)  # minutes 90, 100, 119
    assert fig.velocity_per_hour == 36.0


def test_empty_and_buckets() -> None:
    assert figures([], 60).window_end is None
    assert bucket_of(T + timedelta(seconds=59, microseconds=3)) == T


def test_authority_links() -> None:
    d = authority_domains(load_policy(DEFAULT_POLICY).early_warning)
    assert cites_authority("see https://www.who.int/news/x", d)
    assert cites_authority("通报 http://wsjkw.sh.gov.cn/a.html。", d)
    assert not cites_authority("see https://who.int.evil.example/x", d)
    assert not cites_authority("no link at all", d)
    assert not cites_authority(None, d)
