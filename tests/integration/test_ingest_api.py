"""The ingestion API over HTTP: per-event results, roles, posts, spread, queue and sweeps."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.ingest_support import SubstringMatcher, add_claim, post

from rumordesk.api.app import create_app
from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal, Role
from rumordesk.services.organisations import create_api_key


@pytest.fixture
def setup(desk: Rumordesk, admin: Principal) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    claim = add_claim(desk, admin, "Garlic cures the flu")
    desk.matcher = SubstringMatcher({claim: "garlic cures"})  # type: ignore[attr-defined]
    keys = {}
    with desk.sessions() as s, s.begin():
        for role in (Role.PLATFORM, Role.VIEWER, Role.REVIEWER):
            keys[role.value] = create_api_key(
                session=s, org_id=admin.org_id, role=role, name=role.value
            )[1]
    with TestClient(create_app(desk)) as client:
        yield client, keys, claim


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_events_per_event_results(setup: tuple[TestClient, dict[str, str], str]) -> None:
    client, keys, claim = setup
    batch = [
        post("a", text="garlic cures the flu, share!"),
        post("b", kind="repost", parent="a", minute=1),
        {**post("c"), "created_at": "2024-05-01 10:00:00"},
        "junk",
    ]
    resp = client.post("/v1/events", json=batch, headers=auth(keys["platform"]))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["summary"] == {"accepted": 2, "duplicate": 0, "rejected": 2, "failed": 0}
    assert [r["status"] for r in body["results"]] == [
        "accepted",
        "accepted",
        "rejected",
        "rejected",
    ]
    assert body["results"][2]["id"] == "c"
    assert body["results"][2]["errors"][0]["field"] == "created_at"
    again = client.post("/v1/events", json={"events": batch[:2]}, headers=auth(keys["platform"]))
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert client.post("/v1/events", json=batch, headers=auth(keys["viewer"])).status_code == 403
    too_many = [post(f"p{i}") for i in range(1001)]
    assert (
        client.post("/v1/events", json=too_many, headers=auth(keys["platform"])).status_code == 422
    )

    got = client.get("/v1/posts/weibo/b", headers=auth(keys["viewer"])).json()
    assert got["label"] == claim and got["matches"][0]["source"] == "inherited"
    assert got["spread"]["reposts"] == 1
    assert client.get("/v1/posts/weibo/zzz", headers=auth(keys["viewer"])).status_code == 404
    spread = client.get(f"/v1/claims/{claim}/spread", headers=auth(keys["viewer"])).json()
    assert spread["matched_posts"] == 2 and spread["case"]["post_count"] == 2
    queue = client.get("/v1/queue/verification", headers=auth(keys["viewer"])).json()
    assert queue == {"total": 0, "items": []}


def test_sweep_over_http(
    setup: tuple[TestClient, dict[str, str], str], desk: Rumordesk, admin: Principal
) -> None:
    client, keys, _ = setup
    client.post(
        "/v1/events",
        json=[post("old", text="the dam burst at dawn")],
        headers=auth(keys["platform"]),
    )
    claim = add_claim(desk, admin, "The dam burst")
    desk.matcher.phrases[claim] = "dam burst"  # type: ignore[attr-defined]
    assert (
        client.post(
            "/v1/sweeps", json={"claim_id": claim}, headers=auth(keys["platform"])
        ).status_code
        == 403
    )
    started = client.post("/v1/sweeps", json={"claim_id": claim}, headers=auth(keys["reviewer"]))
    assert started.status_code == 202, started.text
    sweep_id = started.json()["id"]
    for _ in range(100):
        view = client.get(f"/v1/sweeps/{sweep_id}", headers=auth(keys["viewer"])).json()
        if view["status"] == "done":
            break
        time.sleep(0.05)
    assert view["status"] == "done" and view["matched"] == 1
    assert client.get("/v1/posts/weibo/old", headers=auth(keys["viewer"])).json()["label"] == claim
