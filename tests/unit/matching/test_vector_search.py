"""The flat vector index gives the same top-k whether a batch goes through faiss or BLAS."""

from __future__ import annotations

import numpy as np

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
