"""The index's arrays: the network over node numbers, built from a store's records and carried over its changes."""

from __future__ import annotations

import io
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..exceptions import IndexOutOfStep
from ..model import EDGE_TYPES, NODE_KINDS, POST_RANK, ROLE_RANK

if TYPE_CHECKING:
    from .facts import IndexFacts

__all__ = ["Index", "EdgeArrays", "IndexParts", "build_index", "day_number", "NO_SINCE", "NO_UNTIL"]

KIND_CODES = {kind: code for code, kind in enumerate(NODE_KINDS)}
AREA, ORG, UNIT, MEMBER, HOUSEHOLD = (KIND_CODES[k] for k in NODE_KINDS)
NO_SINCE = 0
NO_UNTIL = 99_999_999


def day_number(day: str | None, default: int) -> int:
    """An ISO date as a sortable whole number: 2020-07-01 -> 20200701.

    Examples
    --------
    >>> day_number("2020-07-01", NO_SINCE)
    20200701
    >>> day_number(None, NO_UNTIL)
    99999999
    """
    if not day:
        return default
    return int(day[0:4]) * 10000 + int(day[5:7]) * 100 + int(day[8:10])


@dataclass
class EdgeArrays:
    """All edges of one type: parallel arrays over edge number, with per-endpoint lookups built on demand."""

    source: np.ndarray  # int32 node numbers
    target: np.ndarray
    since: np.ndarray  # int32 day numbers
    until: np.ndarray
    rank: np.ndarray  # int8: post or role rank where the type has one, else 0
    #: the per-endpoint lookups built so far: by end, (edge order, offsets by node)
    lookups: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.source)

    def valid(self, day: int) -> np.ndarray:
        """A mask of the edges valid on ``day``."""
        return (self.since <= day) & (day <= self.until)

    def csr(self, by: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(edge numbers ordered by their ``by`` end, offsets by node): the edges of node ``i`` are
        ``order[offsets[i]:offsets[i + 1]]``; built on first use and kept."""
        cache = self.lookups
        if by not in cache:
            key = self.source if by == "source" else self.target
            if len(key) < 2 or bool((key[1:] >= key[:-1]).all()):  # by source, the index keeps them so
                order = np.arange(len(key), dtype=np.int64)
            else:
                order = np.argsort(key, kind="stable").astype(np.int64)
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(key, minlength=n), out=offsets[1:])
            cache[by] = (order, offsets)
        return cache[by]

    def of(self, node: int, by: str, n: int) -> np.ndarray:
        """Edge numbers whose ``by`` end ('source' or 'target') is ``node``."""
        order, offsets = self.csr(by, n)
        return order[offsets[node] : offsets[node + 1]]


class _Positions(Mapping[str, int]):
    """Node id -> node number by binary search over the sorted ids, with no dict of every id to build."""

    __slots__ = ("ids",)

    def __init__(self, ids: list[str]):
        self.ids = ids

    def __getitem__(self, node_id: str) -> int:
        if isinstance(node_id, str):
            i = bisect_left(self.ids, node_id)
            if i < len(self.ids) and self.ids[i] == node_id:
                return i
        raise KeyError(node_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


class Index:
    """The network as arrays over node numbers (nodes sorted by id, numbered from 0).

    Built from a store once and cached in it, keyed by the store's revision, so a reopened store has its
    index back without reading every record. The queries in :mod:`orggraph.queries` run on it.
    """

    def __init__(self, ids: Sequence[str], kinds: np.ndarray, names: Sequence[str | None],
                 attrs: dict[str, np.ndarray], edges: dict[str, EdgeArrays], revision: int):
        # tuples of text: the garbage collector stops looking into them, where it would walk a list of a
        # million ids on every full collection while a question runs
        self.ids: tuple[str, ...] = tuple(ids)
        self.kinds = kinds
        self.names: tuple[str | None, ...] = tuple(names)
        self.attrs = attrs  # level (int8 code), status flags, people, vulnerable
        self.edges = edges
        self.revision = revision
        self._number: Mapping[str, int] | None = None
        self._facts: IndexFacts | None = None

    def __repr__(self) -> str:
        return f"Index({len(self.ids)} nodes, {sum(len(e) for e in self.edges.values())} edges, revision {self.revision})"

    @property
    def n(self) -> int:
        return len(self.ids)

    def facts(self) -> IndexFacts:
        """The facts of :mod:`orggraph.facts` over this index: one :class:`~orggraph.index.facts.IndexFacts`,
        made on the first call and kept with the index (its caches live as long as the index does).

        Examples
        --------
        >>> idx = build_index([("h1", "Household", {})], [], revision=1)
        >>> idx.facts() is idx.facts(), idx.facts().ids("Household")
        (True, ['h1'])
        """
        if self._facts is None:
            from .facts import IndexFacts

            self._facts = IndexFacts(self)
        return self._facts

    @property
    def number(self) -> Mapping[str, int]:
        """Node id -> node number: the dict a build made, else a binary search over the sorted ids."""
        if self._number is None:
            self._number = _Positions(self.ids)
        return self._number

    @cached_property
    def level_names(self) -> list[str]:
        """Level code -> level name (codes index this list; -1 is no level)."""
        raw = self.attrs["level_names"].tobytes().decode()
        return raw.split("\x00") if raw else []

    def level_of(self, node: int) -> str | None:
        code = int(self.attrs["level"][node])
        return self.level_names[code] if code >= 0 else None

    def level_of_id(self, node_id: str) -> str | None:
        return self.level_of(self.number[node_id])

    def of_kind(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.kinds == KIND_CODES[kind])

    # -- carrying the index forward over a change ------------------------------------------------------

    def updated(self, revision: int, *, nodes: Iterable[tuple[str, str, dict[str, Any]]] = (),
                edges: Iterable[tuple[str, str, str, str | None, str | None, dict[str, Any]]] = (),
                removed_nodes: Iterable[str] = (),
                removed_edges: Iterable[tuple[str, str, str, str | None]] = ()) -> "Index":
        """The index after a change, without reading the store again.

        Equal, array for array, to :func:`build_index` on the records after the change, at a small
        fraction of its cost: a store carries its index forward this way after an edit.

        Parameters
        ----------
        revision : int
            The store's revision after the change.
        nodes : iterable of (id, kind, properties)
            Nodes added or replaced (properties whole, as stored), in the order written: the last wins.
        edges : iterable of (type, source, target, since, until, properties)
            Edges added or replaced (keyed by type, source, target and since).
        removed_nodes : iterable of str
            Nodes removed, with every edge from or to them.
        removed_edges : iterable of (type, source, target, since)
            Edges removed.

        Raises
        ------
        IndexOutOfStep
            If the change does not fit this index (it names a node or edge the index lacks): the
            index is not the one the change was made on, and must be built afresh.

        Examples
        --------
        >>> idx = build_index([("a1", "Area", {"level": "community"}), ("h1", "Household", {})],
        ...                   [("LOCATED_IN", "h1", "a1", None, None, {})], revision=1)
        >>> new = idx.updated(2, nodes=[("h0", "Household", {"people": 3})],
        ...                   edges=[("LOCATED_IN", "h0", "a1", None, None, {})])
        >>> new.ids, new.attrs["people"].tolist(), new.edges["LOCATED_IN"].source.tolist()
        (('a1', 'h0', 'h1'), [0, 3, 1], [1, 2])
        >>> new.updated(3, removed_nodes=["h1"]).ids
        ('a1', 'h0')
        """
        number = self.number
        upserts: dict[str, tuple[str, dict[str, Any]]] = {}
        for node_id, kind, props in nodes:
            upserts[node_id] = (kind, props)
        keep = np.ones(self.n, dtype=bool)
        for node_id in removed_nodes:
            i = number.get(node_id)
            if i is None or not keep[i]:
                raise IndexOutOfStep(f"the index has no node {node_id!r} to remove")
            keep[i] = False
        removing = not keep.all()
        fresh = sorted(i for i in upserts if i not in number or not keep[number[i]])

        # new node numbers: the kept nodes in their order, the new ones slotted in by id
        # a few nodes in or out: a copy of the lists and a few inserts and deletes beat filling arrays of
        # millions of objects
        few = int((~keep).sum()) + len(fresh) <= 64
        kept_names = self.names
        if removing:
            kept = np.flatnonzero(keep)
            if few:
                kept_ids, kept_names = list(self.ids), list(self.names)
                for i in np.flatnonzero(~keep)[::-1].tolist():
                    del kept_ids[i], kept_names[i]
            else:
                kept_ids = [self.ids[i] for i in kept.tolist()]
                kept_names = [self.names[i] for i in kept.tolist()]
        else:
            kept, kept_ids = np.arange(self.n), self.ids
        slots = np.array([bisect_left(kept_ids, node_id) for node_id in fresh], dtype=np.int64)
        kept_to = np.arange(len(kept), dtype=np.int64) + np.searchsorted(slots, np.arange(len(kept)), side="right")
        fresh_to = slots + np.arange(len(fresh), dtype=np.int64)
        renumbered = removing or bool(fresh)
        old_to_new = np.full(self.n, -1, dtype=np.int64)
        old_to_new[kept] = kept_to
        n = len(kept) + len(fresh)
        fresh_number = dict(zip(fresh, fresh_to.tolist()))

        def new_number(node_id: str) -> int:
            i = number.get(node_id)
            if i is not None and keep[i]:
                return int(old_to_new[i])
            j = fresh_number.get(node_id)
            if j is None:
                raise IndexOutOfStep(f"the index has no node {node_id!r}")
            return j

        if few:
            ids, names = (kept_ids, kept_names) if removing else (list(self.ids), list(self.names))
            for node_id, at in zip(fresh, fresh_to.tolist()):
                ids.insert(at, node_id)
                names.insert(at, None)
        else:
            ids_arr = np.empty(n, dtype=object)
            ids_arr[kept_to] = kept_ids
            ids_arr[fresh_to] = fresh
            ids = ids_arr.tolist()
            names_arr = np.empty(n, dtype=object)
            names_arr[kept_to] = kept_names
            names = names_arr.tolist()
        kinds = np.empty(n, dtype=np.int8)
        kinds[kept_to] = self.kinds[kept]
        attrs = {key: np.empty(n, dtype=self.attrs[key].dtype)
                 for key in ("level", "weak", "unavailable", "people", "vulnerable")}
        for key, values in attrs.items():
            values[kept_to] = self.attrs[key][kept]
        level_names = list(self.level_names)
        level_code = {lv: c for c, lv in enumerate(level_names)}
        for node_id, (kind, props) in upserts.items():
            i = new_number(node_id)
            kinds[i], names[i], level, attrs["weak"][i], attrs["unavailable"][i], attrs["people"][i], \
                attrs["vulnerable"][i] = _node_values(kind, props)
            if level and level not in level_code:
                level_code[level] = len(level_names)
                level_names.append(level)
            attrs["level"][i] = level_code[level] if level else -1
        # levels as build_index has them: those in use, sorted
        codes = attrs["level"]
        in_use = np.unique(codes[codes >= 0]).tolist()
        levels = sorted(level_names[c] for c in in_use)
        recode = np.full(len(level_names) + 1, -1, dtype=np.int16)  # the last slot maps -1 to itself
        for c in in_use:
            recode[c] = levels.index(level_names[c])
        attrs["level"] = recode[codes]
        attrs["level_names"] = _joined(levels)

        # edges: renumber, drop and replace in place, add, and keep each type sorted
        edge_upserts: dict[str, dict[tuple[str, str, int], tuple[int, int]]] = {}
        for type_, source, target, since, until, props in edges:
            edge_upserts.setdefault(type_, {})[(source, target, day_number(since, NO_SINCE))] = (
                day_number(until, NO_UNTIL), _edge_rank(type_, props))
        edge_removals: dict[str, list[tuple[str, str, int]]] = {}
        for type_, source, target, since in removed_edges:
            edge_removals.setdefault(type_, []).append((source, target, day_number(since, NO_SINCE)))
        new_edges: dict[str, EdgeArrays] = {}
        for type_, e in self.edges.items():
            ups, downs = edge_upserts.get(type_, {}), edge_removals.get(type_, [])
            if not (ups or downs or renumbered):
                new_edges[type_] = e  # unchanged, with the lookups already built on it
                continue
            keep_e = np.ones(len(e), dtype=bool)
            until, rank = e.until.copy(), e.rank.copy()
            for key in downs:
                at = self._edge_at(e, key)
                if at is None or not keep_e[at]:
                    raise IndexOutOfStep(f"the index has no {type_} edge from {key[0]!r} to {key[1]!r}")
                keep_e[at] = False
            added: list[tuple[int, int, int, int, int]] = []
            for key, (u, r) in ups.items():
                at = self._edge_at(e, key)
                if at is not None:
                    until[at], rank[at] = u, r
                else:
                    added.append((new_number(key[0]), new_number(key[1]), key[2], u, r))
            source, target = old_to_new[e.source], old_to_new[e.target]
            if removing:
                keep_e &= (source >= 0) & (target >= 0)
            parts = [source[keep_e].astype(np.int32), target[keep_e].astype(np.int32), e.since[keep_e],
                     until[keep_e], rank[keep_e]]
            if added and len(added) <= 64:  # a few new edges: each put in its place, the rest kept in order
                added.sort()
                s_, t_, d_ = parts[0], parts[1], parts[2]
                at = []
                for src, tgt, since, _, _ in added:  # where it goes among the kept edges, by (source, target, since)
                    lo, hi = int(np.searchsorted(s_, src, "left")), int(np.searchsorted(s_, src, "right"))
                    lo += int(np.searchsorted(t_[lo:hi], tgt, "left"))
                    hi = lo + int(np.searchsorted(t_[lo:hi], tgt, "right"))
                    at.append(lo + int(np.searchsorted(d_[lo:hi], since, "left")))
                more = np.array(added, dtype=np.int64).T
                new_edges[type_] = EdgeArrays(*(np.insert(p, at, m.astype(p.dtype)) for p, m in zip(parts, more)))
            elif added:
                more = np.array(added, dtype=np.int64).T
                parts = [np.concatenate((p, m.astype(p.dtype))) for p, m in zip(parts, more)]
                new_edges[type_] = _sorted_edges(*parts)
            else:  # renumbered in id order, as before, and some left out: still in order, no check needed
                new_edges[type_] = EdgeArrays(*parts)
        index = Index(ids, kinds, names, attrs, new_edges, revision)
        if not renumbered and isinstance(number, dict):
            index._number = number
        return index

    def _edge_at(self, e: EdgeArrays, key: tuple[str, str, int]) -> int | None:
        """The edge number of (source id, target id, since day) in ``e``, sorted by source, or None."""
        s, t = self.number.get(key[0]), self.number.get(key[1])
        if s is None or t is None:
            return None
        lo, hi = np.searchsorted(e.source, s, "left"), np.searchsorted(e.source, s, "right")
        hits = np.flatnonzero((e.target[lo:hi] == t) & (e.since[lo:hi] == key[2]))
        return int(lo + hits[0]) if len(hits) else None

    # -- saving and loading ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {"kinds": self.kinds}
        arrays["ids"] = np.frombuffer("\x00".join(self.ids).encode(), dtype=np.uint8)
        arrays["names"] = np.frombuffer("\x00".join(n or "" for n in self.names).encode(), dtype=np.uint8)
        for key, value in self.attrs.items():
            arrays[f"attr.{key}"] = value
        for type_, e in self.edges.items():
            for field in ("source", "target", "since", "until", "rank"):
                arrays[f"edge.{type_}.{field}"] = getattr(e, field)
        buffer = io.BytesIO()
        np.savez(buffer, revision=np.array([self.revision]), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Index":
        with np.load(io.BytesIO(data)) as z:
            arrays = {k: z[k] for k in z.files}
        ids = arrays.pop("ids").tobytes().decode().split("\x00") if len(arrays["kinds"]) else []
        names_raw = arrays.pop("names").tobytes().decode().split("\x00") if len(arrays["kinds"]) else []
        names = [n or None for n in names_raw]
        attrs = {k[5:]: v for k, v in arrays.items() if k.startswith("attr.")}
        edges = {}
        for type_ in EDGE_TYPES:
            edges[type_] = EdgeArrays(*(arrays[f"edge.{type_}.{f}"] for f in ("source", "target", "since", "until", "rank")))
        return cls(ids, arrays["kinds"], names, attrs, edges, int(arrays["revision"][0]))


def _node_values(kind: str, props: dict[str, Any]) -> tuple[int, str | None, str | None, bool, bool, int, bool]:
    """What the index keeps of one node: kind code, name, level, weak, unavailable, people, vulnerable."""
    household = kind == "Household"
    status = props.get("status")
    return (KIND_CODES[kind], props.get("name"), props.get("level"), status == "weak_lax", status == "unavailable",
            props.get("people", 1) if household else 0, bool(props.get("flags")) if household else False)


def _edge_rank(type_: str, props: dict[str, Any]) -> int:
    if type_ == "HOLDS_POST":
        return POST_RANK[props["post"]]
    if type_ == "ASSIGNED_TO":
        return ROLE_RANK[props["role"]]
    return 0


def _sorted_edges(source: np.ndarray, target: np.ndarray, since: np.ndarray, until: np.ndarray,
                  rank: np.ndarray, once: bool = False) -> EdgeArrays:
    """Edge arrays in the index's order: by source, then target, then since (the stores' key order). With
    ``once``, an edge given more than once (the same source, target and since) is kept as given last."""
    if len(source) > 1:
        ordered = (source[1:] > source[:-1]) | ((source[1:] == source[:-1]) & (
            (target[1:] > target[:-1]) | ((target[1:] == target[:-1]) & (since[1:] > since[:-1]))))
        if not ordered.all():
            order = np.lexsort((since, target, source))  # stable: an edge given again stays after the first
            source, target, since, until, rank = (a[order] for a in (source, target, since, until, rank))
            if once:
                again = (source[1:] == source[:-1]) & (target[1:] == target[:-1]) & (since[1:] == since[:-1])
                if again.any():
                    last = np.append(~again, True)  # the last of each run of one edge
                    source, target, since, until, rank = (a[last] for a in (source, target, since, until, rank))
    return EdgeArrays(source, target, since, until, rank)


def build_index(nodes: Iterable[tuple[str, str, dict[str, Any]]],
                edges: Iterable[tuple[str, str, str, str | None, str | None, dict[str, Any]]],
                revision: int) -> Index:
    """Build an index from (id, kind, properties) sorted by id, and (type, source, target, since, until, properties).

    Edges may come in any order; each type's are kept sorted by source, target and since, so that an index
    carried forward by :meth:`Index.updated` is the same, array for array, as one built afresh.
    """
    ids: list[str] = []
    values = []
    for node_id, kind, props in nodes:
        ids.append(node_id)
        values.append(_node_values(kind, props))
    kinds, names, level, weak, unavailable, people, vulnerable = (list(c) for c in zip(*values)) if values else ([],) * 7
    number = {node_id: i for i, node_id in enumerate(ids)}
    columns: dict[str, tuple[list[int], list[int], list[int], list[int], list[int]]] = {
        t: ([], [], [], [], []) for t in EDGE_TYPES
    }
    for type_, source, target, since, until, props in edges:
        s, t, a, b, r = columns[type_]
        s.append(number[source])
        t.append(number[target])
        a.append(day_number(since, NO_SINCE))
        b.append(day_number(until, NO_UNTIL))
        r.append(_edge_rank(type_, props))
    levels = sorted({lv for lv in level if lv})
    level_codes = {lv: i for i, lv in enumerate(levels)}
    attrs = {
        "level": np.array([level_codes.get(lv, -1) if lv else -1 for lv in level], dtype=np.int16),
        "level_names": _joined(levels),
        "weak": np.array(weak, dtype=bool),
        "unavailable": np.array(unavailable, dtype=bool),
        "people": np.array(people, dtype=np.int32),
        "vulnerable": np.array(vulnerable, dtype=bool),
    }
    edge_arrays = {
        t: _sorted_edges(
            np.array(c[0], dtype=np.int32), np.array(c[1], dtype=np.int32),
            np.array(c[2], dtype=np.int32), np.array(c[3], dtype=np.int32), np.array(c[4], dtype=np.int8),
        )
        for t, c in columns.items()
    }
    index = Index(ids, np.array(kinds, dtype=np.int8), names, attrs, edge_arrays, revision)
    index._number = number
    return index


class IndexParts:
    """What a load gathers for the index as it writes its rows, to build the index from at the end
    (:meth:`build`) rather than read every record back from the store.

    The load numbers its nodes in the order it first reads them (:class:`orggraph.load.Loader`); the parts
    are kept by those numbers, a batch at a time, as arrays and lists. A node or edge given twice is kept
    as given last, as the store keeps it. Some 60 bytes a node and 20 an edge, beside the ids the load
    holds anyway.

    Examples
    --------
    >>> parts = IndexParts()
    >>> homes = [{"id": "h2", "people": 3}, {"id": "h1"}]
    >>> parts.add_nodes("Household", np.array([0, 1]), IndexParts.node_values("Household", homes))
    >>> parts.add_nodes("Member", np.array([2]), IndexParts.node_values("Member", [{"id": "m1", "name": "王芳"}]))
    >>> contacts = [{"since": "2021-05-01"}, {"since": "2021-05-01", "until": "2022-01-31"}]
    >>> parts.add_edges("CONTACTS", np.array([2, 2]), np.array([0, 1]), IndexParts.edge_values("CONTACTS", contacts))
    >>> index = parts.build(["h2", "h1", "m1"], revision=1)
    >>> index.ids, index.attrs["people"].tolist()
    (('h1', 'h2', 'm1'), [1, 3, 0])
    >>> e = index.edges["CONTACTS"]
    >>> e.source.tolist(), e.target.tolist(), e.until.tolist()
    ([2, 2], [0, 1], [20220131, 99999999])
    """

    def __init__(self) -> None:
        self._nodes: list[tuple[np.ndarray, int, tuple[Any, ...]]] = []
        self._edges: dict[str, list[tuple[np.ndarray, ...]]] = {t: [] for t in EDGE_TYPES}

    @staticmethod
    def node_values(kind: str, rows: list[dict[str, Any]]) -> tuple[Any, ...]:
        """What the index keeps of nodes of one kind, as validated: (names, levels, statuses or None, people
        and vulnerable as arrays for households, else None)."""
        household = kind == "Household"
        statuses = list(map(dict.get, rows, repeat("status")))
        return (list(map(dict.get, rows, repeat("name"))), list(map(dict.get, rows, repeat("level"))),
                statuses if any(statuses) else None,
                np.array([r.get("people", 1) for r in rows], dtype=np.int32) if household else None,
                np.array([bool(r.get("flags")) for r in rows], dtype=bool) if household else None)

    @staticmethod
    def edge_values(type_: str, rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the index keeps of edges of one type, as validated: since and until as day numbers, and rank."""
        since = _day_numbers(list(map(dict.get, rows, repeat("since"))), NO_SINCE)
        until = _day_numbers(list(map(dict.get, rows, repeat("until"))), NO_UNTIL)
        rank = (np.array([_edge_rank(type_, r) for r in rows], dtype=np.int8) if type_ in ("HOLDS_POST", "ASSIGNED_TO")
                else np.zeros(len(rows), dtype=np.int8))
        return since, until, rank

    def add_nodes(self, kind: str, numbers: np.ndarray, values: tuple[Any, ...]) -> None:
        """Nodes of one kind (:meth:`node_values`), by their numbers in the load (int64, one a node)."""
        self._nodes.append((numbers, KIND_CODES[kind], values))

    def add_edges(self, type_: str, sources: np.ndarray, targets: np.ndarray, values: tuple[np.ndarray, ...]) -> None:
        """Edges of one type (:meth:`edge_values`), between nodes given by their numbers in the load."""
        self._edges[type_].append((np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64), *values))

    def build(self, ids: Sequence[str], revision: int) -> Index:
        """The index, given every node id of the load by its number (``ids[i]`` is node ``i``).

        Sorting the ids costs most (some 2 s for 2,200,000 ids); the rest is arrays.
        """
        n = len(ids)
        order = sorted(range(n), key=ids.__getitem__)  # number in the load, by id
        at = np.empty(n, dtype=np.int64)  # the index's number of each number in the load
        at[np.array(order, dtype=np.int64)] = np.arange(n, dtype=np.int64)
        kinds = np.zeros(n, dtype=np.int8)
        names = np.full(n, None, dtype=object)
        level = np.full(n, None, dtype=object)
        status = np.full(n, None, dtype=object)
        people = np.zeros(n, dtype=np.int32)
        vulnerable = np.zeros(n, dtype=bool)
        for numbers, code, (name, lv, st, ppl, vul) in self._nodes:  # in the order written: the last given stays
            where = at[numbers]
            kinds[where] = code
            names[where] = name
            level[where] = lv
            status[where] = st
            if ppl is not None:
                people[where] = ppl
                vulnerable[where] = vul
        levels = sorted({lv for lv in set(level.tolist()) if lv})
        level_codes = {lv: i for i, lv in enumerate(levels)}
        attrs = {
            "level": np.array([level_codes.get(lv, -1) if lv else -1 for lv in level.tolist()], dtype=np.int16),
            "level_names": _joined(levels),
            "weak": status == "weak_lax",
            "unavailable": status == "unavailable",
            "people": people,
            "vulnerable": vulnerable,
        }
        edges = {}
        for type_, chunks in self._edges.items():
            if chunks:
                source, target, since, until, rank = (np.concatenate(c) for c in zip(*chunks))
                source, target = at[source].astype(np.int32), at[target].astype(np.int32)
            else:
                source = target = since = until = np.zeros(0, dtype=np.int32)
                rank = np.zeros(0, dtype=np.int8)
            edges[type_] = _sorted_edges(source, target, since, until, rank, once=True)
        return Index([ids[i] for i in order], kinds, names.tolist(), attrs, edges, revision)


def _day_numbers(days: list[str | None], default: int) -> np.ndarray:
    """Days as day numbers (``default`` for None), each distinct day told once."""
    known = {day: day_number(day, default) for day in set(days)}
    return np.fromiter(map(known.__getitem__, days), dtype=np.int32, count=len(days))


def _joined(texts: list[str]) -> np.ndarray:
    return np.frombuffer("\x00".join(texts).encode(), dtype=np.uint8)
