"""Export the library as JSONL or CSV (re-importable) or ClaimReview JSON-LD."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy.orm import Session

from rumordesk.domain.access import Principal
from rumordesk.services.claimreview import to_claimreview
from rumordesk.services.claims import CONTENT_FIELDS, list_claims
from rumordesk.store.models import Claim
from rumordesk.store.repositories import ClaimFilter

FORMATS = ("jsonl", "csv", "claimreview")
PAGE = 500


def claim_record(claim: Claim) -> dict[str, Any]:
    """A claim in the import shape, so an export can be imported again."""
    record = {name: getattr(claim, name) for name in CONTENT_FIELDS}
    record.update(id=claim.id, status=claim.status, reviewer=claim.reviewer)
    record.pop("id")
    return {k: v for k, v in record.items() if v not in (None, [], "")}


def iter_claims(session: Session, principal: Principal, flt: ClaimFilter) -> Iterator[Claim]:
    """Every claim visible to the caller that matches ``flt``, page by page."""
    offset = 0
    while True:
        page = list_claims(
            session=session, principal=principal, flt=flt, limit=PAGE, offset=offset, max_limit=PAGE
        )
        yield from page.items
        offset += PAGE
        if offset >= page.total:
            return


def write_export(claims: Iterator[Claim], out: IO[str], fmt: str) -> int:
    """Write claims to ``out`` in ``fmt``; returns how many were written."""
    count = 0
    if fmt == "jsonl":
        for claim in claims:
            out.write(json.dumps(claim_record(claim), ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "csv":
        columns = [*CONTENT_FIELDS, "status", "reviewer"]
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for claim in claims:
            row = claim_record(claim)
            for name in ("variants", "keywords", "appearances", "image_hashes"):
                if name in row:
                    row[name] = "|".join(row[name])
            if "evidence" in row:
                row["evidence"] = json.dumps(row["evidence"], ensure_ascii=False)
            writer.writerow(row)
            count += 1
    elif fmt == "claimreview":
        docs = [to_claimreview(c) for c in claims]
        for doc in docs:
            doc.pop("@context", None)
        json.dump(
            {"@context": "https://schema.org", "@graph": docs}, out, ensure_ascii=False, indent=2
        )
        count = len(docs)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return count
