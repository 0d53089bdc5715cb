"""Draw one cascade as a standalone SVG picture (plain string building, no plotting library).

Steps:

1. Choose the posts. Up to ``max_nodes`` every post is drawn. Beyond, the picture keeps the
   posts with the largest subtrees (an ancestor's subtree is always larger than its
   descendant's, so this skeleton is connected and keeps every hub) plus a uniform, seeded sample
   of the rest drawn as edgeless dots, and the caption says so.
2. Place them: x is the time since the root on a log scale (seconds to weeks fit one axis),
   y is the depth (reposts away from the root).
3. Draw: edges parent -> child, one circle per post sized by its account's reach and coloured by
   kind, the first poster ringed in red and labelled, per-level post counts on the right, a title,
   axis labels, ticks and a legend.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

import numpy as np

from rumordesk.tracing.forest import Ints
from rumordesk.tracing.graphml import ILLEGAL, cascade_members
from rumordesk.tracing.nodes import KINDS
from rumordesk.tracing.results import Cascade, ClaimTrace

COLOURS = {
    "original": "#d62728",
    "repost": "#1f77b4",
    "quote": "#9467bd",
    "comment": "#7f7f7f",
    "reply": "#bcbd22",
}
TICKS = (
    (0, "0"),
    (60, "1 min"),
    (600, "10 min"),
    (3600, "1 h"),
    (6 * 3600, "6 h"),
    (86400, "1 day"),
    (7 * 86400, "1 week"),
    (30 * 86400, "30 days"),
    (365 * 86400, "1 year"),
)
LEFT, RIGHT, TOP, BOTTOM = 80, 110, 70, 60


def _text(value: str) -> str:
    return escape(ILLEGAL.sub("\ufffd", value))


def _choose(size: Ints, depth: Ints, members: Ints, budget: int) -> tuple[Ints, Ints]:
    """Step 1: (skeleton drawn with edges, sampled dots drawn without)."""
    if len(members) <= budget:
        return members, np.zeros(0, dtype=np.int64)
    hubs = members[np.lexsort((depth[members], -size[members]))][: budget * 3 // 5]
    rest = np.setdiff1d(members, hubs, assume_unique=True)
    rng = np.random.default_rng(0)
    dots = np.sort(rng.choice(rest, size=min(len(rest), budget - len(hubs)), replace=False))
    return hubs, dots


def cascade_svg(
    trace: ClaimTrace,
    cascade: Cascade | str | None = None,
    *,
    max_nodes: int = 2000,
    width: int = 1100,
    height: int = 640,
) -> str:
    """The SVG picture of one cascade (default: the one holding the overall first poster)."""
    g = trace.graph
    if cascade is None:
        if trace.first_poster is None:
            raise ValueError("an empty trace has no cascade to draw")
        cascade = trace.cascade_of(trace.first_poster.post_id)
    members = cascade_members(trace, cascade)
    root = int(g.root[members[0]])
    skeleton, dots = _choose(g.size, g.depth, members, max_nodes)
    drawn = np.concatenate([skeleton, dots])

    since = np.maximum(g.effective - g.effective[root], 0.0)
    span = float(since[members].max())
    levels = int(g.depth[members].max())
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def x(seconds: float) -> float:
        return LEFT + plot_w * (math.log1p(seconds) / math.log1p(span) if span > 0 else 0.0)

    def y(level: int | float) -> float:
        return TOP + plot_h * (level / levels if levels else 0.5)

    reach = trace.account_table.reach[g.account]
    top_reach = max(int(reach[drawn].max()), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    node = g.posts[root]
    out.append(
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">'
        f"Cascade of post {_text(node.post_id)} ({_text(node.platform)}): {len(members):,} posts,"
        f" {g.depth[members].max()} levels deep</text>"
    )
    caption = f"all {len(members):,} posts shown; circle size: the account's reach"
    if len(dots):
        caption = (
            f"showing {len(drawn):,} of {len(members):,} posts: the {len(skeleton):,} with the"
            f" largest subtrees (with edges) and a uniform sample of {len(dots):,} others (dots)"
        )
    out.append(f'<text x="{width / 2}" y="44" text-anchor="middle" fill="#555">{caption}</text>')

    # Axes, ticks and labels.
    bottom = TOP + plot_h
    out.append(
        f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_w}" y2="{bottom}" stroke="#333"/>'
    )
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>')
    for tick, label in ((t, name) for t, name in TICKS if t <= span or t == 0):
        tx = x(tick)
        out.append(
            f'<line x1="{tx:.1f}" y1="{bottom}" x2="{tx:.1f}" y2="{bottom + 5}" stroke="#333"/>'
        )
        out.append(f'<text x="{tx:.1f}" y="{bottom + 18}" text-anchor="middle">{label}</text>')
    out.append(
        f'<text x="{LEFT + plot_w / 2}" y="{height - 12}" text-anchor="middle">'
        "time since the first post (log scale)</text>"
    )
    out.append(
        f'<text x="18" y="{TOP + plot_h / 2}" text-anchor="middle"'
        f' transform="rotate(-90 18 {TOP + plot_h / 2})">depth (reposts away from the root)</text>'
    )
    counts = np.bincount(g.depth[members])
    step = max(1, math.ceil(len(counts) / 25))  # at most ~25 level labels
    for level in range(0, len(counts), step):
        ly = y(level)
        out.append(f'<text x="{LEFT - 8}" y="{ly + 4:.1f}" text-anchor="end">{level}</text>')
        out.append(
            f'<text x="{LEFT + plot_w + 8}" y="{ly + 4:.1f}" fill="#555">'
            f"n={int(counts[level]):,}</text>"
        )

    # Edges of the skeleton, then circles (dots last so hubs stay on top).
    out.append('<g stroke="#999" stroke-opacity="0.5" stroke-width="0.7">')
    for i in skeleton[g.parent[skeleton] != skeleton].tolist():
        p = int(g.parent[i])
        out.append(
            f'<line x1="{x(since[p]):.1f}" y1="{y(g.depth[p]):.1f}"'
            f' x2="{x(since[i]):.1f}" y2="{y(g.depth[i]):.1f}"/>'
        )
    out.append("</g>")
    out.append('<g fill-opacity="0.75">')
    for i in np.concatenate([dots, skeleton]).tolist():
        r = 2.0 + 8.0 * math.sqrt(reach[i] / top_reach)
        colour = COLOURS[KINDS[int(g.kind[i])]]
        out.append(
            f'<circle cx="{x(since[i]):.1f}" cy="{y(g.depth[i]):.1f}" r="{r:.1f}"'
            f' fill="{colour}"><title>{_text(g.posts[i].post_id)} by'
            f" {_text(g.posts[i].account)}</title></circle>"
        )
    out.append("</g>")
    rx, ry = x(0.0), y(0)
    out.append(
        f'<circle cx="{rx:.1f}" cy="{ry:.1f}" r="12" fill="none" stroke="#d62728"'
        ' stroke-width="3"/>'
    )
    out.append(
        f'<text x="{rx + 16:.1f}" y="{ry - 10:.1f}" fill="#d62728" font-weight="bold">'
        f"first poster: {_text(node.account)}</text>"
    )
    for k, kind in enumerate(KINDS):
        lx = width - RIGHT - (len(KINDS) - k) * 80
        out.append(f'<circle cx="{lx + 6}" cy="{TOP - 14}" r="5" fill="{COLOURS[kind]}"/>')
        out.append(f'<text x="{lx + 14}" y="{TOP - 10}">{kind}</text>')
    out.append("</svg>")
    return "\n".join(out)
