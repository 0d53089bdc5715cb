"""Exact and keyword rules: whole claim texts contained in a post, and claim keywords.

1. Keywords: an Aho-Corasick automaton over normalised keywords (few per claim) finds every
   keyword occurrence in one pass; it is rebuilt lazily after a library change.
2. Exact containment: instead of a trie over whole claim texts (gigabytes at a million claims),
   each claim text contributes one *anchor*, the hash of its first ``ANCHOR`` characters. Every
   window of the post is hashed with numpy at once; anchor hits are verified by comparing the
   whole claim text with the post at that position, so a reported span is always exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick
import numpy as np
import numpy.typing as npt

from rumordesk.matching.buckets import HashBuckets

ANCHOR = 16
MIN_EXACT_CHARS = 8
_RNG = np.random.default_rng(20240501)
_WEIGHTS = _RNG.integers(1, 2**63, size=ANCHOR, dtype=np.uint64) | np.uint64(1)


@dataclass(frozen=True)
class Hit:
    """A rule hit: which indexed item, and the span [start, end) in the normalised post."""

    item: int
    start: int
    end: int


def _codes(text: str) -> npt.NDArray[np.uint64]:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def anchor_key(text: str) -> int:
    """The anchor hash of a normalised claim text (its first ``ANCHOR`` characters)."""
    codes = _codes(text[:ANCHOR])
    return int((codes * _WEIGHTS[: codes.size]).sum(dtype=np.uint64)) ^ codes.size


class ExactIndex:
    """Finds normalised claim texts contained verbatim in a normalised post."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.buckets = HashBuckets(max_per_key=64)
        self._lengths: set[int] = set()

    def build(self, texts: list[str]) -> None:
        """Index these texts (row = position in the list); short texts get no anchor."""
        self.texts = list(texts)
        self._lengths = set()
        keys, rows = [], []
        for row, text in enumerate(self.texts):
            if len(text) >= MIN_EXACT_CHARS:
                keys.append(anchor_key(text))
                rows.append(row)
                self._lengths.add(min(len(text), ANCHOR))
        self.buckets.bulk_load(np.asarray(keys, dtype=np.uint64), np.asarray(rows, np.uint32))

    def add(self, text: str) -> int:
        """Add one text live; returns its row."""
        row = len(self.texts)
        self.texts.append(text)
        if len(text) >= MIN_EXACT_CHARS:
            self.buckets.add(np.asarray([anchor_key(text)], dtype=np.uint64), row)
            self._lengths.add(min(len(text), ANCHOR))
        return row

    def find(self, post: str) -> list[Hit]:
        """Every indexed text that occurs verbatim in ``post``."""
        codes = _codes(post)
        n = codes.size
        if n < MIN_EXACT_CHARS or not self._lengths:
            return []
        window = np.zeros(n, dtype=np.uint64)
        keys, starts = [], []
        for k in range(min(ANCHOR, n)):
            window[: n - k] += codes[k:] * _WEIGHTS[k]
            if k + 1 in self._lengths:
                keys.append(window[: n - k] ^ np.uint64(k + 1))
                starts.append(np.arange(n - k))
        if not keys:
            return []
        all_keys = np.concatenate(keys)
        all_starts = np.concatenate(starts)
        hits: list[Hit] = []
        if not len(self.buckets):
            return hits
        # Keep only windows whose hash is an anchor, then verify each candidate text there.
        present = self.buckets.contains(all_keys)
        if not present.any():
            return hits
        all_keys, all_starts = all_keys[present], all_starts[present]
        candidates = np.unique(self.buckets.lookup(np.unique(all_keys)))
        for row in candidates.tolist():
            text = self.texts[row]
            key = anchor_key(text)
            for start in all_starts[all_keys == np.uint64(key)].tolist():
                if post.startswith(text, start):
                    hits.append(Hit(item=row, start=start, end=start + len(text)))
                    break
        return hits


class KeywordIndex:
    """Aho-Corasick over normalised keywords; each keyword maps to the claim rows that list it."""

    def __init__(self) -> None:
        self._owners: dict[str, set[int]] = {}
        self._automaton: ahocorasick.Automaton | None = None
        self._dirty = False

    def add(self, row: int, keywords: list[str]) -> None:
        """Register a claim row's normalised keywords (empty strings are ignored)."""
        for word in keywords:
            if word:
                self._owners.setdefault(word, set()).add(row)
                self._dirty = True

    def discard(self, row: int, keywords: list[str]) -> None:
        """Forget a claim row's keywords."""
        for word in keywords:
            owners = self._owners.get(word)
            if owners is not None:
                owners.discard(row)
                if not owners:
                    del self._owners[word]
                self._dirty = True

    def _compile(self) -> ahocorasick.Automaton | None:
        if self._dirty or self._automaton is None:
            automaton = ahocorasick.Automaton()
            for word in self._owners:
                automaton.add_word(word, word)
            self._automaton = automaton if len(automaton) else None
            if self._automaton is not None:
                self._automaton.make_automaton()
            self._dirty = False
        return self._automaton

    def find(self, post: str) -> dict[int, list[tuple[str, int, int]]]:
        """Claim row -> [(keyword, start, end)] for every keyword occurrence in ``post``."""
        automaton = self._compile()
        out: dict[int, list[tuple[str, int, int]]] = {}
        if automaton is None or not post:
            return out
        for end, word in automaton.iter(post):
            for row in self._owners.get(word, ()):
                out.setdefault(row, []).append((word, end - len(word) + 1, end + 1))
        return out
