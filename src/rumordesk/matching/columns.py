"""Compact per-claim columns for a million-claim library.

A Python ``str`` costs ~50 bytes before its first character and a dict entry ~100 more; at a
million claims the claim ids alone, as a list and an id -> row dict, were ~200 MB, and the
freed objects left the allocator's arenas fragmented. These keep the same facts in a few flat
buffers:

- ``StringColumn``: append-only strings (or ``None``) in one UTF-8 buffer with end offsets.
- ``RowLookup``: key -> row over a ``StringColumn`` of keys: 64-bit hashes sorted in numpy (16
  bytes a key), a small dict for keys added since the last merge, every hit verified against
  the column, so a hash collision can never return a wrong row.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

_MASK = (1 << 64) - 1


class StringColumn:
    """Row -> string (or ``None``); rows are appended, never changed."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("q")
        self._none = bytearray()

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, value: str | None) -> None:
        """Store the next row's value."""
        if value is not None:
            self._data += value.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))
        self._none.append(value is None)

    def __getitem__(self, row: int) -> str | None:
        if self._none[row]:
            return None
        start = self._ends[row - 1] if row else 0
        return self._data[start : self._ends[row]].decode("utf-8", "surrogatepass")

    def take(self, rows: list[int]) -> list[str | None]:
        """The values of several rows (what ``[column[r] for r in rows]`` gives, without a
        method call per row: results read ten claim ids a post)."""
        data, ends, none = self._data, self._ends, self._none
        out: list[str | None] = []
        for row in rows:
            if none[row]:
                out.append(None)
            else:
                start = ends[row - 1] if row else 0
                out.append(data[start : ends[row]].decode("utf-8", "surrogatepass"))
        return out

    @property
    def nbytes(self) -> int:
        """Bytes held (buffer, offsets and flags)."""
        return len(self._data) + 8 * len(self._ends) + len(self._none)

    def state(self) -> dict[str, Any]:
        """The column as arrays (``snapshot``)."""
        return {
            "data": np.frombuffer(bytes(self._data), dtype=np.uint8),
            "ends": np.asarray(self._ends, dtype=np.int64),
            "none": np.frombuffer(bytes(self._none), dtype=np.uint8),
        }

    @classmethod
    def of(cls, values: Iterable[str]) -> StringColumn:
        """A column holding ``values`` in order (how snapshots store lists of words)."""
        column = cls()
        for value in values:
            column.append(value)
        return column

    def strings(self) -> list[str]:
        """Every row's value, ``None`` read as ""."""
        return [v or "" for v in self.take(list(range(len(self))))]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> StringColumn:
        """Inverse of ``state``."""
        column = cls()
        column._data = bytearray(state["data"].tobytes())
        column._ends = array("q", state["ends"].astype(np.int64).tobytes())
        column._none = bytearray(state["none"].tobytes())
        return column


CACHE_LINE = 64


def aligned_empty(shape: tuple[int, ...], dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """An uninitialised array whose first byte starts a cache line.

    Large numpy arrays start 16 bytes into a line, so each 128-byte MinHash signature row
    spanned three lines instead of two, and matching reads hundreds of random rows a post.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + CACHE_LINE, dtype=np.uint8)
    skip = -raw.ctypes.data % CACHE_LINE
    out: npt.NDArray[Any] = raw[skip : skip + nbytes].view(dtype).reshape(shape)
    return out


def _hash(key: str) -> int:
    return hash(key) & _MASK  # salted per process: fine, these hashes are never persisted


class RowLookup:
    """Key -> row for the keys of a ``StringColumn`` (row = position in the column), with
    deletions; the dict-like subset the library needs."""

    def __init__(self, keys: StringColumn) -> None:
        self._keys = keys
        self._hashes: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._rows: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # -1: removed
        self._recent: dict[str, int] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _find(self, key: str) -> int:
        """Position in the sorted arrays of ``key``'s live row, or -1."""
        h = np.uint64(_hash(key))
        pos = int(np.searchsorted(self._hashes, h))
        while pos < self._hashes.size and self._hashes[pos] == h:
            row = int(self._rows[pos])
            if row >= 0 and self._keys[row] == key:
                return pos
            pos += 1
        return -1

    def get(self, key: str, default: int | None = None) -> int | None:
        """The live row of ``key``, or ``default``."""
        row = self._recent.get(key)
        if row is not None:
            return row
        pos = self._find(key)
        return int(self._rows[pos]) if pos >= 0 else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __getitem__(self, key: str) -> int:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __setitem__(self, key: str, row: int) -> None:
        """Map ``key`` (stored at ``row`` of the column) to ``row``; an old row is forgotten."""
        self.pop(key, None)
        self._recent[key] = row
        self._count += 1
        if len(self._recent) > max(4096, self._hashes.size // 8):
            self.compact()

    def pop(self, key: str, default: int | None = None) -> int | None:
        """Forget ``key``; returns its row, or ``default`` when it was not there."""
        row = self._recent.pop(key, None)
        if row is None:
            pos = self._find(key)
            if pos < 0:
                return default
            row = int(self._rows[pos])
            self._rows[pos] = -1
        self._count -= 1
        return row

    def compact(self) -> None:
        """Merge the recent keys into the sorted arrays (removed entries are dropped)."""
        live = self._rows >= 0
        hashes = np.concatenate(
            [
                self._hashes[live],
                np.fromiter(
                    (_hash(k) for k in self._recent), dtype=np.uint64, count=len(self._recent)
                ),
            ]
        )
        rows = np.concatenate(
            [
                self._rows[live],
                np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent)),
            ]
        )
        order = np.argsort(hashes, kind="stable")
        self._hashes, self._rows = hashes[order], rows[order]
        self._recent = {}

    @property
    def nbytes(self) -> int:
        """Bytes held by the sorted arrays (the recent dict is small between merges)."""
        return int(self._hashes.nbytes + self._rows.nbytes)

    @classmethod
    def of_rows(cls, keys: StringColumn, rows: npt.NDArray[np.int64]) -> RowLookup:
        """The lookup of the keys at ``rows`` of ``keys`` (a snapshot keeps the column and the
        live rows, not these hashes: ``hash`` is salted per process)."""
        lookup = cls(keys)
        row_list = rows.tolist()
        hashes = np.fromiter(
            (_hash(k or "") for k in keys.take(row_list)), dtype=np.uint64, count=len(row_list)
        )
        order = np.argsort(hashes, kind="stable")
        lookup._hashes = hashes[order]
        lookup._rows = np.asarray(rows, dtype=np.int64)[order]
        lookup._count = len(row_list)
        return lookup


class GrowableArray:
    """An append-only numpy array of one dtype, grown by doubling, that compiled code reads
    through ``view`` while another thread may append.

    ``array.array`` and ``bytearray`` refuse to grow while a numpy view of them exists (a live
    claim update then failed with ``BufferError`` when a match was running in another thread);
    here growth copies into a new buffer, so a reader keeps a consistent snapshot of the rows it
    asked about. Items read and written from Python are plain Python numbers.
    """

    def __init__(self, dtype: npt.DTypeLike) -> None:
        self._data: npt.NDArray[np.generic] = np.zeros(16, dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def _reserve(self, extra: int) -> None:
        need = self._n + extra
        if need > self._data.size:
            grown = np.zeros(max(need, 2 * self._data.size), dtype=self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown  # readers holding the old buffer keep their snapshot

    def append(self, value: int | bool) -> None:
        """Add one item at the end."""
        self._reserve(1)
        self._data[self._n] = value
        self._n += 1

    def extend(self, values: Iterable[int | bool]) -> None:
        """Add items at the end."""
        items = (
            np.asarray(values, dtype=self._data.dtype)
            if isinstance(values, np.ndarray)
            else np.fromiter(values, dtype=self._data.dtype)
        )
        self._reserve(items.size)
        self._data[self._n : self._n + items.size] = items
        self._n += items.size

    def _index(self, i: int) -> int:
        at = i + self._n if i < 0 else i
        if not 0 <= at < self._n:
            raise IndexError(f"index {i} out of range for {self._n} items")
        return at

    def __getitem__(self, i: int) -> Any:
        return self._data[self._index(i)].item()

    def __setitem__(self, i: int, value: int | bool) -> None:
        self._data[self._index(i)] = value

    @property
    def view(self) -> npt.NDArray[Any]:
        """The items as an array (a snapshot of the current buffer: later appends may not show)."""
        return self._data[: self._n]

    @property
    def nbytes(self) -> int:
        """Bytes held (capacity included)."""
        return int(self._data.nbytes)

    @classmethod
    def of(cls, items: npt.NDArray[Any]) -> GrowableArray:
        """A growable array holding a copy of ``items``."""
        grown = cls(items.dtype)
        grown.extend(items)
        return grown
