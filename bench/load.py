"""Load benchmark: generate a city, load it into the embedded store, ask it its first question, load it
again; beside DuckDB reading the same file.

Each phase runs in a child process of its own, so its wall time and peak memory (the child's maximum
resident set, from the kernel) are its own. All of them work on the same JSON Lines file in the same run:

- **generate**: ``orggraph.generate.write_city`` (seed 1) writes the city, one ``{"node": {...}}`` or
  ``{"edge": {...}}`` a line;
- **load**: ``orggraph.io.load_file`` into a new embedded store;
- **first answer**: a new process opens that store and asks ``orggraph.queries.coverage`` of it (every
  area, today), the first question after a load as ``orggraph coverage --db`` asks it: the query index
  is built (or read back) on the way;
- **reopen**: the store opened and its records counted; **read back**: every node and edge read out;
- **reload**: the same file loaded again into the loaded store, which changes nothing;
- **duckdb**: DuckDB's ``read_json`` of the same file into two tables, ``nodes`` and ``edges`` (the
  columns a question reads, typed, and each record whole as JSON), in a DuckDB file of its own made
  durable by ``CHECKPOINT``; the rows are checked against the file's nodes and edges (:func:`load_duckdb`).

DuckDB does less than a load: it checks no record, keeps no key and merges nothing with what is already
stored; it reads on every core (its default), as the load now does too. It is the floor of reading the file into a durable database on this machine, and the ratio
(load + first answer) / DuckDB, both taken in the same run, holds better on a busy machine than either
time alone. DuckDB comes with ``pip install -e '.[bench]'``; orggraph itself never imports it.

Run from the top of the repository:

    python bench/load.py                      # 200,000 and 2,000,000 households
    python bench/load.py 50000                # other sizes
    python bench/load.py --keep bench/out     # keep the files (the store, the JSONL, the DuckDB file)

Prints two Markdown tables, the phases and the comparison with DuckDB, after the command that made them;
``--json FILE`` also writes the figures.
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

import orjson

#: each phase's code, run as ``python -c`` with the arguments: the JSONL file, the store, the households,
#: the DuckDB file, this folder (for :func:`load_duckdb`), the file's nodes and edges
PHASES = {
    "generate": """
        from orggraph.generate import write_city
        write_city(sys.argv[1], households=int(sys.argv[3]), seed=1)
    """,
    "load": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            report = load_file(store, sys.argv[1], progress=False)
        assert report.records == int(sys.argv[6]) + int(sys.argv[7]), report
    """,
    "first answer": """
        from orggraph.queries import coverage
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            report = coverage(store)
        assert report["households"] == int(sys.argv[3]) and report["areas"], report["households"]
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
    "reload": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            report = load_file(store, sys.argv[1], progress=False)
        assert report.records == int(sys.argv[6]) + int(sys.argv[7]) and report.unchanged == report.records, report
    """,
    "duckdb": """
        import duckdb
        sys.path.insert(0, sys.argv[5])
        from load import load_duckdb
        con = duckdb.connect(sys.argv[4])
        counts = load_duckdb(con, sys.argv[1])
        con.execute("CHECKPOINT")
        con.close()
        assert counts == (int(sys.argv[6]), int(sys.argv[7])), counts
    """,
}

#: how DuckDB reads the file: each line's one object as JSON under its key (``node`` or ``edge``, the
#: other NULL), so that no property fails the read, whatever its type on each line
DUCKDB_SOURCE = "read_json(?, format = 'newline_delimited', columns = {'node': 'JSON', 'edge': 'JSON'})"

DUCKDB_TABLES = (
    f"""CREATE TABLE nodes AS
        SELECT v[1] AS id, v[2] AS kind, v[3] AS name, v[4] AS level, v[5] AS status,
               TRY_CAST(v[6] AS INTEGER) AS people,
               coalesce(json_array_length(node, '$.flags'), 0) > 0 AS vulnerable, node AS record
        FROM (SELECT node, json_extract_string(node, ['$.id', '$.kind', '$.name', '$.level', '$.status', '$.people']) AS v
              FROM {DUCKDB_SOURCE} WHERE node IS NOT NULL)""",
    f"""CREATE TABLE edges AS
        SELECT v[1] AS type, v[2] AS source, v[3] AS target, TRY_CAST(v[4] AS DATE) AS since,
               TRY_CAST(v[5] AS DATE) AS until, edge AS record
        FROM (SELECT edge, json_extract_string(edge, ['$.type', '$.source', '$.target', '$.since', '$.until']) AS v
              FROM {DUCKDB_SOURCE} WHERE edge IS NOT NULL)""",
)


def load_duckdb(con, jsonl: str | Path) -> tuple[int, int]:
    """Read a JSON Lines file of records into two DuckDB tables, ``nodes`` and ``edges``.

    ``nodes`` has ``id``, ``kind``, ``name``, ``level``, ``status``, ``people`` (NULL where not set),
    ``vulnerable`` (any ``flags``) and ``record``, the node whole as JSON; ``edges`` has ``type``,
    ``source``, ``target``, ``since`` and ``until`` (DATE, NULL where open) and ``record``. The file is
    read twice, once a table, in DuckDB's parallel reader.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where the tables are made (a file, or ``:memory:``); they must not exist yet.
    jsonl : str or Path
        One ``{"node": {...}}`` or ``{"edge": {...}}`` object a line.

    Returns
    -------
    tuple of int
        The rows of ``nodes`` and of ``edges``.
    """
    for statement in DUCKDB_TABLES:
        con.execute(statement, [str(jsonl)])
    return (con.execute("SELECT count(*) FROM nodes").fetchone()[0],
            con.execute("SELECT count(*) FROM edges").fetchone()[0])


def count_records(jsonl: Path) -> tuple[int, int]:
    """The nodes and the edges of a JSON Lines file of records (a line as the generator writes it is
    told by its first bytes; any other is parsed).

    Parameters
    ----------
    jsonl : Path
        One ``{"node": {...}}`` or ``{"edge": {...}}`` object a line.

    Returns
    -------
    tuple of int
        Its nodes and its edges.
    """
    nodes = edges = 0
    with jsonl.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"node":'):
                nodes += 1
            elif line.startswith(b'{"edge":'):
                edges += 1
            elif line.strip():
                record = orjson.loads(line)
                nodes += "node" in record
                edges += "edge" in record
    return nodes, edges


def run_phase(name: str, jsonl: Path, db: Path, households: int, *more: object,
              phases: dict[str, str] = PHASES) -> dict:
    """Run one of ``phases`` in a child process of its own.

    Parameters
    ----------
    name : str
        The phase.
    jsonl, db : Path
        The JSON Lines file and the store: the child's ``sys.argv[1]`` and ``[2]``.
    households : int
        The city's size, ``sys.argv[3]``.
    *more
        Further arguments, ``sys.argv[4]`` on.
    phases : dict
        Phase name to code.

    Returns
    -------
    dict
        ``{"seconds", "peak_mib"}``: its wall time and its peak resident memory (MiB).
    """
    code = "import sys\n" + textwrap.dedent(phases[name])
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(jsonl), str(db), str(households), *map(str, more)])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"phase {name} failed with status {status}")
    return {"seconds": round(seconds, 2), "peak_mib": round(usage.ru_maxrss / 1024, 1)}


def bench(households: int, folder: Path) -> dict:
    """Every phase on a city of ``households``, its files made afresh in ``folder``.

    Returns
    -------
    dict
        Each phase's ``{"seconds", "peak_mib"}`` under its name, the records, the file sizes (MiB) and the
        ratios.
    """
    jsonl = folder / f"city-{households}.jsonl"
    db = folder / f"city-{households}.db"
    duck = folder / f"city-{households}.duckdb"
    for path in (jsonl, db, Path(f"{db}-wal"), Path(f"{db}-shm"), duck, Path(f"{duck}.wal")):
        if path.exists():
            path.unlink()
    here = Path(__file__).resolve().parent
    result: dict = {"households": households}
    counts: tuple[int, int] = (0, 0)
    for name in PHASES:
        result[name] = run_phase(name, jsonl, db, households, duck, here, *counts)
        print(f"  {households:>9,} {name:<12} {result[name]['seconds']:>8.2f} s {result[name]['peak_mib']:>8.1f} MiB",
              file=sys.stderr, flush=True)
        if name == "generate":
            counts = count_records(jsonl)
    result["nodes"], result["edges"] = counts
    result["records"] = sum(counts)
    result["jsonl_mib"] = round(jsonl.stat().st_size / 2**20, 1)
    result["db_mib"] = round(db.stat().st_size / 2**20, 1)
    result["duckdb_mib"] = round(duck.stat().st_size / 2**20, 1)
    result["load_us_per_record"] = round(result["load"]["seconds"] / result["records"] * 1e6, 2)
    result["load_and_first_answer_s"] = round(result["load"]["seconds"] + result["first answer"]["seconds"], 2)
    result["ratio_to_duckdb"] = round(result["load_and_first_answer_s"] / result["duckdb"]["seconds"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[200_000, 2_000_000], help="households")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    command = " ".join(["python", *sys.argv])
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            results.append(bench(size, folder))
    print(f"`{command}`; machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}\n")
    print("| households | records | generate s | generate MiB | load s | load MiB | µs/record | reopen s | read back s | JSONL MiB | store MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['households']:,} | {r['records']:,} | {r['generate']['seconds']} | {r['generate']['peak_mib']} "
            f"| {r['load']['seconds']} | {r['load']['peak_mib']} | {r['load_us_per_record']} "
            f"| {r['reopen']['seconds']} | {r['read back']['seconds']} | {r['jsonl_mib']} | {r['db_mib']} |"
        )
    print("\nThe same file, the same run: orggraph's load, its first answer in a new process, the same file loaded "
          "again, and DuckDB's read_json into a durable file (seconds; peak MiB of each process).\n")
    print("| households | records | load s | first answer s | load + first answer s | reload s | load MiB "
          "| first answer MiB | reload MiB | DuckDB s | DuckDB MiB | DuckDB file MiB | (load + first answer) / DuckDB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['households']:,} | {r['records']:,} | {r['load']['seconds']} | {r['first answer']['seconds']} "
            f"| {r['load_and_first_answer_s']} | {r['reload']['seconds']} | {r['load']['peak_mib']} "
            f"| {r['first answer']['peak_mib']} | {r['reload']['peak_mib']} | {r['duckdb']['seconds']} "
            f"| {r['duckdb']['peak_mib']} | {r['duckdb_mib']} | {r['ratio_to_duckdb']}x |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
