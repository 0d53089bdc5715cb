"""Compact multi-maps from 64-bit keys to document rows, with cheap live additions.

The main part is two parallel numpy arrays sorted by key and searched with ``np.searchsorted``
(12 bytes per entry, against ~100 for a Python dict of lists); additions since the last compaction
sit in a small dict and are merged in when it grows past a fraction of the main part.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]


class HashBuckets:
    """uint64 key -> doc rows; ``lookup`` returns every row whose key is among the query keys."""

    def __init__(self, *, max_per_key: int = 256) -> None:
        self.max_per_key = max_per_key
        self._keys: U64 = np.empty(0, dtype=np.uint64)
        self._rows: U32 = np.empty(0, dtype=np.uint32)
        self._delta: dict[int, list[int]] = {}
        self._delta_size = 0

    def __len__(self) -> int:
        return int(self._keys.size) + self._delta_size

    @property
    def nbytes(self) -> int:
        """Memory held by the sorted arrays (the delta is small by construction)."""
        return int(self._keys.nbytes + self._rows.nbytes)

    def bulk_load(self, keys: U64, rows: U32) -> None:
        """Replace the contents with these (key, row) pairs."""
        order = np.argsort(keys, kind="stable")
        self._keys = np.ascontiguousarray(keys[order])
        self._rows = np.ascontiguousarray(rows[order])
        self._delta.clear()
        self._delta_size = 0

    def add(self, keys: U64, row: int) -> None:
        """Add one row under several keys (a live update)."""
        for key in keys.tolist():
            self._delta.setdefault(int(key), []).append(row)
        self._delta_size += int(keys.size)
        if self._delta_size > max(4096, self._keys.size // 20):
            self.compact()

    def compact(self) -> None:
        """Merge the delta into the sorted arrays."""
        if not self._delta:
            return
        extra_keys = np.fromiter(
            (k for k, rows in self._delta.items() for _ in rows),
            dtype=np.uint64,
            count=self._delta_size,
        )
        extra_rows = np.fromiter(
            (r for rows in self._delta.values() for r in rows),
            dtype=np.uint32,
            count=self._delta_size,
        )
        self.bulk_load(
            np.concatenate([self._keys, extra_keys]), np.concatenate([self._rows, extra_rows])
        )

    def contains(self, keys: U64) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are stored (one vectorised pass; for filtering many keys)."""
        found = np.zeros(keys.size, dtype=bool)
        if self._keys.size:
            pos = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
            found = self._keys[pos] == keys
        if self._delta:
            found |= np.fromiter(
                (int(k) in self._delta for k in keys.tolist()), dtype=bool, count=keys.size
            )
        return found

    def lookup(self, keys: U64) -> U32:
        """Rows stored under any of ``keys`` (at most ``max_per_key`` per key; may repeat)."""
        parts: list[U32] = []
        if self._keys.size:
            lo = np.searchsorted(self._keys, keys, side="left")
            hi = np.searchsorted(self._keys, keys, side="right")
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                if b > a:
                    parts.append(self._rows[a : min(b, a + self.max_per_key)])
        if self._delta:
            for key in keys.tolist():
                hit = self._delta.get(int(key))
                if hit:
                    parts.append(np.asarray(hit[: self.max_per_key], dtype=np.uint32))
        if not parts:
            return np.empty(0, dtype=np.uint32)
        return np.concatenate(parts)
