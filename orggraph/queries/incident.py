"""Incidents: every affected household with its chain, and who could stand in for the missing contacts."""

from __future__ import annotations

import datetime as _dt
from typing import Collection, Iterable

from ..facts import Day, Facts, HasFacts, Territory
from ..results import Incident, IncidentEntry, StandIn
from ._base import area_position, day_of, is_available, require
from .chain import chain_of, contacts_in
from .gaps import DEFAULT_MAX_HOUSEHOLDS

__all__ = ["incident", "STAND_IN_LEVELS", "TOO_FAR", "LOCAL", "DEFAULT_STAND_INS"]

#: how many areas up a stand-in is sought where no community (or village) lies above the household
STAND_IN_LEVELS = 3
#: the levels of area too wide to look for a stand-in in, however near
TOO_FAR = frozenset({"street", "township"})
#: the widest area a stand-in is sought in: the household's community, or its village
LOCAL = frozenset({"community", "village"})
#: stand-ins suggested for each uncovered household, unless asked otherwise
DEFAULT_STAND_INS = 3


def _near(territory: Territory, located: list[int]) -> list[int]:
    """Where to look for a household's stand-ins, nearest first: its areas and those above them up to its
    community (or village), never a street or township; where no community lies above, the first
    :data:`STAND_IN_LEVELS` of them."""
    near: set[int] = set()
    for area in located:
        taken = []
        for up in territory.ancestry(area):
            if territory.levels[up] in TOO_FAR:
                break
            taken.append(up)
            if territory.levels[up] in LOCAL:
                break
        if not any(territory.levels[a] in LOCAL for a in taken):
            taken = taken[:STAND_IN_LEVELS]
        near.update(taken)
    return [a for a, _ in territory.distances(located) if a in near]


def _stand_in_pools(facts: Facts, territory: Territory, day: Day, wanted: set[int], max_households: int,
                    among: Collection[str] | None) -> dict[int, list[tuple[int, str]]]:
    """For each wanted area: (households contacted, member) of the available members with room for more
    (fewer than ``max_households``) found on the day in it or in an area within it (and among ``among``
    when given), least loaded first."""
    if not wanted:
        return {}
    reach: dict[int, list[int]] = {}  # an area within a wanted one -> the wanted areas at or above it
    for area in sorted(wanted):
        for below in territory.below(area):
            reach.setdefault(below, []).append(area)
    found = facts.present(day, [territory.ids[a] for a in sorted(reach)])
    load = facts.contact_load(day)
    marks = facts.nodes({m for m, _ in found})
    pools: dict[int, set[tuple[int, str]]] = {a: set() for a in wanted}
    for member, area in found:
        households = load.get(member, (0, 0))[0]
        if households < max_households and is_available(day, marks, member) and (among is None or member in among):
            for up in reach[territory.position[area]]:
                pools[up].add((households, member))
    return {area: sorted(pool) for area, pool in pools.items()}


def incident(
    G: HasFacts,
    areas: Iterable[str] = (),
    households: Iterable[str] = (),
    *,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    stand_ins: int = DEFAULT_STAND_INS,
    among: Collection[str] | None = None,
) -> Incident:
    """The call sheet of an incident (a flood zone, a locked-down block).

    Every household located in the given areas (or within them), and any listed by id, with its
    responsibility chain; uncovered vulnerable households first, then the other uncovered, then the
    other vulnerable, then the rest, each group by id. Each uncovered household gets up to ``stand_ins``
    suggested stand-ins: available members contacting fewer than ``max_households`` households, found
    (contacting a household, assigned, or living there) in the household's own area (building) first,
    then each area above it up to its community or village (grid, community); never a street or a
    township; where no community lies above, the first :data:`STAND_IN_LEVELS` areas. Within an area,
    the least loaded first, then by id; a member is suggested once. With ``among``, only
    those members may stand in (an API token's own).

    Returns
    -------
    Incident
        ``{"as_of", "unavailable", "areas", "households", "uncovered", "vulnerable", "entries":
        [{"household", "covered", "vulnerable", "people", "chain", "stand_ins": [{"member", "area",
        "level", "households"}]}]}``

    Raises
    ------
    ValueError
        Neither an area nor a household, a negative ``stand_ins`` or ``max_households``.
    NotFound
        An area, household or unavailable member that does not exist.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"name": "1号楼", "level": "building"}), ("h1", "Household", {"flags": ["disabled"]}),
    ...      ("h2", "Household", {}), ("m1", "Member", {"name": "王芳"})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("LOCATED_IN", "h2", "b1", None, None, {}),
    ...      ("CONTACTS", "m1", "h2", None, None, {})], revision=1)
    >>> sheet = incident(idx, ["b1"], as_of="2024-01-01")
    >>> [(e["household"], e["covered"], [s["member"] for s in e["stand_ins"]]) for e in sheet["entries"]]
    [('h1', False, ['m1']), ('h2', True, [])]
    """
    if stand_ins < 0 or max_households < 0:
        raise ValueError("stand_ins and max_households must not be negative")
    for name, value in (("areas", areas), ("households", households), ("among", among)):
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{name} is a list of ids, not one id: write [{value!r}]")
    area_ids = sorted(set(areas))
    named = list(dict.fromkeys(households))
    if not area_ids and not named:
        raise ValueError("an incident needs at least one area or household")
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    territory = facts.territory(day)
    within = sorted({b for a in area_ids for b in territory.below(area_position(territory, a))})
    require(facts, named, "Household")
    chosen = sorted(set(facts.households(day, "all", [territory.ids[a] for a in within]) if within else ()) | set(named))
    hood = facts.neighbourhood(day, chosen)

    def rank(household: str) -> tuple[int, str]:
        covered, vulnerable = bool(contacts_in(day, hood, household)), hood.nodes[household].vulnerable
        return (0 if not covered and vulnerable else 1 if not covered else 2 if vulnerable else 3), household

    ordered = sorted(chosen, key=rank)
    levels: dict[str, list[int]] = {}
    for household in ordered:
        if stand_ins and not contacts_in(day, hood, household):
            located = [territory.position[a] for a in hood.located.get(household, ())]
            levels[household] = _near(territory, located)
    pools = _stand_in_pools(facts, territory, day, {a for up in levels.values() for a in up}, max_households,
                            None if among is None else frozenset(among))
    entries: list[IncidentEntry] = []
    for household in ordered:
        chain = chain_of(day, hood, territory, household)
        picked: list[StandIn] = []
        seen: set[str] = set()
        for area in levels.get(household, ()):
            for load, member in pools[area]:
                if len(picked) < stand_ins and member not in seen:
                    seen.add(member)
                    picked.append({"member": member, "area": territory.ids[area], "level": territory.levels[area],
                                   "households": load})
        node = hood.nodes[household]
        entries.append({"household": household, "covered": chain["covered"], "vulnerable": node.vulnerable,
                        "people": node.people, "chain": chain, "stand_ins": picked})
    return {
        "as_of": day.as_of,
        "unavailable": sorted(day.unavailable),
        "areas": area_ids,
        "households": len(entries),
        "uncovered": sum(1 for e in entries if not e["covered"]),
        "vulnerable": sum(1 for e in entries if e["vulnerable"]),
        "entries": entries,
    }
