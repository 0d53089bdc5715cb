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
        self._dead = 0
        self._sorted_postings = False
        self._main_pos: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # row -> position
        self._main_sizes: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # distinct tokens

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
        self._dead = 0
        self._delta = []
        self._df = Counter()
        if rows:
            main = bm25s.BM25(k1=K1, b=B)
            main.index([self._docs[i] for i in rows], show_progress=False)
            self._main = main
            for i in rows:
                self._df.update(set(self._docs[i]))
            self._avgdl = sum(len(self._docs[i]) for i in rows) / len(rows)
            indices = np.asarray(main.scores["indices"], dtype=np.int64)
            self._main_sizes = np.bincount(indices, minlength=len(rows))
            # whether each token's posting lists its documents in ascending order
            step = np.diff(indices)
            starts = np.asarray(main.scores["indptr"][1:-1], dtype=np.int64)
            step[starts[starts > 0] - 1] = 1
            self._sorted_postings = bool(np.all(step > 0))
        else:
            self._main = None
            self._main_sizes = np.empty(0, dtype=np.int64)
        self._main_pos = np.full(len(self._docs), -1, dtype=np.int64)
        self._main_pos[self._main_rows] = np.arange(len(rows), dtype=np.int64)
        self._position = {row: pos for pos, row in enumerate(rows)}

    def tokens(self, row: int) -> list[str]:
        """The indexed tokens of a row (empty once removed)."""
        return self._docs[row]

    def shared_tokens(
        self, rows: list[int], query: set[str]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per row, how many distinct tokens it shares with ``query``, and its distinct tokens.

        Rows of the main index are counted from its postings (a document is listed once under
        each of its distinct tokens); rows added since, from their token lists.
        """
        n = len(rows)
        common = np.zeros(n, dtype=np.float64)
        sizes = np.zeros(n, dtype=np.float64)
        if n == 0:
            return common, sizes
        r = np.asarray(rows, dtype=np.int64)
        pos = np.full(n, -1, dtype=np.int64)
        known = r < self._main_pos.size
        pos[known] = self._main_pos[r[known]]
        main = pos >= 0
        if main.any():
            main[main] = ~self._main_dead[pos[main]]  # removed rows have no tokens left
        if self._main is not None and main.any():
            mpos = pos[main]
            sizes[main] = self._main_sizes[mpos]
            common[main] = self._shared_in_main(mpos, self._main.get_tokens_ids(list(query)))
        for i in np.nonzero(~main)[0].tolist():
            doc = self._docs[rows[i]]
            if doc:
                sizes[i] = len(set(doc))
                common[i] = len(query.intersection(doc))
        return common, sizes

    def _shared_in_main(self, mpos: npt.NDArray[np.int64], ids: list[int]) -> npt.NDArray[np.int64]:
        """For main-index positions ``mpos`` (sorted), how many of the tokens ``ids`` each has.

        Short postings are matched against the candidates in one pass; a long posting (a
        common word in a big library) is instead searched for each candidate, when sorted.
        """
        common = np.zeros(mpos.size, dtype=np.int64)
        assert self._main is not None
        indptr, indices = self._main.scores["indptr"], self._main.scores["indices"]
        short: list[npt.NDArray[np.integer]] = []
        for token in ids:
            a, b = int(indptr[token]), int(indptr[token + 1])
            if b - a <= 8 * mpos.size or not self._sorted_postings:
                short.append(indices[a:b])
                continue
            posting = indices[a:b]
            at = np.minimum(np.searchsorted(posting, mpos), posting.size - 1)
            common += np.take(posting, at) == mpos
        if short:
            posting = np.concatenate(short)
            at = np.minimum(np.searchsorted(mpos, posting), mpos.size - 1)
            found = np.take(mpos, at) == posting
            common += np.bincount(at[found], minlength=mpos.size)
        return common

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
                self._dead += 1
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
                if self._dead:
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
