"""Tracing benchmark on stored posts: Weibo cascades ingested through the pipeline, then traced.

Run:  .venv/bin/python bench/bench_trace_stored.py [--limit N]
1. Convert ``weibo-ced/dev.jsonl.gz`` to the event contract (bench/weibo_events.py).
2. Ingest it into a fresh SQLite database through the file path (matching off: only the
   propagation links matter here).
3. Trace every cascade from the database the way the API does (load its posts, trace), and
   report the total and the slowest; the engine-only time over the same nodes is the baseline.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from rumordesk.composition import build
from rumordesk.config import Settings
from rumordesk.services.ingestion import ingest_file
from rumordesk.services.tracing import cascade_view, post_nodes
from rumordesk.store.ingest_models import Post
from rumordesk.store.migrate import upgrade
from rumordesk.tracing import trace_claim

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="only the first N Weibo events")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="keep the ingested SQLite database here and reuse it on later runs",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        events = Path(tmp) / "weibo.jsonl"
        cmd = [sys.executable, str(ROOT / "bench" / "weibo_events.py"), "-o", str(events)]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        if not (args.db and args.db.exists()):
            subprocess.run(cmd, check=True)
        db = args.db or Path(tmp) / "trace.db"
        reuse = db.exists()
        url = f"sqlite:///{db}"
        upgrade(url)
        desk = build(Settings(database_url=url, data_dir=Path(tmp) / "var"))
        if not reuse:
            start = time.perf_counter()
            report = ingest_file(
                factory=desk.sessions,
                path=events,
                matcher=None,
                policy=desk.policy,
                batch_size=5000,
            )
            took = time.perf_counter() - start
            print(
                f"ingested {report.accepted:,} events ({report.duplicate} duplicates) in "
                f"{took:.1f} s: {report.lines / took:,.0f} events/s"
            )
        with desk.sessions() as session:
            roots = session.scalars(select(Post).where(Post.kind == "original")).all()
            total = engine_only = slowest = 0.0
            posts = 0
            for root in roots:
                t0 = time.perf_counter()
                trace, cascade = cascade_view(
                    session=session, post_id=root.external_id, platform=root.platform
                )
                took = time.perf_counter() - t0
                total += took
                slowest = max(slowest, took)
                posts += cascade.size
                _, nodes = post_nodes(session, root)
                t1 = time.perf_counter()
                trace_claim(nodes)
                engine_only += time.perf_counter() - t1
        print("| cascades | posts | load + trace (API path) | engine only | slowest cascade |")
        print("|---|---|---|---|---|")
        print(
            f"| {len(roots):,} | {posts:,} | {total:.1f} s | {engine_only:.1f} s | "
            f"{slowest * 1000:.0f} ms |"
        )
        desk.close()


if __name__ == "__main__":
    main()
