"""Coverage: does every household have a named contact, and which do not."""

from __future__ import annotations

import datetime as _dt
from typing import Iterable

import numpy as np

from ..facts import FIGURES, HasFacts
from ..model import AREA_LEVELS
from ..results import AreaCoverage, Coverage, Figures
from ._base import area_position, day_of, per_area, totals

__all__ = ["coverage", "uncovered_households", "figures", "totals_within", "sub_areas"]


def _rates(part: np.ndarray, whole: np.ndarray) -> list[float]:
    """part / whole rounded to 6 places, 1.0 where whole is 0 (nothing to cover is fully covered)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, np.round(part / np.where(whole > 0, whole, 1), 6), 1.0).tolist()


def figures(households: int, covered: int, people: int, people_covered: int, vulnerable: int,
            vulnerable_covered: int) -> Figures:
    """The figures of one area or of the whole network, in the order the contract lists them.

    Examples
    --------
    >>> figures(4, 3, 10, 6, 0, 0)["rate"], figures(4, 3, 10, 6, 0, 0)["vulnerable_rate"]
    (0.75, 1.0)
    """
    row = np.array([[households, covered, people, people_covered, vulnerable, vulnerable_covered]], dtype=np.int64)
    return _rows(row, [{}])[0]  # type: ignore[return-value]


def _rows(table: np.ndarray, heads: list[dict]) -> list:
    """One dict a row of ``table`` (columns :data:`FIGURES`), each after its ``heads`` entry."""
    columns = {name: table[:, i] for i, name in enumerate(FIGURES)}
    rates = {part: _rates(columns[part], columns[whole])
             for part, whole in (("covered", "households"), ("people_covered", "people"),
                                 ("vulnerable_covered", "vulnerable"))}
    values = {name: column.tolist() for name, column in columns.items()}
    return [
        {**head, "households": h, "covered": c, "uncovered": h - c, "rate": r, "people": p, "people_covered": pc,
         "people_rate": pr, "vulnerable": v, "vulnerable_covered": vc, "vulnerable_rate": vr}
        for head, h, c, r, p, pc, pr, v, vc, vr in zip(
            heads, values["households"], values["covered"], rates["covered"], values["people"],
            values["people_covered"], rates["people_covered"], values["vulnerable"], values["vulnerable_covered"],
            rates["vulnerable_covered"])
    ]


def coverage(
    G: HasFacts,
    *,
    level: str | None = None,
    area: str | None = None,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> Coverage:
    """Coverage of every area: households, covered, uncovered and rate, by head and by people, and for
    vulnerable (flagged) households.

    A household is *covered* on a day when at least one member has a ``CONTACTS`` edge to it valid on
    that day and can be reached (not marked unavailable, not in ``unavailable``). An area counts the
    households located in it on the day or in any area transitively within it on the day (``LOCATED_IN``
    and ``WITHIN`` edges valid then), each once, also a household located in several of them; an area
    that takes no part on the day (no relation valid on it, :class:`~orggraph.facts.Territory`) is not
    listed; the network's totals count every household once, located or not. A rate is
    covered / households, 1.0 where there are none, rounded to 6 places.

    Parameters
    ----------
    G : store or Index
        Anything with ``facts()``: a store, on either backend, or an index built in memory.
    level : str, optional
        Only the areas of this level (``grid``, ``community``, ...).
    area : str, optional
        Only this area and the areas within it; the totals are then this area's.
    as_of : ISO date, optional
        The day (default today).
    unavailable : iterable of member ids
        What if these members cannot be reached.

    Returns
    -------
    Coverage
        ``{"as_of", "households", "covered", "uncovered", "rate", ..., "unavailable", "areas": [{"id",
        "name", "level", "households", "covered", "uncovered", "rate", ...}]}``, areas sorted by id.

    Raises
    ------
    NotFound
        ``area`` is not an area, or an id in ``unavailable`` is not a member.
    ValueError
        ``as_of`` is not an ISO date, or ``level`` is not an area level (:data:`orggraph.model.AREA_LEVELS`).

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"name": "1号楼", "level": "building"}), ("h1", "Household", {}),
    ...      ("h2", "Household", {"people": 3}), ("m1", "Member", {"name": "王芳"})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("LOCATED_IN", "h2", "b1", None, None, {}),
    ...      ("CONTACTS", "m1", "h1", "2021-03-01", None, {})], revision=1)
    >>> report = coverage(idx, as_of="2024-01-01")
    >>> report["covered"], report["uncovered"], report["rate"], report["people_rate"]
    (1, 1, 0.5, 0.25)
    >>> coverage(idx, as_of="2020-01-01")["covered"]
    0
    """
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    territory = facts.territory(day)
    tally = facts.tally(day)
    table = per_area(territory, tally)
    if area is not None:
        root = area_position(territory, area)
        chosen = territory.below(root)
        whole = table[root]
    else:
        chosen = territory.taking_part
        whole = totals(tally)
    if level is not None:
        if level not in AREA_LEVELS:
            raise ValueError(f"unknown area level {level!r}; allowed: {', '.join(AREA_LEVELS)}")
        chosen = [a for a in chosen if territory.levels[a] == level]
    heads = [{"id": territory.ids[a], "name": territory.names[a], "level": territory.levels[a]} for a in chosen]
    areas: list[AreaCoverage] = _rows(table[chosen] if chosen else table[:0], heads)
    return {"as_of": day.as_of, **figures(*whole.tolist()), "unavailable": sorted(day.unavailable),  # type: ignore[typeddict-item]
            "areas": areas}


def uncovered_households(
    G: HasFacts,
    *,
    area: str | None = None,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> list[str]:
    """Ids of the households not covered on the day (see :func:`coverage`), sorted; with ``area``, only
    those located in it or in an area within it.

    Raises
    ------
    NotFound
        ``area`` is not an area, or an id in ``unavailable`` is not a member.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index([("h1", "Household", {}), ("h2", "Household", {}), ("m1", "Member", {"name": "王芳"})],
    ...                   [("CONTACTS", "m1", "h1", None, None, {})], revision=1)
    >>> uncovered_households(idx)
    ['h2']
    >>> uncovered_households(idx, unavailable=["m1"])
    ['h1', 'h2']
    """
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    if area is None:
        return facts.households(day, "uncovered")
    territory = facts.territory(day)
    within = [territory.ids[a] for a in territory.below(area_position(territory, area))]
    return facts.households(day, "uncovered", within)


def totals_within(
    G: HasFacts,
    areas: Iterable[str],
    *,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> Figures:
    """The coverage figures of several areas taken together: every household located in one of them or
    in an area within one of them, counted once (also one located in two of them, or in an area that
    lies within two).

    Raises
    ------
    NotFound
        An id that is not an area, or in ``unavailable`` one that is not a member.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"level": "building"}), ("b2", "Area", {"level": "building"}), ("h1", "Household", {})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("LOCATED_IN", "h1", "b2", None, None, {})], revision=1)
    >>> totals_within(idx, ["b1", "b2"])["households"]
    1
    """
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    territory = facts.territory(day)
    chosen = {b for a in set(areas) for b in territory.below(area_position(territory, a))}
    tally = facts.tally(day)
    whole = tally.direct[sorted(chosen)].sum(axis=0) if chosen else np.zeros(len(FIGURES), dtype=np.int64)
    for places, row in tally.several:
        if chosen.intersection(places):
            whole = whole + np.asarray(row, dtype=np.int64)
    return figures(*np.asarray(whole, dtype=np.int64).tolist())


def sub_areas(G: HasFacts, area: str | None = None, *, as_of: str | _dt.date | None = None) -> dict[str, list[str]]:
    """Where an area stands on a day: the areas above it and the areas directly within it, to walk the
    territory one level at a time (the workbench's coverage page drills down by it).

    Parameters
    ----------
    G : store or Index
    area : str, optional
        The area; None for the top of the territory (the areas within no other).
    as_of : ISO date, optional
        The day (default today): ``WITHIN`` edges valid then, areas taking part then.

    Returns
    -------
    dict
        ``{"path": [area ids from the top down to ``area``], "children": [area ids]}``, children sorted
        by id; where an area lies within two others, ``path`` follows the first by id.

    Raises
    ------
    NotFound
        ``area`` is not an area taking part on the day.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index([("s1", "Area", {"level": "street"}), ("c1", "Area", {"level": "community"}),
    ...                    ("c2", "Area", {"level": "community"}), ("g1", "Area", {"level": "grid"})],
    ...                   [("WITHIN", "c1", "s1", None, None, {}), ("WITHIN", "c2", "s1", "2025-01-01", None, {}),
    ...                    ("WITHIN", "g1", "c1", None, None, {})], revision=1)
    >>> sub_areas(idx, "s1", as_of="2025-06-01")
    {'path': ['s1'], 'children': ['c1', 'c2']}
    >>> sub_areas(idx, "g1", as_of="2025-06-01")
    {'path': ['s1', 'c1', 'g1'], 'children': []}
    >>> sub_areas(idx, as_of="2024-06-01")["children"]  # c2 takes no part before its WITHIN begins
    ['s1']
    """
    facts = G.facts()
    territory = facts.territory(day_of(facts, as_of, ()))
    taking_part = set(territory.taking_part)
    if area is None:
        top = [a for a in taking_part if not any(p in taking_part for p in territory.parents[a])]
        return {"path": [], "children": sorted(territory.ids[a] for a in top)}
    here = area_position(territory, area)
    path = [here]
    while True:
        above = [p for p in territory.parents[path[-1]] if p in taking_part and p not in path]
        if not above:
            break
        path.append(min(above, key=lambda p: territory.ids[p]))
    children = [c for c in territory.children[here] if c in taking_part]
    return {"path": [territory.ids[a] for a in reversed(path)], "children": sorted(territory.ids[c] for c in children)}
