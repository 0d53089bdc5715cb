"""The deployer's policy: categories, severity tiers, deadlines, sanctions and thresholds.

rumordesk is policy-neutral: nothing here is hard-coded in the engines. The YAML file is
validated at start-up so a mistake is caught with a message naming file, field and problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rumordesk.domain.errors import PolicyError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    """A kind of rumour the deployer handles (e.g. public-safety emergency)."""

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    description: str = ""
    examples: list[str] = []


class Tier(_Strict):
    """A severity tier with its handling deadline and its weight in priority scores."""

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    deadline_hours: float = Field(gt=0)
    weight: float = Field(default=1.0, gt=0)


class SanctionStep(_Strict):
    """One rung of the graduated sanction ladder (used by enforcement)."""

    action: Literal["label_only", "warning", "mute", "suspend"]
    min_strikes: int = Field(ge=0)
    days: int | None = Field(default=None, ge=1)
    description: str = ""

    @model_validator(mode="after")
    def _mute_needs_days(self) -> SanctionStep:
        if self.action == "mute" and self.days is None:
            raise ValueError("a 'mute' step needs 'days'")
        return self


class SanctionLadder(_Strict):
    """Ordered sanctions; strikes decay after ``strike_decay_days``."""

    strike_decay_days: int = Field(default=90, ge=1)
    steps: list[SanctionStep] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: list[SanctionStep]) -> list[SanctionStep]:
        strikes = [s.min_strikes for s in steps]
        if strikes != sorted(strikes):
            raise ValueError("steps must be ordered by min_strikes ascending")
        return steps


class MatchingPolicy(_Strict):
    """Score thresholds turning calibrated match scores into decisions."""

    match_threshold: float = Field(default=0.8, ge=0, le=1)
    review_threshold: float = Field(default=0.5, ge=0, le=1)
    min_claim_chars: int = Field(default=6, ge=0, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> MatchingPolicy:
        if self.review_threshold > self.match_threshold:
            raise ValueError("review_threshold must not exceed match_threshold")
        return self


class EarlyWarningPolicy(_Strict):
    """When unmatched, unsourced content spreads fast enough to need verification."""

    window_minutes: int = Field(default=60, ge=1)
    min_reposts: int = Field(default=50, ge=1)
    min_unique_accounts: int = Field(default=30, ge=1)
    min_velocity_per_hour: float = Field(default=30.0, gt=0)
    authority_domains: list[str] = Field(
        default_factory=lambda: ["gov", "gov.cn", "gov.uk", "europa.eu", "who.int", "un.org"],
        description="Links to these domains (or subdomains) count as an authoritative source.",
    )


class Policy(_Strict):
    """The whole policy file."""

    name: str
    version: str = "1"
    categories: list[Category] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    default_category: str
    default_tier: str
    sanctions: SanctionLadder
    matching: MatchingPolicy = MatchingPolicy()
    early_warning: EarlyWarningPolicy = EarlyWarningPolicy()

    @model_validator(mode="after")
    def _references(self) -> Policy:
        cat_ids = [c.id for c in self.categories]
        tier_ids = [t.id for t in self.tiers]
        for label, ids in (("categories", cat_ids), ("tiers", tier_ids)):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {label} id(s): {', '.join(dupes)}")
        if self.default_category not in cat_ids:
            raise ValueError(f"default_category '{self.default_category}' is not a category id")
        if self.default_tier not in tier_ids:
            raise ValueError(f"default_tier '{self.default_tier}' is not a tier id")
        return self

    def category_ids(self) -> list[str]:
        """Ids of the categories, in file order."""
        return [c.id for c in self.categories]

    def tier_ids(self) -> list[str]:
        """Ids of the tiers, in file order."""
        return [t.id for t in self.tiers]

    def tier(self, tier_id: str) -> Tier:
        """The tier with this id (KeyError if unknown)."""
        for t in self.tiers:
            if t.id == tier_id:
                return t
        raise KeyError(tier_id)


def parse_policy(data: object, *, source: str = "<policy>") -> Policy:
    """Validate a parsed YAML document, turning pydantic errors into one readable PolicyError."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{where}: {err['msg']}")
        raise PolicyError(f"invalid policy file {source}: " + "; ".join(problems)) from None


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; errors name the file, field and problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {path} is not valid YAML: {exc}") from None
    return parse_policy(data, source=str(path))
