"""Load benchmark: generate a city, load it into the embedded store, reopen it.

Each phase runs in a child process of its own, so its wall time and peak memory (the child's maximum
resident set, from the kernel) are its own. Run from the top of the repository:

    python bench/load.py                      # 200,000 and 2,000,000 households
    python bench/load.py 50000                # other sizes
    python bench/load.py --keep bench/out     # keep the files

Prints a Markdown table; ``--json FILE`` also writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PHASES = {
    "generate": """
        from orggraph.generate import write_city
        write_city(sys.argv[1], households=int(sys.argv[3]), seed=1)
    """,
    "load": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            load_file(store, sys.argv[1], progress=False)
    """,
    "reopen": """
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            counts = store.counts()
            assert counts["nodes"]["Household"] == int(sys.argv[3]), counts
    """,
    "read back": """
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            n = sum(1 for _ in store.nodes()) + sum(1 for _ in store.edges())
    """,
}


def run_phase(name: str, jsonl: Path, db: Path, households: int, phases: dict[str, str] = PHASES) -> dict:
    """Run one of ``phases`` in a child process of its own, with the file, the store and the size as its
    arguments: its wall time (s) and peak resident memory (MiB)."""
    code = "import sys\n" + textwrap.dedent(phases[name])
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(jsonl), str(db), str(households)])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"phase {name} failed with status {status}")
    return {"seconds": round(seconds, 2), "peak_mib": round(usage.ru_maxrss / 1024, 1)}


def bench(households: int, folder: Path) -> dict:
    jsonl = folder / f"city-{households}.jsonl"
    db = folder / f"city-{households}.db"
    for path in (jsonl, db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists():
            path.unlink()
    result = {"households": households}
    for name in PHASES:
        result[name] = run_phase(name, jsonl, db, households)
        print(f"  {households:>9,} {name:<10} {result[name]['seconds']:>8.2f} s {result[name]['peak_mib']:>8.1f} MiB",
              file=sys.stderr, flush=True)
    records = sum(1 for _ in jsonl.open("rb"))
    result["records"] = records
    result["jsonl_mib"] = round(jsonl.stat().st_size / 2**20, 1)
    result["db_mib"] = round(db.stat().st_size / 2**20, 1)
    result["load_us_per_record"] = round(result["load"]["seconds"] / records * 1e6, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[200_000, 2_000_000], help="households")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            results.append(bench(size, folder))
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}\n")
    print("| households | records | generate s | generate MiB | load s | load MiB | µs/record | reopen s | read back s | JSONL MiB | store MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['households']:,} | {r['records']:,} | {r['generate']['seconds']} | {r['generate']['peak_mib']} "
            f"| {r['load']['seconds']} | {r['load']['peak_mib']} | {r['load_us_per_record']} "
            f"| {r['reopen']['seconds']} | {r['read back']['seconds']} | {r['jsonl_mib']} | {r['db_mib']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
