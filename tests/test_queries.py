"""Coverage, chains, gaps and incidents on small networks whose answers are written out by hand."""

from __future__ import annotations

import pytest

from orggraph.exceptions import NotFound
from orggraph.queries import contacts_of, coverage, gaps, incident, responsibility_chain, uncovered_households

from .conftest import items

DAY = "2026-11-23"


def link(role, member=None, area=None, org=None, unit=None, post=None, acting=None):
    """A chain link; an org's link with its responsible person names the post held (``post``, from
    ``member="m2:secretary"``) and whether it acts for an absent secretary (``acting``)."""
    if member is not None and ":" in member:
        member, post = member.split(":")
        acting = post != "secretary" if acting is None else acting
    elif role in ("org", "sending_unit") and org is not None and member is None:
        post = acting = None
    return {"role": role, "member": member, "area": area, "org": org, "unit": unit, "post": post, "acting": acting}


def brk(reason, area=None, org=None):
    return {"area": area, "org": org, "reason": reason}


def vac(reason, area=None, org=None, acting=None):
    return {"area": area, "org": org, "reason": reason, "acting": acting}


# -- the hand-built street of conftest ---------------------------------------------------------------
# h1 (3 people) is contacted by m1; h2 (elderly alone) had m1 until 2023-12-31 and has m3 since 2024,
# but m3 is unavailable; h3 (2 people) has nobody. b1 has no governing org; g1's branch is weak and lax
# with m2 as secretary; c1, s1 and the unit's branch o-u1 have no post holders.


def test_coverage_of_the_street(loaded):
    report = coverage(loaded, as_of=DAY)
    assert (report["households"], report["covered"], report["uncovered"]) == (3, 1, 2)
    assert report["rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert (report["people"], report["people_covered"], report["people_rate"]) == (6, 3, 0.5)
    assert (report["vulnerable"], report["vulnerable_covered"], report["vulnerable_rate"]) == (1, 0, 0.0)
    assert [a["id"] for a in report["areas"]] == ["b1", "c1", "g1", "s1"]
    for area in report["areas"]:
        assert (area["households"], area["covered"], area["uncovered"]) == (3, 1, 2)
    assert coverage(loaded, level="grid", as_of=DAY)["areas"] == [
        {"id": "g1", "name": "桂花社区第1网格", "level": "grid", "households": 3, "covered": 1, "uncovered": 2,
         "rate": pytest.approx(1 / 3, abs=1e-6), "people": 6, "people_covered": 3, "people_rate": 0.5,
         "vulnerable": 1, "vulnerable_covered": 0, "vulnerable_rate": 0.0}
    ]


def test_coverage_on_earlier_days(loaded):
    # 2023-06-01: m1 still contacts h2, so two of three are covered; 2021: nobody contacted anyone yet
    assert coverage(loaded, as_of="2023-06-01")["covered"] == 2
    assert coverage(loaded, as_of="2021-01-01")["covered"] == 0


def test_an_area_with_no_households_has_rate_one(loaded):
    loaded.load(items({"nodes": [{"id": "g2", "kind": "Area", "name": "第2网格", "level": "grid"}],
                       "edges": [{"type": "WITHIN", "source": "g2", "target": "c1"}]}))
    g2 = next(a for a in coverage(loaded, as_of=DAY)["areas"] if a["id"] == "g2")
    assert (g2["households"], g2["rate"]) == (0, 1.0)


def test_uncovered_households(loaded):
    assert uncovered_households(loaded, as_of=DAY) == ["h2", "h3"]
    assert uncovered_households(loaded, area="g1", as_of=DAY) == ["h2", "h3"]
    assert uncovered_households(loaded, as_of=DAY, unavailable=["m1"]) == ["h1", "h2", "h3"]


def test_chain_of_a_covered_household(loaded):
    assert responsibility_chain(loaded, "h1", as_of=DAY) == {
        "household": "h1",
        "as_of": DAY,
        "covered": True,
        "links": [
            link("contact", member="m1"),
            link("sending_unit", org="o-u1", unit="u1"),  # the unit's branch has nobody in post
            link("area", member="m2", area="b1"),
            link("org", member="m2:secretary", area="g1", org="o-g1"),
            link("org", area="c1", org="o-c1"),
            link("org", area="s1", org="o-s1"),
        ],
        "breaks": [
            brk("no_responsible", org="o-u1"),
            brk("no_org", area="b1"),
            brk("weak_org", area="g1", org="o-g1"),
            brk("no_responsible", area="c1", org="o-c1"),
            brk("no_responsible", area="s1", org="o-s1"),
        ],
    }


def test_chain_of_a_household_with_no_contact(loaded):
    chain = responsibility_chain(loaded, "h3", as_of=DAY)
    assert chain["covered"] is False
    assert [l["role"] for l in chain["links"]] == ["area", "org", "org", "org"]


def test_unknown_household_or_member(loaded):
    with pytest.raises(NotFound, match="no household with id 'h404'"):
        responsibility_chain(loaded, "h404")
    with pytest.raises(NotFound, match="no household with id 'm1'"):
        responsibility_chain(loaded, "m1")
    with pytest.raises(NotFound, match="unavailable: no member with id 'x9'"):
        coverage(loaded, unavailable=["x9"])
    with pytest.raises(ValueError, match="as-of day must be an ISO date"):
        coverage(loaded, as_of="23/11/2026")


def test_gaps_of_the_street(loaded):
    report = gaps(loaded, as_of=DAY)
    assert report["uncovered_households"] == ["h2", "h3"]
    assert report["overloaded_members"] == []
    assert report["idle_sunk_members"] == []
    assert report["vacant_posts"] == [
        vac("no_org", area="b1"),
        vac("no_responsible", org="o-c1"),
        vac("no_responsible", org="o-s1"),
        vac("no_responsible", org="o-u1"),
    ]
    assert report["idle_units"] == []
    assert report["single_points_of_failure"] == []
    assert gaps(loaded, as_of=DAY, spof=1)["single_points_of_failure"] == [{"member": "m1", "households": 1}]
    assert report["cross_boundary_contacts"] == []
    assert report["lapsed_households"] == []  # h2's edge from m3 is valid, though m3 cannot be reached
    assert report["unlocated_households"] == []


# -- a flood zone with a temporary branch, a deputy, two contacts and a busy member -------------------

FLOOD = {
    "nodes": [
        {"id": "c", "kind": "Area", "name": "滨湖社区", "level": "community"},
        {"id": "g", "kind": "Area", "name": "第1网格", "level": "grid"},
        {"id": "b", "kind": "Area", "name": "1号楼", "level": "building"},
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "o-c", "kind": "Org", "name": "滨湖社区大党委", "level": "community"},
        {"id": "o-t", "kind": "Org", "name": "防汛临时党支部", "level": "temporary"},
        {"id": "u", "kind": "Unit", "name": "市水利局"},
        {"id": "u-idle", "kind": "Unit", "name": "市图书馆"},
        {"id": "m-sec", "kind": "Member", "name": "书记甲"},
        {"id": "m-dep", "kind": "Member", "name": "副书记乙"},
        {"id": "m-t", "kind": "Member", "name": "临时支书丙"},
        {"id": "m-1", "kind": "Member", "name": "党员一"},
        {"id": "m-2", "kind": "Member", "name": "党员二"},
        {"id": "m-busy", "kind": "Member", "name": "党员忙"},
        {"id": "m-idle", "kind": "Member", "name": "党员闲"},
        {"id": "m-far", "kind": "Member", "name": "党员远"},
        {"id": "h-a", "kind": "Household", "flags": ["disabled"]},
        {"id": "h-b", "kind": "Household", "flags": ["elderly_alone"]},
        {"id": "h-c", "kind": "Household"},
        {"id": "h-old", "kind": "Household"},
        {"id": "h-nowhere", "kind": "Household"},
        {"id": "h-out", "kind": "Household"},
        *[{"id": f"h-{i:02d}", "kind": "Household"} for i in range(16)],
    ],
    "edges": [
        {"type": "WITHIN", "source": "g", "target": "c"},
        {"type": "WITHIN", "source": "b", "target": "g"},
        {"type": "WITHIN", "source": "b2", "target": "g"},
        {"type": "GOVERNS", "source": "o-c", "target": "c", "since": "2021-01-01"},
        {"type": "GOVERNS", "source": "o-t", "target": "g", "since": "2020-07-01", "until": "2020-09-30"},
        {"type": "HOLDS_POST", "source": "m-sec", "target": "o-c", "post": "secretary"},
        {"type": "HOLDS_POST", "source": "m-dep", "target": "o-c", "post": "deputy_secretary"},
        {"type": "HOLDS_POST", "source": "m-t", "target": "o-t", "post": "secretary", "since": "2020-07-01", "until": "2020-09-30"},
        {"type": "LOCATED_IN", "source": "h-a", "target": "b"},
        {"type": "LOCATED_IN", "source": "h-b", "target": "b"},
        {"type": "LOCATED_IN", "source": "h-c", "target": "b2"},
        {"type": "LOCATED_IN", "source": "h-old", "target": "b2"},
        *[{"type": "LOCATED_IN", "source": f"h-{i:02d}", "target": "b2"} for i in range(16)],
        {"type": "CONTACTS", "source": "m-2", "target": "h-a", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m-1", "target": "h-a", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m-1", "target": "h-old", "since": "2021-01-01", "until": "2024-06-30"},
        *[{"type": "CONTACTS", "source": "m-busy", "target": f"h-{i:02d}", "since": "2022-01-01"} for i in range(16)],
        {"type": "CONTACTS", "source": "m-far", "target": "h-out", "since": "2022-01-01"},
        {"type": "CONTACTS", "source": "m-far", "target": "h-c", "since": "2022-01-01"},
        {"type": "EMPLOYED_BY", "source": "m-1", "target": "u"},
        {"type": "SUNK_TO", "source": "m-1", "target": "o-c", "since": "2022-01-01"},
        {"type": "SUNK_TO", "source": "m-idle", "target": "o-t", "since": "2024-01-01"},
        {"type": "SUNK_TO", "source": "m-far", "target": "o-t", "since": "2020-07-01"},
        {"type": "CO_BUILDS", "source": "u", "target": "o-c", "since": "2021-01-01"},
        {"type": "CO_BUILDS", "source": "u-idle", "target": "o-c", "since": "2021-01-01"},
        {"type": "ASSIGNED_TO", "source": "m-2", "target": "b", "role": "building_leader", "since": "2021-01-01"},
        {"type": "RESIDES_IN", "source": "m-idle", "target": "h-c"},
    ],
}


@pytest.fixture
def flood(store):
    store.load(items(FLOOD))
    return store


def grid_links(chain):
    return [l for l in chain["links"] if l["area"] == "g"], [b for b in chain["breaks"] if b["area"] == "g"]


@pytest.mark.parametrize("day, governed", [("2020-06-30", False), ("2020-07-01", True), ("2020-08-01", True),
                                           ("2020-09-30", True), ("2020-10-01", False)])
def test_the_temporary_branch_governs_only_within_its_window(flood, day, governed):
    links, breaks = grid_links(responsibility_chain(flood, "h-a", as_of=day))
    if governed:
        assert links == [link("org", member="m-t:secretary", area="g", org="o-t")]
        assert breaks == []
    else:
        assert links == []
        assert breaks == [brk("no_org", area="g")]


def test_an_unavailable_secretary_hands_over_to_the_deputy(flood):
    def community(unavailable):
        chain = responsibility_chain(flood, "h-a", as_of=DAY, unavailable=unavailable)
        return [l for l in chain["links"] if l["area"] == "c"], [b for b in chain["breaks"] if b["area"] == "c"]

    assert community([]) == ([link("org", member="m-sec:secretary", area="c", org="o-c")], [])
    assert community(["m-sec"]) == ([link("org", member="m-dep:deputy_secretary", area="c", org="o-c")], [])
    assert community(["m-sec", "m-dep"]) == (
        [link("org", area="c", org="o-c")], [brk("no_responsible", area="c", org="o-c")]
    )


def test_a_household_with_two_contacts(flood):
    chain = responsibility_chain(flood, "h-a", as_of=DAY)
    assert chain["links"][:4] == [
        link("contact", member="m-1"),
        link("sending_unit", unit="u"),  # the unit has no Party organization of its own
        link("contact", member="m-2"),
        link("area", member="m-2", area="b"),
    ]
    assert contacts_of(flood, "h-a", as_of=DAY) == ["m-1", "m-2"]
    assert contacts_of(flood, "h-a", as_of=DAY, unavailable=["m-1"]) == ["m-2"]
    b = next(a for a in coverage(flood, as_of=DAY)["areas"] if a["id"] == "b")
    assert (b["households"], b["covered"]) == (2, 1)  # h-a counted once; h-b has nobody


def test_coverage_adds_up_the_territory(flood):
    areas = {a["id"]: a for a in coverage(flood, as_of=DAY)["areas"]}
    # b: h-a covered, h-b not; b2: h-c (m-far) and the 16 of m-busy covered, h-old lapsed; h-out and
    # h-nowhere are located nowhere, so they count only in the totals
    assert (areas["b"]["households"], areas["b"]["covered"]) == (2, 1)
    assert (areas["b2"]["households"], areas["b2"]["covered"]) == (18, 17)
    assert (areas["g"]["households"], areas["g"]["covered"]) == (20, 18)
    assert (areas["c"]["households"], areas["c"]["covered"]) == (20, 18)
    total = coverage(flood, as_of=DAY)
    assert (total["households"], total["covered"]) == (22, 19)


def test_gaps_of_the_flood_zone(flood):
    report = gaps(flood, as_of=DAY)
    assert report["uncovered_households"] == ["h-b", "h-nowhere", "h-old"]
    assert report["overloaded_members"] == [{"member": "m-busy", "households": 16}]
    assert gaps(flood, as_of=DAY, max_households=16)["overloaded_members"] == []
    assert report["idle_sunk_members"] == ["m-idle"]
    assert report["idle_units"] == ["u-idle"]
    assert report["single_points_of_failure"] == [{"member": "m-busy", "households": 16}]
    # m-far sunk to the temporary branch, which governs nothing today: both contacts are outside
    assert report["cross_boundary_contacts"] == [{"member": "m-far", "household": "h-c"}]
    assert report["lapsed_households"] == ["h-old"]
    assert report["unlocated_households"] == ["h-nowhere", "h-out"]
    assert report["vacant_posts"] == [
        vac("no_org", area="b"), vac("no_org", area="b2"), vac("no_org", area="g"),
        vac("no_responsible", org="o-t"),
    ]


def test_as_of_inside_the_flood_window(flood):
    report = gaps(flood, as_of="2020-08-01")
    # nobody contacted anyone yet except m-far; the temporary branch governs the grid and is staffed
    assert report["vacant_posts"] == [
        vac("no_org", area="b"), vac("no_org", area="b2"), vac("no_org", area="c"),
    ]
    assert report["cross_boundary_contacts"] == []


def test_making_members_unavailable_uncovers_their_households(flood):
    assert gaps(flood, as_of=DAY, unavailable=["m-busy"])["uncovered_households"] == sorted(
        ["h-b", "h-nowhere", "h-old"] + [f"h-{i:02d}" for i in range(16)]
    )
    assert gaps(flood, as_of=DAY, unavailable=["m-busy"])["overloaded_members"] == []


def test_incident_orders_vulnerable_uncovered_first_and_assigns_a_stand_in(flood):
    sheet = incident(flood, ["b"], as_of=DAY)
    assert [(e["household"], e["covered"], e["vulnerable"]) for e in sheet["entries"]] == [
        ("h-b", False, True),  # vulnerable and uncovered
        ("h-a", True, True),
    ]
    # h-b's stand-in: in its building, m-1 and m-2 (both contact h-a there; one household each, as much
    # room left, so by id) before anyone in the grid
    assert sheet["entries"][0]["stand_in"] == {"member": "m-1", "area": "b", "level": "building", "households": 1,
                                               "distance": 0}
    assert sheet["entries"][0]["unassigned"] is None
    assert sheet["entries"][1]["stand_in"] is None and sheet["entries"][1]["unassigned"] is None
    assert (sheet["placed"], sheet["most_given"]) == (1, 1)
    assert (sheet["households"], sheet["uncovered"], sheet["vulnerable"]) == (2, 1, 2)


def test_incident_stand_ins_skip_full_and_unavailable_members(flood):
    sheet = incident(flood, ["b2"], as_of=DAY, unavailable=["m-far"])
    first = sheet["entries"][0]
    assert first["household"] == "h-c" and not first["covered"]
    # in b2: m-busy is full (16 >= 15), m-far is unavailable, m-1's contact there has lapsed, and m-idle
    # lives in h-c: the one in the building with room
    assert (first["stand_in"]["member"], first["stand_in"]["level"], first["stand_in"]["distance"]) == (
        "m-idle", "building", 0)


def test_incident_needs_an_area(flood):
    with pytest.raises(ValueError, match="at least one area or household"):
        incident(flood, [])
    with pytest.raises(NotFound, match="no area with id 'zz'"):
        incident(flood, ["zz"])


# -- stand-ins: near enough, and from whom -------------------------------------------------------------
# s1 (street) holds c1 and c2; c1 holds g1, which holds b1 and b2; c2 holds b3. hg is located in the grid
# g1 itself, h1 in b1; neither has a contact. mA and mB each contact one household in b2 (mA least
# loaded: mB contacts two); mS contacts one household in c2's building b3, a step from the street.

def near_and_far() -> dict:
    areas = [("s1", "street"), ("c1", "community"), ("c2", "community"), ("g1", "grid"), ("b1", "building"),
             ("b2", "building"), ("b3", "building")]
    nodes = [{"id": a, "kind": "Area", "name": a, "level": level} for a, level in areas]
    nodes += [{"id": h, "kind": "Household"} for h in ("hg", "h1", "hb2", "hb2x", "hb3")]
    nodes += [{"id": m, "kind": "Member", "name": m} for m in ("mA", "mB", "mS")]
    edges = [{"type": "WITHIN", "source": c, "target": p}
             for c, p in (("c1", "s1"), ("c2", "s1"), ("g1", "c1"), ("b1", "g1"), ("b2", "g1"), ("b3", "c2"))]
    edges += [{"type": "LOCATED_IN", "source": h, "target": a}
              for h, a in (("hg", "g1"), ("h1", "b1"), ("hb2", "b2"), ("hb2x", "b2"), ("hb3", "b3"))]
    edges += [{"type": "CONTACTS", "source": m, "target": h}
              for m, h in (("mA", "hb2"), ("mB", "hb2"), ("mB", "hb2x"), ("mS", "hb3"))]
    return {"nodes": nodes, "edges": edges}


def test_stand_ins_are_never_sought_above_the_community(store):
    store.load(items(near_and_far()))
    sheet = incident(store, households=["hg"], as_of=DAY)
    # g1 (mA, with more room than mB), then c1 (nobody new); never s1, where mS would be found
    s = sheet["entries"][0]["stand_in"]
    assert (s["member"], s["area"], s["households"], s["distance"]) == ("mA", "g1", 1, 0)
    # with mA and mB unavailable, nobody in g1 or c1 can stand in: mS in the street is never asked
    sheet = incident(store, households=["hg"], as_of=DAY, unavailable=["mA", "mB"])
    assert (sheet["entries"][0]["stand_in"], sheet["entries"][0]["unassigned"]) == (None, "nobody_nearby")


def test_stand_ins_only_among_those_allowed(store):
    store.load(items(near_and_far()))
    sheet = incident(store, households=["h1"], as_of=DAY, among={"mB", "mS"})
    assert sheet["entries"][0]["stand_in"]["member"] == "mB"
    assert incident(store, households=["h1"], as_of=DAY)["entries"][0]["stand_in"]["member"] == "mA"


def test_a_moment_is_asked_for_on_its_day(store):
    import datetime

    store.load(items(near_and_far()))
    moment = datetime.datetime(2024, 1, 1, 23, 59)
    assert coverage(store, as_of=moment) == coverage(store, as_of="2024-01-01")
    assert responsibility_chain(store, "hb2", as_of=moment)["as_of"] == "2024-01-01"


def test_a_token_with_two_areas_counts_each_household_once(store):
    """A household located in both areas, and one in an area that lies within both, count once."""
    from orggraph.access import coverage_within, scope_of
    from orggraph.queries import totals_within

    nodes = [{"id": a, "kind": "Area", "name": a, "level": lv} for a, lv in
             (("c1", "community"), ("c2", "community"), ("b1", "building"), ("g2", "grid"))]
    nodes += [{"id": h, "kind": "Household"} for h in ("h1", "h2", "h3")]
    edges = [{"type": "WITHIN", "source": "b1", "target": "c1"}, {"type": "WITHIN", "source": "g2", "target": "c1"},
             {"type": "WITHIN", "source": "g2", "target": "c2"}]
    edges += [{"type": "LOCATED_IN", "source": h, "target": a} for h, a in
              (("h1", "b1"), ("h1", "c2"), ("h2", "g2"), ("h3", "c2"))]
    store.load(items({"nodes": nodes, "edges": edges}))
    assert totals_within(store, ["c1", "c2"], as_of=DAY)["households"] == 3
    assert totals_within(store, ["c1"], as_of=DAY)["households"] == 2
    report = coverage(store, as_of=DAY)
    cut = coverage_within(store, report, scope_of(store, ["c1", "c2"]), ["c1", "c2"])
    assert (cut["households"], cut["uncovered"], cut["rate"]) == (3, 3, 0.0)


def test_a_token_reads_whatever_its_households_chains_name(store):
    """hx lies in b1 (community c1) and in b3 (community c2): a c1 token's chain of hx names b3's
    building leader and c2's secretary, so the token reads them (read-only), and nothing else of c2."""
    from orggraph.access import scope_of

    nodes = [{"id": a, "kind": "Area", "name": a, "level": lv} for a, lv in
             (("s1", "street"), ("c1", "community"), ("c2", "community"), ("b1", "building"), ("b3", "building"))]
    nodes += [{"id": o, "kind": "Org", "name": o, "level": "community"} for o in ("o-c1", "o-c2")]
    nodes += [{"id": "hx", "kind": "Household"}, {"id": "h3", "kind": "Household"}]
    nodes += [{"id": m, "kind": "Member", "name": m} for m in ("m1", "m8", "m9", "m7")]
    edges = [{"type": "WITHIN", "source": c, "target": p} for c, p in
             (("c1", "s1"), ("c2", "s1"), ("b1", "c1"), ("b3", "c2"))]
    edges += [{"type": "LOCATED_IN", "source": h, "target": a} for h, a in (("hx", "b1"), ("hx", "b3"), ("h3", "b3"))]
    edges += [{"type": "GOVERNS", "source": "o-c1", "target": "c1"}, {"type": "GOVERNS", "source": "o-c2", "target": "c2"},
              {"type": "HOLDS_POST", "source": "m1", "target": "o-c1", "post": "secretary"},
              {"type": "HOLDS_POST", "source": "m8", "target": "o-c2", "post": "secretary"},
              {"type": "ASSIGNED_TO", "source": "m9", "target": "b3", "role": "building_leader"},
              {"type": "CONTACTS", "source": "m7", "target": "h3"}]
    store.load(items({"nodes": nodes, "edges": edges}))
    scope = scope_of(store, ["c1"])
    chain = responsibility_chain(store, "hx", as_of=DAY)
    named = {link[f] for link in chain["links"] for f in ("member", "area", "org", "unit") if link[f]}
    assert {"m9", "m8", "b3", "c2", "o-c2"} <= named
    assert all(scope.sees(i) for i in named), sorted(i for i in named if not scope.sees(i))
    # read-only, not its own; and what the chain does not name stays unseen
    assert not any(scope.allows_any(i) for i in ("m9", "m8", "b3", "c2", "o-c2"))
    assert not scope.sees("h3") and not scope.sees("m7")
    assert not scope.may_change("b3") and not scope.may_change("hx")


def test_stand_ins_are_sought_up_to_the_community_however_deep(store):
    """An entrance within a building within a micro-grid within a grid: the community is four steps up,
    and still near; the street never is."""
    nodes = [{"id": a, "kind": "Area", "name": a, "level": lv} for a, lv in
             (("s1", "street"), ("c1", "community"), ("g1", "grid"), ("mg1", "micro_grid"), ("b1", "building"),
              ("e1", "entrance"), ("b2", "building"), ("c2", "community"), ("b9", "building"))]
    nodes += [{"id": h, "kind": "Household"} for h in ("he", "hc", "h9")]
    nodes += [{"id": m, "kind": "Member", "name": m} for m in ("mC", "mS")]
    edges = [{"type": "WITHIN", "source": c, "target": p} for c, p in
             (("c1", "s1"), ("g1", "c1"), ("mg1", "g1"), ("b1", "mg1"), ("e1", "b1"), ("b2", "c1"), ("c2", "s1"),
              ("b9", "c2"))]
    edges += [{"type": "LOCATED_IN", "source": h, "target": a} for h, a in (("he", "e1"), ("hc", "b2"), ("h9", "b9"))]
    edges += [{"type": "CONTACTS", "source": "mC", "target": "hc"}, {"type": "CONTACTS", "source": "mS", "target": "h9"}]
    store.load(items({"nodes": nodes, "edges": edges}))
    picked = incident(store, households=["he"], as_of=DAY)["entries"][0]["stand_in"]
    # e1, b1, mg1, g1, c1: the community is the fifth area near he, four steps up
    assert (picked["member"], picked["area"], picked["distance"]) == ("mC", "c1", 4)


def test_a_list_of_ids_given_as_one_id_is_refused(loaded):
    for call in (lambda: incident(loaded, "c1"), lambda: incident(loaded, households="h1"),
                 lambda: coverage(loaded, unavailable="m1"), lambda: incident(loaded, ["c1"], among="m1")):
        with pytest.raises(TypeError, match="a list of"):
            call()
    with pytest.raises(NotFound, match="no household with id b'h1'"):
        responsibility_chain(loaded, b"h1")
    with pytest.raises(ValueError, match="unknown area level 'buildng'"):
        coverage(loaded, level="buildng")


@pytest.mark.parametrize("community", ["c1", "c`1"])
def test_cross_boundary_contacts_weigh_every_area_of_a_household(store, community):
    """A sunk member's contact is outside when the household lies in none of the areas its org governs (or
    below them): a household located in two areas is inside if one of them is; one located nowhere is
    left to the unlocated. An area id may hold a backtick (which the server cannot use as a map key)."""
    building = f"b{community[1:]}"
    store.load(items({"nodes": [
        {"id": "s", "kind": "Area", "name": "街道", "level": "street"},
        {"id": community, "kind": "Area", "name": "一社区", "level": "community"},
        {"id": "c2", "kind": "Area", "name": "二社区", "level": "community"},
        {"id": building, "kind": "Area", "name": "1号楼", "level": "building"},
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "o1", "kind": "Org", "name": "一社区党委", "level": "community"},
        {"id": "o2", "kind": "Org", "name": "二社区党委", "level": "community"},
        {"id": "c3", "kind": "Area", "name": "三社区", "level": "community"},
        *({"id": m, "kind": "Member", "name": name} for m, name in (("m1", "王芳"), ("m2", "李强"), ("m3", "赵敏"))),
        *({"id": h, "kind": "Household"} for h in ("h1", "h2", "h3", "h4", "h5"))], "edges": [
        {"type": "WITHIN", "source": "c3", "target": "s"}, {"type": "LOCATED_IN", "source": "h5", "target": "c3"},
        # m3 sunk to both committees: inside wherever either governs, outside in the third community
        {"type": "SUNK_TO", "source": "m3", "target": "o1"}, {"type": "SUNK_TO", "source": "m3", "target": "o2"},
        *({"type": "CONTACTS", "source": "m3", "target": h} for h in ("h1", "h2", "h5")),
        {"type": "WITHIN", "source": community, "target": "s"}, {"type": "WITHIN", "source": "c2", "target": "s"},
        {"type": "WITHIN", "source": building, "target": community}, {"type": "WITHIN", "source": "b2", "target": "c2"},
        {"type": "GOVERNS", "source": "o1", "target": community}, {"type": "GOVERNS", "source": "o2", "target": "c2"},
        {"type": "SUNK_TO", "source": "m1", "target": "o1"}, {"type": "SUNK_TO", "source": "m2", "target": "o2"},
        {"type": "LOCATED_IN", "source": "h1", "target": building}, {"type": "LOCATED_IN", "source": "h2", "target": "b2"},
        {"type": "LOCATED_IN", "source": "h3", "target": building}, {"type": "LOCATED_IN", "source": "h3", "target": "b2"},
        *({"type": "CONTACTS", "source": "m1", "target": h} for h in ("h1", "h2", "h3", "h4")),
        *({"type": "CONTACTS", "source": "m2", "target": h} for h in ("h1", "h3"))]}))
    report = gaps(store, as_of="2026-06-30")
    assert report["cross_boundary_contacts"] == [{"member": "m1", "household": "h2"}, {"member": "m2", "household": "h1"},
                                                 {"member": "m3", "household": "h5"}]
    assert report["unlocated_households"] == ["h4"]


# -- situations from the field (tests/cases): the network over time ---------------------------------

def case(store, name):
    import json
    from pathlib import Path

    store.load(items(json.loads((Path(__file__).parent / "cases" / name).read_text(encoding="utf-8"))))
    return store


def households_by_area(report):
    return {a["id"]: a["households"] for a in report["areas"]}


def test_a_grid_split_on_a_date(store):
    """Case 08: grid g1 is split on 2024-07-01, building b2 (h2, h3) going to the new grid g2 and its
    branch o-g2."""
    case(store, "08-grid-split-dated.json")
    before, after = coverage(store, as_of="2024-01-01"), coverage(store, as_of="2024-08-01")
    # before the split g2 does not exist yet: not listed, and g1 holds all three households
    assert households_by_area(before) == {"b1": 1, "b2": 2, "c1": 3, "g1": 3}
    assert households_by_area(after) == {"b1": 1, "b2": 2, "c1": 3, "g1": 1, "g2": 2}
    with pytest.raises(NotFound, match="area 'g2' takes no part on the day asked about"):
        coverage(store, area="g2", as_of="2024-01-01")
    assert coverage(store, area="g1", as_of="2024-06-30")["households"] == 3  # the last day before
    assert coverage(store, area="g1", as_of="2024-07-01")["households"] == 1  # the day of the split
    chain = responsibility_chain(store, "h2", as_of="2024-01-01")
    assert chain["links"] == [link("contact", "m1"), link("org", "m1:secretary", area="g1", org="o-g1")]
    assert chain["breaks"] == [brk("no_org", area="b2"), brk("no_org", area="c1")]  # none at g2
    chain = responsibility_chain(store, "h2", as_of="2024-08-01")
    assert chain["links"] == [link("contact", "m1"), link("org", "m2:secretary", area="g2", org="o-g2")]
    assert chain["breaks"] == [brk("no_org", area="b2"), brk("no_org", area="c1")]
    # h1 stays in g1 throughout
    assert responsibility_chain(store, "h1", as_of="2024-08-01")["links"][1] == link(
        "org", "m1:secretary", area="g1", org="o-g1")
    # o-g2 does not exist before the split: no vacancy for it; after, it is staffed
    assert gaps(store, as_of="2024-01-01")["vacant_posts"] == [vac("no_org", area="b1"), vac("no_org", area="b2"),
                                                              vac("no_org", area="c1")]
    assert gaps(store, as_of="2024-08-01")["vacant_posts"] == [vac("no_org", area="b1"), vac("no_org", area="b2"),
                                                              vac("no_org", area="c1")]


def test_a_household_that_moves_counts_in_one_building_each_day(store):
    case(store, "08-grid-split-dated.json")
    store.load(items({"nodes": [], "edges": [
        {"type": "LOCATED_IN", "source": "h1", "target": "b1", "until": "2025-02-28"},
        {"type": "LOCATED_IN", "source": "h1", "target": "b2", "since": "2025-03-01"}]}))
    assert households_by_area(coverage(store, as_of="2025-02-28"))["b1"] == 1
    assert households_by_area(coverage(store, as_of="2025-03-01")) == {"b1": 0, "b2": 3, "c1": 3, "g1": 0, "g2": 3}
    assert responsibility_chain(store, "h1", as_of="2025-03-01")["links"][1]["org"] == "o-g2"
    assert gaps(store, as_of="2025-03-01")["unlocated_households"] == []
    # a household that moves in on a day is unlocated before it
    store.load(items({"nodes": [{"id": "h9", "kind": "Household"}],
                      "edges": [{"type": "LOCATED_IN", "source": "h9", "target": "b1", "since": "2025-06-01"}]}))
    assert gaps(store, as_of="2025-05-31")["unlocated_households"] == ["h9"]
    assert gaps(store, as_of="2025-06-01")["unlocated_households"] == []
    assert households_by_area(coverage(store, as_of="2025-06-01"))["b1"] == 1


def test_the_shape_of_the_territory(store):
    """Case 09: a building within two grids, a community filed under a building, a grid under no street."""
    from orggraph.queries import territory_shape

    case(store, "09-hierarchy-shape-faults.json")
    faults = [(f["area"], f["fault"], f["within"], f["households"]) for f in territory_shape(store, as_of=DAY)]
    assert faults == [
        ("b1", "within_two", ["g1", "g2"], 1),  # h1 lies in b1
        ("c2", "within_lower", ["b2"], 1),  # h4 lies in c2
        ("g9", "outside_street", [], 1),  # b9 lies within it, and h3 in b9
    ]
    assert gaps(store, as_of=DAY)["territory_shape"] == territory_shape(store, as_of=DAY)
    # coverage never counts a household twice in one area: h1 lies in b1, within both g1 and g2
    areas = households_by_area(coverage(store, as_of=DAY))
    assert (areas["c1"], areas["s1"], areas["g1"], areas["g2"]) == (3, 3, 1, 3)


def test_an_org_subordinate_to_one_that_governs_nothing_above_it(store):
    from orggraph.queries import territory_shape

    case(store, "08-grid-split-dated.json")
    store.load(items({"nodes": [{"id": "o-c1", "kind": "Org", "name": "桂花社区党委", "level": "community"}],
                      "edges": [{"type": "GOVERNS", "source": "o-c1", "target": "c1"},
                                {"type": "SUBORDINATE_TO", "source": "o-g1", "target": "o-c1"},
                                {"type": "SUBORDINATE_TO", "source": "o-c1", "target": "o-g2", "since": "2024-07-01"}]}))
    assert [(f["org"], f["fault"], f["within"]) for f in territory_shape(store, as_of="2024-08-01")
            if f["org"]] == [("o-c1", "org_above_nothing", ["o-g2"])]
    assert [f for f in territory_shape(store, as_of="2024-01-01") if f["org"]] == []
    # subordinate to one that governs no area at all; a unit's own org, governing none, is subordinate to any
    store.load(items({"nodes": [{"id": "o-x", "kind": "Org", "name": "某党组织", "level": "functional"},
                                {"id": "o-u", "kind": "Org", "name": "某单位党支部", "level": "unit"}],
                      "edges": [{"type": "SUBORDINATE_TO", "source": "o-g2", "target": "o-x"},
                                {"type": "SUBORDINATE_TO", "source": "o-u", "target": "o-x"}]}))
    assert [(f["org"], f["within"]) for f in territory_shape(store, as_of="2024-08-01") if f["org"]] == [
        ("o-c1", ["o-g2"]), ("o-g2", ["o-x"])]


def test_a_vacant_secretary_post_and_who_acts(store):
    """Case 10: the secretary's post ended on 2024-03-31; the deputy m2 and committee member m3 remain."""
    case(store, "10-secretary-vacant.json")
    chain = responsibility_chain(store, "h1", as_of="2024-05-01")
    assert chain["links"] == [link("contact", "m4"),
                              link("org", "m2:deputy_secretary", area="g1", org="o-g1")]  # acting
    assert chain["links"][1]["acting"] is True
    assert chain["breaks"] == []
    report = gaps(store, as_of="2024-05-01")
    assert report["vacant_posts"] == [vac("no_secretary", org="o-g1", acting="m2")]
    # the secretary still in post: nobody acts, nothing vacant
    assert responsibility_chain(store, "h1", as_of="2024-03-31")["links"][1] == link(
        "org", "m1:secretary", area="g1", org="o-g1")
    assert gaps(store, as_of="2024-03-31")["vacant_posts"] == []
    # with m2 and m3 out of reach too, nobody answers
    chain = responsibility_chain(store, "h1", as_of="2024-05-01", unavailable=["m2", "m3"])
    assert chain["breaks"] == [brk("no_responsible", area="g1", org="o-g1")]
    assert gaps(store, as_of="2024-05-01", unavailable=["m2", "m3"])["vacant_posts"] == [
        vac("no_responsible", org="o-g1")]
    # m4, the only contact, is not critical: m2 and m3 answer within the grid
    assert report["critical_members"] == []
    assert gaps(store, as_of="2024-05-01", unavailable=["m3"])["critical_members"] == []
    assert gaps(store, as_of="2024-05-01", unavailable=["m2", "m3"])["critical_members"] == [
        {"member": "m4", "households": 1}]
    assert report["unassigned_areas"] == [{"area": "g1", "level": "grid", "households": 1}]


def test_a_party_group_led_by_its_group_leader_has_no_vacant_secretary(store):
    case(store, "10-secretary-vacant.json")
    store.load(items({"nodes": [{"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
                                {"id": "o-b1", "kind": "Org", "name": "1号楼党小组", "level": "building"}],
                      "edges": [{"type": "GOVERNS", "source": "o-b1", "target": "b1"},
                                {"type": "HOLDS_POST", "source": "m4", "target": "o-b1", "post": "group_leader"},
                                {"type": "WITHIN", "source": "b1", "target": "g1"}]}))
    report = gaps(store, as_of="2024-05-01")
    assert [v["org"] for v in report["vacant_posts"] if v["reason"] == "no_secretary"] == ["o-g1"]


def test_an_area_whose_relations_start_alike_and_one_ends(store):
    """b1 lies in g1 from 2020 to 2024-06-30 and h1 in b1 from 2020 on: b1's relations share their start
    and one ends (what a move leaves behind); every question answers on every backend."""
    from orggraph.queries import territory_shape

    store.load(items({"nodes": [{"id": "s1", "kind": "Area", "name": "街道", "level": "street"},
                                {"id": "g1", "kind": "Area", "name": "网格1", "level": "grid"},
                                {"id": "b1", "kind": "Area", "name": "楼1", "level": "building"},
                                {"id": "h1", "kind": "Household"}],
                      "edges": [{"type": "WITHIN", "source": "g1", "target": "s1"},
                                {"type": "WITHIN", "source": "b1", "target": "g1", "since": "2020-01-01",
                                 "until": "2024-06-30"},
                                {"type": "LOCATED_IN", "source": "h1", "target": "b1", "since": "2020-01-01"}]}))
    assert households_by_area(coverage(store, as_of="2024-01-01")) == {"b1": 1, "g1": 1, "s1": 1}
    assert households_by_area(coverage(store, as_of="2024-08-01")) == {"b1": 1, "g1": 0, "s1": 0}
    assert households_by_area(coverage(store, as_of="2019-06-01")) == {"g1": 0, "s1": 0}  # b1 not yet
    assert [b["area"] for b in responsibility_chain(store, "h1", as_of="2024-01-01")["breaks"]] == ["b1", "g1", "s1"]
    assert [(f["area"], f["fault"]) for f in territory_shape(store, as_of="2024-08-01")] == [("b1", "outside_street")]


# -- robustness: members drawn out trial by trial, on a network where the answers are exact ------------
# h1..h3 in b1 (g1), h4, h5 in b2 (g2), h7 in both buildings, h6 located nowhere. Live on DAY: h1 m1;
# h2 m1, m2; h3 m2; h4 m3 (m4 is unavailable); h5 nobody (m4 unavailable, m5's contact ended
# 2025-12-31); h6 m6; h7 m2, m3. m1 reported to the community on 2024-01-01; u1 employs m1 and m3.
# h5 lies in b2 from 2024-01-01 on.

ROBUST = {
    "nodes": [
        {"id": "s", "kind": "Area", "name": "街道", "level": "street"},
        {"id": "c", "kind": "Area", "name": "社区", "level": "community"},
        {"id": "g1", "kind": "Area", "name": "第1网格", "level": "grid"},
        {"id": "g2", "kind": "Area", "name": "第2网格", "level": "grid"},
        {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "o-c", "kind": "Org", "name": "社区大党委", "level": "community"},
        {"id": "u1", "kind": "Unit", "name": "市水利局"},
        *[{"id": f"m{i}", "kind": "Member", "name": f"党员{i}"} for i in (1, 2, 3, 5, 6)],
        {"id": "m4", "kind": "Member", "name": "党员4", "status": "unavailable"},
        *[{"id": f"h{i}", "kind": "Household"} for i in range(1, 8)],
    ],
    "edges": [
        {"type": "WITHIN", "source": "c", "target": "s"},
        *[{"type": "WITHIN", "source": g, "target": "c"} for g in ("g1", "g2")],
        {"type": "WITHIN", "source": "b1", "target": "g1"},
        {"type": "WITHIN", "source": "b2", "target": "g2"},
        *[{"type": "LOCATED_IN", "source": h, "target": b} for h, b in
          (("h1", "b1"), ("h2", "b1"), ("h3", "b1"), ("h4", "b2"), ("h7", "b1"), ("h7", "b2"))],
        {"type": "LOCATED_IN", "source": "h5", "target": "b2", "since": "2024-01-01"},
        *[{"type": "CONTACTS", "source": m, "target": h} for m, h in
          (("m1", "h1"), ("m1", "h2"), ("m2", "h2"), ("m2", "h3"), ("m2", "h7"), ("m3", "h4"), ("m3", "h7"),
           ("m4", "h4"), ("m4", "h5"), ("m6", "h6"))],
        {"type": "CONTACTS", "source": "m5", "target": "h5", "since": "2021-01-01", "until": "2025-12-31"},
        {"type": "SUNK_TO", "source": "m1", "target": "o-c", "since": "2024-01-01"},
        *[{"type": "EMPLOYED_BY", "source": m, "target": "u1"} for m in ("m1", "m3")],
    ],
}


def rates(report):
    """{area: (households, covered, rate, expected, p5)} of a robustness answer."""
    return {a["id"]: (a["households"], a["covered"], a["rate"], a["expected"], a["p5"]) for a in report["areas"]}


def test_robustness_with_nobody_drawn_is_coverage(store):
    from orggraph.queries import robustness

    store.load(items(ROBUST))
    for day in (DAY, "2023-06-01"):
        for area in (None, "c", "g1", "b2"):
            plain = coverage(store, area=area, as_of=day)
            report = robustness(store, area, share=0, trials=3, as_of=day)
            assert (report["households"], report["covered"]) == (plain["households"], plain["covered"])
            assert report["rate"] == report["expected"] == report["p5"] == plain["rate"]
            assert rates(report) == {a["id"]: (a["households"], a["covered"], a["rate"], a["rate"], a["rate"])
                                     for a in plain["areas"]}
    whole = robustness(store, share=0, as_of=DAY)
    assert (whole["households"], whole["covered"], whole["pool"], whole["lost"]) == (7, 6, 4, 0)  # h5: nobody
    assert rates(whole)["b2"] == (3, 2, 0.666667, 0.666667, 0.666667)  # h4, h5 and h7 (also in b1)
    assert rates(whole)["c"][:2] == (6, 5)  # h7 once; h6 located nowhere counts in the totals only
    # each is the only contact of one household: h1, h3, h4, h6
    assert [(c["member"], c["households"], c["alone"], c["expected"]) for c in whole["costliest"]] == [
        ("m1", 2, 1, 1.0), ("m2", 3, 1, 1.0), ("m3", 2, 1, 1.0), ("m6", 1, 1, 1.0)]


def test_robustness_by_category_is_exact(store):
    from orggraph.queries import robustness

    store.load(items(ROBUST))
    by_unit = robustness(store, share=0, trials=5, categories=["unit:u1"], as_of=DAY)  # m1 and m3 out
    assert (by_unit["held_out"], by_unit["pool"], by_unit["covered"], by_unit["rate"]) == (2, 2, 4, 0.571429)
    assert by_unit["expected"] == by_unit["p5"] == 0.571429  # h2, h3, h7 (m2) and h6 (m6) of 7
    assert rates(by_unit) == {"b1": (4, 3, 0.75, 0.75, 0.75), "b2": (3, 1, 0.333333, 0.333333, 0.333333),
                              "c": (6, 3, 0.5, 0.5, 0.5), "g1": (4, 3, 0.75, 0.75, 0.75),
                              "g2": (3, 1, 0.333333, 0.333333, 0.333333), "s": (6, 3, 0.5, 0.5, 0.5)}
    assert [(c["member"], c["alone"], c["expected"]) for c in by_unit["costliest"]] == [("m2", 3, 3.0), ("m6", 1, 1.0)]
    assert by_unit["expected"] == coverage(store, as_of=DAY, unavailable=["m1", "m3"])["rate"]
    # sunk: m1 from 2024-01-01; on 2023-06-01 nobody is held out, and m5 still contacts h5
    assert robustness(store, share=0, categories=["sunk"], as_of=DAY)["expected"] == 0.714286  # h1 lost: 5 of 7
    earlier = robustness(store, share=0, categories=["sunk"], as_of="2023-06-01")
    assert (earlier["held_out"], earlier["households"], earlier["covered"], earlier["expected"]) == (0, 7, 7, 1.0)
    both = robustness(store, share=0, categories=["unit:u1", "sunk"], unavailable=["m6"], as_of=DAY)
    assert (both["held_out"], both["pool"], both["categories"], both["unavailable"]) == (2, 1, ["sunk", "unit:u1"], ["m6"])
    assert (both["covered"], both["expected"]) == (3, 0.428571)


def test_robustness_drawing_one_member_of_four(store):
    """share 1/4 of the pool (m1, m2, m3, m6): whichever one is drawn, one household of the six covered is
    lost (h1, h3, h4 or h6; h2 and h7 have two contacts), so every trial covers 5 of 7."""
    from orggraph.queries import robustness

    store.load(items(ROBUST))
    report = robustness(store, share=0.25, trials=40, seed=3, as_of=DAY)
    assert (report["pool"], report["lost"], report["covered"]) == (4, 1, 6)
    assert report["expected"] == report["p5"] == 0.714286
    # within g1 (pool m1, m2, m3), a third drawn: one of h1, h3 lost with m1 or m2, nobody with m3
    g1 = robustness(store, "g1", share=1 / 3, trials=60, seed=3, as_of=DAY)
    assert (g1["pool"], g1["lost"], g1["households"], g1["p5"]) == (3, 1, 4, 0.75)
    assert 0.75 < g1["expected"] < 1.0
    # with f1, f2, f3 the shares of trials that drew m1, m2, m3: m2 alone answers for h2 and h3, or h3
    # and h7, unless drawn (2 (1 - f2)); m3 alone for h7 when m2 is drawn (f2); m1 for h1 and h2 when m2
    # is drawn, h1 when m3 is (2 f2 + f3); and the trials cover 3 of 4, or 4 of 4 when m3 is drawn
    costs = {c["member"]: c["expected"] for c in g1["costliest"]}
    assert set(costs) == {"m1", "m2", "m3"}
    f2, f3 = costs["m3"], costs["m1"] - 2 * costs["m3"]
    assert costs["m2"] == pytest.approx(2 * (1 - f2), abs=1e-6)
    assert g1["expected"] == pytest.approx(0.75 + f3 / 4, abs=1e-6)
    everyone = robustness(store, share=1, trials=2, as_of=DAY)
    assert (everyone["lost"], everyone["expected"], everyone["p5"], everyone["costliest"]) == (4, 0.0, 0.0, [])
    assert {a["expected"] for a in everyone["areas"]} == {0.0}
