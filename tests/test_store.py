"""The embedded store: idempotent loads, updates, persistence across restarts and crashes."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from orggraph.exceptions import InvalidRecords, NotFound, OrgGraphError, StoreError
from orggraph.store import EmbeddedStore, open_store
from orggraph.store.embedded import SCHEMA_VERSION

from .conftest import STREET, items, snapshot, street


def test_load_reports_what_it_added(store):
    report = store.load(items(STREET))
    assert report.added_nodes == len(STREET["nodes"])
    assert report.added_edges == len(STREET["edges"])
    assert report.changed == 0
    assert store.counts()["nodes"] == {"Area": 4, "Org": 4, "Unit": 1, "Member": 3, "Household": 3}
    assert store.counts()["edges"]["CONTACTS"] == 3


def test_loading_the_same_records_twice_changes_nothing(loaded):
    before = snapshot(loaded)
    report = loaded.load(items(STREET))
    assert (report.added_nodes, report.added_edges, report.changed) == (0, 0, 0)
    assert snapshot(loaded) == before  # revision included: nothing changed, nothing to re-index


def test_a_changed_record_replaces_the_stored_one(loaded):
    doc = {"nodes": [{"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "people": 4}]}
    revision = loaded.revision
    report = loaded.load(items(doc))
    assert (report.added_nodes, report.changed) == (0, 1)
    assert loaded.node("h1")["people"] == 4
    assert "phone" not in loaded.node("h1")  # the record replaces the old one; it is not merged
    assert loaded.revision == revision + 1


def test_edges_are_keyed_by_type_source_target_and_since(loaded):
    # the same member contacting the same household again from a later day is a second edge
    later = {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2024-06-01"}
    loaded.load(items({"edges": [later]}))
    spans = sorted((e.get("since"), e.get("until")) for e in loaded.edges("CONTACTS") if e["target"] == "h2" and e["source"] == "m1")
    assert spans == [("2022-03-01", "2023-12-31"), ("2024-06-01", None)]
    # the same key with a new until updates the edge in place
    ended = dict(later, until="2024-12-31")
    report = loaded.load(items({"edges": [ended]}))
    assert (report.added_edges, report.changed) == (0, 1)
    assert [e for e in loaded.edges("CONTACTS") if e.get("since") == "2024-06-01"] == [
        {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2024-06-01", "until": "2024-12-31"}
    ]


def test_reopened_store_gives_the_same_answers(tmp_path):
    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        before = snapshot(store), store.counts()
    with EmbeddedStore(path) as store:
        assert (snapshot(store), store.counts()) == before
        assert store.node("h3") == {"id": "h3", "kind": "Household", "address": "桂花社区1号楼1单元201室", "people": 2, "note": "二楼东户"}


def test_node_not_found(loaded):
    with pytest.raises(NotFound, match="no node with id 'nobody'"):
        loaded.node("nobody")


def test_listing_filters_and_sorts(loaded):
    assert [n["id"] for n in loaded.nodes("Household")] == ["h1", "h2", "h3"]
    assert [e["target"] for e in loaded.edges("LOCATED_IN")] == ["b1", "b1", "b1"]
    with pytest.raises(ValueError, match="unknown node kind 'House'"):
        list(loaded.nodes("House"))


def test_open_store_uses_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ORGGRAPH_DB", str(tmp_path / "env.db"))
    store = open_store()
    store.close()
    assert (tmp_path / "env.db").exists()


def test_a_file_that_is_not_a_store(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not a database at all, just some text that is long enough" * 20)
    with pytest.raises(StoreError, match="is not an orggraph store"):
        EmbeddedStore(path)


def test_a_store_from_a_newer_version(tmp_path):
    path = tmp_path / "new.db"
    EmbeddedStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer orggraph"):
        EmbeddedStore(path)


def test_a_store_from_the_first_schema_is_brought_up_to_date(tmp_path):
    """A file written before tokens could expire: opened, it gains the column and the new version, so an
    older orggraph (which would not check expiry) refuses it; its tokens keep working."""
    from orggraph.access import authenticate, create_token

    path = tmp_path / "old.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        secret, token = create_token(store, "viewer", ["c1"])
    with sqlite3.connect(path) as conn:  # as schema 1 left it
        conn.execute("ALTER TABLE tokens DROP COLUMN expires")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with EmbeddedStore(path) as store:
        assert authenticate(store, secret) == token
    with sqlite3.connect(path) as conn:
        assert "expires" in {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


_KILLED_LOADER = textwrap.dedent(
    """
    import sys
    from orggraph.generate import generate_city
    from orggraph.store import EmbeddedStore

    store = EmbeddedStore(sys.argv[1])
    records, _ = generate_city(households=60000, seed=5)

    def items():
        for i, (what, record) in enumerate(records):
            if i == 60000:
                print("half-way", flush=True)  # rows are in the open transaction by now
            yield what, f"record {i}", record

    store.load(items(), batch_size=1000)
    print("finished", flush=True)
    """
)


def test_a_load_killed_half_way_leaves_the_store_as_it_was(tmp_path):
    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        before = snapshot(store)
    script = tmp_path / "loader.py"
    script.write_text(_KILLED_LOADER)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half-way"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with EmbeddedStore(path) as store:
        assert snapshot(store) == before
        assert store._conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # and the store still takes loads
        doc = street()
        doc["nodes"].append({"id": "h4", "kind": "Household"})
        assert store.load(items(doc)).added_nodes == 1


def test_the_index_is_kept_in_step_with_every_change(tmp_path):
    from orggraph.queries import uncovered_households

    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        assert uncovered_households(store, as_of="2026-11-23") == ["h2", "h3"]
        first = store.index()
        assert store.index() is first  # held while nothing changes
        store.load(items({"edges": [{"type": "CONTACTS", "source": "m2", "target": "h3", "since": "2025-01-01"}]}))
        assert uncovered_households(store, as_of="2026-11-23") == ["h2"]  # carried to the new revision
        revision = store.revision
    with EmbeddedStore(path) as store:
        # saved in the file, whole and then the change, so a reopened store needs no rebuild
        assert store._conn.execute("SELECT revision FROM index_cache").fetchall() == [(revision - 1,)]
        assert store._conn.execute("SELECT revision FROM index_changes").fetchall() == [(revision,)]
        assert store.index().revision == revision
        assert uncovered_households(store, as_of="2026-11-23") == ["h2"]


def test_a_refused_load_keeps_the_index(embedded):
    from orggraph.exceptions import InvalidRecords

    embedded.load(items(STREET))
    index = embedded.index()
    with pytest.raises(InvalidRecords):
        embedded.load(items({"nodes": [{"id": "h9", "kind": "Household", "people": 0}]}))
    assert embedded.index() is index


# -- removing, and what the API needs of every backend --------------------------------------------------


def test_removing_a_node_takes_its_edges_and_moves_the_revision(loaded):
    revision = loaded.revision
    assert loaded.delete(nodes=["m1"]) == {"nodes": 1, "edges": 4}  # EMPLOYED_BY, SUNK_TO, two CONTACTS
    assert loaded.revision > revision
    assert "m1" not in loaded.kinds_of(["m1", "m2"]) and loaded.kinds_of(["m1", "m2"]) == {"m2": "Member"}
    assert not any("m1" in (e["source"], e["target"]) for e in loaded.edges())
    with pytest.raises(NotFound, match="no node with id 'm1'"):
        loaded.delete(nodes=["m1"])


def test_removing_an_edge_by_its_key(loaded):
    before = snapshot(loaded)
    with pytest.raises(NotFound, match="no CONTACTS edge from 'm1' to 'h2' since 2022-03-02"):
        loaded.delete(nodes=["h3"], edges=[{"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2022-03-02"}])
    assert snapshot(loaded) == before  # nothing removed: not even h3, named before the missing edge
    edge = {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2022-03-01"}
    assert loaded.delete(edges=[edge]) == {"nodes": 0, "edges": 1}
    assert [e["target"] for e in loaded.edges_of("m1", "CONTACTS")] == ["h1"]


def test_removing_an_area_leaves_its_households_unlocated(loaded):
    from orggraph.queries import gaps

    loaded.delete(nodes=["b1"])
    assert gaps(loaded, as_of="2026-11-23")["unlocated_households"] == ["h1", "h2", "h3"]


def test_edges_of_one_node(loaded):
    assert [(e["type"], e["source"], e["target"]) for e in loaded.edges_of("h2")] == [
        ("CONTACTS", "m1", "h2"), ("CONTACTS", "m3", "h2"), ("LOCATED_IN", "h2", "b1")]
    assert loaded.edges_of("h2", "LOCATED_IN")[0] == {"type": "LOCATED_IN", "source": "h2", "target": "b1"}
    assert loaded.edges_of("nobody") == []


def test_a_dry_run_makes_every_check_and_writes_nothing(loaded):
    from orggraph.load import check_load

    before, revision = snapshot(loaded), loaded.revision
    change = items({"nodes": [{"id": "h4", "kind": "Household", "people": 2}],
                    "edges": [{"type": "LOCATED_IN", "source": "h4", "target": "b1"},
                              {"type": "CONTACTS", "source": "m1", "target": "h4"}]})
    report = check_load(loaded, change)
    assert report.dry_run and (report.nodes, report.edges) == ({"Household": 1}, {"LOCATED_IN": 1, "CONTACTS": 1})
    assert "all valid; nothing written" in str(report)
    assert snapshot(loaded) == before and loaded.revision == revision
    with pytest.raises(InvalidRecords, match="'b404' is not a node"):
        check_load(loaded, items({"edges": [{"type": "LOCATED_IN", "source": "h1", "target": "b404"}]}))
    with pytest.raises(InvalidRecords, match="'b1' is not a node"):  # against no store: b1 is not there
        check_load(None, change)
    assert snapshot(loaded) == before and loaded.revision == revision
    assert loaded.load(change).added_nodes == 1  # and the change it checked loads


def test_check_store_finds_what_was_written_around_the_rules(loaded, tmp_path):
    """Records changed by other means (an older orggraph, another tool on the server) are named."""
    from orggraph.exceptions import InvalidStoredRecords
    from orggraph.load import check_store

    assert check_store(loaded).records == len(STREET["nodes"]) + len(STREET["edges"])
    h1 = {k: v for k, v in loaded.node("h1").items() if k not in ("id", "kind")} | {"phone": "123"}
    m1 = {k: v for k, v in loaded.node("m1").items() if k not in ("id", "kind")} | {"name": "张\x07"}
    if isinstance(loaded, EmbeddedStore):  # as an older orggraph, or a hand with sqlite3, might leave it
        with sqlite3.connect(loaded.path) as conn:
            for node_id, props in (("h1", h1), ("m1", m1)):
                conn.execute("UPDATE nodes SET props = ? WHERE id = ?", (json.dumps(props), node_id))
            conn.execute("INSERT INTO edges VALUES ('WITHIN', 's1', 'b1', '', NULL, '{}')")
    else:  # as another tool on the server might
        for kind, node_id, props in (("Household", "h1", h1), ("Member", "m1", m1)):
            loaded.conn.write(f"MATCH (n:{kind} {{id: $id}}) SET n.props = $props", {"id": node_id, "props": json.dumps(props)})
        loaded.conn.write("MATCH (s:Area {id: 's1'}), (b:Area {id: 'b1'}) CREATE (s)-[:WITHIN {since: '', props: '{}'}]->(b)")
    with pytest.raises(InvalidStoredRecords) as info:
        check_store(loaded)
    found = {(e.where, e.field) for e in info.value.errors}
    assert {("node h1", "phone"), ("node m1", "name")} <= found, found
    assert any("WITHIN edges form a cycle" in e.message for e in info.value.errors), info.value.errors
    assert re.match(r"\d+ problems in the records the store holds", str(info.value))


def test_check_store_names_a_phone_or_a_day_stored_in_another_spelling(loaded):
    """A load stores a phone and a day in one form each; one written around it (by an older orggraph, or
    another tool on the server) is named, the phone without its digits: the questions compare days as
    stored."""
    from orggraph.exceptions import InvalidStoredRecords
    from orggraph.load import check_store

    m1 = {k: v for k, v in loaded.node("m1").items() if k not in ("id", "kind")} | {"phone": "+86 138 0000 1111"}
    if isinstance(loaded, EmbeddedStore):
        with sqlite3.connect(loaded.path) as conn:
            conn.execute("UPDATE nodes SET props = ? WHERE id = 'm1'", (json.dumps(m1),))
            conn.execute("UPDATE edges SET since = '2022/3/1' WHERE type = 'CONTACTS' AND source = 'm1' AND target = 'h1'")
    else:
        loaded.conn.write("MATCH (n:Member {id: 'm1'}) SET n.props = $props", {"props": json.dumps(m1)})
        loaded.conn.write("MATCH (:Member {id: 'm1'})-[r:CONTACTS]->(:Household {id: 'h1'}) SET r.since = '2022/3/1'")
    with pytest.raises(InvalidStoredRecords) as info:
        check_store(loaded)
    assert [str(e) for e in info.value.errors] == [
        "node m1, field phone: stored as written, not in the one form a load stores (a mobile as its 11 digits, a "
        "landline as area code-number); load the record again",
        "edge CONTACTS m1 -> h1, field since: '2022/3/1' is stored as written, not as the ISO day 2022-03-01 every "
        "question compares; correct the edge"]
    assert "1111" not in str(info.value)


def test_check_store_finds_copies_a_hand_edit_left_out_of_step(server_store):
    from orggraph.exceptions import InvalidStoredRecords
    from orggraph.load import check_store

    server_store.load(items(STREET))
    server_store.conn.write("MATCH (m:Member {id: 'm1'}) SET m.status = 'unavailable'")  # props still say active
    with pytest.raises(InvalidStoredRecords) as info:
        check_store(server_store)
    assert [str(e) for e in info.value.errors] == [
        "node m1, field status: the server's copy 'unavailable' differs from the record's None; "
        "set the copy back to the record's value"]
    server_store.conn.write("MATCH (m:Member {id: 'm1'}) SET m.status = null")
    assert check_store(server_store).records == len(STREET["nodes"]) + len(STREET["edges"])


def test_a_load_whose_check_fails_writes_nothing(loaded):
    before, revision = snapshot(loaded), loaded.revision

    def refuse(_):
        raise OrgGraphError("outside")

    with pytest.raises(OrgGraphError, match="outside"):
        loaded.load(items({"nodes": [{"id": "h4", "kind": "Household"}], "edges": []}), check=refuse)
    assert snapshot(loaded) == before and loaded.revision == revision


def test_tokens_and_the_audit_log_on_every_backend(loaded):
    from orggraph.access import audit, authenticate, create_token, revoke_token, scope_of, tokens

    secret, token = create_token(loaded, "editor", ["g1"], pii=True)
    assert authenticate(loaded, secret) == token and token.pii
    assert sorted(scope_of(loaded, token.areas).households) == ["h1", "h2", "h3"]
    audit(loaded, token, "GET /households", ["h2", "h1"])
    audit(loaded, token, "GET /households/{id}", ["h1"])
    assert [(r["seq"], r["records"]) for r in loaded.audit_rows()] == [(1, ["h1", "h2"]), (2, ["h1"])]
    assert [r["seq"] for r in loaded.audit_rows(after=1)] == [2]
    revoke_token(loaded, token.id)
    assert authenticate(loaded, secret) is None and tokens(loaded)[0].revoked


def test_tokens_expire_on_every_backend(loaded):
    import datetime as dt

    from orggraph.access import AccessError, authenticate, create_token, tokens

    now = dt.datetime.now(dt.timezone.utc)
    secret, token = create_token(loaded, "viewer", ["c1"], expires=now + dt.timedelta(days=30))
    assert authenticate(loaded, secret) == token and token.active
    assert dt.datetime.fromisoformat(token.expires) - now > dt.timedelta(days=29)
    # a token made a year ago for thirty days, as the store would hold it now
    loaded.save_token({"id": "0ld0ld00", "hash": _sha256("og_old"), "role": "admin", "areas": ["s1"], "pii": True,
                       "created": (now - dt.timedelta(days=365)).isoformat(timespec="seconds"),
                       "expires": (now - dt.timedelta(days=335)).isoformat(timespec="seconds")})
    assert authenticate(loaded, "og_old") is None
    old = [t for t in tokens(loaded) if t.id == "0ld0ld00"][0]
    assert old.expired and not old.active and old.public()["active"] is False
    with pytest.raises(AccessError, match="is not in the future"):
        create_token(loaded, "viewer", ["c1"], expires=now - dt.timedelta(seconds=1))
    with pytest.raises(AccessError, match="needs a time zone"):
        create_token(loaded, "viewer", ["c1"], expires=dt.datetime.now() + dt.timedelta(days=1))


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
