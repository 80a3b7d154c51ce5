"""The server backend: parity with the embedded store on a generated city, the Cypher files, the CLI."""

from __future__ import annotations

import ast
import json
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from orggraph import cypher
from orggraph.generate import generate_city
from orggraph.model import EDGE_TYPES, NODE_KINDS, POSTS
from orggraph.queries import coverage, gaps, incident, responsibility_chain, uncovered_households
from orggraph.store import EmbeddedStore

from .conftest import SERVERS, loaded_once, run_cli

ROOT = Path(__file__).resolve().parent.parent
DAYS = ["2020-08-01", "2026-11-23"]


@pytest.fixture(scope="module")
def city_records():
    records, _ = generate_city(households=1500, seed=21)
    return [(what, f"record {i}", r) for i, (what, r) in enumerate(records)]


@pytest.fixture(scope="module", params=SERVERS)
def loaded_pair(request, city_records, tmp_path_factory):
    """The same generated city on the embedded store and on each graph server, loaded once for the module."""
    folder = tmp_path_factory.mktemp("pair")
    with loaded_once(request, "embedded", folder, city_records) as embedded, \
            loaded_once(request, request.param, folder, city_records) as server:
        yield embedded, server


@pytest.fixture
def pair(loaded_pair):
    """The city on the embedded store and on a graph server, each exactly as loaded."""
    for shared in loaded_pair:
        shared.as_loaded()
    yield tuple(shared.store for shared in loaded_pair)
    for shared in loaded_pair:
        shared.as_loaded()


def test_reading_the_whole_graph_page_by_page(pair):
    embedded, server = pair
    # small pages, so that the paging by key is exercised: every record once, in the embedded store's order
    assert list(server.nodes(page=7)) == list(embedded.nodes())
    assert list(server.edges(page=7)) == list(embedded.edges())
    assert list(server.edges("CONTACTS", page=3)) == list(embedded.edges("CONTACTS"))


@pytest.mark.parametrize("day", DAYS)
def test_parity_on_a_generated_city(pair, day):
    embedded, server = pair
    assert list(server.nodes()) == list(embedded.nodes())
    assert list(server.edges()) == list(embedded.edges())
    gone = [m["id"] for m in embedded.nodes("Member")][::9]
    for unavailable in ([], gone):
        assert coverage(server, as_of=day, unavailable=unavailable) == coverage(embedded, as_of=day, unavailable=unavailable)
        assert gaps(server, as_of=day, unavailable=unavailable, spof=5) == gaps(embedded, as_of=day, unavailable=unavailable, spof=5)
    assert coverage(server, as_of=day, area="s001c1") == coverage(embedded, as_of=day, area="s001c1")
    assert uncovered_households(server, as_of=day, area="s001c1g03") == uncovered_households(embedded, as_of=day, area="s001c1g03")
    households = [h["id"] for h in embedded.nodes("Household")]
    for household in random.Random(3).sample(households, 40):
        assert responsibility_chain(server, household, as_of=day) == responsibility_chain(embedded, household, as_of=day)
        assert responsibility_chain(server, household, as_of=day, unavailable=gone) == responsibility_chain(
            embedded, household, as_of=day, unavailable=gone)
    grids = ["s001c1g01", "s001c1g02"]
    assert incident(server, grids, as_of=day) == incident(embedded, grids, as_of=day)


def test_the_index_read_from_the_server_is_the_embedded_one(pair):
    """The index read from a server is the embedded one, edge for edge; a token's scope is the same on both."""
    from orggraph.access import roots, scope_of

    embedded, server = pair
    a, b = server.index(), embedded.index()
    assert a.ids == b.ids and (a.kinds == b.kinds).all()
    for type_, edges in b.edges.items():
        for field in ("source", "target", "since", "until"):
            assert (getattr(a.edges[type_], field) == getattr(edges, field)).all(), (type_, field)
    for areas in (["s001c1"], ["s001c1g02", "s001c1g05"], ["s001"]):  # worked out in Cypher on the server
        assert scope_of(server, areas) == scope_of(embedded, areas), areas
    named = ["s001", "s001c1", "s001c1g02", "s001c1g05"]
    assert roots(server, named) == roots(embedded, named) == ["s001"]
    assert roots(server, named[2:]) == roots(embedded, named[2:]) == ["s001c1g02", "s001c1g05"]
    assert roots(server, named[1:3]) == roots(embedded, named[1:3]) == ["s001c1"]


DIALECTS = ("neo4j", "falkordb")
# what a Cypher statement opens or is made of, to find any left in the Python
CYPHER_IN_PYTHON = re.compile(r"\b(MATCH|MERGE|UNWIND|DETACH DELETE)\b[^\"']*[(\$]")


def statements_named_in(source: str) -> set[str]:
    """The Cypher files the code names: the first argument of every call to ``statement`` or a facts'
    ``_read``, a string literal, or an f-string ``"NAME.{dialect}"`` naming one file a dialect."""
    named = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if func not in ("statement", "_read"):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            named.add(first.value)
        elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
            named |= {f"{first.values[0].value}{d}" for d in DIALECTS}
    return named


def test_every_cypher_file_is_named_in_the_code_and_every_name_resolves():
    sources = {p: p.read_text(encoding="utf-8") for p in (ROOT / "orggraph").rglob("*.py")}
    called = set().union(*(statements_named_in(s) for s in sources.values()))
    named = set(cypher.names())
    assert called - named == set(), "the code names Cypher files that do not exist"
    assert named - called == set(), "Cypher files no code names"
    for name in named:
        text = cypher.statement(name)  # every fragment it includes resolves
        assert text.startswith("//"), f"{name}.cypher must open with a comment naming its parameters"
        assert "{valid:" not in text and "{available:" not in text
    included = {m for n in named for m in re.findall(r"\{([a-z_]+):[^\s}]", (ROOT / "cypher" / f"{n}.cypher").read_text())}
    assert included == set(cypher.fragments()) == {"valid", "available"}


def test_no_cypher_outside_cypher_files():
    """Cypher lives in cypher/ only: no statement is written in the library's Python."""
    for path in (ROOT / "orggraph").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node)}
        for node in ast.walk(tree):
            parts = node.values if isinstance(node, ast.JoinedStr) else [node]
            for part in parts:
                if isinstance(part, ast.Constant) and isinstance(part.value, str) and id(part) not in docstrings:
                    assert not CYPHER_IN_PYTHON.search(part.value), f"Cypher in {path.relative_to(ROOT)}: {part.value!r}"


def test_shared_conditions_are_written_once():
    """The day's validity and a member's availability are fragments; the post rank is Python's (model.POSTS)."""
    for name in cypher.names():
        raw = (ROOT / "cypher" / f"{name}.cypher").read_text(encoding="utf-8")
        body = "\n".join(line for line in raw.splitlines() if not line.lstrip().startswith("//"))
        assert ".since <= $day" not in body and "$day <= " not in body, f"{name}: use {{valid:VAR}}"
        assert "'unavailable'" not in body and "IN $unavailable" not in body, f"{name}: use {{available:VAR}}"
        assert not any(f"'{post}'" in body for post in POSTS), f"{name} ranks posts: rank them in Python"


def test_fragments_take_a_plain_variable_only():
    assert cypher.expand("WHERE {valid:r}") == "WHERE " + cypher.fragment("valid").replace("{var}", "r")
    assert cypher.expand("MATCH (n {id: $id})") == "MATCH (n {id: $id})"  # a map literal is left alone
    for bad in ("{valid:r) OR (true}", "{valid:r.x}", "{valid:1r}", "{nothing:r}"):
        with pytest.raises(KeyError):
            cypher.expand(f"WHERE {bad}")


@pytest.mark.parametrize("name, kinds", [("kinds_of", NODE_KINDS), ("node", NODE_KINDS), ("node_facts", NODE_KINDS),
                                         ("nodes_of", NODE_KINDS),
                                         ("counts.neo4j", {**NODE_KINDS, **EDGE_TYPES})])
def test_statements_with_a_branch_a_kind_have_every_kind(name, kinds):
    """The statements written out one branch a node kind (or edge type) name each exactly once."""
    text = cypher.statement(name)
    branches = text.split("UNION ALL")
    assert [re.search(r"[(\[]\w*:(\w+)", b).group(1) for b in branches] == list(kinds)


def test_labels_and_types_come_from_the_allow_list():
    from orggraph.store.server import statement

    assert ":Household " in statement("load_nodes", label="Household")
    with pytest.raises(ValueError, match="is not a node kind or edge type"):
        statement("load_nodes", label="Household) DETACH DELETE (n")


def test_the_wheel_ships_the_cypher(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    [wheel] = tmp_path.glob("orggraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in cypher.names():
        assert f"orggraph/cypher/{name}.cypher" in names
    for name in cypher.fragments():
        assert f"orggraph/cypher/fragments/{name}.cypher" in names
    assert "orggraph/cypher/__init__.py" in names
    # and every package of the source tree, with every module in it
    for module in (ROOT / "orggraph").rglob("*.py"):
        assert f"orggraph/{module.relative_to(ROOT / 'orggraph').as_posix()}" in names, module
    for module in (ROOT / "api").glob("*.py"):
        assert f"orggraph/api/{module.name}" in names, module
    # the workbench's pages, with every template, stylesheet and script they are served from
    for path in (ROOT / "api" / "web").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"orggraph/api/{path.relative_to(ROOT / 'api').as_posix()}" in names, path


def test_the_command_line_on_the_server(falkordb_server, tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(__import__("tests.conftest", fromlist=["STREET"]).STREET,
                                                     ensure_ascii=False), encoding="utf-8")
    env = {"ORGGRAPH_SERVER": falkordb_server, "ORGGRAPH_DATABASE": f"cli_{tmp_path.name[-8:]}"}
    loaded = run_cli("load", "street.json", "--json", cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["added_nodes"] == 15
    assert not (tmp_path / "orggraph.db").exists()  # the server won over the default file
    report = json.loads(run_cli("coverage", "--json", "--as-of", "2026-11-23", cwd=tmp_path, env=env).stdout)
    assert (report["households"], report["covered"]) == (3, 1)
    text = run_cli("chain", "h1", "--as-of", "2026-11-23", cwd=tmp_path, env=env).stdout
    assert "王芳 (m1)" in text and "BREAK at 桂花社区1号楼 (b1)" in text
    bad = run_cli("load", "street.json", "--server", "falkordb://127.0.0.1:1", cwd=tmp_path)
    assert bad.returncode == 1
    assert "cannot reach FalkorDB at 127.0.0.1:1" in bad.stderr
    export = run_cli("export", "copy.jsonl", cwd=tmp_path, env=env)
    assert export.returncode == 0 and "wrote 37 records" in export.stdout


def test_households_in_two_areas_or_none_count_once_on_both_backends(server_store, tmp_path):
    from .conftest import items, street

    doc = street()
    doc["nodes"] += [
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "h-two", "kind": "Household", "people": 4, "flags": ["disabled"]},
        {"id": "h-none", "kind": "Household"},
    ]
    doc["edges"] += [
        {"type": "WITHIN", "source": "b2", "target": "g1"},
        {"type": "LOCATED_IN", "source": "h-two", "target": "b1"},
        {"type": "LOCATED_IN", "source": "h-two", "target": "b2"},
        {"type": "CONTACTS", "source": "m1", "target": "h-two", "since": "2022-03-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h-none", "since": "2022-03-01"},
    ]
    with EmbeddedStore(tmp_path / "e.db") as embedded:
        embedded.load(items(doc))
        server_store.load(items(doc))
        for unavailable in ([], ["m1"]):
            expected = coverage(embedded, as_of="2026-11-23", unavailable=unavailable)
            assert coverage(server_store, as_of="2026-11-23", unavailable=unavailable) == expected
        areas = {a["id"]: a for a in expected["areas"]}
        assert (areas["b1"]["households"], areas["b2"]["households"], areas["g1"]["households"]) == (4, 1, 4)
        assert expected["households"] == 5  # h-none counts only in the totals
        assert gaps(server_store, as_of="2026-11-23") == gaps(embedded, as_of="2026-11-23")
        assert responsibility_chain(server_store, "h-two", as_of="2026-11-23") == responsibility_chain(
            embedded, "h-two", as_of="2026-11-23")
        assert incident(server_store, ["g1"], as_of="2026-11-23") == incident(embedded, ["g1"], as_of="2026-11-23")
        # moving h-two to one building updates what the server keeps of its location
        fix = {"edges": [{"type": "LOCATED_IN", "source": "h-none", "target": "b2"}]}
        embedded.load(items(fix))
        server_store.load(items(fix))
        assert coverage(server_store, as_of="2026-11-23") == coverage(embedded, as_of="2026-11-23")


def test_a_household_located_on_dates_only_is_placed_on_each_day_and_an_older_store_is_brought_up_to_date(
        server_store):
    """h.home (the coverage shortcut) is set only for one undated LOCATED_IN edge; a store kept by layout 1,
    which set it for one dated edge too, has it set again the first time this version opens it, once."""
    from orggraph.facts import Day
    from orggraph.store.server import ServerStore
    from orggraph.store.server.connection import statement
    from orggraph.store.server.store import LAYOUT

    from .conftest import items

    server_store.load(items({
        "nodes": [{"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
                  {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
                  {"id": "h1", "kind": "Household"}, {"id": "h2", "kind": "Household"}],
        "edges": [{"type": "LOCATED_IN", "source": "h1", "target": "b1"},
                  {"type": "LOCATED_IN", "source": "h2", "target": "b2", "since": "2025-01-01"}]}))
    conn = server_store.conn
    homes = "MATCH (h:Household) RETURN h.id, h.home, h.homes ORDER BY h.id"
    assert conn.read(homes) == [["h1", "b1", 1], ["h2", None, 1]]
    assert conn.read(statement("meta_layout")) == [[LAYOUT]]  # a new store has the current layout
    tally = server_store.facts().tally(Day("2024-06-01"))
    assert tally.direct[:, 0].tolist() == [1, 0] and tally.nowhere[0] == 1
    assert server_store.facts().tally(Day("2025-06-01")).direct[:, 0].tolist() == [1, 1]
    # what layout 1 left: h2's home set, and the layout it recorded
    conn.write("MATCH (h:Household {id: 'h2'}) SET h.home = 'b2'")
    conn.write("MATCH (m:OrgGraphMeta {id: 'meta'}) SET m.schema_version = 1")
    revision = server_store.revision
    again = ServerStore(conn, schema=False)
    assert conn.read(homes) == [["h1", "b1", 1], ["h2", None, 1]]
    assert conn.read(statement("meta_layout")) == [[LAYOUT]]
    assert again.revision > revision  # what a reader kept from before is not trusted
    assert again.facts().households(Day("2024-06-01"), "unlocated") == ["h2"]
    revision = again.revision
    ServerStore(conn, schema=False)  # once: a store up to date is left alone
    assert again.revision == revision


# -- writers at once --------------------------------------------------------------------------------------


def another_client(store, server: str):
    """A second store on the same graph, as another process would open it."""
    from orggraph.store.server import connect

    if server.startswith("falkordb://"):
        return connect(f"{server}/{store.conn.database}")
    return connect(server, database=store.conn.database)


def test_two_loads_at_once_validate_one_after_the_other(city_records, big_server_store, graph_server):
    """A long load gives an id to a member; a short one, started while the first holds the write lease,
    gives the same id to a household: it waits, then finds the member and is refused. Without the lease
    both would validate against the graph as it was, and the id would name two nodes."""
    import threading
    import time

    from orggraph.exceptions import InvalidRecords
    from orggraph.store.server.connection import statement

    long_load = [*city_records, ("node", "late", {"id": "dup9", "kind": "Member", "name": "张三"})]
    failed: list[BaseException] = []

    def first() -> None:
        try:
            big_server_store.load(long_load)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    writer = threading.Thread(target=first)
    writer.start()
    other = another_client(big_server_store, graph_server)
    try:
        deadline = time.monotonic() + 30
        while not other.conn.read("MATCH (m:OrgGraphMeta {id: 'meta'}) RETURN coalesce(m.lease_holder, '')")[0][0]:
            assert time.monotonic() < deadline and writer.is_alive(), "the long load never held the lease"
            time.sleep(0.01)
        with pytest.raises(InvalidRecords) as refused:
            other.load([("node", "line 1", {"id": "dup9", "kind": "Household", "people": 1})])
        writer.join()
        assert not failed, failed
        assert "dup9" in str(refused.value) and "Member" in str(refused.value)
        assert other.kinds_of(["dup9"]) == {"dup9": "Member"}
        assert other.conn.read(statement("kinds_of"), {"ids": ["dup9"]}) == [["dup9", "Member"]]
    finally:
        writer.join()
        other.close()


def test_a_write_waits_a_bounded_time_for_the_lease_then_says_the_store_is_busy(server_store, graph_server):
    import time

    from orggraph.exceptions import StoreBusy

    from .conftest import STREET, items

    other = another_client(server_store, graph_server)
    other.wait = 0.3
    try:
        with server_store.writing():
            start = time.monotonic()
            with pytest.raises(StoreBusy, match="busy"):
                other.load(items(STREET))
            assert 0.3 <= time.monotonic() - start < 5
            with pytest.raises(StoreBusy):
                other.delete(nodes=["s1"])
            assert other.load(items(STREET), dry_run=True).dry_run  # a dry run writes nothing: it does not wait
        assert other.load(items(STREET)).added_nodes == len(STREET["nodes"])  # given back: the next write goes
        revision = other.revision
        with server_store.writing():  # a lease held again by the same writer is its own
            pass
        assert other.load(items(STREET)).added_nodes == 0 and other.revision == revision
    finally:
        other.close()


# Contacts worked out by hand for the statements that find a day's contacts from what is kept a revision:
# h1 and h2 in b1 (m1 contacts both: one member, two households of one area), h2 also from m2 until 2023;
# h3 from m3, who cannot be reached; h4 in b2 from m4 only from 2025; h5 located nowhere, contacted by
# nobody; h6 in b1 through a dated edge (so no home), from m1.
CONTACTS_DOC = {
    "nodes": [{"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
              {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
              *({"id": f"h{i}", "kind": "Household"} for i in range(1, 7)),
              {"id": "m1", "kind": "Member", "name": "王芳"}, {"id": "m2", "kind": "Member", "name": "李强"},
              {"id": "m3", "kind": "Member", "name": "张伟", "status": "unavailable"},
              {"id": "m4", "kind": "Member", "name": "刘洋"}],
    "edges": [
        *({"type": "LOCATED_IN", "source": h, "target": "b1"} for h in ("h1", "h2", "h3")),
        {"type": "LOCATED_IN", "source": "h4", "target": "b2"},
        {"type": "LOCATED_IN", "source": "h6", "target": "b1", "since": "2020-01-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m2", "target": "h2", "since": "2022-01-01", "until": "2023-01-01"},
        {"type": "CONTACTS", "source": "m3", "target": "h3", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m4", "target": "h4", "since": "2025-01-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h6", "since": "2022-01-01"},
    ],
}


def reach_of(rows):
    """contact_reach's rows added up by member: {member: (households, shared)}."""
    found = {}
    for member, households, shared in rows:
        n, both = found.get(member, (0, 0))
        found[member] = (n + households, both + shared)
    return found


def test_contact_reach_counts_a_household_once_however_many_edges_lead_to_it(server_store):
    from orggraph.store.server import statement

    from .conftest import items

    # m1 contacts h1 twice (two spans) and h2; m2 contacts h1 too; m3 contacts h3 twice, alone
    doc = {"nodes": [*({"id": f"h{i}", "kind": "Household"} for i in (1, 2, 3)),
                     *({"id": f"m{i}", "kind": "Member", "name": f"党员{i}"} for i in (1, 2, 3))],
           "edges": [{"type": "CONTACTS", "source": "m1", "target": "h1", "until": "2020-12-31"},
                     {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2021-01-01"},
                     {"type": "CONTACTS", "source": "m1", "target": "h2"},
                     {"type": "CONTACTS", "source": "m2", "target": "h1"},
                     {"type": "CONTACTS", "source": "m3", "target": "h3", "until": "2020-12-31"},
                     {"type": "CONTACTS", "source": "m3", "target": "h3", "since": "2022-01-01"}]}
    server_store.load(items(doc))
    rows = server_store.conn.read(statement(f"contact_reach.{server_store.conn.dialect}"))
    assert reach_of(rows) == {"m1": (2, 1), "m2": (1, 1), "m3": (1, 0)}
    from orggraph.facts import Day

    facts = server_store.facts()  # on 2021-06-01 m3 has no valid edge: it contacts nobody that day
    assert dict(facts.contact_load(Day("2021-06-01"))) == {"m1": (2, 1), "m2": (1, 0)}
    assert dict(facts.contact_load(Day("2022-06-01"))) == {"m1": (2, 1), "m2": (1, 0), "m3": (1, 1)}


def test_the_contact_statements_find_what_was_worked_out_by_hand(server_store):
    from orggraph.facts import Day
    from orggraph.store.server import statement

    from .conftest import items

    server_store.load(items(CONTACTS_DOC))
    read = server_store.conn.read
    on = {"day": "2024-06-01", "unavailable": []}
    [[nobody]] = read(statement(f"uncontacted.{server_store.conn.dialect}"))
    assert nobody == [["h5", None, 1, False]]
    assert reach_of(read(statement(f"contact_reach.{server_store.conn.dialect}"))) == {
        "m1": (3, 1), "m2": (1, 1), "m3": (1, 0), "m4": (1, 0)}
    astray = {h: (home, people, vulnerable, sorted(edges)) for h, home, people, vulnerable, edges
              in read(statement("contacts_astray"), on)}
    assert astray == {"h2": ("b1", 1, False, [["m1", True, True, False], ["m2", False, True, True]]),
                      "h3": ("b1", 1, False, [["m3", True, False, False]]),
                      "h4": ("b2", 1, False, [["m4", False, True, False]])}
    assert sorted(read(statement("sole_contacts"), {**on, "areas": ["b1", "b2"]})) == [
        ["h1", "b1", "m1"], ["h2", "b1", "m1"], ["h6", None, "m1"]]
    # the what-if: m1 cannot be reached either; in 2025 m4 answers h4, and m2's edge to h2 has ended
    gone = {"day": "2024-06-01", "unavailable": ["m1"]}
    assert sorted(h for h, *_ in read(statement("contacts_astray"), gone)) == ["h1", "h2", "h3", "h4", "h6"]
    assert read(statement("sole_contacts"), {**gone, "areas": ["b1", "b2"]}) == []
    assert sorted(read(statement("sole_contacts"), {"day": "2025-06-01", "unavailable": [], "areas": ["b2"]})) == [
        ["h4", "b2", "m4"]]
    # and the facts made from them
    facts = server_store.facts()
    day = Day("2024-06-01")
    assert dict(facts.contact_load(day)) == {"m1": (3, 3)}
    assert facts.households(day, "uncovered") == ["h3", "h4", "h5"]
    assert facts.households(day, "lapsed") == []  # h2's edge from m2 ended, but m1's is valid
    assert dict(facts.contact_load(Day("2022-06-01"))) == {"m1": (3, 2), "m2": (1, 0)}
    assert facts.sole_answerers(day, {"b1": None, "b2": None}) == [("h1", "m1"), ("h2", "m1"), ("h6", "m1")]


# Worked out by hand for what is kept of the whole city: h1 in b1, h3 in b2, h2 located nowhere; m1
# contacts h1 and h2 and lives in h1; m2 lives in h2 only; m3 contacts h3 through two dated edges.
EVERYWHERE_DOC = {
    "nodes": [{"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"},
              {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
              {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
              *({"id": f"h{i}", "kind": "Household"} for i in (1, 2, 3)),
              *({"id": f"m{i}", "kind": "Member", "name": f"党员{i}"} for i in (1, 2, 3))],
    "edges": [{"type": "WITHIN", "source": "b1", "target": "s1"}, {"type": "WITHIN", "source": "b2", "target": "s1"},
              {"type": "LOCATED_IN", "source": "h1", "target": "b1"},
              {"type": "LOCATED_IN", "source": "h3", "target": "b2", "since": "2020-01-01"},
              {"type": "CONTACTS", "source": "m1", "target": "h1"}, {"type": "CONTACTS", "source": "m1", "target": "h2"},
              {"type": "RESIDES_IN", "source": "m1", "target": "h1"}, {"type": "RESIDES_IN", "source": "m2", "target": "h2"},
              {"type": "CONTACTS", "source": "m3", "target": "h3", "until": "2020-12-31"},
              {"type": "CONTACTS", "source": "m3", "target": "h3", "since": "2022-01-01"}],
}


def test_what_lies_within_every_area_is_found_without_a_walk_from_each(server_store):
    from orggraph.facts import Inside
    from orggraph.store.server import statement

    from .conftest import items

    server_store.load(items(EVERYWHERE_DOC))
    [[located]] = server_store.conn.read(statement("located_households"))
    assert sorted(located) == ["h1", "h3"]
    found = {what: pairs for what, pairs in server_store.conn.read(statement("everywhere"))}
    assert sorted(found["unlocated"]) == [["m1", "h2"], ["m2", "h2"]]
    assert sorted(found["both"]) == [["m1", "h1"]]
    expected = Inside(households=["h1", "h3"], members={"m1": (1, 2), "m3": (1, 1)})
    assert server_store.facts().inside(["b1", "b2", "s1"]) == expected  # every area: what is kept
    assert server_store.facts().inside(["b1", "b2"]) == expected  # not every area: walked from each
    assert server_store.facts().inside(["b1"]) == Inside(households=["h1"], members={"m1": (1, 2)})


# Worked out by hand for the edges kept a revision: o1 governs g1 until 2020 and g2 from 2021; m1 holds
# a post in o1 only until 2020, m2 the secretary's from 2021; o2 has no edge at all, o3 one that ended.
KEPT_EDGES_DOC = {
    "nodes": [{"id": "g1", "kind": "Area", "name": "一网格", "level": "grid"},
              {"id": "g2", "kind": "Area", "name": "二网格", "level": "grid"},
              *({"id": f"o{i}", "kind": "Org", "name": f"支部{i}", "level": "grid"} for i in (1, 2, 3)),
              *({"id": f"m{i}", "kind": "Member", "name": f"党员{i}"} for i in (1, 2))],
    "edges": [{"type": "GOVERNS", "source": "o1", "target": "g1", "until": "2020-12-31"},
              {"type": "GOVERNS", "source": "o1", "target": "g2", "since": "2021-01-01"},
              {"type": "HOLDS_POST", "source": "m1", "target": "o1", "post": "committee_member", "until": "2020-12-31"},
              {"type": "HOLDS_POST", "source": "m2", "target": "o1", "post": "secretary", "since": "2021-01-01"},
              {"type": "GOVERNS", "source": "o3", "target": "g1", "until": "2019-12-31"}],
}


def test_the_edges_kept_a_revision_answer_as_the_server_does(server_store):
    from orggraph.facts import Day
    from orggraph.store.server import statement

    from .conftest import items

    server_store.load(items(KEPT_EDGES_DOC))
    rows = server_store.conn.read(statement("edges_dated", type="HOLDS_POST", source="Member", target="Org"))
    assert sorted(rows) == [["m1", "o1", "committee_member", "", "2020-12-31"], ["m2", "o1", "secretary", "2021-01-01", None]]

    def ask(facts):
        return (facts.edges("GOVERNS", sources=["o1"], day="2020-06-01"), facts.edges("HOLDS_POST", targets=["o1"]),
                facts.having("GOVERNS", ["o1", "o2", "o3"], day="2021-06-01"),
                facts.having("GOVERNS", ["o1", "o3"], beyond=["g1"]), facts.having("HOLDS_POST", ["o1"], end="target", day="2019-01-01"),
                facts.others("GOVERNS", ["g1"], end="target"), facts.others("HOLDS_POST", ["m1", "m2"], day="2022-01-01"))

    expected = ([("o1", "g1", None)], [("m1", "o1", "committee_member"), ("m2", "o1", "secretary")], ["o1"], ["o1"], ["o1"],
                ["o1", "o3"], ["o1"])
    server_store._kept = type(server_store._kept)()  # nothing kept: each asked of the server
    assert ask(server_store.facts()) == expected
    facts = server_store.facts()
    for type_ in ("GOVERNS", "HOLDS_POST"):
        facts.edges(type_)  # every edge of the type: kept from now on
    assert set(server_store._kept.typed) >= {"GOVERNS", "HOLDS_POST"}
    assert ask(server_store.facts()) == expected
    # an org takes part on a day with an edge valid on it, or with none at all
    assert facts.existing(Day("2020-06-01"), "Org") == ["o1", "o2"]
    assert facts.existing(Day("2019-06-01"), "Org") == ["o1", "o2", "o3"]
    server_store.load(items({"nodes": [], "edges": [{"type": "GOVERNS", "source": "o2", "target": "g2", "until": "2018-12-31"}]}))
    assert server_store.facts().existing(Day("2020-06-01"), "Org") == ["o1"]  # a new revision: read again
