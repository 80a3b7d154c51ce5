"""The 包保 responsibility chain of a household: whom to call, in escalation order."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from ._view import View, view_of

__all__ = ["responsibility_chain", "contacts_of", "chain_in_view"]


def _link(view: View, role: str, member: int = -1, area: int = -1, org: int = -1, unit: int = -1) -> dict[str, Any]:
    ids = view.index.ids
    return {
        "role": role,
        "member": ids[member] if member >= 0 else None,
        "area": ids[area] if area >= 0 else None,
        "org": ids[org] if org >= 0 else None,
        "unit": ids[unit] if unit >= 0 else None,
    }


def _break(view: View, reason: str, area: int = -1, org: int = -1) -> dict[str, Any]:
    ids = view.index.ids
    return {"area": ids[area] if area >= 0 else None, "org": ids[org] if org >= 0 else None, "reason": reason}


def _contacts(view: View, household: int) -> list[int]:
    c = view.index.edges["CONTACTS"]
    return sorted(
        {
            int(c.source[e])
            for e in c.of(household, "target", view.index.n).tolist()
            if view.edge_ok("CONTACTS", e) and view.is_available(int(c.source[e]))
        }
    )


def _areas_of(view: View, household: int) -> list[int]:
    """The household's areas and every area above them, nearest first."""
    located = view.index.edges["LOCATED_IN"]
    homes = sorted(int(located.target[e]) for e in located.of(household, "source", view.index.n).tolist())
    order: list[int] = []
    for home in homes:
        for area in view.s["ancestry"][home]:
            if area not in order:
                order.append(area)
    return order


def chain_in_view(view: View, household: int) -> dict[str, Any]:
    """The chain of one household (a node number) in a view; see :func:`responsibility_chain`."""
    index, n = view.index, view.index.n
    weak = index.attrs["weak"]
    links: list[dict[str, Any]] = []
    breaks: list[dict[str, Any]] = []

    def org_link(role: str, org: int, area: int = -1, unit: int = -1) -> None:
        person = view.responsible(org)
        links.append(_link(view, role, member=person, area=area, org=org, unit=unit))
        if person < 0:
            breaks.append(_break(view, "no_responsible", area=area, org=org))
        if weak[org] and role == "org":
            breaks.append(_break(view, "weak_org", area=area, org=org))

    employed, of_unit = index.edges["EMPLOYED_BY"], index.edges["OF_UNIT"]
    contacts = _contacts(view, household)
    for member in contacts:
        links.append(_link(view, "contact", member=member))
        for unit in sorted({int(employed.target[e]) for e in employed.of(member, "source", n).tolist()}):
            orgs = sorted({int(of_unit.source[e]) for e in of_unit.of(unit, "target", n).tolist()})
            if not orgs:
                links.append(_link(view, "sending_unit", unit=unit))
            for org in orgs:
                org_link("sending_unit", org, unit=unit)

    assigned = index.edges["ASSIGNED_TO"]
    for area in _areas_of(view, household):
        people = sorted(
            (int(assigned.rank[e]), int(assigned.source[e]))
            for e in assigned.of(area, "target", n).tolist()
            if view.edge_ok("ASSIGNED_TO", e) and view.is_available(int(assigned.source[e]))
        )
        for _, member in dict.fromkeys(people):
            links.append(_link(view, "area", member=member, area=area))
        orgs = view.governing(area)
        if not orgs:
            breaks.append(_break(view, "no_org", area=area))
        for org in orgs:
            org_link("org", org, area=area)
    return {
        "household": index.ids[household],
        "as_of": view.as_of,
        "covered": bool(contacts),
        "links": links,
        "breaks": breaks,
    }


def responsibility_chain(
    store: Any, household: str, *, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()
) -> dict[str, Any]:
    """Who answers for a household, in the order to call them.

    1. ``contact`` links: each available member contacting the household on the day (by member id), each
       followed by ``sending_unit`` links: the unit the member is employed by and the responsible person
       of that unit's Party organization.
    2. For each area from the household's area upward (building, grid, community, street): ``area``
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
    view = view_of(store, as_of, unavailable)
    return chain_in_view(view, view.household_number(household))


def contacts_of(
    store: Any, household: str, *, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()
) -> list[str]:
    """Ids of the available members contacting the household on the day, sorted."""
    view = view_of(store, as_of, unavailable)
    return [view.index.ids[m] for m in _contacts(view, view.household_number(household))]
