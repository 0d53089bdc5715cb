"""Matching speed per core: lexical path, full hybrid path and the encoder alone, by library size.

Run:  .venv/bin/python bench/bench_match_speed.py [--sizes 14231 100000 1000000] [--posts 1000]
Libraries: the 14,231 real CLEF claims, then synthetic claims made by recombining the words of two
real claims, with embeddings synthesised as a noisy mix of the two real embeddings (1M texts are
never encoded). Posts: real CLEF tweets (train+dev+devtest), matched in the matcher's chunks
(``engine.CHUNK``) with the result cache off and the normaliser's cache emptied before each timing
(unique posts), after a warm-up of 8 posts that loads the compiled kernels; single-threaded (faiss
and BLAS pinned to one thread). Reports posts/s for the encoder alone, the lexical path and the
full path (and full/encoder time ratio): for each library size the three are timed in turn
``--repeat`` times (default 3) and each one's best pass counts, the usual way to time code on a
shared machine whose speed drifts (every pass is printed too); p50/p99 latency of one-at-a-time
full matches, build time and memory: the process's RSS once the index is built and its inputs freed
(the encoder model included; the difference between two sizes is the memory per claim), RSS growth
over the build, and the peak.
``--load`` also times saving the index and loading it back; ``--without-encoder`` also times the
full path with the encoder's vectors looked up (everything but the encoder, ms a post).
The 1M case takes 20-45 minutes (the graph build) and ~6 GB peak (inputs included): use
``--sizes`` to skip it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from bench.common import DATA, OUT, current_rss_mb, peak_rss_mb, read_jsonl, table  # noqa: E402
from rumordesk.matching.embedcache import CachedEncoder  # noqa: E402
from rumordesk.matching.engine import (  # noqa: E402
    CHUNK,
    IndexRecord,
    Matcher,
    MatchQuery,
    Thresholds,
    records_from_claims_jsonl,
)
from rumordesk.matching.library import prepare  # noqa: E402
from rumordesk.matching.semantic import UseEncoder, normalise  # noqa: E402
from rumordesk.text.normalize import clear_cache  # noqa: E402

CLEF = DATA / "clef2022-2a-en"


def synthetic(
    real: list[IndexRecord], vectors: np.ndarray, n: int, seed: int = 3
) -> tuple[list[IndexRecord], np.ndarray]:
    """``n`` claims recombined from pairs of real ones, one text each, with mixed embeddings."""
    rng = np.random.default_rng(seed)
    words = [r.texts[0].split() for r in real]
    first_vec = np.cumsum([0] + [len(r.texts) for r in real])[:-1]
    a = rng.integers(0, len(real), size=n)
    b = rng.integers(0, len(real), size=n)
    out_vec = np.empty((n, vectors.shape[1]), dtype=np.float32)
    records = []
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        mix = rng.uniform(0.55, 0.9, size=(stop - start, 1)).astype(np.float32)
        noise = rng.normal(0, 0.02, size=(stop - start, vectors.shape[1])).astype(np.float32)
        out_vec[start:stop] = normalise(
            mix * vectors[first_vec[a[start:stop]]]
            + (1 - mix) * vectors[first_vec[b[start:stop]]]
            + noise
        )
    for i in range(n):
        wa, wb = words[a[i]], words[b[i]]
        text = " ".join(wa[: max(1, len(wa) * 2 // 3)] + wb[len(wb) // 2 :])
        records.append(IndexRecord(f"syn-{i}", None, [text]))
    return records, out_vec


def encoder_rate(encoder: UseEncoder, texts: list[str]) -> float:
    """Posts per second through the encoder alone, in the chunks the matcher encodes."""
    start = time.perf_counter()
    for at in range(0, len(texts), CHUNK):
        encoder.encode(texts[at : at + CHUNK])
    return len(texts) / (time.perf_counter() - start)


class LookupEncoder:
    """The encoder's own vectors for a fixed set of texts, looked up: the full path with it
    times everything but the encoder (``--without-encoder``), which is what code changes outside
    the encoder move, without the encoder's run-to-run noise."""

    def __init__(self, encoder: UseEncoder, texts: list[str]) -> None:
        self.dim = encoder.dim
        self._vectors = dict(zip(texts, encoder.encode(texts), strict=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        """The stored vectors of ``texts``."""
        return np.stack([self._vectors[t] for t in texts])


def measure(matcher: Matcher, posts: list[str], semantic: bool) -> float:
    """Posts per second through ``match_many`` (its chunks, cache off, normaliser cache
    emptied: every post is prepared from scratch, as unique posts in a stream are)."""
    matcher.semantic = semantic
    clear_cache()
    start = time.perf_counter()
    matcher.match_many([MatchQuery(p) for p in posts], top_k=10)
    return len(posts) / (time.perf_counter() - start)


def stage_times(matcher: Matcher, posts: list[str], semantic: bool) -> dict[str, float]:
    """Milliseconds per post spent in each stage of ``match_many`` (the stage functions are
    wrapped with timers for one pass; ``rest`` is re-ranking, evidence and result building)."""
    from rumordesk.matching import engine

    lib = matcher.library
    spent: dict[str, float] = {}
    patched: list[tuple[object, str, object]] = []

    def wrap(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        patched.append((owner, name, original))
        setattr(owner, name, timed)

    wrap(engine, "prepare", "text preparation")
    wrap(lib, "signals_many", "lexical layers")
    wrap(engine, "candidates", "candidate features")
    if semantic:
        wrap(matcher.encoder, "encode", "encoder")
        wrap(lib.vectors, "search", "vector search")
    matcher.semantic = semantic
    clear_cache()
    t0 = time.perf_counter()
    matcher.match_many([MatchQuery(p) for p in posts], top_k=10)
    total = time.perf_counter() - t0
    for owner, name, original in patched:
        if isinstance(owner, type(engine)):
            setattr(owner, name, original)
        else:
            delattr(owner, name)  # back to the class's method
    spent["rest"] = total - sum(spent.values())
    spent["total"] = total
    return {k: v * 1000 / len(posts) for k, v in spent.items()}


def main() -> None:
    """Build each library size, time the paths, print one table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[14231, 100_000, 1_000_000])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument(
        "--load", action="store_true", help="also time saving the index and loading it back"
    )
    parser.add_argument(
        "--stages", action="store_true", help="also print milliseconds per post by stage"
    )
    parser.add_argument(
        "--without-encoder",
        action="store_true",
        help="also time the full path with the encoder's vectors looked up (ms a post by pass)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="passes of each rate (encoder, lexical, full) per size; the best one counts",
    )
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    tweets = [
        p["text"]
        for split in ("train", "dev", "devtest")
        for p in read_jsonl(CLEF / f"{split}.jsonl.gz")
    ]
    posts = list(dict.fromkeys(tweets))[: args.posts]
    encoder = CachedEncoder(UseEncoder(threads=1), OUT / "clef-embeddings.npz")
    real = list(records_from_claims_jsonl(CLEF / "claims.jsonl.gz"))
    real_vecs = encoder.encode([prepare(t).semantic for r in real for t in r.texts])
    encoder.flush()  # later runs read the claims' vectors instead of encoding them again
    base = UseEncoder(threads=1)
    batch = [prepare(p).semantic for p in posts]
    base.encode(batch[:8])  # load the model outside the timing
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    # no library yet: interpreter, libraries, encoder model, the real claims and their vectors
    print(f"RSS before any library: {current_rss_mb() / 1024:.2f} GB", flush=True)
    rows = []
    for size in args.sizes:
        if size <= len(real):
            records = real[:size]
            vecs = real_vecs[: sum(len(r.texts) for r in records)]
        else:
            extra, extra_vecs = synthetic(real, real_vecs, size - len(real))
            records, vecs = real + extra, np.concatenate([real_vecs, extra_vecs])
            del extra, extra_vecs
        gc.collect()
        before = current_rss_mb()
        matcher = Matcher(thresholds=Thresholds(0.8, 0.5), encoder=base, cache_size=0)
        t0 = time.perf_counter()
        matcher.build(records, vectors=vecs)
        build_s = time.perf_counter() - t0
        del vecs, records
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand freed inputs back before reading RSS
        resident = current_rss_mb()
        grown = resident - before
        # compiled kernels load (or compile, after a code change) on first use: not timed
        matcher.match_many([MatchQuery(p) for p in posts[:8]])
        # the encoder alone, the lexical path and the full path in turn, ``--repeat`` times:
        # each one's best pass counts, and all three are measured in the same stretch of time
        rates: dict[str, list[float]] = {"encoder": [], "lexical": [], "full": []}
        for _ in range(args.repeat):
            rates["encoder"].append(encoder_rate(base, batch))
            rates["lexical"].append(measure(matcher, posts, semantic=False))
            rates["full"].append(measure(matcher, posts, semantic=True))
        print(
            f"{size:,} claims, posts/s by pass: "
            + "; ".join(f"{k} " + ", ".join(f"{r:.0f}" for r in v) for k, v in rates.items()),
            flush=True,
        )
        if args.without_encoder:
            matcher._encoder = LookupEncoder(base, batch)
            rest = [1000 / measure(matcher, posts, semantic=True) for _ in range(args.repeat)]
            matcher._encoder = base
            print(
                f"{size:,} claims, full path without the encoder, ms/post by pass: "
                + ", ".join(f"{r:.3f}" for r in rest),
                flush=True,
            )
        enc_rate, lexical, full = (max(rates[k]) for k in ("encoder", "lexical", "full"))
        if args.stages:
            for semantic in (False, True):
                stages = stage_times(matcher, posts, semantic)
                path = "full" if semantic else "lexical"
                print(
                    f"{size:,} claims, {path} path, ms/post: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in stages.items()),
                    flush=True,
                )
        lat = []
        for p in posts[:300]:
            t1 = time.perf_counter()
            matcher.match(p)
            lat.append((time.perf_counter() - t1) * 1000)
        matcher.cache_size = 10_000
        matcher.match(posts[0])
        t1 = time.perf_counter()
        for _ in range(1000):
            matcher.match(posts[0])
        cached = 1000 / (time.perf_counter() - t1)
        if args.load:
            with tempfile.TemporaryDirectory() as folder:
                t1 = time.perf_counter()
                matcher.save(Path(folder))
                saved = time.perf_counter() - t1
                t1 = time.perf_counter()
                Matcher.load(Path(folder), Thresholds(0.8, 0.5), encoder=base)
                print(
                    f"{size:,} claims: save {saved:.1f} s, load {time.perf_counter() - t1:.1f} s"
                    f" (build {build_s:.1f} s)",
                    flush=True,
                )
        per_million = 1e6 / size
        rows.append(
            [
                f"{size:,}",
                matcher.library.vectors.kind,
                f"{enc_rate:.0f}",
                f"{lexical:.0f}",
                f"{full:.0f}",
                f"{enc_rate / full:.2f}x",
                f"{np.percentile(lat, 50):.1f}",
                f"{np.percentile(lat, 99):.1f}",
                f"{cached:.0f}",
                f"{build_s * per_million / 60:.1f}",
                f"{resident / 1024:.2f}",
                f"{grown * per_million / 1024:.2f}",
                f"{peak_rss_mb() / 1024:.1f}",
            ]
        )
        print(rows[-1], flush=True)
        del matcher
        gc.collect()
    print(
        table(
            [
                "claims",
                "vectors",
                "encoder posts/s",
                "lexical posts/s",
                "full posts/s",
                "full/encoder time",
                "p50 ms",
                "p99 ms",
                "cache-hit posts/s",
                "build min per 1M",
                "RSS after build GB",
                "RSS growth per 1M GB",
                "peak RSS GB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
