"""Request dependencies: the wired Rumordesk, a database session and the calling principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from rumordesk.composition import Rumordesk
from rumordesk.domain.access import Principal
from rumordesk.services.organisations import authenticate


def get_desk(request: Request) -> Rumordesk:
    """The Rumordesk this app was created with."""
    desk: Rumordesk = request.app.state.desk
    return desk


def get_session(desk: Annotated[Rumordesk, Depends(get_desk)]) -> Iterator[Session]:
    """A session whose transaction commits when the handler returns without error."""
    with desk.sessions() as session, session.begin():
        yield session


def get_principal(
    desk: Annotated[Rumordesk, Depends(get_desk)],
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """Authenticate the API key from ``Authorization: Bearer`` or ``X-API-Key``."""
    secret = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:].strip()
    with desk.sessions() as session:
        return authenticate(session=session, secret=secret)


DeskDep = Annotated[Rumordesk, Depends(get_desk)]
SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
