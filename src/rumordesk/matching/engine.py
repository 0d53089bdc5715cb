"""The matching engine: finds the library claims a post, comment, query or image repeats.

1. Prepare: normalise the text once (evasion-robust), tokenise and shingle it.
2. Cache: a repeated text (most copy-paste rumours) is answered from an LRU cache keyed by the
   hash of its normalised form; the cache is dropped whenever the index version changes.
3. Lexical and rules: BM25 top-k, MinHash LSH (text and pinyin), exact containment, keywords, PDQ.
4. Semantic: texts of at least ``MIN_SEMANTIC_CHARS`` normalised characters are embedded in
   batches and searched in the vector index (``semantic_k`` = 20 nearest texts: CLEF dev and
   devtest MAP@1, MAP@5 and recall@10 are the same with 10, 15, 20, 30 and 50, the Chinese
   evasion figures the same with 20 as with 30, and each candidate costs features).
5. Fuse: the union of all candidates is described by one feature vector per claim and scored by
   the learned re-ranker, calibrated to a probability; an image hit scores ``1 - d/256``.
6. Decide: thresholds from the policy turn scores into match/review/no_match (unconfirmed claims
   at most review); results carry per-layer evidence.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import threading
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from tqdm import tqdm

from rumordesk.matching import kernels
from rumordesk.matching.features import MIN_SEMANTIC_CHARS, Candidates, candidates, without
from rumordesk.matching.image import pdq_hash
from rumordesk.matching.library import (
    Library,
    Prepared,
    Signals,
    prepare,
    prepare_semantic,
)
from rumordesk.matching.records import (
    IndexRecord,
    LayerEvidence,
    MatchQuery,
    MatchResult,
    Thresholds,
    records_from_claims_jsonl,
)
from rumordesk.matching.reranker import FEATURES_HYBRID, FEATURES_LEXICAL, Reranker
from rumordesk.matching.rwlock import ReadWriteLock
from rumordesk.matching.semantic import F32, Encoder, UseEncoder, VectorIndex
from rumordesk.matching.snapshot import code_fingerprint, read_meta, read_state, write_state

__all__ = [
    "IndexRecord",
    "MatchQuery",
    "MatchResult",
    "Matcher",
    "Thresholds",
    "records_from_claims_jsonl",
    "LayerEvidence",
]

_LEXICAL_COLS = [FEATURES_HYBRID.index(f) for f in FEATURES_LEXICAL]
# Posts matched together: each stage runs over the whole chunk before the next, so the encoder's
# weights and the index's hot parts are fetched into the caches once per chunk (256 against 64:
# the full path ~3.5 % faster at 100k claims, the encoder alone the same); a live change waits
# for at most one chunk (under a second).
CHUNK = 256
# The lexical path's chunk: ~0.3 ms a post, so a live change still waits under a second; each
# layer's hot data is fetched once per chunk (1,024 against 256: ~3 % faster at a million claims)
LEXICAL_CHUNK = 1024
_NO_SCORES: F32 = np.empty(0, dtype=np.float32)
SNAPSHOT_FILE = "lexical.npz"
SNAPSHOT_FORMAT = "rumordesk-lexical/1"
log = logging.getLogger(__name__)


def _settle_heap() -> None:
    """Collect what the last build left behind, then move every object alive now (the index,
    the interpreter's modules) out of the garbage collector's sight.

    Matching allocates results by the thousand, which triggers full collections; each walked
    every long-lived object (~20-70 ms at 100k claims, ~0.03-0.07 ms a post) although none of
    them is ever garbage. Frozen objects are still freed by reference counting (the index holds
    no reference cycle); a cycle that was alive at a build and is dropped later waits for the
    next build. ``unfreeze`` first: a replaced index frozen by the previous build is collected
    here, cycles included, instead of staying in the frozen generation.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Matcher:
    """A hybrid claim index with calibrated, explained matches; safe to share read-only."""

    def __init__(
        self,
        *,
        thresholds: Thresholds,
        encoder: Encoder | None = None,
        semantic: bool = True,
        reranker: Reranker | bool | None = None,
        bm25_k: int = 50,
        semantic_k: int = 20,
        cache_size: int = 50_000,
        batch_size: int | None = None,
        flat_max: int | None = None,
    ) -> None:
        self.thresholds = thresholds
        self.semantic = semantic
        self._encoder = encoder
        self._reranker = reranker  # False: never needed (training only featurises)
        self.bm25_k, self.semantic_k, self.batch_size = bm25_k, semantic_k, batch_size
        self.cache_size = cache_size
        self._flat_max = flat_max
        # The last build's records, kept compressed (JSONL, zlib): the matcher needs them only to
        # save and to fold live changes into a fresh build, and as objects they cost more memory
        # than the whole lexical index.
        self._base_blob = zlib.compress(b"")
        self._base_count = 0
        self._ops: list[tuple[str, IndexRecord | str]] = []
        self._cache: OrderedDict[tuple[str, int], list[MatchResult]] = OrderedDict()
        self._cache_lock = threading.Lock()  # the cache is shared by matching threads
        self._rw = ReadWriteLock()  # matches share the index; a live change has it alone
        self._save_lock = threading.Lock()  # two saves would write the same files
        self.cache_hits = 0
        self._epoch = uuid.uuid4().hex[:12]
        self._mutations = 0
        self.library = self._new_library()

    # -- state ------------------------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        """The sentence encoder (the default one is created on first use)."""
        if self._encoder is None:
            self._encoder = UseEncoder(threads=1)
        return self._encoder

    def _new_library(self) -> Library:
        dim = self._encoder.dim if self._encoder is not None else 512
        return Library(dim=dim, flat_max=self._flat_max)

    @property
    def reranker(self) -> Reranker:
        """The fusion model (the shipped one unless another was given)."""
        if not isinstance(self._reranker, Reranker):
            self._reranker = Reranker.load()
        return self._reranker

    @property
    def version(self) -> str:
        """Changes on every mutation; lets replicas detect that they are stale."""
        return f"{self._epoch}.{self._mutations}"

    @property
    def chunk_size(self) -> int:
        """Posts matched together: ``batch_size`` if set, else ``CHUNK`` on the hybrid path and
        ``LEXICAL_CHUNK`` on the lexical one."""
        return self.batch_size or (CHUNK if self.semantic else LEXICAL_CHUNK)

    def __len__(self) -> int:
        return len(self.library)

    def _touched(self) -> None:
        self._mutations += 1
        self._clear_cache()

    def _clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def _embed(self, texts: list[str], progress: bool = False) -> F32:
        dim = self.library.vectors.dim
        if not self.semantic or not texts:
            return np.zeros((len(texts), dim), dtype=np.float32)
        parts = []
        steps = range(0, len(texts), 256)
        for start in tqdm(steps, desc="embedding claims", disable=not progress):
            parts.append(self.encoder.encode(texts[start : start + 256]))
        return np.concatenate(parts).astype(np.float32)

    # -- mutation -----------------------------------------------------------------------------
    def build(
        self,
        records: Iterable[IndexRecord],
        progress: bool = False,
        *,
        vectors: F32 | None = None,
        vector_index: VectorIndex | None = None,
    ) -> None:
        """Index the whole library from scratch (``vectors``: precomputed, one per text;
        ``vector_index``: a loaded vector index that already holds them, used as it is)."""
        unique: dict[str, IndexRecord] = {}
        for record in records:
            unique[record.claim_id] = record
        recs = list(unique.values())
        if vectors is None and vector_index is None:
            texts = [prepare_semantic(t) for r in recs for t in r.texts]
            vectors = self._embed(texts, progress)
        library = self._new_library()
        library.build(recs, vectors, progress, vector_index=vector_index)
        blob = zlib.compress(b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in recs), 6)
        with self._rw.write():  # matches in flight finish on the old index
            self.library = library
            self._base_blob = blob
            self._base_count = len(recs)
            self._ops = []
            self._epoch = uuid.uuid4().hex[:12]
            self._mutations = 0
            self._clear_cache()
        del library, recs, unique, blob  # the build's transients are not frozen
        _settle_heap()

    def upsert(self, record: IndexRecord) -> None:
        """Add or replace one claim without a rebuild (safe while other threads match)."""
        preps = [prepare(t) for t in record.texts]
        vectors = self._embed([p.semantic for p in preps])  # the slow part, outside the lock
        with self._rw.write():
            self._add(record, vectors, preps=preps)
            self._touched()

    def _add(
        self,
        record: IndexRecord,
        vectors: F32 | None,
        *,
        indexed: bool = False,
        preps: list[Prepared] | None = None,
    ) -> None:
        """Index one claim (``indexed``: its vectors are already in the vector index)."""
        if preps is None:
            preps = [prepare(t) for t in record.texts]
        if vectors is None and not indexed:
            vectors = self._embed([p.semantic for p in preps])
        self.library.add(record, preps, None if indexed else vectors)
        self._ops.append(("add", record))

    def remove(self, claim_id: str) -> None:
        """Remove one claim (a no-op if it is not indexed)."""
        with self._rw.write():
            if self.library.remove(claim_id):
                self._ops.append(("remove", claim_id))
                self._touched()

    # -- matching -----------------------------------------------------------------------------
    def match(
        self,
        text: str | None,
        *,
        image_path: str | None = None,
        lang: str | None = None,
        top_k: int = 10,
    ) -> list[MatchResult]:
        """Claims that ``text`` and/or the image repeat, best first."""
        return self.match_many(
            [MatchQuery(text=text, image_path=image_path, lang=lang)], top_k=top_k
        )[0]

    def match_many(
        self, items: Sequence[MatchQuery], top_k: int = 10, progress: bool = False
    ) -> list[list[MatchResult]]:
        """Match a batch (texts are embedded together, which is much faster than one by one)."""
        out: list[list[MatchResult]] = [[] for _ in items]
        size = self.chunk_size
        steps = range(0, len(items), size)
        for start in tqdm(steps, desc="matching", disable=not progress):
            chunk = items[start : start + size]
            with self._rw.read():  # a live update waits for this chunk, not the whole batch
                found = self._match_chunk(chunk, top_k)
            for offset, result in enumerate(found):
                out[start + offset] = result
        return out

    def _match_chunk(self, items: Sequence[MatchQuery], top_k: int) -> list[list[MatchResult]]:
        results: list[list[MatchResult] | None] = [None] * len(items)
        todo: list[int] = []
        preps: list[Prepared] = []
        keys: list[tuple[str, int] | None] = []
        for i, item in enumerate(items):
            prep = prepare(item.text or "")
            key = (
                None
                if item.image_path
                else (hashlib.blake2b(prep.norm.encode("utf-8"), digest_size=16).hexdigest(), top_k)
            )
            cached = self._cached(key)
            if cached is not None:
                self.cache_hits += 1
                results[i] = [
                    MatchResult(r.claim_id, r.external_id, r.score, r.decision, dict(r.layers))
                    for r in cached
                ]
                continue
            todo.append(i)
            preps.append(prep)
            keys.append(key)
        for i, result in zip(todo, self._score(items, todo, preps, top_k), strict=True):
            results[i] = result
        with self._cache_lock:
            for key, i in zip(keys, todo, strict=True):
                if key is not None:
                    self._cache[key] = results[i] or []
                    if len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return [r or [] for r in results]

    def _cached(self, key: tuple[str, int] | None) -> list[MatchResult] | None:
        """The cached answer for ``key`` (marked recently used), if any."""
        if key is None:
            return None
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
            return cached

    def featurise(
        self, items: Sequence[MatchQuery], exclude: Sequence[set[str]] | None = None
    ) -> list[Candidates]:
        """Candidates with features for each item (for training and explanation).

        With ``exclude``, item i is described as if the claims ``exclude[i]`` were not indexed.
        """
        preps = [prepare(item.text or "") for item in items]
        with self._rw.read():
            sigs = self._signals(items, list(range(len(items))), preps)
            out = []
            for i, (s, q) in enumerate(sigs):
                if exclude is not None and exclude[i]:
                    lib = self.library
                    rows = {lib.row_of[c] for c in exclude[i] if c in lib.row_of}
                    s = without(s, rows)
                out.append(candidates(self.library, s, q))
        return out

    def _signals(
        self, items: Sequence[MatchQuery], todo: list[int], preps: list[Prepared]
    ) -> list[tuple[Signals, F32 | None]]:
        images = [items[i].image_path for i in todo]
        sigs = self.library.signals_many(
            preps,
            bm25_k=self.bm25_k,
            image_hashes=[pdq_hash(image)[0] if image else None for image in images],
        )
        qvecs: list[F32 | None] = [None] * len(sigs)
        semantic = [j for j, p in enumerate(preps) if len(p.norm) >= MIN_SEMANTIC_CHARS]
        if self.semantic and semantic and len(self.library.vectors):
            vecs = self.encoder.encode([preps[j].semantic for j in semantic])
            rows, _ = self.library.vectors.search(vecs, self.semantic_k)
            for n, j in enumerate(semantic):
                qvecs[j] = vecs[n]
                self.library.add_semantic(sigs[j], rows[n])
        return list(zip(sigs, qvecs, strict=True))

    def _score(
        self, items: Sequence[MatchQuery], todo: list[int], preps: list[Prepared], top_k: int
    ) -> list[list[MatchResult]]:
        lib = self.library
        found = [
            (candidates(lib, sig, qvec), qvec is not None)
            for sig, qvec in self._signals(items, todo, preps)
        ]
        raw: list[F32] = [_NO_SCORES] * len(found)
        scores: list[F32] = [_NO_SCORES] * len(found)
        for hybrid in (True, False):
            # a re-ranker pass over the candidates of up to ``CHUNK`` posts on this path at once
            # (a row's score does not depend on the rows scored with it; more rows a pass only
            # spill the matrices out of cache)
            on_path = [i for i, (cand, h) in enumerate(found) if h == hybrid and cand.rows]
            model = self.reranker.hybrid if hybrid else self.reranker.lexical
            for start in range(0, len(on_path), CHUNK):
                chunk = on_path[start : start + CHUNK]
                x = np.concatenate([found[i][0].x for i in chunk])
                chunk_raw = model.raw(x if hybrid else x[:, _LEXICAL_COLS])
                chunk_scores = model.calibrate(chunk_raw)
                at = 0
                for i in chunk:
                    n = len(found[i][0].rows)
                    raw[i] = chunk_raw[at : at + n]
                    scores[i] = np.maximum(chunk_scores[at : at + n], found[i][0].image_score)
                    at += n
        decide = self.thresholds.decide
        out: list[list[MatchResult]] = []
        for (cand, _), cand_raw, cand_scores in zip(found, raw, scores, strict=True):
            if not cand.rows:
                out.append([])
                continue
            # calibration is a step function: ties are broken by the uncalibrated score
            top = kernels.best_first(cand_scores, cand_raw, top_k)
            order = top.tolist()
            rows = [cand.rows[i] for i in order]
            out.append(
                [
                    MatchResult(
                        claim_id or "",  # every claim row has an id
                        external_id,
                        score,
                        decide(score, confirmed=lib.confirmed[r], claim_chars=lib.claim_chars[r]),
                        layers,
                    )
                    for r, claim_id, external_id, score, layers in zip(
                        rows,
                        lib.claim_ids.take(rows),
                        lib.external_ids.take(rows),
                        cand_scores[top].tolist(),
                        cand.evidence_for(top),
                        strict=True,
                    )
                ]
            )
        return out

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the last build's records, the live changes since, and every text vector.

        ``load`` replays the same steps, so the loaded index answers exactly like this one (an
        HNSW-SQ8 graph is written as it is and read back, not rebuilt). When
        the change log has grown past a tenth of the library it is folded into a fresh build
        first (with the index held alone), which keeps files and load time bounded. The files
        are written with the index shared: matches go on, live changes wait, and one save runs
        at a time.
        """
        with self._save_lock:
            if self._log_is_long():
                with self._rw.write():
                    if self._log_is_long():  # asked again: a change may have come in between
                        live = self._live_records()
                        self.build(live, vectors=self._live_vectors(live))
            with self._rw.read():
                self._write_files(Path(directory))

    def _log_is_long(self) -> bool:
        """Whether the live changes since the last build are worth folding into a new one."""
        return len(self._ops) > max(1000, self._base_count // 10)

    def _write_files(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        lib = self.library
        # An exact index is stored as its vectors; a graph index as itself, so that loading a
        # million texts does not rebuild the graph (minutes); only the current form is kept.
        graph = lib.vectors.kind != "flat"
        if graph:
            (directory / "vectors.npy").unlink(missing_ok=True)
            lib.vectors.save(directory / "vectors.faiss")
        else:
            VectorIndex.discard(directory / "vectors.faiss")
            np.save(
                directory / "vectors.npy",
                lib.vectors.vectors(np.arange(len(lib.vectors), dtype=np.int64)),
            )
        with open(directory / "records.jsonl", "wb") as stream:
            stream.write(zlib.decompress(self._base_blob))
        with open(directory / "changes.jsonl", "wb") as stream:
            for op, arg in self._ops:
                body = arg.to_dict() if isinstance(arg, IndexRecord) else arg
                stream.write(orjson.dumps({"op": op, "arg": body}) + b"\n")
        if self._snapshot_due(directory):
            write_state(directory / SNAPSHOT_FILE, lib.state(), self._snapshot_meta())
        meta = {
            "format": "rumordesk-index/1",
            "version": self.version,
            "claims": len(self),
            "semantic": self.semantic,
            "vector_index": lib.vectors.kind,
            "vector_file": "vectors.faiss" if graph else "vectors.npy",
        }
        (directory / "index.json").write_text(json.dumps(meta))

    def _snapshot_meta(self) -> dict[str, Any]:
        """What identifies a snapshot of the library as it is now: the build it grew from
        (``epoch``), how many live changes since are in it, and the code that indexed it."""
        return {
            "format": SNAPSHOT_FORMAT,
            "fingerprint": code_fingerprint(),
            "epoch": self._epoch,
            "ops": len(self._ops),
            "claims": len(self),
            "text_rows": len(self.library.text_owner),
        }

    def _snapshot_due(self, directory: Path) -> bool:
        """Whether ``save`` writes a new snapshot: none is there, it is of another build or
        other code, or it lags the live changes by more than a hundredth of the library (at
        least 1,000): ``load`` replays the few changes after it, so a save after each live
        change does not rewrite every array."""
        meta = read_meta(directory / SNAPSHOT_FILE)
        if meta is None or not _snapshot_fits(meta, self._epoch):
            return True
        lag = len(self._ops) - int(meta.get("ops", -1))
        return lag < 0 or lag > max(1000, self._base_count // 100)

    def _base_records(self) -> list[IndexRecord]:
        data = zlib.decompress(self._base_blob)
        return [IndexRecord.from_dict(orjson.loads(line)) for line in data.splitlines() if line]

    def _live_records(self) -> list[IndexRecord]:
        """The indexed claims now: the last build's, with the live changes since applied."""
        live = {r.claim_id: r for r in self._base_records()}
        for _op, arg in self._ops:
            if isinstance(arg, IndexRecord):
                live[arg.claim_id] = arg
            else:
                live.pop(arg, None)
        return list(live.values())

    def _live_vectors(self, live: list[IndexRecord]) -> F32:
        lib = self.library
        rows = [t for r in (lib.row_of[x.claim_id] for x in live) for t in lib.texts_of[r]]
        return lib.vectors.vectors(np.asarray(rows, dtype=np.int64))

    @classmethod
    def load(
        cls,
        directory: Path,
        thresholds: Thresholds,
        encoder: Encoder | None = None,
        **settings: Any,
    ) -> Matcher:
        """Read an index written by ``save`` (no text is re-encoded)."""
        directory = Path(directory)
        meta = json.loads((directory / "index.json").read_text())
        if meta.get("format") != "rumordesk-index/1":
            raise ValueError(f"{directory}: not a rumordesk match index")
        matcher = cls(
            thresholds=thresholds,
            encoder=encoder,
            semantic=bool(meta.get("semantic", True)),
            **settings,
        )
        changes = _read_changes(directory / "changes.jsonl")
        epoch, _, mutations = str(meta["version"]).partition(".")
        if not matcher._restore(directory, meta, epoch, changes):
            matcher._rebuild_from(directory, meta, changes)
        matcher._epoch, matcher._mutations = epoch, int(mutations or 0)
        matcher._cache.clear()
        return matcher

    def _rebuild_from(
        self, directory: Path, meta: dict[str, Any], changes: list[tuple[str, IndexRecord | str]]
    ) -> None:
        """Load by indexing the saved records again, then replaying the live changes."""
        with open(directory / "records.jsonl", "rb") as stream:
            base = [IndexRecord.from_dict(orjson.loads(line)) for line in stream if line.strip()]
        used = sum(len(r.texts) for r in base)
        index, vectors = self._saved_vectors(directory, meta)
        if index is not None:
            self.build(base, vector_index=index)
        else:
            assert vectors is not None, "a flat index is saved as its vectors"
            self.build(base, vectors=vectors[:used])
        self._replay(changes, vectors, used)

    def _saved_vectors(
        self, directory: Path, meta: dict[str, Any]
    ) -> tuple[VectorIndex | None, F32 | None]:
        """The saved graph index (every text row, live additions included, with this
        matcher's settings), or else the saved flat vectors of every text row."""
        if meta.get("vector_file") == "vectors.faiss":
            index = self._new_library().vectors
            index.load(directory / "vectors.faiss")
            return index, None
        vectors: F32 = np.load(directory / "vectors.npy")
        return None, vectors

    def _restore(
        self,
        directory: Path,
        meta: dict[str, Any],
        epoch: str,
        changes: list[tuple[str, IndexRecord | str]],
    ) -> bool:
        """Load from the lexical snapshot, if there is one of this build and this code: its
        arrays are read back as they are, then the live changes after it are replayed. Returns
        False (and changes nothing) when there is none to use."""
        path = directory / SNAPSHOT_FILE
        found = read_meta(path)
        if found is None:
            return False
        if not _snapshot_fits(found, epoch) or int(found.get("ops", -1)) > len(changes):
            log.info("lexical snapshot in %s is of another build or code; re-indexing", directory)
            return False
        try:
            state, _ = read_state(path)
            rows = int(found["text_rows"])
            index, vectors = self._saved_vectors(directory, meta)
            if index is None:
                assert vectors is not None, "a flat index is saved as its vectors"
                index = self._new_library().vectors
                index.build(vectors[:rows])
            library = Library.from_state(
                state, dim=index.dim, flat_max=self._flat_max, vectors=index
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("lexical snapshot in %s unreadable (%s); re-indexing", directory, exc)
            return False
        del state
        with open(directory / "records.jsonl", "rb") as stream:
            data = stream.read()
        done = int(found["ops"])
        with self._rw.write():
            self.library = library
            self._base_blob = zlib.compress(data, 1)
            self._base_count = data.count(b"\n")
            self._ops = list(changes[:done])
            self._clear_cache()
        del data, library
        self._replay(changes[done:], vectors, rows)
        _settle_heap()
        return True

    def _replay(
        self, changes: list[tuple[str, IndexRecord | str]], vectors: F32 | None, used: int
    ) -> None:
        """Apply saved live changes (``vectors``: the saved flat vectors, read from text row
        ``used`` on; None: the vector index holds them already)."""
        for _op, arg in changes:
            if isinstance(arg, IndexRecord):
                if vectors is None:
                    self._add(arg, None, indexed=True)
                else:
                    self._add(arg, vectors[used : used + len(arg.texts)])
                used += len(arg.texts)
            else:
                self.remove(arg)


def _snapshot_fits(meta: dict[str, Any], epoch: str) -> bool:
    """Whether a snapshot (its metadata) is of the build ``epoch`` and of the code running."""
    found = (meta.get("format"), meta.get("fingerprint"), meta.get("epoch"))
    return found == (SNAPSHOT_FORMAT, code_fingerprint(), epoch)


def _read_changes(path: Path) -> list[tuple[str, IndexRecord | str]]:
    """The live changes a save wrote (``changes.jsonl``), in order."""
    out: list[tuple[str, IndexRecord | str]] = []
    with open(path, "rb") as stream:
        for line in stream:
            if not line.strip():
                continue
            change = orjson.loads(line)
            if change["op"] == "add":
                out.append(("add", IndexRecord.from_dict(change["arg"])))
            else:
                out.append(("remove", str(change["arg"])))
    return out
