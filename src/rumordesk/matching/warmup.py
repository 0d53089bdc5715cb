"""Compile the matching kernels ahead of use: ``python -m rumordesk.matching.warmup``.

numba compiles a kernel on its first call and caches the machine code next to the module; a
fresh install would otherwise pay that (10-20 s) inside its first match, which may be an API
request or a sweep with a deadline. This matches a few texts against a tiny library, which
calls every kernel with the argument types real matching uses; ``make install`` runs it, and the
test session does too. With the cache in place it takes well under a second.
"""

from __future__ import annotations

import time

import numpy as np

from rumordesk.matching import binscan, kernels
from rumordesk.matching.engine import Matcher
from rumordesk.matching.features import candidates
from rumordesk.matching.library import prepare
from rumordesk.matching.records import IndexRecord, MatchQuery, Thresholds

_LIBRARY = [
    IndexRecord("warm-en", None, ["5G towers spread the coronavirus to people nearby"]),
    IndexRecord("warm-zh", None, ["明天本市将发生8级大地震，请大家做好准备"], keywords=["地震"]),
]
_POSTS = [
    "They say 5G towers spread the coronavirus to people nearby!!",
    "明天本市将发生八级大地震 ming tian da di zhen",
    "short",
]


def warm_up() -> float:
    """Call every kernel once (a build, live additions, matches); returns the seconds taken."""
    start = time.perf_counter()
    matcher = Matcher(thresholds=Thresholds(0.8, 0.5), semantic=False)
    matcher.build(_LIBRARY)
    matcher.match_many([MatchQuery(text) for text in _POSTS])
    # a claim added live takes the delta paths of the buckets and BM25 index
    matcher.upsert(IndexRecord("warm-live", None, ["Drinking bleach cures COVID-19 infections"]))
    matcher.match_many([MatchQuery(text) for text in [*_POSTS, "bleach cures covid-19"]])
    # vector hits folded into claims (the semantic path; no encoder needed for the kernel)
    sig = matcher.library.signals(prepare(_POSTS[0]))
    rows = np.asarray([0, 2, -1], dtype=np.int64)
    matcher.library.add_semantic(sig, rows)
    candidates(matcher.library, sig, np.ones(matcher.library.vectors.dim, dtype=np.float32))
    codes = np.zeros((2, 4), dtype=np.uint8)  # an HNSW index's 8-bit codes
    kernels.sq8_dot(codes, np.zeros(1, dtype=np.int64), np.ones(4, dtype=np.float32), np.float32(0))
    # the sign scan of libraries between FLAT_MAX and SCAN_MAX texts
    words = np.zeros((1, 2), dtype=np.uint64)
    found = binscan.hamming_closest(words, 2, np.zeros((1, 1), dtype=np.uint64), 1)
    weights = np.ones((1, 4), dtype=np.float32)
    binscan.sq8_rerank(codes, found, weights, np.zeros(1, dtype=np.float32), 1)
    return time.perf_counter() - start


def main() -> None:
    """Entry point for ``python -m rumordesk.matching.warmup``."""
    print(f"matching kernels ready in {warm_up():.1f} s")


if __name__ == "__main__":
    main()
