"""What every question shares: the day asked for, the ids it names, and households counted per area."""

from __future__ import annotations

import datetime as _dt
from typing import Iterable, Mapping

import numpy as np

from ..days import parse_day
from ..exceptions import NotFound
from ..facts import Day, Facts, NodeFacts, Tally, Territory

__all__ = ["day_of", "require", "area_position", "is_available", "per_area", "totals"]


def day_of(facts: Facts, as_of: str | _dt.date | None, unavailable: Iterable[str]) -> Day:
    """The :class:`~orggraph.facts.Day` of a question.

    Raises
    ------
    ValueError
        ``as_of`` is not an ISO date.
    NotFound
        An id in ``unavailable`` names no member (the first five are named).
    TypeError
        ``unavailable`` given as one id (a string) rather than a list of them.
    """
    as_of = parse_day(as_of)
    if isinstance(unavailable, (str, bytes)):
        raise TypeError(f"unavailable is a list of member ids, not one id: write [{unavailable!r}]")
    odd = [m for m in set(unavailable) if not isinstance(m, str)]
    if odd:
        raise NotFound(f"unavailable: no member with id {', '.join(map(repr, odd[:5]))}")
    gone = sorted(set(unavailable))
    if gone:
        kinds = facts.kinds_of(gone)
        unknown = [m for m in gone if kinds.get(m) != "Member"]
        if unknown:
            raise NotFound(f"unavailable: no member with id {', '.join(map(repr, unknown[:5]))}")
    return Day(as_of, frozenset(gone))


def require(facts: Facts, ids: Iterable[str], kind: str) -> None:
    """Raise :class:`~orggraph.exceptions.NotFound` naming the first id that is not a node of this kind."""
    wanted = list(dict.fromkeys(ids))
    for node_id in wanted:
        if not isinstance(node_id, str):
            raise NotFound(f"no {kind.lower()} with id {node_id!r}")
    kinds = facts.kinds_of(wanted) if wanted else {}
    for node_id in wanted:
        if kinds.get(node_id) != kind:
            raise NotFound(f"no {kind.lower()} with id {node_id!r}")


def area_position(territory: Territory, area: str) -> int:
    """An area's position in the territory; :class:`~orggraph.exceptions.NotFound` if it is none, or if
    it takes no part on the territory's day (none of its relations valid then: made later, or ended)."""
    position = territory.position.get(area) if isinstance(area, str) else None
    if position is None:
        raise NotFound(f"no area with id {area!r}")
    if territory.exists is not None and not territory.exists[position]:
        raise NotFound(f"area {area!r} takes no part on the day asked about: none of its relations is valid "
                       "then (it is made later, or it has ended)")
    return position


def is_available(day: Day, nodes: Mapping[str, NodeFacts], member: str) -> bool:
    """A member can be reached on the day: not marked unavailable, not in the what-if set."""
    return member not in day.unavailable and not nodes[member].unavailable


def per_area(territory: Territory, tally: Tally) -> np.ndarray:
    """The figures of each area (rows in territory order, columns :data:`~orggraph.facts.FIGURES`):
    the households located in it or in any area within it, each counted once however it is located."""
    out = territory.roll_up(tally.direct)
    for areas, figures in tally.several:
        reached = {u for a in areas for u in territory.ancestry(a)}
        out[sorted(reached)] += np.asarray(figures, dtype=np.int64)
    return out


def totals(tally: Tally) -> np.ndarray:
    """The figures of the whole network: every household once, located or not."""
    whole = tally.direct.sum(axis=0) + tally.nowhere
    for _, figures in tally.several:
        whole = whole + np.asarray(figures, dtype=np.int64)
    return whole.astype(np.int64)
