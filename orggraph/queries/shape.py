"""The shape of the territory: areas within two, within a lower rank, outside every street; orgs above nothing."""

from __future__ import annotations

import datetime as _dt

from ..facts import Facts, HasFacts, Territory
from ..model import AREA_RANK
from ..results import ShapeFault
from ._base import day_of, per_area

__all__ = ["territory_shape", "shape_faults", "TOP_LEVELS", "BELOW_COMMUNITY"]

#: the levels every area lies within (or is)
TOP_LEVELS = frozenset({"street", "township"})
#: the levels below the community: those a household's own people answer at (critical members)
BELOW_COMMUNITY = frozenset(level for level, rank in AREA_RANK.items() if rank >= 2)


def shape_faults(facts: Facts, territory: Territory, on: str, households: list[int] | None = None,
                 governing: list[tuple[str, str, str | None]] | None = None) -> list[ShapeFault]:
    """The faults of one day's territory (see :func:`territory_shape`), sorted by area or org, then fault.

    ``households`` gives, by area position, the households located in it or within it on the day (for
    the count of an area outside every street); it is worked out when not given, as ``governing`` (the
    ``GOVERNS`` edges valid on the day) is read when not given.
    """
    faults: list[ShapeFault] = []
    ids, levels, parents = territory.ids, territory.levels, territory.parents
    taking_part = territory.taking_part

    def fault(area: str | None, kind: str, within: list[str], households: int = 0, org: str | None = None) -> None:
        faults.append({"area": area, "org": org, "fault": kind, "within": within, "households": households})

    def held(a: int) -> int:
        nonlocal households
        if households is None:  # the tally of the day, for the households within the areas at fault
            from ..facts import Day

            households = per_area(territory, facts.tally(Day(on)))[:, 0].tolist()
        return int(households[a])

    for a in taking_part:
        ups = parents[a]
        if len(ups) > 1:
            fault(ids[a], "within_two", [ids[p] for p in ups], held(a))
        rank = AREA_RANK.get(levels[a] or "")
        for p in ups:
            upper = AREA_RANK.get(levels[p] or "")
            if rank is not None and upper is not None and upper >= rank:
                fault(ids[a], "within_lower", [ids[p]], held(a))
    for a in taking_part:
        if not parents[a] and levels[a] not in TOP_LEVELS:
            fault(ids[a], "outside_street", [], held(a))
    # an org subordinate to one that governs areas, none of them above the areas it governs
    governs: dict[str, list[int]] = {}
    position = territory.position
    for org, area, _ in facts.edges("GOVERNS", day=on) if governing is None else governing:
        if area in position:
            governs.setdefault(org, []).append(position[area])
    up = territory.parent.tolist() if territory.single_parent else None

    def above(area: int) -> list[int]:
        if up is None:
            return territory.ancestry(area)[1:]
        found = []
        while up[area] >= 0:
            area = up[area]
            found.append(area)
        return found

    for org, parent, _ in facts.edges("SUBORDINATE_TO", day=on):
        mine, theirs = governs.get(org), governs.get(parent, ())
        if not mine:  # an org that governs no area (a unit's own) is subordinate to any
            continue
        if not {a for area in mine for a in above(area)}.intersection(theirs):
            fault(None, "org_above_nothing", [parent], org=org)
    faults.sort(key=lambda f: (f["area"] or f["org"] or "", f["fault"]))
    return faults


def territory_shape(G: HasFacts, *, as_of: str | _dt.date | None = None) -> list[ShapeFault]:
    """What is wrong with the shape of the territory on a day (domain.md: "On any day an area lies within
    at most one area, of a higher rank; every area lies within a street or township").

    Faults, each ``{"area", "org", "fault", "within", "households"}``:

    - ``within_two``: an area within two or more areas on the same day (``within``: them);
    - ``within_lower``: an area within one of a lower or equal rank (:data:`orggraph.model.AREA_RANK`), such as a
      community filed under a building (``within``: that one);
    - ``outside_street``: an area that lies within no area and is no street or township, so that it and
      every area below it lie outside every street (``households``: how many are located there);
    - ``org_above_nothing``: an organization (``org``) that governs areas, subordinate to one (``within``)
      that governs none above them (or none at all).

    ``households`` counts those located in the area at fault or within it on the day.

    Only the relations valid on the day count, and only the areas that take part on it. Sorted by area
    (or org), then fault.

    Raises
    ------
    ValueError
        ``as_of`` is not an ISO date.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("s1", "Area", {"level": "street"}), ("g1", "Area", {"level": "grid"}), ("g2", "Area", {"level": "grid"}),
    ...      ("b1", "Area", {"level": "building"}), ("h1", "Household", {})],
    ...     [("WITHIN", "g1", "s1", None, None, {}), ("WITHIN", "b1", "g1", None, None, {}),
    ...      ("WITHIN", "b1", "g2", None, None, {}), ("LOCATED_IN", "h1", "b1", None, None, {})], revision=1)
    >>> [(f["area"], f["fault"], f["within"], f["households"]) for f in territory_shape(idx, as_of="2024-01-01")]
    [('b1', 'within_two', ['g1', 'g2'], 1), ('g2', 'outside_street', [], 1)]
    """
    facts = G.facts()
    day = day_of(facts, as_of, ())
    return shape_faults(facts, facts.territory(day), day.as_of)
