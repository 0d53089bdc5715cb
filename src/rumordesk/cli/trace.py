"""`rumordesk trace`: first posters, cascades and amplifiers of a claim or a post."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rumordesk.cli.common import fail, handle_errors, open_desk, principal_for
from rumordesk.services import tracing as service


def _summary(data: dict[str, Any]) -> None:
    first = data.get("first_poster") or {}
    typer.echo(
        f"first poster: {first.get('account')} (post {first.get('post_id')}, "
        f"{first.get('platform')}, {first.get('created_at')})"
    )
    for key in ("root_post_id", "size", "depth", "breadth", "accounts", "provisional"):
        if key in data:
            typer.echo(f"{key}: {data[key]}")
    if "cascades" in data:
        typer.echo(f"cascades: {len(data['cascades'])}")
    for platform, poster in (data.get("first_poster_by_platform") or {}).items():
        typer.echo(f"  first on {platform}: {poster.get('account')} ({poster.get('post_id')})")
    amplifiers = data.get("top_amplifiers") or data.get("accounts") or []
    if amplifiers:
        typer.echo("top amplifiers (account, reposts, reach):")
        for row in amplifiers[:10]:
            role = f" {row['role']}" if "role" in row else ""
            typer.echo(f"  {row['account']}{role}  {row.get('reposts', 0)}  {row.get('reach', 0)}")
    for note in data.get("notes") or []:
        typer.echo(f"note: {note}")


@handle_errors
def trace(
    claim: Annotated[str | None, typer.Option("--claim", help="Claim id or external id.")] = None,
    post: Annotated[
        str | None, typer.Option("--post", help="Post id (as the platform sent it).")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="Platform of --post, if ids repeat.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result.")] = False,
    graphml: Annotated[Path | None, typer.Option(help="Also write GraphML here.")] = None,
    svg: Annotated[
        Path | None, typer.Option(help="Also write an SVG picture (--post only).")
    ] = None,
    top: Annotated[int, typer.Option(help="How many amplifiers to list.")] = 20,
    org: Annotated[str | None, typer.Option("--org")] = None,
) -> None:
    """Trace a rumour: who posted first, how it spread, who amplified it and how far."""
    from rumordesk.store.repositories import ClaimRepository
    from rumordesk.tracing import cascade_svg, to_graphml

    if (claim is None) == (post is None):
        fail("give exactly one of --claim or --post")
    desk = open_desk()
    with desk.sessions() as session:
        if claim is not None:
            principal = principal_for(desk, org)
            found = ClaimRepository(session).by_external_id(principal.org_id, claim)
            trace_ = service.trace_claim_view(
                session=session, principal=principal, claim_id=found.id if found else claim, top=top
            )
            cascade = None
        else:
            assert post is not None
            trace_, cascade = service.cascade_view(
                session=session, post_id=post, platform=platform, top=top
            )
    data = (cascade or trace_).to_dict()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        _summary(data)
    if graphml:
        graphml.write_text(to_graphml(trace_, cascade), encoding="utf-8")
        typer.echo(f"GraphML written to {graphml}", err=True)
    if svg:
        svg.write_text(cascade_svg(trace_, cascade), encoding="utf-8")
        typer.echo(f"SVG written to {svg}", err=True)
