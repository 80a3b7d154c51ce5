"""Restructuring as dated changes, and the history: answers before, on and after the day written out by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orggraph import changes
from orggraph.exceptions import ChangeRefused, NotFound
from orggraph.queries import contacts_of, coverage, gaps, responsibility_chain
from orggraph.store import EmbeddedStore

from .conftest import backend_store, items, snapshot

# Street s1: community c1 (grid g1: buildings b1, b2) and community c2 (grid g3: building b3).
# h1 lives in b1, h2 and h3 in b2, h4 in b3. Each area but the buildings has its organization with a
# secretary; m3 contacts h1 and h2, m4 contacts h3 and h4; m9 is unavailable.
NETWORK = {
    "nodes": [
        {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"},
        {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"},
        {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"},
        {"id": "g1", "kind": "Area", "name": "桂花第1网格", "level": "grid"},
        {"id": "g3", "kind": "Area", "name": "向阳第1网格", "level": "grid"},
        {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "b3", "kind": "Area", "name": "3号楼", "level": "building"},
        {"id": "o-s1", "kind": "Org", "name": "江滨街道党工委", "level": "street"},
        {"id": "o-c1", "kind": "Org", "name": "桂花社区党委", "level": "community"},
        {"id": "o-c2", "kind": "Org", "name": "向阳社区党委", "level": "community"},
        {"id": "o-g1", "kind": "Org", "name": "桂花第1网格党支部", "level": "grid"},
        {"id": "o-g3", "kind": "Org", "name": "向阳第1网格党支部", "level": "grid"},
        *({"id": f"m{i}", "kind": "Member", "name": name, "phone": f"1380000000{i}"}
          for i, name in enumerate(["王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏"], start=1)),
        {"id": "m9", "kind": "Member", "name": "周涛", "status": "unavailable"},
        *({"id": f"h{i}", "kind": "Household", "address": f"{b}号楼{i}01室", "phone": f"1390000000{i}"}
          for i, b in ((1, 1), (2, 2), (3, 2), (4, 3))),
    ],
    "edges": [
        {"type": "WITHIN", "source": "c1", "target": "s1"},
        {"type": "WITHIN", "source": "c2", "target": "s1"},
        {"type": "WITHIN", "source": "g1", "target": "c1", "since": "2020-01-01"},
        {"type": "WITHIN", "source": "g3", "target": "c2"},
        {"type": "WITHIN", "source": "b1", "target": "g1"},
        {"type": "WITHIN", "source": "b2", "target": "g1", "since": "2020-01-01"},
        {"type": "WITHIN", "source": "b3", "target": "g3"},
        {"type": "SUBORDINATE_TO", "source": "o-c1", "target": "o-s1"},
        {"type": "SUBORDINATE_TO", "source": "o-c2", "target": "o-s1"},
        {"type": "SUBORDINATE_TO", "source": "o-g1", "target": "o-c1"},
        {"type": "SUBORDINATE_TO", "source": "o-g3", "target": "o-c2"},
        *({"type": "GOVERNS", "source": f"o-{a}", "target": a} for a in ("s1", "c1", "c2", "g1", "g3")),
        *({"type": "HOLDS_POST", "source": m, "target": o, "post": "secretary"}
          for m, o in (("m6", "o-s1"), ("m2", "o-c1"), ("m5", "o-c2"), ("m1", "o-g1"), ("m7", "o-g3"))),
        {"type": "LOCATED_IN", "source": "h1", "target": "b1", "since": "2020-01-01"},
        {"type": "LOCATED_IN", "source": "h2", "target": "b2"},
        {"type": "LOCATED_IN", "source": "h3", "target": "b2"},
        {"type": "LOCATED_IN", "source": "h4", "target": "b3"},
        {"type": "CONTACTS", "source": "m3", "target": "h1", "since": "2022-03-01"},
        {"type": "CONTACTS", "source": "m3", "target": "h2", "since": "2022-03-01"},
        {"type": "CONTACTS", "source": "m4", "target": "h3"},
        {"type": "CONTACTS", "source": "m4", "target": "h4"},
    ],
}
DATE, BEFORE, AFTER = "2024-07-01", "2024-06-30", "2024-08-01"
HOUSEHOLDS = ("h1", "h2", "h3", "h4")
PERSONAL = [n[k] for n in NETWORK["nodes"] if n["kind"] in ("Member", "Household")
            for k in ("name", "phone", "address") if k in n]


@pytest.fixture(params=["embedded", "falkordb"])
def net(request, tmp_path):
    """The network above on the embedded store and on FalkorDB (a few tests below run on Neo4j too)."""
    with backend_store(request, request.param, tmp_path) as store:
        store.load(items(NETWORK))
        yield store


def households(store, day: str) -> dict[str, int]:
    """Households of each area taking part on the day (an area that does not has none)."""
    return {a["id"]: a["households"] for a in coverage(store, as_of=day)["areas"] if a["households"]}


def orgs_named(store, household: str, day: str) -> set[str]:
    chain = responsibility_chain(store, household, as_of=day)
    return {x["org"] for x in chain["links"] + chain["breaks"] if x["org"]}


def answers(store, day: str):
    """Every answer the tests compare: coverage of every area, the chain of every household, the gaps."""
    return (coverage(store, as_of=day), [responsibility_chain(store, h, as_of=day) for h in HOUSEHOLDS],
            gaps(store, as_of=day))


# -- each change, with its answers before, on and after the day ----------------------------------------


def test_split_a_grid_with_its_new_branch(net):
    before = answers(net, BEFORE)
    change = changes.split(net, "g1", "g2", "桂花第2网格", ["b2"], DATE, org="o-g2", org_name="桂花第2网格党支部",
                           note="街道批复", by="wang")
    assert change["households"] == ["h2", "h3"] and change["history"] is not None
    assert [(e["type"], e["source"], e["target"], e["until"]) for e in change["ended"]] == [
        ("WITHIN", "b2", "g1", BEFORE)]
    assert sorted((r.get("type") or r["kind"], r.get("source") or r["id"], r.get("target")) for r in change["added"]) == [
        ("Area", "g2", None), ("GOVERNS", "o-g2", "g2"), ("Org", "o-g2", None), ("SUBORDINATE_TO", "o-g2", "o-c1"),
        ("WITHIN", "b2", "g2"), ("WITHIN", "g2", "c1")]
    assert answers(net, BEFORE) == before
    assert households(net, BEFORE) == {"s1": 4, "c1": 3, "g1": 3, "b1": 1, "b2": 2, "c2": 1, "g3": 1, "b3": 1}
    for day in (DATE, AFTER):
        assert households(net, day) == {"s1": 4, "c1": 3, "g1": 1, "g2": 2, "b1": 1, "b2": 2, "c2": 1, "g3": 1, "b3": 1}
    assert {"o-g1"} <= orgs_named(net, "h2", BEFORE) and "o-g2" not in orgs_named(net, "h2", BEFORE)
    assert {"o-g2", "o-c1"} <= orgs_named(net, "h2", DATE) and "o-g1" not in orgs_named(net, "h2", DATE)
    assert orgs_named(net, "h1", DATE) == orgs_named(net, "h1", BEFORE) == {"o-g1", "o-c1", "o-s1"}
    [entry] = net.history("o-g2")
    assert (entry["kind"], entry["by"], entry["note"], entry["on"]) == ("split", "wang", "街道批复", DATE)
    assert entry["ended"] == [["WITHIN", "b2", "g1", "2020-01-01"]] and "g2" in entry["added"]


def test_move_a_grid_to_another_community(net):
    before = answers(net, BEFORE)
    change = changes.move(net, "g1", "c2", DATE)
    assert change["households"] == ["h1", "h2", "h3"]
    assert answers(net, BEFORE) == before
    assert (households(net, BEFORE)["c1"], households(net, BEFORE)["c2"]) == (3, 1)
    assert households(net, AFTER) == {"s1": 4, "c2": 4, "g1": 3, "g3": 1, "b1": 1, "b2": 2, "b3": 1}
    assert "o-c1" in orgs_named(net, "h1", BEFORE) and "o-c2" not in orgs_named(net, "h1", BEFORE)
    for day in (DATE, AFTER):
        assert "o-c2" in orgs_named(net, "h1", day) and "o-c1" not in orgs_named(net, "h1", day)
    assert orgs_named(net, "h4", DATE) == orgs_named(net, "h4", BEFORE)


def test_merge_a_building_into_another(net):
    before = answers(net, BEFORE)
    change = changes.merge(net, ["b2"], "b1", DATE)
    assert sorted((e["type"], e["source"], e["target"]) for e in change["ended"]) == [
        ("LOCATED_IN", "h2", "b2"), ("LOCATED_IN", "h3", "b2"), ("WITHIN", "b2", "g1")]
    assert answers(net, BEFORE) == before
    assert households(net, BEFORE)["b1"] == 1 and households(net, BEFORE)["b2"] == 2
    assert households(net, DATE)["b1"] == 3 and "b2" not in households(net, DATE)
    assert households(net, AFTER)["g1"] == 3


def test_merge_ends_the_governing_of_the_merged_grid(net):
    change = changes.merge(net, ["g3"], "g1", DATE)
    assert ("GOVERNS", "o-g3", "g3") in {(e["type"], e["source"], e["target"]) for e in change["ended"]}
    assert change["households"] == ["h4"]
    assert "o-g3" in orgs_named(net, "h4", BEFORE) and "o-c2" in orgs_named(net, "h4", BEFORE)
    assert {"o-g1", "o-c1"} <= orgs_named(net, "h4", AFTER) and not {"o-g3", "o-c2"} & orgs_named(net, "h4", AFTER)
    assert households(net, AFTER)["c1"] == 4 and "g3" not in households(net, AFTER)


def test_relocate_a_household(net):
    before = answers(net, BEFORE)
    change = changes.relocate(net, "h1", "b3", DATE)
    assert [(e["target"], e["since"], e["until"]) for e in change["ended"]] == [("b1", "2020-01-01", BEFORE)]
    assert answers(net, BEFORE) == before
    assert (households(net, BEFORE)["c1"], households(net, BEFORE)["c2"]) == (3, 1)
    for day in (DATE, AFTER):
        assert (households(net, day)["c1"], households(net, day)["c2"], households(net, day)["b3"]) == (2, 2, 2)
        assert "b1" not in households(net, day)
    assert "o-c2" in orgs_named(net, "h1", DATE)


def test_handover_of_some_households(net):
    before = answers(net, BEFORE)
    change = changes.handover(net, "m3", "m4", DATE, households=["h1"], note="m3 调离")
    assert change["households"] == ["h1"]
    assert [(e["source"], e["target"], e["until"]) for e in change["ended"]] == [("m3", "h1", BEFORE)]
    assert [(e["source"], e["target"], e["since"]) for e in change["added"]] == [("m4", "h1", DATE)]
    assert answers(net, BEFORE) == before
    assert contacts_of(net, "h1", as_of=BEFORE) == ["m3"]
    assert contacts_of(net, "h1", as_of=DATE) == contacts_of(net, "h1", as_of=AFTER) == ["m4"]
    assert contacts_of(net, "h2", as_of=AFTER) == ["m3"]


def test_handover_of_all_households_dry_run_then_written(net):
    held = snapshot(net), net.history()
    dry = changes.handover(net, "m3", "m4", DATE, dry_run=True)
    assert (dry["dry_run"], dry["history"], dry["households"]) == (True, None, ["h1", "h2"])
    assert (snapshot(net), net.history()) == held
    done = changes.handover(net, "m3", "m4", DATE)
    assert {k: v for k, v in done.items() if k not in ("dry_run", "history")} == \
        {k: v for k, v in dry.items() if k not in ("dry_run", "history")}
    assert contacts_of(net, "h2", as_of=AFTER) == ["m4"] and contacts_of(net, "h2", as_of=BEFORE) == ["m3"]


# -- refusals: all the problems at once, nothing written -------------------------------------------------


def _unchanged(store, fn):
    held = snapshot(store), store.history(), store.revision
    with pytest.raises(Exception) as caught:
        fn()
    assert (snapshot(store), store.history(), store.revision) == held
    return caught.value


def test_an_unknown_id_among_several_writes_nothing(net):
    error = _unchanged(net, lambda: changes.merge(net, ["b2", "b9", "g9"], "b1", DATE))
    assert isinstance(error, NotFound)
    assert "'b9'" in str(error) and "'g9'" in str(error)


def test_refusals_name_every_problem(net):
    error = _unchanged(net, lambda: changes.move(net, "c1", "b1", DATE))
    assert isinstance(error, ChangeRefused) and "which lies within c1" in str(error)
    error = _unchanged(net, lambda: changes.move(net, "g1", "c1", DATE))
    assert "already" in str(error)
    error = _unchanged(net, lambda: changes.move(net, "h1", "c1", DATE))
    assert isinstance(error, ChangeRefused) and "'h1' is a Household, not an Area" in str(error)
    error = _unchanged(net, lambda: changes.relocate(net, "h1", "b2", "2019-12-01"))
    assert "LOCATED_IN h1 -> b1 since 2020-01-01 starts after 2019-12-01" in str(error)
    net.load(items({"edges": [{"type": "WITHIN", "source": "b3", "target": "g3", "since": DATE}]}))
    error = _unchanged(net, lambda: changes.move(net, "b3", "g1", DATE))
    assert "WITHIN b3 -> g3 since 2024-07-01 starts on 2024-07-01, so it cannot end before 2024-07-01" in str(error)
    error = _unchanged(net, lambda: changes.handover(net, "m3", "m9", DATE, households=["h1", "h3"]))
    assert error.problems == ["--to: m9 is marked unavailable", "--households: m3 does not contact h3 on 2024-07-01"]
    error = _unchanged(net, lambda: changes.split(net, "g1", "g3", "", ["b3"], DATE, org="o-g1", org_name="x"))
    assert len(error.problems) == 4  # g3 taken, no name, b3 not within g1, o-g1 taken
    with pytest.raises(ValueError, match="ISO date"):
        changes.move(net, "g1", "c2", "next July")


# -- the history -------------------------------------------------------------------------------------------


def test_every_write_is_in_the_history_with_who_and_nothing_personal(net):
    [load] = net.history()
    assert load["kind"] == "load" and load["counts"]["added"] == len(NETWORK["nodes"]) + len(NETWORK["edges"])
    assert net.load(items(NETWORK)).history is None  # the same records again: nothing changed, no entry
    net.load(items({"nodes": [{**NETWORK["nodes"][-1], "people": 4}]}), history={"kind": "update", "by": "token:abc"})
    changes.relocate(net, "h4", "b1", DATE, by="cli:wang", note="搬家")
    net.delete(nodes=["h4"], history={"kind": "delete", "by": "token:abc", "note": None})
    entries = net.history()
    assert [(e["id"], e["kind"], e["by"]) for e in entries] == [
        (1, "load", None), (2, "update", "token:abc"), (3, "relocate", "cli:wang"), (4, "delete", "token:abc")]
    assert entries[1]["changed"] == ["h4"]
    assert entries[2]["ended"] == [["LOCATED_IN", "h4", "b3", None]] and entries[2]["note"] == "搬家"
    assert entries[3]["removed"] == ["h4"] and entries[3]["counts"]["removed"] == 4  # h4, its two places, its contact
    assert [e["id"] for e in net.history("h4")] == [1, 2, 3, 4] and [e["id"] for e in net.history("b3")] == [1, 3]
    assert [e["id"] for e in net.history(after=2, limit=1)] == [3]
    note = {"at": "2024-07-02T08:00:00+00:00", "kind": "move", "by": "cli:wang", "note": "补录", "on": DATE,
            "added": [], "changed": [], "ended": [["WITHIN", "g3", "c2", None]], "removed": [],
            "counts": {"added": 0, "changed": 0, "ended": 1, "removed": 0}, "complete": True}
    assert net.append_history(note) == 5 and net.history("g3")[-1] == {"id": 5, **note}
    text = json.dumps(entries, ensure_ascii=False)
    assert not [p for p in PERSONAL if p in text]


def test_a_failed_write_leaves_no_history(net):
    _unchanged(net, lambda: net.load(items({"edges": [{"type": "CONTACTS", "source": "m1", "target": "nobody"}]})))


def test_a_large_load_keeps_its_counts_and_the_first_ids(tmp_path):
    from orggraph import history

    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load([("node", "1", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"})])
        saved, history.IDS_AT_MOST = history.IDS_AT_MOST, 5
        try:
            store.load([("node", str(i), {"id": f"h{i:02}", "kind": "Household"}) for i in range(8)])
        finally:
            history.IDS_AT_MOST = saved
        entry = store.history()[-1]
        assert (entry["counts"]["added"], len(entry["added"]), entry["complete"]) == (8, 5, False)


def test_an_older_store_file_gets_the_history(tmp_path):
    import sqlite3

    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load(items(NETWORK))
    conn = sqlite3.connect(tmp_path / "city.db")
    conn.executescript("DROP TABLE history; DROP TABLE history_nodes; UPDATE meta SET value = '3' "
                       "WHERE key = 'schema_version';")
    conn.close()
    with EmbeddedStore(tmp_path / "city.db") as store:
        assert store.history() == []
        changes.relocate(store, "h1", "b2", DATE)
        assert [e["kind"] for e in store.history()] == ["relocate"]


# -- on Neo4j: one change, its answers and its history in the write's transaction ----------------------


def test_split_on_neo4j(request, tmp_path):
    with backend_store(request, "neo4j", tmp_path) as store:
        store.load(items(NETWORK), history={"kind": "load", "by": "cli:test"})
        change = changes.split(store, "g1", "g2", "桂花第2网格", ["b2"], DATE, org="o-g2", org_name="桂花第2网格党支部")
        assert change["households"] == ["h2", "h3"]
        assert households(store, BEFORE)["g1"] == 3 and households(store, AFTER)["g2"] == 2
        assert [(e["id"], e["kind"], e["by"][:4]) for e in store.history()] == [(1, "load", "cli:"), (2, "split", "cli:")]
        assert change["history"] == 2 and [e["id"] for e in store.history("g2")] == [2]


# -- a change never alters an answer for a day before its date ------------------------------------------

_AREAS = ["c1", "c2", "g1", "g3", "b1", "b2", "b3"]
_CHANGE = st.one_of(
    st.tuples(st.just("move"), st.sampled_from(_AREAS), st.sampled_from(["s1", *_AREAS])),
    st.tuples(st.just("split"), st.sampled_from(["g1", "g3", "c1"]), st.lists(st.sampled_from(_AREAS), max_size=2)),
    st.tuples(st.just("merge"), st.lists(st.sampled_from(_AREAS), min_size=1, max_size=2), st.sampled_from(_AREAS)),
    st.tuples(st.just("relocate"), st.sampled_from(HOUSEHOLDS), st.sampled_from(_AREAS)),
    st.tuples(st.just("handover"), st.sampled_from(["m3", "m4"]), st.sampled_from(["m1", "m3", "m4"])),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_CHANGE, st.sampled_from(["2023-01-01", DATE, "2025-03-15"]))
def test_a_change_never_alters_an_answer_before_its_day(tmp_path_factory, change, on):
    kind, first, second = change
    day = dt.date.fromisoformat(on)
    with EmbeddedStore(tmp_path_factory.mktemp("p") / "city.db") as store:
        store.load(items(NETWORK))
        seen = {str(d): answers(store, str(d)) for d in (day - dt.timedelta(days=400), day - dt.timedelta(days=1))}
        run = {"move": lambda: changes.move(store, first, second, on),
               "split": lambda: changes.split(store, first, "n1", "新网格", second, on, org="o-n1", org_name="新支部"),
               "merge": lambda: changes.merge(store, first, second, on),
               "relocate": lambda: changes.relocate(store, first, second, on),
               "handover": lambda: changes.handover(store, first, second, on)}[kind]
        try:
            run()
        except (ChangeRefused, NotFound):
            return
        for day, before in seen.items():
            assert answers(store, day) == before, (kind, first, second, on, day)


# -- the command line --------------------------------------------------------------------------------------


def test_the_commands(tmp_path):
    from typer.testing import CliRunner

    from orggraph.cli import app

    db = str(tmp_path / "city.db")
    (tmp_path / "net.json").write_text(json.dumps(NETWORK, ensure_ascii=False), encoding="utf-8")

    def run(*args: str):
        return CliRunner().invoke(app, [*args, "--db", db], prog_name="orggraph")

    assert run("load", str(tmp_path / "net.json"), "--by", "wang", "--note", "建账").exit_code == 0
    dry = run("split", "g1", "--new", "g2", "--name", "桂花第2网格", "--take", "b2", "--on", DATE, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[0] == "split on 2024-07-01: a dry run, nothing written"
    assert "  would end WITHIN b2 -> g1 since 2020-01-01 (until 2024-06-30)" in dry.output
    assert "2 households' chains would change on 2024-07-01: h2, h3" in dry.output
    done = run("handover", "m3", "--to", "m4", "--households", "h1", "--on", DATE, "--note", "m3 调离", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["households"] == ["h1"] and json.loads(done.output)["history"] == 2
    moved = run("move", "g1", "--to", "c2", "--on", DATE, "--by", "li")
    assert moved.exit_code == 0 and "3 households' chains change on 2024-07-01: h1, h2, h3" in moved.output
    for args, message in ((("merge", "b2", "b9", "--into", "b1", "--on", DATE), "AREA: no area with id 'b9'"),
                          (("relocate", "h1", "--to", "h1", "--on", DATE), "'h1' is a Household, not an Area"),
                          (("move", "g1", "--to", "c1", "--on", "2024-13-01"), "must be an ISO date")):
        refused = run(*args)
        assert refused.exit_code == 2 and message in refused.output, refused.output
    heads = {node: [line.split(" by ")[0].split(" ", 2)[::2] for line in run("history", node).output.splitlines()
                    if line.startswith("#")] for node in ("h1", "g1")}
    assert heads == {"h1": [["#1", "load"], ["#2", "handover on 2024-07-01"]],
                     "g1": [["#1", "load"], ["#3", "move on 2024-07-01"]]}
    history = run("history").output
    assert "by wang: 建账" in history and "by li\n  ended WITHIN g1 -> c1 since 2020-01-01" in history
    entries = json.loads(run("history", "--json", "--limit", "1").output)
    assert [e["kind"] for e in entries] == ["move"]


def test_a_change_another_write_came_before_is_worked_out_again(net):
    """Two editors move b1 at once, one to g3 and one back within g1's community: the one written second
    is worked out again from what the first wrote, and refused; b1 lies within one area."""
    real = net.load

    def another_editor_first(records, **options):
        net.load = real
        changes.move(net, "b1", "g3", "2025-05-01", by="editor-2")  # written between working out and writing
        return real(records, **options)

    net.load = another_editor_first
    try:
        with pytest.raises(ChangeRefused, match="starts"):
            changes.move(net, "b1", "s1", "2025-05-01", by="editor-1")
    finally:
        net.load = real
    assert [e["target"] for e in net.edges("WITHIN") if e["source"] == "b1" and (e.get("until") is None)] == ["g3"]
    assert [entry["by"] for entry in net.history()][-1] == "editor-2"


def test_a_change_to_or_of_an_area_that_takes_no_part_on_the_day_is_refused(net):
    """g9 is made on 2026-01-01; c1's grid g1 is merged into g3 on 2025-06-01: neither can be moved to,
    relocated to or merged on a day it takes no part."""
    net.load(items({"nodes": [{"id": "g9", "kind": "Area", "name": "新网格", "level": "grid"}],
                    "edges": [{"type": "WITHIN", "source": "g9", "target": "c1", "since": "2026-01-01"}]}))
    before = snapshot(net)
    for change, message in [
        (lambda: changes.move(net, "b1", "g9", "2025-07-01"), "g9 takes no part on 2025-07-01"),
        (lambda: changes.relocate(net, "h1", "g9", "2025-07-01"), "g9 takes no part on 2025-07-01"),
        (lambda: changes.merge(net, ["g9"], "g1", "2025-07-01"), "g9 takes no part on 2025-07-01"),
    ]:
        with pytest.raises(ChangeRefused, match=message):
            change()
    assert snapshot(net) == before
    changes.move(net, "b1", "g9", "2026-01-01")  # from the day it is made
    assert households(net, "2026-01-01")["g9"] == 1


def test_the_history_keeps_a_note_with_its_numbers_masked_and_refuses_hidden_characters(net):
    changes.move(net, "b1", "g3", "2025-05-01", note="划转 13812345678 张三", by="街道 13912345678")
    entry = net.history()[-1]
    assert (entry["note"], entry["by"]) == ("划转 138****5678 张三", "街道 139****5678")
    before = snapshot(net), net.history()
    for note, by, message in [("a\u202eb", None, "note: holds a direction-control character"),
                              ("x\x00", None, "note: holds a control character"),
                              ("ok", "", "by: must not be blank")]:
        with pytest.raises(ValueError, match=message):
            changes.move(net, "b2", "g3", "2025-05-01", note=note, by=by)
        with pytest.raises(ValueError, match=message):
            changes.move(net, "b2", "g3", "2025-05-01", note=note, by=by, dry_run=True)
    assert (snapshot(net), net.history()) == before
