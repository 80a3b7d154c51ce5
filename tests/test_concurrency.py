"""Many users at once: writers and readers on one store, another process writing, and never a wrong answer."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

from orggraph.exceptions import StoreBusy
from orggraph.store import EmbeddedStore
from orggraph.store.embedded import SCHEMA_VERSION

from .conftest import STREET, items, run_cli, snapshot

BENCH = Path(__file__).resolve().parent.parent / "bench" / "concurrency.py"


def bench():
    spec = importlib.util.spec_from_file_location("bench_concurrency", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def household(i: int, people: int = 2) -> list:
    return [("node", "x", {"id": f"hn{i}", "kind": "Household", "people": people, "phone": "13900001111"}),
            ("edge", "x", {"type": "LOCATED_IN", "source": f"hn{i}", "target": "b1"})]


def held(path: Path) -> sqlite3.Connection:
    """The store's write lock, taken by a connection of this test (another writer, as another process's load)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A small generated city with two tokens, and a larger one to load beside it."""
    module = bench()
    folder = tmp_path_factory.mktemp("conc")
    base, big = module.prepare(400, 3000, folder)
    return module, base, big


@pytest.mark.parametrize("workers", [1, 2])
def test_writers_and_readers_at_once_never_get_a_wrong_answer(city, tmp_path, workers):
    """A real uvicorn on loopback: writers adding, changing and reading back households and edges,
    readers asking for chains, coverage and the households just written (with personal data, so each
    read writes the audit log), /health every 0.1 s, a CLI load of a larger city and the write
    lock held by another process for 4 s. Every write is readable at once, every read agrees with what was
    written, no answer is a 5xx, and /health keeps answering while the lock is held."""
    module, base, big = city
    db = tmp_path / "city.db"
    module.copy_store(base, db)
    results = module.run(db, big, workers=workers, writers=4, per_writer=10, readers=3, load_after=0.5,
                         seed=workers, seconds=40, hold=(1.0, 4.0))
    summary = module.report(results)
    assert results.load is not None and results.load[2] == 0, summary
    assert results.wrong == [], summary
    assert results.server_errors == [], summary
    assert results.other == [], summary
    assert len(results.times["POST /households"]) == 4 * 10, summary
    assert results.times["GET /households/{id} (pii)"], summary
    while_held = results.health_while_held()
    assert len(while_held) >= 10 and max(while_held) < 2.0, summary  # the event loop never waits on a write
    log = "".join(results.log)
    assert "13900" not in log  # nothing personal in the server's log


def test_a_record_is_readable_by_its_writer_while_another_thread_reads(embedded):
    """A thread in the middle of reading every node (its read open) must not hold every other thread to
    the store as it was then: a write is readable at once by its writer."""
    embedded.load(items(STREET))
    reading, done = threading.Event(), threading.Event()

    def read_slowly() -> None:
        nodes = embedded.nodes()
        next(nodes)
        reading.set()
        done.wait(10)
        list(nodes)

    thread = threading.Thread(target=read_slowly)
    thread.start()
    try:
        assert reading.wait(10)
        for i in range(5):
            embedded.load(household(i, people=i + 1))
            assert embedded.node(f"hn{i}")["people"] == i + 1
    finally:
        done.set()
        thread.join()


def test_threads_write_and_read_one_store_at_once(embedded):
    """Eight threads each add households and read each back at once, while four others read; nothing is
    lost, nothing raises, each thread's writes are there when it reads them."""
    embedded.load(items(STREET))
    problems: list[str] = []
    stop = threading.Event()

    def write(t: int) -> None:
        try:
            for i in range(15):
                embedded.load(household(t * 100 + i, people=t + 1))
                if embedded.node(f"hn{t * 100 + i}")["people"] != t + 1:
                    problems.append(f"hn{t * 100 + i} read back wrong")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"writer {t}: {type(exc).__name__}: {exc}")

    def read() -> None:
        try:
            while not stop.is_set():
                embedded.counts()
                embedded.index()
                embedded.token_rows()
                list(embedded.edges_of("b1"))
                embedded.append_audit("2026-11-23T00:00:00+00:00", "t", "GET /households/{id}", ["h1"])
        except Exception as exc:  # noqa: BLE001
            problems.append(f"reader: {type(exc).__name__}: {exc}")

    readers = [threading.Thread(target=read) for _ in range(4)]
    writers = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert problems == []
    assert embedded.counts()["nodes"]["Household"] == 3 + 8 * 15
    assert embedded.index().revision == embedded.revision


def test_a_write_waits_a_bounded_time_for_another_writer_then_says_the_store_is_busy(tmp_path):
    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
    with EmbeddedStore(path, wait=0.5) as store:
        before = snapshot(store)
        other = held(path)
        try:
            began = time.monotonic()
            with pytest.raises(StoreBusy, match=r"city\.db is busy: another write .* try again"):
                store.load(household(1))
            assert 0.4 < time.monotonic() - began < 5
            with pytest.raises(StoreBusy):
                store.delete(nodes=["h1"])
            assert store.node("h1")["id"] == "h1"  # reads go on meanwhile
            store.append_audit("2026-11-23T00:00:00+00:00", "t", "GET /households/{id}", ["h1"])  # and the audit
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert snapshot(store) == before
        store.load(household(1))  # once it is free, the write goes through
        assert store.node("hn1")["people"] == 2


def test_the_api_answers_503_while_a_long_write_holds_the_store_and_still_shows_records(tmp_path):
    from fastapi.testclient import TestClient

    from orggraph.access import create_token
    from orggraph.api import create_app
    from orggraph.api.settings import Settings

    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        editor, _ = create_token(store, "editor", ["c1"], pii=True)
    with TestClient(create_app(Settings(db=str(path), write_wait=0.5))) as client:
        auth = {"Authorization": f"Bearer {editor}"}
        assert client.get("/households/h1", headers=auth).status_code == 200  # the scope worked out first
        other = held(path)
        try:
            began = time.monotonic()
            answer = client.put("/households/h1", json={"people": 4}, headers=auth)
            assert 0.4 < time.monotonic() - began < 5
            assert answer.status_code == 503 and answer.headers["Retry-After"]
            assert answer.json()["error"]["code"] == "unavailable"
            assert "busy" in answer.json()["error"]["message"] and "try again" in answer.json()["error"]["message"]
            began = time.monotonic()
            shown = client.get("/households/h1", headers=auth)  # personal data, so an audit row: no waiting
            assert shown.status_code == 200 and shown.json()["phone"] == "13900002222"
            assert time.monotonic() - began < 0.4
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.put("/households/h1", json={"people": 4}, headers=auth).json()["people"] == 4


def test_an_unexpected_failure_is_a_500_in_the_error_shape_and_logs_nothing_personal(tmp_path, caplog):
    from fastapi.testclient import TestClient

    from orggraph.access import create_token
    from orggraph.api import create_app
    from orggraph.api.settings import Settings

    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
        viewer, _ = create_token(store, "viewer", ["c1"])
    with TestClient(create_app(Settings(db=str(path))), raise_server_exceptions=False) as client:
        with sqlite3.connect(path) as other:  # the file damaged under the server: its nodes gone
            other.execute("ALTER TABLE nodes RENAME TO gone")
        answer = client.get("/households/h1", headers={"Authorization": f"Bearer {viewer}"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["status"] == 500 and answer.json()["error"]["code"] == "internal"
    assert "nodes" not in answer.text  # nothing of the cause in the answer
    assert "OperationalError" in caplog.text and "no such table" not in caplog.text


def test_a_cli_load_waiting_on_a_held_write_lock_ends_with_a_clear_message(tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(STREET, ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "street.json", cwd=tmp_path).returncode == 0
    (tmp_path / "more.json").write_text(json.dumps({"nodes": [{"id": "h9", "kind": "Household"}]}), encoding="utf-8")
    other = held(tmp_path / "orggraph.db")
    try:
        began = time.monotonic()
        done = run_cli("load", "more.json", cwd=tmp_path, env={"ORGGRAPH_WAIT": "1"})
        took = time.monotonic() - began
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "orggraph.db is busy: another write" in done.stderr and "try again" in done.stderr
    assert took < 20
    assert run_cli("load", "more.json", "--wait", "5", cwd=tmp_path).returncode == 0  # free again: it goes through


def test_coverage_answers_while_another_process_holds_the_write_lock(tmp_path):
    """coverage builds the query index, and saves it only if it can at once: a load running elsewhere
    neither holds it up nor makes it fail."""
    (tmp_path / "street.json").write_text(json.dumps(STREET, ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "street.json", cwd=tmp_path).returncode == 0
    db = tmp_path / "orggraph.db"
    with sqlite3.connect(db) as conn:  # no index saved: the next question must build it
        conn.execute("DELETE FROM index_cache")
        conn.execute("DELETE FROM index_changes")
    other = held(db)
    try:
        began = time.monotonic()
        done = run_cli("coverage", "--json", "--as-of", "2026-11-23", cwd=tmp_path)
        took = time.monotonic() - began
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["households"] == 3
    assert took < 10
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM index_cache").fetchone()[0] == 0  # not saved, not waited for
    assert run_cli("coverage", "--json", "--as-of", "2026-11-23", cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM index_cache").fetchone()[0] == 1  # saved the next time


def test_an_older_store_has_its_audit_rows_moved_to_the_audit_file(tmp_path):
    """A store file of schema 2 kept the audit log in a table of its own: on first open the rows move to
    the audit file with their numbers, the table goes, and the log goes on from there, append-only."""
    path = tmp_path / "city.db"
    with EmbeddedStore(path) as store:
        store.load(items(STREET))
    with sqlite3.connect(path, isolation_level=None) as conn:  # as schema 2 had it
        conn.executescript("""
            CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, token TEXT NOT NULL,
                                route TEXT NOT NULL, records TEXT NOT NULL);
            CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            INSERT INTO audit VALUES (7, '2026-01-01T00:00:00+00:00', 'abc', 'GET /households/{id}', '["h1"]');
            INSERT INTO audit VALUES (9, '2026-01-02T00:00:00+00:00', 'abc', 'GET /households', '["h1","h2"]');
            UPDATE meta SET value = '2' WHERE key = 'schema_version';
        """)
    Path(f"{path}-audit").unlink(missing_ok=True)
    with EmbeddedStore(path) as store:
        assert [(r["seq"], r["records"]) for r in store.audit_rows()] == [(7, ["h1"]), (9, ["h1", "h2"])]
        store.append_audit("2026-01-03T00:00:00+00:00", "abc", "GET /households/{id}", ["h3"])
        assert [r["seq"] for r in store.audit_rows(after=7)] == [9, 10]
        assert store.node("h1")["id"] == "h1"
    with sqlite3.connect(path) as conn:
        # brought up to date: schema 3 and every step after it
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'audit'").fetchone() is None
    with sqlite3.connect(f"{path}-audit") as conn, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET token = 'x'")
