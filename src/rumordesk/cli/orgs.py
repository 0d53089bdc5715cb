"""`rumordesk orgs ...` and `rumordesk keys ...`: organisations and API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from rumordesk.cli.common import handle_errors, open_desk
from rumordesk.domain.access import Role
from rumordesk.services.organisations import create_api_key, create_organisation, get_organisation

orgs_app = typer.Typer(help="Manage organisations.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@orgs_app.command("create")
@handle_errors
def create_org(
    name: Annotated[str, typer.Argument(help="Organisation name (unique).")],
    kind: Annotated[str, typer.Option(help="platform, fact_checker, authority or other")] = (
        "fact_checker"
    ),
) -> None:
    """Create an organisation."""
    desk = open_desk()
    with desk.sessions() as session, session.begin():
        org = create_organisation(session=session, name=name, kind=kind)
        typer.echo(f"created organisation {org.name} ({org.id})")


@keys_app.command("create")
@handle_errors
def create_key(
    org: Annotated[str, typer.Option("--org", help="Organisation name or id.")],
    role: Annotated[Role, typer.Option(help="admin, reviewer, platform or viewer")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
) -> None:
    """Create an API key; the secret is printed once and stored only hashed."""
    desk = open_desk()
    with desk.sessions() as session, session.begin():
        org_id = get_organisation(session=session, org_ref=org).id
        key, secret = create_api_key(session=session, org_id=org_id, role=role, name=name)
        typer.echo(f"created {role.value} key '{key.name}' for {org}:")
        typer.echo(secret)
