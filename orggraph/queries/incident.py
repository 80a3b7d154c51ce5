"""Incidents: every affected household with its chain, and who could stand in for the missing contacts."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import numpy as np

from ._view import View, on_server, view_of
from .chain import areas_by_distance, chain_in_view
from .gaps import DEFAULT_MAX_HOUSEHOLDS

__all__ = ["incident", "assemble_incident", "STAND_IN_LEVELS"]

#: stand-ins suggested for each uncovered household, unless asked otherwise
DEFAULT_STAND_INS = 3
#: how far a stand-in may be from the household: its own area (building), then the grid, then the community
STAND_IN_LEVELS = 3


def _places(view: View, capable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(member, area) where each capable member is found: households they contact or live in, areas they serve."""
    index, home = view.index, view.s["home"]
    contacts, assigned, resides = index.edges["CONTACTS"], index.edges["ASSIGNED_TO"], index.edges["RESIDES_IN"]
    m = [contacts.source[view.live_contacts], assigned.source[view.valid("ASSIGNED_TO")], resides.source]
    a = [home[contacts.target[view.live_contacts]], assigned.target[view.valid("ASSIGNED_TO")], home[resides.target]]
    members = np.concatenate(m).astype(np.int64)
    areas = np.concatenate(a).astype(np.int64)
    keep = (areas >= 0) & capable[members]
    return members[keep], areas[keep]


def _stand_in_buckets(view: View, wanted: set[int], max_households: int) -> dict[int, list[int]]:
    """For each wanted area: available members with spare capacity found within it, least loaded first."""
    capable = view.available & (view.load < max_households)
    members, places = _places(view, capable)
    s = view.s
    buckets: dict[int, list[int]] = {}
    if not wanted:
        return buckets
    hit = np.isin(s["anc_up"], np.fromiter(wanted, dtype=np.int64))
    leaf_to_up: dict[int, list[int]] = {}
    for leaf, up in zip(s["anc_leaf"][hit].tolist(), s["anc_up"][hit].tolist()):
        leaf_to_up.setdefault(leaf, []).append(up)
    found: dict[int, set[int]] = {a: set() for a in wanted}
    relevant = np.isin(places, np.fromiter(leaf_to_up, dtype=np.int64)) if leaf_to_up else np.zeros(0, dtype=bool)
    for member, place in zip(members[relevant].tolist(), places[relevant].tolist()):
        for up in leaf_to_up[place]:
            found[up].add(member)
    load = view.load
    for area, people in found.items():
        buckets[area] = sorted(people, key=lambda m: (int(load[m]), m))
    return buckets


def incident(
    store: Any,
    areas: Iterable[str] = (),
    households: Iterable[str] = (),
    *,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    stand_ins: int = 3,
) -> dict[str, Any]:
    """The call sheet of an incident (a flood zone, a locked-down block).

    Every household located in the given areas (or within them), and any listed by id, with its
    responsibility chain; uncovered vulnerable households first, then the other uncovered, then the
    other vulnerable, then the rest, each group by id. Each uncovered household gets up to ``stand_ins``
    suggested stand-ins: available members contacting fewer than ``max_households`` households, found in
    the household's own area (building) first, then its grid, then its community; within a level, the
    least loaded first, then by id.

    Returns
    -------
    dict
        ``{"as_of", "areas", "households", "uncovered", "vulnerable", "entries": [{"household",
        "covered", "vulnerable", "people", "chain", "stand_ins": [{"member", "area", "level",
        "households"}]}]}``

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
    area_ids = sorted(set(areas))
    named = list(households)
    if not area_ids and not named:
        raise ValueError("an incident needs at least one area or household")
    if on_server(store):
        from .server import incident as run

        return run(store, area_ids, named, as_of=as_of, unavailable=unavailable,
                   max_households=max_households, stand_ins=stand_ins)
    view = view_of(store, as_of, unavailable)
    index = view.index
    ids = index.ids
    chosen = set(view.households_within([view.area_number(a) for a in area_ids]).tolist()) if area_ids else set()
    for household in named:
        chosen.add(view.household_number(household))
    def levels(h: int) -> list[str]:
        return [ids[a] for a, distance in areas_by_distance(view, h) if distance < STAND_IN_LEVELS]

    covered, vulnerable, people = view.covered, index.attrs["vulnerable"], index.attrs["people"]
    facts = [
        {"household": ids[h], "covered": bool(covered[h]), "vulnerable": bool(vulnerable[h]),
         "people": int(people[h]), "levels": levels(h) if not covered[h] else []}
        for h in chosen
    ]
    wanted = {a for f in facts for a in f["levels"]}
    buckets: dict[str, list[tuple[int, str]]] = {}
    if stand_ins and wanted:
        numbers = {index.number[a] for a in wanted}
        for area, members in _stand_in_buckets(view, numbers, max_households).items():
            buckets[ids[area]] = [(int(view.load[m]), ids[m]) for m in members]
    chains = {f["household"]: chain_in_view(view, index.number[f["household"]]) for f in facts}
    return assemble_incident(view.as_of, view.unavailable_ids, area_ids, facts, chains, buckets, index.level_of_id,
                             stand_ins)


def assemble_incident(as_of: str, unavailable: list[str], areas: list[str], facts: list[dict[str, Any]],
                      chains: dict[str, dict[str, Any]], buckets: dict[str, list[tuple[int, str]]],
                      level_of: Any, stand_ins: int) -> dict[str, Any]:
    """Order an incident's households and pick their stand-ins; the same for every backend.

    ``facts``: one dict a household with ``household``, ``covered``, ``vulnerable``, ``people`` and
    ``levels`` (for an uncovered one, its areas nearest first: building, grid, community); ``buckets``:
    for each of those areas, the capable members found within it as (load, member id).
    """
    def rank(f: dict[str, Any]) -> tuple[int, str]:
        group = 0 if not f["covered"] and f["vulnerable"] else 1 if not f["covered"] else 2 if f["vulnerable"] else 3
        return group, f["household"]

    entries = []
    for f in sorted(facts, key=rank):
        picked: list[dict[str, Any]] = []
        seen: set[str] = set()
        for area in f["levels"] if stand_ins else ():
            for load, member in sorted(buckets.get(area, ())):
                if member in seen:
                    continue
                seen.add(member)
                picked.append({"member": member, "area": area, "level": level_of(area), "households": load})
                if len(picked) == stand_ins:
                    break
            if len(picked) == stand_ins:
                break
        entries.append({"household": f["household"], "covered": f["covered"], "vulnerable": f["vulnerable"],
                        "people": f["people"], "chain": chains[f["household"]], "stand_ins": picked})
    return {
        "as_of": as_of,
        "unavailable": unavailable,
        "areas": areas,
        "households": len(entries),
        "uncovered": sum(1 for e in entries if not e["covered"]),
        "vulnerable": sum(1 for e in entries if e["vulnerable"]),
        "entries": entries,
    }
