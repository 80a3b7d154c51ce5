"""Gaps: where the network fails the households it should reach."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from itertools import groupby
from operator import itemgetter
from typing import Iterable

import numpy as np

from ..facts import Day, Facts, HasFacts, Load, Tally, Territory
from ..model import POST_RANK
from ..results import CrossBoundary, Gaps, MemberCount, UnassignedArea, VacantPost
from ._base import day_of, is_available, per_area
from .shape import BELOW_COMMUNITY, shape_faults

__all__ = ["gaps", "DEFAULT_MAX_HOUSEHOLDS", "DEFAULT_SPOF"]

#: a member contacting more households than this is overloaded (the field's rule of thumb: 10-15 each)
DEFAULT_MAX_HOUSEHOLDS = 15
#: a member who is the only contact of this many households is a single point of failure
DEFAULT_SPOF = 10

_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _counted(load: Load, counts: np.ndarray, chosen: np.ndarray) -> list[MemberCount]:
    """The chosen members of a :class:`~orggraph.facts.Load` with their counts in one of its columns."""
    at = np.flatnonzero(chosen)
    return [{"member": load.members[i], "households": n} for i, n in zip(at.tolist(), counts[at].tolist())]


def _cross_boundary(facts: Facts, territory: Territory, day: Day, sunk: list[tuple[str, str, str | None]],
                    governs: list[tuple[str, str, str | None]]) -> list[CrossBoundary]:
    """Contacts (valid on the day) of members sunk on the day with households located outside every area
    governed on the day by the orgs they sunk to, and every area within those; an unlocated household is
    left to ``unlocated_households``. Members sunk to the same orgs are asked about together."""
    position = territory.position
    governed_by_org: dict[str, set[int]] = {}
    for org, area, _ in governs:
        governed_by_org.setdefault(org, set()).add(position[area])
    # members by the orgs they sunk to: most sink to one, grouped by a sort on the org; the few that
    # sink to several by their edges, which come sorted by member, then org
    several = {m for m, n in Counter(map(_FIRST, sunk)).items() if n > 1}
    by_orgs: dict[tuple[str, ...], list[str]] = {}
    for member, rows in groupby((edge for edge in sunk if edge[0] in several), _FIRST):
        by_orgs.setdefault(tuple(map(_SECOND, rows)), []).append(member)
    alone = [edge for edge in sunk if edge[0] not in several] if several else sunk
    for org, rows in groupby(sorted(alone, key=_SECOND), _SECOND):
        by_orgs.setdefault((org,), []).extend(map(_FIRST, rows))
    groups: dict[frozenset[int], list[str]] = {}
    for orgs, members in by_orgs.items():
        governed = frozenset(a for org in orgs for a in governed_by_org.get(org, ()))
        groups.setdefault(governed, []).extend(members)
    below: dict[int, list[int]] = {}  # an area governed by several groups' orgs is walked down once
    asked = []
    for governed, members in groups.items():
        for a in governed - below.keys():
            below[a] = territory.below(a)
        areas = {b for a in governed for b in below[a]}
        asked.append((members, [territory.ids[a] for a in sorted(areas)]))
    return [{"member": m, "household": h} for m, h in facts.contacts_outside(day, asked)]


def _located_here(tally: Tally, k: int) -> np.ndarray:
    """Over area positions: the households located in the area itself (one located in several counts in each)."""
    here = tally.direct[:, 0].copy() if len(tally.direct) else np.zeros(k, dtype=np.int64)
    for areas, figures in tally.several:
        here[list(areas)] += figures[0]
    return here


def _near(territory: Territory, people: dict[int, set[str]]) -> tuple[np.ndarray, list[str | None]]:
    """Over area positions: how many people answer for a household located there below the community
    (the area's own ``people``, and those of each area above it of a level below the community), capped
    at 2, and who, where it is one. Down a tree level by level; otherwise area by area."""
    k = len(territory)
    below = np.array([level in BELOW_COMMUNITY for level in territory.levels], dtype=bool)
    names: list[str] = sorted({m for found in people.values() for m in found})
    number = {m: i for i, m in enumerate(names)}
    own_n = np.zeros(k, dtype=np.int64)
    own_m = np.full(k, -1, dtype=np.int64)
    for area, found in people.items():
        own_n[area] = min(len(found), 2)
        if len(found) == 1:
            own_m[area] = number[next(iter(found))]

    def union(n1: np.ndarray, m1: np.ndarray, n2: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two (count capped at 2, the one member) pairs joined: one member each, the same, stays one."""
        same = (n1 == 1) & (n2 == 1) & (m1 == m2)
        n = np.where(same, 1, np.minimum(n1 + n2, 2))
        m = np.where(n == 1, np.where(n1 == 1, m1, m2), -1)
        return n, m

    if territory.single_parent:
        parent, depth = territory.parent, territory.depth
        # what an area hands down: its own people where it lies below the community, and what it inherits
        down_n, down_m = np.where(below, own_n, 0), np.where(below, own_m, -1)
        got_n, got_m = np.zeros(k, dtype=np.int64), np.full(k, -1, dtype=np.int64)  # inherited from above
        order = np.argsort(depth, kind="stable")
        bounds = np.flatnonzero(np.diff(depth[order])) + 1
        for group in np.split(order, bounds):
            up = parent[group]
            has = up >= 0
            g, u = group[has], up[has]
            got_n[g], got_m[g] = union(got_n[u], got_m[u], down_n[u], down_m[u])
        n, m = union(own_n, own_m, got_n, got_m)
    else:
        n, m = np.zeros(k, dtype=np.int64), np.full(k, -1, dtype=np.int64)
        for area in range(k):
            gathered = set(people.get(area, ()))
            for up in territory.ancestry(area)[1:]:
                if below[up]:
                    gathered |= people.get(up, set())
            n[area] = min(len(gathered), 2)
            if len(gathered) == 1:
                m[area] = number[next(iter(gathered))]
    return n, [names[i] if i >= 0 else None for i in m.tolist()]


def _critical(facts: Facts, territory: Territory, day: Day, people: dict[int, set[str]]) -> list[MemberCount]:
    """The members whose absence leaves households with nobody below the community: for each household
    located on the day, its live contacts and the people of its area and of every area above it below
    the community level (``people``: assigned there or holding a post in an org governing it,
    available); where these are one member only, that member is critical for the household. Ranked by
    households, most first, then by id."""
    count, who = _near(territory, people)
    # only households in areas with one person or none there can be left with nobody by one absence
    ids = territory.ids
    thin = {ids[a]: who[a] for a in territory.taking_part if count[a] <= 1}
    counts = Counter(member for _, member in facts.sole_answerers(day, thin)) if thin else Counter()
    return [{"member": m, "households": n} for m, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]


def gaps(
    G: HasFacts,
    *,
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    spof: int = DEFAULT_SPOF,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> Gaps:
    """Every kind of gap on one day; each edge counts only when valid on that day, and only the areas and
    organizations that take part on it (a relation valid on it, or none at all) are named.

    - ``uncovered_households``: no available contact (see :func:`~orggraph.queries.coverage`).
    - ``overloaded_members``: available members contacting more than ``max_households`` households.
    - ``idle_sunk_members``: a ``SUNK_TO`` edge but no ``CONTACTS`` and no ``ASSIGNED_TO``.
    - ``vacant_posts``: areas holding at least one household with no governing org (``no_org``); orgs
      with no available post holder (``no_responsible``); orgs led by a secretary (a secretary, deputy or
      committee member on the day) with no secretary on the day, ``acting`` naming who answers instead
      (``no_secretary``, 书记空缺).
    - ``idle_units``: a ``CO_BUILDS`` edge, but none of the unit's employees has a ``SUNK_TO``.
    - ``single_points_of_failure``: a member who is the only contact of at least ``spof`` households (the
      normal design of 包保 in most places: see ``critical_members``).
    - ``critical_members``: a member whose absence leaves households with nobody within their building
      and grid: no other live contact, nobody else available assigned to their area or an area above it
      below the community level, and nobody else available holding a post in an org governing one of
      those areas (domain.md, "critical members"); ranked by those households, most first.
    - ``unassigned_areas``: areas where households are located with no available member assigned to the
      area itself (a building with no 楼栋长), with how many households are located there.
    - ``territory_shape``: the faults of :func:`~orggraph.queries.territory_shape`.
    - ``cross_boundary_contacts``: a sunk member contacting a household outside every area governed by
      the orgs the member sunk to (households with no location are left to ``unlocated_households``).
    - ``lapsed_households``: ``CONTACTS`` edges exist, none valid on the day, and one ended before it.
    - ``unlocated_households``: no ``LOCATED_IN`` valid on the day.

    Lists are sorted by id, save ``critical_members``.

    Raises
    ------
    ValueError
        ``max_households`` below 0, ``spof`` below 1, or ``as_of`` not an ISO date.
    NotFound
        An id in ``unavailable`` is not a member.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("h1", "Household", {}), ("h2", "Household", {}), ("m1", "Member", {"name": "王芳"})],
    ...     [("CONTACTS", "m1", "h1", "2021-01-01", "2022-12-31", {}), ("CONTACTS", "m1", "h2", None, None, {})],
    ...     revision=1)
    >>> report = gaps(idx, as_of="2024-01-01", spof=1)
    >>> report["uncovered_households"], report["lapsed_households"], report["unlocated_households"]
    (['h1'], ['h1'], ['h1', 'h2'])
    >>> report["single_points_of_failure"]
    [{'member': 'm1', 'households': 1}]
    """
    if max_households < 0 or spof < 1:
        raise ValueError(f"max_households must be at least 0 and spof at least 1, got {max_households} and {spof}")
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    on = day.as_of
    territory = facts.territory(day)

    load = facts.contact_load(day)
    overloaded = _counted(load, load.households, load.households > max_households)
    sole = _counted(load, load.alone, load.alone >= spof)

    sunk = facts.edges("SUNK_TO", day=on)
    sunk_members = list(dict.fromkeys(m for m, _, _ in sunk))  # the edges come sorted: so do their sources
    busy = set(facts.having("CONTACTS", sunk_members, day=on)) | set(facts.having("ASSIGNED_TO", sunk_members, day=on))
    idle_sunk = [m for m in sunk_members if m not in busy]

    tally = facts.tally(day)
    households = per_area(territory, tally)[:, 0]
    governs = facts.edges("GOVERNS", day=on)
    governed = {area for _, area, _ in governs}
    part = territory.exists if territory.exists is not None else True
    vacant: list[VacantPost] = [{"area": territory.ids[a], "org": None, "reason": "no_org", "acting": None}
                                for a in np.flatnonzero((households > 0) & part).tolist()
                                if territory.ids[a] not in governed]
    holders = facts.edges("HOLDS_POST", day=on)
    marks = facts.nodes({m for m, _, _ in holders})
    posts: dict[str, list[tuple[int, str, str]]] = {}
    for member, org, post in holders:
        posts.setdefault(org, []).append((POST_RANK[post], member, post))  # type: ignore[index]
    for org in facts.existing(day, "Org"):
        held = sorted(posts.get(org, ()))
        answering = [(member, post) for _, member, post in held if is_available(day, marks, member)]
        if not answering:
            vacant.append({"area": None, "org": org, "reason": "no_responsible", "acting": None})
        elif all(post != "secretary" for _, _, post in held) and any(post != "group_leader" for _, _, post in held):
            vacant.append({"area": None, "org": org, "reason": "no_secretary", "acting": answering[0][0]})
    vacant.sort(key=lambda v: (v["area"] or v["org"] or "", v["reason"]))

    co_building = {unit for unit, _, _ in facts.edges("CO_BUILDS", day=on)}
    sending = set(facts.others("EMPLOYED_BY", sunk_members, day=on))
    idle_units = sorted(co_building - sending)

    # the people who answer for each area below the community: assigned there, or holding a post in an
    # org governing it, available; and where households are located with nobody assigned
    assigned = facts.edges("ASSIGNED_TO", day=on)
    marks = {**marks, **facts.nodes({m for m, _, _ in assigned} - marks.keys())}
    people: dict[int, set[str]] = {}
    position = territory.position
    staffed: set[str] = set()
    for member, area, _ in assigned:
        if is_available(day, marks, member) and area in position:
            people.setdefault(position[area], set()).add(member)
            staffed.add(area)
    for org, area, _ in governs:
        if area in position:
            people.setdefault(position[area], set()).update(
                m for _, m, _ in posts.get(org, ()) if is_available(day, marks, m))
    direct = _located_here(tally, len(territory))
    here = np.flatnonzero((direct > 0) & part)
    unassigned: list[UnassignedArea] = [
        {"area": territory.ids[a], "level": territory.levels[a], "households": n}
        for a, n in zip(here.tolist(), direct[here].tolist()) if territory.ids[a] not in staffed]

    return {
        "as_of": on,
        "unavailable": sorted(day.unavailable),
        "max_households": max_households,
        "spof": spof,
        "uncovered_households": facts.households(day, "uncovered"),
        "overloaded_members": overloaded,
        "idle_sunk_members": idle_sunk,
        "vacant_posts": vacant,
        "idle_units": idle_units,
        "single_points_of_failure": sole,
        "critical_members": _critical(facts, territory, day, people),
        "unassigned_areas": unassigned,
        "territory_shape": shape_faults(facts, territory, on, households.tolist(), governs),
        "cross_boundary_contacts": _cross_boundary(facts, territory, day, sunk, governs),
        "lapsed_households": facts.households(day, "lapsed"),
        "unlocated_households": facts.households(day, "unlocated"),
    }
