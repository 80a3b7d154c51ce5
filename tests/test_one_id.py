"""One id, one thing: ids that differ only by letter case, full-width form or surrounding spaces are one id.
A load that would make two nodes of one id is refused, naming both spellings; nothing is written. On every
backend."""

from __future__ import annotations

import json

import pytest

from orggraph.exceptions import InvalidRecords
from orggraph.io import load_file
from orggraph.model import fold, unfolded

from .conftest import items, snapshot, street

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
