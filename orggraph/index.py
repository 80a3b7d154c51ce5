"""A compact index of the network over node numbers, for the queries on millions of households."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from .model import EDGE_TYPES, NODE_KINDS, POSTS, ROLES

__all__ = ["Index", "EdgeArrays", "build_index", "day_number", "NO_SINCE", "NO_UNTIL"]

KIND_CODES = {kind: code for code, kind in enumerate(NODE_KINDS)}
AREA, ORG, UNIT, MEMBER, HOUSEHOLD = (KIND_CODES[k] for k in NODE_KINDS)
POST_RANK = {post: rank for rank, post in enumerate(POSTS)}
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
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

    def __len__(self) -> int:
        return len(self.source)

    def valid(self, day: int) -> np.ndarray:
        """A mask of the edges valid on ``day``."""
        return (self.since <= day) & (day <= self.until)

    def _csr(self, by: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        cache = self.__dict__.setdefault("_csr_cache", {})
        if by not in cache:
            key = self.source if by == "source" else self.target
            order = np.argsort(key, kind="stable").astype(np.int64)
            offsets = np.searchsorted(key[order], np.arange(n + 1)).astype(np.int64)
            cache[by] = (order, offsets)
        return cache[by]

    def of(self, node: int, by: str, n: int) -> np.ndarray:
        """Edge numbers whose ``by`` end ('source' or 'target') is ``node``."""
        order, offsets = self._csr(by, n)
        return order[offsets[node] : offsets[node + 1]]


class Index:
    """The network as arrays over node numbers (nodes sorted by id, numbered from 0).

    Built from a store once and cached in it, keyed by the store's revision, so a reopened store has its
    index back without reading every record. The queries in :mod:`orggraph.queries` run on it.
    """

    def __init__(self, ids: list[str], kinds: np.ndarray, names: list[str | None], attrs: dict[str, np.ndarray],
                 edges: dict[str, EdgeArrays], revision: int):
        self.ids = ids
        self.kinds = kinds
        self.names = names
        self.attrs = attrs  # level (int8 code), status flags, people, vulnerable
        self.edges = edges
        self.revision = revision
        self._number: dict[str, int] | None = None

    def __repr__(self) -> str:
        return f"Index({len(self.ids)} nodes, {sum(len(e) for e in self.edges.values())} edges, revision {self.revision})"

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def number(self) -> dict[str, int]:
        if self._number is None:
            self._number = {node_id: i for i, node_id in enumerate(self.ids)}
        return self._number

    @property
    def level_names(self) -> list[str]:
        """Level code -> level name (codes index this list; -1 is no level)."""
        names = self.__dict__.get("_level_names")
        if names is None:
            raw = self.attrs["level_names"].tobytes().decode()
            names = self.__dict__["_level_names"] = raw.split("\x00") if raw else []
        return names

    def repeated_pairs(self, type_: str) -> list[np.ndarray]:
        """Groups of edges of one type that join the same two nodes (with different ``since``), in edge order.

        Most networks have none; the queries use them to count a pair once when two of its edges are valid.
        """
        cache = self.__dict__.setdefault("_repeated", {})
        if type_ not in cache:
            e = self.edges[type_]
            key = e.source.astype(np.int64) * self.n + e.target
            order = np.argsort(key, kind="stable")
            ordered = key[order]
            same = ordered[1:] == ordered[:-1]
            groups: list[np.ndarray] = []
            if same.any():
                starts = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).astype(np.int8)) == 1)
                ends = np.flatnonzero(np.diff(np.concatenate(([False], same, [False])).astype(np.int8)) == -1)
                groups = [np.sort(order[a : b + 1]) for a, b in zip(starts.tolist(), ends.tolist())]
            cache[type_] = groups
        return cache[type_]

    def level_of(self, node: int) -> str | None:
        code = int(self.attrs["level"][node])
        return self.level_names[code] if code >= 0 else None

    def level_of_id(self, node_id: str) -> str | None:
        return self.level_of(self.number[node_id])

    def of_kind(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.kinds == KIND_CODES[kind])

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


def build_index(nodes: Iterable[tuple[str, str, dict[str, Any]]],
                edges: Iterable[tuple[str, str, str, str | None, str | None, dict[str, Any]]],
                revision: int) -> Index:
    """Build an index from (id, kind, properties) sorted by id, and (type, source, target, since, until, properties)."""
    ids: list[str] = []
    kinds: list[int] = []
    names: list[str | None] = []
    level: list[str | None] = []
    weak: list[bool] = []
    unavailable: list[bool] = []
    people: list[int] = []
    vulnerable: list[bool] = []
    for node_id, kind, props in nodes:
        ids.append(node_id)
        kinds.append(KIND_CODES[kind])
        names.append(props.get("name"))
        level.append(props.get("level"))
        weak.append(props.get("status") == "weak_lax")
        unavailable.append(props.get("status") == "unavailable")
        people.append(props.get("people", 1) if kind == "Household" else 0)
        vulnerable.append(bool(props.get("flags")) if kind == "Household" else False)
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
        if type_ == "HOLDS_POST":
            r.append(POST_RANK[props["post"]])
        elif type_ == "ASSIGNED_TO":
            r.append(ROLE_RANK[props["role"]])
        else:
            r.append(0)
    levels = sorted({lv for lv in level if lv})
    level_codes = {lv: i for i, lv in enumerate(levels)}
    attrs = {
        "level": np.array([level_codes.get(lv, -1) if lv else -1 for lv in level], dtype=np.int16),
        "level_names": np.frombuffer("\x00".join(levels).encode(), dtype=np.uint8),
        "weak": np.array(weak, dtype=bool),
        "unavailable": np.array(unavailable, dtype=bool),
        "people": np.array(people, dtype=np.int32),
        "vulnerable": np.array(vulnerable, dtype=bool),
    }
    edge_arrays = {
        t: EdgeArrays(
            np.array(c[0], dtype=np.int32), np.array(c[1], dtype=np.int32),
            np.array(c[2], dtype=np.int32), np.array(c[3], dtype=np.int32), np.array(c[4], dtype=np.int8),
        )
        for t, c in columns.items()
    }
    index = Index(ids, np.array(kinds, dtype=np.int8), names, attrs, edge_arrays, revision)
    index._number = number
    return index

