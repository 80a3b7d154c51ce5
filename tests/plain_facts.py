"""The facts worked out the plain way, record by record, from what a store lists: the yardstick each
backend's facts are checked against (slow, and written for reading, not speed)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Collection, Iterable

import numpy as np

from orggraph.facts import FIGURES, Day, Inside, Load, Neighbourhood, NodeFacts, Tally, Territory
from orggraph.model import EDGE_TYPES

__all__ = ["PlainFacts", "Plain"]


def _valid(edge: dict[str, Any], day: str) -> bool:
    return (edge.get("since") or "") <= day and (edge.get("until") is None or day <= edge["until"])


class PlainFacts:
    """:class:`orggraph.facts.Facts` over lists of node and edge records."""

    def __init__(self, nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]], revision: int = 0):
        self.node = {n["id"]: n for n in nodes}
        self.all = list(edges)
        self.revision = revision

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.all if e["type"] == type_]

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        return {i: self.node[i]["kind"] for i in ids if i in self.node}

    def ids(self, kind: str) -> list[str]:
        return sorted(i for i, n in self.node.items() if n["kind"] == kind)

    def territory(self, day: Day | None) -> Territory:
        areas = self.ids("Area")
        at = {a: i for i, a in enumerate(areas)}
        d = None if day is None else day.as_of
        within = sorted({(at[e["source"]], at[e["target"]]) for e in self.of("WITHIN") if d is None or _valid(e, d)})
        exists = None
        if d is not None:
            existing = set(self.existing(day, "Area"))
            exists = np.array([a in existing for a in areas], dtype=bool)
        return Territory(areas, [self.node[a].get("name") for a in areas], [self.node[a].get("level") for a in areas],
                         np.array(within, dtype=np.int64).reshape(-1, 2), exists)

    def existing(self, day: Day, kind: str) -> list[str]:
        touched, valid = set(), set()
        for e in self.all:
            for end in (e["source"], e["target"]):
                touched.add(end)
                if _valid(e, day.as_of):
                    valid.add(end)
        return [i for i in self.ids(kind) if i in valid or i not in touched]

    def _available(self, day: Day, member: str) -> bool:
        return member not in day.unavailable and self.node[member].get("status") != "unavailable"

    def _live(self, day: Day) -> dict[str, set[str]]:
        live: dict[str, set[str]] = defaultdict(set)
        for e in self.of("CONTACTS"):
            if _valid(e, day.as_of) and self._available(day, e["source"]):
                live[e["target"]].add(e["source"])
        return live

    def _located(self, day: Day | None) -> dict[str, set[str]]:
        located: dict[str, set[str]] = defaultdict(set)
        for e in self.of("LOCATED_IN"):
            if day is None or _valid(e, day.as_of):
                located[e["source"]].add(e["target"])
        return located

    def tally(self, day: Day) -> Tally:
        areas = self.ids("Area")
        at = {a: i for i, a in enumerate(areas)}
        live, located = self._live(day), self._located(day)
        direct = np.zeros((len(areas), len(FIGURES)), dtype=np.int64)
        several, nowhere = [], np.zeros(len(FIGURES), dtype=np.int64)
        for h in self.ids("Household"):
            record = self.node[h]
            people, vulnerable, covered = record.get("people", 1), int(bool(record.get("flags"))), int(bool(live.get(h)))
            row = np.array([1, covered, people, people * covered, vulnerable, vulnerable * covered], dtype=np.int64)
            places = sorted(at[a] for a in located.get(h, ()))
            if not places:
                nowhere += row
            elif len(places) == 1:
                direct[places[0]] += row
            else:
                several.append((tuple(places), tuple(row.tolist())))
        return Tally(direct, several, nowhere)

    def households(self, day: Day, which: str = "all", within: Collection[str] | None = None) -> list[str]:
        located, live = self._located(day), self._live(day)
        contacts = defaultdict(list)
        for e in self.of("CONTACTS"):
            contacts[e["target"]].append(e)
        chosen = []
        for h in self.ids("Household"):
            if within is not None and not located.get(h, set()) & set(within):
                continue
            if which == "uncovered" and live.get(h):
                continue
            if which == "unlocated" and located.get(h):
                continue
            if which == "lapsed":
                spans = contacts.get(h, [])
                if not spans or any(_valid(e, day.as_of) for e in spans) or not any(
                        e.get("until") and e["until"] < day.as_of for e in spans):
                    continue
            chosen.append(h)
        return chosen

    def contact_load(self, day: Day) -> Load:
        live = self._live(day)
        load: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for members in live.values():
            for m in members:
                load[m][0] += 1
                load[m][1] += len(members) == 1
        members = sorted(load)
        return Load(members, np.array([load[m][0] for m in members]), np.array([load[m][1] for m in members]))

    def edges(self, type_: str, *, sources: Collection[str] | None = None, targets: Collection[str] | None = None,
              day: str | None = None) -> list[tuple[str, str, str | None]]:
        if type_ not in EDGE_TYPES:
            raise ValueError(f"unknown edge type {type_!r}")
        found = set()
        for e in self.of(type_):
            if sources is not None and e["source"] not in sources or targets is not None and e["target"] not in targets:
                continue
            if day is None or _valid(e, day):
                found.add((e["source"], e["target"], e.get("post") or e.get("role")))
        return sorted(found)

    def nodes(self, ids: Iterable[str]) -> dict[str, NodeFacts]:
        out = {}
        for i in ids:
            n = self.node.get(i)
            if n is None:
                continue
            household = n["kind"] == "Household"
            out[i] = NodeFacts(n["kind"], n.get("name"), n.get("level"), n.get("status") == "weak_lax",
                               n.get("status") == "unavailable", n.get("people", 1) if household else 0,
                               bool(n.get("flags")) if household else False)
        return out

    def neighbourhood(self, day: Day, households: Collection[str]) -> Neighbourhood:
        d = day.as_of
        households = [h for h in households if self.node.get(h, {}).get("kind") == "Household"]
        hood = Neighbourhood()
        hood.contacts = {h: sorted({s for s, _, _ in self.edges("CONTACTS", targets={h}, day=d)}) for h in households}
        hood.located = {h: sorted({t for _, t, _ in self.edges("LOCATED_IN", sources={h}, day=d)}) for h in households}
        members = {m for ms in hood.contacts.values() for m in ms}
        hood.employers = {m: sorted({t for _, t, _ in self.edges("EMPLOYED_BY", sources={m}, day=d)}) for m in members}
        units = {u for us in hood.employers.values() for u in us}
        hood.unit_orgs = {u: sorted({s for s, _, _ in self.edges("OF_UNIT", targets={u}, day=d)}) for u in units}
        t = self.territory(day)
        areas = {t.ids[a] for h in households for a, _ in t.distances([t.position[x] for x in hood.located[h]])}
        hood.assigned = {a: sorted({(k, s) for s, _, k in self.edges("ASSIGNED_TO", targets={a}, day=d)}) for a in areas}
        hood.governing = {a: sorted({s for s, _, _ in self.edges("GOVERNS", targets={a}, day=d)}) for a in areas}
        orgs = {o for os_ in hood.unit_orgs.values() for o in os_} | {o for os_ in hood.governing.values() for o in os_}
        hood.posts = {o: sorted({(k, s) for s, _, k in self.edges("HOLDS_POST", targets={o}, day=d)}) for o in orgs}
        named = set(households) | members | units | areas | orgs
        named |= {m for ps in hood.assigned.values() for _, m in ps} | {m for ps in hood.posts.values() for _, m in ps}
        hood.nodes = self.nodes(named)
        for name in ("contacts", "located", "employers", "unit_orgs", "assigned", "governing", "posts"):
            setattr(hood, name, {k: v for k, v in getattr(hood, name).items() if v})
        return hood

    def having(self, type_: str, ids, *, end: str = "source", day: str | None = None, beyond=None) -> list[str]:
        wanted, other = set(ids), "target" if end == "source" else "source"
        return sorted({e[end] for e in self.of(type_) if e[end] in wanted and (day is None or _valid(e, day))
                       and (beyond is None or e[other] not in set(beyond))})

    def others(self, type_: str, ids, *, end: str = "source", day: str | None = None) -> list[str]:
        wanted, other = set(ids), "target" if end == "source" else "source"
        return sorted({e[other] for e in self.of(type_) if e[end] in wanted and (day is None or _valid(e, day))})

    def sole_answerers(self, day: Day, answering) -> list[tuple[str, str]]:
        located, live, found = self._located(day), self._live(day), []
        for h in self.ids("Household"):
            places = located.get(h, set())
            if not places or not places <= set(answering):
                continue
            people = set(live.get(h, ())) | {answering[a] for a in places if answering[a] is not None}
            if len(people) == 1:
                found.append((h, people.pop()))
        return found

    def contacts_outside(self, day: Day, groups) -> list[tuple[str, str]]:
        located, found = self._located(day), set()
        for members, areas in groups:
            for m, h, _ in self.edges("CONTACTS", sources=set(members), day=day.as_of):
                if located.get(h) and not located[h] & set(areas):
                    found.add((m, h))
        return sorted(found)

    def inside(self, areas: Collection[str]) -> Inside:
        wanted, located = set(areas), self._located(None)
        households = sorted(h for h, places in located.items() if places & wanted)
        found = Inside(households=households)
        found.elsewhere = {h: sorted(located[h] - wanted) for h in households if located[h] - wanted}
        within = set(households)
        serves: dict[str, set[str]] = {}
        for type_ in ("CONTACTS", "RESIDES_IN"):
            for m, h, _ in self.edges(type_):
                serves.setdefault(m, set()).add(h)
        found.members = {m: (len(hs & within), len(hs)) for m, hs in sorted(serves.items()) if hs & within}
        return found

    def present(self, day: Day, areas: Collection[str]) -> list[tuple[str, str]]:
        d, wanted, located = day.as_of, set(areas), self._located(day)
        found = set()
        for m, h, _ in self.edges("CONTACTS", day=d):
            found |= {(m, a) for a in located.get(h, set()) & wanted}
        for m, a, _ in self.edges("ASSIGNED_TO", day=d):
            if a in wanted:
                found.add((m, a))
        for m, h, _ in self.edges("RESIDES_IN", day=d):
            found |= {(m, a) for a in located.get(h, set()) & wanted}
        return sorted(found)


class Plain:
    """A store's records seen through :class:`PlainFacts`: what the questions take."""

    def __init__(self, store: Any):
        self._facts = PlainFacts(store.nodes(), store.edges(), store.revision)

    def facts(self) -> PlainFacts:
        return self._facts


def scope_by_definition(facts: Any, areas: list[str]) -> Any:
    """The scope rule of :class:`orggraph.access.Scope` as defined, one relation at a time over
    ``others`` and ``having`` (the library asks the facts for what lies inside the areas at once)."""
    from orggraph.access import SERVES, Scope

    territory = facts.territory(None)
    starts = [territory.position[a] for a in areas if a in territory.position]

    def others(type_: str, ids, end: str = "target") -> set[str]:
        return set(facts.others(type_, sorted(ids), end=end)) if ids else set()

    def reaching(type_: str, ids, beyond, end: str = "source") -> set[str]:
        return set(facts.having(type_, sorted(ids), end=end, beyond=set(beyond))) if ids else set()

    inside = {territory.ids[b] for a in starts for b in territory.below(a)}
    above = {territory.ids[up] for a in starts for up in territory.ancestry(a)}
    upper, governed = above - inside, inside | above
    households = others("LOCATED_IN", inside)
    orgs = others("GOVERNS", governed)
    members = others("CONTACTS", households) | others("RESIDES_IN", households) | others("ASSIGNED_TO", inside)
    for type_ in ("HOLDS_POST", "MEMBER_OF", "SUNK_TO"):
        members |= others(type_, orgs)
    units = others("EMPLOYED_BY", members, end="source") | others("CO_BUILDS", orgs)
    elsewhere = {territory.ids[up] for a in others("LOCATED_IN", households, end="source") - inside
                 for up in territory.ancestry(territory.position[a])} - (inside | above)
    upper |= elsewhere
    context_orgs = others("OF_UNIT", units) | others("GOVERNS", elsewhere)
    context_members = others("HOLDS_POST", context_orgs) | others("ASSIGNED_TO", upper)
    # an area that has lain within one outside, and all below it, is read-only, with what is located there
    moved = {territory.ids[b] for a in inside if a not in areas
             for p in territory.parents[territory.position[a]] if territory.ids[p] not in inside
             for b in territory.below(territory.position[a])}
    inside_w = inside - moved
    households_w = households - reaching("LOCATED_IN", households, inside_w)
    governing_inside = others("GOVERNS", inside)
    orgs_w = governing_inside - reaching("GOVERNS", governing_inside, inside_w)
    places = inside_w | households_w | orgs_w
    members_w = members - set().union(*(reaching(type_, members, places) for type_ in SERVES))
    units_w = units - reaching("CO_BUILDS", units, orgs_w) - reaching("EMPLOYED_BY", units, members_w, end="target")
    return Scope(frozenset(inside), frozenset(households), frozenset(orgs), frozenset(members), frozenset(units),
                 above=frozenset(upper), context_orgs=frozenset(context_orgs - orgs),
                 context_members=frozenset(context_members - members),
                 writable=frozenset(places | members_w | units_w))
