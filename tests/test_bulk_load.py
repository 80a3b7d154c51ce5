"""A large load: the query index gathered as the records are written, JSON Lines read a block at a time and
checked in other processes, and every promise of the load kept on the way (all or nothing, every bad
record named with its line and field, the same answer as a record-by-record reading)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import orjson
import pytest

import orggraph.io.jsonio as jsonio
from orggraph.exceptions import InvalidRecords
from orggraph.generate import write_city
from orggraph.index import Index, build_index
from orggraph.io import load_file, read_jsonl
from orggraph.load import Loader, check_load
from orggraph.store import EmbeddedStore


def same_index(a: Index, b: Index) -> None:
    """Two indexes alike, array for array."""
    assert a.ids == b.ids
    assert a.names == b.names
    assert a.kinds.tolist() == b.kinds.tolist()
    assert sorted(a.attrs) == sorted(b.attrs)
    for key in a.attrs:
        assert np.array_equal(a.attrs[key], b.attrs[key]), key
    for type_ in a.edges:
        for field in ("source", "target", "since", "until", "rank"):
            assert np.array_equal(getattr(a.edges[type_], field), getattr(b.edges[type_], field)), (type_, field)


def from_records(store: EmbeddedStore) -> Index:
    """The index as built from every record read back (as before a load gathered it)."""
    nodes = ((n["id"], n["kind"], n) for n in sorted(store.nodes(), key=lambda n: n["id"]))
    edges = ((e["type"], e["source"], e["target"], e.get("since"), e.get("until"), e) for e in store.edges())
    return build_index(nodes, edges, store.revision)


def write_lines(path, records) -> None:
    with open(path, "wb") as fh:
        for what, record in records:
            fh.write(orjson.dumps({what: record}) + b"\n")


# Records a load takes that a plain city has none of: a node given twice (alike, and with a change), an edge
# given twice, edges read before their nodes, an id with capitals, an area's level on a node of another kind,
# a member unavailable and an org weak and lax, an edge ended.
AWKWARD = [
    ("edge", {"type": "LOCATED_IN", "source": "h1", "target": "b1", "since": "2020-01-01"}),
    ("edge", {"type": "WITHIN", "source": "b1", "target": "s1"}),
    ("node", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"}),
    ("node", {"id": "b1", "kind": "Area", "name": "1栋", "level": "building"}),
    ("node", {"id": "h1", "kind": "Household", "people": 2}),
    ("node", {"id": "h1", "kind": "Household", "people": 2}),
    ("node", {"id": "H2", "kind": "Household", "people": 5, "flags": ["elderly_alone"]}),
    ("node", {"id": "m1", "kind": "Member", "name": "王芳", "status": "unavailable", "level": "odd"}),
    ("node", {"id": "o1", "kind": "Org", "name": "支部", "level": "grid", "status": "weak_lax"}),
    ("edge", {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2021-05-01", "until": "2022-01-31"}),
    ("edge", {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2021-05-01", "until": "2022-01-31"}),
    ("edge", {"type": "CONTACTS", "source": "m1", "target": "H2"}),
    ("edge", {"type": "HOLDS_POST", "source": "m1", "target": "o1", "post": "secretary"}),
    ("edge", {"type": "LOCATED_IN", "source": "H2", "target": "b1"}),
]


@pytest.mark.parametrize("city", ["generated", "awkward"])
def test_the_index_a_load_gathers_is_the_one_built_from_the_records(tmp_path, city):
    path = tmp_path / "city.jsonl"
    if city == "generated":
        write_city(str(path), households=3000, seed=4)
    else:
        write_lines(path, AWKWARD)
    with EmbeddedStore(tmp_path / "city.db") as store:
        load_file(store, path)
        gathered = store._index
        assert gathered is not None and gathered.revision == store.revision
        same_index(gathered, from_records(store))


def test_the_first_question_after_a_load_reads_no_record_back(tmp_path, monkeypatch):
    path = tmp_path / "city.jsonl"
    write_city(str(path), households=2000, seed=2)
    with EmbeddedStore(tmp_path / "city.db") as store:
        load_file(store, path)
        revision = store.revision
    import orggraph.store.embedded as embedded

    def refused(*args, **kwargs):
        raise AssertionError("the index was built by reading the records back")

    monkeypatch.setattr(embedded, "build_index", refused)
    with EmbeddedStore(tmp_path / "city.db") as store:  # a new process would open the file so
        assert store.index().revision == revision
        from orggraph.queries import coverage

        assert coverage(store, as_of="2026-11-23")


def lines_alone(path) -> list:
    """Every item of a JSON Lines file read one line at a time (the reading every block reader must agree with)."""
    items = []
    number = 0
    data = open(path, "rb").read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    got, _ = jsonio._block_items(data, number)
    for item in got:
        items.append(item)
    return items


def expanded(items) -> list:
    """Runs spread out into one item a record, with the place each has."""
    out = []
    for what, where, record in items:
        if what == "run":
            first = int(where.split()[1])
            out.extend((w, f"line {first + i}", r) for i, (w, r) in enumerate(record))
        else:
            out.append((what, where, record))
    return out


ODD_LINES = [
    b"",  # a blank line
    b'{"node": {"id": "h9", "kind": "Household", "address": null}}',  # a null: not given
    b'{"node": {"id": "h8", "kind": "Household", "people": 2, "people": 3}}',  # a key given twice
    b'{"node": {"id": "h7", "kind": "Household", "note": 123456789012345678901234}}',  # past 64 bits
    b'{"node": {"id": "h6", "kind": "Household"}}, {"node": {"id": "h5", "kind": "Household"}}',  # two on a line
    b'{"node": {"id": "h4", "kind": "Household", "address": "10:30"}}',  # a colon within a text
    b'{"node": ["h3"]}',  # not an object
    b'{"nodes": []}',  # not a node nor an edge
    b'{"node": {"id": "h2", "kind": "Household"',  # not JSON
    b'{"node": {"id": "h1", "kind": "Household"}}\r{"node": {"id": "h0", "kind": "Household"}}',  # a lone CR
    b'{"node": {"id": "g1", "kind": "Household", "address": "abc',  # a record split over two lines ...
    b'def"}}',
    b'{"node": {"id": "g2", "kind": "Household"}}, {"node": {"id": "g3", "kind": "Household"}}',  # ... and two on one
    b'{"node": {"id": "g4", "kind": "Household", "people": 2',
    b'"phone": "13800138000"}}',
]


@pytest.mark.parametrize("block", [64, 300, 4096, 1 << 20])
def test_a_block_read_at_once_reads_as_its_lines_one_by_one(tmp_path, block):
    plain = [orjson.dumps({"node": {"id": f"p{i}", "kind": "Household", "people": 1 + i % 5}}) for i in range(60)]
    lines = []
    for i, odd in enumerate(ODD_LINES):
        lines += plain[i * 6 : i * 6 + 6] + [odd]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    read = expanded(read_jsonl(path, block=block, runs=True))
    assert read == lines_alone(path) == list(read_jsonl(path, block=block))
    assert any(what == "run" for what, _, _ in read_jsonl(path, block=block, runs=True)) is (block <= 300)


def checked_here(monkeypatch, block: int = 4096) -> None:
    """Make files of any size checked in other processes, a few lines a block, whatever threads the tests
    before left running in this one (the command line runs none; see the test of a process that does)."""
    import threading

    monkeypatch.setattr(jsonio, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    real = jsonio.read_jsonl
    monkeypatch.setattr("orggraph.io.read_jsonl", lambda path, **kw: real(path, **{**kw, "block": block}))


def snapshot(store: EmbeddedStore) -> tuple:
    return (sorted(orjson.dumps(n, option=orjson.OPT_SORT_KEYS) for n in store.nodes()),
            sorted(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in store.edges()))


def test_checked_in_other_processes_as_in_this_one(tmp_path, monkeypatch):
    path = tmp_path / "city.jsonl"
    write_city(str(path), households=3000, seed=6)
    with EmbeddedStore(tmp_path / "here.db") as store:
        here = load_file(store, path)
        here_index, here_records = store._index, snapshot(store)
    checked_here(monkeypatch)
    used = []
    real = jsonio.JsonLines._checked

    def spy(self, *args):
        used.append(True)
        return real(self, *args)

    monkeypatch.setattr(jsonio.JsonLines, "_checked", spy)
    with EmbeddedStore(tmp_path / "there.db") as store:
        there = load_file(store, path)
        assert used, "the file was not checked in other processes"
        assert str(there) == str(here)
        assert snapshot(store) == here_records
        same_index(store._index, here_index)
        again = load_file(store, path)  # loaded again, nothing changes
        assert (again.added_nodes, again.added_edges, again.changed) == (0, 0, 0)
        assert store.history(limit=10)[-1]["id"] == there.history


def bad_city(path) -> None:
    """A generated city with faults planted far apart, in many blocks."""
    lines = path.read_bytes().split(b"\n")
    lines.insert(5, b'{"node": {"id": "x1", "kind": "Areas"}}')
    for at in range(400, len(lines) - 1, 997):
        record = orjson.loads(lines[at])
        what = next(iter(record))
        if what == "node" and record[what]["kind"] == "Household":
            record[what]["people"] = 0
        elif what == "edge":
            record[what]["since"] = "2021-02-30"
        lines[at] = orjson.dumps(record)
    lines.insert(3000, b'{"edge": {"type": "CONTACTS", "source": "nobody", "target": "h00000001"}}')
    path.write_bytes(b"\n".join(lines))


def test_every_fault_is_named_alike_however_the_file_is_read(tmp_path, monkeypatch):
    path = tmp_path / "city.jsonl"
    write_city(str(path), households=3000, seed=7)
    bad_city(path)
    with EmbeddedStore(tmp_path / "here.db") as store:
        with pytest.raises(InvalidRecords) as here:
            load_file(store, path)
        assert store.revision == 0 and store.counts()["nodes"] == {}
    checked_here(monkeypatch)
    with EmbeddedStore(tmp_path / "there.db") as store:
        with pytest.raises(InvalidRecords) as there:
            load_file(store, path)
        assert store.revision == 0 and store.counts()["nodes"] == {}
    assert [str(e) for e in there.value.errors] == [str(e) for e in here.value.errors]
    assert there.value.total == here.value.total > 10
    messages = [str(e) for e in here.value.errors]
    assert messages[0].startswith("line 6, field kind: unknown node kind 'Areas'")
    assert any("field since: " in m and "2021-02-30" in m for m in messages)
    assert any("field people: must be at least 1, got 0" in m for m in messages)
    assert any(m.startswith("line 3001, field source: 'nobody' is not a node") for m in messages)


def test_a_dry_run_checks_a_large_file_as_the_load_would(tmp_path, monkeypatch):
    path = tmp_path / "city.jsonl"
    write_city(str(path), households=2000, seed=8)
    checked_here(monkeypatch)
    with EmbeddedStore(tmp_path / "city.db") as store:
        report = check_load(store, jsonio.read_jsonl(path, block=4096, runs=True))
        assert report.dry_run and report.records == sum(1 for _ in open(path, "rb"))
        assert store.revision == 0 and store.counts()["nodes"] == {} and store._index is None


_KILLED = textwrap.dedent(
    """
    import multiprocessing, os, sys
    import orggraph.io.jsonio as jsonio
    from orggraph.io import read_jsonl
    from orggraph.store import EmbeddedStore

    jsonio._PARALLEL_BYTES = 0
    real = jsonio.JsonLines._checked

    def checked(self, *args):
        for i, item in enumerate(real(self, *args)):
            if i == 40:  # rows are in the open transaction by now
                pids = [p.pid for p in multiprocessing.active_children()]
                print("half-way", *pids, flush=True)
            yield item

    jsonio.JsonLines._checked = checked
    with EmbeddedStore(sys.argv[1]) as store:
        store.load(read_jsonl(sys.argv[2], block=16384, runs=True))
    print("finished", flush=True)
    """
)


def test_a_load_checked_in_other_processes_killed_half_way_leaves_the_store_as_it_was(tmp_path):
    path = tmp_path / "city.jsonl"
    write_city(str(path), households=20000, seed=9)
    db = tmp_path / "city.db"
    with EmbeddedStore(db) as store:
        store.load([("node", "line 1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"})])
        before = snapshot(store)
    script = tmp_path / "loader.py"
    script.write_text(_KILLED)
    proc = subprocess.Popen([sys.executable, str(script), str(db), str(path)], stdout=subprocess.PIPE, text=True)
    try:
        said = proc.stdout.readline().split()
        assert said and said[0] == "half-way", said
        workers = [int(p) for p in said[1:]]
        assert workers, "no process checked the records"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{p}") and "zombie" not in open(f"/proc/{p}/status").read().lower()
              for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in workers if os.path.exists(f"/proc/{p}")
                and "zombie" not in open(f"/proc/{p}/status").read().lower()], "a worker outlived its load"
    with EmbeddedStore(db) as store:
        assert snapshot(store) == before
        assert store._conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        report = load_file(store, path)  # and the store still takes the load, whole
        assert report.added_nodes == sum(1 for line in open(path, "rb") if line.startswith(b'{"node"'))


def test_a_process_running_threads_checks_its_records_itself(tmp_path, monkeypatch):
    """A fork copies only the thread that makes it: a server (threads) reads the file in its own process."""
    import threading

    path = tmp_path / "city.jsonl"
    write_city(str(path), households=500, seed=3)
    monkeypatch.setattr(jsonio, "_PARALLEL_BYTES", 0)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert threading.active_count() > 1
        assert read_jsonl(path, runs=True).checked_runs(lambda records: ([], []), 2) is None
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # (the tests before may have left threads)
    assert read_jsonl(path, runs=True).checked_runs(lambda records: ([], []), 2) is not None
    assert read_jsonl(path).checked_runs(lambda records: ([], []), 2) is None  # one item a record: none


def test_a_loader_given_runs_and_items_numbers_them_alike():
    """Places counted on across runs and single items: a fault is named where it is."""
    loader = Loader(__import__("orggraph.load", fromlist=["_Nowhere"])._Nowhere(), store_empty=True)
    loader.add(("node", "line 1", {"id": "h1", "kind": "Household"}))
    loader.add(("run", "line 2", [("node", {"id": "h2", "kind": "Household"}),
                                  ("node", {"id": "h3", "kind": "Household", "people": 0}),
                                  ("node", {"id": "h4", "kind": "Hose"})]))
    loader.add(("edge", "line 5", {"type": "CONTACTS", "source": "m1", "target": "h1"}))
    with pytest.raises(InvalidRecords) as raised:
        loader.finish()
    assert [str(e) for e in raised.value.errors] == [
        "line 3, field people: must be at least 1, got 0",
        "line 4, field kind: unknown node kind 'Hose'; allowed: Area, Org, Unit, Member, Household",
        "line 5, field source: 'm1' is not a node in this load or in the store (CONTACTS goes from a Member to a "
        "Household)",
    ]


def test_a_node_the_store_holds_as_another_kind_is_named_in_a_large_reload(tmp_path, monkeypatch):
    path = tmp_path / "city.jsonl"
    write_city(str(path), households=2000, seed=10)
    checked_here(monkeypatch)
    with EmbeddedStore(tmp_path / "city.db") as store:
        load_file(store, path)
        before = snapshot(store)
        lines = path.read_bytes().split(b"\n")
        at = next(i for i, line in enumerate(lines) if b'"kind":"Household"' in line and i > 500)
        record = orjson.loads(lines[at])["node"]
        lines[at] = orjson.dumps({"node": {"id": record["id"], "kind": "Member", "name": "王芳"}})
        path.write_bytes(b"\n".join(lines))
        with pytest.raises(InvalidRecords) as raised:
            load_file(store, path)
        assert [str(e) for e in raised.value.errors] == [
            f"line {at + 1}, field id: {record['id']!r} is already a Household in the store; an id names one node only",
            f"line {at + 2}, field source: {record['id']!r} is a Member, but LOCATED_IN goes from a Household to an Area"]
        assert snapshot(store) == before


_REAL_CHECK_BLOCK = jsonio._check_block


def _dying_block(offset, size, check):
    """A worker that dies (killed, or out of memory) on the third block."""
    if offset >= 2 * size:
        os._exit(9)
    return _REAL_CHECK_BLOCK(offset, size, check)


def test_a_worker_that_dies_fails_the_load_and_frees_the_store(tmp_path, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    path = tmp_path / "city.jsonl"
    write_city(str(path), households=2000, seed=11)
    checked_here(monkeypatch)
    monkeypatch.setattr(jsonio, "_check_block", _dying_block)
    with EmbeddedStore(tmp_path / "city.db", wait=1) as store:
        started = time.monotonic()
        with pytest.raises(BrokenProcessPool):
            load_file(store, path)
        assert time.monotonic() - started < 30
        assert store.revision == 0 and store.counts()["nodes"] == {}
        monkeypatch.setattr(jsonio, "_check_block", _REAL_CHECK_BLOCK)
        assert load_file(store, path).added_nodes > 2000  # the store is free, and takes the load
