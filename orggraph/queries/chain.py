"""The 包保 responsibility chain of a household: whom to call, in escalation order."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from ._view import View, on_server, view_of

__all__ = ["responsibility_chain", "contacts_of", "chain_in_view", "assemble_chain"]


def _link(role: str, member: str | None = None, area: str | None = None, org: str | None = None,
          unit: str | None = None) -> dict[str, Any]:
    return {"role": role, "member": member, "area": area, "org": org, "unit": unit}


def _break(reason: str, area: str | None = None, org: str | None = None) -> dict[str, Any]:
    return {"area": area, "org": org, "reason": reason}


def assemble_chain(
    household: str,
    as_of: str,
    contacts: list[tuple[str, list[tuple[str, list[str]]]]],
    territory: list[tuple[str, list[str], list[str]]],
    responsible: dict[str, str | None],
    weak: set[str],
) -> dict[str, Any]:
    """Put a chain together from what a backend found; the order and the breaks are decided here only.

    Parameters
    ----------
    contacts : [(member, [(unit, [org of the unit])])]
        The available contacts by id, each with the units that sent it (by id) and their orgs (by id).
    territory : [(area, [assigned member], [governing org])]
        The household's areas upward, nearest first; assigned members by role then id; orgs by id.
    responsible : {org: member or None}
        The responsible person of every org named above.
    weak : set of org ids
        The weak and lax organizations among them.
    """
    links: list[dict[str, Any]] = []
    breaks: list[dict[str, Any]] = []

    def org_link(role: str, org: str, area: str | None = None, unit: str | None = None) -> None:
        person = responsible.get(org)
        links.append(_link(role, member=person, area=area, org=org, unit=unit))
        if person is None:
            breaks.append(_break("no_responsible", area=area, org=org))
        if role == "org" and org in weak:
            breaks.append(_break("weak_org", area=area, org=org))

    for member, units in contacts:
        links.append(_link("contact", member=member))
        for unit, orgs in units:
            if not orgs:
                links.append(_link("sending_unit", unit=unit))
            for org in orgs:
                org_link("sending_unit", org, unit=unit)
    for area, assigned, orgs in territory:
        for member in assigned:
            links.append(_link("area", member=member, area=area))
        if not orgs:
            breaks.append(_break("no_org", area=area))
        for org in orgs:
            org_link("org", org, area=area)
    return {"household": household, "as_of": as_of, "covered": bool(contacts), "links": links, "breaks": breaks}


def _contacts(view: View, household: int) -> list[int]:
    c = view.index.edges["CONTACTS"]
    return sorted(
        {
            int(c.source[e])
            for e in c.of(household, "target", view.index.n).tolist()
            if view.edge_ok("CONTACTS", e) and view.is_available(int(c.source[e]))
        }
    )


def areas_by_distance(view: View, household: int) -> list[tuple[int, int]]:
    """(area, distance) for the household's areas (distance 0) and every area above them, nearest first,
    ties by id: the escalation order, also for a household located in several areas."""
    located = view.index.edges["LOCATED_IN"]
    frontier = sorted({int(located.target[e]) for e in located.of(household, "source", view.index.n).tolist()})
    parents = view.s["parents"]
    distance: dict[int, int] = {}
    step = 0
    while frontier:
        nxt = []
        for area in frontier:
            if area not in distance:
                distance[area] = step
                nxt.extend(parents.get(area, ()))
        frontier = nxt
        step += 1
    return sorted(distance.items(), key=lambda pair: (pair[1], pair[0]))  # node numbers follow id order


def chain_in_view(view: View, household: int) -> dict[str, Any]:
    """The chain of one household (a node number) in a view; see :func:`responsibility_chain`."""
    index, n, ids = view.index, view.index.n, view.index.ids
    employed, of_unit, assigned = index.edges["EMPLOYED_BY"], index.edges["OF_UNIT"], index.edges["ASSIGNED_TO"]
    orgs_seen: set[int] = set()
    contacts = []
    for member in _contacts(view, household):
        units = []
        for unit in sorted({int(employed.target[e]) for e in employed.of(member, "source", n).tolist()}):
            orgs = sorted({int(of_unit.source[e]) for e in of_unit.of(unit, "target", n).tolist()})
            orgs_seen.update(orgs)
            units.append((ids[unit], [ids[o] for o in orgs]))
        contacts.append((ids[member], units))
    territory = []
    for area, _ in areas_by_distance(view, household):
        people = sorted(
            (int(assigned.rank[e]), int(assigned.source[e]))
            for e in assigned.of(area, "target", n).tolist()
            if view.edge_ok("ASSIGNED_TO", e) and view.is_available(int(assigned.source[e]))
        )
        orgs = view.governing(area)
        orgs_seen.update(orgs)
        territory.append((ids[area], [ids[m] for _, m in dict.fromkeys(people)], [ids[o] for o in orgs]))
    responsible = {}
    for org in orgs_seen:
        person = view.responsible(org)
        responsible[ids[org]] = ids[person] if person >= 0 else None
    weak = {ids[o] for o in orgs_seen if index.attrs["weak"][o]}
    return assemble_chain(ids[household], view.as_of, contacts, territory, responsible, weak)


def responsibility_chain(
    store: Any, household: str, *, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()
) -> dict[str, Any]:
    """Who answers for a household, in the order to call them.

    1. ``contact`` links: each available member contacting the household on the day (by member id), each
       followed by ``sending_unit`` links: the unit the member is employed by and the responsible person
       of that unit's Party organization.
    2. For each area from the household's area upward (building, grid, community, street), nearest
       first (a household located in several areas goes through all of them by distance, ties by id): ``area``
       links for the available members assigned to the area (by role, then id), and ``org`` links for the
       responsible person of each organization governing the area on the day (by org id). The responsible
       person is the first available post holder by rank: secretary, deputy secretary, committee member,
       group leader.
    3. ``breaks`` where a level has no governing org (``no_org``), an org has no available post holder
       (``no_responsible``), or the governing org is weak and lax (``weak_org``).

    Returns
    -------
    dict
        ``{"household", "as_of", "covered", "links": [{"role", "member", "area", "org", "unit"}],
        "breaks": [{"area", "org", "reason"}]}``; absent fields are None.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"name": "1号楼", "level": "building"}), ("h1", "Household", {}),
    ...      ("m1", "Member", {"name": "王芳"}), ("m2", "Member", {"name": "李强"}),
    ...      ("o1", "Org", {"name": "1号楼党小组", "level": "building"})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("CONTACTS", "m1", "h1", None, None, {}),
    ...      ("GOVERNS", "o1", "b1", None, None, {}), ("HOLDS_POST", "m2", "o1", None, None, {"post": "group_leader"})],
    ...     revision=1)
    >>> chain = responsibility_chain(idx, "h1", as_of="2024-01-01")
    >>> [(link["role"], link["member"]) for link in chain["links"]]
    [('contact', 'm1'), ('org', 'm2')]
    >>> responsibility_chain(idx, "h1", as_of="2024-01-01", unavailable=["m2"])["breaks"]
    [{'area': 'b1', 'org': 'o1', 'reason': 'no_responsible'}]
    """
    if on_server(store):
        from .server import responsibility_chain as run

        return run(store, household, as_of=as_of, unavailable=unavailable)
    view = view_of(store, as_of, unavailable)
    return chain_in_view(view, view.household_number(household))


def contacts_of(
    store: Any, household: str, *, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()
) -> list[str]:
    """Ids of the available members contacting the household on the day, sorted."""
    if on_server(store):
        from .server import contacts_of as run

        return run(store, household, as_of=as_of, unavailable=unavailable)
    view = view_of(store, as_of, unavailable)
    return [view.index.ids[m] for m in _contacts(view, view.household_number(household))]
