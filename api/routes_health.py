"""Health: whether the API is up and its store answers, for load balancers and monitoring; no token."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from .deps import StoreDep
from .schemas import HealthPublic

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", summary="Whether the API is up and its store answers (503 if not); needs no token, names nothing",
            response_model=HealthPublic)
async def health(store: StoreDep) -> HealthPublic:
    await run_in_threadpool(lambda: store.revision)  # one small read; StoreUnavailable becomes a 503
    return HealthPublic(status="ok")
