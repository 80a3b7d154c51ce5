"""应急: the incidents a token can see, one opened on areas ticked on its territory's tree, its call sheet
door by door with one-tap outcomes, its progress by area as the marks come in, the sheet to print, and
closing it. Over :mod:`orggraph.incidents` and the API's routes (api/routes_incidents.py), with their
scope rules: an incident outside the token's areas answers as one that does not exist, figures count the
token's households only, opening and marking need the editor or admin role, and closing needs every
household of the incident within the token's areas."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import incidents
from ...access import OutsideScope, Scope, Token, audit, roots
from ...exceptions import NotFound
from ...model import AREA_RANK, HOUSEHOLD_FLAGS, LABELS
from ...queries import sub_areas
from ...report import STATUS_LABELS, UNASSIGNED_LABELS, Namer
from ...store import Store
from ..deps import PublicDep, StoreDep
from ..routes_incidents import kept_workbook
from ..routes_questions import _ids, _named
from .core import HEADERS, clock as _time, NOT_FOUND, PageRoute, PageScope, PageToken, Problem, local_path, member_ids, render

__all__ = ["router", "territory_tree", "DOORS_A_PAGE"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: the doors one page of an incident shows: a phone's screenful or a few, however long the sheet
DOORS_A_PAGE = 25
#: the territory's tree for opening an incident goes down to grids (their ranks, AREA_RANK), not buildings
TREE_RANK = AREA_RANK["grid"]
#: the progress panel lists the areas down to grids too; the buildings are in the filter's reach by grid
PANEL_RANK = AREA_RANK["grid"]
#: the most doors one poll of the progress asks about (a page holds DOORS_A_PAGE)
POLL_DOORS = 200

Id = Annotated[str, Query(max_length=200)]


def _editor(token: Token) -> bool:
    return token.role in ("editor", "admin")


def _need_editor(token: Token, what: str) -> None:
    """Opening, marking and closing need the editor or admin role (the API's ``require_role``)."""
    if not _editor(token):
        raise Problem(403, f"{what}需要编辑或管理员权限；您的账号只能查看。")


def territory_tree(store: Store, token: Token, scope: Scope, namer: Namer) -> list[dict[str, Any]]:
    """The token's territory from its own areas (:func:`orggraph.access.roots`) down to grids, one level at
    a time (:func:`orggraph.queries.sub_areas`, today): ``[{"id", "name", "level", "children": [...]}]``,
    children by id, each area of the scope once. Names masked as the namer masks them."""
    seen: set[str] = set()

    def walk(area: str) -> dict[str, Any]:
        seen.add(area)
        level = namer.record(area).get("level")
        node = {"id": area, "name": namer.bare_name(area), "level": level, "children": []}
        if AREA_RANK.get(level, len(AREA_RANK)) < TREE_RANK:
            children = [c for c in sub_areas(store, area)["children"] if c in scope.areas and c not in seen]
            namer.read(children)
            node["children"] = [walk(c) for c in children
                                if AREA_RANK.get(namer.record(c).get("level"), len(AREA_RANK)) <= TREE_RANK]
        return node

    top = roots(store, [a for a in token.areas if a in scope.areas])
    namer.read(top)
    return [walk(a) for a in top]


def _unfold(nodes: list[dict[str, Any]], chosen: set[str]) -> bool:
    """Mark each area of the tree that holds an area ticked (``holds_chosen``), so that the form answered
    again shows it unfolded; whether any of these nodes is or holds one."""
    found = False
    for node in nodes:
        node["holds_chosen"] = _unfold(node["children"], chosen)
        found = found or node["holds_chosen"] or node["id"] in chosen
    return found


def _listing(store: Store, scope: Scope) -> list[dict[str, Any]]:
    """The incidents the scope sees, open ones first and the newest first in each, with their progress."""
    found = incidents.incidents(store, scope=scope)
    found.sort(key=lambda i: i["opened"], reverse=True)
    found.sort(key=lambda i: i["closed"] is not None)
    return [{**i, "progress": incidents.progress(store, i["id"], scope=scope)["overall"],
             "opened_at": _time(i["opened"]), "closed_at": _time(i["closed"])} for i in found]


async def _list_page(request: Request, store: Store, token: Token, scope: Scope, public: Any, status: int = 200,
                     **form: Any) -> Response:
    def work() -> dict[str, Any]:
        namer = Namer.of(store, unmask=token.pii, public=public)
        tree = territory_tree(store, token, scope, namer) if _editor(token) else []
        listed = _listing(store, scope)
        audit(store, token, "GET /emergency", sorted(namer.shown))
        return {"tree": tree, "listed": listed}

    shown = await run_in_threadpool(work)
    form.setdefault("chosen", [])
    _unfold(shown["tree"], set(form["chosen"]))
    return render(request, "emergency.html", status=status, title="应急", nav="emergency", editor=_editor(token),
                  **shown, **form)


@router.get("/emergency")
async def emergency_page(request: Request, store: StoreDep, token: PageToken, scope: PageScope,
                         public: PublicDep) -> Response:
    return await _list_page(request, store, token, scope, public)


@router.post("/emergency")
async def open_page(request: Request, store: StoreDep, token: PageToken, scope: PageScope, public: PublicDep,
                    name: Annotated[str, Form(max_length=2000)] = "",
                    area: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI copies the default)
                    unavailable: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    """Open an incident on the areas ticked (:func:`orggraph.incidents.open_incident`, with the token's
    scope) and go to its page (303). Bad input answers the form again, saying what is wrong, nothing written."""
    _need_editor(token, "登记应急事件")
    chosen = [a for a in dict.fromkeys(a.strip() for a in area) if a]
    problem, details, status = None, [], 400
    if not name.strip():
        problem = "请填写事件名称。"
    elif len(name.strip()) > incidents.NAME_LIMIT:
        problem = f"事件名称不能超过 {incidents.NAME_LIMIT} 个字。"
    elif not chosen:
        problem = "请在区域树中至少勾选一个受影响的区域。"
    else:
        try:
            opened = await run_in_threadpool(incidents.open_incident, store, chosen, name=name.strip(),
                                             unavailable=member_ids(unavailable), by=f"token:{token.id}", scope=scope)
        except (NotFound, OutsideScope) as exc:
            problem, details, status = "所选区域或填写的党员编号不存在，或不在您的管辖范围内；未登记事件。", [str(exc)], 404
        except ValueError as exc:
            problem, details = "输入有误，未登记事件。", [str(exc)]
        else:
            return RedirectResponse(f"/emergency/{quote(opened['id'], safe='')}", status_code=303, headers=HEADERS)
    return await _list_page(request, store, token, scope, public, status=status, error=problem, details=details,
                            name=name, chosen=chosen, unavailable=unavailable)


# -- one incident ----------------------------------------------------------------------------------------------


def _person(member: str, namer: Namer, pii: bool, scope: Scope) -> dict[str, Any]:
    """A member as a card shows them: name, phone (masked unless pii), and a number to dial only when the
    phone is shown whole (a masked number is not dialable). One the token may not read is its id alone, as
    the API's answers name only what the scope sees (``names_of(within=scope.sees)``)."""
    if not scope.sees(member):
        return {"id": member, "name": member, "phone": "", "dial": None}
    phone = namer.phone(member)
    return {"id": member, "name": namer.bare_name(member), "phone": phone,
            "dial": phone if pii and phone and "*" not in phone else None}


def _card(entry: dict[str, Any], namer: Namer, scope: Scope, pii: bool) -> dict[str, Any]:
    """A door of the call sheet as its card shows it (the household, its flags, who to call, its outcome)."""
    household = entry["household"]
    links = entry["chain"]["links"]
    record = namer.record(household)
    contacts = [_person(l["member"], namer, pii, scope) for l in links if l["role"] == "contact" and l["member"]]
    stand_in = entry["stand_in"]
    upper = [l["member"] for l in links if l["role"] in ("area", "org") and l["member"]]
    # who knocks: the door's caller (its first contact, or its stand-in), else the nearest responsible
    # person further up; a member the token cannot read is none (the mark would be refused)
    caller = entry["caller"] if entry["caller"] and scope.sees(entry["caller"]) else None
    if caller is None:
        caller = next((m for m in upper if scope.sees(m)), None)
    outcome = entry["outcome"]
    phone = namer.phone(household)
    return {
        "id": household, "address": namer.address(household), "head": namer.head(household),
        "people": entry["people"], "phone": phone, "dial": phone if pii and phone and "*" not in phone else None,
        "flags": [HOUSEHOLD_FLAGS.get(f, f) for f in record.get("flags") or () if isinstance(f, str)],
        "vulnerable": entry["vulnerable"], "covered": entry["covered"], "contacts": contacts,
        "stand_in": None if stand_in is None else {**_person(stand_in["member"], namer, pii, scope),
                                                   "level": LABELS.get(stand_in.get("level"), stand_in.get("level"))},
        "unassigned": UNASSIGNED_LABELS.get(entry["unassigned"], entry["unassigned"]) if entry["unassigned"] else None,
        "upper": _person(upper[0], namer, pii, scope) if upper and not contacts and stand_in is None else None,
        "by": caller, "by_name": namer.bare_name(caller) if caller else None,
        "status": outcome["status"] if outcome else None, "seq": outcome["seq"] if outcome else 0,
        "outcome": None if outcome is None else {
            "label": STATUS_LABELS.get(outcome["status"], outcome["status"]),
            "by": namer.bare_name(outcome["by"]) if scope.sees(outcome["by"]) else outcome["by"],
            "at": _time(outcome["at"]),
            "note": namer.text(household, "note", outcome["note"]) if outcome.get("note") else None},
        "done": outcome is not None and outcome["status"] in incidents.SETTLED,
    }


def _panel(store: Store, token: Token, incident: str, scope: Scope, route: str) -> dict[str, Any]:
    """The progress (:func:`orggraph.incidents.progress`) as the panel shows it: the whole, and the areas
    down to grids, names masked as the API's coverage masks them."""
    answer = _named(store, token, incidents.progress(store, incident, scope=scope), route)
    rows = [a for a in answer["areas"] if AREA_RANK.get(a["level"], len(AREA_RANK)) <= PANEL_RANK]
    return {"overall": answer["overall"], "areas": rows, "marks": answer["marks"], "closed": answer["closed"],
            "needs_help": len(answer["needs_help"])}


def _page_link(incident: str, area: str | None, open_only: bool, page: int) -> str:
    query = {k: v for k, v in (("area", area), ("open", "1" if open_only else None),
                               ("page", str(page) if page > 1 else None)) if v}
    return f"/emergency/{quote(incident, safe='')}" + (f"?{urlencode(query)}" if query else "")


def _door_context(record: dict[str, Any], editor: bool) -> dict[str, Any]:
    return {"incident": record, "can_mark": editor and record["closed"] is None, "STATUSES": incidents.STATUSES,
            "STATUS_LABELS": STATUS_LABELS}


@router.get("/emergency/{incident}")
async def incident_page(request: Request, incident: str, store: StoreDep, token: PageToken, scope: PageScope,
                        public: PublicDep, area: Annotated[str | None, Query(max_length=200)] = None,
                        open_only: Annotated[bool, Query(alias="open")] = False,
                        page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The call sheet on screen, a page of doors at a time (of one area, or the open ones), in the sheet's
    order (uncovered vulnerable first), with the progress panel."""
    route = f"GET /emergency/{incident}"

    def work() -> dict[str, Any]:
        record = incidents.get_incident(store, incident, scope=scope)
        whole = incidents.get_incident(store, incident) if _editor(token) else None  # all its households
        shown = incidents.doors(store, incident, scope=scope, area=area or None, open_only=open_only,
                                start=(page - 1) * DOORS_A_PAGE, limit=DOORS_A_PAGE)
        namer = Namer.of(store, unmask=token.pii, public=public)
        namer.read({e["household"] for e in shown["entries"]}
                   | {l["member"] for e in shown["entries"] for l in e["chain"]["links"] if l["member"]}
                   | {e["stand_in"]["member"] for e in shown["entries"] if e["stand_in"]})
        cards = [_card(e, namer, scope, token.pii) for e in shown["entries"]]
        areas = [namer.bare_name(a) for a in record["areas"]]
        audit(store, token, route, sorted(namer.shown))
        return {"record": record, "cards": cards, "total": shown["total"], "area_names": areas,
                "panel": _panel(store, token, incident, scope, route),
                "can_close": whole is not None and record["closed"] is None and whole["households"] == record["households"]}

    shown = await run_in_threadpool(work)
    pages = max(1, -(-shown["total"] // DOORS_A_PAGE))
    if page > pages:
        raise Problem(404, NOT_FOUND)
    here = _page_link(incident, area, open_only, page)
    return render(request, "emergency_incident.html", title=shown["record"]["name"], nav="emergency",
                  **_door_context(shown["record"], _editor(token)), **shown, area=area or "",
                  open_only=open_only, page=page, pages=pages, here=here,
                  opened_at=_time(shown["record"]["opened"]), closed_at=_time(shown["record"]["closed"]),
                  previous=_page_link(incident, area, open_only, page - 1) if page > 1 else None,
                  following=_page_link(incident, area, open_only, page + 1) if page < pages else None)


def _fragment(request: Request, template: str, **context: Any) -> str:
    return render(request, template, **context).body.decode()


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/emergency/{incident}/doors/{household}")
async def mark_door(request: Request, incident: str, household: str, store: StoreDep, token: PageToken,
                    scope: PageScope, public: PublicDep, status: Annotated[str, Form(max_length=40)] = "",
                    by: Annotated[str, Form(max_length=200)] = "", back: Annotated[str, Form(max_length=2000)] = ""
                    ) -> Response:
    """One door's outcome (:func:`orggraph.incidents.mark`, with the token's scope), marked by the member
    who knocks. Asked for JSON (the page's script): ``{"household", "status", "door": the card's HTML,
    "panel": the progress panel's HTML, "marks"}``; else back to the page the form was on, at the card."""
    _need_editor(token, "登记入户结果")
    route = f"POST /emergency/{incident}/doors/{household}"
    wants_json = _wants_json(request)

    def work() -> dict[str, Any] | None:
        record = incidents.get_incident(store, incident, scope=scope)
        if not incidents.doors(store, incident, scope=scope, households=[household])["total"]:
            raise Problem(404, NOT_FOUND)  # a door not on the sheet, or outside the token's areas
        incidents.mark(store, incident, household, status, by.strip(), recorded_by=f"token:{token.id}", scope=scope)
        if not wants_json:
            return None
        entry = incidents.doors(store, incident, scope=scope, households=[household])["entries"][0]
        namer = Namer.of(store, unmask=token.pii, public=public)
        card = _card(entry, namer, scope, token.pii)
        audit(store, token, route, sorted(namer.shown))
        return {"record": record, "card": card, "panel": _panel(store, token, incident, scope, route)}

    done = await run_in_threadpool(work)
    if done is None:
        path = f"/emergency/{quote(incident, safe='')}"
        back = local_path(back, path)
        if back != path and not back.startswith(path + "?"):
            back = path
        return RedirectResponse(f"{back}#door-{quote(household, safe='')}", status_code=303, headers=HEADERS)
    context = _door_context(done["record"], True)
    return JSONResponse({"household": household, "status": status,
                         "door": _fragment(request, "emergency_door.html", card=done["card"], here=back, **context),
                         "panel": _fragment(request, "emergency_progress.html", panel=done["panel"], **context),
                         "marks": done["panel"]["marks"]}, headers=HEADERS)


@router.get("/emergency/{incident}/progress")
async def progress_fragment(request: Request, incident: str, store: StoreDep, token: PageToken, scope: PageScope,
                            public: PublicDep, doors: Annotated[str | None, Query(max_length=20_000)] = None,
                            since: Annotated[int | None, Query(ge=0)] = None,
                            back: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """The progress panel as an HTML fragment, which the page's script polls. Asked for JSON: ``{"marks",
    "panel": its HTML, "doors": {household: the card's HTML}}``, the cards of the doors named (those of the
    page) when a mark was made since the page's count ``since`` (so that another's marks show up)."""
    route = f"GET /emergency/{incident}/progress"
    wanted = _ids(doors)[:POLL_DOORS]

    def work() -> dict[str, Any]:
        record = incidents.get_incident(store, incident, scope=scope)
        panel = _panel(store, token, incident, scope, route)
        cards: list[dict[str, Any]] = []
        if wanted and since is not None and since != panel["marks"]:
            namer = Namer.of(store, unmask=token.pii, public=public)
            cards = [_card(e, namer, scope, token.pii)
                     for e in incidents.doors(store, incident, scope=scope, households=wanted)["entries"]]
            audit(store, token, route, sorted(namer.shown))
        return {"record": record, "panel": panel, "cards": cards}

    done = await run_in_threadpool(work)
    context = _door_context(done["record"], _editor(token))
    panel = _fragment(request, "emergency_progress.html", panel=done["panel"], **context)
    if not _wants_json(request):
        return Response(panel, media_type="text/html; charset=utf-8", headers=HEADERS)
    back = local_path(back, f"/emergency/{quote(incident, safe='')}")
    return JSONResponse({"marks": done["panel"]["marks"], "panel": panel,
                         "doors": {c["id"]: _fragment(request, "emergency_door.html", card=c, here=back, **context)
                                   for c in done["cards"]}}, headers=HEADERS)


@router.get("/emergency/{incident}/sheet.xlsx")
async def sheet_download(incident: str, store: StoreDep, token: PageToken, scope: PageScope,
                         public: PublicDep) -> Response:
    """The call sheet to print: the API's GET /incidents/{id}/sheet.xlsx (masked unless pii, audited)."""
    answer = await run_in_threadpool(kept_workbook, store, token, scope, public, incident,
                                     f"GET /emergency/{incident}/sheet.xlsx")
    answer.headers.update({k: v for k, v in HEADERS.items() if k != "Content-Security-Policy"})
    return answer


async def _closing(store: Store, token: Token, scope: Scope, incident: str) -> dict[str, Any]:
    """The incident to close, if the token may close it: an editor's or admin's whose areas hold every one
    of its households (the library's rule); else a page saying why."""
    _need_editor(token, "关闭应急事件")

    def work() -> dict[str, Any]:
        record = incidents.get_incident(store, incident, scope=scope)
        whole = incidents.get_incident(store, incident)
        if whole["households"] != record["households"]:
            raise Problem(403, "该事件有住户不在您的管辖范围内：只有管辖其全部住户的账号可以关闭它。")
        if record["closed"] is not None:
            raise Problem(409, f"该事件已于 {_time(record['closed'])} 关闭。")
        return {"record": record, "figures": incidents.progress(store, incident, scope=scope)["overall"]}

    return await run_in_threadpool(work)


@router.get("/emergency/{incident}/close")
async def close_page(request: Request, incident: str, store: StoreDep, token: PageToken,
                     scope: PageScope) -> Response:
    """The confirm step before closing: what is still open, and the button that closes it."""
    shown = await _closing(store, token, scope, incident)
    return render(request, "emergency_close.html", title="关闭事件", nav="emergency", **shown)


@router.post("/emergency/{incident}/close")
async def close(request: Request, incident: str, store: StoreDep, token: PageToken, scope: PageScope) -> Response:
    """Close it (:func:`orggraph.incidents.close_incident`, with the token's scope): it takes no more marks."""
    await _closing(store, token, scope, incident)
    try:
        await run_in_threadpool(incidents.close_incident, store, incident, by=f"token:{token.id}", scope=scope)
    except OutsideScope:  # its households changed hands meanwhile
        raise Problem(403, "该事件有住户不在您的管辖范围内：只有管辖其全部住户的账号可以关闭它。") from None
    return RedirectResponse(f"/emergency/{quote(incident, safe='')}", status_code=303, headers=HEADERS)
