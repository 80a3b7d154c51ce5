"""Every error the API returns has one shape: {"error": {"status", "code", "message", "details"}}."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from ..access import AccessError, IdTaken, OutsideScope
from ..exceptions import ChangeRefused, InvalidRecords, NotFound, OrgGraphError, StoreBusy, StoreUnavailable
from ..privacy import mask_text

__all__ = ["install", "error", "CatchAll"]

log = logging.getLogger("orggraph.api")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict",
          413: "too_large", 415: "unsupported_media_type", 422: "invalid", 500: "internal", 503: "unavailable"}


def error(status: int, message: str, details: list[Any] | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape. Every text in it has phone- and id-card-shaped numbers masked, whatever put
    them there (a message that names a value, an id the caller sent)."""
    details = [{k: mask_text(v) if isinstance(v, str) else v for k, v in d.items()} if isinstance(d, dict) else d
               for d in details or []]
    body = {"error": {"status": status, "code": _CODES.get(status, "error"), "message": mask_text(message),
                      "details": details}}
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, headers=headers or None)


def _paths(app: FastAPI) -> list[tuple[Any, list[str]]]:
    """Each documented path as a pattern, with its methods (worked out once)."""
    if not hasattr(app.state, "allow"):
        app.state.allow = [(compile_path(path)[0], list(ops)) for path, ops in app.openapi()["paths"].items()]
    return app.state.allow


class CatchAll:
    """Any exception no handler took becomes a 500 in the one error shape, never a plain-text page.

    Logged by its type and where it was raised, never its message, which may hold a record's data. A plain
    ASGI middleware inside Starlette's own, which would answer in plain text and log the message.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def sending(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:  # noqa: BLE001  (the point: whatever it is)
            frames = "".join(traceback.format_tb(exc.__traceback__)[-8:])
            log.error("unexpected %s on %s %s; nothing personal is logged, only where it was raised:\n%s",
                      type(exc).__name__, scope.get("method"), scope.get("path"), frames)
            if started:  # too late to answer otherwise: end the connection
                raise
            await error(500, "the server failed unexpectedly; see its log")(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(CatchAll)

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Allow names every method of the path, not only the first route's
            methods = sorted({m.upper() for pattern, ops in _paths(request.app) if pattern.match(request.url.path)
                              for m in ops})
            headers = {"Allow": ", ".join(methods)} if methods else headers
        return error(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # where and what only: never the input pydantic carries, which may be a person's data
        details = [{"where": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return error(422, "the request is not valid", details)

    @app.exception_handler(InvalidRecords)
    async def records(_: Request, exc: InvalidRecords) -> JSONResponse:
        details = [{"where": e.where, "field": e.field, "message": e.message} for e in exc.errors]
        return error(422, f"{exc.total} problem(s) in the input; nothing was written", details)

    @app.exception_handler(NotFound)
    async def missing(_: Request, exc: NotFound) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(OutsideScope)
    async def outside(_: Request, exc: OutsideScope) -> JSONResponse:
        details = [{"where": e.where, "field": e.field, "message": e.message} for e in exc.errors[:100]]
        return error(403, f"{len(exc.errors)} record(s) reach outside the token's areas; nothing was written", details)

    @app.exception_handler(IdTaken)
    async def taken(_: Request, exc: IdTaken) -> JSONResponse:
        details = [{"where": e.where, "field": e.field, "message": e.message} for e in exc.errors[:100]]
        return error(409, f"{len(exc.errors)} id(s) taken; nothing was written", details)

    @app.exception_handler(ChangeRefused)
    async def refused(_: Request, exc: ChangeRefused) -> JSONResponse:
        details = [{"message": p} for p in exc.problems[:100]]
        return error(422, f"{len(exc.problems)} problem(s) with the change; nothing was written", details)

    @app.exception_handler(AccessError)
    async def access(_: Request, exc: AccessError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(ValueError)
    async def value(_: Request, exc: ValueError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(StoreBusy)
    async def busy(_: Request, exc: StoreBusy) -> JSONResponse:
        log.warning("a write gave up waiting for the store: another write held it too long")
        return error(503, "the store is busy with another change (a load or an import); nothing was written; "
                          "try again in a few seconds", headers={"Retry-After": "5"})

    @app.exception_handler(StoreUnavailable)
    async def unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("the store cannot be reached: %s", exc)  # where the server is; nothing personal
        return error(503, "the store cannot be reached now; try again shortly", headers={"Retry-After": "5"})

    @app.exception_handler(OrgGraphError)
    async def other(request: Request, exc: OrgGraphError) -> JSONResponse:
        log.error("%s from the store on %s %s", type(exc).__name__, request.method, request.url.path)
        return error(500, "the store failed; see the server's log")
