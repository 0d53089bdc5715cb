"""Loading a saved match index: from its lexical snapshot against re-indexing its records.

Run:  .venv/bin/python bench/bench_index_load.py [--size 100000]
Library: the 14,231 real CLEF claims plus synthetic ones (``bench_match_speed.synthetic``) up to
``--size``, with random unit vectors (what is timed here is the lexical layers and the files, not
the encoder), and a few live changes after the build. The index is saved once; then it is loaded
``--repeat`` times from the snapshot and as many times with the snapshot hidden (the layers
rebuilt from the saved records, as every load did before snapshots). Both loads must answer 200
CLEF tweets exactly like the saved matcher. Prints seconds a load (best and every pass) and the
files' sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.bench_match_speed import CLEF, synthetic  # noqa: E402
from bench.common import read_jsonl, table  # noqa: E402
from rumordesk.matching.engine import (  # noqa: E402
    SNAPSHOT_FILE,
    IndexRecord,
    Matcher,
    MatchQuery,
    Thresholds,
    records_from_claims_jsonl,
)
from rumordesk.matching.semantic import normalise  # noqa: E402


def answers(matcher: Matcher, queries: list[MatchQuery]) -> list[list[tuple[str, float]]]:
    """Claim ids and scores of each query's results (lexical path: no encoder is loaded)."""
    matcher.semantic = False
    return [[(r.claim_id, r.score) for r in row] for row in matcher.match_many(queries)]


def timed_load(directory: Path) -> tuple[float, Matcher]:
    """Seconds to load the index at ``directory``, and the matcher."""
    start = time.perf_counter()
    matcher = Matcher.load(directory, Thresholds(0.8, 0.5))
    return time.perf_counter() - start, matcher


def main() -> None:
    """Build, save, and time both ways of loading."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    real = list(records_from_claims_jsonl(CLEF / "claims.jsonl.gz"))
    texts = sum(len(r.texts) for r in real)
    rng = np.random.default_rng(5)
    vectors = normalise(rng.normal(size=(texts, 512)).astype(np.float32))
    extra, extra_vectors = synthetic(real, vectors, max(0, args.size - len(real)))
    matcher = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False)
    start = time.perf_counter()
    matcher.build(real + extra, vectors=np.concatenate([vectors, extra_vectors]))
    print(f"{len(matcher):,} claims built in {time.perf_counter() - start:.0f} s", flush=True)
    del extra, extra_vectors
    for i in range(20):  # live changes after the build: the load replays them
        matcher.upsert(IndexRecord(f"live-{i}", None, [f"live claim {i}: {real[i].texts[0]}"]))
    matcher.remove(real[0].claim_id)
    tweets = [p["text"] for p in read_jsonl(CLEF / "dev.jsonl.gz")]
    queries = [MatchQuery(t) for t in tweets[:200]]
    expected = answers(matcher, queries)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "index"
        start = time.perf_counter()
        matcher.save(directory)
        saved = time.perf_counter() - start
        del matcher
        sizes = {p.name: p.stat().st_size / 1e6 for p in directory.iterdir()}
        rows = []
        for label in ("snapshot", "re-indexing"):
            if label == "re-indexing":
                (directory / SNAPSHOT_FILE).rename(directory / "hidden.npz")
            passes = []
            for _ in range(args.repeat):
                seconds, loaded = timed_load(directory)
                passes.append(seconds)
                if answers(loaded, queries) != expected:
                    raise SystemExit(f"{label}: the loaded index answers differently")
                del loaded
            rows.append(
                [label, f"{min(passes):.1f}", ", ".join(f"{p:.1f}" for p in passes), "identical"]
            )
    print(f"save {saved:.1f} s; files (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in sizes.items()))
    print(table(["load from", "best s", "every pass s", "answers"], rows))


if __name__ == "__main__":
    main()
