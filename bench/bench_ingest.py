"""Ingestion benchmark on the Weibo CED data (converted by bench/weibo_events.py).

Measures events/s through the file path (SQLite and PostgreSQL), through NATS with 1 and 2
workers, with matching on (the real MatchingService, library = the rumour texts of the records
ingested) or off, plus textless reposts alone, and a stock sweep of every stored post for one
new claim. Prints one table.

    .venv/bin/python bench/bench_ingest.py --limit 200
    .venv/bin/python bench/bench_ingest.py --limit 200 --postgres --nats --no-match
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from weibo_events import events  # noqa: E402

from rumordesk.composition import build  # noqa: E402
from rumordesk.config import Settings  # noqa: E402
from rumordesk.domain.access import system_principal  # noqa: E402
from rumordesk.domain.claims import ClaimStatus  # noqa: E402
from rumordesk.services.importing import ImportOptions, import_claims  # noqa: E402
from rumordesk.services.ingestion import ingest_file  # noqa: E402
from rumordesk.services.organisations import create_organisation  # noqa: E402
from rumordesk.services.sweeps import run_sweep, start_sweep  # noqa: E402
from rumordesk.store.ingest_models import Post, PostMatch  # noqa: E402
from rumordesk.store.migrate import upgrade  # noqa: E402
from rumordesk.store.models import Base  # noqa: E402

PG = os.environ.get(
    "RUMORDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
)


def fresh_postgres(url: str) -> None:
    """Empty the benchmark database (created if missing)."""
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.rsplit("/", 1)[1]}
        ):
            conn.execute(text(f"CREATE DATABASE {url.rsplit('/', 1)[1]}"))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    _ = Base


def prepare(url: str, data_dir: Path, library: list[dict[str, Any]], match: bool) -> Any:
    """A migrated database with the library loaded, and its matcher (or None)."""
    upgrade(url)
    desk = build(Settings(database_url=url, data_dir=data_dir))
    with desk.sessions() as s, s.begin():
        org = create_organisation(session=s, name="bench").id
    if library:
        import_claims(
            factory=desk.sessions,
            principal=system_principal(org, "bench"),
            policy=desk.policy,
            records=[(i + 1, r) for i, r in enumerate(library)],
            options=ImportOptions(
                reason="bench",
                status=ClaimStatus.CONFIRMED,
                reviewer="bench",
                evidence_authority="CED",
            ),
        )
    matcher = None
    if match:
        matcher = desk.matching
        matcher.match_items([])  # build the index before timing
    return desk, matcher


def run_file(
    label: str,
    url: str,
    path: Path,
    n: int,
    library: list[dict[str, Any]],
    match: bool,
    rows: list[list[Any]],
    sweep: bool = False,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        desk, matcher = prepare(url, Path(tmp), library, match)
        start = time.perf_counter()
        report = ingest_file(
            factory=desk.sessions, path=path, matcher=matcher, policy=desk.policy, batch_size=1000
        )
        took = time.perf_counter() - start
        with desk.sessions() as s:
            matched = s.scalar(select(func.count()).select_from(PostMatch)) or 0
        rows.append([label, n, report.accepted, f"{took:.1f}", f"{n / took:,.0f}", matched])
        if sweep and matcher is not None:
            claim = import_claims(
                factory=desk.sessions,
                principal=system_principal(_org(desk), "bench"),
                policy=desk.policy,
                records=[
                    (
                        1,
                        {
                            "external_id": "new",
                            "canonical_text": library[-1]["canonical_text"] + "（新版本）",
                            "category": "other",
                        },
                    )
                ],
                options=ImportOptions(
                    reason="bench",
                    status=ClaimStatus.CONFIRMED,
                    reviewer="bench",
                    evidence_authority="CED",
                ),
            )
            del claim
            with desk.sessions() as s:
                from rumordesk.store.models import Claim

                cid = s.scalars(select(Claim.id).where(Claim.external_id == "new")).one()
                stored = s.scalar(select(func.count()).select_from(Post)) or 0
            sw = start_sweep(factory=desk.sessions, claim_id=cid)
            start = time.perf_counter()
            done = run_sweep(factory=desk.sessions, matcher=matcher, sweep_id=sw.id)
            took = time.perf_counter() - start
            rows.append(
                [
                    f"{label} sweep (1 claim, {stored} posts)",
                    done.done,
                    done.matched,
                    f"{took:.1f}",
                    f"{done.done / took:,.0f}",
                    done.labelled,
                ]
            )
        desk.close()


def _org(desk: Any) -> str:
    from rumordesk.store.models import Organisation

    with desk.sessions() as s:
        return str(s.scalars(select(Organisation.id)).first())


def run_nats(
    url: str, path: Path, n: int, workers: int, match: bool, rows: list[list[Any]]
) -> None:
    fresh_postgres(url)
    upgrade(url)
    tag = uuid.uuid4().hex[:8]
    names = ["--stream", f"BENCH_{tag}", "--subject", f"bench.{tag}.v1"]
    env = {**os.environ, "RUMORDESK_DATABASE_URL": url}
    exe = str(Path(sys.executable).parent / "rumordesk")
    subprocess.run([exe, "publish", str(path), *names], env=env, check=True, capture_output=True)
    extra = [] if match else ["--no-match"]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [exe, "worker", "--burst", *names, "--durable", f"bench-{tag}", *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        proc.wait()
    took = time.perf_counter() - start
    rows.append(
        [f"NATS -> PostgreSQL, {workers} worker(s)", n, "", f"{took:.1f}", f"{n / took:,.0f}", ""]
    )


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=200, help="CED records (of 2,369)")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--nats", action="store_true")
    parser.add_argument("--no-match", action="store_true")
    args = parser.parse_args()
    match = not args.no_match
    tmp = Path(tempfile.mkdtemp())
    all_events = list(events(limit=args.limit))
    path, textless = tmp / "events.jsonl", tmp / "textless.jsonl"
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in all_events) + "\n")
    bare = [
        e for e in all_events if e["type"] == "post" and e["kind"] == "repost" and "text" not in e
    ]
    textless.write_text("\n".join(json.dumps(e) for e in bare) + "\n")
    originals = [e for e in all_events if e["type"] == "post" and e["kind"] == "original"]
    library = [
        {"external_id": f"ced-{e['id']}", "canonical_text": e["text"], "category": "other"}
        for e in originals
        if e.get("group_id") == "rumour" and e.get("text")
    ]
    rows: list[list[Any]] = []
    n = len(all_events)
    run_file(
        "file -> SQLite, textless reposts",
        f"sqlite:///{tmp}/a.db",
        textless,
        len(bare),
        library,
        False,
        rows,
    )
    run_file(
        f"file -> SQLite, matching {'on' if match else 'off'}",
        f"sqlite:///{tmp}/b.db",
        path,
        n,
        library,
        match,
        rows,
        sweep=match,
    )
    if args.postgres:
        fresh_postgres(PG)
        run_file(
            f"file -> PostgreSQL, matching {'on' if match else 'off'}",
            PG,
            path,
            n,
            library,
            match,
            rows,
        )
    if args.nats:
        for workers in (1, 2):
            run_nats(PG, path, n, workers, match, rows)
    print(
        f"\nWeibo CED, {args.limit} records, {n} events ({len(bare)} textless reposts), "
        f"library {len(library)} claims, {os.cpu_count()} cores\n"
    )
    header = ["run", "events", "accepted/matched", "seconds", "events/s", "matches/labelled"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        print(" | ".join(str(c) for c in row))


if __name__ == "__main__":
    main()
