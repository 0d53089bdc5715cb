"""Vectorised kernels over a forest stored as a parent array (``parent[i] == i`` marks a root).

Nothing here recurses or walks one node at a time in Python, so a chain of a million posts is as
safe as a star of a million posts:

1. ``climb`` uses pointer doubling: every node jumps to its ancestor's ancestor in one numpy step,
   so ``log2(depth)`` steps find every node's root, its depth and the latest time on its path.
   Nodes that never reach a root sit in (or hang below) a cycle; ``climb`` reports them.
2. ``subtree_sizes`` adds each level's sizes into the level above, deepest level first.
3. ``preorder`` numbers nodes so that each subtree is one interval ``[pre, pre + size)``; this
   turns "is this repost nested under another repost of the same account?" into a sorted scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Climb:
    """What pointer doubling learned about every node."""

    root: Ints  # the root each node hangs from (meaningless where ``stuck``)
    depth: Ints  # edges from the root
    latest: Floats  # the latest timestamp on the path root..node (clock-skew-corrected time)
    stuck: Bools  # True for nodes that never reached a root: in or below a cycle


def climb(parent: Ints, times: Floats) -> Climb:
    """Root, depth and path-maximum time of every node, by pointer doubling."""
    n = len(parent)
    anc = parent.copy()
    depth = (anc != np.arange(n, dtype=np.int64)).astype(np.int64)
    latest = times.copy()
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 2):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        depth += depth[anc]
        np.maximum(latest, latest[anc], out=latest)
        anc = nxt
    np.maximum(latest, latest[anc], out=latest)
    stuck = parent[anc] != anc
    return Climb(root=anc, depth=depth, latest=latest, stuck=stuck)


def path_sums(parent: Ints, weight: Ints) -> Ints:
    """Sum of ``weight`` over each node's path up to (excluding) its root, roots weighing 0."""
    n = len(parent)
    anc = parent.copy()
    total = weight.copy()
    total[anc == np.arange(n, dtype=np.int64)] = 0
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 2):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        total += total[anc]
        anc = nxt
    return total


def levels(depth: Ints) -> tuple[Ints, Ints]:
    """Nodes ordered by depth (stable) and the start offset of each depth level (plus the end)."""
    order = np.argsort(depth, kind="stable").astype(np.int64)
    counts = np.bincount(depth) if len(depth) else np.zeros(0, dtype=np.int64)
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return order, starts


def subtree_sizes(parent: Ints, depth: Ints) -> Ints:
    """Posts in each node's subtree (itself included), summed level by level from the bottom."""
    size = np.ones(len(parent), dtype=np.int64)
    order, starts = levels(depth)
    for d in range(len(starts) - 2, 0, -1):
        level = order[starts[d] : starts[d + 1]]
        if len(level) == 1:  # chains: skip ufunc.at's fixed cost
            v = int(level[0])
            size[parent[v]] += size[v]
        else:
            np.add.at(size, parent[level], size[level])
    return size


def preorder(parent: Ints, root: Ints, size: Ints) -> Ints:
    """Preorder numbers: the subtree of ``v`` is exactly ``[pre[v], pre[v] + size[v])``."""
    n = len(parent)
    idx = np.arange(n, dtype=np.int64)
    is_root = parent == idx
    # Children grouped by parent; a child's offset is the size of its earlier siblings.
    kids = np.flatnonzero(~is_root)
    kids = kids[np.argsort(parent[kids], kind="stable")]
    sizes = size[kids]
    before = np.cumsum(sizes) - sizes
    first = np.ones(len(kids), dtype=bool)
    first[1:] = parent[kids][1:] != parent[kids][:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(kids)), 0))
    weight = np.zeros(n, dtype=np.int64)
    weight[kids] = 1 + before - before[group_start]
    relative = path_sums(parent, weight)
    roots = np.flatnonzero(is_root)
    base = np.zeros(n, dtype=np.int64)
    base[roots] = np.cumsum(size[roots]) - size[roots]
    return base[root] + relative
