"""The composition root: builds storage, policy and engines from Settings, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from rumordesk.config import Settings
from rumordesk.domain.policy import Policy, load_policy
from rumordesk.services.claims import CHANGED_CLAIMS
from rumordesk.store.db import make_engine, make_session_factory
from rumordesk.store.migrate import upgrade

if TYPE_CHECKING:
    from rumordesk.services.matching import MatchingService

LibraryListener = Callable[[set[str]], None]


@dataclass
class Rumordesk:
    """Everything a process needs, wired from settings: use :func:`build`."""

    settings: Settings
    policy: Policy
    engine: Engine
    sessions: sessionmaker[Session]
    library_listeners: list[LibraryListener] = field(default_factory=list)
    _matching: MatchingService | None = None

    @property
    def matching(self) -> MatchingService:
        """The live match index service, created on first use and kept current on commits."""
        if self._matching is None:
            from rumordesk.services.matching import MatchingService

            self._matching = MatchingService(self)
            self.on_library_change(self._matching.on_library_change)
        return self._matching

    def on_library_change(self, listener: LibraryListener) -> None:
        """Call ``listener(claim_ids)`` after each commit that changed claims."""
        self.library_listeners.append(listener)

    def _after_commit(self, session: Session) -> None:
        changed = session.info.pop(CHANGED_CLAIMS, None)
        if changed:
            for listener in self.library_listeners:
                listener(set(changed))

    def close(self) -> None:
        """Save live index changes not saved yet, then release database connections."""
        if self._matching is not None:
            self._matching.flush()
        self.engine.dispose()


def _discard_changes(session: Session, *_: Any) -> None:
    session.info.pop(CHANGED_CLAIMS, None)


def build(settings: Settings | None = None, *, migrate: bool = False) -> Rumordesk:
    """Wire a Rumordesk from settings; ``migrate`` brings the schema up to date first."""
    settings = settings or Settings()
    policy = load_policy(settings.policy_file)
    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    desk = Rumordesk(settings=settings, policy=policy, engine=engine, sessions=sessions)
    event.listen(sessions, "after_commit", desk._after_commit)
    event.listen(sessions, "after_rollback", _discard_changes)
    return desk
