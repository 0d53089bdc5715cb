"""Lexical near-duplicates: MinHash signatures over character shingles, banded into LSH buckets.

1. Hash: each character k-shingle gets a stable 64-bit id computed from its code points
   (``shingle_ids``, compiled; never Python's salted ``hash``), all shingles of a text at once.
2. Sign: ``num_perm`` multiply-shift hash functions applied to all ids; the minimum per
   function is the signature, stored as its low 16 bits (64 functions = 128 bytes per text; two
   different minima agree on 16 bits once in 65,536 times, which moves no estimate measurably).
3. Band: the signature is cut into ``bands`` bands; each band hashes to one uint64 bucket key.
4. Query: rows sharing any band key are candidates (two band keys when one-band collisions are
   too many to verify, as in a big library); their Jaccard similarity is estimated as the
   share of equal signature positions, and containment (how much of the claim is in the post) is
   derived from it and the two shingle-set sizes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels
from rumordesk.matching.buckets import HashBuckets
from rumordesk.matching.columns import aligned_empty

U32 = npt.NDArray[np.uint32]
U16 = npt.NDArray[np.uint16]
U64 = npt.NDArray[np.uint64]
EMPTY = np.uint16(0xFFFF)
MANY_CANDIDATES = 1024  # above this many band collisions, a row must collide on two bands
# A band value shared by more texts than this comes from shingles too common to tell texts
# apart ("the", "ing"); it is skipped (a near-duplicate shares several bands, J >= 0.5: ~8 of
# 32), where taking its first rows, as before, added thousands of arbitrary candidates a post.
CROWDED_BAND = 128


_SHINGLE_WEIGHTS = np.random.default_rng(20240502).integers(
    1, 2**63, size=16, dtype=np.uint64
) | np.uint64(1)


def shingle_ids(text: str, k: int) -> U64:
    """Distinct ids of the character ``k``-shingles of ``text`` with spaces removed (one id for
    the whole text when it is shorter than ``k``, none when it is empty), in no useful order.

    An id is a multiply-add hash of the shingle's code points, mixed (xor-shift-multiply) so
    its bits are uniform; equal shingles always get equal ids, in every process.
    """
    if k > _SHINGLE_WEIGHTS.size:
        raise ValueError(f"shingle size must be at most {_SHINGLE_WEIGHTS.size}, got {k}")
    compact = text.replace(" ", "")
    codes = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32)  # widened in the kernel
    out: U64 = kernels.shingle_hashes(codes, k, _SHINGLE_WEIGHTS)
    return out


def string_ids(strings: Iterable[str]) -> U64:
    """Stable ids for arbitrary strings (CRC-32), for callers that bring their own features."""
    return np.fromiter({zlib.crc32(s.encode("utf-8")) for s in strings}, dtype=np.uint64)


class MinHashIndex:
    """A compact MinHash LSH index over shingle sets, one row per indexed text."""

    def __init__(self, *, num_perm: int = 64, bands: int = 32, seed: int = 7) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self._seed = seed
        rng = np.random.default_rng(seed)
        self.num_perm, self.bands, self.rows_per_band = num_perm, bands, num_perm // bands
        self._a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self._mix = rng.integers(
            1, 2**63, size=(bands, self.rows_per_band), dtype=np.uint64
        ) | np.uint64(1)
        self._salt = rng.integers(0, 2**63, size=bands, dtype=np.uint64)
        self.signatures: U16 = np.empty((0, num_perm), dtype=np.uint16)
        self.sizes: npt.NDArray[np.uint16] = np.empty(0, dtype=np.uint16)
        self._n = 0
        self.buckets = HashBuckets(key_bits=32, max_per_key=CROWDED_BAND, skip_crowded=True)

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Memory of signatures, sizes and buckets."""
        return int(
            self.signatures[: self._n].nbytes + self.sizes[: self._n].nbytes + self.buckets.nbytes
        )

    def signature(self, ids: U64) -> U16:
        """The MinHash signature of a set of shingle ids (all ``EMPTY`` for an empty set)."""
        if ids.size == 0:
            return np.full(self.num_perm, EMPTY, dtype=np.uint16)
        out: U16 = kernels.minhash_signature(ids, self._a, self._b)
        return out

    def band_keys(self, signatures: U16) -> U32:
        """32-bit bucket keys, shape (n, bands), for signatures of shape (n, num_perm)."""
        sig = signatures.reshape(-1, self.bands, self.rows_per_band).astype(np.uint64)
        keys = (sig * self._mix[None]).sum(axis=2, dtype=np.uint64) ^ self._salt[None]
        out: U32 = (keys >> np.uint64(32)).astype(np.uint32)  # the well-mixed high half
        return out

    def _grow(self, extra: int) -> None:
        need = self._n + extra
        if need <= self.signatures.shape[0]:
            return
        cap = max(need, 2 * self.signatures.shape[0], 1024)
        sig = aligned_empty((cap, self.num_perm), np.uint16)  # a row in as few lines as can be
        sig[: self._n] = self.signatures[: self._n]
        sizes = np.zeros(cap, dtype=np.uint16)
        sizes[: self._n] = self.sizes[: self._n]
        self.signatures, self.sizes = sig, sizes

    def add_many(self, signatures: U16, sizes: npt.NDArray[np.integer]) -> None:
        """Bulk-add rows (used by ``build``); rebuilds the sorted buckets once."""
        n = signatures.shape[0]
        self._grow(n)
        self.signatures[self._n : self._n + n] = signatures
        self.sizes[self._n : self._n + n] = np.minimum(sizes, 65535)
        self._n += n
        self._reband()

    def add(self, signature: U16, size: int) -> int:
        """Add one row live; returns its row number."""
        self._grow(1)
        row = self._n
        self.signatures[row] = signature
        self.sizes[row] = min(size, 65535)
        self._n += 1
        if size:
            self.buckets.add(kernels.band_keys(signature, self._mix, self._salt), row)
        return row

    def state(self) -> dict[str, Any]:
        """The rows and buckets as arrays (``snapshot``)."""
        return {
            "num_perm": self.num_perm,
            "bands": self.bands,
            "seed": self._seed,
            "signatures": self.signatures[: self._n],
            "sizes": self.sizes[: self._n],
            "buckets": self.buckets.state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take the rows and buckets of ``state`` (written by an index made like this one)."""
        shape = (state["num_perm"], state["bands"], state["seed"])
        if shape != (self.num_perm, self.bands, self._seed):
            raise ValueError(f"MinHash snapshot {shape} differs from this index")
        n = int(state["sizes"].size)
        self._n = 0
        self.signatures = np.empty((0, self.num_perm), dtype=np.uint16)
        self._grow(n)
        self.signatures[:n] = state["signatures"]
        self.sizes[:n] = state["sizes"]
        self._n = n
        self.buckets.restore(state["buckets"])

    def _reband(self) -> None:
        sig = self.signatures[: self._n]
        keys = self.band_keys(sig)
        rows = np.repeat(np.arange(self._n, dtype=np.uint32), self.bands)
        valid = np.repeat(self.sizes[: self._n] > 0, self.bands)
        self.buckets.bulk_load(keys.reshape(-1)[valid], rows[valid])

    def near(
        self, signature: U16, size: int, *, min_jaccard: float = 0.15
    ) -> npt.NDArray[np.int64]:
        """Rows sharing a band whose estimated Jaccard reaches ``min_jaccard`` (sorted)."""
        if size == 0 or self._n == 0:
            return np.empty(0, np.int64)
        if not self.buckets.delta_size:  # one compiled call: keys, buckets, verification
            found: npt.NDArray[np.int64] = kernels.lsh_near(
                signature,
                self._mix,
                self._salt,
                *self.buckets.compiled_view(),
                self.buckets.max_per_key,
                self.buckets.skip_crowded,
                self.signatures,
                np.float32(min_jaccard),
                MANY_CANDIDATES,
            )
            return found
        hits = self.buckets.lookup(kernels.band_keys(signature, self._mix, self._salt))
        # In a big library, texts sharing common shingles collide on one band by chance; above
        # MANY_CANDIDATES distinct rows only those colliding on two or more are verified (a true
        # near-duplicate, J >= 0.5, shares ~8 of 32 bands; low-overlap paraphrases are left to
        # BM25 and vectors).
        out: npt.NDArray[np.int64] = kernels.lsh_verify(
            hits, self.signatures, signature, np.float32(min_jaccard), MANY_CANDIDATES
        )
        return out

    def query(
        self, signature: U16, size: int, *, min_jaccard: float = 0.15
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Rows sharing a band, with estimated Jaccard and containment (claim in query)."""
        rows = self.near(signature, size, min_jaccard=min_jaccard)
        if rows.size == 0:
            return rows, np.empty(0, np.float32), np.empty(0, np.float32)
        jac, cont = self.estimate(signature, size, rows)
        return rows, jac, cont

    def estimate(
        self, signature: U16, size: int, rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Estimated Jaccard and containment of given rows against a query signature."""
        if rows.size == 0 or size == 0:
            z = np.zeros(rows.size, dtype=np.float32)
            return z, z.copy()
        jac, cont = kernels.minhash_estimates(self.signatures, self.sizes, rows, signature, size)
        return jac, cont
