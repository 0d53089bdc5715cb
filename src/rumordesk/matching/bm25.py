"""BM25 over claim tokens: a ``bm25s`` main index plus a small live delta.

Top-k search never scores every document (that is O(library) per query, ~8 ms at a million
claims): a token's posting list is read whole when it is short, and only its ``IMPACT_LIMIT``
highest-scoring documents when it is long (a common word, low IDF). Each candidate of that
accumulation gets a bound (its partial sum plus the lowest kept score of every cut list it is
missing from). Of the ``RESCORE_FACTOR * k`` documents with the highest partial sums, those
found in every cut list already have their exact score, and the rest are re-scored exactly from a
forward index (each document's tokens and their scores), highest bound first and only while a
bound can still beat the k-th score: the result is the exact top-k of those documents.
Every returned score is the true BM25 score; only a document whose rank depends on common
words alone can be missed. The loop is compiled (``kernels.bm25_top``).

bm25s has no incremental add, so documents added after the last build go to a delta scored here
with the same formula and the main index's statistics (document frequencies of main + delta, the
main average length); removed documents are masked. When the delta outgrows a fraction of the main
index, ``compact`` rebuilds the main index from every live document.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from rumordesk.matching import kernels
from rumordesk.matching.columns import StringColumn

K1, B = 1.5, 0.75
IMPACT_LIMIT = 256  # documents read per long posting list
RESCORE_FACTOR = 4  # candidates re-scored exactly per requested result


class _DocStore:
    """Every document's tokens as 32-bit ids in one growable array (a tuple of token strings
    costs ~160 bytes a document; this ~60), with the vocabulary to turn them back into words."""

    def __init__(self) -> None:
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []
        self._ids = array("i")
        self._ends = array("q")

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, tokens: list[str]) -> None:
        """Store one document (its row is the next one)."""
        vocab = self._vocab
        for token in tokens:
            at = vocab.get(token)
            if at is None:
                at = vocab[str(token)] = len(self._words)
                self._words.append(str(token))
            self._ids.append(at)
        self._ends.append(len(self._ids))

    def __getitem__(self, row: int) -> list[str]:
        start = self._ends[row - 1] if row else 0
        words = self._words
        return [words[i] for i in self._ids[start : self._ends[row]]]

    def size(self, row: int) -> int:
        """Number of tokens of a row."""
        return self._ends[row] - (self._ends[row - 1] if row else 0)

    def word_ids(self, words: Counter[str]) -> npt.NDArray[np.int64]:
        """``words``' counts by vocabulary id (every counted word is in the vocabulary)."""
        out = np.zeros(len(self._words), dtype=np.int64)
        for word, count in words.items():
            out[self._vocab[word]] = count
        return out

    def counter(self, counts: npt.NDArray[np.int64]) -> Counter[str]:
        """Inverse of ``word_ids``."""
        words = self._words
        return Counter({words[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()})

    def state(self) -> dict[str, Any]:
        """The documents as arrays (``snapshot``)."""
        return {
            "words": StringColumn.of(self._words).state(),
            "ids": np.asarray(self._ids, dtype=np.int32),
            "ends": np.asarray(self._ends, dtype=np.int64),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _DocStore:
        """Inverse of ``state``."""
        store = cls()
        store._words = StringColumn.from_state(state["words"]).strings()
        store._vocab = {w: i for i, w in enumerate(store._words)}
        store._ids = array("i", state["ids"].astype(np.int32).tobytes())
        store._ends = array("q", state["ends"].astype(np.int64).tobytes())
        return store


I64 = npt.NDArray[np.int64]
_NO_IDS: I64 = np.empty(0, dtype=np.int64)


class BM25Index:
    """Document rows -> BM25 scores for a tokenised query; rows are stable across compaction."""

    def __init__(self, *, delta_fraction: float = 0.05) -> None:
        self.delta_fraction = delta_fraction
        self._docs = _DocStore()  # rows removed keep their tokens; ``_alive`` says which
        self._alive = bytearray()
        self._main: bm25s.BM25 | None = None
        self._main_rows: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._main_dead: npt.NDArray[np.bool_] = np.empty(0, dtype=bool)
        self._df: Counter[str] = Counter()
        self._delta: list[int] = []
        self._avgdl = 1.0
        self._dead = 0
        self._fwd_tokens: npt.NDArray[np.uint32] = np.empty(0, dtype=np.uint32)
        self._fwd_scores: npt.NDArray[np.float32] = np.empty(0, dtype=np.float32)
        self._fwd_ptr: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._main_pos: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # row -> position
        self._main_sizes: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # distinct tokens
        # long postings only: token -> offset into the impact-ordered (top IMPACT_LIMIT) arrays
        self._impact_pos: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)  # -1: whole
        self._impact_limit = IMPACT_LIMIT
        self._impact_docs: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._impact_scores: npt.NDArray[np.float32] = np.empty(0, dtype=np.float32)

    def __len__(self) -> int:
        return sum(self._alive)

    def build(self, docs: list[list[str]]) -> None:
        """Index these token lists; row = position."""
        self._docs = _DocStore()
        for d in docs:
            self._docs.append(d)
        self._alive = bytearray(b"\x01") * len(docs)
        self._rebuild()

    def _rebuild(self) -> None:
        rows = [i for i, alive in enumerate(self._alive) if alive and self._docs.size(i)]
        self._main_rows = np.asarray(rows, dtype=np.int64)
        self._main_dead = np.zeros(len(rows), dtype=bool)
        self._dead = 0
        self._delta = []
        self._df = Counter()
        if rows:
            main = bm25s.BM25(k1=K1, b=B)
            # token ids in order of first use: bm25s numbers a *set* of tokens, whose order
            # changes with the process's hash seed, and the order of summing a query's terms
            # then moved the last bit of a score, and the ranking of ties, between replicas
            vocab: dict[str, int] = {}
            ids = [[vocab.setdefault(t, len(vocab)) for t in self._docs[i]] for i in rows]
            main.index((ids, vocab), show_progress=False)
            self._main = main
            for i in rows:
                self._df.update(set(self._docs[i]))
            self._avgdl = sum(self._docs.size(i) for i in rows) / len(rows)
            self._index_forward(main, len(rows))
            self._index_impacts(main)
        else:
            self._main = None
            self._main_sizes = np.empty(0, dtype=np.int64)
        self._main_pos = np.full(len(self._docs), -1, dtype=np.int64)
        self._main_pos[self._main_rows] = np.arange(len(rows), dtype=np.int64)

    def _index_forward(self, main: bm25s.BM25, n_docs: int) -> None:
        """The postings turned around: per document, its token ids and their BM25 scores."""
        indptr = np.asarray(main.scores["indptr"], dtype=np.int64)
        indices = main.scores["indices"]
        token_of = np.repeat(np.arange(indptr.size - 1, dtype=np.int32), np.diff(indptr))
        order = np.argsort(indices, kind="stable")
        # token id and score of each entry side by side (one cache line per document)
        forward = np.empty((order.size, 2), dtype=np.uint32)
        forward[:, 0] = token_of[order]
        forward[:, 1] = np.asarray(main.scores["data"], dtype=np.float32)[order].view(np.uint32)
        self._fwd_tokens = forward.reshape(-1)
        self._fwd_scores = self._fwd_tokens.view(np.float32)
        self._main_sizes = np.bincount(indices, minlength=n_docs).astype(np.int64)
        self._fwd_ptr = np.concatenate([[0], np.cumsum(self._main_sizes)]).astype(np.int64)

    def _index_impacts(self, main: bm25s.BM25) -> None:
        """For each long posting list, its ``IMPACT_LIMIT`` best documents, best first."""
        indptr = np.asarray(main.scores["indptr"], dtype=np.int64)
        data, indices = main.scores["data"], main.scores["indices"]
        lengths = np.diff(indptr)
        long_tokens = np.nonzero(lengths > IMPACT_LIMIT)[0]
        self._impact_pos = np.full(lengths.size, -1, dtype=np.int64)
        self._impact_pos[long_tokens] = np.arange(long_tokens.size) * IMPACT_LIMIT
        self._impact_limit = IMPACT_LIMIT
        docs, scores = [], []
        for token in long_tokens.tolist():
            a, b = int(indptr[token]), int(indptr[token + 1])
            best = np.argpartition(-data[a:b], IMPACT_LIMIT)[:IMPACT_LIMIT]
            docs.append(indices[a:b][best].astype(np.int32))
            scores.append(data[a:b][best].astype(np.float32))
        self._impact_docs = np.concatenate(docs) if docs else np.empty(0, dtype=np.int32)
        self._impact_scores = np.concatenate(scores) if scores else np.empty(0, np.float32)

    def state(self) -> dict[str, Any]:
        """Everything the index holds, as arrays (``snapshot``): restored, it answers exactly
        like this one, with no document re-indexed."""
        main: dict[str, Any] = {"present": self._main is not None}
        if self._main is not None:
            vocab = StringColumn.of(
                sorted(self._main.vocab_dict, key=self._main.vocab_dict.__getitem__)
            )
            scores = self._main.scores
            main.update(
                data=np.asarray(scores["data"]),
                indices=np.asarray(scores["indices"]),
                indptr=np.asarray(scores["indptr"]),
                num_docs=int(scores["num_docs"]),
                vocab=vocab.state(),
            )
        return {
            "docs": self._docs.state(),
            "alive": np.frombuffer(bytes(self._alive), dtype=np.uint8),
            "main": main,
            "main_rows": self._main_rows,
            "main_dead": self._main_dead,
            "df": self._docs.word_ids(self._df),
            "delta": np.asarray(self._delta, dtype=np.int64),
            "avgdl": float(self._avgdl),
            "dead": int(self._dead),
            "delta_fraction": float(self.delta_fraction),
            "fwd_tokens": self._fwd_tokens,
            "fwd_ptr": self._fwd_ptr,
            "main_pos": self._main_pos,
            "main_sizes": self._main_sizes,
            "impact_pos": self._impact_pos,
            "impact_limit": int(self._impact_limit),
            "impact_docs": self._impact_docs,
            "impact_scores": self._impact_scores,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BM25Index:
        """Inverse of ``state``."""
        index = cls(delta_fraction=float(state["delta_fraction"]))
        index._docs = _DocStore.from_state(state["docs"])
        index._alive = bytearray(state["alive"].tobytes())
        main = state["main"]
        if bool(main["present"]):
            model = bm25s.BM25(k1=K1, b=B)
            model.scores = {
                "data": main["data"],
                "indices": main["indices"],
                "indptr": main["indptr"],
                "num_docs": int(main["num_docs"]),
            }
            words = StringColumn.from_state(main["vocab"]).strings()
            model.vocab_dict = {w: i for i, w in enumerate(words)}
            index._main = model
        index._main_rows = state["main_rows"].astype(np.int64)
        index._main_dead = state["main_dead"].astype(bool)
        index._df = index._docs.counter(state["df"])
        index._delta = [int(r) for r in state["delta"].tolist()]
        index._avgdl = float(state["avgdl"])
        index._dead = int(state["dead"])
        index._fwd_tokens = np.ascontiguousarray(state["fwd_tokens"], dtype=np.uint32)
        index._fwd_scores = index._fwd_tokens.view(np.float32)
        index._fwd_ptr = state["fwd_ptr"].astype(np.int64)
        index._main_pos = state["main_pos"].astype(np.int64)
        index._main_sizes = state["main_sizes"].astype(np.int64)
        index._impact_pos = state["impact_pos"].astype(np.int64)
        index._impact_limit = int(state["impact_limit"])
        index._impact_docs = state["impact_docs"].astype(np.int32)
        index._impact_scores = state["impact_scores"].astype(np.float32)
        return index

    def _main_top(self, ids: I64, k: int) -> tuple[I64, npt.NDArray[np.float32], I64, I64]:
        """Main-index positions of the top-``k`` documents for token ``ids``, their exact
        scores (see the module docstring for how long postings are cut short), and each one's
        shared and own distinct tokens (``shared_tokens``)."""
        assert self._main is not None
        scores = self._main.scores
        top: tuple[I64, npt.NDArray[np.float32], I64, I64] = kernels.bm25_top(
            ids,
            scores["indptr"],
            scores["indices"],
            scores["data"],
            self._impact_pos,
            self._impact_docs,
            self._impact_scores,
            self._impact_limit,
            self._fwd_ptr,
            self._fwd_tokens,
            self._fwd_scores,
            self._main_dead,
            self._dead > 0,
            k,
            RESCORE_FACTOR * k,
        )
        return top

    def token_ids(self, tokens: list[str]) -> npt.NDArray[np.int64]:
        """The main index's ids of ``tokens`` (repeats kept, unknown tokens left out): look
        them up once per query and pass them to ``search`` and ``shared_tokens``."""
        if self._main is None:
            return _NO_IDS
        # one dict lookup a token: the vocabulary of a million claims is a big dict, and each
        # lookup of a word is a cache miss or two
        found = map(self._main.vocab_dict.get, tokens)
        return np.array([i for i in found if i is not None], dtype=np.int64)

    def tokens(self, row: int) -> list[str]:
        """The indexed tokens of a row (empty once removed)."""
        return self._docs[row] if self._alive[row] else []

    def shared_tokens(
        self,
        rows: list[int] | npt.NDArray[np.int64],
        query: set[str],
        ids: npt.NDArray[np.int64] | None = None,
        known: tuple[I64, I64, I64] | None = None,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per row, how many distinct tokens it shares with ``query``, and its distinct tokens
        (``ids``: ``token_ids`` of the query, when the caller has them; ``known``: rows with
        their counts already, as ``search_counted`` returns them, which are not read again).

        Rows of the main index are counted from the forward index; rows added since, from
        their token lists; removed rows have no tokens.
        """
        r = np.asarray(rows, dtype=np.int64)
        if ids is None:
            ids = self.token_ids(list(query))
        known_rows, known_shared, known_own = (_NO_IDS,) * 3
        if known is not None and known[0].size == known[1].size == known[2].size:
            known_rows, known_shared, known_own = known
        common, sizes, outside = kernels.shared_counts(
            r,
            self._main_pos,
            self._main_dead,
            self._main_sizes,
            self._fwd_ptr,
            self._fwd_tokens,
            ids,
            known_rows,
            known_shared,
            known_own,
        )
        if not outside:
            return common, sizes
        for i in np.flatnonzero(sizes < 0).tolist():  # added since the last build
            row = int(r[i])
            doc = self._docs[row] if self._alive[row] else []
            common[i], sizes[i] = (len(query.intersection(doc)), len(set(doc))) if doc else (0, 0)
        return common, sizes

    def add(self, tokens: list[str]) -> int:
        """Add one document live; returns its row."""
        row = len(self._docs)
        self._docs.append(tokens)
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
            pos = int(self._main_pos[row]) if row < self._main_pos.size else -1
            if pos >= 0:
                self._main_dead[pos] = True
                self._dead += 1
            if row in self._delta:
                self._delta.remove(row)

    def _delta_scores(self, query: list[str]) -> tuple[list[int], list[float]]:
        n = self._main_rows.size + len(self._delta)
        rows, scores = [], []
        for row in self._delta:
            doc = self._docs[row]
            counts = Counter(doc)
            length = len(doc)
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
        self, query: list[str], k: int = 50, ids: npt.NDArray[np.int64] | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Top-``k`` live rows and their BM25 scores, best first (``ids``: ``token_ids`` of
        the query, when the caller has them)."""
        rows, scores, _, _ = self.search_counted(query, k, ids)
        return rows, scores

    def search_counted(
        self, query: list[str], k: int = 50, ids: npt.NDArray[np.int64] | None = None
    ) -> tuple[I64, npt.NDArray[np.float32], I64, I64]:
        """``search``, with each row's shared and own distinct tokens as ``shared_tokens``
        counts them (the BM25 kernel has read them by then; -1 for a row added since the last
        build, which ``shared_tokens`` counts itself): pass them to it as ``known``."""
        rows: list[I64] = []
        scores: list[npt.NDArray[np.float32]] = []
        shared: list[I64] = []
        own: list[I64] = []
        if self._main is not None and query:
            if ids is None:
                ids = self.token_ids(query)
            if ids.size:
                top, top_scores, top_shared, top_own = self._main_top(ids, k)
                if not self._delta:
                    return self._main_rows[top], top_scores, top_shared, top_own
                rows.append(self._main_rows[top])
                scores.append(top_scores)
                shared.append(top_shared)
                own.append(top_own)
        if self._delta and query:
            d_rows, d_scores = self._delta_scores(query)
            rows.append(np.asarray(d_rows, dtype=np.int64))
            scores.append(np.asarray(d_scores, dtype=np.float32))
            unknown = np.full(len(d_rows), -1, dtype=np.int64)
            shared.append(unknown)
            own.append(unknown)
        if not rows:
            return _NO_IDS, np.empty(0, np.float32), _NO_IDS, _NO_IDS
        all_rows, all_scores = np.concatenate(rows), np.concatenate(scores)
        order = np.argsort(-all_scores, kind="stable")[:k]
        return (
            all_rows[order],
            all_scores[order],
            np.concatenate(shared)[order],
            np.concatenate(own)[order],
        )
