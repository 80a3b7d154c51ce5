"""The server backend: the network on a graph server (Neo4j through its driver, or FalkorDB).

:mod:`.connection` talks to the server, :mod:`.store` keeps the records (the store protocol), and
:mod:`.facts` finds the facts the questions ask (:class:`orggraph.facts.Facts`), all in the Cypher of
``cypher/``, loaded by name with :func:`statement`.
"""

from __future__ import annotations

from .connection import Connection, FalkorConnection, Neo4jConnection, connect, statement
from .facts import ServerFacts
from .store import LEASE_SECONDS, ServerStore

__all__ = ["Connection", "FalkorConnection", "Neo4jConnection", "ServerStore", "ServerFacts", "LEASE_SECONDS", "connect",
           "statement"]
