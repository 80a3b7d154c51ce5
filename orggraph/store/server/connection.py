"""How the server backend talks to a graph server: the connections (Neo4j, FalkorDB), :func:`connect`,
and :func:`statement`, which loads the Cypher of ``cypher/`` by name."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Iterable, Protocol
from urllib.parse import unquote, urlparse

from ...exceptions import StoreError, StoreUnavailable
from ...model import EDGE_TYPES, NODE_KINDS

if TYPE_CHECKING:
    from .store import ServerStore

__all__ = ["Connection", "FalkorConnection", "Neo4jConnection", "connect", "statement"]

#: how many times a statement of its own is tried when Neo4j undoes it as transient (a deadlock between
#: two processes making the schema of a new database at once, say), waiting 0.05, 0.1, 0.2 s between
_TRANSIENT_TRIES = 4


def statement(name: str, **labels: str) -> str:
    """A Cypher file by name, its fragments expanded and its labels and types filled in from orggraph's
    allow-lists only (:data:`orggraph.model.NODE_KINDS`, :data:`orggraph.model.EDGE_TYPES`).

    Parameters
    ----------
    name : str
        The file's name in ``cypher/``, without ``.cypher``.
    **labels : str
        ``{key}`` in the file -> a node kind or an edge type.

    Returns
    -------
    str
        The statement, ready to run.

    Raises
    ------
    KeyError
        No such file, or a fragment in it that does not exist.
    ValueError
        A label that is not a node kind or an edge type.

    Examples
    --------
    >>> "MATCH (n:Household)" in statement("ids", label="Household")
    True
    >>> statement("ids", label="Household) DETACH DELETE (n")
    Traceback (most recent call last):
    ...
    ValueError: 'Household) DETACH DELETE (n' is not a node kind or edge type
    """
    from ...cypher import statement as load

    text = load(name)
    allowed = set(NODE_KINDS) | set(EDGE_TYPES)
    for key, value in labels.items():
        if value not in allowed:
            raise ValueError(f"{value!r} is not a node kind or edge type")
        text = text.replace("{" + key + "}", value)
    return text


class Connection(Protocol):
    """How the store talks to one graph on one server."""

    dialect: str  # "neo4j" or "falkordb"
    database: str
    batch_size: int

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]: ...

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]: ...

    def write_all(self, statements: Iterable[tuple[str, dict[str, Any]]], *,
                  bump: tuple[str, dict[str, Any]] | None = None, always: bool = False) -> int:
        """Run write statements in order, in one transaction where the server has them; return the
        sum of what each returns in its first column (the loaders return how many rows they wrote).

        ``bump`` (the statement raising the revision) runs when any statement wrote something (or,
        with ``always``, in any case): on Neo4j last, in the same transaction; on FalkorDB, which has no
        transaction, after the first statement that wrote and again after the last if more was written
        since, so that the revision has moved whenever the records have."""
        ...

    def close(self) -> None: ...


def _without_nul(value: Any) -> Any:
    r"""Parameters as FalkorDB's client can send them: it writes them into the query's text, where a NUL
    ends the text. No record holds a control character (the loader refuses them), so a NUL in a
    parameter (an id asked for, say) becomes another control character, which matches nothing either.

    Examples
    --------
    >>> _without_nul({"ids": ["a\x00b", "c"], "n": 1})
    {'ids': ['a\x01b', 'c'], 'n': 1}
    """
    if isinstance(value, str):
        return value.replace("\x00", "\x01") if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nul(v) for v in value]
    return value


def _cell(cell: list[Any], graph: Any) -> Any:
    """One value of FalkorDB's compact result format, ``[type, value]``, as its client reads it: strings,
    numbers, booleans, null, lists and maps here (what orggraph's statements return, read a few times
    faster than the client's general reader, which is kept for the rest: nodes, edges, paths)."""
    kind, value = cell
    if kind == 2:  # string
        return value.decode() if isinstance(value, bytes) else value
    if kind == 6:  # list
        return _cells(value, graph)
    if kind == 3:
        return int(value)
    if kind == 1:
        return None
    if kind == 4:
        return (value.decode() if isinstance(value, bytes) else value) == "true"
    if kind == 5:
        return float(value)
    if kind == 10:  # map: key, value, key, value...
        return {(value[i].decode() if isinstance(value[i], bytes) else value[i]): _cell(value[i + 1], graph)
                for i in range(0, len(value), 2)}
    from falkordb.query_result import parse_scalar

    return parse_scalar(cell, graph)


def _cells(cells: list[list[Any]], graph: Any) -> list[Any]:
    """The values of a row or a list in the compact format (:func:`_cell`): a string, an integer or a null,
    most of what is read, taken in the loop itself, not by a call a value."""
    return [value if kind == 2 and value.__class__ is str else int(value) if kind == 3 else None if kind == 1
            else _cell((kind, value), graph) for kind, value in cells]


def _records(response: list[Any], graph: Any) -> list[list[Any]]:
    """The rows of a compact FalkorDB response (header, rows, statistics; or statistics alone).

    Raises
    ------
    redis.exceptions.ResponseError
        The error the server put in the response in place of the rows or the statistics.
    """
    import redis.exceptions

    for part in (response[0], response[-1]):
        if isinstance(part, redis.exceptions.ResponseError):
            raise part
    if len(response) < 3 or not response[0]:
        return []
    return [_cells(row, graph) for row in response[1]]


class FalkorConnection:
    """FalkorDB through its own client; the graph name is the database.

    FalkorDB runs each query atomically but has no transaction spanning several: a load is written batch
    by batch (see :meth:`ServerStore.load` for what that means when a server fails half-way).
    """

    dialect = "falkordb"

    def __init__(self, host: str = "127.0.0.1", port: int = 6379, database: str = "orggraph",
                 password: str | None = None, username: str | None = None, batch_size: int = 5000,
                 timeout: float = 60.0):
        from falkordb import FalkorDB

        self.database = database
        self.batch_size = batch_size
        try:
            self._db = FalkorDB(host=host, port=port, password=password, username=username,
                                socket_timeout=timeout, socket_connect_timeout=min(timeout, 10.0))
            self._graph = self._db.select_graph(database)
            self._db.connection.ping()
        except Exception as exc:  # the client raises redis errors of many kinds
            raise StoreError(f"cannot reach FalkorDB at {host}:{port}: {exc}") from exc
        import redis.exceptions

        self._where = f"{host}:{port}"
        self._lost = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"cannot reach FalkorDB at {self._where}: {exc}")

    def _query(self, command: str, cypher: str, params: dict[str, Any] | None) -> list[list[Any]]:
        """One statement, its parameters written in its header as the client writes them, its rows read
        by :func:`_records`."""
        from falkordb.helpers import stringify_param_value

        params = _without_nul(params or {})
        header = "CYPHER " + "".join(f"`{k}`={stringify_param_value(v)} " for k, v in params.items()) if params else ""
        try:
            response = self._db.connection.execute_command(command, self.database, header + cypher, "--compact")
        except self._lost as exc:
            raise self._unavailable(exc) from exc
        return _records(response, self._graph)

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self._query("GRAPH.RO_QUERY", cypher, params)

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self._query("GRAPH.QUERY", cypher, params)

    def write_all(self, statements: Iterable[tuple[str, dict[str, Any]]], *,
                  bump: tuple[str, dict[str, Any]] | None = None, always: bool = False) -> int:
        written, bumped, stale = 0, False, False  # stale: changed since the revision was raised
        for cypher, params in statements:
            rows = self.write(cypher, params)
            wrote = int(rows[0][0]) if rows and rows[0] and isinstance(rows[0][0], int) else 0
            written += wrote
            if bump is not None and (wrote or always):
                if not bumped:  # the first change: readers stop trusting what they kept
                    self.write(*bump)
                    bumped = True
                else:
                    stale = True
        if stale:
            self.write(*bump)  # type: ignore[misc]
        return written

    def command(self, *args: Any) -> Any:
        """A server command outside Cypher (constraints on FalkorDB are made this way)."""
        try:
            return self._db.connection.execute_command(*args)
        except self._lost as exc:
            raise self._unavailable(exc) from exc

    def close(self) -> None:
        try:
            self._db.connection.close()
        except Exception:
            pass


class Neo4jConnection:
    """Neo4j (single server, cluster, Aura) through the official driver.

    The driver is made once here, or handed in; every call names its database; reads go with read
    routing so a cluster spreads them; a load's writes run in one transaction.
    """

    dialect = "neo4j"

    def __init__(self, uri: str | None = None, *, user: str | None = None, password: str | None = None,
                 database: str = "neo4j", batch_size: int = 5000, driver: Any = None,
                 connection_timeout: float = 10.0):
        self.database = database
        self.batch_size = batch_size
        self._own = driver is None
        if driver is None:
            import neo4j

            if user is None and password:
                user = "neo4j"  # a password without a user is for Neo4j's default user
            auth = (user, password) if user is not None else None
            # the server's notices (a label not yet in use, say) are not logged: they would repeat the query
            driver = neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=connection_timeout,
                                                notifications_min_severity="OFF")
            try:
                driver.verify_connectivity()
            except neo4j.exceptions.AuthError as exc:
                driver.close()
                raise StoreError(f"Neo4j at {uri} refused the credentials of user {user!r}: {exc.message}") from None
            except Exception as exc:  # the driver raises several kinds; say plainly what failed
                driver.close()
                raise StoreError(f"cannot reach Neo4j at {uri}: {exc}") from exc
        self._driver = driver

    def _refused(self, exc: Exception) -> StoreError:
        """orggraph's error for one of the driver's: out of reach is StoreUnavailable (a 503 from the API);
        a statement the server refuses (a constraint, a database that does not exist) is a StoreError that
        names the database and says what the server said."""
        import neo4j

        if isinstance(exc, (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired)):
            return StoreUnavailable(f"cannot reach Neo4j: {exc}")
        if isinstance(exc, neo4j.exceptions.ConstraintError):  # a write around orggraph's, which validates first
            said = re.sub(r"^Node\(\d+\) ", "a node ", exc.message or "")  # the server's own number means nothing here
            return StoreError(f"Neo4j refused a write on database {self.database!r}, as an id it names is taken: {said}")
        if isinstance(exc, neo4j.exceptions.Neo4jError):
            return StoreError(f"Neo4j refused a statement on database {self.database!r}: {exc.message} ({exc.code})")
        return StoreError(f"Neo4j failed on database {self.database!r}: {exc}")

    def _query(self, cypher: str, params: dict[str, Any] | None, routing: str) -> list[list[Any]]:
        """One statement in a transaction of its own (auto-commit: one round trip, where a managed one
        takes three), in a session that reads or writes as asked, so that a cluster routes it, and that
        shares the driver's bookmarks, so that a read sees every write made before it; tried again when
        the server undoes it as transient (:data:`_TRANSIENT_TRIES`)."""
        import neo4j

        mode = neo4j.READ_ACCESS if routing == "r" else neo4j.WRITE_ACCESS
        for attempt in range(_TRANSIENT_TRIES):
            try:
                with self._driver.session(database=self.database, default_access_mode=mode,
                                          bookmark_manager=self._driver.execute_query_bookmark_manager) as session:
                    return [list(r.values()) for r in session.run(cypher, params or {})]
            except neo4j.exceptions.TransientError as exc:  # a deadlock, say: the statement was undone
                if attempt + 1 == _TRANSIENT_TRIES:
                    raise self._refused(exc) from exc
                time.sleep(0.05 * 2**attempt)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                raise self._refused(exc) from exc
        raise AssertionError("unreachable")

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self._query(cypher, params, "r")

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self._query(cypher, params, "w")

    def write_all(self, statements: Iterable[tuple[str, dict[str, Any]]], *,
                  bump: tuple[str, dict[str, Any]] | None = None, always: bool = False) -> int:
        import neo4j

        written, ran = 0, False
        try:
            with self._driver.session(database=self.database,
                                      bookmark_manager=self._driver.execute_query_bookmark_manager) as session:
                tx = session.begin_transaction()
                try:
                    for cypher, params in statements:
                        ran = True
                        record = tx.run(cypher, params).single()
                        if record is not None and isinstance(record[0], int):
                            written += record[0]
                    if bump is not None and (written or (always and ran)):
                        tx.run(*bump).consume()
                    tx.commit()
                    return written
                except BaseException:
                    tx.rollback()
                    raise
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
            raise self._refused(exc) from exc

    def close(self) -> None:
        if self._own:
            self._driver.close()


def connect(server: str, *, user: str | None = None, password: str | None = None, database: str | None = None,
            batch_size: int = 5000) -> "ServerStore":
    """A store on a graph server, from a URI: ``bolt://``, ``neo4j://``, ``neo4j+s://`` (Neo4j) or
    ``falkordb://host:port`` (FalkorDB; the graph is the database, default ``orggraph``).

    Examples
    --------
    >>> connect("mysql://localhost")
    Traceback (most recent call last):
    ...
    orggraph.exceptions.StoreError: unknown server 'mysql://localhost': use bolt://, neo4j://, neo4j+s:// or falkordb://host:port
    """
    url = urlparse(server)
    scheme = url.scheme.lower()
    if scheme == "falkordb":
        conn: Connection = FalkorConnection(
            host=url.hostname or "127.0.0.1", port=url.port or 6379,
            database=database or (url.path.strip("/") or "orggraph"),
            password=password or (unquote(url.password) if url.password else None),
            username=user or (unquote(url.username) if url.username else None), batch_size=batch_size,
        )
    elif scheme in {"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"}:
        conn = Neo4jConnection(server, user=user, password=password, database=database or "neo4j",
                               batch_size=batch_size)
    else:
        raise StoreError(f"unknown server {server!r}: use bolt://, neo4j://, neo4j+s:// or falkordb://host:port")
    from .store import ServerStore

    return ServerStore(conn)
