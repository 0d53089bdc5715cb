"""Chinese evasion: do evasive rewrites of real Weibo rumours still match the original claim?

Run:  .venv/bin/python bench/bench_zh_evasion.py [--negatives 20000] [--limit 0]
Library: the rumour originals of ``weibo-ced/dev.jsonl.gz`` (deduplicated by normalised text).
Queries: every variant from ``bench.evasion.make_variants`` (each trick alone, plus random
combinations). Negatives: the non-rumour originals, and repost comments with text (a seeded
sample of ``--negatives``), split by whether the comment sits under a rumour (such comments may
legitimately repeat it) or a non-rumour. Reports recall@1 per trick and overall, and the share
of negatives whose best claim is decided ``match`` at the policy's match threshold.
Embeddings are cached in ``bench/out/zh-embeddings.npz``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATA, OUT, ROOT, read_jsonl, table  # noqa: E402
from bench.evasion import make_variants  # noqa: E402
from rumordesk.domain.policy import load_policy  # noqa: E402
from rumordesk.matching.embedcache import CachedEncoder  # noqa: E402
from rumordesk.matching.engine import IndexRecord, Matcher, MatchQuery, Thresholds  # noqa: E402
from rumordesk.matching.semantic import UseEncoder  # noqa: E402
from rumordesk.text.normalize import normalize  # noqa: E402


def main() -> None:
    """Build the library, match variants and negatives, print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--negatives", type=int, default=20000, help="repost comments sampled")
    parser.add_argument("--limit", type=int, default=0, help="use only N rumours (0 = all)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    policy = load_policy(ROOT / "src" / "rumordesk" / "policy" / "default.yaml").matching
    thresholds = Thresholds(match=policy.match_threshold, review=policy.review_threshold)
    rng = random.Random(args.seed)

    rumours: dict[str, str] = {}
    alias: dict[str, str] = {}
    by_norm: dict[str, str] = {}
    non_rumours: list[str] = []
    comments: dict[str, list[str]] = {"rumour": [], "non-rumour": []}
    for event in read_jsonl(DATA / "weibo-ced" / "dev.jsonl.gz"):
        text = (event.get("text") or "").strip()
        if event["label"] == "rumour" and text:
            key = normalize(text)
            if key in by_norm:
                alias[event["id"]] = by_norm[key]
            else:
                by_norm[key] = event["id"]
                rumours[event["id"]] = text
        elif text:
            non_rumours.append(text)
        for repost in event.get("reposts") or []:
            if (repost.get("text") or "").strip():
                comments[event["label"]].append(repost["text"].strip())
    ids = sorted(rumours)
    if args.limit:
        ids = ids[: args.limit]
    encoder = CachedEncoder(UseEncoder(), OUT / "zh-embeddings.npz")
    matcher = Matcher(thresholds=thresholds, encoder=encoder)
    t0 = time.perf_counter()
    matcher.build([IndexRecord(i, i, [rumours[i]], language="zh") for i in ids])
    print(f"library: {len(ids)} rumours indexed in {time.perf_counter() - t0:.1f}s")

    queries: list[tuple[str, str, str]] = []  # (trick, source id, variant)
    for i in ids:
        for trick, variant in make_variants(rumours[i], rng):
            queries.append((trick if "+" not in trick else "combination (2-4 tricks)", i, variant))
    t0 = time.perf_counter()
    results = matcher.match_many([MatchQuery(v, lang="zh") for _, _, v in queries], top_k=1)
    secs = time.perf_counter() - t0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses = []
    for (trick, source, variant), row in zip(queries, results, strict=True):
        top = row[0].claim_id if row else None
        ok = top is not None and (top == source or alias.get(top) == source)
        matched = ok and row[0].decision == "match"
        for key in (trick, "ALL"):
            per[key][0] += 1
            per[key][1] += int(ok)
            per[key][2] += int(matched)
        if not ok and len(misses) < 5:
            misses.append((trick, variant[:60]))
    rows = [[k, v[0], v[1] / v[0], v[2] / v[0]] for k, v in sorted(per.items()) if k != "ALL"]
    rows.append(
        [
            "**all variants**",
            per["ALL"][0],
            per["ALL"][1] / per["ALL"][0],
            per["ALL"][2] / per["ALL"][0],
        ]
    )
    print(f"\nvariants matched at {len(queries) / secs:.0f} posts/s")
    print(
        table(
            ["trick", "variants", "recall@1", f"top-1 decided match (>= {thresholds.match})"], rows
        )
    )
    for trick, text in misses:
        print(f"  miss example [{trick}]: {text}")

    sample_rng = random.Random(args.seed)
    groups = {
        "non-rumour originals": non_rumours,
        "comments under non-rumours": sample_rng.sample(
            comments["non-rumour"], min(len(comments["non-rumour"]), args.negatives // 2)
        ),
        "comments under rumours": sample_rng.sample(
            comments["rumour"], min(len(comments["rumour"]), args.negatives // 2)
        ),
    }
    neg_rows = []
    for name, texts in groups.items():
        res = matcher.match_many([MatchQuery(t, lang="zh") for t in texts], top_k=1)
        false = sum(1 for row in res if row and row[0].decision == "match")
        review = sum(1 for row in res if row and row[0].decision == "review")
        neg_rows.append([name, len(texts), false / len(texts), review / len(texts)])
    encoder.flush()
    print()
    print(
        table(
            ["negatives", "n", f"decided match (>= {thresholds.match})", "decided review"], neg_rows
        )
    )


if __name__ == "__main__":
    main()
