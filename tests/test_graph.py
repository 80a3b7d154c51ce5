"""The networkx graph users explore holds the store's records, and each accessor agrees with the queries."""

from __future__ import annotations

import tracemalloc

import pytest

from orggraph.exceptions import NotFound
from orggraph.generate import generate_city
from orggraph.graph import OrgGraph, valid_on
from orggraph.io.jsonio import read_jsonl
from orggraph.model import EDGE_TYPES, NODE_KINDS
from orggraph.queries import contacts_of, coverage, responsibility_chain, uncovered_households

from .conftest import STREET, items, street
from .test_queries import FLOOD

DAYS = ["2020-08-01", "2023-06-01", "2026-11-23"]


def two_homes() -> dict:
    """The street with a household located in two buildings and a member employed by two units: where
    an accessor that took the first only would part from the queries."""
    doc = street()
    doc["nodes"] += [{"id": "b2", "kind": "Area", "name": "桂花社区2号楼", "level": "building"},
                     {"id": "u2", "kind": "Unit", "name": "云河市水利局"},
                     {"id": "o-u2", "kind": "Org", "name": "水利局机关党支部", "level": "unit"}]
    doc["edges"] += [{"type": "WITHIN", "source": "b2", "target": "g1"},
                     {"type": "LOCATED_IN", "source": "h1", "target": "b2"},
                     {"type": "EMPLOYED_BY", "source": "m1", "target": "u2"},
                     {"type": "OF_UNIT", "source": "o-u2", "target": "u2"},
                     {"type": "HOLDS_POST", "source": "m2", "target": "o-u2", "post": "committee_member"}]
    return doc


SAMPLES = {"street": lambda: STREET, "two_homes": two_homes, "flood": lambda: FLOOD}


@pytest.fixture(params=sorted(SAMPLES))
def both(store, request):
    """A sample on a store, and the same records as an OrgGraph read from it."""
    store.load(items(SAMPLES[request.param]()))
    return store, OrgGraph.from_store(store)


def test_the_graph_holds_every_record(both):
    store, G = both
    nodes, edges = list(store.nodes()), list(store.edges())
    assert G.nx.number_of_nodes() == len(nodes) and G.nx.number_of_edges() == len(edges)
    for node in nodes:
        assert G.node(node["id"]) == node
    assert {n: G.kind(n) for n in G.nx} == store.kinds_of(G.nx)
    assert G.kind("nobody") is None
    for kind in NODE_KINDS:
        assert G.ids(kind) == [n["id"] for n in store.nodes(kind)]
    with pytest.raises(NotFound):
        G.node("nobody")


@pytest.mark.parametrize("day", [None, *DAYS])
def test_edges_are_the_stores(both, day):
    store, G = both
    for node_id in G.nx:
        for type_ in EDGE_TYPES:
            have = [{"type": type_, "source": node_id, "target": t, **d} for t, d in G.out_edges(node_id, type_, day)]
            have += [{"type": type_, "source": s, "target": node_id, **d} for s, d in G.in_edges(node_id, type_, day)]
            stored = [e for e in store.edges_of(node_id, type_) if day is None or valid_on(e, day)]
            key = lambda e: (e["source"], e["target"], e.get("since", ""))  # noqa: E731
            assert sorted(have, key=key) == sorted(stored, key=key), (node_id, type_, day)


@pytest.mark.parametrize("day", DAYS)
def test_the_territory_agrees_with_coverage(both, day):
    """households_in (through areas_within and every area a household is in) counts what coverage
    counts, area by area, and those without a contact are the uncovered ones."""
    store, G = both
    for area in G.ids("Area"):
        within = G.households_in(area, day)
        assert coverage(store, area=area, as_of=day)["households"] == len(within), area
        assert uncovered_households(store, area=area, as_of=day) == [h for h in within if not G.contacts_of(h, day)]
        assert G.areas_within(area, day) == {a for a in G.ids("Area") if area in G.ancestry(a, day)}
        assert within == sorted(h for h in G.ids("Household")
                                if area in {a for b in G.areas_of(h, day) for a in G.ancestry(b, day)})


@pytest.mark.parametrize("day", DAYS)
def test_accessors_agree_with_the_chains(both, day):
    """Every household's chain names the contacts, areas, units, governing orgs and responsible people
    the accessors find."""
    store, G = both
    members = G.ids("Member")
    for unavailable in (frozenset(), frozenset(members[:1]), frozenset(members[::2])):
        for household in G.ids("Household"):
            chain = responsibility_chain(store, household, as_of=day, unavailable=unavailable)
            links = chain["links"]
            contacts = G.contacts_of(household, as_of=day, unavailable=unavailable)
            assert [l["member"] for l in links if l["role"] == "contact"] == contacts
            assert contacts == contacts_of(store, household, as_of=day, unavailable=unavailable)
            units = [l["unit"] for l in links if l["role"] == "sending_unit"]
            assert sorted(set(units)) == sorted({u for m in contacts for u in G.employers_of(m, day)})
            for unit in set(units):
                orgs = sorted({o for o, _ in G.in_edges(unit, "OF_UNIT", day)})
                assert sorted({l["org"] for l in links if l["unit"] == unit and l["org"]}) == orgs
            areas = {a for b in G.areas_of(household, day) for a in G.ancestry(b, day)}
            named = {l["area"] for l in links if l["area"]} | {b["area"] for b in chain["breaks"] if b["reason"] == "no_org"}
            assert named == areas, household
            for area in areas:
                governing = sorted({o for o, _ in G.in_edges(area, "GOVERNS", day)})
                assert [l["org"] for l in links if l["role"] == "org" and l["area"] == area] == governing
            if len(G.areas_of(household, day)) == 1:  # one home: the chain climbs as the ancestry does
                order = list(dict.fromkeys(l["area"] for l in links if l["role"] == "org"))
                assert order == [a for a in G.ancestry(G.areas_of(household, day)[0], day) if a in order]
            for link in links:
                if link["org"]:
                    assert link["member"] == G.responsible_person(link["org"], as_of=day, unavailable=unavailable)


def test_a_household_in_two_areas_has_both(embedded):
    embedded.load(items(two_homes()))
    G = OrgGraph.from_store(embedded)
    assert G.areas_of("h1") == ["b1", "b2"] and G.areas_of("h2") == ["b1"]
    assert G.employers_of("m1") == ["u1", "u2"] and G.employers_of("m2") == []
    assert G.parents("b2") == ["g1"] and G.ancestry("b2") == ["b2", "g1", "c1", "s1"]


def test_progress_bar_on_request(tmp_path, capsys):
    path = tmp_path / "city.jsonl"
    from orggraph.generate import write_city

    write_city(str(path), households=200, seed=1)
    count = sum(1 for _ in read_jsonl(path, progress=True))
    err = capsys.readouterr().err
    assert "loading city.jsonl" in err and "100%" in err
    assert count > 200


def test_generation_streams_in_bounded_memory():
    def peak(households: int) -> int:
        records, _ = generate_city(households=households, seed=3)
        tracemalloc.start()
        for _ in records:
            pass
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    households = 30000
    # holding the records would take more than a kilobyte a household; streaming keeps one community's
    # ids and the tally of planted gaps (a few percent of the ids)
    assert peak(households) < 60 * households
