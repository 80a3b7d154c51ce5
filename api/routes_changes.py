"""Restructuring as dated changes (orggraph.changes), for editors, inside their scope; and the history."""

from __future__ import annotations

from typing import Annotated, Any, Callable

from fastapi import APIRouter, HTTPException, Query

from .. import changes
from ..access import Scope, Token, history_within
from ..history import Entry
from ..privacy import mask_text
from ..store import Store
from .deps import ScopeDep, StoreDep, TokenDep, require_role
from .schemas import MAX_PAGE, ChangeReport, HandoverBody, MergeBody, MoveBody, RelocateBody, SplitBody

__all__ = ["router", "history_router"]

router = APIRouter(prefix="/changes", tags=["changes"], dependencies=[require_role("editor", "admin")])

DryRun = Annotated[bool, Query(description="Work out and check everything, and write nothing")]


def _made(run: Callable[..., Any], store: Store, token: Token, scope: Scope, body: Any, dry_run: bool,
          *args: Any, **kwargs: Any) -> ChangeReport:
    """One change, within the token's scope (what it cannot see is not found), recorded as the token's."""
    change = run(store, *args, body.on, note=body.note, by=f"token:{token.id}", dry_run=dry_run, scope=scope, **kwargs)
    return ChangeReport(**{**change, "ended": [_key(r) for r in change["ended"]], "added": [_key(r) for r in change["added"]]})


def _key(record: dict[str, Any]) -> dict[str, Any]:
    """A record a change ended or added, by what names it (an area's or organization's name and level, an
    edge's dates, post and role), never a property that may be personal data."""
    return {k: v for k, v in record.items() if k in _SHOWN}


_SHOWN = ("id", "kind", "name", "level", "type", "source", "target", "since", "until", "post", "role")


@router.post("/move", response_model=ChangeReport,
             summary="Move an area, with all it holds, to lie within another from a day on")
def move(body: MoveBody, store: StoreDep, token: TokenDep, scope: ScopeDep, dry_run: DryRun = False) -> ChangeReport:
    return _made(changes.move, store, token, scope, body, dry_run, body.area, body.to)


@router.post("/split", response_model=ChangeReport,
             summary="Split an area: a new one of its level takes some of the areas within it from a day on")
def split(body: SplitBody, store: StoreDep, token: TokenDep, scope: ScopeDep, dry_run: DryRun = False) -> ChangeReport:
    return _made(changes.split, store, token, scope, body, dry_run, body.area, body.new, body.name, body.take,
                 org=body.org, org_name=body.org_name)


@router.post("/merge", response_model=ChangeReport,
             summary="Merge areas into another of their level from a day on")
def merge(body: MergeBody, store: StoreDep, token: TokenDep, scope: ScopeDep, dry_run: DryRun = False) -> ChangeReport:
    return _made(changes.merge, store, token, scope, body, dry_run, body.areas, body.into)


@router.post("/relocate", response_model=ChangeReport, summary="A household moves to another area from a day on")
def relocate(body: RelocateBody, store: StoreDep, token: TokenDep, scope: ScopeDep,
             dry_run: DryRun = False) -> ChangeReport:
    return _made(changes.relocate, store, token, scope, body, dry_run, body.household, body.to)


@router.post("/handover", response_model=ChangeReport,
             summary="A member's households (all, or those named) go to another member from a day on")
def handover(body: HandoverBody, store: StoreDep, token: TokenDep, scope: ScopeDep,
             dry_run: DryRun = False) -> ChangeReport:
    return _made(changes.handover, store, token, scope, body, dry_run, body.member, body.to, households=body.households)


history_router = APIRouter(tags=["history"])


@history_router.get("/history", response_model=list[Entry],
                    summary="The history of the records within the token's scope, oldest first; page on with after=id")
def history(store: StoreDep, scope: ScopeDep,
            node: Annotated[str | None, Query(min_length=1, max_length=200, description="Only entries naming this record")] = None,
            after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
            limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> list[Entry]:
    if node is not None and not scope.sees(node):
        raise HTTPException(404, f"no node with id {node!r}")
    return [Entry(**{**e, "note": mask_text(e["note"]) if e.get("note") else e.get("note")})  # type: ignore[typeddict-item]
            for e in history_within(store, scope, node=node, after=after, limit=limit)]
