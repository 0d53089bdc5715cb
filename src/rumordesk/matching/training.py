"""Train the fusion re-ranker and its calibration on labelled (post, claim) pairs.

The shipped model ``models/reranker.json`` was made with (from the repository root)::

    .venv/bin/python -m rumordesk.matching.training \
        --claims ../shared/data/clef2022-2a-en/claims.jsonl.gz \
        --pairs ../shared/data/clef2022-2a-en/train.jsonl.gz \
        --out src/rumordesk/matching/models/reranker.json --cache bench/out/clef-embeddings.npz

(``rumordesk matcher train --claims ... --pairs ... --out ...`` does the same without the cache.)

1. Index the claims with the same engine that serves matches.
2. For each labelled post, take every candidate the layers produce; a candidate is positive when
   its claim is among the post's labelled claims. Each post is used a second time as if its
   claims were not in the library (all candidates negative), so that scores stay low for posts
   that repeat no claim: without it the model learns "best candidate = match". A short
   fragment of each post (2-11 characters) is added as a further all-negative query.
3. Fit a logistic regression per path (hybrid, lexical-only) on all pairs, and an isotonic
   calibration on out-of-fold scores (4 folds split by post, so no post is scored by a model
   that saw it); the report's held-out figures come from the same out-of-fold scores.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from rumordesk.matching.embedcache import CachedEncoder
from rumordesk.matching.engine import Matcher
from rumordesk.matching.library import prepare
from rumordesk.matching.records import MatchQuery, Thresholds, records_from_claims_jsonl
from rumordesk.matching.reranker import FEATURES_HYBRID, FEATURES_LEXICAL, Reranker, ScoringModel
from rumordesk.matching.semantic import Encoder, UseEncoder

F32 = np.float32


@dataclass
class TrainReport:
    """What training saw and how well the held-out part is ranked."""

    posts: int
    pairs: int
    positives: int
    candidate_recall: float
    heldout_auc_hybrid: float
    heldout_auc_lexical: float
    heldout_map5_hybrid: float
    out: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def read_pairs(paths: Sequence[Path]) -> list[tuple[str, set[str]]]:
    """Posts with their labelled claim ids from JSONL(.gz): ``{"text", "claims": [...]}``."""
    out = []
    for path in paths:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as stream:
            for line in stream:
                if line.strip():
                    row = json.loads(line)
                    out.append((str(row["text"]), {str(c) for c in row.get("claims") or []}))
    return out


def _fit(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, features: list[str]
) -> tuple[ScoringModel, np.ndarray]:
    """Logistic regression on all pairs; isotonic calibration on 4-fold out-of-post predictions.

    Returns the model and the out-of-fold raw scores (for the held-out report).
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    oof = np.zeros(len(y), dtype=np.float64)
    for fit_idx, held_idx in GroupKFold(n_splits=4).split(z, y, groups):
        part = LogisticRegression(C=1.0, max_iter=3000).fit(z[fit_idx], y[fit_idx])
        oof[held_idx] = part.decision_function(z[held_idx])
    lr = LogisticRegression(C=1.0, max_iter=3000).fit(z, y)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(oof, y)
    model = ScoringModel(
        features=features,
        mean=mean.astype(F32),
        scale=scale.astype(F32),
        coef=lr.coef_[0].astype(F32),
        intercept=float(lr.intercept_[0]),
        iso_x=np.asarray(iso.X_thresholds_, dtype=F32),
        iso_y=np.asarray(iso.y_thresholds_, dtype=F32),
    )
    return model, oof


def train_reranker(
    claims_path: Path,
    pairs_paths: Path | Sequence[Path],
    out_path: Path,
    *,
    encoder: Encoder | None = None,
    seed: int = 13,
) -> TrainReport:
    """Train and write the re-ranker model; returns what it saw and its held-out quality."""
    paths = [pairs_paths] if isinstance(pairs_paths, (str, Path)) else list(pairs_paths)
    matcher = Matcher(
        thresholds=Thresholds(match=0.8, review=0.5),
        encoder=encoder or UseEncoder(),
        reranker=False,
    )
    matcher.build(records_from_claims_jsonl(claims_path), progress=True)
    posts = read_pairs(paths)
    queries = [MatchQuery(text=t) for t, _ in posts]
    cands = matcher.featurise(queries)
    # The same posts with their claims left out: posts that repeat nothing in the library.
    unmatched = matcher.featurise(queries, exclude=[gold for _, gold in posts])
    # And short fragments of them (a few characters, as in "lol" or "转发微博" replies), which
    # are too short to repeat a claim even when a word of it is the best BM25 hit.
    rng = np.random.default_rng(seed)
    fragments = [MatchQuery(text=prepare(t).norm[: int(rng.integers(2, 12))]) for t, _ in posts]
    short = matcher.featurise(fragments)
    xs, ys, groups = [], [], []
    found = total = 0
    for g, ((_, gold), cand) in enumerate(zip(posts, cands, strict=True)):
        ids = [matcher.library.claim_ids[r] for r in cand.rows]
        total += len(gold)
        found += len(gold & set(ids))
        if not ids:
            continue
        xs.append(cand.x)
        ys.append(np.asarray([i in gold for i in ids], dtype=np.int8))
        groups.append(np.full(len(ids), g))
        for negative in (unmatched[g], short[g]):
            if negative.rows:
                xs.append(negative.x)
                ys.append(np.zeros(len(negative.rows), dtype=np.int8))
                groups.append(np.full(len(negative.rows), g))
    x, y, grp = np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)
    lex_cols = [FEATURES_HYBRID.index(f) for f in FEATURES_LEXICAL]
    hybrid, oof_h = _fit(x, y, grp, FEATURES_HYBRID)
    lexical, oof_l = _fit(x[:, lex_cols], y, grp, FEATURES_LEXICAL)
    report = TrainReport(
        posts=len(posts),
        pairs=int(y.size),
        positives=int(y.sum()),
        candidate_recall=found / max(total, 1),
        heldout_auc_hybrid=float(roc_auc_score(y, oof_h)),
        heldout_auc_lexical=float(roc_auc_score(y, oof_l)),
        heldout_map5_hybrid=_map5(oof_h, y, grp),
        out=str(out_path),
    )
    Reranker(
        hybrid=hybrid,
        lexical=lexical,
        meta={
            "trained_on": [Path(p).name for p in paths],
            "claims": Path(claims_path).name,
            "report": {k: v for k, v in report.to_dict().items() if k != "out"},
        },
    ).save(Path(out_path))
    return report


def _map5(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    total, n = 0.0, 0
    for g in np.unique(groups):
        m = groups == g
        order = np.argsort(-scores[m])[:5]
        lab = labels[m][order]
        hits, ap = 0, 0.0
        for k, hit in enumerate(lab.tolist(), start=1):
            if hit:
                hits += 1
                ap += hits / k
        positives = int(labels[m].sum())
        total += ap / positives if positives else 0.0
        n += 1
    return total / max(n, 1)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry: ``python -m rumordesk.matching.training --claims ... --pairs ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, required=True)
    parser.add_argument("--pairs", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache", type=Path, help="embedding cache file (.npz)")
    args = parser.parse_args(argv)
    encoder: Encoder = UseEncoder()
    if args.cache:
        encoder = CachedEncoder(encoder, args.cache)
    report = train_reranker(args.claims, args.pairs, args.out, encoder=encoder)
    if isinstance(encoder, CachedEncoder):
        encoder.flush()
    print(json.dumps(report.to_dict(), indent=2))


if __name__ == "__main__":
    main()
