"""The questions: coverage, a household's chain and the gaps, cut to the token's scope (incidents: routes_incidents)."""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..access import Scope, Token, audit, coverage_within, gaps_within, unavailable_within
from ..queries import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF, responsibility_chain
from ..queries import coverage as run_coverage
from ..queries import gaps as run_gaps
from ..privacy import mask_record
from ..report import Namer, gaps_workbook, names_of
from ..results import Coverage, Gaps, NamedChain
from ..store import Store
from .db import off_loop
from .deps import PublicDep, ScopeDep, StoreDep, TokenDep
from .schemas import IsoDay

__all__ = ["router"]

router = APIRouter(tags=["questions"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JSONBytes(Response):
    """An answer serialized by orjson in the route: the answers are plain JSON already, and FastAPI's own
    encoder (or validating them against their models) would double the time. Each route still declares its
    answer's shape (``response_model``) for the OpenAPI schema; the tests check the answers against it."""

    media_type = "application/json"


AsOf = Annotated[IsoDay | None, Query(description="The day to answer for, YYYY-MM-DD (default today).")]
Unavailable = Annotated[str | None, Query(max_length=100_000, description="Member ids, separated by commas: what if they cannot be reached.")]


def _ids(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


async def _kept(cache: dict, key: tuple, run: Any, store: Any, **options: Any) -> dict[str, Any]:
    """A whole-network answer, worked out off the event loop once a key (the key begins with the store's
    revision, so a change is seen at once) and kept for the next token to cut to its scope."""
    report = cache.get(key)
    if report is None:
        report = await run_in_threadpool(_keep, cache, key, run, store, options)
    return report


def _keep(cache: dict, key: tuple, run: Any, store: Any, options: dict[str, Any]) -> dict[str, Any]:
    """An answer worked out and kept by the thread that worked it out, so that a request let go at its
    deadline (:class:`~orggraph.api.db.Deadline`) still leaves it for the next."""
    report = run(store, **options)
    if len(cache) >= 16:
        cache.clear()
    cache[key] = report
    return report


@router.get("/coverage", response_model=Coverage, summary="Coverage of the areas within the token's scope")
async def coverage(request: Request, store: StoreDep, token: TokenDep, scope: ScopeDep,
             area: Annotated[str | None, Query(max_length=200)] = None,
             level: Annotated[str | None, Query(max_length=40)] = None, as_of: AsOf = None,
             unavailable: Unavailable = None) -> Response:
    gone = unavailable_within(scope, _ids(unavailable))  # one it may not read answers as an unknown one
    if area is not None:
        if area not in scope.areas:
            raise HTTPException(404, f"no area with id {area!r}")
        answer = await run_in_threadpool(run_coverage, store, area=area, level=level, as_of=as_of, unavailable=gone)
        return JSONBytes(orjson.dumps(await off_loop(store, _named, store, token, answer)))
    # the whole network's coverage, once a revision and day (the same for every token), then cut to the
    # scope on the event loop (on the store file: a millisecond or two, where a hop to the thread pool
    # costs more under load; on a graph server, which it asks, in the thread pool)
    key = (await off_loop(store, lambda: store.revision), as_of or _dt.date.today(), tuple(sorted(set(gone))))
    report = await _kept(request.app.state.coverage, key, run_coverage, store, as_of=as_of, unavailable=gone)
    answer = await off_loop(store, lambda: _named(store, token, coverage_within(store, report, scope, token.areas, level)))
    return JSONBytes(orjson.dumps(answer))


def _named(store: Any, token: Any, answer: Any, route: str = "GET /coverage") -> Any:
    """An answer with areas (coverage, robustness) with any phone- or id-card-shaped number in an area's name
    masked unless the token has pii (then audited as ``route``): a name is text like any other."""
    rows, shown = [], []
    for row in answer["areas"]:
        named, personal = mask_record({"id": row["id"], "name": row.get("name")}, token.pii)
        if personal:
            shown.append(row["id"])
            row = {**row, "name": named["name"]}
        rows.append(row)
    if shown and token.pii:
        audit(store, token, route, shown)
    return {**answer, "areas": rows} if shown else answer


# light enough on the store file (a fraction of a millisecond) to answer on the event loop; the scans below,
# and anything asked of a graph server, use the thread pool
@router.get("/households/{household}/chain", response_model=NamedChain, tags=["households"],
            summary="A household's 包保 responsibility chain, with the names of those it names")
async def chain(household: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
                as_of: AsOf = None, unavailable: Unavailable = None) -> Response:
    if household not in scope.households:
        raise HTTPException(404, f"no household with id {household!r}")
    gone = unavailable_within(scope, _ids(unavailable))

    def answer() -> NamedChain:
        found = responsibility_chain(store, household, as_of=as_of, unavailable=gone)
        return _with_names(store, token, scope, public, "GET /households/{id}/chain", found)  # type: ignore[return-value]

    return JSONBytes(orjson.dumps(await off_loop(store, answer)))


def _with_names(store: Store, token: Token, scope: Scope, public: frozenset, route: str, answer: Any) -> dict[str, Any]:
    """An answer with ``"names"`` beside its ids (:func:`orggraph.report.names_of`): only the records the
    token may read, personal data masked unless it has pii (then audited)."""
    namer = Namer.of(store, unmask=token.pii, public=public)
    named = {**answer, "names": names_of(answer, namer, within=scope.sees)}
    audit(store, token, route, sorted(namer.shown))
    return named


MaxHouseholds = Annotated[int, Query(ge=0, le=1000)]
Spof = Annotated[int, Query(ge=1, le=1000)]


async def _gaps(request: Request, store: Store, scope: Scope, as_of: _dt.date | None, unavailable: str | None,
                max_households: int, spof: int) -> dict[str, Any]:
    """The gaps within a scope: the whole network's, once a revision, day and question (13 s at 200,000
    households on a graph server, so worth keeping), then cut to the scope."""
    gone = unavailable_within(scope, _ids(unavailable))
    key = (await off_loop(store, lambda: store.revision), as_of or _dt.date.today(), tuple(sorted(set(gone))),
           max_households, spof)
    report = await _kept(request.app.state.gaps, key, run_gaps, store, as_of=as_of, unavailable=gone,
                         max_households=max_households, spof=spof)
    return gaps_within(report, scope)


@router.get("/gaps", response_model=Gaps, summary="Every gap within the token's scope")
async def gaps(request: Request, store: StoreDep, scope: ScopeDep, as_of: AsOf = None, unavailable: Unavailable = None,
               max_households: MaxHouseholds = DEFAULT_MAX_HOUSEHOLDS, spof: Spof = DEFAULT_SPOF) -> Response:
    return JSONBytes(orjson.dumps(await _gaps(request, store, scope, as_of, unavailable, max_households, spof)))


@router.get("/gaps.xlsx", summary="Every gap within the token's scope, as a workbook to print and work through (问题清单)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def gaps_xlsx(request: Request, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
                    as_of: AsOf = None, unavailable: Unavailable = None,
                    max_households: MaxHouseholds = DEFAULT_MAX_HOUSEHOLDS, spof: Spof = DEFAULT_SPOF) -> Response:
    """The gaps of ``GET /gaps`` as :func:`orggraph.report.gaps_workbook` writes them: a summary sheet and a
    sheet for each kind, with names, areas, addresses and phones (masked unless the token has pii, then
    audited); only what the token may read is named."""
    report = await _gaps(request, store, scope, as_of, unavailable, max_households, spof)
    data = await run_in_threadpool(_gaps_book, store, token, scope, public, report)
    return Response(data, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="gaps-{report["as_of"]}.xlsx"'})


def _gaps_book(store: Store, token: Token, scope: Scope, public: frozenset, report: dict[str, Any]) -> bytes:
    """The workbook's bytes; the records it showed unmasked, if any, audited."""
    namer = Namer.of(store, unmask=token.pii, public=public)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "gaps.xlsx")
        gaps_workbook(report, namer, path, within=scope.sees)
        with open(path, "rb") as f:
            data = f.read()
    audit(store, token, "GET /gaps.xlsx", sorted(namer.shown))
    return data
