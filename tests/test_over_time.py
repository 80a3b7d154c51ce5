"""The sample city over time: the grid split, household moves and handover the generator plants, each
asked about on the day before, the day of and a day after, in the embedded store, against what was
planted; and every answer for a day before the first of them as on the city generated without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from orggraph.exceptions import NotFound

from orggraph.generate import HANDOVER_ON, MOVE_ON, SPLIT_ON, generate_city
from orggraph.index import build_index
from orggraph.queries import coverage, gaps, responsibility_chain
from orggraph.store import EmbeddedStore

#: the city: 3,000 households of the sample street (seed 1), its first community whole
PLAN = {"households": 3000, "seed": 1}
BEFORE_SPLIT, BEFORE_MOVE, BEFORE_HANDOVER = "2025-06-30", "2025-08-31", "2025-10-31"
LATER = "2026-11-23"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The city in an embedded store, with what the generator planted."""
    records, planted = generate_city(**PLAN)
    path = Path(tmp_path_factory.mktemp("over-time")) / "city.db"
    with EmbeddedStore(path) as store:
        store.load((what, f"record {i}", r) for i, (what, r) in enumerate(records, 1))
        yield store, planted


@pytest.fixture(scope="module")
def unchanged():
    """The same city generated without the dated changes, as a query index."""
    records, _ = generate_city(**PLAN, changes=False)
    nodes, edges = [], []
    for what, r in records:
        if what == "node":
            nodes.append((r["id"], r["kind"], {k: v for k, v in r.items() if k not in ("id", "kind")}))
        else:
            edges.append((r["type"], r["source"], r["target"], r.get("since"), r.get("until"),
                          {k: v for k, v in r.items() if k not in ("type", "source", "target", "since", "until")}))
    return build_index(sorted(nodes), edges, revision=1)


def figures(G, area: str, day: str) -> tuple[int, int]:
    report = coverage(G, area=area, as_of=day)
    return report["households"], report["covered"]


def test_the_sample_street_plants_these_changes(city):
    """Written out by hand from the generator (seed 1): the README quotes them."""
    _, planted = city
    [split] = planted.splits
    assert (split.grid, split.new_grid, split.on) == ("s001c1g05", "s001c1g11", "2025-07-01")
    assert split.name == "桂花社区第11网格(由第5网格拆分)"
    assert (split.org, split.new_org, split.community) == ("o-s001c1g05", "o-s001c1g11", "s001c1")
    assert split.buildings == ("s001c1g05b5", "s001c1g05b6", "s001c1g05b7") and split.households == 120
    assert [(m.household, m.source, m.target, m.on) for m in planted.moves] == [
        (h, "s001c1g07b1", "s001c1g06b3", "2025-09-01")
        for h in ("h00001410", "h00001413", "h00001425", "h00001435", "h00001436")]
    [handover] = planted.handovers
    assert (handover.member, handover.org, handover.on) == ("m0000094", "o-s001c1", "2025-11-01")
    assert handover.households == tuple(f"h{n:08d}" for n in range(47, 61))
    assert (SPLIT_ON, MOVE_ON, HANDOVER_ON) == ("2025-07-01", "2025-09-01", "2025-11-01")


# -- the grid split --------------------------------------------------------------------------------------


def test_split_counts_each_household_in_the_grid_it_lies_in_that_day(city, unchanged):
    store, planted = city
    [split] = planted.splits
    old_before = figures(store, split.grid, BEFORE_SPLIT)
    with pytest.raises(NotFound, match="takes no part on the day"):  # not made yet
        figures(store, split.new_grid, BEFORE_SPLIT)
    assert sum(figures(store, b, BEFORE_SPLIT)[0] for b in split.buildings) == split.households > 0
    for day in (SPLIT_ON, LATER):
        old, new = figures(store, split.grid, day), figures(store, split.new_grid, day)
        moved = [figures(store, b, day) for b in split.buildings]
        assert new == (split.households, sum(c for _, c in moved)), day
        assert old[0] + new[0] == old_before[0], day
        # together, as the grid would be had it not split (contacts lapse on 2025-06-30, whatever the grids)
        assert (old[0] + new[0], old[1] + new[1]) == figures(unchanged, split.grid, day), day
        assert figures(store, split.community, day) == figures(unchanged, split.community, day), day
    # the community's grids: the new one takes part from the day of the split, and no household twice
    for day, listed in ((BEFORE_SPLIT, False), (SPLIT_ON, True), (LATER, True)):
        report = coverage(store, level="grid", area=split.community, as_of=day)
        assert (split.new_grid in {a["id"] for a in report["areas"]}) == listed, day
        assert sum(a["households"] for a in report["areas"]) == report["households"]


def grid_links(chain: dict) -> list[tuple[str, str | None, str | None]]:
    return [(link["role"], link["area"], link["org"]) for link in chain["links"]
            if link["role"] in {"area", "org"} and link["area"] and "g" in link["area"] and "b" not in link["area"]]


def test_split_chain_names_the_old_branch_before_and_the_new_after(city):
    store, planted = city
    [split] = planted.splits
    household = store.edges_of(split.buildings[0], "LOCATED_IN")[0]["source"]
    before = responsibility_chain(store, household, as_of=BEFORE_SPLIT)
    assert grid_links(before) == [("area", split.grid, None), ("org", split.grid, split.org)]
    for day in (SPLIT_ON, LATER):
        after = responsibility_chain(store, household, as_of=day)
        assert grid_links(after) == [("area", split.new_grid, None), ("org", split.new_grid, split.new_org)], day
        # the new grid's secretary is its grid leader too
        assert [link["member"] for link in after["links"] if link["area"] == split.new_grid] == [split.secretary] * 2
        assert all(b["area"] != split.new_grid for b in after["breaks"])
        # below the grid and above it, the chain is as before
        assert [link for link in after["links"] if link["area"] not in (split.grid, split.new_grid)] == [
            link for link in before["links"] if link["area"] not in (split.grid, split.new_grid)]
    # the building's group answers to the new branch from the day of the split: the territory's shape holds
    for day in (BEFORE_SPLIT, SPLIT_ON, LATER):
        assert gaps(store, as_of=day)["territory_shape"] == [], day


# -- household moves ------------------------------------------------------------------------------------


def test_moved_households_count_in_one_building_each_day(city):
    store, planted = city
    [source] = {m.source for m in planted.moves}
    [target] = {m.target for m in planted.moves}
    movers = {m.household for m in planted.moves}
    assert len(movers) == 5
    (s_before, _), (t_before, _) = figures(store, source, BEFORE_MOVE), figures(store, target, BEFORE_MOVE)
    for day in (MOVE_ON, LATER):
        assert figures(store, source, day)[0] == s_before - 5
        assert figures(store, target, day)[0] == t_before + 5
    grids = {b: b[: b.index("b")] for b in (source, target)}
    assert figures(store, grids[source], MOVE_ON)[0] == figures(store, grids[source], BEFORE_MOVE)[0] - 5
    assert figures(store, grids[target], MOVE_ON)[0] == figures(store, grids[target], BEFORE_MOVE)[0] + 5
    community = source[: source.index("g")]
    assert figures(store, community, MOVE_ON) == figures(store, community, BEFORE_MOVE)
    for household in sorted(movers):
        before = responsibility_chain(store, household, as_of=BEFORE_MOVE)
        after = responsibility_chain(store, household, as_of=MOVE_ON)
        areas_before = [link["area"] for link in before["links"] if link["area"]]
        areas_after = [link["area"] for link in after["links"] if link["area"]]
        assert source in areas_before and target not in areas_before
        assert target in areas_after and source not in areas_after
        # the same contact before and after: a move changes the territory, not who calls
        contacts = [link["member"] for link in before["links"] if link["role"] == "contact"]
        assert contacts == [link["member"] for link in after["links"] if link["role"] == "contact"]


# -- the handover ---------------------------------------------------------------------------------------


def contacts(store, household: str, day: str) -> list[str]:
    return [link["member"] for link in responsibility_chain(store, household, as_of=day)["links"]
            if link["role"] == "contact"]


def test_handover_moves_the_households_to_the_new_member_the_next_day(city):
    store, planted = city
    [handover] = planted.handovers
    assert len(handover.households) >= 10
    for household in handover.households:
        before, on = contacts(store, household, BEFORE_HANDOVER), contacts(store, household, HANDOVER_ON)
        assert handover.member in before and handover.to not in before, household
        assert handover.to in on and handover.member not in on, household
        assert contacts(store, household, LATER) == on
    uncovered = {day: set(gaps(store, as_of=day)["uncovered_households"]) for day in (BEFORE_HANDOVER, HANDOVER_ON)}
    assert not uncovered[BEFORE_HANDOVER] & set(handover.households)
    assert uncovered[BEFORE_HANDOVER] == uncovered[HANDOVER_ON]
    # the member who left is sunk no more, so not idle; the one who came contacts every household
    report = gaps(store, as_of=HANDOVER_ON)
    assert handover.member not in report["idle_sunk_members"] and handover.to not in report["idle_sunk_members"]
    assert not set(handover.households) & set(report["lapsed_households"])


# -- before the first change, the city is as it was -----------------------------------------------------


@pytest.mark.parametrize("day", ["2024-01-01", BEFORE_SPLIT])
def test_every_answer_before_the_changes_is_as_without_them(city, unchanged, day):
    store, planted = city
    assert coverage(store, as_of=day) == coverage(unchanged, as_of=day)
    assert gaps(store, as_of=day) == gaps(unchanged, as_of=day)
    [split], [handover] = planted.splits, planted.handovers
    households = {planted.moves[0].household, handover.households[0]}
    households |= {e["source"] for e in store.edges_of(split.buildings[0], "LOCATED_IN")}
    for household in sorted(households)[:6]:
        assert responsibility_chain(store, household, as_of=day) == responsibility_chain(unchanged, household, as_of=day)


def test_the_changes_plant_no_gap(city, unchanged):
    """After every change, the gaps are those of the city without them: the handover's successor stands
    where the member who left stood, and nothing else moves."""
    store, planted = city
    [handover] = planted.handovers
    ours, theirs = gaps(store, as_of=LATER), gaps(unchanged, as_of=LATER)
    for key in ours:
        if key != "single_points_of_failure":
            assert ours[key] == theirs[key], key
    swap = {handover.member: handover.to}
    assert sorted(ours["single_points_of_failure"], key=lambda x: x["member"]) == sorted(
        ({**x, "member": swap.get(x["member"], x["member"])} for x in theirs["single_points_of_failure"]),
        key=lambda x: x["member"])
