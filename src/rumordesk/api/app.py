"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from rumordesk import __version__
from rumordesk.api.errors import install_error_handlers, problem
from rumordesk.api.routers import (
    claims,
    events,
    matching,
    organisations,
    posts,
    queue,
    sweeps,
    tracing,
)
from rumordesk.composition import Rumordesk
from rumordesk.services.sweeps import install_sweep_trigger

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]],
    Awaitable[None],
]


class BodySizeLimit:
    """Reject request bodies over ``limit`` bytes with 413, whether or not Content-Length is set."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Any, receive: Any, send: Any) -> None:
        resp = problem(
            413, "Request body too large", f"request bodies are limited to {self.limit} bytes"
        )
        await resp(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(desk: Rumordesk) -> FastAPI:
    """Build the API around an already-wired Rumordesk."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        desk.matching.flush()  # live index changes not saved yet

    app = FastAPI(
        lifespan=lifespan,
        title="rumordesk API",
        version=__version__,
        description="Rumour library, matching, monitoring and tracing. Authenticate with "
        "`Authorization: Bearer <API key>` or `X-API-Key`.",
    )
    app.state.desk = desk
    install_error_handlers(app)
    app.include_router(tracing.router)
    app.include_router(claims.router)
    app.include_router(organisations.router)
    app.include_router(matching.router)
    for ingest_router in (events.router, posts.router, queue.router, sweeps.router):
        app.include_router(ingest_router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok", "version": __version__}

    # the index listener must run before the sweep trigger so a sweep sees the new claim
    matching_service = desk.matching
    app.state.sweep_runner = install_sweep_trigger(desk, matching_service)
    app.add_middleware(BodySizeLimit, limit=desk.settings.max_body_bytes)
    return app
