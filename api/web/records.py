"""住户与党员: find a household or a member, a household's chain and history, a member's relations, an area's households."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...access import audit, history_within
from ...days import valid_on
from ...model import HOUSEHOLD_FLAGS
from ...privacy import mask_text
from ...queries import households_in, member_profile, responsibility_chain, search
from ...report import REASON_LABELS, ROLE_LABELS, Namer
from ..db import off_loop
from ..deps import PublicDep, StoreDep
from ..present import present
from ..routes_questions import _with_names
from .core import NOT_FOUND, PageRoute, PageScope, PageToken, Problem, render
from .coverage import day_and_whatif

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Text = Annotated[str | None, Query(max_length=100_000)]
Id = Annotated[str, Query(max_length=200)]


def _record(store: Any, token: Any, public: Any, node_id: str, kind: str, route: str) -> dict[str, Any]:
    """A record as the token may see it (personal data masked unless pii, then audited as ``route``);
    one of another kind, or none (NotFound), as a 404 page."""
    record = store.node(node_id)
    if record is None or record["kind"] != kind:
        raise Problem(404, NOT_FOUND)
    shown: list[str] = []
    record = present(record, token, shown, public)
    audit(store, token, route, shown)
    return record


def _relations(store: Any, scope: Any, node_id: str, day: str, namer: Namer) -> list[dict[str, Any]]:
    """Every relation of a record the scope may read, any day, with the other end named and whether it
    holds on ``day``: what a record has been through, newest first."""
    rows = []
    for edge in store.edges_of(node_id, None):
        other = edge["target"] if edge["source"] == node_id else edge["source"]
        if not scope.sees(other):
            continue
        rows.append({"type": edge["type"], "other": other, "name": namer.name(other), "kind": namer.record(other).get("kind"), "since": edge.get("since"), "until": edge.get("until"),
                     "now": valid_on(edge, day), "role": edge.get("role") or edge.get("post")})
    rows.sort(key=lambda r: (not r["now"], r["type"], r["since"] or "", r["other"]), reverse=False)
    return rows


@router.get("/household/{household}")
async def household_page(request: Request, household: str, store: StoreDep, token: PageToken, scope: PageScope,
                         public: PublicDep, on: Text = None, unavailable: Text = None) -> Response:
    """A household: who answers for it on a day (its 包保 chain, with breaks said plainly and acting post
    holders named), its relations over time and the changes that named it."""
    if household not in scope.households:
        raise Problem(404, NOT_FOUND)
    day, gone = day_and_whatif(scope, on, unavailable)

    def page() -> dict[str, Any]:
        record = _record(store, token, public, household, "Household", "GET /household/{id}")
        chain = _with_names(store, token, scope, public, "GET /household/{id}",
                            responsibility_chain(store, household, as_of=day, unavailable=gone))
        namer = Namer.of(store, unmask=token.pii, public=public)
        relations = _relations(store, scope, household, chain["as_of"], namer)
        audit(store, token, "GET /household/{id}", sorted(namer.shown))
        history = [{**e, "note": mask_text(e["note"]) if e.get("note") else None}  # as GET /history shows it
                   for e in history_within(store, scope, node=household, limit=50)]
        return {"record": record, "chain": chain, "relations": relations, "history": history[::-1]}

    shown = await off_loop(store, page)
    return render(request, "household.html", title=f"住户 {household}", nav="records", on=day or "",
                  unavailable=",".join(gone), ROLE_LABELS=ROLE_LABELS, REASON_LABELS=REASON_LABELS,
                  FLAG_LABELS=HOUSEHOLD_FLAGS, **shown)


#: the kinds' words, and what a hit was found by
MATCHES = {"id": "编号", "name": "名称", "address": "地址", "phone": "电话尾号"}
#: households an area's list shows a page
AREA_PAGE = 200


@router.get("/find")
async def find_page(request: Request, store: StoreDep, token: PageToken, scope: PageScope, public: PublicDep,
                    q: Annotated[str | None, Query(max_length=200)] = None,
                    kind: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """Find a household or a member (or an area, organization, unit) by part of an address or a name, a
    phone's last digits or an id (:func:`orggraph.queries.search`: without pii, only what the masked
    records show is looked in)."""
    text = (q or "").strip()
    if not text:
        return render(request, "find.html", title="住户与党员", nav="records", q="", kind=kind or "", found=None)

    def answer() -> dict[str, Any]:
        found = search(store, text, kinds=kind or None, scope=scope, pii=token.pii, limit=100)
        namer = Namer.of(store, unmask=token.pii, public=public)
        ids = [hit["id"] for hit in found["hits"]]
        namer.read(ids)
        names = {i: named for i in ids if (named := namer.described(i)) is not None}
        audit(store, token, "GET /find", sorted(namer.shown))
        return {**found, "names": names}

    return render(request, "find.html", title=f"查找 {text}", nav="records", q=text, kind=kind or "",
                  found=await off_loop(store, answer), MATCHES=MATCHES)


@router.get("/member/{member}")
async def member_page(request: Request, member: str, store: StoreDep, token: PageToken, scope: PageScope,
                      public: PublicDep, on: Text = None) -> Response:
    """A member: the households they contact, their posts, assignments, unit, where they reported and live,
    on a day (:func:`orggraph.queries.member_profile`), and their relations over time."""
    if not scope.sees(member):
        raise Problem(404, NOT_FOUND)
    day, _ = day_and_whatif(scope, on, None)

    def page() -> dict[str, Any]:
        record = _record(store, token, public, member, "Member", "GET /member/{id}")
        profile = _with_names(store, token, scope, public, "GET /member/{id}",
                              member_profile(store, member, as_of=day, scope=scope))
        return {"record": record, "profile": profile}

    return render(request, "member.html", title=f"党员 {member}", nav="records", on=day or "", **await off_loop(store, page))


@router.get("/area/{area}")
async def area_page(request: Request, area: str, store: StoreDep, token: PageToken, scope: PageScope,
                    public: PublicDep, on: Text = None, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The households located in an area (or within it) on a day, by address: names, addresses and phones,
    ``AREA_PAGE`` a page, each linking to its household's page."""
    if area not in scope.areas:
        raise Problem(404, NOT_FOUND)
    day, _ = day_and_whatif(scope, on, None)

    def answer() -> dict[str, Any]:
        found = households_in(store, area, as_of=day, scope=scope, pii=token.pii)
        pages = max(1, -(-len(found) // AREA_PAGE))
        if page > pages:
            raise Problem(404, f"这里只有 {pages} 页。")
        shown = found[(page - 1) * AREA_PAGE:page * AREA_PAGE]
        named = _with_names(store, token, scope, public, "GET /area/{id}",
                            {"area": area, "households": shown})
        return {"count": len(found), "pages": pages, "households": shown, "names": named["names"],
                "area_name": Namer.of(store, unmask=token.pii, public=public).bare_name(area)}

    found = await off_loop(store, answer)
    return render(request, "area.html", title="住户名单", nav="records", area=area, on=day or "", page=page,
                  start=(page - 1) * AREA_PAGE, **found)
