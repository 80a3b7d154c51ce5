"""Shared fixtures: real stores in temporary folders and a small hand-built street."""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from orggraph.store import EmbeddedStore

# A street with one community, one grid, one building and three households; written out by hand.
STREET = {
    "nodes": [
        {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"},
        {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"},
        {"id": "g1", "kind": "Area", "name": "桂花社区第1网格", "level": "grid"},
        {"id": "b1", "kind": "Area", "name": "桂花社区1号楼", "level": "building"},
        {"id": "o-s1", "kind": "Org", "name": "江滨街道大工委", "level": "street"},
        {"id": "o-c1", "kind": "Org", "name": "桂花社区大党委", "level": "community"},
        {"id": "o-g1", "kind": "Org", "name": "第1网格党支部", "level": "grid", "status": "weak_lax"},
        {"id": "u1", "kind": "Unit", "name": "云河市财政局", "category": "agency"},
        {"id": "o-u1", "kind": "Org", "name": "财政局机关党支部", "level": "unit"},
        {"id": "m1", "kind": "Member", "name": "王芳", "phone": "13800001111", "category": "in_service"},
        {"id": "m2", "kind": "Member", "name": "李强", "phone": "0716-7654321", "category": "resident"},
        {"id": "m3", "kind": "Member", "name": "张伟", "status": "unavailable"},
        {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "people": 3, "phone": "13900002222"},
        {"id": "h2", "kind": "Household", "address": "桂花社区1号楼1单元102室", "flags": ["elderly_alone"]},
        {"id": "h3", "kind": "Household", "address": "桂花社区1号楼1单元201室", "people": 2, "note": "二楼东户"},
    ],
    "edges": [
        {"type": "WITHIN", "source": "c1", "target": "s1"},
        {"type": "WITHIN", "source": "g1", "target": "c1"},
        {"type": "WITHIN", "source": "b1", "target": "g1"},
        {"type": "SUBORDINATE_TO", "source": "o-c1", "target": "o-s1"},
        {"type": "SUBORDINATE_TO", "source": "o-g1", "target": "o-c1"},
        {"type": "GOVERNS", "source": "o-s1", "target": "s1", "since": "2021-03-01"},
        {"type": "GOVERNS", "source": "o-c1", "target": "c1", "since": "2021-03-01"},
        {"type": "GOVERNS", "source": "o-g1", "target": "g1", "since": "2021-03-01"},
        {"type": "LOCATED_IN", "source": "h1", "target": "b1"},
        {"type": "LOCATED_IN", "source": "h2", "target": "b1"},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1"},
        {"type": "HOLDS_POST", "source": "m2", "target": "o-g1", "post": "secretary", "since": "2021-03-01"},
        {"type": "MEMBER_OF", "source": "m2", "target": "o-g1", "since": "2021-03-01"},
        {"type": "ASSIGNED_TO", "source": "m2", "target": "b1", "role": "building_leader"},
        {"type": "EMPLOYED_BY", "source": "m1", "target": "u1"},
        {"type": "OF_UNIT", "source": "o-u1", "target": "u1"},
        {"type": "SUNK_TO", "source": "m1", "target": "o-c1", "since": "2022-03-01"},
        {"type": "CO_BUILDS", "source": "u1", "target": "o-c1", "kind": "co_building", "items": 2, "since": "2021-06-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2022-03-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2022-03-01", "until": "2023-12-31"},
        {"type": "CONTACTS", "source": "m3", "target": "h2", "since": "2024-01-01"},
        {"type": "RESIDES_IN", "source": "m2", "target": "h3"},
    ],
}


def street() -> dict:
    """A fresh deep copy of the hand-built street, for a test to change."""
    return copy.deepcopy(STREET)


def items(doc: dict) -> list:
    """A document's records as the items a store's load takes."""
    from orggraph.io.jsonio import items_from_document

    return list(items_from_document(doc))


def snapshot(store) -> tuple:
    """Everything a store holds, to compare before and after."""
    return list(store.nodes()), list(store.edges()), store.revision


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the tests on Neo4j as one group, so that a spread run (``make test``: two workers) runs them
    on one worker and one session Neo4j (one JVM, not two, on a 2-core machine: the whole run 8 to 9.5
    min, not 10.3). pytest 9.2 keeps a node's id where pytest-xdist 3.8 does not write the group (its issue
    #1386), so the group is written into the id here, on the workers, where xdist would. Each test
    still empties Community's one user database first, so the tests stay apart however they are spread."""
    grouped = config.pluginmanager.hasplugin("xdist") and bool(config.getoption("loadgroup", False)) \
        and bool(items) and hasattr(items[0], "_id")
    for item in items:
        params = getattr(item, "callspec", None)
        if "neo4j_server" in item.fixturenames or (params is not None and "neo4j" in params.params.values()):
            item.add_marker(pytest.mark.xdist_group("neo4j"))
        group = item.get_closest_marker("xdist_group")  # the browser tests too: one served city, one Chromium
        name = group.args[0] if group is not None and group.args else None
        if name and grouped and getattr(config, "workerinput", None) is not None and not item.nodeid.endswith(f"@{name}"):
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(f"{item.nodeid}@{name}")


#: the graph servers every server test runs on, beside the embedded store
SERVERS = ("falkordb", "neo4j")
#: every backend: the question, store, validation and API tests run on each
BACKENDS = ("embedded", *SERVERS)


def _started(server_class):
    """A server started for the session; the tests that need one fail, saying why, if it cannot start."""
    from orggraph.exceptions import StoreError

    try:
        return server_class()
    except StoreError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def falkordb_server():
    """A real FalkorDB server for the session: redis-server with the module, on a free loopback port.
    The server tests must run, not skip."""
    from orggraph.store.local import LocalFalkorDB

    server = _started(LocalFalkorDB)
    yield server.uri
    server.stop()  # by its pid


@pytest.fixture(scope="session")
def neo4j_server():
    """A real Neo4j 5 Community for the session, from its test harness (tests/neo4j, built by `make`),
    on a free loopback port."""
    from orggraph.store.local import LocalNeo4j

    server = _started(LocalNeo4j)
    yield server.uri
    server.stop()  # by its pid


@contextlib.contextmanager
def fresh_graph(server: str, batch_size: int) -> Iterator:
    """A store on a fresh graph of its own on a graph server, writing ``batch_size`` records a statement.

    On FalkorDB a graph of its own name, deleted afterwards. Neo4j Community holds one user database
    (``neo4j``): the store is that database, emptied before and after (the tests run one at a time).
    """
    from orggraph.store.server import connect

    if not server.startswith("falkordb://"):
        with _neo4j_graph(server, batch_size) as store:
            yield store
        return
    store = connect(f"{server}/test_{uuid.uuid4().hex[:12]}", batch_size=batch_size)
    try:
        yield store
    finally:
        store.drop()
        store.close()


_NEO4J_DRIVERS: dict[str, object] = {}  # one driver a server for the session, as an application keeps one
_NEO4J_SCHEMA: set[str] = set()  # the servers whose schema a test graph has made
_NEO4J_EMPTIED: dict[str, int] = {}  # how many times each server's database has been emptied


@contextlib.contextmanager
def _neo4j_graph(server: str, batch_size: int) -> Iterator:
    """The Neo4j database emptied for a test, over the session's driver; the schema is made on the first."""
    from orggraph.store.server import ServerStore

    conn = empty_neo4j(server, batch_size)
    store = ServerStore(conn, schema=server not in _NEO4J_SCHEMA)  # the constraints stay; the revision starts again
    _NEO4J_SCHEMA.add(server)
    try:
        yield store
    finally:
        store.close()  # the driver is the session's: left open


def empty_neo4j(server: str, batch_size: int = 5000):
    """Empty the one user database of a Neo4j Community (``neo4j``) over the session's driver, for a test
    that writes to it through a process of its own; returns the connection, to the database."""
    import neo4j

    from orggraph.store.server import Neo4jConnection
    from orggraph.store.server.connection import statement

    if server not in _NEO4J_DRIVERS:
        _NEO4J_DRIVERS[server] = neo4j.GraphDatabase.driver(server, auth=None, notifications_min_severity="OFF")
    conn = Neo4jConnection(driver=_NEO4J_DRIVERS[server], database="neo4j", batch_size=batch_size)
    conn.write(statement("clear"))
    _NEO4J_EMPTIED[server] = _NEO4J_EMPTIED.get(server, 0) + 1
    return conn


def server_of(request, backend: str) -> str:
    """The URI of the session's server of one backend (``falkordb`` or ``neo4j``)."""
    return request.getfixturevalue(f"{backend}_server")


@pytest.fixture(params=SERVERS)
def graph_server(request) -> str:
    """Each test that takes a graph server runs once on FalkorDB and once on Neo4j."""
    return server_of(request, request.param)


@pytest.fixture
def server_store(graph_server):
    """A fresh graph of its own on each server, in small batches so that every path of a load is
    exercised; deleted afterwards."""
    with fresh_graph(graph_server, batch_size=7) as store:
        yield store


@pytest.fixture
def big_server_store(graph_server):
    """The same, in batches of 2,000, for the tests that load a generated city."""
    with fresh_graph(graph_server, batch_size=2000) as store:
        yield store


@contextlib.contextmanager
def backend_store(request, backend: str, folder: Path, batch_size: int = 7) -> Iterator:
    """A fresh store of one backend: a file in ``folder``, or a graph of its own on the session's server."""
    if backend == "embedded":
        with EmbeddedStore(folder / "city.db") as s:
            yield s
    else:
        with fresh_graph(server_of(request, backend), batch_size) as s:
            yield s


def _edge_key(edge: dict) -> tuple:
    return edge["type"], edge["source"], edge["target"], edge.get("since")


class LoadedOnce:
    """A store of one backend loaded once with ``records`` for the tests of a module, each of which finds
    it exactly as loaded (:meth:`as_loaded`, before and after each test): what a test wrote (its revision
    moved) is undone record by record and the whole store compared with what was loaded; if another test
    emptied it meanwhile (Neo4j Community's one database), it is loaded again."""

    def __init__(self, request, backend: str, folder: Path, records: list, batch_size: int):
        self._request, self.backend, self._folder = request, backend, folder
        self._records, self._batch_size = records, batch_size
        self._stack = contextlib.ExitStack()
        self.loads = self.undone = 0  # how many times it was loaded, and written to and put back
        self._load()

    def _server(self) -> str | None:
        return None if self.backend == "embedded" else server_of(self._request, self.backend)

    def _emptied(self) -> int:
        return _NEO4J_EMPTIED.get(self._server(), 0) if self.backend == "neo4j" else 0

    def _load(self) -> None:
        self._stack.close()
        self.loads += 1
        folder = self._folder / f"{self.backend}-{self.loads}"
        folder.mkdir(parents=True)
        self.store = self._stack.enter_context(backend_store(self._request, self.backend, folder, self._batch_size))
        self.store.load(self._records)
        self._at = self._emptied()
        self._nodes = list(self.store.nodes())
        self._edges = list(self.store.edges())
        self._counts = self.store.counts()
        self.revision = self.store.revision

    def as_loaded(self) -> None:
        """Make the store hold exactly what was loaded, and say so."""
        if self._emptied() != self._at:  # another test emptied the database and wrote its own
            self._load()
            return
        if self.store.revision == self.revision and self.store.counts() == self._counts:
            return
        self.undone += 1
        self._undo()
        nodes, edges = list(self.store.nodes()), list(self.store.edges())
        assert nodes == self._nodes and edges == self._edges, "the shared store could not be put back as loaded"
        self.revision = self.store.revision

    def _undo(self) -> None:
        loaded_nodes = {n["id"]: n for n in self._nodes}
        loaded_edges = {_edge_key(e): e for e in self._edges}
        nodes = {n["id"]: n for n in self.store.nodes()}
        wrong = sorted(i for i, n in nodes.items() if loaded_nodes.get(i) != n)  # added or changed
        if wrong:
            self.store.delete(nodes=wrong)  # with every edge from or to them
        edges = {_edge_key(e): e for e in self.store.edges()}
        extra = [k for k, e in edges.items() if loaded_edges.get(k) != e]  # added or changed
        if extra:
            self.store.delete(edges=[{"type": t, "source": s, "target": d, **({"since": since} if since else {})}
                                     for t, s, d, since in extra])
        kept = edges.keys() - set(extra)
        missing = [("node", f"node {i}", n) for i, n in loaded_nodes.items() if nodes.get(i) != n or i in wrong]
        missing += [("edge", f"edge {k}", e) for k, e in loaded_edges.items() if k not in kept]
        if missing:
            self.store.load(missing)

    def close(self) -> None:
        self._stack.close()


@contextlib.contextmanager
def loaded_once(request, backend: str, folder: Path, records: list, batch_size: int = 2000) -> Iterator[LoadedOnce]:
    shared = LoadedOnce(request, backend, folder, records, batch_size)
    try:
        yield shared
    finally:
        shared.close()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path: Path):
    """Each test that takes a store runs on the embedded store, on FalkorDB and on Neo4j."""
    with backend_store(request, request.param, tmp_path) as s:
        yield s


@pytest.fixture
def embedded(tmp_path: Path):
    with EmbeddedStore(tmp_path / "city.db") as s:
        yield s


@pytest.fixture
def loaded(store):
    store.load(items(STREET))
    return store


def run_cli(*args: str, cwd: Path, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real command in a subprocess, from ``cwd``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ORGGRAPH_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "orggraph", *args],
        cwd=cwd, env=full_env, input=input, capture_output=True, text=True, timeout=300,
    )


def cli(*args: str, cwd):
    """The command in this process (as the real one: its exit code, stdout and stderr), from ``cwd``."""
    from typer.testing import CliRunner

    from orggraph.cli import app

    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), prog_name="orggraph", catch_exceptions=False)
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@contextlib.contextmanager
def served(*args: str, cwd: Path, env: dict | None = None, seconds: float = 60) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``orggraph serve`` on a free loopback port, from ``cwd``, once ``/health`` answers (a 503 too:
    the API serves while its store cannot be reached): yields its URL and process; on leaving, stops it
    and keeps what it printed (its log) in ``process.log``."""
    from orggraph.store.local import free_port

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ORGGRAPH_")}
    full_env.update(env or {})
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "orggraph", "serve", "--port", str(port), *args], cwd=cwd,
                               env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            assert process.poll() is None, f"orggraph serve stopped: {process.stdout.read()}"
            try:
                urllib.request.urlopen(url + "/health", timeout=5).read()
                break
            except urllib.error.HTTPError:  # it answers: with a 503 while its store cannot be reached
                break
            except OSError:
                assert time.monotonic() < deadline, f"orggraph serve did not answer within {seconds:g} s"
                time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.log = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:  # it would not stop: killed, so that no test leaves one behind
            process.kill()
            process.log = process.communicate()[0]
            raise


# -- the web workbench in a real browser ---------------------------------------------------------------------

#: Debian's Chromium (`apt-get install chromium`; .ci/run installs it): Playwright drives it as it is, no
#: browser download (none can be made where the tests run)
CHROMIUM = os.environ.get("ORGGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: where the browser tests leave their screenshots (kept out of git): one a page and a width
SCREENS = Path(__file__).resolve().parent.parent / "build" / "screens"


class Workbench:
    """A real ``orggraph serve`` over the sample street (``orggraph demo``) on loopback, and tokens:
    ``editor`` (the street, no pii), ``viewer`` (community s001c1, no pii), ``pii`` (s001c1, with pii),
    ``other`` (an editor of community s001c2)."""

    def __init__(self, url: str, db: Path, tokens: dict[str, str], process: subprocess.Popen):
        self.url, self.db, self.tokens, self.process = url, db, tokens, process


@pytest.fixture(scope="session")
def workbench(tmp_path_factory) -> Iterator[Workbench]:
    from orggraph.access import create_token

    folder = tmp_path_factory.mktemp("workbench")
    db = folder / "city.db"
    assert cli("demo", "--db", str(db), cwd=folder).returncode == 0
    store = EmbeddedStore(str(db))
    try:
        tokens = {"editor": create_token(store, "editor", ["s001"])[0],
                  "viewer": create_token(store, "viewer", ["s001c1"])[0],
                  "pii": create_token(store, "viewer", ["s001c1"], pii=True)[0],
                  "other": create_token(store, "editor", ["s001c2"])[0]}
    finally:
        store.close()
    with served("--db", str(db), cwd=folder) as (url, process):
        yield Workbench(url, db, tokens, process)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """Chromium, headless, for the session. Missing, it fails (never skips): the browser tests must run."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does), "
                                     "or name it in $ORGGRAPH_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


#: the two widths every page is looked at: a phone's and an office screen's
WIDTHS = {"phone": 375, "office": 1280}


def signed_in(chromium, workbench: Workbench, who: str, width: str = "office"):
    """A new browser page of its own (no cookie shared with another), signed in with ``who``'s token
    through the sign-in form, as a person would."""
    context = chromium.new_context(viewport={"width": WIDTHS[width], "height": 900}, locale="zh-CN",
                                   base_url=workbench.url)
    page = context.new_page()
    page.goto("/login")
    page.fill("#token", workbench.tokens[who])
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def screenshots(page, name: str) -> None:
    """Keep what the page looks like at each width (build/screens/NAME-WIDTH.png), then go back to the
    width it had: a flow tried at one width is looked at on both."""
    was = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": WIDTHS[width], "height": 900})
        screenshot(page, name, width)
    page.set_viewport_size(was)


def screenshot(page, name: str, width: str) -> Path:
    """Keep what the page looks like now, whole, as build/screens/NAME-WIDTH.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
