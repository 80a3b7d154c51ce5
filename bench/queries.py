"""Query benchmark on generated cities: coverage, chains, gaps and the what-if, on the embedded store,
today and on a day in the past.

    python bench/queries.py                  # 200,000 and 2,000,000 households
    python bench/queries.py 50000 --folder bench/out

Cities are generated and loaded into ``--folder`` once and reused. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import time
from pathlib import Path

from orggraph.generate import write_city
from orggraph.io import load_file
from orggraph.queries import coverage, gaps, responsibility_chain
from orggraph.store import EmbeddedStore

AS_OF = "2026-11-23"
#: a day in the past: before the sample city's planted grid split and moves, and inside no flood window
PAST = "2024-06-30"


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def prepare(households: int, folder: Path) -> Path:
    db = folder / f"city-{households}.db"
    if db.exists():
        return db
    jsonl = folder / f"city-{households}.jsonl"
    if not jsonl.exists():
        write_city(str(jsonl), households=households, seed=1)
    partial = folder / f"city-{households}.partial.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    with EmbeddedStore(partial) as store:
        load_file(store, jsonl, progress=False)
    os.replace(partial, db)
    return db


def bench(households: int, folder: Path) -> dict:
    db = prepare(households, folder)
    result: dict = {"households": households}
    with EmbeddedStore(db) as store:
        store._write_conn().execute("DELETE FROM index_cache")  # measure the first build honestly
        store._write_conn().execute("DELETE FROM index_changes")
        result["index_build_s"], _ = timed(store.index)
    with EmbeddedStore(db) as store:
        result["reopen_index_s"], index = timed(store.index)
    result["coverage_all_areas_s"], report = timed(lambda: coverage(index, as_of=AS_OF), repeat=3)
    result["areas"] = len(report["areas"])
    rng = random.Random(7)
    households_ids = [index.ids[h] for h in index.of_kind("Household").tolist()]
    sample = rng.sample(households_ids, 1000)
    responsibility_chain(index, sample[0], as_of=AS_OF)  # the first call builds the lookup tables
    times = []
    for h in sample:
        start = time.perf_counter()
        responsibility_chain(index, h, as_of=AS_OF)
        times.append(time.perf_counter() - start)
    times.sort()
    result["chain_median_ms"] = statistics.median(times) * 1000
    result["chain_p99_ms"] = times[int(len(times) * 0.99) - 1] * 1000
    result["gaps_s"], _ = timed(lambda: gaps(index, as_of=AS_OF), repeat=2)
    # the same questions on a day in the past: its territory worked out when first asked, then kept
    result["past_coverage_first_s"], _ = timed(lambda: coverage(index, as_of=PAST))
    result["past_coverage_s"], _ = timed(lambda: coverage(index, as_of=PAST), repeat=3)
    responsibility_chain(index, sample[0], as_of=PAST)
    times = []
    for h in sample:
        start = time.perf_counter()
        responsibility_chain(index, h, as_of=PAST)
        times.append(time.perf_counter() - start)
    result["past_chain_median_ms"] = statistics.median(times) * 1000
    result["past_gaps_s"], _ = timed(lambda: gaps(index, as_of=PAST), repeat=2)
    members = [index.ids[m] for m in index.of_kind("Member").tolist()]
    gone = rng.sample(members, 1000)
    result["whatif_1000_unavailable_s"], _ = timed(lambda: coverage(index, as_of=AS_OF, unavailable=gone), repeat=3)
    with EmbeddedStore(db) as store:
        result.update(one_change(store))
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def one_change(store: EmbeddedStore) -> dict:
    """A household added (placed and contacted), its chain asked for, and the household removed again."""
    index = store.index()
    building = next(a["id"] for a in store.nodes("Area") if a.get("level") == "building")
    member = next(index.ids[m] for m in index.of_kind("Member").tolist() if not index.attrs["unavailable"][m])
    new = "h-bench-one-change"
    result = {}
    start = time.perf_counter()
    store.load([("node", "bench", {"id": new, "kind": "Household", "people": 2}),
                ("edge", "bench", {"type": "LOCATED_IN", "source": new, "target": building}),
                ("edge", "bench", {"type": "CONTACTS", "source": member, "target": new, "since": "2026-01-01"})])
    result["change_add_s"] = time.perf_counter() - start
    start = time.perf_counter()
    chain = responsibility_chain(store, new, as_of=AS_OF)
    result["change_first_chain_s"] = time.perf_counter() - start
    assert [link["member"] for link in chain["links"]][:1] == [member], "the new household's contact heads its chain"
    start = time.perf_counter()
    store.delete(nodes=[new])
    store.index()
    result["change_remove_s"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[200_000, 2_000_000])
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    results = [bench(n, args.folder) for n in args.sizes]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}\n")
    print("| households | areas | index build s | reopen index s | coverage all areas s | chain median ms | chain p99 ms | gaps s | what-if (1,000 unavailable) s "
          f"| one change: add / first chain / remove s | peak MiB | {PAST}: coverage first / again s | chain median ms | gaps s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['households']:,} | {r['areas']:,} | {r['index_build_s']:.2f} | {r['reopen_index_s']:.2f} "
              f"| {r['coverage_all_areas_s']:.3f} | {r['chain_median_ms']:.3f} | {r['chain_p99_ms']:.3f} "
              f"| {r['gaps_s']:.3f} | {r['whatif_1000_unavailable_s']:.3f} "
              f"| {r['change_add_s']:.2f} / {r['change_first_chain_s']:.2f} / {r['change_remove_s']:.2f} | {r['peak_mib']:.0f} "
              f"| {r['past_coverage_first_s']:.3f} / {r['past_coverage_s']:.3f} | {r['past_chain_median_ms']:.3f} "
              f"| {r['past_gaps_s']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
