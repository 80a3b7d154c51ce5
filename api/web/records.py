"""住户与党员: find a household or a member, a household's chain and history, a member's relations, an area's households."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...access import audit, history_within
from ...days import valid_on
from ...model import HOUSEHOLD_FLAGS
from ...privacy import mask_text
from ...queries import responsibility_chain
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


def _record(store: Any, token: Any, public: Any, node_id: str, kind: str, shown: list[str]) -> dict[str, Any]:
    """A record as the token may see it (personal data masked unless pii); NotFound as a 404 page."""
    record = store.node(node_id)
    if record is None or record["kind"] != kind:
        raise Problem(404, NOT_FOUND)
    return present(record, token, shown, public)


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
        shown: list[str] = []
        record = _record(store, token, public, household, "Household", shown)
        audit(store, token, "GET /household/{id}", shown)
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
