"""Features of (query, candidate claim) pairs for the re-ranker, and the evidence shown to people.

Candidates are the union of every layer's hits. Signals a layer did not produce for a candidate
are filled in cheaply where possible (cosine from the stored vectors, MinHash estimates from the
stored signatures) so that every candidate is described by the same feature vector.

The matrix is built column by column with numpy (a post has ~100 candidates, and a Python loop
over them was most of the matching time); evidence is built on demand, only for the rows a
caller returns. Every value equals what the per-candidate formulas in the docstrings give.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels
from rumordesk.matching.buckets import sorted_unique
from rumordesk.matching.image import MAX_DISTANCE
from rumordesk.matching.library import Library, Signals
from rumordesk.matching.records import LayerEvidence
from rumordesk.matching.reranker import FEATURES_HYBRID

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
MIN_SEMANTIC_CHARS = 8
_COL = {name: i for i, name in enumerate(FEATURES_HYBRID)}


@dataclass
class Candidates:
    """One query's candidate claim rows with their feature matrix; evidence on demand."""

    rows: list[int]
    x: F32  # columns = FEATURES_HYBRID
    image_score: F32
    signals: Signals | None = None
    library: Library | None = None
    cos: F32 | None = None  # best cosine per candidate (None on the lexical path)
    jac: F32 | None = None
    cont: F32 | None = None
    py_jac: F32 | None = None

    def evidence_at(self, i: int) -> dict[str, LayerEvidence]:
        """What each layer saw for candidate ``i`` (the dict shown with a match result)."""
        sig, lib = self.signals, self.library
        if sig is None or lib is None:
            return {}
        r = self.rows[i]
        ev: dict[str, LayerEvidence] = {}
        hit = sig.bm25.get(r)
        if hit is not None:
            score, rank = hit
            ev["bm25"] = LayerEvidence(
                score, {"rank": rank + 1, "normalised": round(float(self.x[i, 0]), 4)}
            )
        if self.cos is not None:
            c = float(self.cos[i])
            if r in sig.cos or c >= 0.5:
                ev["semantic"] = LayerEvidence(c)
        jaccard = float(self.jac[i]) if self.jac is not None else 0.0
        contained = float(self.cont[i]) if self.cont is not None else 0.0
        if r in sig.lsh or jaccard >= 0.2:
            ev["minhash"] = LayerEvidence(jaccard, {"containment": round(contained, 4)})
        pj = float(self.py_jac[i]) if self.py_jac is not None else 0.0
        if pj >= 0.2:
            ev["pinyin"] = LayerEvidence(pj)
        if r in sig.exact:
            ev["exact"] = LayerEvidence(1.0, {"spans": [[s, e] for _, s, e in sig.exact[r]]})
        hits = sig.keywords.get(r)
        if hits is not None:
            words = {w for w, _, _ in hits}
            total = max(len(lib.keywords[r]), 1)
            ev["keyword"] = LayerEvidence(
                len(words) / total,
                {"keywords": sorted(words), "spans": [[s, e] for _, s, e in hits]},
            )
        image = sig.images.get(r)
        if image is not None:
            dist, h = image
            ev["image"] = LayerEvidence(
                self.image_score[i], {"distance": dist, "hash": h, "max_distance": MAX_DISTANCE}
            )
        return ev

    @property
    def evidence(self) -> list[dict[str, LayerEvidence]]:
        """Evidence for every candidate (explanation and tests; scoring uses ``evidence_at``)."""
        return [self.evidence_at(i) for i in range(len(self.rows))]


def without(sig: Signals, exclude: set[int]) -> Signals:
    """The signals as if the ``exclude`` claims were not in the library (BM25 re-ranked).

    Training uses it to make posts that repeat *no* indexed claim out of labelled posts, so the
    re-ranker learns that being the best of poor candidates is not a match.
    """
    kept = sorted(((s, r) for r, (s, _) in sig.bm25.items() if r not in exclude), reverse=True)
    return Signals(
        prepared=sig.prepared,
        bm25={r: (s, i) for i, (s, r) in enumerate(kept)},
        bm25_top=kept[0][0] if kept else 0.0,
        lsh=sig.lsh - exclude,
        exact={r: v for r, v in sig.exact.items() if r not in exclude},
        keywords={r: v for r, v in sig.keywords.items() if r not in exclude},
        images={r: v for r, v in sig.images.items() if r not in exclude},
        cos={r: v for r, v in sig.cos.items() if r not in exclude},
        minhash_sig=sig.minhash_sig,
        pinyin_sig=sig.pinyin_sig,
    )


def _keys(d: Collection[int]) -> I64:
    return np.fromiter(d, dtype=np.int64, count=len(d))


class _Segments:
    """The text rows of the candidates, one contiguous segment per claim (``count`` texts)."""

    def __init__(self, count: I64, first_len: I64) -> None:
        self.n = count.size
        self.count, self.first_len = count, first_len
        self.nonempty = count > 0
        self.starts = (np.cumsum(count) - count)[self.nonempty]

    def max(self, values: F32) -> F32:
        """Per candidate, the best value over its texts (0 where none beats -1, as before)."""
        out = np.zeros(self.n, dtype=np.float32)
        if values.size:
            best = np.maximum.reduceat(values, self.starts)
            out[self.nonempty] = np.where(best > -1.0, best, np.float32(0.0))
        return out


_NO_SIG = np.zeros(0, dtype=np.uint16)


def candidates(lib: Library, sig: Signals, qvec: F32 | None) -> Candidates:
    """Build the feature matrix of every candidate of one query.

    Per candidate claim r (claim texts t): bm25_norm = score/top score, bm25_rank = 1/(1+rank),
    bm25_log = log1p(score); cos = max_t cos(q, t), cos_rank = 1/(1 + #candidates with a higher
    cos), cos_gap = cos - best cos, cos_first = cos of the first text, cos_mean = mean over texts;
    jac/cont/py_jac = max_t MinHash estimates; exact = 1 if contained; kw_hits = log1p(#distinct
    keywords), kw_cov = #distinct/#keywords; tok_cov/tok_qcov = shared tokens over claim/query
    tokens; len_ratio = clip(log((|q|+1)/(|first text|+1)), -3, 3); short = |q| < 8.
    """
    parts = [_keys(sig.bm25), _keys(sig.cos), _keys(sig.lsh), _keys(sig.exact)]
    parts += [_keys(sig.keywords), _keys(sig.images)]
    rows_a = sorted_unique(np.concatenate(parts))
    rows = rows_a.tolist()
    n = len(rows)
    x = np.zeros((n, len(FEATURES_HYBRID)), dtype=np.float32)
    image_score = np.zeros(n, dtype=np.float32)
    if n == 0:
        return Candidates(rows, x, image_score, sig, lib)
    prep = sig.prepared
    qtokens = set(prep.tokens)
    mh, py = lib.minhash, lib.pinyin
    trows, count, first_len, jac, cont, py_jac = kernels.lexical_features(
        rows_a,
        lib.claim_texts_table,
        mh.signatures,
        mh.sizes,
        sig.minhash_sig if sig.minhash_sig is not None else _NO_SIG,
        len(prep.shingles) if sig.minhash_sig is not None else 0,
        lib.pinyin_rows,
        py.signatures,
        py.sizes,
        sig.pinyin_sig if sig.pinyin_sig is not None else _NO_SIG,
        len(prep.pinyin) if sig.pinyin_sig is not None else 0,
    )
    seg = _Segments(count, first_len)

    if sig.bm25:
        at = np.searchsorted(rows_a, _keys(sig.bm25))
        hits = list(sig.bm25.values())
        score = np.fromiter((s for s, _ in hits), dtype=np.float64, count=len(hits))
        rank = np.fromiter((k for _, k in hits), dtype=np.float64, count=len(hits))
        top = sig.bm25_top
        x[at, _COL["bm25_norm"]] = score / top if top else 0.0
        x[at, _COL["bm25_rank"]] = 1.0 / (1.0 + rank)
        x[at, _COL["bm25_log"]] = np.log1p(score)

    cos: F32 | None = None
    if qvec is not None:
        cos = np.zeros(n, dtype=np.float32)
        if trows.size:
            sims = lib.vectors.cosines(trows, qvec)
            cos = seg.max(sims)
            x[seg.nonempty, _COL["cos_first"]] = sims[seg.starts]
            sums = np.zeros(n, dtype=np.float64)
            sums[seg.nonempty] = np.add.reduceat(sims.astype(np.float64), seg.starts)
            x[:, _COL["cos_mean"]] = sums / np.maximum(seg.count, 1)
        ordered = np.sort(cos)
        higher = n - np.searchsorted(ordered, cos, side="right")
        x[:, _COL["cos"]] = cos
        x[:, _COL["cos_rank"]] = 1.0 / (1.0 + higher)
        x[:, _COL["cos_gap"]] = cos.astype(np.float64) - float(ordered[-1])
        x[:, _COL["cos_x_bm25"]] = cos * x[:, _COL["bm25_norm"]]
        x[:, _COL["cos_sq"]] = cos.astype(np.float64) ** 2

    if sig.minhash_sig is None:
        jac = cont = None
    else:
        x[:, _COL["jac"]], x[:, _COL["cont"]] = jac, cont
    if sig.pinyin_sig is None:
        py_jac = None
    else:
        x[:, _COL["py_jac"]] = py_jac

    if sig.exact:
        x[np.searchsorted(rows_a, _keys(sig.exact)), _COL["exact"]] = 1.0
    for r, kw_hits in sig.keywords.items():
        i = int(np.searchsorted(rows_a, r))
        words = len({w for w, _, _ in kw_hits})
        x[i, _COL["kw_hits"]] = math.log1p(words)
        x[i, _COL["kw_cov"]] = words / max(len(lib.keywords[r]), 1)

    if qtokens:
        common, sizes = lib.bm25.shared_tokens(rows_a, qtokens)
        some = sizes > 0
        x[some, _COL["tok_cov"]] = common[some] / sizes[some]
        x[some, _COL["tok_qcov"]] = common[some] / len(qtokens)
    qlen = len(prep.norm)
    first_len = np.where(seg.nonempty, seg.first_len, 1).astype(np.float64)
    x[:, _COL["len_ratio"]] = np.clip(np.log((qlen + 1) / (first_len + 1)), -3.0, 3.0)
    x[:, _COL["short"]] = 1.0 if qlen < MIN_SEMANTIC_CHARS else 0.0

    for r, (dist, _) in sig.images.items():
        image_score[int(np.searchsorted(rows_a, r))] = 1.0 - dist / 256.0
    return Candidates(rows, x, image_score, sig, lib, cos, jac, cont, py_jac)
