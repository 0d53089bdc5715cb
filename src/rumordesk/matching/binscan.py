"""A vector index that scans one bit per dimension, then re-ranks with 8-bit codes.

Every text is stored as 8-bit codes of its full vector (faiss's ``IndexScalarQuantizer``, the
same codes the other kinds re-rank and read cosines from) and, beside them, the sign of each
stored dimension: 512 bits, 64 bytes. A query's signs are compared with every text's by Hamming
distance (XOR and a vectorised population count, eight 64-bit words a text), the ``k *
k_factor`` closest are kept, and those are ranked by their cosine with the query computed from
the 8-bit codes.

Why: a population count over 64 bytes is a few instructions, where a 4-bit product-quantised
code of the same size needs 128 table lookups; at 128k texts this scan keeps its 500 candidates
in ~0.15 ms a query against ~0.30 for faiss's fast-scan kernels (whose speed did not change with
faiss's SIMD level forced to AVX2 or AVX-512), and the sign codes need no training. faiss's own
binary index (``IndexBinaryFlat``) counts bits one 64-bit word at a time and keeps a heap of the
candidates: ~0.19 ms for 20 candidates, ~0.41 for 500. The sign codes are derived from the
stored 8-bit codes, so a loaded index recomputes exactly the codes it was built with and only
the faiss file is saved.

The signs rank neighbours coarsely; the re-rank depth (``K_FACTOR``, set by ``VectorIndex`` by
size) is what buys recall@10 against exact search (``bench/bench_vectors.py --binary``: 0.984
at 128k and 250k texts). The scan's time grows with the count: at a million texts HNSW-SQ8
reaches the same recall sooner (1.21 against 1.30 ms a query), so ``SCAN_MAX`` stops it at 250k.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
BLOCK = 2048  # texts scanned per pass of one query (their distances stay in the L1 cache)
K_FACTOR = 25  # texts re-ranked per result asked for (VectorIndex sets it by size)
SAMPLE_STRIDE = 16  # one block in this many gives a query its cut
SAMPLE_MARGIN = 2  # the cut lets about this many times the texts wanted through
_DECODE_ROWS = 65_536  # 8-bit codes turned into signs at a time (bounded memory at a million)


@intrinsic
def _popcount(typingctx: Any, value: Any) -> Any:  # noqa: ARG001 - numba's signature
    """The number of set bits of a uint64 (LLVM's ``ctpop``, vectorised where the CPU can)."""
    signature = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:  # noqa: ARG001
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, args)

    return signature, codegen


_jit = njit(nogil=True, cache=True)


@njit(nogil=True, cache=True, inline="always")
def _bits(value):  # type: ignore[no-untyped-def]
    """``_popcount`` as a compiled function (the intrinsic's typing context is numba's)."""
    return _popcount(value)  # type: ignore[call-arg]


@_jit
def _distances(words, start, stop, query, dist):  # type: ignore[no-untyped-def]
    """Hamming distances of texts [start, stop) to ``query`` into ``dist`` (word-major codes:
    ``words[w, text]``, so each pass over one word is a vectorised stream)."""
    m = stop - start
    for i in range(m):
        dist[i] = 0
    for w in range(words.shape[0]):
        q = query[w]
        row = words[w, start:stop]
        for i in range(m):
            dist[i] += np.int32(_bits(row[i] ^ q))


@_jit
def _distances_512(words, start, stop, first, second, dist, dist2):  # type: ignore[no-untyped-def]
    """``_distances`` of two queries at once for 512-bit codes (eight words): each text's
    words are loaded once and both sums stay in registers (~1.8x faster than two passes of
    ``_distances`` at 128k texts)."""
    w0, w1, w2, w3 = (
        words[0, start:stop],
        words[1, start:stop],
        words[2, start:stop],
        words[3, start:stop],
    )
    w4, w5, w6, w7 = (
        words[4, start:stop],
        words[5, start:stop],
        words[6, start:stop],
        words[7, start:stop],
    )
    q0, q1, q2, q3, q4, q5, q6, q7 = (
        first[0],
        first[1],
        first[2],
        first[3],
        first[4],
        first[5],
        first[6],
        first[7],
    )
    r0, r1, r2, r3, r4, r5, r6, r7 = (
        second[0],
        second[1],
        second[2],
        second[3],
        second[4],
        second[5],
        second[6],
        second[7],
    )
    for i in range(stop - start):
        a0, a1, a2, a3, a4, a5, a6, a7 = w0[i], w1[i], w2[i], w3[i], w4[i], w5[i], w6[i], w7[i]
        dist[i] = np.int32(
            _bits(a0 ^ q0)
            + _bits(a1 ^ q1)
            + _bits(a2 ^ q2)
            + _bits(a3 ^ q3)
            + _bits(a4 ^ q4)
            + _bits(a5 ^ q5)
            + _bits(a6 ^ q6)
            + _bits(a7 ^ q7)
        )
        dist2[i] = np.int32(
            _bits(a0 ^ r0)
            + _bits(a1 ^ r1)
            + _bits(a2 ^ r2)
            + _bits(a3 ^ r3)
            + _bits(a4 ^ r4)
            + _bits(a5 ^ r5)
            + _bits(a6 ^ r6)
            + _bits(a7 ^ r7)
        )


@_jit
def _keep_closest(rows, dist, fill, keep):  # type: ignore[no-untyped-def]
    """Compact ``rows[:fill]``/``dist[:fill]`` to the entries at most the ``keep``-th smallest
    distance (ties kept); returns (new fill, that distance)."""
    top = 0
    for j in range(fill):
        top = max(top, dist[j])
    counts = np.zeros((top >> 3) + 1, dtype=np.int64)  # distances in steps of 8 bits first
    for j in range(fill):
        counts[dist[j] >> 3] += 1
    acc, coarse = 0, 0
    while acc + counts[coarse] < keep:
        acc += counts[coarse]
        coarse += 1
    fine = np.zeros(8, dtype=np.int64)
    for j in range(fill):
        if dist[j] >> 3 == coarse:
            fine[dist[j] & 7] += 1
    cut = 0
    while acc + fine[cut] < keep:
        acc += fine[cut]
        cut += 1
    limit = (coarse << 3) + cut
    kept = 0
    for j in range(fill):
        if dist[j] <= limit:
            rows[kept] = rows[j]
            dist[kept] = dist[j]
            kept += 1
    return kept, limit


@_jit
def _collect(dist, m, limit, base, rows, dists, fill):  # type: ignore[no-untyped-def]
    """Append the texts of ``dist[:m]`` (rows from ``base``) at most ``limit`` away; returns
    the new fill. Sixteen distances are checked at once (a vectorised minimum) and only a group
    holding a hit is looked at one by one: few texts pass, so most groups are skipped."""
    f = fill
    for g in range(0, m - 15, 16):
        low = dist[g]
        for i in range(g + 1, g + 16):
            low = min(low, dist[i])
        if low <= limit:
            for i in range(g, g + 16):
                if dist[i] <= limit:
                    rows[f] = base + i
                    dists[f] = dist[i]
                    f += 1
    for i in range(m - m % 16, m):
        if dist[i] <= limit:
            rows[f] = base + i
            dists[f] = dist[i]
            f += 1
    return f


@_jit
def _sample_cut(words, count, query, keep, dist):  # type: ignore[no-untyped-def]
    """A distance that about ``SAMPLE_MARGIN * keep`` of the ``count`` texts are within,
    estimated from every ``SAMPLE_STRIDE``-th block of texts."""
    counts = np.zeros(words.shape[0] * 64 + 1, dtype=np.int64)
    seen = 0
    for start in range(0, count, BLOCK * SAMPLE_STRIDE):
        stop = min(count, start + BLOCK)
        _distances(words, start, stop, query, dist)
        for i in range(stop - start):
            counts[dist[i]] += 1
        seen += stop - start
    want = SAMPLE_MARGIN * keep * seen / count
    acc = 0
    for d in range(counts.size):
        acc += counts[d]
        if acc >= want:
            return d
    return counts.size - 1


@_jit
def _gather(dist, start, stop, qi, cut, rows, dists, fill, keep, cap):  # type: ignore[no-untyped-def]
    """Collect query ``qi``'s texts of the block [start, stop) within its cut."""
    f = _collect(dist, stop - start, cut[qi], start, rows[qi], dists[qi], fill[qi])
    if f > cap - BLOCK - 1:  # the sample misled the cut: tighten it now
        f, cut[qi] = _keep_closest(rows[qi], dists[qi], f, keep)
    fill[qi] = f


@_jit
def hamming_closest(words, count, queries, keep):  # type: ignore[no-untyped-def]
    """Per query (rows of ``queries``, words as in ``words``), the texts among the first
    ``count`` whose Hamming distance is at most the ``keep``-th smallest (ties kept, so at least
    ``keep`` of them when there are that many): an (n_queries, capacity) array of rows, -1 after
    each query's last.

    A sample of the texts gives each query a cut that about ``SAMPLE_MARGIN * keep`` texts are
    within; one scan collects them (blocks of ``BLOCK`` texts, every query in turn per block, so
    a block's codes are read from memory once for all), and they are cut back to the ``keep``
    closest. A query whose cut let fewer than ``keep`` through is scanned again with no cut.
    """
    nq = queries.shape[0]
    keep = min(keep, count)
    if keep <= 0:
        return np.full((nq, 1), -1, dtype=np.int64)
    dist = np.empty(BLOCK, dtype=np.int32)
    cut = np.empty(nq, dtype=np.int32)
    for qi in range(nq):
        cut[qi] = _sample_cut(words, count, queries[qi], keep, dist)
    cap = 4 * SAMPLE_MARGIN * keep + BLOCK + 1
    rows = np.empty((nq, cap), dtype=np.int64)
    dists = np.empty((nq, cap), dtype=np.int32)
    fill = np.zeros(nq, dtype=np.int64)
    dist2 = np.empty(BLOCK, dtype=np.int32)
    paired = words.shape[0] == 8  # 512-bit codes: two queries a pass
    for start in range(0, count, BLOCK):
        stop = min(count, start + BLOCK)
        qi = 0
        while qi < nq:
            if paired and qi + 1 < nq:
                _distances_512(words, start, stop, queries[qi], queries[qi + 1], dist, dist2)
                _gather(dist, start, stop, qi, cut, rows, dists, fill, keep, cap)
                _gather(dist2, start, stop, qi + 1, cut, rows, dists, fill, keep, cap)
                qi += 2
            else:
                _distances(words, start, stop, queries[qi], dist)
                _gather(dist, start, stop, qi, cut, rows, dists, fill, keep, cap)
                qi += 1
    for qi in range(nq):
        if fill[qi] < keep:  # the cut was too tight for this query: collect every text
            fill[qi] = 0
            for start in range(0, count, BLOCK):
                stop = min(count, start + BLOCK)
                _distances(words, start, stop, queries[qi], dist)
                f = _collect(dist, stop - start, 1 << 30, start, rows[qi], dists[qi], fill[qi])
                if f > cap - BLOCK - 1:
                    f, _ = _keep_closest(rows[qi], dists[qi], f, keep)
                fill[qi] = f
        if fill[qi] > keep:
            fill[qi], _ = _keep_closest(rows[qi], dists[qi], fill[qi], keep)
        rows[qi, fill[qi] :] = -1
    return rows


@njit(nogil=True, cache=True, fastmath=True)
def sq8_rerank(codes, found, weights, offsets, k):  # type: ignore[no-untyped-def]
    """Per query, the ``k`` rows of ``found`` (-1 ends a query's rows) with the highest
    ``codes[row] @ weights[query] + offsets[query]`` (the cosine from 8-bit codes), best first,
    and those cosines; rows -1 and cosines -inf where fewer were found."""
    nq, cap = found.shape
    dim = weights.shape[1]
    out_rows = np.full((nq, k), -1, dtype=np.int64)
    out_sims = np.full((nq, k), -np.inf, dtype=np.float32)
    gathered = np.empty((cap, dim), dtype=np.uint8)
    sims = np.empty(cap, dtype=np.float32)
    for qi in range(nq):
        m = 0
        while m < cap and found[qi, m] >= 0:
            m += 1
        for i in range(m):  # the scattered reads first, so their cache misses overlap
            row = found[qi, i]
            for j in range(dim):
                gathered[i, j] = codes[row, j]
        for i in range(m):
            total = np.float32(0.0)
            for j in range(dim):
                total += np.float32(gathered[i, j]) * weights[qi, j]
            sims[i] = total + offsets[qi]
        order = np.argsort(-sims[:m], kind="mergesort")[:k]
        for r in range(order.size):
            out_rows[qi, r] = found[qi, order[r]]
            out_sims[qi, r] = sims[order[r]]
    return out_rows, out_sims


class BinaryScanIndex:
    """Sign bits scanned, 8-bit codes re-ranked: the faiss calls ``VectorIndex`` makes
    (``ntotal``, ``add``, ``search``) over an ``IndexScalarQuantizer`` it wraps."""

    def __init__(self, codes8: Any, k_factor: float = K_FACTOR) -> None:
        self.codes8 = codes8  # faiss IndexScalarQuantizer, 8-bit, inner product
        self.k_factor = float(k_factor)
        self._words: U64 = np.zeros(((int(codes8.d) + 63) // 64, 0), dtype=np.uint64)
        self._count = 0
        self._sign_from(0)

    @classmethod
    def trained(cls, sample: F32) -> BinaryScanIndex:
        """An empty index whose 8-bit quantiser is trained on ``sample``."""
        codes8 = faiss.IndexScalarQuantizer(
            sample.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        codes8.train(np.ascontiguousarray(sample, dtype=np.float32))
        return cls(codes8)

    @property
    def ntotal(self) -> int:
        """Texts held."""
        return int(self.codes8.ntotal)

    @property
    def d(self) -> int:
        """Vector width."""
        return int(self.codes8.d)

    def _codes(self) -> npt.NDArray[np.uint8]:
        n = self.ntotal
        codes: npt.NDArray[np.uint8] = faiss.rev_swig_ptr(self.codes8.codes.data(), n * self.d)
        return codes.reshape(n, self.d)

    def _trained(self) -> tuple[F32, F32]:
        """Per-dimension minimum and step of the 8-bit codes (value = min + (code + 0.5) *
        step)."""
        trained = faiss.vector_to_array(self.codes8.sq.trained).astype(np.float32)
        return trained[: self.d], trained[self.d :] / np.float32(255.0)

    def _sign_from(self, first: int) -> None:
        """Sign codes of the texts from ``first`` on, from their stored 8-bit codes."""
        n = self.ntotal
        if n > self._words.shape[1]:
            grown = np.zeros((self._words.shape[0], max(n, 2 * self._words.shape[1])), np.uint64)
            grown[:, : self._count] = self._words[:, : self._count]
            self._words = grown
        if n <= first:
            self._count = n
            return
        vmin, step = self._trained()
        # stored value vmin + (code + 0.5) * step > 0  <=>  code > -vmin / step - 0.5 (a
        # dimension with one value, step 0, has that value's sign throughout)
        flat = step <= 0
        threshold = np.where(
            flat,
            np.where(vmin > 0, np.float32(-1.0), np.float32(256.0)),
            -vmin / np.where(flat, np.float32(1.0), step) - np.float32(0.5),
        ).astype(np.float32)
        codes = self._codes()
        for start in range(first, n, _DECODE_ROWS):
            stop = min(n, start + _DECODE_ROWS)
            self._words[:, start:stop] = self._pack(codes[start:stop] > threshold).T
        self._count = n

    def _pack(self, signs: npt.NDArray[np.bool_]) -> U64:
        """Rows of sign bits as 64-bit words (padded with zero bits, which never differ)."""
        width = self._words.shape[0] * 64
        padded = np.zeros((signs.shape[0], width), dtype=np.bool_)
        padded[:, : signs.shape[1]] = signs
        words: U64 = np.packbits(padded, axis=1, bitorder="little").view(np.uint64)
        return np.ascontiguousarray(words)

    def add(self, vectors: F32) -> None:
        """Append texts (8-bit codes, then their signs)."""
        first = self.ntotal
        self.codes8.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._sign_from(first)

    def search(self, queries: F32, k: int) -> tuple[F32, I64]:
        """Cosines and rows of each query's top ``k`` (faiss's order of results)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        keep = max(k, int(np.ceil(k * self.k_factor)))
        found = hamming_closest(self._words, self._count, self._pack(queries > 0), keep)
        vmin, step = self._trained()
        weights = np.ascontiguousarray(queries * step, dtype=np.float32)
        offsets = (queries @ (vmin + np.float32(0.5) * step)).astype(np.float32)
        rows, sims = sq8_rerank(self._codes(), found, weights, offsets, k)
        return sims, rows
