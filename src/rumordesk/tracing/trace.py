"""Trace one claim: from its posts to cascades, first posters, roles and notes.

Steps:

1. ``build_graph``: deduplicate, resolve parents (missing parent: provisional root), find and break
   cycles, and climb the forest for roots, depths and skew-corrected times.
2. ``cascade_figures``: size, depth, breadth, distinct accounts, time to the Nth account and the
   early-amplifier cut-off of every cascade.
3. ``pair_figures`` and ``account_table``: reposts, reach (no double counting of nested reposts by
   the same account) and role of every account.
4. First poster overall and per platform, with notes where the order is uncertain.
5. Assemble the result objects; everything else stays in arrays until asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from rumordesk.tracing.cascades import CascadeFigures, cascade_figures
from rumordesk.tracing.first_poster import (
    data_notes,
    first_poster,
    platform_candidates,
    poster_of,
)
from rumordesk.tracing.graph import PropagationGraph, build_graph
from rumordesk.tracing.nodes import PostNode
from rumordesk.tracing.results import (
    ROLES,
    Amplifier,
    Cascade,
    ClaimTrace,
    FirstPoster,
    TraceParameters,
)
from rumordesk.tracing.roles import account_table, pair_figures, top_amplifiers


def _cascades(
    g: PropagationGraph, figures: CascadeFigures, amplifiers: list[list[Amplifier]]
) -> list[Cascade]:
    milestones = {
        n: [None if math.isnan(s) else s for s in seconds.tolist()]
        for n, seconds in figures.milestones.items()
    }
    result = []
    for c, (root, size, depth, breadth, accounts) in enumerate(
        zip(
            figures.roots.tolist(),
            figures.size.tolist(),
            figures.depth.tolist(),
            figures.breadth.tolist(),
            figures.accounts.tolist(),
            strict=True,
        )
    ):
        node = g.posts[root]
        provisional = bool(g.missing_parent[root])
        result.append(
            Cascade(
                root_post_id=node.post_id,
                platform=node.platform,
                first_poster=poster_of(g, root),
                size=size,
                depth=depth,
                breadth=breadth,
                accounts=accounts,
                provisional=provisional,
                missing_parent_id=node.parent_id if provisional else None,
                time_to_accounts={n: values[c] for n, values in milestones.items()},
                top_amplifiers=amplifiers[c],
            )
        )
    return result


def trace_claim(
    nodes: Iterable[PostNode],
    *,
    skew_tolerance_s: float = 120.0,
    top: int = 20,
    account_limit: int = 100,
    early_share: float = 0.1,
    milestones: tuple[int, ...] = (10, 100, 1000),
) -> ClaimTrace:
    """Trace the posts of one claim (the matching posts plus everything under them).

    ``skew_tolerance_s``: rival first posters closer than this make the first poster uncertain.
    ``top``: amplifiers listed per cascade. ``account_limit``: accounts listed in the trace (every
    account stays available through ``ClaimTrace.role_of``). ``early_share``: an amplifier is
    early when it reposts no later than the arrival of the first ``early_share`` of the cascade's
    accounts. ``milestones``: the N of "time until the Nth distinct account".
    """
    params = TraceParameters(skew_tolerance_s, top, account_limit, early_share, milestones)
    g = build_graph(nodes)
    figures = cascade_figures(g, milestones, early_share)
    pairs = pair_figures(g, figures)
    table = account_table(g, figures, pairs)
    cascades = _cascades(g, figures, top_amplifiers(g, pairs, len(figures.roots), top))

    is_root = g.parent == np.arange(len(g), dtype=np.int64)
    overall, notes = first_poster(g, is_root, skew_tolerance_s)
    by_platform: dict[str, FirstPoster] = {}
    crossed = platform_candidates(g)
    for code, name in enumerate(g.platforms):
        scope = f"[{name}] " if len(g.platforms) > 1 else ""
        poster, platform_notes = first_poster(
            g, crossed & (g.platform == code), skew_tolerance_s, scope
        )
        if poster is not None:
            by_platform[name] = poster
        if scope:
            notes += platform_notes
    provisional = [r for r in figures.roots.tolist() if g.missing_parent[r]]
    more_notes, skewed = data_notes(g, provisional)

    return ClaimTrace(
        posts=len(g),
        first_poster=overall,
        first_poster_by_platform=by_platform,
        cascades=cascades,
        accounts=table.ranked(account_limit),
        account_count=len(table),
        role_counts=dict(zip(ROLES, np.bincount(table.role, minlength=4).tolist(), strict=True)),
        notes=notes + more_notes,
        cycles=g.cycles,
        duplicates=g.duplicates,
        duplicate_post_ids=g.duplicate_ids,
        skewed_edges=skewed,
        parameters=params,
        graph=g,
        account_table=table,
    )


def trace_cascade(nodes: Iterable[PostNode], post_id: str, **options: object) -> Cascade:
    """The cascade containing ``post_id`` (usually its root), traced with ``trace_claim``."""
    return trace_claim(nodes, **options).cascade_of(post_id)  # type: ignore[arg-type]
