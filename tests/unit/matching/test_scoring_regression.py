"""The fast scoring path answers exactly like a plain, loop-by-loop reference implementation.

The reference below is the engine's scoring as it was before it was vectorised (one Python loop
per candidate), with the LSH, exact and keyword layers replaced by brute force over the library,
so any change to candidates, features, evidence, scores or order shows up here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from rumordesk.matching.engine import IndexRecord, Matcher, MatchQuery, MatchResult, Thresholds
from rumordesk.matching.features import MIN_SEMANTIC_CHARS
from rumordesk.matching.image import MAX_DISTANCE
from rumordesk.matching.library import Library, Prepared, prepare
from rumordesk.matching.minhash import MinHashIndex
from rumordesk.matching.records import LayerEvidence
from rumordesk.matching.reranker import FEATURES_HYBRID, FEATURES_LEXICAL
from rumordesk.matching.semantic import UseEncoder

_COL = {name: i for i, name in enumerate(FEATURES_HYBRID)}
_LEXICAL_COLS = [FEATURES_HYBRID.index(f) for f in FEATURES_LEXICAL]

EN_SUBJECTS = [
    "5G towers",
    "The new flu vaccine",
    "Drinking hot lemon water",
    "The city council",
    "Bill Gates",
    "The World Health Organization",
    "Eating raw garlic",
    "The central bank",
    "A secret government lab",
    "Wearing face masks",
    "The national election commission",
    "Microwave ovens",
    "Tap water in the capital",
    "The football federation",
    "Chemtrails from airplanes",
    "The local hospital",
    "Solar panels",
    "Fluoride in toothpaste",
    "The prime minister",
    "Electric cars",
]
EN_PREDICATES = [
    "cause cancer in young children, doctors confirm",
    "will be banned starting next Monday",
    "cure COVID-19 infections within three days",
    "were secretly funded by a foreign billionaire",
    "contain microchips that track your location",
    "spread the coronavirus to people nearby",
    "make you infertile according to a leaked report",
    "are giving away free money to every citizen this month",
    "were filmed in a Hollywood studio",
    "will shut down the internet for a week",
]
ZH_SUBJECTS = [
    "吃碘盐",
    "喝板蓝根",
    "本市自来水",
    "新冠疫苗",
    "微波炉加热的食物",
    "5G基站",
    "明天的地铁",
    "超市的冷冻食品",
    "喝热水",
    "戴口罩",
]
ZH_PREDICATES = [
    "可以预防核辐射，大家赶紧去超市抢购",
    "会导致癌症，专家已经证实",
    "将全面停运，请大家提前做好准备",
    "被检测出含有病毒，千万不要购买",
    "能在三天内治愈新冠肺炎",
    "会让人不孕不育，内部文件曝光",
    "每人可以免费领取五百元补贴",
    "明天本市将发生8级大地震",
]


def _library() -> list[IndexRecord]:
    out: list[IndexRecord] = []
    n = 0
    for s in EN_SUBJECTS:
        for p in EN_PREDICATES:
            texts = [f"{s} {p}"]
            if n % 3 == 0:
                texts.append(f"BREAKING: {s.lower()} {p.split(',')[0]}!!")
            keywords = [s.split()[-1], p.split()[0]] if n % 4 == 0 else []
            out.append(
                IndexRecord(
                    f"en-{n}",
                    f"EXT-{n}" if n % 5 == 0 else None,
                    texts,
                    keywords=keywords,
                    language="en",
                    confirmed=n % 7 != 0,
                )
            )
            n += 1
    for s in ZH_SUBJECTS:
        for p in ZH_PREDICATES:
            texts = [f"{s}{p}"]
            if n % 3 == 0:
                texts.append(f"紧急通知：{s}{p[:6]}")
            out.append(
                IndexRecord(
                    f"zh-{n}",
                    None,
                    texts,
                    keywords=[s] if n % 2 == 0 else [],
                    language="zh",
                    confirmed=n % 5 != 0,
                )
            )
            n += 1
    out.append(IndexRecord("kw-only", None, ["疫苗"], keywords=["疫苗", "vaccine"]))
    return out


def _queries(records: list[IndexRecord]) -> list[str]:
    q = [
        records[0].texts[0],
        "RT @someone: " + records[11].texts[0] + " share before they delete it!!",
        "My uncle says " + records[45].texts[0].lower() + " and I believe him",
        records[77].texts[-1],
        "Is it true that bill gates funded the vaccine microchips?",
        "#ChemtrailsFromAirplanes cause cancer, wake up people",
        "garlic vaccine hospital masks",
        "The flu vaccine makes people infertile, a leaked report says",
        "electric cars will be banned from Monday",
        "nothing to see here, just a sunny day at the beach",
        "ok",
        "",
        "5G",
        "prime minister free money every citizen",
        "Drinking hot lemon water cures covid in three days, confirmed by doctors",
        "tap water in the capital contains microchips",
        "The WHO says solar panels spread the coronavirus",
        "microwave ovens will shut down the internet",
        "The football federation was secretly funded by a foreign billionaire!",
        "they say wearing face masks causes cancer in young kids",
    ]
    zh = [r for r in records if r.language == "zh"]
    q += [
        zh[0].texts[0],
        "转发：" + zh[3].texts[0] + "，赶紧告诉家人！",
        zh[9].texts[-1],
        "吃碘盐可以預防核輻射，大家趕緊去超市搶購",  # traditional characters
        "吃点盐可以预防核辐射",  # homophone-style evasion
        "听说新冠疫苗会导致癌症？",
        "喝板蓝根能治愈新冠",
        "地震",
        "疫苗",
        "今天天气很好，我们去公园散步吧",
        "超市冷冻食品含病毒，不要买",
        "明天本市将发生8级大地震，请大家做好准备",
        "5G基站会让人不孕不育",
        "每人免费领取五百元补贴，本市自来水",
        "戴口罩 会导致 癌症",
    ]
    q += [records[i].texts[0] for i in range(2, 200, 13)]
    return q


# -- the reference: brute-force layers and the original per-candidate loop ----------------------


def _ref_lsh(index: MinHashIndex, prep_set: Any) -> tuple[Any, set[int]]:
    if not len(prep_set):
        return None, set()
    sig = index.signature(prep_set)
    n = len(index)
    keys = index.band_keys(index.signatures[:n])
    qkeys = index.band_keys(sig[None])[0]
    shared = np.isin(keys, qkeys).any(axis=1) & (index.sizes[:n] > 0)
    jac = (index.signatures[:n] == sig[None]).mean(axis=1).astype(np.float32)
    return sig, set(np.nonzero(shared & (jac >= 0.2))[0].tolist())


def _norms(m: Matcher) -> list[str]:
    """The normalised text of every text row, in row order (builds, then live additions)."""
    records = m._base_records() + [arg for op, arg in m._ops if isinstance(arg, IndexRecord)]
    return [prepare(t).norm for r in records for t in r.texts]


def _ref_signals(lib: Library, prep: Prepared, bm25_k: int, norms: list[str]) -> dict[str, Any]:
    sig: dict[str, Any] = {"prepared": prep, "bm25": {}, "lsh": set(), "exact": {}, "cos": {}}
    rows, scores = lib.bm25.search(prep.tokens, k=bm25_k)
    for rank, (r, s) in enumerate(zip(rows.tolist(), scores.tolist(), strict=True)):
        sig["bm25"][r] = (s, rank)
    sig["bm25_top"] = float(scores[0]) if scores.size else 0.0
    sig["minhash_sig"], lsh = _ref_lsh(lib.minhash, prep.shingles)
    sig["pinyin_sig"], py_lsh = _ref_lsh(lib.pinyin, prep.pinyin)
    py_lsh = {lib.pinyin_text[t] for t in py_lsh}
    for t in lsh | py_lsh:
        sig["lsh"].add(lib.text_owner[t])
    assert len(norms) == len(lib.exact)
    for t, text in enumerate(norms):
        pos = prep.norm.find(text) if len(text) >= 8 else -1
        if pos >= 0:
            sig["exact"].setdefault(lib.text_owner[t], []).append((t, pos, pos + len(text)))
    keywords: dict[int, list[tuple[str, int, int]]] = {}
    for r, words in enumerate(lib.keywords):
        if not lib.alive[r]:
            continue
        for w in words:
            start = prep.norm.find(w)
            while start >= 0:
                keywords.setdefault(r, []).append((w, start, start + len(w)))
                start = prep.norm.find(w, start + 1)
    sig["keywords"] = {r: sorted(h, key=lambda x: (x[2], -len(x[0]))) for r, h in keywords.items()}
    alive = lib.alive
    sig["lsh"] = {r for r in sig["lsh"] if alive[r]}
    sig["exact"] = {r: v for r, v in sig["exact"].items() if alive[r]}
    sig["images"] = {}
    return sig


def _ref_candidates(lib: Library, sig: dict[str, Any], qvec: Any) -> tuple[list[int], Any, Any]:
    rows = sorted(set(sig["bm25"]) | set(sig["cos"]) | sig["lsh"] | set(sig["exact"]))
    rows = sorted(set(rows) | set(sig["keywords"]))
    n = len(rows)
    x = np.zeros((n, len(FEATURES_HYBRID)), dtype=np.float32)
    evidence: list[dict[str, LayerEvidence]] = [{} for _ in rows]
    if n == 0:
        return rows, x, evidence
    prep: Prepared = sig["prepared"]

    def max_per_owner(values: Any, owners: list[int]) -> dict[int, float]:
        best: dict[int, float] = {}
        for v, o in zip(values.tolist(), owners, strict=True):
            if v > best.get(o, -1.0):
                best[o] = v
        return best

    text_rows = [t for r in rows for t in lib.texts_of[r]]
    owners = [lib.text_owner[t] for t in text_rows]
    trows = np.asarray(text_rows, dtype=np.int64)
    cos: dict[int, float] = {}
    cos_first: dict[int, float] = {}
    cos_sum: dict[int, float] = {}
    if qvec is not None and trows.size:
        sims = (lib.vectors.vectors(trows) @ qvec).astype(np.float32)
        cos = max_per_owner(sims, owners)
        for t, o, v in zip(text_rows, owners, sims.tolist(), strict=True):
            if t == lib.texts_of[o][0]:
                cos_first[o] = v
            cos_sum[o] = cos_sum.get(o, 0.0) + v
    mh: dict[str, tuple[dict[int, float], dict[int, float]]] = {}
    for name, index, qsig, size in (
        ("minhash", lib.minhash, sig["minhash_sig"], len(prep.shingles)),
        ("pinyin", lib.pinyin, sig["pinyin_sig"], len(prep.pinyin)),
    ):
        if qsig is None or not trows.size:
            mh[name] = ({}, {})
            continue
        if name == "pinyin":  # texts without pinyin have no row there: Jaccard 0
            prows = np.asarray([lib.pinyin_of[t] for t in trows.tolist()], dtype=np.int64)
            jac = np.zeros(trows.size, dtype=np.float32)
            has = prows >= 0
            jac[has] = (index.signatures[prows[has]] == qsig[None]).mean(axis=1)
            csize = np.zeros(trows.size, dtype=np.float32)
            csize[has] = index.sizes[prows[has]]
        else:
            jac = (index.signatures[trows] == qsig[None]).mean(axis=1).astype(np.float32)
            csize = index.sizes[trows].astype(np.float32)
        inter = jac * (csize + float(size)) / (1.0 + jac)
        cont = np.clip(inter / np.maximum(csize, 1.0), 0.0, 1.0).astype(np.float32)
        mh[name] = (max_per_owner(jac, owners), max_per_owner(cont, owners))
    cos_values = sorted((cos.get(r, 0.0) for r in rows), reverse=True)
    top_cos = cos_values[0] if cos_values else 0.0
    qlen = len(prep.norm)
    qtokens = set(prep.tokens)
    for i, r in enumerate(rows):
        f = x[i]
        ev = evidence[i]
        if r in sig["bm25"]:
            score, rank = sig["bm25"][r]
            f[_COL["bm25_norm"]] = score / sig["bm25_top"] if sig["bm25_top"] else 0.0
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
            if r in sig["cos"] or c >= 0.5:
                ev["semantic"] = LayerEvidence(c)
        jaccard = mh["minhash"][0].get(r, 0.0)
        contained = mh["minhash"][1].get(r, 0.0)
        f[_COL["jac"]], f[_COL["cont"]] = jaccard, contained
        if r in sig["lsh"] or jaccard >= 0.2:
            ev["minhash"] = LayerEvidence(jaccard, {"containment": round(contained, 4)})
        pj = mh["pinyin"][0].get(r, 0.0)
        f[_COL["py_jac"]] = pj
        if pj >= 0.2:
            ev["pinyin"] = LayerEvidence(pj)
        if r in sig["exact"]:
            f[_COL["exact"]] = 1.0
            ev["exact"] = LayerEvidence(1.0, {"spans": [[s, e] for _, s, e in sig["exact"][r]]})
        if r in sig["keywords"]:
            hits = sig["keywords"][r]
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
    _ = MAX_DISTANCE
    return rows, x, evidence


def _reference(m: Matcher, texts: list[str], top_k: int) -> tuple[list[Any], list[Any]]:
    """(results, feature matrices) per query, computed the slow way."""
    lib = m.library
    preps = [prepare(t) for t in texts]
    norms = _norms(m)
    sigs = [_ref_signals(lib, p, m.bm25_k, norms) for p in preps]
    qvecs: list[Any] = [None] * len(sigs)
    semantic = [j for j, p in enumerate(preps) if len(p.norm) >= MIN_SEMANTIC_CHARS]
    if m.semantic and semantic:
        # encoded and searched chunk by chunk as the engine does (another batch pads the
        # encoder's input differently, which can move a cosine at the top-k boundary by a
        # rounding step and swap which of two near-equal texts is found)
        chunk_of = [j // m.chunk_size for j in semantic]
        vec_parts, found_parts, sim_parts = [], [], []
        for chunk in sorted(set(chunk_of)):
            members = [j for j, c in zip(semantic, chunk_of, strict=True) if c == chunk]
            chunk_vecs = m.encoder.encode([preps[j].semantic for j in members])
            chunk_found, chunk_sims = lib.vectors.search(chunk_vecs, m.semantic_k)
            vec_parts.append(chunk_vecs)
            found_parts.append(chunk_found)
            sim_parts.append(chunk_sims)
        vecs = np.concatenate(vec_parts)
        found, sims = np.concatenate(found_parts), np.concatenate(sim_parts)
        for n, j in enumerate(semantic):
            qvecs[j] = vecs[n]
            for t, s in zip(found[n].tolist(), sims[n].tolist(), strict=True):
                owner = lib.text_owner[t] if t >= 0 else -1
                cos = sigs[j]["cos"]
                if t >= 0 and lib.alive[owner] and (owner not in cos or s > cos[owner][0]):
                    cos[owner] = (s, t)
    results, matrices = [], []
    for sig, qvec in zip(sigs, qvecs, strict=True):
        rows, x, evidence = _ref_candidates(lib, sig, qvec)
        matrices.append((rows, x))
        if not rows:
            results.append([])
            continue
        model = m.reranker.hybrid if qvec is not None else m.reranker.lexical
        raw = model.raw(x if qvec is not None else x[:, _LEXICAL_COLS])
        scores = np.maximum(model.calibrate(raw), np.zeros(len(rows), dtype=np.float32))
        order = np.lexsort((-raw, -scores))[:top_k]
        out = []
        for i in order.tolist():
            r = rows[i]
            score = float(scores[i])
            chars = max(lib.text_len[t] - norms[t].count(" ") for t in lib.texts_of[r])
            decision = m.thresholds.decide(score, confirmed=lib.confirmed[r], claim_chars=chars)
            out.append(
                MatchResult(lib.claim_id(r), lib.external_ids[r], score, decision, evidence[i])
            )
        results.append(out)
    return results, matrices


def _assert_same(got: list[MatchResult], want: list[MatchResult]) -> None:
    assert [r.claim_id for r in got] == [r.claim_id for r in want]
    for g, w in zip(got, want, strict=True):
        assert g.external_id == w.external_id
        assert g.score == pytest.approx(w.score, abs=1e-6)
        assert g.decision == w.decision
        assert sorted(g.layers) == sorted(w.layers), g.claim_id
        for name, ev in w.layers.items():
            assert float(g.layers[name].score) == pytest.approx(float(ev.score), abs=1e-6), name
            assert g.layers[name].detail == ev.detail, (g.claim_id, name)


@pytest.fixture(scope="module")
def regression_matcher(encoder: UseEncoder) -> Matcher:
    """A few hundred claims, then live changes (so the delta paths of every layer are used)."""
    records = _library()
    m = Matcher(thresholds=Thresholds(match=0.8, review=0.5), encoder=encoder, cache_size=0)
    m.build(records[:-20])
    for record in records[-20:]:
        m.upsert(record)
    m.remove("en-30")
    m.remove(records[-3].claim_id)
    m.upsert(IndexRecord("en-30", None, ["5G towers secretly cause cancer in young children"]))
    return m


@pytest.mark.parametrize("semantic", [False, True])
@pytest.mark.parametrize("top_k", [10, 3])
def test_results_equal_reference(regression_matcher: Matcher, semantic: bool, top_k: int) -> None:
    m = regression_matcher
    m.semantic = semantic
    texts = _queries(_library())
    want, _ = _reference(m, texts, top_k)
    got = m.match_many([MatchQuery(t) for t in texts], top_k=top_k)
    assert sum(len(r) for r in want) > 100  # the queries really do hit the library
    for g, w in zip(got, want, strict=True):
        _assert_same(g, w)


@pytest.mark.parametrize("semantic", [False, True])
def test_features_equal_reference(regression_matcher: Matcher, semantic: bool) -> None:
    m = regression_matcher
    m.semantic = semantic
    texts = _queries(_library())
    _, matrices = _reference(m, texts, 10)
    got = m.featurise([MatchQuery(t) for t in texts])
    for cand, (rows, x) in zip(got, matrices, strict=True):
        assert cand.rows == rows
        np.testing.assert_allclose(cand.x, x, atol=1e-6, rtol=0)


def test_buckets_answer_like_a_dict_of_lists() -> None:
    """Vectorised lookup and the bitmap-filtered ``contains`` against a plain dict."""
    from rumordesk.matching import kernels
    from rumordesk.matching.buckets import HashBuckets

    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**64 - 1, size=300, dtype=np.uint64)[rng.integers(0, 300, 5000)]
    rows = np.arange(keys.size, dtype=np.uint32)
    buckets = HashBuckets(max_per_key=7)
    buckets.bulk_load(keys, rows)
    naive: dict[int, list[int]] = {}
    for k, r in zip(keys.tolist(), rows.tolist(), strict=True):
        naive.setdefault(k, []).append(r)
    for row, key in enumerate(rng.integers(0, 2**64 - 1, size=5, dtype=np.uint64).tolist()):
        buckets.add(np.asarray([key, keys[row]], dtype=np.uint64), 10_000 + row)
        naive.setdefault(key, [])
    probe = np.concatenate([keys[:50], rng.integers(0, 2**64 - 1, size=50, dtype=np.uint64)])
    want = [r for k in probe.tolist() for r in naive.get(k, [])[:7]]
    want += [10_000 + i for k in probe.tolist() for i in range(5) if k == keys[i]]
    assert sorted(buckets.lookup(probe).tolist()) == sorted(want)
    present = np.asarray([k in naive for k in probe.tolist()])
    assert np.array_equal(buckets.contains(probe), present)
    values = rng.integers(0, 40, size=200).astype(np.uint32)
    none = np.empty(0, dtype=np.int64)
    assert np.array_equal(kernels.sorted_union(values, none, none), np.unique(values))


def test_exact_finds_first_occurrence_of_every_contained_text() -> None:
    """The all-windows-at-once anchor hashing against ``str.find``."""
    from rumordesk.matching.rules import ExactIndex

    rng = np.random.default_rng(9)
    alphabet = list("abcde fg谣言")
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(3, 30)))) for _ in range(300)]
    index = ExactIndex()
    index.build(texts[:250])
    for text in texts[250:]:
        index.add(text)
    for _ in range(40):
        post = "".join(rng.choice(alphabet, size=int(rng.integers(0, 60))))
        post += texts[int(rng.integers(0, 300))] + post[:10]
        want = [
            (row, post.find(t), post.find(t) + len(t))
            for row, t in enumerate(texts)
            if len(t) >= 8 and t in post
        ]
        assert [(h.item, h.start, h.end) for h in index.find(post)] == want


def test_shared_tokens_count_distinct_common_tokens() -> None:
    """Postings-based counts (short and long postings, live and removed rows) against sets."""
    from rumordesk.matching.bm25 import BM25Index

    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(40)] + ["common"] * 20
    docs = [list(rng.choice(vocab, size=int(rng.integers(0, 12)))) for _ in range(400)]
    index = BM25Index()
    index.build(docs[:380])
    for doc in docs[380:]:
        index.add(doc)
    for row in (3, 17, 385):
        index.remove(row)
    query = {"common", "w1", "w2", "w3", "nowhere"}
    for rows in ([0, 3, 5, 390], list(range(0, 400, 7)), list(range(400))):
        common, sizes = index.shared_tokens(rows, query)
        for i, r in enumerate(rows):
            doc = set(index.tokens(r))
            assert sizes[i] == len(doc)
            assert common[i] == len(doc & query)
