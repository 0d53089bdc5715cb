"""schema.org ClaimReview (the format fact-checkers publish) to and from library claims.

Round-trips what fact-checkers publish: claimReviewed, reviewRating (alternateName and the
numeric rating), author, datePublished, url, itemReviewed (a Claim with appearance and
firstAppearance), plus rumordesk's fields where schema.org has a home for them (reviewBody,
description, keywords, citation for evidence, inLanguage, identifier).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rumordesk.domain.claims import ClaimFields, Verdict
from rumordesk.domain.errors import ValidationFailed
from rumordesk.store.models import Claim

VERDICT_LABELS = {
    Verdict.FALSE: "False",
    Verdict.MISLEADING: "Misleading",
    Verdict.UNPROVEN: "Unproven",
    Verdict.TRUE_BUT_MISUSED: "True but misused",
}
_RATING_WORDS: list[tuple[Verdict, tuple[str, ...]]] = [
    (Verdict.TRUE_BUT_MISUSED, ("misused", "miscaption", "out of context", "outdated", "断章取义")),
    (
        Verdict.MISLEADING,
        ("mislead", "mixture", "half", "missing context", "partly", "exaggerat", "误导", "部分"),
    ),
    (Verdict.UNPROVEN, ("unproven", "unverified", "unsupported", "no evidence", "未证实", "存疑")),
    (
        Verdict.FALSE,
        (
            "false",
            "fake",
            "pants on fire",
            "incorrect",
            "hoax",
            "scam",
            "fabricat",
            "虚假",
            "谣言",
            "不实",
            "假",
        ),
    ),
]


def verdict_from_rating(label: str | None, value: Any = None, worst: Any = None) -> Verdict:
    """Map a publisher's rating wording (or a worst-possible numeric rating) to our verdict."""
    text = (label or "").casefold()
    for verdict, words in _RATING_WORDS:
        if any(w in text for w in words):
            return verdict
    if value is not None and worst is not None and str(value) == str(worst):
        return Verdict.FALSE
    return Verdict.UNPROVEN


def to_claimreview(claim: Claim) -> dict[str, Any]:
    """A ClaimReview JSON-LD object for a library claim."""
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim.canonical_text,
        "reviewRating": {
            "@type": "Rating",
            "alternateName": claim.rating_label or VERDICT_LABELS[Verdict(claim.verdict)],
        },
        "itemReviewed": {"@type": "Claim"},
    }
    optional = {
        "identifier": claim.external_id,
        "url": claim.review_url,
        "datePublished": claim.published_at,
        "inLanguage": claim.language,
        "description": claim.debunk_summary or None,
        "reviewBody": claim.debunk_text or None,
        "keywords": ", ".join(claim.keywords) if claim.keywords else None,
    }
    doc.update({k: v for k, v in optional.items() if v})
    if claim.publisher:
        doc["author"] = {"@type": "Organization", "name": claim.publisher}
    item = doc["itemReviewed"]
    if claim.appearances:
        item["appearance"] = [{"@type": "CreativeWork", "url": u} for u in claim.appearances]
    if claim.first_appearance:
        item["firstAppearance"] = {"@type": "CreativeWork", "url": claim.first_appearance}
    if claim.variants:
        item["alternateName"] = list(claim.variants)
    if claim.evidence:
        doc["citation"] = [_citation(e) for e in claim.evidence]
    return doc


def _citation(evidence: dict[str, Any]) -> dict[str, Any]:
    cite: dict[str, Any] = {
        "@type": "CreativeWork",
        "author": {"@type": "Organization", "name": evidence["authority"]},
    }
    for src, dst in (("title", "name"), ("url", "url"), ("date", "datePublished")):
        if evidence.get(src):
            cite[dst] = evidence[src]
    return cite


def _urls(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        url = item.get("url") if isinstance(item, dict) else item
        if isinstance(url, str) and url:
            out.append(url)
    return out


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        name = value.get("name")
        return str(name) if name else None
    return str(value) if value else None


def from_claimreview(doc: dict[str, Any]) -> ClaimFields:
    """Claim fields from one ClaimReview object; raises ValidationFailed naming what is missing."""
    if "ClaimReview" not in str(doc.get("@type", "")):
        raise ValidationFailed("not a ClaimReview object (@type must be 'ClaimReview')")
    text = doc.get("claimReviewed")
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("ClaimReview has no 'claimReviewed' text")
    rating = doc.get("reviewRating") or {}
    if not isinstance(rating, dict):
        rating = {}
    label = rating.get("alternateName") or rating.get("name")
    item = doc.get("itemReviewed") or {}
    if not isinstance(item, dict):
        item = {}
    first = _urls(item.get("firstAppearance")) if item.get("firstAppearance") else []
    keywords = doc.get("keywords") or []
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    evidence = []
    for cite in doc.get("citation") or []:
        if isinstance(cite, dict):
            evidence.append(
                {
                    "authority": _name(cite.get("author"))
                    or _name(cite.get("publisher"))
                    or "unknown",
                    "title": cite.get("name", ""),
                    "url": cite.get("url"),
                    "date": (cite.get("datePublished") or None),
                }
            )
    variants = item.get("alternateName") or []
    date = doc.get("datePublished")
    return ClaimFields.model_validate(
        {
            "external_id": doc.get("identifier") or doc.get("url"),
            "canonical_text": text,
            "variants": variants if isinstance(variants, list) else [variants],
            "keywords": keywords,
            "language": doc.get("inLanguage"),
            "verdict": verdict_from_rating(
                label, rating.get("ratingValue"), rating.get("worstRating")
            ),
            "rating_label": label,
            "debunk_summary": doc.get("description") or "",
            "debunk_text": doc.get("reviewBody") or "",
            "evidence": evidence,
            "publisher": _name(doc.get("author")),
            "review_url": doc.get("url"),
            "published_at": date[:10] if isinstance(date, str) else None,
            "appearances": _urls(item.get("appearance")) if item.get("appearance") else [],
            "first_appearance": first[0] if first else None,
        }
    )


def iter_claimreviews(data: Any) -> Iterator[dict[str, Any]]:
    """ClaimReview objects from a JSON-LD document: one object, a list, or an @graph."""
    if isinstance(data, list):
        for item in data:
            yield from iter_claimreviews(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from iter_claimreviews(data["@graph"])
        else:
            yield data
