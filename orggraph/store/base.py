"""The store protocol every backend implements."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Protocol, runtime_checkable

from ..load import Item, LoadReport

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """A place that holds one network: the embedded file store, or a graph server.

    Nodes come back as dicts with ``id``, ``kind`` and their properties; edges as dicts with ``type``,
    ``source``, ``target``, ``since``/``until`` when set, and their properties.
    """

    #: a number that grows with every change, so derived indexes know when they are stale
    revision: int

    def load(self, items: Iterable[Item], *, batch_size: int | None = None, max_errors: int = 100) -> LoadReport:
        """Add records, all or nothing; loading the same records twice changes nothing."""
        ...

    def node(self, node_id: str) -> dict[str, Any]:
        """One node; raises :class:`~orggraph.exceptions.NotFound` if there is none."""
        ...

    def nodes(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Every node (of one kind), sorted by id."""
        ...

    def edges(self, type_: str | None = None) -> Iterator[dict[str, Any]]:
        """Every edge (of one type), sorted by type, source, target and since."""
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {kind: n}, "edges": {type: n}}`` for what the store holds."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> "Store": ...

    def __exit__(self, *exc: object) -> None: ...
