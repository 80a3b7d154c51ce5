"""The network as seen on one day with some members unreachable: the masks every query shares."""

from __future__ import annotations

import datetime as _dt
from functools import cached_property
from typing import Any, Iterable

import numpy as np

from ..exceptions import NotFound
from ..days import parse_day, today  # re-exported: they live in orggraph.days
from ..index import AREA, HOUSEHOLD, MEMBER, Index, day_number

__all__ = ["View", "view_of", "parse_day", "on_server"]


def on_server(store: Any) -> bool:
    """Whether a store is on a graph server (its queries then run in Cypher)."""
    return getattr(getattr(store, "conn", None), "dialect", None) is not None


def _ancestry(index: Index, areas: np.ndarray, parents: dict[int, list[int]]) -> tuple[dict[int, list[int]], np.ndarray]:
    """Each area's ancestry, nearest first (breadth first, ties by id), the area itself first.

    Returns the ancestries by area number, and the same as a matrix (a row an area, in ``areas`` order,
    -1 padded). Where every area has one parent, as in most cities, the walk up is a few array steps;
    the areas that reach one with several parents are searched one by one.
    """
    within = index.edges["WITHIN"]
    count = np.bincount(within.source, minlength=index.n) if len(within) else np.zeros(index.n, dtype=np.int64)
    parent = np.full(index.n + 1, -1, dtype=np.int64)  # the last slot: the parent of "none" is none
    single = count[within.source] == 1
    parent[within.source[single]] = within.target[single]
    several = np.append(count > 1, False)
    columns = [areas.astype(np.int64)]
    searched = several[columns[0]].copy()
    while len(columns) <= len(areas):  # the hierarchies are checked free of cycles; this only bounds it
        up = parent[columns[-1]]
        if (up < 0).all():
            break
        columns.append(up)
        searched |= several[up]
    matrix = np.stack(columns, axis=1) if len(areas) else np.zeros((0, 1), dtype=np.int64)
    ancestry = {area: [a for a in row if a >= 0] for area, row in zip(areas.tolist(), matrix.tolist())}
    if searched.any():
        for area in areas[searched].tolist():
            order, seen, frontier = [], set(), [area]
            while frontier:
                nxt = []
                for a in frontier:
                    if a not in seen:
                        seen.add(a)
                        order.append(a)
                        nxt.extend(parents.get(a, ()))
                frontier = nxt
            ancestry[area] = order
        matrix = np.full((len(areas), max(len(c) for c in ancestry.values())), -1, dtype=np.int64)
        for row, chain in enumerate(ancestry.values()):
            matrix[row, : len(chain)] = chain
    return ancestry, matrix


def _structure(index: Index) -> dict[str, Any]:
    """What does not depend on the day: area ancestry and household locations (cached on the index)."""
    cached = index.__dict__.get("_structure")
    if cached is not None:
        return cached
    n = index.n
    within = index.edges["WITHIN"]
    parents: dict[int, list[int]] = {}
    for child, parent in zip(within.source.tolist(), within.target.tolist()):
        parents.setdefault(child, []).append(parent)
    for plist in parents.values():
        plist.sort()
    areas = index.of_kind("Area")
    ancestry, matrix = _ancestry(index, areas, parents)
    depth = matrix.shape[1]
    anc_matrix = np.full((n, max(depth, 1)), -1, dtype=np.int64)  # row: an area's ancestry, -1 padded
    anc_matrix[areas, :depth] = matrix
    rows, cols = np.nonzero(matrix >= 0)  # row by row, nearest first: the order of ``ancestry``
    anc_leaf = areas[rows].astype(np.int64)
    anc_up = matrix[rows, cols]
    located = index.edges["LOCATED_IN"]
    counts = np.bincount(located.source, minlength=n) if len(located) else np.zeros(n, dtype=np.int64)
    home = np.full(n, -1, dtype=np.int64)  # the area of each household located in exactly one
    single = counts[located.source] == 1
    home[located.source[single]] = located.target[single]
    multi: dict[int, set[int]] = {}
    for h, a in zip(located.source[~single].tolist(), located.target[~single].tolist()):
        multi.setdefault(h, set()).update(ancestry[a])
    multi_h = np.fromiter((h for h, s in multi.items() for _ in s), dtype=np.int64)
    multi_a = np.fromiter((a for s in multi.values() for a in s), dtype=np.int64)
    structure = {
        "parents": parents,
        "ancestry": ancestry,
        "anc_leaf": anc_leaf,
        "anc_up": anc_up,
        "anc_matrix": anc_matrix,
        "home": home,
        "located_count": counts,
        "multi_h": multi_h,
        "multi_a": multi_a,
        "households": index.of_kind("Household"),
        "areas": areas,
    }
    index.__dict__["_structure"] = structure
    return structure


class View:
    """One day (``as_of``) and a set of unavailable members over an :class:`~orggraph.index.Index`."""

    def __init__(self, index: Index, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()):
        self.index = index
        self.as_of = parse_day(as_of)
        self.day = day_number(self.as_of, 0)
        self.unavailable_ids = sorted(set(unavailable))
        self._unavailable = set()
        if self.unavailable_ids:
            number = index.number
            unknown = [m for m in self.unavailable_ids if number.get(m) is None or index.kinds[number[m]] != MEMBER]
            if unknown:
                raise NotFound(f"unavailable: no member with id {', '.join(map(repr, unknown[:5]))}")
            self._unavailable = {number[m] for m in self.unavailable_ids}
        self.s = _structure(index)

    # -- people ---------------------------------------------------------------------------------------

    @cached_property
    def available(self) -> np.ndarray:
        """Members who can be reached: not marked unavailable and not in the what-if set."""
        mask = (self.index.kinds == MEMBER) & ~self.index.attrs["unavailable"]
        if self._unavailable:
            mask[list(self._unavailable)] = False
        return mask

    def is_available(self, member: int) -> bool:
        """One member's availability, without the whole mask (for questions about one household)."""
        return member not in self._unavailable and not self.index.attrs["unavailable"][member]

    def edge_ok(self, type_: str, edge: int) -> bool:
        """Whether one edge is valid on the day."""
        e = self.index.edges[type_]
        return bool(e.since[edge] <= self.day <= e.until[edge])

    def valid(self, type_: str) -> np.ndarray:
        """Mask of the edges of one type valid on the day."""
        cache = self.__dict__.setdefault("_valid", {})
        if type_ not in cache:
            cache[type_] = self.index.edges[type_].valid(self.day)
        return cache[type_]

    @cached_property
    def live_contacts(self) -> np.ndarray:
        """CONTACTS edges valid on the day whose member is available."""
        c = self.index.edges["CONTACTS"]
        return self.valid("CONTACTS") & self.available[c.source]

    @cached_property
    def contact_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (member, household) of the live contacts."""
        c = self.index.edges["CONTACTS"]
        keep = self.live_contacts
        repeated = self.index.repeated_pairs("CONTACTS")
        if repeated:
            keep = keep.copy()
            for group in repeated:  # a pair with two live edges counts once
                live = group[keep[group]]
                keep[live[1:]] = False
        return c.source[keep].astype(np.int64), c.target[keep].astype(np.int64)

    @cached_property
    def contact_count(self) -> np.ndarray:
        """Over nodes: how many available contacts a household has on the day."""
        _, h = self.contact_pairs
        return np.bincount(h, minlength=self.index.n)

    @cached_property
    def covered(self) -> np.ndarray:
        return self.contact_count > 0

    @cached_property
    def load(self) -> np.ndarray:
        """Over nodes: how many households each member contacts on the day (available members only)."""
        m, _ = self.contact_pairs
        return np.bincount(m, minlength=self.index.n)

    def responsible(self, org: int) -> int:
        """The org's responsible person: first available post holder by rank, then id; -1 for none."""
        posts = self.index.edges["HOLDS_POST"]
        holders = [
            (int(posts.rank[e]), int(posts.source[e]))
            for e in posts.of(org, "target", self.index.n).tolist()
            if self.edge_ok("HOLDS_POST", e) and self.is_available(int(posts.source[e]))
        ]
        return min(holders)[1] if holders else -1

    @cached_property
    def has_responsible(self) -> np.ndarray:
        """Over nodes: orgs with at least one available post holder on the day."""
        posts = self.index.edges["HOLDS_POST"]
        ok = self.valid("HOLDS_POST") & self.available[posts.source]
        return np.bincount(posts.target[ok], minlength=self.index.n) > 0

    def governing(self, area: int) -> list[int]:
        """Orgs governing the area on the day, by id."""
        governs = self.index.edges["GOVERNS"]
        return sorted(
            {int(governs.source[e]) for e in governs.of(area, "target", self.index.n).tolist() if self.edge_ok("GOVERNS", e)}
        )

    # -- territory ------------------------------------------------------------------------------------

    def number(self, node_id: str, kind: int, what: str) -> int:
        n = self.index.number.get(node_id)
        if n is None or self.index.kinds[n] != kind:
            raise NotFound(f"no {what} with id {node_id!r}")
        return n

    def area_number(self, area_id: str) -> int:
        return self.number(area_id, AREA, "area")

    def household_number(self, household_id: str) -> int:
        return self.number(household_id, HOUSEHOLD, "household")

    def households_within(self, areas: Iterable[int]) -> np.ndarray:
        """Sorted node numbers of the households located in any of the areas or in areas within them."""
        wanted = np.zeros(self.index.n, dtype=bool)
        wanted[list(areas)] = True
        s = self.s
        leaf_in = np.zeros(self.index.n, dtype=bool)
        hit = wanted[s["anc_up"]]
        leaf_in[s["anc_leaf"][hit]] = True
        home = s["home"][s["households"]]
        mask = np.zeros(self.index.n, dtype=bool)
        located = home >= 0
        mask[s["households"][located]] = leaf_in[home[located]]
        if len(s["multi_h"]):
            mask[s["multi_h"][wanted[s["multi_a"]]]] = True
        return np.flatnonzero(mask)

    def area_totals(self, weights: np.ndarray) -> np.ndarray:
        """Over nodes: for each area, the sum of ``weights`` (over households) of the households within it."""
        s, n = self.s, self.index.n
        households = s["households"]
        home = s["home"][households]
        located = home >= 0
        per_leaf = np.bincount(home[located], weights=weights[households][located], minlength=n)
        totals = np.bincount(s["anc_up"], weights=per_leaf[s["anc_leaf"]], minlength=n)
        if len(s["multi_h"]):
            totals += np.bincount(s["multi_a"], weights=weights[s["multi_h"]], minlength=n)
        return totals


def view_of(store_or_index: Any, as_of: str | _dt.date | None = None, unavailable: Iterable[str] = ()) -> View:
    """A :class:`View` of a store (its index) or of an index."""
    index = store_or_index if isinstance(store_or_index, Index) else store_or_index.index()
    return View(index, as_of, unavailable)
