"""Robustness on a generated city: coverage when nobody is drawn, each trial as coverage with the drawn
members unavailable, the same seed the same answer, and bad input refused; through the command and the API."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from fastapi.testclient import TestClient

from orggraph.access import create_token
from orggraph.api import create_app
from orggraph.exceptions import NotFound
from orggraph.facts import Day
from orggraph.queries import coverage, robustness
from orggraph.store import EmbeddedStore

from .conftest import cli, items, run_cli
from .test_api import two_communities

DAY = "2026-11-23"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A generated city of 3,000 households in which 400 households have a second contact, so that a
    member's absence is sometimes made up by another's."""
    from orggraph.generate import generate_city

    path = tmp_path_factory.mktemp("robustness") / "city.db"
    records, _ = generate_city(households=3000, seed=2)
    with EmbeddedStore(path) as store:
        store.load((what, f"record {i}", record) for i, (what, record) in enumerate(records, 1))
        rng = random.Random(2)
        members = sorted({m for m, _, _ in store.facts().edges("CONTACTS", day=DAY)})
        households = rng.sample(store.facts().ids("Household"), 400)
        store.load(items({"nodes": [], "edges": [{"type": "CONTACTS", "source": rng.choice(members), "target": h,
                                                 "since": "2022-01-01"} for h in households]}))
        yield store


def test_nobody_drawn_is_coverage_to_the_last_digit(city):
    unit = "u00002"
    for area, level, unavailable in ((None, None, []), ("s001", None, []), ("s001c1", "building", ["m0000091"]),
                                     ("s001c1g01", None, [])):
        plain = coverage(city, area=area, level=level, as_of=DAY, unavailable=unavailable)
        report = robustness(city, area, share=0, level=level, as_of=DAY, unavailable=unavailable, trials=7)
        assert (report["households"], report["covered"]) == (plain["households"], plain["covered"])
        assert report["rate"] == report["expected"] == report["p5"] == plain["rate"]
        assert [(a["id"], a["households"], a["covered"], a["rate"], a["expected"], a["p5"]) for a in report["areas"]] == [
            (a["id"], a["households"], a["covered"], a["rate"], a["rate"], a["rate"]) for a in plain["areas"]]
    # a category is coverage with its members unavailable
    facts = city.facts()
    employed = [m for m, _, _ in facts.edges("EMPLOYED_BY", targets=[unit], day=DAY)]
    held = robustness(city, share=0, categories=[f"unit:{unit}"], as_of=DAY, trials=2)
    assert held["held_out"] > 0 and held["rate"] == coverage(city, as_of=DAY, unavailable=employed)["rate"]
    sunk = facts.having("SUNK_TO", facts.ids("Member"), day=DAY)
    assert robustness(city, "s001", share=0, categories=["sunk"], as_of=DAY)["expected"] == \
        coverage(city, area="s001", as_of=DAY, unavailable=sunk)["rate"]


def test_with_nobody_drawn_a_member_costs_the_households_it_alone_contacts(city):
    load = city.facts().contact_load(Day(DAY))
    report = robustness(city, share=0, as_of=DAY, top=10**6)
    assert {c["member"]: (c["households"], c["alone"], c["expected"]) for c in report["costliest"]} == {
        m: (n, alone, float(alone)) for m, (n, alone) in load.items() if alone}
    assert [c["expected"] for c in report["costliest"]] == sorted((c["expected"] for c in report["costliest"]), reverse=True)


def drawn(pool: int, lost: int, trials: int, seed: int) -> list[list[int]]:
    """The members drawn in each trial, as the docstring of robustness says: the ``lost`` lowest of a row of
    uniform numbers a trial, one for each member of the pool."""
    rows = np.random.default_rng(seed).random((trials, pool))
    return [sorted(np.argsort(row)[:lost].tolist()) for row in rows]


@pytest.mark.parametrize("area", [None, "s001c2"])
def test_each_trial_is_coverage_with_the_drawn_members_unavailable(city, area):
    """Worked out again trial by trial with coverage (and contact_load for the costs) on the drawn members."""
    trials, seed, share = 12, 5, 0.3
    report = robustness(city, area, share=share, trials=trials, seed=seed, as_of=DAY, top=10**6)
    facts = city.facts()
    if area is None:
        households = None
    else:
        households = sorted({h for h, _, _ in facts.edges("LOCATED_IN", day=DAY, targets=[
            a["id"] for a in coverage(city, area=area, as_of=DAY)["areas"]])})
    members = sorted({m for m, _, _ in facts.edges("CONTACTS", targets=households, day=DAY)})
    marks = facts.nodes(members)
    pool = [m for m in members if not marks[m].unavailable]
    assert (report["pool"], report["lost"]) == (len(pool), int(share * len(pool) + 0.5))
    covered: dict[str, list[int]] = {}
    totals, cost = [], dict.fromkeys(pool, 0)
    for chosen in drawn(len(pool), report["lost"], trials, seed):
        gone = [pool[i] for i in chosen]
        plain = coverage(city, area=area, as_of=DAY, unavailable=gone)
        totals.append(plain["covered"])
        for row in plain["areas"]:
            covered.setdefault(row["id"], []).append(row["covered"])
        # the households each available member alone contacts, among those of the question
        pairs = facts.edges("CONTACTS", targets=households, day=DAY)
        answering: dict[str, list[str]] = {}
        for m, h, _ in pairs:
            if m in cost and m not in gone:
                answering.setdefault(h, []).append(m)
        for h, ms in answering.items():
            if len(ms) == 1:
                cost[ms[0]] += 1

    def rate(part: float, whole: int) -> float:
        return round(part / whole, 6) if whole else 1.0

    q = (trials - 1) // 20
    assert report["expected"] == rate(sum(totals), trials * report["households"])
    assert report["p5"] == rate(sorted(totals)[q], report["households"])
    for row in report["areas"]:
        assert row["expected"] == rate(sum(covered[row["id"]]), trials * row["households"]), row["id"]
        assert row["p5"] == rate(sorted(covered[row["id"]])[q], row["households"]), row["id"]
    assert {c["member"]: c["expected"] for c in report["costliest"]} == {
        m: round(n / trials, 6) for m, n in cost.items() if n}


def test_the_same_seed_gives_the_same_answer(city, monkeypatch):
    import importlib

    first = robustness(city, "s001", share=0.2, trials=30, seed=11, as_of=DAY)
    assert robustness(city, "s001", share=0.2, trials=30, seed=11, as_of=DAY) == first
    other = robustness(city, "s001", share=0.2, trials=30, seed=12, as_of=DAY)
    assert other["areas"] != first["areas"]
    # worked out a trial at a time, the draws and the answer are the same
    monkeypatch.setattr(importlib.import_module("orggraph.queries.robustness"), "_BLOCK_CELLS", 1)
    assert robustness(city, "s001", share=0.2, trials=30, seed=11, as_of=DAY) == first


@pytest.mark.parametrize("share", [0.05, 0.1, 0.3, 0.6])
def test_the_5th_percentile_lies_below_the_mean(city, share):
    report = robustness(city, share=share, trials=100, seed=1, as_of=DAY)
    for row in [report, *report["areas"]]:
        assert row["p5"] <= row["expected"] <= row["rate"], row
    assert report["expected"] < report["rate"]


def test_bad_input_is_refused_saying_what(city):
    for kwargs, error, message in (
        ({"area": "nowhere"}, NotFound, "no area with id 'nowhere'"),
        ({"area": "h00000001"}, NotFound, "no area with id 'h00000001'"),
        ({"share": 1.5}, ValueError, "share must be a number from 0 to 1"),
        ({"share": -0.1}, ValueError, "share must be a number from 0 to 1"),
        ({"share": float("nan")}, ValueError, "share must be a number from 0 to 1"),
        ({"share": "0.1"}, ValueError, "share must be a number from 0 to 1"),
        ({"share": True}, ValueError, "share must be a number from 0 to 1"),
        ({"trials": 0}, ValueError, "trials must be a whole number of at least 1, got 0"),
        ({"trials": 2.5}, ValueError, "trials must be a whole number of at least 1"),
        ({"seed": -1}, ValueError, "seed must be a whole number of at least 0"),
        ({"top": -1}, ValueError, "top must be a whole number of at least 0"),
        ({"categories": ["retired"]}, ValueError, "unknown category 'retired'"),
        ({"categories": ["unit:"]}, ValueError, "unknown category 'unit:'"),
        ({"categories": ["unit:nowhere"]}, NotFound, "no unit with id 'nowhere'"),
        ({"categories": "sunk"}, TypeError, r"write \['sunk'\]"),
        ({"level": "planet"}, ValueError, "unknown area level 'planet'"),
        ({"unavailable": ["nobody"]}, NotFound, "unavailable: no member with id 'nobody'"),
        ({"as_of": "23/11/2026"}, ValueError, "as-of day must be an ISO date"),
    ):
        with pytest.raises(error, match=message):
            robustness(city, **{"as_of": DAY, **kwargs})


# -- through the command --------------------------------------------------------------------------


def test_the_command_answers_as_the_library_and_names_who(city, tmp_path):
    db = str(city.path)
    answer = run_cli("robustness", "--db", db, "--area", "s001c1", "--share", "0.2", "--trials", "20", "--seed", "4",
                     "--as-of", DAY, "--category", "unit:u00002", "--json", cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout) == robustness(city, "s001c1", share=0.2, trials=20, seed=4, as_of=DAY,
                                                   categories=["unit:u00002"])
    text = run_cli("robustness", "--db", db, "--area", "s001c1", "--level", "grid", "--trials", "20", "--as-of", DAY,
                   "--top", "2", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    first = text.stdout.splitlines()[0]
    assert first.startswith(f"Robustness as of {DAY}, 江滨街道桂花社区 (s001c1): 20 trials (seed 0)"), first
    assert "s001c1g01  桂花社区第1网格" in text.stdout and "s001c1g01b1" not in text.stdout
    costliest = robustness(city, "s001c1", trials=20, as_of=DAY, top=2)["costliest"]
    name = city.node(costliest[0]["member"])["name"]
    assert f"{name} ({costliest[0]['member']})" in text.stdout


@pytest.mark.parametrize("args, message", [
    (["--share", "1.5"], "--share"), (["--share", "-1"], "--share"), (["--trials", "0"], "--trials"),
    (["--seed", "-3"], "--seed"), (["--area", "nowhere"], "no area with id 'nowhere'"),
    (["--category", "retired"], "unknown category 'retired'"), (["--category", "unit:nowhere"], "no unit with id"),
    (["--unavailable", "nobody"], "no member with id 'nobody'"), (["--level", "planet"], "unknown area level"),
])
def test_the_command_refuses_bad_input_with_exit_2(city, tmp_path, args, message):
    result = cli("robustness", "--db", str(city.path), *args, cwd=tmp_path)  # in this process: bad input only
    assert result.returncode == 2, (args, result.stderr)
    assert message in result.stderr and result.stdout == ""


# -- through the API ----------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path):
    with EmbeddedStore(tmp_path / "api.db") as store:
        store.load(items(two_communities()))
        tokens = {"viewer": create_token(store, "viewer", ["c1"])[0], "admin": create_token(store, "admin", ["s1"])[0],
                  "two": create_token(store, "viewer", ["c1", "c2"])[0]}
        with TestClient(create_app(store=store)) as client:
            client.tokens, client.store = tokens, store
            yield client


def ask(client, who="viewer", **params):
    return client.get("/robustness", params=params, headers={"Authorization": f"Bearer {client.tokens[who]}"})


def test_the_api_answers_for_the_token_s_area(api):
    answer = ask(api, as_of=DAY, share=0.5, trials=10, seed=2)
    assert answer.status_code == 200, answer.text
    assert answer.json() == robustness(api.store, "c1", share=0.5, trials=10, seed=2, as_of=DAY)
    assert ask(api, area="g1", as_of=DAY, share=0).json()["rate"] == coverage(api.store, area="g1", as_of=DAY)["rate"]
    assert ask(api, "admin", as_of=DAY).json()["area"] == "s1"
    assert ask(api, "admin", area="c2", as_of=DAY, category=["sunk", "unit:u2"]).status_code == 200
    # a token of two areas names the one it asks about
    assert ask(api, "two", as_of=DAY).status_code == 422
    assert ask(api, "two", area="c2", as_of=DAY).json()["households"] == 1


def test_the_api_answers_outside_the_scope_as_for_what_does_not_exist(api):
    for params, message in (({"area": "c2"}, "no area with id 'c2'"), ({"area": "nowhere"}, "no area with id 'nowhere'"),
                            ({"category": "unit:u2"}, "no unit with id 'u2'"),
                            ({"category": "unit:nowhere"}, "no unit with id 'nowhere'"),
                            ({"unavailable": "m9"}, "unavailable: no member with id 'm9'")):
        answer = ask(api, **params)
        assert answer.status_code == 404, params
        assert answer.json()["error"]["message"] == message
    for params in ({"share": 2}, {"trials": 0}, {"trials": 10**6}, {"seed": -1}):
        assert ask(api, **params).status_code == 422, params
    assert ask(api, category="retired").status_code == ask(api, level="planet").status_code == 422


def test_the_defaults_are_the_library_s():
    """The command's and the API's defaults (share, trials, top) are the library's."""
    import inspect

    import typer.main

    from orggraph.cli import app
    from orggraph.queries import DEFAULT_SHARE, DEFAULT_TOP, DEFAULT_TRIALS

    library = {name: p.default for name, p in inspect.signature(robustness).parameters.items()}
    assert (library["share"], library["trials"], library["top"]) == (DEFAULT_SHARE, DEFAULT_TRIALS, DEFAULT_TOP)
    command = {p.name: p.default for p in typer.main.get_command(app).commands["robustness"].params}
    assert (command["share"], command["trials"], command["top"], command["seed"]) == (
        DEFAULT_SHARE, DEFAULT_TRIALS, DEFAULT_TOP, library["seed"])
    spec = create_app().openapi()
    route = {p["name"]: p["schema"].get("default") for p in spec["paths"]["/robustness"]["get"]["parameters"]}
    assert (route["share"], route["trials"], route["top"], route["seed"]) == (
        DEFAULT_SHARE, DEFAULT_TRIALS, DEFAULT_TOP, library["seed"])
