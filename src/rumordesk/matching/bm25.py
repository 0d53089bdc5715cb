"""BM25 over claim tokens: a ``bm25s`` main index plus a small live delta.

bm25s has no incremental add, so documents added after the last build go to a delta scored here
with the same formula and the main index's statistics (document frequencies of main + delta, the
main average length); removed documents are masked. When the delta outgrows a fraction of the main
index, ``compact`` rebuilds the main index from every live document.
"""

from __future__ import annotations

import math
from collections import Counter

import bm25s
import numpy as np
import numpy.typing as npt

K1, B = 1.5, 0.75


class BM25Index:
    """Document rows -> BM25 scores for a tokenised query; rows are stable across compaction."""

    def __init__(self, *, delta_fraction: float = 0.05) -> None:
        self.delta_fraction = delta_fraction
        self._docs: list[list[str]] = []
        self._alive: list[bool] = []
        self._main: bm25s.BM25 | None = None
        self._main_rows: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._main_dead: npt.NDArray[np.bool_] = np.empty(0, dtype=bool)
        self._df: Counter[str] = Counter()
        self._delta: list[int] = []
        self._avgdl = 1.0

    def __len__(self) -> int:
        return sum(self._alive)

    def build(self, docs: list[list[str]]) -> None:
        """Index these token lists; row = position."""
        self._docs = [list(d) for d in docs]
        self._alive = [True] * len(docs)
        self._rebuild()

    def _rebuild(self) -> None:
        rows = [i for i, alive in enumerate(self._alive) if alive and self._docs[i]]
        self._main_rows = np.asarray(rows, dtype=np.int64)
        self._main_dead = np.zeros(len(rows), dtype=bool)
        self._delta = []
        self._df = Counter()
        if rows:
            main = bm25s.BM25(k1=K1, b=B)
            main.index([self._docs[i] for i in rows], show_progress=False)
            self._main = main
            for i in rows:
                self._df.update(set(self._docs[i]))
            self._avgdl = sum(len(self._docs[i]) for i in rows) / len(rows)
        else:
            self._main = None
        self._position = {row: pos for pos, row in enumerate(rows)}

    def tokens(self, row: int) -> list[str]:
        """The indexed tokens of a row (empty once removed)."""
        return self._docs[row]

    def add(self, tokens: list[str]) -> int:
        """Add one document live; returns its row."""
        row = len(self._docs)
        self._docs.append(list(tokens))
        self._alive.append(True)
        if tokens:
            self._delta.append(row)
            self._df.update(set(tokens))
            if len(self._delta) > max(256, self.delta_fraction * self._main_rows.size):
                self._rebuild()
        return row

    def remove(self, row: int) -> None:
        """Tombstone a row."""
        if row < len(self._alive) and self._alive[row]:
            self._alive[row] = False
            self._docs[row] = []
            pos = self._position.get(row)
            if pos is not None:
                self._main_dead[pos] = True
            if row in self._delta:
                self._delta.remove(row)

    def _delta_scores(self, query: list[str]) -> tuple[list[int], list[float]]:
        n = self._main_rows.size + len(self._delta)
        rows, scores = [], []
        for row in self._delta:
            counts = Counter(self._docs[row])
            length = len(self._docs[row])
            total = 0.0
            for token in query:
                tf = counts.get(token, 0)
                if tf:
                    df = self._df.get(token, 1)
                    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                    total += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self._avgdl))
            if total > 0:
                rows.append(row)
                scores.append(total)
        return rows, scores

    def search(
        self, query: list[str], k: int = 50
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Top-``k`` live rows and their BM25 scores, best first."""
        rows: list[npt.NDArray[np.int64]] = []
        scores: list[npt.NDArray[np.float32]] = []
        if self._main is not None and query:
            ids = self._main.get_tokens_ids(query)
            if ids:
                s = self._main.get_scores_from_ids(ids)
                if self._main_dead.any():
                    s[self._main_dead] = 0.0
                top = (
                    np.argpartition(-s, min(k, s.size - 1))[:k] if s.size > k else np.arange(s.size)
                )
                top = top[s[top] > 0]
                rows.append(self._main_rows[top])
                scores.append(s[top].astype(np.float32))
        if self._delta and query:
            d_rows, d_scores = self._delta_scores(query)
            rows.append(np.asarray(d_rows, dtype=np.int64))
            scores.append(np.asarray(d_scores, dtype=np.float32))
        if not rows:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        all_rows, all_scores = np.concatenate(rows), np.concatenate(scores)
        order = np.argsort(-all_scores, kind="stable")[:k]
        return all_rows[order], all_scores[order]
