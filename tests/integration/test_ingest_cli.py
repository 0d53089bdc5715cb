"""`rumordesk ingest`: an interrupted run resumes after the last committed line, exactly once."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.ingest_support import post
from typer.testing import CliRunner

from rumordesk.cli.main import app
from rumordesk.composition import build
from rumordesk.config import Settings
from rumordesk.services.ingestion import ingest_file
from rumordesk.store.ingest_models import DeadLetter, IngestCheckpoint, Post

runner = CliRunner()


class Interrupted(Exception):
    pass


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("RUMORDESK_DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def test_ingest_resumes_exactly_once(env: Path, database_url: str) -> None:
    path = env / "events.jsonl.gz"
    lines = [
        json.dumps(
            post(f"p{i}", kind="repost" if i else "original", parent="p0" if i else None, minute=i)
        )
        for i in range(250)
    ]
    lines.insert(100, "{not json")
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    desk = build(Settings(database_url=database_url))
    seen = 0

    def interrupt(n: int) -> None:
        nonlocal seen
        seen += n
        if seen >= 120:
            raise Interrupted  # like Ctrl-C after a committed batch

    with pytest.raises(Interrupted):
        ingest_file(
            factory=desk.sessions,
            path=path,
            matcher=None,
            policy=desk.policy,
            batch_size=40,
            progress=interrupt,
        )
    with desk.sessions() as s:
        assert (
            s.get(IngestCheckpoint, s.scalars(select(IngestCheckpoint.file_key)).one()).line == 120
        )
        assert s.scalar(select(func.count()).select_from(Post)) == 119

    result = runner.invoke(app, ["ingest", str(path), "--no-match", "--batch-size", "40"])
    assert result.exit_code == 0, result.output
    assert "resumed after line 120" in result.output
    assert "131 lines; accepted 131, duplicate 0, rejected 0" in result.output
    with desk.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 250
        assert s.scalar(select(func.count()).select_from(DeadLetter)) == 1
        assert s.scalars(select(IngestCheckpoint.done)).one() is True

    rerun = runner.invoke(app, ["ingest", str(path), "--no-match", "--restart"])
    assert "accepted 0, duplicate 250, rejected 1" in rerun.output
    desk.close()


def test_ingest_missing_file(env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(env / "nope.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.output
