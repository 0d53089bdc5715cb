"""Bulk import with error reports, idempotent re-import, CSV, and ClaimReview round-trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal
from rumordesk.domain.claims import ClaimStatus
from rumordesk.services.claimreview import from_claimreview, to_claimreview, verdict_from_rating
from rumordesk.services.exporting import iter_claims, write_export
from rumordesk.services.importing import ImportOptions, import_claims, read_file
from rumordesk.store.repositories import ClaimFilter, ClaimRepository

GOOD = {
    "external_id": "c-1",
    "canonical_text": "Drinking salt water cures the flu",
    "category": "health_science",
    "tier": "tier2",
    "verdict": "false",
    "keywords": ["salt water", "flu"],
    "language": "en",
    "evidence": [
        {
            "authority": "Health Ministry",
            "title": "Salt water does not cure flu",
            "url": "https://health.example.org/salt",
            "date": "2026-03-01",
        }
    ],
    "status": "confirmed",
    "reviewer": "Ana",
}


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(desk: Rumordesk, principal: Principal, path: Path, **opts):
    return import_claims(
        factory=desk.sessions,
        principal=principal,
        policy=desk.policy,
        records=read_file(path),
        options=ImportOptions(**opts),
    )


def test_jsonl_report_keeps_valid_reports_invalid(
    desk: Rumordesk, admin: Principal, tmp_path: Path
) -> None:
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({"external_id": "c-2"}),  # no text
        json.dumps({**GOOD, "external_id": "c-3", "category": "weather"}),
        json.dumps({**GOOD, "external_id": "c-4", "evidence": []}),  # confirmed without evidence
        "",
        json.dumps(
            {
                "id": "clef-9",
                "text": "A video shows a 10-meter anaconda",
                "title": "10-Meter Anaconda?",
                "subtitle": "It is a 5-meter one.",
                "date": "6 March 2021",
            }
        ),
        json.dumps({**GOOD, "external_id": "c-1"}),  # duplicate in file
        json.dumps({"id": "clef-10", "text": "bad date kept", "date": "sometime in spring"}),
        json.dumps(["a list"]),
    ]
    report = _import(desk, admin, _write_jsonl(tmp_path / "in.jsonl", lines))
    assert report.created == 3
    by_line = {e.line: e.reason for e in report.errors}
    assert set(by_line) == {2, 3, 4, 5, 8, 10}
    assert "invalid JSON" in by_line[2]
    assert "canonical_text" in by_line[3]
    assert "unknown category 'weather'" in by_line[4]
    assert "evidence" in by_line[5]
    assert "duplicate of line 1" in by_line[8]
    assert "JSON object" in by_line[10]
    assert [w.line for w in report.warnings] == [9]
    with desk.sessions() as s:
        repo = ClaimRepository(s)
        clef = repo.by_external_id(admin.org_id, "clef-9")
        assert clef is not None and clef.variants == ["10-Meter Anaconda?"]
        assert clef.published_at == "2021-03-06" and clef.debunk_summary == "It is a 5-meter one."
        assert repo.by_external_id(admin.org_id, "c-1").status == "confirmed"
        assert repo.by_external_id(admin.org_id, "clef-10").published_at is None


def test_reimport_is_idempotent_and_updates_changes(
    desk: Rumordesk, admin: Principal, tmp_path: Path
) -> None:
    path = _write_jsonl(
        tmp_path / "lib.jsonl",
        [
            json.dumps({**GOOD, "external_id": f"c-{i}", "canonical_text": f"claim {i}"})
            for i in range(30)
        ],
    )
    first = _import(desk, admin, path)
    again = _import(desk, admin, path)
    assert (first.created, again.created, again.unchanged, again.updated) == (30, 0, 30, 0)
    changed = _write_jsonl(
        tmp_path / "lib2.jsonl",
        [json.dumps({**GOOD, "external_id": "c-0", "canonical_text": "claim 0 v2"})],
    )
    third = _import(desk, admin, changed)
    assert third.updated == 1
    with desk.sessions() as s:
        repo = ClaimRepository(s)
        assert repo.count() == 30
        claim = repo.by_external_id(admin.org_id, "c-0")
        assert claim.canonical_text == "claim 0 v2" and claim.revision == 2
        assert repo.revisions(claim.id)[-1].changes["canonical_text"] == ["claim 0", "claim 0 v2"]


def test_csv_import_and_export_roundtrip(desk: Rumordesk, admin: Principal, tmp_path: Path) -> None:
    csv_path = tmp_path / "lib.csv"
    csv_path.write_text(
        "external_id,canonical_text,variants,keywords,category,tier,evidence_authority,evidence_url\n"
        "k-1,地铁明天全线停运,明天地铁停运|地铁全线停,地铁|停运,public_affairs,tier2,市交通委,"
        "https://gov.example.org/metro\n"
        "k-2,,,,,,,\n",
        encoding="utf-8",
    )
    report = _import(desk, admin, csv_path)
    assert report.created == 1 and [e.line for e in report.errors] == [3]
    out = io.StringIO()
    with desk.sessions() as s:
        write_export(iter_claims(s, admin, ClaimFilter()), out, "csv")
    exported = tmp_path / "out.csv"
    exported.write_text(out.getvalue(), encoding="utf-8")
    again = _import(desk, admin, exported)
    assert again.unchanged == 1 and not again.errors
    with desk.sessions() as s:
        claim = ClaimRepository(s).by_external_id(admin.org_id, "k-1")
        assert claim.variants == ["明天地铁停运", "地铁全线停"]
        assert claim.evidence[0]["authority"] == "市交通委"


def test_claimreview_roundtrip(desk: Rumordesk, admin: Principal, tmp_path: Path) -> None:
    doc = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://factcheck.example.org/r/42",
        "claimReviewed": "5G towers spread the virus",
        "datePublished": "2026-04-01",
        "author": {"@type": "Organization", "name": "Example Checks"},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Pants on Fire",
        },
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [
                {"@type": "CreativeWork", "url": "https://social.example.com/p/1"},
                {"@type": "CreativeWork", "url": "https://social.example.com/p/2"},
            ],
            "firstAppearance": {"@type": "CreativeWork", "url": "https://social.example.com/p/1"},
        },
    }
    path = tmp_path / "reviews.jsonld"
    path.write_text(json.dumps({"@graph": [doc, {"@type": "ClaimReview"}]}), encoding="utf-8")
    report = _import(
        desk,
        admin,
        path,
        evidence_authority="Example Checks",
        status=ClaimStatus.CONFIRMED,
        reviewer="Ed",
    )
    assert report.created == 1 and "claimReviewed" in report.errors[0].reason
    with desk.sessions() as s:
        claim = ClaimRepository(s).by_external_id(
            admin.org_id, "https://factcheck.example.org/r/42"
        )
        assert claim.status == "confirmed" and claim.verdict == "false"
        back = to_claimreview(claim)
    for key in ("claimReviewed", "url", "datePublished", "author"):
        assert back[key] == doc[key] if key != "author" else back[key]["name"] == "Example Checks"
    assert back["reviewRating"]["alternateName"] == "Pants on Fire"
    assert back["itemReviewed"]["appearance"] == doc["itemReviewed"]["appearance"]
    assert back["itemReviewed"]["firstAppearance"] == doc["itemReviewed"]["firstAppearance"]
    # and the exported form reads back to the same fields
    again = from_claimreview(back)
    assert again.canonical_text == claim.canonical_text
    assert [str(u) for u in again.appearances] == claim.appearances
    assert again.evidence[0].authority == "Example Checks"


@pytest.mark.parametrize(
    ("label", "verdict"),
    [
        ("False", "false"),
        ("Pants on Fire", "false"),
        ("Mixture", "misleading"),
        ("Missing context", "misleading"),
        ("Unproven", "unproven"),
        ("Miscaptioned", "true_but_misused"),
        ("谣言", "false"),
        ("Something else", "unproven"),
    ],
)
def test_rating_words(label: str, verdict: str) -> None:
    assert verdict_from_rating(label).value == verdict


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    from rumordesk.domain.errors import ValidationFailed

    path = tmp_path / "claims.txt"
    path.write_text("x")
    with pytest.raises(ValidationFailed, match="cannot tell the format"):
        list(read_file(path))
