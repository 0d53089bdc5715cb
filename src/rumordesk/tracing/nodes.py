"""The input of source tracing: one post of a rumour's propagation graph, storage-free.

The lead engineer's storage and ingestion layers turn stored posts into ``PostNode`` values; the
engine never sees a database row. A node names its parent by id only, so nodes may arrive in any
order and a parent may be missing altogether (the engine then makes the node a provisional root).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

ORIGINAL: Final = "original"
REPOST: Final = "repost"
QUOTE: Final = "quote"
COMMENT: Final = "comment"
REPLY: Final = "reply"

#: Every kind the engine accepts, in the order of their integer codes.
KINDS: Final[tuple[str, ...]] = (ORIGINAL, REPOST, QUOTE, COMMENT, REPLY)
#: Kinds that push the rumour on to the poster's audience: they count as reposts and give reach.
AMPLIFYING: Final[frozenset[str]] = frozenset({REPOST, QUOTE})
#: Kinds that discuss the rumour under a post without re-broadcasting it.
DISCUSSING: Final[frozenset[str]] = frozenset({COMMENT, REPLY})


class TracingInputError(ValueError):
    """A node the engine cannot trace (naive timestamp, unknown kind); says which and why."""


@dataclass(frozen=True)
class PostNode:
    """One post: who posted what kind of post, when, and in answer to which parent post."""

    post_id: str
    platform: str
    account: str
    kind: str  # "original" | "repost" | "comment" | "reply" | "quote"
    parent_id: str | None
    created_at: datetime  # timezone-aware UTC
    root_id: str | None = None
