"""Compiled inner loops of the lexical layers and candidate features (numba): one call per
query and layer.

The per-query work of BM25, MinHash LSH, exact containment and the candidates' features is a
few hundred small array operations; as numpy calls each costs microseconds of dispatch, which
was most of a post's time. These kernels do the same arithmetic in one compiled pass each and are
checked against the plain formulas in the tests. They release the GIL (``nogil``) and allocate
their own working arrays, so threads can match at once. ``warmup`` compiles them ahead of use.

Integer arithmetic is done in uint64 with explicit constants (numba turns a mix of signed and
unsigned operands into floats), so hashes wrap exactly like numpy's.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_SHIFT32 = np.uint64(32)
_LOW16 = np.uint64(0xFFFF)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT31 = np.uint64(31)
_SHIFT29 = np.uint64(29)

_jit = njit(nogil=True, cache=True)


@_jit
def shingle_hashes(codes, k, weights):  # type: ignore[no-untyped-def]
    """Sorted distinct ids of the ``k``-shingles of ``codes`` (code points, uint64); a text
    shorter than ``k`` is one shingle (its length mixed in), an empty one has none."""
    n = codes.size
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    if n <= k:
        h = np.uint64(0)
        for j in range(n):
            h += codes[j] * weights[j]
        out = np.empty(1, dtype=np.uint64)
        out[0] = h + np.uint64(n)
    else:
        m = n - k + 1
        out = np.empty(m, dtype=np.uint64)
        for s in range(m):
            h = np.uint64(0)
            for j in range(k):
                h += codes[s + j] * weights[j]
            out[s] = h
    for i in range(out.size):
        h = out[i]
        h ^= h >> _SHIFT31
        h *= _MIX
        h ^= h >> _SHIFT29
        out[i] = h
    out.sort()
    keep = 1
    for i in range(1, out.size):
        if out[i] != out[keep - 1]:
            out[keep] = out[i]
            keep += 1
    return out[:keep].copy()


@_jit
def minhash_signature(ids, a, b):  # type: ignore[no-untyped-def]
    """Per hash function j, the low 16 bits of min over ids of (id * a[j] + b[j]) >> 32."""
    num_perm = a.size
    out = np.empty(num_perm, dtype=np.uint16)
    for j in range(num_perm):
        best = _U64_MAX
        aj, bj = a[j], b[j]
        for i in range(ids.size):
            h = (ids[i] * aj + bj) >> _SHIFT32
            if h < best:
                best = h
        out[j] = np.uint16(best & _LOW16)
    return out


@_jit
def band_keys(signature, mix, salt):  # type: ignore[no-untyped-def]
    """32-bit bucket key per band: (sum of the band's values times ``mix``) xor ``salt``, high
    half."""
    bands, rows = mix.shape
    out = np.empty(bands, dtype=np.uint32)
    for band in range(bands):
        total = np.uint64(0)
        for r in range(rows):
            total += np.uint64(signature[band * rows + r]) * mix[band, r]
        out[band] = np.uint32((total ^ salt[band]) >> _SHIFT32)
    return out


@_jit
def _bucket_range(sorted_keys, directory, shift, key):  # type: ignore[no-untyped-def]
    """[lo, hi) of ``key`` in ``sorted_keys`` through the directory over the top bits."""
    slot = np.int64(np.uint64(key) >> shift)
    lo, hi = np.int64(directory[slot]), np.int64(directory[slot + 1])
    run = sorted_keys[lo:hi]  # a slot holds few distinct keys, but one may repeat many times
    return lo + np.searchsorted(run, key, side="left"), lo + np.searchsorted(run, key, side="right")


@_jit
def bucket_rows(sorted_keys, rows, directory, shift, query_keys, max_per_key):  # type: ignore[no-untyped-def]
    """Rows stored under any of ``query_keys`` in a sorted multi-map with a top-bits directory
    (``HashBuckets``): at most ``max_per_key`` each, in key order; may repeat."""
    lo = np.empty(query_keys.size, dtype=np.int64)
    hi = np.empty(query_keys.size, dtype=np.int64)
    total = 0
    for i in range(query_keys.size):
        lo[i], hi[i] = _bucket_range(sorted_keys, directory, shift, query_keys[i])
        hi[i] = min(hi[i], lo[i] + max_per_key)
        total += hi[i] - lo[i]
    out = np.empty(total, dtype=np.uint32)
    at = 0
    for i in range(query_keys.size):
        for p in range(lo[i], hi[i]):
            out[at] = rows[p]
            at += 1
    return out


@_jit
def bucket_contains(sorted_keys, directory, shift, query_keys):  # type: ignore[no-untyped-def]
    """Which of ``query_keys`` are stored."""
    out = np.zeros(query_keys.size, dtype=np.bool_)
    for i in range(query_keys.size):
        lo, hi = _bucket_range(sorted_keys, directory, shift, query_keys[i])
        out[i] = hi > lo
    return out


@_jit
def radix_order(keys):  # type: ignore[no-untyped-def]
    """A stable permutation sorting non-negative integer ``keys`` (LSD radix, 11 bits a pass).

    The few thousand (document, value) pairs of one query sort in cache this way; summing them
    into a library-sized dense array instead costs a cache miss per posting at a million claims.
    """
    n = keys.size
    order = np.arange(n)
    if n < 2:
        return order
    top = 0
    for i in range(n):
        if keys[i] > top:
            top = keys[i]
    scratch = np.empty(n, dtype=np.int64)
    counts = np.empty(2049, dtype=np.int64)
    shift = 0
    while shift == 0 or (top >> shift) > 0:
        counts[:] = 0
        for i in range(n):
            counts[((keys[order[i]] >> shift) & 2047) + 1] += 1
        for b in range(2048):
            counts[b + 1] += counts[b]
        for i in range(n):
            d = (keys[order[i]] >> shift) & 2047
            scratch[counts[d]] = order[i]
            counts[d] += 1
        order, scratch = scratch, order
        shift += 11
    return order


@_jit
def _agreement(signatures, row, signature):  # type: ignore[no-untyped-def]
    """The number of positions where stored signature ``row`` equals ``signature``."""
    equal = 0
    for j in range(signature.size):
        if signatures[row, j] == signature[j]:
            equal += 1
    return equal


@_jit
def lsh_verify(hits, signatures, signature, min_jaccard, many):  # type: ignore[no-untyped-def]
    """Distinct rows among band ``hits`` (rows colliding on two or more bands only when more
    than ``many`` collide) whose share of equal signature positions reaches ``min_jaccard``."""
    if hits.size == 0:
        return np.empty(0, dtype=np.int64)
    ordered = hits[radix_order(hits)]
    distinct = np.empty(ordered.size, dtype=np.int64)
    shared = np.empty(ordered.size, dtype=np.int64)
    n = 0
    for i in range(ordered.size):
        if n and ordered[i] == distinct[n - 1]:
            shared[n - 1] += 1
        else:
            distinct[n] = ordered[i]
            shared[n] = 1
            n += 1
    need = 2 if n > many else 1
    num_perm = signature.size
    out = np.empty(n, dtype=np.int64)
    kept = 0
    for i in range(n):
        if shared[i] < need:
            continue
        row = distinct[i]
        if np.float32(_agreement(signatures, row, signature) / num_perm) >= min_jaccard:
            out[kept] = row
            kept += 1
    return out[:kept].copy()


@_jit
def signature_agreement(signatures, rows, signature):  # type: ignore[no-untyped-def]
    """Per row, the number of signature positions equal to ``signature``'s."""
    out = np.empty(rows.size, dtype=np.int64)
    for i in range(rows.size):
        out[i] = _agreement(signatures, rows[i], signature)
    return out


@_jit
def _kth_largest(values, kth):  # type: ignore[no-untyped-def]
    """The value of rank ``kth`` (0 = largest) of ``values`` (quickselect on a copy)."""
    a = values.copy()
    lo, hi = 0, a.size - 1
    while lo < hi:
        pivot = a[(lo + hi) >> 1]
        i, j = lo, hi
        while i <= j:
            while a[i] > pivot:
                i += 1
            while a[j] < pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if kth <= j:
            hi = j
        elif kth >= i:
            lo = i
        else:
            return a[kth]
    return a[kth]


@_jit
def _top_positions(values, keep):  # type: ignore[no-untyped-def]
    """Positions of the ``keep`` largest ``values`` (more than ``keep`` of them), in position
    order; ties at the cut are taken first come."""
    floor = _kth_largest(values, keep - 1)
    out = np.empty(keep, dtype=np.int64)
    m = 0
    for i in range(values.size):
        if values[i] > floor:
            out[m] = i
            m += 1
    for i in range(values.size):
        if m == keep:
            break
        if values[i] == floor:
            out[m] = i
            m += 1
    out[:m].sort()
    return out[:m]


@_jit
def _sum_by_key(keys, values):  # type: ignore[no-untyped-def]
    """Distinct ``keys`` (ascending) and the sum of ``values`` for each."""
    order = radix_order(keys)
    distinct = np.empty(keys.size, dtype=np.int64)
    sums = np.zeros(keys.size, dtype=np.float64)
    n = 0
    for i in range(order.size):
        key = keys[order[i]]
        if n == 0 or distinct[n - 1] != key:
            distinct[n] = key
            n += 1
        sums[n - 1] += values[order[i]]
    return distinct[:n], sums[:n]


@_jit
def _token_filter(tokens):  # type: ignore[no-untyped-def]
    """A 4,096-bit filter of ``tokens`` (bit ``t % 4096``): it rules out most non-query entries
    of a document with one lookup in a table that stays in L1."""
    bits = np.zeros(64, dtype=np.uint64)
    for j in range(tokens.size):
        t = tokens[j] & 4095
        bits[t >> 6] |= np.uint64(1) << np.uint64(t & 63)
    return bits


@_jit
def _query_sum(fwd_tokens, fwd_weights, start, stop, tokens, filt, weights, scored):  # type: ignore[no-untyped-def]
    """Sum over a document's forward entries [start, stop) that are query ``tokens`` of the query
    weight, times the entry's score when ``scored`` (``filt`` = ``_token_filter(tokens)``).

    Entry q's token is ``fwd_tokens[2q]`` and its score ``fwd_weights[2q + 1]``: two views of
    one interleaved buffer, so a document's entries share cache lines."""
    total = 0.0
    for q in range(start, stop):
        t = np.int64(fwd_tokens[2 * q])
        low = t & 4095
        if not (filt[low >> 6] >> np.uint64(low & 63)) & np.uint64(1):
            continue
        for j in range(tokens.size):
            if tokens[j] == t:
                if scored:
                    total += np.float64(np.float32(weights[j] * fwd_weights[2 * q + 1]))
                else:
                    total += weights[j]
                break
    return total


@_jit
def bm25_top(  # type: ignore[no-untyped-def]
    tokens,
    times,
    indptr,
    indices,
    data,
    impact_pos,
    impact_docs,
    impact_scores,
    impact_limit,
    fwd_ptr,
    fwd_tokens,
    fwd_scores,
    dead,
    any_dead,
    k,
    rescore,
):
    """Top-``k`` main-index documents for query ``tokens`` (ascending, distinct, each counted
    ``times``) and their exact BM25 scores, best first.

    A long posting (``impact_pos >= 0``) contributes only its ``impact_limit`` best documents,
    and then the best ``rescore`` candidates are re-scored exactly, best partial sum first and
    only while one could still enter the top ``k``, from the forward index
    (``fwd_ptr``/``fwd_tokens``/``fwd_scores``: each document's tokens, ascending, and scores,
    interleaved as in ``_query_sum``).
    Documents flagged in ``dead`` are dropped (checked only when ``any_dead``).
    """
    total = 0
    cut = False
    for j in range(tokens.size):
        t = tokens[j]
        if impact_pos[t] >= 0:
            total += impact_limit
            cut = True
        else:
            total += indptr[t + 1] - indptr[t]
    keys = np.empty(total, dtype=np.int64)
    values = np.empty(total, dtype=np.float64)
    n = 0
    slack = 0.0
    for j in range(tokens.size):
        t = tokens[j]
        w = np.float64(times[j])
        p = impact_pos[t]
        if p >= 0:
            floor = np.inf
            for q in range(p, p + impact_limit):
                keys[n] = impact_docs[q]
                values[n] = np.float64(impact_scores[q]) * w
                floor = min(floor, values[n])
                n += 1
            slack += floor  # the most a document missing from this cut list can lack
        else:
            for q in range(indptr[t], indptr[t + 1]):
                keys[n] = indices[q]
                values[n] = np.float64(data[q]) * w
                n += 1
    docs, scores = _sum_by_key(keys, values)
    if any_dead:
        live = np.empty(docs.size, dtype=np.bool_)
        for i in range(docs.size):
            live[i] = not dead[docs[i]]
        docs, scores = docs[live], scores[live]
    if cut:
        keep = max(rescore, k)
        if docs.size > keep:
            best = _top_positions(scores, keep)
            docs, scores = docs[best], scores[best]
        order = np.argsort(-scores)
        docs, approx = docs[order], scores[order]
        weights = times.astype(np.float32)
        filt = _token_filter(tokens)
        scores = np.empty(docs.size, dtype=np.float64)
        done = docs.size
        for i in range(docs.size):
            # in order of the partial sums, which the true score exceeds by at most ``slack``:
            # once k true scores beat the next partial sum plus slack, no later one can rank
            if i >= k and i % 8 == 0 and _kth_largest(scores[:i], k - 1) >= approx[i] + slack:
                done = i
                break
            d = docs[i]
            scores[i] = _query_sum(
                fwd_tokens, fwd_scores, fwd_ptr[d], fwd_ptr[d + 1], tokens, filt, weights, True
            )
        docs, scores = docs[:done], scores[:done]
    if docs.size > k:
        best = _top_positions(scores, k)
        docs, scores = docs[best], scores[best]
    order = np.argsort(-scores)
    return docs[order].copy(), scores[order].astype(np.float32)


@_jit
def shared_counts(rows, main_pos, main_dead, main_sizes, fwd_ptr, fwd_tokens, tokens):  # type: ignore[no-untyped-def]
    """Per document row, how many of the distinct query ``tokens`` it holds and how many
    distinct tokens it has, from the forward index (-1, -1 for a row outside the main index,
    which the caller counts itself; 0, 0 for a removed one)."""
    n = rows.size
    shared = np.zeros(n, dtype=np.float64)
    own = np.zeros(n, dtype=np.float64)
    filt = _token_filter(tokens)
    ones = np.ones(tokens.size, dtype=np.float32)
    for i in range(n):
        row = rows[i]
        pos = main_pos[row] if row < main_pos.size else -1
        if pos < 0:
            shared[i], own[i] = -1.0, -1.0
        elif not main_dead[pos]:
            own[i] = main_sizes[pos]
            if tokens.size:
                shared[i] = _query_sum(
                    fwd_tokens,
                    fwd_tokens,
                    fwd_ptr[pos],
                    fwd_ptr[pos + 1],
                    tokens,
                    filt,
                    ones,
                    False,
                )
    return shared, own


@_jit
def anchor_candidates(  # type: ignore[no-untyped-def]
    codes, weights, lengths, sorted_keys, rows, directory, shift, max_per_key
):
    """(row, start) pairs of claim texts whose anchor hash equals a window of the post, by row
    then start: the places where a stored text may occur verbatim (the caller verifies).

    ``codes`` are the post's code points; a window of length L starting at s hashes to
    (sum_j codes[s + j] * weights[j]) xor L, the anchor of a claim text of that anchor length.
    """
    n = codes.size
    found_rows = []
    found_starts = []
    for li in range(lengths.size):
        length = lengths[li]
        for s in range(n - length + 1):
            h = np.uint64(0)
            for j in range(length):
                h += codes[s + j] * weights[j]
            h ^= np.uint64(length)
            lo, hi = _bucket_range(sorted_keys, directory, shift, h)
            for p in range(lo, min(hi, lo + max_per_key)):
                found_rows.append(np.int64(rows[p]))
                found_starts.append(np.int64(s))
    out_rows = np.array(found_rows, dtype=np.int64) if found_rows else np.empty(0, np.int64)
    out_starts = np.array(found_starts, dtype=np.int64) if found_starts else np.empty(0, np.int64)
    order = np.argsort(out_rows * (n + 1) + out_starts)
    return out_rows[order].copy(), out_starts[order].copy()


@_jit
def _best_estimate(signatures, sizes, text_row, qsig, qsize):  # type: ignore[no-untyped-def]
    """MinHash Jaccard estimate of one stored text against the query, and the containment of
    the text in the query derived from it (as ``minhash.containment``, in float32)."""
    jac = np.float32(_agreement(signatures, text_row, qsig) / qsig.size)
    size = np.float32(sizes[text_row])
    inter = jac * (size + np.float32(qsize)) / (np.float32(1.0) + jac)
    cont = min(max(inter / max(size, np.float32(1.0)), np.float32(0.0)), np.float32(1.0))
    return jac, cont


@_jit
def lexical_features(  # type: ignore[no-untyped-def]
    rows,
    claim_texts,
    signatures,
    sizes,
    qsig,
    qsize,
    pinyin_of,
    py_signatures,
    py_sizes,
    py_qsig,
    py_qsize,
):
    """The per-candidate text facts the features need, for candidate claim ``rows``.

    Returns the text rows of the candidates (each claim's contiguous texts, concatenated),
    per candidate its number of texts and first text's length, and the best MinHash Jaccard,
    containment and pinyin Jaccard over its texts (0 when the query has no such signature:
    ``qsize``/``py_qsize`` 0).
    """
    n = rows.size
    count = np.empty(n, dtype=np.int64)
    first_len = np.empty(n, dtype=np.int64)
    total = 0
    for i in range(n):
        count[i] = claim_texts[rows[i], 1]
        first_len[i] = claim_texts[rows[i], 2]
        total += count[i]
    trows = np.empty(total, dtype=np.int64)
    jac = np.zeros(n, dtype=np.float32)
    cont = np.zeros(n, dtype=np.float32)
    py_jac = np.zeros(n, dtype=np.float32)
    at = 0
    for i in range(n):
        first = claim_texts[rows[i], 0]
        for t in range(first, first + count[i]):
            trows[at] = t
            at += 1
            if qsize:
                j, c = _best_estimate(signatures, sizes, t, qsig, qsize)
                jac[i] = max(jac[i], j)
                cont[i] = max(cont[i], c)
            if py_qsize and pinyin_of[t] >= 0:
                j, _ = _best_estimate(py_signatures, py_sizes, pinyin_of[t], py_qsig, py_qsize)
                py_jac[i] = max(py_jac[i], j)
    return trows, count, first_len, jac, cont, py_jac
