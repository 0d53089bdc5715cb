"""Image layer: PDQ perceptual hashes (Meta's ThreatExchange standard), matched by Hamming distance.

A distance of at most ``MAX_DISTANCE`` of 256 bits is a match; its score is ``1 - d/256``. Hashes
are kept as a (n, 32) uint8 matrix so one query is a single vectorised XOR + popcount.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

MAX_DISTANCE = 31
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def pdq_hash(path: str) -> tuple[str, int]:
    """PDQ hash (64 hex digits) and quality (0-100) of an image file."""
    import pdqhash

    with Image.open(path) as img:
        pixels = np.asarray(img.convert("RGB"))
    bits, quality = pdqhash.compute(pixels)
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex(), int(quality)


def hex_to_bytes(hex_hash: str) -> npt.NDArray[np.uint8]:
    """A 64-hex-digit PDQ hash as 32 bytes."""
    raw = bytes.fromhex(hex_hash.strip())
    if len(raw) != 32:
        raise ValueError(f"not a 256-bit PDQ hash: {hex_hash!r}")
    return np.frombuffer(raw, dtype=np.uint8)


class ImageIndex:
    """Hash rows -> claim rows; ``search`` returns rows within ``MAX_DISTANCE``."""

    def __init__(self) -> None:
        self._hashes = np.empty((0, 32), dtype=np.uint8)
        self.owners: list[int] = []

    def __len__(self) -> int:
        return len(self.owners)

    def add(self, owner: int, hashes: list[str]) -> None:
        """Attach PDQ hashes to a claim row (invalid hashes raise ``ValueError``)."""
        if not hashes:
            return
        block = np.stack([hex_to_bytes(h) for h in hashes])
        self._hashes = np.concatenate([self._hashes, block])
        self.owners.extend([owner] * len(hashes))

    def state(self) -> dict[str, npt.NDArray[np.generic]]:
        """The hashes and their claim rows as arrays (``snapshot``)."""
        return {"hashes": self._hashes, "owners": np.asarray(self.owners, dtype=np.int64)}

    def restore(self, state: dict[str, npt.NDArray[np.generic]]) -> None:
        """Take the contents of ``state``."""
        self._hashes = np.asarray(state["hashes"], dtype=np.uint8).reshape(-1, 32)
        self.owners = [int(r) for r in state["owners"].tolist()]

    def search(self, hex_hash: str, max_distance: int = MAX_DISTANCE) -> list[tuple[int, int, str]]:
        """(claim row, distance, matched hash) for every stored hash within ``max_distance``."""
        if not self.owners:
            return []
        query = hex_to_bytes(hex_hash)
        dist = _POPCOUNT[np.bitwise_xor(self._hashes, query[None])].sum(axis=1, dtype=np.int64)
        hits = np.nonzero(dist <= max_distance)[0]
        return [
            (self.owners[i], int(dist[i]), self._hashes[i].tobytes().hex()) for i in hits.tolist()
        ]
