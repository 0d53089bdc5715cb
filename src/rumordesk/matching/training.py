"""Train the fusion re-ranker and its calibration on labelled (post, claim) pairs.

The shipped model ``models/reranker.json`` was made with (from the repository root)::

    .venv/bin/python bench/bench_zh_evasion.py --write-train bench/out/zh-train
    .venv/bin/python -m rumordesk.matching.training \
        --claims ../shared/data/clef2022-2a-en/claims.jsonl.gz \
        --pairs ../shared/data/clef2022-2a-en/train.jsonl.gz \
        --out src/rumordesk/matching/models/reranker.json --cache bench/out/clef-embeddings.npz \
        --zh-claims bench/out/zh-train/claims.jsonl.gz \
        --zh-pairs bench/out/zh-train/pairs.jsonl.gz \
        --zh-cache bench/out/zh-embeddings.npz --zh-weight 0.05

The first command writes the TRAIN half of the Weibo benchmark (rumour originals as claims;
evasive rewrites of them as positives; non-rumour originals and comments under non-rumours as
negatives); the EVAL half is never trained on. (``rumordesk matcher train --claims ... --pairs
... --out ...`` trains on the first set alone, without the cache.)

1. Index the claims with the same engine that serves matches (the extra set in its own index).
2. For each labelled post, take every candidate the layers produce; a candidate is positive when
   its claim is among the post's labelled claims (a post with no claims is all negative). Each
   labelled post is used a second time as if its claims were not in the library (all candidates
   negative), so that scores stay low for posts that repeat no claim: without it the model
   learns "best candidate = match". A short fragment of each post (2-11 characters) is added as
   a further all-negative query.
3. Fit a linear scorer per path (hybrid, lexical-only): a pointwise logistic regression on all
   pairs plus a pairwise one on (positive - negative) differences within each post, which orders
   the candidates of a post better (the extra set's rows weighted by ``--zh-weight``); then an
   isotonic calibration on out-of-fold scores (4 folds
   split by post, so no post is scored by a model that saw it); the report's held-out figures
   come from the same out-of-fold scores.
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
# Absolute BM25 scores depend on the size and make-up of the library (IDF), so a weight on them
# learned on one library misjudges another (an exact copy in a small library scored as a weak
# match); the model keeps BM25's relative features (score / best score, rank) only.
IGNORED_FEATURES = ("bm25_log",)
PAIRWISE_WEIGHT = 2.0  # chosen on CLEF dev (1.0: 0.941, 2.0: 0.945, 3.0: 0.945 MAP@5)
MAX_PAIRED_NEGATIVES = 200


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


def _pairwise(
    z: np.ndarray, y: np.ndarray, groups: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Differences (positive - negative) of candidates of the same post, both ways round, for
    a ranking model; at most ``MAX_PAIRED_NEGATIVES`` negatives per positive, in candidate order."""
    diffs, weights = [], []
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for idx in np.split(order, bounds):
        pos, neg = idx[y[idx] == 1], idx[y[idx] == 0][:MAX_PAIRED_NEGATIVES]
        if pos.size and neg.size and w[pos].any():
            diffs.append((z[pos][:, None, :] - z[neg][None, :, :]).reshape(-1, z.shape[1]))
            weights.append(np.repeat(w[pos], neg.size))
    if not diffs:
        return np.empty((0, z.shape[1])), np.empty(0), np.empty(0)
    d, dw = np.concatenate(diffs), np.concatenate(weights)
    labels = np.concatenate([np.ones(len(d)), np.zeros(len(d))])
    return np.concatenate([d, -d]), labels, np.concatenate([dw, dw])


def _linear(
    z: np.ndarray, y: np.ndarray, groups: np.ndarray, w: np.ndarray, pair_w: np.ndarray, c: float
) -> tuple[np.ndarray, float]:
    """Weights and intercept of the scoring line: a pointwise logistic regression (is this pair
    a match at all?) plus ``PAIRWISE_WEIGHT`` times a pairwise one (which candidate of the same
    post is the better match?). The pointwise part keeps scores comparable across posts for
    calibration; the pairwise part orders candidates (MAP@5 on CLEF dev 0.934 -> 0.945)."""
    point = LogisticRegression(C=c, max_iter=3000).fit(z, y, sample_weight=w)
    coef = point.coef_[0].astype(np.float64)
    dx, dy, dw = _pairwise(z, y, groups, pair_w)
    if PAIRWISE_WEIGHT and len(dy):
        pair = LogisticRegression(C=0.1, max_iter=3000, fit_intercept=False)
        pair.fit(dx, dy, sample_weight=dw)
        coef = coef + PAIRWISE_WEIGHT * pair.coef_[0]
    return coef, float(point.intercept_[0])


def _fit(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    features: list[str],
    w: np.ndarray,
    pair_w: np.ndarray,
    c: float = 1.0,
) -> tuple[ScoringModel, np.ndarray]:
    """The scoring line (``_linear``) on all pairs; isotonic calibration on 4-fold
    out-of-post predictions.

    Returns the model and the out-of-fold raw scores (for the held-out report).
    """
    x = x.copy()
    ignored = [features.index(f) for f in IGNORED_FEATURES if f in features]
    x[:, ignored] = 0.0  # a constant column gets weight 0
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    scale = np.where(std > 0, std + 1e-6, 1.0)
    z = (x - mean) / scale
    oof = np.zeros(len(y), dtype=np.float64)
    for fit_idx, held_idx in GroupKFold(n_splits=4).split(z, y, groups):
        coef, intercept = _linear(
            z[fit_idx], y[fit_idx], groups[fit_idx], w[fit_idx], pair_w[fit_idx], c
        )
        oof[held_idx] = z[held_idx] @ coef + intercept
    coef, intercept = _linear(z, y, groups, w, pair_w, c)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(oof, y, w)
    model = ScoringModel(
        features=features,
        mean=mean.astype(F32),
        scale=scale.astype(F32),
        coef=coef.astype(F32),
        intercept=intercept,
        iso_x=np.asarray(iso.X_thresholds_, dtype=F32),
        iso_y=np.asarray(iso.y_thresholds_, dtype=F32),
    )
    return model, oof


def _pairs(
    matcher: Matcher, posts: list[tuple[str, set[str]]], seed: int, first_group: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], int, int]:
    """Feature rows, labels and post groups for labelled posts against ``matcher``'s library.

    Each post also yields all-negative rows as if its claims were not indexed, and a short
    fragment of it as a further all-negative query. Returns (xs, ys, groups, found, total).
    """
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
    for n, ((_, gold), cand) in enumerate(zip(posts, cands, strict=True)):
        g = first_group + n
        ids = [matcher.library.claim_id(r) for r in cand.rows]
        total += len(gold)
        found += len(gold & set(ids))
        if not ids:
            continue
        xs.append(cand.x)
        ys.append(np.asarray([i in gold for i in ids], dtype=np.int8))
        groups.append(np.full(len(ids), g))
        # a post that repeats no claim is already all-negative: no need to describe it twice
        negatives = (short[n],) if not gold else (unmatched[n], short[n])
        for negative in negatives:
            if negative.rows:
                xs.append(negative.x)
                ys.append(np.zeros(len(negative.rows), dtype=np.int8))
                groups.append(np.full(len(negative.rows), g))
    return xs, ys, groups, found, total


def _indexed(claims_path: Path, encoder: Encoder) -> Matcher:
    matcher = Matcher(thresholds=Thresholds(match=0.8, review=0.5), encoder=encoder, reranker=False)
    matcher.build(records_from_claims_jsonl(claims_path), progress=True)
    return matcher


def train_reranker(
    claims_path: Path,
    pairs_paths: Path | Sequence[Path],
    out_path: Path,
    *,
    encoder: Encoder | None = None,
    seed: int = 13,
    zh_claims: Path | None = None,
    zh_pairs: Path | None = None,
    zh_encoder: Encoder | None = None,
    zh_weight: float = 1.0,
) -> TrainReport:
    """Train and write the re-ranker model; returns what it saw and its held-out quality.

    ``zh_claims``/``zh_pairs`` add a second labelled set indexed in its own library (the
    Chinese TRAIN half written by ``bench/bench_zh_evasion.py --write-train``; a pair with no
    claims is a negative post); its rows count ``zh_weight`` times as much as the main set's.
    """
    paths = [pairs_paths] if isinstance(pairs_paths, (str, Path)) else list(pairs_paths)
    base = encoder or UseEncoder()
    posts = read_pairs(paths)
    xs, ys, groups, found, total = _pairs(_indexed(claims_path, base), posts, seed, 0)
    weights = [np.ones(len(y), dtype=np.float64) for y in ys]
    n_main = len(ys)
    if zh_claims is not None and zh_pairs is not None:
        zh_posts = read_pairs([zh_pairs])
        zx, zy, zg, _, _ = _pairs(
            _indexed(zh_claims, zh_encoder or base), zh_posts, seed, len(posts)
        )
        xs, ys, groups = xs + zx, ys + zy, groups + zg
        weights += [np.full(len(y), zh_weight, dtype=np.float64) for y in zy]
        posts = posts + zh_posts
        paths = paths + [zh_pairs]
    x, y, grp = np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)
    w = np.concatenate(weights)
    # the extra set teaches where a match starts (pointwise) but not how to order candidates:
    # its candidate lists are rewrites of one rumour, whose order says little about real posts
    pair_w = np.concatenate(
        [np.ones(len(y), dtype=np.float64) for y in ys[:n_main]]
        + [np.zeros(len(y), dtype=np.float64) for y in ys[n_main:]]
    )
    lex_cols = [FEATURES_HYBRID.index(f) for f in FEATURES_LEXICAL]
    hybrid, oof_h = _fit(x, y, grp, FEATURES_HYBRID, w, pair_w)
    lexical, oof_l = _fit(x[:, lex_cols], y, grp, FEATURES_LEXICAL, w, pair_w)
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
            "zh_weight": zh_weight if zh_pairs is not None else None,
            "report": {k: v for k, v in report.to_dict().items() if k != "out"},
        },
    ).save(Path(out_path))
    return report


def _map5(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> float:
    """MAP@5 over the posts that have a positive candidate (all-negative posts have no AP)."""
    total, n = 0.0, 0
    for g in np.unique(groups[labels == 1]):
        m = groups == g
        order = np.argsort(-scores[m])[:5]
        lab = labels[m][order]
        hits, ap = 0, 0.0
        for k, hit in enumerate(lab.tolist(), start=1):
            if hit:
                hits += 1
                ap += hits / k
        total += ap / int(labels[m].sum())
        n += 1
    return total / max(n, 1)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry: ``python -m rumordesk.matching.training --claims ... --pairs ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, required=True)
    parser.add_argument("--pairs", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache", type=Path, help="embedding cache file (.npz)")
    parser.add_argument("--zh-claims", type=Path, help="claims of an extra (Chinese) set")
    parser.add_argument("--zh-pairs", type=Path, help="labelled posts of the extra set")
    parser.add_argument("--zh-cache", type=Path, help="embedding cache for the extra set")
    parser.add_argument("--zh-weight", type=float, default=1.0, help="weight of its rows")
    args = parser.parse_args(argv)
    base = UseEncoder()
    encoder: Encoder = CachedEncoder(base, args.cache) if args.cache else base
    zh_encoder: Encoder = CachedEncoder(base, args.zh_cache) if args.zh_cache else base
    report = train_reranker(
        args.claims,
        args.pairs,
        args.out,
        encoder=encoder,
        zh_claims=args.zh_claims,
        zh_pairs=args.zh_pairs,
        zh_encoder=zh_encoder,
        zh_weight=args.zh_weight,
    )
    for used in (encoder, zh_encoder):
        if isinstance(used, CachedEncoder):
            used.flush()
    print(json.dumps(report.to_dict(), indent=2))


if __name__ == "__main__":
    main()
