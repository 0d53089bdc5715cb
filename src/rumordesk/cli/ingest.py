"""`rumordesk ingest`, `publish`, `worker`, `sweep ...` and `demo replay`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from rumordesk.cli.common import fail, handle_errors, open_desk
from rumordesk.composition import Rumordesk

sweep_app = typer.Typer(
    help="Stock sweeps: re-match stored posts for a claim.", no_args_is_help=True
)
NoMatch = Annotated[
    bool,
    typer.Option(
        "--no-match", help="Store events without matching (e.g. an archive backfill; sweep later)."
    ),
]


def _matcher(desk: Rumordesk, no_match: bool) -> Any:
    if no_match:
        return None
    from rumordesk.services.ingestion import default_matcher

    return default_matcher(desk)


@handle_errors
def ingest(
    path: Annotated[Path, typer.Argument(help="JSONL or JSONL.gz file of events.")],
    batch_size: Annotated[int, typer.Option(help="Events per transaction.")] = 1000,
    restart: Annotated[bool, typer.Option(help="Ignore the checkpoint; start at line 1.")] = False,
    no_match: NoMatch = False,
) -> None:
    """Ingest a file of events; an interrupted run resumes after the last committed line."""
    from rumordesk.services.ingestion import file_identity, ingest_file

    if not path.exists():
        fail(f"{path}: no such file")
    desk = open_desk()
    matcher = _matcher(desk, no_match)
    key, _ = file_identity(path)
    with tqdm(desc=path.name, unit=" events", disable=None) as bar:
        report = ingest_file(
            factory=desk.sessions,
            path=path,
            matcher=matcher,
            policy=desk.policy,
            batch_size=max(1, batch_size),
            restart=restart,
            progress=bar.update,
        )
    if report.resumed_at:
        typer.echo(f"resumed after line {report.resumed_at} (checkpoint {key[:12]})", err=True)
    for problem in report.problems[:20]:
        typer.echo(f"rejected {problem}", err=True)
    typer.echo(
        f"{path.name}: {report.lines} lines; accepted {report.accepted}, duplicate "
        f"{report.duplicate}, rejected {report.rejected}, failed {report.failed}"
    )


def _nats_bus(
    desk: Rumordesk,
    stream: str | None,
    subject: str | None,
    durable: str | None,
    ack_wait: float = 60.0,
) -> Any:
    from rumordesk.bus.base import DURABLE, STREAM, SUBJECT
    from rumordesk.bus.nats import NatsBus

    try:
        return NatsBus(
            desk.settings.nats_url,
            stream=stream or STREAM,
            subject=subject or SUBJECT,
            durable=durable or DURABLE,
            ack_wait=ack_wait,
        )
    except Exception as exc:  # noqa: BLE001 - any connection failure: service unavailable
        fail(f"NATS unavailable at {desk.settings.nats_url}: {exc!r}", 3)
        raise


Stream = Annotated[str | None, typer.Option(help="Stream name (default RUMORDESK_EVENTS).")]
Subject = Annotated[str | None, typer.Option(help="Subject (default rumordesk.events.v1).")]
Durable = Annotated[
    str | None, typer.Option(help="Durable consumer (default rumordesk-ingest-v1).")
]


@handle_errors
def publish(
    path: Annotated[Path, typer.Argument(help="JSONL or JSONL.gz file of events.")],
    stream: Stream = None,
    subject: Subject = None,
) -> None:
    """Push a file of events into the NATS JetStream stream (re-publishing is de-duplicated)."""
    from rumordesk.ingest.contract import parse_line
    from rumordesk.services.ingestion import iter_lines

    if not path.exists():
        fail(f"{path}: no such file")
    desk = open_desk()
    bus = _nats_bus(desk, stream, subject, None)
    sent = total = 0
    payloads: list[bytes] = []
    keys: list[str] = []

    def flush() -> None:
        nonlocal sent
        sent += bus.publish(payloads, keys)
        bar.update(len(payloads))
        payloads.clear()
        keys.clear()

    with tqdm(desc="publish", unit=" events", disable=None) as bar:
        for number, raw in enumerate(iter_lines(path), start=1):
            if not raw.strip():
                continue
            parsed = parse_line(raw, number)
            payloads.append(raw.strip())
            keys.append(parsed.key if not isinstance(parsed, list) else f"{path.name}:{number}")
            total += 1
            if len(payloads) >= 2000:
                flush()
        if payloads:
            flush()
    bus.close()
    typer.echo(
        f"published {sent} of {total} events to {bus.stream} ({total - sent} already in the stream)"
    )


@handle_errors
def worker(
    burst: Annotated[bool, typer.Option(help="Drain the stream, then exit.")] = False,
    batch_size: Annotated[int, typer.Option(help="Events per fetch and transaction.")] = 500,
    max_tries: Annotated[int, typer.Option(help="Deliveries before dead-lettering.")] = 5,
    ack_wait: Annotated[
        float,
        typer.Option(
            help="Seconds before an unacked event is "
            "redelivered (set when the consumer is created)."
        ),
    ] = 60.0,
    stream: Stream = None,
    subject: Subject = None,
    durable: Durable = None,
    no_match: NoMatch = False,
) -> None:
    """Consume events from NATS JetStream (durable pull consumer; run several to share load)."""
    from rumordesk.bus.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    desk = open_desk()
    bus = _nats_bus(desk, stream, subject, durable, ack_wait)
    consumer = Worker(
        bus=bus,
        factory=desk.sessions,
        policy=desk.policy,
        matcher=_matcher(desk, no_match),
        batch_size=max(1, batch_size),
        max_tries=max_tries,
    )
    consumer.install_signal_handlers()
    typer.echo(
        f"worker on {bus.stream}/{bus.durable} ({'burst' if burst else 'until SIGTERM'})", err=True
    )
    try:
        stats = consumer.run(
            burst=burst,
            on_batch=lambda s: typer.echo(
                f"batch {s.batches}: accepted {s.accepted}, duplicate {s.duplicate}, "
                f"dead-lettered {s.dead_lettered}",
                err=True,
            ),
        )
    finally:
        bus.close()
    typer.echo(
        f"worker stopped: {stats.batches} batches, accepted {stats.accepted}, duplicate "
        f"{stats.duplicate}, retried {stats.retried}, dead-lettered {stats.dead_lettered}"
    )


@handle_errors
def demo_replay(
    path: Annotated[
        Path | None, typer.Option(help="Stream file (default: <demo dir>/stream.jsonl).")
    ] = None,
) -> None:
    """Replay the demo stream through the in-process queue (matching, spread, early warning)."""
    from rumordesk.bus.memory import MemoryBus
    from rumordesk.bus.worker import Worker
    from rumordesk.services.ingestion import iter_lines

    desk = open_desk()
    source = path or desk.settings.demo_dir / "stream.jsonl"
    if not source.exists():
        typer.echo(f"demo stream {source} not found; nothing replayed")
        return
    bus = MemoryBus()
    bus.publish([raw.strip() for raw in iter_lines(source) if raw.strip()])
    consumer = Worker(
        bus=bus,
        factory=desk.sessions,
        policy=desk.policy,
        matcher=_matcher(desk, False),
        fetch_timeout=0.05,
    )
    with tqdm(desc="demo stream", unit=" events", disable=None) as bar:
        stats = consumer.run(
            burst=True,
            on_batch=lambda s: bar.update(s.accepted + s.duplicate + s.dead_lettered - bar.n),
        )
    typer.echo(
        f"demo stream: accepted {stats.accepted}, duplicate {stats.duplicate}, "
        f"dead-lettered {stats.dead_lettered}"
    )


def _print_sweep(view: dict[str, Any]) -> None:
    typer.echo(
        f"sweep {view['id']} for claim {view['claim_id']}: {view['status']}, "
        f"{view['done']}/{view['total']} posts, {view['matched']} matched, "
        f"{view['labelled']} labelled" + (f", error: {view['error']}" if view["error"] else "")
    )


@sweep_app.command("start")
@handle_errors
def sweep_start(
    claim_id: Annotated[str, typer.Argument(help="Claim id to sweep stored posts for.")],
    batch_size: Annotated[int, typer.Option(help="Posts per batch.")] = 2000,
) -> None:
    """Record a sweep for a claim and run it to the end (Ctrl-C stops; `sweep run` resumes)."""
    from rumordesk.services.sweeps import start_sweep

    desk = open_desk()
    sweep = start_sweep(factory=desk.sessions, claim_id=claim_id)
    _run(desk, sweep.id, batch_size)


@sweep_app.command("run")
@handle_errors
def sweep_run(
    sweep_id: Annotated[str, typer.Argument(help="Sweep id (resumes a stopped one).")],
    batch_size: Annotated[int, typer.Option(help="Posts per batch.")] = 2000,
) -> None:
    """Run (or resume) a sweep to the end."""
    _run(open_desk(), sweep_id, batch_size)


def _run(desk: Rumordesk, sweep_id: str, batch_size: int) -> None:
    from rumordesk.services.ingestion import default_matcher
    from rumordesk.services.sweeps import run_sweep, sweep_view

    with tqdm(desc="sweep", unit=" posts", disable=None) as bar:

        def progress(sweep: Any) -> None:
            bar.total = sweep.total
            bar.n = sweep.done
            bar.refresh()

        sweep = run_sweep(
            factory=desk.sessions,
            matcher=default_matcher(desk),
            sweep_id=sweep_id,
            batch_size=max(1, batch_size),
            progress=progress,
        )
    _print_sweep(sweep_view(sweep))


@sweep_app.command("status")
@handle_errors
def sweep_status(sweep_id: Annotated[str, typer.Argument(help="Sweep id.")]) -> None:
    """Show a sweep's progress."""
    from rumordesk.services.sweeps import get_sweep, sweep_view

    desk = open_desk()
    with desk.sessions() as session:
        _print_sweep(sweep_view(get_sweep(session=session, sweep_id=sweep_id)))
