"""Compact per-claim columns: strings in one buffer, key -> row over sorted hashes."""

from __future__ import annotations

import pytest

from rumordesk.matching.columns import RowLookup, StringColumn


def test_string_column_keeps_text_and_none_in_order() -> None:
    column = StringColumn()
    values = ["c-1", None, "", "谣言-42", "emoji 🙂 and \ud800 lone surrogate"]
    for value in values:
        column.append(value)
    assert len(column) == len(values)
    assert [column[i] for i in range(len(values))] == values
    assert column.take([4, 0, 1, 3, 0, 2]) == [values[i] for i in (4, 0, 1, 3, 0, 2)]
    assert column.take([]) == []
    assert column.nbytes > 0


def test_row_lookup_adds_replaces_removes_and_survives_compaction() -> None:
    ids = StringColumn()
    lookup = RowLookup(ids)
    truth: dict[str, int] = {}

    def put(key: str) -> None:
        ids.append(key)  # the row is the key's position in the column
        lookup[key] = len(ids) - 1
        truth[key] = len(ids) - 1

    for i in range(10_000):  # more than one merge into the sorted arrays
        put(f"claim-{i}")
    for i in range(0, 10_000, 3):  # re-added claims get a new row
        put(f"claim-{i}")
    for i in range(0, 10_000, 7):
        assert lookup.pop(f"claim-{i}") == truth.pop(f"claim-{i}")
    assert lookup.pop("claim-0") is None and lookup.pop("never", -1) == -1
    lookup.compact()
    assert len(lookup) == len(truth)
    for key, row in truth.items():
        assert key in lookup and lookup[key] == row and lookup.get(key) == row
    assert "claim-7" not in lookup and lookup.get("claim-7") is None
    with pytest.raises(KeyError):
        lookup["claim-14"]
    put("claim-7")  # back after removal
    assert lookup["claim-7"] == len(ids) - 1


def test_aligned_arrays_start_a_cache_line_and_hold_what_is_written() -> None:
    import numpy as np

    from rumordesk.matching.columns import CACHE_LINE, aligned_empty

    for rows in (1, 7, 1000, 70_000):
        sig = aligned_empty((rows, 64), np.uint16)
        assert sig.shape == (rows, 64) and sig.dtype == np.uint16
        assert sig.ctypes.data % CACHE_LINE == 0
        sig[:] = np.arange(rows * 64, dtype=np.uint16).reshape(rows, 64)
        assert int(sig[-1, -1]) == (rows * 64 - 1) % 65536
