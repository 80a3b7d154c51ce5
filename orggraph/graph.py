"""The network in memory as a networkx graph, to explore, with accessors that read the records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Collection, Iterable, Iterator

import networkx as nx

from .days import today, valid_on  # re-exported: they live in orggraph.days
from .exceptions import NotFound
from .model import POST_RANK

if TYPE_CHECKING:
    from .store.base import Store

__all__ = ["OrgGraph", "valid_on", "today"]





class OrgGraph:
    """The whole network as a :class:`networkx.MultiDiGraph`, to explore: nodes keyed by id, edges keyed
    by type and since.

    Node attributes are the node's properties (``kind`` among them); edge attributes are ``type``,
    ``since``/``until`` when set, and the edge's properties. ``G.nx`` is the graph itself, for any
    networkx algorithm. The accessors below read the records as they are and return everything they
    find (a household located in two areas has two); the questions themselves (coverage, chains, gaps,
    incidents) are :mod:`orggraph.queries`, and where an accessor says what a question also says (who
    contacts a household, who answers for an organization) a test holds the two equal.

    Examples
    --------
    >>> G = OrgGraph.from_records(
    ...     nodes=[{"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
    ...            {"id": "h1", "kind": "Household"},
    ...            {"id": "m1", "kind": "Member", "name": "王芳"}],
    ...     edges=[{"type": "LOCATED_IN", "source": "h1", "target": "b1"},
    ...            {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2021-03-01"}])
    >>> G.contacts_of("h1", as_of="2024-01-01")
    ['m1']
    >>> G.contacts_of("h1", as_of="2020-01-01")
    []
    >>> G.areas_of("h1")
    ['b1']
    """

    def __init__(self, graph: nx.MultiDiGraph | None = None):
        self.nx = graph if graph is not None else nx.MultiDiGraph()

    # -- building -------------------------------------------------------------------------------------

    @classmethod
    def from_records(cls, nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]]) -> "OrgGraph":
        """A graph of these records: nodes as :meth:`Store.nodes <orggraph.store.Store.nodes>` gives
        them, edges as :meth:`Store.edges <orggraph.store.Store.edges>` does."""
        g = nx.MultiDiGraph()
        for node in nodes:
            attrs = dict(node)
            g.add_node(attrs.pop("id"), **attrs)
        for edge in edges:
            attrs = dict(edge)
            source, target = attrs.pop("source"), attrs.pop("target")
            g.add_edge(source, target, key=(attrs["type"], attrs.get("since") or ""), **attrs)
        return cls(g)

    @classmethod
    def from_store(cls, store: Store) -> "OrgGraph":
        """Read a whole store into memory (for a city of millions, ask the queries instead)."""
        return cls.from_records(store.nodes(), store.edges())

    def __repr__(self) -> str:
        return f"OrgGraph({self.nx.number_of_nodes()} nodes, {self.nx.number_of_edges()} edges)"

    # -- nodes ----------------------------------------------------------------------------------------

    def node(self, node_id: str) -> dict[str, Any]:
        """One node's record, as the store gives it; raises :class:`~orggraph.exceptions.NotFound` if none."""
        try:
            return {"id": node_id, **self.nx.nodes[node_id]}
        except KeyError:
            raise NotFound(f"no node with id {node_id!r}") from None

    def kind(self, node_id: str) -> str | None:
        """The kind of a node, or None for an id that names none."""
        data = self.nx.nodes.get(node_id)
        return data.get("kind") if data is not None else None

    def ids(self, kind: str) -> list[str]:
        """Every id of one kind, sorted."""
        return sorted(n for n, k in self.nx.nodes(data="kind") if k == kind)

    # -- edges ----------------------------------------------------------------------------------------

    def out_edges(self, node: str, type_: str, as_of: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(target, data) of each edge of one type leaving ``node``, valid on ``as_of`` when given."""
        for _, target, data in self.nx.out_edges(node, data=True):
            if data["type"] == type_ and (as_of is None or valid_on(data, as_of)):
                yield target, data

    def in_edges(self, node: str, type_: str, as_of: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(source, data) of each edge of one type arriving at ``node``, valid on ``as_of`` when given."""
        for source, _, data in self.nx.in_edges(node, data=True):
            if data["type"] == type_ and (as_of is None or valid_on(data, as_of)):
                yield source, data

    # -- territory ------------------------------------------------------------------------------------

    def areas_of(self, household: str, as_of: str | None = None) -> list[str]:
        """Every area a household is ``LOCATED_IN`` (on ``as_of`` when given, else on any day), sorted
        (none for a household not located)."""
        return sorted({t for t, _ in self.out_edges(household, "LOCATED_IN", as_of)})

    def parents(self, area: str, as_of: str | None = None) -> list[str]:
        """The areas an area is directly ``WITHIN`` (on ``as_of`` when given, else on any day), sorted."""
        return sorted({t for t, _ in self.out_edges(area, "WITHIN", as_of)})

    def ancestry(self, area: str, as_of: str | None = None) -> list[str]:
        """The area and every area above it along ``WITHIN`` (valid on ``as_of`` when given), nearest first."""
        order, seen, frontier = [], set(), [area]
        while frontier:
            nxt = []
            for a in frontier:
                if a in seen:
                    continue
                seen.add(a)
                order.append(a)
                nxt.extend(self.parents(a, as_of))
            frontier = nxt
        return order

    def areas_within(self, area: str, as_of: str | None = None) -> set[str]:
        """The area and every area transitively ``WITHIN`` it (on ``as_of`` when given)."""
        found, stack = {area}, [area]
        while stack:
            for child, _ in self.in_edges(stack.pop(), "WITHIN", as_of):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def households_in(self, area: str, as_of: str | None = None) -> list[str]:
        """Households located in the area or in any area within it (on ``as_of`` when given), sorted."""
        found = set()
        for a in self.areas_within(area, as_of):
            found.update(s for s, _ in self.in_edges(a, "LOCATED_IN", as_of))
        return sorted(found)

    # -- people ---------------------------------------------------------------------------------------

    def employers_of(self, member: str, as_of: str | None = None) -> list[str]:
        """Every unit a member is ``EMPLOYED_BY`` (on ``as_of`` when given), sorted."""
        return sorted({t for t, _ in self.out_edges(member, "EMPLOYED_BY", as_of)})

    def _available(self, member: str, unavailable: Collection[str]) -> bool:
        return member not in unavailable and self.nx.nodes[member].get("status") != "unavailable"

    def contacts_of(self, household: str, as_of: str | None = None, unavailable: Collection[str] = frozenset()) -> list[str]:
        """Available members with a ``CONTACTS`` edge to the household valid on ``as_of`` (default today),
        sorted: what :func:`orggraph.queries.contacts_of` answers."""
        day = as_of or today()
        return sorted({m for m, _ in self.in_edges(household, "CONTACTS", day) if self._available(m, unavailable)})

    def responsible_person(self, org: str, as_of: str | None = None, unavailable: Collection[str] = frozenset()) -> str | None:
        """The org's first available post holder on ``as_of`` (default today), by the rank of the posts
        in :data:`orggraph.model.POSTS` then by id: the person a chain names for the org."""
        day = as_of or today()
        holders = sorted({(POST_RANK.get(d.get("post"), len(POST_RANK)), m) for m, d in self.in_edges(org, "HOLDS_POST", day)})
        return next((m for _, m in holders if self._available(m, unavailable)), None)
