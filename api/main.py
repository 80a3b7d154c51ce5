"""The app factory: opens the store on start-up, closes it on shutdown."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request

from ..store import open_store
from . import errors
from .routes_admin import router as admin_router
from .routes_import import router as import_router
from .routes_nodes import KINDS, edges_router, router_for
from .routes_questions import router as questions_router
from .schemas import ERROR_RESPONSES
from .settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("orggraph.api")


def create_app(settings: Settings | None = None, store: Any = None) -> FastAPI:
    """The API for one store: the settings' store (embedded or a server), or one handed in."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store or open_store(settings.db, server=settings.server, user=settings.user,
                                              password=settings.password, database=settings.database)
        app.state.settings = settings
        app.state.scopes = {}
        log.info("orggraph API ready")  # never a record: nothing personal goes to the logs
        try:
            yield
        finally:
            if own:
                app.state.store.close()

    app = FastAPI(title="orggraph", version="0.1.0", lifespan=lifespan,
                  description="The grassroots organizational network: coverage, 包保 chains, gaps, incidents. "
                              "Every request needs a bearer token; a token sees only what lies within its areas.")
    errors.install(app)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > settings.max_body_bytes:
            return errors.error(413, f"the request body is larger than {settings.max_body_bytes} bytes")
        return await call_next(request)

    for router in [*(router_for(segment) for segment in KINDS), edges_router, questions_router, import_router,
                   admin_router]:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
