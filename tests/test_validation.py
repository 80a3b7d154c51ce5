"""Every validation rule: bad input gets a message naming record, field and fault, and the store is unchanged."""

from __future__ import annotations

import pytest

from orggraph.exceptions import InvalidRecords
from orggraph.model import ENDPOINTS

from .conftest import items, snapshot, street


def refused(store, doc: dict) -> list[str]:
    """Load a bad document into a store that already holds the street; return the messages."""
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(items(doc))
    assert snapshot(store) == before, "a failed load changed the store"
    return [str(e) for e in info.value.errors]


def an(kind: str) -> str:
    return {"Area": "an Area", "Org": "an Org"}.get(kind, f"a {kind}")


def one_node(**node) -> dict:
    return {"nodes": [node], "edges": []}


def one_edge(**edge) -> dict:
    return {"nodes": [], "edges": [edge]}


@pytest.mark.parametrize(
    "node, expected",
    [
        ({"kind": "Area", "name": "x", "level": "grid"}, "nodes[0], field id: is required"),
        ({"id": "a9", "kind": "Area", "level": "grid"}, "nodes[0], field name: is required"),
        ({"id": "a9", "kind": "Area", "name": "x"}, "nodes[0], field level: is required"),
        ({"id": "o9", "kind": "Org", "name": "x"}, "nodes[0], field level: is required"),
        ({"id": "u9", "kind": "Unit"}, "nodes[0], field name: is required"),
        ({"id": "m9", "kind": "Member"}, "nodes[0], field name: is required"),
        ({"id": "", "kind": "Household"}, "nodes[0], field id: must not be empty"),
        ({"id": " h9", "kind": "Household"}, "nodes[0], field id: holds a space (U+0020 SPACE) at position 1; remove it"),
        ({"id": 12, "kind": "Household"}, "nodes[0], field id: must be text, got 12"),
        ({"id": "a9", "kind": "Area", "name": "", "level": "grid"}, "nodes[0], field name: must not be empty"),
        ({"id": "h\x079", "kind": "Household"}, "nodes[0], field id: 'h\\x079' holds a control character (U+0007); remove it"),
        ({"id": "h\n9", "kind": "Household"}, "nodes[0], field id: 'h\\n9' holds a control character (U+000A); remove it"),
        ({"id": "h9", "kind": "Household", "address": "1号楼\x00"},
         "nodes[0], field address: text of 4 characters holds a control character (U+0000) at character 4; remove it"),
        ({"id": "m9", "kind": "Member", "name": "张\x1b三"}, "nodes[0], field name: '张\\x1b三' holds a control character (U+001B); remove it"),
    ],
)
def test_required_fields(loaded, node, expected):
    assert refused(loaded, one_node(**node)) == [expected]


def test_text_keeps_tabs_and_line_breaks(loaded):
    doc = one_node(id="h9", kind="Household", address="桂花社区1号楼\n101室\t(东)")
    loaded.load(items(doc))
    assert loaded.node("h9")["address"] == "桂花社区1号楼\n101室\t(东)"


@pytest.mark.parametrize(
    "node, field, allowed",
    [
        ({"id": "a9", "kind": "Area", "name": "x", "level": "district"}, "level", "street, township, community"),
        ({"id": "o9", "kind": "Org", "name": "x", "level": "cell"}, "level", "street, township, community"),
        ({"id": "o9", "kind": "Org", "name": "x", "level": "grid", "status": "bad"}, "status", "normal, weak_lax"),
        ({"id": "u9", "kind": "Unit", "name": "x", "category": "bank"}, "category", "agency, institution"),
        ({"id": "m9", "kind": "Member", "name": "x", "category": "cadre"}, "category", "in_service, resident"),
        ({"id": "m9", "kind": "Member", "name": "x", "status": "away"}, "status", "active, unavailable"),
        ({"id": "h9", "kind": "Household", "flags": ["rich"]}, "flags", "elderly_alone, elderly, disabled"),
    ],
)
def test_unknown_vocabulary_lists_the_allowed_values(loaded, node, field, allowed):
    [message] = refused(loaded, one_node(**node))
    assert message.startswith(f"nodes[0], field {field}: unknown value ")
    assert allowed in message


@pytest.mark.parametrize(
    "edge, field, allowed",
    [
        ({"type": "HOLDS_POST", "source": "m1", "target": "o-c1", "post": "chairman"}, "post", "secretary, deputy_secretary"),
        ({"type": "ASSIGNED_TO", "source": "m1", "target": "b1", "role": "guard"}, "role", "grid_leader, grid_worker"),
        ({"type": "CO_BUILDS", "source": "u1", "target": "o-c1", "kind": "gift"}, "kind", "co_building, pairing"),
    ],
)
def test_unknown_post_role_or_kind(loaded, edge, field, allowed):
    [message] = refused(loaded, one_edge(**edge))
    assert message.startswith(f"edges[0], field {field}: unknown value ")
    assert allowed in message


def test_post_and_role_are_required(loaded):
    messages = refused(loaded, {"nodes": [], "edges": [
        {"type": "HOLDS_POST", "source": "m1", "target": "o-c1"},
        {"type": "ASSIGNED_TO", "source": "m1", "target": "b1"},
    ]})
    assert messages == ["edges[0], field post: is required", "edges[1], field role: is required"]


def test_unknown_kind_and_type(loaded):
    messages = refused(loaded, {"nodes": [{"id": "x", "kind": "Person"}], "edges": [{"type": "KNOWS", "source": "m1", "target": "m2"}]})
    assert messages[0].startswith("nodes[0], field kind: unknown node kind 'Person'; allowed: Area, Org, Unit, Member, Household")
    assert messages[1].startswith("edges[0], field type: unknown edge type 'KNOWS'; allowed: WITHIN, SUBORDINATE_TO")


def test_a_kind_or_type_that_is_not_text(loaded):
    messages = refused(loaded, {"nodes": [{"id": "x", "kind": ["Household"]}], "edges": [{"type": {}, "source": "m1", "target": "m2"}]})
    assert messages[0].startswith("nodes[0], field kind: unknown node kind ['Household']")
    assert messages[1].startswith("edges[0], field type: unknown edge type {}")


@pytest.mark.parametrize(
    "since, until, expected",
    [
        ("2021-02-30", None, "edges[0], field since: 2021-02-30 is not a day of the calendar: February 2021 has 28 days"),
        ("2021/2/29", None, "edges[0], field since: 2021-02-29 is not a day of the calendar: February 2021 has 28 days"),
        (None, "2021-13-01", "edges[0], field until: 2021-13-01 is not a day of the calendar: there is no month 13"),
        ("2021年3月", None, "edges[0], field since: a month, not a day (2021-03): give the day"),
        ("03/01/2021", None, "edges[0], field since: the year last, so which is the month and which the day cannot be "
                             "told for sure (is it 2021-03-01 or 2021-01-03?): write year-month-day, as 2020-07-01"),
        ("21-03-01", None, "edges[0], field since: a year of two digits: write the year in full, year-month-day, as "
                           "2020-07-01"),
        ("2022-05-01", "2022-04-30", "edges[0], field until: 2022-04-30 is before since 2022-05-01"),
        ("2022/5/1", "2022年4月30日", "edges[0], field until: 2022-04-30 is before since 2022-05-01"),
    ],
)
def test_dates(loaded, since, until, expected):
    edge = {"type": "CONTACTS", "source": "m2", "target": "h1", "since": since, "until": until}
    assert refused(loaded, one_edge(**edge)) == [expected]


@pytest.mark.parametrize("since", ["2021/03/01", "2021-3-1", "2021.3.1", "2021年3月1日", "20210301", " ２０２１－０３－０１ "])
def test_a_day_in_another_spelling_is_stored_as_iso(loaded, since):
    loaded.load(items(one_edge(type="CONTACTS", source="m2", target="h1", since=since, until="2021年12月31日")))
    [edge] = [e for e in loaded.edges("CONTACTS") if e["source"] == "m2"]
    assert (edge["since"], edge["until"]) == ("2021-03-01", "2021-12-31")
    again = loaded.load(items(one_edge(type="CONTACTS", source="m2", target="h1", since="2021-03-01", until="2021-12-31")))
    assert (again.added_edges, again.changed) == (0, 0)  # the same edge, whichever way its day was written


def test_same_day_since_and_until_is_valid(loaded):
    loaded.load(items(one_edge(type="CONTACTS", source="m2", target="h1", since="2022-05-01", until="2022-05-01")))
    assert any(e["source"] == "m2" and e["target"] == "h1" for e in loaded.edges("CONTACTS"))


@pytest.mark.parametrize("people, expected", [
    (0, "must be at least 1, got 0"),
    (-2, "must be at least 1, got -2"),
    ("3", "must be a whole number, got '3'"),
    (2.5, "must be a whole number, got 2.5"),
])
def test_people_is_a_whole_number_of_at_least_one(loaded, people, expected):
    assert refused(loaded, one_node(id="h9", kind="Household", people=people)) == [f"nodes[0], field people: {expected}"]


@pytest.mark.parametrize("phone", ["13800001234", "19912345678", "0716-7654321", "010-12345678", "0716-7654321-801"])
def test_valid_phones(loaded, phone):
    loaded.load(items(one_node(id="m9", kind="Member", name="赵敏", phone=phone)))
    assert loaded.node("m9")["phone"] == phone


@pytest.mark.parametrize("phone, stored", [
    ("+8613800001234", "13800001234"), ("1380000 1234", "13800001234"), ("02787654321", "027-87654321"),
    ("(0716)7654321", "0716-7654321"), ("0716-7654321 转801", "0716-7654321-801"),
])
def test_a_phone_in_another_spelling_is_stored_in_one(loaded, phone, stored):
    loaded.load(items(one_node(id="m9", kind="Member", name="赵敏", phone=phone)))
    assert loaded.node("m9")["phone"] == stored


@pytest.mark.parametrize("phone, expected", [
    ("12800001234", "a mobile number begins with 13 to 19"),
    ("1380000123", "11 digits needed for a mobile, got 10"),
    ("138000012345", "11 digits needed for a mobile, got 12"),
    ("7654321", "no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)"),
    ("phone", "letters in a phone number"),
    ("13800001234/0716-7654321", "two numbers (a mobile and a landline); a phone field holds one"),
])
def test_invalid_phones_are_refused_saying_why_without_the_number(loaded, phone, expected):
    [message] = refused(loaded, one_node(id="m9", kind="Member", name="赵敏", phone=phone))
    assert message == f"nodes[0], field phone: {expected}"
    for number in (n for n in phone.split("/") if n[0].isdigit()):  # no number of it, nor its digits run together
        assert number not in message and number.replace("-", "") not in message


@pytest.mark.parametrize("type_", sorted(ENDPOINTS))
def test_edge_endpoints_of_the_wrong_kind(loaded, type_):
    source_kind, target_kind = ENDPOINTS[type_]
    # pick an existing node of a kind that is wrong for each end
    wrong = {"Area": "h2", "Org": "h3", "Unit": "m1", "Member": "o-u1", "Household": "o-c1"}
    right = {"Area": "b1", "Org": "o-c1", "Unit": "u1", "Member": "m2", "Household": "h1"}
    other = {"Area": "g1", "Org": "o-g1"}  # a second right node, for edges between two of a kind
    extra = {"post": "secretary"} if type_ == "HOLDS_POST" else {"role": "grid_worker"} if type_ == "ASSIGNED_TO" else {}
    bad_source = {"type": type_, "source": wrong[source_kind], "target": right[target_kind], **extra}
    messages = refused(loaded, {"nodes": [], "edges": [bad_source]})
    assert messages == [
        f"edges[0], field source: {wrong[source_kind]!r} is {an(loaded.node(wrong[source_kind])['kind'])}, "
        f"but {type_} goes from {an(source_kind)} to {an(target_kind)}"
    ]
    src = right[source_kind] if source_kind != target_kind else other[source_kind]
    bad_target = {"type": type_, "source": src, "target": wrong[target_kind], **extra}
    messages = refused(loaded, {"nodes": [], "edges": [bad_target]})
    assert messages == [
        f"edges[0], field target: {wrong[target_kind]!r} is {an(loaded.node(wrong[target_kind])['kind'])}, "
        f"but {type_} goes from {an(source_kind)} to {an(target_kind)}"
    ]


def test_endpoint_checked_when_the_node_comes_later_in_the_file(store):
    doc = {"edges": [{"type": "CONTACTS", "source": "m1", "target": "h1"}],
           "nodes": [{"id": "h1", "kind": "Household"}, {"id": "m1", "kind": "Area", "name": "x", "level": "grid"}]}
    # edges listed first in the document, nodes after: the check waits for the whole load
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(items(doc))
    assert [str(e) for e in info.value.errors] == [
        "edges[0], field source: 'm1' is an Area, but CONTACTS goes from a Member to a Household"
    ]
    assert snapshot(store) == before


def test_missing_endpoint(loaded):
    assert refused(loaded, one_edge(type="CONTACTS", source="m404", target="h1")) == [
        "edges[0], field source: 'm404' is not a node in this load or in the store "
        "(CONTACTS goes from a Member to a Household)"
    ]


def test_edge_to_itself(loaded):
    assert refused(loaded, one_edge(type="WITHIN", source="g1", target="g1")) == [
        "edges[0], field target: an edge cannot go from 'g1' to itself"
    ]


@pytest.mark.parametrize("type_, a, b, c", [("WITHIN", "s1", "c1", "g1"), ("SUBORDINATE_TO", "o-s1", "o-c1", "o-g1")])
def test_cycles_within_one_load(store, type_, a, b, c):
    doc = street()
    doc["edges"].append({"type": type_, "source": a, "target": c})  # closes c -> b -> a -> c
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(items(doc))
    [message] = [str(e) for e in info.value.errors]
    assert message.startswith(f"edges[{len(doc['edges']) - 1}]: {type_} edges form a cycle: ")
    assert all(x in message for x in (a, b, c))
    assert snapshot(store) == before


def test_cycle_closed_against_the_store(loaded):
    [message] = refused(loaded, one_edge(type="WITHIN", source="s1", target="b1"))
    assert message.startswith("edges[0]: WITHIN edges form a cycle: ")
    for area in ("s1", "b1", "g1", "c1"):
        assert area in message


def test_one_id_for_two_kinds_within_a_load(store):
    doc = {"nodes": [{"id": "x1", "kind": "Household"}, {"id": "x1", "kind": "Member", "name": "王芳"}]}
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(items(doc))
    assert [str(e) for e in info.value.errors] == [
        "nodes[1], field id: 'x1' is already a Household in this load; an id names one node only"
    ]
    assert snapshot(store) == before


def test_one_id_for_two_kinds_against_the_store(loaded):
    assert refused(loaded, one_node(id="h1", kind="Member", name="王芳")) == [
        "nodes[0], field id: 'h1' is already a Household in the store; an id names one node only"
    ]


def test_records_that_are_not_objects(loaded):
    messages = refused(loaded, {"nodes": ["h9"], "edges": [7]})
    assert messages == ["nodes[0]: a Node must be a JSON object, got str", "edges[0]: an Edge must be a JSON object, got int"]


def test_every_problem_is_reported_and_counted(loaded):
    doc = {"nodes": [{"id": f"h{i}x", "kind": "Household", "people": 0} for i in range(150)]}
    before = snapshot(loaded)
    with pytest.raises(InvalidRecords) as info:
        loaded.load(items(doc))
    assert info.value.total == 150
    assert len(info.value.errors) == 100
    assert "... and 50 more" in str(info.value)
    assert snapshot(loaded) == before


def test_a_bad_record_among_many_good_ones_writes_nothing(store):
    doc = street()
    doc["nodes"].append({"id": "h99", "kind": "Household", "people": 0})
    before = snapshot(store)
    with pytest.raises(InvalidRecords):
        store.load(items(doc), batch_size=2)  # small batches: the good ones reach the database first
    assert snapshot(store) == before
    assert store.counts() == {"nodes": {}, "edges": {}}


def test_null_means_not_given(store):
    doc = street()
    doc["nodes"].append({"id": "h9", "kind": "Household", "phone": None, "address": None})
    store.load(items(doc))
    assert store.node("h9") == {"id": "h9", "kind": "Household"}


def test_extra_keys_are_kept_as_properties(loaded):
    assert loaded.node("h3")["note"] == "二楼东户"
