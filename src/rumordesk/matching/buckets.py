"""Compact multi-maps from 64-bit keys to document rows, with cheap live additions.

The main part is two parallel numpy arrays sorted by key (12 bytes per entry, against ~100 for a
Python dict of lists), probed through a directory over the keys' top bits by compiled kernels;
additions since the last compaction sit in a small dict and are merged in when it grows past a
fraction of the main part.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels

U64 = npt.NDArray[np.uint64]
Keys = npt.NDArray[np.uint64] | npt.NDArray[np.uint32]  # uint32 with ``key_bits=32``
U32 = npt.NDArray[np.uint32]


class HashBuckets:
    """Integer key -> doc rows; ``lookup`` returns every row whose key is among the query keys
    (a key holding more than ``max_per_key`` rows gives its first ``max_per_key``, or, with
    ``skip_crowded``, none: a key that common says nothing about the query).

    Keys are uint64, or uint32 with ``key_bits=32`` (8 bytes an entry instead of 12, for the
    millions of MinHash band keys; callers then pass keys already cut to 32 bits).
    """

    def __init__(
        self, *, max_per_key: int = 256, key_bits: int = 64, skip_crowded: bool = False
    ) -> None:
        self.max_per_key = max_per_key
        self.skip_crowded = skip_crowded
        if key_bits not in (32, 64):
            raise ValueError(f"key_bits must be 32 or 64, not {key_bits}")
        self.key_bits = key_bits
        self._dtype = np.dtype(np.uint64 if key_bits == 64 else np.uint32)
        self._keys: U64 = np.empty(0, dtype=self._dtype)
        self._rows: U32 = np.empty(0, dtype=np.uint32)
        self._delta: dict[int, list[int]] = {}
        self._delta_size = 0
        self._shift = np.uint64(key_bits - 16)
        self._directory: npt.NDArray[np.integer] | None = None  # built on first use
        self._filter: U64 = np.zeros(1, dtype=np.uint64)
        self._filter_shift = np.uint64(58)

    def __len__(self) -> int:
        return int(self._keys.size) + self._delta_size

    @property
    def nbytes(self) -> int:
        """Memory held by the sorted arrays and directory (the delta is small by construction)."""
        extra = self._directory.nbytes + self._filter.nbytes if self._directory is not None else 0
        return int(self._keys.nbytes + self._rows.nbytes + extra)

    def bulk_load(self, keys: Keys, rows: U32) -> None:
        """Replace the contents with these (key, row) pairs."""
        order = np.argsort(keys, kind="stable")
        self._keys = np.ascontiguousarray(keys[order], dtype=self._dtype)
        self._rows = np.ascontiguousarray(rows[order])
        self._directory = None
        self._delta.clear()
        self._delta_size = 0

    def _slots(self) -> tuple[npt.NDArray[np.integer], np.uint64, U64, np.uint64]:
        """A directory over the keys' top bits: the keys of slot s are sorted_keys[dir[s] :
        dir[s + 1]] (4-8 keys a slot, one cache line of 32-bit keys), so a probe reads one
        directory entry and one short run instead of binary-searching the whole array (a cache
        miss per step at a million claims); 0.5-1 byte per stored entry. In front of it, a
        one-hash filter of 4-16 bits per entry (at most 16 MB) answers most probes for absent
        keys (most probes: a post's windows and bands rarely occur in the library)."""
        if self._directory is None:
            bits = max(8, min(24, int(self._keys.size).bit_length() - 3))
            self._shift = np.uint64(self.key_bits - bits)
            slots = (self._keys >> self._shift).astype(np.int64)
            edges = np.searchsorted(slots, np.arange((1 << bits) + 1, dtype=np.int64))
            self._directory = edges.astype(np.uint32 if self._keys.size < 2**32 else np.int64)
            filter_bits = max(9, min(27, int(self._keys.size).bit_length() + 3))
            self._filter = kernels.key_filter(self._keys, filter_bits)
            self._filter_shift = np.uint64(64 - filter_bits)
        return self._directory, self._shift, self._filter, self._filter_shift

    def state(self) -> dict[str, npt.NDArray[np.generic]]:
        """The contents as arrays (``snapshot``): the sorted pairs and the delta's pairs."""
        return {
            "keys": self._keys,
            "rows": self._rows,
            "delta_keys": np.fromiter(
                (k for k, rows in self._delta.items() for _ in rows),
                dtype=np.uint64,
                count=self._delta_size,
            ),
            "delta_rows": np.fromiter(
                (r for rows in self._delta.values() for r in rows),
                dtype=np.int64,
                count=self._delta_size,
            ),
        }

    def restore(self, state: dict[str, npt.NDArray[np.generic]]) -> None:
        """Take the contents ``state`` gives (the sorted pairs as they are; the directory and
        filter are built at once, not on the first probe)."""
        self._keys = np.ascontiguousarray(state["keys"], dtype=self._dtype)
        self._rows = np.ascontiguousarray(state["rows"], dtype=np.uint32)
        self._directory = None
        self._delta = {}
        for key, row in zip(
            state["delta_keys"].tolist(), state["delta_rows"].tolist(), strict=True
        ):
            self._delta.setdefault(int(key), []).append(int(row))
        self._delta_size = int(state["delta_keys"].size)
        if self._keys.size:
            self._slots()

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
        """Which of ``keys`` are stored (one compiled pass over the directory)."""
        found = np.zeros(keys.size, dtype=bool)
        if self._keys.size:
            found = kernels.bucket_contains(self._keys, *self._slots(), keys)
        if self._delta:
            delta = np.fromiter(self._delta, dtype=self._dtype, count=len(self._delta))
            found |= np.isin(keys, delta)
        return found

    def lookup(self, keys: Keys) -> U32:
        """Rows stored under any of ``keys`` (see the class docstring for crowded keys; may
        repeat)."""
        parts: list[U32] = []
        if self._keys.size:
            parts.append(
                kernels.bucket_rows(
                    self._keys,
                    self._rows,
                    *self._slots(),
                    keys,
                    self.max_per_key,
                    self.skip_crowded,
                )
            )
        if self._delta:
            for key in keys.tolist():
                hit = self._delta.get(int(key))
                if hit and not (self.skip_crowded and len(hit) > self.max_per_key):
                    parts.append(np.asarray(hit[: self.max_per_key], dtype=np.uint32))
        if not parts:
            return np.empty(0, dtype=np.uint32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def compiled_view(
        self,
    ) -> tuple[Keys, U32, npt.NDArray[np.integer], np.uint64, U64, np.uint64]:
        """Sorted keys, their rows, the directory and its shift, the filter and its shift, for
        compiled probes (which must handle the keys added since the last compaction
        themselves)."""
        return self._keys, self._rows, *self._slots()

    @property
    def stored(self) -> int:
        """Entries in the sorted arrays (those ``compiled_view`` covers)."""
        return int(self._keys.size)

    @property
    def delta_size(self) -> int:
        """Entries added since the last compaction (not in ``compiled_view``)."""
        return self._delta_size
