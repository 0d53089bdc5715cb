"""Lexical-path quality and speed at a million claims, and what the BM25/LSH cut-offs trade.

Run:  .venv/bin/python bench/bench_lexical_scale.py [--size 1000000]
          [--settings 256,4,1024 128,4,1024 256,3,1024 256,4,256]
Library: the 14,231 real CLEF claims plus synthetic ones (``bench_match_speed.synthetic``: each
recombines the words of two real claims), lexical layers only (no vectors: the build takes ~2
minutes instead of ~25). Queries: CLEF dev and devtest, judged against the real claims with the
split's labels, so MAP@5 and recall@10 measure how well the lexical path still finds the right
claim among a million that share its words; speed: the lexical rate of ``bench_match_speed`` (1,000
unique tweets, cache off), best and every one of three passes.
Each setting is ``IMPACT_LIMIT,RESCORE_FACTOR,MANY_CANDIDATES``: documents kept per long BM25
posting list, documents re-scored per BM25 result, and the band collisions above which the LSH
verifies only rows colliding twice (the first setting is the engine's). BM25 impacts are re-cut
in place for each limit; the other two are read at query time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.bench_match_speed import CLEF, measure, synthetic  # noqa: E402
from bench.common import average_precision, read_jsonl, recall_at, table  # noqa: E402
from rumordesk.matching import bm25 as bm25_module  # noqa: E402
from rumordesk.matching import minhash as minhash_module  # noqa: E402
from rumordesk.matching.engine import (  # noqa: E402
    Matcher,
    MatchQuery,
    Thresholds,
    records_from_claims_jsonl,
)
from rumordesk.matching.semantic import VectorIndex  # noqa: E402


def quality(matcher: Matcher, posts: list[dict[str, object]]) -> tuple[float, float]:
    """MAP@5 and mean recall@10 of the lexical path on labelled posts."""
    results = matcher.match_many([MatchQuery(str(p["text"])) for p in posts], top_k=10)
    ranked = [[r.claim_id for r in row] for row in results]
    gold = [set(p["claims"]) for p in posts]  # type: ignore[call-overload]
    n = len(posts)
    return (
        sum(average_precision(r, g, 5) for r, g in zip(ranked, gold, strict=True)) / n,
        sum(recall_at(r, g, 10) for r, g in zip(ranked, gold, strict=True)) / n,
    )


def main() -> None:
    """Build once, then evaluate and time each setting."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["256,4,1024", "128,4,1024", "256,3,1024", "256,4,256"],
        help="IMPACT_LIMIT,RESCORE_FACTOR,MANY_CANDIDATES (the first should be the engine's)",
    )
    args = parser.parse_args()
    real = list(records_from_claims_jsonl(CLEF / "claims.jsonl.gz"))
    texts = sum(len(r.texts) for r in real)
    flat = np.zeros((texts, 4), dtype=np.float32)  # synthetic() mixes vectors: none are needed
    flat[:, 0] = 1.0
    extra, _ = synthetic(real, flat, max(0, args.size - len(real)))
    matcher = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False, cache_size=0)
    t0 = time.perf_counter()
    matcher.build(real + extra, vector_index=VectorIndex(512))
    print(f"{len(matcher):,} claims, lexical layers built in {time.perf_counter() - t0:.0f} s")
    del extra
    splits = {s: list(read_jsonl(CLEF / f"{s}.jsonl.gz")) for s in ("dev", "devtest")}
    tweets = [
        p["text"]
        for split in ("train", "dev", "devtest")
        for p in read_jsonl(CLEF / f"{split}.jsonl.gz")
    ]
    posts = list(dict.fromkeys(tweets))[:1000]
    matcher.match_many([MatchQuery(p) for p in posts[:8]])  # compiled kernels load
    bm25 = matcher.library.bm25
    engine_setting = (
        bm25_module.IMPACT_LIMIT,
        bm25_module.RESCORE_FACTOR,
        minhash_module.MANY_CANDIDATES,
    )
    rows = []
    for setting in args.settings:
        limit, rescore, many = (int(v) for v in setting.split(","))
        if limit != bm25._impact_limit:
            bm25_module.IMPACT_LIMIT = limit
            bm25._index_impacts(bm25._main)  # type: ignore[arg-type]
        bm25_module.RESCORE_FACTOR, minhash_module.MANY_CANDIDATES = rescore, many
        figures = [f for split in splits.values() for f in quality(matcher, split)]
        rates = [measure(matcher, posts, semantic=False) for _ in range(3)]
        label = setting + (" (engine)" if (limit, rescore, many) == engine_setting else "")
        rows.append(
            [
                label,
                *(f"{f:.3f}" for f in figures),
                f"{max(rates):,.0f}",
                ", ".join(f"{r:,.0f}" for r in rates),
            ]
        )
        print(rows[-1], flush=True)
    print(
        table(
            [
                "IMPACT_LIMIT, RESCORE_FACTOR, MANY_CANDIDATES",
                "dev MAP@5",
                "dev recall@10",
                "devtest MAP@5",
                "devtest recall@10",
                "lexical posts/s (best)",
                "every pass",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
