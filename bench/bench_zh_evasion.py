"""Chinese evasion: do evasive rewrites of real Weibo rumours still match the original claim?

Run:  .venv/bin/python bench/bench_zh_evasion.py [--negatives 20000] [--write-train DIR]
          [--model FILE] [--stress]
Library: the rumour originals of ``weibo-ced/dev.jsonl.gz`` (deduplicated by normalised text).
Every event (and the repost comments under it) falls in a TRAIN or an EVAL half by a hash of its
id, so a re-ranker may learn from the TRAIN half (``--write-train`` writes it as claims and
labelled pairs for ``rumordesk.matching.training --zh-claims/--zh-pairs``; near-copies of a
rumour count as the same claim there) and be judged on the EVAL half only; all tables below are
EVAL-half figures, with the whole library indexed.
Queries: every variant from ``bench.evasion.make_variants`` (each trick alone, plus random
combinations). Negatives: the non-rumour originals, and repost comments with text (a seeded
sample of ``--negatives``), split by whether the comment sits under a rumour (such comments may
legitimately repeat it) or a non-rumour. Reports recall@1 per trick, then the share of variants
(correct top-1 and score >= t) and of negatives (top-1 score >= t) at several thresholds t, and
writes the negatives decided ``match`` to ``bench/out/zh-false-matches.jsonl`` for inspection.
Embeddings are cached in ``bench/out/zh-embeddings.npz``.
``--stress`` also matches the EVAL half's variants from ``bench.evasion.make_stress_variants``:
heavier (homophones for a quarter of the characters, a symbol, space or rare invisible character
after every character) and differently spelled (pinyin with tone marks or numbers, "Martian
script", only the first 60 % of the text) tricks that no model was trained or tuned on.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import hashlib
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATA, OUT, ROOT, read_jsonl, table  # noqa: E402
from bench.evasion import make_stress_variants, make_variants  # noqa: E402
from rumordesk.domain.policy import load_policy  # noqa: E402
from rumordesk.matching.embedcache import CachedEncoder  # noqa: E402
from rumordesk.matching.engine import IndexRecord, Matcher, MatchQuery, Thresholds  # noqa: E402
from rumordesk.matching.reranker import Reranker  # noqa: E402
from rumordesk.matching.semantic import UseEncoder  # noqa: E402
from rumordesk.text.normalize import normalize  # noqa: E402

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


def half(event_id: str) -> str:
    """``train`` or ``eval``: a stable split by a hash of the event id (about 50/50)."""
    return "train" if hashlib.sha1(event_id.encode()).digest()[0] % 2 == 0 else "eval"


def kind(text: str, claim: str) -> str:
    """Why a negative matched (a heuristic, checked by hand on samples): ``quote`` when it shares
    a run of >= 12 normalised characters with the claim, ``contentless claim`` when the library
    entry is <= 5 characters ("真的假的？", "真相了"), else ``other`` (a real false positive)."""
    a, b = normalize(text), normalize(claim)
    if len(b) <= 5:
        return "contentless claim"
    run = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(
        0, len(a), 0, len(b)
    )
    return "quote" if run.size >= 12 else "other"


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> None:
    """Build the library, match EVAL variants and negatives, print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--negatives", type=int, default=20000, help="repost comments sampled")
    parser.add_argument("--limit", type=int, default=0, help="use only N rumours (0 = all)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write-train", type=Path, help="write the TRAIN half here and exit")
    parser.add_argument("--model", type=Path, help="re-ranker file (default: the shipped one)")
    parser.add_argument("--examples", type=int, default=1000, help="false matches written out")
    parser.add_argument(
        "--stress",
        action="store_true",
        help="also match heavier and differently spelled variants (bench.evasion.STRESS_TRICKS)",
    )
    args = parser.parse_args()
    policy = load_policy(ROOT / "src" / "rumordesk" / "policy" / "default.yaml").matching
    thresholds = Thresholds(
        match=policy.match_threshold,
        review=policy.review_threshold,
        min_claim_chars=policy.min_claim_chars,
    )
    rng = random.Random(args.seed)

    rumours: dict[str, str] = {}
    alias: dict[str, str] = {}
    by_norm: dict[str, str] = {}
    non_rumours: list[tuple[str, str]] = []  # (event id, text)
    comments: dict[str, list[tuple[str, str]]] = {"rumour": [], "non-rumour": []}
    for event in read_jsonl(DATA / "weibo-ced" / "dev.jsonl.gz"):
        text = (event.get("text") or "").strip()
        if event["label"] == "rumour" and text:
            key = normalize(text)
            if key in by_norm:
                alias[event["id"]] = by_norm[key]
            else:
                by_norm[key] = event["id"]
                rumours[event["id"]] = text
        elif text:
            non_rumours.append((event["id"], text))
        for repost in event.get("reposts") or []:
            if (repost.get("text") or "").strip():
                comments[event["label"]].append((event["id"], repost["text"].strip()))
    ids = sorted(rumours)
    if args.limit:
        ids = ids[: args.limit]
    # Variants and the comment sample are drawn for every event in a fixed order, then split,
    # so both halves (and the embedding cache) stay the same whatever half is used.
    queries: list[tuple[str, str, str]] = []  # (trick, source id, variant)
    for i in ids:
        for trick, variant in make_variants(rumours[i], rng):
            queries.append((trick if "+" not in trick else "combination (2-4 tricks)", i, variant))
    sample_rng = random.Random(args.seed)
    groups = {
        "non-rumour originals": non_rumours,
        "comments under non-rumours": sample_rng.sample(
            comments["non-rumour"], min(len(comments["non-rumour"]), args.negatives // 2)
        ),
        "comments under rumours": sample_rng.sample(
            comments["rumour"], min(len(comments["rumour"]), args.negatives // 2)
        ),
    }
    if args.write_train:
        write_train(args.write_train, ids, rumours, queries, groups)
        return

    encoder = CachedEncoder(UseEncoder(), OUT / "zh-embeddings.npz")
    reranker = Reranker.load(args.model) if args.model else None
    matcher = Matcher(thresholds=thresholds, encoder=encoder, reranker=reranker)
    t0 = time.perf_counter()
    matcher.build([IndexRecord(i, i, [rumours[i]], language="zh") for i in ids])
    print(f"library: {len(ids)} rumours indexed in {time.perf_counter() - t0:.1f}s (all halves)")
    eval_queries = [q for q in queries if half(q[1]) == "eval"]
    same = near_duplicates(rumours)
    recall_table(matcher, eval_queries, alias, same, thresholds)
    negatives_table(matcher, groups, rumours, thresholds, args.examples)
    if args.stress:
        # drawn after everything else, from a generator of their own: the tables above stay
        # the same with or without them
        stress_rng = random.Random(args.seed + 1)
        stress = [
            (trick, i, variant)
            for i in ids
            if half(i) == "eval"
            for trick, variant in make_stress_variants(rumours[i], stress_rng)
        ]
        print("\nStress variants (heavier and differently spelled; never used for training):")
        recall_table(matcher, stress, alias, same, thresholds)
    encoder.flush()


def _shingles(text: str) -> set[str]:
    norm = normalize(text)
    return {norm[i : i + 3] for i in range(max(len(norm) - 2, 1))}


def near_duplicates(texts: dict[str, str], containment: float = 0.6) -> dict[str, set[str]]:
    """For each claim, the other claims that tell the same story: Weibo rumours recur as
    near-copies (a prefix, a URL, another name), which a fact-checker would file as one claim,
    so training must not call them negatives. Containment of character 3-grams, >= 0.6."""
    ids = sorted(texts)
    sh = [_shingles(texts[i]) for i in ids]
    out: dict[str, set[str]] = {i: set() for i in ids}
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            shared = len(sh[a] & sh[b])
            if shared and shared >= containment * min(len(sh[a]), len(sh[b])):
                out[ids[a]].add(ids[b])
                out[ids[b]].add(ids[a])
    return out


def write_train(
    folder: Path,
    ids: list[str],
    rumours: dict[str, str],
    queries: list[tuple[str, str, str]],
    groups: dict[str, list[tuple[str, str]]],
) -> None:
    """TRAIN half as ``claims.jsonl.gz`` and ``pairs.jsonl.gz`` (variants -> their rumour and its
    near-duplicates; the non-rumour originals and comments under non-rumours -> no claim)."""
    train = {i: rumours[i] for i in ids if half(i) == "train"}
    claims = [{"id": i, "text": t, "language": "zh"} for i, t in train.items()]
    same = near_duplicates(train)
    pairs: list[dict[str, object]] = [
        {"text": v, "claims": [s, *sorted(same[s])]} for _, s, v in queries if s in train
    ]
    for name in ("non-rumour originals", "comments under non-rumours"):
        pairs += [{"text": t, "claims": []} for e, t in groups[name] if half(e) == "train"]
    _write_jsonl(folder / "claims.jsonl.gz", claims)
    _write_jsonl(folder / "pairs.jsonl.gz", pairs)
    positives = sum(1 for p in pairs if p["claims"])
    linked = sum(1 for s in same.values() if s)
    print(
        f"wrote {len(claims)} claims ({linked} with near-duplicates), {positives} positive and "
        f"{len(pairs) - positives} negative pairs to {folder}"
    )


def recall_table(
    matcher: Matcher,
    queries: list[tuple[str, str, str]],
    alias: dict[str, str],
    same: dict[str, set[str]],
    thresholds: Thresholds,
) -> None:
    """Recall@1 per trick (strict: the rewritten rumour itself; loose: or a near-copy of it) and
    the share of variants whose correct (strict) top-1 clears each threshold."""
    t0 = time.perf_counter()
    results = matcher.match_many([MatchQuery(v, lang="zh") for _, _, v in queries], top_k=1)
    secs = time.perf_counter() - t0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    hit_scores: list[float] = []
    misses = []
    for (trick, source, variant), row in zip(queries, results, strict=True):
        top = row[0].claim_id if row else None
        ok = top is not None and (top == source or alias.get(top) == source)
        near = ok or (top is not None and top in same.get(source, set()))
        matched = ok and row[0].decision == "match"
        if ok:
            hit_scores.append(row[0].score)
        for key in (trick, "ALL"):
            per[key][0] += 1
            per[key][1] += int(ok)
            per[key][2] += int(matched)
            per[key][3] += int(near)
        if not ok and len(misses) < 5:
            misses.append((trick, variant[:60]))
    rows = [
        [k, v[0], v[1] / v[0], v[3] / v[0], v[2] / v[0]]
        for k, v in sorted(per.items())
        if k != "ALL"
    ]
    a = per["ALL"]
    n = a[0]
    rows.append(["**all variants**", n, a[1] / n, a[3] / n, a[2] / n])
    print(f"\nEVAL-half variants matched at {n / secs:.0f} posts/s")
    head = ["trick", "variants", "recall@1", "recall@1 (near-copy ok)"]
    print(table([*head, f"decided match (>= {thresholds.match})"], rows))
    for trick, text in misses:
        print(f"  miss example [{trick}]: {text}")
    found = len(hit_scores)
    trade = [
        [t, sum(s >= t for s in hit_scores) / n, sum(s >= t for s in hit_scores) / max(found, 1)]
        for t in THRESHOLDS
    ]
    print()
    print(table(["threshold", "variants: correct top-1 >= t", "share of top-1 hits >= t"], trade))


def negatives_table(
    matcher: Matcher,
    groups: dict[str, list[tuple[str, str]]],
    rumours: dict[str, str],
    thresholds: Thresholds,
    examples: int,
) -> None:
    """Share of EVAL-half negatives whose best claim scores >= each threshold; writes examples."""
    rows, kinds = [], []
    found: list[dict[str, object]] = []
    for name, items in groups.items():
        texts = [(e, t) for e, t in items if half(e) == "eval"]
        res = matcher.match_many([MatchQuery(t, lang="zh") for _, t in texts], top_k=1)
        scores = [row[0].score if row else 0.0 for row in res]
        decided = sum(1 for row in res if row and row[0].decision == "match")
        rows.append(
            [name, len(texts), decided / len(texts)]
            + [sum(s >= t for s in scores) / len(texts) for t in THRESHOLDS]
        )
        counts = {"quote": 0, "contentless claim": 0, "other": 0}
        for (event, text), row in zip(texts, res, strict=True):
            if row and row[0].decision == "match":
                claim_text = rumours[row[0].claim_id]
                why = kind(text, claim_text)
                counts[why] += 1
                found.append(
                    {
                        "group": name,
                        "kind": why,
                        "event": event,
                        "text": text,
                        "score": round(row[0].score, 3),
                        "claim": row[0].claim_id,
                        "claim_text": claim_text,
                    }
                )
        kinds.append([name, decided] + [v / len(texts) for v in counts.values()])
    print()
    head = ["EVAL negatives", "n", f"decided match (>= {thresholds.match})"]
    print(table(head + [f">= {t}" for t in THRESHOLDS], rows))
    print()
    print(
        table(
            ["decided match, by kind", "count", "quote", "contentless claim", "other (false)"],
            kinds,
        )
    )
    random.Random(1).shuffle(found)
    path = OUT / "zh-false-matches.jsonl"
    path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in found[:examples]))
    print(
        f"\n{len(found)} negatives decided match; a sample of {min(len(found), examples)} "
        f"written to {path.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
