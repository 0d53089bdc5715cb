"""`rumordesk`: the command-line entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from rumordesk import __version__
from rumordesk.cli import claims, ingest, match, orgs, trace
from rumordesk.cli.common import handle_errors, open_desk
from rumordesk.config import Settings
from rumordesk.store.migrate import upgrade

app = typer.Typer(
    help="rumordesk: handle online rumours — library, matching, monitoring, tracing.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo library and stream.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(claims.app, name="claims")
app.add_typer(orgs.orgs_app, name="orgs")
app.add_typer(orgs.keys_app, name="keys")
app.add_typer(demo_app, name="demo")
app.add_typer(match.matcher_app, name="matcher")
app.command("match")(match.match)
app.command("trace")(trace.trace)
app.command("match-batch")(match.match_batch)
app.command("ingest")(ingest.ingest)
app.command("publish")(ingest.publish)
app.command("worker")(ingest.worker)
app.add_typer(ingest.sweep_app, name="sweep")
demo_app.command("replay")(ingest.demo_replay)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Create the database or bring its schema up to date (SQLite or PostgreSQL)."""
    settings = Settings()
    upgrade(settings.database_url)
    typer.echo(f"database up to date: {settings.database_url}")


@demo_app.command("setup")
@handle_errors
def demo_setup() -> None:
    """Create the demo organisation and key, and load the demo library into an empty database."""
    from tqdm import tqdm

    from rumordesk.services.demo import setup_demo

    desk = open_desk()
    with tqdm(desc="demo library", unit=" claims", disable=None) as bar:
        result = setup_demo(desk, desk.settings.demo_dir, progress=bar.update)
    if result.library:
        typer.echo(
            f"demo library: {result.library.created} claims loaded, "
            f"{len(result.library.errors)} rejected"
        )
    else:
        typer.echo("demo library: database already has claims; left as it is")


@app.command()
@handle_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from rumordesk.api.app import create_app

    desk = open_desk()
    host = host or desk.settings.host
    port = port or desk.settings.port
    typer.echo(f"rumordesk API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(desk), host=host, port=port, log_level="info")


def main() -> None:
    """Console-script entry point."""
    app()
