"""Concurrency benchmark: writers and readers at once against a real ``orggraph serve``, a CLI load beside.

    python bench/concurrency.py                      # 20,000 households; 1 and 2 workers; a 100,000 load
    python bench/concurrency.py 5000 --load 30000 --writers 4 --per-writer 30 --workers 1
    python bench/concurrency.py 5000 --load 30000 --falkordb --workers 1   # on a FalkorDB server of its own

A city is generated and loaded into a store, which is copied for each run. For each number of server
processes: ``orggraph serve`` on loopback; N writer threads, each adding households one at a time
(``POST /households`` with a place and a contact), reading each back at once, changing some
(``PUT /households/{id}``, then read back) and adding a second contact to some (``POST /edges``, then
``GET /edges?node=`` must list it); M reader threads asking for chains, coverage and, with a pii token,
the households the writers have just added (each must be there, with the phone and a head count that
was written); one thread asking ``GET /health`` every 0.1 s; and, a second in, ``orggraph load`` of a
larger city into the same store file from the command line (a long write transaction).

Counts wrong answers (a write not readable at once by its writer, a read that disagrees with what was
written), answers of 500 and over (of them 503, the store busy beyond the API's wait, said plainly),
and latency: the median and 99th percentile of each request, and of /health while the load ran.
Prints a Markdown table. :func:`run` is what the test suite runs, smaller.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DAY = "2026-11-23"


@dataclass
class Results:
    """What one run saw."""

    workers: int
    wrong: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # 5xx, with the body's first characters
    busy: int = 0  # of them, 503 with Retry-After: the store busy beyond the API's wait
    other: list[str] = field(default_factory=list)  # any other answer that was not expected
    times: dict[str, list[float]] = field(default_factory=dict)
    health: list[tuple[float, float]] = field(default_factory=list)  # (when, seconds)
    load: tuple[float, float, int, str] | None = None  # (start, end, exit status, stderr's end)
    lock = threading.Lock()

    def note(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times.setdefault(kind, []).append(seconds)

    def requests(self) -> int:
        return sum(len(v) for v in self.times.values())

    def health_during_load(self) -> list[float]:
        if self.load is None:
            return []
        start, end = self.load[0], self.load[1]
        return [s for when, s in self.health if start <= when <= end]

    def health_while_held(self) -> list[float]:
        """/health's latencies while the write lock was held by :func:`hold_lock`."""
        start, end = getattr(self, "held", (0.0, -1.0))
        return [s for when, s in self.health if start <= when <= end]


class Client:
    """One keep-alive HTTP connection to the server, with a token."""

    def __init__(self, port: int, token: str, results: Results):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token, self.results = token, results

    def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
            raw = answer.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # one retry on a fresh connection: the server may have closed an idle one
            self.conn.request(method, path, body=data, headers=headers)
            answer = self.conn.getresponse()
            raw = answer.read()
        self.results.note(kind, time.perf_counter() - start)
        status = answer.status
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"text": raw.decode(errors="replace")}  # not JSON: a wrong shape, whatever the status
        if status >= 500:
            with self.results.lock:
                self.results.server_errors.append(f"{method} {path.split('?')[0]}: {status} {str(parsed)[:200]}")
                if status == 503 and answer.getheader("Retry-After") and isinstance(parsed, dict) and "error" in parsed:
                    self.results.busy += 1
        return status, parsed


class Written:
    """What the writers have written and been told was written: each household's phone and head counts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.households: dict[str, tuple[str, set[int]]] = {}

    def add(self, household: str, phone: str, people: int) -> None:
        with self.lock:
            phone_, counts = self.households.get(household, (phone, set()))
            self.households[household] = (phone_, counts | {people})

    def will_be(self, household: str, people: int) -> None:  # a change on its way: either count may be read
        with self.lock:
            phone, counts = self.households[household]
            self.households[household] = (phone, counts | {people})

    def counts(self, household: str) -> set[int]:
        with self.lock:
            return set(self.households[household][1])

    def sample(self, rng: random.Random) -> tuple[str, str, set[int]] | None:
        with self.lock:
            if not self.households:
                return None
            household = rng.choice(list(self.households))
            phone, counts = self.households[household]
            return household, phone, set(counts)


def wrong(results: Results, what: str) -> None:
    with results.lock:
        results.wrong.append(what)


def unexpected(results: Results, what: str, status: int, body: Any) -> None:
    if status >= 500:
        return  # counted as a server error already
    with results.lock:
        results.other.append(f"{what}: {status} {str(body)[:200]}")


def guarded(target: Any) -> Any:
    """A thread's work, its failure counted (a wrong answer: a client never stops on a good one)."""

    def run(*args: Any) -> None:
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001
            results = next(a for a in args if isinstance(a, Results))
            wrong(results, f"{target.__name__} stopped: {type(exc).__name__}: {exc}")

    return run


def writer(port: int, token: str, results: Results, written: Written, city: dict, index: int, count: int,
           seed: int, deadline: float) -> None:
    rng = random.Random(seed * 1000 + index)
    client = Client(port, token, results)
    for i in range(count):
        if time.perf_counter() > deadline:
            wrong(results, f"writer {index} ran out of time after {i} of {count} households")
            return
        household = f"hx{seed}-{index:02d}-{i:04d}"
        phone = f"139{rng.randrange(10**8):08d}"
        people = rng.randint(1, 6)
        building, contact, other = rng.choice(city["buildings"]), *rng.sample(city["contacts"], 2)
        body = {"id": household, "kind": "Household", "phone": phone, "people": people,
                "address": f"测试小区{index}栋{i}室",
                "edges": [{"type": "LOCATED_IN", "source": household, "target": building},
                          {"type": "CONTACTS", "source": contact, "target": household, "since": "2025-01-01"}]}
        status, answer = client.call("POST /households", "POST", "/households", body)
        if status == 404 or (status == 201 and (answer.get("phone"), answer.get("people")) != (phone, people)):
            wrong(results, f"POST /households {household}: {status} {str(answer)[:200]}")
            continue
        if status != 201:
            unexpected(results, f"POST /households {household}", status, answer)
            continue
        written.add(household, phone, people)
        status, answer = client.call("GET /households/{id} (writer)", "GET", f"/households/{household}")
        if status != 200 or (answer.get("phone"), answer.get("people")) != (phone, people):
            wrong(results, f"GET /households/{household} after its POST: {status} {str(answer)[:200]}")
        if i % 3 == 0:
            people = people % 6 + 1
            written.will_be(household, people)
            change = {"phone": phone, "people": people, "address": body["address"]}
            status, answer = client.call("PUT /households/{id}", "PUT", f"/households/{household}", change)
            if status == 200 and answer.get("people") != people or status == 404:
                wrong(results, f"PUT /households/{household}: {status} {str(answer)[:200]}")
            elif status != 200:
                unexpected(results, f"PUT /households/{household}", status, answer)
            else:
                status, answer = client.call("GET /households/{id} (writer)", "GET", f"/households/{household}")
                if status != 200 or answer.get("people") != people:
                    wrong(results, f"GET /households/{household} after its PUT: {status} {str(answer)[:200]}")
        if i % 5 == 0:
            edge = {"type": "CONTACTS", "source": other, "target": household, "since": "2025-06-01"}
            status, answer = client.call("POST /edges", "POST", "/edges", edge)
            if status == 404 or status == 201 and (answer.get("source"), answer.get("target")) != (other, household):
                wrong(results, f"POST /edges {other}->{household}: {status} {str(answer)[:200]}")
            elif status != 201:
                unexpected(results, f"POST /edges {other}->{household}", status, answer)
            else:
                status, answer = client.call("GET /edges (writer)", "GET", f"/edges?node={household}&type=CONTACTS")
                sources = {e["source"] for e in answer.get("items", [])} if status == 200 else set()
                if status != 200 or other not in sources:
                    wrong(results, f"GET /edges?node={household} after its POST: {status} {str(answer)[:200]}")


def reader(port: int, token: str, results: Results, written: Written, city: dict, index: int, stop: threading.Event,
           seed: int) -> None:
    rng = random.Random(seed * 7919 + index)
    client = Client(port, token, results)
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.5:
            sample = written.sample(rng)
            if sample is None:
                time.sleep(0.01)
                continue
            household, phone, _ = sample
            status, answer = client.call("GET /households/{id} (pii)", "GET", f"/households/{household}")
            counts = written.counts(household)  # as told by now: a change is noted before it is sent
            if status != 200 or answer.get("phone") != phone or answer.get("people") not in counts:
                wrong(results, f"GET /households/{household} (pii): {status} {str(answer)[:200]}; written: {phone}, {sorted(counts)}")
        elif roll < 0.6:
            status, answer = client.call("GET /households (pii)", "GET", "/households?limit=50")
            if status != 200:
                unexpected(results, "GET /households", status, answer)
        elif roll < 0.9:
            household = rng.choice(city["households"])
            status, answer = client.call("GET chain", "GET", f"/households/{household}/chain?as_of={DAY}")
            if status != 200:
                unexpected(results, f"GET /households/{household}/chain", status, answer)
        else:
            status, answer = client.call("GET /coverage", "GET", f"/coverage?level=community&as_of={DAY}")
            if status != 200:
                unexpected(results, "GET /coverage", status, answer)


def health(port: int, results: Results, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while not stop.is_set():
        start = time.perf_counter()
        conn.request("GET", "/health")
        answer = conn.getresponse()
        answer.read()
        with results.lock:
            results.health.append((start, time.perf_counter() - start))
        if answer.status != 200:
            with results.lock:
                (results.server_errors if answer.status >= 500 else results.other).append(f"GET /health: {answer.status}")
        stop.wait(0.1)


def cli_load(db: Path, file: Path, results: Results, delay: float, env: dict[str, str], where: list[str]) -> None:
    time.sleep(delay)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "orggraph", "load", str(file), *where],
                          capture_output=True, text=True, env=env, cwd=db.parent, timeout=1800)
    results.load = (start, time.perf_counter(), done.returncode, done.stderr[-500:])


def hold_lock(db: Path, results: Results, delay: float, seconds: float) -> None:
    """Hold the store's write lock from this process (not the server's) for a while, as a load would."""
    import sqlite3

    time.sleep(delay)
    conn = sqlite3.connect(db, isolation_level=None, timeout=600)
    conn.execute("BEGIN IMMEDIATE")
    start = time.perf_counter()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()
    results.held = (start, time.perf_counter())  # type: ignore[attr-defined]


def city_facts(db: Path) -> dict:
    """The ids the clients use: buildings to place households in, members who contact, households."""
    from orggraph.store import EmbeddedStore

    with EmbeddedStore(db) as store:
        return {
            "buildings": [a["id"] for a in store.nodes("Area") if a["level"] == "building"],
            "contacts": sorted({e["source"] for e in store.edges("CONTACTS")}),
            "households": sorted({e["source"] for e in store.edges("LOCATED_IN")}),
        }


def wait_until_up(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {process.stdout.read() if process.stdout else ''}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def run(db: Path, load_file: Path, *, workers: int = 1, writers: int = 6, per_writer: int = 60, readers: int = 4,
        load_after: float = 1.0, seed: int = 1, env: dict[str, str] | None = None, seconds: float = 600,
        hold: tuple[float, float] | None = None, server: str | None = None) -> Results:
    """One run against ``db`` (changed by it): serve it, write, read and load beside, and count. A writer
    that has not finished within ``seconds`` stops, and says so among the wrong answers. ``hold``, (after,
    seconds): also hold the store's write lock from this process, as a load of that length would.
    ``server``: serve and load the graph server at this URI instead (the city copied there, and its
    tokens, by :func:`to_server`).

    The store must hold a city and two tokens made by :func:`prepare_tokens`, named in ``db``'s
    ``.tokens.json`` beside it.
    """
    from orggraph.store.local import free_port

    db, load_file = Path(db).resolve(), Path(load_file).resolve()
    tokens = json.loads(Path(f"{db}.tokens.json").read_text())
    city = city_facts(db)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ORGGRAPH_")}, **(env or {})}
    port = free_port()
    where = ["--server", server] if server else ["--db", str(db)]
    server = subprocess.Popen([sys.executable, "-m", "orggraph", "serve", "--port", str(port), *where,
                               "--workers", str(workers)], env=env, cwd=db.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    results, written, stop = Results(workers), Written(), threading.Event()
    log: list[str] = []
    try:
        wait_until_up(port, server)
        threading.Thread(target=lambda: log.extend(server.stdout), daemon=True).start()  # keep the pipe drained
        writing = [threading.Thread(target=guarded(writer), args=(port, tokens["editor"], results, written, city, i, per_writer, seed,
                                                             time.perf_counter() + seconds))
                   for i in range(writers)]
        reading = [threading.Thread(target=guarded(reader), args=(port, tokens["viewer"], results, written, city, i, stop, seed))
                   for i in range(readers)]
        beside = [threading.Thread(target=guarded(health), args=(port, results, stop)),
                  threading.Thread(target=cli_load, args=(db, load_file, results, load_after, env, where))]
        if hold:
            beside.append(threading.Thread(target=hold_lock, args=(db, results, *hold)))
        for thread in writing + reading + beside:
            thread.start()
        for thread in writing:
            thread.join()
        for thread in beside[1:]:  # the load, and the lock held, to their end
            thread.join()
        stop.set()
        for thread in reading + beside:
            thread.join()
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    results.log = log  # type: ignore[attr-defined]
    return results


def prepare_tokens(db: Path) -> None:
    """An editor and a viewer for the whole city, both shown personal data; saved beside the store."""
    from orggraph.access import create_token
    from orggraph.store import EmbeddedStore

    with EmbeddedStore(db) as store:
        streets = [a["id"] for a in store.nodes("Area") if a["level"] == "street"]
        editor, _ = create_token(store, "editor", streets, pii=True)
        viewer, _ = create_token(store, "viewer", streets, pii=True)
        store.index()
    Path(f"{db}.tokens.json").write_text(json.dumps({"editor": editor, "viewer": viewer}))


def copy_store(source: Path, target: Path) -> None:
    """A copy of a closed store (its WAL folded in), with its tokens' file."""
    for path in Path(target).parent.glob(Path(target).name + "*"):
        path.unlink()
    shutil.copyfile(source, target)
    shutil.copyfile(f"{source}.tokens.json", f"{target}.tokens.json")


def prepare(households: int, load_households: int, folder: Path) -> tuple[Path, Path]:
    """The base store (a city of ``households``, with tokens) and the file of a larger city to load beside."""
    from orggraph.generate import write_city
    from orggraph.io import load_file
    from orggraph.store import EmbeddedStore

    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"conc-{households}.db"
    big = folder / f"conc-load-{load_households}.jsonl"
    if not big.exists():
        write_city(str(big), households=load_households, seed=1)  # the same city, larger: many records change
    if not base.exists() or not Path(f"{base}.tokens.json").exists():
        city = folder / f"conc-{households}.jsonl"
        write_city(str(city), households=households, seed=1)
        for path in folder.glob(base.name + "*"):
            path.unlink()
        with EmbeddedStore(base) as store:
            load_file(store, city, progress=False)
        prepare_tokens(base)
        with EmbeddedStore(base) as store:  # fold the WAL into the file, so that a copy of it is whole
            store._write_conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return base, big


def to_server(db: Path, uri: str) -> None:
    """The city of a store file copied to a graph server, with tokens of its own (replacing the file's)."""
    from orggraph.access import create_token
    from orggraph.io import copy_store as copy
    from orggraph.store import EmbeddedStore
    from orggraph.store.server import connect

    with EmbeddedStore(db) as store, connect(uri) as on_server:
        copy(store, on_server)
        streets = [a["id"] for a in on_server.nodes("Area") if a["level"] == "street"]
        editor, _ = create_token(on_server, "editor", streets, pii=True)
        viewer, _ = create_token(on_server, "viewer", streets, pii=True)
    Path(f"{db}.tokens.json").write_text(json.dumps({"editor": editor, "viewer": viewer}))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def report(results: Results) -> str:
    lines = [f"### {results.workers} worker{'s' if results.workers > 1 else ''}", ""]
    if results.load:
        start, end, code, err = results.load
        lines.append(f"CLI load: {end - start:.1f} s, exit {code}" + (f": {err.strip()[-300:]}" if code else ""))
    lines.append(f"requests {results.requests():,}; wrong answers {len(results.wrong)}; 5xx {len(results.server_errors)} "
                 f"(503 busy {results.busy}); other unexpected {len(results.other)}")
    lines += ["", "| request | count | median ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for kind, times in sorted(results.times.items()):
        lines.append(f"| {kind} | {len(times):,} | {statistics.median(times) * 1000:.1f} | {percentile(times, 0.99) * 1000:.1f} "
                     f"| {max(times) * 1000:.1f} |")
    during = results.health_during_load()
    every = [s for _, s in results.health]
    for label, values in (("GET /health, during the load", during), ("GET /health, write lock held", results.health_while_held()),
                          ("GET /health, all run", every)):
        if values:
            lines.append(f"| {label} | {len(values):,} | {statistics.median(values) * 1000:.1f} | "
                         f"{percentile(values, 0.99) * 1000:.1f} | {max(values) * 1000:.1f} |")
    for title, items in (("wrong answers", results.wrong), ("5xx", results.server_errors), ("other", results.other)):
        if items:
            lines += ["", f"{title} (first 10 of {len(items)}):"] + [f"- {w}" for w in items[:10]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("households", nargs="?", type=int, default=20_000, help="the city served")
    parser.add_argument("--load", type=int, default=100_000, help="households of the larger city loaded beside")
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--per-writer", type=int, default=60, help="households each writer adds")
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="server processes, one run each")
    parser.add_argument("--seconds", type=float, default=600, help="a writer not done by then stops")
    parser.add_argument("--hold", type=float, default=0, metavar="SECONDS",
                        help="also hold the store's write lock this long from another process, 2 s in")
    parser.add_argument("--falkordb", action="store_true", help="serve the city from a FalkorDB server of its own")
    parser.add_argument("--folder", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    base, big = prepare(args.households, args.load, args.folder)
    print(f"{args.households:,} households served; {args.writers} writers x {args.per_writer} households, "
          f"{args.readers} readers; `orggraph load` of {args.load:,} households beside\n")
    failed = False
    for seed, workers in enumerate(args.workers, start=1):
        db = args.folder / f"conc-run-{workers}.db"
        copy_store(base, db)
        graph_server = uri = None
        if args.falkordb:
            from orggraph.store.local import LocalFalkorDB

            graph_server = LocalFalkorDB()
            uri = f"{graph_server.uri}/city"
            to_server(db, uri)
        try:
            results = run(db, big, workers=workers, writers=args.writers, per_writer=args.per_writer,
                          readers=args.readers, seed=seed, seconds=args.seconds,
                          hold=(2.0, args.hold) if args.hold and not uri else None, server=uri)
        finally:
            if graph_server is not None:
                graph_server.stop()
        print(report(results) + (" (on FalkorDB)" if uri else ""), "\n", flush=True)
        failed |= bool(results.wrong or results.server_errors)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
