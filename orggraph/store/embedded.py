"""The embedded store: one SQLite file in WAL mode, no server needed."""

from __future__ import annotations

import collections
import contextlib
import gc
import os
import sqlite3
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence

import orjson

from ..exceptions import IndexOutOfStep, NotFound, RecordError, StoreBusy, StoreError
from ..facts import Facts
from ..history import Tally, Written, entry_nodes
from ..index import Index, build_index
from ..index.arrays import IndexParts
from ..load import Item, Loader, LoadReport
from ..model import EDGE_TYPES, NODE_KINDS, fold, unfolded
from ..privacy import ADDRESS_HEAD_ENDS

__all__ = ["EmbeddedStore", "SCHEMA_VERSION"]

#: 2: tokens expire; 3: the audit log in a file of its own; 4: the history of the records; 5: the ids spelled
#: otherwise than their fold
SCHEMA_VERSION = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    id    TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    props TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (
    type   TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    since  TEXT NOT NULL,          -- '' when open-ended, so that it can be part of the key
    until  TEXT,
    props  TEXT NOT NULL,
    PRIMARY KEY (type, source, target, since)
) WITHOUT ROWID;
-- the queries' compact index (orggraph.index), saved for the revision it was built from
CREATE TABLE IF NOT EXISTS index_cache (revision INTEGER PRIMARY KEY, data BLOB NOT NULL);
-- the changes since, one a revision (JSON), to carry that index forward (Index.updated)
CREATE TABLE IF NOT EXISTS index_changes (revision INTEGER PRIMARY KEY, data BLOB NOT NULL);
-- API tokens, kept only as hashes (orggraph.access)
CREATE TABLE IF NOT EXISTS tokens (
    id      TEXT PRIMARY KEY,
    hash    TEXT NOT NULL UNIQUE,
    role    TEXT NOT NULL,
    areas   TEXT NOT NULL,          -- JSON list of area ids
    pii     INTEGER NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT,
    expires TEXT                    -- ISO time in UTC, or NULL: valid until revoked
);
"""
_HISTORY_SCHEMA = """
-- the history of the records (orggraph.history): one entry a write, in the write's own transaction
CREATE TABLE IF NOT EXISTS history (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    at    TEXT NOT NULL,
    kind  TEXT NOT NULL,
    by    TEXT,
    data  TEXT NOT NULL             -- JSON: note, on, added, changed, ended, removed, counts, complete
);
-- the node ids each entry names, to find a record's story
CREATE TABLE IF NOT EXISTS history_nodes (
    node  TEXT NOT NULL,
    entry INTEGER NOT NULL,
    PRIMARY KEY (node, entry)
) WITHOUT ROWID;
"""
_FOLDS_SCHEMA = """
-- the node ids spelled otherwise than their fold (orggraph.model.fold: NFKC, casefold), by fold: few or none,
-- as most ids are ASCII with no capital letter. A load finds here at once an id that folds alike one stored
-- (orggraph.load.Loader: one id, one thing). Written in the transaction that writes the node.
CREATE TABLE IF NOT EXISTS folds (
    fold  TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (fold, id)
) WITHOUT ROWID;
"""
# The audit log lives in a file of its own beside the store (``city.db-audit``), so that appending to it
# never waits on a load's long write transaction, nor a load on it.
_AUDIT_SCHEMA = """
-- who saw personal data unmasked, when, where: append-only
CREATE TABLE IF NOT EXISTS audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    token   TEXT NOT NULL,
    route   TEXT NOT NULL,
    records TEXT NOT NULL           -- JSON list of node ids
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
# Incidents (orggraph.incidents) live in a file of their own beside the store (``city.db-incidents``), for
# the audit log's reason: a door marked during a door-to-door action never waits on a load, nor a load on it.
_INCIDENTS_SCHEMA = """
-- incidents kept as records: the call sheet as it stood when each was opened
CREATE TABLE IF NOT EXISTS incidents (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    data      TEXT NOT NULL,        -- JSON: name, opened, by, as_of, unavailable, areas, households, counts
    sheet     BLOB NOT NULL,        -- the call sheet's parts, compressed JSON (orggraph.incidents)
    closed    TEXT,                 -- ISO time in UTC, or NULL while open
    closed_by TEXT
);
-- each door's outcome: a later mark supersedes an earlier one, and every one is kept
CREATE TABLE IF NOT EXISTS marks (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    incident TEXT NOT NULL,
    data     TEXT NOT NULL          -- JSON: household, status, by, note, at, recorded_by
);
CREATE INDEX IF NOT EXISTS marks_by_incident ON marks (incident, seq);
CREATE TRIGGER IF NOT EXISTS marks_append_only_update BEFORE UPDATE ON marks
BEGIN SELECT RAISE(ABORT, 'marks are append-only'); END;
CREATE TRIGGER IF NOT EXISTS marks_append_only_delete BEFORE DELETE ON marks
BEGIN SELECT RAISE(ABORT, 'marks are append-only'); END;
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS nodes_by_kind ON nodes (kind);
CREATE INDEX IF NOT EXISTS edges_by_source ON edges (source);
CREATE INDEX IF NOT EXISTS edges_by_target ON edges (target);
"""
_INDEX_NAMES = ("nodes_by_kind", "edges_by_source", "edges_by_target")
_UPSERT_NODE = (
    "INSERT INTO nodes (id, kind, props) VALUES (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET props = excluded.props WHERE nodes.props IS NOT excluded.props"
)
_UPSERT_EDGE = (
    "INSERT INTO edges (type, source, target, since, until, props) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (type, source, target, since) DO UPDATE SET until = excluded.until, props = excluded.props "
    "WHERE edges.until IS NOT excluded.until OR edges.props IS NOT excluded.props"
)
# Of a batch about to be written, the records that differ from what is stored (JSON [[id, props], ...] and
# [[type, source, target, since, until, props], ...]): whether each is new, and for an edge its stored until
# and whether its properties are the same; records stored alike are left out, so a reload costs little.
_NODES_DIFFERING = (
    "SELECT j.value ->> 0, n.id IS NULL FROM json_each(?) AS j LEFT JOIN nodes AS n ON n.id = j.value ->> 0 "
    "WHERE n.id IS NULL OR n.props IS NOT j.value ->> 1"
)
_EDGES_DIFFERING = (
    "SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, e.type IS NULL, e.until, "
    "e.props IS j.value ->> 5 FROM json_each(?) AS j LEFT JOIN edges AS e ON e.type = j.value ->> 0 "
    "AND e.source = j.value ->> 1 AND e.target = j.value ->> 2 AND e.since = j.value ->> 3 "
    "WHERE e.type IS NULL OR e.props IS NOT j.value ->> 5 OR e.until IS NOT j.value ->> 4"
)
_NODE_FIXED = ("id", "kind")
_CARRY_AT_MOST = 100_000  # records a load may change and still carry the query index forward
_LOG_AT_MOST = 16  # changes logged after the index was saved whole before it is saved whole again
_EDGE_FIXED = ("type", "source", "target", "since", "until")
_AMONG_IN_SQL = 20_000  # ids a search asks the file for by id; more are checked as the records are read
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _dumps(props: dict[str, Any]) -> str:
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def _written(text: str) -> str:
    """A text as a record's JSON text writes it (as :func:`_dumps` writes a property's value)."""
    return orjson.dumps(text).decode()[1:-1]


def _like(text: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern for the JSON text of records holding ``text`` somewhere."""
    written = _written(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{written}%"


def _ascii_lower(text: str) -> str:
    """ASCII letters in lower case, the others as they are: as SQLite's ``lower`` and ``LIKE`` fold them."""
    return text.translate(_ASCII_LOWER)


def _node(row: tuple[str, str, str]) -> dict[str, Any]:
    node = {"id": row[0], "kind": row[1]}
    node.update(orjson.loads(row[2]))
    return node


def _edge(row: tuple[str, str, str, str, str | None, str]) -> dict[str, Any]:
    edge: dict[str, Any] = {"type": row[0], "source": row[1], "target": row[2]}
    if row[3]:
        edge["since"] = row[3]
    if row[4]:
        edge["until"] = row[4]
    edge.update(orjson.loads(row[5]))
    return edge


def _node_rows(rows: list[dict[str, Any]]) -> list[tuple]:
    out = []
    for r in rows:
        props = dict(r)
        del props["id"], props["kind"]
        out.append((r["id"], r["kind"], _dumps(props)))
    return out


def _edge_rows(rows: list[dict[str, Any]]) -> list[tuple]:
    out = []
    for r in rows:
        since, until = r.get("since"), r.get("until")
        if len(r) == 3 + (since is not None) + (until is not None):  # no properties: the common case
            props = "{}"
        else:
            props = _dumps({k: v for k, v in r.items() if k not in _EDGE_FIXED})
        out.append((r["type"], r["source"], r["target"], since or "", until, props))
    return out


def _is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite said another connection holds the lock (rather than that something is wrong)."""
    return "locked" in str(exc) or "busy" in str(exc)


def _save_whole(conn: sqlite3.Connection, index: Index) -> None:
    """Save the query index whole, in place of the one saved before and the changes logged since."""
    conn.execute("DELETE FROM index_changes")
    conn.execute("DELETE FROM index_cache")
    conn.execute("INSERT INTO index_cache VALUES (?, ?)", (index.revision, index.to_bytes()))


class _Writer:
    """The thread that runs a load's statements on the writer connection, one after another, while the load
    reads and checks the records that follow: SQLite lets go of Python's lock while it works, so the two
    share the machine's cores. At most ``ahead`` statements wait their turn (the load waits for room), so
    what waits is a few batches. A statement that fails is raised at the next :meth:`submit`, :meth:`call`
    or :meth:`join`; :meth:`close` waits for the one running and drops the others, before the load's
    transaction is rolled back.
    """

    def __init__(self, ahead: int = 8):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="orggraph-load")
        self._pending: collections.deque[Future[Any]] = collections.deque()
        self._ahead = ahead

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        while len(self._pending) >= self._ahead:
            self._pending.popleft().result()
        future = self._pool.submit(fn, *args)
        self._pending.append(future)
        return future

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` after everything submitted before, and return what it returns."""
        future = self.submit(fn, *args)
        self.join()
        return future.result()

    def join(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)


# A batch of records as one JSON array of the records, each with its keys sorted (the loader's texts): SQLite
# reads it (json_each) in the writer's thread, and a record's properties are the record without its fixed
# fields (json_remove keeps the rest as written: the text _dumps writes, keys sorted, no space).
_NODES_JSON = (
    "SELECT value ->> 'id', value ->> 'kind', json_remove(value, '$.id', '$.kind') FROM json_each(?)"
)
_EDGES_JSON = (
    "SELECT value ->> 'type', value ->> 'source', value ->> 'target', coalesce(value ->> 'since', ''), value ->> 'until', "
    "json_remove(value, '$.type', '$.source', '$.target', '$.since', '$.until') FROM json_each(?)"
)
_INSERT_NODES_JSON = (
    f"INSERT INTO nodes (id, kind, props) {_NODES_JSON} WHERE true "
    "ON CONFLICT (id) DO UPDATE SET props = excluded.props WHERE nodes.props IS NOT excluded.props"
)
_INSERT_EDGES_JSON = (
    f"INSERT INTO edges (type, source, target, since, until, props) {_EDGES_JSON} WHERE true "
    "ON CONFLICT (type, source, target, since) DO UPDATE SET until = excluded.until, props = excluded.props "
    "WHERE edges.until IS NOT excluded.until OR edges.props IS NOT excluded.props"
)
# Of such a batch, the records that differ from what is stored, as their texts: whether each is new, and for
# an edge its key, its stored until and whether its properties are the same. Only these are written.
_NODES_DIFFERING_JSON = (
    "SELECT j.value ->> 'id', n.id IS NULL, j.value, n.kind IS NOT NULL AND n.kind IS NOT j.value ->> 'kind', n.kind "
    "FROM json_each(?) AS j LEFT JOIN nodes AS n ON n.id = j.value ->> 'id' "
    "WHERE n.id IS NULL OR n.props IS NOT json_remove(j.value, '$.id', '$.kind') OR n.kind IS NOT j.value ->> 'kind'"
)
_EDGES_DIFFERING_JSON = (
    "SELECT k.type, k.source, k.target, k.since, k.until, e.type IS NULL, e.until, e.props IS k.props, k.value FROM "
    "(SELECT value ->> 'type' AS type, value ->> 'source' AS source, value ->> 'target' AS target, "
    "coalesce(value ->> 'since', '') AS since, value ->> 'until' AS until, "
    "json_remove(value, '$.type', '$.source', '$.target', '$.since', '$.until') AS props, value FROM json_each(?)) AS k "
    "LEFT JOIN edges AS e ON e.type = k.type AND e.source = k.source AND e.target = k.target AND e.since = k.since "
    "WHERE e.type IS NULL OR e.props IS NOT k.props OR e.until IS NOT k.until"
)


def _array(texts: bytes | list[str]) -> str:
    """Texts of JSON as one JSON array: joined by commas already (:class:`orggraph.load.Texts`), or not."""
    if isinstance(texts, bytes):
        return "[" + texts.decode() + "]"
    return "[" + ",".join(texts) + "]"


class _Sink:
    """Receives a load's validated rows inside the store's open transaction, and hands them to the writer's
    thread (:class:`_Writer`); what the loader asks of the store is asked there too, after what went before.

    Keeps what it wrote, up to ``keep`` rows, so that the store can carry its query index forward.
    """

    takes_texts = True  # each batch also as its records' JSON texts (orggraph.load.Texts)
    # a node of a batch given as texts whose id the store holds as another kind is not written, and told at
    # the end (kinds_refused), so that the load never waits for the writer to look its ids up
    tells_kinds = True

    def __init__(self, conn: sqlite3.Connection, writer: _Writer, keep: int = 0, tally: Tally | None = None,
                 empty: bool = False):
        self.conn = conn
        self.writer = writer
        self.keep = keep
        self.tally = tally  # what the load changes, told record by record from what the store held
        self.empty = empty
        # whether the store held ids spelled otherwise than their fold before the load (those the load
        # writes are its own, found by the loader within it)
        self.folds = not empty and conn.execute("SELECT EXISTS (SELECT 1 FROM folds)").fetchone()[0] == 1
        self.folded = 0  # rows the load added to the folds (not records: left out of what it changed)
        self.refused: list[tuple[str, str]] = []  # (id, stored kind) of nodes given as another kind
        self.nodes: list[tuple[str, str, dict[str, Any]]] | None = [] if keep else None
        self.edges: list[tuple[str, str, str, str | None, str | None, dict[str, Any]]] | None = [] if keep else None

    def _kept(self, count: int) -> bool:
        if self.nodes is None or self.edges is None or len(self.nodes) + len(self.edges) + count > self.keep:
            self.nodes = self.edges = None  # too many to be worth it: the index is built afresh
            return False
        return True

    def write_nodes(self, rows: list[dict[str, Any]] | None, texts: bytes | None = None,
                    ids: list[str] | None = None) -> None:
        """Nodes as validated (``rows``), or as their texts (the records as JSON, keys sorted, joined by commas:
        :class:`orggraph.load.Texts`) and ids: then ``rows`` may be None (checked in another process)."""
        if texts is None:
            assert rows is not None
            if self._kept(len(rows)):
                self.nodes.extend((r["id"], r["kind"], r) for r in rows)  # type: ignore[union-attr]
            self.writer.submit(self._node_rows, _node_rows(rows), [r["id"] for r in rows])
        else:
            self.writer.submit(self._node_texts, texts, ids if ids is not None else [r["id"] for r in rows])  # type: ignore[union-attr]

    def _node_texts(self, texts: bytes, ids: list[str]) -> None:
        batch = _array(texts)
        if self.tally is not None and self.empty:
            self.tally.all_added(ids)
        elif self.tally is not None:  # what differs from what is stored, told by SQLite: a reload writes nothing
            differing = []
            for node_id, added, text, other, stored in self.conn.execute(_NODES_DIFFERING_JSON, (batch,)):
                if other:
                    self.refused.append((node_id, stored))
                    continue
                self.tally.note("added" if added else "changed", node_id)
                differing.append(text)
            if self._kept(len(differing)):
                for r in map(orjson.loads, differing):
                    self.nodes.append((r["id"], r["kind"], r))  # type: ignore[union-attr]
            if not differing:
                self._folds(ids)
                return
            batch = _array(differing)
        self.conn.execute(_INSERT_NODES_JSON, (batch,))
        self._folds(ids)

    def _node_rows(self, out: list[tuple[str, str, str]], ids: list[str]) -> None:
        if self.tally is not None and self.empty:
            self.tally.all_added(ids)
        elif self.tally is not None:
            for node_id, added in self.conn.execute(_NODES_DIFFERING, (orjson.dumps([[i, p] for i, _, p in out]).decode(),)):
                self.tally.note("added" if added else "changed", node_id)
        self.conn.executemany(_UPSERT_NODE, out)
        self._folds(ids)

    def _folds(self, ids: list[str]) -> None:
        spelled = unfolded(ids)
        if spelled:
            self.folded += self.conn.executemany("INSERT OR IGNORE INTO folds (fold, id) VALUES (?, ?)",
                                                 [(folded, ids[i]) for i, folded in spelled]).rowcount

    def write_edges(self, rows: list[dict[str, Any]] | None, texts: bytes | None = None,
                    sources: list[str] | None = None) -> None:
        """Edges as validated (``rows``), or as their texts (then ``rows`` may be None)."""
        if texts is None:
            assert rows is not None
            if self._kept(len(rows)):
                self.edges.extend((r["type"], r["source"], r["target"], r.get("since"), r.get("until"), r)  # type: ignore[union-attr]
                                  for r in rows)
            keys = None
            if self.tally is not None and self.empty:
                keys = ([[r["type"], r["source"], r["target"], r.get("since")] for r in rows] if self.tally.room
                        else len(rows))
            self.writer.submit(self._edge_rows, _edge_rows(rows), keys)
        else:
            self.writer.submit(self._edge_texts, texts, len(texts))

    def _edge_texts(self, texts: bytes, count: int) -> None:
        batch = _array(texts)
        if self.tally is not None and self.empty:
            if self.tally.room:  # the first keys kept in the history, from the records written
                self.tally.all_added([[r["type"], r["source"], r["target"], r.get("since")]
                                      for r in orjson.loads(batch)])
            else:
                self.tally.all_added(count)
        elif self.tally is not None:
            differing = []
            for type_, source, target, since, until, added, before, same, text in self.conn.execute(
                    _EDGES_DIFFERING_JSON, (batch,)):
                self.tally.edge([type_, source, target, since or None], new=bool(added), same=bool(same), until=until,
                                before=before)
                differing.append(text)
            if self._kept(len(differing)):
                for r in map(orjson.loads, differing):
                    self.edges.append((r["type"], r["source"], r["target"], r.get("since"), r.get("until"), r))  # type: ignore[union-attr]
            if not differing:
                return
            batch = _array(differing)
        self.conn.execute(_INSERT_EDGES_JSON, (batch,))

    def _edge_rows(self, out: list[tuple], keys: list[Any] | int | None) -> None:
        if self.tally is not None and self.empty:
            self.tally.all_added(keys)  # type: ignore[arg-type]
        elif self.tally is not None:
            for type_, source, target, since, until, added, before, same in self.conn.execute(
                    _EDGES_DIFFERING, (orjson.dumps(out).decode(),)):
                self.tally.edge([type_, source, target, since or None], new=bool(added), same=bool(same), until=until,
                                before=before)
        self.conn.executemany(_UPSERT_EDGE, out)

    def kinds_of(self, ids: list[str]) -> dict[str, str]:
        return self.writer.call(self._kinds_of, ids)

    def _kinds_of(self, ids: list[str]) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, kind FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
                                      (orjson.dumps(ids).decode(),)))

    def hierarchy(self, type_: str) -> Iterable[tuple[str, str]]:
        return self.writer.call(
            lambda: self.conn.execute("SELECT source, target FROM edges WHERE type = ?", (type_,)).fetchall())

    def kinds_refused(self) -> list[tuple[str, str]]:
        """The nodes not written because the store holds their ids as another kind: (id, stored kind)."""
        self.writer.join()
        return self.refused

    def same_folds(self, folds: list[str], plain: list[str]) -> list[tuple[str, str]]:
        if not folds and not self.folds:  # nothing to look for: the writer is not waited for
            return []
        return self.writer.call(self._same_folds, folds, plain)

    def _same_folds(self, folds: list[str], plain: list[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if folds:
            found += self.conn.execute("SELECT id, id FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
                                       (orjson.dumps(folds).decode(),)).fetchall()
        if self.folds and (folds or plain):
            found += self.conn.execute("SELECT fold, id FROM folds WHERE fold IN (SELECT value FROM json_each(?))",
                                       (orjson.dumps(folds + plain).decode(),)).fetchall()
        return found


class EmbeddedStore:
    """The network in one local SQLite file.

    The file is in WAL mode with full synchronous commits: a load is one transaction, so it lands whole
    or not at all, even if the process is killed or the machine loses power half-way. Nodes are keyed by
    id and edges by (type, source, target, since), so loading the same records twice changes nothing.

    Many threads and processes may use one store at once. Each thread reads on a connection of its own,
    each read seeing the store as the last write left it, so a record is readable by its writer at once;
    reads never wait for a write. Writes (records, tokens, the saved query index) go one at a time through
    one writer connection; a write waits at most ``wait`` seconds for another to finish, in this process
    or another (a long load), then raises :class:`~orggraph.exceptions.StoreBusy`. The audit log is kept
    in a SQLite file of its own beside the store (``city.db`` -> ``city.db-audit``, WAL, append-only), so
    that showing personal data never waits on a load.

    Parameters
    ----------
    path : str or Path
        The store file; created if it does not exist.
    wait : float
        Seconds a write waits for another writer before it gives up with StoreBusy (default 30). Can be
        changed on an open store (``store.wait = 10``).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "city.db")
    >>> with EmbeddedStore(path) as store:
    ...     report = store.load([("node", "line 1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"})])
    ...     store.node("s1")["name"]
    '江滨街道'
    """

    def __init__(self, path: str | os.PathLike[str], *, wait: float = 30.0):
        self.path = Path(path)
        self.audit_path = Path(f"{self.path}-audit")
        self.incidents_path = Path(f"{self.path}-incidents")
        self.wait = wait
        self.local = True  # answers from its own file
        self._local = threading.local()  # each thread's read connection
        self._readers: list[tuple[weakref.ref, sqlite3.Connection]] = []
        self._readers_lock = threading.Lock()
        self._lock = threading.RLock()  # one writer at a time in this process
        self._writer: sqlite3.Connection | None = None
        self._building = threading.Lock()  # one build of the query index at a time
        self._audit_conn: sqlite3.Connection | None = None
        self._audit_lock = threading.Lock()
        self._incidents_conn: sqlite3.Connection | None = None
        self._incidents_lock = threading.Lock()
        self._index: Index | None = None
        self._next_index: Index | None = None  # the index a write carried forward, kept once it commits
        try:
            conn = self._write_conn()
            conn.execute("PRAGMA busy_timeout = %d" % (max(wait, 0) * 1000))
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            version = self._version(conn)
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer orggraph (schema {version}, this one reads {SCHEMA_VERSION})"
                )
            if version != SCHEMA_VERSION:  # a new file, or an older one: made or upgraded in one write
                with self._writing() as conn:
                    version = self._version(conn)
                    if version is None:
                        for statement in (_SCHEMA + _HISTORY_SCHEMA + _FOLDS_SCHEMA + _INDEXES).split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                        conn.execute("INSERT OR IGNORE INTO meta VALUES ('revision', '0')")
                    elif version < SCHEMA_VERSION:
                        self._upgrade(conn, version)
        except StoreError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            if _is_busy(exc):
                raise self._busy() from None
            raise StoreError(f"{self.path} is not an orggraph store ({exc})") from exc

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int | None:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        row = has_meta and conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def _upgrade(self, conn: sqlite3.Connection, version: int) -> None:
        """Bring a file written by an older orggraph up to this schema, inside the write transaction. The
        version is raised so that an older orggraph, which would not know of expiry, of the audit file, of
        the history nor of the ids spelled otherwise than their fold (which it would not keep), refuses the
        file.

        From schema 3 the audit log is a file of its own: the rows of the old table are copied there (by
        their numbers, so copying twice after a crash half-way adds nothing) before the table is dropped.
        """
        if version < 2 and "expires" not in {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}:
            conn.execute("ALTER TABLE tokens ADD COLUMN expires TEXT")
        if version < 3 and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone():
            rows = conn.execute("SELECT seq, at, token, route, records FROM audit ORDER BY seq").fetchall()
            with self._audit_lock:
                audit = self._audit()
                audit.execute("BEGIN IMMEDIATE")
                try:
                    audit.executemany("INSERT OR IGNORE INTO audit (seq, at, token, route, records) VALUES (?, ?, ?, ?, ?)",
                                      rows)
                    audit.execute("COMMIT")
                except BaseException:
                    audit.execute("ROLLBACK")
                    raise
            conn.execute("DROP TABLE audit")  # its triggers go with it
        if version < 4:  # the history starts with the first write after the upgrade
            for statement in _HISTORY_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        if version < 5:  # the ids spelled otherwise than their fold, from the ids stored
            conn.execute(_FOLDS_SCHEMA)
            cursor = conn.execute("SELECT id FROM nodes")
            while ids := [i for (i,) in cursor.fetchmany(10000)]:
                conn.executemany("INSERT OR IGNORE INTO folds (fold, id) VALUES (?, ?)",
                                 [(folded, ids[i]) for i, folded in unfolded(ids)])
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    # -- connections ------------------------------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's read connection (made on first use): never shared by two threads at once."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=max(self.wait, 5))
            conn.execute("PRAGMA query_only = 1")  # every write goes through the writer
            conn.execute("PRAGMA cache_size = -32768")  # 32 MiB a thread
            conn.execute("PRAGMA temp_store = MEMORY")
            with self._readers_lock:  # close the connections of threads that have ended
                alive = []
                for thread, other in self._readers:
                    owner = thread()
                    if owner is None or not owner.is_alive():
                        other.close()
                    else:
                        alive.append((thread, other))
                alive.append((weakref.ref(threading.current_thread()), conn))
                self._readers = alive
            self._local.conn = conn
        return conn

    def _write_conn(self) -> sqlite3.Connection:
        """The one connection that writes, used under the write lock only."""
        if self._writer is None:
            self._writer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                           timeout=max(self.wait, 0))
            self._writer.execute("PRAGMA synchronous = FULL")
            self._writer.execute("PRAGMA cache_size = -262144")  # 256 MiB, so a large load rarely spills
            self._writer.execute("PRAGMA temp_store = MEMORY")
        return self._writer

    def _busy(self, what: str = "the store") -> StoreBusy:
        return StoreBusy(f"{what} {self.path} is busy: another write (a load, perhaps) has held it for more than "
                         f"{self.wait:g} s; try again when it has finished")

    @contextlib.contextmanager
    def _writing(self, wait: float | None = None, commit: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction on the writer connection: waits up to ``wait`` seconds (the store's
        ``wait`` by default) for the other writers of this process and then of any other, else StoreBusy.
        An index the write carried forward (``self._next_index``) is kept once it commits. Without
        ``commit``, what was written is rolled back at the end (a dry run)."""
        wait = self.wait if wait is None else wait
        deadline = time.monotonic() + max(wait, 0)
        if not self._lock.acquire(timeout=max(wait, 0)):
            raise self._busy()
        try:
            conn = self._write_conn()
            conn.execute("PRAGMA busy_timeout = %d" % (max(0.0, deadline - time.monotonic()) * 1000))
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    raise self._busy() from None
                raise
            self._next_index = None
            try:
                yield conn
                conn.execute("COMMIT" if commit else "ROLLBACK")
                if not commit:
                    self._next_index = None
            except BaseException:
                conn.execute("ROLLBACK")
                self._next_index = None
                raise
            if self._next_index is not None:
                self._index, self._next_index = self._next_index, None
        finally:
            self._lock.release()

    def _audit(self) -> sqlite3.Connection:
        """The audit file's connection, made (and the file with it) on first use; used under ``_audit_lock``."""
        if self._audit_conn is None:
            self._audit_conn = self._side_file(self.audit_path, _AUDIT_SCHEMA, "audit_append_only_delete",
                                               "the audit log of", max(self.wait, 5))
        return self._audit_conn

    def _side_file(self, path: Path, schema: str, last: str, what: str, timeout: float) -> sqlite3.Connection:
        """A connection to a file of its own beside the store (the audit log, the incidents), made with its
        schema on first use (``last``, the schema's last trigger, tells it is there): WAL, full commits.
        StoreBusy (naming ``what``) if another process holds it past ``timeout`` seconds."""
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (last,)).fetchone():
                conn.executescript(schema)
        except sqlite3.OperationalError as exc:
            conn.close()
            if _is_busy(exc):
                raise self._busy(what) from None
            raise
        return conn

    @contextlib.contextmanager
    def _incidents(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The incidents file's connection (made, and the file with it, on first use), under its lock; with
        ``write``, inside one transaction that waits at most the store's ``wait`` for another process."""
        with self._incidents_lock:
            if self._incidents_conn is None:
                self._incidents_conn = self._side_file(self.incidents_path, _INCIDENTS_SCHEMA,
                                                       "marks_append_only_delete", "the incidents of",
                                                       max(self.wait, 0))
            conn = self._incidents_conn
            if not write:
                yield conn
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    raise self._busy("the incidents of") from None
                raise
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- life cycle -----------------------------------------------------------------------------------

    def close(self) -> None:
        with self._readers_lock:
            for _, conn in self._readers:
                conn.close()
            self._readers = []
        if self._writer is not None:
            self._writer.close()
        if self._audit_conn is not None:
            self._audit_conn.close()
        if self._incidents_conn is not None:
            self._incidents_conn.close()

    def __enter__(self) -> "EmbeddedStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.path)!r})"

    @property
    def revision(self) -> int:
        return int(self._conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    # -- writing --------------------------------------------------------------------------------------

    def load(self, items: Iterable[Item], *, batch_size: int | None = None, max_errors: int = 100,
             check: Callable[[LoadReport], None] | None = None, dry_run: bool = False,
             history: Written | None = None) -> LoadReport:
        """Add records in one transaction: all of them, or none if any is invalid.

        Parameters
        ----------
        items : iterable of (what, where, record)
            As the readers in :mod:`orggraph.io` yield them.
        check : callable, optional
            Called with the report of what was read once every record is valid, before anything is
            committed; if it raises, nothing is written (the API checks here that a change stays within
            the token's scope).
        dry_run : bool
            Check every record as the load would, in the same transaction, and roll it back: nothing is
            written (:func:`orggraph.load.check_load`).
        history : dict, optional
            What the load is recorded as in the history (:class:`orggraph.history.Written`: kind, who,
            note); a plain load by nobody named if not given. A load that changes something adds one entry,
            in its own transaction; a load that changes nothing adds none.

        Returns
        -------
        LoadReport
            With ``history``, the number of the entry it added (None if it added none).

        Raises
        ------
        InvalidRecords
            Naming each bad record, field and fault; the store is left exactly as it was.
        StoreBusy
            If another write held the store for longer than the store's ``wait``; nothing was written.
        """
        with self._writing(commit=not dry_run) as conn:
            report = self._load(conn, items, batch_size, max_errors, check, dry_run, history)
        if dry_run:
            return report
        if report.records > 100_000:  # fold a large load into the main file now, if no reader holds it back
            with self._lock:
                conn.execute("PRAGMA busy_timeout = 1000")
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc):
                        raise
        return report

    def _load(self, conn: sqlite3.Connection, items: Iterable[Item], batch_size: int | None, max_errors: int,
              check: Callable[[LoadReport], None] | None, dry_run: bool = False,
              history: Written | None = None) -> LoadReport:
        """The load, inside its transaction. The rows go to SQLite in a thread of their own (:class:`_Writer`)
        while the loader reads and checks the records after them. Into an empty store the secondary indexes
        are built once at the end, and the query index is built from what the load gathered
        (:class:`~orggraph.index.arrays.IndexParts`) while they are, and saved in the same transaction: the
        first question after a load reads no record back. Python's cyclic garbage collector is held off
        meanwhile (the load's millions of small objects hold no cycle it would free; walking them again and
        again cost a quarter of the load)."""
        before_nodes, before_edges = self._totals(conn)
        empty = before_nodes == 0 and before_edges == 0
        if empty:  # build the secondary indexes once at the end: sorting beats row-by-row upkeep
            for name in _INDEX_NAMES:
                conn.execute(f"DROP INDEX {name}")
        changes = conn.total_changes
        revision = int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])
        tally = Tally()
        writer = _Writer()
        collecting = gc.isenabled()
        gc.disable()
        try:
            sink = _Sink(conn, writer, keep=0 if empty else _CARRY_AT_MOST, tally=tally, empty=empty)
            parts = IndexParts() if empty and not dry_run else None
            loader = Loader(sink, store_empty=empty, batch_size=batch_size or 5000, max_errors=max_errors, parts=parts,
                            workers=os.cpu_count() or 1)
            loader.add_all(items)
            report = loader.finish()
            writer.join()
            if check is not None:
                check(report)
            if dry_run:  # every check made: what was written goes with the transaction's rollback
                report.dry_run = True
                return report
            if empty:
                for statement in _INDEXES.strip().splitlines():
                    writer.submit(conn.execute, statement)
            index = None
            if parts is not None and report.records:
                index = parts.build(list(loader._number), revision + 1)
                del loader, parts
            writer.join()
        finally:
            writer.close()
            if collecting:
                gc.enable()
        after_nodes, after_edges = self._totals(conn)
        report.added_nodes = after_nodes - before_nodes
        report.added_edges = after_edges - before_edges
        report.changed = conn.total_changes - changes - report.added_nodes - report.added_edges - sink.folded
        if report.added_nodes or report.added_edges or report.changed:
            if tally:
                report.history = self._append_history(conn, tally.entry(history))
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
            if index is not None:
                _save_whole(conn, index)
                self._next_index = index
            elif sink.nodes is not None and sink.edges is not None:
                self._next_index = self._carry_index(conn, revision, nodes=sink.nodes, edges=sink.edges)
        return report

    def delete(self, nodes: Iterable[str] = (), edges: Iterable[dict[str, Any]] = (), *,
               history: Written | None = None) -> dict[str, int]:
        """Remove nodes, with every edge from or to them, and edges, in one transaction.

        An edge is named by ``type``, ``source``, ``target`` and ``since`` (absent when it has none).
        To end a relation rather than erase it, load the edge again with an ``until``. The removal is
        recorded in the history (``history``: who and why, see :meth:`load`) in the same transaction.

        Returns
        -------
        dict
            ``{"nodes": removed, "edges": removed}``, the edges of removed nodes included.

        Raises
        ------
        NotFound
            If a node or an edge does not exist; nothing is removed.
        StoreBusy
            If another write held the store for longer than the store's ``wait``; nothing was removed.

        Examples
        --------
        >>> import tempfile, os
        >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "d.db"))
        >>> _ = store.load([("node", "1", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
        ...                 ("node", "2", {"id": "h1", "kind": "Household"}),
        ...                 ("edge", "3", {"type": "LOCATED_IN", "source": "h1", "target": "c1"})])
        >>> store.delete(nodes=["h1"])
        {'nodes': 1, 'edges': 1}
        >>> store.delete(nodes=["h1"])
        Traceback (most recent call last):
        ...
        orggraph.exceptions.NotFound: no node with id 'h1'
        """
        with self._writing() as conn:
            revision = int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])
            gone_edges: list[tuple[str, str, str, str | None]] = []
            gone_nodes: list[str] = []
            removed_edges = 0
            for edge in edges:
                key = (edge.get("type"), edge.get("source"), edge.get("target"), edge.get("since") or "")
                cursor = conn.execute("DELETE FROM edges WHERE type = ? AND source = ? AND target = ? AND since = ?", key)
                if cursor.rowcount != 1:
                    raise NotFound(f"no {key[0]} edge from {key[1]!r} to {key[2]!r}"
                                   + (f" since {key[3]}" if key[3] else " without a since"))
                gone_edges.append(key)
                removed_edges += 1
            removed_nodes = 0
            for node_id in dict.fromkeys(nodes):
                if conn.execute("DELETE FROM nodes WHERE id = ?", (node_id,)).rowcount != 1:
                    raise NotFound(f"no node with id {node_id!r}")
                if (folded := fold(node_id)) != node_id:
                    conn.execute("DELETE FROM folds WHERE fold = ? AND id = ?", (folded, node_id))
                gone_nodes.append(node_id)
                removed_nodes += 1
                removed_edges += conn.execute("DELETE FROM edges WHERE source = ?1 OR target = ?1", (node_id,)).rowcount
            if removed_nodes or removed_edges:
                tally = Tally()
                for key in gone_edges:
                    tally.note("removed", [key[0], key[1], key[2], key[3] or None])
                for node_id in gone_nodes:
                    tally.note("removed", node_id)
                tally.counts["removed"] = removed_nodes + removed_edges
                self._append_history(conn, tally.entry(history or {"kind": "delete", "by": None}))
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")
                self._next_index = self._carry_index(conn, revision, removed_nodes=gone_nodes, removed_edges=gone_edges)
        return {"nodes": removed_nodes, "edges": removed_edges}

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The kind of each of these ids that names a node in the store."""
        rows = self._conn.execute("SELECT id, kind FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
                                  (orjson.dumps(list(ids)).decode(),))
        return dict(rows)

    def nodes_of(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The records of these ids that name a node in the store (one query)."""
        ids = list(ids)
        if not ids:
            return {}
        rows = self._conn.execute("SELECT id, kind, props FROM nodes WHERE id IN (SELECT value FROM json_each(?))",
                                  (orjson.dumps(ids).decode(),))
        return {row[0]: _node(row) for row in rows}

    def search_nodes(self, kind: str, texts: Sequence[str] = (), *, head: str | None = None,
                     among: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        """The records of one kind that may hold a text, sorted by id, read as the caller goes (see
        :meth:`orggraph.store.Store.search_nodes`): one pass over the kind's records as the file keeps them
        (for the households, over the whole table, which beats a walk of the kind's index), each kept as
        its JSON text is ``LIKE`` one of the texts as JSON writes them; ``head``, within the address's part
        up to the first of :data:`~orggraph.privacy.ADDRESS_HEAD_ENDS` in that text, where the address is
        written first (the others are left to the caller). ``among`` is asked in SQL when it is small
        (a search over the ids), else checked here (the scan, stopped early, reads less).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as folder, EmbeddedStore(pathlib.Path(folder) / "city.db") as store:
        ...     _ = store.load([("node", "1", {"id": "h1", "kind": "Household", "address": "桂花社区3号楼2单元501室"}),
        ...                     ("node", "2", {"id": "h2", "kind": "Household", "address": "桂花社区4号楼1单元501室"})])
        ...     [n["id"] for n in store.search_nodes("Household", ["501"])], [n["id"] for n in store.search_nodes(
        ...         "Household", head="3号楼")], [n["id"] for n in store.search_nodes("Household", head="501")]
        (['h1', 'h2'], ['h1'], [])
        """
        if kind not in NODE_KINDS:
            raise ValueError(f"unknown node kind {kind!r}; allowed: {', '.join(NODE_KINDS)}")
        texts = [t for t in dict.fromkeys(texts) if t]
        if not texts and not head:
            return iter(())
        plain = [t for t in texts if "-" not in t]
        dashed = [t for t in texts if "-" in t]
        terms, params = [], []
        terms += ["props LIKE ? ESCAPE '\\'"] * len(plain)
        params += [_like(t) for t in plain]
        if dashed:  # only where a dash is, which most records lack: a phone's digits parted by one
            terms.append("(props LIKE '%-%' AND (" + " OR ".join(["props LIKE ? ESCAPE '\\'"] * len(dashed)) + "))")
            params += [_like(t) for t in dashed]
        if head:
            # where the address is written first and plainly (no escape in the text), the head's first
            # occurrence ends no later than the first end of a building in the text; any other is the caller's
            # (in either case of its ASCII letters: where it has none, as it is written, which costs less)
            written = _written(head)
            lettered = any(c.isascii() and c.isalpha() for c in written)
            text = "lower(props)" if lettered else "props"
            ends = " AND ".join(f"(instr(props, '{end}') = 0 OR instr({text}, ?) + ? <= instr(props, '{end}') + "
                                f"{len(end)})" for end in ADDRESS_HEAD_ENDS)
            elsewhere = f" OR instr({text}, ?) = 0" if lettered else ""  # found in another case only
            terms.append("(props LIKE ? ESCAPE '\\' AND (props NOT GLOB '{\"address\":\"*' "
                         f"OR ({ends}) OR props GLOB '*\\*'{elsewhere}))")
            written = _ascii_lower(written)
            params += [_like(head)] + [written, len(written)] * len(ADDRESS_HEAD_ENDS) + ([written] if lettered else [])
        # the households, most of the records, by a pass over the table; the other kinds by their index
        sql = (f"SELECT id, kind, props FROM nodes WHERE {'+kind' if kind == 'Household' else 'kind'} = ? "
               f"AND ({' OR '.join(terms)})")
        params.insert(0, kind)
        keep = None
        if among is not None:
            if len(among) <= _AMONG_IN_SQL:
                sql += " AND id IN (SELECT value FROM json_each(?))"
                params.append(orjson.dumps(sorted(among)).decode())
            else:
                keep = among if isinstance(among, (set, frozenset, dict)) else set(among)
        return self._found(sql + " ORDER BY id", params, keep)

    def _found(self, sql: str, params: list[Any], keep: Collection[str] | None) -> Iterator[dict[str, Any]]:
        """The records a search's query finds, a few at a time as the caller reads them (the query runs at the
        first; a caller that closes the iterator ends it)."""
        cursor = self._conn.execute(sql, params)
        try:
            while rows := cursor.fetchmany(256):
                for row in rows:
                    if keep is None or row[0] in keep:
                        yield _node(row)
        finally:
            cursor.close()

    def _totals(self, conn: sqlite3.Connection) -> tuple[int, int]:
        nodes = conn.execute("SELECT count(*) FROM nodes").fetchone()[0]
        edges = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
        return nodes, edges

    # -- the queries' index ----------------------------------------------------------------------------

    def _carry_index(self, conn: sqlite3.Connection, revision: int, **change: Any) -> Index | None:
        """Inside a write: the index for ``revision + 1``, carried forward from ``revision``'s, and saved.

        The change itself goes to the file's log of changes since the index was last saved whole, so a
        small edit writes a few hundred bytes, not the index; every so often the index is saved whole.
        Builds nothing if no index of ``revision`` is at hand (it is then built afresh when asked for).
        """
        base = self._index if self._index is not None and self._index.revision == revision else None
        if base is None:
            base = self._saved_index(conn, revision)
            if base is None:
                return None
        try:
            index = base.updated(revision + 1, **change)
        except IndexOutOfStep:
            return None
        saved = conn.execute("SELECT revision FROM index_cache").fetchone()
        logged, last = conn.execute("SELECT count(*), max(revision) FROM index_changes").fetchone()
        size = sum(len(v) for v in change.values())
        if saved is not None and (last or saved[0]) == revision and logged < _LOG_AT_MOST and size <= 10_000:
            conn.execute("INSERT INTO index_changes VALUES (?, ?)", (revision + 1, orjson.dumps(change)))
        else:
            _save_whole(conn, index)
        return index

    @staticmethod
    def _saved_index(conn: sqlite3.Connection, revision: int) -> Index | None:
        """The index of ``revision`` from the file: as last saved whole, carried over the changes logged since."""
        row = conn.execute("SELECT revision, data FROM index_cache").fetchone()
        if row is None or row[0] > revision:
            return None
        logged = conn.execute("SELECT revision, data FROM index_changes WHERE revision > ? AND revision <= ? "
                              "ORDER BY revision", (row[0], revision)).fetchall()
        if [r for r, _ in logged] != list(range(row[0] + 1, revision + 1)):
            return None
        index = Index.from_bytes(row[1])
        try:
            for r, data in logged:
                index = index.updated(r, **orjson.loads(data))
        except IndexOutOfStep:
            return None
        return index

    def facts(self) -> Facts:
        """The facts of :mod:`orggraph.facts` about the records as they are now: those of :meth:`index`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as folder, EmbeddedStore(pathlib.Path(folder) / "city.db") as store:
        ...     _ = store.load([("node", "doc", {"id": "h1", "kind": "Household"})])
        ...     store.facts().ids("Household")
        ['h1']
        """
        return self.index().facts()

    def index(self) -> Index:
        """The compact index the queries run on, for the store as it is now.

        Kept in memory while the revision holds and saved in the store file, so that a reopened store
        (or another process) has it back at once. A change of up to 100,000 records carries it forward
        (:meth:`Index.updated`, a fraction of a second); after a larger one it is rebuilt from the records.
        Building it never waits for a write: it reads one consistent state of the file, and saves what it
        built only if no write is under way (else the next build saves it).
        """
        revision = self.revision
        index = self._index
        if index is not None and index.revision == revision:
            return index
        with self._building:  # one build at a time; the others wait for it
            index = self._index
            if index is not None and index.revision >= revision:
                return index
            return self._build_index()

    def copies_out_of_step(self) -> list[RecordError]:
        """None: the embedded store keeps each record once, with no copies beside it to fall out of step (the
        ids spelled otherwise than their fold, kept beside the nodes, are written with them in one
        transaction, and only by orggraph)."""
        return []

    def _build_index(self) -> Index:
        conn = self._conn
        conn.execute("BEGIN")  # one consistent read, without holding up writers meanwhile
        try:
            revision = int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])
            index = self._saved_index(conn, revision)
            built = index is None
            if built:
                nodes = ((i, k, orjson.loads(p)) for i, k, p in conn.execute("SELECT id, kind, props FROM nodes ORDER BY id"))
                edges = (
                    (t, s, d, a or None, b, orjson.loads(p) if p != "{}" else {})
                    for t, s, d, a, b, p in conn.execute(
                        "SELECT type, source, target, since, until, props FROM edges ORDER BY type, source, target, since")
                )
                index = build_index(nodes, edges, revision)
        finally:
            conn.execute("COMMIT")
        if built:
            self._save_index(index)
        current = self._index
        if current is None or current.revision < index.revision:
            self._index = index
        return index

    def _save_index(self, index: Index) -> bool:
        """Save a built index if the write lock is free at once (in this process and in the file); whether it was."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            conn = self._write_conn()
            if conn.in_transaction:  # asked for inside this thread's own write: that write saves what it must
                return False
            conn.execute("PRAGMA busy_timeout = 0")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    return False
                raise
            try:
                if int(conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0]) == index.revision:
                    _save_whole(conn, index)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return True
        finally:
            self._lock.release()

    # -- tokens and the audit log (orggraph.access) ------------------------------------------------------

    def save_token(self, row: dict[str, Any]) -> None:
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO tokens (id, hash, role, areas, pii, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row["id"], row["hash"], row["role"], orjson.dumps(row["areas"]).decode(), int(row["pii"]), row["created"],
                 row.get("expires")),
            )

    def token_rows(self) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT id, hash, role, areas, pii, created, revoked, expires FROM tokens ORDER BY rowid").fetchall()
        return [
            {"id": i, "hash": h, "role": r, "areas": orjson.loads(a), "pii": bool(p), "created": c, "revoked": v,
             "expires": e}
            for i, h, r, a, p, c, v, e in rows
        ]

    def token_row(self, *, hash: str | None = None, id: str | None = None) -> dict[str, Any] | None:
        if (hash is None) == (id is None):
            raise ValueError("name a token by its hash or by its id, one of them")
        row = self._conn.execute(  # both columns are unique, and so indexed
            "SELECT id, hash, role, areas, pii, created, revoked, expires FROM tokens WHERE "
            + ("hash = ?" if hash is not None else "id = ?"), (hash if hash is not None else id,)).fetchone()
        if row is None:
            return None
        i, h, r, a, p, c, v, e = row
        return {"id": i, "hash": h, "role": r, "areas": orjson.loads(a), "pii": bool(p), "created": c, "revoked": v,
                "expires": e}

    def revoke_token(self, token_id: str, when: str) -> bool:
        with self._writing() as conn:
            cursor = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", (when, token_id))
            return cursor.rowcount == 1

    def append_audit(self, at: str, token: str, route: str, records: list[str]) -> None:
        """Add a row to the audit log, in its own file: a write of its own, which waits for no load."""
        with self._audit_lock:
            try:
                self._audit().execute("INSERT INTO audit (at, token, route, records) VALUES (?, ?, ?, ?)",
                                      (at, token, route, orjson.dumps(records).decode()))
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    raise self._busy("the audit log of") from None
                raise

    def audit_rows(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        with self._audit_lock:
            rows = self._audit().execute(
                "SELECT seq, at, token, route, records FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
            ).fetchall()
        return [{"seq": q, "at": a, "token": t, "route": r, "records": orjson.loads(rec)} for q, a, t, r, rec in rows]

    # -- incidents (orggraph.incidents) ------------------------------------------------------------------

    def save_incident(self, row: dict[str, Any], sheet: bytes) -> None:
        with self._incidents(write=True) as conn:
            conn.execute("INSERT INTO incidents (id, data, sheet) VALUES (?, ?, ?)",
                         (row["id"], orjson.dumps({k: v for k, v in row.items() if k not in ("id", "closed", "closed_by")}).decode(),
                          sheet))

    def incident_rows(self) -> list[dict[str, Any]]:
        with self._incidents() as conn:
            rows = conn.execute("SELECT id, data, closed, closed_by FROM incidents ORDER BY seq").fetchall()
        return [{"id": i, **orjson.loads(d), "closed": c, "closed_by": b} for i, d, c, b in rows]

    def incident_row(self, incident_id: str) -> dict[str, Any] | None:
        with self._incidents() as conn:
            row = conn.execute("SELECT id, data, closed, closed_by FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return None if row is None else {"id": row[0], **orjson.loads(row[1]), "closed": row[2], "closed_by": row[3]}

    def incident_sheet(self, incident_id: str) -> bytes | None:
        with self._incidents() as conn:
            row = conn.execute("SELECT sheet FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def close_incident(self, incident_id: str, when: str, by: str | None) -> bool:
        with self._incidents(write=True) as conn:
            cursor = conn.execute("UPDATE incidents SET closed = ?, closed_by = ? WHERE id = ? AND closed IS NULL",
                                  (when, by, incident_id))
            return cursor.rowcount == 1

    def append_marks(self, incident_id: str, marks: list[dict[str, Any]]) -> list[int] | None:
        with self._incidents(write=True) as conn:
            row = conn.execute("SELECT closed FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None or row[0] is not None:
                return None
            return [int(conn.execute("INSERT INTO marks (incident, data) VALUES (?, ?)",
                                     (incident_id, orjson.dumps(mark).decode())).lastrowid) for mark in marks]

    def marks(self, incident_id: str, *, after: int = 0) -> list[dict[str, Any]]:
        with self._incidents() as conn:
            rows = conn.execute("SELECT seq, data FROM marks WHERE incident = ? AND seq > ? ORDER BY seq",
                                (incident_id, after)).fetchall()
        return [{"seq": q, **orjson.loads(d)} for q, d in rows]

    # -- the history of the records (orggraph.history) ------------------------------------------------

    @staticmethod
    def _append_history(conn: sqlite3.Connection, entry: dict[str, Any]) -> int:
        """Add an entry inside the open write transaction; its number."""
        data = {k: v for k, v in entry.items() if k not in ("id", "at", "kind", "by")}
        number = conn.execute("INSERT INTO history (at, kind, by, data) VALUES (?, ?, ?, ?)",
                              (entry["at"], entry["kind"], entry.get("by"), orjson.dumps(data).decode())).lastrowid
        conn.executemany("INSERT OR IGNORE INTO history_nodes (node, entry) VALUES (?, ?)",
                         [(node, number) for node in entry_nodes(entry)])
        return int(number)

    def append_history(self, entry: dict[str, Any]) -> int:
        """Add one entry to the history, a write of its own; its number."""
        with self._writing() as conn:
            return self._append_history(conn, entry)

    def history(self, node: str | None = None, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Up to ``limit`` entries of the history, oldest first, after the entry numbered ``after``; only
        those naming ``node`` if given."""
        if node is None:
            rows = self._conn.execute("SELECT id, at, kind, by, data FROM history WHERE id > ? ORDER BY id LIMIT ?",
                                      (after, limit))
        else:
            rows = self._conn.execute(
                "SELECT h.id, h.at, h.kind, h.by, h.data FROM history_nodes AS n JOIN history AS h ON h.id = n.entry "
                "WHERE n.node = ? AND n.entry > ? ORDER BY n.entry LIMIT ?", (node, after, limit))
        return [{"id": i, "at": a, "kind": k, "by": b, **orjson.loads(d)} for i, a, k, b, d in rows]

    # -- reading --------------------------------------------------------------------------------------

    def node(self, node_id: str) -> dict[str, Any]:
        row = self._conn.execute("SELECT id, kind, props FROM nodes WHERE id = ?", (node_id,)).fetchone()
        if row is None:
            raise NotFound(f"no node with id {node_id!r}")
        return _node(row)

    def nodes(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        if kind is None:
            cursor = self._conn.execute("SELECT id, kind, props FROM nodes ORDER BY id")
        else:
            if kind not in NODE_KINDS:
                raise ValueError(f"unknown node kind {kind!r}; allowed: {', '.join(NODE_KINDS)}")
            cursor = self._conn.execute("SELECT id, kind, props FROM nodes WHERE kind = ? ORDER BY id", (kind,))
        for row in cursor:
            yield _node(row)

    def edges(self, type_: str | None = None) -> Iterator[dict[str, Any]]:
        sql = "SELECT type, source, target, since, until, props FROM edges"
        if type_ is None:
            cursor = self._conn.execute(sql + " ORDER BY type, source, target, since")
        else:
            if type_ not in EDGE_TYPES:
                raise ValueError(f"unknown edge type {type_!r}; allowed: {', '.join(EDGE_TYPES)}")
            cursor = self._conn.execute(sql + " WHERE type = ? ORDER BY source, target, since", (type_,))
        for row in cursor:
            yield _edge(row)

    def edges_of(self, node_id: str, type_: str | None = None) -> list[dict[str, Any]]:
        """The edges from or to one node (of one type), sorted."""
        sql = ("SELECT type, source, target, since, until, props FROM edges WHERE source = ?1 {t} "
               "UNION SELECT type, source, target, since, until, props FROM edges WHERE target = ?1 {t} "
               "ORDER BY 1, 2, 3, 4").format(t="AND type = ?2" if type_ else "")
        return [_edge(r) for r in self._conn.execute(sql, (node_id, type_) if type_ else (node_id,))]

    def counts(self) -> dict[str, dict[str, int]]:
        nodes = dict(self._conn.execute("SELECT kind, count(*) FROM nodes GROUP BY kind"))
        edges = dict(self._conn.execute("SELECT type, count(*) FROM edges GROUP BY type"))
        return {
            "nodes": {k: nodes[k] for k in NODE_KINDS if k in nodes},
            "edges": {t: edges[t] for t in EDGE_TYPES if t in edges},
        }
