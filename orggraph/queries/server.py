"""The queries on a graph server: the Cypher in ``cypher/`` finds the facts; the answers are put
together by the same code as on the embedded store."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from ..exceptions import NotFound
from ..model import POSTS, ROLES
from ..store.server import ServerStore, statement
from ._view import parse_day
from .chain import assemble_chain
from .incident import STAND_IN_LEVELS, assemble_incident
from .coverage import _block

__all__ = ["coverage", "uncovered_households", "responsibility_chain", "contacts_of", "gaps", "incident"]

_ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
_POST_RANK = {post: rank for rank, post in enumerate(POSTS)}
_FIELDS = ("households", "covered", "people", "people_covered", "vulnerable", "vulnerable_covered")


def _params(store: ServerStore, as_of: str | _dt.date | None, unavailable: Iterable[str]) -> dict[str, Any]:
    gone = sorted(set(unavailable))
    if gone:
        known = store.kinds_of(gone)
        unknown = [m for m in gone if known.get(m) != "Member"]
        if unknown:
            raise NotFound(f"unavailable: no member with id {', '.join(map(repr, unknown[:5]))}")
    return {"day": parse_day(as_of), "unavailable": gone}


def _require(store: ServerStore, node_id: str, kind: str, what: str) -> None:
    if store.kinds_of([node_id]).get(node_id) != kind:
        raise NotFound(f"no {what} with id {node_id!r}")


def _structure(store: ServerStore) -> dict[str, Any]:
    """What coverage needs that changes only with the records: kept per store revision."""
    revision = store.revision
    cached = store.__dict__.get("_coverage_structure")
    if cached is not None and cached["revision"] == revision:
        return cached
    read = store.conn.read
    multi = sorted(r[0] for r in read(statement("located_multi")))
    ancestry: dict[str, list[str]] = {}
    for area, up in read(statement("area_ancestry")):
        ancestry.setdefault(area, []).append(up)
    per_area = read(statement("households_per_area"))
    cached = {
        "revision": revision,
        "multi": multi,
        "ancestry": ancestry,
        "areas": read(statement("areas")),
        "totals": [sum(int(r[i]) for r in per_area) for i in (1, 2, 3)],
        "per_area": [r for r in per_area if r[0] is not None],
    }
    store.__dict__["_coverage_structure"] = cached
    return cached


def _roll_up(rows: list[list[Any]], ancestry: dict[str, list[str]], sums: dict[str, list[int]], offset: int) -> None:
    """Add per-area (households, people, vulnerable) to every area at or above, into columns offset.."""
    for area, households, people, vulnerable in rows:
        for up in ancestry.get(area, [area]):
            figures = sums.setdefault(up, [0] * 6)
            figures[offset] += int(households)
            figures[offset + 2] += int(people)
            figures[offset + 4] += int(vulnerable)


def coverage(store: ServerStore, *, level: str | None = None, area: str | None = None,
             as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()) -> dict[str, Any]:
    """See :func:`orggraph.queries.coverage`.

    The server counts households and covered households per area in two scans; the sums are carried up
    the territory here, through each area's ancestry (a few rows an area).
    """
    params = _params(store, as_of, unavailable)
    read = store.conn.read
    structure = _structure(store)
    multi = structure["multi"]
    sums: dict[str, list[int]] = {}
    _roll_up(structure["per_area"], structure["ancestry"], sums, 0)  # households, people, vulnerable
    covered_rows = read(statement("covered_per_area"), params)
    _roll_up([r for r in covered_rows if r[0] is not None], structure["ancestry"], sums, 1)
    if multi:
        for row in read(statement("coverage_multi"), {**params, "multi": multi}):
            figures = sums.setdefault(row[0], [0] * 6)
            for i, value in enumerate(row[1:]):
                figures[i] += int(value)
    areas = structure["areas"]
    if area is not None:
        chosen_ids = _within(areas, area)
        chosen = [a for a in areas if a[0] in chosen_ids]
        total = dict(zip(_FIELDS, sums.get(area, [0] * 6)))
    else:
        chosen = areas
        households, people, vulnerable = structure["totals"]
        covered, people_covered, vulnerable_covered = (sum(int(r[i]) for r in covered_rows) for i in (1, 2, 3))
        total = {"households": households, "covered": covered, "people": people, "people_covered": people_covered,
                 "vulnerable": vulnerable, "vulnerable_covered": vulnerable_covered}
    if level is not None:
        chosen = [a for a in chosen if a[2] == level]
    rows = []
    for area_id, name, lv, _ in chosen:
        figures = dict(zip(_FIELDS, sums.get(area_id, [0] * 6)))
        rows.append({"id": area_id, "name": name, "level": lv, **_block(**figures)})
    return {"as_of": params["day"], **_block(**total), "unavailable": params["unavailable"], "areas": rows}


def _within(areas: list[list[Any]], root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for area_id, _, _, parents in areas:
        for parent in parents:
            children.setdefault(parent, []).append(area_id)
    if root not in {a[0] for a in areas}:
        raise NotFound(f"no area with id {root!r}")
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def uncovered_households(store: ServerStore, *, area: str | None = None, as_of: str | _dt.date | None = None,
                         unavailable: Iterable[str] = ()) -> list[str]:
    """See :func:`orggraph.queries.uncovered_households`."""
    params = _params(store, as_of, unavailable)
    read = store.conn.read
    covered = set(read(statement("covered_ids"), params)[0][0])
    if area is None:
        households = read(statement("household_ids"))[0][0]
    else:
        within = _within(read(statement("areas")), area)
        households = read(statement("households_in_areas"), {"areas": sorted(within)})[0][0]
    return sorted(h for h in households if h not in covered)


def contacts_of(store: ServerStore, household: str, *, as_of: str | _dt.date | None = None,
                unavailable: Iterable[str] = ()) -> list[str]:
    """See :func:`orggraph.queries.contacts_of`."""
    params = _params(store, as_of, unavailable)
    _require(store, household, "Household", "household")
    rows = store.conn.read(statement("chain_contacts"), {**params, "household": household})
    return sorted({r[0] for r in rows})


def responsibility_chain(store: ServerStore, household: str, *, as_of: str | _dt.date | None = None,
                         unavailable: Iterable[str] = ()) -> dict[str, Any]:
    """See :func:`orggraph.queries.responsibility_chain`."""
    params = _params(store, as_of, unavailable)
    _require(store, household, "Household", "household")
    conn = store.conn
    units: dict[str, dict[str, set[str]]] = {}
    for member, unit, org in conn.read(statement("chain_contacts"), {**params, "household": household}):
        member_units = units.setdefault(member, {})
        if unit is not None:
            orgs = member_units.setdefault(unit, set())
            if org is not None:
                orgs.add(org)
    contacts = [(m, [(u, sorted(o)) for u, o in sorted(units[m].items())]) for m in sorted(units)]
    territory = []
    weak: set[str] = set()
    for area, _, assigned, orgs in conn.read(statement("chain_territory"), {**params, "household": household}):
        people = sorted({(_ROLE_RANK.get(a["role"], 99), a["member"]) for a in assigned if a["member"] is not None})
        governing = sorted({o["org"] for o in orgs if o["org"] is not None})
        weak.update(o["org"] for o in orgs if o["org"] is not None and o["weak"])
        territory.append((area, [m for _, m in people], governing))
    named = sorted({o for _, us in contacts for _, os_ in us for o in os_} | {o for _, _, g in territory for o in g})
    responsible = {}
    if named:
        holders: dict[str, list[tuple[int, str]]] = {org: [] for org in named}
        for org, post, member in conn.read(statement("responsible"), {**params, "orgs": named}):
            holders[org].append((_POST_RANK.get(post, len(_POST_RANK)), member))
        responsible = {org: min(ranked)[1] if ranked else None for org, ranked in holders.items()}
    return assemble_chain(household, params["day"], contacts, territory, responsible, weak)




def gaps(store: ServerStore, *, max_households: int, spof: int, as_of: str | _dt.date | None = None,
         unavailable: Iterable[str] = ()) -> dict[str, Any]:
    """See :func:`orggraph.queries.gaps`."""
    params = _params(store, as_of, unavailable)
    read = store.conn.read

    def ids(cypher: str, **extra: Any) -> list[str]:
        return [r[0] for r in read(cypher, {**params, **extra})]

    def counted(cypher: str, **extra: Any) -> list[dict[str, Any]]:
        return [{"member": m, "households": int(n)} for m, n in read(cypher, {**params, **extra})]

    vacant = [{"area": a, "org": None, "reason": "no_org"} for a in ids(statement("gaps_no_org"))]
    vacant += [{"area": None, "org": o, "reason": "no_responsible"} for o in ids(statement("gaps_no_responsible"))]
    vacant.sort(key=lambda v: (v["area"] or v["org"], v["reason"]))
    governed = {m: set(areas) for m, areas in read(statement("gaps_sunk_governed"), params)}
    ancestry = _structure(store)["ancestry"]
    by_pair: dict[tuple[str, str], bool] = {}  # (member, household) -> inside, for any of its areas
    for member, household, home in read(statement("gaps_sunk_contacts"), params)[0][0]:
        inside = any(up in governed.get(member, ()) for up in ancestry.get(home, [home]))
        by_pair[(member, household)] = by_pair.get((member, household), False) or inside
    return {
        "as_of": params["day"],
        "unavailable": params["unavailable"],
        "max_households": max_households,
        "spof": spof,
        "uncovered_households": uncovered_households(store, as_of=params["day"], unavailable=params["unavailable"]),
        "overloaded_members": counted(statement("gaps_overloaded"), max_households=max_households),
        "idle_sunk_members": ids(statement("gaps_idle_sunk")),
        "vacant_posts": vacant,
        "idle_units": ids(statement("gaps_idle_units")),
        "single_points_of_failure": counted(statement("gaps_spof"), spof=spof),
        "cross_boundary_contacts": [{"member": m, "household": h} for (m, h), inside in sorted(by_pair.items()) if not inside],
        "lapsed_households": ids(statement("gaps_lapsed")),
        "unlocated_households": ids(statement("gaps_unlocated")),
    }


def incident(store: ServerStore, areas: list[str], households: list[str], *, as_of: str | _dt.date | None = None,
             unavailable: Iterable[str] = (), max_households: int, stand_ins: int) -> dict[str, Any]:
    """See :func:`orggraph.queries.incident`."""
    params = _params(store, as_of, unavailable)
    read = store.conn.read
    known_areas = {r[0]: r for r in read(statement("areas"))}
    for area in areas:
        if area not in known_areas:
            raise NotFound(f"no area with id {area!r}")
    for household in households:
        _require(store, household, "Household", "household")
    affected = sorted({r[0] for r in read(statement("incident_households"), {"areas": areas, "households": households})})
    status = {r[0]: r for r in read(statement("incident_status"), {**params, "households": affected})}
    chains = {h: responsibility_chain(store, h, as_of=params["day"], unavailable=params["unavailable"]) for h in affected}
    facts = []
    for h in affected:
        _, covered, vulnerable, people = status[h]
        levels: list[str] = []
        if not covered:
            territory = read(statement("chain_territory"), {**params, "household": h})
            levels = [area for area, depth, _, _ in territory if depth < STAND_IN_LEVELS]
        facts.append({"household": h, "covered": bool(covered), "vulnerable": bool(vulnerable),
                      "people": int(people), "levels": levels})
    wanted = sorted({a for f in facts for a in f["levels"]})
    buckets: dict[str, list[tuple[int, str]]] = {}
    if stand_ins and wanted:
        places = read(statement("stand_in_places"), {**params, "areas": wanted})
        members = sorted({m for _, m in places})
        load = dict(read(statement("member_load"), {**params, "members": members})) if members else {}
        for area, member in places:
            if load.get(member, 0) < max_households:
                buckets.setdefault(area, []).append((int(load.get(member, 0)), member))
    level_of = lambda area_id: known_areas[area_id][2]  # noqa: E731
    return assemble_incident(params["day"], params["unavailable"], areas, facts, chains, buckets, level_of, stand_ins)
