"""/v1/match: match one item or a batch of up to 1,000 against the library."""

from __future__ import annotations

import base64
import binascii
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rumordesk.api.deps import DeskDep, PrincipalDep
from rumordesk.domain.access import Action
from rumordesk.domain.errors import ValidationFailed
from rumordesk.services.matching_contract import ContentItem

router = APIRouter(prefix="/v1", tags=["matching"])


class MatchItem(BaseModel):
    """One post, comment or query: text and/or a base64-encoded image."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=20_000)
    lang: str | None = Field(default=None, max_length=16)
    image_base64: str | None = Field(default=None, max_length=8_000_000)

    @model_validator(mode="after")
    def _something(self) -> MatchItem:
        if not (self.text and self.text.strip()) and not self.image_base64:
            raise ValueError("give 'text' or 'image_base64'")
        return self


class MatchRequest(BaseModel):
    """Either one item's fields at the top level, or ``items`` (at most 1,000)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    text: str | None = Field(default=None, max_length=20_000)
    lang: str | None = None
    image_base64: str | None = None
    items: list[MatchItem] | None = Field(default=None, min_length=1, max_length=1000)
    top_k: int = Field(default=5, ge=1, le=50)
    include_no_match: bool = False

    @model_validator(mode="after")
    def _one_or_many(self) -> MatchRequest:
        if self.items is None and not (self.text and self.text.strip()) and not self.image_base64:
            raise ValueError("give 'text' or 'image_base64', or a list of 'items'")
        return self

    def all_items(self) -> list[MatchItem]:
        if self.items is not None:
            if self.text or self.image_base64:
                raise ValidationFailed("send either 'items' or a single item's fields, not both")
            return self.items
        return [
            MatchItem(id=self.id, text=self.text, lang=self.lang, image_base64=self.image_base64)
        ]


def _image_file(stack: ExitStack, data: str, index: int) -> str:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"items.{index}.image_base64: not valid base64") from None
    handle = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".img"))
    handle.write(raw)
    handle.flush()
    try:
        with Image.open(handle.name) as img:
            img.verify()  # the header and structure, without decoding the pixels
    except (OSError, SyntaxError, ValueError):
        raise ValidationFailed(f"items.{index}.image_base64: not a readable image") from None
    return str(Path(handle.name))


@router.post("/match")
async def match(body: MatchRequest, desk: DeskDep, principal: PrincipalDep) -> Any:
    """Which library claims does each item repeat? Scores are calibrated in [0, 1]; each match
    says which layers fired, their scores and the matched spans."""
    principal.require(Action.READ)
    items = body.all_items()
    with ExitStack() as stack:
        content = [
            ContentItem(
                key=item.id or str(i),
                text=item.text,
                lang=item.lang,
                image_path=_image_file(stack, item.image_base64, i) if item.image_base64 else None,
            )
            for i, item in enumerate(items)
        ]
        try:
            results = await run_in_threadpool(
                desk.matching.match_items,
                content,
                top_k=body.top_k,
                include_no_match=body.include_no_match,
            )
        except OSError as exc:  # an image that passed the check but cannot be decoded
            if not any(item.image_path for item in content):
                raise
            raise ValidationFailed(f"an image could not be read: {exc}") from None
    rows = [
        {"id": item.key, "matches": [m.to_dict() for m in matches]}
        for item, matches in zip(content, results, strict=True)
    ]
    return rows[0] if body.items is None else {"results": rows}
