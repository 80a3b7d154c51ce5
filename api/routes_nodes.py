"""The five kinds of node, and the edges between them: read within the token's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from ..access import audit
from .deps import ScopeDep, StoreDep, TokenDep
from .present import present
from .schemas import MAX_PAGE, EdgePublic, NodePublic, Page

__all__ = ["router_for", "edges_router", "KINDS"]

#: URL segment -> node kind
KINDS = {"households": "Household", "members": "Member", "orgs": "Org", "areas": "Area", "units": "Unit"}

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Items a page, at most {MAX_PAGE}.")]
After = Annotated[str | None, Query(max_length=200, description="The `next` of the previous page.")]


def router_for(segment: str) -> APIRouter:
    kind = KINDS[segment]
    router = APIRouter(prefix=f"/{segment}", tags=[segment])

    @router.get("", response_model=Page, summary=f"List the {segment} within the token's scope")
    async def list_nodes(request: Request, store: StoreDep, token: TokenDep, scope: ScopeDep,
                   limit: Limit = 100, after: After = None) -> Page:
        ids = sorted(i for i in getattr(scope, _field(kind)) if after is None or i > after)
        page = ids[:limit]
        shown: list[str] = []
        items = [present(store.node(i), token, shown) for i in page]
        audit(store, token, f"GET /{segment}", shown)
        return Page(items=items, next=page[-1] if len(ids) > limit else None)

    @router.get("/{node_id}", response_model=NodePublic, summary=f"One of the {segment}")
    async def get_node(node_id: str, store: StoreDep, token: TokenDep, scope: ScopeDep) -> NodePublic:
        if not scope.allows(kind, node_id):
            raise HTTPException(404, f"no {kind.lower()} with id {node_id!r}")
        shown: list[str] = []
        record = present(store.node(node_id), token, shown)
        audit(store, token, f"GET /{segment}/{{id}}", shown)
        return NodePublic(**record)

    return router


def _field(kind: str) -> str:
    return {"Household": "households", "Member": "members", "Org": "orgs", "Area": "areas", "Unit": "units"}[kind]


edges_router = APIRouter(prefix="/edges", tags=["edges"])


@edges_router.get("", response_model=Page, summary="The edges of one node, within the token's scope")
def list_edges(store: StoreDep, scope: ScopeDep,
               node: Annotated[str, Query(min_length=1, max_length=200, description="A node id.")],
               type: Annotated[str | None, Query(max_length=40)] = None,
               limit: Limit = 100, after: Annotated[int, Query(ge=0, le=10**9, description="The `next` of the previous page.")] = 0) -> Page:
    if not scope.allows_any(node):
        raise HTTPException(404, f"no node with id {node!r}")
    edges = [e for e in store.edges_of(node, type) if scope.allows_any(e["source"]) and scope.allows_any(e["target"])]
    page = edges[after : after + limit]
    return Page(items=[EdgePublic(**e).model_dump() for e in page],
                next=str(after + limit) if len(edges) > after + limit else None)
