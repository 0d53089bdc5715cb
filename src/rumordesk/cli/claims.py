"""`rumordesk claims ...`: import, export, list and show library claims."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from rumordesk.cli.common import fail, handle_errors, open_desk, principal_for
from rumordesk.domain.claims import ClaimStatus
from rumordesk.services import claims as service
from rumordesk.services.exporting import FORMATS, claim_record, iter_claims, write_export
from rumordesk.services.importing import ImportOptions, import_claims, read_file
from rumordesk.store.repositories import ClaimFilter, ClaimRepository

app = typer.Typer(help="Manage the rumour library.", no_args_is_help=True)

OrgOpt = Annotated[str | None, typer.Option("--org", help="Organisation name or id.")]


@app.command("import")
@handle_errors
def import_(
    path: Annotated[Path, typer.Argument(help=".jsonl, .csv or ClaimReview .jsonld (or .gz)")],
    org: OrgOpt = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or claimreview")] = None,
    status: Annotated[ClaimStatus, typer.Option(help="Status for records without one.")] = (
        ClaimStatus.CANDIDATE
    ),
    reviewer: Annotated[str | None, typer.Option(help="Reviewer for records without one.")] = None,
    evidence_authority: Annotated[
        str | None,
        typer.Option(
            help="For records without evidence: cite this publisher's own fact-check as evidence."
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the full error report (JSON) here.")
    ] = None,
) -> None:
    """Bulk import claims; valid records are kept, invalid ones reported with line numbers."""
    desk = open_desk()
    principal = principal_for(desk, org)
    records = read_file(path, fmt)
    with tqdm(desc=f"importing {path.name}", unit=" claims", disable=None) as bar:
        result = import_claims(
            factory=desk.sessions,
            principal=principal,
            policy=desk.policy,
            records=records,
            options=ImportOptions(
                status=status,
                reviewer=reviewer,
                evidence_authority=evidence_authority,
                reason=f"import of {path.name}",
            ),
            progress=bar.update,
        )
    typer.echo(
        f"created {result.created}, updated {result.updated}, unchanged "
        f"{result.unchanged}, failed {len(result.errors)}"
    )
    for w in result.warnings[:20]:
        typer.echo(f"  warning, line {w.line}: {w.reason}", err=True)
    for err in result.errors[:20]:
        typer.echo(f"  line {err.line}: {err.reason}", err=True)
    if len(result.errors) > 20:
        typer.echo(f"  ... and {len(result.errors) - 20} more", err=True)
    if report:
        report.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        typer.echo(f"report written to {report}")
    if result.errors and not (result.created or result.updated or result.unchanged):
        raise typer.Exit(1)


@app.command()
@handle_errors
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or claimreview")] = "jsonl",
    status: Annotated[ClaimStatus | None, typer.Option()] = None,
    org: OrgOpt = None,
) -> None:
    """Export the library (re-importable JSONL/CSV, or ClaimReview JSON-LD)."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    desk = open_desk()
    principal = principal_for(desk, org)
    flt = ClaimFilter(status=status.value if status else None)
    with desk.sessions() as session:
        claims = iter_claims(session, principal, flt)
        if output:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = write_export(claims, out, fmt)
            typer.echo(f"exported {count} claims to {output}", err=True)
        else:
            write_export(claims, sys.stdout, fmt)


@app.command("list")
@handle_errors
def list_(
    status: Annotated[ClaimStatus | None, typer.Option()] = None,
    category: Annotated[str | None, typer.Option()] = None,
    tier: Annotated[str | None, typer.Option()] = None,
    language: Annotated[str | None, typer.Option()] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Text to look for.")] = None,
    limit: Annotated[int, typer.Option()] = 20,
    offset: Annotated[int, typer.Option()] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
    org: OrgOpt = None,
) -> None:
    """List claims with filters."""
    desk = open_desk()
    principal = principal_for(desk, org)
    flt = ClaimFilter(
        status=status.value if status else None,
        category=category,
        tier=tier,
        language=language,
        text=query,
    )
    with desk.sessions() as session:
        page = service.list_claims(
            session=session,
            principal=principal,
            flt=flt,
            limit=limit,
            offset=offset,
            max_limit=desk.settings.page_size_max,
        )
        for claim in page.items:
            if as_json:
                typer.echo(json.dumps({"id": claim.id, **claim_record(claim)}, ensure_ascii=False))
            else:
                text = claim.canonical_text.replace("\n", " ")
                text = text if len(text) <= 70 else text[:69] + "…"
                typer.echo(
                    f"{claim.id}  {claim.status:<9} {claim.tier:<6} {claim.category:<16} {text}"
                )
        if not as_json:
            typer.echo(f"-- {len(page.items)} of {page.total} (offset {offset})", err=True)


@app.command()
@handle_errors
def show(
    claim_ref: Annotated[str, typer.Argument(help="Claim id or external id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    org: OrgOpt = None,
) -> None:
    """Show one claim with its revision history."""
    desk = open_desk()
    principal = principal_for(desk, org)
    with desk.sessions() as session:
        found = ClaimRepository(session).by_external_id(principal.org_id, claim_ref)
        claim = service.get_claim(
            session=session, principal=principal, claim_id=found.id if found else claim_ref
        )
        history = service.claim_history(session=session, principal=principal, claim_id=claim.id)
        record = {
            "id": claim.id,
            **claim_record(claim),
            "revision": claim.revision,
            "history": [
                {
                    "number": r.number,
                    "actor": r.actor,
                    "action": r.action,
                    "reason": r.reason,
                    "at": r.at.isoformat(),
                    "fields": sorted(r.changes),
                }
                for r in history
            ],
        }
        if as_json:
            typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
            return
        for key, value in record.items():
            if key == "history":
                typer.echo("history:")
                for rev in value:
                    typer.echo(
                        f"  #{rev['number']} {rev['at']} {rev['actor']} {rev['action']}"
                        f" ({', '.join(rev['fields'])}) {rev['reason'] or ''}"
                    )
            else:
                typer.echo(f"{key}: {value}")
