"""Stores: where the network is kept."""

from __future__ import annotations

import os

from .base import Store
from .embedded import EmbeddedStore

__all__ = ["Store", "EmbeddedStore", "open_store", "DEFAULT_DB"]

DEFAULT_DB = "orggraph.db"


def open_store(db: str | os.PathLike[str] | None = None) -> Store:
    """Open the embedded store at ``db``, else ``$ORGGRAPH_DB``, else ``orggraph.db``.

    Examples
    --------
    >>> import tempfile, os
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "x.db"))
    >>> store.counts()
    {'nodes': {}, 'edges': {}}
    >>> store.close()
    """
    path = db or os.environ.get("ORGGRAPH_DB") or DEFAULT_DB
    return EmbeddedStore(path)
