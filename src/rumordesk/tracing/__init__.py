"""Source tracing (溯源): who started a rumour, how it spread, and who spread it furthest.

Give ``trace_claim`` the posts of one claim (the posts that match it plus everything under
them, as ``PostNode`` values in any order) and it returns a ``ClaimTrace``:

1. the propagation graph, built from parent links (repost, quote, reply, comment), with
   independent matching posts as separate roots and orphans as provisional roots;
2. every cascade tree: root, size, depth, breadth, distinct accounts, time to reach N accounts;
3. the first poster overall and per platform, with notes where clock skew makes it uncertain;
4. every account's role (originator, early amplifier, amplifier, commenter), reposts and reach;
5. what was wrong with the data: duplicates, cycles, posts timestamped before their parent.

``to_graphml`` exports the graph; ``cascade_svg`` draws one cascade. Nothing here touches a
database or the network; traversal is iterative and vectorised (numpy), never recursive.
"""

from rumordesk.tracing.graph import Cycle, PropagationGraph, build_graph
from rumordesk.tracing.graphml import iter_graphml, to_graphml
from rumordesk.tracing.nodes import KINDS, PostNode, TracingInputError
from rumordesk.tracing.results import (
    ROLES,
    AccountRole,
    Amplifier,
    Cascade,
    ClaimTrace,
    FirstPoster,
    TraceParameters,
)
from rumordesk.tracing.roles import AccountTable
from rumordesk.tracing.svg import cascade_svg
from rumordesk.tracing.trace import trace_cascade, trace_claim

__all__ = [
    "KINDS",
    "ROLES",
    "AccountRole",
    "AccountTable",
    "Amplifier",
    "Cascade",
    "ClaimTrace",
    "Cycle",
    "FirstPoster",
    "PostNode",
    "PropagationGraph",
    "TraceParameters",
    "TracingInputError",
    "build_graph",
    "cascade_svg",
    "iter_graphml",
    "to_graphml",
    "trace_cascade",
    "trace_claim",
]
