"""Server benchmark: the 200,000-household city on FalkorDB beside the embedded store, in one run.

    python bench/server.py                   # 200,000 households, a FalkorDB started for the run
    python bench/server.py 50000
    ORGGRAPH_SERVER=falkordb://host:port python bench/server.py   # an existing server

Loads the city into the server, then times coverage of every area, chains (median and 99th
percentile over --chains households) and gaps on both backends, and prints the ratios.
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
from orggraph.queries import coverage, gaps, responsibility_chain  # noqa: E402
from orggraph.store import EmbeddedStore  # noqa: E402
from orggraph.store.local import LocalFalkorDB  # noqa: E402
from orggraph.store.server import connect  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("households", nargs="?", type=int, default=200_000)
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    parser.add_argument("--chains", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    db = prepare(args.households, args.folder)
    jsonl = args.folder / f"city-{args.households}.jsonl"
    server_uri, local = os.environ.get("ORGGRAPH_SERVER"), None
    if not server_uri:
        local = LocalFalkorDB()
        server_uri = local.uri
    try:
        server = connect(server_uri, database=f"bench_{args.households}", batch_size=args.batch_size)
        server.clear()
        t_load, report = timed(lambda: server.load(read_file(jsonl, progress=False)))
        memory = ""
        if server.conn.dialect == "falkordb":
            used = server.conn.command("INFO", "memory")["used_memory"]
            graph = server.conn.command("GRAPH.MEMORY", "USAGE", server.conn.database)
            sizes = dict(zip(graph[0::2], graph[1::2]))
            memory = (f"; server memory {used / 2**20:.0f} MiB in all, graph {sizes['total_graph_sz_mb']} MB "
                      f"and indexes {sizes['indices_sz_mb']} MB")
        embedded = EmbeddedStore(db)
        embedded.index()
        rows = [("load", t_load, None)]
        t_s, cov_s = timed(lambda: coverage(server, as_of=AS_OF))
        t_e, cov_e = timed(lambda: coverage(embedded, as_of=AS_OF))
        assert cov_s == cov_e, "the backends disagree on coverage"
        rows.append(("coverage, all areas (first: also fetches the territory)", t_s, t_e))
        t_s, _ = timed(lambda: coverage(server, as_of=AS_OF))
        t_e, _ = timed(lambda: coverage(embedded, as_of=AS_OF))
        rows.append(("coverage, all areas (again)", t_s, t_e))
        gone = [m["id"] for m in embedded.nodes("Member")][:1000]
        t_s, cov_s = timed(lambda: coverage(server, as_of=AS_OF, unavailable=gone))
        t_e, cov_e = timed(lambda: coverage(embedded, as_of=AS_OF, unavailable=gone))
        assert cov_s == cov_e, "the backends disagree on coverage with members unavailable"
        rows.append(("coverage, 1,000 members unavailable", t_s, t_e))
        households = [h["id"] for h in embedded.nodes("Household")]
        sample = random.Random(7).sample(households, args.chains)
        chain_s, chain_e = [], []
        for h in sample:
            a, res_s = timed(lambda: responsibility_chain(server, h, as_of=AS_OF))
            b, res_e = timed(lambda: responsibility_chain(embedded, h, as_of=AS_OF))
            assert res_s == res_e, f"the backends disagree on the chain of {h}"
            chain_s.append(a)
            chain_e.append(b)
        chain_s.sort()
        chain_e.sort()
        p99 = max(0, int(len(sample) * 0.99) - 1)
        rows.append(("chain median", statistics.median(chain_s), statistics.median(chain_e)))
        rows.append(("chain p99", chain_s[p99], chain_e[p99]))
        t_s, gaps_s = timed(lambda: gaps(server, as_of=AS_OF))
        t_e, gaps_e = timed(lambda: gaps(embedded, as_of=AS_OF))
        assert gaps_s == gaps_e, "the backends disagree on gaps"
        rows.append(("gaps", t_s, t_e))
        streets = [a["id"] for a in embedded.nodes("Area") if a["level"] == "street"]
        community = next(a["id"] for a in embedded.nodes("Area") if a["level"] == "community")
        for name, areas in (("an API token's scope: one community", [community]),
                            ("an API token's scope: the whole city", streets)):
            t_s, scope_s = timed(lambda: scope_of(server, areas))
            t_e, scope_e = timed(lambda: scope_of(embedded, areas))
            assert scope_s == scope_e, f"the backends disagree on the scope of {areas}"
            rows.append((name, t_s, t_e))
        t_s, nodes_s = timed(lambda: sum(1 for _ in server.nodes()))
        t_e, nodes_e = timed(lambda: sum(1 for _ in embedded.nodes()))
        assert nodes_s == nodes_e, "the backends disagree on the number of nodes"
        rows.append(("read every node, in id order (export)", t_s, t_e))
        t_s, edges_s = timed(lambda: sum(1 for _ in server.edges()))
        t_e, edges_e = timed(lambda: sum(1 for _ in embedded.edges()))
        assert edges_s == edges_e, "the backends disagree on the number of edges"
        rows.append(("read every edge, in key order (export)", t_s, t_e))
        print(f"{args.households:,} households, {report.records:,} records; {server.conn.dialect} at {server_uri}"
              f"{memory}; answers checked equal on both backends\n")
        print("| question | FalkorDB | embedded | ratio |")
        print("|---|---:|---:|---:|")
        for name, s, e in rows:
            unit, scale = ("ms", 1000) if "chain" in name else ("s", 1)
            if e is None:
                print(f"| {name} | {s * scale:.3f} {unit} | | |")
            else:
                print(f"| {name} | {s * scale:.3f} {unit} | {e * scale:.3f} {unit} | {s / e:.0f}x |")
        server.clear()
        server.close()
    finally:
        if local is not None:
            local.stop()


if __name__ == "__main__":
    main()
