"""Changing the network: a bulk import, all or nothing, validated like a load and kept to the token's scope."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from ..access import Scope, load_within
from ..io import read_file
from ..load import LoadReport
from .deps import ScopeDep, StoreDep, require_role

__all__ = ["router", "import_into"]

router = APIRouter(tags=["import"], dependencies=[require_role("editor", "admin")])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SUFFIX = {"application/json": ".json", "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl", XLSX: ".xlsx"}


@router.post(
    "/import",
    summary="Add or change records: a JSON document, JSON Lines or an Excel workbook (台账), all or nothing",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {
            "type": "object",
            "properties": {
                "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "kind"]}},
                "edges": {"type": "array", "items": {"type": "object", "required": ["type", "source", "target"]}}},
            "anyOf": [{"required": ["nodes"]}, {"required": ["edges"]}]}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }}},
)
async def import_records(request: Request, store: StoreDep, scope: ScopeDep,
                         dry_run: Annotated[bool, Query(description="Make every check and write nothing")] = False,
                         ) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _SUFFIX:
        raise HTTPException(415, f"send {', '.join(_SUFFIX)}; got {media or 'no content type'}")
    body = await request.body()
    report = await run_in_threadpool(import_into, store, scope, body, _SUFFIX[media], dry_run)
    return report.as_dict()


def import_into(store: Any, scope: Scope, body: bytes, suffix: str, dry_run: bool = False) -> LoadReport:
    """Read an upload and load it, all or nothing: invalid records are InvalidRecords (422), records
    reaching outside the scope are OutsideScope (403); either way nothing is written, nor with dry_run."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "import" + suffix)
        with open(path, "wb") as out:
            out.write(body)
        items = list(read_file(path, progress=False))
    return load_within(store, scope, items, dry_run=dry_run)
