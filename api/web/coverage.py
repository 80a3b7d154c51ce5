"""覆盖情况: the territory from the user's areas down, each area's coverage against the target, a day and a what-if."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...access import coverage_within, roots, unavailable_within
from ...days import parse_day
from ...queries import coverage as run_coverage
from ...queries import sub_areas
from ...report import Namer
from ..db import off_loop
from ..deps import PublicDep, StoreDep
from ...exceptions import NotFound
from ..routes_questions import _kept, _named
from .core import NOT_FOUND, PageRoute, PageScope, PageToken, Problem, member_ids, render

__all__ = ["router", "day_and_whatif"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Text = Annotated[str | None, Query(max_length=100_000)]


def day_and_whatif(scope: Any, on: str | None, unavailable: str | None) -> tuple[str | None, list[str]]:
    """The day a page is asked for (None: today) and the members it asks what-if about (:func:`member_ids`),
    checked as the API checks them: a day not on the calendar is a 400 and a member the scope cannot read a
    404 (as one that does not exist), each naming what was typed."""
    try:
        day = parse_day(on.strip()) if on and on.strip() else None
    except ValueError:
        raise Problem(400, f"日期有误：{on}。请写作 年-月-日（如 2025-07-01），且是日历上有的一天。") from None
    try:
        return day, unavailable_within(scope, member_ids(unavailable))
    except NotFound as exc:
        unknown = str(exc).removeprefix("unavailable: no member with id ")
        raise Problem(404, f"找不到编号为 {unknown} 的党员（或不在您的管辖范围内）。请检查“无法联系的党员”一栏。") from None


@router.get("/")
async def coverage_page(request: Request, store: StoreDep, token: PageToken, scope: PageScope, public: PublicDep,
                        area: Annotated[str | None, Query(max_length=200)] = None, on: Text = None,
                        unavailable: Text = None) -> Response:
    day, gone = day_and_whatif(scope, on, unavailable)
    # the API's key (GET /coverage): the whole network's coverage worked out once for both
    key = (await off_loop(store, lambda: store.revision), _dt.date.fromisoformat(day) if day else _dt.date.today(),
           tuple(sorted(set(gone))))
    report = await _kept(request.app.state.coverage, key, run_coverage, store, as_of=day, unavailable=gone)

    def page() -> dict[str, Any]:
        rows = {r["id"]: r for r in _named(store, token, {"areas": [r for r in report["areas"] if r["id"] in scope.areas]},
                                          "GET /")["areas"]}
        top = roots(store, [a for a in token.areas if a in scope.areas])
        here = area if area is not None else (top[0] if len(top) == 1 else None)
        if here is None:  # several areas of their own: each is a row, the totals count each household once
            whole = coverage_within(store, report, scope, token.areas)
            return {"here": None, "crumbs": [], "whole": whole, "children": [rows[a] for a in top if a in rows]}
        if here not in rows:
            raise Problem(404, NOT_FOUND)
        tree = sub_areas(store, here, as_of=report["as_of"])
        path = [rows[a] for a in tree["path"] if a in rows]
        return {"here": rows[here], "crumbs": path, "whole": rows[here],
                "children": [rows[a] for a in tree["children"] if a in rows]}

    shown = await off_loop(store, page)
    namer = Namer.of(store, unmask=token.pii, public=public)
    gone_names = await off_loop(store, lambda: [namer.name(m) for m in gone])
    target = request.app.state.settings.coverage_target
    return render(request, "coverage.html", title="覆盖情况", nav="coverage", report=report, target=target,
                  on=day or "", unavailable=",".join(gone), gone_names=gone_names, **shown)
