"""Benchmark source tracing: synthetic cascades of 100k and 1M posts, then the real Weibo trees.

(a) Synthetic: a preferential-attachment tree (each post reposts a uniformly chosen earlier post
    or, half the time, the parent of one, so popular posts gather reposts), log-normal delays,
    Zipf-like accounts, 80 % reposts / 15 % comments / 5 % quotes. Input is shuffled.
(b) Weibo CED dev set (``../shared/data/weibo-ced/dev.jsonl.gz``): each event becomes PostNodes
    here (original + reposts; ``parent`` null means a direct repost of the original; dates in
    UTC+8, ``MM月DD日 HH:MM`` dates take the original's year), and every cascade is traced.

    .venv/bin/python bench/bench_tracing.py            # both parts
    .venv/bin/python bench/bench_tracing.py --sizes 100000 --weibo-limit 200
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rumordesk.tracing import PostNode, cascade_svg, iter_graphml, trace_claim

DATA = Path(
    os.environ.get(
        "RUMORDESK_DATA_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
CST = timezone(timedelta(hours=8))
FULL = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$")
SHORT = re.compile(r"^(\d{1,2})月(\d{1,2})日 (\d\d):(\d\d)$")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def preferential_tree(n: int, seed: int = 7) -> np.ndarray:
    """Parent index of each post (post 0 is the root), by the copying model, vectorised."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    pick = (rng.random(n) * np.maximum(idx, 1)).astype(np.int64)  # a uniform earlier post
    copy = (rng.random(n) < 0.5) & (pick > 0)  # ...or that post's parent
    parent = np.where(copy, -1, pick)
    parent[0] = 0
    while (todo := np.flatnonzero(parent < 0)).size:
        ready = todo[parent[pick[todo]] >= 0]
        parent[ready] = parent[pick[ready]]
    return parent


def synthetic(n: int, seed: int = 7) -> list[PostNode]:
    """``n`` shuffled PostNodes of one preferential-attachment cascade."""
    rng = np.random.default_rng(seed)
    parent = preferential_tree(n, seed)
    delay = rng.lognormal(mean=6.0, sigma=1.5, size=n)  # median ~7 min
    delay[0] = 0.0
    # Parents always precede children in index order, so one cumulative pass fixes times.
    offset = np.zeros(n)
    for start in range(1, n, 1 << 16):
        block = np.arange(start, min(n, start + (1 << 16)))
        while True:  # parents inside the block may be filled later in the same block
            new = offset[parent[block]] + delay[block]
            if np.array_equal(new, offset[block]):
                break
            offset[block] = new
    accounts = np.minimum(rng.zipf(1.6, size=n), n // 2)
    kinds = rng.choice(["repost", "comment", "quote"], size=n, p=[0.8, 0.15, 0.05])
    # Built in arrival order (shuffled), as a reader of an out-of-order stream would build them.
    order = rng.permutation(n).tolist()
    parents, offsets = parent.tolist(), offset.tolist()
    names, labels = accounts.tolist(), kinds.tolist()
    return [
        PostNode(
            post_id=f"p{i}",
            platform="synthetic",
            account=f"acc-{names[i]}" if i else "acc-origin",
            kind=labels[i] if i else "original",
            parent_id=f"p{parents[i]}" if i else None,
            created_at=T0 + timedelta(seconds=offsets[i]),
        )
        for i in order
    ]


def parse_date(text: str, original: datetime) -> datetime:
    """A CED date (UTC+8) as aware UTC; ``MM月DD日`` dates take the original post's year."""
    if m := FULL.match(text):
        y, mo, d, h, mi, s = map(int, m.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=CST).astimezone(UTC)
    if m := SHORT.match(text):
        mo, d, h, mi = map(int, m.groups())
        return datetime(original.astimezone(CST).year, mo, d, h, mi, tzinfo=CST).astimezone(UTC)
    return original


def original_time(value: int | str) -> datetime:
    """The original's time: epoch seconds or Weibo's "Wed Aug 08 13:25:02 +0800 2012"."""
    if isinstance(value, int) or str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)


def weibo_cascades(limit: int | None) -> Iterator[list[PostNode]]:
    """PostNodes of each CED event (its original post and its reposts/comments)."""
    with gzip.open(DATA / "weibo-ced" / "dev.jsonl.gz", "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            event: dict[str, Any] = json.loads(line)
            root = event["id"]
            created = original_time(event["time"])
            nodes = [PostNode(root, "weibo", f"author-{root}", "original", None, created)]
            for r in event.get("reposts") or []:
                nodes.append(
                    PostNode(
                        post_id=r["mid"],
                        platform="weibo",
                        account=str(r["uid"]),
                        kind="repost",
                        parent_id=r.get("parent") or root,
                        created_at=parse_date(r.get("date") or "", created),
                        root_id=root,
                    )
                )
            yield nodes


def bench_synthetic(sizes: list[int]) -> None:
    """Part (a)."""
    for n in sizes:
        started = time.perf_counter()
        nodes = synthetic(n)
        made = time.perf_counter() - started
        started = time.perf_counter()
        trace = trace_claim(nodes)
        traced = time.perf_counter() - started
        c = trace.cascades[0]
        print(
            f"synthetic n={n:>9,}: trace {traced:6.2f} s (generation {made:.1f} s) | depth"
            f" {c.depth}, breadth {c.breadth:,}, accounts {c.accounts:,},"
            f" t(100 accounts) {c.time_to_accounts[100]:.0f} s,"
            f" top reach {c.top_amplifiers[0].reach:,}"
        )
        started = time.perf_counter()
        svg = cascade_svg(trace)
        drawn = time.perf_counter() - started
        started = time.perf_counter()
        graphml_bytes = sum(len(line.encode()) for line in iter_graphml(trace))  # streamed
        exported = time.perf_counter() - started
        print(
            f"    svg {drawn:.2f} s ({len(svg) / 1e3:.0f} kB), graphml {exported:.2f} s"
            f" ({graphml_bytes / 1e6:.0f} MB, streamed)"
        )


def bench_weibo(limit: int | None) -> None:
    """Part (b)."""
    started = time.perf_counter()
    events = list(weibo_cascades(limit))
    loaded = time.perf_counter() - started
    posts = sum(len(e) for e in events)
    worst = (0.0, 0)
    totals = {"cascades": 0, "provisional": 0, "skewed": 0, "duplicates": 0, "cycles": 0}
    started = time.perf_counter()
    for nodes in events:
        t = time.perf_counter()
        trace = trace_claim(nodes)
        worst = max(worst, (time.perf_counter() - t, len(nodes)))
        totals["cascades"] += len(trace.cascades)
        totals["provisional"] += sum(c.provisional for c in trace.cascades)
        totals["skewed"] += trace.skewed_edges
        totals["duplicates"] += trace.duplicates
        totals["cycles"] += len(trace.cycles)
    traced = time.perf_counter() - started
    print(
        f"weibo dev: {len(events):,} events, {posts:,} posts; read+convert {loaded:.1f} s,"
        f" trace all {traced:.1f} s ({traced / max(len(events), 1) * 1e3:.1f} ms/event);"
        f" slowest {worst[0] * 1e3:.0f} ms ({worst[1]:,} posts)"
    )
    print("    " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))


def main() -> None:
    """Run the parts asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--weibo-limit", type=int, default=None, help="CED events (all: None)")
    parser.add_argument("--skip-weibo", action="store_true")
    args = parser.parse_args()
    bench_synthetic(args.sizes)
    if not args.skip_weibo:
        bench_weibo(args.weibo_limit)


if __name__ == "__main__":
    main()
