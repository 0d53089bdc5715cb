"""Import benchmark: the CLEF 2022 2A claim library (14,231 claims) into SQLite and PostgreSQL.

Run:  .venv/bin/python bench/bench_import.py [--postgres URL]
Reports seconds and claims/s for a first import and an idempotent re-import, next to the time
spent only reading and validating the file (the baseline floor), in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from rumordesk.composition import build
from rumordesk.config import Settings
from rumordesk.domain.access import system_principal
from rumordesk.services.importing import ImportOptions, import_claims, read_file, to_claim_fields
from rumordesk.services.organisations import create_organisation
from rumordesk.store.migrate import upgrade

DATA = Path(
    os.environ.get(
        "RUMORDESK_DATA_DIR_SHARED", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
CLAIMS = DATA / "clef2022-2a-en" / "claims.jsonl.gz"


def read_only() -> float:
    start = time.perf_counter()
    for _, record in read_file(CLAIMS):
        if isinstance(record, dict):
            try:
                to_claim_fields(record, ImportOptions())
            except Exception:  # noqa: BLE001, S112 - only timing the parse
                continue
    return time.perf_counter() - start


def run(url: str, label: str) -> list[str]:
    upgrade(url)
    desk = build(Settings(database_url=url))
    with desk.sessions() as s, s.begin():
        org = create_organisation(session=s, name=f"bench-{time.time_ns()}")
    principal = system_principal(org.id, "bench")
    rows = []
    for attempt in ("first import", "re-import"):
        start = time.perf_counter()
        report = import_claims(
            factory=desk.sessions,
            principal=principal,
            policy=desk.policy,
            records=read_file(CLAIMS),
        )
        took = time.perf_counter() - start
        rows.append(
            f"| {label} | {attempt} | {report.created} created, {report.unchanged} "
            f"unchanged, {len(report.errors)} failed, {len(report.warnings)} warnings | "
            f"{took:.1f} s | {report.total / took:,.0f} |"
        )
    desk.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    base = read_only()
    print(f"baseline: reading + validating {CLAIMS.name} only: {base:.1f} s")
    print("| database | run | outcome | time | claims/s |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for row in run(f"sqlite:///{tmp}/bench.db", "SQLite"):
            print(row)
    engine = create_engine(args.postgres)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    for row in run(args.postgres, "PostgreSQL"):
        print(row)


if __name__ == "__main__":
    main()
