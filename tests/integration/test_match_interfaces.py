"""The matching interfaces: POST /v1/match (one item or a batch) and the match / match-batch CLI."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from rumordesk.api.app import create_app
from rumordesk.cli.main import app as cli_app
from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal, Role
from rumordesk.domain.claims import ClaimFields, ClaimStatus
from rumordesk.matching.image import pdq_hash
from rumordesk.services import claims as svc
from rumordesk.services.organisations import create_api_key

EVIDENCE = [{"authority": "Health Bureau", "title": "Statement", "url": "https://h.example.org/1"}]
LIBRARY = [
    ("vax-1", "Drinking hot lemon water every morning cures COVID-19 within three days"),
    ("quake-1", "地震局内部消息：今晚两点成都将发生七级大地震，大家不要睡觉"),
    ("metro-1", "The city metro will be closed for a whole month starting next Monday"),
]


def _picture(path: Path, size: int = 256) -> Path:
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    for i in range(0, size, 16):
        draw.rectangle([i, (i * 7) % size, i + 12, (i * 7) % size + 40], fill=(i % 255, 40, 200))
    draw.ellipse([60, 60, 180, 200], fill="black")
    img.save(path)
    return path


@pytest.fixture
def library(desk: Rumordesk, admin: Principal, tmp_path: Path) -> dict[str, str]:
    image_hash, _quality = pdq_hash(str(_picture(tmp_path / "flood.png")))
    ids = {}
    with desk.sessions() as s, s.begin():
        for ext, text in LIBRARY:
            fields = ClaimFields(
                external_id=ext,
                canonical_text=text,
                evidence=EVIDENCE,
                image_hashes=[image_hash] if ext == "metro-1" else [],
            )
            ids[ext] = svc.create_claim(
                session=s,
                principal=admin,
                policy=desk.policy,
                fields=fields,
                status=ClaimStatus.CONFIRMED,
                reviewer="R",
            ).id
    return ids


@pytest.fixture
def client(desk: Rumordesk, admin: Principal) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with desk.sessions() as s, s.begin():
        _, key = create_api_key(session=s, org_id=admin.org_id, role=Role.PLATFORM, name="p")
    with TestClient(create_app(desk)) as c:
        yield c, {"Authorization": f"Bearer {key}"}


def test_match_one_and_batch_over_http(client, library: dict[str, str], tmp_path: Path) -> None:
    c, h = client
    r = c.post(
        "/v1/match", headers=h, json={"text": "转发扩散！地★震局內部消息：今晚兩點成都有七級大地震"}
    )
    assert r.status_code == 200, r.text
    top = r.json()["matches"][0]
    assert top["claim_id"] == "quake-1" and top["internal_id"] == library["quake-1"]
    assert 0.0 <= top["score"] <= 1.0 and top["decision"] in ("match", "review")
    assert top["layers"]  # explained: which layers fired, with scores
    small = tmp_path / "copy.jpg"  # a resized, recompressed copy of the claim's image
    Image.open(_picture(tmp_path / "original.png")).resize((180, 180)).save(small, quality=70)
    items = [
        {"id": "a", "text": "hot lemon water every morning cures covid in 3 days!!"},
        {"id": "b", "text": "lovely sunset at the beach today"},
        {"id": "c", "image_base64": base64.b64encode(small.read_bytes()).decode()},
    ]
    r = c.post("/v1/match", headers=h, json={"items": items, "top_k": 3})
    results = {row["id"]: row["matches"] for row in r.json()["results"]}
    assert results["a"][0]["claim_id"] == "vax-1"
    assert all(m["decision"] != "match" for m in results["b"])
    assert results["c"] and results["c"][0]["claim_id"] == "metro-1"
    assert "image" in results["c"][0]["layers"]
    too_many = c.post("/v1/match", headers=h, json={"items": [{"text": "x"}] * 1001})
    assert too_many.status_code == 422
    assert c.post("/v1/match", headers=h, json={"text": ""}).status_code == 422
    bad = c.post("/v1/match", headers=h, json={"image_base64": "***"})
    assert bad.status_code == 422 and "base64" in bad.json()["detail"]
    not_image = base64.b64encode(b"this is not a picture").decode()
    r = c.post("/v1/match", headers=h, json={"items": [{"text": "x"}, {"image_base64": not_image}]})
    assert r.status_code == 422 and "items.1.image_base64: not a readable image" in r.text


@pytest.fixture
def cli_library(
    library: dict[str, str], database_url: str, monkeypatch: pytest.MonkeyPatch, desk: Rumordesk
) -> dict[str, str]:
    """The library, with the CLI pointed at the same database and data folder."""
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("RUMORDESK_DATA_DIR", str(desk.settings.data_dir))
    return library


def test_match_batch_cli_contract(cli_library: dict[str, str], tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "\n".join(
            [
                json.dumps(
                    {"id": 1, "text": "Hot lemon water each morning cures covid-19 in three days"}
                ),
                "not json",
                json.dumps(
                    {
                        "id": "2",
                        "text": "the METRO will be closed for a month from Monday",
                        "lang": "en",
                    }
                ),
                json.dumps({"id": "3"}),
                json.dumps({"id": "4", "text": "成都今晚两点七级地震，地震局内部消息"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(
        cli_app, ["match-batch", "--input", str(posts), "--output", str(out), "--top-k", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "line 2" in result.output and "line 4" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, "2", "4"]  # each id as the input wrote it
    assert [r["matches"][0]["claim_id"] for r in rows] == ["vax-1", "metro-1", "quake-1"]
    for row in rows:
        assert len(row["matches"]) <= 2
        scores = [m["score"] for m in row["matches"]]
        assert scores == sorted(scores, reverse=True)
        assert set(row["matches"][0]) == {"claim_id", "score", "decision", "layers"}
    one = CliRunner().invoke(
        cli_app,
        ["match", "the CITY metro will be closed for a whole month, starting next Monday!!"],
    )
    assert one.exit_code == 0 and "metro-1" in one.output


def test_match_batch_against_a_claims_file(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUMORDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("RUMORDESK_DATA_DIR", str(tmp_path / "var"))
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        "\n".join(json.dumps({"id": ext, "text": text}) for ext, text in LIBRARY), encoding="utf-8"
    )
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": "p", "text": LIBRARY[2][1]}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli_app,
        ["match-batch", "--input", str(posts), "--output", str(out), "--library", str(claims)],
    )
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text().splitlines()[0])
    assert row["matches"][0]["claim_id"] == "metro-1"
    assert row["matches"][0]["decision"] == "match"


def test_match_batch_reports_unreadable_images_and_matches_the_rest(
    cli_library: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    Image.open(_picture(tmp_path / "original.png")).resize((200, 200)).save(folder / "copy.jpg")
    (folder / "broken.png").write_bytes(b"not an image at all")
    lines = [
        {"id": "img", "image": "copy.jpg"},  # relative to the input file's folder
        {"id": "gone", "image": "missing.png", "text": "metro closed"},
        {"id": "broken", "image": str(folder / "broken.png")},
        {"id": "text", "text": "Drinking hot lemon water every morning cures COVID-19"},
    ]
    posts = folder / "posts.jsonl"
    posts.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    monkeypatch.chdir(tmp_path)  # not the input's folder: "copy.jpg" is found beside the input
    result = CliRunner().invoke(
        cli_app, ["match-batch", "--input", str(posts), "--output", str(out), "--top-k", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "line 2: image not found: missing.png" in result.output
    assert "line 3: image" in result.output and "could not be read" in result.output
    assert "skipped 2 invalid lines" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["img", "text"]
    assert rows[0]["matches"][0]["claim_id"] == "metro-1"
    assert "image" in rows[0]["matches"][0]["layers"]
    assert rows[1]["matches"][0]["claim_id"] == "vax-1"

    missing = CliRunner().invoke(cli_app, ["match", "x", "--image", str(folder / "nope.png")])
    assert missing.exit_code != 0 and "does not exist" in missing.output
    broken = CliRunner().invoke(cli_app, ["match", "x", "--image", str(folder / "broken.png")])
    assert broken.exit_code != 0 and "not a readable image" in broken.output
