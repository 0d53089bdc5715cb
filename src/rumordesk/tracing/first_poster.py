"""Who posted first, how sure we can be, and the notes that say so in prose.

Steps:

1. Candidates. Overall: the cascade roots (a descendant can never precede its root once clock
   skew is corrected). Per platform: that platform's roots plus posts whose parent is on another
   platform (the first appearance of the claim there).
2. Winner: the earliest skew-corrected time; ties are broken by platform name, then post id, so
   the answer never depends on input order.
3. Uncertainty: every other account whose candidate post lies within ``skew_tolerance_s`` of the
   winner makes the first poster uncertain, and a note names them. A winner whose parent is
   missing gets a note too: an earlier, unseen poster may exist.
4. Data notes: posts timestamped before their parent (clock skew: the parent is treated as
   earlier), duplicates, cycles and provisional roots.
"""

from __future__ import annotations

from datetime import UTC

import numpy as np

from rumordesk.tracing.forest import Bools
from rumordesk.tracing.graph import PropagationGraph
from rumordesk.tracing.results import FirstPoster

DETAIL = 5  # individual examples per kind of note; the rest are counted


def duration(seconds: float) -> str:
    """A short human reading of a span of seconds."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _who(g: PropagationGraph, i: int) -> str:
    account = g.posts[i].account
    return account if len(g.platforms) == 1 else f"{account} ({g.posts[i].platform})"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def poster_of(g: PropagationGraph, i: int) -> FirstPoster:
    """The post at index ``i`` as a first poster."""
    node = g.posts[i]
    created = node.created_at.astimezone(UTC)
    return FirstPoster(node.account, node.post_id, node.platform, created)


def first_poster(
    g: PropagationGraph, candidates: Bools, tolerance: float, scope: str = ""
) -> tuple[FirstPoster | None, list[str]]:
    """Steps 2-3 over the ``candidates`` mask; ``scope`` prefixes the notes (e.g. "[weibo] ")."""
    pool = np.flatnonzero(candidates)
    if len(pool) == 0:
        return None, []
    times = g.effective[pool]
    close = pool[times <= times.min() + tolerance]
    if len(close) > 200:  # a burst of simultaneous posts: the 200 earliest tell the story
        close = close[np.argsort(g.effective[close], kind="stable")[:200]]
    ranked = sorted(
        close.tolist(),
        key=lambda i: (g.effective[i], g.posts[i].platform, g.posts[i].post_id),
    )
    winner = ranked[0]
    notes: list[str] = []
    rivals: list[int] = []
    seen = {g.account[winner]}
    for i in ranked[1:]:
        if g.account[i] not in seen:
            seen.add(g.account[i])
            rivals.append(i)
    if rivals:
        shown = [_who(g, winner)] + [_who(g, i) for i in rivals[:DETAIL]]
        if len(rivals) > DETAIL:
            shown[-1] = f"{len(rivals) - DETAIL + 1} more accounts"
        spread = float(g.effective[rivals[-1]] - g.effective[winner])
        if spread == 0:
            notes.append(
                f"{scope}{_names(shown)} posted at the same time; {_who(g, winner)} is listed"
                " first by platform, then post id, and the first poster is uncertain"
            )
        else:
            notes.append(
                f"{scope}{_names(shown)} posted within {duration(spread)} of each other; first"
                f" poster is uncertain within clock skew (tolerance {duration(tolerance)})"
            )
    if g.missing_parent[winner]:
        node = g.posts[winner]
        notes.append(
            f"{scope}first poster {_who(g, winner)}'s post {node.post_id} is a {node.kind} of"
            f" post {node.parent_id}, which is not among the traced posts; an earlier poster"
            " may exist"
        )
    return poster_of(g, winner), notes


def platform_candidates(g: PropagationGraph) -> Bools:
    """Roots and posts whose parent is on another platform (step 1)."""
    is_root = g.parent == np.arange(len(g), dtype=np.int64)
    crossed: Bools = is_root | (g.platform != g.platform[g.parent])
    return crossed


def data_notes(g: PropagationGraph, provisional_roots: list[int]) -> tuple[list[str], int]:
    """Step 4: prose about skew, duplicates, cycles and missing parents; and the skew count."""
    notes: list[str] = []
    idx = np.arange(len(g), dtype=np.int64)
    gap = np.where(g.parent != idx, g.times[g.parent] - g.times, 0.0)
    skewed = np.flatnonzero(gap > 0)
    for i in skewed[np.argsort(-gap[skewed], kind="stable")][:DETAIL].tolist():
        parent = int(g.parent[i])
        notes.append(
            f"post {g.posts[i].post_id} by {_who(g, i)} is timestamped {duration(gap[i])} before"
            f" its parent {g.posts[parent].post_id} by {_who(g, parent)}; clock skew assumed,"
            " the parent is treated as earlier"
        )
    if len(skewed) > DETAIL:
        notes.append(
            f"{len(skewed)} posts in all are timestamped before their parent (largest gap"
            f" {duration(float(gap[skewed].max()))}); each is ordered after its parent"
        )
    if g.duplicates:
        ids = ", ".join(g.duplicate_ids[:DETAIL]) + (
            " ..." if len(g.duplicate_ids) > DETAIL else ""
        )
        notes.append(f"{g.duplicates} duplicate copies dropped (same post id): {ids}")
        if g.conflicting_duplicates:
            notes.append(
                f"{len(g.conflicting_duplicates)} duplicated posts disagree between copies"
                f" (e.g. {g.conflicting_duplicates[0]}); kept the copy that names a parent,"
                " then the earliest"
            )
    for cycle in g.cycles[:DETAIL]:
        loop = " -> ".join([*cycle.post_ids, cycle.post_ids[0]])
        notes.append(f"parent links form a cycle {loop}; broken at {cycle.broken_at} (earliest)")
    if len(g.cycles) > DETAIL:
        notes.append(f"{len(g.cycles)} cycles in all were found and broken")
    if provisional_roots:
        example = g.posts[provisional_roots[0]]
        notes.append(
            f"{len(provisional_roots)} cascades are provisional: their root names a parent that"
            f" is not among the traced posts (e.g. {example.post_id} -> {example.parent_id});"
            " they attach when the parent arrives"
        )
    return notes, len(skewed)
