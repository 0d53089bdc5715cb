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
    """Distinct ids of the ``k``-shingles of ``codes`` (code points), in order of first
    occurrence; a text shorter than ``k`` is one shingle (its length mixed in), an empty one
    has none. Their consumers need the set only (a MinHash minimum and its size), so repeats
    are dropped through a small hash set rather than a sort (a third of the cost)."""
    n = codes.size
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    if n <= k:
        h = np.uint64(0)
        for j in range(n):
            h += np.uint64(codes[j]) * weights[j]
        out = np.empty(1, dtype=np.uint64)
        out[0] = h + np.uint64(n)
    else:
        m = n - k + 1
        out = np.empty(m, dtype=np.uint64)
        for s in range(m):
            h = np.uint64(0)
            for j in range(k):
                h += np.uint64(codes[s + j]) * weights[j]
            out[s] = h
    for i in range(out.size):
        h = out[i]
        h ^= h >> _SHIFT31
        h *= _MIX
        h ^= h >> _SHIFT29
        out[i] = h
    first, _ = _count_distinct(out)
    return out[first]


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
def key_filter(sorted_keys, bits):  # type: ignore[no-untyped-def]
    """A one-hash filter of ``2**bits`` bits over ``sorted_keys``: a probe for an absent key
    usually stops at one bit (in cache) instead of reading the directory and a run of keys."""
    words = np.zeros(max(1, (1 << bits) >> 6), dtype=np.uint64)
    shift = np.uint64(64 - bits)
    for i in range(sorted_keys.size):
        b = (np.uint64(sorted_keys[i]) * _MIX) >> shift
        words[b >> np.uint64(6)] |= np.uint64(1) << (b & np.uint64(63))
    return words


@_jit
def _bucket_ranges(sorted_keys, directory, shift, filt, filt_shift, keys):  # type: ignore[no-untyped-def]
    """[lo, hi) of each of ``keys`` in ``sorted_keys``, through the filter (``key_filter``) and
    the directory over the top bits (lo == hi: absent).

    Done level by level over all keys (filter bits, then directory slots of the keys that
    passed, then the runs of keys): each level's reads are independent of one another, so their
    cache misses overlap, where probing key by key waits for each level in turn.
    """
    n = keys.size
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    passed = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        b = (np.uint64(keys[i]) * _MIX) >> filt_shift
        if (filt[b >> np.uint64(6)] >> (b & np.uint64(63))) & np.uint64(1):
            passed[m] = i
            m += 1
    for p in range(m):
        i = passed[p]
        slot = np.int64(np.uint64(keys[i]) >> shift)
        lo[i], hi[i] = directory[slot], directory[slot + 1]
    for p in range(m):
        i = passed[p]
        run = sorted_keys[lo[i] : hi[i]]  # a slot holds few distinct keys, one maybe many times
        first = lo[i]
        lo[i] = first + np.searchsorted(run, keys[i], side="left")
        hi[i] = first + np.searchsorted(run, keys[i], side="right")
    return lo, hi


@_jit
def bucket_rows(  # type: ignore[no-untyped-def]
    sorted_keys, rows, directory, shift, filt, filt_shift, query_keys, max_per_key, skip_crowded
):
    """Rows stored under any of ``query_keys`` in a sorted multi-map with a top-bits directory
    (``HashBuckets``), in key order, may repeat: at most ``max_per_key`` each, or, with
    ``skip_crowded``, none of a key holding more."""
    lo, hi = _bucket_ranges(sorted_keys, directory, shift, filt, filt_shift, query_keys)
    total = 0
    for i in range(query_keys.size):
        if hi[i] - lo[i] > max_per_key:
            hi[i] = lo[i] if skip_crowded else lo[i] + max_per_key
        total += hi[i] - lo[i]
    out = np.empty(total, dtype=np.uint32)
    at = 0
    for i in range(query_keys.size):
        for p in range(lo[i], hi[i]):
            out[at] = rows[p]
            at += 1
    return out


@_jit
def bucket_contains(sorted_keys, directory, shift, filt, filt_shift, query_keys):  # type: ignore[no-untyped-def]
    """Which of ``query_keys`` are stored."""
    lo, hi = _bucket_ranges(sorted_keys, directory, shift, filt, filt_shift, query_keys)
    return hi > lo


@_jit
def run_lengths(ordered):  # type: ignore[no-untyped-def]
    """The distinct values of a sorted array and how many times each occurs."""
    distinct = np.empty(ordered.size, dtype=np.int64)
    counts = np.empty(ordered.size, dtype=np.int64)
    n = 0
    for i in range(ordered.size):
        if n and ordered[i] == distinct[n - 1]:
            counts[n - 1] += 1
        else:
            distinct[n] = ordered[i]
            counts[n] = 1
            n += 1
    return distinct[:n].copy(), counts[:n].copy()


@_jit
def gather_rows(matrix, rows):  # type: ignore[no-untyped-def]
    """``matrix[rows]`` copied element by element into a new contiguous array.

    Reading many scattered rows is bound by memory latency: in this tight loop the rows' loads
    are independent, so their cache misses overlap, where a loop that compares each row as it
    reads it waits for one row's miss before the next (440 signature rows of a 1M library:
    ~14 against ~40 µs). Numba's row slice assignment costs a view per row, hence the loop.
    """
    m = rows.size
    width = matrix.shape[1]
    out = np.empty((m, width), dtype=matrix.dtype)
    for i in range(m):
        r = rows[i]
        for j in range(width):
            out[i, j] = matrix[r, j]
    return out


@_jit
def lsh_verify(hits, signatures, signature, min_jaccard, many):  # type: ignore[no-untyped-def]
    """Distinct rows among band ``hits`` (rows colliding on two or more bands only when more
    than ``many`` collide) whose share of equal signature positions reaches ``min_jaccard``,
    ascending."""
    if hits.size == 0:
        return np.empty(0, dtype=np.int64)
    first, shared = _count_distinct(hits)
    distinct = hits[first]
    n = distinct.size
    need = 2 if n > many else 1
    num_perm = signature.size
    rows = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if shared[i] >= need:
            rows[m] = distinct[i]
            m += 1
    stored = gather_rows(signatures, rows[:m])  # the scattered reads first, overlapped
    out = np.empty(m, dtype=np.int64)
    kept = 0
    for i in range(m):
        equal = 0
        for j in range(num_perm):
            equal += stored[i, j] == signature[j]
        if np.float32(equal / num_perm) >= min_jaccard:
            out[kept] = rows[i]
            kept += 1
    out = out[:kept].copy()
    out.sort()  # the few rows kept, ascending
    return out


@_jit
def _count_distinct(values):  # type: ignore[no-untyped-def]
    """Where each distinct value of the integer array ``values`` first occurs (positions,
    ascending) and how often each occurs, counted in a small hash table: deduplicating a
    query's ~450 LSH band hits or ~130 shingle ids this way takes a third of a sort's time."""
    bits = 4
    while (1 << bits) < 2 * values.size:
        bits += 1
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    slot_of = np.full(1 << bits, -1, dtype=np.int64)  # slot -> index into ``first``
    first = np.empty(values.size, dtype=np.int64)
    counts = np.zeros(values.size, dtype=np.int64)
    n = 0
    for i in range(values.size):
        v = values[i]
        slot = np.int64((np.uint64(v) * _MIX) >> shift)
        while slot_of[slot] >= 0 and values[first[slot_of[slot]]] != v:
            slot = (slot + 1) & mask
        if slot_of[slot] < 0:
            slot_of[slot] = n
            first[n] = i
            n += 1
        counts[slot_of[slot]] += 1
    return first[:n], counts[:n]


@_jit
def lsh_near(  # type: ignore[no-untyped-def]
    signature,
    mix,
    salt,
    sorted_keys,
    rows,
    directory,
    shift,
    filt,
    filt_shift,
    max_per_key,
    skip_crowded,
    signatures,
    min_jaccard,
    many,
):
    """``lsh_verify`` of ``bucket_rows`` of ``band_keys``: a query signature's verified LSH
    rows in one call (for an index whose buckets hold no live additions)."""
    keys = band_keys(signature, mix, salt)
    hits = bucket_rows(
        sorted_keys, rows, directory, shift, filt, filt_shift, keys, max_per_key, skip_crowded
    )
    return lsh_verify(hits, signatures, signature, min_jaccard, many)


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
    order; ties at the cut are taken first come.

    Values are counted into 1,024 bins between their minimum and maximum; bins above the one
    holding the cut are taken whole, and only that bin is ranked exactly (a quickselect over all
    values mispredicts a branch at every other comparison).
    """
    n = values.size
    lo, hi = values[0], values[0]
    for i in range(n):
        lo = min(lo, values[i])
        hi = max(hi, values[i])
    nbins = 1024
    scale = (nbins - 1) / (hi - lo) if hi > lo else 0.0
    bins = np.empty(n, dtype=np.int64)
    counts = np.zeros(nbins, dtype=np.int64)
    for i in range(n):
        b = np.int64((values[i] - lo) * scale)
        bins[i] = b
        counts[b] += 1
    cut = nbins - 1
    above = 0
    while above + counts[cut] < keep:
        above += counts[cut]
        cut -= 1
    out = np.empty(keep, dtype=np.int64)
    m = 0
    in_cut = np.empty(counts[cut], dtype=np.int64)
    c = 0
    for i in range(n):
        if bins[i] > cut:
            out[m] = i
            m += 1
        elif bins[i] == cut:
            in_cut[c] = i
            c += 1
    need = keep - m
    floor = _kth_largest(values[in_cut], need - 1)
    for j in range(c):
        if values[in_cut[j]] > floor:
            out[m] = in_cut[j]
            m += 1
    for j in range(c):
        if m == keep:
            break
        if values[in_cut[j]] == floor:
            out[m] = in_cut[j]
            m += 1
    out[:m].sort()
    return out[:m]


@_jit
def _token_slots(tokens):  # type: ignore[no-untyped-def]
    """A 4,096-entry table over ``tokens`` (ascending, distinct) by ``t % 4096``: the position of
    the one query token in that slot, -1 for none, -2 for several. It rules out most non-query
    entries of a document with one lookup in a table that stays in L1, and finds the token of
    the others without scanning the query."""
    slots = np.full(4096, -1, dtype=np.int16)
    for j in range(tokens.size):
        low = tokens[j] & 4095
        slots[low] = j if slots[low] == -1 else -2
    return slots


@_jit
def _entry_slot(t, tokens, slots):  # type: ignore[no-untyped-def]
    """The position of token ``t`` among the query ``tokens`` (``slots`` =
    ``_token_slots(tokens)``), -1 when it is not a query token."""
    j = int(slots[t & 4095])
    if j == -1:
        return -1
    if j == -2:  # two query tokens share the slot: look for it
        for c in range(tokens.size):
            if tokens[c] == t:
                return c
        return -1
    return j if tokens[j] == t else -1


@_jit
def _entry_value(t, score, tokens, slots, weights, scored):  # type: ignore[no-untyped-def]
    """What one forward entry (token ``t``, BM25 ``score``) adds to ``_query_sum``: the query
    weight of its token, times the score when ``scored``; 0 for a token not in the query."""
    j = _entry_slot(t, tokens, slots)
    if j < 0:
        return 0.0
    if scored:
        return np.float64(np.float32(weights[j] * score))
    return np.float64(weights[j])


@_jit
def _query_sum(fwd_tokens, fwd_weights, start, stop, tokens, slots, weights, scored, total):  # type: ignore[no-untyped-def]
    """``total`` plus, over a document's forward entries [start, stop), ``_entry_value`` of each
    (``slots`` = ``_token_slots(tokens)``).

    Entry q's token is ``fwd_tokens[2q]`` and its score ``fwd_weights[2q + 1]``: two views of
    one interleaved buffer, so a document's entries share cache lines."""
    for q in range(start, stop):
        total += _entry_value(
            np.int64(fwd_tokens[2 * q]), fwd_weights[2 * q + 1], tokens, slots, weights, scored
        )
    return total


@_jit
def _first_entries(fwd_tokens, starts, stops):  # type: ignore[no-untyped-def]
    """The token of each document's first forward entry (0 for an empty range), read in one
    tight loop: the documents' cache misses overlap here, and the scoring loop that follows,
    which starts at each range's second entry, finds their first lines in cache."""
    out = np.zeros(starts.size, dtype=np.int64)
    for i in range(starts.size):
        if stops[i] > starts[i]:
            out[i] = fwd_tokens[2 * starts[i]]
    return out


@_jit
def _document_sum(fwd_tokens, fwd_weights, start, stop, first, tokens, slots, weights, scored):  # type: ignore[no-untyped-def]
    """``_query_sum`` over [start, stop) given the range's first token ``first``
    (``_first_entries``): the same additions in the same order."""
    if stop <= start:
        return 0.0
    total = _entry_value(first, fwd_weights[2 * start + 1], tokens, slots, weights, scored)
    return _query_sum(
        fwd_tokens, fwd_weights, start + 1, stop, tokens, slots, weights, scored, total
    )


@_jit
def _document_score(fwd_tokens, fwd_weights, start, stop, first, tokens, slots, weights):  # type: ignore[no-untyped-def]
    """``_document_sum`` (scored) of a document, with how many distinct query ``tokens`` it
    holds (a document's forward entries are distinct tokens): the same additions in the same
    order, so the same score to the last bit."""
    total = 0.0
    count = 0
    for q in range(start, stop):
        t = first if q == start else np.int64(fwd_tokens[2 * q])
        j = _entry_slot(t, tokens, slots)
        if j >= 0:
            total += np.float64(np.float32(weights[j] * fwd_weights[2 * q + 1]))
            count += 1
    return total, count


@_jit
def _min_heap_push(heap, size, value):  # type: ignore[no-untyped-def]
    """Push ``value`` onto the min-heap ``heap[:size]``; returns the new size."""
    i = size
    heap[i] = value
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent
    return size + 1


@_jit
def _min_heap_replace(heap, size, value):  # type: ignore[no-untyped-def]
    """Replace the smallest entry of the min-heap ``heap[:size]`` with ``value``."""
    heap[0] = value
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child


@_jit
def query_terms(ids):  # type: ignore[no-untyped-def]
    """Distinct token ``ids`` (ascending) and how often each occurs in the query."""
    return run_lengths(np.sort(ids))


@_jit
def bm25_top(  # type: ignore[no-untyped-def]
    ids,
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
    """Top-``k`` main-index documents for the query token ``ids`` (a token repeated in the
    query counts each time) and their exact BM25 scores, best first.

    Postings are summed per document in a small open-addressing table (it stays in cache; a
    library-sized array would cost a cache miss per posting). A long posting
    (``impact_pos >= 0``) contributes only its ``impact_limit`` best documents, so a document
    missing from such a cut list may lack up to that list's lowest kept score: its *bound* is its
    partial sum plus those lowest scores of the cut lists it is missing from. Of the ``rescore``
    documents with the highest partial sums, those found in every cut list have their exact
    score already; the others are re-scored exactly from the forward index
    (``fwd_ptr``/``fwd_tokens``/``fwd_scores``: each document's tokens, ascending, and scores,
    interleaved as in ``_query_sum``), highest bound first, and only while a bound can still beat
    the k-th exact score: the result is the exact top-``k`` of those ``rescore`` documents.
    Documents flagged in ``dead`` are dropped (checked only when ``any_dead``).

    Also returns, per document returned, how many distinct query tokens it holds and how many
    distinct tokens it has (``shared_counts``'s figures, which the features need): a document
    whose every posting was read counts its postings, a re-scored one its forward entries.
    """
    tokens, times = query_terms(ids)
    weights = times.astype(np.float32)
    total = 0
    n_cut = 0
    for j in range(tokens.size):
        t = tokens[j]
        if impact_pos[t] >= 0:
            total += impact_limit
            n_cut += 1
        else:
            total += indptr[t + 1] - indptr[t]
    bits = 10
    while (1 << bits) < 2 * total:
        bits += 1
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    table = np.full(1 << bits, -1, dtype=np.int64)  # slot -> document << 32 | entry
    docs = np.empty(total, dtype=np.int64)
    sums = np.zeros(total, dtype=np.float64)
    covered = np.zeros(total, dtype=np.float64)  # lowest kept scores of the cut lists it is in
    found = np.zeros(total, dtype=np.int32)  # number of cut lists it is in
    hits = np.zeros(total, dtype=np.int32)  # number of posting lists it is in
    n = 0
    slack = 0.0
    for j in range(tokens.size):
        t = tokens[j]
        w = weights[j]
        p = impact_pos[t]
        cut = p >= 0
        if cut:
            lo, hi = p, p + impact_limit
            floor = np.inf
            for q in range(lo, hi):
                floor = min(floor, np.float64(np.float32(w * impact_scores[q])))
            slack += floor
        else:
            lo, hi = indptr[t], indptr[t + 1]
            floor = 0.0
        for q in range(lo, hi):
            if cut:
                d = np.int64(impact_docs[q])
                value = np.float64(np.float32(w * impact_scores[q]))
            else:
                d = np.int64(indices[q])
                value = np.float64(np.float32(w * data[q]))
            s = np.int64((np.uint64(d) * _MIX) >> shift)
            while True:
                v = table[s]  # the document is in the slot: one read per probe
                if v < 0:
                    table[s] = (d << 32) | n
                    docs[n] = d
                    e = n
                    n += 1
                    break
                if (v >> 32) == d:
                    e = v & 0xFFFFFFFF
                    break
                s = (s + 1) & mask
            sums[e] += value
            hits[e] += 1
            if cut:
                covered[e] += floor
                found[e] += 1
    docs, sums, covered, found, hits = docs[:n], sums[:n], covered[:n], found[:n], hits[:n]
    if any_dead:
        live = np.empty(n, dtype=np.bool_)
        for i in range(n):
            live[i] = not dead[docs[i]]
        docs, sums, covered, found = docs[live], sums[live], covered[live], found[live]
        hits = hits[live]
    if n_cut:
        keep = max(rescore, k)
        if docs.size > keep:
            # the strongest partial sums: a bound ranks a document seen in few lists too high
            best = _top_positions(sums, keep)
            docs, sums, covered, found = docs[best], sums[best], covered[best], found[best]
            hits = hits[best]
        bound = sums + (slack - covered)
        order = np.argsort(-bound)
        starts = np.empty(order.size, dtype=np.int64)
        stops = np.empty(order.size, dtype=np.int64)
        for i in range(order.size):
            d = docs[order[i]]
            starts[i], stops[i] = fwd_ptr[d], fwd_ptr[d + 1]
        # independent reads of every candidate's first entry: their cache misses overlap here
        # instead of stalling the re-scoring loop one by one
        first = _first_entries(fwd_tokens, starts, stops)
        slots = _token_slots(tokens)
        heap = np.empty(k, dtype=np.float64)
        size = 0
        scores = np.empty(order.size, dtype=np.float64)
        shared = np.empty(order.size, dtype=np.int32)
        done = order.size
        for i in range(order.size):
            o = order[i]
            if size == k and heap[0] >= bound[o]:
                done = i  # no later document can beat the k-th exact score
                break
            if found[o] == n_cut:
                score = sums[o]  # in every cut list: the partial sum is the whole score
                shared[i] = hits[o]
            else:
                score, shared[i] = _document_score(
                    fwd_tokens,
                    fwd_scores,
                    starts[i],
                    stops[i],
                    first[i],
                    tokens,
                    slots,
                    weights,
                )
            scores[i] = score
            if size < k:
                size = _min_heap_push(heap, size, score)
            elif score > heap[0]:
                _min_heap_replace(heap, size, score)
        docs, sums, hits = docs[order[:done]], scores[:done], shared[:done]
    if docs.size > k:
        best = _top_positions(sums, k)
        docs, sums, hits = docs[best], sums[best], hits[best]
    order = np.argsort(-sums, kind="mergesort")
    docs = docs[order]
    own = np.empty(docs.size, dtype=np.int64)
    for i in range(docs.size):
        own[i] = fwd_ptr[docs[i] + 1] - fwd_ptr[docs[i]]
    return docs, sums[order].astype(np.float32), hits[order].astype(np.int64), own


@_jit
def shared_counts(  # type: ignore[no-untyped-def]
    rows,
    main_pos,
    main_dead,
    main_sizes,
    fwd_ptr,
    fwd_tokens,
    query_ids,
    known_rows,
    known_shared,
    known_own,
):
    """Per document row, how many of the distinct query ``tokens`` it holds and how many
    distinct tokens it has, from the forward index (-1, -1 for a row outside the main index,
    which the caller counts itself; 0, 0 for a removed one), and how many rows are outside.
    ``query_ids`` may repeat a token: each distinct one counts once. Rows in ``known_rows``
    take ``known_shared``/``known_own`` as they are (what ``bm25_top`` counted for its
    documents; -1 where it could not), and only the others are read."""
    n = rows.size
    shared = np.zeros(n, dtype=np.float64)
    own = np.zeros(n, dtype=np.float64)
    outside = 0
    todo = np.ones(n, dtype=np.bool_)
    left = n
    # each row looked up by binary search among the known rows, sorted
    known_order = np.argsort(known_rows)
    known_sorted = known_rows[known_order]
    for i in range(n):
        p = np.searchsorted(known_sorted, rows[i])
        if p < known_sorted.size and known_sorted[p] == rows[i]:
            j = known_order[p]
            if known_own[j] >= 0:
                shared[i], own[i] = known_shared[j], known_own[j]
                todo[i] = False
                left -= 1
    if left == 0:  # every row known: no query table to build
        return shared, own, outside
    tokens, _ = query_terms(query_ids)
    slots = _token_slots(tokens)
    ones = np.ones(tokens.size, dtype=np.float32)
    # gathered level by level (positions, then ranges), so the cache misses of different rows
    # overlap instead of each row waiting for its own three in turn
    pos = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if todo[i] and rows[i] < main_pos.size:
            pos[i] = main_pos[rows[i]]
    starts = np.zeros(n, dtype=np.int64)
    stops = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if pos[i] >= 0:
            starts[i], stops[i] = fwd_ptr[pos[i]], fwd_ptr[pos[i] + 1]
    first = _first_entries(fwd_tokens, starts, stops)
    for i in range(n):
        if not todo[i]:
            continue
        if pos[i] < 0:
            shared[i], own[i] = -1.0, -1.0
            outside += 1
        elif not main_dead[pos[i]]:
            own[i] = main_sizes[pos[i]]
            if tokens.size:
                shared[i] = _document_sum(
                    fwd_tokens,
                    fwd_tokens,
                    starts[i],
                    stops[i],
                    first[i],
                    tokens,
                    slots,
                    ones,
                    False,
                )
    return shared, own, outside


@_jit
def best_first(scores, raw, k):  # type: ignore[no-untyped-def]
    """Positions of the ``k`` best candidates, best first: by ``scores`` descending, then
    ``raw`` descending, then position (``np.lexsort((-raw, -scores))[:k]``, without sorting
    every candidate: each is inserted into the k kept so far). Neither array holds NaN."""
    n = scores.size
    k = min(k, n)
    out = np.empty(k, dtype=np.int64)
    kept = 0
    for i in range(n):
        s, r = scores[i], raw[i]
        # position among the kept: after every kept one that is at least as good
        j = kept
        while j > 0 and (
            scores[out[j - 1]] < s or (scores[out[j - 1]] == s and raw[out[j - 1]] < r)
        ):
            j -= 1
        if j >= k:
            continue
        last = kept if kept < k else k - 1
        for m in range(last, j, -1):
            out[m] = out[m - 1]
        out[j] = i
        if kept < k:
            kept += 1
    return out


@_jit
def sorted_union(a, b, c):  # type: ignore[no-untyped-def]
    """The distinct values of three integer arrays, ascending (one query's candidate rows from
    its BM25, vector and LSH hits: ``np.unique`` of their concatenation in one call)."""
    merged = np.empty(a.size + b.size + c.size, dtype=np.int64)
    merged[: a.size] = a
    merged[a.size : a.size + b.size] = b
    merged[a.size + b.size :] = c
    distinct, _ = run_lengths(np.sort(merged))
    return distinct


@_jit
def anchor_candidates(  # type: ignore[no-untyped-def]
    codes, weights, lengths, sorted_keys, rows, directory, shift, filt, filt_shift, max_per_key
):
    """(row, start) pairs of claim texts whose anchor hash equals a window of the post, by row
    then start: the places where a stored text may occur verbatim (the caller verifies).

    ``codes`` are the post's code points; a window of length L starting at s hashes to
    (sum_j codes[s + j] * weights[j]) xor L, the anchor of a claim text of that anchor length.
    Every window is hashed first and all are probed together (``_bucket_ranges``).
    """
    n = codes.size
    windows = 0
    for li in range(lengths.size):
        windows += max(0, n - lengths[li] + 1)
    keys = np.empty(windows, dtype=np.uint64)
    starts = np.empty(windows, dtype=np.int64)
    w = 0
    for li in range(lengths.size):
        length = lengths[li]
        for s in range(n - length + 1):
            h = np.uint64(0)
            for j in range(length):
                h += codes[s + j] * weights[j]
            keys[w] = h ^ np.uint64(length)
            starts[w] = s
            w += 1
    lo, hi = _bucket_ranges(sorted_keys, directory, shift, filt, filt_shift, keys)
    total = 0
    for i in range(windows):
        total += min(hi[i] - lo[i], max_per_key)
    out_rows = np.empty(total, dtype=np.int64)
    out_starts = np.empty(total, dtype=np.int64)
    at = 0
    for i in range(windows):
        for p in range(lo[i], min(hi[i], lo[i] + max_per_key)):
            out_rows[at] = rows[p]
            out_starts[at] = starts[i]
            at += 1
    order = np.argsort(out_rows * (n + 1) + out_starts)
    return out_rows[order].copy(), out_starts[order].copy()


@_jit
def _estimate(stored, qsig, size, qsize):  # type: ignore[no-untyped-def]
    """MinHash Jaccard estimate of a stored text (its signature ``stored``, its shingle count
    ``size``) against the query (the share of equal signature positions), and the containment
    of the text in the query derived from it: the intersection is J(|A| + |B|) / (1 + J), over
    the text's size, clipped to [0, 1]."""
    equal = 0
    for j in range(qsig.size):
        equal += stored[j] == qsig[j]
    jac = np.float32(equal / qsig.size)
    size = np.float32(size)
    inter = jac * (size + np.float32(qsize)) / (np.float32(1.0) + jac)
    cont = min(max(inter / max(size, np.float32(1.0)), np.float32(0.0)), np.float32(1.0))
    return jac, cont


@_jit
def _gather_sizes(sizes, rows):  # type: ignore[no-untyped-def]
    """``sizes[rows]`` (a tight loop of independent reads, like ``gather_rows``)."""
    out = np.empty(rows.size, dtype=np.int64)
    for i in range(rows.size):
        out[i] = sizes[rows[i]]
    return out


@_jit
def minhash_estimates(signatures, sizes, rows, qsig, qsize):  # type: ignore[no-untyped-def]
    """``_estimate`` for each of ``rows``: Jaccard and containment arrays (float32)."""
    stored = gather_rows(signatures, rows)
    stored_sizes = _gather_sizes(sizes, rows)
    jac = np.empty(rows.size, dtype=np.float32)
    cont = np.empty(rows.size, dtype=np.float32)
    for i in range(rows.size):
        jac[i], cont[i] = _estimate(stored[i], qsig, stored_sizes[i], qsize)
    return jac, cont


# columns of the per-candidate evidence matrix ``lexical_features`` returns ("seen")
SEEN_RANK, SEEN_NORM, SEEN_JAC, SEEN_CONT, SEEN_PY_JAC, SEEN_LSH, SEEN_COS, SEEN_IN_COS = range(8)
SEEN_NORM4, SEEN_CONT4 = 8, 9  # bm25_norm and containment as shown: ``round4``
SEEN_WIDTH = 10


@_jit
def round4(value):  # type: ignore[no-untyped-def]
    """``round(value, 4)`` exactly as Python computes it, or NaN where that is not told
    cheaply (the caller rounds those few in Python).

    Python rounds the exact binary value to 4 decimals, half to even, and returns the float
    nearest that decimal. ``value * 10000`` is within half an ulp of the exact product, so
    unless its fraction is within 1e-6 of one half the decimal is ``floor`` or ``floor + 1``
    of it, and dividing that integer by 10000 (both exact) rounds correctly to the same float.
    Evidence shows two rounded figures a candidate; Python's ``round`` takes ~0.5 µs each.
    """
    y = value * 10000.0
    if not abs(y) < 1e12:  # NaN, infinities, and values too large for the argument
        return np.nan
    f = np.floor(y)
    d = y - f
    if abs(d - 0.5) < 1e-6:
        return np.nan
    r = f + 1.0 if d > 0.5 else f
    if r == 0.0:
        return np.copysign(0.0, value)  # round(-0.00001, 4) is -0.0
    return r / 10000.0


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
    bm25_rows,
    bm25_scores,
    lsh_rows,
    shared,
    own,
    query_tokens,
    query_len,
    min_chars,
    cols,
    width,
):
    """The lexical features of candidate claim ``rows`` (ascending), in one pass.

    Fills, per candidate, the columns ``cols`` of a float32 matrix ``width`` wide: bm25_norm,
    bm25_rank, bm25_log (from ``bm25_rows``/``bm25_scores``, best first), jac, cont, py_jac (best
    MinHash estimates over the claim's texts, 0 when the query has no such signature:
    ``qsize``/``py_qsize`` 0), tok_cov, tok_qcov (``shared`` distinct query tokens a claim holds,
    over its ``own`` distinct tokens / the ``query_tokens`` distinct query tokens:
    ``BM25Index.shared_tokens``), len_ratio and short; the formulas are ``features.candidates``'s.

    Also returns the candidates' text rows (each claim's contiguous texts, concatenated), per
    candidate its number of texts, and what the layers saw of each candidate for its evidence, as
    one float64 matrix (columns ``SEEN_*``: BM25 rank, -1 for none; bm25_norm; the three
    estimates; 1 if the LSH layer found it; the cosine columns are left 0 for the caller).
    """
    n = rows.size
    x = np.zeros((n, width), dtype=np.float32)
    c_norm, c_rank, c_log, c_jac, c_cont = cols[0], cols[1], cols[2], cols[3], cols[4]
    c_py, c_cov, c_qcov, c_len, c_short = cols[5], cols[6], cols[7], cols[8], cols[9]
    count = np.empty(n, dtype=np.int64)
    first_len = np.empty(n, dtype=np.int64)
    total = 0
    for i in range(n):
        count[i] = claim_texts[rows[i], 1]
        first_len[i] = claim_texts[rows[i], 2]
        total += count[i]
    trows = np.empty(total, dtype=np.int64)
    at = 0
    for i in range(n):
        first = claim_texts[rows[i], 0]
        for t in range(first, first + count[i]):
            trows[at] = t
            at += 1
    # the candidates' scattered signatures are read in tight loops first (``gather_rows``)
    stored = gather_rows(signatures, trows[: total if qsize else 0])
    stored_sizes = _gather_sizes(sizes, trows[: total if qsize else 0])
    py_rows = np.full(total, -1, dtype=np.int64)
    py_stored = gather_rows(py_signatures, py_rows[:0])
    py_stored_sizes = _gather_sizes(py_sizes, py_rows[:0])
    if py_qsize:
        for k in range(total):
            py_rows[k] = pinyin_of[trows[k]]
        present = py_rows[py_rows >= 0]
        py_stored = gather_rows(py_signatures, present)
        py_stored_sizes = _gather_sizes(py_sizes, present)
    jac = np.zeros(n, dtype=np.float32)
    cont = np.zeros(n, dtype=np.float32)
    py_jac = np.zeros(n, dtype=np.float32)
    seen = np.zeros((n, SEEN_WIDTH), dtype=np.float64)
    at = 0
    py_at = 0
    for i in range(n):
        for _ in range(count[i]):
            if qsize:
                j, c = _estimate(stored[at], qsig, stored_sizes[at], qsize)
                jac[i] = max(jac[i], j)
                cont[i] = max(cont[i], c)
            if py_qsize and py_rows[at] >= 0:
                j, _ = _estimate(py_stored[py_at], py_qsig, py_stored_sizes[py_at], py_qsize)
                py_jac[i] = max(py_jac[i], j)
                py_at += 1
            at += 1
        if qsize:
            x[i, c_jac] = jac[i]
            x[i, c_cont] = cont[i]
        if py_qsize:
            x[i, c_py] = py_jac[i]
        seen[i, SEEN_RANK] = -1.0
        seen[i, SEEN_JAC] = jac[i]
        seen[i, SEEN_CONT] = cont[i]
        seen[i, SEEN_CONT4] = round4(np.float64(cont[i]))
        seen[i, SEEN_PY_JAC] = py_jac[i]
    top = np.float64(bm25_scores[0]) if bm25_scores.size else 0.0
    for r in range(bm25_rows.size):
        i = np.searchsorted(rows, bm25_rows[r])
        score = np.float64(bm25_scores[r])
        x[i, c_norm] = score / top if top else 0.0
        x[i, c_rank] = 1.0 / (1.0 + r)
        x[i, c_log] = np.log1p(score)
        seen[i, SEEN_RANK] = r
        seen[i, SEEN_NORM] = x[i, c_norm]
        seen[i, SEEN_NORM4] = round4(np.float64(x[i, c_norm]))
    for r in range(lsh_rows.size):
        seen[np.searchsorted(rows, lsh_rows[r]), SEEN_LSH] = 1.0
    short = 1.0 if query_len < min_chars else 0.0
    for i in range(n):
        if own[i] > 0 and query_tokens > 0:
            x[i, c_cov] = shared[i] / own[i]
            x[i, c_qcov] = shared[i] / query_tokens
        length = first_len[i] if count[i] > 0 else 1
        ratio = np.log((query_len + 1) / (length + 1))
        x[i, c_len] = min(max(ratio, -3.0), 3.0)
        x[i, c_short] = short
    return x, trows, count, seen


@_jit
def live_owners(text_rows, text_owner, alive):  # type: ignore[no-untyped-def]
    """The distinct live claim rows owning ``text_rows``, ascending."""
    owners = np.empty(text_rows.size, dtype=np.int64)
    n = 0
    for i in range(text_rows.size):
        owner = text_owner[text_rows[i]]
        if alive[owner]:
            owners[n] = owner
            n += 1
    owners = np.sort(owners[:n])
    keep = 0
    for i in range(n):
        if keep == 0 or owners[i] != owners[keep - 1]:
            owners[keep] = owners[i]
            keep += 1
    return owners[:keep].copy()


@njit(nogil=True, cache=True, fastmath=True)
def sq8_dot(codes, rows, weights, offset):  # type: ignore[no-untyped-def]
    """Per row, ``codes[row] @ weights + offset`` in float32 (8-bit codes, no decoded copy of
    the candidates' vectors; ``fastmath`` lets the sum be vectorised, so it may differ from
    BLAS's in the last bits).

    The rows are copied out first, in a tight loop whose cache misses overlap (a post's ~180
    candidate texts are scattered over the codes), then summed from that copy: the same sums,
    ~10 µs a post faster at 100k texts than summing each row as it is read.
    """
    m = rows.size
    dim = weights.size
    gathered = np.empty((m, dim), dtype=np.uint8)
    for i in range(m):
        row = rows[i]
        for j in range(dim):
            gathered[i, j] = codes[row, j]
    out = np.empty(m, dtype=np.float32)
    for i in range(m):
        total = np.float32(0.0)
        for j in range(dim):
            total += np.float32(gathered[i, j]) * weights[j]
        out[i] = total + offset
    return out


@_jit
def semantic_features(x, sims, count, cols, bm25_col):  # type: ignore[no-untyped-def]
    """Fill the cosine columns of the candidates' feature matrix ``x`` in place and return the
    best cosine per candidate.

    ``sims`` are the cosines of the candidates' text rows (each claim's ``count`` texts in
    turn); ``cols`` = cos, cos_rank, cos_gap, cos_x_bm25, cos_sq, cos_first, cos_mean, as
    ``features.candidates`` defines them (a claim without texts, or none above -1, has cos 0).
    """
    n = count.size
    best = np.zeros(n, dtype=np.float32)
    at = 0
    for i in range(n):
        if count[i] == 0:
            continue
        top = sims[at]
        total = 0.0
        for t in range(at, at + count[i]):
            top = max(top, sims[t])
            total += np.float64(sims[t])
        best[i] = top if top > -1.0 else np.float32(0.0)
        x[i, cols[5]] = sims[at]
        x[i, cols[6]] = total / count[i]
        at += count[i]
    ordered = np.sort(best)
    highest = np.float64(ordered[n - 1]) if n else 0.0
    for i in range(n):
        higher = n - np.searchsorted(ordered, best[i], side="right")
        x[i, cols[0]] = best[i]
        x[i, cols[1]] = 1.0 / (1.0 + higher)
        x[i, cols[2]] = np.float64(best[i]) - highest
        x[i, cols[3]] = best[i] * x[i, bm25_col]
        x[i, cols[4]] = np.float64(best[i]) ** 2
    return best


_DIGEST_MUL = np.uint64(0xD6E8FEB86659FD93)
_DIGEST_SEED = np.uint64(0x243F6A8885A308D3)


@_jit
def _span_digest(codes, start, end):  # type: ignore[no-untyped-def]
    """A 64-bit digest of ``codes[start:end]`` (multiply-xorshift per code point, length mixed
    in, final avalanche): two different spans agree by chance about once in 2^64."""
    h = _DIGEST_SEED ^ np.uint64(end - start)
    for i in range(start, end):
        h = (h ^ codes[i]) * _DIGEST_MUL
        h ^= h >> _SHIFT32
    h ^= h >> _SHIFT29
    h *= _MIX
    h ^= h >> _SHIFT32
    return h


@_jit
def span_digests(codes, starts, ends):  # type: ignore[no-untyped-def]
    """``_span_digest`` of each span [starts[i], ends[i])."""
    assert starts.size == ends.size  # noqa: S101 - numba does not check bounds
    out = np.empty(starts.size, dtype=np.uint64)
    for i in range(starts.size):
        out[i] = _span_digest(codes, starts[i], ends[i])
    return out


@_jit
def verify_spans(codes, rows, starts, sizes, digests):  # type: ignore[no-untyped-def]
    """The anchor hits (``rows``/``starts``, by row then start) whose span of the stored text's
    length has the stored digest: per row its first such start, with the span's end."""
    n = codes.size
    out_rows = np.empty(rows.size, dtype=np.int64)
    out_starts = np.empty(rows.size, dtype=np.int64)
    out_ends = np.empty(rows.size, dtype=np.int64)
    m = 0
    for i in range(rows.size):
        row = rows[i]
        if m and out_rows[m - 1] == row:
            continue  # the text was found at an earlier start
        end = starts[i] + sizes[row]
        if end <= n and _span_digest(codes, starts[i], end) == digests[row]:
            out_rows[m], out_starts[m], out_ends[m] = row, starts[i], end
            m += 1
    return out_rows[:m].copy(), out_starts[:m].copy(), out_ends[:m].copy()
