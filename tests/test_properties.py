"""Invariants of the queries on generated cities, checked with hypothesis."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orggraph.generate import generate_city
from orggraph.index import build_index
from orggraph.queries import coverage, gaps, responsibility_chain, uncovered_households

_CITIES: dict[tuple[int, int], object] = {}


def city(households: int, seed: int):
    """A generated city's index, built straight from the generator (no store needed for invariants)."""
    key = (households, seed)
    if key not in _CITIES:
        records, _ = generate_city(households=households, seed=seed)
        nodes, edges = {}, []
        for what, r in records:
            if what == "node":
                nodes[r["id"]] = (r["id"], r["kind"], {k: v for k, v in r.items() if k not in ("id", "kind")})
            else:
                edges.append((r["type"], r["source"], r["target"], r.get("since"), r.get("until"),
                              {k: v for k, v in r.items() if k not in ("type", "source", "target", "since", "until")}))
        _CITIES[key] = build_index([nodes[k] for k in sorted(nodes)], edges, revision=1)
    return _CITIES[key]


cities = st.tuples(st.integers(min_value=30, max_value=600), st.integers(min_value=0, max_value=5))
days = st.sampled_from(["2020-08-01", "2021-06-30", "2022-12-31", "2024-03-01", "2025-07-01", "2026-11-23"])
common = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(cities, days)
def test_covered_plus_uncovered_is_households_everywhere(shape, day):
    report = coverage(city(*shape), as_of=day)
    assert report["covered"] + report["uncovered"] == report["households"]
    for area in report["areas"]:
        assert area["covered"] + area["uncovered"] == area["households"]
        assert 0.0 <= area["rate"] <= 1.0


@common
@given(cities, days)
def test_an_area_is_the_sum_of_its_children_and_its_own_households(shape, day):
    index = city(*shape)
    report = coverage(index, as_of=day)
    by_id = {a["id"]: a for a in report["areas"]}
    children: dict[str, list[str]] = {}
    within = index.edges["WITHIN"]
    for child, parent in zip(within.source.tolist(), within.target.tolist()):
        children.setdefault(index.ids[parent], []).append(index.ids[child])
    direct: dict[str, list[int]] = {}
    located = index.edges["LOCATED_IN"]
    covered_ids = set(index.ids) - set(uncovered_households(index, as_of=day))
    for h, a in zip(located.source.tolist(), located.target.tolist()):
        direct.setdefault(index.ids[a], []).append(h)
    for area_id, area in by_id.items():
        kids = children.get(area_id, [])
        own = direct.get(area_id, [])
        assert area["households"] == sum(by_id[k]["households"] for k in kids) + len(own)
        assert area["covered"] == sum(by_id[k]["covered"] for k in kids) + sum(index.ids[h] in covered_ids for h in own)


@common
@given(cities, days, st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=40))
def test_making_members_unavailable_never_increases_coverage(shape, day, pick, how_many):
    index = city(*shape)
    members = [index.ids[m] for m in index.of_kind("Member").tolist()]
    gone = random.Random(pick).sample(members, min(how_many, len(members)))
    before = {a["id"]: a["covered"] for a in coverage(index, as_of=day)["areas"]}
    after = {a["id"]: a["covered"] for a in coverage(index, as_of=day, unavailable=gone)["areas"]}
    assert all(after[a] <= before[a] for a in before)
    # and more unavailable never helps either: a superset uncovers at least as much
    more = gone + [m for m in members[:5] if m not in gone]
    assert set(uncovered_households(index, as_of=day, unavailable=gone)) <= set(
        uncovered_households(index, as_of=day, unavailable=more))


@common
@given(cities, days, st.integers(min_value=0, max_value=2**32 - 1))
def test_chains_agree_with_coverage_and_gaps(shape, day, pick):
    index = city(*shape)
    uncovered = set(uncovered_households(index, as_of=day))
    assert set(gaps(index, as_of=day)["uncovered_households"]) == uncovered
    households = [index.ids[h] for h in index.of_kind("Household").tolist()]
    for household in random.Random(pick).sample(households, min(20, len(households))):
        chain = responsibility_chain(index, household, as_of=day)
        assert chain["covered"] == (household not in uncovered)
        assert chain["covered"] == any(link["role"] == "contact" for link in chain["links"])


@pytest.mark.parametrize("seed", [1, 2])
def test_gaps_find_exactly_what_the_generator_planted(seed):
    records, planted = generate_city(households=3000, seed=seed)
    nodes, edges = {}, []
    for what, r in records:
        if what == "node":
            nodes[r["id"]] = (r["id"], r["kind"], {k: v for k, v in r.items() if k not in ("id", "kind")})
        else:
            edges.append((r["type"], r["source"], r["target"], r.get("since"), r.get("until"), r))
    index = build_index([nodes[k] for k in sorted(nodes)], edges, revision=1)
    report = gaps(index, as_of="2026-11-23")
    assert set(report["uncovered_households"]) == planted.uncovered
    assert set(report["lapsed_households"]) == planted.lapsed
    assert set(report["unlocated_households"]) == planted.unlocated
    assert {x["member"] for x in report["overloaded_members"]} == planted.overloaded
    assert set(report["idle_sunk_members"]) == planted.idle_sunk_members
    assert set(report["idle_units"]) == planted.idle_units
    assert {v["area"] for v in report["vacant_posts"] if v["reason"] == "no_org"} == planted.areas_without_org
    # the temporary flood branch of 2020 takes no part in 2026: it is vacant no more
    assert {v["org"] for v in report["vacant_posts"] if v["reason"] == "no_responsible"} == (
        planted.orgs_without_post_holder - planted.temporary_orgs)
    assert {(x["member"], x["household"]) for x in report["cross_boundary_contacts"]} == planted.cross_boundary
    assert coverage(index, as_of="2026-11-23")["uncovered"] == len(planted.uncovered)
