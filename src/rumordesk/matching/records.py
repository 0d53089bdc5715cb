"""What the matching engine indexes and answers: claim records, queries, results, thresholds.

Kept free of any index code so that services, the CLI and the benchmarks can build records and read
results without importing numpy-heavy layers.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Decision = Literal["match", "review", "no_match"]


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """One library claim as the index sees it (canonical text first, then variants)."""

    claim_id: str
    external_id: str | None
    texts: list[str]
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    image_hashes: list[str] = field(default_factory=list)
    confirmed: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by ``Matcher.save``."""
        return {
            "claim_id": self.claim_id,
            "external_id": self.external_id,
            "texts": self.texts,
            "keywords": self.keywords,
            "language": self.language,
            "image_hashes": self.image_hashes,
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexRecord:
        """Inverse of ``to_dict``."""
        return cls(
            claim_id=data["claim_id"],
            external_id=data.get("external_id"),
            texts=list(data["texts"]),
            keywords=list(data.get("keywords") or []),
            language=data.get("language"),
            image_hashes=list(data.get("image_hashes") or []),
            confirmed=bool(data.get("confirmed", True)),
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision thresholds on the calibrated score, from the policy file."""

    match: float
    review: float
    min_claim_chars: int = 6

    def decide(self, score: float, *, confirmed: bool = True, claim_chars: int = 10**6) -> Decision:
        """``match``/``review``/``no_match``. An unconfirmed claim, or one whose longest text has
        fewer than ``min_claim_chars`` normalised characters (too short to tell one claim from
        everyday talk: "真的假的？", "Fake!"), is never more than ``review``."""
        if score >= self.match:
            return "match" if confirmed and claim_chars >= self.min_claim_chars else "review"
        if score >= self.review:
            return "review"
        return "no_match"


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """One item to match: text and/or an image file."""

    text: str | None
    image_path: str | None = None
    lang: str | None = None


@dataclass(slots=True)
class LayerEvidence:
    """What one layer saw for a (query, claim) pair: its raw score and, where known, spans."""

    score: float
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, rounded for readability."""
        out: dict[str, Any] = {"score": round(float(self.score), 4)}
        out.update(self.detail)
        return out


@dataclass(slots=True)
class MatchResult:
    """A library claim a query repeats, with a calibrated score, a decision and the evidence."""

    claim_id: str
    external_id: str | None
    score: float
    decision: Decision
    layers: dict[str, LayerEvidence] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form; ``claim_id`` is the external id when the claim has one."""
        return {
            "claim_id": self.external_id or self.claim_id,
            "internal_id": self.claim_id,
            "score": round(float(self.score), 4),
            "decision": self.decision,
            "layers": {name: ev.to_dict() for name, ev in self.layers.items()},
        }


def _open(path: Path) -> Any:
    return (
        gzip.open(path, "rt", encoding="utf-8")
        if path.suffix == ".gz"
        else open(path, encoding="utf-8")
    )  # noqa: SIM115 - closed by the caller's with-block


def record_from_dict(row: dict[str, Any]) -> IndexRecord | None:
    """An index record from a CLEF claim (id,text,title,subtitle) or a rumordesk claim row."""
    if "canonical_text" in row:
        texts = [row["canonical_text"], *(row.get("variants") or [])]
        if row.get("title"):
            texts.append(row["title"])
        claim_id = str(row.get("id") or row.get("external_id"))
        external = row.get("external_id")
        status = row.get("status")
        confirmed = status in (None, "confirmed")
        keywords = list(row.get("keywords") or [])
        language = row.get("language")
        images = list(row.get("image_hashes") or [])
    elif "text" in row and "id" in row:
        texts = [row["text"], row.get("title") or "", row.get("subtitle") or ""]
        claim_id, external, confirmed = str(row["id"]), str(row["id"]), True
        keywords, language, images = [], row.get("language"), []
    else:
        return None
    seen: set[str] = set()
    unique = []
    for text in texts:
        key = " ".join(str(text).split()).lower()
        if key and key not in seen:
            seen.add(key)
            unique.append(str(text))
    if not unique:
        return None
    return IndexRecord(
        claim_id=claim_id,
        external_id=external,
        texts=unique,
        keywords=keywords,
        language=language,
        image_hashes=images,
        confirmed=confirmed,
    )


def records_from_claims_jsonl(path: str | Path) -> Iterator[IndexRecord]:
    """Read a claims JSONL(.gz) file in the CLEF or the rumordesk format; skips unusable rows."""
    with _open(Path(path)) as stream:
        for line in stream:
            if not line.strip():
                continue
            record = record_from_dict(json.loads(line))
            if record is not None:
                yield record
