"""What every command shares: building the app from settings, picking the organisation,
and turning errors into messages and exit codes (1 failure, 2 user error, 3 service down)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from sqlalchemy.exc import OperationalError

from rumordesk.composition import Rumordesk, build
from rumordesk.config import Settings
from rumordesk.domain.access import Principal, system_principal
from rumordesk.domain.errors import RumordeskError
from rumordesk.services.organisations import create_organisation, get_organisation
from rumordesk.store.repositories import OrganisationRepository

F = TypeVar("F", bound=Callable[..., Any])
LOCAL_ORG = "local"


def fail(message: str, code: int = 2) -> None:
    """Print an error to stderr and exit with ``code``."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Run a command, mapping our errors to clear messages and exit codes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RumordeskError as exc:
            fail(str(exc), 2)
        except OperationalError as exc:
            fail(f"database unavailable: {exc.orig}", 3)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def open_desk() -> Rumordesk:
    """Wire rumordesk from the environment, bringing the schema up to date first."""
    return build(Settings(), migrate=True)


def principal_for(desk: Rumordesk, org: str | None, actor: str = "cli") -> Principal:
    """Act for ``org`` (name or id); else the only organisation, or a new 'local' one."""
    with desk.sessions() as session, session.begin():
        if org:
            return system_principal(get_organisation(session=session, org_ref=org).id, actor)
        orgs = OrganisationRepository(session).list()
        if len(orgs) == 1:
            return system_principal(orgs[0].id, actor)
        if not orgs:
            created = create_organisation(session=session, name=LOCAL_ORG, kind="other")
            typer.echo(f"note: created organisation '{LOCAL_ORG}' (none existed)", err=True)
            return system_principal(created.id, actor)
        names = ", ".join(o.name for o in orgs)
        raise RumordeskError(f"several organisations exist ({names}); choose one with --org")
