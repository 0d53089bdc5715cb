"""Account roles, repost counts and reach, for every account at once.

Steps:

1. Amplifying posts are reposts and quotes. An account's *reach* is the number of distinct posts
   in the subtrees under its amplifying posts (those posts included). A repost nested under
   another repost of the same account adds nothing new, so it is detected and skipped: with
   preorder intervals (``forest.preorder``) a post is nested exactly when it starts inside the
   interval of an earlier post of the same account, which one sorted running maximum finds.
2. Reposts and reach are summed per (cascade, account) pair, then per account.
3. Roles, strongest first (an account keeps the strongest any of its posts earns):
   * ``originator``: posted a post of kind ``original`` or a post that names no parent;
   * ``early_amplifier``: reposted/quoted no later than the arrival of the cascade's
     ``ceil(early_share * accounts)``-th account (default: the first 10 % of accounts);
   * ``amplifier``: reposted/quoted later;
   * ``commenter``: only comments and replies (or a provisional root of another kind).
4. Each cascade's top amplifiers: pairs ranked by reach, then reposts, then account name.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from rumordesk.tracing.cascades import CascadeFigures
from rumordesk.tracing.forest import Bools, Ints
from rumordesk.tracing.graph import KIND_CODE, SEPARATOR, PropagationGraph
from rumordesk.tracing.nodes import AMPLIFYING, ORIGINAL
from rumordesk.tracing.results import ROLES, AccountRole, Amplifier


@dataclass(frozen=True)
class AccountTable:
    """Every account's figures as arrays indexed by account code (codes follow sorted names)."""

    names: list[str]  # account keys "platform\x1faccount", sorted
    role: Ints  # index into ROLES
    posts: Ints
    reposts: Ints
    reach: Ints
    originated: Ints

    def __len__(self) -> int:
        """Number of accounts."""
        return len(self.names)

    def row(self, code: int) -> AccountRole:
        """The account with this code as a result object."""
        platform, _, account = self.names[code].partition(SEPARATOR)
        return AccountRole(
            account=account,
            platform=platform,
            role=ROLES[int(self.role[code])],
            posts=int(self.posts[code]),
            reposts=int(self.reposts[code]),
            reach=int(self.reach[code]),
            originated=int(self.originated[code]),
        )

    def get(self, account: str, platform: str) -> AccountRole | None:
        """Look an account up by name (binary search over the sorted keys)."""
        key = platform + SEPARATOR + account
        code = bisect_left(self.names, key)
        return self.row(code) if code < len(self.names) and self.names[code] == key else None

    def ranked(self, limit: int) -> list[AccountRole]:
        """Accounts by reach, then reposts, then posts, then name; at most ``limit``."""
        order = np.lexsort((np.arange(len(self.names)), -self.posts, -self.reposts, -self.reach))
        return [self.row(int(c)) for c in order[:limit]]


def amplifying_mask(g: PropagationGraph) -> Bools:
    """True for reposts and quotes."""
    return np.isin(g.kind, [KIND_CODE[k] for k in AMPLIFYING])


def _nested(g: PropagationGraph, amp: Ints) -> Bools:
    """Amplifying posts sorted by (account, preorder): inside an earlier one of the same account?"""
    account = g.account[amp]
    start = g.pre[amp]
    big = len(g) + 1  # shifting by account keeps the running maximum inside one account's run
    running = np.maximum.accumulate(account * big + start + g.size[amp])
    previous = np.empty_like(running)
    previous[:1] = -1
    previous[1:] = running[:-1]
    nested: Bools = account * big + start < previous
    return nested


@dataclass(frozen=True)
class PairFigures:
    """Reposts and reach per (cascade, account) pair that amplified."""

    cascade: Ints
    account: Ints
    reposts: Ints
    reach: Ints


def pair_figures(g: PropagationGraph, figures: CascadeFigures) -> PairFigures:
    """Steps 1-2: reposts and non-double-counted reach per (cascade, account)."""
    amp = np.flatnonzero(amplifying_mask(g))
    amp = amp[np.lexsort((g.pre[amp], g.account[amp]))]
    gained = np.where(_nested(g, amp), 0, g.size[amp])
    n_accounts = max(len(g.accounts), 1)
    keys, inverse = np.unique(
        figures.of_node[amp] * n_accounts + g.account[amp], return_inverse=True
    )
    inverse = inverse.reshape(-1)
    return PairFigures(
        cascade=keys // n_accounts,
        account=keys % n_accounts,
        reposts=np.bincount(inverse, minlength=len(keys)).astype(np.int64),
        reach=np.bincount(inverse, weights=gained, minlength=len(keys)).astype(np.int64),
    )


def account_table(g: PropagationGraph, figures: CascadeFigures, pairs: PairFigures) -> AccountTable:
    """Step 3: figures and the strongest role of every account."""
    n = len(g.accounts)
    amp = amplifying_mask(g)
    originator = np.zeros(n, dtype=bool)
    originator[g.account[(g.kind == KIND_CODE[ORIGINAL]) | g.no_parent]] = True
    early_posts = amp & (g.effective <= figures.early_cutoff[figures.of_node])
    early = np.zeros(n, dtype=bool)
    early[g.account[early_posts]] = True
    amplifier = np.zeros(n, dtype=bool)
    amplifier[g.account[amp]] = True
    role = np.select([originator, early, amplifier], [0, 1, 2], default=3).astype(np.int64)
    true_roots = figures.roots[g.no_parent[figures.roots]]
    originated = np.bincount(g.account[true_roots], weights=g.size[true_roots], minlength=n).astype(
        np.int64
    )
    return AccountTable(
        names=g.accounts,
        role=role,
        posts=np.bincount(g.account, minlength=n).astype(np.int64),
        reposts=np.bincount(pairs.account, weights=pairs.reposts, minlength=n).astype(np.int64),
        reach=np.bincount(pairs.account, weights=pairs.reach, minlength=n).astype(np.int64),
        originated=originated,
    )


def top_amplifiers(
    g: PropagationGraph, pairs: PairFigures, cascades: int, top: int
) -> list[list[Amplifier]]:
    """Step 4: per cascade, its ``top`` amplifying accounts by reach."""
    result: list[list[Amplifier]] = [[] for _ in range(cascades)]
    if top <= 0 or len(pairs.cascade) == 0:
        return result
    order = np.lexsort((pairs.account, -pairs.reposts, -pairs.reach, pairs.cascade))
    cascade = pairs.cascade[order]
    first = np.searchsorted(cascade, cascade, side="left")
    keep = order[np.arange(len(order)) - first < top]
    for c, a, reposts, reach in zip(
        pairs.cascade[keep].tolist(),
        pairs.account[keep].tolist(),
        pairs.reposts[keep].tolist(),
        pairs.reach[keep].tolist(),
        strict=True,
    ):
        platform, account = g.account_name(a)
        result[c].append(Amplifier(account, platform, reposts, reach))
    return result
