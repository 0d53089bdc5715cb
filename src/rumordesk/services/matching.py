"""The matching service: keeps a live match index of the library and answers match requests.

1. Load: the persisted index (``<data_dir>/index``) with its watermark (the newest claim
   ``updated_at`` it reflects); a missing or unreadable index is rebuilt from the database.
2. Catch up: claims changed since the watermark are upserted (retracted ones removed), so
   confirming, editing or retracting a claim never needs a full rebuild.
3. Stay current: in this process a library-change listener catches up after each commit;
   other processes (replicas) catch up when their last check is older than ``refresh_seconds``.
4. Match: items are matched in batches by the engine; results become ``ClaimMatch`` objects.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from rumordesk.composition import Rumordesk
from rumordesk.matching.engine import IndexRecord, Matcher, MatchQuery, MatchResult, Thresholds
from rumordesk.services.matching_contract import ClaimMatch, ContentItem
from rumordesk.store.models import Claim

log = logging.getLogger(__name__)
WATERMARK_FILE = "watermark.json"


def index_record(claim: Claim) -> IndexRecord:
    """How the index sees a library claim."""
    return IndexRecord(
        claim_id=claim.id,
        external_id=claim.external_id,
        texts=[claim.canonical_text, *claim.variants],
        keywords=list(claim.keywords),
        language=claim.language,
        image_hashes=list(claim.image_hashes),
        confirmed=claim.status == "confirmed",
    )


def thresholds_of(desk: Rumordesk) -> Thresholds:
    """Decision thresholds from the policy file."""
    m = desk.policy.matching
    return Thresholds(
        match=m.match_threshold, review=m.review_threshold, min_claim_chars=m.min_claim_chars
    )


def to_claim_match(result: MatchResult) -> ClaimMatch:
    """The contract's form of an engine result."""
    return ClaimMatch(
        claim_id=result.claim_id,
        external_id=result.external_id,
        score=float(result.score),
        decision=result.decision,
        layers=result.to_dict()["layers"],
    )


def to_query(item: ContentItem) -> MatchQuery:
    """The engine's form of a content item."""
    return MatchQuery(text=item.text, image_path=item.image_path, lang=item.lang)


class MatchingService:
    """A live, persisted match index over the library (implements ``ContentMatcher``)."""

    def __init__(
        self,
        desk: Rumordesk,
        *,
        refresh_seconds: float = 5.0,
        save_seconds: float = 30.0,
        matcher: Matcher | None = None,
    ) -> None:
        self.desk = desk
        self.refresh_seconds = refresh_seconds
        # Live changes are saved at most this often, in a thread of their own: the saved index
        # only spares a restart the catch-up from its watermark (the database is the truth),
        # and a save rewrites the records and vectors (seconds at a million claims).
        self.save_seconds = save_seconds
        self.directory: Path = desk.settings.index_dir
        self._lock = threading.RLock()
        self._watermark: datetime | None = None
        self._checked = 0.0
        self._saved = 0.0
        self._unsaved = False
        self._matcher = matcher
        self._write_lock = threading.Lock()  # one save writes the files at a time
        self._saver: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def matcher(self) -> Matcher:
        """The engine, loaded or built on first use."""
        with self._lock:
            if self._matcher is None:
                self._matcher = self._load_or_build()
            return self._matcher

    @property
    def version(self) -> str:
        """Changes whenever the index changes."""
        return str(self.matcher.version)

    def _load_or_build(self) -> Matcher:
        marker = self.directory / WATERMARK_FILE
        if marker.exists():
            try:
                matcher = Matcher.load(self.directory, thresholds_of(self.desk))
                stamp = json.loads(marker.read_text())["watermark"]
                self._watermark = datetime.fromisoformat(stamp) if stamp else None
                self._matcher = matcher
                self._saved = time.monotonic()
                self._unsaved = self._catch_up(matcher) > 0
                return matcher
            except Exception as exc:  # noqa: BLE001 - a bad index is rebuilt, never fatal
                log.warning("match index at %s unreadable (%s); rebuilding", self.directory, exc)
        return self.rebuild()

    def rebuild(self, progress: bool = False) -> Matcher:
        """Build the index from every matchable claim in the database and persist it."""
        with self._lock, self.desk.sessions() as session:
            claims = session.scalars(select(Claim).where(Claim.status != "retracted")).all()
            matcher = Matcher(thresholds=thresholds_of(self.desk))
            matcher.build([index_record(c) for c in claims], progress=progress)
            self._watermark = max((c.updated_at for c in claims), default=None)
            self._matcher = matcher
            self._checked = time.monotonic()
            self.save()
            return matcher

    def save(self) -> None:
        """Persist the index and its watermark next to the database, in this thread.

        The watermark is read before the index is written, and the index only moves forward,
        so the files never claim more than they hold: a change applied while the files are
        written is either in them or after the watermark (a load applies it again; upserts and
        removals are idempotent). Matches go on while a save writes (the engine holds its
        index shared); a live change waits for it.
        """
        with self._lock:
            matcher, watermark = self._matcher, self._watermark
            if matcher is None:
                return
            self._unsaved = False  # a change applied from here on marks it again
        # never takes self._lock while holding the write lock (rebuild holds them the other way)
        with self._write_lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                matcher.save(self.directory)
                stamp = watermark.isoformat() if watermark else None
                (self.directory / WATERMARK_FILE).write_text(json.dumps({"watermark": stamp}))
            except BaseException:
                self._unsaved = True
                raise
            finally:
                self._saved = time.monotonic()

    def _save_in_background(self) -> None:
        """Start a save in a thread of its own, unless one is running."""
        if self._saver is not None and self._saver.is_alive():
            return
        self._saver = threading.Thread(
            target=self._background_save, name="match-index-save", daemon=True
        )
        self._saver.start()

    def _background_save(self) -> None:
        try:
            self.save()
        except Exception:  # noqa: BLE001 - logged; the changes stay unsaved and are retried
            log.exception("saving the match index to %s failed", self.directory)

    def wait_for_save(self, timeout: float | None = None) -> None:
        """Wait for a background save, if one is running."""
        saver = self._saver
        if saver is not None:
            saver.join(timeout)

    def flush(self) -> None:
        """Save live changes not saved yet, after any background save (at shutdown)."""
        self.wait_for_save()
        if self._unsaved:
            self.save()

    # -- staying current -------------------------------------------------------------------
    def _catch_up(self, matcher: Matcher) -> int:
        """Apply claims changed since the watermark; returns how many were applied."""
        with self.desk.sessions() as session:
            stmt = select(Claim)
            if self._watermark is not None:
                stmt = stmt.where(Claim.updated_at > self._watermark)
            changed = session.scalars(stmt.order_by(Claim.updated_at)).all()
        for claim in changed:
            if claim.status == "retracted":
                matcher.remove(claim.id)
            else:
                matcher.upsert(index_record(claim))
            self._watermark = claim.updated_at
        self._checked = time.monotonic()
        return len(changed)

    def refresh(self, *, force: bool = False) -> int:
        """Catch up with library changes (at most every ``refresh_seconds`` unless forced)."""
        with self._lock:
            if self._matcher is None:
                self.matcher  # noqa: B018 - loads and catches up
                return 0
            if not force and time.monotonic() - self._checked < self.refresh_seconds:
                return 0
            applied = self._catch_up(self._matcher)
            self._unsaved = self._unsaved or applied > 0
            if self._unsaved and time.monotonic() - self._saved >= self.save_seconds:
                self._save_in_background()  # the request that made it due does not wait
            return applied

    def on_library_change(self, _claim_ids: set[str]) -> None:
        """Listener for this process's own commits: catch up at once."""
        if self._matcher is not None:
            self.refresh(force=True)

    # -- matching ----------------------------------------------------------------------------
    def match_items(
        self, items: Sequence[ContentItem], *, top_k: int = 5, include_no_match: bool = False
    ) -> list[list[ClaimMatch]]:
        """Matches for each item, best first; ``no_match`` candidates only when asked."""
        self.refresh()
        results = self.matcher.match_many([to_query(i) for i in items], top_k=top_k)
        out = []
        for row in results:
            matches = [to_claim_match(r) for r in row]
            if not include_no_match:
                matches = [m for m in matches if m.decision != "no_match"]
            out.append(matches)
        return out

    def match_claim(self, claim_id: str, items: Sequence[ContentItem]) -> list[ClaimMatch | None]:
        """For a stock sweep: each item's match to ``claim_id``, or None.

        A sweep looks at every stored post, so full matching of each one is far too slow. A
        cheap lexical prefilter (character-shingle and pinyin-shingle overlap with the claim's
        texts) keeps the few posts that could repeat the claim, and only those are matched in
        full. Paraphrases that share no wording with the claim are left to new posts' matching.
        """
        self.refresh()
        prefilter = self._claim_prefilter(claim_id)
        if prefilter is None:
            return [None] * len(items)
        keep = [
            i
            for i, item in enumerate(items)
            if (item.norm and prefilter.could_match(item.norm, normalised=True))
            or (not item.norm and item.text and prefilter.could_match(item.text))
        ]
        out: list[ClaimMatch | None] = [None] * len(items)
        if not keep:
            return out
        results = self.matcher.match_many([to_query(items[i]) for i in keep], top_k=10)
        for i, row in zip(keep, results, strict=True):
            hit = next(
                (r for r in row if r.claim_id == claim_id and r.decision != "no_match"), None
            )
            out[i] = to_claim_match(hit) if hit else None
        return out

    def _claim_prefilter(self, claim_id: str) -> ClaimPrefilter | None:
        with self.desk.sessions() as session:
            claim = session.get(Claim, claim_id)
            if claim is None or claim.status == "retracted":
                return None
            return ClaimPrefilter([claim.canonical_text, *claim.variants])


class ClaimPrefilter:
    """Could a text repeat one claim? A fast, generous lexical test used by sweeps.

    A text passes when it contains at least ``min_overlap`` of one claim text's character
    3-shingles, or when most of its own shingles come from the claim (a short fragment). The
    pinyin view (homophones) is only consulted for texts that already share some shingles.
    """

    def __init__(self, texts: Sequence[str], min_overlap: float = 0.3) -> None:
        from rumordesk.text.tokens import char_shingles, pinyin_key

        self._shingles = char_shingles
        self._pinyin = pinyin_key
        self.min_overlap = min_overlap
        self.claim_sets = [s for s in (char_shingles(t) for t in texts) if s]
        self.claim_pinyin = [s for s in (_grams(pinyin_key(t), 4) for t in texts) if s]
        self.vocabulary = frozenset().union(*self.claim_sets) if self.claim_sets else frozenset()

    def could_match(self, text: str, *, normalised: bool = False) -> bool:
        """True when enough of the claim's (or the text's) shingles are shared.

        ``normalised``: the text is already ``normalize``d (as stored with each post), so the
        shingles are taken directly — normalising half a million texts again dominates a sweep.
        """
        post = _grams(text.replace(" ", ""), 3) if normalised else self._shingles(text)
        if not post or post.isdisjoint(self.vocabulary):
            return False
        best = _overlap(post, self.claim_sets)
        if best >= self.min_overlap:
            return True
        if best < self.min_overlap / 3:
            return False
        return _overlap(_grams(self._pinyin(text), 4), self.claim_pinyin) >= self.min_overlap


def _grams(text: str, k: int) -> set[str]:
    return {text[i : i + k] for i in range(len(text) - k + 1)} if len(text) >= k else set()


def _overlap(post: set[str], claims: Sequence[set[str]]) -> float:
    """The best share of a claim text found in the post, or of a short post found in a claim."""
    best = 0.0
    for claim in claims:
        shared = len(post & claim)
        if shared:
            of_claim = shared / len(claim)
            of_post = shared / len(post) if shared >= 5 else 0.0
            best = max(best, of_claim, of_post * 0.75)
    return best
