"""Stores: where the network is kept."""

from __future__ import annotations

import os

from ..exceptions import StoreNotFound
from .base import Store
from .embedded import EmbeddedStore

__all__ = ["Store", "EmbeddedStore", "open_store", "DEFAULT_DB"]

DEFAULT_DB = "orggraph.db"


def open_store(
    db: str | os.PathLike[str] | None = None,
    *,
    server: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    create: bool = True,
    wait: float | None = None,
) -> Store:
    """Open a store: a graph server if one is named (``server``, else ``$ORGGRAPH_SERVER``), otherwise
    the embedded store at ``db``, else ``$ORGGRAPH_DB``, else ``orggraph.db``. A server wins over ``db``.
    ``wait`` is how many seconds a write waits for another writer (the embedded store's write lock, a
    server store's write lease) before it gives up with :class:`~orggraph.exceptions.StoreBusy`
    (default: the store's, 30).

    Server credentials come from the arguments or ``$ORGGRAPH_USER``, ``$ORGGRAPH_PASSWORD`` and
    ``$ORGGRAPH_DATABASE``. With ``create=False`` a missing embedded store raises
    :class:`~orggraph.exceptions.StoreNotFound` instead of being made empty, for commands that only read.

    Examples
    --------
    >>> import tempfile, os
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "x.db"))
    >>> store.counts()
    {'nodes': {}, 'edges': {}}
    >>> store.close()
    """
    server = server or os.environ.get("ORGGRAPH_SERVER")
    if server:
        from .server import connect

        store = connect(
            server,
            user=user or os.environ.get("ORGGRAPH_USER"),
            password=password or os.environ.get("ORGGRAPH_PASSWORD"),
            database=database or os.environ.get("ORGGRAPH_DATABASE"),
        )
        if wait is not None:
            store.wait = wait
        return store
    path = db or os.environ.get("ORGGRAPH_DB") or DEFAULT_DB
    if not create and not os.path.exists(path):
        raise StoreNotFound(f"no store at {path}; load a file into it first, or name another with --db")
    return EmbeddedStore(path) if wait is None else EmbeddedStore(path, wait=wait)
