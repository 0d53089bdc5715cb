"""Source tracing over stored posts: load a claim's or a post's cascades and trace them.

1. Select: for a claim, the posts matched to it (independent roots of one rumour); for a post,
   the post itself.
2. Expand: every post in the same cascades (same platform and root), in bulk queries.
3. Trace: the tracing engine builds trees, first posters, roles and reach (no recursion).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from rumordesk.domain.access import Principal
from rumordesk.domain.errors import NotFound, ValidationFailed
from rumordesk.services.claims import get_claim
from rumordesk.store.ingest_models import Post, PostMatch
from rumordesk.tracing import Cascade, ClaimTrace, PostNode, trace_claim

ROOT_CHUNK = 400


_NODE_COLUMNS = (
    Post.id,
    Post.external_id,
    Post.platform,
    Post.account,
    Post.kind,
    Post.parent_external_id,
    Post.created_at,
    Post.root_external_id,
)


def _cascade_nodes(session: Session, roots: Iterable[tuple[str, str]]) -> list[PostNode]:
    """Nodes of every post whose (platform, root) is one of ``roots``, plus the roots themselves.

    Only the columns tracing needs are read (no ORM objects, no texts): loading dominates the
    cost of tracing a big cascade.
    """
    wanted = sorted(set(roots))
    nodes: dict[int, PostNode] = {}
    for start in range(0, len(wanted), ROOT_CHUNK):
        chunk = wanted[start : start + ROOT_CHUNK]
        in_tree = tuple_(Post.platform, Post.root_external_id).in_(chunk)
        is_root = tuple_(Post.platform, Post.external_id).in_(chunk)
        for row in session.execute(select(*_NODE_COLUMNS).where(in_tree | is_root)):
            nodes[row[0]] = PostNode(
                post_id=row[1],
                platform=row[2],
                account=row[3],
                kind=row[4],
                parent_id=row[5],
                created_at=row[6],
                root_id=row[7],
            )
    return list(nodes.values())


def claim_nodes(session: Session, claim_id: str, *, include_review: bool = False) -> list[PostNode]:
    """Every post in every cascade that contains a post matched to ``claim_id``."""
    decisions = ("match", "review") if include_review else ("match",)
    stmt = (
        select(Post.platform, Post.root_external_id, Post.external_id)
        .join(PostMatch, PostMatch.post_id == Post.id)
        .where(PostMatch.claim_id == claim_id, PostMatch.decision.in_(decisions))
    )
    roots: set[tuple[str, str]] = set()
    for platform, root, external_id in session.execute(stmt):
        roots.add((platform, root or external_id))
    return _cascade_nodes(session, roots)


def find_post(session: Session, post_id: str, platform: str | None) -> Post:
    """A stored post by its platform id; the platform may be omitted when the id is unique."""
    stmt = select(Post).where(Post.external_id == post_id)
    if platform:
        stmt = stmt.where(Post.platform == platform)
    found = session.scalars(stmt.limit(2)).all()
    if not found:
        where = f" on platform '{platform}'" if platform else ""
        raise NotFound(f"no post '{post_id}'{where}")
    if len(found) > 1:
        raise ValidationFailed(
            f"post id '{post_id}' exists on several platforms; give the platform"
        )
    return found[0]


def post_nodes(session: Session, post: Post) -> tuple[str, list[PostNode]]:
    """The root id of the post's cascade and every post in it."""
    root = post.root_external_id or post.external_id
    return root, _cascade_nodes(session, [(post.platform, root)])


def trace_claim_view(
    *,
    session: Session,
    principal: Principal,
    claim_id: str,
    top: int = 20,
    include_review: bool = False,
) -> ClaimTrace:
    """The trace of a claim over every cascade that repeats it."""
    claim = get_claim(session=session, principal=principal, claim_id=claim_id)
    nodes = claim_nodes(session, claim.id, include_review=include_review)
    return trace_claim(nodes, top=top)


def cascade_view(
    *, session: Session, post_id: str, platform: str | None = None, top: int = 20
) -> tuple[ClaimTrace, Cascade]:
    """The cascade containing a post, with the trace it belongs to (for GraphML and SVG)."""
    post = find_post(session, post_id, platform)
    _, nodes = post_nodes(session, post)
    trace = trace_claim(nodes, top=top)
    return trace, trace.cascade_of(post.external_id)
