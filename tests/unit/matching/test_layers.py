"""Each index layer on its own, on tiny hand-made inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from rumordesk.matching import bm25 as bm25_module
from rumordesk.matching import semantic
from rumordesk.matching.bm25 import BM25Index
from rumordesk.matching.buckets import HashBuckets
from rumordesk.matching.image import ImageIndex, pdq_hash
from rumordesk.matching.library import semantic_form
from rumordesk.matching.minhash import MinHashIndex, shingle_ids
from rumordesk.matching.rules import ExactIndex, KeywordIndex
from rumordesk.matching.semantic import VectorIndex, normalise


def shingles(text: str, k: int = 3) -> set[str]:
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def test_buckets_find_bulk_and_live_rows() -> None:
    b = HashBuckets()
    b.bulk_load(np.array([5, 1, 5], dtype=np.uint64), np.array([0, 1, 2], dtype=np.uint32))
    b.add(np.array([9, 5], dtype=np.uint64), 3)
    assert sorted(b.lookup(np.array([5], dtype=np.uint64)).tolist()) == [0, 2, 3]
    assert b.lookup(np.array([7], dtype=np.uint64)).size == 0
    b.compact()
    assert sorted(b.lookup(np.array([9, 1], dtype=np.uint64)).tolist()) == [1, 3]


def test_minhash_estimates_jaccard_and_finds_near_duplicates() -> None:
    index = MinHashIndex(num_perm=128, bands=32)
    texts = ["the quick brown fox jumps over the lazy dog", "completely unrelated words here"]
    sets = [shingles(t.replace(" ", "")) for t in texts]
    ids = [shingle_ids(t, 3) for t in texts]
    assert [i.size for i in ids] == [len(shingles(t.replace(" ", ""))) for t in texts]
    index.add_many(np.stack([index.signature(i) for i in ids]), np.array([i.size for i in ids]))
    text = "the quick brown fox jumped over the lazy dog!"
    near, near_ids = shingles(text.replace(" ", "")), shingle_ids(text, 3)
    rows, jac, cont = index.query(index.signature(near_ids), near_ids.size)
    assert rows.tolist() == [0]
    true = len(near & sets[0]) / len(near | sets[0])
    assert abs(float(jac[0]) - true) < 0.15
    assert 0.0 <= float(cont[0]) <= 1.0
    live = index.add(index.signature(near_ids), near_ids.size)
    rows, _, _ = index.query(index.signature(near_ids), near_ids.size)
    assert live in rows.tolist()


def test_shingle_ids_are_distinct_per_shingle_and_stable() -> None:
    assert shingle_ids("", 3).size == 0
    assert shingle_ids("ab", 3).size == 1 and shingle_ids("ab", 3)[0] != shingle_ids("ba", 3)[0]
    assert shingle_ids("abcabc", 3).size == 3  # abc, bca, cab
    assert shingle_ids("地 震 了", 3).tolist() == shingle_ids("地震了", 3).tolist()
    assert shingle_ids("谣言止于智者", 3).tolist() == shingle_ids("谣言止于智者", 3).tolist()


def test_minhash_signature_is_deterministic_across_instances() -> None:
    s = shingle_ids("a stable hash, never Python's salted hash()", 3)
    assert np.array_equal(MinHashIndex().signature(s), MinHashIndex().signature(s))


def test_exact_index_reports_verbatim_spans() -> None:
    index = ExactIndex()
    index.build(["drinking bleach cures covid", "short", "明天本市将发生8级大地震"])
    post = "wow: drinking bleach cures covid!!! 还有明天本市将发生8级大地震"
    hits = {h.item: (h.start, h.end) for h in index.find(post)}
    assert post[slice(*hits[0])] == "drinking bleach cures covid"
    assert post[slice(*hits[2])] == "明天本市将发生8级大地震"
    assert 1 not in hits  # shorter than the minimum
    assert index.find("drinking bleach cures cold") == []
    row = index.add("a newly confirmed claim text")
    assert [h.item for h in index.find("see: a newly confirmed claim text")] == [row]


def test_keyword_index_maps_hits_to_claims_and_forgets() -> None:
    index = KeywordIndex()
    index.add(0, ["5g", "virus"])
    index.add(1, ["virus"])
    found = index.find("5g spreads the virus")
    assert sorted(found) == [0, 1]
    assert {w for w, _, _ in found[0]} == {"5g", "virus"}
    index.discard(0, ["5g", "virus"])
    assert sorted(index.find("5g spreads the virus")) == [1]


def test_bm25_live_add_and_remove_without_rebuild() -> None:
    index = BM25Index()
    index.build([["moon", "landing", "fake"], ["bleach", "cures", "covid"], ["cat", "video"]])
    rows, scores = index.search(["bleach", "covid"], k=3)
    assert rows[0] == 1 and scores[0] > 0
    new = index.add(["covid", "vaccine", "chip", "bleach"])
    rows, _ = index.search(["vaccine", "chip"], k=3)
    assert rows.tolist()[0] == new
    index.remove(1)
    rows, _ = index.search(["bleach", "covid"], k=3)
    assert 1 not in rows.tolist() and new in rows.tolist()


def test_bm25_pruned_top_k_scores_exactly_and_misses_no_document_with_a_rare_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Long postings are cut to their best documents, then the candidates are re-scored in
    full. Every returned score is the true BM25 score, and no document sharing a rare query
    word (complete posting) that beats the last result is missed; with only rare words the
    top-k is exactly bm25s's exhaustive one."""
    monkeypatch.setattr(bm25_module, "IMPACT_LIMIT", 20)
    rng = np.random.default_rng(5)
    common = [f"w{i}" for i in range(8)]  # in most documents: postings far beyond the limit
    rare = [f"r{i}" for i in range(400)]
    docs = [
        [str(w) for w in rng.choice(common, size=rng.integers(1, 6))]
        + [str(w) for w in rng.choice(rare, size=rng.integers(0, 4))]
        for _ in range(600)
    ]
    index = BM25Index()
    index.build(docs)
    index.remove(7)
    assert (index._impact_pos >= 0).any(), "the test corpus must have cut postings"
    main = index._main
    assert main is not None
    for q in range(60):
        rare_words = list(rng.choice(rare, size=1 + q % 3))
        query = list(rng.choice(common, size=q % 4)) + rare_words
        full = main.get_scores_from_ids(main.get_tokens_ids(query))
        full[index._main_dead] = 0
        rows, scores = index.search(query, k=10)
        assert np.allclose(scores, full[rows], atol=1e-4)  # true scores, not estimates
        assert 7 not in rows.tolist()
        floor = scores.min() if rows.size == 10 else 0.0
        with_rare = [d for d, doc in enumerate(docs) if set(rare_words) & set(doc) and d != 7]
        missed = [d for d in with_rare if full[d] > floor + 1e-4 and d not in rows.tolist()]
        assert not missed
        if q % 4 == 0:  # rare words only: exactly the exhaustive top-k
            expected = np.sort(full)[::-1][:10]
            assert np.allclose(np.sort(scores)[::-1], expected[expected > 0], atol=1e-4)


def test_bm25_pruned_top_k_is_the_exact_top_k_of_the_strongest_partial_sums(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the pruned search returns, by its definition: sum each document's scores over the
    (cut) postings, take the ``RESCORE_FACTOR * k`` best partial sums, and return the exact top
    k of those. (Choosing them by an upper bound instead picked documents seen in few lists and
    lost a quarter of the exhaustive top-50 at 100k claims.)"""
    monkeypatch.setattr(bm25_module, "IMPACT_LIMIT", 12)
    rng = np.random.default_rng(8)
    vocab = [f"w{i}" for i in range(40)]
    weights = 1.0 / np.arange(1, 41)  # Zipf-like: the first words have long, cut postings
    weights /= weights.sum()
    docs = [
        [str(w) for w in rng.choice(vocab, size=rng.integers(2, 12), p=weights)] for _ in range(900)
    ]
    index = BM25Index()
    index.build(docs)
    main = index._main
    assert main is not None and (index._impact_pos >= 0).sum() >= 5
    indptr, indices, data = (main.scores[key] for key in ("indptr", "indices", "data"))
    k, checked = 5, 0
    for _ in range(200):
        query = [str(w) for w in rng.choice(vocab, size=4, replace=False)]
        full = main.get_scores_from_ids(main.get_tokens_ids(query))
        partial = np.zeros(len(docs))
        for t in main.get_tokens_ids(query):
            p = index._impact_pos[t]
            if p >= 0:
                at = slice(p, p + index._impact_limit)
                np.add.at(partial, index._impact_docs[at], index._impact_scores[at])
            else:
                np.add.at(
                    partial, indices[indptr[t] : indptr[t + 1]], data[indptr[t] : indptr[t + 1]]
                )
        ranked = np.sort(partial)[::-1]
        keep = bm25_module.RESCORE_FACTOR * k
        if ranked[keep - 1] == ranked[keep] or ranked[keep] == 0:
            continue  # a tie at the cut: either document may be taken
        pool = np.flatnonzero(partial >= ranked[keep - 1])
        best = pool[np.argsort(-full[pool])]
        if np.isclose(full[best[k - 1]], full[best[k]]):
            continue
        rows, _ = index.search(query, k=k)
        assert sorted(rows.tolist()) == sorted(best[:k].tolist())
        checked += 1
    assert checked >= 30


def test_vector_index_kinds_agree_on_the_nearest_and_grow_live() -> None:
    rng = np.random.default_rng(0)
    vectors = normalise(rng.normal(size=(3000, 32)).astype(np.float32))
    queries = normalise(vectors[:20] + 0.05 * rng.normal(size=(20, 32)).astype(np.float32))
    flat = VectorIndex(32)
    scan = VectorIndex(32, flat_max=1000)
    hnsw_sq8 = VectorIndex(32, flat_max=1000, scan_max=0)
    for index, kind in ((flat, "flat"), (scan, "binary-sq8"), (hnsw_sq8, "hnsw-sq8")):
        index.build(vectors)
        assert index.kind == kind
        assert index.search(queries, 1)[0][:, 0].tolist() == list(range(20))
        assert np.allclose(index.vectors(np.array([3])), vectors[3], atol=0.05)
        extra = normalise(rng.normal(size=(5, 32)).astype(np.float32))
        assert index.add(extra) == 3000 and len(index) == 3005
        rows = rng.integers(0, 3005, size=200)
        decoded = index.vectors(rows) @ queries[0]  # cosines read from the codes agree
        assert np.allclose(index.cosines(rows, queries[0]), decoded, atol=1e-5)
        assert index.search(extra, 1)[0][:, 0].tolist() == list(range(3000, 3005))


def test_graph_search_effort_follows_how_the_graph_was_built(tmp_path: Path) -> None:
    """A graph saved by an earlier version (efConstruction 80) keeps the larger efSearch its
    recall was measured with; a graph built now is searched with the smaller one."""
    vectors = normalise(np.random.default_rng(1).normal(size=(400, 16)).astype(np.float32))
    index = VectorIndex(16, flat_max=100, scan_max=0)
    index.build(vectors)
    assert index.index.hnsw.efConstruction == semantic.HNSW_EF_CONSTRUCTION
    assert index.index.hnsw.efSearch == semantic.HNSW_EF_SEARCH
    index.index.hnsw.efConstruction = 80  # as an earlier version built it
    index.save(tmp_path / "old.faiss")
    loaded = VectorIndex(16, flat_max=100)
    loaded.load(tmp_path / "old.faiss")
    assert loaded.index.hnsw.efSearch == semantic.LEGACY_EF_SEARCH
    assert loaded.search(vectors[:5], 1)[0][:, 0].tolist() == list(range(5))


def _picture(path: Path, size: int) -> None:
    img = Image.new("RGB", (400, 300), "white")
    draw = ImageDraw.Draw(img)
    for i in range(12):
        draw.rectangle(
            [i * 30, (i * 47) % 250, i * 30 + 25, (i * 47) % 250 + 40],
            fill=((i * 40) % 255, (i * 90) % 255, (i * 20) % 255),
        )
    draw.ellipse([120, 60, 300, 240], fill="navy")
    img.resize((size, size * 3 // 4)).save(path)


def test_pdq_matches_a_resized_copy_and_not_another_image(tmp_path: Path) -> None:
    _picture(tmp_path / "a.png", 400)
    _picture(tmp_path / "a_small.jpg", 160)
    Image.effect_mandelbrot((400, 300), (-2, -1.2, 1, 1.2), 80).convert("RGB").save(
        tmp_path / "other.png"
    )
    index = ImageIndex()
    index.add(7, [pdq_hash(str(tmp_path / "a.png"))[0]])
    hits = index.search(pdq_hash(str(tmp_path / "a_small.jpg"))[0])
    assert [owner for owner, _, _ in hits] == [7]
    assert hits[0][1] <= 31
    assert index.search(pdq_hash(str(tmp_path / "other.png"))[0]) == []


def test_bm25_token_ids_follow_first_use_whatever_the_hash_seed() -> None:
    """The same library gets the same token ids in every process (bm25s numbers a set, whose
    order follows the hash seed), so replicas sum a query's terms in one order."""
    docs = [["vaccin", "chip", "5g"], ["flood", "dam", "5g"], [], ["chip", "moon"]]
    index = BM25Index()
    index.build(docs)
    main = index._main
    assert main is not None
    first_use = {"vaccin": 0, "chip": 1, "5g": 2, "flood": 3, "dam": 4, "moon": 5}
    assert {t: main.vocab_dict[t] for t in first_use} == first_use
    rows, scores = index.search(["chip", "5g"], k=3)
    assert rows.tolist()[:1] == [0] and scores[0] > scores[-1] > 0


def test_the_encoder_reads_chinese_without_symbol_padding_but_with_its_punctuation() -> None:
    padded = semantic_form("千♫古♪奇※闻 求♡证： 特😂大★新·闻，转发！“谣言”《人民日报》")
    assert padded == "千古奇闻 求证: 特大新闻,转发!“谣言”《人民日报》"
    assert semantic_form("Vaccines ★ cause autism!") == "Vaccines ★ cause autism!"
