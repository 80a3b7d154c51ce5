"""Robustness benchmark: ``orggraph.queries.robustness`` beside the plain networkx walk a user would write.

    python bench/robustness.py                              # a generated city of 200,000 households
    python bench/robustness.py --db city.db --areas s001 s002 --city
    python bench/robustness.py 50000 --folder bench/out --trials 100

For each street asked about (``--areas``; ``--city`` adds the whole city): the library's time, the best of
``--repeat`` runs once the store's query index is built; and what one writes without it, on the records as
a networkx graph (``OrgGraph.from_store``, timed apart): the street's households, their areas on the day
and their live contacts read from the graph, then in each trial ``random.sample`` of the contact members
and a walk over every household's contacts, counted into every area above it, and the households each
member alone answers for. The two are checked against each other: with share 0 both must be coverage's
rate in every area, to the last digit; with members drawn (not the same draws) their expected shares must
agree within the sampling error. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import time
from collections import Counter
from pathlib import Path

from orggraph.graph import OrgGraph
from orggraph.queries import coverage, robustness
from orggraph.store import EmbeddedStore

from queries import AS_OF, prepare  # noqa: E402  (bench/queries.py, run from bench/ or with it on the path)


def walk(G: OrgGraph, area: str | None, share: float, trials: int, seed: int, as_of: str) -> tuple[dict, float]:
    """Robustness as a user would work it out on the networkx graph: {area: (households, expected, p5,
    standard deviation of the covered share over the trials)}, with the totals under None; and the seconds
    spent reading the graph before the trials."""
    start = time.perf_counter()
    within = G.areas_within(area, as_of) if area else set(G.ids("Area"))
    households = G.households_in(area, as_of) if area else G.ids("Household")
    contacts = {h: G.contacts_of(h, as_of) for h in households}
    above: dict[str, set[str]] = {}
    for h in households:
        above[h] = {up for a in G.areas_of(h, as_of) for up in G.ancestry(a, as_of)} & within
    held = Counter(up for ups in above.values() for up in ups)
    pool = sorted({m for ms in contacts.values() for m in ms})
    read = time.perf_counter() - start
    lost = math.floor(share * len(pool) + 0.5)
    rng = random.Random(seed)
    covered: dict[str | None, list[int]] = {a: [] for a in within if held[a]}
    covered[None] = []
    cost: Counter = Counter()
    for _ in range(trials):
        gone = set(rng.sample(pool, lost))
        counts: Counter = Counter()
        total = 0
        for h in households:
            left = [m for m in contacts[h] if m not in gone]
            if left:
                total += 1
                counts.update(above[h])
                if len(left) == 1:
                    cost[left[0]] += 1
        covered[None].append(total)
        for a in covered:
            if a is not None:
                covered[a].append(counts[a])
    q = (trials - 1) // 20
    out = {}
    for a, row in covered.items():
        n = len(households) if a is None else held[a]
        mean = sum(row) / (trials * n)
        spread = math.sqrt(sum((c / n - mean) ** 2 for c in row) / max(1, trials - 1))
        out[a] = (n, round(mean, 6), round(sorted(row)[q] / n, 6), spread)
    return out, read


def run(store: EmbeddedStore, G: OrgGraph, area: str | None, share: float, trials: int, seed: int,
        repeat: int) -> dict:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        mine = robustness(store, area, share=share, trials=trials, seed=seed, as_of=AS_OF)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    theirs, read = walk(G, area, share, trials, seed, AS_OF)
    total = time.perf_counter() - start
    rows = {a["id"]: a for a in mine["areas"]}
    # agreement: at share 0 exact, and both coverage's rate; else the expected shares within sampling error
    if share == 0:
        plain = {a["id"]: a["rate"] for a in coverage(store, area=area, as_of=AS_OF)["areas"]}
        assert theirs[None][1] == mine["expected"] == coverage(store, area=area, as_of=AS_OF)["rate"]
        assert all(theirs[a][1] == rows[a]["expected"] == plain[a] for a in rows if a in theirs)
        agreement = "equal, and coverage's rate, in every area"
    else:
        # two means of the same spread over independent trials: the difference's standard error is
        # sqrt(2) times the spread over sqrt(trials) (the spread as the walk's trials show it)
        def z(a: str | None) -> float:
            mean = mine["expected"] if a is None else rows[a]["expected"]
            error = math.sqrt(2) * theirs[a][3] / math.sqrt(trials)
            return abs(theirs[a][1] - mean) / error if error else (0.0 if theirs[a][1] == mean else math.inf)

        worst = max(z(a) for a in [None, *(a for a in rows if a in theirs)])
        assert worst < 6, worst
        agreement = (f"expected {mine['expected']:.2%} / {theirs[None][1]:.2%}; in every area within "
                     f"{worst:.1f} standard errors")
    return {"area": area or "the whole city", "households": mine["households"], "areas": len(mine["areas"]),
            "pool": mine["pool"], "orggraph": best, "read": read, "walk": total, "agreement": agreement}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("households", nargs="?", type=int, default=200_000, help="the generated city's size")
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    parser.add_argument("--db", type=Path, help="a store already loaded, instead of a generated city")
    parser.add_argument("--areas", nargs="*", default=["s001"], help="the streets (or any areas) to ask about")
    parser.add_argument("--city", action="store_true", help="also the whole city")
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the library's question; the best counts")
    args = parser.parse_args()
    if args.db is None:
        args.folder.mkdir(parents=True, exist_ok=True)
        args.db = prepare(args.households, args.folder)
    with EmbeddedStore(args.db) as store:
        start = time.perf_counter()
        store.index()
        index_s = time.perf_counter() - start
        start = time.perf_counter()
        G = OrgGraph.from_store(store)
        graph_s = time.perf_counter() - start
        rows = []
        for area in [*args.areas, *([None] if args.city else [])]:
            for share in (0.0, args.share):
                rows.append((share, run(store, G, area, share, args.trials, args.seed, args.repeat)))
    print(f"{platform.machine()}, Python {platform.python_version()}; {args.db}; {args.trials} trials, seed "
          f"{args.seed}; the query index ready in {index_s:.1f} s, the networkx graph read in {graph_s:.1f} s\n")
    print("| area | households (areas) | share | orggraph | networkx walk (of which reading the graph) | speed-up | answers |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for share, r in rows:
        print(f"| {r['area']} | {r['households']:,} ({r['areas']:,}) | {share:g} of {r['pool']:,} | "
              f"{r['orggraph']:.3f} s | {r['walk']:.1f} s ({r['read']:.1f} s) | {r['walk'] / r['orggraph']:,.0f}x | "
              f"{r['agreement']} |")


if __name__ == "__main__":
    main()
