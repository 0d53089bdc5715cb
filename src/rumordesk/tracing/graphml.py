"""Export a traced propagation graph as GraphML, for Gephi, yEd, networkx or Cytoscape.

Steps: pick the posts (the whole claim, or one cascade), declare the attribute keys, write one
``<node>`` per post and one ``<edge>`` per parent link (parent -> child). Lines are streamed as
strings (escaped, with XML-illegal control characters replaced) so a million-post graph does not
need an element tree in memory; ``iter_graphml`` yields them for writing straight to a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from rumordesk.tracing.forest import Ints
from rumordesk.tracing.results import Cascade, ClaimTrace

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NODE_KEYS = (
    ("platform", "string"),
    ("account", "string"),
    ("kind", "string"),
    ("created_at", "string"),
    ("depth", "int"),
    ("subtree_size", "int"),
    ("cascade", "string"),
    ("provisional_root", "boolean"),
)


def _text(value: str) -> str:
    return escape(ILLEGAL.sub("\ufffd", value))


def _attr(value: str) -> str:
    return quoteattr(ILLEGAL.sub("\ufffd", value))


def cascade_members(trace: ClaimTrace, cascade: Cascade | str | None) -> Ints:
    """Indices of the posts of one cascade (by object or root post id), or of all posts."""
    g = trace.graph
    if cascade is None:
        return np.arange(len(g), dtype=np.int64)
    root_id = cascade.root_post_id if isinstance(cascade, Cascade) else cascade
    roots = np.flatnonzero(g.parent == np.arange(len(g)))
    match = [int(r) for r in roots.tolist() if g.posts[r].post_id == root_id]
    if not match:
        raise KeyError(f"no cascade is rooted at post {root_id}")
    return np.flatnonzero(g.root == match[0]).astype(np.int64)


def iter_graphml(trace: ClaimTrace, cascade: Cascade | str | None = None) -> Iterator[str]:
    """GraphML lines of the whole trace, or of one cascade."""
    g = trace.graph
    members = cascade_members(trace, cascade)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
    for name, kind in NODE_KEYS:
        yield f'  <key id="{name}" for="node" attr.name="{name}" attr.type="{kind}"/>\n'
    yield '  <graph id="propagation" edgedefault="directed">\n'
    for i in members.tolist():
        node = g.posts[i]
        values = (
            _text(node.platform),
            _text(node.account),
            node.kind,
            node.created_at.isoformat(),
            str(int(g.depth[i])),
            str(int(g.size[i])),
            _text(g.posts[int(g.root[i])].post_id),
            "true" if g.missing_parent[i] else "false",
        )
        data = "".join(
            f'<data key="{k}">{v}</data>' for (k, _), v in zip(NODE_KEYS, values, strict=True)
        )
        yield f"    <node id={_attr(node.post_id)}>{data}</node>\n"
    for i in members[g.parent[members] != members].tolist():
        source, target = g.posts[int(g.parent[i])].post_id, g.posts[i].post_id
        yield f"    <edge source={_attr(source)} target={_attr(target)}/>\n"
    yield "  </graph>\n</graphml>\n"


def to_graphml(trace: ClaimTrace, cascade: Cascade | str | None = None) -> str:
    """The GraphML document of the whole trace, or of one cascade."""
    return "".join(iter_graphml(trace, cascade))
