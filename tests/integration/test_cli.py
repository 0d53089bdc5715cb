"""The CLI against a real database: import with a report, list, show, export, orgs and keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rumordesk.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("RUMORDESK_DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def test_import_list_show_export(env: Path) -> None:
    src = env / "claims.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "external_id": "e1",
                        "canonical_text": "台风明天正面登陆上海",
                        "category": "public_safety",
                        "tier": "tier1",
                        "language": "zh",
                    }
                ),
                json.dumps(
                    {
                        "external_id": "e2",
                        "canonical_text": "Free bus rides all week",
                        "category": "public_affairs",
                        "language": "en",
                    }
                ),
                "oops",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    report = env / "report.json"
    result = runner.invoke(app, ["claims", "import", str(src), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0, unchanged 0, failed 1" in result.output
    assert json.loads(report.read_text())["errors"][0]["line"] == 3

    result = runner.invoke(app, ["claims", "list", "--language", "zh", "--json"])
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["external_id"] for r in rows] == ["e1"]

    result = runner.invoke(app, ["claims", "show", "e2"])
    assert result.exit_code == 0 and "Free bus rides" in result.output and "#1" in result.output

    out = env / "export.jsonld"
    result = runner.invoke(app, ["claims", "export", "--format", "claimreview", "-o", str(out)])
    assert result.exit_code == 0
    graph = json.loads(out.read_text(encoding="utf-8"))["@graph"]
    assert {d["claimReviewed"] for d in graph} == {
        "台风明天正面登陆上海",
        "Free bus rides all week",
    }


def test_orgs_keys_and_user_errors(env: Path) -> None:
    assert runner.invoke(app, ["orgs", "create", "Fact Desk"]).exit_code == 0
    dup = runner.invoke(app, ["orgs", "create", "Fact Desk"])
    assert dup.exit_code == 2 and "already exists" in dup.output
    key = runner.invoke(app, ["keys", "create", "--org", "Fact Desk", "--role", "reviewer"])
    assert key.exit_code == 0 and key.output.strip().splitlines()[-1].startswith("rd_")
    missing = runner.invoke(app, ["claims", "show", "nope"])
    assert missing.exit_code == 2 and "no claim" in missing.output
    bad = runner.invoke(app, ["claims", "import", str(env / "nothing.jsonl")])
    assert bad.exit_code == 2 and "no such file" in bad.output


def test_database_unavailable_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["claims", "list"])
    assert result.exit_code == 3 and "database unavailable" in result.output
