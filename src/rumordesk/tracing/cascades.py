"""Per-cascade figures for every tree of the forest at once, with numpy group-bys.

Steps:

1. Order the roots chronologically (time, then platform, then post id) and number the cascades.
2. Size, depth and breadth: counts and maxima grouped by cascade (breadth groups by cascade and
   depth level first).
3. Accounts: each (cascade, account) pair's first appearance, on skew-corrected time. Sorting the
   pairs by (cascade, time) ranks a cascade's accounts in order of arrival, which gives the
   distinct-account count, the time to reach the Nth account, and the "early" cut-off time used
   for early amplifiers (the arrival of the account at ``ceil(early_share * accounts)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rumordesk.tracing.forest import Floats, Ints
from rumordesk.tracing.graph import PropagationGraph


@dataclass(frozen=True)
class CascadeFigures:
    """Parallel arrays, one entry per cascade, in chronological order of roots."""

    roots: Ints  # root node index
    of_node: Ints  # cascade number of every node
    size: Ints
    depth: Ints
    breadth: Ints
    accounts: Ints
    milestones: dict[int, Floats]  # seconds from root to the Nth account; NaN if never reached
    early_cutoff: Floats  # amplifying posts at or before this time are early


def _roots_in_order(g: PropagationGraph) -> Ints:
    roots = np.flatnonzero(g.parent == np.arange(len(g), dtype=np.int64))
    times = g.times[roots].tolist()
    keys = [
        (times[k], g.platforms[g.platform[r]], g.posts[r].post_id)
        for k, r in enumerate(roots.tolist())
    ]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return roots[np.array(order, dtype=np.int64)] if order else roots.astype(np.int64)


def _breadth(of_node: Ints, depth: Ints, cascades: int) -> Ints:
    levels = int(depth.max()) + 1 if len(depth) else 1
    keys, counts = np.unique(of_node * levels + depth, return_counts=True)
    breadth = np.zeros(cascades, dtype=np.int64)
    np.maximum.at(breadth, keys // levels, counts)
    return breadth


def cascade_figures(
    g: PropagationGraph, milestones: tuple[int, ...], early_share: float
) -> CascadeFigures:
    """Steps 1-3 of the module docstring."""
    roots = _roots_in_order(g)
    count = len(roots)
    position = np.empty(len(g), dtype=np.int64)
    position[roots] = np.arange(count, dtype=np.int64)
    of_node = position[g.root]
    size = np.bincount(of_node, minlength=count).astype(np.int64)
    depth = np.zeros(count, dtype=np.int64)
    np.maximum.at(depth, of_node, g.depth)

    # First appearance of each account in each cascade, then accounts ranked by arrival.
    n_accounts = max(len(g.accounts), 1)
    pair = of_node * n_accounts + g.account
    order = np.lexsort((g.effective, pair))
    sorted_pairs = pair[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_pairs[1:] != sorted_pairs[:-1]
    arrival = g.effective[order][first]
    arrival_cascade = sorted_pairs[first] // n_accounts
    by_time = np.lexsort((arrival, arrival_cascade))
    arrival = arrival[by_time]
    arrival_cascade = arrival_cascade[by_time]
    accounts = np.bincount(arrival_cascade, minlength=count).astype(np.int64)
    start = np.zeros(count, dtype=np.int64)
    np.cumsum(accounts[:-1], out=start[1:])

    root_time = g.effective[roots]
    reached: dict[int, Floats] = {}
    for n in milestones:
        seconds = np.full(count, np.nan)
        ok = accounts >= n
        seconds[ok] = arrival[start[ok] + n - 1] - root_time[ok]
        reached[n] = seconds
    # The epsilon keeps 0.1 * 30 (3.0000000000000004 in floating point) at 3 accounts, not 4.
    early_rank = np.ceil(early_share * accounts - 1e-9).astype(np.int64)
    early_rank = np.clip(early_rank, 1, np.maximum(accounts, 1))
    cutoff = arrival[start + early_rank - 1] if count else np.zeros(0)
    return CascadeFigures(
        roots=roots,
        of_node=of_node,
        size=size,
        depth=depth,
        breadth=_breadth(of_node, g.depth, count),
        accounts=accounts,
        milestones=reached,
        early_cutoff=cutoff,
    )
