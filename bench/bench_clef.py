"""CLEF 2022 CheckThat! 2A (English): find the fact-checked claim a tweet repeats.

Run:  .venv/bin/python bench/bench_clef.py [--splits dev devtest] [--model FILE]
Indexes the 14,231 claims (text, title, subtitle) in one Matcher and reports MAP@1, MAP@5 and
recall@10 per split for the full hybrid system, the lexical path (no encoder) and a BM25-only
baseline over the same tokens, in the same run. Claim embeddings are cached in
``bench/out/clef-embeddings.npz`` (the first run encodes ~35k texts, a few minutes on one core).
The re-ranker was trained on ``train`` only; ``dev``/``devtest`` are never used for training.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import DATA, OUT, average_precision, read_jsonl, recall_at, table

from rumordesk.matching.embedcache import CachedEncoder
from rumordesk.matching.engine import Matcher, MatchQuery, Thresholds, records_from_claims_jsonl
from rumordesk.matching.library import prepare
from rumordesk.matching.reranker import Reranker
from rumordesk.matching.semantic import UseEncoder

CLEF = DATA / "clef2022-2a-en"


def evaluate(ranked: list[list[str]], gold: list[set[str]]) -> tuple[float, float, float]:
    """MAP@1, MAP@5 and mean recall@10."""
    n = len(gold)
    return (
        sum(average_precision(r, g, 1) for r, g in zip(ranked, gold, strict=True)) / n,
        sum(average_precision(r, g, 5) for r, g in zip(ranked, gold, strict=True)) / n,
        sum(recall_at(r, g, 10) for r, g in zip(ranked, gold, strict=True)) / n,
    )


def main() -> None:
    """Build, query each split with each system, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["dev", "devtest"])
    parser.add_argument("--model", type=Path, help="re-ranker file (default: the shipped one)")
    parser.add_argument("--bm25-k", type=int, help="BM25 candidates a post (default: the engine's)")
    parser.add_argument(
        "--semantic-k", type=int, help="nearest texts a post (default: the engine's)"
    )
    args = parser.parse_args()
    encoder = CachedEncoder(UseEncoder(), OUT / "clef-embeddings.npz")
    matcher = Matcher(
        thresholds=Thresholds(match=0.8, review=0.5),
        encoder=encoder,
        reranker=Reranker.load(args.model) if args.model else None,
        **({"bm25_k": args.bm25_k} if args.bm25_k else {}),
        **({"semantic_k": args.semantic_k} if args.semantic_k else {}),
    )
    start = time.perf_counter()
    matcher.build(records_from_claims_jsonl(CLEF / "claims.jsonl.gz"), progress=True)
    encoder.flush()
    print(
        f"indexed {len(matcher)} claims in {time.perf_counter() - start:.1f}s "
        f"(embeddings cached in {encoder.path.relative_to(OUT.parents[1])})"
    )
    ids = matcher.library.claim_ids
    rows = []
    for split in args.splits:
        posts = list(read_jsonl(CLEF / f"{split}.jsonl.gz"))
        gold = [set(p["claims"]) for p in posts]
        queries = [MatchQuery(text=p["text"]) for p in posts]
        bm25 = []
        for p in posts:
            hit_rows, _ = matcher.library.bm25.search(prepare(p["text"]).tokens, k=10)
            bm25.append([ids[r] for r in hit_rows.tolist()])
        rows.append([split, "BM25 only (baseline)", *evaluate(bm25, gold), "-"])
        for name, semantic in (
            ("lexical path + re-ranker", False),
            ("full hybrid + re-ranker", True),
        ):
            matcher.semantic = semantic
            t0 = time.perf_counter()
            results = matcher.match_many(queries, top_k=10)
            secs = time.perf_counter() - t0
            ranked = [[r.claim_id for r in row] for row in results]
            rows.append([split, name, *evaluate(ranked, gold), f"{len(posts) / secs:.0f}"])
            matcher._cache.clear()  # each system measured without the other's cache
    encoder.flush()
    print(table(["split", "system", "MAP@1", "MAP@5", "recall@10", "posts/s"], rows))


if __name__ == "__main__":
    main()
