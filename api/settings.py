"""The API's settings, from the environment (ORGGRAPH_*) or given to :func:`orggraph.api.create_app`."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """One place for every setting; each can come from an ``ORGGRAPH_`` environment variable."""

    model_config = SettingsConfigDict(env_prefix="ORGGRAPH_", extra="ignore")

    db: str = "orggraph.db"
    server: str | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None
    #: seconds a change waits for another write to the store (on the store file, a load from the command
    #: line, say; on a graph server, another orggraph writer) before the API answers 503 with Retry-After
    write_wait: float = 10.0
    #: seconds a request waits on the store (a graph server that is slow, or frozen and never answers)
    #: before it answers 503 with Retry-After; also how long start-up waits for the store
    store_deadline: Annotated[float, Field(gt=0)] = 30.0
    #: the largest request body accepted, in bytes
    max_body_bytes: int = 10 * 1024 * 1024
    #: a workbook sent to ``POST /import`` is refused (413) past any of these: rows of records a sheet,
    #: the last column a cell may be in, seconds to read it, bytes of one part (a sheet) unzipped
    import_max_rows: int = 100_000
    import_max_columns: int = 200
    import_max_seconds: float = 60.0
    import_max_part_bytes: int = 64 * 1024 * 1024
    #: the folder where the workbench keeps an upload between its dry run and its confirmation (at most an
    #: hour), one the server's user alone may open; by default ``orggraph-uploads-UID`` in the system's
    #: temporary folder. Every process of one server (``--workers``) must see the same folder.
    upload_dir: str | None = None
    #: the web origins (``scheme://host[:port]``) whose pages may call the API from a browser (CORS);
    #: none by default. ``ORGGRAPH_CORS_ORIGINS`` takes them separated by commas.
    cors_origins: Annotated[list[str], NoDecode] = []
    #: free-form properties declared non-personal: shown to every token, never audited (a property named
    #: as a phone, an address or an id-card number stays personal). ``ORGGRAPH_PUBLIC_PROPERTIES`` takes
    #: them separated by commas.
    public_properties: Annotated[list[str], NoDecode] = []
    #: the share of households each area should have covered, the line the workbench draws each area's bar
    #: against: 1.0, every household, as the street reports ask (全覆盖)
    coverage_target: Annotated[float, Field(gt=0, le=1)] = 1.0

    @field_validator("public_properties", mode="before")
    @classmethod
    def _public(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [origin.strip() for origin in value.split(",") if origin.strip()]
        for origin in value if isinstance(value, list) else []:
            if not isinstance(origin, str) or not (origin == "*" or re.fullmatch(r"https?://[^/\s?#]+", origin)):
                raise ValueError(f"{origin!r} is not an origin: scheme://host[:port], with no path, or *")
        return value
