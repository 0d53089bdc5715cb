"""Stock-sweep benchmark: one new claim swept over every stored post.

Run:  .venv/bin/python bench/bench_sweep.py --db bench/out/trace.db
Uses the database that ``bench/bench_trace_stored.py --db ...`` filled with the whole Weibo dev
set (895k posts, ~537k with text). Adds one confirmed claim (a Weibo rumour text, so old copies
exist), runs a sweep through the same service the API uses, and reports posts/s and how many
old posts were labelled. Baseline in the same run: reading every sweepable post's text only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy import func, select

from rumordesk.composition import build
from rumordesk.config import Settings
from rumordesk.domain.access import system_principal
from rumordesk.domain.claims import ClaimFields, ClaimStatus
from rumordesk.ingest.sweep import sweepable
from rumordesk.services import claims as claim_service
from rumordesk.services.organisations import create_organisation
from rumordesk.services.sweeps import run_sweep, start_sweep
from rumordesk.store.ingest_models import Post

EVIDENCE = [{"authority": "bench", "title": "bench", "url": "https://bench.example.org/1"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    desk = build(Settings(database_url=f"sqlite:///{args.db}", data_dir=args.db.parent / "sweep"))
    with desk.sessions() as s:
        total = s.scalar(select(func.count()).select_from(Post)) or 0
        start = time.perf_counter()
        texts = s.execute(select(Post.id, Post.text, Post.norm_text).where(*sweepable())).all()
        read = time.perf_counter() - start
        # the most reposted original's text: a rumour with old copies to find
        root = s.scalar(
            select(Post.root_external_id)
            .where(Post.kind == "repost")
            .group_by(Post.root_external_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        text = s.scalar(select(Post.text).where(Post.external_id == root))
    print(f"{total:,} stored posts, {len(texts):,} sweepable; reading them alone: {read:.1f} s")
    with desk.sessions() as s, s.begin():
        org = create_organisation(session=s, name=f"bench-sweep-{time.time_ns()}")
        claim = claim_service.create_claim(
            session=s,
            principal=system_principal(org.id),
            policy=desk.policy,
            fields=ClaimFields(canonical_text=text, evidence=EVIDENCE),
            status=ClaimStatus.CONFIRMED,
            reviewer="bench",
        )
    desk.matching.refresh(force=True)
    sweep = start_sweep(factory=desk.sessions, claim_id=claim.id)
    start = time.perf_counter()
    done = run_sweep(
        factory=desk.sessions, matcher=desk.matching, sweep_id=sweep.id, batch_size=args.batch
    )
    took = time.perf_counter() - start
    print("| stored posts | sweepable | sweep time | posts/s | matched | read-only baseline |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {total:,} | {len(texts):,} | {took:.1f} s | {len(texts) / took:,.0f} | "
        f"{done.matched:,} | {read:.1f} s |"
    )
    desk.close()


if __name__ == "__main__":
    main()
