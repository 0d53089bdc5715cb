"""Docs checked by tests: every setting, CLI command and API route is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from rumordesk.cli.main import app as cli_app
from rumordesk.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _docs_text() -> str:
    parts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(parts)


def test_every_setting_is_documented() -> None:
    text = _docs_text()
    missing = [
        f"RUMORDESK_{name.upper()}"
        for name in Settings.model_fields
        if f"RUMORDESK_{name.upper()}" not in text
    ]
    assert not missing, f"undocumented settings: {missing}"


def _commands(group: object, prefix: str = "") -> list[str]:
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        full = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            names += _commands(cmd, full + " ")
        else:
            names.append(full)
    return names


def test_every_cli_command_is_documented() -> None:
    text = _docs_text()
    commands = _commands(typer.main.get_command(cli_app))
    missing = [c for c in commands if f"rumordesk {c}" not in text]
    assert not missing, f"undocumented CLI commands: {missing}"


def test_every_api_route_is_documented() -> None:
    from rumordesk.api.app import create_app
    from rumordesk.composition import build

    desk = build(Settings(database_url="sqlite://"))
    app = create_app(desk)
    text = _docs_text()
    routes = sorted({r.path for r in app.routes if getattr(r, "path", "").startswith("/v1")})
    normalised = re.sub(r"\{[^}]+\}", "{}", text)
    missing = [r for r in routes if re.sub(r"\{[^}]+\}", "{}", r) not in normalised]
    assert not missing, f"undocumented API routes: {missing}"
