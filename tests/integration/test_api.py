"""The HTTP API end to end through httpx: auth, roles, organisation scoping, problem+json."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rumordesk.api.app import create_app
from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Role
from rumordesk.services.organisations import create_api_key, create_organisation

EVIDENCE = [{"authority": "Police", "title": "Statement", "url": "https://police.example.org/1"}]


@pytest.fixture
def keys(desk: Rumordesk) -> dict[str, str]:
    out = {}
    with desk.sessions() as s, s.begin():
        a = create_organisation(session=s, name="Checkers A")
        b = create_organisation(session=s, name="Platform B", kind="platform")
        for role in Role:
            out[f"a-{role.value}"] = create_api_key(
                session=s, org_id=a.id, role=role, name=role.value
            )[1]
        out["b-admin"] = create_api_key(session=s, org_id=b.id, role=Role.ADMIN, name="b")[1]
    return out


@pytest.fixture
def client(desk: Rumordesk) -> Iterator[TestClient]:
    with TestClient(create_app(desk)) as c:
        yield c


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_requires_a_valid_key(client: TestClient, keys: dict[str, str]) -> None:
    r = client.get("/v1/claims")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert "missing API key" in r.json()["detail"]
    assert client.get("/v1/claims", headers=auth("rd_wrong_key_xxxxxxxx")).status_code == 401
    assert client.get("/v1/claims", headers={"X-API-Key": keys["a-viewer"]}).status_code == 200


def test_claim_crud_lifecycle_over_http(client: TestClient, keys: dict[str, str]) -> None:
    h = auth(keys["a-reviewer"])
    r = client.post(
        "/v1/claims",
        headers=h,
        json={
            "canonical_text": "The dam upstream has burst",
            "category": "public_safety",
            "tier": "tier1",
            "keywords": ["dam"],
            "external_id": "dam-1",
        },
    )
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == "candidate" and claim["revision"] == 1
    r = client.post(
        f"/v1/claims/{claim['id']}/status",
        headers=h,
        json={"status": "confirmed", "reviewer": "Zhang"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "evidence" in r.json()["detail"]
    body = {k: claim[k] for k in ("canonical_text", "category", "tier", "keywords", "external_id")}
    r = client.put(
        f"/v1/claims/{claim['id']}",
        headers=h,
        json={**body, "evidence": EVIDENCE, "reason": "police statement"},
    )
    assert r.status_code == 200 and r.json()["revision"] == 2
    r = client.post(
        f"/v1/claims/{claim['id']}/status",
        headers=h,
        json={"status": "confirmed", "reviewer": "Zhang"},
    )
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    revs = client.get(f"/v1/claims/{claim['id']}/revisions", headers=h).json()
    assert [x["action"] for x in revs] == ["create", "edit", "confirmed"]
    cr = client.get(f"/v1/claims/{claim['id']}/claimreview", headers=h).json()
    assert cr["@type"] == "ClaimReview" and cr["claimReviewed"] == "The dam upstream has burst"
    listed = client.get("/v1/claims", headers=h, params={"status": "confirmed", "q": "dam"}).json()
    assert listed["total"] == 1


def test_roles_and_scoping(client: TestClient, keys: dict[str, str]) -> None:
    new = {"canonical_text": "draft rumour", "category": "other", "tier": "tier3"}
    assert client.post("/v1/claims", headers=auth(keys["a-viewer"]), json=new).status_code == 403
    assert client.post("/v1/claims", headers=auth(keys["a-platform"]), json=new).status_code == 403
    draft = client.post("/v1/claims", headers=auth(keys["a-admin"]), json=new).json()
    r = client.get(f"/v1/claims/{draft['id']}", headers=auth(keys["b-admin"]))
    assert r.status_code == 404
    assert client.get("/v1/claims", headers=auth(keys["b-admin"])).json()["total"] == 0
    assert client.get("/v1/claims", headers=auth(keys["a-viewer"])).json()["total"] == 1
    # keys: admins only, and only in their own organisation
    assert (
        client.get("/v1/organisations/me/keys", headers=auth(keys["a-reviewer"])).status_code == 403
    )
    r = client.post(
        "/v1/organisations/me/keys",
        headers=auth(keys["a-admin"]),
        json={"name": "ingest bot", "role": "platform"},
    )
    assert r.status_code == 201 and r.json()["secret"].startswith("rd_")
    me = client.get("/v1/organisations/me", headers=auth(r.json()["secret"])).json()
    assert me["name"] == "Checkers A"
    listed = client.get("/v1/organisations/me/keys", headers=auth(keys["a-admin"])).json()
    assert all("secret" not in k or k["secret"] is None for k in listed)


def test_validation_and_size_errors_are_problems(
    client: TestClient, desk: Rumordesk, keys: dict[str, str]
) -> None:
    h = auth(keys["a-admin"])
    r = client.post("/v1/claims", headers=h, json={"canonical_text": "", "verdict": "maybe"})
    assert r.status_code == 422
    problem = r.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.canonical_text", "body.verdict"} <= fields
    big = "x" * (desk.settings.max_body_bytes + 10)
    r = client.post("/v1/claims", headers={**h, "content-type": "application/json"}, content=big)
    assert r.status_code == 413 and r.json()["title"] == "Request body too large"
    assert client.get("/v1/claims", headers=h, params={"limit": 100000}).status_code == 422
    assert client.get("/v1/claims/nope", headers=h).json()["status"] == 404


def test_import_endpoint_reports_per_record(client: TestClient, keys: dict[str, str]) -> None:
    r = client.post(
        "/v1/claims/import",
        headers=auth(keys["a-admin"]),
        json={"records": [{"external_id": "x1", "canonical_text": "ok"}, {"external_id": "x2"}]},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["created"] == 1 and body["errors"][0]["line"] == 2


def test_policy_and_docs(client: TestClient, keys: dict[str, str]) -> None:
    policy = client.get("/v1/policy", headers=auth(keys["a-viewer"])).json()
    assert [t["id"] for t in policy["tiers"]] == ["tier1", "tier2", "tier3"]
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/healthz").json()["status"] == "ok"
