"""Changing the network: a bulk import, all or nothing, validated like a load and kept to the token's scope."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated, Iterator

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..access import IdTaken, Scope, load_within
from ..io import BadMapping, Limits, Mapping, Summary, WorkbookTooLarge, read_file, read_mapping
from ..load import Item, LoadReport
from ..store import Store
from .deps import ScopeDep, StoreDep, TokenDep, require_role
from .errors import error
from .schemas import DryRunReport, ImportReport
from .settings import Settings

__all__ = ["router", "import_into", "limits_of", "setting_of"]

router = APIRouter(tags=["import"], dependencies=[require_role("editor", "admin")])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SUFFIX = {"application/json": ".json", "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl", XLSX: ".xlsx"}


@router.post(
    "/import",
    response_model=ImportReport | DryRunReport,
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
async def import_records(request: Request, store: StoreDep, token: TokenDep, scope: ScopeDep,
                         dry_run: Annotated[bool, Query(description="Make every check and write nothing")] = False,
                         mapping: Annotated[str | None, Query(
                             max_length=20_000,
                             description="How to read a register (台账) whose headers are not built in: the "
                                         "mapping's TOML text (see the README's section on registers); without "
                                         "it, a register is read by the built-in names")] = None,
                         ) -> ImportReport | DryRunReport | Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _SUFFIX:
        raise HTTPException(415, f"send {', '.join(_SUFFIX)}; got {media or 'no content type'}")
    if mapping is not None and _SUFFIX[media] != ".xlsx":
        raise HTTPException(415, "a mapping reads a register: send it with an Excel workbook (.xlsx)")
    try:
        read = read_mapping(mapping, "the mapping") if mapping is not None else None
    except BadMapping as exc:
        return error(422, str(exc), [{"where": "mapping", "message": str(exc)}])
    limits = limits_of(request.app.state.settings)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "upload" + _SUFFIX[media])  # errors name the file by this name only
        with open(path, "wb") as out:  # to a file as it arrives, not held whole in memory
            async for chunk in request.stream():
                out.write(chunk)
        registers: list[Summary] = []
        try:
            report = await run_in_threadpool(import_into, store, scope, path, dry_run, limits, f"token:{token.id}",
                                             read, registers)
        except WorkbookTooLarge as exc:
            setting = setting_of(exc)
            return error(413, f"{exc}; nothing was written", [
                {"where": exc.where, "limit": exc.limit, "maximum": exc.maximum, "setting": setting}])
    return (DryRunReport if dry_run else ImportReport)(**report.as_dict(),
                                                      registers=[r.as_dict() for r in registers])


def limits_of(settings: Settings) -> Limits:
    """The limits a workbook sent to the server is read within (``POST /import`` and the workbench's 导入
    page alike), from the settings' ``import_max_*``."""
    return Limits(rows=settings.import_max_rows, columns=settings.import_max_columns,
                  seconds=settings.import_max_seconds, part_bytes=settings.import_max_part_bytes)


def setting_of(exc: WorkbookTooLarge) -> str:
    """The environment variable that sets the limit a workbook passed (``ORGGRAPH_IMPORT_MAX_ROWS``, ...)."""
    return f"ORGGRAPH_IMPORT_MAX_{exc.limit.upper()}"


class _Upload:
    """An upload's records, read afresh from its file on each pass (the scope check's, then the load's),
    so that an upload is never held in memory whole; a register's summaries are those of the last pass."""

    def __init__(self, path: str, limits: Limits | None, store: Store | None = None, scope: Scope | None = None,
                 mapping: Mapping | None = None, registers: list[Summary] | None = None):
        self.path, self.limits, self.store, self.mapping = path, limits, store, mapping
        self.scope, self.registers = scope, registers if registers is not None else []

    def __iter__(self) -> Iterator[Item]:
        self.registers.clear()  # a register finds in the store only what the token reads
        return read_file(self.path, progress=False, limits=self.limits, store=self.store, mapping=self.mapping,
                         registers=self.registers, visible=self.scope.allows if self.scope is not None else None)


def import_into(store: Store, scope: Scope, path: str, dry_run: bool = False, limits: Limits | None = None,
                by: str | None = None, mapping: Mapping | None = None,
                registers: list[Summary] | None = None) -> LoadReport:
    """Load an upload from its file, all or nothing, streaming its records into the load: invalid records
    are InvalidRecords (422), records reaching outside the scope OutsideScope (403), a workbook past its
    ``limits`` WorkbookTooLarge (413); whichever, nothing is written, nor with dry_run. A register is read
    with ``mapping`` when given, and what each implies appended to ``registers``. Recorded in the history
    as an ``import`` by ``by``."""
    upload = _Upload(path, limits, store, scope, mapping, registers)
    if dry_run:
        return load_within(store, scope, upload, dry_run=True)
    for attempt in range(3):
        try:
            return load_within(store, scope, upload, history={"kind": "import", "by": by})
        except IdTaken:
            # a register's ids are derived, not chosen: another import may have written them between the
            # reading and the writing (two clerks sending one community's register); read it again
            if not upload.registers or attempt == 2:
                raise
    raise AssertionError("unreachable")
