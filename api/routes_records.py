"""The records as a clerk looks them up: a search, an area's households and a member's profile, cut to the token's scope."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..access import audit
from ..days import parse_day
from ..model import NODE_KINDS
from ..queries import DEFAULT_HITS, households_in, member_profile
from ..queries import search as run_search
from ..queries.records import MAX_QUERY, PHONE_DIGITS_SHOWN
from ..report import Namer
from ..results import NamedAreaHouseholds, NamedProfile, NamedSearch
from .db import off_loop
from .deps import PublicDep, ScopeDep, StoreDep, TokenDep
from .routes_questions import AsOf, JSONBytes, _with_names

__all__ = ["router", "MAX_HITS"]

router = APIRouter(tags=["records"])

#: the most hits one search may list
MAX_HITS = 200
#: a node kind, as the schema declares it
Kind = Literal[tuple(NODE_KINDS)]  # type: ignore[valid-type]
#: a text with something in it but spaces (Python's own, which the search leaves out at its ends)
_NOT_BLANK = "[^\\t-\\r\\x1c- \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"


# sync routes: FastAPI runs them in the thread pool (a search reads the store file for tens of milliseconds,
# an area's households may be thousands), never on the event loop
@router.get("/search", response_model=NamedSearch,
            summary="Find the records within the token's scope by id, part of a name or an address, or a phone's last digits")
def search(
    store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, pattern=_NOT_BLANK, description=(
        "What to look for: an id; part of a name (area, organization, unit, member); part of a household's "
        f"address; or a phone's last {PHONE_DIGITS_SHOWN} digits (more with the pii permission). Without pii, "
        "only what the masked records show is looked in."))],
    limit: Annotated[int, Query(ge=1, le=MAX_HITS, description=f"The most hits, at most {MAX_HITS}.")] = DEFAULT_HITS,
    kind: Annotated[list[Kind] | None, Query(description="Only records of these kinds (repeat it for several).")] = None,
    as_of: AsOf = None,
) -> Response:
    found = run_search(store, q, kinds=kind, scope=scope, as_of=as_of, pii=token.pii, limit=limit)
    namer = Namer.of(store, unmask=token.pii, public=public)
    ids = [hit["id"] for hit in found["hits"]]
    namer.read(ids)
    names = {node_id: named for node_id in ids if (named := namer.described(node_id)) is not None}
    audit(store, token, "GET /search", sorted(namer.shown))
    return JSONBytes(orjson.dumps({**found, "names": names}))


@router.get("/areas/{area}/households", response_model=NamedAreaHouseholds, tags=["areas"],
            summary="The households located in an area (or within it) on a day, by address, with their names")
def area_households(area: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
                    as_of: AsOf = None) -> Response:
    day = parse_day(as_of)
    found = households_in(store, area, as_of=day, scope=scope, pii=token.pii)
    answer: dict[str, Any] = {"area": area, "as_of": day, "households": found}
    return JSONBytes(orjson.dumps(_with_names(store, token, scope, public, "GET /areas/{id}/households", answer)))


@router.get("/members/{member}/profile", response_model=NamedProfile, tags=["members"],
            summary="A member's relations on a day: households, posts, areas, units, where it reported, with names")
async def profile(member: str, store: StoreDep, token: TokenDep, scope: ScopeDep, public: PublicDep,
                  as_of: AsOf = None) -> Response:
    def answer() -> dict[str, Any]:
        found = member_profile(store, member, as_of=as_of, scope=scope)
        return _with_names(store, token, scope, public, "GET /members/{id}/profile", found)

    return JSONBytes(orjson.dumps(await off_loop(store, answer)))
