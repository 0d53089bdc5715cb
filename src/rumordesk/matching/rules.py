"""Exact and keyword rules: whole claim texts contained in a post, and claim keywords.

1. Keywords: an Aho-Corasick automaton over normalised keywords (few per claim) finds every
   keyword occurrence in one pass; it is rebuilt lazily after a library change.
2. Exact containment: instead of a trie over whole claim texts (gigabytes at a million claims),
   each claim text contributes one *anchor*, the hash of its first ``ANCHOR`` characters (8 for
   a shorter text). Every window of the post is hashed and probed in one compiled pass
   (``kernels.anchor_candidates``); anchor hits are verified by comparing a 64-bit digest of
   the whole claim text with that of the post's span of the same length (``kernels.verify_spans``,
   over the code points the probe already has).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ahocorasick
import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels
from rumordesk.matching.buckets import HashBuckets
from rumordesk.matching.columns import GrowableArray

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
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )


def anchor_length(text: str) -> int:
    """``ANCHOR`` characters, or ``MIN_EXACT_CHARS`` for a shorter text: two window widths in
    all, so a post is hashed at two widths whatever the library holds."""
    return ANCHOR if len(text) >= ANCHOR else MIN_EXACT_CHARS


def anchor_key(text: str) -> int:
    """The anchor hash of a normalised claim text (its first ``anchor_length`` characters)."""
    codes = _codes(text[: anchor_length(text)])
    return int((codes * _WEIGHTS[: codes.size]).sum(dtype=np.uint64)) ^ codes.size


def text_digests(texts: list[str]) -> npt.NDArray[np.uint64]:
    """64-bit digests of whole texts (``kernels.span_digests`` over their code points): what a
    candidate span of a post is verified against."""
    codes = _codes("".join(texts))
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    out: npt.NDArray[np.uint64] = kernels.span_digests(codes, ends - lengths, ends)
    return out


class ExactIndex:
    """Finds normalised claim texts contained verbatim in a normalised post.

    The texts themselves are not kept (at a million claims they were ~200 MB of Python
    strings): each is known by its anchor, its length and a 64-bit digest, and a post span is
    reported when its digest equals the text's (a false report needs a 64-bit collision
    between a candidate span and the claim text, about 1 in 10^19 per comparison).
    """

    def __init__(self) -> None:
        self._digests = GrowableArray(np.uint64)
        self._sizes = GrowableArray(np.int64)
        self.buckets = HashBuckets(max_per_key=64)
        self._lengths: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # anchor lengths

    def __len__(self) -> int:
        return len(self._sizes)

    def build(self, texts: list[str]) -> None:
        """Index these texts (row = position in the list); short texts get no anchor."""
        self._digests = GrowableArray(np.uint64)
        self._digests.extend(text_digests(texts))
        self._sizes = GrowableArray(np.int64)
        self._sizes.extend(len(t) for t in texts)
        lengths: set[int] = set()
        keys, rows = [], []
        for row, text in enumerate(texts):
            if len(text) >= MIN_EXACT_CHARS:
                keys.append(anchor_key(text))
                rows.append(row)
                lengths.add(anchor_length(text))
        self.buckets.bulk_load(np.asarray(keys, dtype=np.uint64), np.asarray(rows, np.uint32))
        self._lengths = np.asarray(sorted(lengths), dtype=np.int64)

    def add(self, text: str) -> int:
        """Add one text live; returns its row."""
        row = len(self._sizes)
        self._digests.append(int(text_digests([text])[0]))
        self._sizes.append(len(text))
        if len(text) >= MIN_EXACT_CHARS:
            self.buckets.add(np.asarray([anchor_key(text)], dtype=np.uint64), row)
            self._lengths = np.union1d(self._lengths, [anchor_length(text)]).astype(np.int64)
        return row

    def state(self) -> dict[str, Any]:
        """The digests, lengths and anchors as arrays (``snapshot``)."""
        return {
            "digests": self._digests.view,
            "sizes": self._sizes.view,
            "lengths": self._lengths,
            "buckets": self.buckets.state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take the contents of ``state``."""
        self._digests = GrowableArray.of(state["digests"].astype(np.uint64))
        self._sizes = GrowableArray.of(state["sizes"].astype(np.int64))
        self._lengths = np.asarray(state["lengths"], dtype=np.int64)
        self.buckets.restore(state["buckets"])

    def find(self, post: str) -> list[Hit]:
        """Every indexed text that occurs verbatim in ``post``."""
        codes = _codes(post)
        n = codes.size
        if n < MIN_EXACT_CHARS or not self._lengths.size:
            return []
        # two lengths at most (``anchor_length``), and most posts are longer than both
        lengths = self._lengths if self._lengths[-1] <= n else self._lengths[self._lengths <= n]
        if not lengths.size or not len(self.buckets):
            return []
        rows, starts = np.empty(0, np.int64), np.empty(0, np.int64)
        if self.buckets.stored:
            rows, starts = kernels.anchor_candidates(
                codes, _WEIGHTS, lengths, *self.buckets.compiled_view(), self.buckets.max_per_key
            )
        if self.buckets.delta_size:
            keys, at = _window_keys(codes, lengths)
            live = self.buckets.contains(keys)
            live_keys, live_starts = keys[live], at[live]
            more_rows, more_starts = [rows], [starts]
            for i in range(live_keys.size):
                hit = self.buckets.lookup(live_keys[i : i + 1]).astype(np.int64)
                more_rows.append(hit)
                more_starts.append(np.full(hit.size, live_starts[i], dtype=np.int64))
            rows, starts = np.concatenate(more_rows), np.concatenate(more_starts)
            # main-index windows come back here too: one (row, start) each, ordered
            _, first = np.unique(rows * (n + 1) + starts, return_index=True)
            rows, starts = rows[first], starts[first]
        if not rows.size:
            return []
        rows, starts, ends = kernels.verify_spans(
            codes,
            rows,
            starts,
            self._sizes.view,
            self._digests.view,
        )
        return [
            Hit(item=r, start=s, end=e)
            for r, s, e in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True)
        ]


def _window_keys(
    codes: npt.NDArray[np.uint64], lengths: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Anchor hashes of every window of each length (by length, then start), for the few keys
    added live since the buckets were last compacted."""
    n = codes.size
    keys, starts = [], []
    for length in lengths.tolist():
        m = n - length + 1
        h = np.zeros(m, dtype=np.uint64)
        for j in range(length):
            h += codes[j : j + m] * _WEIGHTS[j]
        keys.append(h ^ np.uint64(length))
        starts.append(np.arange(m, dtype=np.int64))
    return np.concatenate(keys), np.concatenate(starts)


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
