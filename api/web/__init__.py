"""The web workbench: pages in Chinese at ``/``, over the same library, scopes, masking and audit as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from .coverage import router as coverage_router
from .emergency import router as emergency_router
from .session import router as session_router

__all__ = ["install"]

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the pages and their stylesheet and script (served from the package: nothing from another host)."""
    pages = APIRouter(include_in_schema=False)
    for router in [session_router, coverage_router, emergency_router]:
        pages.include_router(router)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
