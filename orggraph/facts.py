"""The facts a backend finds for the questions: one protocol, and the types it answers in.

Every question in :mod:`orggraph.queries` is written once, over this protocol. A backend (the embedded
index in :mod:`orggraph.index.facts`, a graph server in :mod:`orggraph.store.server.facts`) finds what
the records say; the question decides what that means. Two backends that answer every fact alike give
every answer alike, which ``tests/test_facts.py`` checks fact by fact.

A fact "on a day" counts only the edges valid on it: ``since <= day <= until``, either end open when
not set. Lists of ids are sorted; a fact about ids it does not know leaves them out.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from typing import Collection, Iterable, Iterator, Literal, Mapping, NamedTuple, Protocol, Sequence, runtime_checkable

import numpy as np

__all__ = ["Day", "Territory", "Tally", "Load", "NodeFacts", "Neighbourhood", "Inside", "Facts", "HasFacts", "Which", "FIGURES"]

#: the columns of a :class:`Tally`, in order
FIGURES = ("households", "covered", "people", "people_covered", "vulnerable", "vulnerable_covered")

#: which households :meth:`Facts.households` lists
Which = Literal["all", "uncovered", "unlocated", "lapsed"]


@dataclass(frozen=True)
class Day:
    """The day a question is asked for, and the members it supposes cannot be reached (the what-if).

    ``as_of`` is an ISO date (``YYYY-MM-DD``); ``unavailable`` holds member ids already known to exist.
    A member is *available* on a day when its record is not marked ``status: unavailable`` and it is not
    in ``unavailable``. A *live contact* is a ``CONTACTS`` edge valid on the day from an available member.
    """

    as_of: str
    unavailable: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)
class Territory:
    """Every area, sorted by id, the ``WITHIN`` edges between them on a day, and which areas take part
    on it.

    Every area of the records is listed whatever the day, so that a position names the same area on
    every day; an area *takes part* on a day when one of its relations (``WITHIN`` either way, and the
    ``LOCATED_IN``, ``GOVERNS`` and ``ASSIGNED_TO`` edges to it) is valid on it, or when it has none at
    all (domain rule: "an area with no relation valid on D does not take part in the answers for D").

    Attributes
    ----------
    ids, names, levels : list
        One entry an area, in id order; a position in these lists names the area in ``within`` and in
        :class:`Tally`.
    within : ndarray of int64, shape (k, 2)
        (child position, parent position), sorted, each pair once.
    exists : ndarray of bool, shape (len(ids),), or None
        Which areas take part on the day; None when every one does.

    Examples
    --------
    >>> t = Territory(["b1", "g1", "g2"], [None] * 3, [None] * 3, np.array([[0, 1]], dtype=np.int64),
    ...               np.array([True, True, False]))
    >>> t.taking_part
    [0, 1]
    """

    ids: list[str]
    names: list[str | None]
    levels: list[str | None]
    within: np.ndarray
    exists: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def position(self) -> dict[str, int]:
        """Area id -> position."""
        return {area: i for i, area in enumerate(self.ids)}

    @cached_property
    def taking_part(self) -> list[int]:
        """The positions of the areas that take part on the day, ascending."""
        if self.exists is None:
            return list(range(len(self.ids)))
        return np.flatnonzero(self.exists).tolist()

    @cached_property
    def parents(self) -> list[list[int]]:
        """Each area's parents (positions, ascending)."""
        parents: list[list[int]] = [[] for _ in self.ids]
        for child, parent in self.within.tolist():
            parents[child].append(parent)
        for row in parents:
            row.sort()
        return parents

    @cached_property
    def children(self) -> list[list[int]]:
        """Each area's children (positions, ascending)."""
        children: list[list[int]] = [[] for _ in self.ids]
        for child, parent in self.within.tolist():
            children[parent].append(child)
        for row in children:
            row.sort()
        return children

    def distances(self, start: Iterable[int]) -> list[tuple[int, int]]:
        """(area, steps) for these areas (0 steps) and every area above them along ``WITHIN``, nearest
        first, ties by id: breadth first, so an area reached two ways counts at its shorter distance.

        Examples
        --------
        >>> t = Territory(["b1", "c1", "g1", "s1"], [None] * 4, [None] * 4,
        ...               np.array([[0, 2], [1, 3], [2, 1]], dtype=np.int64))
        >>> [(t.ids[a], d) for a, d in t.distances([0])]
        [('b1', 0), ('g1', 1), ('c1', 2), ('s1', 3)]
        >>> [(t.ids[a], d) for a, d in t.distances([0, 1])]
        [('b1', 0), ('c1', 0), ('g1', 1), ('s1', 1)]
        """
        distance: dict[int, int] = {}
        if self.single_parent:  # a tree: walk up from each start, keeping the nearer of two ways
            parent = self.parent
            for area in set(start):
                step = 0
                while area >= 0 and distance.get(area, step + 1) > step:
                    distance[area] = step
                    area, step = int(parent[area]), step + 1
            return sorted(distance.items(), key=lambda pair: (pair[1], pair[0]))
        parents = self.parents
        frontier, step = sorted(set(start)), 0
        while frontier:
            nxt = []
            for area in frontier:
                if area not in distance:
                    distance[area] = step
                    nxt.extend(parents[area])
            frontier, step = nxt, step + 1
        return sorted(distance.items(), key=lambda pair: (pair[1], pair[0]))

    def ancestry(self, area: int) -> list[int]:
        """The area and every area above it, nearest first (ties by id)."""
        if self.single_parent:
            parent, chain = self.parent, [area]
            while parent[chain[-1]] >= 0:
                chain.append(int(parent[chain[-1]]))
            return chain
        return [a for a, _ in self.distances([area])]

    def below(self, area: int) -> list[int]:
        """The area and every area transitively within it, ascending."""
        children = self.children
        found, stack = {area}, [area]
        while stack:
            for child in children[stack.pop()]:
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return sorted(found)

    @cached_property
    def single_parent(self) -> bool:
        """Whether every area lies within one other at most (a tree, as in most cities)."""
        return len(self.within) == 0 or int(np.bincount(self.within[:, 0]).max()) <= 1

    @cached_property
    def parent(self) -> np.ndarray:
        """Where :attr:`single_parent`: each area's parent (position, -1 for none)."""
        parent = np.full(len(self.ids), -1, dtype=np.int64)
        if len(self.within):
            parent[self.within[:, 0]] = self.within[:, 1]
        return parent

    @cached_property
    def depth(self) -> np.ndarray:
        """Where :attr:`single_parent`: how many steps each area lies below the top of its tree."""
        parent, depth = self.parent, np.full(len(self.ids), -1, dtype=np.int64)
        for area in range(len(self.ids)):
            path = []
            while area >= 0 and depth[area] < 0:
                path.append(area)
                area = int(parent[area])
            base = depth[area] if area >= 0 else -1
            for step, a in enumerate(reversed(path), start=1):
                depth[a] = base + step
        return depth

    def roll_up(self, figures: np.ndarray) -> np.ndarray:
        """Each area's figures summed with those of every area within it, each area once.

        ``figures`` has a row an area (territory order); in a tree the rows are added up level by level,
        from the deepest, in as many steps as the tree is deep; otherwise each area's row goes to every
        area of its :meth:`ancestry`.

        Examples
        --------
        >>> t = Territory(["b1", "b2", "g1"], [None] * 3, [None] * 3, np.array([[0, 2], [1, 2]], dtype=np.int64))
        >>> t.roll_up(np.array([[1], [2], [0]])).ravel().tolist()
        [1, 2, 3]
        """
        out = np.array(figures, dtype=np.int64, copy=True)
        if not len(self.within):
            return out
        if self.single_parent:
            depth, parent = self.depth, self.parent
            order = np.argsort(-depth, kind="stable")
            bounds = np.flatnonzero(np.diff(depth[order])) + 1
            for group in np.split(order, bounds):
                up = parent[group]
                keep = up >= 0
                if keep.any():
                    np.add.at(out, up[keep], out[group[keep]])
            return out
        out[:] = 0
        for area in range(len(self.ids)):
            if figures[area].any():
                out[self.ancestry(area)] += figures[area]
        return out

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Territory) and self.ids == other.ids and self.names == other.names
                and self.levels == other.levels and np.array_equal(self.within, other.within)
                and self.taking_part == other.taking_part)


@dataclass(frozen=True, eq=False)
class Tally:
    """The households on a day, counted by where they are located, in the columns of :data:`FIGURES`.

    A household counts 1 in ``households``, its ``people`` (default 1) in ``people`` and 1 in
    ``vulnerable`` when it has any flag; the ``*_covered`` columns count the same for a household with at
    least one live contact (see :class:`Day`).

    Attributes
    ----------
    direct : ndarray of int64, shape (len(territory), 6)
        Row ``i``: the households located in area ``i`` and in no other.
    several : list of (tuple of int, tuple of 6 int)
        One entry a household located in more than one area: their positions, sorted, and its figures.
    nowhere : ndarray of int64, shape (6,)
        The households located in no area.
    """

    direct: np.ndarray
    several: list[tuple[tuple[int, ...], tuple[int, ...]]]
    nowhere: np.ndarray

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Tally) and np.array_equal(self.direct, other.direct)
                and sorted(self.several) == sorted(other.several) and np.array_equal(self.nowhere, other.nowhere))


class Load(Mapping[str, tuple[int, int]]):
    """How many households each member contacts on a day: a mapping of member id to (households it
    contacts, households of which it is the only live contact), held as columns.

    Attributes
    ----------
    members : list of str
        The members, sorted; one entry each.
    households, alone : ndarray of int64, shape (len(members),)
        The two counts of each member, in the order of ``members``: a question filters them all at once.

    Examples
    --------
    >>> load = Load(["m1", "m2"], np.array([12, 3]), np.array([1, 3]))
    >>> load["m2"], load.get("m3"), load == {"m1": (12, 1), "m2": (3, 3)}
    ((3, 3), None, True)
    """

    __slots__ = ("members", "households", "alone")

    def __init__(self, members: list[str], households: np.ndarray, alone: np.ndarray):
        self.members = members
        self.households = np.asarray(households, dtype=np.int64)
        self.alone = np.asarray(alone, dtype=np.int64)

    def __getitem__(self, member: str) -> tuple[int, int]:
        i = bisect_left(self.members, member) if isinstance(member, str) else len(self.members)
        if i == len(self.members) or self.members[i] != member:
            raise KeyError(member)
        return int(self.households[i]), int(self.alone[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def __repr__(self) -> str:
        return f"Load({dict(self)!r})"


class NodeFacts(NamedTuple):
    """What the questions read of one node's record.

    ``kind``; ``name`` and ``level`` when set; ``weak`` for an org with ``status: weak_lax``;
    ``unavailable`` for a member with ``status: unavailable``; ``people`` (default 1) and ``vulnerable``
    (any flag) for a household, else 0 and False. A named tuple of plain values: a backend keeps many,
    and Python's garbage collector stops walking such tuples.
    """

    kind: str
    name: str | None = None
    level: str | None = None
    weak: bool = False
    unavailable: bool = False
    people: int = 0
    vulnerable: bool = False


@dataclass
class Neighbourhood:
    """What the records say around some households on a day: everything their chains are built from.

    Every edge here is valid on the day, and the areas above a household's are those of the day's
    territory (:meth:`Facts.territory`); availability is not applied (``nodes`` says who is marked unavailable). Lists are sorted, each entry
    once; a dict has a key only where its list is not empty. Ids that name no household are left out.

    Attributes
    ----------
    contacts : {household: [member]}
        Members with a ``CONTACTS`` edge to the household.
    located : {household: [area]}
        The areas a household is ``LOCATED_IN``.
    employers : {member: [unit]}
        Each contact's ``EMPLOYED_BY`` units.
    unit_orgs : {unit: [org]}
        Each of those units' organizations (``OF_UNIT``).
    assigned : {area: [(role, member)]}
        ``ASSIGNED_TO`` edges of every area at or above the households' areas.
    governing : {area: [org]}
        ``GOVERNS`` edges of those areas.
    posts : {org: [(post, member)]}
        ``HOLDS_POST`` edges of every org named in ``unit_orgs`` or ``governing``.
    nodes : {id: NodeFacts}
        Every household asked for, every area at or above their areas, and every id in the lists above.
    """

    contacts: dict[str, list[str]] = field(default_factory=dict)
    located: dict[str, list[str]] = field(default_factory=dict)
    employers: dict[str, list[str]] = field(default_factory=dict)
    unit_orgs: dict[str, list[str]] = field(default_factory=dict)
    assigned: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    governing: dict[str, list[str]] = field(default_factory=dict)
    posts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    nodes: dict[str, NodeFacts] = field(default_factory=dict)


@dataclass
class Inside:
    """What lies within some areas through the households located there: what a scope of areas is built
    from (:func:`orggraph.access.scope_of`). Every edge counts, whatever its dates. Lists are sorted.

    Attributes
    ----------
    households : [household]
        The households ``LOCATED_IN`` one of the areas.
    elsewhere : {household: [area]}
        Those of them also located in areas not among these: those areas.
    members : {member: (within, all)}
        Each member with a ``CONTACTS`` or ``RESIDES_IN`` edge to one of those households: how many
        households it has such edges to among them, and how many in all (each household once).
    """

    households: list[str] = field(default_factory=list)
    elsewhere: dict[str, list[str]] = field(default_factory=dict)
    members: dict[str, tuple[int, int]] = field(default_factory=dict)


@runtime_checkable
class Facts(Protocol):
    """The facts every backend finds, each defined here once.

    Raises
    ------
    ValueError
        ``edges`` with a type that is not one of :data:`orggraph.model.EDGE_TYPES`, ``ids`` with a kind
        that is not one of :data:`orggraph.model.NODE_KINDS`, ``households`` with an unknown ``which``.
    StoreUnavailable
        A server backend that cannot be reached.
    """

    #: the revision of the records the facts are about
    revision: int

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The kind of each of these ids that names a node."""
        ...

    def ids(self, kind: str) -> list[str]:
        """Every id of one kind, sorted."""
        ...

    def territory(self, day: Day | None) -> Territory:
        """Every area, the ``WITHIN`` edges between them valid on the day and the areas that take part
        on it (see :class:`Territory`); with ``day`` None, every ``WITHIN`` edge whatever its dates and
        every area taking part (what a scope of areas spans over time)."""
        ...

    def existing(self, day: Day, kind: str) -> list[str]:
        """The ids of the nodes of one kind that take part on the day, sorted: those with at least one
        edge (of any type, either way) valid on it, or with no edge at all."""
        ...

    def tally(self, day: Day) -> Tally:
        """The households counted by where they are located (see :class:`Tally`)."""
        ...

    def households(self, day: Day, which: Which = "all", within: Collection[str] | None = None) -> list[str]:
        """Household ids, sorted: ``all``; ``uncovered``, with no live contact on the day; ``unlocated``,
        with no ``LOCATED_IN`` edge valid on the day; ``lapsed``, with ``CONTACTS`` edges of which none is
        valid on the day and one ended before it. With ``within``, only those ``LOCATED_IN`` one of these
        areas itself on the day (the caller names every area it means)."""
        ...

    def contact_load(self, day: Day) -> Load:
        """For each available member with a live contact: (households it contacts, households of which
        it is the only live contact). Two edges between the same member and household count once."""
        ...

    def sole_answerers(self, day: Day, answering: Mapping[str, str | None]) -> list[tuple[str, str]]:
        """(household, member), sorted by household: for each household located on the day in areas of
        ``answering`` only (area -> the one member who answers there, or None for nobody), the member
        that is then all it has: its live contacts and the members of its areas are that one member."""
        ...

    def edges(self, type_: str, *, sources: Collection[str] | None = None, targets: Collection[str] | None = None,
              day: str | None = None) -> list[tuple[str, str, str | None]]:
        """(source, target, key) of the edges of one type, sorted and each pair once: only those from
        ``sources`` and to ``targets`` when given, only those valid on ``day`` (an ISO date) when given.
        ``key`` is the post of ``HOLDS_POST``, the role of ``ASSIGNED_TO``, else None."""
        ...

    def having(self, type_: str, ids: Collection[str], *, end: Literal["source", "target"] = "source",
               day: str | None = None, beyond: Collection[str] | None = None) -> list[str]:
        """Those of these ids, sorted, at the ``end`` (source or target) of at least one edge of one type,
        valid on ``day`` (an ISO date) when given, and whose other end is not one of ``beyond`` when given."""
        ...

    def others(self, type_: str, ids: Collection[str], *, end: Literal["source", "target"] = "source",
               day: str | None = None) -> list[str]:
        """The ids, sorted, at the other end of the edges of one type whose ``end`` is one of these ids,
        valid on ``day`` (an ISO date) when given."""
        ...

    def contacts_outside(self, day: Day, groups: Sequence[tuple[Collection[str], Collection[str]]]
                         ) -> list[tuple[str, str]]:
        """(member, household), sorted, each pair once: for each group (members, areas), the ``CONTACTS``
        edges valid on the day from one of its members to a household located (``LOCATED_IN`` valid on the
        day) somewhere, but in none of its areas. A member is in one group at most. Availability not applied."""
        ...

    def nodes(self, ids: Iterable[str]) -> dict[str, NodeFacts]:
        """What the questions read of these nodes' records (ids that name no node are left out)."""
        ...

    def neighbourhood(self, day: Day, households: Collection[str]) -> Neighbourhood:
        """Everything the chains of these households are built from, in a few reads."""
        ...

    def inside(self, areas: Collection[str]) -> Inside:
        """The households located in these areas (the caller names every area it means), where else
        they are located, and the members who contact them or live in them (see :class:`Inside`)."""
        ...

    def present(self, day: Day, areas: Collection[str]) -> list[tuple[str, str]]:
        """(member, area), sorted, for each member found on the day in one of these areas itself: it has
        a ``CONTACTS`` edge valid on the day to a household located there, an ``ASSIGNED_TO`` edge valid
        on the day to the area, or ``RESIDES_IN`` a household located there (every edge valid on the
        day). Availability not applied."""
        ...


@runtime_checkable
class HasFacts(Protocol):
    """What the questions take: a store, or an index built in memory."""

    def facts(self) -> Facts:
        """The facts of the records as they are now."""
        ...
