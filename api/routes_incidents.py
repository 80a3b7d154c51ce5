"""Incidents: today's call sheet (a preview), incidents kept as records with their door-to-door roll call,
and permanent contacts proposed and written; cut to the token's scope."""

from __future__ import annotations

import contextlib
import os
import threading
import tempfile
from typing import Annotated, Any, Iterator

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from .. import changes, incidents
from ..access import Scope, Token, audit, incident_within, unavailable_within
from ..privacy import mask_record
from ..queries import DEFAULT_MAX_HOUSEHOLDS, cover_plan
from ..report import Namer, incident_workbook, masked_outcomes, names_of
from ..results import Incident, IncidentRecord, Mark, NamedCoverPlan, NamedIncident, NamedKeptSheet, NamedProgress
from ..store import Store
from .deps import PublicDep, ScopeDep, StoreDep, TokenDep, require_role
from .routes_questions import AsOf, JSONBytes, Unavailable, _ids, _with_names
from .schemas import ChangeReport, CoverBody, IncidentCreate, IncidentOpen, MarkBody

__all__ = ["router"]

router = APIRouter(tags=["incidents"])
Editor = require_role("editor", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _preview(store: Store, scope: Scope, body: IncidentCreate) -> Incident:
    return incident_within(store, scope, body.areas, body.households, as_of=body.as_of,
                           unavailable=unavailable_within(scope, body.unavailable),
                           max_households=body.max_households)


def _workbook(store: Store, token: Token, public: Any, route: str, sheet: dict[str, Any],
              kept: dict[str, Any] | None, name: str, key: tuple | None = None) -> Response:
    """The call sheet's workbook, and what it showed unmasked audited as ``route``. With a ``key`` (all the
    workbook depends on), written once for every request alike, at once or waiting for the one writing it:
    a street's sheet takes seconds to write, and a few clerks printing at once must not each write it."""
    data, shown = _BOOKS.get(key, (None, None)) if key is not None else (None, None)
    if data is None:
        with _writing(key):
            data, shown = _BOOKS.get(key, (None, None)) if key is not None else (None, None)
            if data is None:
                namer = Namer.of(store, unmask=token.pii, public=public)
                with tempfile.TemporaryDirectory() as folder:
                    path = os.path.join(folder, "call-sheet.xlsx")
                    incident_workbook(sheet, namer, path, incident=kept)
                    with open(path, "rb") as f:
                        data = f.read()
                shown = sorted(namer.shown)
                if key is not None:
                    while len(_BOOKS) >= 8:
                        _BOOKS.pop(next(iter(_BOOKS)))
                    _BOOKS[key] = (data, shown)
    audit(store, token, route, shown)  # the records shown unmasked, if any
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


#: kept incidents' workbooks written lately, by all they depend on (the last 8)
_BOOKS: dict[tuple, tuple[bytes, list[str]]] = {}
_LOCKS: dict[tuple, threading.Lock] = {}
_GUARD = threading.Lock()


@contextlib.contextmanager
def _writing(key: tuple | None) -> Iterator[None]:
    """Held while one request writes the workbook of ``key``; another asking for the same waits for it."""
    if key is None:
        yield
        return
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        yield
    with _GUARD:
        if not lock.locked():
            _LOCKS.pop(key, None)


@router.post("/call-sheet", response_model=NamedIncident,
             summary="Today's call sheet of an incident, kept nowhere, cut to the token's scope")
def preview(body: IncidentCreate, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> Response:
    return JSONBytes(orjson.dumps(_with_names(store, token, scope, public, "POST /call-sheet", _preview(store, scope, body))))


@router.post("/call-sheet.xlsx", summary="Today's call sheet as an Excel workbook to print",
             response_class=Response, responses={200: {"content": {XLSX: {}}}})
def preview_xlsx(body: IncidentCreate, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> Response:
    return _workbook(store, token, public, "POST /call-sheet.xlsx", _preview(store, scope, body), None,
                     "call-sheet")


@router.post("/incidents", response_model=IncidentRecord, status_code=201, dependencies=[Editor],
             summary="Open an incident: its call sheet, stand-ins assigned, kept as it stands now")
def open_incident(body: IncidentOpen, store: StoreDep, token: TokenDep, scope: ScopeDep) -> IncidentRecord:
    return incidents.open_incident(store, body.areas, body.households, name=body.name, as_of=body.as_of,
                                   unavailable=body.unavailable, max_households=body.max_households,
                                   by=f"token:{token.id}", scope=scope)


@router.get("/incidents", response_model=list[IncidentRecord],
            summary="The incidents with a household within the token's scope, oldest first")
def list_incidents(store: StoreDep, scope: ScopeDep,
                   open_only: Annotated[bool, Query(alias="open", description="Only those not closed")] = False
                   ) -> list[IncidentRecord]:
    return incidents.incidents(store, scope=scope, open_only=open_only)


@router.get("/incidents/{incident}", response_model=IncidentRecord, summary="An incident's record")
def get_incident(incident: str, store: StoreDep, scope: ScopeDep) -> IncidentRecord:
    return incidents.get_incident(store, incident, scope=scope)


def _sheet(namer: Namer, store: Store, scope: Scope, incident: str) -> dict[str, Any]:
    """The kept call sheet cut to the scope, each outcome's note masked unless the namer unmasks."""
    return masked_outcomes(dict(incidents.call_sheet(store, incident, scope=scope)), namer)


@router.get("/incidents/{incident}/sheet", response_model=NamedKeptSheet,
            summary="An incident's call sheet as it stood when opened, with each door's latest outcome")
def sheet(incident: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> Response:
    namer = Namer.of(store, unmask=token.pii, public=public)
    answer = _sheet(namer, store, scope, incident)
    answer["names"] = names_of(answer, namer, within=scope.sees)
    audit(store, token, f"GET /incidents/{incident}/sheet", sorted(namer.shown))  # once, for all it showed
    return JSONBytes(orjson.dumps(answer))


@router.get("/incidents/{incident}/sheet.xlsx", summary="The call sheet to print, with an outcome column",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
def sheet_xlsx(incident: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> Response:
    return kept_workbook(store, token, scope, public, incident, f"GET /incidents/{incident}/sheet.xlsx")


def kept_workbook(store: Store, token: Token, scope: Scope, public: Any, incident: str, route: str) -> Response:
    """A kept incident's call sheet, cut to the scope, as the workbook to print (named after the incident),
    personal data masked unless the token has pii, and what it showed audited as ``route``; the API's
    download and the workbench's both answer it. NotFound as :func:`orggraph.incidents.get_incident`."""
    answer = incidents.call_sheet(store, incident, scope=scope)  # the workbook masks the notes as it writes them
    latest = max((e["outcome"]["seq"] for e in answer["entries"] if e.get("outcome")), default=0)
    key = (id(store), incident, latest, answer["incident"].get("closed"), token.pii, tuple(sorted(public or ())),
           store.revision, tuple(sorted(token.areas)))  # the marks so far, the masking and the scope's cut
    return _workbook(store, token, public, route, dict(answer), answer["incident"], incident, key)


@router.post("/incidents/{incident}/marks", response_model=list[Mark], status_code=201, dependencies=[Editor],
             summary="Record doors' outcomes (one, or a list: all or nothing); a later mark supersedes")
def add_marks(incident: str, body: MarkBody | list[MarkBody], store: StoreDep, token: TokenDep,
              scope: ScopeDep) -> list[Mark]:
    items = [body] if isinstance(body, MarkBody) else body
    if not items:
        raise ValueError("name at least one mark: {\"household\", \"status\", \"by\"}")
    done = incidents.mark_many(store, incident, [i.model_dump() for i in items], recorded_by=f"token:{token.id}",
                               scope=scope, places=[f"marks[{n}]" for n in range(len(items))])
    noted = sorted({m["household"] for m in done if m["note"]})
    if token.pii and noted:  # the notes, personal data, shown back in full
        audit(store, token, f"POST /incidents/{incident}/marks", noted)
    return [_masked_mark(m, token) for m in done]


def _masked_mark(mark: Mark, token: Token) -> Mark:
    return {**mark, "note": mask_record({"note": mark["note"]}, token.pii)[0]["note"]} if mark["note"] else mark


@router.get("/incidents/{incident}/marks", response_model=list[Mark],
            summary="Every mark of an incident, oldest first, superseded ones included")
def list_marks(incident: str, store: StoreDep, token: TokenDep, scope: ScopeDep,
               household: Annotated[str | None, Query(max_length=200)] = None) -> list[Mark]:
    found = incidents.marks(store, incident, household=household, scope=scope)
    noted = sorted({m["household"] for m in found if m["note"]})
    if token.pii and noted:
        audit(store, token, f"GET /incidents/{incident}/marks", noted)
    return [_masked_mark(m, token) for m in found]


@router.get("/incidents/{incident}/progress", response_model=NamedProgress,
            summary="How far the door-to-door action has got, by area and overall")
def progress(incident: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> Response:
    answer = incidents.progress(store, incident, scope=scope)
    return JSONBytes(orjson.dumps(_with_names(store, token, scope, public, f"GET /incidents/{incident}/progress", answer)))


@router.post("/incidents/{incident}/close", response_model=IncidentRecord, dependencies=[Editor],
             summary="Close an incident (it takes no more marks); only a token holding all its households")
def close(incident: str, store: StoreDep, token: TokenDep, scope: ScopeDep) -> IncidentRecord:
    return incidents.close_incident(store, incident, by=f"token:{token.id}", scope=scope)


@router.get("/cover-plan", response_model=NamedCoverPlan, tags=["changes"],
            summary="A permanent contact proposed for each uncovered household of an area, within the scope")
def plan(store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
         area: Annotated[str | None, Query(max_length=200)] = None, as_of: AsOf = None,
         unavailable: Unavailable = None,
         max_households: Annotated[int, Query(ge=0, le=1000)] = DEFAULT_MAX_HOUSEHOLDS) -> Response:
    if area is not None and area not in scope.areas:
        from ..exceptions import NotFound

        raise NotFound(f"no area with id {area!r}")
    answer = cover_plan(store, area, as_of=as_of, unavailable=unavailable_within(scope, _ids(unavailable)),
                        max_households=max_households, among=scope.members, within=sorted(scope.areas),
                        writable=scope.writable)
    return JSONBytes(orjson.dumps(_with_names(store, token, scope, public, "GET /cover-plan", answer)))


@router.post("/cover-plan", response_model=ChangeReport, tags=["changes"], dependencies=[Editor],
             summary="Write the contacts proposed from a day on, within the scope; recorded in the history")
def cover(body: CoverBody, store: StoreDep, token: TokenDep, scope: ScopeDep,
          dry_run: Annotated[bool, Query(description="Work out and check everything, and write nothing")] = False
          ) -> ChangeReport:
    from .routes_changes import _key

    change = changes.cover(store, body.area, on=body.on, unavailable=unavailable_within(scope, body.unavailable),
                           max_households=body.max_households, note=body.note, by=f"token:{token.id}",
                           dry_run=dry_run, scope=scope)
    return ChangeReport(**{**change, "ended": [_key(r) for r in change["ended"]],
                           "added": [_key(r) for r in change["added"]]})
