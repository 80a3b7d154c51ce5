"""The shapes of the questions' answers, written once: the library returns them, the API declares them."""

from __future__ import annotations

from typing import Literal, Optional

from typing_extensions import TypedDict

__all__ = ["Figures", "AreaCoverage", "Coverage", "Link", "Break", "Chain", "MemberCount", "VacantPost",
           "CrossBoundary", "Gaps", "StandIn", "IncidentEntry", "Incident", "LINK_ROLES", "BREAK_REASONS"]

#: the roles of a chain's links, in the order a chain lists them
LINK_ROLES = ("contact", "sending_unit", "area", "org")
#: why a chain breaks
BREAK_REASONS = ("no_org", "no_responsible", "weak_org")


class Figures(TypedDict):
    """Coverage figures of one area or of the whole network; a rate is 1.0 where its whole is 0."""

    households: int
    covered: int
    uncovered: int
    rate: float
    people: int
    people_covered: int
    people_rate: float
    vulnerable: int
    vulnerable_covered: int
    vulnerable_rate: float


class AreaCoverage(Figures):
    """One area's coverage: the households located in it or in any area within it."""

    id: str
    name: Optional[str]
    level: Optional[str]


class Coverage(Figures):
    """:func:`orggraph.queries.coverage`: totals, then every area chosen, sorted by id."""

    as_of: str
    unavailable: list[str]
    areas: list[AreaCoverage]


class Link(TypedDict):
    """One person to call (``member`` None where an org has nobody), and why they are in the chain."""

    role: Literal["contact", "sending_unit", "area", "org"]
    member: Optional[str]
    area: Optional[str]
    org: Optional[str]
    unit: Optional[str]


class Break(TypedDict):
    """Where a chain fails: an area with no governing org, an org with nobody to answer, a weak org."""

    area: Optional[str]
    org: Optional[str]
    reason: Literal["no_org", "no_responsible", "weak_org"]


class Chain(TypedDict):
    """:func:`orggraph.queries.responsibility_chain`: whom to call for a household, in order."""

    household: str
    as_of: str
    covered: bool
    links: list[Link]
    breaks: list[Break]


class MemberCount(TypedDict):
    member: str
    households: int


class VacantPost(TypedDict):
    area: Optional[str]
    org: Optional[str]
    reason: Literal["no_org", "no_responsible"]


class CrossBoundary(TypedDict):
    member: str
    household: str


class Gaps(TypedDict):
    """:func:`orggraph.queries.gaps`: every kind of gap on one day, each list sorted by id."""

    as_of: str
    unavailable: list[str]
    max_households: int
    spof: int
    uncovered_households: list[str]
    overloaded_members: list[MemberCount]
    idle_sunk_members: list[str]
    vacant_posts: list[VacantPost]
    idle_units: list[str]
    single_points_of_failure: list[MemberCount]
    cross_boundary_contacts: list[CrossBoundary]
    lapsed_households: list[str]
    unlocated_households: list[str]


class StandIn(TypedDict):
    """A member who could call on an uncovered household: where found, and how many it already contacts."""

    member: str
    area: str
    level: Optional[str]
    households: int


class IncidentEntry(TypedDict):
    household: str
    covered: bool
    vulnerable: bool
    people: int
    chain: Chain
    stand_ins: list[StandIn]


class Incident(TypedDict):
    """:func:`orggraph.queries.incident`: the call sheet, uncovered vulnerable households first."""

    as_of: str
    unavailable: list[str]
    areas: list[str]
    households: int
    uncovered: int
    vulnerable: int
    entries: list[IncidentEntry]
