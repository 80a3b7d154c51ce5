"""Incidents: every affected household with its chain, and who could stand in for the missing contacts."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Collection, Iterable

from ..facts import HasFacts
from ..results import Incident, IncidentEntry
from ..exceptions import NotFound
from ._base import area_position, day_of, require
from .chain import ChainParts, contacts_in
from .gaps import DEFAULT_MAX_HOUSEHOLDS
from .plan import LOCAL, STAND_IN_LEVELS, TOO_FAR, assign, most_given

__all__ = ["incident", "sheet_parts", "STAND_IN_LEVELS", "TOO_FAR", "LOCAL"]


def incident(
    G: HasFacts,
    areas: Iterable[str] = (),
    households: Iterable[str] = (),
    *,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    among: Collection[str] | None = None,
) -> Incident:
    """The call sheet of an incident (a flood zone, a locked-down block).

    Every household located in the given areas (or within them), and any listed by id, with its
    responsibility chain; uncovered vulnerable households first, then the other uncovered, then the
    other vulnerable, then the rest, each group by id. The uncovered households are given one stand-in
    each, chosen together (:func:`orggraph.queries.plan.assign`): an available member found near the
    household (its building, then its grid, then its community or village; never a street or a township),
    no member given more than its room under ``max_households``, as many households placed as can be
    (vulnerable ones first) and the total distance least; a household left without one says why. With
    ``among``, only those members may stand in (an API token's own).

    Returns
    -------
    Incident
        ``{"as_of", "unavailable", "areas", "households", "uncovered", "vulnerable", "placed",
        "most_given", "entries": [{"household", "covered", "vulnerable", "people", "chain", "stand_in":
        {"member", "area", "level", "households", "distance"} or None, "unassigned": reason or None}]}``

    Raises
    ------
    ValueError
        Neither an area nor a household, a negative ``max_households``.
    NotFound
        An area, household or unavailable member that does not exist.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"name": "1号楼", "level": "building"}), ("h1", "Household", {"flags": ["disabled"]}),
    ...      ("h2", "Household", {}), ("m1", "Member", {"name": "王芳"})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("LOCATED_IN", "h2", "b1", None, None, {}),
    ...      ("CONTACTS", "m1", "h2", None, None, {})], revision=1)
    >>> sheet = incident(idx, ["b1"], as_of="2024-01-01")
    >>> [(e["household"], e["covered"], (e["stand_in"] or {}).get("member")) for e in sheet["entries"]]
    [('h1', False, 'm1'), ('h2', True, None)]
    """
    parts = sheet_parts(G, areas, households, as_of=as_of, unavailable=unavailable, max_households=max_households,
                        among=among)
    entries: list[IncidentEntry] = []
    for row in parts["rows"]:
        household = row["household"]
        entries.append({"household": household, "covered": bool(row["contacts"]), "vulnerable": row["vulnerable"],
                        "people": row["people"], "chain": parts["chains"].chain(household, row["contacts"]),
                        "stand_in": row["stand_in"], "unassigned": row["unassigned"]})
    return {
        "as_of": parts["as_of"],
        "unavailable": parts["unavailable"],
        "areas": parts["areas"],
        "households": len(entries),
        "uncovered": sum(1 for e in entries if not e["covered"]),
        "vulnerable": sum(1 for e in entries if e["vulnerable"]),
        "placed": parts["placed"],
        "most_given": parts["most_given"],
        "entries": entries,
    }


def sheet_parts(
    G: HasFacts,
    areas: Iterable[str] = (),
    households: Iterable[str] = (),
    *,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    among: Collection[str] | None = None,
) -> dict[str, Any]:
    """What :func:`incident` finds, before each household's chain is put together: the households in the
    sheet's order, each with its available contacts, areas, vulnerability, people and stand-in, and the
    :class:`~orggraph.queries.chain.ChainParts` their chains are made of. An incident kept as a record
    (:mod:`orggraph.incidents`) stores these parts, so that opening one does not put together every chain.

    Returns
    -------
    dict
        ``{"as_of", "unavailable", "areas", "placed", "most_given", "chains": ChainParts, "territory",
        "rows": [{"household", "located": (area position, ...), "contacts": [member], "vulnerable",
        "people", "stand_in", "unassigned"}]}``

    Raises
    ------
    As :func:`incident`.
    """
    if max_households < 0:
        raise ValueError("max_households must not be negative")
    for name, value in (("areas", areas), ("households", households), ("among", among)):
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{name} is a list of ids, not one id: write [{value!r}]")
    area_ids = sorted(set(areas))
    named = list(dict.fromkeys(households))
    if not area_ids and not named:
        raise ValueError("an incident needs at least one area or household")
    facts = G.facts()
    # every id that names nothing, at once: the areas, the households, then the unavailable members
    problems, gone = [], []
    try:
        day = day_of(facts, as_of, unavailable)
    except NotFound as exc:
        gone.append(str(exc))
        day = day_of(facts, as_of, ())
    territory = facts.territory(day)
    positions = []
    for area in area_ids:
        try:
            positions.append(area_position(territory, area))
        except NotFound as exc:
            problems.append(str(exc))
    try:
        require(facts, named, "Household")
    except NotFound:
        kinds = facts.kinds_of([h for h in named if isinstance(h, str)])
        problems += [f"no household with id {h!r}" for h in named if kinds.get(h) != "Household"]
    if problems or gone:
        raise NotFound("; ".join(problems + gone))
    within = sorted({b for p in positions for b in territory.below(p)})
    chosen = sorted(set(facts.households(day, "all", [territory.ids[a] for a in within]) if within else ()) | set(named))
    hood = facts.neighbourhood(day, chosen)
    chains = ChainParts(day, hood, territory)
    rows = []
    for household in chosen:
        node = hood.nodes[household]
        contacts = contacts_in(day, hood, household)
        rows.append({"household": household, "located": chains.located(household), "contacts": contacts,
                     "vulnerable": node.vulnerable, "people": node.people, "stand_in": None, "unassigned": None})
    rows.sort(key=lambda r: (0 if not r["contacts"] and r["vulnerable"] else 1 if not r["contacts"]
                             else 2 if r["vulnerable"] else 3, r["household"]))
    uncovered = [(r["household"], r["located"], r["vulnerable"]) for r in rows if not r["contacts"]]
    placed, unplaced = assign(facts, territory, day, uncovered, max_households=max_households,
                              among=None if among is None else frozenset(among))
    for row in rows:
        row["stand_in"] = placed.get(row["household"])
        row["unassigned"] = unplaced.get(row["household"])
    return {"as_of": day.as_of, "unavailable": sorted(day.unavailable), "areas": area_ids, "placed": len(placed),
            "most_given": most_given(placed.values()), "chains": chains, "territory": territory, "rows": rows}
