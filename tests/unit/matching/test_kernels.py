"""The compiled kernels agree with the plain formulas they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rumordesk.matching import kernels
from rumordesk.matching.bm25 import BM25Index
from rumordesk.matching.buckets import HashBuckets
from rumordesk.matching.minhash import _SHINGLE_WEIGHTS, MinHashIndex, shingle_ids
from rumordesk.matching.rules import ExactIndex


def _reference_shingles(text: str, k: int) -> np.ndarray:
    compact = text.replace(" ", "")
    if not compact:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = codes.size
    with np.errstate(over="ignore"):
        if n <= k:
            h = (codes * _SHINGLE_WEIGHTS[:n]).sum(dtype=np.uint64, keepdims=True) + np.uint64(n)
        else:
            h = codes[: n - k + 1] * _SHINGLE_WEIGHTS[0]
            for j in range(1, k):
                h += codes[j : n - k + 1 + j] * _SHINGLE_WEIGHTS[j]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    return np.unique(h)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(min_value=1, max_value=5))
def test_shingle_ids_equal_the_vectorised_formula(text: str, k: int) -> None:
    ids = shingle_ids(text, k)
    assert np.unique(ids).size == ids.size  # distinct, in order of first occurrence
    assert np.array_equal(np.sort(ids), _reference_shingles(text, k))


def test_signature_and_band_keys_equal_the_vectorised_formula() -> None:
    index = MinHashIndex(num_perm=64, bands=32)
    rng = np.random.default_rng(1)
    for size in (1, 2, 17, 300):
        ids = rng.integers(0, 2**63, size=size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            hashed = (ids[:, None] * index._a[None, :] + index._b[None, :]) >> np.uint64(32)
        expected = (hashed.min(axis=0) & np.uint64(0xFFFF)).astype(np.uint16)
        signature = index.signature(ids)
        assert np.array_equal(signature, expected)
        bulk = index.band_keys(signature[None])[0]  # the numpy path used by bulk builds
        assert np.array_equal(kernels.band_keys(signature, index._mix, index._salt), bulk)


def test_gather_rows_copies_the_rows_numpy_indexing_picks() -> None:
    rng = np.random.default_rng(2)
    matrix = rng.integers(0, 65535, size=(5000, 64)).astype(np.uint16)
    for count in (0, 1, 440):
        rows = rng.integers(0, 5000, size=count).astype(np.int64)
        got = kernels.gather_rows(matrix, rows)
        assert got.shape == (count, 64)
        assert np.array_equal(got, matrix[rows])


def test_kth_largest_and_top_positions() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 50, size=500).astype(np.float64)  # many ties
    ranked = np.sort(values)[::-1]
    for kth in (0, 1, 99, 499):
        assert kernels._kth_largest(values, kth) == ranked[kth]
    top = kernels._top_positions(values, 100)
    assert top.size == 100 and np.all(np.diff(top) > 0)
    assert np.array_equal(np.sort(values[top])[::-1], ranked[:100])


def test_buckets_directory_lookup_matches_a_dict_of_lists() -> None:
    rng = np.random.default_rng(4)
    for key_bits in (32, 64):
        dtype = np.uint32 if key_bits == 32 else np.uint64
        keys = rng.integers(0, 2**key_bits - 1, size=400, dtype=dtype)
        keys = np.concatenate([keys, np.repeat(keys[:5], 30)])  # some long runs
        rows = np.arange(keys.size, dtype=np.uint32)
        buckets = HashBuckets(max_per_key=20, key_bits=key_bits)
        buckets.bulk_load(keys, rows)
        truth: dict[int, list[int]] = {}
        for key, row in zip(keys.tolist(), rows.tolist(), strict=True):
            truth.setdefault(key, []).append(row)
        probes = np.concatenate([keys[::7], rng.integers(0, 2**key_bits - 1, 50, dtype=dtype)])
        got = buckets.lookup(probes)
        expected = [r for k in probes.tolist() for r in truth.get(k, [])[:20]]
        assert got.tolist() == expected
        assert buckets.contains(probes).tolist() == [k in truth for k in probes.tolist()]


def test_lsh_verify_keeps_rows_reaching_the_jaccard_floor() -> None:
    rng = np.random.default_rng(5)
    signatures = rng.integers(0, 4, size=(300, 64)).astype(np.uint16)
    query = signatures[0].copy()
    hits = rng.integers(0, 300, size=2000).astype(np.uint32)
    for many in (10_000, 100):
        got = kernels.lsh_verify(hits, signatures, query, np.float32(0.3), many)
        rows, shared = np.unique(hits, return_counts=True)
        if rows.size > many:
            rows = rows[shared >= 2]
        jac = ((signatures[rows] == query).sum(axis=1) / 64).astype(np.float32)
        assert got.tolist() == rows[jac >= np.float32(0.3)].tolist()


def test_bm25_top_without_cut_postings_is_the_exhaustive_top_k() -> None:
    rng = np.random.default_rng(6)
    words = [f"w{i}" for i in range(300)]
    docs = [[str(w) for w in rng.choice(words, size=rng.integers(1, 8))] for _ in range(400)]
    index = BM25Index()
    index.build(docs)
    assert (index._impact_pos < 0).all(), "no posting is long enough to be cut"
    main = index._main
    assert main is not None
    for _ in range(30):
        query = [str(w) for w in rng.choice(words, size=3)]
        full = main.get_scores_from_ids(main.get_tokens_ids(query))
        _, scores = index.search(query, k=10)
        expected = np.sort(full)[::-1][:10]
        assert np.allclose(scores, expected[expected > 0], atol=1e-5)


def test_exact_index_finds_texts_added_live_and_at_build() -> None:
    index = ExactIndex()
    index.build(["the moon landing was staged", "short one", "水是剧毒的化学物质不要喝"])
    index.add("five g towers spread the virus")
    post = "they say five g towers spread the virus and the moon landing was staged"
    hits = {(h.item, h.start, h.end) for h in index.find(post)}
    assert hits == {(3, 9, 39), (0, 44, 71)}
    assert [(h.item, h.start) for h in index.find("注意：水是剧毒的化学物质不要喝！")] == [(2, 3)]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=60), st.text(max_size=20), st.text(max_size=20))
def test_span_digests_depend_only_on_the_span(text: str, before: str, after: str) -> None:
    """A text's digest equals that of the same characters inside a longer post, and a
    one-character change changes it (the verification of exact hits rests on both)."""
    post = before + text + after
    codes = np.frombuffer(post.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    alone = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    start, end = len(before), len(before) + len(text)
    inside = kernels.span_digests(codes.astype(np.uint64), np.array([start]), np.array([end]))
    own = kernels.span_digests(alone.astype(np.uint64), np.array([0]), np.array([len(text)]))
    assert inside[0] == own[0]
    changed = alone.astype(np.uint64).copy()
    changed[0] ^= 1
    other = kernels.span_digests(changed, np.array([0]), np.array([len(text)]))
    assert other[0] != own[0]


def test_exact_index_of_no_texts_finds_nothing() -> None:
    index = ExactIndex()
    index.build([])
    assert len(index) == 0 and index.find("any post at all, long enough") == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=40), st.lists(st.integers(0, 50), max_size=20))
def test_sorted_union_is_the_unique_of_the_concatenation(a: list[int], b: list[int]) -> None:
    arrays = [np.asarray(v, dtype=np.int64) for v in (a, b, a[::2])]
    expected = np.unique(np.concatenate(arrays))
    assert np.array_equal(kernels.sorted_union(*arrays), expected)


def test_lsh_near_equals_its_three_steps() -> None:
    rng = np.random.default_rng(4)
    index = MinHashIndex(num_perm=64, bands=32)
    words = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(words, size=12)) for _ in range(300)]
    sigs = [index.signature(shingle_ids(t, 3)) for t in texts]
    index.add_many(np.stack(sigs), np.full(len(texts), 30, dtype=np.int64))
    buckets = index.buckets
    for text in texts[:40]:
        sig = index.signature(shingle_ids(text, 3))
        hits = buckets.lookup(kernels.band_keys(sig, index._mix, index._salt))
        for floor, many in ((0.2, 1024), (0.05, 4)):
            stepwise = kernels.lsh_verify(hits, index.signatures, sig, np.float32(floor), many)
            fused = kernels.lsh_near(
                sig,
                index._mix,
                index._salt,
                *buckets.compiled_view(),
                buckets.max_per_key,
                buckets.skip_crowded,
                index.signatures,
                np.float32(floor),
                many,
            )
            assert np.array_equal(fused, stepwise)
    assert index.near(sigs[0], 30, min_jaccard=0.2).size  # a text finds at least itself


def test_shared_counts_count_each_distinct_query_token_once() -> None:
    index = BM25Index()
    index.build([["a", "b", "c"], ["b", "d"], ["e"]])
    ids = index.token_ids(["b", "b", "a", "z", "a"])
    shared, own = index.shared_tokens(np.arange(3), {"a", "b", "z"}, ids)
    assert shared.tolist() == [2.0, 1.0, 0.0] and own.tolist() == [3.0, 2.0, 1.0]
    index.add(["a", "b", "a"])  # a live addition is counted from its tokens
    shared, own = index.shared_tokens(np.arange(4), {"a", "b", "z"}, ids)
    assert shared.tolist() == [2.0, 1.0, 0.0, 2.0] and own.tolist() == [3.0, 2.0, 1.0, 2.0]


def test_bm25_top_counts_equal_the_forward_index_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared/own token counts the BM25 kernel returns with its documents (read from
    postings for a complete document, from the forward index for a re-scored one) are
    ``shared_counts``'s, with cut posting lists and live additions alike."""
    from rumordesk.matching import bm25 as bm25_module

    monkeypatch.setattr(bm25_module, "IMPACT_LIMIT", 8)  # common words' lists are cut
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(60)]
    docs = [[str(w) for w in rng.choice(words, size=rng.integers(1, 12))] for _ in range(500)]
    index = BM25Index()
    index.build(docs)
    assert (index._impact_pos >= 0).any(), "some posting lists are cut"
    for live in range(3):
        for _ in range(40):
            query = [str(w) for w in rng.choice(words, size=rng.integers(1, 9))]
            ids = index.token_ids(query)
            rows, scores, shared, own = index.search_counted(query, k=10, ids=ids)
            plain_rows, plain_scores = index.search(query, k=10, ids=ids)
            assert np.array_equal(rows, plain_rows) and np.array_equal(scores, plain_scores)
            counted = own >= 0
            assert counted.sum() == np.isin(rows, index._main_rows).sum()
            ref_shared, ref_own = index.shared_tokens(rows, set(query), ids)
            assert shared[counted].tolist() == ref_shared[counted].tolist()
            assert own[counted].tolist() == ref_own[counted].tolist()
            with_known = index.shared_tokens(rows, set(query), ids, known=(rows, shared, own))
            assert with_known[0].tolist() == ref_shared.tolist()
            assert with_known[1].tolist() == ref_own.tolist()
        index.add([str(w) for w in rng.choice(words, size=6)])  # counted by shared_tokens
        index.remove(live)


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-2.0, max_value=2.0),
        st.integers(-20000, 20000).map(lambda k: (k + 0.5) / 10000),  # half-way decimals
        st.integers(-20000, 20000).map(lambda k: k / 10000),
    )
)
def test_round4_is_pythons_round_to_four_places(value: float) -> None:
    """Where the kernel rounds (not NaN), it gives exactly what ``round(value, 4)`` gives,
    sign of zero included; it declines only near a half-way point or for huge values."""
    got = float(kernels.round4(value))
    if got != got:
        y = value * 10000
        assert value != value or abs(y) >= 1e12 or abs(y - np.floor(y) - 0.5) < 1e-6
        return
    expected = round(value, 4)
    assert got == expected and np.copysign(1.0, got) == np.copysign(1.0, expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), max_size=300), st.integers(1, 40))
def test_count_distinct_equals_numpy_unique(values: list[int], spread: int) -> None:
    hits = (np.asarray(values, dtype=np.uint64) % np.uint64(spread * 7 + 1)).astype(np.uint32)
    first, counts = kernels._count_distinct(hits)
    assert np.all(np.diff(first) > 0)  # positions of first occurrences, in order
    distinct = hits[first]
    order = np.argsort(distinct)
    expected, expected_counts = np.unique(hits, return_counts=True)
    assert distinct[order].tolist() == expected.tolist()
    assert counts[order].tolist() == expected_counts.tolist()
    assert np.unique(distinct).size == distinct.size


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=60),
    st.integers(1, 15),
)
def test_best_first_is_the_lexsort_of_score_then_raw(pairs: list[tuple[int, int]], k: int) -> None:
    """Ties in score (the calibration is a step function) are broken by the raw score, then by
    position, as ``np.lexsort`` does."""
    scores = np.asarray([p[0] / 4 for p in pairs], dtype=np.float32)
    raw = np.asarray([p[1] for p in pairs], dtype=np.float32)
    expected = np.lexsort((-raw, -scores))[:k]
    assert kernels.best_first(scores, raw, k).tolist() == expected.tolist()
