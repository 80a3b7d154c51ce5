"""The web workbench: pages in Chinese at ``/``, over the same library, scopes, masking and audit as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from .core import too_large_page
from .coverage import router as coverage_router
from .problems import router as problems_router
from .records import router as records_router
from .emergency import router as emergency_router
from .session import router as session_router
from .upload import router as upload_router

__all__ = ["install", "is_page", "too_large_page"]

STATIC = Path(__file__).parent / "static"


#: every page's router, in the order a request is matched against them
ROUTERS = [session_router, coverage_router, records_router, problems_router, emergency_router, upload_router]


def is_page(scope: dict) -> bool:
    """Whether a request goes to one of the pages (which answer in Chinese HTML), not to the API."""
    return any(route.path_regex.match(scope["path"]) for router in ROUTERS for route in router.routes)


def install(app: FastAPI) -> None:
    """Add the pages and their stylesheet and script (served from the package: nothing from another host)."""
    pages = APIRouter(include_in_schema=False)
    for router in ROUTERS:
        pages.include_router(router)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
