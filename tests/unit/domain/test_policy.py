"""The policy file: the shipped default is valid; mistakes get errors naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rumordesk.config import DEFAULT_POLICY
from rumordesk.domain.errors import PolicyError
from rumordesk.domain.policy import load_policy


def test_default_policy_is_valid_and_policy_neutral() -> None:
    policy = load_policy(DEFAULT_POLICY)
    assert policy.category_ids() == [
        "public_safety",
        "public_affairs",
        "health_science",
        "social_economic",
        "defamation",
        "other",
    ]
    assert len(policy.tiers) == 3
    assert all(t.deadline_hours > 0 for t in policy.tiers)
    assert [s.action for s in policy.sanctions.steps] == [
        "label_only",
        "warning",
        "mute",
        "suspend",
    ]
    assert policy.tier("tier1").deadline_hours < policy.tier("tier3").deadline_hours


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _default() -> dict:
    return yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["tiers"][0].update(deadline_hours=-1), "tiers.0.deadline_hours"),
        (lambda d: d.update(default_tier="tier9"), "default_tier 'tier9' is not a tier id"),
        (lambda d: d.update(default_category="nope"), "default_category 'nope'"),
        (
            lambda d: d["categories"].append({"id": "other", "name": "again"}),
            "duplicate categories",
        ),
        (lambda d: d["sanctions"]["steps"][2].pop("days"), "a 'mute' step needs 'days'"),
        (lambda d: d["sanctions"]["steps"].reverse(), "ordered by min_strikes"),
        (
            lambda d: d.update(matching={"match_threshold": 0.3, "review_threshold": 0.6}),
            "review_threshold must not exceed",
        ),
        (lambda d: d.pop("categories"), "categories: Field required"),
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
        (lambda d: d["categories"][0].update(id="Has Spaces"), "categories.0.id"),
    ],
)
def test_invalid_policy_names_file_field_and_problem(tmp_path: Path, mutate, expected: str) -> None:
    data = _default()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
