"""Stand-ins assigned together: uncovered households placed with nearby members within their capacity."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import Collection, Iterable, Sequence

import networkx as nx

from ..facts import Day, Facts, HasFacts, Territory
from ..results import CoverPlan, StandIn
from .chain import located_in
from ._base import area_position, day_of, is_available
from .gaps import DEFAULT_MAX_HOUSEHOLDS

__all__ = ["cover_plan", "assign", "assign_greedy", "near_areas", "most_given", "plan_summary", "Placement", "STAND_IN_LEVELS", "TOO_FAR",
           "LOCAL", "UNASSIGNED_REASONS"]

#: how many areas up a stand-in is sought where no community (or village) lies above the household
STAND_IN_LEVELS = 3
#: the levels of area too wide to look for a stand-in in, however near
TOO_FAR = frozenset({"street", "township"})
#: the widest area a stand-in is sought in: the household's community, or its village
LOCAL = frozenset({"community", "village"})
#: why a household is left without a stand-in: it is located nowhere; no available member is found
#: anywhere near it; the members near it have no room left once the others are placed; (a plan written from
#: a past day on) it is contacted from a later day on
UNASSIGNED_REASONS = ("unlocated", "nobody_nearby", "no_capacity", "contacted_later")

#: the cost of a step of distance; the flow adds one more for each step a vulnerable household goes, so that
#: of plans equally far in all, the one where vulnerable households go least far is taken
_STEP = 1_000_000
#: the cost of leaving a household unplaced, far above any distance, so that as many households are
#: placed as can be; a vulnerable one costs twice as much, so that it is placed before any other
_UNPLACED = 10**15

#: (household, the positions of the areas it is located in, vulnerable)
Placement = tuple[str, Sequence[int], bool]


def near_areas(territory: Territory, located: Iterable[int]) -> list[int]:
    """Where to look for a household's stand-in, nearest first: the positions of its areas and of those
    above them up to its community (or village), never a street or township; where no community lies
    above, the first :data:`STAND_IN_LEVELS` of them. A stand-in found in the area at index ``i`` of the
    list is ``i`` steps away (0: the household's own building)."""
    located = list(located)
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


class _Pools:
    """The members who may stand in near a set of households: for each area a household may look in,
    the available members with room found in it or below it, and each one's room."""

    def __init__(self, facts: Facts, territory: Territory, day: Day, wanted: set[int], max_households: int,
                 among: Collection[str] | None, with_duty: bool = False, less_room: dict[str, int] | None = None):
        reach: dict[int, list[int]] = {}  # an area within a wanted one -> the wanted areas at or above it
        for area in sorted(wanted):
            for below in territory.below(area):
                reach.setdefault(below, []).append(area)
        found = facts.present(day, [territory.ids[a] for a in sorted(reach)]) if reach else []
        load = facts.contact_load(day)
        marks = facts.nodes({m for m, _ in found})
        # who is assigned to an area or holds a post on the day answers through the chains of the households
        # there already (the first one an uncovered household calls): not a stand-in
        everyone = sorted({m for m, _ in found})
        duty = set() if with_duty else set(facts.having("ASSIGNED_TO", everyone, day=day.as_of)) | set(
            facts.having("HOLDS_POST", everyone, day=day.as_of))
        less = less_room or {}
        #: member -> households it contacts on the day
        self.held: dict[str, int] = {}
        self.anyone: dict[int, bool] = {a: False for a in wanted}  # someone available, with room or not
        chosen: dict[int, set[str]] = {a: set() for a in wanted}
        among = None if among is None else frozenset(among)
        for member, area in found:
            if (not is_available(day, marks, member) or member in duty
                    or (among is not None and member not in among)):
                continue
            position = territory.position[area]
            for up in reach[position]:
                self.anyone[up] = True
            held = load.get(member, (0, 0))[0]
            if held + less.get(member, 0) >= max_households:
                continue
            self.held[member] = held
            for up in reach[position]:
                chosen[up].add(member)
        #: area -> members found in it or below, sorted
        self.members: dict[int, list[str]] = {area: sorted(members) for area, members in chosen.items()}
        self.room = {m: max_households - held - less.get(m, 0) for m, held in self.held.items()}

    def why(self, near: Iterable[int]) -> str:
        """Why a household looking in these areas is left without a stand-in."""
        return "no_capacity" if any(self.anyone[a] for a in near) else "nobody_nearby"


def _stand_in(territory: Territory, member: str, area: int, distance: int, held: int) -> StandIn:
    return {"member": member, "area": territory.ids[area], "level": territory.levels[area],
            "households": held, "distance": distance}


def assign(facts: Facts, territory: Territory, day: Day, households: Iterable[Placement], *,
           max_households: int = DEFAULT_MAX_HOUSEHOLDS, among: Collection[str] | None = None,
           less_room: dict[str, int] | None = None) -> tuple[dict[str, StandIn], dict[str, str]]:
    """One stand-in for each of these households, chosen together as a minimum-cost flow.

    A stand-in is an available member found (contacting a household, or living there) in one of the
    household's :func:`near_areas`, who contacts fewer than ``max_households`` households on the day and is
    neither assigned to an area nor holds a post on it (those already answer, through the chain, for the
    households where they serve: an uncovered household's chain names them first, so a stand-in is
    someone else);
    its *room* is ``max_households`` less the households it contacts. The plan gives no member more
    households than its room, places as many households as can be placed (vulnerable ones before any
    other), and of such plans takes one whose total distance (steps from the household's area to the area
    the stand-in was found in, 0 in the same building) is least, and of those one where vulnerable
    households go least far. It is solved by
    :func:`networkx.min_cost_flow` on a network of household groups (households with the same areas and
    vulnerability), areas and classes of members (those found in the same areas, their room summed), one
    network for each part of the territory that shares no member with another (a community, as a rule),
    so that its size grows with the areas, not the households. Where every household of a part can be
    given a member in its group's nearest area with anyone (vulnerable groups first, each to the class
    with the most room left), that is a least plan already and the flow is not solved. Within a group,
    households by id take the nearest places found for the group; within a class, each goes to the member
    with the most room left, then by id, so that the load is spread.

    Parameters
    ----------
    facts, territory, day
        What the backend finds, the territory on the day, and the day.
    households : iterable of (household, located area positions, vulnerable)
        The households to place, each once.
    max_households : int
        The most households a member may contact, the plan's assignments included.
    among : collection of str, optional
        Only these members may stand in (an API token's own).
    less_room : dict, optional
        Households to take off some members' room besides those they contact on the day (contacts that
        start later, for a plan written from the day on: :func:`orggraph.changes.cover`).

    Returns
    -------
    (placed, unplaced)
        ``{household: {"member", "area", "level", "households", "distance"}}`` where ``area`` is where the
        stand-in was found, ``households`` what it contacted before the plan; and ``{household: reason}``
        for the others, a reason in :data:`UNASSIGNED_REASONS`.
    """
    groups: dict[tuple[tuple[int, ...], bool], list[str]] = {}
    unplaced: dict[str, str] = {}
    for household, located, vulnerable in households:
        if not located:
            unplaced[household] = "unlocated"
            continue
        groups.setdefault((tuple(near_areas(territory, located)), bool(vulnerable)), []).append(household)
    wanted = {a for near, _ in groups for a in near}
    pools = _Pools(facts, territory, day, wanted, max_households, among, less_room=less_room)
    # members found in the same wanted areas are alike to the flow: one node, with their room summed
    where: dict[str, list[int]] = {}
    for area in sorted(wanted):
        for member in pools.members[area]:
            where.setdefault(member, []).append(area)
    alike: dict[tuple[int, ...], list[str]] = {}
    for member, areas in where.items():
        alike.setdefault(tuple(areas), []).append(member)
    # households of one community never meet members of another: each part is solved on its own
    part = {a: a for a in wanted}

    def top(a: int) -> int:
        while part[a] != a:
            part[a] = part[part[a]]
            a = part[a]
        return a

    for areas in [near for near, _ in groups] + list(alike):
        for a in areas[1:]:
            part[top(a)] = top(areas[0])
    order = sorted(groups.items())
    classes = sorted(alike.items())
    at_area: dict[int, list[int]] = {}
    parts: dict[int, tuple[list[int], list[int]]] = {}
    for number, ((near, _), _) in enumerate(order):
        parts.setdefault(top(near[0]), ([], []))[0].append(number)
    for number, (areas, members) in enumerate(classes):
        parts.setdefault(top(areas[0]), ([], []))[1].append(number)
        for area in areas:
            at_area.setdefault(area, []).append(number)
    room = [sum(pools.room[m] for m in members) for _, members in classes]
    queues: dict[int, list[tuple[int, int, int]]] = {}  # group -> (distance, area, class): a household each
    for group_numbers, class_numbers in parts.values():
        found = _nearest_first(order, group_numbers, at_area, room)
        queues.update(found if found is not None else _flow(order, group_numbers, class_numbers, classes, at_area, room))

    given: dict[str, int] = {}
    placed: dict[str, StandIn] = {}
    for number, ((near, vulnerable), members) in enumerate(order):
        queue = sorted(queues.get(number, []))
        households_here = sorted(members)
        for household, (distance, area, number_) in zip(households_here, queue):
            # within a class, the member with the most room left, then by id
            member = min(classes[number_][1], key=lambda m: (given.get(m, 0) - pools.room[m], m))
            given[member] = given.get(member, 0) + 1
            placed[household] = _stand_in(territory, member, area, distance, pools.held[member])
        for household in households_here[len(queue):]:
            unplaced[household] = pools.why(near)
    return placed, unplaced


def _nearest_first(order: list, group_numbers: list[int], at_area: dict[int, list[int]], room: list[int]
                   ) -> dict[int, list[tuple[int, int, int]]] | None:
    """Each household of a part to the nearest class of members with room left, vulnerable groups first;
    None unless every household so gets a member as near as any could be (its group's nearest area where
    any member is found): then no plan places more or goes less far, and the flow need not be solved."""
    left = {c: room[c] for number in group_numbers for area in order[number][0][0] for c in at_area.get(area, ())}
    queues: dict[int, list[tuple[int, int, int]]] = {}
    for number in sorted(group_numbers, key=lambda n: (not order[n][0][1], n)):
        (near, _), members = order[number]
        nearest = next(((d, a) for d, a in enumerate(near) if at_area.get(a)), None)
        if nearest is None:
            continue  # nobody near at all: nothing any plan can do
        distance, area = nearest
        queue = queues[number] = []
        for _ in members:
            best = max(at_area[area], key=lambda c: (left[c], -c))
            if left[best] <= 0:
                return None
            left[best] -= 1
            queue.append((distance, area, best))
    return queues


def _flow(order: list, group_numbers: list[int], class_numbers: list[int], classes: list, at_area: dict[int, list[int]],
          room: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    """The households of a part placed by :func:`networkx.min_cost_flow` (see :func:`assign`)."""
    flow = nx.DiGraph()
    total = 0
    for number in group_numbers:
        (near, vulnerable), members = order[number]
        group = ("g", number)
        flow.add_node(group, demand=-len(members))
        total += len(members)
        flow.add_edge(group, "unplaced", weight=_UNPLACED * (2 if vulnerable else 1))
        for distance, area in enumerate(near):
            if at_area.get(area):
                flow.add_edge(group, ("a", area), weight=distance * _STEP + (distance if vulnerable else 0))
    for number in class_numbers:
        for area in classes[number][0]:
            if ("a", area) in flow:
                flow.add_edge(("a", area), ("m", number), weight=0)
        flow.add_edge(("m", number), "end", weight=0, capacity=room[number])
    flow.add_edge("unplaced", "end", weight=0)
    flow.add_node("end", demand=total)
    sent = nx.min_cost_flow(flow)
    queues: dict[int, list[tuple[int, int, int]]] = {}
    for number in group_numbers:
        near = order[number][0][0]
        queue = queues[number] = []
        for distance, area in enumerate(near):
            through = sent[("g", number)].get(("a", area), 0)
            out = sent.get(("a", area), {})
            for node in sorted(out):
                take = min(through, out[node])
                if take:
                    out[node] -= take
                    through -= take
                    queue.extend([(distance, area, node[1])] * take)
    return queues


def assign_greedy(facts: Facts, territory: Territory, day: Day, households: Iterable[Placement], *,
                  max_households: int = DEFAULT_MAX_HOUSEHOLDS, among: Collection[str] | None = None,
                  count_given: bool = True, with_duty: bool = False) -> tuple[dict[str, StandIn], dict[str, str]]:
    """The household-by-household way, to compare :func:`assign` with: vulnerable households first, then
    by id, each takes the nearest member with room, the least loaded first, then by id. With
    ``count_given`` a member's room shrinks with each household it is given; without, it does not (as a
    list of suggestions made one household at a time, which gives one member every household of a
    building); with ``with_duty``, members assigned to an area or holding a post may stand in too (as they
    were suggested, first of all for the households whose chain names them already). Same arguments and
    answer as :func:`assign`."""
    items = sorted(households, key=lambda h: (not h[2], h[0]))
    unplaced: dict[str, str] = {h: "unlocated" for h, located, _ in items if not located}
    nears = {h: near_areas(territory, located) for h, located, _ in items if located}
    pools = _Pools(facts, territory, day, {a for near in nears.values() for a in near}, max_households, among,
                   with_duty)
    given: dict[str, int] = {}
    placed: dict[str, StandIn] = {}
    for household, near in nears.items():
        best = None
        for distance, area in enumerate(near):
            room = [(pools.held[m] + (given.get(m, 0) if count_given else 0), m) for m in pools.members[area]
                    if not count_given or given.get(m, 0) < pools.room[m]]
            if room:
                best = distance, area, min(room)[1]
                break
        if best is None:
            unplaced[household] = pools.why(near)
            continue
        distance, area, member = best
        given[member] = given.get(member, 0) + 1
        placed[household] = _stand_in(territory, member, area, distance, pools.held[member])
    return placed, unplaced


def cover_plan(
    G: HasFacts,
    area: str | None = None,
    *,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    among: Collection[str] | None = None,
    within: Collection[str] | None = None,
    writable: Collection[str] | None = None,
    skip: Collection[str] = (),
    less_room: dict[str, int] | None = None,
) -> CoverPlan:
    """Permanent contacts proposed for the uncovered households of an area (or of the whole network):
    one member each, chosen together within every member's room, nearest first (see :func:`assign`).

    Parameters
    ----------
    G : store or index
    area : str, optional
        The area whose households (located in it or within it) are placed; every uncovered household if
        not given.
    as_of, unavailable
        The day, and members supposed unreachable, as in every question.
    max_households : int
        The most households a member may contact, the plan's included (the gaps' overload limit, 15).
    among : collection of str, optional
        Only these members may be proposed (an API token's own).
    within : collection of str, optional
        Only households located within these areas (an API token's scope).
    writable : collection of str, optional
        Only these households (those an API token may change: a household also located outside its
        areas is not its alone to give a contact).
    skip, less_room
        Households left out, and households taken off members' room (see :func:`assign`).

    Returns
    -------
    CoverPlan
        ``{"as_of", "area", "households", "placed", "unplaced", "most_given", "mean_distance",
        "assignments": [{"household", "member", "area", "level", "households", "distance"}],
        "unassigned": [{"household", "reason"}]}``: ``households`` the uncovered households considered;
        ``most_given`` the most households any one member is given; ``mean_distance`` the mean steps
        between a placed household's area and where its member was found (None if none is placed).
        Assignments and the unassigned by household id.

    Raises
    ------
    NotFound
        An area, or an unavailable member, that does not exist.
    ValueError
        A negative ``max_households``.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"level": "building"}), ("h1", "Household", {}), ("h2", "Household", {}),
    ...      ("h3", "Household", {}), ("m1", "Member", {})],
    ...     [("LOCATED_IN", h, "b1", None, None, {}) for h in ("h1", "h2", "h3")]
    ...     + [("CONTACTS", "m1", "h3", None, None, {})], revision=1)
    >>> plan = cover_plan(idx, "b1", as_of="2024-01-01", max_households=2)
    >>> [(a["household"], a["member"]) for a in plan["assignments"]], plan["unassigned"]
    ([('h1', 'm1')], [{'household': 'h2', 'reason': 'no_capacity'}])
    """
    if max_households < 0:
        raise ValueError("max_households must not be negative")
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    territory = facts.territory(day)
    if area is not None:
        areas = [territory.ids[a] for a in territory.below(area_position(territory, area))]
    else:
        areas = None
    if within is not None:
        inside = {b for a in within if a in territory.position for b in territory.below(territory.position[a])}
        areas = [a for a in (areas if areas is not None else territory.ids) if territory.position[a] in inside]
    uncovered = facts.households(day, "uncovered", areas)
    if writable is not None:
        uncovered = [h for h in uncovered if h in writable]
    if skip:
        uncovered = [h for h in uncovered if h not in skip]
    hood = facts.neighbourhood(day, uncovered)
    items = [(h, located_in(territory, hood, h), hood.nodes[h].vulnerable) for h in uncovered]
    placed, unplaced = assign(facts, territory, day, items, max_households=max_households, among=among,
                              less_room=less_room)
    return plan_summary(day, area, len(items), placed, unplaced)


def most_given(stand_ins: Iterable[StandIn | None]) -> int:
    """The most households any one member is given among these stand-ins (None for a household with none)."""
    given = Counter(s["member"] for s in stand_ins if s is not None)
    return max(given.values(), default=0)


def plan_summary(day: Day, area: str | None, considered: int, placed: dict[str, StandIn],
                 unplaced: dict[str, str]) -> CoverPlan:
    """A :class:`~orggraph.results.CoverPlan` from what :func:`assign` (or :func:`assign_greedy`) gave."""
    return {
        "as_of": day.as_of,
        "unavailable": sorted(day.unavailable),
        "area": area,
        "households": considered,
        "placed": len(placed),
        "unplaced": len(unplaced),
        "most_given": most_given(placed.values()),
        "mean_distance": (sum(s["distance"] for s in placed.values()) / len(placed)) if placed else None,
        "assignments": [{"household": h, **placed[h]} for h in sorted(placed)],  # type: ignore[typeddict-item]
        "unassigned": [{"household": h, "reason": unplaced[h]} for h in sorted(unplaced)],
    }
