"""Server benchmark: one generated city on FalkorDB and on Neo4j beside the embedded store, in one run.

    python bench/server.py                        # 200,000 households; a FalkorDB and a Neo4j started for the run
    python bench/server.py 50000 --servers neo4j
    ORGGRAPH_SERVER=bolt://host:7687 python bench/server.py --servers neo4j   # an existing server

Loads the city into each server, then times coverage of every area, the what-if, chains (median and
99th percentile over --chains households), gaps, a token's scope (one community, the whole city), an
incident of one community and reading every record, on each backend, and checks every answer equal to
the embedded store's.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import AS_OF, prepare  # noqa: E402  (the same cities as the query benchmark)

from orggraph.access import scope_of  # noqa: E402
from orggraph.io import read_file  # noqa: E402
from orggraph.queries import coverage, gaps, incident, responsibility_chain  # noqa: E402
from orggraph.store import EmbeddedStore  # noqa: E402
from orggraph.store.local import LocalFalkorDB, LocalNeo4j  # noqa: E402
from orggraph.store.server import connect  # noqa: E402

NAMES = {"falkordb": "FalkorDB", "neo4j": "Neo4j"}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def questions(store, sample: list[str], streets: list[str], community: str, gone: list[str]) -> dict:
    """Each question asked of one store: {row: (seconds, answer)}."""
    found: dict = {}
    found["coverage, all areas, first question after a load"] = timed(lambda: coverage(store, as_of=AS_OF))
    found["coverage, all areas, again"] = timed(lambda: coverage(store, as_of=AS_OF))
    found["coverage with 1,000 members unavailable"] = timed(lambda: coverage(store, as_of=AS_OF, unavailable=gone))
    chains = [timed(lambda: responsibility_chain(store, h, as_of=AS_OF)) for h in sample]
    times = sorted(t for t, _ in chains)
    answers = [a for _, a in chains]
    found["chain, median"] = (statistics.median(times), answers)
    found["chain, 99th percentile"] = (times[max(0, int(len(times) * 0.99) - 1)], answers)
    found["gaps"] = timed(lambda: gaps(store, as_of=AS_OF))
    found["a token's scope: one community"] = timed(lambda: scope_of(store, [community]))
    found["a token's scope: the whole city"] = timed(lambda: scope_of(store, streets))
    found["an incident of one community (its call sheet)"] = timed(lambda: incident(store, [community], as_of=AS_OF))
    found["read every node, in id order (export)"] = timed(lambda: sum(1 for _ in store.nodes()))
    found["read every edge, in key order (export)"] = timed(lambda: sum(1 for _ in store.edges()))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("households", nargs="?", type=int, default=200_000)
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    parser.add_argument("--chains", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--servers", default="falkordb,neo4j", help="which, comma separated (default: both)")
    parser.add_argument("--neo4j-heap", default="4g", help="the started Neo4j's JVM heap (default 4g)")
    args = parser.parse_args()
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.folder.mkdir(parents=True, exist_ok=True)
    db = prepare(args.households, args.folder)
    jsonl = args.folder / f"city-{args.households}.jsonl"

    embedded = EmbeddedStore(db)
    embedded.index()
    households = [h["id"] for h in embedded.nodes("Household")]
    sample = random.Random(7).sample(households, args.chains)
    streets = [a["id"] for a in embedded.nodes("Area") if a["level"] == "street"]
    community = next(a["id"] for a in embedded.nodes("Area") if a["level"] == "community")
    gone = [m["id"] for m in embedded.nodes("Member")][:1000]
    results = {"embedded": questions(embedded, sample, streets, community, gone)}
    loads, notes = {}, []
    for name in servers:
        uri, local = os.environ.get("ORGGRAPH_SERVER"), None
        if not uri:
            local = LocalFalkorDB() if name == "falkordb" else LocalNeo4j(heap=args.neo4j_heap, quick=False)
            uri = local.uri
        try:
            database = f"bench_{args.households}" if name == "falkordb" else "neo4j"  # Community: one database
            server = connect(uri, database=database, batch_size=args.batch_size)
            server.clear()
            loads[name], report = timed(lambda: server.load(read_file(jsonl, progress=False)))
            if server.conn.dialect == "falkordb":
                used = server.conn.command("INFO", "memory")["used_memory"]
                graph = server.conn.command("GRAPH.MEMORY", "USAGE", server.conn.database)
                sizes = dict(zip(graph[0::2], graph[1::2]))
                notes.append(f"FalkorDB held the city in {used / 2**20:.0f} MiB (graph {sizes['total_graph_sz_mb']} MB, "
                             f"indexes {sizes['indices_sz_mb']} MB)")
            results[name] = questions(server, sample, streets, community, gone)
            for row, (_, answer) in results[name].items():
                assert answer == results["embedded"][row][1], f"{NAMES[name]} and the embedded store disagree: {row}"
            server.clear()
            server.close()
        finally:
            if local is not None:
                local.stop()

    print(f"{args.households:,} households, {report.records:,} records; every answer checked equal on each backend")
    if notes:
        print("; ".join(notes))
    print()
    columns = [*servers, "embedded"]
    print("| question | " + " | ".join(NAMES.get(c, c) for c in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    print("| load | " + " | ".join(f"{loads[c]:.1f} s" for c in servers) + " | |")
    for row in results["embedded"]:
        unit, scale = ("ms", 1000) if "chain" in row else ("s", 1)
        print(f"| {row} | " + " | ".join(f"{results[c][row][0] * scale:.3f} {unit}" for c in columns) + " |")


if __name__ == "__main__":
    main()
