"""The five kinds of node, and the edges between them: read and changed within the token's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from ..access import audit, load_within, remove_within
from ..exceptions import NotFound
from ..values import day
from .db import off_loop
from .deps import PublicDep, ScopeDep, StoreDep, TokenDep, require_role
from .present import present, present_edge
from .schemas import MAX_PAGE, EdgeCreate, EdgePublic, NodeCreate, NodePublic, NodeUpdate, Page, Removed

__all__ = ["router_for", "edges_router", "KINDS"]

#: URL segment -> node kind
KINDS = {"households": "Household", "members": "Member", "orgs": "Org", "areas": "Area", "units": "Unit"}

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Items a page, at most {MAX_PAGE}.")]
After = Annotated[str | None, Query(max_length=200, description="The `next` of the previous page.")]


def router_for(segment: str) -> APIRouter:
    kind = KINDS[segment]
    router = APIRouter(prefix=f"/{segment}", tags=[segment])

    @router.get("", response_model=Page[NodePublic], summary=f"List the {segment} within the token's scope")
    async def list_nodes(request: Request, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
                   limit: Limit = 100, after: After = None) -> Page[NodePublic]:
        ids = sorted(i for i in getattr(scope, _field(kind)) if after is None or i > after)
        page = ids[:limit]
        shown: list[str] = []
        items = await off_loop(store, lambda: [present(store.node(i), token, shown, public) for i in page])
        if shown:  # a write: in the thread pool, never on the event loop
            await run_in_threadpool(audit, store, token, f"GET /{segment}", shown)
        return Page[NodePublic](items=items, next=page[-1] if len(ids) > limit else None)

    @router.get("/{node_id}", response_model=NodePublic, summary=f"One of the {segment}")
    async def get_node(node_id: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> NodePublic:
        if not scope.allows(kind, node_id):
            raise HTTPException(404, f"no {kind.lower()} with id {node_id!r}")
        shown: list[str] = []
        record = await off_loop(store, lambda: present(store.node(node_id), token, shown, public))
        if shown:
            await run_in_threadpool(audit, store, token, f"GET /{segment}/{{id}}", shown)
        return NodePublic(**record)

    editor = [require_role("editor", "admin")]

    @router.post("", response_model=NodePublic, status_code=201, dependencies=editor,
                 summary=f"Add one of the {segment}, with the edges that place it within the token's areas")
    def create_node(body: NodeCreate, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> NodePublic:
        record = body.model_dump(exclude={"edges"}, exclude_none=True)
        if record.pop("kind", kind) != kind:
            raise HTTPException(422, f"the kind of /{segment} is {kind}")
        for i, edge in enumerate(body.edges):  # the other ends must be visible to the token, as reads require
            for end in (edge.source, edge.target):
                if end != body.id and not scope.sees(end):
                    raise HTTPException(404, f"edges[{i}]: no node with id {end!r}")
        items = [("node", "node", {**record, "kind": kind})]
        items += [("edge", f"edges[{i}]", e.model_dump(exclude_none=True)) for i, e in enumerate(body.edges)]
        load_within(store, scope, items, create=[body.id],  # a taken id: 409, only once the scope allows the rest
                    history={"kind": "create", "by": f"token:{token.id}"})
        return _shown(store, token, body.id, f"POST /{segment}", public)

    @router.put("/{node_id}", response_model=NodePublic, dependencies=editor,
                summary=f"Replace the properties of one of the {segment}")
    def update_node(node_id: str, body: NodeUpdate, store: StoreDep, token: TokenDep, scope: ScopeDep,
                    public: PublicDep) -> NodePublic:
        if not scope.allows(kind, node_id):
            raise HTTPException(404, f"no {kind.lower()} with id {node_id!r}")
        record = body.model_dump()
        for field, value in (("id", node_id), ("kind", kind)):
            if record.setdefault(field, value) != value:
                raise HTTPException(422, f"the {field} of /{segment}/{node_id} is {value!r}; got {record[field]!r}")
        load_within(store, scope, [("node", "body", record)], replace=[node_id],  # removed meanwhile: 404
                    history={"kind": "update", "by": f"token:{token.id}"})
        return _shown(store, token, node_id, f"PUT /{segment}/{{id}}", public)

    @router.delete("/{node_id}", response_model=Removed, dependencies=editor,
                   summary=f"Remove one of the {segment}, with its edges (to end a relation, set its until)")
    def delete_node(node_id: str, store: StoreDep, token: TokenDep, scope: ScopeDep) -> Removed:
        if not scope.allows(kind, node_id):
            raise HTTPException(404, f"no {kind.lower()} with id {node_id!r}")
        return Removed(**remove_within(store, scope, nodes=[node_id], history={"kind": "delete", "by": f"token:{token.id}"}))

    return router


def _shown(store, token, node_id: str, route: str, public: frozenset) -> NodePublic:
    shown: list[str] = []
    record = present(store.node(node_id), token, shown, public)
    audit(store, token, route, shown)
    return NodePublic(**record)


def _field(kind: str) -> str:
    return {"Household": "households", "Member": "members", "Org": "orgs", "Area": "areas", "Unit": "units"}[kind]


edges_router = APIRouter(prefix="/edges", tags=["edges"])


@edges_router.get("", response_model=Page[EdgePublic], summary="The edges of one node, within the token's scope")
def list_edges(store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
               node: Annotated[str, Query(min_length=1, max_length=200, description="A node id.")],
               type: Annotated[str | None, Query(max_length=40)] = None,
               limit: Limit = 100, after: Annotated[int, Query(ge=0, le=10**9, description="The `next` of the previous page.")] = 0) -> Page[EdgePublic]:
    if not scope.sees(node):
        raise HTTPException(404, f"no node with id {node!r}")
    edges = [e for e in store.edges_of(node, type) if scope.sees(e["source"]) and scope.sees(e["target"])]
    page = edges[after : after + limit]
    shown: list[str] = []
    items = [EdgePublic(**present_edge(e, token, shown, public)) for e in page]
    audit(store, token, "GET /edges", shown)
    return Page[EdgePublic](items=items,
                next=str(after + limit) if len(edges) > after + limit else None)


@edges_router.post("", response_model=EdgePublic, status_code=201, dependencies=[require_role("editor", "admin")],
                   summary="Add an edge between two nodes within the token's scope, or change it (until, properties)")
def create_edge(body: EdgeCreate, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep) -> EdgePublic:
    record = body.model_dump(exclude_none=True)
    for end in ("source", "target"):
        if not scope.sees(record[end]):
            raise HTTPException(404, f"{end}: no node with id {record[end]!r}")
    load_within(store, scope, [("edge", "body", record)], history={"kind": "create", "by": f"token:{token.id}"})
    since = day(record["since"]) if "since" in record else ""  # as the load stored it: 2020/7/1 as 2020-07-01
    for edge in store.edges_of(body.source, body.type):
        if edge["target"] == body.target and edge.get("since", "") == since:
            shown: list[str] = []
            answer = EdgePublic(**present_edge(edge, token, shown, public))
            audit(store, token, "POST /edges", shown)
            return answer
    raise NotFound("the edge was written but cannot be read back")  # pragma: no cover


@edges_router.delete("", response_model=Removed, dependencies=[require_role("editor", "admin")],
                     summary="Remove an edge (to end a relation and keep its history, set its until instead)")
def delete_edge(store: StoreDep, token: TokenDep, scope: ScopeDep,
                type: Annotated[str, Query(min_length=1, max_length=40)],
                source: Annotated[str, Query(min_length=1, max_length=200)],
                target: Annotated[str, Query(min_length=1, max_length=200)],
                since: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD, if the edge has one")] = None) -> Removed:
    return Removed(**remove_within(store, scope, edges=[{"type": type, "source": source, "target": target, "since": since}],
                                   history={"kind": "delete", "by": f"token:{token.id}"}))
