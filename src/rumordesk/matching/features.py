"""Features of (query, candidate claim) pairs for the re-ranker, and the evidence shown to people.

Candidates are the union of every layer's hits. Signals a layer did not produce for a candidate
are filled in cheaply where possible (cosine from the stored vectors, MinHash estimates from the
stored signatures) so that every candidate is described by the same feature vector.

The matrix is built in two compiled passes over the candidates (``kernels.lexical_features``, and
``kernels.semantic_features`` on the hybrid path; a post has ~100 candidates, and Python or numpy
calls per candidate or per column were most of the matching time); the rare exact, keyword and
image columns are filled here. Evidence is built on demand, only for the rows a caller returns.
Every value equals what the per-candidate formulas in the docstrings give (checked against a
loop-by-loop reference in ``tests/unit/matching/test_scoring_regression.py``).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels
from rumordesk.matching.image import MAX_DISTANCE
from rumordesk.matching.library import Library, Signals
from rumordesk.matching.records import LayerEvidence
from rumordesk.matching.reranker import FEATURES_HYBRID

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
MIN_SEMANTIC_CHARS = 8
_COL = {name: i for i, name in enumerate(FEATURES_HYBRID)}
# the columns ``kernels.lexical_features`` fills, in the order it takes them
_LEXICAL_FILLED = np.asarray(
    [
        _COL[name]
        for name in (
            "bm25_norm",
            "bm25_rank",
            "bm25_log",
            "jac",
            "cont",
            "py_jac",
            "tok_cov",
            "tok_qcov",
            "len_ratio",
            "short",
        )
    ],
    dtype=np.int64,
)
# the columns ``kernels.semantic_features`` fills, in the order it takes them
_SEMANTIC_FILLED = np.asarray(
    [
        _COL[name]
        for name in ("cos", "cos_rank", "cos_gap", "cos_x_bm25", "cos_sq", "cos_first", "cos_mean")
    ],
    dtype=np.int64,
)


@dataclass
class Candidates:
    """One query's candidate claim rows with their feature matrix; evidence on demand."""

    rows: list[int]
    x: F32  # columns = FEATURES_HYBRID
    image_score: F32
    signals: Signals | None = None
    library: Library | None = None
    # what the layers saw of each candidate (``kernels.SEEN_*`` columns), read for evidence
    seen: F64 | None = None
    has_minhash: bool = False  # the query has a MinHash signature (and a pinyin one, a cosine)
    has_pinyin: bool = False
    has_cos: bool = False

    def evidence_for(self, positions: list[int] | I64) -> list[dict[str, LayerEvidence]]:
        """What each layer saw for the candidates at ``positions`` (the dicts shown with match
        results; one read of the ``seen`` matrix for all of them, and the rare layers are looked
        at only when they fired for the query)."""
        sig, lib, seen = self.signals, self.library, self.seen
        if sig is None or lib is None or seen is None:
            return [{} for _ in positions]
        picked = seen[np.asarray(positions, dtype=np.int64)].tolist()
        bm25_scores = sig.bm25_scores.tolist()
        has_pinyin, has_cos = self.has_pinyin, self.has_cos
        rare = bool(sig.exact or sig.keywords or sig.images)
        out = []
        # the rounded figures come from the kernel (``kernels.round4``; NaN: round here)
        for n, (rank, norm, jac, cont, py_jac, in_lsh, cos, in_cos, norm4, cont4) in enumerate(
            picked
        ):
            ev: dict[str, LayerEvidence] = {}
            if rank >= 0:
                shown = norm4 if norm4 == norm4 else round(norm, 4)
                ev["bm25"] = LayerEvidence(
                    bm25_scores[int(rank)], {"rank": int(rank) + 1, "normalised": shown}
                )
            if has_cos and (in_cos or cos >= 0.5):
                ev["semantic"] = LayerEvidence(cos)
            if in_lsh or jac >= 0.2:
                shown = cont4 if cont4 == cont4 else round(cont, 4)
                ev["minhash"] = LayerEvidence(jac, {"containment": shown})
            if has_pinyin and py_jac >= 0.2:
                ev["pinyin"] = LayerEvidence(py_jac)
            if rare:
                self._rare_evidence(ev, int(positions[n]), sig, lib)
            out.append(ev)
        return out

    def _rare_evidence(
        self, ev: dict[str, LayerEvidence], i: int, sig: Signals, lib: Library
    ) -> None:
        """The exact, keyword and image layers' evidence for the candidate at position ``i``."""
        r = self.rows[i]
        if sig.exact and r in sig.exact:
            ev["exact"] = LayerEvidence(1.0, {"spans": [[s, e] for _, s, e in sig.exact[r]]})
        hits = sig.keywords.get(r) if sig.keywords else None
        if hits is not None:
            words = {w for w, _, _ in hits}
            total = max(len(lib.keywords[r]), 1)
            ev["keyword"] = LayerEvidence(
                len(words) / total,
                {"keywords": sorted(words), "spans": [[s, e] for _, s, e in hits]},
            )
        image = sig.images.get(r) if sig.images else None
        if image is not None:
            dist, h = image
            ev["image"] = LayerEvidence(
                self.image_score[i],
                {"distance": dist, "hash": h, "max_distance": MAX_DISTANCE},
            )

    @property
    def evidence(self) -> list[dict[str, LayerEvidence]]:
        """Evidence for every candidate (explanation and tests; scoring uses ``evidence_for``)."""
        return self.evidence_for(list(range(len(self.rows))))


def without(sig: Signals, exclude: set[int]) -> Signals:
    """The signals as if the ``exclude`` claims were not in the library (BM25 re-ranked).

    Training uses it to make posts that repeat *no* indexed claim out of labelled posts, so the
    re-ranker learns that being the best of poor candidates is not a match.
    """
    gone = _keys(exclude)
    bm25_kept = ~np.isin(sig.bm25_rows, gone)
    return Signals(
        prepared=sig.prepared,
        token_ids=sig.token_ids,
        bm25_rows=sig.bm25_rows[bm25_kept],
        bm25_scores=sig.bm25_scores[bm25_kept],
        bm25_shared=sig.bm25_shared[bm25_kept] if sig.bm25_shared.size else sig.bm25_shared,
        bm25_own=sig.bm25_own[bm25_kept] if sig.bm25_own.size else sig.bm25_own,
        lsh=sig.lsh[~np.isin(sig.lsh, gone)],
        exact={r: v for r, v in sig.exact.items() if r not in exclude},
        keywords={r: v for r, v in sig.keywords.items() if r not in exclude},
        images={r: v for r, v in sig.images.items() if r not in exclude},
        cos_rows=sig.cos_rows[~np.isin(sig.cos_rows, gone)],
        minhash_sig=sig.minhash_sig,
        pinyin_sig=sig.pinyin_sig,
    )


def _keys(d: Collection[int]) -> I64:
    return np.fromiter(d, dtype=np.int64, count=len(d))


_NO_SIG = np.zeros(0, dtype=np.uint16)
_NO_SIMS = np.zeros(0, dtype=np.float32)


def candidates(lib: Library, sig: Signals, qvec: F32 | None) -> Candidates:
    """Build the feature matrix of every candidate of one query.

    Per candidate claim r (claim texts t): bm25_norm = score/top score, bm25_rank = 1/(1+rank),
    bm25_log = log1p(score); cos = max_t cos(q, t), cos_rank = 1/(1 + #candidates with a higher
    cos), cos_gap = cos - best cos, cos_first = cos of the first text, cos_mean = mean over texts;
    jac/cont/py_jac = max_t MinHash estimates; exact = 1 if contained; kw_hits = log1p(#distinct
    keywords), kw_cov = #distinct/#keywords; tok_cov/tok_qcov = shared tokens over claim/query
    tokens; len_ratio = clip(log((|q|+1)/(|first text|+1)), -3, 3); short = |q| < 8.
    """
    lexical = sig.lsh
    if sig.exact or sig.keywords or sig.images:  # rare layers: their rows join the LSH's
        lexical = np.concatenate(
            [sig.lsh, *(_keys(r) for r in (sig.exact, sig.keywords, sig.images) if r)]
        )
    rows_a = kernels.sorted_union(sig.bm25_rows, sig.cos_rows, lexical)
    rows = rows_a.tolist()
    n = len(rows)
    image_score = np.zeros(n, dtype=np.float32)
    if n == 0:
        return Candidates(rows, np.zeros((0, len(FEATURES_HYBRID)), np.float32), image_score)
    prep = sig.prepared
    mh, py = lib.minhash, lib.pinyin
    qtokens = set(prep.tokens)
    has_sig = sig.minhash_sig is not None
    has_py = sig.pinyin_sig is not None
    shared, own = lib.bm25.shared_tokens(
        rows_a, qtokens, sig.token_ids, known=(sig.bm25_rows, sig.bm25_shared, sig.bm25_own)
    )
    x, trows, count, seen = kernels.lexical_features(
        rows_a,
        lib.claim_texts_table,
        mh.signatures,
        mh.sizes,
        sig.minhash_sig if has_sig else _NO_SIG,
        len(prep.shingles) if has_sig else 0,
        lib.pinyin_rows,
        py.signatures,
        py.sizes,
        sig.pinyin_sig if has_py else _NO_SIG,
        len(prep.pinyin) if has_py else 0,
        sig.bm25_rows,
        sig.bm25_scores,
        sig.lsh,
        shared,
        own,
        len(qtokens),
        len(prep.norm),
        MIN_SEMANTIC_CHARS,
        _LEXICAL_FILLED,
        len(FEATURES_HYBRID),
    )

    if qvec is not None:
        sims = lib.vectors.cosines(trows, qvec) if trows.size else _NO_SIMS
        cos = kernels.semantic_features(x, sims, count, _SEMANTIC_FILLED, _COL["bm25_norm"])
        seen[:, kernels.SEEN_COS] = cos
        seen[np.searchsorted(rows_a, sig.cos_rows), kernels.SEEN_IN_COS] = 1.0

    if sig.exact:
        x[np.searchsorted(rows_a, _keys(sig.exact)), _COL["exact"]] = 1.0
    for r, kw_hits in sig.keywords.items():
        i = int(np.searchsorted(rows_a, r))
        words = len({w for w, _, _ in kw_hits})
        x[i, _COL["kw_hits"]] = math.log1p(words)
        x[i, _COL["kw_cov"]] = words / max(len(lib.keywords[r]), 1)

    for r, (dist, _) in sig.images.items():
        image_score[int(np.searchsorted(rows_a, r))] = 1.0 - dist / 256.0
    return Candidates(rows, x, image_score, sig, lib, seen, has_sig, has_py, qvec is not None)
