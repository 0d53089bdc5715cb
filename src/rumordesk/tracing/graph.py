"""Build the propagation graph of one claim from ``PostNode`` values, whatever state they are in.

Steps:

1. Deduplicate by ``post_id``. Exact copies are dropped silently (but counted); conflicting copies
   keep the most informative version (one that names a parent, then the earliest, then the
   smallest field tuple) so the result never depends on arrival order.
2. Turn the nodes into numpy arrays: timestamps, kind codes, platform codes and account codes. An
   account is (platform, account): the same handle on two platforms is two accounts. Codes are
   ranks in sorted order, so ties broken by code are broken by name.
3. Resolve parents. A parent that is not among the nodes makes the node a *provisional* root
   (a later rebuild with the parent present attaches it). A node naming itself is a self-loop.
4. Climb (``forest.climb``) to find each node's root, depth and skew-corrected time. Nodes that
   never reach a root are in or under a cycle: the cycles are found by walking only those nodes,
   reported, and broken at their earliest post (which becomes a root), then the climb reruns.
5. Sizes and preorder numbers of every subtree, for reach.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import attrgetter
from typing import cast

import numpy as np

from rumordesk.tracing.forest import Bools, Floats, Ints, climb, preorder, subtree_sizes
from rumordesk.tracing.nodes import KINDS, PostNode, TracingInputError

KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
SEPARATOR = "\x1f"  # joins platform and account into one account key; never in either


@dataclass(frozen=True)
class Cycle:
    """Posts whose parent links form a loop (bad data), and the post where the loop was cut."""

    post_ids: list[str]
    broken_at: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"post_ids": self.post_ids, "broken_at": self.broken_at}


@dataclass
class PropagationGraph:
    """The deduplicated posts of one claim as parallel arrays, with the forest resolved."""

    posts: list[PostNode]
    times: Floats  # created_at as epoch seconds, as posted
    effective: Floats  # skew-corrected: never earlier than any ancestor
    kind: Ints
    platform: Ints
    platforms: list[str]
    account: Ints
    accounts: list[str]  # account keys "platform\x1faccount", sorted
    parent: Ints  # parent index; ``parent[i] == i`` for roots
    no_parent: Bools  # names no parent at all: a true origin
    missing_parent: Bools  # root only because its parent is not among the nodes
    root: Ints
    depth: Ints
    size: Ints  # subtree sizes
    pre: Ints  # preorder numbers
    duplicates: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    conflicting_duplicates: list[str] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)

    def __len__(self) -> int:
        """Number of distinct posts."""
        return len(self.posts)

    def account_name(self, code: int) -> tuple[str, str]:
        """(platform, account) of an account code."""
        platform, _, account = self.accounts[code].partition(SEPARATOR)
        return platform, account


def _preference(node: PostNode) -> tuple[bool, float, tuple[str, ...]]:
    """Sort key among conflicting copies of one post: smallest wins."""
    fields = (node.platform, node.account, node.kind, node.parent_id or "", node.root_id or "")
    return (node.parent_id is None, node.created_at.timestamp(), fields)


def deduplicate(
    nodes: Iterable[PostNode],
) -> tuple[list[PostNode], dict[str, int], list[str], list[str]]:
    """Distinct posts, their index by id, ids seen more than once (per extra copy), conflicts."""
    given = list(nodes)
    index = dict(zip(map(attrgetter("post_id"), given), range(len(given)), strict=True))
    if len(index) == len(given):  # the usual case: no duplicates, no Python-level loop
        return given, index, [], []
    index = {}
    kept: list[PostNode] = []
    extra: list[str] = []
    conflicts: set[str] = set()
    for node in given:
        i = index.get(node.post_id)
        if i is None:
            index[node.post_id] = len(kept)
            kept.append(node)
            continue
        extra.append(node.post_id)
        if node != kept[i]:
            conflicts.add(node.post_id)
            if _preference(node) < _preference(kept[i]):
                kept[i] = node
    return kept, index, extra, sorted(conflicts)


def _codes(values: list[str]) -> tuple[list[str], Ints]:
    """Sorted distinct values and each value's rank among them (hashing, not sorting, the n)."""
    names = sorted(dict.fromkeys(values))
    rank = {name: code for code, name in enumerate(names)}
    return names, np.fromiter(map(rank.__getitem__, values), dtype=np.int64, count=len(values))


@dataclass(frozen=True)
class _Columns:
    """The nodes' fields transposed, checked and coded (step 2)."""

    times: Floats
    kind: Ints
    platforms: list[str]
    platform: Ints
    accounts: list[str]
    account: Ints
    parent_ids: list[str | None]


def _columns(posts: list[PostNode]) -> _Columns:
    n = len(posts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Columns(np.zeros(0), empty, [], empty, [], empty, [])
    platforms, accounts, kinds, parent_ids, created = (
        list(map(attrgetter(name), posts))
        for name in ("platform", "account", "kind", "parent_id", "created_at")
    )
    if None in set(map(attrgetter("tzinfo"), created)):
        naive = next(p for p in posts if p.created_at.tzinfo is None)
        raise TracingInputError(f"post {naive.post_id}: created_at must be timezone-aware")
    kind_codes = list(map(KIND_CODE.get, kinds, repeat(-1)))
    if -1 in kind_codes:
        bad = posts[kind_codes.index(-1)]
        raise TracingInputError(
            f"post {bad.post_id}: unknown kind {bad.kind!r}; expected one of {KINDS}"
        )
    platform_names, platform = _codes(platforms)
    if len(platform_names) == 1:  # one platform: the account name alone sorts the same
        names, account = _codes(accounts)
        account_names = [platform_names[0] + SEPARATOR + a for a in names]
    else:
        account_names, account = _codes(
            list(map(SEPARATOR.join, zip(platforms, accounts, strict=True)))
        )
    return _Columns(
        times=np.fromiter(map(datetime.timestamp, created), dtype=np.float64, count=n),
        kind=np.array(kind_codes, dtype=np.int64),
        platforms=platform_names,
        platform=platform,
        accounts=account_names,
        account=account,
        parent_ids=parent_ids,
    )


def _find_cycles(parent: Ints, stuck: Bools, times: Floats, posts: list[PostNode]) -> list[Cycle]:
    """Walk only the stuck nodes, find each loop once, and cut it at its earliest post."""
    links = parent.tolist()
    state: dict[int, int] = {}  # 1: on the current walk, 2: finished
    cycles: list[Cycle] = []
    start_order = sorted(np.flatnonzero(stuck).tolist(), key=lambda i: posts[i].post_id)
    for start in start_order:
        walk: list[int] = []
        v = start
        while v not in state:
            state[v] = 1
            walk.append(v)
            v = links[v]
        if state[v] == 1:
            loop = walk[walk.index(v) :]
            cut = min(loop, key=lambda i: (times[i], posts[i].platform, posts[i].post_id))
            parent[cut] = cut
            cycles.append(Cycle([posts[i].post_id for i in loop], posts[cut].post_id))
        for w in walk:
            state[w] = 2
    return cycles


def build_graph(nodes: Iterable[PostNode]) -> PropagationGraph:
    """Steps 1-5 of the module docstring."""
    posts, index, extra, conflicts = deduplicate(nodes)
    n = len(posts)
    cols = _columns(posts)
    times = cols.times
    lookup = cast("dict[str | None, int]", index)  # a None parent simply misses
    parent = np.fromiter(map(lookup.get, cols.parent_ids, repeat(-1)), dtype=np.int64, count=n)
    no_parent = np.fromiter(map(operator.is_, cols.parent_ids, repeat(None)), dtype=bool, count=n)
    idx = np.arange(n, dtype=np.int64)
    missing_parent = (parent == -1) & ~no_parent
    parent = np.where(parent < 0, idx, parent)
    # A post that names itself as parent is a loop of one; as a root it needs no further cut.
    cycles = [
        Cycle([posts[i].post_id], posts[i].post_id)
        for i in np.flatnonzero((parent == idx) & ~no_parent & ~missing_parent).tolist()
    ]

    climbed = climb(parent, times)
    if climbed.stuck.any():
        cycles += _find_cycles(parent, climbed.stuck, times, posts)
        climbed = climb(parent, times)
    size = subtree_sizes(parent, climbed.depth)
    return PropagationGraph(
        posts=posts,
        times=times,
        effective=climbed.latest,
        kind=cols.kind,
        platform=cols.platform,
        platforms=cols.platforms,
        account=cols.account,
        accounts=cols.accounts,
        parent=parent,
        no_parent=no_parent,
        missing_parent=missing_parent,
        root=climbed.root,
        depth=climbed.depth,
        size=size,
        pre=preorder(parent, climbed.root, size),
        duplicates=len(extra),
        duplicate_ids=sorted(set(extra)),
        conflicting_duplicates=conflicts,
        cycles=cycles,
    )
