"""A compact index of the network over node numbers, and the facts over it, for the queries on millions of households."""

from __future__ import annotations

from .arrays import (
    AREA,
    HOUSEHOLD,
    KIND_CODES,
    MEMBER,
    NO_SINCE,
    NO_UNTIL,
    ORG,
    POST_RANK,
    ROLE_RANK,
    UNIT,
    EdgeArrays,
    Index,
    build_index,
    day_number,
)
from .facts import IndexFacts

__all__ = ["Index", "EdgeArrays", "IndexFacts", "build_index", "day_number", "NO_SINCE", "NO_UNTIL",
           "KIND_CODES", "AREA", "ORG", "UNIT", "MEMBER", "HOUSEHOLD", "POST_RANK", "ROLE_RANK"]
