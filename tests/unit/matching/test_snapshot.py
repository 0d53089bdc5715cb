"""The lexical snapshot: a saved index is read back without re-indexing its claims, answers
exactly like the matcher that saved it, and is ignored when it cannot be trusted."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from rumordesk.matching import engine
from rumordesk.matching.engine import IndexRecord, Matcher, MatchQuery, Thresholds
from rumordesk.matching.library import Library
from rumordesk.matching.semantic import UseEncoder
from rumordesk.matching.snapshot import read_meta, read_state, write_state

from .conftest import LIBRARY

QUERIES = [
    MatchQuery(t)
    for t in [
        "5G towers spread corona",
        "bananas are spiders",
        "明天将发生大地震",
        "bleach cures covid",
        "onions absorb viruses from the air",
    ]
]


def answers(m: Matcher) -> list[list[dict[str, object]]]:
    return [[r.to_dict() for r in row] for row in m.match_many(QUERIES)]


def refuse_indexing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_build(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the claims were indexed again")

    monkeypatch.setattr(Library, "build", no_build)


def edited(encoder: UseEncoder | None, **settings: object) -> Matcher:
    """A matcher with a build and live changes of every kind since (additions, replacement,
    removal), so deltas of BM25, buckets and the row lookup are all in its state."""
    m = Matcher(thresholds=Thresholds(0.8, 0.5), encoder=encoder, **settings)  # type: ignore[arg-type]
    m.build(LIBRARY)
    m.upsert(IndexRecord("c-new", None, ["Bananas are genetically modified spiders"], ["bananas"]))
    m.upsert(IndexRecord("c-onion", "X-ON", ["Onions absorb viruses from the air"]))
    m.remove("c-bleach")
    m.upsert(IndexRecord("c-new", None, ["Bananas are spiders in disguise"]))
    return m


def saved_lexical(tmp_path: Path) -> tuple[Matcher, list[list[dict[str, object]]]]:
    """An edited lexical-only matcher saved under ``tmp_path / "index"``, and its answers."""
    m = edited(None, semantic=False)
    expected = answers(m)
    m.save(tmp_path / "index")
    return m, expected


def test_a_saved_index_loads_from_its_snapshot_with_identical_answers(
    encoder: UseEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = edited(encoder)
    expected = answers(m)
    m.save(tmp_path / "index")
    meta = read_meta(tmp_path / "index" / engine.SNAPSHOT_FILE)
    assert meta is not None and meta["ops"] == 4 and meta["claims"] == len(m)
    refuse_indexing(monkeypatch)
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5), encoder=encoder)
    assert loaded.version == m.version and len(loaded) == len(m)
    assert answers(loaded) == expected
    assert "c-bleach" not in loaded.library.row_of and loaded.library.row_of["c-onion"] >= 0
    # it goes on like the original: a live change, then a save and a load again
    for target in (m, loaded):
        target.upsert(IndexRecord("c-garlic", None, ["Garlic water cures the flu overnight"]))
        target.remove("c-5g")
    assert answers(loaded) == answers(m)


def test_changes_after_the_snapshot_are_replayed_and_a_small_lag_is_not_rewritten(
    encoder: UseEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = edited(encoder, flat_max=4)  # a graph vector index: its file holds the later rows too
    m.save(tmp_path / "index")
    snapshot = tmp_path / "index" / engine.SNAPSHOT_FILE
    written = snapshot.stat().st_mtime_ns
    m.upsert(IndexRecord("c-garlic", None, ["Garlic water cures the flu overnight"]))
    m.remove("c-moon")
    m.save(tmp_path / "index")
    assert snapshot.stat().st_mtime_ns == written  # two changes behind: replayed on load
    assert (read_meta(snapshot) or {})["ops"] == 4
    expected = answers(m) + [[r.to_dict() for r in m.match("garlic water cures the flu")]]
    refuse_indexing(monkeypatch)
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5), encoder=encoder, flat_max=4)
    assert loaded.version == m.version and len(loaded) == len(m)
    got = answers(loaded) + [[r.to_dict() for r in loaded.match("garlic water cures the flu")]]
    assert got == expected
    assert len(loaded._ops) == len(m._ops) == 6


def test_a_snapshot_of_other_indexing_code_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, expected = saved_lexical(tmp_path)
    monkeypatch.setattr(engine, "code_fingerprint", lambda: "other-normaliser")

    def no_restore(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a snapshot of other code was used")

    monkeypatch.setattr(Library, "from_state", no_restore)
    loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5))
    assert answers(loaded) == expected
    monkeypatch.undo()
    loaded.save(tmp_path / "index")  # rewritten for the code now running
    assert (read_meta(tmp_path / "index" / engine.SNAPSHOT_FILE) or {})["epoch"] == m._epoch


def test_an_unreadable_snapshot_is_reported_and_the_index_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, expected = saved_lexical(tmp_path)
    path = tmp_path / "index" / engine.SNAPSHOT_FILE
    state, meta = read_state(path)
    del state["bm25"]["fwd_tokens"]  # a snapshot that lost an array
    write_state(path, state, meta)
    with caplog.at_level(logging.WARNING, logger=engine.__name__):
        loaded = Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5))
    assert "unreadable" in caplog.text
    assert answers(loaded) == expected
    path.write_bytes(b"not a zip file")
    assert answers(Matcher.load(tmp_path / "index", Thresholds(0.8, 0.5))) == expected


def test_state_files_hold_no_objects_and_nest_like_the_state(tmp_path: Path) -> None:
    state = {"a": {"b": np.arange(3), "c": 2.5, "d": ["x", "y"]}, "e": np.zeros((2, 2))}
    write_state(tmp_path / "s.npz", state, {"format": "test"})
    back, meta = read_state(tmp_path / "s.npz")
    assert meta == {"format": "test"}
    assert np.array_equal(back["a"]["b"], np.arange(3)) and back["a"]["c"] == 2.5
    assert back["a"]["d"] == ["x", "y"] and back["e"].shape == (2, 2)
    with pytest.raises(TypeError):
        write_state(tmp_path / "o.npz", {"x": np.array([object()])}, {})
    with pytest.raises(ValueError):
        write_state(tmp_path / "k.npz", {"a/b": 1}, {})
    assert read_meta(tmp_path / "missing.npz") is None
