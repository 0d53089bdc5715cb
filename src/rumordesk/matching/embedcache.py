"""An encoder wrapper that remembers embeddings on disk, keyed by a hash of the text.

Encoding 35,000 claim texts takes minutes on one core; evaluation and training runs re-encode the
same library every time, so they wrap the encoder in this cache (an ``.npz`` of keys and vectors).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from rumordesk.matching.semantic import F32, Encoder


class CachedEncoder:
    """Delegates to ``base`` only for texts not seen before; ``flush`` writes new vectors."""

    def __init__(self, base: Encoder, path: Path) -> None:
        self.base, self.path = base, Path(path)
        self._vectors: dict[bytes, F32] = {}
        self._dirty = False
        if self.path.exists():
            with np.load(self.path) as data:
                keys = np.asarray(data["keys"]).view(np.uint8).reshape(-1, 16)
                for key, vec in zip(keys, data["vectors"], strict=True):
                    self._vectors[key.tobytes()] = vec

    @property
    def dim(self) -> int:
        """Width of the base encoder's vectors."""
        return self.base.dim

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def encode(self, texts: list[str]) -> F32:
        """Vectors for ``texts``, computing only the missing ones."""
        keys = [self._key(t) for t in texts]
        missing = sorted(
            {i for i, k in enumerate(keys) if k not in self._vectors}, key=lambda i: keys[i]
        )
        todo = list({keys[i]: texts[i] for i in missing}.items())
        for start in range(0, len(todo), 256):
            batch = todo[start : start + 256]
            vecs = self.base.encode([t for _, t in batch])
            for (key, _), vec in zip(batch, vecs, strict=True):
                self._vectors[key] = vec
            self._dirty = True
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def flush(self) -> None:
        """Persist the cache if it grew."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.frombuffer(b"".join(self._vectors), dtype=np.uint8).reshape(-1, 16)
        np.savez(self.path, keys=keys, vectors=np.stack(list(self._vectors.values())))
        self._dirty = False
