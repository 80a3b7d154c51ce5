"""The shapes of the questions' answers, written once: the library returns them, the API declares them."""

from __future__ import annotations

from typing import Literal, Optional

from typing_extensions import NotRequired, TypedDict

__all__ = ["Figures", "AreaCoverage", "Coverage", "Link", "Break", "Chain", "MemberCount", "VacantPost",
           "CrossBoundary", "UnassignedArea", "ShapeFault", "Gaps", "VACANCY_REASONS", "SHAPE_FAULTS", "StandIn", "IncidentEntry",
           "GapRow", "Incident", "Assignment", "Unassigned", "CoverPlan", "IncidentRecord", "Mark", "DoorFigures", "AreaProgress",
           "Marker", "Progress", "LINK_ROLES", "BREAK_REASONS", "Name", "NamedChain", "NamedIncident", "NamedProgress",
           "NamedCoverPlan", "KeptEntry", "KeptSheet", "NamedKeptSheet", "AreaRobustness", "MemberCost", "Robustness",
           "SEARCH_MATCHES", "SearchHit", "Search", "NamedSearch", "Tie", "HouseholdTie", "PostTie", "AreaTie", "UnitTie",
           "OrgTie", "ReportTie", "Profile", "NamedProfile", "AreaHouseholds", "NamedAreaHouseholds"]

#: the roles of a chain's links, in the order a chain lists them
LINK_ROLES = ("contact", "sending_unit", "area", "org")
#: why a chain breaks
BREAK_REASONS = ("no_org", "no_responsible", "weak_org")
#: why a post is vacant: an area with no governing org, an org with nobody available to answer, an org
#: whose secretary's post is empty while someone else holds a post (书记空缺)
VACANCY_REASONS = ("no_org", "no_responsible", "no_secretary")
#: what can be wrong with the shape of the territory (:func:`orggraph.queries.territory_shape`)
SHAPE_FAULTS = ("within_two", "within_lower", "outside_street", "org_above_nothing")


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
    """One person to call (``member`` None where an org has nobody), and why they are in the chain.

    For an org's responsible person, ``post`` is the post held (``secretary``, ...), and ``acting`` is
    true when someone below the secretary answers in an org led by a secretary (its secretary's post is
    empty, or its secretary cannot be reached); both are None for every other link.
    """

    role: Literal["contact", "sending_unit", "area", "org"]
    member: Optional[str]
    area: Optional[str]
    org: Optional[str]
    unit: Optional[str]
    post: Optional[str]
    acting: Optional[bool]


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
    """A post nobody fills: ``acting`` names who answers instead (``no_secretary``), else None."""

    area: Optional[str]
    org: Optional[str]
    reason: Literal["no_org", "no_responsible", "no_secretary"]
    acting: Optional[str]


class UnassignedArea(TypedDict):
    """An area where households are located with no available member assigned to it (a building with no
    楼栋长): how many households are located there."""

    area: str
    level: Optional[str]
    households: int


class ShapeFault(TypedDict):
    """A fault in the shape of the territory (see :data:`SHAPE_FAULTS`)."""

    area: Optional[str]
    org: Optional[str]
    fault: Literal["within_two", "within_lower", "outside_street", "org_above_nothing"]
    within: list[str]
    households: int


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
    critical_members: list[MemberCount]
    unassigned_areas: list[UnassignedArea]
    territory_shape: list[ShapeFault]
    cross_boundary_contacts: list[CrossBoundary]
    lapsed_households: list[str]
    unlocated_households: list[str]


class GapRow(TypedDict):
    """One item of a list of gaps a clerk works through (:func:`orggraph.report.gap_rows`): the record it
    links to (``record``, of ``kind``), its name (None for a record with none, as a household mostly is),
    where it lies (``area``: the names of its community and grid, left out where not known), a
    household's ``address`` and a household's or member's ``phone`` (None where it has none; masked
    unless personal data may be shown), what is wrong in Chinese (``detail``), and the other records the
    detail names (``related``), for links."""

    record: str
    kind: Literal["Area", "Org", "Unit", "Member", "Household"]
    name: Optional[str]
    area: NotRequired[str]
    address: NotRequired[Optional[str]]
    phone: NotRequired[Optional[str]]
    detail: str
    related: list[str]


class StandIn(TypedDict):
    """The member who stands in for an uncovered household's missing contact (:mod:`orggraph.queries.plan`):
    the household's area it was found in or below, that area's level, the households it contacted before
    the plan, and the steps from the household's own area to that area (0: the same building)."""

    member: str
    area: str
    level: Optional[str]
    households: int
    distance: int


class IncidentEntry(TypedDict):
    household: str
    covered: bool
    vulnerable: bool
    people: int
    chain: Chain
    #: the stand-in assigned where the household has no available contact; None otherwise
    stand_in: Optional[StandIn]
    #: why an uncovered household has no stand-in (one of UNASSIGNED_REASONS); None otherwise
    unassigned: Optional[str]


class Incident(TypedDict):
    """:func:`orggraph.queries.incident`: the call sheet, uncovered vulnerable households first."""

    as_of: str
    unavailable: list[str]
    areas: list[str]
    households: int
    uncovered: int
    vulnerable: int
    #: uncovered households given a stand-in, and the most any one member is given
    placed: int
    most_given: int
    entries: list[IncidentEntry]


class Assignment(StandIn):
    household: str


class Unassigned(TypedDict):
    household: str
    reason: str


class CoverPlan(TypedDict):
    """:func:`orggraph.queries.cover_plan`: a member proposed for each uncovered household."""

    as_of: str
    unavailable: list[str]
    area: Optional[str]
    households: int
    placed: int
    unplaced: int
    most_given: int
    mean_distance: Optional[float]
    assignments: list[Assignment]
    unassigned: list[Unassigned]


class IncidentRecord(TypedDict):
    """An incident kept as a record (:mod:`orggraph.incidents`): what it was opened for and its figures."""

    id: str
    name: str
    #: when it was opened and by whom (``cli:USER``, a token's id), ISO time in UTC
    opened: str
    opened_by: Optional[str]
    as_of: str
    unavailable: list[str]
    areas: list[str]
    named_households: list[str]
    max_households: int
    households: int
    uncovered: int
    vulnerable: int
    placed: int
    most_given: int
    closed: Optional[str]
    closed_by: Optional[str]


class Mark(TypedDict):
    """A door's outcome: a later one supersedes an earlier one; all are kept."""

    seq: int
    household: str
    #: one of orggraph.incidents.STATUSES
    status: str
    #: the member who knocked
    by: str
    note: Optional[str]
    #: when it was recorded, ISO time in UTC, and by whom (``cli:USER``, a token's id)
    at: str
    recorded_by: Optional[str]


class DoorFigures(TypedDict):
    """How far the door-to-door action has got among some households, by each one's latest mark."""

    households: int
    vulnerable: int
    unmarked: int
    reached: int
    no_answer: int
    needs_help: int
    moved_out: int
    refused: int
    open: int
    done: int
    vulnerable_open: int
    rate: float


class AreaProgress(DoorFigures):
    id: str
    name: Optional[str]
    level: Optional[str]


class Marker(TypedDict):
    member: str
    marks: int
    doors: int
    doors_done: int


class Progress(TypedDict):
    """:func:`orggraph.incidents.progress`."""

    incident: str
    name: str
    as_of: str
    closed: Optional[str]
    marks: int
    overall: DoorFigures
    areas: list[AreaProgress]
    vulnerable_open: list[str]
    needs_help: list[str]
    markers: list[Marker]


class Name(TypedDict):
    """What an answer shows beside an id it names (:func:`orggraph.report.names_of`): the node's name
    (None for one with none, as a household mostly is) and kind; for a member or a household its phone,
    for a household its address (None where it has none), masked unless personal data may be shown."""

    name: Optional[str]
    kind: Literal["Area", "Org", "Unit", "Member", "Household"]
    phone: NotRequired[Optional[str]]
    address: NotRequired[Optional[str]]


class NamedChain(Chain):
    """A chain as the command line (``--json``) and the API answer it: with every id it names, named."""

    names: dict[str, Name]


class NamedIncident(Incident):
    """An incident's call sheet as the command line (``--json``) and the API answer it: with every id it
    names, named."""

    names: dict[str, Name]


class NamedProgress(Progress):
    """An incident's progress as the command line (``--json``) and the API answer it, with every id named."""

    names: dict[str, Name]


class NamedCoverPlan(CoverPlan):
    """A cover plan as the API answers it, with every id named."""

    names: dict[str, Name]


class KeptEntry(IncidentEntry):
    """A household of a kept incident's call sheet, with its latest outcome (None before any mark)."""

    outcome: Optional[Mark]


class KeptSheet(TypedDict):
    """:func:`orggraph.incidents.call_sheet`: the sheet as it stood when opened, each door's latest outcome."""

    incident: IncidentRecord
    as_of: str
    unavailable: list[str]
    areas: list[str]
    households: int
    uncovered: int
    vulnerable: int
    placed: int
    most_given: int
    entries: list[KeptEntry]


class NamedKeptSheet(KeptSheet):
    """A kept call sheet as the command line (``--json``) and the API answer it, with every id named."""

    names: dict[str, Name]


class AreaRobustness(TypedDict):
    """One area under :func:`orggraph.queries.robustness`: its households (located in it or in an area
    within it), those covered with no member drawn (``covered``, ``rate``), the covered share expected over
    the trials (``expected``) and the share at least 95 trials in 100 reach (``p5``)."""

    id: str
    name: Optional[str]
    level: Optional[str]
    households: int
    covered: int
    rate: float
    expected: float
    p5: float


class MemberCost(TypedDict):
    """What losing one member as well would cost: the households it contacts (``households``), those of
    which it is the only contact with no member drawn (``alone``), and the households expected to be left
    uncovered were it lost too, over the trials (``expected``)."""

    member: str
    households: int
    alone: int
    expected: float


class Robustness(TypedDict):
    """:func:`orggraph.queries.robustness`: the trials asked for (``share`` of the ``pool`` of members,
    ``lost`` of them each trial; ``held_out`` members taken out by ``categories``), the totals, every
    area chosen sorted by id, and the members whose absence costs most, costliest first."""

    as_of: str
    area: Optional[str]
    share: float
    trials: int
    seed: int
    categories: list[str]
    unavailable: list[str]
    held_out: int
    pool: int
    lost: int
    households: int
    covered: int
    rate: float
    expected: float
    p5: float
    areas: list[AreaRobustness]
    costliest: list[MemberCost]


#: what a search hit was found by, in the order the hits are listed (:func:`orggraph.queries.search`)
SEARCH_MATCHES = ("id", "name", "address", "phone")


class SearchHit(TypedDict):
    """A record :func:`orggraph.queries.search` found, and what it was found by: its ``id`` (exactly), its
    ``name``, its ``address`` or a ``phone`` of its (by the last digits). Nothing of it but its id and kind:
    callers name it (:func:`orggraph.report.names_of`), masked unless personal data may be shown."""

    id: str
    kind: Literal["Area", "Org", "Unit", "Member", "Household"]
    match: Literal["id", "name", "address", "phone"]


class Search(TypedDict):
    """:func:`orggraph.queries.search`: the text looked for (as searched: without spaces at its ends), the
    day, the hits in their order, whether more were left off past the limit, and whether the text, a
    phone's last digits, was not looked for in phones because it has more digits than a masked phone
    shows and personal data may not be shown (``phone_needs_pii``)."""

    query: str
    as_of: str
    hits: list[SearchHit]
    more: bool
    phone_needs_pii: bool


class NamedSearch(Search):
    """A search as the command line (``--json``) and the API answer it: with every hit named."""

    names: dict[str, Name]


class Tie(TypedDict):
    """When one of a member's relations holds: its ``since`` and ``until`` (None for an open end)."""

    since: Optional[str]
    until: Optional[str]


class HouseholdTie(Tie):
    """A household a member contacts (``CONTACTS``) or lives in (``RESIDES_IN``)."""

    household: str


class PostTie(Tie):
    """A post a member holds (``HOLDS_POST``): the organization and the post (secretary, ...)."""

    org: str
    post: str


class AreaTie(Tie):
    """An area a member is assigned to (``ASSIGNED_TO``), and in what role (grid_leader, ...)."""

    area: str
    role: str


class UnitTie(Tie):
    """A unit a member is employed by, which sends it down (``EMPLOYED_BY``)."""

    unit: str


class OrgTie(Tie):
    """An organization a member belongs to (``MEMBER_OF``)."""

    org: str


class ReportTie(Tie):
    """An organization a member reported to (``SUNK_TO``, 报到), and the areas it governs on the day: the
    community the member is registered in."""

    org: str
    areas: list[str]


class Profile(TypedDict):
    """:func:`orggraph.queries.member_profile`: a member's relations valid on the day, each kind of them in
    its order, and whether the member can be reached (its record not marked unavailable)."""

    member: str
    as_of: str
    available: bool
    contacts: list[HouseholdTie]
    posts: list[PostTie]
    assigned: list[AreaTie]
    units: list[UnitTie]
    sunk_to: list[ReportTie]
    member_of: list[OrgTie]
    resides_in: list[HouseholdTie]


class NamedProfile(Profile):
    """A member's profile as the API answers it, with every id it names, named."""

    names: dict[str, Name]


class AreaHouseholds(TypedDict):
    """The households located in an area on a day (:func:`orggraph.queries.households_in`), in their order."""

    area: str
    as_of: str
    households: list[str]


class NamedAreaHouseholds(AreaHouseholds):
    """The households of an area as the API answers them, with every id named."""

    names: dict[str, Name]
