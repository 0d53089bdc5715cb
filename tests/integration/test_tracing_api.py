"""Source tracing over ingested posts, through the service, the HTTP API and the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.ingest_support import SubstringMatcher, add_claim, post
from typer.testing import CliRunner

from rumordesk.api.app import create_app
from rumordesk.cli.main import app as cli_app
from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal, Role
from rumordesk.services.ingestion import ingest_events
from rumordesk.services.organisations import create_api_key

RUMOUR = "the dam has burst"


@pytest.fixture
def traced(desk: Rumordesk, admin: Principal) -> str:
    claim_id = add_claim(desk, admin, "The dam upstream has burst, evacuate now")
    matcher = SubstringMatcher({claim_id: RUMOUR})
    events = [
        # out of order on purpose: reposts arrive before the post they repost
        post("p3", kind="repost", parent="p2", root="p1", account="carol", minute=2),
        post("p1", text=f"Breaking: {RUMOUR} upstream!", account="alice", minute=0),
        post("p2", kind="repost", parent="p1", root="p1", account="bob", minute=1),
        post(
            "p4",
            kind="comment",
            parent="p1",
            root="p1",
            account="dave",
            minute=3,
            text="is this true?",
        ),
        post("p5", text=f"{RUMOUR}!! share", account="erin", minute=10),
        post("p6", kind="repost", parent="p5", root="p5", account="bob", minute=11),
        post("p7", text=f"heard that {RUMOUR}", account="frank", minute=20, platform="forum"),
        post("x1", text="nice weather today", account="zoe", minute=0.5),
    ]
    report = ingest_events(factory=desk.sessions, raws=events, matcher=matcher, policy=desk.policy)
    assert report.summary()["accepted"] == len(events), report.results
    return claim_id


def test_claim_trace_finds_first_poster_roles_and_reach(
    desk: Rumordesk, admin: Principal, traced: str
) -> None:
    from rumordesk.services.tracing import claim_nodes, trace_claim_view

    with desk.sessions() as session:
        trace = trace_claim_view(session=session, principal=admin, claim_id=traced)
        nodes = claim_nodes(session, traced)
    data = trace.to_dict()
    assert {n.post_id for n in nodes} == {"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
    assert data["first_poster"]["account"] == "alice"
    assert data["first_poster"]["post_id"] == "p1"
    by_platform = {k: v["account"] for k, v in data["first_poster_by_platform"].items()}
    assert by_platform == {"weibo": "alice", "forum": "frank"}
    assert len(data["cascades"]) == 3
    accounts = {a["account"]: a for a in data["accounts"]}
    assert accounts["bob"]["reposts"] == 2
    assert accounts["bob"]["reach"] == 3  # p2 (with p3 under it) and p6
    assert accounts["carol"]["reach"] == 1
    assert accounts["alice"]["role"] == "originator"
    assert accounts["dave"]["role"] == "commenter"
    assert accounts["bob"]["role"] in ("early_amplifier", "amplifier")


@pytest.fixture
def client(desk: Rumordesk, admin: Principal) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with desk.sessions() as s, s.begin():
        _, secret = create_api_key(session=s, org_id=admin.org_id, role=Role.VIEWER, name="v")
    with TestClient(create_app(desk)) as c:
        yield c, {"Authorization": f"Bearer {secret}"}


def test_cascade_api_json_graphml_svg(client, traced: str) -> None:
    c, h = client
    r = c.get("/v1/posts/p3/cascade", headers=h)
    assert r.status_code == 200, r.text
    cascade = r.json()
    assert cascade["root_post_id"] == "p1"
    assert cascade["size"] == 4 and cascade["depth"] == 2
    assert cascade["first_poster"]["account"] == "alice"
    assert cascade["accounts"] == 4
    assert cascade["top_amplifiers"][0]["account"] == "bob"
    graphml = c.get("/v1/posts/p3/cascade", headers=h, params={"format": "graphml"})
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    root = ET.fromstring(graphml.content)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == 4 and len(root.findall(".//g:edge", ns)) == 3
    svg = c.get("/v1/posts/p3/cascade", headers=h, params={"format": "svg"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.content).tag.endswith("svg")
    trace = c.get(f"/v1/claims/{traced}/trace", headers=h).json()
    assert trace["first_poster"]["account"] == "alice"
    assert c.get("/v1/posts/nope/cascade", headers=h).status_code == 404
    # the cascade route must not shadow the post view
    assert c.get("/v1/posts/weibo/p1", headers=h).status_code == 200


def test_trace_cli(
    desk: Rumordesk, traced: str, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["trace", "--post", "p2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["root_post_id"] == "p1"
    svg = tmp_path / "c.svg"
    result = runner.invoke(
        cli_app, ["trace", "--post", "p5", "--platform", "weibo", "--svg", str(svg)]
    )
    assert result.exit_code == 0, result.output
    assert "first poster: erin" in result.stdout and svg.read_text().startswith("<")
    result = runner.invoke(cli_app, ["trace", "--claim", traced])
    assert result.exit_code == 0 and "first poster: alice" in result.stdout
    bad = runner.invoke(cli_app, ["trace"])
    assert bad.exit_code == 2
