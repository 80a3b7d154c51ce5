"""The app factory: opens the store on start-up (or as soon as its server can be reached), closes it on shutdown."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from ..store import Store
from . import errors
from .db import Deadline, Link
from .routes_admin import router as admin_router
from .routes_changes import history_router
from .routes_changes import router as changes_router
from .routes_health import router as health_router
from .routes_import import router as import_router
from .routes_incidents import router as incidents_router
from .routes_nodes import KINDS, edges_router, router_for
from .routes_questions import router as questions_router
from .routes_records import router as records_router
from .routes_robustness import router as robustness_router
from .schemas import ERROR_RESPONSES
from .settings import Settings
from . import web

__all__ = ["create_app", "prepare"]

log = logging.getLogger("orggraph.api")


class BodyLimit:
    """Refuse request bodies over a size, declared (Content-Length) or streamed, with a 413.

    A plain ASGI middleware: it costs a request next to nothing, where an ``@app.middleware("http")``
    function runs each request in a task of its own.
    """

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    async def _refuse(self, scope: dict, receive: Any, send: Any) -> None:
        if web.is_page(scope):  # a form the workbench sent: answered as a page, in Chinese
            return await web.too_large_page(scope, self.max_bytes)(scope, receive, send)
        await errors.error(413, self._message())(scope, receive, send)


def prepare(app: FastAPI, store: Store | None, settings: Settings) -> None:
    """Put what the routes read into the app's state: the store (None until it can be reached, see
    :class:`~orggraph.api.db.Link`), the settings and empty caches (what the lifespan does on start-up; a
    test that drives the app without it calls this)."""
    app.state.store = store
    app.state.settings = settings
    app.state.link = Link(app.state, settings)
    app.state.scopes = {}  # each token's scope, by token and revision
    app.state.coverage = {}  # the whole network's coverage, by revision, day and members unavailable
    app.state.gaps = {}  # the whole network's gaps, by revision, day, members unavailable and thresholds


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The API for one store: the settings' store (embedded or a server), or one handed in."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        prepare(app, store, settings)
        if own:  # a graph server out of reach does not stop the API; a mistake in the settings does
            await app.state.link.start()
        log.info("orggraph API ready")  # never a record: nothing personal goes to the logs
        try:
            yield
        finally:
            app.state.link.close()
            if own and app.state.store is not None:
                app.state.store.close()

    # /docs and /redoc with Swagger UI and ReDoc served from the package, not from a CDN: street offices'
    # networks often reach no further than the server
    app = FastAPIOffline(
        title="orggraph", version="0.1.0", lifespan=lifespan, static_url="/docs/assets",
        description="The grassroots organizational network: coverage, 包保 chains, gaps, incidents. "
                    "Every request but /health needs a bearer token; a token sees only what lies within its areas.")
    errors.install(app)

    app.add_middleware(Deadline, seconds=settings.store_deadline)  # outside CatchAll, inside the body limit and CORS
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # outermost, so that refusals carry the headers too and preflights need no token
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_headers=["Authorization", "Content-Type"],
                           allow_methods=["GET", "POST", "PUT", "DELETE"], expose_headers=["Content-Disposition"], max_age=600)

    # the questions first: a request is matched against the routes in order, and chains are the most asked
    for router in [questions_router, incidents_router, robustness_router, records_router, *(router_for(segment) for segment in KINDS),
                   edges_router, import_router,
                   changes_router, history_router, admin_router, health_router]:
        app.include_router(router, responses=ERROR_RESPONSES)
    web.install(app)  # the pages: at /, after the API's routes, none of whose paths they share
    return app
