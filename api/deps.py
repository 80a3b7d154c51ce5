"""Dependencies of the routes: the store, the caller's token and what it may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..access import Scope, Token, authenticate, scope_of
from ..store import Store
from .db import Link, off_loop

__all__ = ["StoreDep", "LinkDep", "TokenDep", "ScopeDep", "PublicDep", "require_role", "get_store", "scope_for"]

_bearer = HTTPBearer(auto_error=False, description="A token from `orggraph token create`.")


# The dependencies are async so that they run on the event loop: as plain functions each would be
# handed to the thread pool, which costs about a millisecond a hop on a small machine.
async def get_store(request: Request) -> Store:
    """The store; StoreUnavailable (a 503) while its graph server cannot be reached."""
    store = request.app.state.store
    return store if store is not None else await request.app.state.link.store()


async def get_link(request: Request) -> Link:
    return request.app.state.link


async def get_public(request: Request) -> frozenset[str]:
    """The free-form properties declared non-personal (settings.public_properties), in their normal form."""
    from ..privacy import public_properties

    return public_properties(request.app.state.settings.public_properties)


StoreDep = Annotated[Store, Depends(get_store)]
LinkDep = Annotated[Link, Depends(get_link)]
PublicDep = Annotated[frozenset, Depends(get_public)]


async def get_token(store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Token:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required (Authorization: Bearer og_...)")
    token = await off_loop(store, authenticate, store, credentials.credentials)
    if token is None:
        raise HTTPException(401, "the token is not valid, has expired or has been revoked")
    return token


TokenDep = Annotated[Token, Depends(get_token)]


async def get_scope(request: Request, store: StoreDep, token: TokenDep) -> Scope:
    return await scope_for(request, store, token)


async def scope_for(request: Request, store: Store, token: Token) -> Scope:
    """The token's scope, kept while the store's revision holds. Worked out in the thread pool: after a
    change it may first bring the query index up to date, seconds after a large load, and the event loop
    must not wait for that."""
    cache = request.app.state.scopes
    key = (token.id, await off_loop(store, lambda: store.revision))
    scope = cache.get(key)
    if scope is None:
        scope = await run_in_threadpool(_keep_scope, cache, key, store, token.areas)
    return scope


def _keep_scope(cache: dict, key: tuple, store: Store, areas: list[str]) -> Scope:
    """A scope worked out and kept by the thread that worked it out, so that a request let go at its
    deadline (:class:`~orggraph.api.db.Deadline`) still leaves it for the next."""
    scope = scope_of(store, areas)
    cache.clear() if len(cache) > 1000 else None
    cache[key] = scope
    return scope


ScopeDep = Annotated[Scope, Depends(get_scope)]


def require_role(*roles: str) -> Any:
    async def check(token: TokenDep) -> Token:
        if token.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}; the token is {token.role}")
        return token

    return Depends(check)
