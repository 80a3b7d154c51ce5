"""The query index carried forward over changes is the index built afresh, array for array."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orggraph.exceptions import IndexOutOfStep
from orggraph.generate import generate_city
from orggraph.index import build_index
from orggraph.store import EmbeddedStore
from orggraph.store import embedded as embedded_module

ON = "2026-11-23"


def fresh_index(store):
    """The index built from the store's records, as a store with no index at hand builds it."""
    nodes = ((n["id"], n["kind"], n) for n in store.nodes())
    edges = ((e["type"], e["source"], e["target"], e.get("since"), e.get("until"), e) for e in store.edges())
    return build_index(nodes, edges, store.revision)


def assert_same(carried, built):
    assert carried.revision == built.revision
    assert carried.ids == built.ids
    assert carried.names == built.names
    assert carried.level_names == built.level_names
    np.testing.assert_array_equal(carried.kinds, built.kinds)
    assert carried.kinds.dtype == built.kinds.dtype
    assert sorted(carried.attrs) == sorted(built.attrs)
    for key, value in built.attrs.items():
        np.testing.assert_array_equal(carried.attrs[key], value, err_msg=key)
        assert carried.attrs[key].dtype == value.dtype, key
    for type_, e in built.edges.items():
        for field in ("source", "target", "since", "until", "rank"):
            got, want = getattr(carried.edges[type_], field), getattr(e, field)
            np.testing.assert_array_equal(got, want, err_msg=f"{type_}.{field}")
            assert got.dtype == want.dtype, f"{type_}.{field}"


def city_store(path, households=150, seed=5):
    records, _ = generate_city(households=households, seed=seed)
    store = EmbeddedStore(path)
    store.load((what, f"record {i}", r) for i, (what, r) in enumerate(records))
    store.index()
    return store


def load(store, nodes=(), edges=()):
    store.load([("node", f"n{i}", n) for i, n in enumerate(nodes)] + [("edge", f"e{i}", e) for i, e in enumerate(edges)])


def random_change(store, rng: random.Random) -> None:
    """One change of the kinds the API and the loaders make, picked at random."""
    nodes = {kind: [n["id"] for n in store.nodes(kind)] for kind in ("Area", "Org", "Member", "Household", "Unit")}
    buildings = [n["id"] for n in store.nodes("Area") if n.get("level") == "building"]
    what = rng.randrange(8)
    if what == 0:  # new households, ids before, among and after the others, each placed and contacted
        new = [rng.choice(["a-", "h", "h0000005", "zz-"]) + str(rng.randrange(10**6)) for _ in range(rng.randint(1, 4))]
        load(store,
             [{"id": h, "kind": "Household", "people": rng.randint(1, 6),
               **({"flags": ["elderly_alone"]} if rng.random() < 0.3 else {})} for h in new],
             [{"type": "LOCATED_IN", "source": h, "target": rng.choice(buildings)} for h in new]
             + [{"type": "CONTACTS", "source": rng.choice(nodes["Member"]), "target": h, "since": "2026-01-01"}
                for h in new if rng.random() < 0.7])
    elif what == 1:  # properties replaced: people, flags, a member's or an org's status, a name
        h = rng.choice(nodes["Household"])
        node = store.node(h)
        node["people"] = rng.randint(1, 9)
        node["flags"] = rng.choice([[], ["disabled"]])
        if not node["flags"]:
            del node["flags"]
        m = store.node(rng.choice(nodes["Member"]))
        m["status"] = rng.choice(["active", "unavailable"])
        o = store.node(rng.choice(nodes["Org"]))
        o["status"] = rng.choice(["normal", "weak_lax"])
        o["name"] = o.get("name", "") + "改"
        load(store, [node, m, o])
    elif what == 2:  # a relation ended: an edge loaded again with an until
        edge = rng.choice([e for e in store.edges() if e["type"] in ("CONTACTS", "HOLDS_POST", "ASSIGNED_TO")])
        edge["until"] = rng.choice(["2026-06-30", "2026-12-31"])
        if edge["type"] == "HOLDS_POST":
            edge["post"] = rng.choice(["secretary", "deputy_secretary", "committee_member"])
        load(store, edges=[edge])
    elif what == 3:  # a second spell of the same relation: same pair, another since
        edge = rng.choice([e for e in store.edges("CONTACTS")])
        load(store, edges=[{"type": "CONTACTS", "source": edge["source"], "target": edge["target"], "since": "2026-10-01"}])
    elif what == 4:  # a household or a member removed, with its edges
        store.delete(nodes=[rng.choice(nodes[rng.choice(["Household", "Member"])])])
    elif what == 5:  # edges removed
        edges = list(store.edges())
        gone = rng.sample(edges, k=min(len(edges), rng.randint(1, 3)))
        store.delete(edges=[{k: e[k] for k in ("type", "source", "target", "since") if k in e} for e in gone])
    elif what == 6:  # a new level comes into use, or the last node of one goes
        entrances = [n["id"] for n in store.nodes("Area") if n.get("level") == "entrance"]
        if entrances:
            store.delete(nodes=[entrances[0]])
        else:
            b = rng.choice(buildings)
            load(store, [{"id": b + "e1", "kind": "Area", "name": "1单元", "level": "entrance"}],
                 [{"type": "WITHIN", "source": b + "e1", "target": b}])
    else:  # a member sent down by a unit, new to the store, holding a post
        m = f"m9{rng.randrange(10**6):06d}"
        load(store, [{"id": m, "kind": "Member", "name": "新党员", "category": "in_service"}],
             [{"type": "EMPLOYED_BY", "source": m, "target": rng.choice(nodes["Unit"])},
              {"type": "MEMBER_OF", "source": m, "target": rng.choice(nodes["Org"])},
              {"type": "HOLDS_POST", "source": m, "target": rng.choice(nodes["Org"]), "post": "committee_member"}])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_a_carried_index_is_the_index_built_afresh(tmp_path_factory, seed):
    rng = random.Random(seed)
    with city_store(tmp_path_factory.mktemp("carry") / "city.db", seed=seed % 7 + 1) as store:
        for _ in range(6):
            before = store.revision
            random_change(store, rng)
            if store.revision == before:
                continue
            carried = store._index
            assert carried is not None and carried.revision == store.revision  # carried, not left to rebuild
            built = fresh_index(store)
            assert_same(carried, built)
            # what another process finds in the file: the index saved whole, carried over the logged changes
            assert_same(EmbeddedStore._saved_index(store._conn, store.revision), built)


def test_a_carried_index_is_saved_for_other_processes(tmp_path):
    path = tmp_path / "city.db"
    with city_store(path) as store:
        load(store, [{"id": "h-new", "kind": "Household"}], [{"type": "LOCATED_IN", "source": "h-new",
                                                               "target": next(store.nodes("Area"))["id"]}])
        revision = store.revision
    with EmbeddedStore(path) as other:
        assert other._conn.execute("SELECT revision FROM index_changes").fetchall() == [(revision,)]
        assert "h-new" in other.index().number
        assert_same(other.index(), fresh_index(other))
        # a store that has only the saved index at hand carries it forward too
        other.delete(nodes=["h-new"])
        assert other._index is not None and other._index.revision == other.revision
        assert_same(other._index, fresh_index(other))


def test_a_large_load_leaves_the_index_to_be_built_afresh(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_module, "_CARRY_AT_MOST", 3)
    with city_store(tmp_path / "city.db") as store:
        old = store.index()
        area = next(store.nodes("Area"))["id"]
        load(store, [{"id": f"h-{i}", "kind": "Household"} for i in range(3)],
             [{"type": "LOCATED_IN", "source": f"h-{i}", "target": area} for i in range(3)])
        assert store._index is old  # not carried: six records are over the limit
        assert_same(store.index(), fresh_index(store))
        assert store.index().revision == store.revision


def test_a_change_that_does_not_fit_the_index_is_refused():
    idx = build_index([("a1", "Area", {"level": "community"}), ("h1", "Household", {})],
                      [("LOCATED_IN", "h1", "a1", None, None, {})], revision=1)
    with pytest.raises(IndexOutOfStep, match="no node 'h9'"):
        idx.updated(2, removed_nodes=["h9"])
    with pytest.raises(IndexOutOfStep, match="no LOCATED_IN edge"):
        idx.updated(2, removed_edges=[("LOCATED_IN", "h1", "a1", "2020-01-01")])
    with pytest.raises(IndexOutOfStep, match="no node 'h9'"):
        idx.updated(2, edges=[("LOCATED_IN", "h9", "a1", None, None, {})])


def test_the_index_is_saved_whole_again_after_a_run_of_changes(tmp_path, monkeypatch):
    path = tmp_path / "city.db"
    with city_store(path) as store, EmbeddedStore(path) as other:
        behind = other.index()  # another process, left behind while the first changes the records
        area = next(store.nodes("Area"))["id"]
        for i in range(embedded_module._LOG_AT_MOST + 1):
            load(store, [{"id": f"h-run{i:02d}", "kind": "Household"}],
                 [{"type": "LOCATED_IN", "source": f"h-run{i:02d}", "target": area}])
            logged = store._conn.execute("SELECT count(*) FROM index_changes").fetchone()[0]
            assert logged == (i + 1) % (embedded_module._LOG_AT_MOST + 1)
            if i == 3:  # the other process catches up over the log, never reading the records
                with monkeypatch.context() as m:
                    m.setattr(embedded_module, "build_index", None)
                    assert other.index().revision == store.revision
                assert_same(other.index(), fresh_index(store))
        saved = store._conn.execute("SELECT revision FROM index_cache").fetchall()
        assert saved == [(store.revision,)]  # the log folded into one whole index
        assert other.index() is not behind
        assert_same(other.index(), fresh_index(store))
