"""Compact multi-maps from 64-bit keys to document rows, with cheap live additions.

The main part is two parallel numpy arrays sorted by key and searched with ``np.searchsorted``
(12 bytes per entry, against ~100 for a Python dict of lists); additions since the last compaction
sit in a small dict and are merged in when it grows past a fraction of the main part.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

_Int = TypeVar("_Int", bound=np.integer)
U64 = npt.NDArray[np.uint64]
Keys = npt.NDArray[np.uint64] | npt.NDArray[np.uint32]  # uint32 with ``key_bits=32``
U32 = npt.NDArray[np.uint32]


def sorted_unique(values: npt.NDArray[_Int]) -> npt.NDArray[_Int]:
    """``np.unique`` for the small arrays of one query: a plain sort and a neighbour mask beat
    its hash-based path by several times at a few thousand values."""
    out = np.sort(values)
    if out.size > 1:
        keep = np.empty(out.size, dtype=bool)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    return out


class HashBuckets:
    """Integer key -> doc rows; ``lookup`` returns every row whose key is among the query keys.

    Keys are uint64, or uint32 with ``key_bits=32`` (8 bytes an entry instead of 12, for the
    millions of MinHash band keys; callers then pass keys already cut to 32 bits).
    """

    def __init__(self, *, max_per_key: int = 256, key_bits: int = 64) -> None:
        self.max_per_key = max_per_key
        if key_bits not in (32, 64):
            raise ValueError(f"key_bits must be 32 or 64, not {key_bits}")
        self.key_bits = key_bits
        self._dtype = np.dtype(np.uint64 if key_bits == 64 else np.uint32)
        self._keys: U64 = np.empty(0, dtype=self._dtype)
        self._rows: U32 = np.empty(0, dtype=np.uint32)
        self._delta: dict[int, list[int]] = {}
        self._delta_size = 0
        self._shift = self._dtype.type(key_bits - 16)
        self._bitmap: npt.NDArray[np.bool_] | None = None  # built by the first ``contains``

    def __len__(self) -> int:
        return int(self._keys.size) + self._delta_size

    @property
    def nbytes(self) -> int:
        """Memory held by the sorted arrays and filter (the delta is small by construction)."""
        extra = self._bitmap.nbytes if self._bitmap is not None else 0
        return int(self._keys.nbytes + self._rows.nbytes + extra)

    def bulk_load(self, keys: Keys, rows: U32) -> None:
        """Replace the contents with these (key, row) pairs."""
        order = np.argsort(keys, kind="stable")
        self._keys = np.ascontiguousarray(keys[order], dtype=self._dtype)
        self._rows = np.ascontiguousarray(rows[order])
        self._bitmap = None
        self._delta.clear()
        self._delta_size = 0

    def _filter(self) -> npt.NDArray[np.bool_]:
        # about 8 one-byte slots per key, so ~1/8 of absent keys reach the binary search
        if self._bitmap is None:
            bits = max(16, min(26, int(self._keys.size * 8).bit_length()))
            self._shift = self._dtype.type(self.key_bits - bits)
            self._bitmap = np.zeros(1 << bits, dtype=bool)
            self._bitmap[self._keys >> self._shift] = True
        return self._bitmap

    def add(self, keys: Keys, row: int) -> None:
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
            dtype=self._dtype,
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

    def contains(self, keys: Keys) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are stored (one vectorised pass; for filtering many keys).

        A bitmap over the keys' top bits answers most absent keys with one array lookup; only
        the rest are binary-searched in the sorted keys.
        """
        found = np.zeros(keys.size, dtype=bool)
        if self._keys.size:
            maybe = np.nonzero(self._filter()[keys >> self._shift])[0]
            if maybe.size:
                probe = keys[maybe]
                pos = np.minimum(np.searchsorted(self._keys, probe), self._keys.size - 1)
                found[maybe] = self._keys[pos] == probe
        if self._delta:
            delta = np.fromiter(self._delta, dtype=self._dtype, count=len(self._delta))
            found |= np.isin(keys, delta)
        return found

    def lookup(self, keys: Keys) -> U32:
        """Rows stored under any of ``keys`` (at most ``max_per_key`` per key; may repeat)."""
        parts: list[U32] = []
        if self._keys.size:
            lo = np.searchsorted(self._keys, keys, side="left")
            hi = np.searchsorted(self._keys, keys, side="right")
            count = np.minimum(hi - lo, self.max_per_key)
            total = int(count.sum())
            if total:
                # the slices [lo, lo + count) of every key, concatenated in key order
                offset = np.cumsum(count) - count
                at = np.repeat(lo - offset, count) + np.arange(total)
                parts.append(self._rows[at])
        if self._delta:
            for key in keys.tolist():
                hit = self._delta.get(int(key))
                if hit:
                    parts.append(np.asarray(hit[: self.max_per_key], dtype=np.uint32))
        if not parts:
            return np.empty(0, dtype=np.uint32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
