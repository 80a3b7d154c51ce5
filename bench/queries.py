"""Query benchmark on generated cities: coverage, chains, gaps and the what-if, on the embedded store,
today and on a day in the past; and coverage of every area beside a plain networkx walk and DuckDB.

    python bench/queries.py                  # 200,000 and 2,000,000 households
    python bench/queries.py 50000 --folder bench/out

Cities are generated (``city-N.jsonl``) and loaded (``city-N.db``) into ``--folder`` once and reused, so
``python bench/load.py N --keep FOLDER`` leaves one ready. The peak memory is this process's, taken
before the comparison below.

Coverage of every area is then worked out three ways in the same run, on the same city (the JSONL file
and the store loaded from it) and the same day (:data:`AS_OF`):

- **orggraph**: ``coverage(store, as_of=AS_OF)`` on the store opened afresh: the first question, then the
  best of ``--repeat`` (the territory of the day is kept once worked out);
- **networkx**: the file read once into a :class:`networkx.DiGraph` (:func:`read_graph`, timed apart),
  then for each household a walk up its ``LOCATED_IN`` and ``WITHIN`` edges valid on the day to every area
  above it, counting it and whether a member who is not unavailable contacts it that day
  (:func:`walk_coverage`), the best of ``--repeat``;
- **DuckDB**: the file read into tables (``load_duckdb`` of ``bench/load.py``, in memory, timed apart),
  then one statement, ``WITH RECURSIVE`` over the ``WITHIN`` edges valid on the day
  (:data:`COVERAGE_SQL`), the best of ``--repeat``.

All three count what ``orggraph.queries.coverage`` counts (households, covered, people, people covered,
vulnerable and vulnerable covered) for every area taking part on the day, and the answers are checked
equal area by area, on :data:`AS_OF` and on :data:`PAST`. The times are given as ratios to orggraph's:
taken in the same run, they hold better on a busy machine than the times alone. DuckDB comes with
``pip install -e '.[bench]'``; orggraph itself never imports it.

Prints two Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import networkx as nx
import orjson

from load import load_duckdb  # bench/load.py (bench/ is on the path when this file is run)
from orggraph.generate import write_city
from orggraph.io import load_file
from orggraph.queries import coverage, gaps, responsibility_chain
from orggraph.store import EmbeddedStore

AS_OF = "2026-11-23"
#: a day in the past: before the sample city's planted grid split and moves, and inside no flood window
PAST = "2024-06-30"


#: the columns of coverage each way counts, in the order of ``orggraph.facts.FIGURES``
FIGURES = ("households", "covered", "people", "people_covered", "vulnerable", "vulnerable_covered")

#: the edge types whose dates decide which areas take part on a day (the domain's rule: an area with no
#: relation valid on the day takes no part; one with no relation at all does)
GROUND = ("WITHIN", "LOCATED_IN", "GOVERNS", "ASSIGNED_TO")


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Call ``fn`` ``repeat`` times: the best wall time (s) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def prepare(households: int, folder: Path) -> Path:
    """The store of a generated city of ``households`` in ``folder``, its JSONL file beside it: generated
    (seed 1) and loaded if not there yet.

    Returns
    -------
    Path
        The store file.
    """
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


def bench(households: int, folder: Path, repeat: int = 3) -> dict:
    """Every question on a city of ``households`` in ``folder`` (generated and loaded first if need be),
    then coverage three ways (:func:`three_ways`, each the best of ``repeat``).

    Returns
    -------
    dict
        The figures, seconds unless named otherwise.
    """
    db = prepare(households, folder)
    result = questions(db, households)
    result["three_ways"] = three_ways(db, folder / f"city-{households}.jsonl", households, repeat)
    return result


def questions(db: Path, households: int) -> dict:
    """The library's questions on the store ``db`` of a city of ``households``, and this process's peak
    memory after them (see :func:`bench`)."""
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


def read_graph(jsonl: Path) -> nx.DiGraph:
    """The records of a JSON Lines file as a networkx graph, as one would read them without orggraph.

    A node keeps its record as attributes (``kind``, ``status``, ``people``, ``flags``, ...). A
    :class:`~networkx.DiGraph` holds one edge a pair of nodes, and two nodes may have several relations
    (a member who contacts a household and lives in it; a household that left a building and came
    back), so an edge's ``relations`` attribute lists each as ``(type, since, until)``, with None for an
    open end.

    Parameters
    ----------
    jsonl : Path
        One ``{"node": {...}}`` or ``{"edge": {...}}`` object a line.

    Returns
    -------
    networkx.DiGraph
    """
    G = nx.DiGraph()
    succ = G.succ
    with jsonl.open("rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = orjson.loads(line)
            node = record.get("node")
            if node is not None:
                G.add_node(node["id"], **node)
                continue
            edge = record["edge"]
            source, target = edge["source"], edge["target"]
            relation = (edge["type"], edge.get("since"), edge.get("until"))
            data = succ[source].get(target) if source in succ else None
            if data is None:
                G.add_edge(source, target, relations=[relation])
            else:
                data["relations"].append(relation)
    return G


def valid(since: str | None, until: str | None, day: str) -> bool:
    """Whether a relation counts on ``day``: ``since <= day <= until``, either end open when None (ISO
    days compare as strings).

    Examples
    --------
    >>> valid(None, "2024-06-30", "2024-06-30"), valid("2024-07-01", None, "2024-06-30")
    (True, False)
    """
    return (since is None or since <= day) and (until is None or day <= until)


def walk_coverage(G: nx.DiGraph, day: str) -> dict[str, tuple[int, ...]]:
    """Coverage of every area on ``day``, walked over the networkx graph of :func:`read_graph`.

    An area is listed when it takes part on the day: one of its ``WITHIN`` (either way), ``LOCATED_IN``,
    ``GOVERNS`` or ``ASSIGNED_TO`` relations is valid then, or it has none. Each household is walked
    from the areas it is ``LOCATED_IN`` on the day up the ``WITHIN`` edges valid then, and counts once in
    every area so reached; it is covered when a member whose ``status`` is not ``unavailable`` has a
    ``CONTACTS`` relation to it valid on the day.

    Parameters
    ----------
    G : networkx.DiGraph
        As :func:`read_graph` makes it.
    day : str
        The ISO day.

    Returns
    -------
    dict
        Area id -> its figures, in the order of :data:`FIGURES`.
    """
    nodes, succ, pred = G.nodes, G.succ, G.pred
    counts: dict[str, list[int]] = {}
    for area, attrs in nodes.items():
        if attrs.get("kind") != "Area":
            continue
        relations = [(since, until) for _, data in pred[area].items() for type_, since, until in data["relations"]
                     if type_ in GROUND]
        relations += [(since, until) for _, data in succ[area].items() for type_, since, until in data["relations"]
                      if type_ == "WITHIN"]
        if not relations or any(valid(since, until, day) for since, until in relations):
            counts[area] = [0] * len(FIGURES)

    def related(data: dict, kind: str) -> bool:
        return any(type_ == kind and valid(since, until, day) for type_, since, until in data["relations"])

    for household, attrs in nodes.items():
        if attrs.get("kind") != "Household":
            continue
        above: set[str] = set()
        stack = [area for area, data in succ[household].items() if related(data, "LOCATED_IN")]
        while stack:
            area = stack.pop()
            if area not in above:
                above.add(area)
                stack.extend(parent for parent, data in succ[area].items() if related(data, "WITHIN"))
        if not above:
            continue
        covered = any(nodes[member].get("kind") == "Member" and nodes[member].get("status") != "unavailable"
                      and related(data, "CONTACTS") for member, data in pred[household].items())
        people, vulnerable = attrs.get("people", 1), bool(attrs.get("flags"))
        row = (1, int(covered), people, people * covered, int(vulnerable), int(vulnerable and covered))
        for area in above:
            figures = counts[area]
            for i, value in enumerate(row):
                figures[i] += value
    return {area: tuple(figures) for area, figures in counts.items()}


#: coverage of every area as DuckDB's SQL, over the tables of ``load_duckdb``; ``$day`` the ISO day
COVERAGE_SQL = f"""
WITH RECURSIVE
    ground AS (  -- the relations that decide which areas take part, each with whether it holds on the day
        SELECT type, source, target, (since IS NULL OR since <= $day) AND (until IS NULL OR $day <= until) AS valid
        FROM edges WHERE type IN {GROUND!r}
    ),
    ends AS (
        SELECT target AS area, valid FROM ground
        UNION ALL
        SELECT source, valid FROM ground WHERE type = 'WITHIN'
    ),
    areas AS (  -- taking part: a relation valid on the day, or none at all
        SELECT a.id FROM nodes a LEFT JOIN ends ON ends.area = a.id
        WHERE a.kind = 'Area' GROUP BY a.id HAVING count(ends.area) = 0 OR bool_or(ends.valid)
    ),
    within AS (SELECT DISTINCT source AS child, target AS parent FROM ground WHERE type = 'WITHIN' AND valid),
    up(area, above) AS (  -- every area with itself and each area it lies within on the day
        SELECT id, id FROM nodes WHERE kind = 'Area'
        UNION
        SELECT up.area, within.parent FROM up JOIN within ON within.child = up.above
    ),
    placed AS (
        SELECT DISTINCT located.source AS household, up.above AS area
        FROM ground located JOIN up ON up.area = located.target
        WHERE located.type = 'LOCATED_IN' AND located.valid
    ),
    live AS (  -- the households a member who is not unavailable contacts on the day
        SELECT DISTINCT c.target AS household FROM edges c JOIN nodes m ON m.id = c.source
        WHERE c.type = 'CONTACTS' AND (c.since IS NULL OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until)
          AND m.kind = 'Member' AND m.status IS DISTINCT FROM 'unavailable'
    ),
    households AS (
        SELECT h.id, coalesce(h.people, 1) AS people, h.vulnerable, live.household IS NOT NULL AS covered
        FROM nodes h LEFT JOIN live ON live.household = h.id WHERE h.kind = 'Household'
    )
SELECT areas.id, count(h.id), count_if(h.covered), coalesce(sum(h.people), 0),
       coalesce(sum(CASE WHEN h.covered THEN h.people ELSE 0 END), 0), count_if(h.vulnerable),
       count_if(h.vulnerable AND h.covered)
FROM areas LEFT JOIN placed ON placed.area = areas.id LEFT JOIN households h ON h.id = placed.household
GROUP BY areas.id
"""


def duckdb_coverage(con, day: str) -> dict[str, tuple[int, ...]]:
    """Coverage of every area on ``day`` by :data:`COVERAGE_SQL`.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holding the tables of ``load_duckdb``.
    day : str
        The ISO day.

    Returns
    -------
    dict
        Area id -> its figures, in the order of :data:`FIGURES`.
    """
    return {row[0]: tuple(int(x) for x in row[1:]) for row in con.execute(COVERAGE_SQL, {"day": day}).fetchall()}


def as_figures(report: dict) -> dict[str, tuple[int, ...]]:
    """Area id -> its figures (:data:`FIGURES`) in a coverage report."""
    return {area["id"]: tuple(area[name] for name in FIGURES) for area in report["areas"]}


def differences(ours: dict, theirs: dict) -> list[str]:
    """Where two answers of area id -> figures differ: the areas one lists and the other does not, and
    those whose figures differ, sorted.

    Examples
    --------
    >>> differences({"a": (1, 1), "b": (2, 0)}, {"a": (1, 1), "c": (0, 0)})
    ['b: (2, 0) / None', 'c: None / (0, 0)']
    """
    return [f"{a}: {ours.get(a)} / {theirs.get(a)}" for a in sorted(ours.keys() | theirs.keys())
            if ours.get(a) != theirs.get(a)]


def orggraph_way(db: Path, repeat: int) -> tuple[dict, dict, dict]:
    """orggraph's coverage on the store opened afresh: its first question and the best of ``repeat``
    after it on :data:`AS_OF`; then the answer on :data:`PAST`.

    Returns
    -------
    tuple
        ``{"orggraph_first", "orggraph"}`` (seconds), and the answers on :data:`AS_OF` and :data:`PAST`
        (area id -> :data:`FIGURES`).
    """
    with EmbeddedStore(db) as store:
        first, _ = timed(lambda: coverage(store, as_of=AS_OF))
        best, report = timed(lambda: coverage(store, as_of=AS_OF), repeat=repeat)
        past = coverage(store, as_of=PAST)
    return {"orggraph_first": first, "orggraph": best}, as_figures(report), as_figures(past)


def networkx_way(jsonl: Path, repeat: int) -> tuple[dict, dict, dict]:
    """The networkx walk: the graph read once (timed apart), then :func:`walk_coverage` the best of
    ``repeat`` on :data:`AS_OF`, and once on :data:`PAST`.

    Returns
    -------
    tuple
        ``{"networkx_read", "networkx"}`` (seconds), and the answers on :data:`AS_OF` and :data:`PAST`.
    """
    read, G = timed(lambda: read_graph(jsonl))
    best, today = timed(lambda: walk_coverage(G, AS_OF), repeat=repeat)
    return {"networkx_read": read, "networkx": best}, today, walk_coverage(G, PAST)


def duckdb_way(jsonl: Path, repeat: int) -> tuple[dict, dict, dict]:
    """DuckDB: the file read into tables in memory (``load_duckdb``, timed apart), then
    :data:`COVERAGE_SQL` the best of ``repeat`` on :data:`AS_OF`, and once on :data:`PAST`.

    Returns
    -------
    tuple
        ``{"duckdb_load", "duckdb"}`` (seconds), and the answers on :data:`AS_OF` and :data:`PAST`.
    """
    import duckdb  # bench only: pip install -e '.[bench]'

    with duckdb.connect() as con:
        load, _ = timed(lambda: load_duckdb(con, jsonl))
        best, today = timed(lambda: duckdb_coverage(con, AS_OF), repeat=repeat)
        past = duckdb_coverage(con, PAST)
    return {"duckdb_load": load, "duckdb": best}, today, past


def three_ways(db: Path, jsonl: Path, households: int, repeat: int = 3) -> dict:
    """Coverage of every area on :data:`AS_OF` by orggraph, by a networkx walk and by DuckDB, timed, and
    the answers checked equal on :data:`AS_OF` and on :data:`PAST`.

    Parameters
    ----------
    db : Path
        The store loaded from ``jsonl``.
    jsonl : Path
        The city's records; written again (seed 1) if it is not there.
    households : int
        The city's size.
    repeat : int
        Runs of each way; the best counts (orggraph's first question is also given).

    Returns
    -------
    dict
        Seconds: ``orggraph_first``, ``orggraph``, ``networkx_read``, ``networkx``, ``duckdb_load``,
        ``duckdb``; the ratios ``networkx_ratio`` and ``duckdb_ratio`` (to ``orggraph``); ``areas``; and
        ``answers``, what the check found.
    """
    if not jsonl.exists():
        write_city(str(jsonl), households=households, seed=1)
    out: dict = {}
    answers: dict[str, dict[str, dict]] = {AS_OF: {}, PAST: {}}
    for way, run in (("orggraph", orggraph_way), ("networkx", networkx_way), ("duckdb", duckdb_way)):
        times, answers[AS_OF][way], answers[PAST][way] = run(db if way == "orggraph" else jsonl, repeat)
        out.update(times)
    out["networkx_ratio"] = out["networkx"] / out["orggraph"]
    out["duckdb_ratio"] = out["duckdb"] / out["orggraph"]
    out["areas"] = len(answers[AS_OF]["orggraph"])
    found = []
    for day, ways in answers.items():
        for way in ("networkx", "duckdb"):
            wrong = differences(ways["orggraph"], ways[way])
            if wrong:
                found.append(f"{way} differs on {day} in {len(wrong):,} areas ({'; '.join(wrong[:3])})")
                print(f"  {households:>9,} coverage: orggraph / {way} on {day}: {wrong[:10]}", file=sys.stderr)
    out["answers"] = "; ".join(found) or (
        f"equal in every area ({len(answers[AS_OF]['orggraph']):,} on {AS_OF}, "
        f"{len(answers[PAST]['orggraph']):,} on {PAST}; six figures each)")
    return out


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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way of working out coverage; the best counts")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    results = [bench(n, args.folder, args.repeat) for n in args.sizes]
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
    print(f"\nCoverage of every area on {AS_OF}, three ways on the same city in the same run (seconds; the best of "
          f"{args.repeat}; reading the records into the graph or the tables timed apart, not counted):\n")
    print("| households | areas | orggraph first / again s | networkx walk s (reading the graph s) "
          "| DuckDB recursive SQL s (loading the tables s) | networkx / orggraph | DuckDB / orggraph | answers |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        t = r["three_ways"]
        print(f"| {r['households']:,} | {t['areas']:,} | {t['orggraph_first']:.3f} / {t['orggraph']:.3f} "
              f"| {t['networkx']:.2f} ({t['networkx_read']:.1f}) | {t['duckdb']:.3f} ({t['duckdb_load']:.1f}) "
              f"| {t['networkx_ratio']:,.0f}x | {t['duckdb_ratio']:,.0f}x | {t['answers']} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
