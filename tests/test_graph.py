"""The networkx graph users explore agrees with the query engine on the same network."""

from __future__ import annotations

import tracemalloc

import pytest

from orggraph.generate import generate_city
from orggraph.graph import OrgGraph
from orggraph.io.jsonio import read_jsonl
from orggraph.queries import contacts_of, responsibility_chain

from .conftest import items
from .test_queries import FLOOD

DAYS = ["2020-08-01", "2023-06-01", "2026-11-23"]


@pytest.fixture
def both(store):
    store.load(items(FLOOD))
    return store, OrgGraph.from_store(store)


def test_the_graph_holds_every_record(both):
    store, G = both
    assert G.nx.number_of_nodes() == len(FLOOD["nodes"])
    assert G.nx.number_of_edges() == len(FLOOD["edges"])
    assert G.node("h-a") == {"id": "h-a", "kind": "Household", "flags": ["disabled"]}
    assert G.ids("Unit") == ["u", "u-idle"]


def test_territory_accessors(both):
    _, G = both
    assert G.area_of("h-a") == "b"
    assert G.area_of("h-out") is None
    assert G.ancestry("b") == ["b", "g", "c"]
    assert G.areas_within("g") == {"g", "b", "b2"}
    assert G.households_in("b") == ["h-a", "h-b"]
    assert len(G.households_in("c")) == 20


@pytest.mark.parametrize("day", DAYS)
def test_contacts_agree_with_the_queries(both, day):
    store, G = both
    for household in G.ids("Household"):
        for unavailable in (frozenset(), frozenset({"m-1"})):
            assert G.contacts_of(household, as_of=day, unavailable=unavailable) == contacts_of(
                store, household, as_of=day, unavailable=unavailable), (household, day, unavailable)


@pytest.mark.parametrize("day", DAYS)
def test_responsible_people_agree_with_the_chains(both, day):
    store, G = both
    for unavailable in (frozenset(), frozenset({"m-sec"}), frozenset({"m-sec", "m-dep"})):
        chain = responsibility_chain(store, "h-a", as_of=day, unavailable=unavailable)
        for link in chain["links"]:
            if link["role"] == "org":
                assert link["member"] == G.responsible_person(link["org"], as_of=day, unavailable=unavailable)
        governed = {link["area"] for link in chain["links"] if link["role"] == "org"}
        for area in G.ancestry("b"):
            assert bool(G.governing_orgs(area, as_of=day)) == (area in governed)


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
