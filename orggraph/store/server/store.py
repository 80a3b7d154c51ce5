"""The store protocol on a graph server (Neo4j through its driver, or FalkorDB): records, tokens, audit."""

from __future__ import annotations

import base64
import contextlib
import itertools
import os
import socket
import tempfile
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Iterator, Sequence

import orjson

from ...exceptions import NotFound, RecordError, StoreBusy, StoreError
from ...history import Tally, Written, entry_nodes
from ...load import Item, Loader, LoadReport
from ...model import EDGE_TYPES, ENDPOINTS, NODE_KINDS, fold, unfolded
from ...privacy import describe
from .connection import Connection, statement
from .facts import Kept, ServerFacts

if TYPE_CHECKING:
    from ...index import Index
    from ..base import TokenRow

__all__ = ["ServerStore", "LEASE_SECONDS"]

#: the layout of the store's own bookkeeping on the server (meta_layout): 2 keeps ``h.home`` only for a
#: household with one undated ``LOCATED_IN`` edge (layout 1 kept it for one edge, dated or not); 3 keeps
#: ``n.fold`` on every node whose id is spelled otherwise than its fold (cypher/folds_of.cypher)
LAYOUT = 3

#: the most ids a search asks the server for by id (through the id index); more are checked as pages come
_AMONG_BY_ID = 10_000

#: how long a writer's lease lasts unless renewed (it is renewed every third of this while the write runs)
LEASE_SECONDS = 60.0

_NODE_FIXED = ("id", "kind")
_EDGE_FIXED = ("type", "source", "target", "since", "until")


def _node_row(r: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in r.items() if k not in _NODE_FIXED}
    folded = fold(r["id"])
    return {
        "id": r["id"],
        "props": orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode(),
        "name": r.get("name"),
        "level": r.get("level"),
        "status": r.get("status"),
        "people": r.get("people", 1) if r["kind"] == "Household" else None,
        "vulnerable": bool(r.get("flags")) if r["kind"] == "Household" else None,
        "fold": folded if folded != r["id"] else None,
    }


def _edge_row(r: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in r.items() if k not in _EDGE_FIXED}
    return {
        "source": r["source"],
        "target": r["target"],
        "since": r.get("since") or "",
        "until": r.get("until"),
        "post": r.get("post"),
        "role": r.get("role"),
        "props": orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode(),
    }


def _edge(type_: str, source: str, target: str, since: str, until: str | None, props: str) -> dict[str, Any]:
    """An edge as the store protocol returns it, from what a query read of it."""
    edge: dict[str, Any] = {"type": type_, "source": source, "target": target}
    if since:
        edge["since"] = since
    if until:
        edge["until"] = until
    edge.update(orjson.loads(props))
    return edge


class _Spool:
    """The sink of a server load: validated rows wait in a temporary file until the whole load is valid."""

    def __init__(self, store: "ServerStore", empty: bool = False):
        self.store = store
        self.file = tempfile.TemporaryFile()
        self.batches = 0
        self.empty = empty
        self.tally = Tally()  # what the load changes, told from what the server holds (under the write lease)
        # whether the server holds ids spelled otherwise than their fold (one query a kind, through its index)
        self.folds = not empty and any(store.conn.read(statement("folds_any", label=kind)) for kind in NODE_KINDS)

    def write_nodes(self, rows: list[dict[str, Any]]) -> None:
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_kind.setdefault(r["kind"], []).append(_node_row(r))
        for kind, batch in by_kind.items():
            if self.empty:
                self.tally.all_added([r["id"] for r in batch])
            else:  # what differs from what is stored, told by the server: a reload reads back little
                for node_id, added in self.store.conn.read(statement("nodes_differing", label=kind),
                                                           {"rows": [{"id": r["id"], "props": r["props"]} for r in batch]}):
                    self.tally.note("added" if added else "changed", node_id)
            self._put("node", kind, batch)

    def write_edges(self, rows: list[dict[str, Any]]) -> None:
        by_type: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_type.setdefault(r["type"], []).append(_edge_row(r))
        for type_, batch in by_type.items():
            if self.empty:
                self.tally.all_added([[type_, r["source"], r["target"], r["since"] or None] for r in batch]
                                     if self.tally.room else len(batch))
            else:
                source, target = ENDPOINTS[type_]
                keys = [{k: r[k] for k in ("source", "target", "since", "until", "props")} for r in batch]
                for s, t, since, until, added, before, same in self.store.conn.read(
                        statement("edges_differing", type=type_, source=source, target=target), {"rows": keys}):
                    self.tally.edge([type_, s, t, since or None], new=bool(added), same=bool(same), until=until,
                                    before=before)
            self._put("edge", type_, batch)

    def _put(self, what: str, name: str, rows: list[dict[str, Any]]) -> None:
        self.file.write(orjson.dumps([what, name, rows]))
        self.file.write(b"\n")
        self.batches += 1

    def kinds_of(self, ids: list[str]) -> dict[str, str]:
        return self.store.kinds_of(ids)

    def hierarchy(self, type_: str) -> Iterable[tuple[str, str]]:
        source, target = ENDPOINTS[type_]
        rows = self.store.conn.read(statement("edge_pairs", type=type_, source=source, target=target))
        return [(s, t) for s, t in rows]

    def same_folds(self, folds: list[str], plain: list[str]) -> list[tuple[str, str]]:
        found = [(i, i) for i in self.store.kinds_of(folds)] if folds else []
        if self.folds and (folds or plain):
            found += [(f, i) for f, i in self.store.conn.read(statement("folds_of"), {"folds": folds + plain})]
        return found

    def replay(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """The write statements, nodes before the edges that need them, in batches of the connection's size."""
        size = self.store.conn.batch_size
        self.file.seek(0)
        edges: list[bytes] = []
        for line in self.file:
            if line.startswith(b'["node"'):
                _, kind, rows = orjson.loads(line)
                for i in range(0, len(rows), size):
                    yield statement("load_nodes", label=kind), {"rows": rows[i : i + size]}
            else:
                edges.append(line)
        for line in edges:
            _, type_, rows = orjson.loads(line)
            source, target = ENDPOINTS[type_]
            cypher = statement("load_edges", type=type_, source=source, target=target)
            for i in range(0, len(rows), size):
                batch = rows[i : i + size]
                yield cypher, {"rows": batch}
                if type_ == "LOCATED_IN":  # keep h.home and h.homes in step (set_home returns nothing)
                    yield statement("set_home"), {"households": sorted({r["source"] for r in batch})}

    def close(self) -> None:
        self.file.close()


class ServerStore:
    """The store protocol on a graph server, with the same validation as the embedded store.

    A load is validated in full (every record, and the checks that need the whole network, against what
    the server already holds) before the first write; the validated rows wait in a temporary file.
    Then: on Neo4j all batches are written in one transaction, so a failure half-way leaves the graph as
    it was; on FalkorDB each batch is written atomically but not the load as a whole, so a server or
    network failure half-way leaves the batches written so far. Loads are idempotent: loading the same
    file again completes one that was cut short.

    orggraph's writers (loads and removals, from any process) write one at a time: each takes the
    records' write lease (kept on the meta node, timed by the server's clock, renewed while the write
    runs) before it validates against what the store holds, and gives it back when done. A write waits
    at most ``wait`` seconds for another, then raises :class:`~orggraph.exceptions.StoreBusy`; the lease
    of a writer that died ends :data:`LEASE_SECONDS` after it was last renewed. The revision is raised
    in the write's own transaction on Neo4j; on FalkorDB after the first batch that changes anything
    and after the last.

    Parameters
    ----------
    conn : Connection
        The connection to the graph (:func:`~orggraph.store.server.connect` makes one from a URI).
    schema : bool
        Make the constraints and indexes of ``cypher/schema.<dialect>.cypher`` (each once).
    wait : float
        Seconds a write waits for another writer's lease (default 30); can be changed on an open store.
    """

    def __init__(self, conn: Connection, *, schema: bool = True, wait: float = 30.0):
        self.conn = conn
        self.wait = wait
        self.local = False  # a server: asked from a thread where a loop must not wait
        self._ensure_schema(schema)
        self._index: Any = None
        self._kept = Kept()  # what the facts keep from one question to the next

    # -- life cycle -----------------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ServerStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServerStore({self.conn.dialect}, database={self.conn.database!r})"

    def _ensure_schema(self, schema: bool = True) -> None:
        for line in statement(f"schema.{self.conn.dialect}").splitlines() if schema else ():
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            if self.conn.dialect == "falkordb" and line.startswith("GRAPH."):
                parts = line.split()
                try:
                    self.conn.command(parts[0], parts[1], self.conn.database, *parts[2:])  # type: ignore[attr-defined]
                except Exception as exc:  # made already
                    if "already exists" not in str(exc).lower():
                        raise
                continue
            try:
                self.conn.write(line)
            except Exception as exc:
                if "already" not in str(exc).lower():  # an index made by an earlier session
                    raise
        if not self.conn.read(statement("meta_revision")):
            self.conn.write(statement("meta_create"), {"layout": LAYOUT})
        if self.conn.read(statement("meta_layout"))[0][0] < LAYOUT:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring the bookkeeping of a store kept by an older version up to :data:`LAYOUT`, once, under the
        write lease: layout 1 set ``h.home`` for a household with one dated ``LOCATED_IN`` edge too, which
        the facts now read as located there on every day; set_home is run again for every household with
        a dated edge. Before layout 3 no node kept its fold: every id is read, and the fold set on those
        spelled otherwise. The revision is raised with it, so that nothing kept from before is trusted."""
        with self.writing():
            layout = self.conn.read(statement("meta_layout"))[0][0]
            if layout >= LAYOUT:  # another process did it meanwhile
                return
            size = self.conn.batch_size
            writes = []
            if layout < 2:
                households = self.conn.read(statement("located_dated"))[0][0]
                writes += [(statement("set_home"), {"households": households[i : i + size]})
                           for i in range(0, len(households), size)]
            if layout < 3:
                for kind in NODE_KINDS:
                    ids = [i for (i,) in self.conn.read(statement("ids", label=kind))]
                    rows = [{"id": ids[i], "fold": folded} for i, folded in unfolded(ids)]
                    writes += [(statement("fold_set", label=kind), {"rows": rows[i : i + size]})
                               for i in range(0, len(rows), size)]
            self._write([*writes, (statement("meta_layout_set"), {"layout": LAYOUT})], always=True)

    @property
    def revision(self) -> int:
        rows = self.conn.read(statement("meta_revision"))
        return int(rows[0][0]) if rows else 0

    def facts(self) -> ServerFacts:
        """The facts the questions ask of the records (:class:`orggraph.facts.Facts`), found in Cypher.

        A new one each call, at the revision read now (one query); what does not depend on the day (the
        territory, where households are located) is kept with the store while the revision holds.

        Examples
        --------
        >>> from orggraph.facts import Facts
        >>> from orggraph.store.local import LocalFalkorDB
        >>> from orggraph.store.server import connect
        >>> with LocalFalkorDB() as server, connect(server.uri) as store:
        ...     isinstance(store.facts(), Facts), store.facts().revision == store.revision
        (True, True)
        """
        return ServerFacts(self, self.revision, self._kept)

    # -- writing --------------------------------------------------------------------------------------

    def load(self, items: Iterable[Item], *, batch_size: int | None = None, max_errors: int = 100,
             check: Callable[[LoadReport], None] | None = None, dry_run: bool = False,
             history: Written | None = None) -> LoadReport:
        """Add records: validated in full first, then written in batches (see the class).

        ``batch_size`` sets the validation batches; the write batches are the connection's setting.
        ``check`` is called with the report of what was read once every record is valid and before the
        first write; if it raises, nothing is written. With ``dry_run`` every check is made and nothing
        is written (the report says so). A load that changes something adds an entry to the history
        (``history``: see :meth:`EmbeddedStore.load`): on Neo4j in the load's transaction; on FalkorDB after
        its last batch.
        """
        with contextlib.ExitStack() as held:
            if not dry_run:  # validated against the store as no other writer can change it meanwhile
                held.enter_context(self.writing())
            before = self._totals()
            spool = held.enter_context(contextlib.closing(_Spool(self, empty=before == (0, 0))))
            loader = Loader(spool, store_empty=before == (0, 0), batch_size=batch_size or self.conn.batch_size,
                            max_errors=max_errors)
            loader.add_all(items)
            report = loader.finish()
            if check is not None:
                check(report)
            if dry_run:
                report.dry_run = True
                return report
            entry = self._history_statement(spool.tally.entry(history)) if spool.tally else None
            written = self._write(itertools.chain(spool.replay(), [entry[0]] if entry else [])) if spool.batches else 0
            after = self._totals()
            report.history = entry[1] if entry else None
        report.added_nodes = after[0] - before[0]
        report.added_edges = after[1] - before[1]
        report.changed = written - report.added_nodes - report.added_edges
        return report

    def _write(self, statements: Iterable[tuple[str, dict[str, Any]]], *, always: bool = False) -> int:
        """Write, and raise the revision with it (see :meth:`Connection.write_all`)."""
        return self.conn.write_all(statements, bump=(statement("meta_bump"), {}), always=always)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the records' write lease: wait for another writer's (at most :attr:`wait` seconds), keep
        it while the block runs, and give it back after.

        Raises
        ------
        StoreBusy
            Another writer held the lease for more than :attr:`wait` seconds.
        StoreUnavailable
            The server cannot be reached.
        """
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        ttl = int(LEASE_SECONDS * 1000)
        deadline, pause = time.monotonic() + max(self.wait, 0.0), 0.02
        while not self._lease(holder, ttl):
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreBusy(f"the records of database {self.conn.database!r} are busy: another write (a load, "
                                f"perhaps) has held them for more than {self.wait:g} s; try again when it is done")
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.5)
        done = threading.Event()

        def renew() -> None:
            while not done.wait(LEASE_SECONDS / 3):
                with contextlib.suppress(StoreError):  # a write that lost the server fails on its own
                    self._lease(holder, ttl)

        renewer = threading.Thread(target=renew, name="orggraph-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()
            with contextlib.suppress(StoreError):  # out of reach: the lease ends on its own
                self.conn.write(statement("lease_release"), {"holder": holder})

    def _lease(self, holder: str, ttl: int) -> bool:
        rows = self.conn.write(statement("lease_take"), {"holder": holder, "ttl": ttl})
        return bool(rows and rows[0][0])

    def _totals(self) -> tuple[int, int]:
        counts = self.counts()
        return sum(counts["nodes"].values()), sum(counts["edges"].values())

    def delete(self, nodes: Iterable[str] = (), edges: Iterable[dict[str, Any]] = (), *,
               history: Written | None = None) -> dict[str, int]:
        """Remove nodes, with every edge from or to them, and edges (see :meth:`EmbeddedStore.delete`).

        Everything named is checked to exist before the first removal; on Neo4j the removals are one
        transaction, with their entry in the history; on FalkorDB one statement per kind and type.
        """
        with self.writing():
            return self._delete(list(dict.fromkeys(nodes)), edges, history)

    def _delete(self, node_ids: list[str], edges: Iterable[dict[str, Any]],
                history: Written | None = None) -> dict[str, int]:
        kinds = self.kinds_of(node_ids) if node_ids else {}
        for node_id in node_ids:
            if node_id not in kinds:
                raise NotFound(f"no node with id {node_id!r}")
        by_type: dict[str, list[dict[str, str]]] = {}
        named: set[tuple[str, int]] = set()  # the edges named, as (type, internal id)
        for edge in edges:
            type_ = edge.get("type")
            if type_ not in ENDPOINTS:
                raise NotFound(f"no {type_} edge: unknown edge type; allowed: {', '.join(EDGE_TYPES)}")
            by_type.setdefault(type_, []).append(
                {"source": edge.get("source"), "target": edge.get("target"), "since": edge.get("since") or ""})
        for type_, rows in by_type.items():
            source, target = ENDPOINTS[type_]
            found = set()
            for s_id, t_id, since, rel in self.conn.read(
                    statement("find_edges", type=type_, source=source, target=target), {"rows": rows}):
                found.add((s_id, t_id, since))
                named.add((type_, rel))
            for r in rows:
                if (r["source"], r["target"], r["since"]) not in found:
                    raise NotFound(f"no {type_} edge from {r['source']!r} to {r['target']!r}"
                                   + (f" since {r['since']}" if r["since"] else " without a since"))
        # households whose location changes: h.home and h.homes are kept in step after the removal
        rehome = {r["source"] for r in by_type.get("LOCATED_IN", [])}
        gone_areas = [i for i in node_ids if kinds[i] == "Area"]
        if gone_areas:
            rehome |= set(self.conn.read(statement("households_in_areas"), {"areas": gone_areas, "day": None})[0][0])
        rehome -= set(node_ids)
        writes: list[tuple[str, dict[str, Any]]] = []
        for type_, rows in by_type.items():
            source, target = ENDPOINTS[type_]
            writes.append((statement("delete_edges", type=type_, source=source, target=target), {"rows": rows}))
        per_kind: dict[str, list[str]] = {}
        for node_id in node_ids:
            per_kind.setdefault(kinds[node_id], []).append(node_id)
        attached = set(named)
        for kind, ids in per_kind.items():
            attached |= {(t, rel) for t, rel in self.conn.read(statement("attached_edges", label=kind), {"ids": ids})}
            writes.append((statement("delete_nodes", label=kind), {"ids": ids}))
        if rehome:
            writes.append((statement("set_home"), {"households": sorted(rehome)}))
        if writes:
            tally = Tally()
            for type_, rows in by_type.items():
                for r in rows:
                    tally.note("removed", [type_, r["source"], r["target"], r["since"] or None])
            for node_id in node_ids:
                tally.note("removed", node_id)
            tally.counts["removed"] = len(node_ids) + len(attached)
            writes.append(self._history_statement(tally.entry(history or {"kind": "delete", "by": None}))[0])
            self._write(writes, always=True)
        return {"nodes": len(node_ids), "edges": len(attached)}

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The kind of each of these ids that names a node in the store (one query)."""
        ids = list(ids)
        return dict(self.conn.read(statement("kinds_of"), {"ids": ids})) if ids else {}

    def nodes_of(self, ids: Iterable[str], *, page: int = 10000) -> dict[str, dict[str, Any]]:
        """The records of these ids that name a node in the store: one query a page of ids."""
        ids = sorted(set(ids))
        found = {}
        for start in range(0, len(ids), page):
            for node_id, kind, props in self.conn.read(statement("nodes_of"), {"ids": ids[start : start + page]}):
                found[node_id] = {"id": node_id, "kind": kind, **orjson.loads(props)}
        return found

    def search_nodes(self, kind: str, texts: Sequence[str] = (), *, head: str | None = None,
                     among: Collection[str] | None = None, page: int = 256) -> Iterator[dict[str, Any]]:
        """The records of one kind that may hold a text, sorted by id, read as the caller goes (see
        :meth:`orggraph.store.Store.search_nodes`): those whose JSON text holds one of the texts (``head``
        too, anywhere), letters in either case. By pages in id order, each four times the last up to 16,384
        (a caller that stops early asks for little); of up to 10,000 ids in ``among``, in one query through
        the id index (more are checked here, as the pages come)."""
        if kind not in NODE_KINDS:
            raise ValueError(f"unknown node kind {kind!r}; allowed: {', '.join(NODE_KINDS)}")
        wanted = [orjson.dumps(t).decode()[1:-1] for t in dict.fromkeys([*texts, *([head] if head else [])]) if t]
        if not wanted:
            return iter(())
        if among is not None and len(among) <= _AMONG_BY_ID:
            return self._search_among(kind, wanted, sorted(among))
        keep = None if among is None else among if isinstance(among, (set, frozenset, dict)) else set(among)
        return self._search_pages(kind, wanted, keep, page)

    def _search_among(self, kind: str, texts: list[str], ids: list[str]) -> Iterator[dict[str, Any]]:
        rows = self.conn.read(statement("search_nodes_among", label=kind), {"texts": texts, "ids": ids}) if ids else []
        for node_id, props in sorted(rows):
            yield {"id": node_id, "kind": kind, **orjson.loads(props)}

    def _search_pages(self, kind: str, texts: list[str], keep: Collection[str] | None, page: int
                      ) -> Iterator[dict[str, Any]]:
        after = ""
        while True:
            rows = self.conn.read(statement("search_nodes", label=kind), {"texts": texts, "after": after, "page": page})
            for node_id, props in sorted(rows):  # in Python's order within the page, as the file's store gives them
                if keep is None or node_id in keep:
                    yield {"id": node_id, "kind": kind, **orjson.loads(props)}
            if len(rows) < page:
                return
            after, page = rows[-1][0], min(page * 4, 16_384)

    # -- the compact index (for the API's scopes) ----------------------------------------------------

    def index(self) -> Index:
        """The compact index of :mod:`orggraph.index`, read from the server and kept while the revision holds.

        The queries on a server run in Cypher; the index serves what needs the whole network at hand at
        once, such as an API token's scope.
        """
        from ...index import build_index

        revision = self.revision
        if self._index is None or self._index.revision != revision:
            # one query a kind and a type, unordered: paging in id order, as nodes() and edges() do for an
            # export, costs the server a sort a page (40 s against 4 s for 200,000 households)
            nodes = []
            for kind in NODE_KINDS:
                nodes += [(i, kind, orjson.loads(p)) for i, p in self.conn.read(statement("all_nodes", label=kind))]
            nodes.sort(key=lambda n: n[0])
            edges = []
            for t, (source, target) in ENDPOINTS.items():
                rows = self.conn.read(statement("all_edges", type=t, source=source, target=target))
                rows.sort(key=lambda r: (r[0], r[1], r[2]))  # in key order, as the embedded store reads them
                edges += [(t, s_id, d_id, since or None, until, orjson.loads(p) if p != "{}" else {})
                          for s_id, d_id, since, until, p in rows]
            self._index = build_index(nodes, edges, revision)
        return self._index

    # -- tokens and the audit log (orggraph.access) ------------------------------------------------------

    def save_token(self, row: TokenRow) -> None:
        self.conn.write(statement("token_save"), {**row, "areas": orjson.dumps(row["areas"]).decode(), "pii": bool(row["pii"]),
                                                  "expires": row.get("expires")})

    def token_rows(self) -> list[dict[str, Any]]:
        return [{"id": i, "hash": h, "role": r, "areas": orjson.loads(a), "pii": bool(p), "created": c, "revoked": v,
                 "expires": e}
                for i, h, r, a, p, c, v, e in self.conn.read(statement("token_rows"))]

    def token_row(self, *, hash: str | None = None, id: str | None = None) -> dict[str, Any] | None:
        if (hash is None) == (id is None):
            raise ValueError("name a token by its hash or by its id, one of them")
        if hash is not None:
            rows = self.conn.read(statement("token_by_hash"), {"hash": hash})
        else:
            rows = self.conn.read(statement("token_by_id"), {"id": id})
        return next(({"id": i, "hash": h, "role": r, "areas": orjson.loads(a), "pii": bool(p), "created": c,
                      "revoked": v, "expires": e} for i, h, r, a, p, c, v, e in rows), None)

    def revoke_token(self, token_id: str, when: str) -> bool:
        rows = self.conn.write(statement("token_revoke"), {"id": token_id, "when": when})
        return bool(rows and rows[0][0])

    def append_audit(self, at: str, token: str, route: str, records: list[str]) -> None:
        self.conn.write(statement("audit_append"),
                        {"at": at, "token": token, "route": route, "records": orjson.dumps(records).decode()})

    def audit_rows(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.conn.read(statement("audit_rows"), {"after": after, "limit": limit})
        return [{"seq": q, "at": a, "token": t, "route": r, "records": orjson.loads(rec)} for q, a, t, r, rec in rows]

    # -- incidents (orggraph.incidents) ------------------------------------------------------------------

    def save_incident(self, row: dict[str, Any], sheet: bytes) -> None:
        data = {k: v for k, v in row.items() if k not in ("id", "closed", "closed_by")}
        self.conn.write(statement("incident_save"), {"id": row["id"], "data": orjson.dumps(data).decode(),
                                                     "sheet": base64.b64encode(sheet).decode()})

    def incident_rows(self) -> list[dict[str, Any]]:
        return [{"id": i, **orjson.loads(d), "closed": c, "closed_by": b}
                for i, d, c, b in self.conn.read(statement("incident_rows"))]

    def incident_row(self, incident_id: str) -> dict[str, Any] | None:
        rows = self.conn.read(statement("incident_row"), {"id": incident_id})
        return ({"id": rows[0][0], **orjson.loads(rows[0][1]), "closed": rows[0][2], "closed_by": rows[0][3]}
                if rows else None)

    def incident_sheet(self, incident_id: str) -> bytes | None:
        rows = self.conn.read(statement("incident_sheet"), {"id": incident_id})
        return base64.b64decode(rows[0][0]) if rows else None

    def close_incident(self, incident_id: str, when: str, by: str | None) -> bool:
        return bool(self.conn.write(statement("incident_close"), {"id": incident_id, "when": when, "by": by}))

    def append_marks(self, incident_id: str, marks: list[dict[str, Any]]) -> list[int] | None:
        if not marks:
            return [] if self.incident_sheet(incident_id) is not None else None
        rows = self.conn.write(statement("marks_append"),
                               {"id": incident_id, "rows": [orjson.dumps(m).decode() for m in marks]})
        return [int(r[0]) for r in rows] if rows else None

    def marks(self, incident_id: str, *, after: int = 0) -> list[dict[str, Any]]:
        return [{"seq": int(q), **orjson.loads(d)}
                for q, d in self.conn.read(statement("marks_rows"), {"id": incident_id, "after": after})]

    # -- the history of the records (orggraph.history) ------------------------------------------------

    def _history_statement(self, entry: dict[str, Any]) -> tuple[tuple[str, dict[str, Any]], int]:
        """The statement adding an entry, and its number: the next after the last, under the write lease."""
        seq = int(self.conn.read(statement("history_last"))[0][0]) + 1
        data = {k: v for k, v in entry.items() if k not in ("id", "at", "kind", "by")}
        return (statement("history_append"), {"seq": seq, "at": entry["at"], "kind": entry["kind"], "by": entry.get("by"),
                                              "data": orjson.dumps(data).decode(), "nodes": entry_nodes(entry)}), seq

    def append_history(self, entry: dict[str, Any]) -> int:
        """Add one entry to the history, under the write lease; its number."""
        with self.writing():
            write, seq = self._history_statement(entry)
            self.conn.write(*write)
            return seq

    def history(self, node: str | None = None, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Up to ``limit`` entries of the history, oldest first, after the entry numbered ``after``; only
        those naming ``node`` if given."""
        rows = self.conn.read(statement("history_rows"), {"after": after, "limit": limit, "node": node})
        return [{"id": q, "at": a, "kind": k, "by": b, **orjson.loads(d)} for q, a, k, b, d in rows]

    # -- reading --------------------------------------------------------------------------------------

    def node(self, node_id: str) -> dict[str, Any]:
        rows = self.conn.read(statement("node"), {"id": node_id})
        if not rows:
            raise NotFound(f"no node with id {node_id!r}")
        kind, props = rows[0]
        return {"id": node_id, "kind": kind, **orjson.loads(props)}

    def nodes(self, kind: str | None = None, *, page: int = 10000) -> Iterator[dict[str, Any]]:
        if kind is not None and kind not in NODE_KINDS:
            raise ValueError(f"unknown node kind {kind!r}; allowed: {', '.join(NODE_KINDS)}")
        kinds = [kind] if kind else list(NODE_KINDS)
        streams = [self._nodes_of(k, page) for k in kinds]
        if len(streams) == 1:
            yield from streams[0]
            return
        import heapq

        yield from heapq.merge(*streams, key=lambda n: n["id"])

    def _ids_of(self, kind: str) -> list[str]:
        """Every id of one kind, sorted: read once, so that pages are fetched by id and nothing is re-sorted.

        Paging on the server instead (``WHERE n.id > $after ORDER BY n.id LIMIT``, or ``SKIP``) sorts what
        is left at every page, which makes reading a large graph quadratic.
        """
        return sorted(i for (i,) in self.conn.read(statement("ids", label=kind)))

    def _nodes_of(self, kind: str, page: int) -> Iterator[dict[str, Any]]:
        ids = self._ids_of(kind)
        for start in range(0, len(ids), page):
            rows = self.conn.read(statement("nodes_page", label=kind), {"ids": ids[start : start + page]})
            for node_id, props in rows:
                yield {"id": node_id, "kind": kind, **orjson.loads(props)}

    def copies_out_of_step(self, *, page: int = 10000) -> list[RecordError]:
        """Nodes whose copies of record fields (those the queries filter on: name, level, status, people,
        vulnerable; and the id's fold, by which a load finds an id that folds alike) differ from the record
        in ``props`` and its id: what a hand edit in Cypher leaves behind."""
        fields = ("name", "level", "status", "people", "vulnerable")
        problems = []
        for kind in NODE_KINDS:
            ids = self._ids_of(kind)
            for start in range(0, len(ids), page):
                rows = self.conn.read(statement("node_copies", label=kind), {"ids": ids[start : start + page]})
                for node_id, props, *copies, folded in rows:
                    expected = _node_row({"id": node_id, "kind": kind, **orjson.loads(props)})
                    problems += [RecordError(f"node {node_id}", field, f"the server's copy {describe(have, field)} differs "
                                             f"from the record's {describe(expected[field], field)}; set the copy back "
                                             "to the record's value")
                                 for field, have in zip(fields, copies) if have != expected[field]]
                    if folded != expected["fold"]:  # of an id (shown to every token), not personal data
                        have, want = ("null" if f is None else repr(f) for f in (folded, expected["fold"]))
                        problems.append(RecordError(
                            f"node {node_id}", "fold",
                            f"the server's copy of the id's fold is {have}, but the id's fold spelled otherwise is "
                            f"{want} (null when the id is its own fold); set the copy to it, by which a load finds an "
                            "id that folds alike"))
        return problems

    def edges(self, type_: str | None = None, *, page: int = 10000) -> Iterator[dict[str, Any]]:
        if type_ is not None and type_ not in EDGE_TYPES:
            raise ValueError(f"unknown edge type {type_!r}; allowed: {', '.join(EDGE_TYPES)}")
        for t in sorted([type_] if type_ else EDGE_TYPES):
            source, target = ENDPOINTS[t]
            ids = self._ids_of(source)  # a page of source nodes at a time, then their edges
            for start in range(0, len(ids), page):
                rows = self.conn.read(statement("edges_page", type=t, source=source, target=target),
                                      {"ids": ids[start : start + page]})
                for row in rows:
                    yield _edge(t, *row)

    def edges_of(self, node_id: str, type_: str | None = None) -> list[dict[str, Any]]:
        """The edges from or to one node (of one type), sorted as :meth:`edges` sorts them."""
        if type_ is not None and type_ not in EDGE_TYPES:
            raise ValueError(f"unknown edge type {type_!r}; allowed: {', '.join(EDGE_TYPES)}")
        kind = self.kinds_of([node_id]).get(node_id)
        if kind is None:
            return []
        out = [_edge(*row) for row in self.conn.read(statement("edges_of_node", label=kind), {"id": node_id})
               if row[0] in ENDPOINTS and (type_ is None or row[0] == type_)]
        return sorted(out, key=lambda e: (e["type"], e["source"], e["target"], e.get("since", "")))

    def counts(self) -> dict[str, dict[str, int]]:
        """How many nodes of each kind and edges of each type there are (those with none left out), in one
        query of the counts the server keeps."""
        rows = self.conn.read(statement(f"counts.{self.conn.dialect}"))
        if self.conn.dialect == "falkordb":
            [[labels, types]] = rows
        else:
            labels, types = {}, {}
            for what, name, n in rows:
                (labels if what == "node" else types)[name] = n
        return {"nodes": {k: int(labels[k]) for k in NODE_KINDS if labels.get(k)},
                "edges": {t: int(types[t]) for t in ENDPOINTS if types.get(t)}}

    def drop(self) -> None:
        """Remove the whole graph from the server, schema and all (a test's or a benchmark's own graph)."""
        if self.conn.dialect == "falkordb":
            self.conn.command("GRAPH.DELETE", self.conn.database)  # type: ignore[attr-defined]
        else:
            self.conn.write(statement("clear"))

    def clear(self) -> None:
        """Remove the whole network from the graph (tests and benchmarks start from nothing)."""
        self.conn.write(statement("clear"))
        self._ensure_schema()


