"""Incidents kept as records, and stand-ins assigned together: answers worked out by hand, on every backend."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orggraph import incidents
from orggraph.exceptions import ChangeRefused, InvalidRecords, NotFound
from orggraph.index import build_index
from orggraph.queries import cover_plan, incident
from orggraph.queries._base import day_of
from orggraph.queries.plan import assign, assign_greedy

from .conftest import BACKENDS, backend_store, cli, items, run_cli, snapshot

DAY = "2024-06-01"


@pytest.fixture(params=[b for b in BACKENDS if b != "neo4j"])
def plan_store(request, tmp_path):
    """The plan's questions on the store file and FalkorDB (the facts they read are checked alike on every
    backend in test_facts.py; Neo4j answers the incident records' tests below)."""
    with backend_store(request, request.param, tmp_path) as s:
        yield s


def town() -> dict:
    """c1 holds g1 (b1, b2) and g2 (b3); c2 holds b4. With at most 2 households a member:
    - b1: u1 (vulnerable), u2, u3 uncovered; k1 covered by mA, who lives in k1 (room 1);
    - b2: k2, covered by mB (room 1) and k3 by mB as well? no: mB contacts k2 only (room 1), mC lives in
      k2 and contacts nobody (room 2);
    - b3: u4 uncovered, nobody there;
    - b4 (c2): u5 uncovered, nobody in c2 at all;
    - u6 located nowhere;
    - mP, secretary of o-c1 and living in b1, is never a stand-in: the chain names them already."""
    areas = [("s1", "street"), ("c1", "community"), ("c2", "community"), ("g1", "grid"), ("g2", "grid"),
             ("b1", "building"), ("b2", "building"), ("b3", "building"), ("b4", "building")]
    nodes = [{"id": a, "kind": "Area", "name": a, "level": lv} for a, lv in areas]
    nodes += [{"id": h, "kind": "Household", **({"flags": ["elderly_alone"]} if h == "u1" else {})}
              for h in ("u1", "u2", "u3", "u4", "u5", "u6", "k1", "k2")]
    nodes += [{"id": m, "kind": "Member", "name": m} for m in ("mA", "mB", "mC", "mP")]
    nodes += [{"id": "o-c1", "kind": "Org", "name": "o-c1", "level": "community"}]
    edges = [{"type": "WITHIN", "source": c, "target": p} for c, p in
             (("c1", "s1"), ("c2", "s1"), ("g1", "c1"), ("g2", "c1"), ("b1", "g1"), ("b2", "g1"), ("b3", "g2"),
              ("b4", "c2"))]
    edges += [{"type": "LOCATED_IN", "source": h, "target": a} for h, a in
              (("u1", "b1"), ("u2", "b1"), ("u3", "b1"), ("k1", "b1"), ("k2", "b2"), ("u4", "b3"), ("u5", "b4"))]
    edges += [{"type": "CONTACTS", "source": "mA", "target": "k1"}, {"type": "CONTACTS", "source": "mB", "target": "k2"},
              {"type": "RESIDES_IN", "source": "mA", "target": "k1"}, {"type": "RESIDES_IN", "source": "mC", "target": "k2"},
              {"type": "RESIDES_IN", "source": "mP", "target": "k1"},
              {"type": "GOVERNS", "source": "o-c1", "target": "c1"},
              {"type": "HOLDS_POST", "source": "mP", "target": "o-c1", "post": "secretary"}]
    return {"nodes": nodes, "edges": edges}


def placed(sheet: dict) -> dict:
    return {e["household"]: (e["stand_in"]["member"], e["stand_in"]["distance"]) if e["stand_in"] else e["unassigned"]
            for e in sheet["entries"] if not e["covered"]}


def test_capacity_binds_and_the_vulnerable_go_nearest(store):
    """Room near b1: mA 1 (in b1), mB 1 and mC 2 (in b2, a step away in g1). u1, u2, u3 in b1 and u4 in b3
    (g2, two steps from b2 by way of c1) want four places and find four: mA takes u1 (vulnerable, the
    nearest), u2 and u3 go to g1 (mC, with the most room, then mB), u4 to mC across the community."""
    store.load(items(town()))
    sheet = incident(store, ["s1"], ["u6"], as_of=DAY, max_households=2)
    assert placed(sheet) == {"u1": ("mA", 0), "u2": ("mC", 1), "u3": ("mB", 1), "u4": ("mC", 2),
                             "u5": "nobody_nearby", "u6": "unlocated"}
    assert (sheet["placed"], sheet["most_given"]) == (4, 2)
    # no one over their room: with room for one each (max 1, mA and mB full), only mC's one place is left
    sheet = incident(store, ["s1"], as_of=DAY, max_households=1)
    assert placed(sheet) == {"u1": ("mC", 1), "u2": "no_capacity", "u3": "no_capacity", "u4": "no_capacity",
                             "u5": "nobody_nearby"}


def test_a_tie_is_spread_by_room_then_id(plan_store):
    """Two uncovered households in b2 and two members there with the same room: one each, by id."""
    doc = town()
    doc["nodes"] += [{"id": h, "kind": "Household"} for h in ("w1", "w2")]
    doc["edges"] += [{"type": "LOCATED_IN", "source": h, "target": "b2"} for h in ("w1", "w2")]
    doc["edges"] += [{"type": "RESIDES_IN", "source": "mB", "target": "k2"}]
    plan_store.load(items(doc))
    sheet = incident(plan_store, ["b2"], as_of=DAY, max_households=3)  # mB room 2, mC room 3: mC first
    assert placed(sheet) == {"w1": ("mC", 0), "w2": ("mB", 0)}
    sheet = incident(plan_store, ["b2"], as_of=DAY, max_households=3, unavailable=["mC"])
    assert placed(sheet) == {"w1": ("mB", 0), "w2": ("mB", 0)}


def test_a_member_with_a_post_or_an_area_is_never_a_stand_in(plan_store):
    plan_store.load(items(town()))
    sheet = incident(plan_store, ["b1"], as_of=DAY, max_households=5)
    assert "mP" not in {e["stand_in"]["member"] for e in sheet["entries"] if e["stand_in"]}
    # the same for a member assigned to an area
    plan_store.load(items({"nodes": [], "edges": [{"type": "ASSIGNED_TO", "source": "mA", "target": "b1",
                                              "role": "building_leader"}]}))
    sheet = incident(plan_store, ["b1"], as_of=DAY, max_households=5)
    assert {e["stand_in"]["member"] for e in sheet["entries"] if e["stand_in"]} == {"mB", "mC"}


def test_cover_plan_proposes_and_cover_writes_dated_contacts(plan_store):
    from orggraph.changes import cover

    plan_store.load(items(town()))
    plan = cover_plan(plan_store, "c1", as_of=DAY, max_households=2)
    assert [(a["household"], a["member"], a["distance"]) for a in plan["assignments"]] == [
        ("u1", "mA", 0), ("u2", "mC", 1), ("u3", "mB", 1), ("u4", "mC", 2)]
    assert (plan["households"], plan["placed"], plan["most_given"], plan["mean_distance"]) == (4, 4, 2, 1.0)
    change = cover(plan_store, "c1", on=DAY, max_households=2, note="包保补位")
    assert sorted((e["source"], e["target"], e["since"]) for e in change["added"]) == [
        ("mA", "u1", DAY), ("mB", "u3", DAY), ("mC", "u2", DAY), ("mC", "u4", DAY)]
    assert cover_plan(plan_store, "c1", as_of=DAY)["households"] == 0
    # the day before, every answer stays as it was
    assert cover_plan(plan_store, "c1", as_of="2024-05-31", max_households=2)["placed"] == 4
    assert plan_store.history()[-1]["kind"] == "cover"
    with pytest.raises(ChangeRefused, match="none is uncovered"):
        cover(plan_store, "c1", on=DAY)


# -- the plan against the household-by-household way, on random networks ---------------------------------


def _random_network(seed: int) -> tuple:
    rng = random.Random(seed)
    buildings = [f"b{i}" for i in range(rng.randint(2, 6))]
    grids = ["g1", "g2"]
    nodes = [("c1", "Area", {"name": "c1", "level": "community"})]
    nodes += [(g, "Area", {"name": g, "level": "grid"}) for g in grids]
    nodes += [(b, "Area", {"name": b, "level": "building"}) for b in buildings]
    edges = [("WITHIN", g, "c1", None, None, {}) for g in grids]
    edges += [("WITHIN", b, rng.choice(grids), None, None, {}) for b in buildings]
    households = [f"h{i:02d}" for i in range(rng.randint(3, 25))]
    members = [f"m{i}" for i in range(rng.randint(1, 6))]
    nodes += [(h, "Household", {"flags": ["disabled"]} if rng.random() < 0.3 else {}) for h in households]
    nodes += [(m, "Member", {"name": m}) for m in members]
    for h in households:
        edges.append(("LOCATED_IN", h, rng.choice(buildings), None, None, {}))
    for m in members:
        for h in rng.sample(households, rng.randint(0, 3)):
            edges.append(("CONTACTS", m, h, None, None, {}))
        if rng.random() < 0.5:
            edges.append(("RESIDES_IN", m, rng.choice(households), None, None, {}))
    edges = sorted({e[:3]: e for e in edges}.values(), key=lambda e: e[:3])
    return build_index(sorted(nodes), edges, revision=1), rng.randint(1, 5)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**6))
def test_the_flow_never_goes_further_than_one_by_one_nor_over_room(seed):
    index, limit = _random_network(seed)
    facts = index.facts()
    day = day_of(facts, DAY, ())
    territory = facts.territory(day)
    uncovered = facts.households(day, "uncovered", None)
    hood = facts.neighbourhood(day, uncovered)
    batch = [(h, [territory.position[a] for a in hood.located.get(h, ())], hood.nodes[h].vulnerable) for h in uncovered]
    flow, _ = assign(facts, territory, day, batch, max_households=limit)
    greedy, _ = assign_greedy(facts, territory, day, batch, max_households=limit)
    load = facts.contact_load(day)
    given_: dict[str, int] = {}
    for s in flow.values():
        given_[s["member"]] = given_.get(s["member"], 0) + 1
    for member, n in given_.items():
        assert load.get(member, (0, 0))[0] + n <= limit, (member, n)
    vulnerable = {h for h, _, v in batch if v}
    ours = (sum(h in vulnerable for h in flow), len(flow))
    theirs = (sum(h in vulnerable for h in greedy), len(greedy))
    assert ours >= theirs
    if ours == theirs:
        assert sum(s["distance"] for s in flow.values()) <= sum(s["distance"] for s in greedy.values())


# -- incidents kept as records ------------------------------------------------------------------------------


def test_an_incident_keeps_its_sheet_as_it_stood(store):
    store.load(items(town()))
    opened = incidents.open_incident(store, ["c1"], name="7月暴雨", as_of=DAY, max_households=2, by="cli:test")
    assert (opened["households"], opened["uncovered"], opened["vulnerable"], opened["placed"]) == (6, 4, 1, 4)
    assert opened["id"].startswith("inc-20240601-") and opened["closed"] is None and opened["opened_by"] == "cli:test"
    before = incidents.call_sheet(store, opened["id"])
    assert before["entries"] == [{**e, "outcome": None} for e in incident(store, ["c1"], as_of=DAY,
                                                                           max_households=2)["entries"]]
    # the records change: u2 gets a contact; the kept sheet does not, a new one does
    store.load(items({"nodes": [], "edges": [{"type": "CONTACTS", "source": "mC", "target": "u2"}]}))
    assert incidents.call_sheet(store, opened["id"])["entries"] == before["entries"]
    incidents._kept.clear()  # as read by another process
    assert incidents.call_sheet(store, opened["id"])["entries"] == before["entries"]
    assert incidents.open_incident(store, ["c1"], name="again", as_of=DAY)["uncovered"] == 3
    assert [i["name"] for i in incidents.incidents(store)] == ["7月暴雨", "again"]


def test_marks_supersede_and_are_all_kept(store):
    store.load(items(town()))
    inc = incidents.open_incident(store, ["c1"], name="暴雨", as_of=DAY, max_households=2)["id"]
    first = incidents.mark(store, inc, "u1", "no_answer", "mA", note="敲门无人")
    second = incidents.mark(store, inc, "u1", "needs_help", "mA", note="老人行动不便")
    incidents.mark(store, inc, "k2", "reached", "mB")
    assert second["seq"] > first["seq"]
    assert [m["status"] for m in incidents.marks(store, inc, household="u1")] == ["no_answer", "needs_help"]
    sheet = {e["household"]: e["outcome"] for e in incidents.call_sheet(store, inc)["entries"]}
    assert sheet["u1"]["status"] == "needs_help" and sheet["k2"]["status"] == "reached" and sheet["u2"] is None
    p = incidents.progress(store, inc)
    o = p["overall"]
    assert (o["households"], o["done"], o["open"], o["unmarked"], o["needs_help"], o["reached"], o["no_answer"]) == (
        6, 2, 4, 4, 1, 1, 0)
    assert o["rate"] == pytest.approx(2 / 6)
    assert p["vulnerable_open"] == [] and p["needs_help"] == ["u1"] and p["marks"] == 3
    areas = {a["id"]: (a["households"], a["done"]) for a in p["areas"]}
    assert areas == {"s1": (6, 2), "c1": (6, 2), "g1": (5, 2), "g2": (1, 0), "b1": (4, 1), "b2": (1, 1),
                     "b3": (1, 0)}
    assert [a["id"] for a in p["areas"]] == ["s1", "c1", "g1", "g2", "b1", "b2", "b3"]
    markers = {m["member"]: (m["marks"], m["doors"], m["doors_done"]) for m in p["markers"]}
    # mA knocks on k1 (its contact) and u1 (its stand-in's door), mC on u2 and u4, mB on k2 and u3
    assert markers == {"mA": (2, 2, 1), "mB": (1, 2, 1), "mC": (0, 2, 0)}
    assert p["markers"][0]["member"] == "mA" and p["markers"][-1]["member"] == "mC"


def test_bad_marks_are_refused_whole_and_a_closed_incident_takes_none(store):
    store.load(items(town()))
    inc = incidents.open_incident(store, ["b1"], name="暴雨", as_of=DAY)["id"]
    with pytest.raises(InvalidRecords) as caught:
        incidents.mark_many(store, inc, [{"household": "u1", "status": "reached", "by": "mA"},
                                         {"household": "u5", "status": "gone", "by": "m404"},
                                         {"household": "u2", "status": "reached", "by": "mA", "note": "x" * 501}])
    assert [(e.where, e.field) for e in caught.value.errors] == [
        ("mark 2", "household"), ("mark 2", "status"), ("mark 2", "by"), ("mark 3", "note")]
    assert "'u5' is not on the call sheet" in str(caught.value) and "no member with id 'm404'" in str(caught.value)
    assert incidents.marks(store, inc) == []
    with pytest.raises(NotFound, match="no incident with id 'inc-nope'"):
        incidents.mark(store, "inc-nope", "u1", "reached", "mA")
    closed = incidents.close_incident(store, inc, by="cli:test")
    assert closed["closed"] is not None and closed["closed_by"] == "cli:test"
    with pytest.raises(ChangeRefused, match="takes no more marks"):
        incidents.mark(store, inc, "u1", "reached", "mA")
    with pytest.raises(ChangeRefused, match="closed already"):
        incidents.close_incident(store, inc)
    assert incidents.incidents(store, open_only=True) == []
    assert incidents.progress(store, inc)["closed"] == closed["closed"]


def test_incidents_leave_the_network_as_it_was(plan_store):
    plan_store.load(items(town()))
    before, revision = snapshot(plan_store), plan_store.revision
    inc = incidents.open_incident(plan_store, ["c1"], name="暴雨", as_of=DAY)["id"]
    incidents.mark(plan_store, inc, "u1", "reached", "mA")
    incidents.close_incident(plan_store, inc)
    assert snapshot(plan_store) == before and plan_store.revision == revision


def test_a_scope_sees_its_households_of_an_incident_only(store):
    from orggraph.access import OutsideScope, scope_of

    store.load(items(town()))
    inc = incidents.open_incident(store, ["s1"], name="暴雨", as_of=DAY, max_households=2)["id"]
    g2 = scope_of(store, ["g2"])
    assert incidents.get_incident(store, inc, scope=g2)["households"] == 1
    assert [e["household"] for e in incidents.call_sheet(store, inc, scope=g2)["entries"]] == ["u4"]
    with pytest.raises(InvalidRecords, match="'u1' is not on the call sheet"):
        incidents.mark(store, inc, "u1", "reached", "mA", scope=g2)
    with pytest.raises(OutsideScope):
        incidents.close_incident(store, inc, scope=g2)
    c2 = scope_of(store, ["c2"])
    c2_only = incidents.open_incident(store, ["c2"], name="c2", as_of=DAY, scope=c2)["id"]
    with pytest.raises(NotFound, match=f"no incident with id '{c2_only}'"):
        incidents.get_incident(store, c2_only, scope=g2)
    assert [i["id"] for i in incidents.incidents(store, scope=g2)] == [inc]
    assert incidents.progress(store, inc, scope=g2)["overall"]["households"] == 1
    with pytest.raises(NotFound, match="no area with id 'c1'"):
        incidents.open_incident(store, ["c1"], name="x", scope=g2)


def test_a_screen_of_doors_filtered_and_paged_in_the_sheets_order(store):
    from orggraph.access import scope_of

    store.load(items(town()))
    inc = incidents.open_incident(store, ["c1"], name="暴雨", as_of=DAY, max_households=2)["id"]
    whole = {e["household"]: e for e in incidents.call_sheet(store, inc)["entries"]}
    g1 = incidents.doors(store, inc, area="g1")
    assert g1["total"] == 5 and [e["household"] for e in g1["entries"]] == ["u1", "u2", "u3", "k1", "k2"]
    # each entry as the whole sheet gives it, with who is to knock: the first contact, else the stand-in
    assert all({k: v for k, v in e.items() if k != "caller"} == whole[e["household"]] for e in g1["entries"])
    assert {e["household"]: e["caller"] for e in g1["entries"]} == {"u1": "mA", "u2": "mC", "u3": "mB", "k1": "mA",
                                                                   "k2": "mB"}
    incidents.mark(store, inc, "u1", "reached", "mA")
    incidents.mark(store, inc, "u2", "no_answer", "mC")  # nobody answered: still open
    still = incidents.doors(store, inc, area="g1", open_only=True, start=1, limit=2)
    assert (still["total"], still["start"], [e["household"] for e in still["entries"]]) == (4, 1, ["u3", "k1"])
    assert incidents.doors(store, inc, open_only=True, start=9)["entries"] == []
    named = incidents.doors(store, inc, households=["k2", "u4", "u1", "nobody"])
    assert [(e["household"], (e["outcome"] or {}).get("status")) for e in named["entries"]] == [
        ("u1", "reached"), ("u4", None), ("k2", None)]
    with pytest.raises(NotFound, match="no area with id 'c2'"):
        incidents.doors(store, inc, area="c2")  # on no household of the sheet
    g2 = scope_of(store, ["g2"])
    assert [e["household"] for e in incidents.doors(store, inc, scope=g2)["entries"]] == ["u4"]
    with pytest.raises(NotFound, match="no area with id 'g1'"):
        incidents.doors(store, inc, area="g1", scope=g2)  # outside the scope: as if it were on none
    with pytest.raises(ValueError):
        incidents.doors(store, inc, limit=-1)


# -- the command line ---------------------------------------------------------------------------------------


@pytest.fixture
def town_db(tmp_path):
    import json

    (tmp_path / "town.json").write_text(json.dumps(town(), ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "town.json", cwd=tmp_path).returncode == 0  # the real command, once
    return tmp_path


def test_an_incident_from_the_command_line(town_db):
    import json

    opened = cli("incident", "open", "--area", "c1", "--name", "7月暴雨", "--as-of", DAY, "--max-households", "2",
                     cwd=town_db)
    assert opened.returncode == 0, opened.stderr
    inc = opened.stdout.strip()
    assert inc.startswith("inc-20240601-") and "\n" not in inc and "6 households, 4 uncovered" in opened.stderr
    assert cli("incident", "mark", inc, "u1", "--status", "needs_help", "--by", "mA", "--note", "老人",
                   cwd=town_db).returncode == 0
    named = cli("incident", "open", "--area", "c1", "--name", "暴雨 王芳13800001111", cwd=town_db)
    assert named.returncode == 2 and "phone- or id-card-shaped" in named.stderr  # a name every reader is shown
    assert "13800001111" not in named.stderr
    bad = cli("incident", "mark", inc, "u5", "--status", "gone", "--by", "mA", cwd=town_db)
    assert bad.returncode == 2 and "'u5' is not on the call sheet" in bad.stderr and "'gone' is not an outcome" in bad.stderr
    progress = json.loads(cli("incident", "progress", inc, "--json", cwd=town_db).stdout)
    assert progress["overall"]["needs_help"] == 1 and progress["needs_help"] == ["u1"]
    assert progress["names"]["mA"] == {"name": "mA", "kind": "Member", "phone": None}
    text = cli("incident", "progress", inc, cwd=town_db).stdout
    assert "1 of 6 doors done" in text and "mA (mA): 1 mark, 2 doors, 1 done" in text
    sheet = json.loads(cli("incident", "sheet", inc, "--json", cwd=town_db).stdout)
    assert {e["household"]: (e["outcome"] or {}).get("status") for e in sheet["entries"]}["u1"] == "needs_help"
    listed = cli("incident", "list", cwd=town_db).stdout
    assert inc in listed and "open" in listed
    assert cli("incident", "close", inc, cwd=town_db).returncode == 0
    late = cli("incident", "mark", inc, "u2", "--status", "reached", "--by", "mC", cwd=town_db)
    assert late.returncode == 2 and "takes no more marks" in late.stderr
    assert cli("incident", "list", "--open", cwd=town_db).stdout.strip() == "no incident"
    # today's sheet, kept nowhere, with no command; options of it before a command are refused
    today = cli("incident", "--area", "b1", "--as-of", DAY, "--json", cwd=town_db)
    assert today.returncode == 0 and json.loads(today.stdout)["households"] == 4
    misplaced = cli("incident", "--area", "b1", "list", cwd=town_db)
    assert misplaced.returncode == 2 and "go after the command" in misplaced.stderr


def test_outcomes_typed_into_the_printed_sheet_come_back_whole_or_not_at_all(town_db):
    import json

    import openpyxl

    inc = cli("incident", "open", "--area", "b1", "--name", "暴雨", "--as-of", DAY, cwd=town_db).stdout.strip()
    written = cli("incident", "sheet", inc, "--xlsx", "sheet.xlsx", cwd=town_db)
    assert written.returncode == 0, written.stderr
    book = openpyxl.load_workbook(town_db / "sheet.xlsx")
    ws = book.active
    headers = [c.value for c in ws[3]]
    rows = {ws.cell(r, headers.index("住户编号") + 1).value: r for r in range(4, ws.max_row + 1)}
    out, by = headers.index("结果") + 1, headers.index("登记人") + 1

    def fill(values: dict) -> None:
        for household, (status, member) in values.items():
            ws.cell(rows[household], out).value, ws.cell(rows[household], by).value = status, member
        book.save(town_db / "filled.xlsx")

    fill({"u1": ("已联系到", "mA"), "u2": ("无人应答", "mC"), "k1": ("需要帮助", "m404")})
    refused = cli("incident", "marks", inc, "filled.xlsx", cwd=town_db)
    assert refused.returncode == 2 and f"row {rows['k1']}" in refused.stderr and "m404" in refused.stderr
    assert json.loads(cli("incident", "progress", inc, "--json", cwd=town_db).stdout)["marks"] == 0
    fill({"k1": ("需要帮助", "mA")})
    taken = cli("incident", "marks", inc, "filled.xlsx", cwd=town_db)
    assert taken.returncode == 0, taken.stderr
    assert "3 outcomes read; 3 marked" in taken.stdout
    p = json.loads(cli("incident", "progress", inc, "--json", cwd=town_db).stdout)["overall"]
    assert (p["reached"], p["no_answer"], p["needs_help"], p["unmarked"]) == (1, 1, 1, 1)
    # printed again, the sheet shows the outcomes so far; read back unchanged, they are no new marks
    assert cli("incident", "sheet", inc, "--xlsx", "again.xlsx", cwd=town_db).returncode == 0
    again = openpyxl.load_workbook(town_db / "again.xlsx").active
    assert again.cell(rows["u1"], out).value == "已联系到" and again.cell(rows["u1"], by).value == "mA"
    again.cell(rows["u3"], out).value, again.cell(rows["u3"], by).value = "拒绝", "mB"
    again.parent.save(town_db / "again.xlsx")
    taken = cli("incident", "marks", inc, "again.xlsx", cwd=town_db)
    assert "4 outcomes read (3 as marked already); 1 marked" in taken.stdout, taken.stdout + taken.stderr
    assert json.loads(cli("incident", "progress", inc, "--json", cwd=town_db).stdout)["marks"] == 4


def test_cover_plan_from_the_command_line(town_db):
    import json

    plan = cli("cover-plan", "--area", "c1", "--as-of", DAY, "--max-households", "2", cwd=town_db)
    assert plan.returncode == 0 and "4 of 4 uncovered households placed" in plan.stdout
    assert cli("cover-plan", "--apply", cwd=town_db).returncode == 2
    applied = cli("cover-plan", "--area", "c1", "--apply", "--on", DAY, "--max-households", "2", "--json",
                      cwd=town_db)
    assert applied.returncode == 0, applied.stderr
    answer = json.loads(applied.stdout)
    assert answer["change"]["kind"] == "cover" and len(answer["change"]["added"]) == 4
    assert "cover" in cli("history", cwd=town_db).stdout
    assert "0 of 0 uncovered" in cli("cover-plan", "--area", "c1", "--as-of", DAY, cwd=town_db).stdout


# -- the API ------------------------------------------------------------------------------------------------

from .test_api import api, get  # noqa: E402,F401  (the fixture: the API over every backend)

API_DAY = "2026-11-23"


def post(client, path, who="editor", **options):
    return client.post(path, headers={"Authorization": f"Bearer {client.tokens[who]}"}, **options)


def test_an_incident_over_the_api(api):
    body = {"name": "暴雨", "areas": ["c1"], "as_of": API_DAY}
    assert post(api, "/incidents", "viewer", json=body).status_code == 403
    opened = post(api, "/incidents", json=body)
    assert opened.status_code == 201, opened.text
    inc = opened.json()["id"]
    assert opened.json()["opened_by"].startswith("token:")
    marked = post(api, f"/incidents/{inc}/marks", json=[{"household": "h2", "status": "needs_help", "by": "m1",
                                                          "note": "老人独居 13912345678"},
                                                         {"household": "h1", "status": "reached", "by": "m1"}])
    assert marked.status_code == 201, marked.text
    assert [m["status"] for m in marked.json()] == ["needs_help", "reached"]
    refused = post(api, f"/incidents/{inc}/marks", json={"household": "h1", "status": "lost", "by": "m1"})
    assert refused.status_code == 422
    # the note is personal: masked to a viewer, shown to pii and audited
    assert "13912345678" not in get(api, f"/incidents/{inc}/marks").text
    assert "老人独居" not in get(api, f"/incidents/{inc}/sheet").text
    shown = get(api, f"/incidents/{inc}/marks", "pii")
    assert "老人独居 13912345678" in shown.text
    assert any(r["route"] == f"GET /incidents/{inc}/marks" and r["records"] == ["h2"]
               for r in get(api, "/audit", "admin").json())
    progress = get(api, f"/incidents/{inc}/progress").json()
    assert (progress["overall"]["done"], progress["needs_help"]) == (2, ["h2"])
    assert progress["names"]["m1"] == {"name": "王芳", "kind": "Member", "phone": "138****1111"}
    sheet = get(api, f"/incidents/{inc}/sheet.xlsx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    assert [i["id"] for i in get(api, "/incidents").json()] == [inc]
    closed = post(api, f"/incidents/{inc}/close")
    assert closed.status_code == 200 and closed.json()["closed"]
    assert post(api, f"/incidents/{inc}/marks", json={"household": "h1", "status": "reached", "by": "m1"}).status_code == 422
    assert get(api, "/incidents", open="true").json() == []


def test_a_sheet_typed_back_never_overwrites_a_later_mark_nor_keeps_a_mask(town_db):
    """Printed with h-u1's outcome (and its note masked), marked again since: the paper row is refused,
    naming the later mark; a row changed but for the masked note keeps the note itself."""
    import json

    import openpyxl

    inc = cli("incident", "open", "--area", "b1", "--name", "暴雨", "--as-of", DAY, cwd=town_db).stdout.strip()
    assert cli("incident", "mark", inc, "u1", "--status", "no_answer", "--by", "mA", "--note", "敲门无人 13912345678",
                   cwd=town_db).returncode == 0
    assert cli("incident", "mark", inc, "u2", "--status", "refused", "--by", "mC", "--note", "不愿转移",
                   cwd=town_db).returncode == 0
    assert cli("incident", "sheet", inc, "--xlsx", "paper.xlsx", cwd=town_db).returncode == 0  # masked
    assert cli("incident", "mark", inc, "u1", "--status", "reached", "--by", "mB", cwd=town_db).returncode == 0
    book = openpyxl.load_workbook(town_db / "paper.xlsx")
    ws = book.active
    headers = [c.value for c in ws[3]]
    rows = {ws.cell(r, headers.index("住户编号") + 1).value: r for r in range(4, ws.max_row + 1)}
    out = headers.index("结果") + 1
    assert ws.cell(rows["u2"], headers.index("备注") + 1).value == "****"
    ws.cell(rows["u2"], out).value = "需要帮助"  # changed, its note left as printed
    ws.cell(rows["u1"], out).value = "拒绝"  # changed on paper, but marked again since it was printed
    book.save(town_db / "paper.xlsx")
    refused = cli("incident", "marks", inc, "paper.xlsx", cwd=town_db)
    assert refused.returncode == 2 and "u1 was marked again after this sheet was printed" in refused.stderr
    history = json.loads(cli("incident", "sheet", inc, "--json", "--unmask", cwd=town_db).stdout)
    outcome = {e["household"]: e["outcome"] for e in history["entries"]}
    assert (outcome["u1"]["status"], outcome["u1"]["by"]) == ("reached", "mB") and outcome["u2"]["status"] == "refused"
    ws.cell(rows["u1"], out).value = "无人应答"  # back as printed: the later mark stands
    book.save(town_db / "paper.xlsx")
    taken = cli("incident", "marks", inc, "paper.xlsx", cwd=town_db)
    assert taken.returncode == 0, taken.stderr
    outcome = {e["household"]: e["outcome"] for e in json.loads(
        cli("incident", "sheet", inc, "--json", "--unmask", cwd=town_db).stdout)["entries"]}
    assert (outcome["u2"]["status"], outcome["u2"]["note"]) == ("needs_help", "不愿转移")
    # without --unmask, the notes are masked in JSON too
    assert "不愿转移" not in cli("incident", "sheet", inc, "--json", cwd=town_db).stdout


def test_a_name_no_sheet_can_show_is_refused(plan_store):
    plan_store.load(items(town()))
    for name in ("行\ufffe动", "a\x00b", "第一行\n第二行", "  "):
        with pytest.raises(ValueError, match="name"):
            incidents.open_incident(plan_store, ["b1"], name=name, as_of=DAY)
    assert incidents.incidents(plan_store) == []


def test_contacts_written_from_a_past_day_hold_on_every_later_day(plan_store):
    """mB contacts u3 from 2025 on, and mC k1: from DAY, u3 is left out (two contacts would overlap), and
    mB (full from 2025) and mC (one place left) are given no more than fits on every day after."""
    from orggraph.changes import cover
    from orggraph.queries import gaps

    doc = town()
    doc["edges"] += [{"type": "CONTACTS", "source": "mB", "target": "u3", "since": "2025-01-01"},
                     {"type": "CONTACTS", "source": "mC", "target": "k1", "since": "2025-01-01"}]
    plan_store.load(items(doc))
    change = cover(plan_store, "c1", on=DAY, max_households=2)
    assert sorted((e["source"], e["target"]) for e in change["added"]) == [("mA", "u1"), ("mC", "u2")]
    for day in (DAY, "2025-06-01"):
        assert gaps(plan_store, as_of=day, max_households=2)["overloaded_members"] == []
    assert [e["source"] for e in plan_store.edges_of("u3", "CONTACTS")] == ["mB"]


def test_notes_are_kept_trimmed_and_a_sheet_read_twice_marks_nothing_twice(town_db):
    import json

    import openpyxl

    inc = cli("incident", "open", "--area", "b1", "--name", "暴雨", "--as-of", DAY, cwd=town_db).stdout.strip()
    bell = cli("incident", "mark", inc, "u1", "--status", "reached", "--by", "mA", "--note", "铃\x07", cwd=town_db)
    assert bell.returncode == 2 and "U+0007" in bell.stderr
    assert cli("incident", "mark", inc, "u1", "--status", "reached", "--by", "mA", "--note", "  第一行\r\n第二行 ",
               cwd=town_db).returncode == 0
    assert incidents.marks(incidents_store(town_db), inc)[0]["note"] == "第一行\n第二行"
    assert cli("incident", "sheet", inc, "--xlsx", "s.xlsx", "--unmask", cwd=town_db).returncode == 0
    book = openpyxl.load_workbook(town_db / "s.xlsx")
    ws = book.active
    headers = [c.value for c in ws[3]]
    rows = {ws.cell(r, headers.index("住户编号") + 1).value: r for r in range(4, ws.max_row + 1)}
    out, by = headers.index("结果") + 1, headers.index("登记人") + 1
    ws.cell(rows["u2"], out).value, ws.cell(rows["u2"], by).value = "已联系到", "mC"
    book.save(town_db / "s.xlsx")
    assert "1 marked" in cli("incident", "marks", inc, "s.xlsx", cwd=town_db).stdout
    ws.cell(rows["u3"], out).value, ws.cell(rows["u3"], by).value = "拒绝", "mB"  # filled in further, read again
    book.save(town_db / "s.xlsx")
    again = cli("incident", "marks", inc, "s.xlsx", cwd=town_db)
    assert again.returncode == 0 and "(2 as marked already); 1 marked" in again.stdout, again.stdout + again.stderr
    assert json.loads(cli("incident", "progress", inc, "--json", cwd=town_db).stdout)["marks"] == 3


def incidents_store(folder):
    from orggraph.store import EmbeddedStore

    return EmbeddedStore(folder / "orggraph.db")


def test_cover_plan_applied_from_a_past_day_says_what_it_wrote(town_db):
    import json

    later = {"nodes": [], "edges": [{"type": "CONTACTS", "source": "mB", "target": "u3", "since": "2025-01-01"}]}
    (town_db / "later.json").write_text(json.dumps(later), encoding="utf-8")
    assert cli("load", "later.json", cwd=town_db).returncode == 0
    applied = json.loads(cli("cover-plan", "--area", "c1", "--apply", "--on", DAY, "--max-households", "2", "--json",
                             cwd=town_db).stdout)
    assert sorted(a["household"] for a in applied["assignments"]) == sorted(e["target"] for e in applied["change"]["added"])
    assert {"household": "u3", "reason": "contacted_later"} in applied["unassigned"]
    assert applied["placed"] == len(applied["change"]["added"])
