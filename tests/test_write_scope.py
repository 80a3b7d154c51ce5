"""What a token may change (only what lies wholly within its areas), what it reads beside them (read-only),
and ids outside its scope, which answer exactly as unknown ones: on a generated city and on the hand-built
street, over the embedded store and each graph server (FalkorDB, Neo4j)."""

from __future__ import annotations

import contextlib
import json
import random

import pytest
from fastapi.testclient import TestClient

from orggraph.access import create_token, scope_of
from orggraph.api import create_app
from orggraph.generate import generate_city
from orggraph.queries import gaps, responsibility_chain
from orggraph.store import EmbeddedStore

from .conftest import BACKENDS, backend_store, items, loaded_once, snapshot
from .plain_facts import PlainFacts, scope_by_definition
from .test_api import two_communities

DAY = "2026-11-23"


def send(client, method, path, who="editor", **options):
    return client.request(method.upper(), path, headers={"Authorization": f"Bearer {client.tokens[who]}"}, **options)


def details(response) -> list[str]:
    return [d["message"] for d in response.json()["error"]["details"]]


@contextlib.contextmanager
def served_to(store, area: str):
    """The app on a store, with an editor's and a viewer's token for one area (``client.tokens``)."""
    with TestClient(create_app(store=store)) as client:
        client.store = store
        client.tokens = {role: create_token(store, role, [area])[0] for role in ("editor", "viewer")}
        yield client


# -- the generated city of the report: an editor of community s001c1 --------------------------------------


@pytest.fixture(scope="module")
def city_records():
    records, _ = generate_city(households=6000, seed=3)
    return [(what, f"record {i}", r) for i, (what, r) in enumerate(records)]


@pytest.fixture(scope="module", params=BACKENDS)
def city_store(request, tmp_path_factory, city_records):
    """The city loaded once a backend for the module's tests; each finds it exactly as loaded."""
    with loaded_once(request, request.param, tmp_path_factory.mktemp("city"), city_records) as shared:
        yield shared


@pytest.fixture
def city(city_store):
    city_store.as_loaded()
    with served_to(city_store.store, "s001c1") as client:
        yield client
    city_store.as_loaded()  # what the test wrote is undone, and the whole store compared with what was loaded


def refused(client, response, message: str, before) -> bool:
    """A 403 whose details say why, and nothing written."""
    assert response.status_code == 403, response.text
    assert message in details(response), details(response)
    assert snapshot(client.store) == before
    return True


def test_the_street_s_own_committee_is_read_only(city):
    before = snapshot(city.store)
    answer = send(city, "put", "/orgs/o-s001", json={"name": "江滨街道大工委", "level": "street", "status": "weak_lax"})
    assert refused(city, answer, "o-s001 governs areas outside the token's areas (GOVERNS s001)", before)
    assert send(city, "get", "/orgs/o-s001").json()["level"] == "street"  # still readable


def test_no_member_is_given_the_street_secretary_s_post(city):
    before = snapshot(city.store)
    answer = send(city, "post", "/edges", json={"type": "HOLDS_POST", "source": "m0000124", "target": "o-s001",
                                                 "post": "secretary"})
    assert refused(city, answer, "o-s001 governs areas outside the token's areas (GOVERNS s001)", before)
    assert answer.json()["error"]["details"][0]["field"] == "target"


def test_the_street_secretary_s_post_is_not_removed(city):
    before = snapshot(city.store)
    answer = send(city, "delete", "/edges", params={"type": "HOLDS_POST", "source": "m0000001", "target": "o-s001",
                                                    "since": "2021-03-01"})
    assert refused(city, answer, "o-s001 governs areas outside the token's areas (GOVERNS s001)", before)


def test_the_street_s_deputy_is_not_renamed_nor_erased(city):
    before = snapshot(city.store)
    answer = send(city, "put", "/members/m0000002", json={"name": "改名"})  # the phone would be erased with it
    assert refused(city, answer, "m0000002 also serves outside the token's areas (HOLDS_POST o-s001)", before)
    assert city.store.node("m0000002")["phone"]


def test_a_street_committee_member_is_not_removed(city):
    before = snapshot(city.store)
    answer = send(city, "delete", "/members/m0000003")
    assert refused(city, answer, "m0000003 also serves outside the token's areas (HOLDS_POST o-s001)", before)


def test_a_unit_whose_member_serves_the_street_is_read_only(city):
    """u00003 co-builds with community c1 only and all its members serve there: the c1 editor may change it,
    until one of them holds a post in the street's committee (as the report's second write left it)."""
    assert send(city, "put", "/units/u00003", json={"name": "云河市农商银行", "category": "state_firm"}).status_code == 200
    city.store.load(items({"nodes": [], "edges": [
        {"type": "HOLDS_POST", "source": "m0000124", "target": "o-s001", "post": "secretary"}]}))
    before = snapshot(city.store)
    answer = send(city, "put", "/units/u00003", json={"name": "改名"})
    assert refused(city, answer, "u00003 employs a member who serves outside the token's areas (EMPLOYED_BY m0000124)",
                   before)


def test_a_member_who_reported_to_another_community_is_read_only(city):
    before = snapshot(city.store)
    answer = send(city, "put", "/members/m0000703", json={"name": "改名"})
    # the other community's organization is not named: the token cannot read it
    assert refused(city, answer, "m0000703 also serves outside the token's areas (SUNK_TO an organization the token "
                                 "cannot see)", before)
    assert send(city, "get", "/orgs/o-s001c2").status_code == 404


def test_the_other_community_s_chains_stay_as_they_were(city):
    """The report: after the seven writes, a household of community c2 had the c1 editor's choice as its
    street's responsible person. All seven are tried here; every c2 chain answers as before."""
    c2 = [f"h0000{n}" for n in range(2860, 2900)]
    chains = {h: responsibility_chain(city.store, h, as_of=DAY) for h in c2}
    assert any(link["org"] == "o-s001" for link in chains[c2[0]]["links"])
    send(city, "put", "/orgs/o-s001", json={"name": "x", "level": "street", "status": "weak_lax"})
    send(city, "post", "/edges", json={"type": "HOLDS_POST", "source": "m0000124", "target": "o-s001", "post": "secretary"})
    send(city, "delete", "/edges", params={"type": "HOLDS_POST", "source": "m0000001", "target": "o-s001", "since": "2021-03-01"})
    send(city, "put", "/members/m0000002", json={"name": "改名"})
    send(city, "delete", "/members/m0000003")
    send(city, "put", "/members/m0000703", json={"name": "改名"})
    assert {h: responsibility_chain(city.store, h, as_of=DAY) for h in c2} == chains


def test_within_its_areas_the_editor_still_changes_what_it_should(city):
    """Its households, its grid branches, its own members, and the relations of its places to any member it
    reads: naming the street secretary a household's contact is a change to the household."""
    assert send(city, "put", "/households/h00000001", json={"people": 4}).status_code == 200
    assert send(city, "put", "/orgs/o-s001c1g01", json={"name": "第1网格党支部", "level": "grid"}).status_code == 200
    assert send(city, "put", "/members/m0000124", json={"name": "韩冬梅"}).status_code == 200
    edge = {"type": "CONTACTS", "source": "m0000001", "target": "h00000006", "since": "2026-01-01"}
    assert send(city, "post", "/edges", json=edge).status_code == 201
    assert send(city, "delete", "/edges", params=edge).json() == {"nodes": 0, "edges": 1}
    ended = {"type": "CONTACTS", "source": "m0000703", "target": "h00001958", "since": "2024-03-01", "until": "2026-01-31"}
    assert send(city, "post", "/edges", json=ended).status_code == 201  # another community's member, a c1 household


def test_what_the_chains_name_is_read_only_context(city):
    """Every person, organization, unit and area a c1 household's chain names may be read by the same
    token (GET /members/m0000008 and /areas/s001 were 404), but not changed, nor listed as its own."""
    assert send(city, "get", "/members/m0000008", "viewer").json()["id"] == "m0000008"  # a unit's secretary
    assert send(city, "get", "/areas/s001", "viewer").json()["level"] == "street"
    households = [h for h in sorted(scope_of(city.store, ["s001c1"]).households)]
    route = {"member": "members", "org": "orgs", "unit": "units", "area": "areas"}
    named = set()
    for household in random.Random(5).sample(households, 12) + ["h00001958"]:
        chain = send(city, "get", f"/households/{household}/chain", "viewer", params={"as_of": DAY}).json()
        named |= {(field, link[field]) for link in chain["links"] for field in route if link[field]}
    named |= {("area", b["area"]) for b in chain["breaks"] if b["area"]}
    assert {("member", "m0000008"), ("area", "s001"), ("org", "o-s001")} & named
    for field, node_id in sorted(named):
        assert send(city, "get", f"/{route[field]}/{node_id}", "viewer").status_code == 200, (field, node_id)
    sheet = send(city, "post", "/call-sheet", "viewer", json={"areas": ["s001c1g01"], "as_of": DAY}).json()
    on_the_sheet = {(field, link[field]) for entry in sheet["entries"] for link in entry["chain"]["links"]
                    for field in route if link[field]}  # each record the sheet names, asked for once
    for field, node_id in sorted(on_the_sheet):
        assert send(city, "get", f"/{route[field]}/{node_id}", "viewer").status_code == 200, (field, node_id)
    assert "s001" not in [a["id"] for a in send(city, "get", "/areas", "viewer", params={"limit": 500}).json()["items"]]
    before = snapshot(city.store)
    answer = send(city, "put", "/members/m0000008", json={"name": "改名"})
    assert refused(city, answer, "m0000008 also serves outside the token's areas (HOLDS_POST o-u00002)", before)
    assert refused(city, send(city, "put", "/areas/s001", json={"name": "x", "level": "street"}),
                   "s001 lies outside the token's areas", before)


def test_ids_outside_the_scope_answer_as_unknown_ones(city):
    """The report's two oracles on the city: POST /households with another community's id, and a what-if
    unavailable member of another community."""
    c2_household, c2_member = "h00002700", "m0000500"
    for body in ({}, {"edges": [{"type": "LOCATED_IN", "source": "ID", "target": "s001c2g01b1"}]}):
        same(send(city, "post", "/households", json=with_id(body, c2_household)),
             send(city, "post", "/households", json=with_id(body, "hq")), c2_household, "hq")
    for path in ("/coverage", "/gaps", "/households/h00000001/chain"):
        same(send(city, "get", path, params={"unavailable": c2_member}), send(city, "get", path, params={"unavailable": "mq"}),
             c2_member, "mq")
    # anchored within its areas, a taken id is a 409, the same whether the token reads the record or not
    anchor = {"edges": [{"type": "LOCATED_IN", "source": "ID", "target": "s001c1g01b1"}]}
    taken = send(city, "post", "/households", json=with_id(anchor, c2_household))
    mine = send(city, "post", "/households", json=with_id(anchor, "h00000001"))
    assert taken.status_code == 409
    same(taken, mine, c2_household, "h00000001")
    assert send(city, "post", "/households", json=with_id(anchor, "hq")).status_code == 201


def with_id(body: dict, node_id: str) -> dict:
    return json.loads(json.dumps({"id": "ID", **body}).replace('"ID"', json.dumps(node_id)))


def same(a, b, a_id: str, b_id: str) -> None:
    """Two answers alike but for the id asked about: status, and body with each id put to one placeholder."""
    assert a.status_code == b.status_code, (a.status_code, a.text, b.status_code, b.text)
    assert a.text.replace(a_id, "<ID>") == b.text.replace(b_id, "<ID>"), (a.text, b.text)


def test_the_rule_is_worked_out_alike_on_both_backends(city_records, big_server_store, tmp_path):
    """Read and write scope in Cypher on the server, from the index on the embedded store: the same sets."""
    embedded = EmbeddedStore(tmp_path / "city.db")
    embedded.load(city_records)
    server_store = big_server_store
    server_store.load(city_records)
    for areas in (["s001c1"], ["s001c2g03", "s001c1g05b2"], ["s001"]):
        assert scope_of(server_store, areas) == scope_of(embedded, areas), areas
    scope = scope_of(server_store, ["s001c1"])
    assert {"o-s001c1", "s001c1g01", "h00000001", "m0000124", "u00003"} <= scope.writable
    assert not {"o-s001", "s001", "m0000002", "m0000703", "m0000008", "o-u00002"} & scope.writable
    assert {"m0000008"} <= scope.context_members and {"o-u00002"} <= scope.context_orgs and "s001" in scope.above
    # the rarer shapes: a household located in two communities, a contact of a household located nowhere,
    # an organization governing areas of two communities, a unit co-building with two
    unlocated = sorted({h["id"] for h in embedded.nodes("Household")} - {e["source"] for e in embedded.edges("LOCATED_IN")})
    change = items({"nodes": [], "edges": [
        {"type": "LOCATED_IN", "source": "h00000002", "target": "s001c2g01b1"},
        {"type": "CONTACTS", "source": "m0000129", "target": unlocated[0]},
        {"type": "GOVERNS", "source": "o-s001c1g02", "target": "s001c2g02"},
        {"type": "CO_BUILDS", "source": "u00004", "target": "o-s001c2", "kind": "pairing"}]})
    # and the members and units tied to the areas by one relation alone: a report to a building's organization,
    # a membership alone, a report to the street's committee, a unit co-building and employing nobody, a
    # unit whose only employee reported and contacts nobody
    change += items({"nodes": [
        {"id": "m-sunk", "kind": "Member", "name": "甲"}, {"id": "m-member", "kind": "Member", "name": "乙"},
        {"id": "m-street", "kind": "Member", "name": "丙"}, {"id": "m-sent", "kind": "Member", "name": "丁"},
        {"id": "u-idle", "kind": "Unit", "name": "某公司"}, {"id": "u-sent", "kind": "Unit", "name": "某中心"}], "edges": [
        {"type": "SUNK_TO", "source": "m-sunk", "target": "o-s001c1g01b1"},
        {"type": "MEMBER_OF", "source": "m-member", "target": "o-s001c1"},
        {"type": "SUNK_TO", "source": "m-street", "target": "o-s001"},
        {"type": "CO_BUILDS", "source": "u-idle", "target": "o-s001c1", "kind": "dual_report"},
        {"type": "EMPLOYED_BY", "source": "m-sent", "target": "u-sent"},
        {"type": "SUNK_TO", "source": "m-sent", "target": "o-s001c2", "until": "2025-12-31"}]})
    embedded.load(change)
    server_store.load(change)
    for areas in (["s001c1"], ["s001c2"], ["s001c1g01", "s001c2g01"], ["s001c1g02"], ["s001"]):
        assert scope_of(server_store, areas) == scope_of(embedded, areas), areas
    scope = scope_of(server_store, ["s001c1"])
    assert not {"h00000002", "m0000124", "m0000129", "o-s001c1g02", "u00004", "m-street"} & scope.writable
    assert {"h00000002", "m0000124", "m0000129", "o-s001c1g02", "u00004"} <= scope.households | scope.members | scope.orgs | scope.units
    assert {"m-sunk", "m-member", "m-street"} <= scope.members and "u-idle" in scope.units
    assert {"m-sunk", "m-member", "u-idle"} <= scope.writable
    assert not {"m-sent", "u-sent"} & (scope.members | scope.units | scope.context_members)
    scope = scope_of(server_store, ["s001c2"])
    assert {"m-sent", "u-sent", "m-street"} <= scope.members | scope.units and {"m-sent", "u-sent"} <= scope.writable
    assert not {"m-sunk", "m-member", "u-idle"} & (scope.members | scope.units)
    # the rule as defined, one relation at a time over the plain facts: the same sets for every community,
    # grid and street, and for several at once
    plain = PlainFacts(embedded.nodes(), embedded.edges(), embedded.revision)
    areas = sorted(a["id"] for a in embedded.nodes("Area") if a.get("level") in ("street", "community", "grid"))
    for chosen in [[a] for a in areas] + [areas[::7], areas[1::5]]:
        assert scope_of(embedded, chosen) == scope_by_definition(plain, chosen), chosen
    embedded.close()


# -- members tied to the areas by a report or a membership alone, units by a co-building alone ---------------


def idle_within(store, area: str) -> tuple[list[str], list[str]]:
    """The idle sunk members and idle units of the whole network's gaps (the command line's answer) that
    reported to, or co-build with, an organization governing the area or an area within it."""
    orgs = {e["source"] for e in store.edges("GOVERNS") if e["target"] == area or e["target"].startswith(area)}
    sunk = {e["source"] for e in store.edges("SUNK_TO") if e["target"] in orgs}
    builds = {e["source"] for e in store.edges("CO_BUILDS") if e["target"] in orgs}
    report = gaps(store, as_of=DAY)
    return ([m for m in report["idle_sunk_members"] if m in sunk], [u for u in report["idle_units"] if u in builds])


def listed(client, who: str, segment: str) -> set[str]:
    ids, after = set(), None
    while True:
        page = send(client, "get", f"/{segment}", who, params={"limit": 500, **({"after": after} if after else {})}).json()
        ids |= {item["id"] for item in page["items"]}
        if not (after := page["next"]):
            return ids


def test_members_who_only_reported_and_units_that_sent_nobody_are_the_token_s_own(city):
    """A member whose only service is SUNK_TO the community's organization, and a unit that co-builds with
    it but has sent nobody yet, were invisible to every token (404, and missing from /gaps): they are the
    community's and the street's own records, read, listed and in their gaps."""
    city.tokens["street"] = create_token(city.store, "viewer", ["s001"])[0]
    for who, area in (("viewer", "s001c1"), ("street", "s001")):
        members, units = idle_within(city.store, area)
        assert members and units, area  # the city has both, or this test would prove nothing
        for node_id, segment in [(m, "members") for m in members] + [(u, "units") for u in units]:
            assert send(city, "get", f"/{segment}/{node_id}", who).status_code == 200, (who, node_id)
        assert set(members) <= listed(city, who, "members") and set(units) <= listed(city, who, "units")
        report = send(city, "get", "/gaps", who, params={"as_of": DAY}).json()
        assert (report["idle_sunk_members"], report["idle_units"]) == (members, units), who


def test_an_idle_member_can_be_given_a_contact_and_its_unit_changed(city):
    """What the gap calls for: the community's and the street's editors name the idle member a household's
    contact, ask what if it were unavailable, and change the unit that sent it, whose every tie lies within."""
    city.tokens["street"] = create_token(city.store, "editor", ["s001"])[0]
    city.tokens["grid"] = create_token(city.store, "editor", ["s001c1g01"])[0]
    (member, *_), (idle_unit, *_) = idle_within(city.store, "s001c1")
    unit = next(e["target"] for e in city.store.edges_of(member) if e["type"] == "EMPLOYED_BY")
    for who in ("editor", "street", "grid"):
        edge = {"type": "CONTACTS", "source": member, "target": "h00000003", "since": "2026-11-01"}
        assert send(city, "post", "/edges", who, json=edge).status_code == 201, who
        assert send(city, "delete", "/edges", who, params=edge).json() == {"nodes": 0, "edges": 1}, who
        assert send(city, "get", "/coverage", who, params={"unavailable": member}).status_code == 200, who
    for who in ("editor", "street"):
        assert send(city, "put", f"/members/{member}", who, json={"name": "韩雪"}).status_code == 200, who
        for node_id in (unit, idle_unit):
            answer = send(city, "put", f"/units/{node_id}", who, json={"name": "云河市某单位"})
            assert answer.status_code == 200, (who, node_id, answer.text)
    # a grid of the community reads them, but the community's organization is not the grid's to change
    before = snapshot(city.store)
    assert refused(city, send(city, "put", f"/members/{member}", "grid", json={"name": "x"}),
                   f"{member} also serves outside the token's areas (SUNK_TO o-s001c1)", before)
    assert refused(city, send(city, "put", f"/units/{idle_unit}", "grid", json={"name": "x"}),
                   f"{idle_unit} serves outside the token's areas (CO_BUILDS o-s001c1)", before)


# -- every write route: a case refused for a read-only record; a new write route without one fails ----------


def shared_street() -> dict:
    """Two communities, and records the c1 editor reads but may not change: a street committee member (m5,
    who contacts h8), a member who reported to c2 and contacts a c1 household (m7), a household located in
    c1 and in a third community's building (h8, whose chain makes b8 and c3 read-only context), a unit
    co-building with c1 and c2 (u1), besides the street (s1) and its committee (o-s1)."""
    doc = two_communities()
    doc["nodes"] += [{"id": "m5", "kind": "Member", "name": "周强"}, {"id": "m7", "kind": "Member", "name": "吴敏"},
                     {"id": "h8", "kind": "Household", "address": "桂花社区1号楼501室"},
                     {"id": "c3", "kind": "Area", "name": "红旗社区", "level": "community"},
                     {"id": "b8", "kind": "Area", "name": "红旗社区8号楼", "level": "building"}]
    doc["edges"] += [{"type": "HOLDS_POST", "source": "m5", "target": "o-s1", "post": "deputy_secretary"},
                     {"type": "SUNK_TO", "source": "m7", "target": "o-c2"},
                     {"type": "CONTACTS", "source": "m7", "target": "h3"},
                     {"type": "LOCATED_IN", "source": "h8", "target": "b1"},
                     {"type": "WITHIN", "source": "c3", "target": "s1"},
                     {"type": "WITHIN", "source": "b8", "target": "c3"},
                     {"type": "LOCATED_IN", "source": "h8", "target": "b8"},
                     {"type": "CO_BUILDS", "source": "u1", "target": "o-c2", "kind": "pairing"},
                     {"type": "CONTACTS", "source": "m5", "target": "h8"}]
    return doc


@pytest.fixture(params=BACKENDS)
def street_api(request, tmp_path):
    with backend_store(request, request.param, tmp_path) as store:
        store.load(items(shared_street()))
        with served_to(store, "c1") as client:
            yield client


def _post_new(segment: str, edge: dict, **props):
    return lambda c: send(c, "post", f"/{segment}", json={"id": "new", "name": "新", "level": "building", **props,
                                                          "edges": [edge]})


READ_ONLY = {  # each write route, asked to change a record the c1 editor reads but may not change: (call, why)
    ("post", "/households"): (_post_new("households", {"type": "LOCATED_IN", "source": "new", "target": "s1"}),
                              "s1 lies outside the token's areas"),
    ("post", "/members"): (_post_new("members", {"type": "CONTACTS", "source": "new", "target": "h8"}),
                           "h8 is located outside the token's areas (LOCATED_IN b8)"),
    ("post", "/orgs"): (_post_new("orgs", {"type": "GOVERNS", "source": "new", "target": "s1"}),
                        "s1 lies outside the token's areas"),
    ("post", "/areas"): (_post_new("areas", {"type": "WITHIN", "source": "new", "target": "s1"}),
                         "s1 lies outside the token's areas"),
    ("post", "/units"): (_post_new("units", {"type": "CO_BUILDS", "source": "new", "target": "o-s1"}),
                         "o-s1 governs areas outside the token's areas (GOVERNS s1)"),
    ("post", "/edges"): (lambda c: send(c, "post", "/edges", json={"type": "HOLDS_POST", "source": "m1", "target": "o-s1",
                                                                   "post": "secretary"}),
                         "o-s1 governs areas outside the token's areas (GOVERNS s1)"),
    ("delete", "/edges"): (lambda c: send(c, "delete", "/edges", params={"type": "GOVERNS", "source": "o-s1", "target": "s1",
                                                                         "since": "2021-03-01"}),
                           "o-s1 governs areas outside the token's areas (GOVERNS s1)"),
    ("post", "/import"): (lambda c: send(c, "post", "/import", json={"nodes": [
        {"id": "o-s1", "kind": "Org", "name": "x", "level": "street", "status": "weak_lax"}]}),
        "o-s1 governs areas outside the token's areas (GOVERNS s1)"),
    ("post", "/changes/move"): (lambda c: send(c, "post", "/changes/move", json={"area": "g1", "to": "s1", "on": DAY}),
                                "s1 lies outside the token's areas"),
    ("post", "/changes/split"): (lambda c: send(c, "post", "/changes/split", json={
        "area": "c1", "new": "c4", "name": "x", "take": ["g1"], "on": DAY}), "s1 lies outside the token's areas"),
    ("post", "/changes/merge"): (lambda c: send(c, "post", "/changes/merge", json={"areas": ["b1"], "into": "b8", "on": DAY}),
                                 "b8 lies outside the token's areas"),
    ("post", "/changes/relocate"): (lambda c: send(c, "post", "/changes/relocate", json={"household": "h1", "to": "b8",
                                                                                         "on": DAY}),
                                    "b8 lies outside the token's areas"),
    ("post", "/changes/handover"): (lambda c: send(c, "post", "/changes/handover", json={
        "member": "m5", "to": "m1", "households": ["h8"], "on": DAY}), "h8 is located outside the token's areas (LOCATED_IN b8)"),
}
_RECORDS = {"households": ("h8", {"address": "x"}, "h8 is located outside the token's areas (LOCATED_IN b8)"),
            "members": ("m7", {"name": "x"}, "m7 also serves outside the token's areas (SUNK_TO an organization the "
                                             "token cannot see)"),
            "orgs": ("o-s1", {"name": "x", "level": "street"}, "o-s1 governs areas outside the token's areas (GOVERNS s1)"),
            "areas": ("s1", {"name": "x", "level": "street"}, "s1 lies outside the token's areas"),
            "units": ("u1", {"name": "x"}, "u1 serves outside the token's areas (CO_BUILDS an organization the token "
                                           "cannot see)")}
for _segment, (_id, _body, _why) in _RECORDS.items():
    READ_ONLY[("put", f"/{_segment}/{{node_id}}")] = (
        lambda c, s=_segment, i=_id, b=_body: send(c, "put", f"/{s}/{i}", json=b), _why)
    READ_ONLY[("delete", f"/{_segment}/{{node_id}}")] = (lambda c, s=_segment, i=_id: send(c, "delete", f"/{s}/{i}"), _why)



def _street_incident(c) -> str:
    """An incident the street opened over both communities (c1's editor holds some of its households)."""
    from orggraph.incidents import open_incident

    return open_incident(c.store, ["s1"], name="全街道", as_of=DAY)["id"]


READ_ONLY[("post", "/incidents/{incident}/close")] = (
    lambda c: send(c, "post", f"/incidents/{_street_incident(c)}/close"), "has households outside this token's areas: only a token whose areas hold all of them may close it")

#: the routes that take POST but change no record: questions; opening an incident and marking its doors,
#: which change no record (an incident is kept apart, cut to the token's scope); and the cover plan, which
#: places only the households the token may change
QUESTIONS = {("post", "/call-sheet"), ("post", "/call-sheet.xlsx"), ("post", "/incidents"),
             ("post", "/incidents/{incident}/marks"), ("post", "/cover-plan")}


def test_every_write_route_refuses_a_read_only_record(street_api):
    routes = {(m, p) for p, ops in street_api.app.openapi()["paths"].items() for m in ops if m in ("post", "put", "delete")}
    assert routes - QUESTIONS == set(READ_ONLY), f"write routes without a read-only case: {routes - QUESTIONS - set(READ_ONLY)}"
    for route, (call, why) in READ_ONLY.items():
        before = snapshot(street_api.store)
        answer = call(street_api)
        assert answer.status_code == 403, (route, answer.text)
        assert why in details(answer), (route, details(answer))
        assert snapshot(street_api.store) == before, route
        if route[0] != "post" or route[1] in ("/edges", "/import"):  # the record itself is still readable
            assert send(street_api, "get", "/edges", "viewer", params={"node": why.split()[0]}).status_code == 200, route


# -- ids outside the scope answer exactly as unknown ones, on every route that takes an id --------------------


def _ask(method, path, **options):
    """A request with ID where the id goes."""
    def call(c, node_id):
        filled = json.loads(json.dumps(options).replace('"ID"', json.dumps(node_id)))
        return send(c, method, path.replace("ID", node_id), **filled)
    return call


#: each route that takes an id, asked about one the c1 editor may not read (of c2) and about an unknown one
ORACLES = {
    ("get", "/households/{node_id}"): [(_ask("get", "/households/ID"), "h9", "hq")],
    ("put", "/households/{node_id}"): [(_ask("put", "/households/ID", json={"people": 2}), "h9", "hq")],
    ("delete", "/households/{node_id}"): [(_ask("delete", "/households/ID"), "h9", "hq")],
    ("post", "/households"): [(_ask("post", "/households", json={"id": "ID"}), "h9", "hq"),
                              (_ask("post", "/households", json={"id": "new", "edges": [
                                  {"type": "LOCATED_IN", "source": "new", "target": "ID"}]}), "b9", "bq"),
                              (_ask("post", "/households", json={"id": "ID", "edges": [
                                  {"type": "LOCATED_IN", "source": "ID", "target": "b9"}]}), "h9", "hq")],
    ("get", "/households/{household}/chain"): [(_ask("get", "/households/ID/chain"), "h9", "hq"),
                                               (_ask("get", "/households/h1/chain", params={"unavailable": "ID"}), "m9", "mq")],
    ("get", "/members/{node_id}"): [(_ask("get", "/members/ID"), "m9", "mq")],
    ("put", "/members/{node_id}"): [(_ask("put", "/members/ID", json={"name": "x"}), "m9", "mq")],
    ("delete", "/members/{node_id}"): [(_ask("delete", "/members/ID"), "m9", "mq")],
    ("post", "/members"): [(_ask("post", "/members", json={"id": "ID", "name": "x"}), "m9", "mq"),
                           (_ask("post", "/members", json={"id": "new", "name": "x", "edges": [
                               {"type": "CONTACTS", "source": "new", "target": "ID"}]}), "h9", "hq")],
    ("get", "/orgs/{node_id}"): [(_ask("get", "/orgs/ID"), "o-c2", "o-cq")],
    ("put", "/orgs/{node_id}"): [(_ask("put", "/orgs/ID", json={"name": "x", "level": "grid"}), "o-c2", "o-cq")],
    ("delete", "/orgs/{node_id}"): [(_ask("delete", "/orgs/ID"), "o-c2", "o-cq")],
    ("post", "/orgs"): [(_ask("post", "/orgs", json={"id": "ID", "name": "x", "level": "grid"}), "o-c2", "o-cq")],
    ("get", "/areas/{node_id}"): [(_ask("get", "/areas/ID"), "c2", "cq")],
    ("put", "/areas/{node_id}"): [(_ask("put", "/areas/ID", json={"name": "x", "level": "grid"}), "c2", "cq")],
    ("delete", "/areas/{node_id}"): [(_ask("delete", "/areas/ID"), "c2", "cq")],
    ("post", "/areas"): [(_ask("post", "/areas", json={"id": "ID", "name": "x", "level": "grid"}), "c2", "cq"),
                         (_ask("post", "/areas", json={"id": "ID", "name": "x", "level": "building", "edges": [
                             {"type": "WITHIN", "source": "ID", "target": "s1"}]}), "b9", "bq")],
    ("get", "/units/{node_id}"): [(_ask("get", "/units/ID"), "u2", "uq")],
    ("put", "/units/{node_id}"): [(_ask("put", "/units/ID", json={"name": "x"}), "u2", "uq")],
    ("delete", "/units/{node_id}"): [(_ask("delete", "/units/ID"), "u2", "uq")],
    ("post", "/units"): [(_ask("post", "/units", json={"id": "ID", "name": "x"}), "u2", "uq")],
    ("get", "/edges"): [(_ask("get", "/edges", params={"node": "ID"}), "h9", "hq")],
    ("post", "/edges"): [(_ask("post", "/edges", json={"type": "CONTACTS", "source": "m1", "target": "ID"}), "h9", "hq"),
                         (_ask("post", "/edges", json={"type": "CONTACTS", "source": "ID", "target": "h1"}), "m9", "mq")],
    ("delete", "/edges"): [(_ask("delete", "/edges", params={"type": "CONTACTS", "source": "ID", "target": "h9"}), "m9", "mq")],
    ("post", "/import"): [(_ask("post", "/import", json={"nodes": [{"id": "ID", "kind": "Household"}]}), "h9", "hq"),
                          (_ask("post", "/import", json={"nodes": [{"id": "ID", "kind": "Member", "name": "x"}]}), "h9", "hq"),
                          (_ask("post", "/import", json={"edges": [{"type": "LOCATED_IN", "source": "h1", "target": "ID"}]}),
                           "b9", "bq"),
                          (_ask("post", "/import", json={"nodes": [{"id": "ID", "kind": "Household", "people": 0}]}),
                           "h9", "hq")],
    ("get", "/coverage"): [(_ask("get", "/coverage", params={"area": "ID"}), "c2", "cq"),
                           (_ask("get", "/coverage", params={"unavailable": "ID"}), "m9", "mq")],
    ("get", "/gaps"): [(_ask("get", "/gaps", params={"unavailable": "ID"}), "m9", "mq")],
    ("get", "/gaps.xlsx"): [(_ask("get", "/gaps.xlsx", params={"unavailable": "ID"}), "m9", "mq")],
    ("post", "/changes/move"): [(_ask("post", "/changes/move", json={"area": "ID", "to": "c1", "on": DAY}), "b9", "bq"),
                                (_ask("post", "/changes/move", json={"area": "g1", "to": "ID", "on": DAY}), "c2", "cq")],
    ("post", "/changes/split"): [(_ask("post", "/changes/split", json={"area": "ID", "new": "n", "name": "x", "take": ["b1"],
                                                                       "on": DAY}), "c2", "cq"),
                                 (_ask("post", "/changes/split", json={"area": "g1", "new": "n", "name": "x", "take": ["ID"],
                                                                       "on": DAY}), "b9", "bq")],
    ("post", "/changes/merge"): [(_ask("post", "/changes/merge", json={"areas": ["ID"], "into": "b1", "on": DAY}), "b9", "bq")],
    ("post", "/changes/relocate"): [(_ask("post", "/changes/relocate", json={"household": "ID", "to": "b1", "on": DAY}),
                                     "h9", "hq"),
                                    (_ask("post", "/changes/relocate", json={"household": "h1", "to": "ID", "on": DAY}),
                                     "b9", "bq")],
    ("post", "/changes/handover"): [(_ask("post", "/changes/handover", json={"member": "ID", "to": "m1", "on": DAY}),
                                     "m9", "mq"),
                                    (_ask("post", "/changes/handover", json={"member": "m7", "to": "m1", "households": ["ID"],
                                                                            "on": DAY}), "h9", "hq")],
    ("get", "/history"): [(_ask("get", "/history", params={"node": "ID"}), "h9", "hq")],
    ("post", "/call-sheet"): [(_ask("post", "/call-sheet", json={"areas": ["ID"]}), "c2", "cq"),
                             (_ask("post", "/call-sheet", json={"households": ["ID"]}), "h9", "hq"),
                             (_ask("post", "/call-sheet", json={"areas": ["c1"], "unavailable": ["ID"]}), "m9", "mq")],
    ("post", "/call-sheet.xlsx"): [(_ask("post", "/call-sheet.xlsx", json={"areas": ["ID"]}), "c2", "cq"),
                                  (_ask("post", "/call-sheet.xlsx", json={"areas": ["c1"], "unavailable": ["ID"]}), "m9", "mq")],
}


def _c2_incident(c) -> str:
    """An incident the street opened over c2 alone: to c1's tokens, as if it did not exist."""
    from orggraph.incidents import open_incident

    if not hasattr(c, "c2_incident"):
        c.c2_incident = open_incident(c.store, ["c2"], name="向阳", as_of=DAY)["id"]
    return c.c2_incident


def _on_street_incident(method, path, **options):
    """A request about the street's incident (over c1 and c2), with ID where the id goes."""
    def call(c, node_id):
        if not hasattr(c, "street_incident"):
            c.street_incident = _street_incident(c)
        return _ask(method, path.replace("INC", c.street_incident), **options)(c, node_id)
    return call


for _path in ("/incidents/ID", "/incidents/ID/sheet", "/incidents/ID/sheet.xlsx", "/incidents/ID/progress",
              "/incidents/ID/marks"):
    ORACLES[("get", _path.replace("ID", "{incident}"))] = [(_ask("get", _path), _c2_incident, "inc-nope")]
ORACLES[("post", "/incidents/{incident}/close")] = [(_ask("post", "/incidents/ID/close"), _c2_incident, "inc-nope")]
ORACLES[("post", "/incidents/{incident}/marks")] = [
    (_ask("post", "/incidents/ID/marks", json={"household": "h1", "status": "reached", "by": "m1"}), _c2_incident,
     "inc-nope"),
    (_on_street_incident("post", "/incidents/INC/marks", json={"household": "ID", "status": "reached", "by": "m1"}),
     "h9", "hq"),
    (_on_street_incident("post", "/incidents/INC/marks", json={"household": "h1", "status": "reached", "by": "ID"}),
     "m9", "mq")]
ORACLES[("get", "/search")] = [(_ask("get", "/search", params={"q": "ID"}), "h9", "hq"),
                               (_ask("get", "/search", params={"q": "ID"}), "o-c2", "o-cq")]
ORACLES[("get", "/members/{member}/profile")] = [(_ask("get", "/members/ID/profile"), "m9", "mq")]
ORACLES[("get", "/areas/{area}/households")] = [(_ask("get", "/areas/ID/households"), "c2", "cq")]
#: the routes that find nothing, rather than refuse, when asked about an id (a search): 200 for both ids alike
FINDS_NOTHING = {("get", "/search")}
ORACLES[("post", "/incidents")] = [
    (_ask("post", "/incidents", json={"name": "x", "areas": ["ID"]}), "c2", "cq"),
    (_ask("post", "/incidents", json={"name": "x", "households": ["ID"]}), "h9", "hq"),
    (_ask("post", "/incidents", json={"name": "x", "areas": ["c1"], "unavailable": ["ID"]}), "m9", "mq")]
ORACLES[("get", "/robustness")] = [(_ask("get", "/robustness", params={"area": "ID"}), "c2", "cq"),
                                   (_ask("get", "/robustness", params={"unavailable": "ID"}), "m9", "mq"),
                                   (_ask("get", "/robustness", params={"category": "unit:ID"}), "u2", "uq")]
ORACLES[("get", "/cover-plan")] = [(_ask("get", "/cover-plan", params={"area": "ID"}), "c2", "cq"),
                                   (_ask("get", "/cover-plan", params={"unavailable": "ID"}), "m9", "mq")]
ORACLES[("post", "/cover-plan")] = [(_ask("post", "/cover-plan", json={"area": "ID", "on": DAY}), "c2", "cq"),
                                    (_ask("post", "/cover-plan", json={"on": DAY, "unavailable": ["ID"]}), "m9", "mq")]

#: the routes that take no id: lists page on with `after`, compared as text, never looked up
NO_IDS = {("get", "/households"), ("get", "/members"), ("get", "/orgs"), ("get", "/areas"), ("get", "/units"),
          ("get", "/tokens"), ("get", "/audit"), ("get", "/health"), ("get", "/incidents")}


def test_unknown_and_out_of_scope_ids_answer_alike(street_api):
    routes = {(m, p) for p, ops in street_api.app.openapi()["paths"].items() for m in ops}
    assert routes - NO_IDS == set(ORACLES), f"routes without an id case: {routes - NO_IDS - set(ORACLES)}"
    for route, cases in ORACLES.items():
        for call, outside, unknown in cases:
            outside = outside(street_api) if callable(outside) else outside
            before = snapshot(street_api.store)
            a, b = call(street_api, outside), call(street_api, unknown)
            assert a.status_code >= 400 or (route in FINDS_NOTHING and a.json()["hits"] == []), (route, outside, a.text)
            same(a, b, outside, unknown)
            assert snapshot(street_api.store) == before, route


def test_a_change_to_a_node_removed_meanwhile_answers_as_if_it_had_never_been_there(loaded):
    """A PUT that found its household, racing a DELETE that removed it first: not taken for a new node
    placed nowhere (a 403 naming the token's own household), but a 404, on both backends."""
    from orggraph.access import load_within
    from orggraph.exceptions import NotFound

    scope = scope_of(loaded, ["c1"])  # worked out while h1 was there
    assert scope.may_change("h1")
    loaded.delete(nodes=["h1"])
    before = snapshot(loaded)
    with pytest.raises(NotFound, match="no household with id 'h1'"):
        load_within(loaded, scope, [("node", "body", {"id": "h1", "kind": "Household", "people": 3})], replace=["h1"])
    assert snapshot(loaded) == before


# -- two editors at once ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_editors_adding_the_same_new_id_at_once_get_one_201_and_one_409(backend, tmp_path, request):
    """The editors of two communities add households of the same new ids at the same moment, each in a
    building of its own: for each id one is written and the other refused as taken, and the household
    lies in one community only (each change is checked again under the write lock or lease)."""
    from concurrent.futures import ThreadPoolExecutor

    with backend_store(request, backend, tmp_path) as store:
        store.load(items(two_communities()))
        with TestClient(create_app(store=store)) as client:
            tokens = {area: create_token(store, "editor", [area])[0] for area in ("c1", "c2")}

            def post(area: str, building: str, i: int) -> int:
                body = {"id": f"hx{i}", "people": 1,
                        "edges": [{"type": "LOCATED_IN", "source": f"hx{i}", "target": building}]}
                return client.post("/households", json=body, headers={"Authorization": f"Bearer {tokens[area]}"}).status_code

            with ThreadPoolExecutor(8) as pool:
                asked = {(i, area): pool.submit(post, area, building, i)
                         for i in range(10) for area, building in (("c1", "b1"), ("c2", "b9"))}
            for i in range(10):
                assert sorted(asked[i, area].result() for area in ("c1", "c2")) == [201, 409], i
                homes = [e["target"] for e in store.edges_of(f"hx{i}") if e["type"] == "LOCATED_IN"]
                assert len(homes) == 1, (i, homes)


# -- an area moved between two communities on a date --------------------------------------------------------


def test_an_area_moved_between_communities_is_neither_s_alone(embedded):
    """b2 lay in community c1 until 2024-06-30 and lies in c2 since: both communities read it (every edge
    counts, whatever its dates), neither may change it, nor h2 located there, nor the member who contacts
    h2; the street may. b1, never moved, stays c1's."""
    doc = {"nodes": [{"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"},
                     {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"},
                     {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"},
                     {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
                     {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
                     {"id": "e2", "kind": "Area", "name": "2号楼1单元", "level": "entrance"},
                     {"id": "h1", "kind": "Household"}, {"id": "h2", "kind": "Household"},
                     {"id": "m1", "kind": "Member", "name": "李乙"}, {"id": "m2", "kind": "Member", "name": "陈戊"}],
           "edges": [{"type": "WITHIN", "source": "c1", "target": "s1"}, {"type": "WITHIN", "source": "c2", "target": "s1"},
                     {"type": "WITHIN", "source": "b1", "target": "c1"},
                     {"type": "WITHIN", "source": "b2", "target": "c1", "until": "2024-06-30"},
                     {"type": "WITHIN", "source": "b2", "target": "c2", "since": "2024-07-01"},
                     {"type": "WITHIN", "source": "e2", "target": "b2"},
                     {"type": "LOCATED_IN", "source": "h1", "target": "b1"},
                     {"type": "LOCATED_IN", "source": "h2", "target": "e2"},
                     {"type": "CONTACTS", "source": "m1", "target": "h1"},
                     {"type": "CONTACTS", "source": "m2", "target": "h2"}]}
    embedded.load(items(doc))
    plain = PlainFacts(embedded.nodes(), embedded.edges(), embedded.revision)
    for areas in (["c1"], ["c2"], ["s1"], ["b2"], ["c1", "c2"]):
        assert scope_of(embedded, areas) == scope_by_definition(plain, areas), areas
    for community in ("c1", "c2"):
        scope = scope_of(embedded, [community])
        assert {"b2", "e2", "h2", "m2"} <= scope.areas | scope.households | scope.members  # read
        assert not {"b2", "e2", "h2", "m2"} & scope.writable, community  # not changed
    assert {"b1", "h1", "m1"} <= scope_of(embedded, ["c1"]).writable
    assert {"b2", "e2", "h2", "m2", "b1", "h1", "m1"} <= scope_of(embedded, ["s1"]).writable
    assert {"b2", "e2", "h2", "m2"} <= scope_of(embedded, ["b2"]).writable  # its own area: b2 itself
