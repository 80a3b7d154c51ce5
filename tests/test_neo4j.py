"""The Neo4j connection: how it drives the official driver (unit tests), and a smoke test over Bolt."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import neo4j
import pytest

from orggraph.exceptions import StoreError, StoreUnavailable
from orggraph.queries import coverage, responsibility_chain
from orggraph.store import EmbeddedStore
from orggraph.store.server import Neo4jConnection, ServerStore, connect

from .conftest import STREET, items


class _Record:
    def __init__(self, values):
        self._values = values

    def values(self):
        return self._values

    def __getitem__(self, i):
        return self._values[i]


class _Result:
    def __init__(self, values):
        self._values = values

    def single(self):
        return _Record(self._values)

    def consume(self):
        return None


class _Transaction:
    def __init__(self, log, fail_on=None):
        self.log, self.fail_on = log, fail_on

    def run(self, cypher, params):
        self.log.append(("tx.run", cypher))
        if self.fail_on and self.fail_on in cypher:
            raise RuntimeError("server said no")
        return _Result([2])

    def commit(self):
        self.log.append(("commit",))

    def rollback(self):
        self.log.append(("rollback",))


class _Session:
    def __init__(self, log, database, fail_on):
        self.log, self.database, self.fail_on = log, database, fail_on

    def __enter__(self):
        self.log.append(("session", self.database))
        return self

    def __exit__(self, *exc):
        return False

    def begin_transaction(self):
        return _Transaction(self.log, self.fail_on)


class RecordingDriver:
    """Stands in for the driver only, to see what the connection asks of it; no store is tested here."""

    def __init__(self, fail_on=None, down=False):
        self.log: list[tuple] = []
        self.closed = False
        self.fail_on = fail_on
        self.down = down

    def execute_query(self, cypher, params=None, database_=None, routing_=None):
        self.log.append(("execute_query", cypher, database_, routing_))
        if self.down:
            raise neo4j.exceptions.ServiceUnavailable("Unable to retrieve routing information")
        return [_Record([1, "x"])], None, None

    def session(self, database=None):
        return _Session(self.log, database, self.fail_on)

    def close(self):
        self.closed = True


def test_every_call_names_its_database_and_reads_route_as_reads():
    driver = RecordingDriver()
    conn = Neo4jConnection(driver=driver, database="city")
    assert conn.read("MATCH (n) RETURN 1, 'x'") == [[1, "x"]]
    conn.write("CREATE (n)")
    assert driver.log == [
        ("execute_query", "MATCH (n) RETURN 1, 'x'", "city", neo4j.RoutingControl.READ),
        ("execute_query", "CREATE (n)", "city", neo4j.RoutingControl.WRITE),
    ]


def test_a_load_is_one_transaction_and_counts_what_it_wrote():
    driver = RecordingDriver()
    conn = Neo4jConnection(driver=driver, database="city")
    assert conn.write_all([("A", {}), ("B", {})]) == 4
    assert driver.log == [("session", "city"), ("tx.run", "A"), ("tx.run", "B"), ("commit",)]


def test_a_failed_statement_rolls_the_whole_load_back():
    driver = RecordingDriver(fail_on="B")
    conn = Neo4jConnection(driver=driver, database="city")
    with pytest.raises(RuntimeError, match="server said no"):
        conn.write_all([("A", {}), ("B", {}), ("C", {})])
    assert driver.log == [("session", "city"), ("tx.run", "A"), ("tx.run", "B"), ("rollback",)]


def test_a_server_out_of_reach_is_store_unavailable():
    """The API answers StoreUnavailable with a 503 and Retry-After, not a 500."""
    conn = Neo4jConnection(driver=RecordingDriver(down=True), database="city")
    for call in (conn.read, conn.write):
        with pytest.raises(StoreUnavailable, match="cannot reach Neo4j: Unable to retrieve routing information"):
            call("MATCH (n) RETURN n")


def test_an_injected_driver_is_left_open():
    driver = RecordingDriver()
    Neo4jConnection(driver=driver).close()
    assert driver.closed is False


def test_uris_choose_the_connection():
    with pytest.raises(StoreError, match="cannot reach Neo4j at bolt://127.0.0.1:1"):
        connect("bolt://127.0.0.1:1")
    with pytest.raises(StoreError, match="cannot reach FalkorDB at 127.0.0.1:1"):
        connect("falkordb://127.0.0.1:1")
    with pytest.raises(StoreError, match="unknown server"):
        connect("http://127.0.0.1:7474")


@pytest.fixture(scope="module")
def bolt_server():
    """FalkorDB with its experimental Bolt port, for the driver's smoke test."""
    from orggraph.store.local import LocalFalkorDB

    try:
        server = LocalFalkorDB(bolt=True)
    except StoreError as exc:
        pytest.fail(str(exc))
    yield server.bolt_uri
    server.stop()


def test_smoke_over_bolt(bolt_server, tmp_path):
    """The neo4j driver through Neo4jConnection, on FalkorDB's Bolt port: load a small network and ask.

    FalkorDB's Bolt port is experimental: one pooled connection with short timeouts (new connections
    sometimes hang until the driver's timeout, and the driver then retries), batches of two records
    (it cannot take much more than 4 KB of query and parameters), and no schema (it does not take
    Neo4j's constraint syntax). Real Neo4j needs none of this.
    """
    driver = neo4j.GraphDatabase.driver(bolt_server, auth=None, connection_timeout=3, max_connection_pool_size=1,
                                        connection_acquisition_timeout=10)
    try:
        store = ServerStore(Neo4jConnection(driver=driver, database=f"smoke_{uuid.uuid4().hex[:8]}", batch_size=2),
                            schema=False)
        report = store.load(items(STREET))
        assert (report.added_nodes, report.added_edges) == (15, 22)
        with EmbeddedStore(tmp_path / "e.db") as embedded:
            embedded.load(items(STREET))
            assert coverage(store, as_of="2026-11-23") == coverage(embedded, as_of="2026-11-23")
            assert responsibility_chain(store, "h1", as_of="2026-11-23") == responsibility_chain(
                embedded, "h1", as_of="2026-11-23")
    finally:
        driver.close()
