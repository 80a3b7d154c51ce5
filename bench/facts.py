"""Facts benchmark: each fact of the embedded index timed on a generated city.

    python bench/facts.py                    # 200,000 households
    python bench/facts.py 50000 --folder bench/out

The city is generated and loaded into ``--folder`` once (as by bench/queries.py) and reused.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from orggraph.facts import Day
from orggraph.store import EmbeddedStore

from queries import AS_OF, prepare  # noqa: E402  (bench/queries.py, run from bench/ or with it on the path)


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("households", nargs="?", type=int, default=200_000)
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    with EmbeddedStore(prepare(args.households, args.folder)) as store:
        index = store.index()
    facts = index.facts()
    day = Day(AS_OF)
    rng = random.Random(7)
    households = facts.ids("Household")
    areas = facts.ids("Area")
    rows = []

    def row(what: str, seconds: float) -> None:
        rows.append((what, seconds * 1000))

    start = time.perf_counter()
    facts.tally(day)
    row("tally, first (day-independent parts worked out)", time.perf_counter() - start)
    facts._days.clear()
    row("tally, a new day", best(lambda: (facts._days.clear(), facts.tally(day))))
    row("tally, the same day again", best(lambda: facts.tally(day)))
    row("households(uncovered)", best(lambda: facts.households(day, "uncovered")))
    row("households(lapsed)", best(lambda: facts.households(day, "lapsed")))
    row("households(all, within 100 areas)", best(lambda: facts.households(day, "all", within=areas[:100])))
    row("contact_load", best(lambda: facts.contact_load(day)))
    sample = rng.sample(households, 1000)
    facts.neighbourhood(day, sample[:1])
    times = []
    for h in sample:
        start = time.perf_counter()
        facts.neighbourhood(day, [h])
        times.append(time.perf_counter() - start)
    row("neighbourhood of one household (median of 1,000)", statistics.median(times))
    five = rng.sample(households, 5000)
    row("neighbourhood of 5,000 households", best(lambda: facts.neighbourhood(day, five), repeat=3))
    row("edges(GOVERNS, day)", best(lambda: facts.edges("GOVERNS", day=AS_OF)))
    members = facts.ids("Member")
    five_members = rng.sample(members, 5)
    row("edges(CONTACTS, 5 sources, day)", best(lambda: facts.edges("CONTACTS", sources=five_members, day=AS_OF)))
    many = rng.sample(members, min(20_000, len(members)))
    row(f"edges(CONTACTS, {len(many):,} sources, day)", best(lambda: facts.edges("CONTACTS", sources=many, day=AS_OF)))
    hundred = rng.sample(areas, 100)
    row("present, 100 areas", best(lambda: facts.present(day, hundred)))
    print(f"{args.households:,} households, {len(areas):,} areas, {len(members):,} members\n")
    print("| fact | ms |\n|---|---:|")
    for what, ms in rows:
        print(f"| {what} | {ms:.3f} |")


if __name__ == "__main__":
    main()
