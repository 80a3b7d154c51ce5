"""Gaps: where the network fails the households it should reach."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import numpy as np

from ..index import MEMBER, ORG
from ._view import View, on_server, view_of

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
    """Contacts of sunk members with households outside every area their orgs govern on the day.

    Vectorized: a contact (member, household) is inside when some ancestor of the household's area is
    governed by an org the member sunk to; (member, area) pairs are compared as sorted whole numbers.
    """
    index, n = view.index, view.index.n
    sunk, governs, contacts = index.edges["SUNK_TO"], index.edges["GOVERNS"], index.edges["CONTACTS"]
    ok_sunk = view.valid("SUNK_TO")
    if not ok_sunk.any():
        return []
    ok_gov = view.valid("GOVERNS")
    # (member, org) of valid SUNK_TO, joined with (org, area) of valid GOVERNS, as member * n + area
    sm, so = sunk.source[ok_sunk].astype(np.int64), sunk.target[ok_sunk].astype(np.int64)
    go, ga = governs.source[ok_gov].astype(np.int64), governs.target[ok_gov].astype(np.int64)
    order = np.argsort(go, kind="stable")
    go, ga = go[order], ga[order]
    lo, hi = np.searchsorted(go, so, "left"), np.searchsorted(go, so, "right")
    reps = hi - lo
    pair_m = np.repeat(sm, reps)
    # for each SUNK_TO edge, every GOVERNS row of its org: positions lo .. hi-1, laid end to end
    starts = np.repeat(lo, reps)
    offsets = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
    pair_a = ga[starts + offsets]
    allowed = np.unique(pair_m * n + pair_a)
    is_sunk = np.zeros(n, dtype=bool)
    is_sunk[sm] = True
    chosen = view.valid("CONTACTS") & is_sunk[contacts.source]
    m, h = contacts.source[chosen].astype(np.int64), contacts.target[chosen].astype(np.int64)
    located = view.s["located_count"][h]
    keep = located > 0  # an unlocated household is its own gap, not a boundary question
    m, h, located = m[keep], h[keep], located[keep]
    inside = np.zeros(len(m), dtype=bool)

    def within(members: np.ndarray, areas: np.ndarray) -> np.ndarray:
        key = members * n + areas
        pos = np.searchsorted(allowed, key)
        return (areas >= 0) & (pos < len(allowed)) & (allowed[np.minimum(pos, len(allowed) - 1)] == key)

    single = located == 1
    homes = view.s["home"][h[single]]
    matrix = view.s["anc_matrix"]
    hit = np.zeros(int(single.sum()), dtype=bool)
    for d in range(matrix.shape[1]):
        hit |= within(m[single], matrix[homes, d])
    inside[single] = hit
    if (~single).any():  # households located in several areas: any of them will do
        located_in = index.edges["LOCATED_IN"]
        for i in np.flatnonzero(~single).tolist():
            areas = [int(located_in.target[e]) for e in located_in.of(int(h[i]), "source", n).tolist()]
            ups = np.array([u for a in areas for u in view.s["ancestry"][a]], dtype=np.int64)
            inside[i] = within(np.full(len(ups), m[i]), ups).any()
    pairs = np.unique(m[~inside] * n + h[~inside])
    ids = index.ids
    return [{"member": ids[k // n], "household": ids[k % n]} for k in pairs.tolist()]


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
    if on_server(store):
        from .server import gaps as run

        return run(store, max_households=max_households, spof=spof, as_of=as_of, unavailable=unavailable)
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
