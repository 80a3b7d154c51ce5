"""Health: whether the API is up and its store answers, for load balancers and monitoring; no token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .db import RETRY_AFTER
from .deps import LinkDep
from .errors import error
from .schemas import HealthPublic

__all__ = ["router", "HEALTH_WAIT"]

router = APIRouter(tags=["health"])

#: the longest ``/health`` waits for the store to answer, in seconds (less if the request deadline is less)
HEALTH_WAIT = 2.0

_SAID = {"unavailable": "the store cannot be reached now; try again shortly",
         "unknown": "the store has not answered within {seconds:g} s; it may be busy or stopped"}


@router.get("/health", response_model=HealthPublic,
            summary="Whether the API is up and its store answers (503 if not, within two seconds whatever the "
                    "store does); needs no token, names nothing")
async def health(request: Request, link: LinkDep) -> HealthPublic | JSONResponse:
    seconds = min(HEALTH_WAIT, request.app.state.settings.store_deadline)
    state = await link.probe(seconds)  # one small read, never waited for longer than this
    if state == "ok":
        return HealthPublic(status="ok")
    return error(503, _SAID[state].format(seconds=seconds), [{"store": state}],
                 headers={"Retry-After": str(RETRY_AFTER)})
