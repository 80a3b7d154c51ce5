"""The facts of :mod:`orggraph.facts` over the embedded index: masks and counts over node numbers."""

from __future__ import annotations

import threading
from functools import cached_property
from itertools import repeat
from typing import Any, Callable, Collection, Iterable, Literal, Mapping, Sequence

import numpy as np

from ..facts import Day, Inside, Load, Neighbourhood, NodeFacts, Tally, Territory, Which
from ..model import EDGE_TYPES, ENDPOINTS, NODE_KINDS, POSTS, ROLES
from .arrays import AREA, HOUSEHOLD, KIND_CODES, MEMBER, NO_SINCE, NO_UNTIL, ORG, EdgeArrays, Index, day_number

__all__ = ["IndexFacts"]

_KIND_NAMES = list(NODE_KINDS)
_WHICH = ("all", "uncovered", "unlocated", "lapsed")
#: the key of an edge by its rank, for the types that have one
_KEYS: dict[str, list[str]] = {"HOLDS_POST": list(POSTS), "ASSIGNED_TO": list(ROLES)}
#: rank -> place of the key's text in alphabetical order, so that edges sort by the key's text
_KEY_ORDER = {t: np.array([sorted(keys).index(k) for k in keys], dtype=np.int64) for t, keys in _KEYS.items()}
#: up to this many nodes, edges are looked up node by node; beyond it, by a mask over every edge
_FEW = 64
#: up to how many nodes a neighbourhood looks edges up one node at a time
_FEW_PLAIN = 16
#: up to how many areas the first chain of a day works out what hangs off every area (about 15 ms a
#: thousand areas), so that the chains after it find each one ready; beyond, each area when first reached
_EVERY_PIECE = 16_384
#: how many (day, what-if) a facts object keeps the masks of
_DAYS_KEPT = 8
#: up to how many cells (groups by areas) IndexFacts.contacts_outside looks areas up in a table
_TABLE_CELLS = 1 << 24


#: an id's hash (:meth:`IndexFacts._search`); a name of its own, so that a test can make ids share one
_hash = hash


def _first_of_runs(*columns: np.ndarray) -> np.ndarray:
    """A mask of the rows that differ from the row before in any column (the rows sorted by them)."""
    keep = np.ones(len(columns[0]), dtype=bool)
    if len(keep) > 1:
        same = np.ones(len(keep) - 1, dtype=bool)
        for c in columns:
            same &= c[1:] == c[:-1]
        keep[1:] = ~same
    return keep


class _OnDay:
    """The masks of one day and one what-if set, shared by every fact asked for them."""

    def __init__(self, index: Index, day: int, gone: list[int]):
        self.index = index
        self.day = day
        self.gone = gone
        self._valid: dict[str, np.ndarray] = {}

    def valid(self, type_: str) -> np.ndarray:
        """A mask of the edges of one type valid on the day."""
        mask = self._valid.get(type_)
        if mask is None:
            mask = self._valid[type_] = self.index.edges[type_].valid(self.day)
        return mask

    @cached_property
    def available(self) -> np.ndarray:
        """Over nodes: the members who can be reached."""
        mask = (self.index.kinds == MEMBER) & ~self.index.attrs["unavailable"]
        mask[self.gone] = False
        return mask

    @cached_property
    def live(self) -> np.ndarray:
        """Over CONTACTS edges: valid on the day and from an available member."""
        c = self.index.edges["CONTACTS"]
        return self.valid("CONTACTS") & self.available[c.source]

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(member, household) of the live contacts, each pair once (edges are sorted by source, target)."""
        c = self.index.edges["CONTACTS"]
        live = np.flatnonzero(self.live)
        m, h = c.source[live].astype(np.int64), c.target[live].astype(np.int64)
        once = _first_of_runs(m, h)
        return m[once], h[once]

    @cached_property
    def contact_count(self) -> np.ndarray:
        """Over nodes: a household's live contacts (members, each once)."""
        return np.bincount(self.pairs[1], minlength=self.index.n)

    @cached_property
    def covered(self) -> np.ndarray:
        """Over nodes: the households with a live contact."""
        covered = np.zeros(self.index.n, dtype=bool)
        covered[self.index.edges["CONTACTS"].target[self.live]] = True
        return covered


#: the edge types whose dates decide the territory of a day: which areas take part, where each lies
#: and where the households are located
_GROUND_TYPES = ("WITHIN", "LOCATED_IN", "GOVERNS", "ASSIGNED_TO")
#: how many territories of days (:class:`_Ground`) a facts object keeps
_GROUNDS_KEPT = 4


class _Ground:
    """The territory of the days of one span over which no ``WITHIN``, ``LOCATED_IN``, ``GOVERNS`` or
    ``ASSIGNED_TO`` edge starts or ends (or of every day, ``day`` None: every edge whatever its dates):
    where each area lies, which areas take part, and where the households are located. Worked out when
    first asked, and kept for every question about a day of the span."""

    def __init__(self, facts: "IndexFacts", day: int | None):
        self.facts = facts
        self.index = facts.index
        self.day = day
        self._up: dict[int, tuple[int, ...]] = {}  # area -> the area and every area above it

    def _valid(self, type_: str) -> np.ndarray | None:
        """A mask of the edges of one type valid on the span's days; None on every day."""
        return None if self.day is None else self.index.edges[type_].valid(self.day)

    @cached_property
    def located(self) -> tuple[np.ndarray, np.ndarray]:
        """(household, area) of the ``LOCATED_IN`` edges, each pair once, sorted."""
        e, valid = self.index.edges["LOCATED_IN"], self._valid("LOCATED_IN")
        h, a = e.source.astype(np.int64), e.target.astype(np.int64)
        if valid is not None and not valid.all():
            h, a = h[valid], a[valid]
        once = _first_of_runs(h, a)
        return h[once], a[once]

    @cached_property
    def located_count(self) -> np.ndarray:
        """Over nodes: how many areas a household is located in."""
        return np.bincount(self.located[0], minlength=self.index.n)

    @cached_property
    def placed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, tuple[int, ...]]], np.ndarray]:
        """The households by where they are located: those in one area (household numbers, area
        positions, and their six columns of figures that do not depend on contacts, per area), those in
        several (household, area positions), and those in none."""
        facts = self.facts
        h, a = self.located
        count = self.located_count
        k = len(facts._areas)
        one = count[h] == 1
        single_h, single_pos = h[one], facts._area_position[a[one]]
        people, vulnerable = facts._figures
        direct = np.zeros((k, 6), dtype=np.int64)
        direct[:, 0] = np.bincount(single_pos, minlength=k)
        direct[:, 2] = np.bincount(single_pos, weights=people[single_h], minlength=k).astype(np.int64)
        direct[:, 4] = np.bincount(single_pos[vulnerable[single_h]], minlength=k)
        several: dict[int, list[int]] = {}
        for household, area in zip(h[~one].tolist(), facts._area_position[a[~one]].tolist()):
            several.setdefault(household, []).append(area)
        households = facts._households
        nowhere = households[count[households] == 0]
        return single_h, single_pos, direct, [(hh, tuple(sorted(p))) for hh, p in several.items()], nowhere

    @cached_property
    def home(self) -> np.ndarray:
        """Over nodes: the area of a household located in exactly one, else -1."""
        h, a = self.located
        home = np.full(self.index.n, -1, dtype=np.int64)
        one = self.located_count[h] == 1
        home[h[one]] = a[one]
        return home

    @cached_property
    def territory(self) -> Territory:
        facts, index, areas = self.facts, self.index, self.facts._areas
        position = facts._area_position
        e, valid = index.edges["WITHIN"], self._valid("WITHIN")
        child, parent = position[e.source], position[e.target]
        keep = (child >= 0) & (parent >= 0)
        if valid is not None:
            keep &= valid
        pairs = np.stack([child[keep], parent[keep]], axis=1) if keep.any() else np.zeros((0, 2), dtype=np.int64)
        pairs = np.unique(pairs, axis=0) if len(pairs) else pairs
        level_names = index.level_names
        exists = None
        if self.day is not None:  # an area takes part with a relation valid on the day, or with none at all
            touched = np.zeros(len(areas), dtype=bool)
            dated = np.zeros(len(areas), dtype=bool)
            for type_ in _GROUND_TYPES:
                t = index.edges[type_]
                ends = (t.source, t.target) if type_ == "WITHIN" else (t.target,)
                valid_t = t.valid(self.day)
                for end in ends:
                    at = position[end]
                    mine = at >= 0
                    touched[at[mine & valid_t]] = True
                    dated[at[mine]] = True
            exists = touched | ~dated
            if exists.all():
                exists = None
        return Territory(
            ids=[index.ids[a] for a in areas.tolist()],
            names=[index.names[a] for a in areas.tolist()],
            levels=[level_names[c] if c >= 0 else None for c in index.attrs["level"][areas].tolist()],
            within=pairs.astype(np.int64),
            exists=exists,
        )

    def at_or_above(self, area: int) -> tuple[int, ...]:
        """The area (a node number) and every area it lies within, transitively (:meth:`Territory.ancestry`)."""
        up = self._up.get(area)
        if up is None:
            areas, facts = self.facts._areas, self.facts
            up = self._up[area] = tuple(int(areas[a]) for a in self.territory.ancestry(int(facts._area_position[area])))
        return up


class IndexFacts:
    """The facts of :class:`orggraph.facts.Facts` over an :class:`~orggraph.index.Index`.

    What does not depend on the day (where households are located, the territory) is worked out once and
    kept; the masks of a day and a what-if set are kept for the last few asked. Made by
    :meth:`Index.facts`, one per index.

    Examples
    --------
    >>> from orggraph.facts import Day
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"level": "building"}), ("h1", "Household", {"people": 3}), ("h2", "Household", {}),
    ...      ("m1", "Member", {})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("CONTACTS", "m1", "h1", "2022-01-01", None, {})],
    ...     revision=1)
    >>> facts = idx.facts()
    >>> facts.households(Day("2024-01-01"), "uncovered"), facts.households(Day("2021-01-01"), "uncovered")
    (['h2'], ['h1', 'h2'])
    >>> facts.tally(Day("2024-01-01")).direct.tolist(), facts.tally(Day("2024-01-01")).nowhere.tolist()
    ([[1, 1, 3, 3, 0, 0]], [1, 0, 1, 0, 0, 0])
    >>> dict(facts.contact_load(Day("2024-01-01"))), dict(facts.contact_load(Day("2024-01-01", frozenset({"m1"}))))
    ({'m1': (1, 1)}, {})
    """

    def __init__(self, index: Index):
        self.index = index
        self.revision = index.revision
        self._days: dict[tuple[int, frozenset[str]], _OnDay] = {}
        self._node_facts: dict[int, NodeFacts] = {}
        #: the node numbers of the last few large id sets asked about: by their value, and by the set itself
        self._looked_up: dict[Any, np.ndarray] = {}
        self._same: dict[int, tuple[frozenset[str], np.ndarray]] = {}
        self._grounds: dict[int, _Ground] = {}  # see _ground
        self._lock = threading.Lock()  # see _keep
        #: day -> ({area: what hangs off it (_area_piece)}, {org: its post holders (_held)}): what the
        #: chains of a day have worked out, the last few days (see _few_around)
        self._around: dict[int, tuple[dict[int, Any], dict[int, Any]]] = {}
        self._columns: dict[tuple[str, str], tuple[Any, ...]] = {}  # see _at

    def __repr__(self) -> str:
        return f"IndexFacts({self.index!r})"

    # -- what does not depend on the day -----------------------------------------------------------------

    @cached_property
    def _id_array(self) -> np.ndarray:
        """Node number -> id, as an array of objects: ids of many numbers at once."""
        ids = np.empty(self.index.n, dtype=object)
        ids[:] = self.index.ids
        return ids

    @cached_property
    def _by_hash(self) -> tuple[np.ndarray, np.ndarray]:
        """(every id's hash, sorted; the node number of each): many ids found by one search over whole
        numbers, where a search over the ids' text compares characters (and held four bytes a character)."""
        hashes = np.fromiter(map(_hash, self.index.ids), dtype=np.int64, count=self.index.n)
        order = np.argsort(hashes, kind="stable")
        return hashes[order], order.astype(np.int64)

    def _search(self, ids: list[str]) -> np.ndarray:
        """The node number of each id in turn, -1 for an id that names no node: by the ids' hashes, each
        match checked against the id itself; an id whose hash another id shares is looked up on its own."""
        hashes, order = self._by_hash
        if not len(hashes):
            return np.full(len(ids), -1, dtype=np.int64)
        try:  # an id that is not text hashes as it may: its match is checked below like any other
            wanted = np.fromiter(map(_hash, ids), dtype=np.int64, count=len(ids))
        except TypeError:  # unhashable
            wanted = np.fromiter((_hash(x) if isinstance(x, str) else 0 for x in ids), dtype=np.int64, count=len(ids))
        # the hashes searched in order: each search starts near the last, where the table is in memory
        ascending = np.argsort(wanted)
        at = np.empty(len(ids), dtype=np.int64)
        at[ascending] = np.minimum(np.searchsorted(hashes, wanted[ascending]), len(hashes) - 1)
        found = order[at]
        given = np.empty(len(ids), dtype=object)
        given[:] = ids
        same = self._id_array[found] == given
        found[~same] = -1
        number = self.index.number
        for i in np.flatnonzero(~same & (hashes[at] == wanted)).tolist():  # a hash two ids share
            found[i] = number.get(ids[i], -1)
        return found

    def _spelled(self, numbers: np.ndarray) -> list[str]:
        return self._id_array[numbers].tolist()

    @cached_property
    def _households(self) -> np.ndarray:
        return self.index.of_kind("Household")

    @cached_property
    def _areas(self) -> np.ndarray:
        return self.index.of_kind("Area")

    @cached_property
    def _area_position(self) -> np.ndarray:
        """Over nodes: an area's position in the territory, -1 for any other node."""
        position = np.full(self.index.n, -1, dtype=np.int64)
        position[self._areas] = np.arange(len(self._areas))
        return position

    @cached_property
    def _figures(self) -> tuple[np.ndarray, np.ndarray]:
        """Over nodes: people (int64) and vulnerable (bool) of each household."""
        return self.index.attrs["people"].astype(np.int64), self.index.attrs["vulnerable"].astype(bool)

    @cached_property
    def _spans(self) -> np.ndarray:
        """The days on which a span of the territory begins (:class:`_Ground`): every ``since`` of the
        edges that decide it, and the day after every ``until``, sorted, each once."""
        days = []
        for type_ in _GROUND_TYPES:
            e = self.index.edges[type_]
            days.append(e.since[e.since > NO_SINCE])
            days.append(e.until[e.until < NO_UNTIL].astype(np.int64) + 1)  # valid up to until: after it, not
        return np.unique(np.concatenate(days).astype(np.int64))

    def _ground(self, day: int | None) -> _Ground:
        """The territory of the span holding ``day`` (of every day, when None), kept for the last few spans."""
        if day is None:
            key = -1 if len(self._spans) else 0  # no edge of the territory dated: every day is the same
        else:
            spans = self._spans
            key = int(np.searchsorted(spans, day, side="right"))
        ground = self._grounds.get(key)
        if ground is None:
            ground = self._keep(self._grounds, key, _Ground(self, day), _GROUNDS_KEPT)
        return ground

    def _keep(self, cache: dict[Any, Any], key: Any, value: Any, most: int) -> Any:
        """Keep ``value`` under ``key`` in one of the caches of the last few days, letting the oldest go,
        under a lock: the API's threads share a store's facts. Two threads that worked out the same value
        keep the first."""
        with self._lock:
            if key in cache:
                return cache[key]
            while len(cache) >= most:
                del cache[next(iter(cache))]
            cache[key] = value
            return value

    @cached_property
    def _contacted_ever(self) -> np.ndarray:
        """Over nodes: households with any ``CONTACTS`` edge."""
        mask = np.zeros(self.index.n, dtype=bool)
        mask[self.index.edges["CONTACTS"].target] = True
        return mask

    # -- the masks of a day ----------------------------------------------------------------------------

    def _on(self, day: Day) -> _OnDay:
        key = (day_number(day.as_of, 0), day.unavailable)
        on = self._days.get(key)
        if on is None:
            number, kinds = self.index.number, self.index.kinds
            gone = sorted(i for i in (number.get(m) for m in day.unavailable) if i is not None and kinds[i] == MEMBER)
            on = self._keep(self._days, key, _OnDay(self.index, key[0], gone), _DAYS_KEPT)
        return on

    # -- looking nodes and edges up ----------------------------------------------------------------------

    def _numbers(self, ids: Iterable[str], kind: int | None = None) -> np.ndarray:
        """The node numbers of these ids (of one kind, when given), sorted, each once; unknown ids left out."""
        if isinstance(ids, (frozenset, set, list, tuple)) and len(ids) > 4096:  # large ones are often asked again
            same = self._same.get(id(ids))  # the very same set (it cannot change): no hash, no comparison
            if same is not None and same[0] is ids:
                kept = same[1]
            else:
                key = ids if isinstance(ids, frozenset) else frozenset(ids) if isinstance(ids, set) else tuple(ids)
                kept = self._kept(key, lambda: self._numbers_of(ids))
                if isinstance(ids, frozenset):
                    if len(self._same) >= 8:
                        del self._same[next(iter(self._same))]
                    self._same[id(ids)] = (ids, kept)
            return kept if kind is None else kept[self.index.kinds[kept] == kind]
        return self._numbers_of(ids, kind)

    def _numbers_of(self, ids: Iterable[str], kind: int | None = None) -> np.ndarray:
        """:meth:`_numbers`, found now."""
        if not isinstance(ids, (list, tuple, set, frozenset, dict)):
            ids = list(ids)
        number = self.index.number
        if len(ids) > 256 and not isinstance(number, dict):  # read back from a file: search by hash
            found = self._search(list(ids))
            found = found[found >= 0]
        else:
            found = np.array(sorted({i for i in (number.get(x) for x in ids) if i is not None}), dtype=np.int64)
        if kind is not None and len(found):
            found = found[self.index.kinds[found] == kind]
        if len(found) > 4096:  # sorted and once, by a mask over the nodes: cheaper than sorting many
            return np.flatnonzero(self._mask(found))
        return np.unique(found)

    def _lookup(self, ids: list[str]) -> np.ndarray:
        """The node number of each id in turn, -1 for an id that names no node: many at once by one
        search of the sorted ids, where :meth:`_numbers` gives each known number once."""
        if not ids:
            return np.zeros(0, dtype=np.int64)
        number = self.index.number
        if isinstance(number, dict) or len(ids) <= 256:
            return np.array([number.get(x, -1) if isinstance(x, str) else -1 for x in ids], dtype=np.int64)
        if len(ids) > 4096:  # large ones are often asked again
            return self._kept(("in turn", tuple(ids)), lambda: self._search(ids))
        return self._search(ids)

    def _kept(self, key: Any, find: Callable[[], np.ndarray]) -> np.ndarray:
        """The node numbers of a large set or list of ids found before, by its value (the last few kept),
        else found now: a large list is often asked about again, and comparing it with one kept (the same
        text objects, most often) is cheaper than finding each id again."""
        kept = self._looked_up.get(key)
        if kept is None:
            if len(self._looked_up) >= 8:
                del self._looked_up[next(iter(self._looked_up))]
            kept = self._looked_up[key] = find()
            kept.setflags(write=False)  # shared by every caller that asks again
        return kept

    def _mask(self, nodes: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.index.n, dtype=bool)
        mask[nodes] = True
        return mask

    def _select(self, e: EdgeArrays, sources: np.ndarray | None = None, targets: np.ndarray | None = None,
                day: int | None = None) -> np.ndarray:
        """Edge numbers from ``sources`` to ``targets`` (node numbers; either may be None for any), valid on
        ``day`` when given: a few nodes are looked up one by one, many by a mask over every edge."""
        n = self.index.n
        by, other, other_end = None, None, None
        if sources is not None and len(sources) <= _FEW and (targets is None or len(sources) <= len(targets)):
            by, nodes, other, other_end = "source", sources, targets, e.target
        elif targets is not None and len(targets) <= _FEW:
            by, nodes, other, other_end = "target", targets, sources, e.source
        if by is not None:
            if len(nodes) == 1:
                found = e.of(int(nodes[0]), by, n)
            else:
                parts = [e.of(x, by, n) for x in nodes.tolist()]
                found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            if other is not None and len(found):
                found = found[self._mask(other)[other_end[found]]]
        else:
            keep = np.ones(len(e), dtype=bool)
            if sources is not None:
                keep &= self._mask(sources)[e.source]
            if targets is not None:
                keep &= self._mask(targets)[e.target]
            found = np.flatnonzero(keep)
        if day is not None and len(found):
            found = found[(e.since[found] <= day) & (day <= e.until[found])]
        return found

    # -- the facts -----------------------------------------------------------------------------------------

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The kind of each of these ids that names a node (see :meth:`orggraph.facts.Facts.kinds_of`)."""
        number, kinds = self.index.number, self.index.kinds
        found = {}
        for node_id in ids:
            i = number.get(node_id)
            if i is not None:
                found[node_id] = _KIND_NAMES[kinds[i]]
        return found

    def ids(self, kind: str) -> list[str]:
        """Every id of one kind, sorted (see :meth:`orggraph.facts.Facts.ids`)."""
        if kind not in KIND_CODES:
            raise ValueError(f"kind must be one of {', '.join(NODE_KINDS)}, got {kind!r}")
        ids = self.index.ids
        return [ids[i] for i in self.index.of_kind(kind).tolist()]

    def territory(self, day: Day | None) -> Territory:
        """Every area, the ``WITHIN`` edges between them on the day, and the areas taking part (see
        :meth:`orggraph.facts.Facts.territory`): kept for the span of days it holds on."""
        return self._ground(None if day is None else day_number(day.as_of, 0)).territory

    def existing(self, day: Day, kind: str) -> list[str]:
        """The ids of the nodes of one kind that take part on the day (see
        :meth:`orggraph.facts.Facts.existing`): one pass over the edges of each type."""
        if kind not in KIND_CODES:
            raise ValueError(f"kind must be one of {', '.join(NODE_KINDS)}, got {kind!r}")
        if kind == "Area":
            t = self.territory(day)
            return [t.ids[a] for a in t.taking_part]
        d, n = day_number(day.as_of, 0), self.index.n
        touched, valid = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for type_, ends in ENDPOINTS.items():  # only the types with an end of this kind
            e = self.index.edges[type_]
            for end, end_kind in zip((e.source, e.target), ends):
                if end_kind == kind:
                    touched[end] = True
                    valid[end[e.valid(d)]] = True
        found = self.index.of_kind(kind)
        return self._spelled(found[valid[found] | ~touched[found]])

    def tally(self, day: Day) -> Tally:
        """The households counted by where they are located (see :class:`orggraph.facts.Tally`)."""
        covered = self._on(day).covered
        single_h, single_pos, static, several, nowhere = self._ground(day_number(day.as_of, 0)).placed
        people, vulnerable = self._figures
        k = len(self._areas)
        direct = static.copy()
        on = covered[single_h]
        h, pos = single_h[on], single_pos[on]
        direct[:, 1] = np.bincount(pos, minlength=k)
        direct[:, 3] = np.bincount(pos, weights=people[h], minlength=k).astype(np.int64)
        direct[:, 5] = np.bincount(pos[vulnerable[h]], minlength=k)
        listed = []
        for household, positions in several:
            c, p, v = int(covered[household]), int(people[household]), int(vulnerable[household])
            listed.append((positions, (1, c, p, p * c, v, v * c)))
        c, p, v = covered[nowhere], people[nowhere], vulnerable[nowhere]
        rest = np.array([len(nowhere), c.sum(), p.sum(), p[c].sum(), v.sum(), (v & c).sum()], dtype=np.int64)
        return Tally(direct=direct, several=listed, nowhere=rest)

    def households(self, day: Day, which: Which = "all", within: Collection[str] | None = None) -> list[str]:
        """Household ids, sorted (see :meth:`orggraph.facts.Facts.households`)."""
        if which not in _WHICH:
            raise ValueError(f"which must be one of {', '.join(_WHICH)}, got {which!r}")
        found = self._households
        d = day_number(day.as_of, 0)
        if within is not None:
            areas = self._numbers(within, AREA)
            if len(areas) <= _FEW:
                e = self.index.edges["LOCATED_IN"]
                found = np.unique(e.source[self._select(e, targets=areas, day=d)]).astype(np.int64)
            else:
                h, a = self._ground(d).located
                found = np.unique(h[self._mask(areas)[a]])
        if which == "uncovered":
            found = found[~self._on(day).covered[found]]
        elif which == "unlocated":
            found = found[self._ground(d).located_count[found] == 0]
        elif which == "lapsed":
            on, c = self._on(day), self.index.edges["CONTACTS"]
            valid = self._mask(c.target[on.valid("CONTACTS")])
            ended = self._mask(c.target[c.until < on.day])
            found = found[self._contacted_ever[found] & ~valid[found] & ended[found]]
        ids = self.index.ids
        return [ids[i] for i in found.tolist()]

    def contact_load(self, day: Day) -> Load:
        """For each available member with a live contact: (households, households it alone contacts)
        (see :meth:`orggraph.facts.Facts.contact_load`)."""
        on = self._on(day)
        m, h = on.pairs
        n = self.index.n
        load = np.bincount(m, minlength=n)
        alone = np.bincount(m[on.contact_count[h] == 1], minlength=n)
        members = np.flatnonzero(load)
        return Load(self._spelled(members), load[members], alone[members])

    def sole_answerers(self, day: Day, answering: Mapping[str, str | None]) -> list[tuple[str, str]]:
        """For each household located on the day in areas of ``answering`` only, the one member it then
        has (see :meth:`orggraph.facts.Facts.sole_answerers`): masks over the day's locations and live
        contacts, every household at once."""
        n = self.index.n
        on, ground = self._on(day), self._ground(day_number(day.as_of, 0))
        areas = self._lookup(list(answering))
        who = self._lookup([m if isinstance(m, str) else "" for m in answering.values()])
        known = areas >= 0
        member_of = np.full(n, -2, dtype=np.int64)  # -2: not named; -1: nobody answers there
        member_of[areas[known]] = np.where(who[known] >= 0, who[known], -1)
        h, a = ground.located
        at = member_of[a]
        out = np.zeros(n, dtype=bool)
        out[h[at == -2]] = True  # located also where more answer, or where nothing was said: left out
        named = at >= 0
        low = np.full(n, n, dtype=np.int64)
        high = np.full(n, -1, dtype=np.int64)
        np.minimum.at(low, h[named], at[named])
        np.maximum.at(high, h[named], at[named])
        out |= (high >= 0) & (low != high)  # two areas, two members
        place = np.where(high >= 0, high, -1)  # the one member of its areas, or -1
        count = on.contact_count
        m, hh = on.pairs
        contact = np.full(n, -1, dtype=np.int64)
        one = count[hh] == 1
        contact[hh[one]] = m[one]
        households = h[_first_of_runs(h)]  # the pairs come sorted by household
        households = households[~out[households] & (count[households] <= 1)]
        c, p = contact[households], place[households]
        answer = np.where(c >= 0, np.where((p < 0) | (p == c), c, -1), p)
        households, answer = households[answer >= 0], answer[answer >= 0]
        ids = self.index.ids
        return [(ids[x], ids[y]) for x, y in zip(households.tolist(), answer.tolist())]

    def contacts_outside(self, day: Day, groups: Sequence[tuple[Collection[str], Collection[str]]]
                         ) -> list[tuple[str, str]]:
        """Contacts of each group's members to households located only outside its areas (see
        :meth:`orggraph.facts.Facts.contacts_outside`): every contact of the groups' members looked up at
        once in a table of groups by areas, or, past :data:`_TABLE_CELLS` cells, among (group, area) pairs
        as sorted whole numbers."""
        n, kinds = self.index.n, self.index.kinds
        group_of = np.full(n, -1, dtype=np.int64)
        # every id of every group looked up at once: groups are many and most are small
        members = self._lookup([m for members, _ in groups for m in members])
        labels = np.repeat(np.arange(len(groups), dtype=np.int64), [len(ms) for ms, _ in groups])
        known = members >= 0
        members, labels = members[known], labels[known]
        is_member = kinds[members] == MEMBER
        group_of[members[is_member]] = labels[is_member]
        areas = self._lookup([a for _, areas in groups for a in areas])
        labels = np.repeat(np.arange(len(groups), dtype=np.int64), [len(as_) for _, as_ in groups])
        known = areas >= 0
        areas, labels = areas[known], labels[known]
        is_area = kinds[areas] == AREA
        position = self._area_position
        width = len(self._areas) + 1  # the last column: no area
        labels, areas = labels[is_area], position[areas[is_area]]
        e, d = self.index.edges["CONTACTS"], day_number(day.as_of, 0)
        chosen = (group_of[e.source] >= 0) & (e.since <= d) & (d <= e.until)
        m, h = e.source[chosen].astype(np.int64), e.target[chosen].astype(np.int64)
        ground = self._ground(d)
        located = ground.located_count[h]
        m, h = m[located > 0], h[located > 0]
        if len(groups) * width <= _TABLE_CELLS:  # a table of groups by areas
            table = np.zeros((len(groups), width), dtype=bool)
            table[labels, areas] = True

            def within(group: np.ndarray, areas: np.ndarray) -> np.ndarray:
                return table[group, areas]
        else:  # (group, area) pairs as sorted whole numbers
            allowed = np.unique(labels * width + areas)

            def within(group: np.ndarray, areas: np.ndarray) -> np.ndarray:
                key = group * width + areas
                at = np.minimum(np.searchsorted(allowed, key), max(len(allowed) - 1, 0))
                return allowed[at] == key if len(allowed) else np.zeros(len(key), dtype=bool)

        home = ground.home[h]
        inside = within(group_of[m], np.where(home >= 0, position[home], width - 1))
        several = np.flatnonzero(home < 0)
        if len(several):
            lh, la = ground.located
            for i in several.tolist():
                lo, hi = np.searchsorted(lh, [h[i], h[i] + 1])
                areas = position[la[lo:hi]]
                inside[i] = within(np.full(len(areas), group_of[m[i]]), areas).any()
        pairs = np.unique(m[~inside] * n + h[~inside])
        ids = self.index.ids
        return [(ids[k // n], ids[k % n]) for k in pairs.tolist()]

    def edges(self, type_: str, *, sources: Collection[str] | None = None, targets: Collection[str] | None = None,
              day: str | None = None) -> list[tuple[str, str, str | None]]:
        """(source, target, key) of the edges of one type, sorted, each once (see
        :meth:`orggraph.facts.Facts.edges`)."""
        if type_ not in EDGE_TYPES:
            raise ValueError(f"edge type must be one of {', '.join(EDGE_TYPES)}, got {type_!r}")
        e = self.index.edges[type_]
        found = self._select(e, None if sources is None else self._numbers(sources),
                             None if targets is None else self._numbers(targets),
                             None if day is None else day_number(day, 0))
        s, t = e.source[found].astype(np.int64), e.target[found].astype(np.int64)
        keys = _KEYS.get(type_)
        if keys is None:
            order = np.lexsort((t, s))
            s, t = s[order], t[order]
            once = _first_of_runs(s, t)
            return list(zip(self._spelled(s[once]), self._spelled(t[once]), repeat(None)))
        rank = e.rank[found].astype(np.int64)
        order = np.lexsort((_KEY_ORDER[type_][rank], t, s))
        s, t, rank = s[order], t[order], rank[order]
        once = _first_of_runs(s, t, rank)
        return list(zip(self._spelled(s[once]), self._spelled(t[once]), np.array(keys, dtype=object)[rank[once]].tolist()))

    def _ends(self, type_: str, ids: Collection[str], end: str, day: str | None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The nodes of these ids, and of the edges of one type (valid on ``day`` when given) whose ``end``
        is one of them: that end and the other, over the kept edges."""
        if type_ not in EDGE_TYPES:
            raise ValueError(f"edge type must be one of {', '.join(EDGE_TYPES)}, got {type_!r}")
        e, nodes = self.index.edges[type_], self._numbers(ids)
        ends, others = (e.source, e.target) if end == "source" else (e.target, e.source)
        keep = self._mask(nodes)[ends]
        if day is not None:
            d = day_number(day, 0)
            keep &= (e.since <= d) & (d <= e.until)
        return nodes, ends, others, keep

    def having(self, type_: str, ids: Collection[str], *, end: Literal["source", "target"] = "source",
               day: str | None = None, beyond: Collection[str] | None = None) -> list[str]:
        """Those of these ids at the ``end`` of an edge of one type, valid on ``day`` when given, whose
        other end is not one of ``beyond`` when given (see :meth:`orggraph.facts.Facts.having`): one pass
        over the edges of the type."""
        nodes, ends, others, keep = self._ends(type_, ids, end, day)
        if beyond is not None:
            keep &= ~self._mask(self._numbers(beyond))[others]
        found = np.zeros(self.index.n, dtype=bool)
        found[ends[keep]] = True
        return self._spelled(nodes[found[nodes]])

    def others(self, type_: str, ids: Collection[str], *, end: Literal["source", "target"] = "source",
               day: str | None = None) -> list[str]:
        """The ids at the other end of the edges of one type whose ``end`` is one of these (see
        :meth:`orggraph.facts.Facts.others`): one pass over the edges of the type."""
        _, _, others, keep = self._ends(type_, ids, end, day)
        found = others[keep].astype(np.int64)
        return self._spelled(np.flatnonzero(self._mask(found)) if len(found) > 4096 else np.unique(found))

    def nodes(self, ids: Iterable[str]) -> dict[str, NodeFacts]:
        """What the questions read of these nodes' records (see :meth:`orggraph.facts.Facts.nodes`)."""
        numbers = self._numbers(ids)
        return dict(zip(self._spelled(numbers), self._node_list(numbers)))

    @cached_property
    def _node_columns(self) -> tuple[memoryview, ...]:
        """(kind, level code, weak, unavailable, people, vulnerable) over nodes, as memoryviews: a few nodes'
        values read as plain numbers, without a numpy call each."""
        attrs = self.index.attrs
        return tuple(memoryview(np.ascontiguousarray(a)) for a in (
            self.index.kinds, attrs["level"], attrs["weak"].astype(np.int8), attrs["unavailable"].astype(np.int8),
            attrs["people"], attrs["vulnerable"].astype(np.int8)))

    def _node_list(self, numbers: np.ndarray | list[int]) -> list[NodeFacts]:
        """The :class:`NodeFacts` of these node numbers, each made once and kept."""
        kept = self._node_facts
        if isinstance(numbers, np.ndarray):
            numbers = numbers.tolist()
        missing = [i for i in numbers if i not in kept]
        if missing and len(missing) <= _FEW_PLAIN:
            kinds, level, weak, unavailable, people, vulnerable = self._node_columns
            names, level_names = self.index.names, self.index.level_names
            for i in missing:
                kind, code = kinds[i], level[i]
                # kind, name, level, weak, unavailable, people, vulnerable
                kept[i] = NodeFacts(_KIND_NAMES[kind], names[i], level_names[code] if code >= 0 else None,
                                    kind == ORG and weak[i] == 1, kind == MEMBER and unavailable[i] == 1,
                                    people[i] if kind == HOUSEHOLD else 0, kind == HOUSEHOLD and vulnerable[i] == 1)
        elif missing:
            index, at = self.index, np.array(missing, dtype=np.int64)
            kinds = index.kinds[at]
            level_names = index.level_names
            columns = zip(
                missing, kinds.tolist(), index.attrs["level"][at].tolist(),
                (index.attrs["weak"][at] & (kinds == ORG)).tolist(),
                (index.attrs["unavailable"][at] & (kinds == MEMBER)).tolist(),
                np.where(kinds == HOUSEHOLD, index.attrs["people"][at], 0).tolist(),
                (index.attrs["vulnerable"][at] & (kinds == HOUSEHOLD)).tolist(),
            )
            names = index.names
            for i, kind, level, weak, unavailable, people, vulnerable in columns:
                kept[i] = NodeFacts(kind=_KIND_NAMES[kind], name=names[i], level=level_names[level] if level >= 0 else None,
                                    weak=weak, unavailable=unavailable, people=people, vulnerable=vulnerable)
        return [kept[i] for i in numbers]

    def neighbourhood(self, day: Day, households: Collection[str]) -> Neighbourhood:
        """Everything the chains of these households are built from (see
        :meth:`orggraph.facts.Facts.neighbourhood`): a few households walked edge by edge (:meth:`_few_around`),
        many by masks over every edge of each type."""
        d = day_number(day.as_of, 0)
        if len(households) <= _FEW_PLAIN:
            return self._few_around(d, households)
        edges = self.index.edges
        asked = self._numbers(households, HOUSEHOLD)
        if not len(asked):
            return Neighbourhood()

        def grouped(type_: str, nodes: np.ndarray, by: str, dated: bool) -> dict[int, set[int]]:
            """{node: {node at the other end}} of the edges of one type whose ``by`` end is one of ``nodes``."""
            e = edges[type_]
            hit = self._select(e, **{by + "s": nodes}, day=d if dated else None)
            ends, others = (e.source, e.target) if by == "source" else (e.target, e.source)
            out: dict[int, set[int]] = {}
            for a, b in zip(ends[hit].tolist(), others[hit].tolist()):
                out.setdefault(a, set()).add(b)
            return out

        def keyed(type_: str, nodes: np.ndarray) -> dict[int, set[tuple[str, int]]]:
            """{target: {(key, source)}} of the edges of one type to ``nodes`` valid on the day."""
            e, keys = edges[type_], _KEYS[type_]
            hit = self._select(e, targets=nodes, day=d)
            out: dict[int, set[tuple[str, int]]] = {}
            for t, s, r in zip(e.target[hit].tolist(), e.source[hit].tolist(), e.rank[hit].tolist()):
                out.setdefault(t, set()).add((keys[r], s))
            return out

        def numbers(groups: dict[int, set[int]]) -> np.ndarray:
            return np.array(sorted({b for values in groups.values() for b in values}), dtype=np.int64)

        contacts = grouped("CONTACTS", asked, "target", True)
        located = grouped("LOCATED_IN", asked, "source", True)
        members = numbers(contacts)
        employers = grouped("EMPLOYED_BY", members, "source", True) if len(members) else {}
        units = numbers(employers)
        unit_orgs = grouped("OF_UNIT", units, "target", True) if len(units) else {}
        ground = self._ground(d)
        up = np.array(sorted({u for places in located.values() for a in places for u in ground.at_or_above(a)}),
                      dtype=np.int64)
        assigned = keyed("ASSIGNED_TO", up) if len(up) else {}
        governing = grouped("GOVERNS", up, "target", True) if len(up) else {}
        orgs = np.array(sorted({o for os_ in [*unit_orgs.values(), *governing.values()] for o in os_}), dtype=np.int64)
        posts = keyed("HOLDS_POST", orgs) if len(orgs) else {}
        return self._spelled_around(asked.tolist(), contacts, located, employers, unit_orgs, up.tolist(),
                                    assigned, governing, posts)

    def _few_around(self, d: int, households: Collection[str]) -> Neighbourhood:
        """:meth:`neighbourhood` of a few households, node by node: one lookup per household for its
        contacts and areas, one per member and unit (:meth:`_at`); what hangs off each area from theirs
        upward (:meth:`_area_piece`) is worked out once a day, for the chains of every household there."""
        index = self.index
        number, kinds, ids = index.number, index.kinds, index.ids
        asked = sorted({i for i in (number.get(h) if isinstance(h, str) else None for h in households)
                        if i is not None and kinds[i] == HOUSEHOLD})
        kept = self._around.get(d)
        if kept is None:
            kept = ({}, {})
            if len(self._areas) <= _EVERY_PIECE:  # a city's worth of areas: every one at once, for the day
                for area in self._areas.tolist():
                    self._area_piece(d, kept, area)
            kept = self._keep(self._around, d, kept, _DAYS_KEPT)
        hood = Neighbourhood()
        at = self._at
        members: set[int] = set()
        places: set[int] = set()
        for h in asked:
            valid = sorted({m for m, _ in at("CONTACTS", "target", h, d)})
            if valid:
                hood.contacts[ids[h]] = [ids[m] for m in valid]
                members.update(valid)
            areas = sorted({a for a, _ in at("LOCATED_IN", "source", h, d)})
            if areas:
                hood.located[ids[h]] = [ids[a] for a in areas]
                places.update(areas)
        nodes: dict[str, NodeFacts] = {}
        ground = self._ground(d)
        for area in sorted({u for a in places for u in ground.at_or_above(a)}):
            assigned, governing, posts, named = self._area_piece(d, kept, area)
            if assigned:
                hood.assigned[ids[area]] = list(assigned)
            if governing:
                hood.governing[ids[area]] = list(governing)
            for org, holders in posts:
                hood.posts[org] = list(holders)
            nodes.update(named)
        # the contacts' units and their orgs
        named_here = set(asked)
        named_here.update(members)
        orgs: set[int] = set()
        for member in sorted(members):
            units = sorted({u for u, _ in at("EMPLOYED_BY", "source", member, d)})
            if units:
                hood.employers[ids[member]] = [ids[u] for u in units]
                named_here.update(units)
                for unit in units:
                    if ids[unit] in hood.unit_orgs:
                        continue
                    of_unit = sorted({o for o, _ in at("OF_UNIT", "target", unit, d)})
                    if of_unit:
                        hood.unit_orgs[ids[unit]] = [ids[o] for o in of_unit]
                        orgs.update(of_unit)
        for org in sorted(orgs):
            held = self._held(d, kept, org)
            if held[0]:
                hood.posts[ids[org]] = list(held[0])
                named_here.update(held[1])
        named_here.update(orgs)
        every = sorted(i for i in named_here if ids[i] not in nodes)
        nodes.update(zip([ids[i] for i in every], self._node_list(every)))
        hood.nodes = nodes
        return hood

    def _held(self, d: int, kept: tuple[dict[Any, Any], ...], org: int) -> tuple[tuple[tuple[str, str], ...], tuple[int, ...]]:
        """An org's post holders on day ``d`` as ((post, id) pairs, their numbers), sorted; kept for the day."""
        held = kept[1].get(org)
        if held is None:
            posts, ids = _KEYS["HOLDS_POST"], self.index.ids
            holders = sorted({(posts[r], m) for m, r in self._at("HOLDS_POST", "target", org, d)})
            held = kept[1][org] = (tuple((key, ids[m]) for key, m in holders), tuple(m for _, m in holders))
        return held

    def _area_piece(self, d: int, kept: tuple[dict[Any, Any], ...], area: int) -> tuple[Any, ...]:
        """What hangs off one area on day ``d``: its ``ASSIGNED_TO`` (role, member) pairs, its governing
        orgs, their post holders as (org, ((post, member), ...)) pairs, and the (id, NodeFacts) pairs of
        the area and of every node named there; ids, in tuples, sorted; kept for the day."""
        piece = kept[0].get(area)
        if piece is None:
            ids, at, roles = self.index.ids, self._at, _KEYS["ASSIGNED_TO"]
            people = sorted({(roles[r], m) for m, r in at("ASSIGNED_TO", "target", area, d)})
            governing = sorted({o for o, _ in at("GOVERNS", "target", area, d)})
            named = {area, *governing}
            named.update(m for _, m in people)
            posts = []
            for org in governing:
                held = self._held(d, kept, org)
                if held[0]:
                    posts.append((ids[org], held[0]))
                    named.update(held[1])
            every = sorted(named)
            # tuples of plain values, which the garbage collector stops walking
            piece = kept[0][area] = (tuple((key, ids[m]) for key, m in people), tuple(ids[o] for o in governing),
                                     tuple(posts), tuple(zip([ids[i] for i in every], self._node_list(every))))
        return piece

    def _at(self, type_: str, end: str, node: int, day: int | None = None) -> list[tuple[int, int]]:
        """(node at the other end, rank) of the edges of one type whose ``end`` is ``node``, valid on
        ``day`` when given: read through memoryviews of the type's arrays, which give plain numbers
        without a numpy call each and copy nothing."""
        columns = self._columns.get((type_, end))
        if columns is None:
            e = self.index.edges[type_]
            order, offsets = e.csr(end, self.index.n)
            other = e.target if end == "source" else e.source
            columns = self._columns[(type_, end)] = tuple(
                memoryview(np.ascontiguousarray(a)) for a in (order, offsets, other, e.since, e.until, e.rank))
        order, offsets, other, since, until, rank = columns
        hit = order[offsets[node] : offsets[node + 1]]
        if day is None:
            return [(other[i], rank[i]) for i in hit]
        return [(other[i], rank[i]) for i in hit if since[i] <= day <= until[i]]

    def _spelled_around(self, asked: list[int], contacts: dict[int, set[int]], located: dict[int, set[int]],
                        employers: dict[int, set[int]], unit_orgs: dict[int, set[int]], up: list[int],
                        assigned: dict[int, set[tuple[str, int]]], governing: dict[int, set[int]],
                        posts: dict[int, set[tuple[str, int]]]) -> Neighbourhood:
        """A :class:`~orggraph.facts.Neighbourhood` of node numbers spelled as ids (see :meth:`_spelled_into`)."""
        ids = self.index.ids
        named: set[int] = set(asked)
        named.update(up)
        found = Neighbourhood()
        for groups, attr in ((assigned, "assigned"), (posts, "posts")):
            named.update(groups)
            named.update(s for pairs in groups.values() for _, s in pairs)
            setattr(found, attr, {ids[a]: [(key, ids[s]) for key, s in sorted(pairs)] for a, pairs in sorted(groups.items())})
        return self._spelled_into(found, named, contacts=contacts, located=located, employers=employers,
                                  unit_orgs=unit_orgs, governing=governing)

    def _spelled_into(self, hood: Neighbourhood, named: set[int], **groups: dict[int, set[int]]) -> Neighbourhood:
        """Put these {node: {node}} groups into a neighbourhood as ids, lists sorted (node numbers follow
        the ids' order), and the facts of every node named (``named`` and every node in the groups)."""
        ids = self.index.ids
        for attr, table in groups.items():
            named.update(table)
            for values in table.values():
                named.update(values)
            spelled = {}
            for a, values in sorted(table.items()):
                if len(values) == 1:  # most households have one contact and one area: no sort to make
                    for b in values:
                        spelled[ids[a]] = [ids[b]]
                else:
                    spelled[ids[a]] = [ids[b] for b in sorted(values)]
            setattr(hood, attr, spelled)
        every = sorted(named)
        hood.nodes = dict(zip([ids[i] for i in every], self._node_list(every)))
        return hood

    @cached_property
    def _serving(self) -> tuple[np.ndarray, np.ndarray]:
        """(member, household) of the ``CONTACTS`` and ``RESIDES_IN`` edges (any day), each pair once,
        sorted by member."""
        edges = self.index.edges
        m = np.concatenate([edges[t].source for t in ("CONTACTS", "RESIDES_IN")]).astype(np.int64)
        h = np.concatenate([edges[t].target for t in ("CONTACTS", "RESIDES_IN")]).astype(np.int64)
        order = np.lexsort((h, m))
        m, h = m[order], h[order]
        once = _first_of_runs(m, h)
        return m[once], h[once]

    def inside(self, areas: Collection[str]) -> Inside:
        """The households located in these areas, where else they are located, and who contacts them or
        lives in them (see :meth:`orggraph.facts.Facts.inside`): masks over the kept pairs."""
        wanted = self._mask(self._numbers(areas, AREA))
        lh, la = self._ground(None).located
        in_pair = wanted[la]
        households = lh[in_pair]  # sorted, as the pairs are: each once by its first pair
        households = households[np.concatenate(([True], households[1:] != households[:-1]))] if len(households) else households
        found = Inside(households=self._spelled(households))
        if not len(households):
            return found
        within = self._mask(households)
        out = within[lh] & ~in_pair
        ids = self.index.ids
        for h, a in zip(lh[out].tolist(), la[out].tolist()):  # sorted by household, then area
            found.elsewhere.setdefault(ids[h], []).append(ids[a])
        m, h = self._serving
        n = self.index.n
        touching = within[h]
        inside_count = np.bincount(m[touching], minlength=n)
        every = np.bincount(m, minlength=n)
        chosen = np.flatnonzero(inside_count)
        found.members = dict(zip(self._spelled(chosen), zip(inside_count[chosen].tolist(), every[chosen].tolist())))
        return found

    def present(self, day: Day, areas: Collection[str]) -> list[tuple[str, str]]:
        """(member, area), sorted, for each member found on the day in one of these areas itself (see
        :meth:`orggraph.facts.Facts.present`)."""
        index, edges = self.index, self.index.edges
        wanted = self._numbers(areas, AREA)
        if not len(wanted):
            return []
        d = day_number(day.as_of, 0)
        located = edges["LOCATED_IN"]
        hit = self._select(located, targets=wanted, day=d)
        # (household, area) of the households located there, each once, by household
        lh, la = located.source[hit].astype(np.int64), located.target[hit].astype(np.int64)
        order = np.lexsort((la, lh))
        lh, la = lh[order], la[order]
        once = _first_of_runs(lh, la)
        lh, la = lh[once], la[once]
        members, places = [], []
        if len(lh):
            homes = np.unique(lh)
            for type_ in ("CONTACTS", "RESIDES_IN"):
                e = edges[type_]
                found = self._select(e, targets=homes, day=d)
                m, h = e.source[found].astype(np.int64), e.target[found].astype(np.int64)
                # every area of each household: its rows lo .. hi-1 in (lh, la)
                lo, hi = np.searchsorted(lh, h, "left"), np.searchsorted(lh, h, "right")
                reps = hi - lo
                starts = np.repeat(lo, reps) + np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
                members.append(np.repeat(m, reps))
                places.append(la[starts])
        assigned = edges["ASSIGNED_TO"]
        found = self._select(assigned, targets=wanted, day=d)
        members.append(assigned.source[found].astype(np.int64))
        places.append(assigned.target[found].astype(np.int64))
        m, a = np.concatenate(members), np.concatenate(places)
        order = np.lexsort((a, m))
        m, a = m[order], a[order]
        once = _first_of_runs(m, a) if len(m) else np.zeros(0, dtype=bool)
        ids = index.ids
        return [(ids[x], ids[y]) for x, y in zip(m[once].tolist(), a[once].tolist())]
