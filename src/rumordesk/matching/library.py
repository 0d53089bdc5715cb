"""The layered index of the claim library: one row per claim, one text row per claim text.

1. Add: a claim gets a claim row; each of its texts is normalised once and gets a text row in the
   exact-containment, MinHash (text and pinyin) and vector layers; its tokens form one BM25 document
   (row = claim row); its keywords go to the Aho-Corasick layer; its image hashes to the PDQ layer.
2. Remove: the claim row is tombstoned; every layer's hits are filtered through ``alive``.
3. Signals: one query's raw evidence from every layer, keyed by claim row, for the re-ranker.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import weakref
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from rumordesk.matching import kernels
from rumordesk.matching.bm25 import BM25Index
from rumordesk.matching.columns import GrowableArray, RowLookup, StringColumn
from rumordesk.matching.image import ImageIndex
from rumordesk.matching.minhash import MinHashIndex, shingle_ids
from rumordesk.matching.records import IndexRecord
from rumordesk.matching.rules import ExactIndex, KeywordIndex
from rumordesk.matching.semantic import F32, VectorIndex
from rumordesk.text.confusables import HAN
from rumordesk.text.normalize import normalize, strip_attribution, strip_noise, to_simplified
from rumordesk.text.tokens import pinyin_key, tokenize

SHINGLE = 3
PINYIN_SHINGLE = 5
_NO_IDS: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
_NO_ROWS: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
_NO_SIMS: npt.NDArray[np.float32] = np.empty(0, dtype=np.float32)


@dataclass(frozen=True)
class Prepared:
    """A text as every layer sees it (computed once per text; the encoder's view on first use,
    since the lexical path never needs it)."""

    source: str  # the text with attribution stripped and tags expanded
    norm: str
    tokens: list[str]
    shingles: npt.NDArray[np.uint64]  # distinct character-shingle ids (``shingle_ids``)
    pinyin: npt.NDArray[np.uint64]  # the same over the pinyin key (Chinese text only)

    @functools.cached_property
    def semantic(self) -> str:
        """What the encoder reads (``semantic_form``)."""
        return semantic_form(self.source)


_CJK = re.compile(r"[\u3400-\u9fff]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]")
# Sentence punctuation a Chinese text uses between characters (after NFKC: ",:;!?()" were
# full-width); any other symbol, emoji or mark between two Han characters is padding ("地★震").
_CJK_SENTENCE_MARKS = (
    ",:;!?()\"'\u3001\u3002\u201c\u201d\u2018\u2019\u300a-\u300f\u3010\u3011\u2026\u2014"
)
_CJK_PADDING = re.compile(f"(?<=[{HAN}])(?:[^\\w\\s{_CJK_SENTENCE_MARKS}]|_)+(?=[{HAN}])")


_TAG = re.compile(r"[#@]([A-Za-z][A-Za-z0-9_]{1,40})")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def expand_tags(text: str) -> str:
    """Latin hashtags and @handles become words ("#RedFort" -> "Red Fort", "@FoxNews" ->
    "Fox News"): they often name the very thing a claim is about."""
    if "#" not in text and "@" not in text:
        return text
    return _TAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)).replace("_", " ") + " ", text)


def semantic_form(text: str) -> str:
    """What the encoder sees: links and mentions dropped, Unicode folded, but case and
    punctuation kept (the encoder reads them; the lexical layers do not)."""
    text = strip_noise(text)
    if not text.isascii():  # NFKC, invisible characters and Chinese variants are not ASCII
        text = to_simplified(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)))
        text = _CJK_PADDING.sub("", text)  # the encoder reads "地★震" as noise, "地震" as a word
    return " ".join(text.split())


def prepare_semantic(text: str) -> str:
    """Just the encoder's view of a text (``prepare(text).semantic``, without the rest)."""
    return semantic_form(expand_tags(strip_attribution(text)))


def prepare(text: str) -> Prepared:
    """Normalise, tokenise and shingle a text (the pinyin form only for Chinese text)."""
    text = expand_tags(strip_attribution(text))
    norm = normalize(text)
    shingles = shingle_ids(norm, SHINGLE)
    pinyin = _NO_IDS
    if not norm.isascii() and _CJK.search(norm):
        pinyin = shingle_ids(pinyin_key(norm), PINYIN_SHINGLE)
    return Prepared(
        source=text,
        norm=norm,
        tokens=tokenize(norm),
        shingles=shingles,
        pinyin=pinyin,
    )


@dataclass
class Signals:
    """Everything the layers found for one query, by claim row (hit lists as arrays: a post
    has ~100 candidates, and dicts of them cost more than finding them)."""

    prepared: Prepared
    token_ids: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_ROWS)  # BM25 vocabulary
    bm25_rows: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_ROWS)  # best first
    bm25_scores: npt.NDArray[np.float32] = field(default_factory=lambda: _NO_SIMS)
    # per BM25 row, its shared and own distinct tokens (``BM25Index.search_counted``)
    bm25_shared: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_ROWS)
    bm25_own: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_ROWS)
    lsh: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_ROWS)  # ascending
    exact: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # text, span
    keywords: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict)
    images: dict[int, tuple[int, str]] = field(default_factory=dict)  # row -> (distance, hash)
    cos_rows: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_ROWS)  # vector hits
    minhash_sig: npt.NDArray[np.uint16] | None = None
    pinyin_sig: npt.NDArray[np.uint16] | None = None

    @property
    def bm25_top(self) -> float:
        """The best BM25 score (0 without hits)."""
        return float(self.bm25_scores[0]) if self.bm25_scores.size else 0.0


class _TextRows:
    """``texts_of[row]``: the text rows of a claim row (contiguous, so a range, not a list).

    It refers to its library weakly: a library and its own attribute in a reference cycle
    would outlive their matcher once a build has frozen them out of the collector's sight.
    """

    def __init__(self, library: Library) -> None:
        self._library = weakref.ref(library)

    def _of(self) -> Library:
        library = self._library()
        assert library is not None, "texts_of is used through its library"
        return library

    def __getitem__(self, row: int) -> range:
        first, count, _ = self._of()._claim_texts[row].tolist()
        return range(first, first + count)

    def __len__(self) -> int:
        return len(self._of().claim_ids)


class Library:
    """Claim rows and text rows over all layers; knows nothing about scoring."""

    def __init__(
        self, *, dim: int, num_perm: int = 64, bands: int = 32, flat_max: int | None = None
    ) -> None:
        # Per-row facts live in compact arrays (a Python list of ints costs ~36 bytes an entry;
        # at a million claims these add up to the memory budget).
        self.claim_ids = StringColumn()
        self.external_ids = StringColumn()
        self.confirmed = bytearray()
        self.claim_chars = array("l")  # non-space characters of the longest normalised text
        self.keywords: list[tuple[str, ...]] = []
        self.alive = GrowableArray(np.bool_)
        self.row_of = RowLookup(self.claim_ids)
        self.texts_of = _TextRows(self)
        self.text_owner = GrowableArray(np.int64)
        self.text_len = array("l")
        # per claim row: first text row, number of texts, length of the first text (growable)
        self._claim_texts: npt.NDArray[np.int64] = np.zeros((0, 3), dtype=np.int64)
        self.exact = ExactIndex()
        self.minhash = MinHashIndex(num_perm=num_perm, bands=bands)
        # the pinyin view exists for Chinese texts only: its rows map to text rows and back
        self.pinyin = MinHashIndex(num_perm=num_perm, bands=bands, seed=11)
        self.pinyin_of = GrowableArray(np.int64)  # text row -> pinyin row, -1 when it has none
        self.pinyin_text = GrowableArray(np.int64)  # pinyin row -> text row
        self.bm25 = BM25Index()
        self.kw = KeywordIndex()
        self.images = ImageIndex()
        self.vectors = VectorIndex(dim) if flat_max is None else VectorIndex(dim, flat_max=flat_max)

    def __len__(self) -> int:
        return len(self.row_of)

    def claim_id(self, row: int) -> str:
        """The claim id of a claim row."""
        claim_id = self.claim_ids[row]
        assert claim_id is not None, "every claim row has an id"
        return claim_id

    def _register(self, record: IndexRecord, preps: Sequence[Prepared]) -> int:
        row = len(self.claim_ids)
        self.claim_ids.append(record.claim_id)
        self.external_ids.append(record.external_id)
        self.confirmed.append(record.confirmed)
        self.claim_chars.append(max((len(p.norm) - p.norm.count(" ") for p in preps), default=0))
        self.alive.append(True)
        self.row_of[record.claim_id] = row
        words = sorted({normalize(k) for k in record.keywords if k.strip()} - {""})
        self.keywords.append(tuple(words) if words else ())
        self.kw.add(row, words)
        first = len(self.text_owner)
        if row >= self._claim_texts.shape[0]:
            grown = np.zeros((max(1024, 2 * row), 3), dtype=np.int64)
            grown[:row] = self._claim_texts[:row]
            self._claim_texts = grown
        self._claim_texts[row] = (first, len(preps), len(preps[0].norm) if preps else 0)
        self.text_owner.extend([row] * len(preps))
        self.text_len.extend(len(p.norm) for p in preps)
        self.images.add(row, record.image_hashes)
        return row

    def build(
        self,
        records: Sequence[IndexRecord],
        vectors: F32 | None,
        progress: bool = False,
        *,
        vector_index: VectorIndex | None = None,
    ) -> None:
        """Index all claims at once (``vectors``: one row per text, in record order).

        Each claim's texts are prepared in turn and only what the indexes keep (normalised
        text, tokens, signatures) outlives it, so memory stays near the size of the finished
        index even for a million claims.
        """
        docs: list[list[str]] = []
        norms: list[str] = []
        sigs: dict[str, list[npt.NDArray[np.uint16]]] = {"minhash": [], "pinyin": []}
        sizes: dict[str, list[int]] = {"minhash": [], "pinyin": []}
        for record in tqdm(records, desc="preparing claims", disable=not progress):
            preps = [prepare(t) for t in record.texts]
            self._register(record, preps)
            docs.append([t for x in preps for t in x.tokens])
            norms.extend(x.norm for x in preps)
            for x in preps:
                sigs["minhash"].append(self.minhash.signature(x.shingles))
                sizes["minhash"].append(x.shingles.size)
                if self._has_pinyin_row(x):
                    sigs["pinyin"].append(self.pinyin.signature(x.pinyin))
                    sizes["pinyin"].append(x.pinyin.size)
        self.row_of.compact()
        self.exact.build(norms)
        del norms
        for name, index in (("minhash", self.minhash), ("pinyin", self.pinyin)):
            stacked = (
                np.stack(sigs.pop(name))
                if sizes[name]
                else np.empty((0, index.num_perm), dtype=np.uint16)
            )
            index.add_many(stacked, np.asarray(sizes[name], dtype=np.int64))
        self.bm25.build(docs)
        del docs
        if vector_index is not None:
            self.vectors = vector_index  # already holds every text row's vector
        else:
            assert vectors is not None, "vectors or a built vector index are needed"
            self.vectors.build(vectors)

    def _has_pinyin_row(self, prep: Prepared) -> bool:
        """Map the next text row to the next pinyin row when the text has a pinyin view (only
        Chinese texts do); the caller then adds its signature to the pinyin index."""
        if not prep.pinyin.size:
            self.pinyin_of.append(-1)
            return False
        self.pinyin_of.append(len(self.pinyin_text))
        self.pinyin_text.append(len(self.pinyin_of) - 1)
        return True

    def add(self, record: IndexRecord, preps: Sequence[Prepared], vectors: F32 | None) -> int:
        """Index one claim live (an existing claim with the same id is removed first;
        ``vectors`` None: they are in the vector index already, as after loading one)."""
        self.remove(record.claim_id)
        row = self._register(record, preps)
        for p in preps:
            self.exact.add(p.norm)
            self.minhash.add(self.minhash.signature(p.shingles), len(p.shingles))
            if self._has_pinyin_row(p):
                self.pinyin.add(self.pinyin.signature(p.pinyin), len(p.pinyin))
        bm25_row = self.bm25.add([t for p in preps for t in p.tokens])
        assert bm25_row == row, "BM25 rows must follow claim rows"
        if len(preps) and vectors is not None:
            self.vectors.add(vectors)
        return row

    def remove(self, claim_id: str) -> bool:
        """Tombstone a claim; returns whether it was present."""
        row = self.row_of.pop(claim_id, None)
        if row is None:
            return False
        self.alive[row] = False
        self.kw.discard(row, list(self.keywords[row]))
        self.bm25.remove(row)
        return True

    # -- snapshots -----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Every lexical layer and per-row fact as arrays (``snapshot``; the vector index is
        saved on its own)."""
        n = len(self.claim_ids)
        words = StringColumn.of(word for row_words in self.keywords for word in row_words)
        return {
            "num_perm": self.minhash.num_perm,
            "bands": self.minhash.bands,
            "claim_ids": self.claim_ids.state(),
            "external_ids": self.external_ids.state(),
            "confirmed": np.frombuffer(bytes(self.confirmed), dtype=np.uint8),
            "claim_chars": np.asarray(self.claim_chars, dtype=np.int64),
            "keywords": words.state(),
            "keyword_counts": np.fromiter(
                (len(k) for k in self.keywords), dtype=np.int64, count=len(self.keywords)
            ),
            "alive": self.alive.view,
            "text_owner": self.text_owner.view,
            "text_len": np.asarray(self.text_len, dtype=np.int64),
            "claim_texts": self._claim_texts[:n],
            "exact": self.exact.state(),
            "minhash": self.minhash.state(),
            "pinyin": self.pinyin.state(),
            "pinyin_of": self.pinyin_of.view,
            "pinyin_text": self.pinyin_text.view,
            "bm25": self.bm25.state(),
            "images": self.images.state(),
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], *, dim: int, flat_max: int | None, vectors: VectorIndex
    ) -> Library:
        """A library answering exactly like the one ``state`` was taken from, over ``vectors``
        (the vector index saved beside it, holding every text row)."""
        lib = cls(
            dim=dim,
            num_perm=int(state["num_perm"]),
            bands=int(state["bands"]),
            flat_max=flat_max,
        )
        lib.claim_ids = StringColumn.from_state(state["claim_ids"])
        lib.external_ids = StringColumn.from_state(state["external_ids"])
        n = len(lib.claim_ids)
        lib.confirmed = bytearray(state["confirmed"].tobytes())
        lib.claim_chars = array("l", state["claim_chars"].astype(np.int64).tolist())
        flat = StringColumn.from_state(state["keywords"]).strings()
        ends = np.cumsum(state["keyword_counts"]).tolist()
        lib.keywords = [
            tuple(flat[e - c : e])
            for e, c in zip(ends, state["keyword_counts"].tolist(), strict=True)
        ]
        lib.alive = GrowableArray.of(state["alive"].astype(np.bool_))
        live = np.flatnonzero(lib.alive.view).astype(np.int64)
        lib.row_of = RowLookup.of_rows(lib.claim_ids, live)
        for row in live.tolist():
            if lib.keywords[row]:
                lib.kw.add(row, list(lib.keywords[row]))
        lib.text_owner = GrowableArray.of(state["text_owner"].astype(np.int64))
        lib.text_len = array("l", state["text_len"].astype(np.int64).tolist())
        lib._claim_texts = np.zeros((max(1024, 2 * n), 3), dtype=np.int64)
        lib._claim_texts[:n] = state["claim_texts"]
        lib.exact.restore(state["exact"])
        lib.minhash.restore(state["minhash"])
        lib.pinyin.restore(state["pinyin"])
        lib.pinyin_of = GrowableArray.of(state["pinyin_of"].astype(np.int64))
        lib.pinyin_text = GrowableArray.of(state["pinyin_text"].astype(np.int64))
        lib.bm25 = BM25Index.from_state(state["bm25"])
        lib.images.restore(state["images"])
        lib.vectors = vectors
        if len(lib.text_owner) > len(vectors):  # fewer: the rows of later live additions
            raise ValueError(
                f"snapshot holds {len(lib.text_owner)} text rows, the vector index {len(vectors)}"
            )
        return lib

    # -- querying ------------------------------------------------------------------------------
    @property
    def claim_texts_table(self) -> npt.NDArray[np.int64]:
        """Per claim row: first text row, number of texts (a claim's texts are contiguous text
        rows) and the normalised length of the first text."""
        return self._claim_texts

    @property
    def pinyin_rows(self) -> npt.NDArray[np.int64]:
        """Text row -> pinyin row (-1 for a text without a pinyin view), as an array."""
        return self.pinyin_of.view

    def signals(
        self, prep: Prepared, *, bm25_k: int = 50, image_hash: str | None = None
    ) -> Signals:
        """Lexical, rule and image evidence for one prepared query (semantic is added later)."""
        return self.signals_many([prep], bm25_k=bm25_k, image_hashes=[image_hash])[0]

    def signals_many(
        self,
        preps: Sequence[Prepared],
        *,
        bm25_k: int = 50,
        image_hashes: Sequence[str | None] | None = None,
    ) -> list[Signals]:
        """``signals`` of each prepared query.

        Layer by layer over the batch, not query by query: each layer's hot data (the
        vocabulary, the cut posting lists of common words, the band directory) then stays in
        cache from one query to the next, where alternating layers evicted one another's
        (~15 % of the lexical layers' time at a million claims).
        """
        alive = self.alive
        bm25 = self.bm25
        sigs = []
        token_ids = [bm25.token_ids(prep.tokens) for prep in preps]
        for prep, ids in zip(preps, token_ids, strict=True):
            rows, scores, shared, own = bm25.search_counted(prep.tokens, k=bm25_k, ids=ids)
            sigs.append(
                Signals(
                    prepared=prep,
                    token_ids=ids,
                    bm25_rows=rows,
                    bm25_scores=scores,
                    bm25_shared=shared,
                    bm25_own=own,
                )
            )
        for sig in sigs:
            self._near_duplicates(sig)
        for sig in sigs:
            for hit in self.exact.find(sig.prepared.norm):
                owner_row = self.text_owner[hit.item]
                if alive[owner_row]:
                    sig.exact.setdefault(owner_row, []).append((hit.item, hit.start, hit.end))
        for sig in sigs:
            keywords = self.kw.find(sig.prepared.norm)
            if keywords:
                sig.keywords = {r: v for r, v in keywords.items() if alive[r]}
        for sig, image_hash in zip(sigs, image_hashes or [None] * len(sigs), strict=True):
            if image_hash:
                for owner_row, dist, h in self.images.search(image_hash):
                    best = sig.images.get(owner_row)
                    if alive[owner_row] and (best is None or dist < best[0]):
                        sig.images[owner_row] = (dist, h)
        return sigs

    def _near_duplicates(self, sig: Signals) -> None:
        """The MinHash LSH layers (characters, and pinyin for Chinese) of one query."""
        prep = sig.prepared
        found = []
        for index, shingles in ((self.minhash, prep.shingles), (self.pinyin, prep.pinyin)):
            if not shingles.size:
                continue
            signature = index.signature(shingles)
            text_rows = index.near(signature, len(shingles), min_jaccard=0.2)
            if index is self.pinyin:
                sig.pinyin_sig = signature
                text_rows = self.pinyin_text.view[text_rows]
            else:
                sig.minhash_sig = signature
            found.append(text_rows)
        if found:
            text_rows = found[0] if len(found) == 1 else np.concatenate(found)
            sig.lsh = kernels.live_owners(text_rows, self.text_owner.view, self.alive.view)

    def add_semantic(self, sig: Signals, rows: npt.NDArray[np.int64]) -> None:
        """Fold one query's vector-search hits (text rows, -1 where fewer were found) into its
        signals as the live claims they belong to (their cosines are read again, for every
        candidate, when the features are built)."""
        found = np.ascontiguousarray(rows[rows >= 0], dtype=np.int64)
        sig.cos_rows = kernels.live_owners(found, self.text_owner.view, self.alive.view)
