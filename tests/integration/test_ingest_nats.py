"""The JetStream worker on real NATS and PostgreSQL: SIGKILL mid-run loses and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from tests.conftest import _truncate_postgres, service_missing
from tests.ingest_support import post
from typer.testing import CliRunner

from rumordesk.cli.main import app
from rumordesk.store.ingest_models import Post, SpreadBucket

pytestmark = [pytest.mark.nats, pytest.mark.postgres]
NATS_URL = os.environ.get("RUMORDESK_TEST_NATS_URL", "nats://127.0.0.1:4222")
N = 3000


@pytest.fixture
def names() -> Iterator[dict[str, str]]:
    """A private stream, subject and durable per test, deleted afterwards."""
    from rumordesk.bus.nats import NatsBus

    tag = uuid.uuid4().hex[:8]
    names = {
        "stream": f"TEST_{tag}",
        "subject": f"test.{tag}.events.v1",
        "durable": f"test-{tag}-v1",
    }
    try:
        bus = NatsBus(NATS_URL, **names, connect_timeout=2)
    except Exception as exc:  # noqa: BLE001 - any failure: NATS unavailable
        service_missing("NATS JetStream", exc)
    yield names
    bus._call(bus._js.delete_stream(names["stream"]))
    bus.close()


def _count(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        posts = conn.scalar(select(func.count()).select_from(Post)) or 0
        reposts = conn.scalar(select(func.sum(SpreadBucket.reposts))) or 0
    engine.dispose()
    return posts, reposts


def _worker(url: str, names: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RUMORDESK_DATABASE_URL": url, "RUMORDESK_NATS_URL": NATS_URL}
    args = [
        str(Path(sys.executable).parent / "rumordesk"),
        "worker",
        "--burst",
        "--no-match",
        "--batch-size",
        "100",
        "--ack-wait",
        "3",
        "--stream",
        names["stream"],
        "--subject",
        names["subject"],
        "--durable",
        names["durable"],
    ]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_worker_sigkill_then_restart_stores_each_event_once(
    postgres_ready: str,
    names: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = postgres_ready
    _truncate_postgres(url)
    path = tmp_path / "events.jsonl"
    events = [post("root", text="the original", minute=0)]
    events += [post(f"r{i}", kind="repost", parent="root", minute=i / 100) for i in range(N - 1)]
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", url)
    monkeypatch.setenv("RUMORDESK_NATS_URL", NATS_URL)
    published = CliRunner().invoke(
        app, ["publish", str(path), "--stream", names["stream"], "--subject", names["subject"]]
    )
    assert published.exit_code == 0, published.output
    assert f"published {N} of {N}" in published.output

    first = _worker(url, names)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _count(url)[0] < N // 4:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    stored_at_kill = _count(url)[0]
    assert 0 < stored_at_kill < N, "the worker must be killed mid-run"

    second = _worker(url, names)
    out, _ = second.communicate(timeout=180)
    assert second.returncode == 0, out.decode()
    assert _count(url) == (N, N - 1)  # every event stored once, every repost counted once
