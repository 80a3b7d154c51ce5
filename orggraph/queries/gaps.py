"""Gaps: where the network fails the households it should reach."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from itertools import groupby
from operator import itemgetter
from typing import Iterable

import numpy as np

from ..facts import Day, Facts, HasFacts, Load, Territory
from ..results import CrossBoundary, Gaps, MemberCount, VacantPost
from ._base import day_of, is_available, per_area

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


def gaps(
    G: HasFacts,
    *,
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    spof: int = DEFAULT_SPOF,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> Gaps:
    """Every kind of gap on one day; each edge counts only when valid on that day.

    - ``uncovered_households``: no available contact (see :func:`~orggraph.queries.coverage`).
    - ``overloaded_members``: available members contacting more than ``max_households`` households.
    - ``idle_sunk_members``: a ``SUNK_TO`` edge but no ``CONTACTS`` and no ``ASSIGNED_TO``.
    - ``vacant_posts``: areas holding at least one household with no governing org (``no_org``), and
      orgs with no available post holder (``no_responsible``).
    - ``idle_units``: a ``CO_BUILDS`` edge, but none of the unit's employees has a ``SUNK_TO``.
    - ``single_points_of_failure``: a member who is the only contact of at least ``spof`` households.
    - ``cross_boundary_contacts``: a sunk member contacting a household outside every area governed by
      the orgs the member sunk to (households with no location are left to ``unlocated_households``).
    - ``lapsed_households``: ``CONTACTS`` edges exist, none valid on the day, and one ended before it.
    - ``unlocated_households``: no ``LOCATED_IN``.

    Lists are sorted by id.

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

    holding = per_area(territory, facts.tally(day))[:, 0] > 0
    governs = facts.edges("GOVERNS", day=on)
    governed = {area for _, area, _ in governs}
    vacant: list[VacantPost] = [{"area": a, "org": None, "reason": "no_org"}
                                for a, held in zip(territory.ids, holding.tolist()) if held and a not in governed]
    holders = facts.edges("HOLDS_POST", day=on)
    marks = facts.nodes({m for m, _, _ in holders})
    answered = {org for member, org, _ in holders if is_available(day, marks, member)}
    vacant += [{"area": None, "org": o, "reason": "no_responsible"} for o in facts.ids("Org") if o not in answered]
    vacant.sort(key=lambda v: (v["area"] or v["org"] or "", v["reason"]))

    co_building = {unit for unit, _, _ in facts.edges("CO_BUILDS", day=on)}
    sending = set(facts.others("EMPLOYED_BY", sunk_members))
    idle_units = sorted(co_building - sending)

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
        "cross_boundary_contacts": _cross_boundary(facts, territory, day, sunk, governs),
        "lapsed_households": facts.households(day, "lapsed"),
        "unlocated_households": facts.households(day, "unlocated"),
    }
