"""GraphML export and SVG drawing parse as XML and carry what they claim to."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rumordesk.tracing import cascade_svg, iter_graphml, to_graphml, trace_claim

from .conftest import MakePost

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
SVG = "{http://www.w3.org/2000/svg}"


def test_graphml_parses_with_nodes_edges_and_attributes(post: MakePost) -> None:
    nodes = [
        post("a&<1", 'A "quoted" \x01', "original", None, 0),
        post("b", "B", "repost", "a&<1", 10),
        post("c", "C", "comment", "b", 20),
        post("x", "X", "original", None, 99),
        post("o", "O", "repost", "missing", 5),
    ]
    trace = trace_claim(nodes)
    root = ET.fromstring(to_graphml(trace))
    graph = root.find(f"{GRAPHML}graph")
    assert graph is not None and graph.get("edgedefault") == "directed"
    ids = {n.get("id") for n in graph.iter(f"{GRAPHML}node")}
    assert ids == {"a&<1", "b", "c", "x", "o"}
    edges = {(e.get("source"), e.get("target")) for e in graph.iter(f"{GRAPHML}edge")}
    assert edges == {("a&<1", "b"), ("b", "c")}
    node_c = next(n for n in graph.iter(f"{GRAPHML}node") if n.get("id") == "c")
    data = {d.get("key"): d.text for d in node_c}
    assert data["depth"] == "2" and data["cascade"] == "a&<1" and data["kind"] == "comment"
    orphan = next(n for n in graph.iter(f"{GRAPHML}node") if n.get("id") == "o")
    assert {d.get("key"): d.text for d in orphan}["provisional_root"] == "true"

    one = ET.fromstring("".join(iter_graphml(trace, "a&<1")))
    assert len(list(one.iter(f"{GRAPHML}node"))) == 3


def test_svg_parses_and_shows_every_post_of_a_small_cascade(post: MakePost) -> None:
    nodes = [post("a", "first-acc", "original", None, 0)]
    nodes += [
        post(f"r{i}", f"R{i}", "repost", "a" if i < 5 else "r1", 30 * i) for i in range(1, 40)
    ]
    trace = trace_claim(nodes)
    svg = ET.fromstring(cascade_svg(trace))
    assert svg.tag == f"{SVG}svg"
    circles = list(svg.iter(f"{SVG}circle"))
    # 40 posts, the first-poster ring and 5 legend swatches.
    assert len(circles) == 40 + 1 + len(["original", "repost", "quote", "comment", "reply"])
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "Cascade of post a" in texts and "first poster: first-acc" in texts
    assert "time since the first post" in texts and "depth" in texts
    assert "all 40 posts shown" in texts


def test_svg_of_a_large_cascade_is_sampled_and_says_so(post: MakePost) -> None:
    nodes = [post("hub", "H", "original", None, 0)]
    nodes += [
        post(f"s{i}", f"S{i % 50}", "repost", "hub" if i < 100 else f"s{i % 100 or 1}", i)
        for i in range(1, 5000)
    ]
    trace = trace_claim(nodes)
    text = cascade_svg(trace, trace.cascades[0], max_nodes=2000)
    svg = ET.fromstring(text)
    posts = [c for c in svg.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert len(posts) == 2000
    assert "showing 2,000 of 5,000 posts" in text
