"""Neo4j: how the connection drives the official driver (unit tests), and what only a real Neo4j 5 shows
(its schema, one transaction a load, routing, its errors), on the session's Neo4j from tests/neo4j."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import neo4j
import pytest

from orggraph.exceptions import StoreError, StoreUnavailable
from orggraph.queries import coverage, responsibility_chain
from orggraph.store import EmbeddedStore
from orggraph.store.server import Neo4jConnection, connect

from .conftest import STREET, fresh_graph, items


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
    def __init__(self, log, database, fail_on, mode=None, down=False):
        self.log, self.database, self.fail_on, self.mode, self.down = log, database, fail_on, mode, down

    def __enter__(self):
        self.log.append(("session", self.database) if self.mode is None else ("session", self.database, self.mode))
        return self

    def run(self, cypher, params=None):
        self.log.append(("run", cypher))
        if self.down:
            raise neo4j.exceptions.ServiceUnavailable("Unable to retrieve routing information")
        return [_Record([1, "x"])]

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

    execute_query_bookmark_manager = object()  # shared by every session: a read sees the writes before it

    def session(self, database=None, default_access_mode=None, bookmark_manager=None):
        if default_access_mode is not None:
            assert bookmark_manager is self.execute_query_bookmark_manager
        return _Session(self.log, database, self.fail_on, default_access_mode, self.down)

    def close(self):
        self.closed = True


def test_every_call_names_its_database_and_reads_route_as_reads():
    driver = RecordingDriver()
    conn = Neo4jConnection(driver=driver, database="city")
    assert conn.read("MATCH (n) RETURN 1, 'x'") == [[1, "x"]]
    conn.write("CREATE (n)")
    assert driver.log == [
        ("session", "city", neo4j.READ_ACCESS), ("run", "MATCH (n) RETURN 1, 'x'"),
        ("session", "city", neo4j.WRITE_ACCESS), ("run", "CREATE (n)"),
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


# -- what only a real Neo4j shows -------------------------------------------------------------------------


@pytest.fixture
def neo4j_store(neo4j_server):
    with fresh_graph(neo4j_server, batch_size=7) as store:
        yield store


def test_a_second_record_with_an_id_taken_is_refused_by_the_server(neo4j_store):
    """A write around orggraph that breaks a constraint is the server's error, named as orggraph's."""
    neo4j_store.load(items(STREET))
    with pytest.raises(StoreError, match="id it names is taken: a node already exists with label `Area` and "
                                         "property `id` = 's1'"):
        neo4j_store.conn.write("CREATE (:Area {id: 's1'})")


def test_a_statement_that_fails_half_way_leaves_the_graph_as_it_was(neo4j_store):
    """The writes of a load run in one transaction on Neo4j: when a later statement fails, the earlier
    ones are undone."""
    neo4j_store.load(items(STREET))
    before = (neo4j_store.counts(), neo4j_store.revision)
    with pytest.raises(StoreError):
        neo4j_store.conn.write_all([("CREATE (:Area {id: 'a-new', name: 'x'}) RETURN 1", {}),
                                    ("UNWIND [1, 0] AS x RETURN 1 / x", {})])
    assert (neo4j_store.counts(), neo4j_store.revision) == before
    assert neo4j_store.conn.read("MATCH (a:Area {id: 'a-new'}) RETURN a") == []


def test_the_revision_is_raised_in_the_write_s_own_transaction(neo4j_store):
    """A write and the rise of its revision commit together: if raising it fails, the write is undone
    too, and a cache kept by revision can never hold records the revision does not name."""
    from orggraph.store.server.connection import statement

    neo4j_store.load(items(STREET))
    before = (neo4j_store.counts(), neo4j_store.revision)
    with pytest.raises(StoreError):
        neo4j_store.conn.write_all([("CREATE (:Area {id: 'a-new', name: 'x'}) RETURN 1", {})],
                                   bump=("UNWIND [0] AS x RETURN 1 / x", {}))
    assert (neo4j_store.counts(), neo4j_store.revision) == before
    assert neo4j_store.conn.write_all([("CREATE (:Area {id: 'a-new', name: 'x'}) RETURN 1", {})],
                                      bump=(statement("meta_bump"), {})) == 1
    assert neo4j_store.revision == before[1] + 1
    assert neo4j_store.conn.write_all([("MATCH (a:Area {id: 'a-new'}) RETURN 0", {})],
                                      bump=(statement("meta_bump"), {})) == 0
    assert neo4j_store.revision == before[1] + 1  # nothing written: the revision stays


def test_a_load_killed_half_way_leaves_the_graph_as_it_was(neo4j_server, tmp_path):
    """`orggraph load` of a city, its process killed while it writes: Neo4j rolls the open transaction back."""
    from .conftest import run_cli

    with fresh_graph(neo4j_server, batch_size=5000) as store:
        store.load(items(STREET))
        before = (store.counts(), store.revision)
        assert run_cli("generate", "--households", "30000", "--seed", "5", "city.jsonl", cwd=tmp_path).returncode == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORGGRAPH_")}
        env.update({"ORGGRAPH_SERVER": neo4j_server, "ORGGRAPH_DATABASE": "neo4j"})
        process = subprocess.Popen([sys.executable, "-m", "orggraph", "load", "city.jsonl"], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:  # wait until it writes: the server is busy
            running = store.conn.read("SHOW TRANSACTIONS YIELD currentQuery, status "
                                      "WHERE currentQuery CONTAINS 'UNWIND $rows' RETURN count(*)")
            if running and running[0][0]:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the load ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(1)  # the server notices the closed connection and rolls back
        assert (store.counts(), store.revision) == before


def test_neo4j_routing_on_a_single_server(neo4j_server, tmp_path):
    """neo4j:// (routing) reaches a single server as bolt:// does, and answers the same."""
    with fresh_graph(neo4j_server, batch_size=7) as store:
        store.load(items(STREET))
        routed = connect(neo4j_server.replace("bolt://", "neo4j://"), database="neo4j")
        with EmbeddedStore(tmp_path / "e.db") as embedded:
            embedded.load(items(STREET))
            assert coverage(routed, as_of="2026-11-23") == coverage(embedded, as_of="2026-11-23")
            assert responsibility_chain(routed, "h1", as_of="2026-11-23") == responsibility_chain(
                embedded, "h1", as_of="2026-11-23")
        routed.close()


def test_a_database_that_does_not_exist_is_named(neo4j_server):
    """Community holds one user database: asking for another says so, at once."""
    with pytest.raises(StoreError, match="city2"):
        connect(neo4j_server, database="city2")


@pytest.fixture(scope="module")
def neo4j_with_a_password():
    from orggraph.store.local import LocalNeo4j

    try:
        server = LocalNeo4j(password="orggraph-test-secret")
    except StoreError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


def test_credentials_are_checked(neo4j_with_a_password):
    """With authentication on: the right password connects; a wrong one, or none, is a StoreError that
    says authentication failed and never shows the password."""
    uri = neo4j_with_a_password.uri
    with connect(uri, user="neo4j", password="orggraph-test-secret") as store:
        assert store.counts() == {"nodes": {}, "edges": {}}
    for password in ("wrong-secret", None):
        with pytest.raises(StoreError, match="(?i)unauthorized|authentication") as caught:
            connect(uri, user="neo4j" if password else None, password=password)
        assert "orggraph-test-secret" not in str(caught.value) and "wrong-secret" not in str(caught.value)


def test_serve_stops_in_one_line_on_wrong_credentials_or_a_database_that_does_not_exist(
        neo4j_server, neo4j_with_a_password, tmp_path):
    """`orggraph serve` on a Neo4j that refuses its credentials, or asked for a database Community does
    not hold: a mistake in the settings, which no wait mends: exit 1, one line on stderr, no traceback and
    no password."""
    from .conftest import run_cli

    for args, said in ((("--server", neo4j_with_a_password.uri, "--user", "neo4j", "--password", "wrong-secret"),
                        "refused the credentials of user 'neo4j'"),
                       (("--server", neo4j_server, "--database", "city2"), "city2")):
        result = run_cli("serve", "--port", "1", *args, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("orggraph: cannot serve: ") and said in lines[0], result.stderr
        assert "wrong-secret" not in result.stderr and "orggraph-test-secret" not in result.stderr


def test_a_password_without_a_user_is_for_the_user_neo4j(neo4j_with_a_password, tmp_path):
    """Neo4j's default user, ``neo4j``, is the one a password given alone is for: from Python and from the
    command line (``ORGGRAPH_PASSWORD`` without ``--user``); a wrong one is refused for that user."""
    from .conftest import run_cli

    uri = neo4j_with_a_password.uri
    with connect(uri, password="orggraph-test-secret") as store:
        assert store.counts() == {"nodes": {}, "edges": {}}
    result = run_cli("coverage", "--server", uri, "--database", "neo4j", "--json", cwd=tmp_path,
                     env={"ORGGRAPH_PASSWORD": "orggraph-test-secret"})
    assert result.returncode == 0, result.stderr
    with pytest.raises(StoreError, match="user 'neo4j'") as caught:
        connect(uri, password="wrong-secret")
    assert "wrong-secret" not in str(caught.value)


def test_a_statement_undone_as_a_deadlock_is_tried_again(neo4j_store):
    """Two transactions locking two nodes in opposite orders: Neo4j undoes one as a deadlock. The
    statement of its own (as the schema and the meta node are made on a first connect, which two
    processes may do at once) is tried again, and succeeds once the other transaction is done."""
    import threading

    import neo4j

    neo4j_store.conn.write("CREATE (:Area {id: 'dl-a', name: 'a'}), (:Area {id: 'dl-b', name: 'b'})")
    driver = neo4j_store.conn._driver
    outcome: list = []
    with driver.session(database="neo4j") as session:
        tx = session.begin_transaction()
        tx.run("MATCH (a:Area {id: 'dl-a'}) SET a.name = 'tx'").consume()  # holds dl-a

        def other() -> None:
            try:  # takes dl-b, then waits for dl-a
                outcome.append(neo4j_store.conn.write(
                    "MATCH (b:Area {id: 'dl-b'}) SET b.name = 'auto' WITH b MATCH (a:Area {id: 'dl-a'}) "
                    "SET a.name = 'auto' RETURN 1"))
            except Exception as exc:  # noqa: BLE001 - reported below
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(1.0)
        try:
            tx.run("MATCH (b:Area {id: 'dl-b'}) SET b.name = 'tx'").consume()  # one of the two is a deadlock
            tx.commit()
        except neo4j.exceptions.TransientError:
            tx.rollback()
        thread.join(30)
    assert outcome == [[[1]]], outcome
    assert neo4j_store.conn.read("MATCH (a:Area {id: 'dl-a'}) RETURN a.name") == [["auto"]]
