"""One id, one thing: ids that differ only by letter case, full-width form or surrounding spaces are one id.
A load that would make two nodes of one id (within itself, or beside what the store holds) is refused,
naming both spellings; nothing is written. On every backend."""

from __future__ import annotations

import json
import sqlite3

import pytest

from orggraph.exceptions import InvalidRecords, InvalidStoredRecords
from orggraph.io import load_file
from orggraph.load import check_store
from orggraph.model import fold, unfolded

from .conftest import backend_store, items, snapshot, street
from .test_api import api, send  # noqa: F401  (the API over every backend)

TWO = "they would be two nodes; write one spelling"


def node(where: str, node_id: str, kind: str = "Household", **record) -> tuple:
    record = {"id": node_id, "kind": kind, **record}
    if kind == "Area":
        record = {"name": "1号楼", "level": "building", **record}
    return ("node", where, record)


def edge(where: str, source: str, target: str, type_: str = "LOCATED_IN") -> tuple:
    return ("edge", where, {"type": type_, "source": source, "target": target})


def refused(store, records: list) -> list[str]:
    """Load records into the store as it is; the messages, once it is checked that nothing changed (a dry
    run says the same)."""
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(records)
    assert snapshot(store) == before, "a refused load changed the store"
    with pytest.raises(InvalidRecords) as again:
        store.load(records, dry_run=True)
    assert [str(e) for e in again.value.errors] == [str(e) for e in info.value.errors]
    return [str(e) for e in info.value.errors]


# -- the fold --------------------------------------------------------------------------------------------

def test_the_fold_of_an_id():
    assert {fold(i) for i in ("h1", "H1", "ｈ１", "Ｈ１", " h1 ", "\u3000h1")} == {"h1"}
    assert fold("ß-1") == fold("SS-1") == "ss-1" and fold("ﬁ") == "fi" and fold("Ⅻ") == "xii"
    assert fold("ǰ") == fold("J\u030c")  # composed or not, one id
    assert unfolded(["h1", "m0000001", "s001c1g01b1", "o-s001c1-flood2020"]) == []
    assert unfolded(["h1", "H2", "ｈ３", " h4", "h5"]) == [(1, "h2"), (2, "h3"), (3, "h4")]


# -- within one load --------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second, how", [
    ("h9", "H9", "letter case"),
    ("h9", "ｈ９", "full-width form"),
    ("ｈ９", "Ｈ９", "letter case"),
    ("H9", "ｈ９", "letter case and full-width form"),
    ("fi9", "ﬁ9", "the form of a character (Unicode compatibility)"),
])
def test_two_spellings_in_one_load_are_refused_naming_both(store, first, second, how):
    store.load(items(street()))
    messages = refused(store, [node("line 1", first), node("line 2", "h8"), node("line 3", second)])
    assert messages == [f"line 3, field id: {second!r} and {first!r} (line 1) differ only by {how}: {TWO}"]
    assert refused(store, [node("line 1", second), node("line 2", first)]) == [
        f"line 2, field id: {first!r} and {second!r} (line 1) differ only by {how}: {TWO}"]


def test_two_spellings_of_two_kinds_and_in_far_apart_batches(embedded):
    records = [node("line 1", "X1", "Area")]
    records += [node(f"line {i}", f"h{i}") for i in range(2, 12_002)]  # batches of 5,000 between them
    records += [node("line 12002", "x1", "Member", name="王芳")]
    assert refused(embedded, records) == [f"line 12002, field id: 'x1' and 'X1' (line 1) differ only by letter case: {TWO}"]


def test_every_pair_of_a_file_is_named_by_its_lines(tmp_path, store):
    lines = [{"node": {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}},
             {"node": {"id": "h1", "kind": "Household"}},
             {"node": {"id": "Ｈ２", "kind": "Household"}},
             {"node": {"id": "H1", "kind": "Household"}},
             {"node": {"id": "h2", "kind": "Household"}},
             {"node": {"id": "ｈ１", "kind": "Household"}},
             {"edge": {"type": "LOCATED_IN", "source": "h1", "target": "b1"}}]
    path = tmp_path / "city.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        load_file(store, path)
    assert [str(e) for e in info.value.errors] == [
        f"line 4, field id: 'H1' and 'h1' (line 2) differ only by letter case: {TWO}",
        f"line 5, field id: 'h2' and 'Ｈ２' (line 3) differ only by letter case and full-width form: {TWO}",
        f"line 6, field id: 'ｈ１' and 'h1' (line 2) differ only by full-width form: {TWO}",
    ]
    assert snapshot(store) == before and store.counts() == {"nodes": {}, "edges": {}}


def test_an_edge_naming_a_node_of_this_load_by_another_spelling(store):
    records = [node("line 1", "b1", "Area"), node("line 2", "h1"), node("line 3", "Ｈ２"),
               edge("line 4", "H1", "b1"), edge("line 5", "h2", "B1"), edge("line 6", "h1", "b1")]
    assert refused(store, records) == [
        "line 4, field source: 'H1' is not a node but 'h1' (line 2) is, and they differ only by letter case; "
        "write one spelling",
        "line 5, field source: 'h2' is not a node but 'Ｈ２' (line 3) is, and they differ only by letter case and "
        "full-width form; write one spelling",
        "line 5, field target: 'B1' is not a node but 'b1' (line 1) is, and they differ only by letter case; "
        "write one spelling",
    ]
    assert store.counts() == {"nodes": {}, "edges": {}}


def test_an_id_with_surrounding_spaces_is_refused_as_holding_a_space(store):
    assert refused(store, [node("line 1", " h1"), node("line 2", "h2\u3000")]) == [
        "line 1, field id: holds a space (U+0020 SPACE) at position 1; remove it",
        "line 2, field id: holds a space (U+3000 IDEOGRAPHIC SPACE) at position 3; remove it",
    ]


def test_a_workbook_cell_is_read_without_its_surrounding_spaces(tmp_path, embedded):
    from orggraph.io.excel import write_workbook

    path = tmp_path / "台账.xlsx"
    write_workbook([{"id": "h1", "kind": "Household"}, {"id": " H1 ", "kind": "Household"}], [], path)
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    [error] = info.value.errors
    assert (error.where, error.message) == ("sheet 住户, row 3", f"'H1' and 'h1' (sheet 住户, row 2) differ only by letter case: {TWO}")


# -- against what the store holds ---------------------------------------------------------------------------

def test_a_spelling_of_a_stored_id_is_refused_naming_the_stored_one(store):
    store.load(items(street()) + [node("x", "Ｈ９"), node("y", "M9", "Member", name="李乙")])
    assert refused(store, [node("line 1", "h7"), node("line 2", "H1"), node("line 3", "ｈ９"),
                           node("line 4", "m9", "Member", name="李乙"), node("line 5", "h2")]) == [
        f"line 2, field id: 'H1' and 'h1', already in the store, differ only by letter case: {TWO}",
        f"line 3, field id: 'ｈ９' and 'Ｈ９', already in the store, differ only by letter case: {TWO}",
        f"line 4, field id: 'm9' and 'M9', already in the store, differ only by letter case: {TWO}",
    ]
    assert refused(store, [node("line 1", "H9")]) == [
        f"line 1, field id: 'H9' and 'Ｈ９', already in the store, differ only by full-width form: {TWO}"]


def test_an_edge_naming_a_stored_node_by_another_spelling(store):
    store.load(items(street()) + [node("x", "Ｈ９")])
    assert refused(store, [edge("line 1", "H1", "b1"), edge("line 2", "h9", "B1"),
                           edge("line 3", "m1", "ｈ２", "CONTACTS")]) == [
        "line 1, field source: 'H1' is not a node but 'h1', in the store, is, and they differ only by letter case; "
        "write one spelling",
        "line 2, field source: 'h9' is not a node but 'Ｈ９', in the store, is, and they differ only by letter case "
        "and full-width form; write one spelling",
        "line 2, field target: 'B1' is not a node but 'b1', in the store, is, and they differ only by letter case; "
        "write one spelling",
        "line 3, field target: 'ｈ２' is not a node but 'h2', in the store, is, and they differ only by full-width "
        "form; write one spelling",
    ]


def test_a_stored_spelling_given_again_in_the_load_is_named_within_the_load(store):
    store.load([node("x", "H9")])
    assert refused(store, [node("line 1", "h9"), node("line 2", "H9")]) == [
        f"line 2, field id: 'H9' and 'h9' (line 1) differ only by letter case: {TWO}"]


def test_a_removed_node_frees_its_spellings(store):
    store.load([node("x", "H9"), node("y", "ｍ１", "Member", name="李乙")])
    store.delete(nodes=["H9", "ｍ１"])
    report = store.load([node("line 1", "h9"), node("line 2", "M1", "Member", name="李乙")])
    assert report.added_nodes == 2
    assert refused(store, [node("line 1", "H9")]) == [
        f"line 1, field id: 'H9' and 'h9', already in the store, differ only by letter case: {TWO}"]


# -- normal loads ---------------------------------------------------------------------------------------------

def test_ids_spelled_otherwise_load_and_reload_unchanged(store):
    doc = street()
    doc["nodes"] += [{"id": "H-甲1", "kind": "Household"}, {"id": "Ｍ７", "kind": "Member", "name": "李乙"}]
    doc["edges"] += [{"type": "LOCATED_IN", "source": "H-甲1", "target": "b1"},
                     {"type": "CONTACTS", "source": "Ｍ７", "target": "H-甲1"}]
    first = store.load(items(doc))
    assert (first.added_nodes, first.added_edges, first.changed) == (len(doc["nodes"]), len(doc["edges"]), 0)
    revision = store.revision
    again = store.load(items(doc))
    assert (again.added_nodes, again.added_edges, again.changed, again.unchanged) == (0, 0, 0, again.records)
    assert store.revision == revision
    assert store.node("Ｍ７")["id"] == "Ｍ７"
    changed = store.load([node("line 1", "H-甲1", people=3)])
    assert (changed.added_nodes, changed.changed) == (0, 1)
    check_store(store)  # nothing to say


def test_a_load_into_a_store_with_spellings_takes_what_differs_by_more(store):
    store.load(items(street()) + [node("x", "H9")])
    report = store.load([node("line 1", "h10"), node("line 2", "H91"), node("line 3", "h9-1")])
    assert report.added_nodes == 3


# -- a store that already holds two spellings: check names them --------------------------------------------

def test_check_names_the_spellings_a_store_holds(store):
    store.load(items(street()))
    from orggraph.store import EmbeddedStore

    if isinstance(store, EmbeddedStore):  # written as an older orggraph did
        with sqlite3.connect(store.path) as conn:
            conn.executemany("INSERT INTO nodes (id, kind, props) VALUES (?, 'Household', '{}')", [("H1",), ("ｈ１",)])
    else:  # a server: written by another tool (which sets no fold)
        store.conn.write("CREATE (:Household {id: 'H1', props: '{}', people: 1, vulnerable: false})")
        store.conn.write("CREATE (:Household {id: 'ｈ１', props: '{}', people: 1, vulnerable: false, fold: 'h1'})")
    with pytest.raises(InvalidStoredRecords) as info:
        check_store(store)
    messages = [str(e) for e in info.value.errors]
    assert f"node h1, field id: 'h1' and 'H1' (node H1) differ only by letter case: {TWO}" in messages
    assert f"node ｈ１, field id: 'ｈ１' and 'h1' (node h1) differ only by full-width form: {TWO}" in messages
    if not isinstance(store, EmbeddedStore):  # the server's copy of the fold, missing where another tool wrote it
        assert ("node H1, field fold: the server's copy of the id's fold is null, but the id's fold spelled otherwise "
                "is 'h1' (null when the id is its own fold); set the copy to it, by which a load finds an id that folds "
                "alike") in messages
    assert len(messages) == (2 if isinstance(store, EmbeddedStore) else 3)


# -- a store kept by the previous version -------------------------------------------------------------------

def test_an_embedded_store_of_schema_4_gains_the_spellings_it_holds(tmp_path):
    from orggraph.store import EmbeddedStore
    from orggraph.store.embedded import SCHEMA_VERSION

    path = tmp_path / "old.db"
    with EmbeddedStore(path) as store:
        store.load(items(street()) + [node("x", "H9"), node("y", "Ｍ７", "Member", name="李乙")])
    with sqlite3.connect(path) as conn:  # as schema 4 left it
        conn.executescript("DROP TABLE folds; UPDATE meta SET value = '4' WHERE key = 'schema_version';")
    with EmbeddedStore(path) as store:
        assert refused(store, [node("line 1", "h9"), node("line 2", "m7", "Member", name="李乙")]) == [
            f"line 1, field id: 'h9' and 'H9', already in the store, differ only by letter case: {TWO}",
            f"line 2, field id: 'm7' and 'Ｍ７', already in the store, differ only by letter case and full-width form: "
            f"{TWO}"]
        assert store.load(items(street())).changed == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        assert sorted(conn.execute("SELECT fold, id FROM folds")) == [("h9", "H9"), ("m7", "Ｍ７")]


@pytest.mark.parametrize("backend", ["falkordb", "neo4j"])
def test_a_server_store_of_layout_2_gains_the_folds_of_its_ids(request, tmp_path, backend):
    from orggraph.store.server import ServerStore
    from orggraph.store.server.connection import statement
    from orggraph.store.server.store import LAYOUT

    with backend_store(request, backend, tmp_path) as store:
        store.load(items(street()) + [node("x", "H9"), node("y", "Ｍ７", "Member", name="李乙")])
        conn = store.conn
        conn.write("MATCH (n) WHERE n.fold IS NOT NULL REMOVE n.fold")  # as layout 2 left it
        conn.write("MATCH (m:OrgGraphMeta {id: 'meta'}) SET m.schema_version = 2")
        revision = store.revision
        again = ServerStore(conn, schema=False)
        assert conn.read(statement("meta_layout")) == [[LAYOUT]] and again.revision > revision
        assert sorted(conn.read("MATCH (n) WHERE n.fold IS NOT NULL RETURN n.fold, n.id")) == [["h9", "H9"], ["m7", "Ｍ７"]]
        assert refused(again, [node("line 1", "h9"), node("line 2", "m7", "Member", name="李乙")]) == [
            f"line 1, field id: 'h9' and 'H9', already in the store, differ only by letter case: {TWO}",
            f"line 2, field id: 'm7' and 'Ｍ７', already in the store, differ only by letter case and full-width form: "
            f"{TWO}"]
        check_store(again)


# -- the API's writes ----------------------------------------------------------------------------------------

def test_the_api_refuses_a_new_spelling_of_an_id(api):
    response = send(api, "post", "/households", json={"id": "H1", "edges": [{"type": "LOCATED_IN", "source": "H1",
                                                                             "target": "b1"}]})
    assert response.status_code == 422, response.text
    assert [d["message"] for d in response.json()["error"]["details"]] == [
        f"'H1' and 'h1', already in the store, differ only by letter case: {TWO}"]
    assert send(api, "get", "/households/H1").status_code == 404
