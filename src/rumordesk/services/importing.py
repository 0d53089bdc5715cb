"""Bulk import of claims from JSONL and CSV, with a per-record error report.

1. Read: each source yields (line number, raw record); unreadable lines become errors.
2. Map: field aliases (CLEF's ``id``/``text``/``title``) and CSV list columns are mapped to
   rumordesk's claim fields; invalid records are reported with line number and reason.
3. Upsert in chunks: a record whose external id already exists in the organisation is
   compared and updated only if it changed, so re-importing a file is idempotent.
Valid records are kept even when others fail; nothing is silently dropped.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from rumordesk.domain.access import Principal
from rumordesk.domain.claims import ClaimFields, ClaimStatus
from rumordesk.domain.errors import RumordeskError, ValidationFailed
from rumordesk.domain.policy import Policy
from rumordesk.services import claimreview
from rumordesk.services import claims as claim_service
from rumordesk.store.models import Claim
from rumordesk.store.repositories import ClaimRepository

ALIASES = {
    "id": "external_id",
    "text": "canonical_text",
    "claim": "canonical_text",
    "date": "published_at",
}
LIST_FIELDS = ("variants", "keywords", "appearances", "image_hashes")
CONTROL_FIELDS = ("status", "reviewer", "reason")
CHUNK = 500


@dataclass
class RecordProblem:
    """A problem with one record: where it was and why."""

    line: int
    external_id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "external_id": self.external_id, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did, record by record."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordProblem] = field(default_factory=list)
    warnings: list[RecordProblem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": len(self.errors),
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }


@dataclass(frozen=True)
class ImportOptions:
    """How records without their own lifecycle fields are treated."""

    status: ClaimStatus = ClaimStatus.CANDIDATE
    reviewer: str | None = None
    evidence_authority: str | None = None
    reason: str = "bulk import"


def open_text(path: Path) -> IO[str]:
    """Open a possibly gzip-compressed UTF-8 text file."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8", newline="")


def read_jsonl(stream: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line, record) or (line, error message) for each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"invalid JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(record, dict):
            yield number, "each line must be a JSON object"
            continue
        yield number, record


def read_csv(stream: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield CSV rows as records; list columns use '|' between items, evidence may be JSON."""
    reader = csv.DictReader(stream)
    for row in reader:
        record: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
        for name in LIST_FIELDS:
            if name in record:
                record[name] = [p.strip() for p in str(record[name]).split("|") if p.strip()]
        if "evidence" in record:
            try:
                record["evidence"] = json.loads(record["evidence"])
            except json.JSONDecodeError:
                yield reader.line_num, "column 'evidence' must hold a JSON list"
                continue
        elif "evidence_authority" in record:
            record["evidence"] = [
                {
                    "authority": record.pop("evidence_authority"),
                    "title": record.pop("evidence_title", ""),
                    "url": record.pop("evidence_url", None),
                    "date": record.pop("evidence_date", None),
                }
            ]
        yield reader.line_num, record


def read_claimreview(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """ClaimReview JSON-LD (one object, a list or an @graph) as records numbered from 1."""
    try:
        data = json.load(stream)
    except json.JSONDecodeError as exc:
        yield exc.lineno, f"invalid JSON-LD: {exc.msg} at line {exc.lineno}"
        return
    for number, doc in enumerate(claimreview.iter_claimreviews(data), start=1):
        try:
            fields = claimreview.from_claimreview(doc)
        except ValidationError as exc:
            yield number, _explain(exc)
            continue
        except ValidationFailed as exc:
            yield number, str(exc)
            continue
        yield number, fields.model_dump(mode="json", exclude_defaults=True)


def read_file(path: Path, fmt: str | None = None) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Records from a .jsonl, .csv or ClaimReview .jsonld file (optionally .gz).

    ``fmt`` ('jsonl', 'csv', 'claimreview') overrides the guess from the file extension.
    """
    name = path.name.removesuffix(".gz")
    if fmt is None:
        if name.endswith((".jsonl", ".ndjson")):
            fmt = "jsonl"
        elif name.endswith(".csv"):
            fmt = "csv"
        elif name.endswith((".jsonld", ".json")):
            fmt = "claimreview"
        else:
            raise ValidationFailed(
                f"{path}: cannot tell the format; use .jsonl, .csv or .jsonld, or pass --format"
            )
    readers = {"jsonl": read_jsonl, "csv": read_csv, "claimreview": read_claimreview}
    if fmt not in readers:
        raise ValidationFailed(f"unknown format '{fmt}'; use one of {', '.join(readers)}")
    if not path.exists():
        raise ValidationFailed(f"{path}: no such file")
    with open_text(path) as stream:
        yield from readers[fmt](stream)


def to_claim_fields(
    record: dict[str, Any], options: ImportOptions
) -> tuple[ClaimFields, dict[str, Any], list[str]]:
    """Map a raw record to claim fields, lifecycle controls (status, reviewer, reason) and
    warnings about values that were dropped but did not cost the record."""
    data = dict(record)
    for alias, target in ALIASES.items():
        if alias in data and target not in data:
            data[target] = data.pop(alias)
        else:
            data.pop(alias, None)
    if "external_id" in data and data["external_id"] is not None:
        data["external_id"] = str(data["external_id"])
    title, subtitle = data.pop("title", None), data.pop("subtitle", None)
    if title:  # a fact-check headline is how the claim circulates: keep it as a variant
        data["variants"] = [*data.get("variants", []), str(title)]
    if subtitle and not data.get("debunk_summary"):
        data["debunk_summary"] = str(subtitle)
    warnings: list[str] = []
    if isinstance(data.get("published_at"), str):
        try:
            data["published_at"] = parse_date(data["published_at"])
        except ValidationFailed as exc:  # a bad date must not cost the claim: keep it, warn
            data["published_at"] = None
            warnings.append(f"{exc}; imported without a date")
    controls = {name: data.pop(name) for name in CONTROL_FIELDS if name in data}
    if options.evidence_authority and not data.get("evidence"):
        data["evidence"] = [
            {
                "authority": options.evidence_authority,
                "title": str(title or data.get("canonical_text", ""))[:1000],
                "url": data.get("review_url"),
            }
        ]
    unknown = sorted(set(data) - set(ClaimFields.model_fields))
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(unknown)}")
    return ClaimFields.model_validate(data), controls, warnings


DATE_FORMATS = (
    "%Y-%m-%d",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%Y年%m月%d日",
)


def parse_date(value: str) -> str | None:
    """An ISO date from the date spellings fact-checkers use; blank gives None."""
    text = value.strip()
    if not text:
        return None
    head = text[:10]
    for candidate, fmts in ((head, DATE_FORMATS[:1]), (text, DATE_FORMATS[1:])):
        for fmt in fmts:
            try:
                return datetime.strptime(candidate, fmt).date().isoformat()  # noqa: DTZ007
            except ValueError:
                continue
    raise ValidationFailed(f"published_at: cannot read the date {value!r}; use YYYY-MM-DD")


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def _apply(
    session: Session,
    principal: Principal,
    policy: Policy,
    options: ImportOptions,
    fields: ClaimFields,
    controls: dict[str, Any],
    existing: Claim | None,
) -> str:
    status = ClaimStatus(controls.get("status", options.status))
    reviewer = controls.get("reviewer") or options.reviewer
    reason = controls.get("reason") or options.reason
    if existing is None:
        claim_service.create_claim(
            session=session,
            principal=principal,
            policy=policy,
            fields=fields,
            status=status,
            reviewer=reviewer,
            reason=reason,
        )
        return "created"
    before = existing.revision
    claim_service.update_claim(
        session=session,
        principal=principal,
        policy=policy,
        claim_id=existing.id,
        fields=fields,
        reason=reason,
    )
    if existing.status != status.value:
        claim_service.transition_claim(
            session=session,
            principal=principal,
            claim_id=existing.id,
            target=status,
            reviewer=reviewer,
            reason=reason,
        )
    return "updated" if existing.revision != before else "unchanged"


def import_claims(
    *,
    factory: sessionmaker[Session],
    principal: Principal,
    policy: Policy,
    records: Iterable[tuple[int, dict[str, Any] | str]],
    options: ImportOptions = ImportOptions(),
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import records in chunks; each valid record is stored, each invalid one reported."""
    report = ImportReport()
    seen: dict[str, int] = {}
    chunk: list[tuple[int, ClaimFields, dict[str, Any]]] = []

    def flush() -> None:
        if chunk:
            _import_chunk(factory, principal, policy, options, chunk, report)
            if progress:
                progress(len(chunk))
            chunk.clear()

    for line, record in records:
        if isinstance(record, str):
            report.errors.append(RecordProblem(line, None, record))
            continue
        ext = record.get("external_id", record.get("id"))
        ext = None if ext is None else str(ext)
        try:
            fields, controls, warnings = to_claim_fields(record, options)
            ClaimStatus(controls.get("status", options.status))
        except ValidationError as exc:
            report.errors.append(RecordProblem(line, ext, _explain(exc)))
            continue
        except (RumordeskError, ValueError) as exc:
            report.errors.append(RecordProblem(line, ext, str(exc)))
            continue
        report.warnings.extend(RecordProblem(line, ext, w) for w in warnings)
        key = fields.external_id or f"text:{fields.canonical_text}"
        if key in seen:
            report.errors.append(
                RecordProblem(line, ext, f"duplicate of line {seen[key]} in the same file; skipped")
            )
            continue
        seen[key] = line
        chunk.append((line, fields, controls))
        if len(chunk) >= CHUNK:
            flush()
    flush()
    return report


def _import_chunk(
    factory: sessionmaker[Session],
    principal: Principal,
    policy: Policy,
    options: ImportOptions,
    chunk: list[tuple[int, ClaimFields, dict[str, Any]]],
    report: ImportReport,
) -> None:
    with factory() as session, session.begin():
        repo = ClaimRepository(session)
        ext_ids = [f.external_id for _, f, _ in chunk if f.external_id]
        existing = repo.by_external_ids(principal.org_id, ext_ids)
        for line, fields, controls in chunk:
            current = existing.get(fields.external_id) if fields.external_id else None
            if current is None and not fields.external_id:
                current = repo.by_text(principal.org_id, fields.canonical_text)
            if current is not None and _unchanged(current, fields, controls, options):
                report.unchanged += 1
                continue
            try:
                if current is None:  # creation validates everything before it writes
                    outcome = _apply(session, principal, policy, options, fields, controls, None)
                else:  # an update may fail half-way (edit, then transition): isolate it
                    with session.begin_nested():
                        outcome = _apply(
                            session, principal, policy, options, fields, controls, current
                        )
            except RumordeskError as exc:
                report.errors.append(RecordProblem(line, fields.external_id, str(exc)))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)


def _unchanged(
    claim: Claim, fields: ClaimFields, controls: dict[str, Any], options: ImportOptions
) -> bool:
    """True when re-importing this record would change nothing (the common re-import case)."""
    status = str(controls.get("status", options.status))
    if claim.status != status:
        return False
    stored = {name: getattr(claim, name) for name in ClaimFields.model_fields}
    wanted = fields.model_dump(mode="json")
    return all(stored[k] == v for k, v in wanted.items() if k not in ("category", "tier")) and (
        fields.category in (None, claim.category) and fields.tier in (None, claim.tier)
    )
