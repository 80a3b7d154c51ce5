"""The API's settings, from the environment (ORGGRAPH_*) or given to :func:`orggraph.api.create_app`."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """One place for every setting; each can come from an ``ORGGRAPH_`` environment variable."""

    model_config = SettingsConfigDict(env_prefix="ORGGRAPH_", extra="ignore")

    db: str = "orggraph.db"
    server: str | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None
    #: the most items one page of a list holds
    max_page_size: int = 500
    #: the largest request body accepted, in bytes
    max_body_bytes: int = 10 * 1024 * 1024
