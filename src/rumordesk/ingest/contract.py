"""The event contract: one JSON object per event (see docs/events.md; keep it stable).

Four event types share one parser: ``post``, ``account``, ``exposure`` and ``search``. Parsing
never raises on junk input; it returns the event or a list of problems that name the event
(its index in the batch and its id when it has one) and the field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

MAX_ID = 200
NAIVE_MESSAGE = (
    "timestamp has no UTC offset; send ISO 8601 with an offset, e.g. 2024-05-01T12:00:00+08:00 "
    "or 2024-05-01T04:00:00Z"
)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(NAIVE_MESSAGE)
    return value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_aware_utc)]
Ident = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
PostKind = Literal["original", "repost", "comment", "reply", "quote"]
SHARE_KINDS: frozenset[str] = frozenset({"repost", "quote"})
COMMENT_KINDS: frozenset[str] = frozenset({"comment", "reply"})


class _Event(BaseModel):
    # Unknown fields are ignored so producers can add fields without breaking ingestion.
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class Metrics(_Event):
    """Counters a platform reports with a post (all optional)."""

    followers: int | None = Field(default=None, ge=0)
    reposts: int | None = Field(default=None, ge=0)
    likes: int | None = Field(default=None, ge=0)
    views: int | None = Field(default=None, ge=0)


class PostEvent(_Event):
    """A post, repost, comment, reply or quote."""

    type: Literal["post"]
    id: Ident
    platform: Ident
    account: Ident
    kind: PostKind
    parent_id: Ident | None = None
    root_id: Ident | None = None
    text: str | None = Field(default=None, max_length=100_000)
    images: list[str] | None = Field(default=None, max_length=50)
    created_at: Timestamp
    group_id: Ident | None = None
    metrics: Metrics | None = None

    @model_validator(mode="after")
    def _linked(self) -> PostEvent:
        if self.kind == "original" and self.parent_id is not None:
            raise ValueError("an 'original' post has no parent_id")
        if self.kind != "original" and self.parent_id is None and self.root_id is None:
            raise ValueError(f"a '{self.kind}' needs parent_id (or at least root_id)")
        return self

    @property
    def key(self) -> str:
        """Idempotency key: the platform's own id."""
        return f"{self.platform}:{self.id}"


class AccountEvent(_Event):
    """What is known about an account (the latest event wins)."""

    type: Literal["account"]
    id: Ident
    platform: Ident
    name: str | None = Field(default=None, max_length=500)
    followers: int | None = Field(default=None, ge=0)
    verified: bool | None = None
    created_at: Timestamp | None = None

    @property
    def key(self) -> str:
        """Idempotency key: the platform's account id."""
        return f"{self.platform}:{self.id}"


class ExposureEvent(_Event):
    """An account saw or engaged with a post."""

    type: Literal["exposure"]
    platform: Ident
    account: Ident
    post_id: Ident
    action: Literal["view", "like", "share", "comment"]
    at: Timestamp

    @property
    def key(self) -> str:
        """Deterministic key (exposures carry no id): hash of the canonical event."""
        return canonical_key(self)


class SearchEvent(_Event):
    """A search query typed on the platform (matched, so search interception can work)."""

    type: Literal["search"]
    platform: Ident
    account: Ident | None = None
    query: str = Field(min_length=1, max_length=2_000)
    at: Timestamp

    @property
    def key(self) -> str:
        """Deterministic key (searches carry no id): hash of the canonical event."""
        return canonical_key(self)


Event = PostEvent | AccountEvent | ExposureEvent | SearchEvent
_ADAPTER: TypeAdapter[Event] = TypeAdapter(Annotated[Event, Field(discriminator="type")])


def canonical_key(event: BaseModel) -> str:
    """SHA-256 of the event's canonical JSON (sorted keys, UTC times): same event, same key."""
    body = orjson.dumps(event.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class EventProblem:
    """Why one event was rejected: which event (index, id) and which field."""

    index: int
    event_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        who = f"event {self.index}" + (f" (id '{self.event_id}')" if self.event_id else "")
        return f"{who}: {self.field}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "id": self.event_id,
            "field": self.field,
            "message": self.message,
        }


def _event_id(raw: object) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("id", raw.get("post_id"))
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:MAX_ID]
    return None


def _message(err: Any) -> str:
    msg = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    if "error" in ctx and isinstance(ctx["error"], ValueError):
        return str(ctx["error"])
    return msg.removeprefix("Value error, ")


def parse_event(raw: object, index: int = 0) -> Event | list[EventProblem]:
    """Validate one decoded JSON value; never raises for bad input."""
    if not isinstance(raw, dict):
        return [EventProblem(index, None, "(event)", "an event must be a JSON object")]
    kind = raw.get("type")
    if kind not in ("post", "account", "exposure", "search"):
        return [
            EventProblem(
                index, _event_id(raw), "type", "must be one of post, account, exposure, search"
            )
        ]
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"][1:]]  # drop the discriminator tag
            problems.append(
                EventProblem(index, _event_id(raw), ".".join(loc) or "(event)", _message(err))
            )
        return problems
    except (TypeError, ValueError, RecursionError) as exc:
        return [EventProblem(index, _event_id(raw), "(event)", f"unreadable: {exc}")]


def parse_line(line: str | bytes, index: int = 0) -> Event | list[EventProblem]:
    """Decode and validate one JSONL line."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return [EventProblem(index, None, "(json)", f"invalid JSON: {exc}")]
    return parse_event(raw, index)


def parse_many(
    raws: Sequence[object], start: int = 0
) -> tuple[list[tuple[int, Event]], list[EventProblem]]:
    """Validate a batch: the valid events with their indexes, and every problem found."""
    good: list[tuple[int, Event]] = []
    bad: list[EventProblem] = []
    for offset, raw in enumerate(raws):
        result = parse_event(raw, start + offset)
        if isinstance(result, list):
            bad.extend(result)
        else:
            good.append((start + offset, result))
    return good, bad
