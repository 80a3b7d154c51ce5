"""The facts every backend finds (orggraph.facts), each written out by hand on small networks, and both
backends finding the same facts on a generated city."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from orggraph.facts import FIGURES, Day, Facts, Neighbourhood, NodeFacts, Tally, Territory

from .conftest import items
from .test_queries import FLOOD

DAY = Day("2026-11-23")


def figures(households=0, covered=0, people=0, people_covered=0, vulnerable=0, vulnerable_covered=0):
    return [households, covered, people, people_covered, vulnerable, vulnerable_covered]


def area(kind="Area", name=None, level=None):
    return NodeFacts(kind=kind, name=name, level=level)


def member(name, unavailable=False):
    return NodeFacts(kind="Member", name=name, unavailable=unavailable)


def household(people=1, vulnerable=False):
    return NodeFacts(kind="Household", people=people, vulnerable=vulnerable)


def org(name, level, weak=False):
    return NodeFacts(kind="Org", name=name, level=level, weak=weak)


# -- the hand-built street of conftest ---------------------------------------------------------------
# s1 > c1 > g1 > b1, and h1 (3 people), h2 (elderly alone), h3 (2 people) all located in b1. m1 contacts
# h1 since 2022-03 and contacted h2 from 2022-03 to 2023-12-31; m3 (marked unavailable) contacts h2 since
# 2024; m2 is b1's building leader, g1's secretary since 2021-03 and lives in h3. Each level but b1 is
# governed by its org since 2021-03; g1's is weak and lax. m1 works at u1, whose branch is o-u1.

STREET_NODES = {
    "s1": area(name="江滨街道", level="street"),
    "c1": area(name="桂花社区", level="community"),
    "g1": area(name="桂花社区第1网格", level="grid"),
    "b1": area(name="桂花社区1号楼", level="building"),
    "o-s1": org("江滨街道大工委", "street"),
    "o-c1": org("桂花社区大党委", "community"),
    "o-g1": org("第1网格党支部", "grid", weak=True),
    "o-u1": org("财政局机关党支部", "unit"),
    "u1": NodeFacts(kind="Unit", name="云河市财政局"),
    "m1": member("王芳"),
    "m2": member("李强"),
    "m3": member("张伟", unavailable=True),
    "h1": household(people=3),
    "h2": household(vulnerable=True),
    "h3": household(people=2),
}


def test_the_store_and_its_index_have_facts(loaded):
    facts = loaded.facts()
    assert isinstance(facts, Facts)
    assert facts.revision == loaded.revision


def test_kinds_of_and_ids(loaded):
    facts = loaded.facts()
    assert facts.kinds_of(["h1", "m3", "u1", "o-g1", "s1", "zz"]) == {
        "h1": "Household", "m3": "Member", "u1": "Unit", "o-g1": "Org", "s1": "Area"}
    assert facts.kinds_of([]) == {}
    assert facts.ids("Area") == ["b1", "c1", "g1", "s1"]
    assert facts.ids("Org") == ["o-c1", "o-g1", "o-s1", "o-u1"]
    assert facts.ids("Member") == ["m1", "m2", "m3"]
    assert facts.ids("Household") == ["h1", "h2", "h3"]
    assert facts.ids("Unit") == ["u1"]
    with pytest.raises(ValueError, match="'Street'"):
        facts.ids("Street")


def test_nodes(loaded):
    assert loaded.facts().nodes(["h1", "h2", "m3", "o-g1", "b1", "u1", "zz"]) == {
        k: STREET_NODES[k] for k in ("h1", "h2", "m3", "o-g1", "b1", "u1")}
    assert loaded.facts().nodes(STREET_NODES) == STREET_NODES


def test_territory(loaded):
    territory = loaded.facts().territory(DAY)
    assert territory == loaded.facts().territory(None)  # nothing of the territory is dated
    assert isinstance(territory, Territory)
    assert territory.ids == ["b1", "c1", "g1", "s1"]
    assert territory.names == ["桂花社区1号楼", "桂花社区", "桂花社区第1网格", "江滨街道"]
    assert territory.levels == ["building", "community", "grid", "street"]
    # b1 in g1, c1 in s1, g1 in c1, by position
    assert territory.within.tolist() == [[0, 2], [1, 3], [2, 1]]
    assert territory.position == {"b1": 0, "c1": 1, "g1": 2, "s1": 3}
    assert territory == Territory(territory.ids, territory.names, territory.levels, np.array([[0, 2], [1, 3], [2, 1]]))


@pytest.mark.parametrize("day, row", [
    # h1 (3 people) covered by m1; h2 (vulnerable) has only m3, who cannot be reached
    (DAY, figures(3, 1, 6, 3, 1, 0)),
    # m1 still contacts h2 as well
    (Day("2023-06-01"), figures(3, 2, 6, 4, 1, 1)),
    # nobody contacted anyone yet
    (Day("2021-01-01"), figures(3, 0, 6, 0, 1, 0)),
    # what if m1 cannot be reached
    (Day("2026-11-23", frozenset({"m1"})), figures(3, 0, 6, 0, 1, 0)),
    (Day("2023-06-01", frozenset({"m1"})), figures(3, 0, 6, 0, 1, 0)),
])
def test_tally_of_the_street(loaded, day, row):
    tally = loaded.facts().tally(day)
    assert isinstance(tally, Tally)
    # the households are located in b1 only; the areas above count nothing directly
    assert tally.direct.tolist() == [row, figures(), figures(), figures()]
    assert tally.several == []
    assert tally.nowhere.tolist() == figures()
    assert len(FIGURES) == tally.direct.shape[1]


@pytest.mark.parametrize("day, which, within, expected", [
    (DAY, "all", None, ["h1", "h2", "h3"]),
    (DAY, "uncovered", None, ["h2", "h3"]),
    (Day("2023-06-01"), "uncovered", None, ["h3"]),
    (Day("2026-11-23", frozenset({"m1"})), "uncovered", None, ["h1", "h2", "h3"]),
    (DAY, "unlocated", None, []),
    (DAY, "lapsed", None, []),  # h2's edge from m3 is valid, though m3 cannot be reached
    (DAY, "all", ["b1"], ["h1", "h2", "h3"]),
    (DAY, "uncovered", ["b1", "zz", "h1"], ["h2", "h3"]),
    (DAY, "all", ["g1", "c1", "s1"], []),  # located in b1 itself only
    (DAY, "all", [], []),
])
def test_households_of_the_street(loaded, day, which, within, expected):
    assert loaded.facts().households(day, which, within) == expected


def test_households_refuse_an_unknown_which(loaded):
    with pytest.raises(ValueError, match="'covered'"):
        loaded.facts().households(DAY, "covered")


def test_contact_load_of_the_street(loaded):
    facts = loaded.facts()
    assert facts.contact_load(DAY) == {"m1": (1, 1)}  # m3 cannot be reached
    assert facts.contact_load(Day("2023-06-01")) == {"m1": (2, 2)}
    assert facts.contact_load(Day("2026-11-23", frozenset({"m1"}))) == {}
    assert facts.contact_load(Day("2021-01-01")) == {}


def test_edges_of_the_street(loaded):
    facts = loaded.facts()
    assert facts.edges("CONTACTS") == [("m1", "h1", None), ("m1", "h2", None), ("m3", "h2", None)]
    assert facts.edges("CONTACTS", day=DAY.as_of) == [("m1", "h1", None), ("m3", "h2", None)]
    assert facts.edges("CONTACTS", targets=["h2"]) == [("m1", "h2", None), ("m3", "h2", None)]
    assert facts.edges("CONTACTS", targets=["h2"], day="2023-12-31") == [("m1", "h2", None)]
    assert facts.edges("CONTACTS", targets=["h2"], day="2024-01-01") == [("m3", "h2", None)]
    assert facts.edges("CONTACTS", sources=["m1"], targets=["h2", "h3", "zz"]) == [("m1", "h2", None)]
    assert facts.edges("CONTACTS", sources=["zz"]) == []
    assert facts.edges("CONTACTS", sources=[]) == []
    assert facts.edges("GOVERNS", day="2021-02-28") == []
    assert facts.edges("GOVERNS", day="2021-03-01") == [("o-c1", "c1", None), ("o-g1", "g1", None), ("o-s1", "s1", None)]
    assert facts.edges("HOLDS_POST") == [("m2", "o-g1", "secretary")]
    assert facts.edges("ASSIGNED_TO", targets=["b1"], day="2000-01-01") == [("m2", "b1", "building_leader")]
    assert facts.edges("WITHIN") == [("b1", "g1", None), ("c1", "s1", None), ("g1", "c1", None)]
    assert facts.edges("RESIDES_IN", sources=["m2"]) == [("m2", "h3", None)]
    assert facts.edges("LOCATED_IN", targets=["g1"]) == []
    with pytest.raises(ValueError, match="'KNOWS'"):
        facts.edges("KNOWS")


def test_neighbourhood_of_a_covered_household(loaded):
    found = loaded.facts().neighbourhood(DAY, ["h1"])
    assert isinstance(found, Neighbourhood)
    assert found.contacts == {"h1": ["m1"]}
    assert found.located == {"h1": ["b1"]}
    assert found.employers == {"m1": ["u1"]}
    assert found.unit_orgs == {"u1": ["o-u1"]}
    assert found.assigned == {"b1": [("building_leader", "m2")]}
    assert found.governing == {"c1": ["o-c1"], "g1": ["o-g1"], "s1": ["o-s1"]}
    assert found.posts == {"o-g1": [("secretary", "m2")]}  # o-c1, o-s1 and o-u1 have nobody in post
    assert found.nodes == {k: STREET_NODES[k] for k in
                           ("h1", "m1", "u1", "o-u1", "b1", "g1", "c1", "s1", "m2", "o-c1", "o-g1", "o-s1")}


def test_neighbourhood_leaves_availability_to_the_question(loaded):
    found = loaded.facts().neighbourhood(Day("2026-11-23", frozenset({"m2"})), ["h2", "zz", "m1"])
    assert found.contacts == {"h2": ["m3"]}  # m3 is marked unavailable: nodes say so
    assert found.nodes["m3"].unavailable
    assert found.located == {"h2": ["b1"]}
    assert (found.employers, found.unit_orgs) == ({}, {})
    assert found.assigned == {"b1": [("building_leader", "m2")]}
    assert found.posts == {"o-g1": [("secretary", "m2")]}
    assert set(found.nodes) == {"h2", "m3", "b1", "g1", "c1", "s1", "m2", "o-c1", "o-g1", "o-s1"}


def test_neighbourhood_before_anything_was_governed(loaded):
    found = loaded.facts().neighbourhood(Day("2021-01-01"), ["h3"])
    assert found.contacts == {}
    assert found.located == {"h3": ["b1"]}
    assert found.assigned == {"b1": [("building_leader", "m2")]}  # the assignment has no dates
    assert (found.governing, found.posts, found.employers) == ({}, {}, {})
    assert found.nodes == {k: STREET_NODES[k] for k in ("h3", "b1", "g1", "c1", "s1", "m2")}


def test_neighbourhood_of_nothing(loaded):
    assert loaded.facts().neighbourhood(DAY, []) == Neighbourhood()
    assert loaded.facts().neighbourhood(DAY, ["zz", "m1", "b1"]) == Neighbourhood()


def test_present_in_the_street(loaded):
    facts = loaded.facts()
    # m1 contacts h1 and m3 h2 (availability is the question's), m2 is assigned to b1 and lives in h3
    assert facts.present(DAY, ["b1"]) == [("m1", "b1"), ("m2", "b1"), ("m3", "b1")]
    assert facts.present(Day("2023-06-01"), ["b1", "zz"]) == [("m1", "b1"), ("m2", "b1")]
    assert facts.present(Day("2021-01-01"), ["b1"]) == [("m2", "b1")]
    assert facts.present(DAY, ["g1", "c1", "s1"]) == []  # nobody is found there itself
    assert facts.present(DAY, []) == []


# -- the flood zone of test_queries, with a household in two buildings and a pair joined twice --------
# c > g > b, b2. b: h-a (disabled; m-1 and m-2), h-b (elderly alone; nobody); b2: h-c (m-far; m-idle
# lives there), h-old (m-1 until 2024-06-30), h-00..h-15 (m-busy); nowhere: h-nowhere, h-out (m-far).
# Added here: h-two (4 people, disabled) located in b and b2, contacted by m-idle; a second CONTACTS
# edge from m-2 to h-a, since 2023; a second HOLDS_POST edge of m-sec in o-c, ended 2020.

EXTRA = {
    "nodes": [{"id": "h-two", "kind": "Household", "people": 4, "flags": ["disabled"]}],
    "edges": [
        {"type": "LOCATED_IN", "source": "h-two", "target": "b"},
        {"type": "LOCATED_IN", "source": "h-two", "target": "b2"},
        {"type": "CONTACTS", "source": "m-idle", "target": "h-two", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m-2", "target": "h-a", "since": "2023-01-01"},
        {"type": "HOLDS_POST", "source": "m-sec", "target": "o-c", "post": "secretary", "since": "2019-01-01",
         "until": "2020-12-31"},
    ],
}


@pytest.fixture
def flood(store):
    store.load(items(FLOOD))
    store.load(items(EXTRA))
    return store


def test_territory_of_the_flood_zone(flood):
    territory = flood.facts().territory(DAY)
    assert territory.ids == ["b", "b2", "c", "g"]
    assert territory.levels == ["building", "building", "community", "grid"]
    assert territory.within.tolist() == [[0, 3], [1, 3], [3, 2]]


def test_tally_counts_a_household_in_two_areas_apart(flood):
    tally = flood.facts().tally(DAY)
    assert tally.direct.tolist() == [
        figures(2, 1, 2, 1, 2, 1),  # b: h-a covered, h-b not; both vulnerable
        figures(18, 17, 18, 17),  # b2: h-c and the sixteen covered, h-old lapsed
        figures(), figures(),
    ]
    assert tally.several == [((0, 1), (1, 1, 4, 4, 1, 1))]  # h-two, in b and b2
    assert tally.nowhere.tolist() == figures(2, 1, 2, 1)  # h-out covered by m-far, h-nowhere not
    whatif = flood.facts().tally(Day(DAY.as_of, frozenset({"m-idle", "m-far"})))
    assert whatif.several == [((0, 1), (1, 0, 4, 0, 1, 0))]
    assert whatif.direct[1].tolist() == figures(18, 16, 18, 16)
    assert whatif.nowhere.tolist() == figures(2, 0, 2, 0)
    assert tally == flood.facts().tally(DAY) and tally != whatif


@pytest.mark.parametrize("day, which, within, expected", [
    (DAY, "uncovered", None, ["h-b", "h-nowhere", "h-old"]),
    (DAY, "unlocated", None, ["h-nowhere", "h-out"]),
    (DAY, "lapsed", None, ["h-old"]),
    (Day("2024-06-30"), "lapsed", None, []),  # the last day of m-1's contact
    (Day("2024-07-01"), "lapsed", None, ["h-old"]),
    (Day("2020-08-01"), "lapsed", None, []),  # not begun is not lapsed
    (DAY, "all", ["b"], ["h-a", "h-b", "h-two"]),
    (DAY, "uncovered", ["b2"], ["h-old"]),
    (Day(DAY.as_of, frozenset({"m-idle"})), "uncovered", ["b2"], ["h-old", "h-two"]),
    (DAY, "lapsed", ["b", "b2"], ["h-old"]),
    (DAY, "unlocated", ["b"], []),
    (DAY, "all", ["g", "c"], []),
])
def test_households_of_the_flood_zone(flood, day, which, within, expected):
    assert flood.facts().households(day, which, within) == expected


def test_contact_load_counts_a_pair_joined_twice_once(flood):
    assert flood.facts().contact_load(DAY) == {
        "m-1": (1, 0), "m-2": (1, 0),  # h-a has both
        "m-busy": (16, 16), "m-far": (2, 2), "m-idle": (1, 1),
    }
    assert flood.facts().contact_load(Day(DAY.as_of, frozenset({"m-1", "m-busy"}))) == {
        "m-2": (1, 1), "m-far": (2, 2), "m-idle": (1, 1)}
    # 2023-06-01: m-1 also still contacts h-old
    assert flood.facts().contact_load(Day("2023-06-01"))["m-1"] == (2, 1)


def test_edges_give_each_pair_once_with_its_key(flood):
    facts = flood.facts()
    assert facts.edges("CONTACTS", sources=["m-2"]) == [("m-2", "h-a", None)]
    assert facts.edges("CONTACTS", targets=["h-a"], day="2022-06-01") == [("m-1", "h-a", None), ("m-2", "h-a", None)]
    assert facts.edges("HOLDS_POST", targets=["o-c"]) == [("m-dep", "o-c", "deputy_secretary"),
                                                          ("m-sec", "o-c", "secretary")]
    assert facts.edges("HOLDS_POST", day="2020-08-01") == [
        ("m-dep", "o-c", "deputy_secretary"), ("m-sec", "o-c", "secretary"), ("m-t", "o-t", "secretary")]
    assert facts.edges("HOLDS_POST", day="2021-01-01") == [
        ("m-dep", "o-c", "deputy_secretary"), ("m-sec", "o-c", "secretary")]
    assert facts.edges("GOVERNS", day="2020-10-01") == []
    assert facts.edges("GOVERNS", day="2020-09-30") == [("o-t", "g", None)]
    assert facts.edges("LOCATED_IN", sources=["h-two", "h-a"]) == [("h-a", "b", None), ("h-two", "b", None),
                                                                   ("h-two", "b2", None)]
    many = [f"h-{i:02d}" for i in range(16)]
    assert facts.edges("CONTACTS", targets=many) == [("m-busy", h, None) for h in many]
    assert facts.edges("CONTACTS", sources=["m-busy", "m-far"], targets=many + ["h-c"], day=DAY.as_of) == [
        ("m-busy", h, None) for h in many] + [("m-far", "h-c", None)]


def test_neighbourhood_of_a_household_with_two_contacts(flood):
    found = flood.facts().neighbourhood(DAY, ["h-a"])
    assert found.contacts == {"h-a": ["m-1", "m-2"]}
    assert found.located == {"h-a": ["b"]}
    assert found.employers == {"m-1": ["u"]}
    assert found.unit_orgs == {}  # u has no Party organization of its own
    assert found.assigned == {"b": [("building_leader", "m-2")]}
    assert found.governing == {"c": ["o-c"]}  # the temporary branch's window is over
    assert found.posts == {"o-c": [("deputy_secretary", "m-dep"), ("secretary", "m-sec")]}
    assert set(found.nodes) == {"h-a", "m-1", "m-2", "u", "b", "g", "c", "o-c", "m-dep", "m-sec"}
    assert found.nodes["h-a"] == household(vulnerable=True)
    assert found.nodes["o-c"] == org("滨湖社区大党委", "community")


def test_neighbourhood_in_the_flood_window(flood):
    found = flood.facts().neighbourhood(Day("2020-08-01"), ["h-a"])
    assert found.contacts == {}
    assert found.assigned == {}  # since 2021
    assert found.governing == {"g": ["o-t"]}
    assert found.posts == {"o-t": [("secretary", "m-t")]}
    assert set(found.nodes) == {"h-a", "b", "g", "c", "o-t", "m-t"}


def test_neighbourhood_of_several_households(flood):
    found = flood.facts().neighbourhood(DAY, ["h-two", "h-c", "h-nowhere", "h-a"])
    assert found.contacts == {"h-a": ["m-1", "m-2"], "h-c": ["m-far"], "h-two": ["m-idle"]}
    assert found.located == {"h-a": ["b"], "h-c": ["b2"], "h-two": ["b", "b2"]}
    assert found.employers == {"m-1": ["u"]}
    assert found.assigned == {"b": [("building_leader", "m-2")]}
    assert found.governing == {"c": ["o-c"]}
    assert set(found.nodes) == {"h-two", "h-c", "h-nowhere", "h-a", "m-1", "m-2", "m-far", "m-idle", "u",
                                "b", "b2", "g", "c", "o-c", "m-dep", "m-sec"}


def test_present_in_the_flood_zone(flood):
    facts = flood.facts()
    # b: m-1 and m-2 contact h-a, m-2 is assigned there, m-idle contacts h-two (in b and in b2)
    assert facts.present(DAY, ["b"]) == [("m-1", "b"), ("m-2", "b"), ("m-idle", "b")]
    # b2: m-busy, m-far (h-c), m-idle (h-two, and lives in h-c); m-1's contact with h-old has lapsed
    assert facts.present(DAY, ["b2"]) == [("m-busy", "b2"), ("m-far", "b2"), ("m-idle", "b2")]
    assert facts.present(DAY, ["b2", "b"]) == [("m-1", "b"), ("m-2", "b"), ("m-busy", "b2"), ("m-far", "b2"),
                                               ("m-idle", "b"), ("m-idle", "b2")]
    assert facts.present(Day("2023-06-01"), ["b2"]) == [("m-1", "b2"), ("m-busy", "b2"), ("m-far", "b2"),
                                                        ("m-idle", "b2")]
    # before any contact: only where m-idle lives (RESIDES_IN has no dates)
    assert facts.present(Day("2020-08-01"), ["b", "b2", "g"]) == [("m-idle", "b2")]


# -- the territory over time: case 08 of the shared cases, grid g1 split on 2024-07-01 --------------------
# c1 > g1 > b1 (h1) and, until 2024-06-30, g1 > b2 (h2, h3); from 2024-07-01 g2 (made that day, governed by
# o-g2 with m2 its secretary) takes b2. m1 contacts h1 and h2, m2 contacts h3; o-g1 (m1) governs g1.

SPLIT = {
    "nodes": [
        {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"},
        {"id": "g1", "kind": "Area", "name": "第1网格", "level": "grid"},
        {"id": "g2", "kind": "Area", "name": "第2网格(由第1网格拆分)", "level": "grid"},
        {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "o-g1", "kind": "Org", "name": "第1网格党支部", "level": "grid"},
        {"id": "o-g2", "kind": "Org", "name": "第2网格党支部", "level": "grid"},
        {"id": "m1", "kind": "Member", "name": "李乙"},
        {"id": "m2", "kind": "Member", "name": "陈戊"},
        {"id": "h1", "kind": "Household", "address": "1号楼101"},
        {"id": "h2", "kind": "Household", "address": "2号楼201"},
        {"id": "h3", "kind": "Household", "address": "2号楼202"},
    ],
    "edges": [
        {"type": "WITHIN", "source": "g1", "target": "c1"},
        {"type": "WITHIN", "source": "g2", "target": "c1", "since": "2024-07-01"},
        {"type": "WITHIN", "source": "b1", "target": "g1"},
        {"type": "WITHIN", "source": "b2", "target": "g1", "until": "2024-06-30"},
        {"type": "WITHIN", "source": "b2", "target": "g2", "since": "2024-07-01"},
        {"type": "GOVERNS", "source": "o-g1", "target": "g1"},
        {"type": "GOVERNS", "source": "o-g2", "target": "g2", "since": "2024-07-01"},
        {"type": "HOLDS_POST", "source": "m1", "target": "o-g1", "post": "secretary"},
        {"type": "HOLDS_POST", "source": "m2", "target": "o-g2", "post": "secretary", "since": "2024-07-01"},
        {"type": "LOCATED_IN", "source": "h1", "target": "b1"},
        {"type": "LOCATED_IN", "source": "h2", "target": "b2"},
        {"type": "LOCATED_IN", "source": "h3", "target": "b2"},
        {"type": "CONTACTS", "source": "m1", "target": "h1"},
        {"type": "CONTACTS", "source": "m1", "target": "h2"},
        {"type": "CONTACTS", "source": "m2", "target": "h3"},
    ],
}
BEFORE, AFTER = Day("2024-01-01"), Day("2024-08-01")


@pytest.fixture
def split(store):
    store.load(items(SPLIT))
    return store


def test_the_territory_before_and_after_a_grid_split(split):
    from orggraph.queries import coverage

    facts = split.facts()
    before, after, every = facts.territory(BEFORE), facts.territory(AFTER), facts.territory(None)
    assert before.ids == after.ids == every.ids == ["b1", "b2", "c1", "g1", "g2"]
    assert before.within.tolist() == [[0, 3], [1, 3], [3, 2]]  # b1, b2 in g1; g1 in c1
    assert before.taking_part == [0, 1, 2, 3]  # g2 was not made yet
    assert after.within.tolist() == [[0, 3], [1, 4], [3, 2], [4, 2]]  # b2 in g2; g2 in c1
    assert after.taking_part == [0, 1, 2, 3, 4]
    assert every.within.tolist() == [[0, 3], [1, 3], [1, 4], [3, 2], [4, 2]] and every.taking_part == [0, 1, 2, 3, 4]
    assert facts.territory(Day("2024-06-30")) == before and facts.territory(Day("2024-07-01")) == after
    assert facts.existing(BEFORE, "Area") == ["b1", "b2", "c1", "g1"]
    assert facts.existing(AFTER, "Area") == ["b1", "b2", "c1", "g1", "g2"]
    assert facts.existing(BEFORE, "Org") == ["o-g1"] and facts.existing(AFTER, "Org") == ["o-g1", "o-g2"]
    assert facts.existing(BEFORE, "Member") == ["m1", "m2"]  # m2 contacts h3 on every day
    households = {d: {a["id"]: a["households"] for a in coverage(split, as_of=d.as_of)["areas"]} for d in (BEFORE, AFTER)}
    assert households[BEFORE] == {"b1": 1, "b2": 2, "c1": 3, "g1": 3}  # g2 takes no part
    assert households[AFTER] == {"b1": 1, "b2": 2, "c1": 3, "g1": 1, "g2": 2}


@pytest.mark.parametrize("few", [True, False])
def test_the_neighbourhood_before_and_after_a_grid_split(split, monkeypatch, few):
    """h2's chain before the split escalates to g1 only, after it to g2 and o-g2 (read for one household as
    a chain reads it, and as a batch of many is read)."""
    if not few:
        monkeypatch.setattr("orggraph.store.server.facts._FEW", 0)
        monkeypatch.setattr("orggraph.index.facts._FEW_PLAIN", 0)
    facts = split.facts()
    hood = facts.neighbourhood(BEFORE, ["h2"])
    assert hood.located == {"h2": ["b2"]} and hood.contacts == {"h2": ["m1"]}
    assert hood.governing == {"g1": ["o-g1"]} and hood.posts == {"o-g1": [("secretary", "m1")]}
    assert "g2" not in hood.nodes and "o-g2" not in hood.nodes and "m2" not in hood.nodes
    hood = facts.neighbourhood(AFTER, ["h2"])
    assert hood.located == {"h2": ["b2"]}
    assert hood.governing == {"g2": ["o-g2"]} and hood.posts == {"o-g2": [("secretary", "m2")]}
    assert {"b2", "g2", "c1", "o-g2", "m2"} <= set(hood.nodes) and "g1" not in hood.nodes


def test_a_household_that_moves_and_one_that_arrives(store):
    """Case 08 with h3 moving from b2 to b1 on 2025-01-01, and h4 (nobody's contact) located from
    2025-06-01 in b1 and, until 2025-12-31, in b2 too."""
    doc = copy.deepcopy(SPLIT)
    next(e for e in doc["edges"] if e["type"] == "LOCATED_IN" and e["source"] == "h3")["until"] = "2024-12-31"
    doc["nodes"].append({"id": "h4", "kind": "Household", "address": "1号楼102"})
    doc["edges"] += [{"type": "LOCATED_IN", "source": "h3", "target": "b1", "since": "2025-01-01"},
                     {"type": "LOCATED_IN", "source": "h4", "target": "b1", "since": "2025-06-01"},
                     {"type": "LOCATED_IN", "source": "h4", "target": "b2", "since": "2025-06-01", "until": "2025-12-31"}]
    store.load(items(doc))
    facts = store.facts()
    moved, both, later = Day("2025-07-01"), Day("2025-07-01"), Day("2026-01-01")
    # positions: b1 0, b2 1, c1 2, g1 3, g2 4
    tally = facts.tally(AFTER)
    assert tally.direct[:2].tolist() == [figures(1, 1, 1, 1), figures(2, 2, 2, 2)]
    assert tally.several == [] and tally.nowhere.tolist() == figures(1, 0, 1, 0)  # h4, not yet there
    tally = facts.tally(both)
    assert tally.direct[:2].tolist() == [figures(2, 2, 2, 2), figures(1, 1, 1, 1)]
    assert tally.several == [((0, 1), (1, 0, 1, 0, 0, 0))] and tally.nowhere.tolist() == figures()
    tally = facts.tally(later)
    assert tally.direct[:2].tolist() == [figures(3, 2, 3, 2), figures(1, 1, 1, 1)]
    assert tally.several == [] and tally.nowhere.tolist() == figures()
    assert facts.households(AFTER, "unlocated") == ["h4"] and facts.households(later, "unlocated") == []
    assert facts.households(BEFORE, "unlocated") == ["h4"]
    assert [facts.households(d, "all", ["b2"]) for d in (AFTER, moved, later)] == [["h2", "h3"], ["h2", "h4"], ["h2"]]
    assert facts.households(AFTER, "uncovered", ["b1"]) == [] and facts.households(later, "uncovered", ["b1"]) == ["h4"]
    assert facts.households(AFTER, "unlocated", ["b1"]) == []
    assert facts.present(AFTER, ["b1"]) == [("m1", "b1")]
    assert facts.present(moved, ["b1"]) == [("m1", "b1"), ("m2", "b1")]
    groups = [(["m2"], ["b2"]), (["m1"], ["b1"])]
    assert facts.contacts_outside(AFTER, groups) == [("m1", "h2")]
    assert facts.contacts_outside(moved, groups) == [("m1", "h2"), ("m2", "h3")]
    assert facts.neighbourhood(AFTER, ["h3", "h4"]).located == {"h3": ["b2"]}
    assert facts.neighbourhood(both, ["h3", "h4"]).located == {"h3": ["b1"], "h4": ["b1", "b2"]}
    inside = facts.inside(["b2"])  # every edge, whatever its dates
    assert inside.households == ["h2", "h3", "h4"] and inside.elsewhere == {"h3": ["b1"], "h4": ["b1"]}
    assert facts.territory(later).taking_part == [0, 1, 2, 3, 4]


# -- a generated city: a batch finds what one by one finds, and both backends find the same -----------

CITY_DAYS = ["2020-08-01", "2024-06-30", "2025-07-01", "2026-11-23"]


def city_items() -> list:
    """A generated city of 800 households, with a household placed in two buildings and a contact joined
    twice, as a store's load takes it."""
    from orggraph.generate import generate_city

    records = list(generate_city(households=800, seed=5)[0])
    buildings = [r["id"] for what, r in records if what == "node" and r["kind"] == "Area" and r.get("level") == "building"]
    contact = next(r for what, r in records if what == "edge" and r["type"] == "CONTACTS")
    placed = next(r for what, r in records if what == "edge" and r["type"] == "LOCATED_IN")
    other = next(b for b in buildings if b != placed["target"])
    records += [("edge", {"type": "LOCATED_IN", "source": placed["source"], "target": other}),
                ("edge", {**contact, "since": "2019-01-01", "until": "2019-12-31"})]
    # the territory over time: a building moves to another grid on 2024-07-01, a grid made on 2025-01-01
    # takes another building, a household moves on 2025-07-01, a member changes employer on 2024-07-01
    edges = [r for what, r in records if what == "edge"]
    within = [r for r in edges if r["type"] == "WITHIN" and r["source"] in set(buildings)]
    grids = sorted({r["target"] for r in within})
    moved, taken = within[3], within[7]
    community = next(r["target"] for r in edges if r["type"] == "WITHIN" and r["source"] == taken["target"])
    moved["until"] = "2024-06-30"
    taken["until"] = "2024-12-31"
    located = [r for r in edges if r["type"] == "LOCATED_IN" and r["source"] != placed["source"]]
    mover = located[11]
    mover["until"] = "2025-06-30"
    employed = next(r for r in edges if r["type"] == "EMPLOYED_BY")
    employed["until"] = "2024-06-30"
    units = sorted({r["target"] for r in edges if r["type"] == "EMPLOYED_BY"})
    records += [
        ("edge", {"type": "WITHIN", "source": moved["source"], "target": next(g for g in grids if g != moved["target"]),
                  "since": "2024-07-01"}),
        ("node", {"id": "g-new", "kind": "Area", "name": "新网格", "level": "grid"}),
        ("edge", {"type": "WITHIN", "source": "g-new", "target": community, "since": "2025-01-01"}),
        ("edge", {"type": "WITHIN", "source": taken["source"], "target": "g-new", "since": "2025-01-01"}),
        ("edge", {"type": "LOCATED_IN", "source": mover["source"], "target": other, "since": "2025-07-01"}),
        ("edge", {"type": "EMPLOYED_BY", "source": employed["source"],
                  "target": next(u for u in units if u != employed["target"]), "since": "2024-07-01"}),
    ]
    return [(what, str(i), record) for i, (what, record) in enumerate(records)]


@pytest.fixture(scope="module")
def city():
    return city_items()


def every_fact(facts: Facts, day: Day) -> dict:
    """Every fact of a store on one day, as plain values to compare."""
    from orggraph.model import EDGE_TYPES, NODE_KINDS

    areas = facts.ids("Area")
    households = facts.ids("Household")
    found: dict = {"territory": facts.territory(day), "every day": facts.territory(None), "tally": facts.tally(day),
                   "contact_load": facts.contact_load(day)}
    for kind in NODE_KINDS:
        found["existing", kind] = facts.existing(day, kind)
    for which in ("all", "uncovered", "unlocated", "lapsed"):
        found[which] = facts.households(day, which)
        found[which, "within"] = facts.households(day, which, within=areas[::3])
    for type_ in EDGE_TYPES:
        found[type_] = facts.edges(type_)
        found[type_, "day"] = facts.edges(type_, day=day.as_of)
    every_id = [i for kind in NODE_KINDS for i in facts.ids(kind)]
    found["nodes"] = facts.nodes(every_id)
    found["kinds"] = facts.kinds_of(every_id)
    found["neighbourhood"] = facts.neighbourhood(day, households[::7])
    for h in households[::13]:  # one at a time: the embedded facts walk a few in lists they keep by day
        found["neighbourhood", h] = facts.neighbourhood(day, [h])
    found["present"] = facts.present(day, areas)
    for k in range(3):  # the areas of a scope: every third, fourth, fifth area, and one that is not one
        found["inside", k] = facts.inside([*areas[k :: k + 3], households[0]])
    found["inside"] = facts.inside(areas)
    members = facts.ids("Member")
    groups = [(members[i::5], areas[i::4]) for i in range(4)] + [(members[4::5], [])]
    # areas where one member answers (or nobody): most, so that many households are asked about
    answering = {a: (members[(7 * i) % len(members)] if i % 3 else None) for i, a in enumerate(areas) if i % 5}
    found["sole_answerers"] = facts.sole_answerers(day, answering)
    found["contacts_outside"] = facts.contacts_outside(day, groups)
    for type_ in EDGE_TYPES:
        for end in ("source", "target"):
            every = [i for kind in NODE_KINDS for i in facts.ids(kind)]
            found["having", type_, end] = facts.having(type_, every, end=end)
            found["having", type_, end, "day"] = facts.having(type_, every[::2], end=end, day=day.as_of)
            found["having", type_, end, "beyond"] = facts.having(type_, every[::2], end=end, beyond=every[1::3])
            found["others", type_, end] = facts.others(type_, every[::2], end=end)
            found["others", type_, end, "day"] = facts.others(type_, every[1::2], end=end, day=day.as_of)
    return found


def test_a_batch_finds_what_one_by_one_finds(store, city):
    store.load(city)  # once, then every day asked of it
    for day in CITY_DAYS:
        _batch_and_one_by_one(store.facts(), day)


def _batch_and_one_by_one(facts, day):
    whatif = Day(day, frozenset(facts.ids("Member")[::9]))
    households = facts.ids("Household")[day < "2025" :: 2]  # half the city each day, each half twice
    batch = facts.neighbourhood(whatif, households)
    merged = Neighbourhood()
    for h in households:
        one = facts.neighbourhood(whatif, [h])
        for name in ("contacts", "located", "employers", "unit_orgs", "assigned", "governing", "posts", "nodes"):
            getattr(merged, name).update(getattr(one, name))
    assert merged == batch
    if day > "2022":
        assert sum(len(v) for v in batch.contacts.values()) > len(households) // 2  # the city has its contacts
    for type_ in ("CONTACTS", "LOCATED_IN", "HOLDS_POST", "ASSIGNED_TO", "GOVERNS"):
        every = facts.edges(type_, day=day)
        sources = sorted({s for s, _, _ in every})
        assert facts.edges(type_, sources=sources, day=day) == every
        assert sorted(e for s in sources[::11] for e in facts.edges(type_, sources=[s], day=day)) == [
            e for e in every if e[0] in set(sources[::11])]
        targets = sorted({t for _, t, _ in every})
        assert facts.edges(type_, targets=targets[::2], day=day) == [e for e in every if e[1] in set(targets[::2])]
    areas = facts.ids("Area")
    present = facts.present(whatif, areas)
    assert sorted(p for a in areas[::13] for p in facts.present(whatif, [a])) == [
        p for p in present if p[1] in set(areas[::13])]
    within = facts.households(whatif, "uncovered", within=areas)
    assert sorted(h for a in areas[::13] for h in facts.households(whatif, "uncovered", within=[a])) == sorted(
        h for h in within if any(h in facts.households(whatif, "all", within=[a]) for a in areas[::13]))


def test_both_backends_find_the_same_facts(server_store, city, tmp_path):
    from orggraph.store import EmbeddedStore

    server_store.load(city)
    with EmbeddedStore(tmp_path / "city.db") as embedded:
        embedded.load(city)
        here, there = embedded.facts(), server_store.facts()
        members = here.ids("Member")
        assert members == there.ids("Member")
        for as_of in CITY_DAYS:
            for gone in (frozenset(), frozenset(members[::4])):
                day = Day(as_of, gone)
                mine, theirs = every_fact(here, day), every_fact(there, day)
                for name in mine:
                    assert mine[name] == theirs[name], (as_of, len(gone), name)


@pytest.mark.parametrize("index", ["built", "from the load", "read back", "read back, large"])
def test_the_index_finds_what_the_records_say(city, tmp_path, monkeypatch, index):
    """The embedded facts against the plain ones, worked out record by record (tests/plain_facts.py): on
    the index built from the records, on the one a load into an empty store gathers as it writes, read
    back from its file (many ids found by their hashes), and read back as a large one is (the groups of
    ``contacts_outside`` among sorted pairs, not in a table; what hangs off each area worked out when a
    chain first reaches it, not for every area at once)."""
    import orggraph.index.facts as index_facts
    from orggraph.store import EmbeddedStore

    from .plain_facts import PlainFacts

    embedded = EmbeddedStore(tmp_path / "city.db")
    embedded.load(city)
    if index == "built":  # as after a large change to a store that held records: built from them all
        embedded._index = None
        with embedded._writing() as conn:
            conn.execute("DELETE FROM index_cache")
    elif index.startswith("read back"):
        embedded.index()
        embedded.close()
        embedded = EmbeddedStore(tmp_path / "city.db")
    if index.endswith("large"):
        monkeypatch.setattr(index_facts, "_TABLE_CELLS", 0)
        monkeypatch.setattr(index_facts, "_EVERY_PIECE", 0)
    with embedded:
        assert isinstance(embedded.index().number, dict) is (index == "built")
        here, plain = embedded.facts(), PlainFacts(embedded.nodes(), embedded.edges())
        members = here.ids("Member")
        for as_of in CITY_DAYS:
            for gone in (frozenset(), frozenset(members[::4])):
                day = Day(as_of, gone)
                mine, theirs = every_fact(here, day), every_fact(plain, day)
                for name in mine:
                    assert mine[name] == theirs[name], (as_of, len(gone), name)


def test_contacts_outside_the_areas_of_a_group(loaded):
    facts, day = loaded.facts(), Day("2024-06-30")
    every = facts.edges("CONTACTS", day="2024-06-30")
    assert every  # the street has contacts that day
    members = sorted({m for m, _, _ in every})
    located = {}
    for h, a, _ in facts.edges("LOCATED_IN"):
        located.setdefault(h, set()).add(a)
    areas = facts.ids("Area")
    # with no area, every contact to a located household lies outside; with every area, none does
    assert facts.contacts_outside(day, [(members, [])]) == sorted({(m, h) for m, h, _ in every if located.get(h)})
    assert facts.contacts_outside(day, [(members, areas)]) == []
    assert facts.contacts_outside(day, []) == []
    # the areas count themselves only: h1 is located in b1, so naming g1 (above b1) leaves it outside
    assert facts.contacts_outside(day, [(["m1"], ["g1"])]) == [("m1", "h1")]
    assert facts.contacts_outside(day, [(["m1"], ["b1"])]) == []


def test_having_an_edge(loaded):
    facts = loaded.facts()
    # m1 contacted h2 until 2023-12-31 and contacts h1; m3 contacts h2 since 2024; h3 has nobody
    assert facts.having("CONTACTS", ["h1", "h2", "h3", "nobody"], end="target") == ["h1", "h2"]
    assert facts.having("CONTACTS", ["m1", "m2", "m3"], day="2023-06-30") == ["m1"]
    assert facts.having("CONTACTS", ["m1", "m2", "m3"], day="2024-06-30") == ["m1", "m3"]
    assert facts.having("CONTACTS", []) == []
    with pytest.raises(ValueError):
        facts.having("KNOWS", ["m1"])
    # m1's contacts go to h1 and (until 2023) h2: beyond h1 and h2 it reaches nothing, beyond h1 it reaches h2
    assert facts.having("CONTACTS", ["m1", "m3"], beyond=["h1", "h2"]) == []
    assert facts.having("CONTACTS", ["m1", "m3"], beyond=["h1"]) == ["m1", "m3"]
    assert facts.others("CONTACTS", ["m1"]) == ["h1", "h2"]
    assert facts.others("CONTACTS", ["m1"], day="2024-06-30") == ["h1"]
    assert facts.others("CONTACTS", ["h2", "h3"], end="target") == ["m1", "m3"]


def test_an_id_with_a_nul_names_nothing_in_a_reopened_store(tmp_path):
    """Many ids are looked up by searching the sorted ids of an index read back from its file; an id with
    a NUL (which numpy's text arrays would drop) must not find the id without it."""
    from orggraph.store import EmbeddedStore

    from .conftest import STREET

    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        store.index()
    with EmbeddedStore(path) as reopened:
        facts = reopened.facts()
        asked = ["h1\x00"] + [f"nobody{i}" for i in range(300)]
        assert facts.nodes(asked) == {} and facts.kinds_of(asked) == {}
        assert facts.having("CONTACTS", asked, end="target") == []
        assert list(facts.nodes(["h1"] + asked)) == ["h1"]


def test_many_ids_sharing_a_hash_are_each_found_in_a_reopened_store(tmp_path, monkeypatch):
    """Many ids are looked up by their hashes; ids whose hashes are equal (here made to share one by their
    length) must each find their own node, and an unknown id of the same hash nothing."""
    import orggraph.index.facts as index_facts
    from orggraph.store import EmbeddedStore

    from .conftest import STREET

    monkeypatch.setattr(index_facts, "_hash", len)
    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        every = sorted(node["id"] for node in STREET["nodes"])
        kinds = store.facts().kinds_of(every)
    with EmbeddedStore(path) as reopened:
        facts = reopened.facts()
        asked = every[::-1] + [f"zz{i}" for i in range(300)] + [every[0] + "x", None]  # type: ignore[list-item]
        found = facts._lookup(asked).tolist()
        assert found[: len(every)] == list(range(len(every)))[::-1] and set(found[len(every):]) == {-1}
        assert sorted(facts.nodes(asked)) == every
        assert facts.kinds_of(asked) == kinds


@pytest.mark.parametrize("seed", range(6))
def test_distances_up_a_tree_or_a_network_are_breadth_first(seed):
    """Territory.distances walks a tree up its parent array; several starts, and an area with two
    parents (a network, walked breadth first), give the nearer way to every area above."""
    import random

    import numpy as np

    from orggraph.facts import Territory

    rng = random.Random(seed)
    n = 40
    pairs = [(child, rng.randrange(child)) for child in range(1, n)]  # each area within an earlier one
    if seed % 2:
        pairs += [(child, rng.randrange(child)) for child in rng.sample(range(2, n), 5)]
    pairs = sorted(set(pairs))
    territory = Territory([f"a{i:02d}" for i in range(n)], [None] * n, [None] * n, np.array(pairs, dtype=np.int64))
    assert territory.single_parent == (seed % 2 == 0)
    parents: dict[int, list[int]] = {}
    for child, parent in pairs:
        parents.setdefault(child, []).append(parent)
    for _ in range(20):
        start = rng.sample(range(n), rng.randint(1, 3))
        expected: dict[int, int] = {}
        frontier, step = set(start), 0
        while frontier:
            frontier = {a for a in frontier if a not in expected}
            expected.update((a, step) for a in frontier)
            frontier = {p for a in frontier for p in parents.get(a, ())}
            step += 1
        assert territory.distances(start) == sorted(expected.items(), key=lambda p: (p[1], p[0])), start
