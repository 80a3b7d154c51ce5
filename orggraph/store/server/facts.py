"""The facts of :mod:`orggraph.facts` on a graph server, each found by a few Cypher statements of ``cypher/``."""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Literal, Mapping, Sequence

import numpy as np

from ...facts import FIGURES, Day, Inside, Load, Neighbourhood, NodeFacts, Tally, Territory, Which
from ...model import EDGE_TYPES, ENDPOINTS, NODE_KINDS
from .connection import statement

if TYPE_CHECKING:
    from .store import ServerStore

__all__ = ["ServerFacts", "Kept"]

_WHICH = ("all", "uncovered", "unlocated", "lapsed")
#: up to how many households a neighbourhood is read in one statement (neighbourhood_few)
_FEW = 16
#: between the ids of a text searched for one (contacts_outside): a control character, which no id holds
_SEP = "\x1f"
#: from how many members :meth:`ServerFacts.having` finds those with a contact on a day from what is kept
_MANY = 1000
_KEYS = {"HOLDS_POST": 2, "ASSIGNED_TO": 3}  # the edge types with a key: its column in the edges_* rows
#: the edge types kept a revision (:class:`_Typed`): all but those of which a city has one or more a household
_KEPT_TYPES = frozenset(EDGE_TYPES) - {"CONTACTS", "LOCATED_IN"}
#: how many statements :meth:`ServerFacts._together` runs at once at most
_SIDE_BY_SIDE = 4
#: how many territories of spans of days (and placings of the dated households, by day) a revision keeps
_DAYS_KEPT = 4

#: an edge's dates as the server keeps them: since ('' when open), until (None when open)
Dates = tuple[str, "str | None"]


def _valid(since: str, until: str | None, day: str) -> bool:
    """Whether an edge with these dates is valid on the day (the fragment ``{valid:r}``, in Python)."""
    return (not since or since <= day) and (until is None or day <= until)


_KEEPING = threading.Lock()


def _keep(kept: dict[Any, Any], key: Any, value: Any) -> Any:
    """Keep ``value`` under ``key`` among the last few (:data:`_DAYS_KEPT`) of a cache, the oldest let go;
    safe when the questions of several threads share the store's :class:`Kept`."""
    with _KEEPING:
        while len(kept) >= _DAYS_KEPT:
            del kept[next(iter(kept))]
        kept[key] = value
    return value


def _by_home(position: Mapping[str, int], rows: Iterable[tuple[str | None, int, int, int]]
             ) -> tuple[np.ndarray, np.ndarray]:
    """(home, households, people, vulnerable) rows added up by home: an array of shape (len(position), 3)
    by area position, and the sum of the rows with no home, shape (3,)."""
    direct = np.zeros((len(position), 3), dtype=np.int64)
    rest = np.zeros(3, dtype=np.int64)
    for home, *figures in rows:
        if home is None:  # located nowhere, or through dated or several edges
            rest += figures
        else:
            direct[position[home]] += figures
    return direct, rest


def _pairs(pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """(child, parent) pairs as a Territory's ``within``: sorted, each once."""
    found = sorted(set(pairs))
    return np.array(found, dtype=np.int64).reshape(len(found), 2)


class _Areas:
    """The territory of one revision: every area, each ``WITHIN`` edge with its dates, and the dates of
    the relations of the areas that do not take part on every day; the territory of a day is made from
    them when first asked, and kept for the span of days it holds on (the last few spans).

    ``undecided`` maps the position of each area with no undated relation (``WITHIN`` either way,
    ``GOVERNS``, ``ASSIGNED_TO``, ``LOCATED_IN``) but some dated ones to those relations' dates; every
    other area takes part on every day. Two days that no ``since`` nor ``until`` of these dates (nor of a
    dated ``WITHIN`` edge) falls between have the same territory.
    """

    def __init__(self, revision: int, ids: list[str], names: list[str | None], levels: list[str | None],
                 open_pairs: list[tuple[int, int]], dated_pairs: list[tuple[int, int, str, str | None]],
                 undecided: dict[int, list[Dates]]):
        self.revision = revision
        self.ids, self.names, self.levels = ids, names, levels
        self.open_pairs, self.dated_pairs, self.undecided = open_pairs, dated_pairs, undecided
        self.every = Territory(ids, names, levels, _pairs([*open_pairs, *((c, p) for c, p, _, _ in dated_pairs)]))
        dates = [(s, u) for _, _, s, u in dated_pairs] + [d for ds in undecided.values() for d in ds]
        self.sinces = sorted(s for s, _ in dates if s)
        self.untils = sorted(u for _, u in dates if u is not None)
        self._days: dict[tuple[int, int], Territory] = {}

    def span(self, day: str) -> tuple[int, int]:
        """The span of days holding ``day``: how many of the dates start on or before it, and how many end
        before it (the same for every day of the span, different for the days of any other)."""
        return bisect_right(self.sinces, day), bisect_left(self.untils, day)

    def on(self, day: str) -> Territory:
        """The territory of the day: the ``WITHIN`` edges valid on it, and the areas that take part."""
        key = self.span(day)
        territory = self._days.get(key)
        if territory is None:
            pairs = [*self.open_pairs, *((c, p) for c, p, s, u in self.dated_pairs if _valid(s, u, day))]
            gone = [a for a, dates in self.undecided.items() if not any(_valid(s, u, day) for s, u in dates)]
            exists = None
            if gone:
                exists = np.ones(len(self.ids), dtype=bool)
                exists[gone] = False
            territory = _keep(self._days, key, Territory(self.ids, self.names, self.levels, _pairs(pairs), exists))
        return territory


@dataclass(frozen=True)
class _Placed:
    """The households with dated or several ``LOCATED_IN`` edges (those with no ``h.home``), read once a
    revision (located_several): each with its edges' (area position, since, until), people and vulnerable,
    sorted by household; placed on a day by :meth:`on` (the last few days kept)."""

    revision: int
    households: list[tuple[str, tuple[tuple[int, str, str | None], ...], int, bool]]
    _days: dict[str, list[tuple[str, tuple[int, ...], int, bool]]] = field(default_factory=dict)

    def on(self, day: str) -> list[tuple[str, tuple[int, ...], int, bool]]:
        """(household, positions of the areas it is located in on the day, sorted, each once, people,
        vulnerable) of those located somewhere on the day, by household."""
        found = self._days.get(day)
        if found is None:
            found = []
            for household, edges, people, vulnerable in self.households:
                areas = tuple(sorted({a for a, s, u in edges if _valid(s, u, day)}))
                if areas:
                    found.append((household, areas, people, vulnerable))
            _keep(self._days, day, found)
        return found

    def nowhere(self, day: str) -> list[str]:
        """Those located nowhere on the day: every edge they have is dated, and none valid on it."""
        somewhere = {h for h, *_ in self.on(day)}
        return [h for h, *_ in self.households if h not in somewhere]


@dataclass(frozen=True)
class _Located:
    """Where the households with a home (one undated ``LOCATED_IN`` edge, ``h.home``) are, counted once a
    revision (households_per_area): ``direct``, (households, people, vulnerable) by area position;
    ``rest``, the same of every other household (located nowhere, or through dated or several edges)."""

    revision: int
    direct: np.ndarray
    rest: tuple[int, int, int]


#: an edge as :class:`_Typed` keeps it: source, target, key (post, role or None), since ('' when open), until
Edge = tuple[str, str, "str | None", str, "str | None"]


@dataclass(frozen=True)
class _Typed:
    """Every edge of one type of :data:`_KEPT_TYPES` with its dates, read once a revision (edges_dated), in
    no order, from which the edges, the nodes having them and the nodes they reach are found on any day
    without asking the server again (each answer sorted where it is made)."""

    revision: int
    edges: list[Edge]

    @cached_property
    def by_source(self) -> dict[str, list[Edge]]:
        """Each source's edges."""
        return _grouped(self.edges, 0)

    @cached_property
    def by_target(self) -> dict[str, list[Edge]]:
        """Each target's edges."""
        return _grouped(self.edges, 1)


def _grouped(edges: list[Edge], end: int) -> dict[str, list[Edge]]:
    """Edges by the id at one end (0 the source, 1 the target), in their order."""
    found: dict[str, list[Edge]] = {}
    for edge in edges:
        found.setdefault(edge[end], []).append(edge)
    return found


#: a household as the contact facts read it: (id, home or None, people, vulnerable)
Household = tuple[str, "str | None", int, bool]


@dataclass(frozen=True)
class _Uncontacted:
    """The households with no ``CONTACTS`` edge at all, read once a revision (uncontacted): uncovered on
    every day. ``households`` as :data:`Household` rows, sorted; ``direct`` and ``rest`` count them as
    :class:`_Located` counts every household (by home; those with none apart)."""

    revision: int
    households: list[Household]
    direct: np.ndarray
    rest: np.ndarray


@dataclass(frozen=True)
class _Reach:
    """For each member with a ``CONTACTS`` edge, whatever its dates, read once a revision (contact_reach):
    how many households it contacts, and of how many it is the only member with such an edge. On a day
    these are the contact load but for the households some of whose edges are not live (contacts_astray),
    which :meth:`ServerFacts.contact_load` counts again."""

    revision: int
    households: dict[str, int]
    alone: dict[str, int]


@dataclass(frozen=True)
class _Astray:
    """The households with a ``CONTACTS`` edge not live on a day (contacts_astray), for one revision and day
    (the what-if included).

    Attributes
    ----------
    households : list of Household
        Each of them, sorted.
    contacts, valid, live : list of frozenset of str
        Beside each: the members with an edge to it; those with one valid on the day; those of them
        available.
    lapsed : list of str
        Those with no edge valid on the day and one ended before it, sorted.
    """

    households: list[Household]
    contacts: list[frozenset[str]]
    valid: list[frozenset[str]]
    live: list[frozenset[str]]
    lapsed: list[str]

    def uncovered(self) -> list[Household]:
        """Those with no live contact on the day."""
        return [h for h, live in zip(self.households, self.live) if not live]


def _node_facts(kind: str, name: str | None, level: str | None, status: str | None, people: Any,
                vulnerable: Any) -> NodeFacts:
    """A node's :class:`~orggraph.facts.NodeFacts` from the copies load_nodes keeps beside its record."""
    household = kind == "Household"
    return NodeFacts(kind=kind, name=name, level=level, weak=kind == "Org" and status == "weak_lax",
                     unavailable=kind == "Member" and status == "unavailable",
                     people=int(people if people is not None else 1) if household else 0,
                     vulnerable=bool(vulnerable) if household else False)


class Kept:
    """What the facts of a store keep from one question to the next: the territory (with its dates), the
    households with dated or several locations, where the others are, the households with no contact, and
    how many households each member contacts, each with the revision it was read at; the households whose
    contacts are not all live on the last few days asked (their what-ifs apart), by revision and day; and
    the edges of the types of :data:`_KEPT_TYPES` read so far, by type; and what lies within every area."""

    def __init__(self) -> None:
        self.astray: dict[tuple[int, Day], _Astray] = {}
        self.typed: dict[str, _Typed] = {}
        self.everywhere: tuple[int, list[str], dict[str, tuple[int, int]]] | None = None
        self.areas: _Areas | None = None
        self.placed: _Placed | None = None
        self.located: _Located | None = None
        self.uncontacted: _Uncontacted | None = None
        self.reach: _Reach | None = None


class ServerFacts:
    """The facts (:class:`orggraph.facts.Facts`) of the records on a graph server, at one revision.

    Made by :meth:`ServerStore.facts` for each question, with the revision read then (one query), so a
    question reads the revision once. The territory with every ``WITHIN`` edge's dates, the households
    with dated or several ``LOCATED_IN`` edges, where the others are, the households with no contact and
    how many households each member contacts are read once a revision and kept in the store's
    :class:`Kept`; the territory of a day and where those households are on it are made from them in
    Python. The households whose contacts are not all live on a day (a few thousand in a city) are read
    once a revision and day (the last few kept); with what is kept they give the covered, the uncovered,
    the lapsed, the contact load and the members with a contact on the day without a scan of every
    contact for each. Everything else is read when asked, in a few statements whatever the number of ids
    asked about.

    Parameters
    ----------
    store : ServerStore
        The store whose connection the statements run on.
    revision : int
        The revision of the records now.
    kept : Kept
        The store's: shared by the facts of every question.
    """

    def __init__(self, store: ServerStore, revision: int, kept: Kept):
        self._store = store
        self.revision = revision
        self._kept = kept

    def __repr__(self) -> str:
        return f"ServerFacts({self._store!r}, revision {self.revision})"

    def _read(self, name: str, params: dict[str, Any] | None = None, **labels: str) -> list[list[Any]]:
        return self._store.conn.read(statement(name, **labels), params)

    @staticmethod
    def _params(day: Day) -> dict[str, Any]:
        return {"day": day.as_of, "unavailable": sorted(day.unavailable)}

    # -- records --------------------------------------------------------------------------------------

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The kind of each of these ids that names a node (one query)."""
        return self._store.kinds_of(ids)

    def ids(self, kind: str) -> list[str]:
        """Every id of one kind, sorted (a kind not of :data:`orggraph.model.NODE_KINDS`: ValueError)."""
        return sorted(i for (i,) in self._read("ids", label=self._kind(kind)))

    @staticmethod
    def _kind(kind: str) -> str:
        if kind not in NODE_KINDS:
            raise ValueError(f"unknown node kind {kind!r}; allowed: {', '.join(NODE_KINDS)}")
        return kind

    def nodes(self, ids: Iterable[str]) -> dict[str, NodeFacts]:
        """What the questions read of these nodes (one query; ids that name no node are left out)."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        return {node_id: _node_facts(*row) for node_id, *row in self._read("node_facts", {"ids": ids})}

    # -- the territory and the tally ------------------------------------------------------------------

    def territory(self, day: Day | None) -> Territory:
        """Every area, the ``WITHIN`` edges between them valid on the day and the areas taking part (see
        :meth:`orggraph.facts.Facts.territory`); with ``day`` None every ``WITHIN`` edge, whatever its
        dates. Made in Python from what is kept a revision (:meth:`_walkable`), and kept for the span of
        days it holds on."""
        areas = self._walkable()
        return areas.every if day is None else areas.on(day.as_of)

    def existing(self, day: Day, kind: str) -> list[str]:
        """The ids of the nodes of one kind that take part on the day, sorted (see
        :meth:`orggraph.facts.Facts.existing`): the areas from the day's territory, the orgs and the units
        from the edges of their types kept a revision (:meth:`_typed`) and their ids, the rest in one query
        (a kind not of :data:`orggraph.model.NODE_KINDS`: ValueError)."""
        if self._kind(kind) == "Area":
            territory = self.territory(day)
            return [territory.ids[a] for a in territory.taking_part]
        types = [t for t, ends in ENDPOINTS.items() if kind in ends]
        if not all(t in _KEPT_TYPES for t in types):  # a member's or a household's: asked of the server
            return sorted(i for (i,) in self._read("existing", {"day": day.as_of}, label=kind))
        tied, valid = set(), set()  # an org's or a unit's, from the edges kept (every edge of its types)
        for type_ in types:
            source, target = ENDPOINTS[type_]
            for s, t, _, since, until in self._typed(type_).edges:  # type: ignore[union-attr]
                ends = [e for e, k in ((s, source), (t, target)) if k == kind]
                tied.update(ends)
                if _valid(since, until, day.as_of):
                    valid.update(ends)
        return [i for i in self.ids(kind) if i in valid or i not in tied]

    def _walkable(self) -> _Areas:
        """The territory of the revision (:class:`_Areas`): areas.cypher, and area_dates for the areas
        that no undated ``WITHIN`` edge makes take part on every day (few: new, split or ended areas)."""
        revision = self.revision
        if self._kept.areas is None or self._kept.areas.revision != revision:
            read = {what: rows for what, rows in self._read("areas")}
            rows = sorted(read.get("areas", ()))
            ids = [r[0] for r in rows]
            position = {area: i for i, area in enumerate(ids)}
            open_pairs, dated_pairs = [], []
            always: set[int] = set()  # the areas with an undated relation: they take part on every day
            dates: dict[int, list[Dates]] = {}
            for area, parent_id, since, until in read.get("within", ()):
                child, parent = position[area], position[parent_id]
                if not since and until is None:
                    open_pairs.append((child, parent))
                    always.update((child, parent))
                else:
                    dated_pairs.append((child, parent, since or "", until))
                    for a in (child, parent):
                        dates.setdefault(a, []).append((since or "", until))
            asked = [ids[a] for a in range(len(ids)) if a not in always]
            for area, found in self._read("area_dates", {"areas": asked}) if asked else ():
                a = position[area]
                found = [(s or "", u) for s, u in found]
                if any(not s and u is None for s, u in found):
                    always.add(a)
                else:
                    dates.setdefault(a, []).extend(found)
            # each area's spans, each once, in order (an open end sorts after every day)
            undecided = {a: sorted(set(d), key=lambda span: (span[0], span[1] or "\uffff"))
                         for a, d in dates.items() if a not in always}
            self._kept.areas = _Areas(revision, ids, [r[1] for r in rows], [r[2] for r in rows], open_pairs,
                                      dated_pairs, undecided)
        return self._kept.areas

    def _placed(self) -> _Placed:
        """The households with dated or several ``LOCATED_IN`` edges: one query a revision (located_several)."""
        revision = self.revision
        if self._kept.placed is None or self._kept.placed.revision != revision:
            position = self._walkable().every.position
            households = []
            for household, edges, people, vulnerable in self._read("located_several"):
                located = tuple(sorted((position[a], s or "", u) for a, s, u in edges))
                households.append((household, located, int(people), bool(vulnerable)))
            self._kept.placed = _Placed(revision, sorted(households))
        return self._kept.placed

    def _where(self) -> _Located:
        """Where the households with a home are located: one query a revision (households_per_area)."""
        revision = self.revision
        if self._kept.located is not None and self._kept.located.revision == revision:
            return self._kept.located
        rows = self._read("households_per_area")
        direct, rest = _by_home(self._walkable().every.position,
                                ((area, int(n), int(people), int(vulnerable)) for area, n, people, vulnerable in rows))
        self._kept.located = _Located(revision, direct, (int(rest[0]), int(rest[1]), int(rest[2])))
        return self._kept.located

    def _uncontacted(self) -> _Uncontacted:
        """The households with no ``CONTACTS`` edge: one query a revision (uncontacted, in its dialect)."""
        revision = self.revision
        kept = self._kept.uncontacted
        if kept is not None and kept.revision == revision:
            return kept
        [[rows]] = self._read(f"uncontacted.{self._store.conn.dialect}")
        households = sorted((h, home, int(people), bool(vulnerable)) for h, home, people, vulnerable in rows)
        direct, rest = _by_home(self._walkable().every.position,
                                ((home, 1, people, int(vulnerable)) for _, home, people, vulnerable in households))
        self._kept.uncontacted = _Uncontacted(revision, households, direct, rest)
        return self._kept.uncontacted

    def _reach(self) -> _Reach:
        """How many households each member contacts, whatever the day: one query a revision (contact_reach,
        in its dialect), whose rows are added up by member."""
        revision = self.revision
        kept = self._kept.reach
        if kept is not None and kept.revision == revision:
            return kept
        households: dict[str, int] = {}
        shared: dict[str, int] = {}
        for member, n, both in self._read(f"contact_reach.{self._store.conn.dialect}"):
            households[member] = households.get(member, 0) + int(n)
            shared[member] = shared.get(member, 0) + int(both)
        households = {m: n for m, n in households.items() if n}
        alone = {m: n - shared[m] for m, n in households.items()}
        self._kept.reach = _Reach(revision, households, alone)
        return self._kept.reach

    def _astray_on(self, day: Day) -> _Astray:
        """The households with a ``CONTACTS`` edge not live on the day: one query a revision and day
        (contacts_astray), the last few kept."""
        found = self._kept.astray.get((self.revision, day))
        if found is None:
            households, contacts, valid, live, lapsed = [], [], [], [], []
            for h, home, people, vulnerable, edges in sorted(self._read("contacts_astray", self._params(day))):
                households.append((h, home, int(people), bool(vulnerable)))
                contacts.append(frozenset(m for m, *_ in edges))
                valid.append(frozenset(m for m, on, _, _ in edges if on))
                live.append(frozenset(m for m, valid, available, _ in edges if valid and available))
                if not any(valid for _, valid, _, _ in edges) and any(ended for *_, ended in edges):
                    lapsed.append(h)
            found = _keep(self._kept.astray, (self.revision, day), _Astray(households, contacts, valid, live, lapsed))
        return found

    @staticmethod
    def _together(*reads: Callable[[], Any]) -> None:
        """Call these (each reading what is kept, or reading it when it is not: one statement or two of
        its own) at once, in threads of their own (up to :data:`_SIDE_BY_SIDE` at a time): the server runs
        their statements side by side, which on two cores takes about half as long as one after the other. Safe where the connection's client
        is (FalkorDB's pool of connections, Neo4j's driver), as what is kept is set whole once read.

        Raises
        ------
        Exception
            The first that one of them raised, once every one has ended.
        """
        if not reads:
            return
        with ThreadPoolExecutor(max_workers=min(len(reads), _SIDE_BY_SIDE)) as pool:
            for done in [pool.submit(read) for read in reads]:
                done.result()

    def _uncovered(self, day: Day) -> list[Household]:
        """The households with no live contact on the day, sorted: those with no contact at all (kept a
        revision), and those whose every contact is not live on it."""
        return sorted(self._uncontacted().households + self._astray_on(day).uncovered())

    def tally(self, day: Day) -> Tally:
        """The households counted by where they are located on the day (:class:`orggraph.facts.Tally`).

        Where the households with a home are located, the dated or several edges of the others, and the
        households with no contact are kept a revision; on the day one query finds the households whose
        contacts are not all live (contacts_astray): the covered are the others, less those uncovered. What
        is not kept yet is read at once (:meth:`_together`), once the territory is.
        """
        self._walkable()
        self._together(self._where, self._placed, self._uncontacted, lambda: self._astray_on(day))
        located, placed = self._where(), self._placed().on(day.as_of)
        uncontacted, astray = self._uncontacted(), self._astray_on(day).uncovered()
        position = self._walkable().every.position
        direct = np.zeros((len(position), len(FIGURES)), dtype=np.int64)
        direct[:, 0::2] = located.direct
        lost, lost_rest = _by_home(position, ((home, 1, people, int(vulnerable)) for _, home, people, vulnerable in astray))
        direct[:, 1::2] = located.direct - uncontacted.direct - lost
        covered_rest = np.asarray(located.rest, dtype=np.int64) - uncontacted.rest - lost_rest
        uncovered = {h for h, *_ in uncontacted.households} | {h for h, *_ in astray} if placed else set()
        nowhere = np.zeros(len(FIGURES), dtype=np.int64)
        nowhere[0::2] = located.rest
        nowhere[1::2] = covered_rest
        several = []
        for household, areas, people, vulnerable in placed:  # those located nowhere on the day stay there
            c = int(household not in uncovered)
            figures = np.array((1, c, people, people * c, int(vulnerable), int(vulnerable) * c), dtype=np.int64)
            nowhere -= figures  # counted in the rest, which is what is left of it
            if len(areas) == 1:  # one edge valid on the day, or several to the same area: located in that one
                direct[areas[0]] += figures
            else:
                several.append((areas, tuple(int(f) for f in figures)))
        return Tally(direct, several, nowhere)

    # -- households and members -----------------------------------------------------------------------

    def households(self, day: Day, which: Which = "all", within: Collection[str] | None = None) -> list[str]:
        """Household ids, sorted (see :meth:`orggraph.facts.Facts.households`); one or two queries: the
        unlocated, those with no ``LOCATED_IN`` edge and those of the dated ones kept a revision placed
        nowhere on the day; the uncovered, those with no contact (kept a revision) and those whose
        contacts on the day are none live; the lapsed, picked from the latter's edges (contacts_astray).

        Raises
        ------
        ValueError
            An unknown ``which``.
        """
        if which not in _WHICH:
            raise ValueError(f"unknown households {which!r}; allowed: {', '.join(_WHICH)}")
        params = self._params(day)
        if within is not None:
            areas = sorted(set(within))
            if not areas or which == "unlocated":  # a household located in an area is not unlocated
                return []
            if which == "uncovered":
                return sorted(self._read("uncovered_in_areas", {**params, "areas": areas})[0][0])
            found = set(self._read("households_in_areas", {"areas": areas, "day": day.as_of})[0][0])
            if which == "all":
                return sorted(found)
            return [h for h in self._astray_on(day).lapsed if h in found]
        if which == "all":
            return sorted(self._read("household_ids")[0][0])
        if which == "uncovered":
            return [h for h, *_ in self._uncovered(day)]
        if which == "unlocated":  # no LOCATED_IN edge, or none valid on the day
            return sorted([h for (h,) in self._read("gaps_unlocated")] + self._placed().nowhere(day.as_of))
        return list(self._astray_on(day).lapsed)

    def contact_load(self, day: Day) -> Load:
        """For each available member with a live contact: (households it contacts, households of which it
        is the only live contact). From the members' households whatever the day (kept a revision), less
        what the households whose contacts are not all live on the day take away (contacts_astray)."""
        reach = self._reach()
        households, alone = dict(reach.households), dict(reach.alone)
        astray = self._astray_on(day)
        for contacts, live in zip(astray.contacts, astray.live):
            for member in contacts - live:  # an edge to it, none live
                households[member] -= 1
            if len(contacts) == 1:
                alone[next(iter(contacts))] -= 1
            if len(live) == 1:
                alone[next(iter(live))] += 1
        members = sorted(m for m, n in households.items() if n > 0)
        return Load(members, np.array([households[m] for m in members], dtype=np.int64),
                    np.array([alone[m] for m in members], dtype=np.int64))

    def sole_answerers(self, day: Day, answering: Mapping[str, str | None]) -> list[tuple[str, str]]:
        """For each household located on the day in areas of ``answering`` only, the one member it then
        has (see :meth:`orggraph.facts.Facts.sole_answerers`): those with one live contact in one query
        (sole_contacts), those with none from the uncovered households of the day; where a household with
        no home is located on the day, from its edges kept a revision."""
        if not answering:
            return []
        ids = self._walkable().ids
        several = {h: [ids[a] for a in areas] for h, areas, _, _ in self._placed().on(day.as_of)}
        params = {**self._params(day), "areas": sorted(answering)}
        candidates = [(h, home, [c]) for h, home, c in self._read("sole_contacts", params)]
        candidates += [(h, home, []) for h, home, _, _ in self._uncovered(day)]
        found = []
        for household, home, contacts in candidates:
            areas = [home] if home is not None else several.get(household, ())  # none: nowhere on the day
            if not areas or not all(a in answering for a in areas):
                continue
            people = set(contacts) | {answering[a] for a in areas if answering[a] is not None}
            if len(people) == 1:
                found.append((household, people.pop()))
        return sorted(found)

    def having(self, type_: str, ids: Collection[str], *, end: Literal["source", "target"] = "source",
               day: str | None = None, beyond: Collection[str] | None = None) -> list[str]:
        """Those of these ids at the ``end`` of an edge of one type, valid on ``day`` when given, whose
        other end is not one of ``beyond`` when given: from the edges kept a revision where the type's are
        (:meth:`_typed`), from each member's households kept (:meth:`_contacting`) for many members'
        contacts, else in one query.

        Raises
        ------
        ValueError
            A type that is not one of :data:`orggraph.model.EDGE_TYPES`, an end that is neither.
        """
        labels, ids = self._labels(type_, end), sorted(set(ids))
        if not ids:
            return []
        if type_ == "CONTACTS" and end == "source" and not beyond and len(ids) >= _MANY:
            return self._contacting(ids, day)  # many members: from what is kept, not a walk from each
        typed = self._typed(type_, len(ids))
        if typed is not None:
            index, far = (typed.by_source, 1) if end == "source" else (typed.by_target, 0)
            if day is None and not beyond:  # any edge: those with one
                return [i for i in ids if i in index]
            beyond = () if beyond is None else beyond if isinstance(beyond, (set, frozenset)) else set(beyond)
            return [i for i in ids if any((day is None or _valid(e[3], e[4], day)) and e[far] not in beyond
                                          for e in index.get(i, ()))]
        if beyond is not None:  # the edges' far ends are looked up here: a long list in a query is searched
            beyond = beyond if isinstance(beyond, (set, frozenset)) else set(beyond)  # end to end on FalkorDB
            rows = self.edges(type_, sources=ids, day=day) if end == "source" else self.edges(type_, targets=ids, day=day)
            return sorted({s if end == "source" else t for s, t, _ in rows if (t if end == "source" else s) not in beyond})
        params = {"ids": ids, "day": day}
        rows = self._read("having_from", params, **labels) if end == "source" else self._read("having_to", params, **labels)
        return sorted({i for (i,) in rows})

    def _contacting(self, members: list[str], day: str | None) -> list[str]:
        """Those of these members (sorted) with a ``CONTACTS`` edge (valid on the day when given), from what
        is kept: the households each contacts whatever the day (contact_reach), less those whose contacts
        are not all live on the day (contacts_astray) and to which it has no edge valid on it. A household
        with only live contacts has every edge valid on the day."""
        reach = self._reach().households
        reached = {m: reach.get(m, 0) for m in members}
        if day is None:
            return [m for m in members if reached[m] > 0]
        astray = self._astray_on(Day(day))
        for contacts, valid in zip(astray.contacts, astray.valid):
            for member in contacts - valid:
                if member in reached:
                    reached[member] -= 1
        return [m for m in members if reached[m] > 0]

    def others(self, type_: str, ids: Collection[str], *, end: Literal["source", "target"] = "source",
               day: str | None = None) -> list[str]:
        """The ids at the other end of the edges of one type whose ``end`` is one of these: from the edges
        kept a revision where the type's are (:meth:`_typed`), else in one query."""
        labels, ids = self._labels(type_, end), sorted(set(ids))
        if not ids:
            return []
        typed = self._typed(type_, len(ids))
        if typed is not None:
            index, far = (typed.by_source, 1) if end == "source" else (typed.by_target, 0)
            return sorted({e[far] for i in ids for e in index.get(i, ()) if day is None or _valid(e[3], e[4], day)})
        params = {"ids": ids, "day": day}
        rows = self._read("others_from", params, **labels) if end == "source" else self._read("others_to", params, **labels)
        return sorted({i for (i,) in rows})

    def _typed(self, type_: str, asked: int | None = None) -> _Typed | None:
        """The edges of one type kept a revision (:class:`_Typed`), read now (edges_dated) when none are kept
        and the question is large: every edge (``asked`` None) or about :data:`_MANY` ids or more, and with
        them those of every other type of :data:`_KEPT_TYPES` not kept yet, side by side (:meth:`_together`);
        None for a type not of :data:`_KEPT_TYPES`, or a small question while none are kept (asked of the
        server)."""
        if type_ not in _KEPT_TYPES:
            return None
        kept = self._kept.typed.get(type_)
        if kept is not None and kept.revision == self.revision:
            return kept
        if asked is not None and asked < _MANY:
            return None
        revision = self.revision

        def read(type_: str) -> None:
            keyed = type_ in _KEYS
            rows = self._read("edges_dated", **self._labels(type_, "source"))
            edges = [(s, t, key if keyed else None, since or "", until) for s, t, key, since, until in rows]
            with _KEEPING:
                self._kept.typed[type_] = _Typed(revision, edges)

        # every kept type not read yet at this revision, at once: a question that asks of one asks of others
        missing = sorted(t for t in _KEPT_TYPES if t not in self._kept.typed or self._kept.typed[t].revision != revision)
        self._together(*(lambda t=t: read(t) for t in missing))
        return self._kept.typed[type_]

    @staticmethod
    def _labels(type_: str, end: str) -> dict[str, str]:
        if type_ not in EDGE_TYPES:
            raise ValueError(f"unknown edge type {type_!r}; allowed: {', '.join(EDGE_TYPES)}")
        if end not in ("source", "target"):
            raise ValueError(f"end must be source or target, got {end!r}")
        source, target = ENDPOINTS[type_]
        return {"type": type_, "source": source, "target": target}

    def contacts_outside(self, day: Day, groups: Sequence[tuple[Collection[str], Collection[str]]]
                         ) -> list[tuple[str, str]]:
        """Contacts of each group's members to households located only outside its areas (see
        :meth:`orggraph.facts.Facts.contacts_outside`); one query for every group: their contacts to
        households whose home is not among the group's areas, those with dated or several locations weighed
        here from what is kept a revision, on the day (left out when located nowhere on it)."""
        group_of: dict[str, int] = {}
        allowed: list[set[str]] = []
        for g, (members, areas) in enumerate(groups):
            for member in members:
                group_of[member] = g
            allowed.append(set(areas))
        if not group_of:
            return []
        rows = self._read("contacts_outside", {"day": day.as_of, "sep": _SEP, "groups": [
            {"members": sorted(set(members)), "areas": _SEP + _SEP.join(sorted(areas)) + _SEP}
            for (members, _), areas in zip(groups, allowed) if members]})
        ids = self._walkable().ids
        several = {h: [ids[a] for a in areas] for h, areas, _, _ in self._placed().on(day.as_of)}
        outside = set()
        for member, household, home in rows:
            places = [home] if home is not None else several.get(household, ())  # none: nowhere on the day
            if places and not any(a in allowed[group_of[member]] for a in places):
                outside.add((member, household))
        return sorted(outside)

    def inside(self, areas: Collection[str]) -> Inside:
        """The households located in these areas, where else they are located, and who contacts them or
        lives in them (:class:`orggraph.facts.Inside`): two queries from the areas, and one for the
        other areas of the households located in several; when every area is asked, what is kept a
        revision (:meth:`_everywhere`)."""
        areas = sorted(set(areas))
        if not areas:
            return Inside()
        every = self._walkable().ids
        if len(areas) >= len(every) and set(every).issubset(areas):
            return self._everywhere()
        [[households, several]] = self._read("inside_households", {"areas": areas})
        found = Inside(households=sorted(set(households)))
        several = sorted(set(several))
        wanted = set(areas)
        for household, area, _ in self.edges("LOCATED_IN", sources=several) if several else ():
            if area not in wanted:
                found.elsewhere.setdefault(household, []).append(area)  # edges come sorted
        found.members = {m: (int(within), int(every)) for m, within, every
                         in sorted(self._read("inside_members", {"areas": areas}))}
        return found

    def _everywhere(self) -> Inside:
        """What lies within every area (the whole city's scope), kept a revision: the households located
        somewhere (located_households), and, read at the same time (:meth:`_together`), the members tied to
        a household located nowhere and those who both live in and contact a household (everywhere), each
        member's households whatever the day (contact_reach) and the ``RESIDES_IN`` edges (edges_dated);
        each member's households are those it contacts and those it lives in, each once, and those within
        the areas the same less those located nowhere. No household is located elsewhere."""
        kept = self._kept.everywhere
        if kept is None or kept[0] != self.revision:
            read: dict[str, Any] = {}

            def located() -> None:
                [[read["located"]]] = self._read("located_households")

            def tied() -> None:
                read.update((what, pairs) for what, pairs in self._read("everywhere"))

            self._together(located, tied, self._reach, lambda: self._typed("RESIDES_IN"))
            contacted = self._reach().households
            homes: dict[str, set[str]] = {}
            for member, household, *_ in self._typed("RESIDES_IN").edges:  # type: ignore[union-attr]
                homes.setdefault(member, set()).add(household)
            both, nowhere = Counter(m for m, _ in read.get("both", ())), Counter(m for m, _ in read.get("unlocated", ()))
            members = {}
            for member in sorted(contacted.keys() | homes.keys()):
                every = contacted.get(member, 0) + len(homes.get(member, ())) - both[member]
                if every > nowhere[member]:
                    members[member] = (every - nowhere[member], every)
            kept = self._kept.everywhere = (self.revision, sorted(read["located"]), members)
        return Inside(households=list(kept[1]), members=dict(kept[2]))

    def present(self, day: Day, areas: Collection[str]) -> list[tuple[str, str]]:
        """(member, area), sorted, for each member found on the day in one of these areas itself; one query."""
        areas = sorted(set(areas))
        if not areas:
            return []
        return sorted({(m, a) for m, a in self._read("present", {"day": day.as_of, "areas": areas})})

    # -- edges and neighbourhoods ---------------------------------------------------------------------

    def edges(self, type_: str, *, sources: Collection[str] | None = None, targets: Collection[str] | None = None,
              day: str | None = None) -> list[tuple[str, str, str | None]]:
        """(source, target, key) of the edges of one type, sorted and each once (see
        :meth:`orggraph.facts.Facts.edges`): from the edges kept a revision where the type's are
        (:meth:`_typed`), else in one query, from the smaller of ``sources`` and ``targets`` when given.

        Raises
        ------
        ValueError
            A type that is not one of :data:`orggraph.model.EDGE_TYPES`.
        """
        labels = self._labels(type_, "source")
        from_ = sorted(set(sources)) if sources is not None else None
        to = sorted(set(targets)) if targets is not None else None
        if from_ == [] or to == []:
            return []
        asked = min((len(ids) for ids in (from_, to) if ids is not None), default=None)
        typed = self._typed(type_, asked)
        if typed is not None:
            if from_ is not None and (to is None or len(from_) <= len(to)):
                found = (e for i in from_ for e in typed.by_source.get(i, ()))
            elif to is not None:
                found = (e for i in to for e in typed.by_target.get(i, ()))
            else:
                found = iter(typed.edges)
            if from_ is not None and to is not None:
                wanted_from, wanted_to = set(from_), set(to)
                found = (e for e in found if e[0] in wanted_from and e[1] in wanted_to)
            return sorted({(s, t, key) for s, t, key, since, until in found if day is None or _valid(since, until, day)})
        params: dict[str, Any] = {"sources": from_, "targets": to, "day": day}
        if from_ is not None and (to is None or len(from_) <= len(to)):
            rows = self._read("edges_from", params, **labels)
        elif to is not None:
            rows = self._read("edges_to", params, **labels)
        else:
            rows = self._read("edges_all", params, **labels)
        column = _KEYS.get(type_)
        return sorted({(r[0], r[1], r[column] if column else None) for r in rows})

    def neighbourhood(self, day: Day, households: Collection[str]) -> Neighbourhood:
        """Everything the chains of these households are built from (:class:`orggraph.facts.Neighbourhood`).

        Up to 16 households (a chain's) in one query (:meth:`_few_around`); more in five, however many:
        their locations and contacts; the contacts' units and those units' organizations; who is assigned
        to and governs their areas and the areas above (from the day's territory, kept); those
        organizations' post holders; and the nodes named.
        """
        found = Neighbourhood()
        asked = sorted(set(households))
        if not asked:
            return found
        if len(asked) <= _FEW:
            return self._few_around(day, asked)
        rows = self._read("neighbourhood", {"households": asked, "day": day.as_of})
        for household, located, contacts in rows:
            if contacts:
                found.contacts[household] = sorted(set(contacts))
            if located:
                found.located[household] = sorted(set(located))
        members = sorted({m for ms in found.contacts.values() for m in ms})
        for member, unit, org in self._read("neighbourhood_units", {"members": members, "day": day.as_of}) if members else ():
            found.employers.setdefault(member, []).append(unit)
            unit_orgs = found.unit_orgs.setdefault(unit, [])
            if org is not None:
                unit_orgs.append(org)
        found.unit_orgs = {unit: orgs for unit, orgs in found.unit_orgs.items() if orgs}
        territory = self.territory(day)
        areas = sorted({territory.ids[up] for places in found.located.values() for a in places if a in territory.position
                        for up in territory.ancestry(territory.position[a])})
        for what, area, node_id, role in self._read("neighbourhood_areas", {"areas": areas, "day": day.as_of}) if areas else ():
            if what == "assigned":
                found.assigned.setdefault(area, []).append((role, node_id))
            else:
                found.governing.setdefault(area, []).append(node_id)
        orgs = sorted({o for os_ in found.unit_orgs.values() for o in os_} | {o for os_ in found.governing.values() for o in os_})
        for member, org, post in self.edges("HOLDS_POST", targets=orgs, day=day.as_of):
            found.posts.setdefault(org, []).append((post, member))  # type: ignore[arg-type]
        for table in (found.employers, found.unit_orgs, found.assigned, found.governing, found.posts):
            for key, entries in table.items():
                table[key] = sorted(set(entries))
        named = {h for h, _, _ in rows} | set(areas) | set(members)
        named |= {u for us in found.employers.values() for u in us} | set(orgs)
        named |= {m for pairs in (*found.assigned.values(), *found.posts.values()) for _, m in pairs}
        found.nodes = self.nodes(named)
        return found

    def _few_around(self, day: Day, households: list[str]) -> Neighbourhood:
        """:meth:`neighbourhood` of a few households in one read (neighbourhood_few): the nodes reached,
        each with its facts; the areas above theirs walked up the ``WITHIN`` edges valid on the day on the
        server."""
        found = Neighbourhood()
        nodes = found.nodes
        groups: dict[str, dict[str, set[Any]]] = {name: {} for name in (
            "contacts", "located", "employers", "unit_orgs", "assigned", "governing", "posts")}

        def node(kind: str, facts: list[Any]) -> str | None:
            node_id, name, level, status = facts
            if node_id is not None and node_id not in nodes:
                nodes[node_id] = _node_facts(kind, name, level, status, None, None)
            return node_id

        def add(name: str, key: str, value: Any) -> None:
            groups[name].setdefault(key, set()).add(value)

        for what, a, b, c, d, key, key2 in self._read("neighbourhood_few", {"households": households, "day": day.as_of}):
            if what == "located":
                household, name, people, vulnerable = a
                nodes[household] = _node_facts("Household", name, None, None, people, vulnerable)
                if node("Area", b):
                    add("located", household, b[0])
            elif what == "contact":
                member = node("Member", a[:4])
                add("contacts", a[4], member)
                unit, org, holder = node("Unit", b), node("Org", c), node("Member", d)
                if unit:
                    add("employers", member, unit)
                if unit and org:
                    add("unit_orgs", unit, org)
                if org and holder:
                    add("posts", org, (key, holder))
            else:
                area, assigned, org, holder = node("Area", a), node("Member", b), node("Org", c), node("Member", d)
                if assigned:
                    add("assigned", area, (key, assigned))
                if org:
                    add("governing", area, org)
                if org and holder:
                    add("posts", org, (key2, holder))
        for name, table in groups.items():
            setattr(found, name, {k: sorted(values) for k, values in sorted(table.items())})
        return found
