"""Dependencies of the routes: the store, the caller's token and what it may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..access import Scope, Token, authenticate, scope_of
from ..store import Store

__all__ = ["StoreDep", "TokenDep", "ScopeDep", "PublicDep", "require_role", "get_store"]

_bearer = HTTPBearer(auto_error=False, description="A token from `orggraph token create`.")


# The dependencies are async so that they run on the event loop: as plain functions each would be
# handed to the thread pool, which costs about a millisecond a hop on a small machine.
async def get_store(request: Request) -> Store:
    return request.app.state.store


async def get_public(request: Request) -> frozenset[str]:
    """The free-form properties declared non-personal (settings.public_properties), in their normal form."""
    from ..privacy import public_properties

    return public_properties(request.app.state.settings.public_properties)


StoreDep = Annotated[Store, Depends(get_store)]
PublicDep = Annotated[frozenset, Depends(get_public)]


async def get_token(store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Token:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required (Authorization: Bearer og_...)")
    token = authenticate(store, credentials.credentials)
    if token is None:
        raise HTTPException(401, "the token is not valid, has expired or has been revoked")
    return token


TokenDep = Annotated[Token, Depends(get_token)]


async def get_scope(request: Request, store: StoreDep, token: TokenDep) -> Scope:
    """The token's scope, kept while the store's revision holds. Worked out in the thread pool: after a
    change it may first bring the query index up to date, seconds after a large load, and the event loop
    must not wait for that."""
    cache = request.app.state.scopes
    key = (token.id, store.revision)
    if key not in cache:
        scope = await run_in_threadpool(scope_of, store, token.areas)
        cache.clear() if len(cache) > 1000 else None
        cache[key] = scope
    return cache[key]


ScopeDep = Annotated[Scope, Depends(get_scope)]


def require_role(*roles: str) -> Any:
    async def check(token: TokenDep) -> Token:
        if token.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}; the token is {token.role}")
        return token

    return Depends(check)
