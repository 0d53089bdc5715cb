"""Features of (query, candidate claim) pairs for the re-ranker, and the evidence shown to people.

Candidates are the union of every layer's hits. Signals a layer did not produce for a candidate
are filled in cheaply where possible (cosine from the stored vectors, MinHash estimates from the
stored signatures) so that every candidate is described by the same feature vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rumordesk.matching.image import MAX_DISTANCE
from rumordesk.matching.library import Library, Signals
from rumordesk.matching.records import LayerEvidence
from rumordesk.matching.reranker import FEATURES_HYBRID

F32 = npt.NDArray[np.float32]
MIN_SEMANTIC_CHARS = 8
_COL = {name: i for i, name in enumerate(FEATURES_HYBRID)}


@dataclass
class Candidates:
    """One query's candidate claim rows with their feature matrix and per-layer evidence."""

    rows: list[int]
    x: F32  # columns = FEATURES_HYBRID
    evidence: list[dict[str, LayerEvidence]]
    image_score: F32


def _max_per_owner(values: npt.NDArray[np.float32], owners: list[int]) -> dict[int, float]:
    best: dict[int, float] = {}
    for v, o in zip(values.tolist(), owners, strict=True):
        if v > best.get(o, -1.0):
            best[o] = v
    return best


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


def candidates(lib: Library, sig: Signals, qvec: F32 | None) -> Candidates:
    """Build features and evidence for every candidate of one query."""
    rows = sorted(
        set(sig.bm25)
        | set(sig.cos)
        | sig.lsh
        | set(sig.exact)
        | set(sig.keywords)
        | set(sig.images)
    )
    n = len(rows)
    x = np.zeros((n, len(FEATURES_HYBRID)), dtype=np.float32)
    image_score = np.zeros(n, dtype=np.float32)
    evidence: list[dict[str, LayerEvidence]] = [{} for _ in rows]
    if n == 0:
        return Candidates(rows, x, evidence, image_score)
    norm = sig.prepared.norm
    text_rows = [t for r in rows for t in lib.texts_of[r]]
    owners = [lib.text_owner[t] for t in text_rows]
    trows = np.asarray(text_rows, dtype=np.int64)

    # Cosine for every candidate text (stored vectors; exact for flat, SQ8-decoded for IVF).
    cos: dict[int, float] = {}
    cos_first: dict[int, float] = {}
    cos_sum: dict[int, float] = {}
    if qvec is not None and trows.size:
        sims = (lib.vectors.vectors(trows) @ qvec).astype(np.float32)
        cos = _max_per_owner(sims, owners)
        for t, o, v in zip(text_rows, owners, sims.tolist(), strict=True):
            if t == lib.texts_of[o][0]:
                cos_first[o] = v
            cos_sum[o] = cos_sum.get(o, 0.0) + v
    mh: dict[str, tuple[dict[int, float], dict[int, float]]] = {}
    for name, index, qsig, size in (
        ("minhash", lib.minhash, sig.minhash_sig, len(sig.prepared.shingles)),
        ("pinyin", lib.pinyin, sig.pinyin_sig, len(sig.prepared.pinyin)),
    ):
        if qsig is None or not trows.size:
            mh[name] = ({}, {})
            continue
        jac, cont = index.estimate(qsig, size, trows)
        mh[name] = (_max_per_owner(jac, owners), _max_per_owner(cont, owners))
    cos_values = sorted((cos.get(r, 0.0) for r in rows), reverse=True)
    top_cos = cos_values[0] if cos_values else 0.0
    qlen = len(norm)
    qtokens = set(sig.prepared.tokens)
    for i, r in enumerate(rows):
        f = x[i]
        ev = evidence[i]
        if r in sig.bm25:
            score, rank = sig.bm25[r]
            f[_COL["bm25_norm"]] = score / sig.bm25_top if sig.bm25_top else 0.0
            f[_COL["bm25_rank"]] = 1.0 / (1.0 + rank)
            f[_COL["bm25_log"]] = math.log1p(score)
            ev["bm25"] = LayerEvidence(
                score, {"rank": rank + 1, "normalised": round(float(f[0]), 4)}
            )
        if qvec is not None:
            c = cos.get(r, 0.0)
            f[_COL["cos"]] = c
            f[_COL["cos_rank"]] = 1.0 / (1.0 + cos_values.index(c))
            f[_COL["cos_gap"]] = c - top_cos
            f[_COL["cos_x_bm25"]] = c * f[_COL["bm25_norm"]]
            f[_COL["cos_sq"]] = c * c
            f[_COL["cos_first"]] = cos_first.get(r, 0.0)
            f[_COL["cos_mean"]] = cos_sum.get(r, 0.0) / max(len(lib.texts_of[r]), 1)
            if r in sig.cos or c >= 0.5:
                ev["semantic"] = LayerEvidence(c)
        jaccard = mh["minhash"][0].get(r, 0.0)
        contained = mh["minhash"][1].get(r, 0.0)
        f[_COL["jac"]], f[_COL["cont"]] = jaccard, contained
        if r in sig.lsh or jaccard >= 0.2:
            ev["minhash"] = LayerEvidence(jaccard, {"containment": round(contained, 4)})
        pj = mh["pinyin"][0].get(r, 0.0)
        f[_COL["py_jac"]] = pj
        if pj >= 0.2:
            ev["pinyin"] = LayerEvidence(pj)
        if r in sig.exact:
            f[_COL["exact"]] = 1.0
            ev["exact"] = LayerEvidence(1.0, {"spans": [[s, e] for _, s, e in sig.exact[r]]})
        if r in sig.keywords:
            hits = sig.keywords[r]
            words = {w for w, _, _ in hits}
            total = max(len(lib.keywords[r]), 1)
            f[_COL["kw_hits"]] = math.log1p(len(words))
            f[_COL["kw_cov"]] = len(words) / total
            ev["keyword"] = LayerEvidence(
                len(words) / total,
                {"keywords": sorted(words), "spans": [[s, e] for _, s, e in hits]},
            )
        doc = set(lib.bm25.tokens(r))
        if doc and qtokens:
            common = len(doc & qtokens)
            f[_COL["tok_cov"]] = common / len(doc)
            f[_COL["tok_qcov"]] = common / len(qtokens)
        first_len = lib.text_len[lib.texts_of[r][0]] if lib.texts_of[r] else 1
        f[_COL["len_ratio"]] = max(-3.0, min(3.0, math.log((qlen + 1) / (first_len + 1))))
        f[_COL["short"]] = 1.0 if qlen < MIN_SEMANTIC_CHARS else 0.0
        if r in sig.images:
            dist, h = sig.images[r]
            image_score[i] = 1.0 - dist / 256.0
            ev["image"] = LayerEvidence(
                image_score[i], {"distance": dist, "hash": h, "max_distance": MAX_DISTANCE}
            )
    return Candidates(rows, x, evidence, image_score)
