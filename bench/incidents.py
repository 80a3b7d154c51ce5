"""Incidents: the stand-in plan against the household-by-household way on the sample street, and the
speed of an incident kept as a record on a large city (open, mark, progress, call sheet).

    python bench/incidents.py                       # the sample street, and 2,000,000 households
    python bench/incidents.py --households 200000   # a smaller city

The sample street is the one ``orggraph demo`` builds (seed 1). On the city, the incident covers whole
streets, in order, until it holds at least ``--affected`` households (100,000: a district flood), on the
embedded store; the city is generated and loaded into ``--folder`` once and reused. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from queries import prepare, timed  # noqa: E402  (bench/queries.py: a generated city loaded once, the best time)

from orggraph import incidents  # noqa: E402
from orggraph.generate import generate_city  # noqa: E402
from orggraph.queries import DEFAULT_MAX_HOUSEHOLDS  # noqa: E402
from orggraph.queries._base import day_of  # noqa: E402
from orggraph.queries.chain import ChainParts, located_in  # noqa: E402
from orggraph.queries.plan import assign, assign_greedy, plan_summary  # noqa: E402
from orggraph.store import EmbeddedStore  # noqa: E402

AS_OF = "2026-11-23"


def compare(store: EmbeddedStore, limit: int = DEFAULT_MAX_HOUSEHOLDS, gone: float = 0.0
            ) -> list[tuple[str, dict, int, int]]:
    """Every uncovered household of the street placed three ways: (way, plan summary, members over their
    room, households whose stand-in is the one their chain has them call first already); with at most
    ``limit`` households a member, and a share ``gone`` of the members unavailable (drawn with seed 1)."""
    import random

    facts = store.facts()
    members = [n["id"] for n in store.nodes("Member")]
    day = day_of(facts, AS_OF, random.Random(1).sample(members, int(len(members) * gone)))
    territory = facts.territory(day)
    uncovered = facts.households(day, "uncovered", None)
    hood = facts.neighbourhood(day, uncovered)
    batch = [(h, located_in(territory, hood, h), hood.nodes[h].vulnerable) for h in uncovered]
    load = facts.contact_load(day)
    chains = ChainParts(day, hood, territory)
    first = {}  # the member an uncovered household's chain has it call first
    for h in uncovered:
        first[h] = next((link["member"] for link in chains.chain(h)["links"] if link["member"]), None)
    ways = [
        ("one by one, as suggested before (first suggestion, room not counted, posts included)",
         lambda: assign_greedy(facts, territory, day, batch, count_given=False, with_duty=True, max_households=limit)),
        ("one by one, room counted", lambda: assign_greedy(facts, territory, day, batch, max_households=limit)),
        ("together, minimum-cost flow (orggraph)", lambda: assign(facts, territory, day, batch, max_households=limit)),
    ]
    out = []
    for name, run in ways:
        placed, unplaced = run()
        given: dict[str, int] = {}
        for s in placed.values():
            given[s["member"]] = given.get(s["member"], 0) + 1
        over = sum(1 for m, n in given.items() if load.get(m, (0, 0))[0] + n > limit)
        again = sum(1 for h, st in placed.items() if st["member"] == first[h])
        out.append((name, plan_summary(day, None, len(batch), placed, unplaced), over, again))
    return out


def city(households: int, affected: int, folder: Path) -> dict:
    db = prepare(households, folder)
    for suffix in ("-incidents", "-incidents-wal", "-incidents-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    result: dict = {"households": households}
    with EmbeddedStore(db) as store:
        index = store.index()
        streets = sorted(a["id"] for a in store.nodes("Area") if a.get("level") == "street")
        chosen, total = [], 0
        facts = index.facts()
        day = day_of(facts, AS_OF, ())
        territory = facts.territory(day)
        for street in streets:
            chosen.append(street)
            below = [territory.ids[a] for a in territory.below(territory.position[street])]
            total += len(facts.households(day, "all", below))
            if total >= affected:
                break
        result["streets"] = len(chosen)
        result["open_s"], opened = timed(lambda: incidents.open_incident(store, chosen, name="bench", as_of=AS_OF))
        inc = opened["id"]
        result["affected"], result["uncovered"], result["placed"] = opened["households"], opened["uncovered"], opened["placed"]
        sheet = incidents._sheet(store, inc)
        doors = [r[0] for r in sheet.rows[:: max(1, len(sheet.rows) // 500)]][:500]
        member = next(r[2][0] for r in sheet.rows if r[2])
        times = []
        for household in doors:
            start = time.perf_counter()
            incidents.mark(store, inc, household, "reached", member)
            times.append(time.perf_counter() - start)
        result["mark_median_ms"] = statistics.median(times) * 1000
        result["mark_p99_ms"] = sorted(times)[int(len(times) * 0.99) - 1] * 1000
        result["progress_first_s"], _ = timed(lambda: incidents.progress(store, inc))
        result["progress_s"], report = timed(lambda: incidents.progress(store, inc), repeat=5)
        assert report["overall"]["done"] == len(doors)
        incidents._kept.clear()  # as a new process reads it
        result["progress_cold_s"], _ = timed(lambda: incidents.progress(store, inc))
        result["sheet_s"], _ = timed(lambda: incidents.call_sheet(store, inc))
        result["stored_mib"] = os.path.getsize(f"{db}-incidents") / 2**20 if os.path.exists(f"{db}-incidents") else 0
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=2_000_000)
    parser.add_argument("--affected", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    parser.add_argument("--street-only", action="store_true", help="Only the comparison on the sample street.")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}\n")
    with tempfile.TemporaryDirectory() as folder, EmbeddedStore(Path(folder) / "street.db") as store:
        records, _ = generate_city(households=10**7, streets=1, seed=1)
        store.load((what, f"record {i}", rec) for i, (what, rec) in enumerate(records, 1))
        scenes = [(DEFAULT_MAX_HOUSEHOLDS, 0.0), (10, 0.1)]
        found = [(limit, gone, compare(store, limit, gone)) for limit, gone in scenes]
    for limit, gone, rows in found:
        print(f"Stand-ins for the uncovered households of the sample street ({rows[0][1]['households']:,}), as of "
              f"{AS_OF}, at most {limit} households a member" + (f", {gone:.0%} of the members unavailable" if gone else "")
              + ":\n")
        print("| way | placed | unplaced | most given to one member | members over their room "
              "| stand-in is who they call first already | mean distance (steps) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, plan, over, again in rows:
            mean = f"{plan['mean_distance']:.2f}" if plan["mean_distance"] is not None else "-"
            print(f"| {name} | {plan['placed']:,} | {plan['unplaced']:,} | {plan['most_given']} | {over} | {again:,} "
                  f"| {mean} |")
        print()
    if args.street_only:
        return
    r = city(args.households, args.affected, args.folder)
    print(f"\nAn incident over {r['streets']} streets of a {r['households']:,}-household city: {r['affected']:,} households, "
          f"{r['uncovered']:,} uncovered, {r['placed']:,} given a stand-in (embedded store):\n")
    print("| open (sheet and plan kept) s | mark median / p99 ms | progress: first / again / new process s "
          "| call sheet s | kept MiB | peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {r['open_s']:.2f} | {r['mark_median_ms']:.1f} / {r['mark_p99_ms']:.1f} "
          f"| {r['progress_first_s']:.2f} / {r['progress_s']:.3f} / {r['progress_cold_s']:.2f} | {r['sheet_s']:.2f} "
          f"| {r['stored_mib']:.1f} | {r['peak_mib']:.0f} |")


if __name__ == "__main__":
    main()
