"""问题清单: every kind of gap as a list a clerk works through, a page at a time, and the whole list as a workbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...access import audit
from ...queries import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF
from ...report import GAP_KINDS, Namer, gap_rows
from ..db import off_loop
from ..deps import PublicDep, StoreDep
from ..routes_questions import XLSX, _gaps, _gaps_book
from .core import HEADERS, PageRoute, PageScope, PageToken, Problem, render
from .coverage import day_and_whatif

__all__ = ["router", "PAGE"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: rows a page of one kind shows
PAGE = 100
Text = Annotated[str | None, Query(max_length=100_000)]


@router.get("/problems")
async def problems_page(request: Request, store: StoreDep, token: PageToken, scope: PageScope, public: PublicDep,
                        kind: Annotated[str | None, Query(max_length=40)] = None,
                        page: Annotated[int, Query(ge=1, le=100_000)] = 1, on: Text = None, unavailable: Text = None,
                        max_households: Annotated[int, Query(ge=0, le=1000)] = DEFAULT_MAX_HOUSEHOLDS) -> Response:
    """The count of each kind, and the rows of one (the first with any, unless chosen), ``PAGE`` a page:
    names, where they lie, masked addresses and phones, what is wrong; each row links to its record."""
    if kind is not None and kind not in GAP_KINDS:
        raise Problem(404, f"没有这类问题：{kind}")
    day, gone = day_and_whatif(scope, on, unavailable)
    report = await _gaps(request, store, scope, day, ",".join(gone), max_households, DEFAULT_SPOF)
    counts = {k: len(report[k]) for k in GAP_KINDS}
    kind = kind or next((k for k in GAP_KINDS if counts[k]), next(iter(GAP_KINDS)))
    pages = max(1, -(-counts[kind] // PAGE))
    if page > pages:
        raise Problem(404, f"这一类问题只有 {pages} 页。")
    start = (page - 1) * PAGE

    def rows() -> list[dict[str, Any]]:
        cut = {**{k: [] for k in GAP_KINDS}, **{k: v for k, v in report.items() if k not in GAP_KINDS},
               kind: report[kind][start:start + PAGE]}
        namer = Namer.of(store, unmask=token.pii, public=public)
        found = gap_rows(cut, namer, within=scope.sees)[kind]
        audit(store, token, "GET /problems", sorted(namer.shown))
        return found

    return render(request, "problems.html", title="问题清单", nav="problems", report=report, counts=counts,
                  kind=kind, rows=await off_loop(store, rows), page=page, pages=pages, start=start, KINDS_ZH=GAP_KINDS,
                  on=day or "", unavailable=",".join(gone), max_households=max_households)


@router.get("/problems.xlsx")
async def problems_workbook(request: Request, store: StoreDep, token: PageToken, scope: PageScope, public: PublicDep,
                            on: Text = None, unavailable: Text = None,
                            max_households: Annotated[int, Query(ge=0, le=1000)] = DEFAULT_MAX_HOUSEHOLDS) -> Response:
    """The whole list as the API's ``GET /gaps.xlsx`` writes it (:func:`orggraph.report.gaps_workbook`)."""
    day, gone = day_and_whatif(scope, on, unavailable)
    report = await _gaps(request, store, scope, day, ",".join(gone), max_households, DEFAULT_SPOF)
    data = await run_in_threadpool(_gaps_book, store, token, scope, public, report)
    return Response(data, media_type=XLSX, headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="gaps-{report["as_of"]}.xlsx"'})
