"""API benchmark: the 200,000-household city behind a real uvicorn server, many clients at once.

    python bench/api.py                        # 200,000 households, 50 clients, 30 seconds, one process
    python bench/api.py --workers 2            # two server processes
    python bench/api.py --rate 4               # each client asks 4 times a second, not as fast as it can
    python bench/api.py 20000 --clients 20 --seconds 10
    python bench/api.py --falkordb --rate 4    # the API on a FalkorDB server of its own, the city copied in

Each client keeps one HTTP/1.1 connection and asks for a random household's chain (19 times in 20) or
coverage by community (1 in 20), with a token whose scope is the whole city: as fast as it can (a closed
loop: each request waits for the one before) or, with --rate, on a fixed schedule, so that the latency
is that of a server with that much traffic. Requests go to 127.0.0.1 only, and the run stops by itself.
Prints throughput and latency percentiles per question.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from queries import prepare  # noqa: E402  (the same cities as the other benchmarks)

from orggraph.access import create_token  # noqa: E402
from orggraph.store import EmbeddedStore  # noqa: E402
from orggraph.io import copy_store  # noqa: E402
from orggraph.store.local import LocalFalkorDB, free_port  # noqa: E402
from orggraph.store.server import connect  # noqa: E402


async def client(port: int, token: str, households: list[str], deadline: float, seed: int,
                 results: dict[str, list[float]], errors: list[int], rate: float = 0.0) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    due = time.perf_counter() + (rng.random() / rate if rate else 0.0)  # spread the clients' first requests
    try:
        while time.perf_counter() < deadline:
            if rate:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                due += 1 / rate
            if rng.random() < 0.05:
                kind, path = "coverage", "/coverage?level=community"
            else:
                kind, path = "chain", f"/households/{rng.choice(households)}/chain"
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                       "Connection: keep-alive\r\n\r\n").encode()
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            results[kind].append(time.perf_counter() - start)
            status = int(status_line.split()[1])
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def load(port: int, token: str, households: list[str], clients: int, seconds: float,
               rate: float) -> tuple[dict, list, float]:
    results: dict[str, list[float]] = {"chain": [], "coverage": []}
    errors: list[int] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client(port, token, households, deadline, i, results, errors, rate) for i in range(clients)))
    return results, errors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("households", nargs="?", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (orggraph serve --workers)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests a second per client; 0 (the default): as fast as each client can")
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    parser.add_argument("--falkordb", action="store_true", help="serve the city from a FalkorDB server of its own")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    db = prepare(args.households, args.folder)
    graph_server = LocalFalkorDB() if args.falkordb else None
    with EmbeddedStore(db) as store:
        streets = [a["id"] for a in store.nodes("Area") if a["level"] == "street"]
        households = sorted({e["source"] for e in store.edges("LOCATED_IN")})  # unlocated ones are in no scope
        if graph_server is None:
            token, _ = create_token(store, "viewer", streets)
            store.index()
            where = ["--db", str(db)]
        else:
            began = time.perf_counter()
            with connect(f"{graph_server.uri}/city") as on_server:
                copy_store(store, on_server)
                token, _ = create_token(on_server, "viewer", streets)
            print(f"copied the city to FalkorDB in {time.perf_counter() - began:.1f} s")
            where = ["--server", f"{graph_server.uri}/city"]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "orggraph", "serve", "--port", str(port), *where,
                               "--workers", str(args.workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/openapi.json", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        warm = urllib.request.Request(url + "/coverage?level=community", headers={"Authorization": f"Bearer {token}"})
        for _ in range(4 * args.workers):  # each worker works out the token's scope once, on first use
            urllib.request.urlopen(warm, timeout=120).read()
        results, errors, elapsed = asyncio.run(load(port, token, households, args.clients, args.seconds, args.rate))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if graph_server is not None:
            graph_server.stop()
    total = sum(len(v) for v in results.values())
    pace = f"each {args.rate:g} requests a second" if args.rate else "each as fast as it can"
    print(f"{args.households:,} households; {args.clients} clients ({pace}) for {elapsed:.1f} s against "
          f"{args.workers} uvicorn process{'es' if args.workers > 1 else ''}"
          f"{' on FalkorDB' if graph_server is not None else ''}; "
          f"{total:,} requests, {total / elapsed:.0f} a second, {len(errors)} not 200\n")
    print("| question | requests | a second | median ms | p90 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, times in results.items():
        if not times:
            continue
        times.sort()
        pct = lambda q: times[min(len(times) - 1, int(len(times) * q))] * 1000  # noqa: E731
        print(f"| {kind} | {len(times):,} | {len(times) / elapsed:.0f} | {statistics.median(times) * 1000:.1f} "
              f"| {pct(0.90):.1f} | {pct(0.99):.1f} | {times[-1] * 1000:.1f} |")
    if errors:
        print("\nstatuses other than 200:", json.dumps(sorted(set(errors))))


if __name__ == "__main__":
    main()
