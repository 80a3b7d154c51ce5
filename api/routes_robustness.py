"""Robustness: how much of the coverage within a token's areas holds when members cannot be reached."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from ..access import Scope, Token, roots, unavailable_within
from ..model import AREA_LEVELS
from ..queries import DEFAULT_SHARE, DEFAULT_TOP, DEFAULT_TRIALS
from ..queries import robustness as run_robustness
from ..results import Robustness
from .deps import ScopeDep, StoreDep, TokenDep
from .routes_questions import AsOf, JSONBytes, Unavailable, _named

__all__ = ["router", "MAX_TRIALS"]

router = APIRouter(tags=["questions"])

#: the most trials one request may ask for (1,000 trials over a street of 20,000 households take about
#: half a second on the store file)
MAX_TRIALS = 1000
#: an area level, as the schema declares it
Level = Literal[tuple(AREA_LEVELS)]  # type: ignore[valid-type]


def _area(store: Any, token: Token, scope: Scope, area: str | None) -> str:
    """The area asked about: one within the token's scope (any other answers as an unknown one), or, none
    named, the token's own area when it has one."""
    if area is not None:
        if area not in scope.areas:
            raise HTTPException(404, f"no area with id {area!r}")
        return area
    top = roots(store, [a for a in token.areas if a in scope.areas])  # an area removed since counts no more
    if len(top) != 1:
        raise HTTPException(422, f"the token has {len(top)} areas: name one of them with area=ID")
    return top[0]


def _categories(scope: Scope, categories: list[str]) -> list[str]:
    """The categories as the token may name them: a ``unit:ID`` whose unit it cannot read answers exactly
    as one that does not exist."""
    for category in categories:
        if category.startswith("unit:") and category[5:] and category[5:] not in scope.units:
            raise HTTPException(404, f"no unit with id {category[5:]!r}")
    return categories


# a sync route: FastAPI runs it in the thread pool, so the trials never hold the event loop
@router.get("/robustness", response_model=Robustness,
            summary="How much coverage holds when members cannot be reached, drawn at random trial by trial")
def robustness(
    store: StoreDep, token: TokenDep, scope: ScopeDep,
    area: Annotated[str | None, Query(max_length=200, description="An area within the token's scope (default: "
                                      "the token's area, when it has one).")] = None,
    level: Annotated[Level | None, Query(description="Only the areas of this level.")] = None,
    share: Annotated[float, Query(ge=0, le=1, description="The share of the members who cannot be reached in each "
                                  "trial, drawn at random.")] = DEFAULT_SHARE,
    trials: Annotated[int, Query(ge=1, le=MAX_TRIALS, description="How many trials.")] = DEFAULT_TRIALS,
    seed: Annotated[int, Query(ge=0, le=2**63 - 1, description="The seed of the draws: the same seed, the same "
                               "answer.")] = 0,
    category: Annotated[list[Annotated[str, Query(max_length=210, pattern=r"^(sunk|unit:.+)$")]], Query(
        max_length=20, description="Members who cannot be reached in any trial: sunk (who reported to a community) "
                                   "or unit:ID (whom a unit employs); repeat for several.")] = [],
    top: Annotated[int, Query(ge=0, le=1000, description="How many of the costliest members to list.")] = DEFAULT_TOP,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
) -> Response:
    gone = unavailable_within(scope, [v.strip() for v in (unavailable or "").split(",") if v.strip()])
    chosen = _area(store, token, scope, area)
    answer = run_robustness(store, chosen, share=share, trials=trials, seed=seed,
                            categories=_categories(scope, category), level=level, as_of=as_of, unavailable=gone, top=top)
    answer["costliest"] = [c for c in answer["costliest"] if c["member"] in scope.members]
    return JSONBytes(orjson.dumps(_named(store, token, answer, "GET /robustness")))
