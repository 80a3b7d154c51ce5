"""Gaps: where the network fails the households it should reach."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import numpy as np

from ..index import MEMBER, ORG
from ._view import View, view_of

__all__ = ["gaps", "DEFAULT_MAX_HOUSEHOLDS", "DEFAULT_SPOF"]

DEFAULT_MAX_HOUSEHOLDS = 15
DEFAULT_SPOF = 10


def _ids(view: View, numbers: np.ndarray) -> list[str]:
    ids = view.index.ids
    return [ids[i] for i in np.sort(numbers).tolist()]


def _counted(view: View, counts: np.ndarray, mask: np.ndarray) -> list[dict[str, Any]]:
    ids = view.index.ids
    return [{"member": ids[m], "households": int(counts[m])} for m in np.flatnonzero(mask).tolist()]


def _cross_boundary(view: View) -> list[dict[str, str]]:
    """Contacts of sunk members with households outside every area their orgs govern on the day."""
    index, n = view.index, view.index.n
    sunk, governs, contacts = index.edges["SUNK_TO"], index.edges["GOVERNS"], index.edges["CONTACTS"]
    ok_sunk = view.valid("SUNK_TO")
    if not ok_sunk.any():
        return []
    # (member, area governed by an org the member sunk to)
    org_areas: dict[int, list[int]] = {}
    ok_gov = view.valid("GOVERNS")
    for org, area in zip(governs.source[ok_gov].tolist(), governs.target[ok_gov].tolist()):
        org_areas.setdefault(org, []).append(area)
    allowed: set[tuple[int, int]] = set()
    sunk_members = set()
    for member, org in zip(sunk.source[ok_sunk].tolist(), sunk.target[ok_sunk].tolist()):
        sunk_members.add(member)
        for area in org_areas.get(org, ()):
            allowed.add((member, area))
    is_sunk = np.zeros(n, dtype=bool)
    is_sunk[list(sunk_members)] = True
    chosen = view.valid("CONTACTS") & is_sunk[contacts.source]
    located = index.edges["LOCATED_IN"]
    homes: dict[int, list[int]] = {}
    for h, a in zip(located.source.tolist(), located.target.tolist()):
        homes.setdefault(h, []).append(a)
    ancestry = view.s["ancestry"]
    found = set()
    for member, household in zip(contacts.source[chosen].tolist(), contacts.target[chosen].tolist()):
        if household not in homes:  # an unlocated household is its own gap, not a boundary question
            continue
        inside = any((member, a) in allowed for home in homes.get(household, ()) for a in ancestry[home])
        if not inside:
            found.add((member, household))
    ids = index.ids
    return [{"member": ids[m], "household": ids[h]} for m, h in sorted(found)]


def gaps(
    store: Any,
    *,
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    spof: int = DEFAULT_SPOF,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> dict[str, Any]:
    """Every kind of gap on one day; each edge counts only when valid on that day.

    - ``uncovered_households``: no available contact.
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
    view = view_of(store, as_of, unavailable)
    index, s, n = view.index, view.s, view.index.n
    households = s["households"]
    kinds = index.kinds

    uncovered = households[~view.covered[households]]

    load = view.load
    overloaded = (load > max_households) & view.available

    sunk = index.edges["SUNK_TO"]
    has_sunk = np.zeros(n, dtype=bool)
    has_sunk[sunk.source[view.valid("SUNK_TO")]] = True
    busy = np.zeros(n, dtype=bool)
    contacts = index.edges["CONTACTS"]
    busy[contacts.source[view.valid("CONTACTS")]] = True
    assigned = index.edges["ASSIGNED_TO"]
    busy[assigned.source[view.valid("ASSIGNED_TO")]] = True
    idle_sunk = np.flatnonzero(has_sunk & ~busy)

    holding = view.area_totals(np.ones(n)) > 0
    governs = index.edges["GOVERNS"]
    governed = np.zeros(n, dtype=bool)
    governed[governs.target[view.valid("GOVERNS")]] = True
    no_org = s["areas"][holding[s["areas"]] & ~governed[s["areas"]]]
    orgs = np.flatnonzero(kinds == ORG)
    no_responsible = orgs[~view.has_responsible[orgs]]
    vacant = [{"area": index.ids[a], "org": None, "reason": "no_org"} for a in no_org.tolist()]
    vacant += [{"area": None, "org": index.ids[o], "reason": "no_responsible"} for o in no_responsible.tolist()]
    vacant.sort(key=lambda v: (v["area"] or v["org"], v["reason"]))

    co_builds = index.edges["CO_BUILDS"]
    building = np.zeros(n, dtype=bool)
    building[co_builds.source[view.valid("CO_BUILDS")]] = True
    employed = index.edges["EMPLOYED_BY"]
    sending = np.zeros(n, dtype=bool)
    sending[employed.target[has_sunk[employed.source]]] = True
    idle_units = np.flatnonzero(building & ~sending)

    members, hh = view.contact_pairs
    only = view.contact_count[hh] == 1
    sole = np.bincount(members[only], minlength=n)
    spofs = (sole >= spof) & (kinds == MEMBER)

    valid_contacts = view.valid("CONTACTS")
    has_valid = np.zeros(n, dtype=bool)
    has_valid[contacts.target[valid_contacts]] = True
    has_any = np.zeros(n, dtype=bool)
    has_any[contacts.target] = True
    ended = np.zeros(n, dtype=bool)
    ended[contacts.target[contacts.until < view.day]] = True
    lapsed = households[has_any[households] & ~has_valid[households] & ended[households]]

    unlocated = households[s["located_count"][households] == 0]

    return {
        "as_of": view.as_of,
        "unavailable": view.unavailable_ids,
        "max_households": max_households,
        "spof": spof,
        "uncovered_households": _ids(view, uncovered),
        "overloaded_members": _counted(view, load, overloaded),
        "idle_sunk_members": _ids(view, idle_sunk),
        "vacant_posts": vacant,
        "idle_units": _ids(view, idle_units),
        "single_points_of_failure": _counted(view, sole, spofs),
        "cross_boundary_contacts": _cross_boundary(view),
        "lapsed_households": _ids(view, lapsed),
        "unlocated_households": _ids(view, unlocated),
    }
