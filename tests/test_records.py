"""Search, an area's households and a member's profile, on a small town whose answers are written out by hand,
on the embedded store, FalkorDB and Neo4j."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from orggraph.access import create_token, scope_of
from orggraph.api import create_app
from orggraph.exceptions import NotFound
from orggraph.queries import households_in, member_profile, search

from .conftest import BACKENDS, cli, items, loaded_once

DAY = "2024-06-01"


def town() -> dict:
    """A street (s1) with two communities.

    c1 holds grid g1 with buildings b1 and b2, and b8, which lies within g1 from 2025 only (before then it
    takes no part). c2 holds b9.

    - h1 (b1, 1单元101室, phone 13900001234) and h2 (b1, 2单元501室, a landline with extension 801);
    - h3 (2号楼1单元501室) lay in b1 until 2023-12-31 and in b2 since 2024-01-01 (it moved);
    - h4 (b2, 2号楼1单元101室), its phone in a free-form field ``mobile``, written with spaces;
    - h5 (b1, 1单元102室) was located there and contacted by m1 until 2022-12-31: no relation since, so it
      takes no part after 2022;
    - h6 and h9 in c2's b9: h6's record has a free-form property (``Alias``) written before its address,
      and a quote in its address.

    m1 (王芳, phone ending 1234 like h1's) contacts h1, contacted h2 until 2023-12-31 and h5 until
    2022-12-31; is secretary of o-g1 and belongs to it; building leader of b1; employed by u1; reported
    (SUNK_TO) to o-c1 in 2022; lives in h1. m2 (李强) is o-c1's deputy and contacts h3 and, across the
    line, h9. m3 (王强, unavailable) contacts h4 since 2024. m9 (王敏, c2) contacts h9 and is o-c2's secretary.
    """
    areas = [("s1", "江滨街道", "street"), ("c1", "桂花社区", "community"), ("c2", "向阳社区", "community"),
             ("g1", "桂花社区第1网格", "grid"), ("b1", "桂花社区1号楼", "building"), ("b2", "桂花社区2号楼", "building"),
             ("b8", "桂花社区8号楼", "building"), ("b9", "向阳社区9号楼", "building")]
    nodes = [{"id": i, "kind": "Area", "name": n, "level": lv} for i, n, lv in areas]
    nodes += [{"id": i, "kind": "Org", "name": n, "level": lv} for i, n, lv in (
        ("o-s1", "江滨街道大工委", "street"), ("o-c1", "桂花社区大党委", "community"), ("o-g1", "桂花社区第1网格党支部", "grid"),
        ("o-c2", "向阳社区大党委", "community"))]
    nodes += [{"id": "u1", "kind": "Unit", "name": "云河市财政局", "category": "agency"},
              {"id": "m1", "kind": "Member", "name": "王芳", "phone": "13800001234"},
              {"id": "m2", "kind": "Member", "name": "李强", "phone": "0716-7654321"},
              {"id": "m3", "kind": "Member", "name": "王强", "status": "unavailable"},
              {"id": "m9", "kind": "Member", "name": "王敏", "phone": "13700005678"},
              {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "phone": "13900001234"},
              {"id": "h2", "kind": "Household", "address": "桂花社区1号楼2单元501室", "phone": "0716-8123456-801"},
              {"id": "h3", "kind": "Household", "address": "桂花社区2号楼1单元501室"},
              {"id": "h4", "kind": "Household", "address": "桂花社区2号楼1单元101室", "mobile": "137 0000 5678"},
              {"id": "h5", "kind": "Household", "address": "桂花社区1号楼1单元102室"},
              {"id": "h6", "kind": "Household", "address": '向阳社区9号楼"东"102室', "Alias": "六号"},
              {"id": "h9", "kind": "Household", "address": "向阳社区9号楼101室", "phone": "13600005678"}]
    edges = [{"type": "WITHIN", "source": c, "target": p} for c, p in
             (("c1", "s1"), ("c2", "s1"), ("g1", "c1"), ("b1", "g1"), ("b2", "g1"), ("b9", "c2"))]
    edges += [{"type": "WITHIN", "source": "b8", "target": "g1", "since": "2025-01-01"}]
    edges += [{"type": "GOVERNS", "source": o, "target": a, "since": "2021-03-01"} for o, a in
              (("o-s1", "s1"), ("o-c1", "c1"), ("o-g1", "g1"), ("o-c2", "c2"))]
    edges += [{"type": "LOCATED_IN", "source": h, "target": a} for h, a in
              (("h1", "b1"), ("h2", "b1"), ("h4", "b2"), ("h6", "b9"), ("h9", "b9"))]
    edges += [{"type": "LOCATED_IN", "source": "h3", "target": "b1", "until": "2023-12-31"},
              {"type": "LOCATED_IN", "source": "h3", "target": "b2", "since": "2024-01-01"},
              {"type": "LOCATED_IN", "source": "h5", "target": "b1", "until": "2022-12-31"}]
    edges += [
        {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2022-03-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2022-03-01", "until": "2023-12-31"},
        {"type": "CONTACTS", "source": "m1", "target": "h5", "until": "2022-12-31"},
        {"type": "HOLDS_POST", "source": "m1", "target": "o-g1", "post": "secretary", "since": "2021-03-01"},
        {"type": "MEMBER_OF", "source": "m1", "target": "o-g1", "since": "2021-03-01"},
        {"type": "ASSIGNED_TO", "source": "m1", "target": "b1", "role": "building_leader"},
        {"type": "EMPLOYED_BY", "source": "m1", "target": "u1"},
        {"type": "SUNK_TO", "source": "m1", "target": "o-c1", "since": "2022-03-01"},
        {"type": "RESIDES_IN", "source": "m1", "target": "h1"},
        {"type": "HOLDS_POST", "source": "m2", "target": "o-c1", "post": "deputy_secretary"},
        {"type": "CONTACTS", "source": "m2", "target": "h3"},
        {"type": "CONTACTS", "source": "m2", "target": "h9"},
        {"type": "CONTACTS", "source": "m3", "target": "h4", "since": "2024-01-01"},
        {"type": "CONTACTS", "source": "m9", "target": "h9"},
        {"type": "HOLDS_POST", "source": "m9", "target": "o-c2", "post": "secretary"},
    ]
    return {"nodes": nodes, "edges": edges}


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    """The town, loaded once a backend for the module (every test here only reads it)."""
    with loaded_once(request, request.param, tmp_path_factory.mktemp("town"), items(town())) as shared:
        yield shared.store


@pytest.fixture(scope="module")
def c1(store):
    """The scope of a token for community c1."""
    return scope_of(store, ["c1"])


def found(result: dict) -> list[tuple[str, str]]:
    return [(hit["id"], hit["match"]) for hit in result["hits"]]


# -- search ---------------------------------------------------------------------------------------------


def test_names_then_addresses_each_by_id(store):
    """桂花: the six areas and organizations named so (b8 takes no part yet), then the four households of c1
    whose addresses show it (h5 takes no part since 2022)."""
    names = [("b1", "name"), ("b2", "name"), ("c1", "name"), ("g1", "name"), ("o-c1", "name"), ("o-g1", "name")]
    addresses = [("h1", "address"), ("h2", "address"), ("h3", "address"), ("h4", "address")]
    result = search(store, " 桂花 ", as_of=DAY)
    assert found(result) == names + addresses
    assert (result["query"], result["as_of"], result["more"], result["phone_needs_pii"]) == ("桂花", DAY, False, False)
    cut = search(store, "桂花", as_of=DAY, limit=7)
    assert (found(cut), cut["more"]) == (names + addresses[:1], True)
    assert search(store, "桂花", as_of=DAY, limit=6)["more"] and not search(store, "桂花", as_of=DAY, limit=10)["more"]
    assert found(search(store, "桂花", as_of="2025-06-01", kinds=["Area"])) == [
        ("b1", "name"), ("b2", "name"), ("b8", "name"), ("c1", "name"), ("g1", "name")]  # b8 from 2025
    assert found(search(store, "桂花", as_of=DAY, kinds="Org")) == [("o-c1", "name"), ("o-g1", "name")]
    assert found(search(store, "桂花", as_of=DAY, kinds=["Household"])) == addresses


def test_an_exact_id_comes_first(store):
    assert found(search(store, "h1", as_of=DAY)) == [("h1", "id")]
    assert found(search(store, "b1", as_of=DAY, kinds=["Household"])) == []
    assert found(search(store, "H1", as_of=DAY)) == []  # an id is matched exactly


def test_without_pii_an_address_is_matched_only_by_what_its_mask_shows(store):
    """The mask shows an address down to its building: a room, a unit, is found only with pii."""
    for text in ("501室", "2单元", "102室", "1单元101"):
        assert found(search(store, text, as_of=DAY)) == [], text
    assert found(search(store, "501室", as_of=DAY, pii=True)) == [("h2", "address"), ("h3", "address")]
    assert found(search(store, "2单元", as_of=DAY, pii=True)) == [("h2", "address")]
    assert found(search(store, "102室", as_of=DAY, pii=True)) == [("h6", "address")]  # h5 takes no part on DAY
    # h6's record is written with another property first and a quote in its address: read through all the same
    assert found(search(store, "9号楼", as_of=DAY)) == [("b9", "name"), ("h6", "address"), ("h9", "address")]
    assert found(search(store, '9号楼"东', as_of=DAY)) == []  # past the building: hidden
    assert found(search(store, '9号楼"东', as_of=DAY, pii=True)) == [("h6", "address")]
    # a free-form property (personal, masked whole) is no name: found by nobody
    assert found(search(store, "六号", as_of=DAY)) == found(search(store, "六号", as_of=DAY, pii=True)) == []


def test_a_phone_by_its_last_digits(store):
    """1234 ends h1's phone and m1's; 6801 the landline of h2, with its extension; 5678 h4's free-form
    mobile (written with spaces), h9's and m9's phones."""
    assert found(search(store, "1234", as_of=DAY)) == [("h1", "phone"), ("m1", "phone")]
    assert found(search(store, "6801", as_of=DAY)) == [("h2", "phone")]
    assert found(search(store, "５６７８", as_of=DAY)) == [("h4", "phone"), ("h9", "phone"), ("m9", "phone")]
    assert found(search(store, "4321", as_of=DAY)) == [("m2", "phone")]
    assert found(search(store, "234", as_of=DAY)) == []  # fewer than 4 digits: no phone search


def test_more_digits_than_a_mask_shows_need_pii(store):
    """Without pii, 00001234 would tell the digits before the last four: not looked for in phones."""
    masked = search(store, "0000-1234", as_of=DAY)
    assert (found(masked), masked["phone_needs_pii"]) == ([], True)
    assert found(search(store, "0000-1234", as_of=DAY, pii=True)) == [("h1", "phone"), ("m1", "phone")]
    assert found(search(store, "+86 139 0000 1234", as_of=DAY, pii=True)) == [("h1", "phone")]
    assert found(search(store, "81234568", as_of=DAY, pii=True)) == []
    assert found(search(store, "8123456801", as_of=DAY, pii=True)) == [("h2", "phone")]


def test_a_scope_finds_only_what_it_may_read(store, c1):
    """c2's records are not there for c1's token: 向阳 finds nothing; 王 and 5678 find c1's only. The
    street and its organization, read-only context of c1, are found."""
    assert found(search(store, "向阳", as_of=DAY)) == [("b9", "name"), ("c2", "name"), ("o-c2", "name"),
                                                      ("h6", "address"), ("h9", "address")]
    nothing = {"query": "向阳", "as_of": DAY, "hits": [], "more": False, "phone_needs_pii": False}
    assert search(store, "向阳", as_of=DAY, scope=c1) == nothing
    assert search(store, "o-c2", as_of=DAY, scope=c1)["hits"] == search(store, "o-cq", as_of=DAY)["hits"] == []
    assert found(search(store, "王", as_of=DAY)) == [("m1", "name"), ("m3", "name"), ("m9", "name")]
    assert found(search(store, "王", as_of=DAY, scope=c1)) == [("m1", "name"), ("m3", "name")]
    assert found(search(store, "5678", as_of=DAY, scope=c1)) == [("h4", "phone")]
    assert found(search(store, "江滨", as_of=DAY, scope=c1)) == [("o-s1", "name"), ("s1", "name")]


def test_a_search_on_a_past_day(store):
    """h5 was located in b1 and contacted until 2022: found then, not after."""
    assert found(search(store, "102室", as_of="2022-06-01", pii=True)) == [("h5", "address"), ("h6", "address")]
    assert found(search(store, "1号楼", as_of="2022-06-01")) == [("b1", "name"), ("h1", "address"), ("h2", "address"),
                                                                ("h5", "address")]


def test_what_a_search_refuses(store):
    for bad in ({"text": ""}, {"text": "  "}, {"text": "x" * 201}, {"text": "\udcff"}, {"text": "x", "limit": 0},
                {"text": "x", "kinds": ["Person"]}, {"text": "x", "as_of": "yesterday"}):
        with pytest.raises(ValueError):
            search(store, **bad)


# -- an area's households -------------------------------------------------------------------------------


def test_the_households_of_an_area_by_address(store):
    """g1 on DAY: h1, h2 in b1; h3 (moved in) and h4 in b2. By the whole address with pii (h4's room 101
    before h3's 501); without, by what the mask shows (the building), then by id."""
    assert households_in(store, "g1", as_of=DAY, pii=True) == ["h1", "h2", "h4", "h3"]
    assert households_in(store, "g1", as_of=DAY) == ["h1", "h2", "h3", "h4"]
    assert households_in(store, "b2", as_of=DAY, pii=True) == ["h4", "h3"]
    assert households_in(store, "b1", as_of=DAY) == ["h1", "h2"]


def test_the_households_of_an_area_on_past_days(store):
    assert households_in(store, "b1", as_of="2023-06-01", pii=True) == ["h1", "h2", "h3"]  # h3 had not moved yet
    assert households_in(store, "b1", as_of="2022-06-01", pii=True) == ["h1", "h5", "h2", "h3"]
    assert households_in(store, "b2", as_of="2023-06-01") == ["h4"]


def test_the_households_of_an_area_within_a_scope(store, c1):
    """The street: every household of both communities (向阳 sorts before 桂花); to c1's token, c1's only.
    c2 is not there for it, answered as an unknown area."""
    assert households_in(store, "s1", as_of=DAY) == ["h6", "h9", "h1", "h2", "h3", "h4"]
    assert households_in(store, "s1", as_of=DAY, scope=c1) == ["h1", "h2", "h3", "h4"]
    for area in ("c2", "cq"):
        with pytest.raises(NotFound, match=f"^no area with id '{area}'$"):
            households_in(store, area, as_of=DAY, scope=c1)
    with pytest.raises(NotFound, match="no area with id 'h1'"):
        households_in(store, "h1", as_of=DAY)
    with pytest.raises(NotFound, match="takes no part on the day"):
        households_in(store, "b8", as_of=DAY)  # within g1 from 2025 only
    assert households_in(store, "b8", as_of="2025-06-01") == []


# -- a member's profile ---------------------------------------------------------------------------------


def tie(end: str, node: str, since: str | None = None, until: str | None = None, **more) -> dict:
    return {end: node, **more, "since": since, "until": until}


def test_a_member_s_relations_on_a_day(store):
    assert member_profile(store, "m1", as_of=DAY) == {
        "member": "m1", "as_of": DAY, "available": True,
        "contacts": [tie("household", "h1", "2022-03-01")],  # h2 until 2023, h5 until 2022
        "posts": [tie("org", "o-g1", "2021-03-01", post="secretary")],
        "assigned": [tie("area", "b1", role="building_leader")],
        "units": [tie("unit", "u1")],
        "sunk_to": [tie("org", "o-c1", "2022-03-01", areas=["c1"])],
        "member_of": [tie("org", "o-g1", "2021-03-01")],
        "resides_in": [tie("household", "h1")],
    }


def test_a_member_s_relations_on_past_days(store):
    assert member_profile(store, "m1", as_of="2023-06-01")["contacts"] == [
        tie("household", "h1", "2022-03-01"), tie("household", "h2", "2022-03-01", "2023-12-31")]
    assert [c["household"] for c in member_profile(store, "m1", as_of="2022-06-01")["contacts"]] == ["h1", "h2", "h5"]
    before = member_profile(store, "m1", as_of="2021-06-01")
    assert (before["contacts"], before["sunk_to"], before["posts"]) == (
        [tie("household", "h5", None, "2022-12-31")], [], [tie("org", "o-g1", "2021-03-01", post="secretary")])
    assert member_profile(store, "m3", as_of="2023-06-01")["contacts"] == []  # m3 contacts h4 from 2024
    assert not member_profile(store, "m3", as_of=DAY)["available"]


def test_a_member_s_profile_within_a_scope(store, c1):
    """m2 contacts h3 and h9: to c1's token, h3 only. m9 serves in c2 only: not there for it."""
    assert [c["household"] for c in member_profile(store, "m2", as_of=DAY)["contacts"]] == ["h3", "h9"]
    within = member_profile(store, "m2", as_of=DAY, scope=c1)
    assert (within["contacts"], within["posts"]) == ([tie("household", "h3")],
                                                     [tie("org", "o-c1", post="deputy_secretary")])
    with pytest.raises(NotFound):
        member_profile(store, "\udcff", as_of=DAY)
    for member in ("m9", "mq", "h1"):
        with pytest.raises(NotFound, match=f"^no member with id '{member}'$"):
            member_profile(store, member, as_of=DAY, scope=c1 if member == "m9" else None)
    assert member_profile(store, "m9", as_of=DAY)["posts"] == [tie("org", "o-c2", post="secretary")]


# -- the routes and the command -------------------------------------------------------------------------


def test_the_routes_name_the_ids_masked_unless_pii_and_audit_what_they_show(store):
    tokens = {who: create_token(store, "viewer", ["c1"], pii=who == "pii")[0] for who in ("viewer", "pii")}
    with TestClient(create_app(store=store)) as client:
        def get(path, who="viewer", **params):
            return client.get(path, params=params, headers={"Authorization": f"Bearer {tokens[who]}"})

        answer = get("/search", q="1234", as_of=DAY).json()
        assert found(answer) == [("h1", "phone"), ("m1", "phone")]
        assert answer["names"] == {"h1": {"name": None, "kind": "Household", "phone": "139****1234",
                                          "address": "桂花社区1号楼****"},
                                   "m1": {"name": "王芳", "kind": "Member", "phone": "138****1234"}}
        assert found(get("/search", q="501室", as_of=DAY).json()) == []
        full = get("/search", "pii", q="501室", as_of=DAY).json()
        assert found(full) == [("h2", "address"), ("h3", "address")]
        assert full["names"]["h2"]["address"] == "桂花社区1号楼2单元501室"
        assert found(get("/search", q="桂花", kind=["Org", "Unit"], limit=1, as_of=DAY).json()) == [("o-c1", "name")]
        households = get("/areas/g1/households", as_of=DAY).json()
        assert households["households"] == ["h1", "h2", "h3", "h4"] and set(households["names"]) == {"g1", "h1", "h2", "h3", "h4"}
        assert get("/areas/g1/households", "pii", as_of=DAY).json()["households"] == ["h1", "h2", "h4", "h3"]
        profile = get("/members/m2/profile", as_of=DAY).json()
        assert [c["household"] for c in profile["contacts"]] == ["h3"] and set(profile["names"]) == {"m2", "h3", "o-c1"}
        for path, unknown in (("/members/m9/profile", "/members/mq/profile"), ("/areas/c2/households", "/areas/cq/households")):
            outside, missing = get(path), get(unknown)
            assert outside.status_code == missing.status_code == 404
            assert outside.text.replace(path.split("/")[2], "ID") == missing.text.replace(unknown.split("/")[2], "ID")
        assert get("/search", q=" ").status_code == 422
    assert [(r["route"], r["records"]) for r in store.audit_rows()] == [("GET /search", ["h2", "h3"]), ("GET /areas/{id}/households", ["h1", "h2", "h3", "h4"])]


def test_the_command(tmp_path):
    (tmp_path / "town.json").write_text(json.dumps(town(), ensure_ascii=False), encoding="utf-8")
    assert cli("load", "town.json", cwd=tmp_path).returncode == 0
    text = cli("search", "1234", "--as-of", DAY, cwd=tmp_path)
    assert text.returncode == 0 and "139****1234" in text.stdout and "13900001234" not in text.stdout
    shown = json.loads(cli("search", "501室", "--as-of", DAY, "--unmask", "--json", "--limit", "1", cwd=tmp_path).stdout)
    assert found(shown) == [("h2", "address")] and shown["more"]
    assert shown["names"]["h2"]["address"] == "桂花社区1号楼2单元501室"
    needs = cli("search", "00001234", "--as-of", DAY, cwd=tmp_path)
    assert "Not looked for in phones" in needs.stdout and "0 hits" in needs.stdout
    assert cli("search", " ", cwd=tmp_path).returncode == 2
    from orggraph.store import EmbeddedStore

    with EmbeddedStore(tmp_path / "orggraph.db") as db:
        assert [(r["route"], r["records"]) for r in db.audit_rows()] == [("orggraph search --unmask", ["h2"])]
