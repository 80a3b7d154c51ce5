"""The 包保 responsibility chain of a household: whom to call, in escalation order."""

from __future__ import annotations

import datetime as _dt
from typing import Iterable

from ..exceptions import NotFound
from ..facts import Day, Facts, HasFacts, Neighbourhood, Territory
from ..model import POST_RANK, ROLE_RANK
from ..results import Break, Chain, Link
from ._base import day_of, is_available

__all__ = ["responsibility_chain", "contacts_of", "chain_of", "ChainParts", "located_in", "assemble_chain", "responsible", "POST_RANK",
           "ROLE_RANK"]



def _link(role: str, member: str | None = None, area: str | None = None, org: str | None = None,
          unit: str | None = None, post: str | None = None, acting: bool | None = None) -> Link:
    return {"role": role, "member": member, "area": area, "org": org, "unit": unit,  # type: ignore[typeddict-item]
            "post": post, "acting": acting}


def _break(reason: str, area: str | None = None, org: str | None = None) -> Break:
    return {"area": area, "org": org, "reason": reason}  # type: ignore[typeddict-item]


def assemble_chain(
    household: str,
    as_of: str,
    contacts: list[tuple[str, list[tuple[str, list[str]]]]],
    territory: list[tuple[str, list[str], list[str]]],
    responsible: dict[str, tuple[str, str, bool] | None],
    weak: set[str],
) -> Chain:
    """Put a chain together; the order and the breaks are decided here only.

    Parameters
    ----------
    contacts : [(member, [(unit, [org of the unit])])]
        The available contacts by id, each with the units that sent it (by id) and their orgs (by id).
    territory : [(area, [assigned member], [governing org])]
        The household's areas upward, nearest first; assigned members by role then id; orgs by id.
    responsible : {org: (member, post, acting) or None}
        The responsible person of every org named above, the post it holds, and whether it acts for an
        absent secretary (see :func:`responsible`); None where nobody answers.
    weak : set of org ids
        The weak and lax organizations among them.
    """
    links: list[Link] = []
    breaks: list[Break] = []

    def org_link(role: str, org: str, area: str | None = None, unit: str | None = None) -> None:
        answer = responsible.get(org)
        person, post, acting = answer if answer is not None else (None, None, None)
        links.append(_link(role, member=person, area=area, org=org, unit=unit, post=post, acting=acting))
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


def responsible(day: Day, hood: Neighbourhood, org: str) -> tuple[str, str, bool] | None:
    """An organization's responsible person on the day: the first available post holder by
    :data:`POST_RANK`, then by member id, with the post held and whether it *acts*: it is no secretary,
    in an org led by a secretary (one holding a post of a secretary, deputy or committee member on the
    day; a party group, led by its group leader, has none); None when nobody available holds a post.

    Examples
    --------
    >>> from orggraph.facts import NodeFacts
    >>> hood = Neighbourhood(posts={"o1": [("committee_member", "m3"), ("deputy_secretary", "m2")]},
    ...                      nodes={"m2": NodeFacts("Member"), "m3": NodeFacts("Member")})
    >>> responsible(Day("2024-05-01"), hood, "o1")
    ('m2', 'deputy_secretary', True)
    >>> responsible(Day("2024-05-01", frozenset({"m2", "m3"})), hood, "o1") is None
    True
    """
    posts = hood.posts.get(org, ())
    holders = [(POST_RANK[post], member, post) for post, member in posts if is_available(day, hood.nodes, member)]
    if not holders:
        return None
    _, member, post = min(holders)
    led = any(p != "group_leader" for p, _ in posts)
    return member, post, post != "secretary" and led


def contacts_in(day: Day, hood: Neighbourhood, household: str) -> list[str]:
    """The household's available contacts on the day, sorted."""
    return [m for m in hood.contacts.get(household, ()) if is_available(day, hood.nodes, m)]


def located_in(territory: Territory, hood: Neighbourhood, household: str) -> tuple[int, ...]:
    """The positions in the territory of the areas a household of the neighbourhood is located in, ascending
    (areas that take no place in the territory left out)."""
    position = territory.position
    areas = hood.located.get(household, ())
    if len(areas) == 1:  # most households: no sort to make
        at = position.get(areas[0])
        return () if at is None else (at,)
    return tuple(sorted(position[a] for a in areas if a in position))


class ChainParts:
    """The pieces the chains of many households share, each found once on the day: the areas upward from
    a household's areas (with their assigned members and governing orgs), the units that sent a contact
    (with their orgs), an org's responsible person and whether it is weak. :meth:`chain` puts one
    household's chain together from them with :func:`assemble_chain`, as :func:`chain_of` does.

    Parameters
    ----------
    day, hood, territory
        The day, the neighbourhood of the households asked about, and the territory on the day.
    """

    def __init__(self, day: Day, hood: Neighbourhood, territory: Territory):
        self.day, self.hood, self.territory = day, hood, territory
        self._upward: dict[tuple[int, ...], list[tuple[str, list[str], list[str]]]] = {}
        #: member -> the units found so far that sent it (see :meth:`units`)
        self.unit_table: dict[str, list[tuple[str, list[str]]]] = {}
        self.answers: dict[str, tuple[str, str, bool] | None] = {}
        self.weak: set[str] = set()

    def _orgs(self, orgs: Iterable[str]) -> None:
        for org in orgs:
            if org not in self.answers:
                self.answers[org] = responsible(self.day, self.hood, org)
                if self.hood.nodes[org].weak:
                    self.weak.add(org)

    def located(self, household: str) -> tuple[int, ...]:
        """The positions of the areas the household is located in, ascending (:func:`located_in`)."""
        return located_in(self.territory, self.hood, household)

    def upward(self, located: tuple[int, ...]) -> list[tuple[str, list[str], list[str]]]:
        """``[(area, [assigned member], [governing org])]`` from these areas upward, nearest first."""
        found = self._upward.get(located)
        if found is None:
            day, hood, territory = self.day, self.hood, self.territory
            found = []
            for area_number, _ in territory.distances(located):
                area = territory.ids[area_number]
                people = sorted({(ROLE_RANK[role], member) for role, member in hood.assigned.get(area, ())
                                 if is_available(day, hood.nodes, member)})
                orgs = list(hood.governing.get(area, ()))
                self._orgs(orgs)
                found.append((area, [m for _, m in people], orgs))
            self._upward[located] = found
        return found

    def units(self, member: str) -> list[tuple[str, list[str]]]:
        """``[(unit, [org of the unit])]``: the units that sent a contact."""
        found = self.unit_table.get(member)
        if found is None:
            found = []
            for unit in self.hood.employers.get(member, ()):
                orgs = list(self.hood.unit_orgs.get(unit, []))
                self._orgs(orgs)
                found.append((unit, orgs))
            self.unit_table[member] = found
        return found

    def chain(self, household: str, contacts: list[str] | None = None) -> Chain:
        """The household's chain (its available contacts unless ``contacts`` are given)."""
        if contacts is None:
            contacts = contacts_in(self.day, self.hood, household)
        return assemble_chain(household, self.day.as_of, [(m, self.units(m)) for m in contacts],
                              self.upward(self.located(household)), self.answers, self.weak)


def chain_of(day: Day, hood: Neighbourhood, territory: Territory, household: str) -> Chain:
    """The chain of one household from its neighbourhood; see :func:`responsibility_chain`."""
    return ChainParts(day, hood, territory).chain(household)


def responsibility_chain(
    G: HasFacts, household: str, *, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()
) -> Chain:
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
    Chain
        ``{"household", "as_of", "covered", "links": [{"role", "member", "area", "org", "unit"}],
        "breaks": [{"area", "org", "reason"}]}``; absent fields are None.

    Raises
    ------
    NotFound
        ``household`` is not a household, or an id in ``unavailable`` is not a member.

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
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    return chain_of(day, _around(facts, day, household), facts.territory(day), household)


def contacts_of(
    G: HasFacts, household: str, *, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()
) -> list[str]:
    """Ids of the available members contacting the household on the day, sorted.

    Raises
    ------
    NotFound
        ``household`` is not a household, or an id in ``unavailable`` is not a member.
    """
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    return contacts_in(day, _around(facts, day, household), household)


def _around(facts: Facts, day: Day, household: str) -> Neighbourhood:
    """One household's neighbourhood; :class:`~orggraph.exceptions.NotFound` if the id is not a household
    (a neighbourhood leaves out ids that name none, so this costs no read of its own)."""
    if not isinstance(household, str):
        raise NotFound(f"no household with id {household!r}")
    hood = facts.neighbourhood(day, [household])
    if household not in hood.nodes or hood.nodes[household].kind != "Household":
        raise NotFound(f"no household with id {household!r}")
    return hood
