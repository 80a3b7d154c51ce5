"""Input hygiene: invisible characters, byte order marks and line ends, one limit for free-form
properties, and a record given twice in one input with other properties."""

from __future__ import annotations

import json
import unicodedata

import pytest

from orggraph import model
from orggraph.exceptions import InvalidRecords
from orggraph.io import load_file
from orggraph.model import MAX_DEPTH, MAX_ITEMS, MAX_NAME, MAX_PROPERTIES, MAX_TEXT

from .conftest import items, run_cli, snapshot, street
from .test_api import api, post_import, send  # noqa: F401  (the API over both stores)


def refused(store, records: list) -> list[str]:
    """Load records into a store that holds the street; return the messages, and check nothing changed."""
    store.load(items(street()))
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(records)
    assert snapshot(store) == before, "a refused load changed the store"
    return [str(e) for e in info.value.errors]


def node(where: str = "line 1", **record) -> tuple:
    return ("node", where, record)


def edge(where: str = "line 1", **record) -> tuple:
    return ("edge", where, record)


# -- 1. invisible and direction-control characters -----------------------------------------------------

INVISIBLE_IN_IDS = [
    "\u200b",  # zero width space
    "\ufeff",  # byte order mark (zero width no-break space)
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200e",  # left-to-right mark
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
    "\u200d",  # zero width joiner: meaningful in a name, never in an id
    "\u3164",  # Hangul filler
    "\ufe0f",  # variation selector
    "\U000e0041",  # tag latin capital letter A
    "\ufffe", "\uffff", "\ufdd0", "\U0010ffff",  # noncharacters
]


@pytest.mark.parametrize("char", INVISIBLE_IN_IDS, ids=lambda c: f"U+{ord(c):04X}")
def test_an_id_with_an_invisible_character_is_refused_by_code_point_and_position(embedded, char):
    code = f"U+{ord(char):04X}"
    messages = refused(embedded, [node(id=f"h0000000{char}1", kind="Household"),
                                  edge("line 2", type="LOCATED_IN", source=f"h0000000{char}1", target="b1")])
    assert messages[0].startswith(f"line 1, field id: holds ")
    assert f"({code}" in messages[0] and "at position 9; remove it" in messages[0]
    assert messages[1].startswith("line 2, field source: holds ") and f"({code}" in messages[1]


def test_a_zero_width_space_does_not_pass_for_the_id_without_it(store):
    messages = refused(store, [edge(type="CONTACTS", source="m1", target="h\u200b1")])
    assert messages == ["line 1, field target: holds an invisible character (U+200B ZERO WIDTH SPACE) at position 2; "
                        "remove it"]


def test_a_lone_surrogate_is_refused_in_an_id_a_name_and_a_property(embedded):
    messages = refused(embedded, [node(id="h\ud8009", kind="Household"),
                                  node("line 2", id="m9", kind="Member", name="张\udfff三"),
                                  node("line 3", id="h8", kind="Household", note="二楼\ud800")])
    assert messages == ["line 1, field id: holds a lone surrogate (U+D800) at position 2; remove it",
                        "line 2, field name: holds a lone surrogate (U+DFFF) at position 2; remove it",
                        "line 3, field note: holds a lone surrogate (U+D800) at position 3; remove it"]


@pytest.mark.parametrize("char, what", [
    ("\u202e", "a direction-control character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("\u2067", "a direction-control character (U+2067 RIGHT-TO-LEFT ISOLATE)"),
    ("\u200f", "a direction-control character (U+200F RIGHT-TO-LEFT MARK)"),
    ("\u200b", "an invisible character (U+200B ZERO WIDTH SPACE)"),
    ("\ufeff", "an invisible character (U+FEFF ZERO WIDTH NO-BREAK SPACE)"),
    ("\u3164", "an invisible character (U+3164 HANGUL FILLER)"),
    ("\ufffe", "a noncharacter (U+FFFE)"),
    ("\uffff", "a noncharacter (U+FFFF)"),
])
def test_names_and_addresses_refuse_invisible_characters_without_echoing_the_value(embedded, char, what):
    address = f"桂花社区1号楼{char}1单元301室"
    messages = refused(embedded, [node(id="m9", kind="Member", name=f"王{char}芳"),
                                  node("line 2", id="h9", kind="Household", address=address)])
    assert messages == [f"line 1, field name: holds {what} at position 2; remove it",
                        f"line 2, field address: holds {what} at position 8; remove it"]
    assert not any("桂花社区" in m for m in messages)  # the address is never echoed


def test_a_c1_control_character_is_a_control_character(embedded):
    messages = refused(embedded, [node(id="m9", kind="Member", name="王\x85芳")])
    assert messages == ["line 1, field name: '王\\x85芳' holds a control character (U+0085); remove it"]


@pytest.mark.parametrize("name", ["  ", "\u3000", "\u3000\u00a0\t", "\u200d", " \u200c\u3000"])
def test_a_blank_name_is_refused(embedded, name):
    assert refused(embedded, [node(id="m9", kind="Member", name=name)]) == [
        "line 1, field name: must not be blank (it holds only spaces)"]


def test_a_blank_address_is_refused(embedded):
    assert refused(embedded, [node(id="h9", kind="Household", address="\u3000\u3000")]) == [
        "line 1, field address: must not be blank (it holds only spaces)"]


@pytest.mark.parametrize("name", [
    "کتاب\u200cخانه",  # Persian: the non-joiner keeps two letters apart, as the word is spelled
    "क्\u200dष",  # Devanagari: the joiner asks for the half form
    "ᠮᠣᠩᠭᠣᠯ\u180eᠠ",  # Mongolian: the vowel separator picks the final form
    "葛\U000e0100优",  # an ideographic variation sequence: the form of a rare character in a name
    "王 芳", "王芳\u3000",  # spaces within and at the ends of a name are kept
])
def test_characters_that_shape_a_name_are_kept(embedded, name):
    embedded.load([node(id="m9", kind="Member", name=name)])
    assert embedded.node("m9")["name"] == name


def test_the_format_characters_refused_are_all_of_them():
    """Every format character (Cf) of the Unicode this Python knows is refused in an id."""
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) == "Cf":
            assert model._ID_HIDDEN_RE.match(char), f"U+{code:04X} is a format character the id check misses"
            if char not in "\u200c\u200d\u180e":
                assert model._TEXT_HIDDEN_RE.match(char), f"U+{code:04X} is a format character the name check misses"


def test_the_patterns_and_the_messages_agree():
    """What a pattern refuses, the message names (the patterns run in Rust, the messages in Python)."""
    samples = [chr(c) for c in range(0x80, 0x30000) if not 0xD800 <= c <= 0xDFFF] + [chr(c) for c in range(0xE0000, 0x110000, 7)]
    ids, _ = model.validate_nodes("Household", [(f"{i}", {"id": f"h{c}1"}) for i, c in enumerate(samples)])
    names, _ = model.validate_nodes("Member", [(f"{i}", {"id": "m", "name": f"王{c}芳"}) for i, c in enumerate(samples)])
    for char, id_out, name_out in zip(samples, ids, names):
        assert (id_out is None) == bool(model._ID_HIDDEN_RE.match(char) or char in "\x85\u2028\u2029"
                                         or 0x80 <= ord(char) <= 0x9f), f"U+{ord(char):04X} in an id"
        assert (name_out is None) == bool(model._TEXT_HIDDEN_RE.match(char) or 0x80 <= ord(char) <= 0x9f), \
            f"U+{ord(char):04X} in a name"


# -- 2. byte order marks and line ends ----------------------------------------------------------------

HOUSEHOLDS = [{"id": "h7", "kind": "Household", "address": "桂花社区2号楼101室"},
              {"id": "h8", "kind": "Household", "people": 2}]
PLACED = [{"type": "LOCATED_IN", "source": "h7", "target": "b1"}, {"type": "LOCATED_IN", "source": "h8", "target": "b1"}]


def jsonl(records: list[tuple[str, dict]], end: str) -> bytes:
    return "".join(json.dumps({what: r}, ensure_ascii=False) + end for what, r in records).encode()


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "BOM"])
def test_json_lines_load_with_a_bom_and_any_line_end(tmp_path, store, bom, end):
    store.load(items(street()))
    path = tmp_path / "new.jsonl"
    path.write_bytes(bom + jsonl([("node", r) for r in HOUSEHOLDS] + [("edge", e) for e in PLACED], end))
    report = load_file(store, path)
    assert (report.added_nodes, report.added_edges) == (2, 2)
    assert store.node("h7")["address"] == "桂花社区2号楼101室"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "BOM"])
def test_a_json_document_loads_with_a_bom_and_any_line_end(tmp_path, embedded, bom, end):
    path = tmp_path / "street.json"
    text = json.dumps(street(), ensure_ascii=False, indent=1).replace("\n", end)
    path.write_bytes(bom + text.encode())
    assert load_file(embedded, path).added_nodes == len(street()["nodes"])


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_errors_name_the_line_an_editor_shows_whatever_the_line_ends(tmp_path, embedded, end):
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"node": HOUSEHOLDS[0]}), "", json.dumps({"node": {"id": "h9", "kind": "Household", "people": 0}}),
             "{not json", json.dumps({"vertex": {}})]
    path.write_bytes(b"\xef\xbb\xbf" + end.join(lines).encode() + end.encode())
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    assert [e.where for e in info.value.errors] == ["line 3", "line 4", "line 5"]
    doc = tmp_path / "bad.json"
    doc.write_bytes(b"\xef\xbb\xbf" + end.join(['{"nodes": [', '{"id": "h1",', '"kind": Household}]}']).encode())
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, doc)
    assert "line 3 column 9" in info.value.errors[0].message


def test_a_utf16_file_is_named_as_such(tmp_path, embedded):
    path = tmp_path / "street.jsonl"
    path.write_bytes(jsonl([("node", HOUSEHOLDS[0])], "\r\n").decode().encode("utf-16"))
    with pytest.raises(InvalidRecords, match="UTF-16.*save it as UTF-8"):
        load_file(embedded, path)


def test_the_cli_loads_a_file_saved_by_a_windows_tool(tmp_path):
    path = tmp_path / "street.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(street(), ensure_ascii=False, indent=1).replace("\n", "\r\n").encode())
    done = run_cli("load", str(path), "--db", str(tmp_path / "city.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "added 15 nodes" in done.stdout


# -- 3. one limit for free-form properties ------------------------------------------------------------

def test_the_api_keeps_the_limits_of_the_model():
    from orggraph.api import schemas

    assert (schemas.MAX_TEXT, schemas.MAX_ITEMS, schemas.MAX_NAME) == (MAX_TEXT, MAX_ITEMS, MAX_NAME)


def test_a_load_keeps_the_one_limit_on_free_form_properties(store):
    long = "x" * (MAX_TEXT + 1)
    messages = refused(store, [
        node(id="h9", kind="Household", note=long),
        node("line 2", id="h8", kind="Household", note="y" * 50_000_000),
        node("line 3", id="h7", kind="Household", tags=list(range(MAX_ITEMS + 1))),
        node("line 4", id="h6", kind="Household", tags=[["nested"]]),
        node("line 5", id="h5", kind="Household", tags={"an": "object"}),
        node("line 6", id="h4", kind="Household", **{"n" * (MAX_NAME + 1): 1}),
        node("line 7", id="h3", kind="Household", **{f"p{i}": i for i in range(MAX_PROPERTIES + 1)}),
        node("line 8", id="h2", kind="Household", tags=["x" * (MAX_TEXT + 1)]),
        edge("line 9", type="CONTACTS", source="m1", target="h3", note=long),
        node("line 10", id="h1", kind="Household", count=2**64, ratio=float("inf")),
    ])
    assert messages == [
        f"line 1, field note: is too long: a property holds at most {MAX_TEXT} characters of text",
        f"line 2, field note: is too long: a property holds at most {MAX_TEXT} characters of text",
        f"line 3, field tags: holds {MAX_ITEMS + 1} items; a property holds at most {MAX_ITEMS}",
        f"line 4, field tags: a list property holds text, numbers and true/false, nested at most {MAX_DEPTH} deep; "
        "this one holds a list or an object",
        "line 5, field tags: must be text, a number, true/false or a list of those, got dict",
        f"line 6: a property name is {MAX_NAME + 1} characters long; a name holds at most {MAX_NAME}",
        f"line 7: holds {MAX_PROPERTIES + 1} properties of its own; a record holds at most {MAX_PROPERTIES}",
        f"line 8, field tags: is too long: a property holds at most {MAX_TEXT} characters of text",
        f"line 9, field note: is too long: a property holds at most {MAX_TEXT} characters of text",
        "line 10, field count: is a whole number beyond 64 bits",
        "line 10, field ratio: must be a finite number",
    ]


def test_properties_within_the_limits_load(store):
    props = {"note": "x" * MAX_TEXT, "tags": ["a", 1, 2.5, True] * (MAX_ITEMS // 4), "n" * MAX_NAME: -(2**63)}
    store.load(items(street()))
    store.load([node(id="h9", kind="Household", **props),
                edge("line 2", type="CONTACTS", source="m1", target="h9", note="y" * MAX_TEXT)])
    assert {k: store.node("h9")[k] for k in props} == props


def test_the_cli_refuses_a_property_over_the_limit(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"node": {"id": "h1", "kind": "Household", "note": "x" * 5_000_000}}) + "\n")
    done = run_cli("load", str(path), "--db", str(tmp_path / "city.db"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"line 1, field note: is too long: a property holds at most {MAX_TEXT} characters of text" in done.stderr
    assert len(done.stderr) < 2000


def test_the_api_keeps_the_same_limit_on_every_route(api):
    long = "x" * (MAX_TEXT + 1)
    imported = post_import(api, "editor", {"nodes": [{"id": "h1", "kind": "Household", "note": long}]})
    assert imported.status_code == 422
    assert imported.json()["error"]["details"] == [
        {"where": "nodes[0]", "field": "note", "message": f"is too long: a property holds at most {MAX_TEXT} characters of text"}]
    lines = json.dumps({"node": {"id": "h1", "kind": "Household", "tags": [["a"]]}}) + "\n"
    assert post_import(api, "editor", lines, "application/x-ndjson").status_code == 422
    put = send(api, "put", "/households/h1", json={"note": long})
    assert put.status_code == 422 and str(MAX_TEXT) in put.text
    assert send(api, "put", "/households/h1", json={"note": "x" * MAX_TEXT}).status_code == 200


# -- 4. a record given twice in one input ---------------------------------------------------------------

def test_an_id_given_again_with_other_properties_names_both_lines(tmp_path, store):
    store.load(items(street()))
    before = snapshot(store)
    lines = [{"node": {"id": "h7", "kind": "Household"}}, {"node": {"id": "h8", "kind": "Household"}},
             {"node": {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "people": 3}},
             {"node": {"id": "h9", "kind": "Household"}}, {"edge": {"type": "LOCATED_IN", "source": "h9", "target": "b1"}},
             {"node": {"id": "h8", "kind": "Household"}},  # given again alike: taken once
             {"node": {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "people": 4}}]
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    with pytest.raises(InvalidRecords) as info:
        load_file(store, path)
    assert [str(e) for e in info.value.errors] == [
        "line 7, field id: 'h1' is given again with other properties (first at line 3)"]
    assert snapshot(store) == before
    with pytest.raises(InvalidRecords):
        load_file(store, path, dry_run=True)


def test_a_record_given_twice_alike_is_taken_once_and_is_unchanged_on_reload(tmp_path, store):
    doc = street()
    doc["nodes"].insert(3, dict(doc["nodes"][-1]))  # h3, with its keys in another order below
    doc["nodes"].append(dict(reversed(list(doc["nodes"][-1].items()))))
    doc["edges"].append(dict(doc["edges"][-1]))
    path = tmp_path / "street.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    first = load_file(store, path)
    assert (first.added_nodes, first.added_edges) == (len(street()["nodes"]), len(street()["edges"]))
    again = load_file(store, path)
    assert (again.added_nodes, again.added_edges, again.changed) == (0, 0, 0)


def test_an_edge_given_again_with_another_until_or_other_properties_names_both_places(store):
    store.load(items(street()))
    doc = {"nodes": [], "edges": [
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-01-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-06-01"},  # another since: another edge
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-01-01", "until": "2025-12-31"},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1", "floor": 2},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1", "floor": 3},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1", "floor": 2},  # alike the first: no more to say
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-06-01"},
    ]}
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(items(doc))
    assert [str(e) for e in info.value.errors] == [
        "edges[2]: this CONTACTS edge (its source, target and since) is given again with other properties or until "
        "(first at edges[0])",
        "edges[4]: this LOCATED_IN edge (its source, target and since) is given again with other properties or until "
        "(first at edges[3])"]
    assert snapshot(store) == before


def test_an_id_given_for_two_kinds_is_named_once(embedded):
    messages = refused(embedded, [node(id="h9", kind="Household"), node("line 2", id="h9", kind="Member", name="王芳")])
    assert messages == ["line 2, field id: 'h9' is already a Household in this load; an id names one node only"]


def test_repeats_are_found_across_batches(embedded):
    records = [node(f"line {i}", id=f"h{i}", kind="Household", people=1 + i % 5) for i in range(1, 12_001)]
    records.append(node("line 12001", id="h17", kind="Household", people=5))
    messages = refused(embedded, records)
    assert messages == ["line 12001, field id: 'h17' is given again with other properties (first at line 17)"]


def test_a_row_given_again_in_a_workbook_names_both_rows_and_the_column(tmp_path, embedded):
    from orggraph.io.excel import write_workbook

    path = tmp_path / "台账.xlsx"
    write_workbook([{"id": "h1", "kind": "Household", "people": 2}, {"id": "h2", "kind": "Household"},
                    {"id": "h1", "kind": "Household", "people": 3}], [], path)
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    [error] = info.value.errors
    assert (error.where, error.message) == ("sheet 住户, row 4", "'h1' is given again with other properties (first at sheet 住户, row 2)")
    assert error.field.startswith("column A") and error.field.endswith("(id)")
