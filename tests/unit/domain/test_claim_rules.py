"""Lifecycle rules of claims, table-driven."""

from __future__ import annotations

import pytest

from rumordesk.domain.claims import ClaimFields, ClaimStatus, check_transition
from rumordesk.domain.errors import InvalidTransition

C, V, OK, R = (
    ClaimStatus.CANDIDATE,
    ClaimStatus.VERIFYING,
    ClaimStatus.CONFIRMED,
    ClaimStatus.RETRACTED,
)


@pytest.mark.parametrize(
    ("current", "target", "evidence", "reviewer", "reason", "error"),
    [
        (C, V, 0, None, None, None),
        (V, OK, 1, "rev", None, None),
        (C, OK, 2, "rev", None, None),
        (OK, R, 1, None, "source withdrew", None),
        (R, V, 1, None, None, None),
        (V, OK, 0, "rev", None, "at least one evidence source"),
        (V, OK, 1, None, None, "needs a reviewer"),
        (V, OK, 1, "  ", None, "needs a reviewer"),
        (OK, R, 1, None, None, "needs a reason"),
        (OK, C, 1, None, None, "cannot move a confirmed claim to candidate"),
        (R, OK, 1, "rev", None, "cannot move a retracted claim to confirmed"),
        (C, C, 0, None, None, "already candidate"),
    ],
)
def test_transitions(current, target, evidence, reviewer, reason, error) -> None:
    if error is None:
        check_transition(current, target, evidence_count=evidence, reviewer=reviewer, reason=reason)
    else:
        with pytest.raises(InvalidTransition, match=error):
            check_transition(
                current, target, evidence_count=evidence, reviewer=reviewer, reason=reason
            )


def test_fields_clean_lists_and_validate_hashes() -> None:
    fields = ClaimFields(canonical_text=" x ", variants=["a", " a ", "", "b"], keywords=["k", "k"])
    assert fields.canonical_text == "x"
    assert fields.variants == ["a", "b"]
    assert fields.keywords == ["k"]
    with pytest.raises(ValueError, match="PDQ"):
        ClaimFields(canonical_text="x", image_hashes=["abc"])
