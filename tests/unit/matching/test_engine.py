"""The Matcher end to end on a small library: layers, fusion, decisions, updates, persistence."""

from __future__ import annotations

import gc
import gzip
import json
import weakref
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from rumordesk.matching.engine import (
    IndexRecord,
    Matcher,
    MatchQuery,
    Thresholds,
    records_from_claims_jsonl,
)
from rumordesk.matching.image import pdq_hash
from rumordesk.matching.library import prepare
from rumordesk.matching.semantic import UseEncoder, VectorIndex, normalise

from .conftest import LIBRARY


def top(matcher: Matcher, text: str) -> tuple[str, float, str, set[str]]:
    result = matcher.match(text, top_k=3)[0]
    return result.claim_id, result.score, result.decision, set(result.layers)


def test_exact_copy_inside_a_longer_post_matches_with_a_span(matcher: Matcher) -> None:
    post = "RT!!! 5G towers spread the coronavirus to people nearby. Share before they delete"
    claim, score, decision, layers = top(matcher, post)
    assert (claim, decision) == ("c-5g", "match")
    assert {"exact", "keyword", "bm25"} <= layers
    result = matcher.match(post)[0]
    assert result.to_dict()["claim_id"] == "EXT-5G" and result.to_dict()["internal_id"] == "c-5g"
    assert result.layers["exact"].detail["spans"]


def test_near_duplicate_is_found_by_minhash(matcher: Matcher) -> None:
    claim, _, decision, layers = top(matcher, "drinking bleach cure covid-19 infection!!")
    assert claim == "c-bleach" and decision in {"match", "review"} and "minhash" in layers


def test_evasive_chinese_spelling_still_matches(matcher: Matcher) -> None:
    # traditional characters, full-width digit, zero-width padding
    evasive = "明天本市將發生\uff18級大\u200b地震，請大家做好準備"
    claim, _, decision, _ = top(matcher, evasive)
    assert (claim, decision) == ("c-quake", "match")


def test_paraphrase_is_found_by_the_encoder(matcher: Matcher) -> None:
    claim, _, _, layers = top(
        matcher, "Apollo astronauts never went to the moon; the footage was shot on a film set"
    )
    assert claim == "c-moon" and "semantic" in layers


def test_translation_is_found_by_the_multilingual_encoder(matcher: Matcher) -> None:
    claim, _, _, layers = top(
        matcher, "iodized salt protects you from nuclear radiation, go buy it at the supermarket"
    )
    assert claim == "c-salt" and "semantic" in layers


def test_scores_are_probabilities_and_ordered(matcher: Matcher) -> None:
    for text in ["5G towers spread the coronavirus", "a cat sat on a mat", "", "地震"]:
        results = matcher.match(text, top_k=10)
        scores = [r.score for r in results]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)


def test_unrelated_text_is_not_a_match(matcher: Matcher) -> None:
    results = matcher.match("my grandmother baked an apple pie for the church picnic")
    assert all(r.decision == "no_match" for r in results)


def test_decisions_follow_thresholds(encoder: UseEncoder) -> None:
    texts = ["drinking bleach cure covid-19 infection", "moon landing hoax", "大地震", "garlic"]
    scores = None
    for match, review in [(0.0, 0.0), (0.3, 0.1), (0.9, 0.6), (1.0, 1.0)]:
        m = Matcher(thresholds=Thresholds(match=match, review=review), encoder=encoder)
        m.build(LIBRARY)
        rows = [m.match(t, top_k=3) for t in texts]
        now = [[r.score for r in row] for row in rows]
        assert scores is None or now == scores  # thresholds never change scores
        scores = now
        for row in rows:
            for r in row:
                expected = (
                    "match" if r.score >= match else ("review" if r.score >= review else "no_match")
                )
                if expected == "match" and r.claim_id == "c-moon":
                    expected = "review"
                assert r.decision == expected


def test_threshold_table() -> None:
    t = Thresholds(match=0.8, review=0.5)
    assert [t.decide(s) for s in (0.95, 0.8, 0.6, 0.5, 0.1)] == [
        "match",
        "match",
        "review",
        "review",
        "no_match",
    ]
    assert t.decide(0.95, confirmed=False) == "review"


def test_unconfirmed_claim_is_capped_at_review(matcher: Matcher) -> None:
    text = "The moon landing in 1969 was filmed in a Hollywood studio"
    result = matcher.match(text)[0]
    assert result.claim_id == "c-moon" and result.score >= 0.8 and result.decision == "review"


def test_upsert_and_remove_change_results_without_rebuild(matcher: Matcher) -> None:
    text = "Eating garlic every day makes you immune to the flu virus"
    assert not [r for r in matcher.match(text) if r.claim_id == "c-garlic"]
    before = matcher.version
    matcher.upsert(
        IndexRecord(
            "c-garlic", None, ["Eating garlic makes you immune to the flu"], keywords=["garlic"]
        )
    )
    assert matcher.version != before
    assert matcher.match(text)[0].claim_id == "c-garlic"
    matcher.upsert(IndexRecord("c-garlic", None, ["Onions absorb viruses from the air"]))
    assert matcher.match("onions absorb viruses from the air")[0].claim_id == "c-garlic"
    after_update = matcher.version
    matcher.remove("c-garlic")
    assert matcher.version != after_update
    assert all(r.claim_id != "c-garlic" for r in matcher.match("onions absorb viruses"))
    assert len(matcher) == len(LIBRARY)


def test_save_and_load_give_identical_results(
    matcher: Matcher, encoder: UseEncoder, tmp_path: Path
) -> None:
    matcher.upsert(IndexRecord("c-new", None, ["Bananas are genetically modified spiders"]))
    matcher.remove("c-bleach")
    queries = [
        MatchQuery(t)
        for t in [
            "5G towers spread corona",
            "bananas are spiders",
            "明天将发生大地震",
            "bleach cures covid",
        ]
    ]
    expected = [[r.to_dict() for r in row] for row in matcher.match_many(queries)]
    matcher.save(tmp_path / "index")
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5), encoder=encoder)
    assert loaded.version == matcher.version
    assert [[r.to_dict() for r in row] for row in loaded.match_many(queries)] == expected


def test_a_graph_vector_index_is_saved_and_loaded_without_a_rebuild(
    encoder: UseEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above ``flat_max`` texts (and, in a deployment, above ``SCAN_MAX``; here the sign scan
    is ruled out) the HNSW-SQ8 index is written as it is and read back; loading builds no graph
    and answers exactly like the saved matcher, live changes included."""
    monkeypatch.setattr(VectorIndex, "_scan_for", lambda _self, _n: False)
    m = Matcher(thresholds=Thresholds(0.8, 0.5), encoder=encoder, flat_max=4)
    m.build(LIBRARY)
    m.upsert(IndexRecord("c-new", None, ["Bananas are genetically modified spiders"]))
    m.remove("c-bleach")
    assert m.library.vectors.kind == "hnsw-sq8"
    queries = [MatchQuery(t) for t in ["bananas are spiders", "5G towers spread corona", "大地震"]]
    expected = [[r.to_dict() for r in row] for row in m.match_many(queries)]
    m.save(tmp_path / "index")
    assert (tmp_path / "index" / "vectors.faiss").exists()
    assert not (tmp_path / "index" / "vectors.npy").exists()

    def no_rebuild(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the graph was rebuilt on load")

    monkeypatch.setattr(VectorIndex, "build", no_rebuild)
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5), encoder=encoder, flat_max=4)
    assert loaded.library.vectors.kind == "hnsw-sq8"
    assert len(loaded.library.vectors) == len(m.library.vectors)
    assert [[r.to_dict() for r in row] for row in loaded.match_many(queries)] == expected


def test_a_scanned_vector_index_finds_paraphrases_and_loads_without_a_rebuild(
    encoder: UseEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between ``flat_max`` and ``SCAN_MAX`` texts the vectors' sign bits are scanned and
    re-ranked with 8-bit codes: a paraphrase is found by the semantic layer, and the saved index
    is read back as it is and answers exactly like the saved matcher."""
    fillers = [
        IndexRecord(f"f-{i}", None, [f"filler claim number {i} about subject {i % 41}"])
        for i in range(1000)
    ]
    real = encoder.encode([prepare(t).semantic for r in LIBRARY for t in r.texts])
    rng = np.random.default_rng(7)  # the fillers' vectors: unrelated directions
    filler_vectors = normalise(rng.normal(size=(1000, real.shape[1])).astype(np.float32))
    vectors = np.concatenate([real, filler_vectors])
    m = Matcher(thresholds=Thresholds(0.8, 0.5), encoder=encoder, flat_max=100)
    m.build(LIBRARY + fillers, vectors=vectors)
    exact = Matcher(thresholds=Thresholds(0.8, 0.5), encoder=encoder)  # flat up to 15k texts
    exact.build(LIBRARY + fillers, vectors=vectors)
    assert (m.library.vectors.kind, exact.library.vectors.kind) == ("binary-sq8", "flat")
    # an English rendering of a Chinese claim: only the semantic layer can find it
    translation = "Iodized salt protects you from nuclear radiation, rush to the supermarket"
    top = m.match(translation)[0]
    assert top.claim_id == "c-salt" and list(top.layers) == ["semantic"]
    for text in (translation, "Cellphone masts gave everyone the virus", "bleach cures covid"):
        # the best two as exact search ranks them (the tail, near-zero scores among the
        # fillers, may differ, as approximate and exact neighbours do)
        found = [(r.claim_id, r.decision) for r in m.match(text)[:2]]
        assert found == [(r.claim_id, r.decision) for r in exact.match(text)[:2]]
    m.upsert(IndexRecord("c-new", None, ["Bananas are genetically modified spiders"]))
    queries = [MatchQuery(t) for t in ["bananas are spiders", "5G towers spread corona", "大地震"]]
    expected = [[r.to_dict() for r in row] for row in m.match_many(queries)]
    m.save(tmp_path / "index")

    def no_rebuild(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the vector index was rebuilt on load")

    monkeypatch.setattr(VectorIndex, "build", no_rebuild)
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5), encoder=encoder, flat_max=100)
    assert loaded.library.vectors.kind == "binary-sq8"
    assert [[r.to_dict() for r in row] for row in loaded.match_many(queries)] == expected


def test_a_long_change_log_is_folded_into_a_fresh_build_on_save(tmp_path: Path) -> None:
    """Past 1,000 live changes, ``save`` rebuilds from the last build's (compressed) records with
    the changes applied; the saved index then holds exactly the live claims."""
    m = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False)
    m.build(LIBRARY)
    for i in range(1001):
        m.upsert(IndexRecord(f"c-{i % 7}", None, [f"claim number {i % 7} about the moon {i}"]))
    m.remove("c-bleach")
    m.upsert(IndexRecord("c-bleach", "RD-B2", ["bleach cures nothing, it burns"]))
    live_before = len(m)
    m.save(tmp_path / "index")
    assert m._ops == [] and m._base_count == live_before  # folded
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5))  # semantic off, as saved
    assert len(loaded) == live_before == len(LIBRARY) + 7
    top = loaded.match("claim number 3 about the moon 997")[0]  # c-3's last text
    assert top.claim_id == "c-3"
    bleach = loaded.match("bleach cures nothing, it burns")[0]
    assert (bleach.claim_id, bleach.external_id) == ("c-bleach", "RD-B2")


def test_repeated_text_is_answered_from_the_cache(matcher: Matcher) -> None:
    first = matcher.match("5G  towers spread the coronavirus!")
    hits = matcher.cache_hits
    again = matcher.match("5g towers spread the coronavirus!")  # same normalised text
    assert matcher.cache_hits == hits + 1
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]
    matcher.remove("c-moon")  # any change invalidates the cache
    matcher.match("5g towers spread the coronavirus!")
    assert matcher.cache_hits == hits + 1


def test_image_match_via_pdq_on_a_resized_copy(encoder: UseEncoder, tmp_path: Path) -> None:
    img = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(img)
    for i in range(10):
        draw.rectangle(
            [i * 30, (i * 53) % 200, i * 30 + 28, (i * 53) % 200 + 35],
            fill=((i * 70) % 255, (i * 30) % 255, 120),
        )
    img.save(tmp_path / "rumour.png")
    img.resize((120, 90)).save(tmp_path / "copy.jpg")
    record = IndexRecord(
        "c-img",
        "IMG-1",
        ["Photo shows flooded airport"],
        image_hashes=[pdq_hash(str(tmp_path / "rumour.png"))[0]],
    )
    m = Matcher(thresholds=Thresholds(0.8, 0.5), encoder=encoder)
    m.build([*LIBRARY, record])
    result = m.match(None, image_path=str(tmp_path / "copy.jpg"))[0]
    assert result.claim_id == "c-img" and result.decision == "match"
    assert result.layers["image"].detail["distance"] <= 31


def test_lexical_path_without_encoder_still_finds_copies() -> None:
    m = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False)
    m.build(LIBRARY)
    assert (
        m.match("drinking bleach cures covid-19 infections, said my uncle")[0].claim_id
        == "c-bleach"
    )


def test_a_claim_too_short_to_be_specific_is_at_most_review() -> None:
    """A verbatim "真的假的？" repeat: four characters do not identify a claim, so the policy's
    ``min_claim_chars`` caps it at review whatever it scores; a full-length claim matches."""
    short = IndexRecord("c-short", "RD-S", ["真的假的？"])
    long_ = IndexRecord("c-long", "RD-L", ["喝板蓝根可以预防新冠病毒感染"])
    for min_chars, expected in ((6, "review"), (0, "match")):
        m = Matcher(thresholds=Thresholds(0.2, 0.1, min_claim_chars=min_chars), semantic=False)
        m.build([short, long_])
        assert list(m.library.claim_chars) == [4, 14]
        best = m.match("真的假的？？")[0]
        assert best.claim_id == "c-short" and best.score >= 0.2 and best.decision == expected
        assert m.match("转发：喝板蓝根可以预防新冠病毒感染，大家注意")[0].decision == "match"
    t = Thresholds(0.8, 0.5, min_claim_chars=6)
    assert t.decide(0.9, claim_chars=5) == "review" and t.decide(0.9, claim_chars=6) == "match"
    assert t.decide(0.3, claim_chars=2) == "no_match"


def test_records_from_both_claim_formats(tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl.gz"
    rows = [
        {"id": "vclaim-1", "text": "A claim.", "title": "Title", "subtitle": "A claim."},
        {
            "external_id": "RD-2",
            "canonical_text": "Another claim",
            "variants": ["v"],
            "keywords": ["k"],
            "language": "en",
            "status": "verifying",
        },
    ]
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write("\n".join(json.dumps(r) for r in rows))
    first, second = list(records_from_claims_jsonl(path))
    assert first.claim_id == first.external_id == "vclaim-1"
    assert first.texts == ["A claim.", "Title"]
    assert second.external_id == "RD-2" and second.texts == ["Another claim", "v"]
    assert second.keywords == ["k"] and not second.confirmed


def test_matching_while_claims_are_added_in_another_thread() -> None:
    """Live updates grow the per-text arrays that compiled matching code reads; an update made
    while another thread matches must neither fail (``BufferError``) nor disturb the match."""
    import threading

    m = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False, cache_size=0)
    m.build(
        [
            IndexRecord(f"c{i}", None, [f"claim number {i} says the bridge {i} will fall"])
            for i in range(50)
        ]
    )
    errors: list[BaseException] = []
    stop = threading.Event()

    def match_forever() -> None:
        try:
            while not stop.is_set():
                for row in m.match_many([MatchQuery("the bridge 7 will fall, claim number 7")]):
                    assert row and row[0].claim_id == "c7"
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)

    readers = [threading.Thread(target=match_forever) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(50, 1500):
            m.upsert(IndexRecord(f"c{i}", None, [f"a later claim {i} about tower {i} on fire"]))
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert not errors, errors[:1]
    assert len(m) == 1500


def test_saving_does_not_wait_for_matches_in_flight_and_blocks_no_match(tmp_path: Path) -> None:
    """A save shares the index with matching: with a match holding the index (another
    thread, mid-batch), the save still completes, and the saved index loads and answers."""
    import threading

    m = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False, cache_size=0)
    m.build([IndexRecord("c1", "X-1", ["the dam upstream has burst and the city will flood"])])
    m.upsert(IndexRecord("c2", None, ["eating garlic cures the new virus overnight"]))
    in_match, release = threading.Event(), threading.Event()

    def long_match() -> None:
        with m._rw.read():  # what match_many holds while it scores a chunk
            in_match.set()
            release.wait(30)

    reader = threading.Thread(target=long_match)
    reader.start()
    try:
        assert in_match.wait(10)
        saver = threading.Thread(target=m.save, args=(tmp_path / "index",))
        saver.start()
        saver.join(30)
        assert not saver.is_alive(), "save waited for the match in flight"
    finally:
        release.set()
        reader.join()
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5))
    assert loaded.match("garlic cures the new virus overnight")[0].claim_id == "c2"
    assert loaded.match("the dam upstream has burst, the city will flood")[0].external_id == "X-1"


def test_a_build_freezes_the_heap_and_a_replaced_index_is_still_freed() -> None:
    """After a build the long-lived objects are out of the collector's sight (full collections
    during matching stop walking them), yet the index a rebuild replaces, reference cycles
    included, does not stay behind in the frozen generation."""
    m = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False)
    m.build(LIBRARY)
    assert gc.get_freeze_count() > 0
    old = weakref.ref(m.library)
    m.build(LIBRARY[:2])
    assert old() is None
    assert [r.claim_id for r in m.match("5G towers spread the coronavirus to people nearby")][
        :1
    ] == ["c-5g"]
    # a matcher dropped without another build frees its index by reference counting alone
    # (the frozen generation is never collected, so the index must hold no reference cycle)
    current = weakref.ref(m.library)
    del m
    assert current() is None
