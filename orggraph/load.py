"""Loading records: validation of a whole load, shared by every store."""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import repeat
from operator import eq, itemgetter
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

import numpy as np
import orjson

from .exceptions import InvalidRecords, InvalidStoredRecords, RecordError
from .model import (_EDGE_FIELDS, _NODE_FIELDS, EDGE_TYPES, ENDPOINTS, NODE_KINDS, fold, how_they_differ,
                    spelled_otherwise, unfolded, validate_edges, validate_nodes)
from .privacy import describe

from .index.arrays import IndexParts

if TYPE_CHECKING:
    from .store.base import Store

__all__ = ["Item", "Sink", "Loader", "LoadReport", "Checked", "check_batch", "check_run", "find_cycle", "check_load",
           "check_records", "check_store"]

#: what a reader yields: ("node" | "edge" | "error", where, record or message (or (field, message)))
Item = tuple[str, str, Any]

_HIERARCHIES = ("WITHIN", "SUBORDINATE_TO")


class Sink(Protocol):
    """Where a store receives validated rows during a load (inside its transaction).

    Two things a sink may say of itself, as attributes: ``takes_texts`` (True: ``write_nodes(rows, texts,
    ids)`` and ``write_edges(rows, texts, sources)`` are also handed each batch as its records' JSON texts,
    keys sorted, joined by commas (:class:`Texts`), and ``rows`` may then be None, the records having been
    checked in another process); and ``tells_kinds`` (True: a node given as texts whose id the store holds as
    another kind is not written, and ``kinds_refused()`` gives them, as (id, stored kind), at the end, so
    the loader need not wait to look each batch's ids up).
    """

    def write_nodes(self, rows: list[dict[str, Any]]) -> None: ...

    def write_edges(self, rows: list[dict[str, Any]]) -> None: ...

    def kinds_of(self, ids: list[str]) -> dict[str, str]:
        """The kind of each id already in the store (ids not in the store are left out)."""
        ...

    def hierarchy(self, type_: str) -> Iterable[tuple[str, str]]:
        """(source, target) of every stored edge of a hierarchy type (WITHIN, SUBORDINATE_TO)."""
        ...

    def same_folds(self, folds: list[str], plain: list[str]) -> list[tuple[str, str]]:
        """The stored node ids that fold (:func:`orggraph.model.fold`) to one of ``folds`` or ``plain``, as
        (fold, id). ``folds`` are the folds of ids spelled otherwise: a stored id is found that is the fold
        itself, or spelled otherwise with that fold. ``plain`` are ids that are their own fold: only the
        stored ids spelled otherwise are looked for (the id itself is found by :meth:`kinds_of`), and a
        store that keeps none answers at once."""
        ...


@dataclass
class LoadReport:
    """What a load read and what it changed in the store."""

    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    added_nodes: int = 0
    added_edges: int = 0
    changed: int = 0
    #: a dry run (:func:`check_load`): every record checked, nothing written
    dry_run: bool = False
    #: the number of the history entry the load added (:mod:`orggraph.history`); None when it added none
    history: int | None = None

    @property
    def records(self) -> int:
        return sum(self.nodes.values()) + sum(self.edges.values())

    @property
    def unchanged(self) -> int:
        return self.records - self.added_nodes - self.added_edges - self.changed

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON: records read by kind and type, and what was added or changed (a dry run
        says only that it was one)."""
        read = {"records": self.records, "nodes": self.nodes, "edges": self.edges}
        if self.dry_run:
            return {**read, "dry_run": True}
        return {**read, "added_nodes": self.added_nodes, "added_edges": self.added_edges, "changed": self.changed,
                "unchanged": self.unchanged}

    def __str__(self) -> str:
        parts = [f"{n} {k}" for k, n in sorted(self.nodes.items())]
        parts += [f"{n} {t}" for t, n in sorted(self.edges.items())]
        if self.dry_run:
            return f"read {self.records} records ({', '.join(parts) or 'none'}); all valid; nothing written (a dry run)"
        return (
            f"read {self.records} records ({', '.join(parts) or 'none'}); "
            f"added {self.added_nodes} nodes and {self.added_edges} edges, "
            f"changed {self.changed}, unchanged {self.unchanged}"
        )


def find_cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle in a directed graph given by its edges, as the list of nodes on it, or None.

    Examples
    --------
    >>> find_cycle([("b1", "g1"), ("g1", "c1")]) is None
    True
    >>> find_cycle([("b1", "g1"), ("g1", "c1"), ("c1", "b1")])
    ['b1', 'g1', 'c1', 'b1']
    """
    succ: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        succ[s].append(t)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in list(succ):
        if root in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(succ.get(root, ())))]
        path = [root]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    return path[path.index(child) :] + [child]
                if child not in state:
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(succ.get(child, ()))))
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return None


def _a(kind: str) -> str:
    """The kind with its article: 'an Area', 'a Member'."""
    return ("an " if kind[0] in "AEIO" else "a ") + kind  # a Unit, an Org


class _Place(str):
    """A place rebuilt from a run of a workbook's rows: the text, and how to name the sheet's columns."""

    columns: dict[str, str]


class _Places:
    """Where each item of a load was read, by its number in the load, kept compactly: places that count
    up by one (``line 7``, ``line 8``, ...; ``nodes[0]``, ``nodes[1]``, ...; a sheet's rows) are kept as one
    run, so a load of millions of lines keeps a handful. Other places are kept as they came, up to
    ``most`` runs (a stream with no order to its places, such as a store's own records, keeps no more).

    Examples
    --------
    >>> places = _Places()
    >>> for seq, where in enumerate(["line 1", "line 2", "line 4", "line 5", "nodes[0]"], 1):
    ...     places.add(seq, where)
    >>> [places.get(seq) for seq in (1, 2, 3, 4, 5)], len(places)
    (['line 1', 'line 2', 'line 4', 'line 5', 'nodes[0]'], 3)
    """

    _NUMBERED = re.compile(r"(.*?)([1-9]\d*|0)(\D*)", re.S)

    def __init__(self, most: int = 200_000) -> None:
        self._starts = array("q")  # the number of the item each run starts with
        self._runs: list[tuple[str, int, str, Any] | str] = []  # (head, first number, tail, columns), or a place
        self._next: str | None = None  # the place that would carry the run on
        self._head = self._tail = ""
        self._number = 0
        self._columns: Any = None
        self._most = most
        self._until: int | None = None  # the first item no longer kept, once there were too many runs

    def __len__(self) -> int:
        return len(self._runs)

    def add(self, seq: int, where: Any) -> None:
        columns = getattr(where, "columns", None)
        if where == self._next and columns is self._columns:
            self._number += 1
            self._next = f"{self._head}{self._number + 1}{self._tail}"
            return
        if self._until is not None:
            return
        if len(self._runs) >= self._most:
            self._until = seq
            return
        self._starts.append(seq)
        numbered = self._NUMBERED.fullmatch(where) if isinstance(where, str) else None
        if numbered is None:  # a place without a number
            self._runs.append(str(where))
            self._next = None
            return
        self._head, self._tail, self._number, self._columns = numbered[1], numbered[3], int(numbered[2]), columns
        self._runs.append((self._head, self._number, self._tail, columns))
        self._next = f"{self._head}{self._number + 1}{self._tail}"

    def get(self, seq: int) -> str:
        if self._until is not None and seq >= self._until:
            return f"record {seq} of the input"
        i = bisect_right(self._starts, seq) - 1
        run = self._runs[i]
        if type(run) is str:
            return run
        head, first, tail, columns = run
        text = f"{head}{first + seq - self._starts[i]}{tail}"
        if columns is None:
            return text
        place = _Place(text)
        place.columns = columns
        return place


_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_SORT = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_KIND_SET = frozenset(NODE_KINDS)
_first, _second = itemgetter(0), itemgetter(1)
_id, _source, _target = itemgetter("id"), itemgetter("source"), itemgetter("target")
#: each node kind's code: its place in NODE_KINDS (as the index numbers kinds, orggraph.index.KIND_CODES)
KIND_CODES = {kind: code for code, kind in enumerate(NODE_KINDS)}
_KIND_NAMES = tuple(KIND_CODES)


def _body(record: dict[str, Any]) -> int:
    """A 32-bit fingerprint of a whole record, the same whatever the order of its keys."""
    try:
        return hash(orjson.dumps(record, option=_SORTED)) & 0xFFFFFFFF
    except TypeError:  # a value JSON cannot hold (it is refused later, as the store writes it)
        return hash(repr(sorted(record.items(), key=repr))) & 0xFFFFFFFF


def _seq_array(seqs: list[int], most: int) -> np.ndarray:
    return np.array(seqs, dtype=np.uint32 if most < 2**32 else np.uint64)


class Texts(bytes):
    """Records as JSON, each with its keys sorted, joined by commas (a JSON array but for its brackets), as one
    text rather than one a record: one object to hand from process to process and thread to thread, and
    to SQLite. ``ends`` is where each ends (int64, one a record)."""

    ends: np.ndarray

    @classmethod
    def of(cls, texts: list[bytes]) -> "Texts":
        joined = cls(b",".join(texts))
        joined.ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1) - 1
        return joined

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: Any) -> Any:  # the text of record i
        start = int(self.ends[i - 1]) + 1 if i else 0
        return bytes.__getitem__(self, slice(start, int(self.ends[i])))

    def pick(self, keep: list[int]) -> "Texts":
        return Texts.of([self[i] for i in keep])

    def __reduce__(self) -> Any:
        return (_texts_back, (bytes(self), self.ends))


def _texts_back(data: bytes, ends: np.ndarray) -> Texts:
    texts = Texts(data)
    texts.ends = ends
    return texts


class Checked:
    """A batch of records of one node kind or edge type, each checked on its own (:func:`check_batch`): the
    part of a load that needs no other record, and so can be done in another process. What is kept of each
    valid record, in parallel lists and arrays: its number in the load, its key (a node's id; an edge's
    source and target), its text (the record as JSON, keys sorted: :class:`Texts`), its fingerprints, what
    the index keeps of it and, when asked for, the record itself."""

    __slots__ = ("what", "name", "read", "seqs", "errors", "invalid", "keys", "targets", "texts", "prints", "rows",
                 "values")

    def __init__(self, what: str, name: str, read: int, seqs: list[int], errors: list[tuple[int, str | None, str]],
                 invalid: list[str], keys: list[str], targets: list[str] | None, texts: Texts | None,
                 prints: tuple[np.ndarray, np.ndarray, np.ndarray], rows: list[dict[str, Any]] | None,
                 values: tuple[Any, ...]):
        self.what, self.name, self.read, self.seqs, self.errors, self.invalid = what, name, read, seqs, errors, invalid
        self.keys, self.targets, self.texts, self.prints, self.rows, self.values = keys, targets, texts, prints, rows, values

    def only(self, keep: list[int]) -> "Checked":
        """The same batch with only the records at ``keep`` (positions, in order)."""
        at = np.array(keep, dtype=np.int64)

        def pick(x: Any) -> Any:
            if x is None:
                return None
            if isinstance(x, Texts):
                return x.pick(keep)
            return x[at] if isinstance(x, np.ndarray) else [x[i] for i in keep]

        return Checked(self.what, self.name, 0, pick(self.seqs), [], [], pick(self.keys), pick(self.targets),
                       pick(self.texts), tuple(pick(p) for p in self.prints), pick(self.rows),  # type: ignore[arg-type]
                       tuple(pick(v) for v in self.values))

    def value_of(self, i: int) -> tuple[Any, ...]:
        """What the index keeps of record ``i``."""
        return tuple(None if v is None else v[i] for v in self.values)


def check_batch(what: str, name: str, batch: list[tuple[int, dict[str, Any]]], *, nulls: bool = True,
                rows: bool = True) -> Checked:
    """Check records of one node kind or edge type each on its own (:func:`orggraph.model.validate_nodes`,
    :func:`~orggraph.model.validate_edges`), and make what the loader keeps of each valid one.

    Parameters
    ----------
    what, name : str
        "node" and a kind, or "edge" and a type.
    batch : list of (number in the load, record)
    nulls : bool
        Whether a record may hold a null value (see :func:`~orggraph.model.validate_nodes`).
    rows : bool
        Keep the valid records themselves (a sink that takes texts needs none; another process hands back
        no record, only texts).

    Returns
    -------
    Checked
        Errors as (number in the load, field, message).
    """
    validate = validate_nodes if what == "node" else validate_edges
    outputs, problems = validate(name, batch, nulls=nulls)
    errors = [(e.where, e.field, e.message) for e in problems]  # type: ignore[misc]
    invalid: list[str] = []
    if problems:
        if what == "node":
            invalid = [r["id"] for (_, r), out in zip(batch, outputs) if out is None and isinstance(r.get("id"), str)]
        pairs = [(seq, out) for (seq, _), out in zip(batch, outputs) if out is not None]
        seqs = list(map(_first, pairs))
        good: list[dict[str, Any]] = list(map(_second, pairs))
    else:
        seqs = list(map(_first, batch))
        good = outputs  # type: ignore[assignment]
    try:
        each = _texts(what, name, good)
        bodies = np.fromiter(map(hash, each), dtype=np.int64, count=len(each)).astype(np.uint32)
        texts: Texts | None = Texts.of(each)
    except TypeError:  # a value JSON cannot hold: refused as the store writes it
        texts = None
        bodies = np.array([_body(r) for r in good], dtype=np.uint32)
    if what == "node":
        keys = list(map(_id, good))
        targets = None
        prints = (np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys)),
                  np.fromiter(map(hash, map(_nul, keys)), dtype=np.int64, count=len(keys)).astype(np.uint32), bodies)
        values = IndexParts.node_values(name, good)
    else:
        keys = list(map(_source, good))
        targets = list(map(_target, good))
        sinces = list(map(dict.get, good, repeat("since"), repeat("")))
        prints = (np.fromiter(map(hash, zip(repeat(name), keys, targets, sinces)), dtype=np.int64, count=len(keys)),
                  np.fromiter(map(hash, zip(sinces, targets, keys, repeat(name))), dtype=np.int64,
                              count=len(keys)).astype(np.uint32), bodies)
        values = IndexParts.edge_values(name, good)
    return Checked(what, name, len(batch), seqs, errors, invalid, keys, targets, texts, prints, good if rows else None,
                   values)


def _texts(what: str, name: str, rows: list[dict[str, Any]]) -> list[bytes]:
    """Each record as JSON, its keys sorted (at every depth): what tells a repeat from a change, and what a
    store that keeps records as JSON text writes.

    What it costs: orjson's sorting of keys costs four times the writing (2.3 µs a record against 0.5). A
    batch whose records hold only the fields the model declares (none of them an object) needs sorting at
    the top only, and its records mostly come with their keys in one order or a few: each order is told
    sorted or not once, and a record whose keys are not is rewritten in order before it is written.
    """
    declared = (_NODE_FIELDS if what == "node" else _EDGE_FIELDS)[name] | _FIXED[what]
    if not declared.issuperset(set().union(*rows)):  # a free-form property, which may be an object
        return [_dumps(r, option=_SORT) for r in rows]
    told: dict[tuple[str, ...], bool] = {}
    out = []
    for r in rows:
        keys = tuple(r)
        in_order = told.get(keys)
        if in_order is None:
            in_order = told[keys] = list(keys) == sorted(keys)
        out.append(_dumps(r) if in_order else _dumps(dict(sorted(r.items()))))
    return out


_FIXED = {"node": frozenset({"id", "kind"}), "edge": frozenset({"type", "source", "target"})}


def check_run(records: list[tuple[str, Any]]) -> tuple[list[tuple[int, str | None, str]], list[Checked]]:
    """Check a run of records (as :meth:`Loader.add_run` takes them, objects holding no null), each on its
    own, for :meth:`Loader.add_checked`: grouped by node kind and edge type, nodes first, with no record kept
    (only texts). Records are numbered from 1 within the run. Run in another process by a reader that
    offers to (:func:`orggraph.io.read_jsonl`).

    Returns
    -------
    errors : list of (number, field, message)
        A record's unknown kind or type.
    batches : list of Checked
    """
    nodes: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    edges: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    errors: list[tuple[int, str | None, str]] = []
    for seq, (what, record) in enumerate(records, 1):
        name = record.get("kind" if what == "node" else "type")
        if type(name) is str and name in (_KIND_SET if what == "node" else ENDPOINTS):
            (nodes if what == "node" else edges)[name].append((seq, record))
        else:
            errors.append((seq, *_unknown(what, name)))
    batches = [check_batch("node", kind, batch, nulls=False, rows=False) for kind, batch in nodes.items()]
    batches += [check_batch("edge", type_, batch, nulls=False, rows=False) for type_, batch in edges.items()]
    return errors, batches


def _unknown(what: str, name: Any) -> tuple[str, str]:
    """The field and message for a node's kind or an edge's type that is none of the model's."""
    if what == "node":
        return "kind", f"unknown node kind {describe(name, 'kind')}; allowed: {', '.join(NODE_KINDS)}"
    return "type", f"unknown edge type {describe(name, 'type')}; allowed: {', '.join(EDGE_TYPES)}"


def _nul(text: str) -> str:
    return text + "\0"


class Loader:
    """Validate a stream of records in batches and pass the valid rows to a sink.

    Errors are collected, not raised one by one, so a user sees every problem in one run (up to
    ``max_errors``). :meth:`finish` runs the checks that need the whole network (endpoint kinds, ids
    used for two kinds, ids that fold alike, cycles) and raises :class:`~orggraph.exceptions.InvalidRecords`
    if anything was wrong; the store then rolls back, so a failed load leaves it exactly as it was.

    One id, one thing: ids that differ only by letter case, full-width form or surrounding spaces (``h1``,
    ``H1``, ``ｈ１``: ids that fold alike, :func:`orggraph.model.fold`, NFKC then casefold) are one id. A
    node id that folds alike another id of the load or of the store is refused, naming both spellings
    and where the other is, rather than made a second node; so is an edge naming a node by another
    spelling (rather than reported as naming no node). A surrounding space never reaches here: a
    workbook's cells are trimmed as read, and an id holding a space is refused.

    How, and what it costs. Each store keeps, beside its nodes and in the load's own transaction (or
    batch), the ids spelled otherwise than their fold: the embedded store in a table (``folds``), a
    graph server as ``n.fold`` with an index. Most ids are ASCII with no capital letter, their own folds,
    so that is few ids or none. A new id ``x`` then folds alike a stored id if and only if ``fold(x) !=
    x`` and ``fold(x)`` is a stored id, or ``fold(x)`` is a stored fold: one look-up a batch, made only
    for ids spelled otherwise, or for all when the store keeps any fold at all (known once a load).
    Within the load, a batch is told to be its own folds in one pass over its ids joined
    (:func:`~orggraph.model.unfolded`); only the ids spelled otherwise are kept, in a dict by fold. So a
    load of ids that are their own folds, into a store that keeps no fold, pays a pass over its ids (and
    one more as the embedded store writes them): 4 ms for the 236,777 node ids of 200,000 households
    (41 ms were they all capitals). Measured on the
    embedded store, 2 cores, ``orggraph load`` of the generated city of 200,000 households (697,382
    records): into an empty store 19.2 s before and 17.2 s after (the difference is noise); the same
    file again 13.2 s and 14.4 s; 2,000 of its records into it 0.67 s and 0.70 s. The same city with
    every id in capitals (all 236,777 kept as folds): 18.8 s into an empty store, 18.1 s again, 0.75 s
    for 2,000 records. A file of schema 4 of that city gains its table in 0.1 s when first opened. (Those
    were the figures of this check when it was made; the load as a whole has been made faster since: see
    below.)

    A batch is checked in two steps. Each record on its own (:func:`check_batch`: the model's validators,
    the record's sorted JSON text, its fingerprints, what the index keeps of it) needs no other record,
    and may run in another process: a reader that offers to (:meth:`orggraph.io.JsonLines.checked_runs`)
    has the records of a large JSON Lines file checked by forked workers, a block at a time, and hands
    back :class:`Checked` batches (``("checked", ...)`` items). Then the batch is taken here, in the order
    of the input (:meth:`_take_nodes`, :meth:`_take_edges`): numbered, its ids and ends checked against
    the load and the store, and written. A load of 2,000,000 households (6,976,490 records) into an
    empty embedded store took 48.7 s on 2 cores this way, against 99.7 s read and checked here alone.

    Parameters
    ----------
    sink : Sink
        Where the valid rows go (a store's, inside its transaction).
    store_empty : bool
        The store held nothing before: nothing need be looked up in it.
    batch_size : int
        Records of one kind or type checked and written at a time (a run of a JSON Lines file is taken
        whole, so a batch may hold up to a run's records more).
    max_errors : int
        Problems reported (all are counted).
    parts : IndexParts, optional
        Gathers what the query index keeps of every row written (a load into an empty store).
    workers : int
        Processes a reader may check records in (:meth:`add_all`).
    """

    def __init__(
        self,
        sink: Sink,
        *,
        store_empty: bool,
        batch_size: int = 5000,
        max_errors: int = 100,
        on_record: Callable[[], None] | None = None,
        parts: IndexParts | None = None,
        workers: int = 1,
    ):
        self.sink = sink
        self.store_empty = store_empty
        self.batch_size = batch_size
        self.max_errors = max_errors
        self._errors: list[tuple[int, RecordError]] = []  # (position in the input, error)
        self.error_count = 0
        self._seq = 0
        self.report = LoadReport()
        self._node_buf: dict[str, list[tuple[str, dict, int]]] = defaultdict(list)
        self._edge_buf: dict[str, list[tuple[str, dict, int]]] = defaultdict(list)
        # every node of this load: its number (in the order first read), and its kind's code by number
        self._number: dict[str, int] = {}
        self._codes = bytearray()
        #: what the index of the store is built from, gathered as the rows are written (None: not gathered)
        self.parts = parts
        # a sink that keeps records as JSON text takes each batch's texts (see _texts) beside its rows
        self._takes_texts = bool(getattr(sink, "takes_texts", False))
        # a sink that refuses a node the store holds as another kind itself, and tells them at the end
        self._tells_kinds = bool(getattr(sink, "tells_kinds", False))
        self._nulls = False  # whether a record may hold a null value (any but a run's: see add_run)
        #: processes that may check records each on its own, for a reader that offers to (see add_all)
        self.workers = workers
        self._invalid: set[str] = set()  # ids of node records that failed validation
        # (number in the load, type, source, target, what the index keeps of it when the index is gathered)
        self._deferred: list[tuple[int, str, str, str, tuple[Any, ...] | None]] = []
        self._hier_new: dict[str, list[tuple[int, str, str]]] = {t: [] for t in _HIERARCHIES}  # (number, source, target)
        # One id, one thing (see _check_folds): of the node ids of this load spelled otherwise than their
        # fold, the first of each fold, and where it was read; and the pairs found that fold alike, as
        # (number in the load, id, the other, its number or None: to be found, or -1: in the store).
        self._spelled: dict[str, tuple[str, int]] = {}
        self._fold_pairs: list[tuple[int, str, str, int | None]] = []
        # Every valid record's fingerprints, a batch at a time: (numbers in the load, key, check, body, what).
        # 20 bytes a record, where a set of the keys themselves would take ten times that; a key given twice
        # is found at the end, by sorting (see _check_repeats).
        self._prints: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]] = []
        self._places = _Places()

    # -- intake ---------------------------------------------------------------------------------------

    @property
    def errors(self) -> list[RecordError]:
        """The first ``max_errors`` problems, in the order of the input."""
        return [e for _, e in sorted(self._errors, key=lambda pair: pair[0])][: self.max_errors]

    def error(self, where: str, field: str | None, message: str, seq: int) -> None:
        self.error_count += 1
        if self.error_count > 10 * self.max_errors:  # enough to choose the first ones from
            return
        columns = getattr(where, "columns", None)  # a workbook row names its columns
        if columns and field in columns:
            field = columns[field]
        self._errors.append((seq, RecordError(str(where), field, message)))

    def add(self, item: Item) -> None:
        what, where, record = item
        if what == "run":  # consecutive records, read from consecutive places (see add_run)
            self.add_run(where, record)
            return
        if what == "checked":  # such records checked each on its own elsewhere (see add_checked)
            self.add_checked(where, *record)
            return
        self._nulls = True
        self._seq += 1
        seq = self._seq
        places = self._places
        if where == places._next and type(where) is str and places._columns is None:  # _Places.add, inline
            places._number += 1
            places._next = f"{places._head}{places._number + 1}{places._tail}"
        else:
            places.add(seq, where)
        if what == "error":  # a reader's: its message, or (field, message)
            field, message = record if isinstance(record, tuple) else (None, record)
            self.error(where, field, message, seq)
        else:
            self.add_record(what, record, seq, where)

    def _run_places(self, first: str, count: int) -> int:
        """Keep the places of ``count`` records read from ``first`` and the places numbered on from it; the
        number in the load of the record before them."""
        base = self._seq
        self._seq += count
        if count:
            self._places.add(base + 1, first)
        if count > 1:  # the last place of the run, which carries it on to the end
            numbered = _Places._NUMBERED.fullmatch(first)
            if numbered is None:
                raise ValueError(f"a run of records starts at a numbered place, not {first!r}")
            self._places.add(base + count, f"{numbered[1]}{int(numbered[2]) + count - 1}{numbered[3]}")
        return base

    def add_run(self, first: str, records: list[tuple[str, dict[str, Any]]]) -> None:
        """Add records read from consecutive places: ``first`` (``line 7``) and the places numbered on from it
        (``line 8``, ...), each record ("node" or "edge", a dict). What :meth:`add` does for each, with the
        places kept as one run and no text made for each; a reader of JSON Lines hands its lines so, a block
        at a time (an item ``("run", first, records)`` is the same). A run's records hold no null value
        (a reader reads a record with one alone, :meth:`add`), so they are not looked through for one."""
        seq = self._run_places(first, len(records))
        node_buf, edge_buf = self._node_buf, self._edge_buf
        if set(map(type, map(_second, records))) != {dict}:  # (a reader's runs hold objects only)
            for what, record in records:
                seq += 1
                self.add_record(what, record, seq)
            return
        for what, record in records:
            seq += 1
            if what == "node":
                kind = record.get("kind")
                if type(kind) is str and kind in _KIND_SET:
                    node_buf[kind].append((seq, record))
                    continue
            else:
                type_ = record.get("type")
                if type(type_) is str and type_ in ENDPOINTS:
                    edge_buf[type_].append((seq, record))
                    continue
            self.add_record(what, record, seq)
        for kind, buf in list(node_buf.items()):  # each batch read whole, a run at a time
            if len(buf) >= self.batch_size:
                self._flush_nodes(kind)
        for type_, buf in list(edge_buf.items()):
            if len(buf) >= self.batch_size:
                self._flush_edges(type_)

    def add_record(self, what: str, record: Any, seq: int, where: str | None = None) -> None:
        """One record whose place is kept (by its number in the load, ``seq``): as :meth:`add`."""
        if not isinstance(record, dict):
            self.error(where or self._places.get(seq), None,
                       f"{_a(what.title())} must be a JSON object, got {type(record).__name__}", seq)
            return
        name = record.get("kind" if what == "node" else "type")
        if not isinstance(name, str) or name not in (_KIND_SET if what == "node" else ENDPOINTS):
            self.error(where or self._places.get(seq), *_unknown(what, name), seq)
            return
        buf = (self._node_buf if what == "node" else self._edge_buf)[name]
        buf.append((seq, record))
        if len(buf) >= self.batch_size:
            (self._flush_nodes if what == "node" else self._flush_edges)(name)

    def add_all(self, items: Iterable[Item]) -> None:
        """Add every item. A reader that can check its records in other processes (``checked_runs``, as
        :func:`orggraph.io.read_jsonl`'s can) is asked to, for a sink that takes texts (see :func:`check_run`)."""
        runs = getattr(items, "checked_runs", None) if self._takes_texts and self.workers > 1 else None
        if runs is not None:
            items = runs(check_run, self.workers) or items
        for item in items:
            self.add(item)

    def add_checked(self, first: str, count: int, errors: list[tuple[int, str | None, str]],
                    batches: list[Checked]) -> None:
        """Take ``count`` records from consecutive places, ``first`` and on, checked each on its own elsewhere
        (:func:`check_run`: their numbers in the load counted from 1 within the run). An item
        ``("checked", first, (count, errors, batches))`` is the same."""
        for kind in list(self._node_buf):  # what came before, first
            self._flush_nodes(kind)
        for type_ in list(self._edge_buf):
            self._flush_edges(type_)
        base = self._run_places(first, count)
        for seq, name, message in errors:
            self.error(self._places.get(base + seq), name, message, base + seq)
        for c in batches:  # nodes first, then edges
            c.seqs = [q + base for q in c.seqs]
            c.errors = [(q + base, name, message) for q, name, message in c.errors]
            if c.what == "node":
                self._take_nodes(c)
            else:
                self._take_edges(c)

    # -- batches --------------------------------------------------------------------------------------

    def _flush_nodes(self, kind: str) -> None:
        batch = self._node_buf.pop(kind, [])
        if batch:
            self._take_nodes(check_batch("node", kind, batch, nulls=self._nulls, rows=True))

    def _flush_edges(self, type_: str) -> None:
        batch = self._edge_buf.pop(type_, [])
        if not batch:
            return
        for kind in list(self._node_buf):  # so that the endpoints read before these edges are known
            self._flush_nodes(kind)
        self._take_edges(check_batch("edge", type_, batch, nulls=self._nulls, rows=True))

    def _take_errors(self, checked: Checked) -> None:
        for seq, name, message in checked.errors:
            self.error(self._places.get(seq), name, message, seq)

    def _take_nodes(self, c: Checked) -> None:
        """Take a batch of nodes checked each on its own (:func:`check_batch`): number them, check them against
        the load and the store, and write them."""
        kind = c.name
        self.report.nodes[kind] = self.report.nodes.get(kind, 0) + c.read
        self._take_errors(c)
        self._invalid.update(c.invalid)
        ids = c.keys
        if not ids:
            return
        number, codes, code = self._number, self._codes, KIND_CODES[kind]
        first = len(number)
        if not number.keys().isdisjoint(ids) or len(set(ids)) < len(ids):  # an id given before: one by one
            kept, numbers = [], []
            for i, (seq, node_id) in enumerate(zip(c.seqs, ids)):
                at = number.get(node_id)
                if at is None:
                    at = number[node_id] = len(codes)
                    codes.append(code)
                elif codes[at] != code:
                    self.error(self._places.get(seq), "id", f"{node_id!r} is already {_a(_KIND_NAMES[codes[at]])} in "
                                                            "this load; an id names one node only", seq)
                    continue
                kept.append(i)
                numbers.append(at)
            if len(kept) < len(ids):
                c = c.only(kept)
                ids = c.keys
            numbers_of = np.array(numbers, dtype=np.int64)
        else:  # all new: numbered in the order read
            number.update(zip(ids, range(first, first + len(ids))))
            codes.extend(bytes((code,)) * len(ids))
            numbers_of = np.arange(first, first + len(ids), dtype=np.int64)
        if not self.store_empty and ids and not (self._tells_kinds and self._takes_texts and c.texts is not None):
            stored = self.sink.kinds_of(ids)
            clash = {i for i, k in stored.items() if k != kind}
            if clash:
                for seq, node_id in zip(c.seqs, ids):
                    if node_id in clash:
                        self.error(self._places.get(seq), "id", f"{node_id!r} is already {_a(stored[node_id])} in the "
                                                                "store; an id names one node only", seq)
                keep = [i for i, node_id in enumerate(ids) if node_id not in clash]
                c = c.only(keep)
                ids = c.keys
                numbers_of = numbers_of[keep]
        if not ids:
            return
        self._fold(ids, c.seqs)
        self._prints.append((_seq_array(c.seqs, self._seq), *c.prints, "node"))
        if not self.error_count:
            self._write("node", c)
            if self.parts is not None:
                self.parts.add_nodes(kind, numbers_of, c.values)

    def _write(self, what: str, c: Checked) -> None:
        write = self.sink.write_nodes if what == "node" else self.sink.write_edges
        if self._takes_texts and c.texts is not None:
            write(c.rows, c.texts, c.keys)  # type: ignore[call-arg]
        elif c.rows is not None:
            write(c.rows)
        else:  # (texts a JSON text cannot be made of come only from this process, with their rows)
            raise AssertionError("a batch checked elsewhere reached a sink that takes rows")

    def _take_edges(self, c: Checked) -> None:
        """Take a batch of edges checked each on its own (:func:`check_batch`): check their ends against the
        nodes of the load (an end not yet among them is checked at the end) and write them."""
        type_ = c.name
        self.report.edges[type_] = self.report.edges.get(type_, 0) + c.read
        self._take_errors(c)
        n = len(c.seqs)
        if not n:
            return
        sources, targets, seqs = c.keys, c.targets, c.seqs
        number = self._number
        src = list(map(number.get, sources))
        tgt = list(map(number.get, targets))
        skip: set[int] = set()  # not written: an edge from a node to itself, or between nodes of the wrong kinds
        for i in [i for i, (s, t) in enumerate(zip(sources, targets)) if s == t] if any(map(eq, sources, targets)) else ():
            self.error(self._places.get(seqs[i]), "target", f"an edge cannot go from {sources[i]!r} to itself", seqs[i])
            skip.add(i)
        later = set()  # an end not (yet) a node of this load: checked once everything is read, written meanwhile
        if None in src or None in tgt:
            for i in range(n):
                if (src[i] is None or tgt[i] is None) and i not in skip:
                    later.add(i)
                    self._deferred.append((seqs[i], type_, sources[i], targets[i],
                                           c.value_of(i) if self.parts is not None else None))
        checked = [i for i in range(n) if i not in skip and i not in later] if skip or later else None  # None: all
        s_at = np.array(src if checked is None else [src[i] for i in checked], dtype=np.int64)
        t_at = np.array(tgt if checked is None else [tgt[i] for i in checked], dtype=np.int64)
        want_source, want_target = ENDPOINTS[type_]
        codes = np.frombuffer(self._codes, dtype=np.int8)
        wrong = (codes[s_at] != KIND_CODES[want_source]) | (codes[t_at] != KIND_CODES[want_target])
        if wrong.any():
            for j in np.nonzero(wrong)[0].tolist():
                i = j if checked is None else checked[j]
                where, seq = self._places.get(seqs[i]), seqs[i]
                self._check_endpoint(where, type_, "source", sources[i], _KIND_NAMES[codes[src[i]]], want_source, seq)
                self._check_endpoint(where, type_, "target", targets[i], _KIND_NAMES[codes[tgt[i]]], want_target, seq)
                skip.add(i)
            checked = [i for j, i in enumerate(range(n) if checked is None else checked) if not wrong[j]]
            s_at, t_at = s_at[~wrong], t_at[~wrong]
        in_load = c if checked is None else c.only(checked)  # both ends known: to the index now
        if skip:
            c = c.only([i for i in range(n) if i not in skip])
        if type_ in self._hier_new:
            self._hier_new[type_].extend(zip(c.seqs, c.keys, c.targets))
        if not c.seqs:
            return
        self._prints.append((_seq_array(c.seqs, self._seq), *c.prints, type_))
        if not self.error_count:
            self._write("edge", c)
            if self.parts is not None:
                self.parts.add_edges(type_, s_at, t_at, in_load.values)

    def _fold(self, ids: list[str], seqs: list[int]) -> None:
        """Note the ids of a batch that fold (:func:`~orggraph.model.fold`) alike another id of this load or
        of the store: they are reported by :meth:`_check_folds`.

        What it costs: the ids of most cities are ASCII with no capital letter, their own folds; a batch of
        them is told in one pass over its ids joined (:func:`~orggraph.model.unfolded`), and is looked for
        no further unless this load holds ids spelled otherwise (a look-up in a dict a row) or the store does
        (one look-up a batch, as :meth:`Sink.kinds_of`).
        """
        spelled = unfolded(ids)
        kinds, known, pairs = self._number, self._spelled, self._fold_pairs
        folds: dict[int, str] = {}
        for i, folded in spelled:
            folds[i] = folded
            node_id, seq = ids[i], seqs[i]
            first = known.get(folded)
            if first is not None:
                if first[0] != node_id:  # (the same id given again is a repeat, not a pair)
                    pairs.append((seq, node_id, first[0], first[1]))
            elif folded in kinds:  # the fold itself is an id of this load
                pairs.append((seq, node_id, folded, None))
            else:
                known[folded] = (node_id, seq)
        if known and len(spelled) < len(ids):  # an id that is its own fold, after one spelled otherwise
            for i, node_id in enumerate(ids):
                if i not in folds and (first := known.get(node_id)) is not None:
                    pairs.append((seqs[i], node_id, first[0], first[1]))
        if self.store_empty:
            return
        found: dict[str, list[str]] = defaultdict(list)
        plain = [x for i, x in enumerate(ids) if i not in folds] if folds else ids
        for folded, stored in self.sink.same_folds(list(folds.values()), plain):
            found[folded].append(stored)
        for i, node_id in enumerate(ids) if found else ():
            for stored in found.get(folds.get(i, node_id), ()):
                if stored != node_id and stored not in kinds:  # one of this load is a pair within it
                    pairs.append((seqs[i], node_id, stored, -1))

    def _check_endpoint(
        self, where: str, type_: str, end: str, node_id: str, got: str | None, want: str, seq: int,
        near: dict[str, tuple[str, str]] | None = None,
    ) -> bool:
        if got == want:
            return True
        src, tgt = ENDPOINTS[type_]
        rule = f"{type_} goes from {_a(src)} to {_a(tgt)}"
        if got is None and node_id in self._invalid:
            self.error(where, end, f"{node_id!r} is a node whose own record is invalid", seq)
        elif got is None and near is not None and node_id in near:  # a node by another spelling
            other, place = near[node_id]
            self.error(where, end, f"{node_id!r} is not a node but {other!r}{place} is, and they differ only by "
                                   f"{how_they_differ(node_id, other)}; write one spelling", seq)
        elif got is None:
            self.error(where, end, f"{node_id!r} is not a node in this load or in the store ({rule})", seq)
        else:
            self.error(where, end, f"{node_id!r} is {_a(got)}, but {rule}", seq)
        return False

    # -- the checks that need everything --------------------------------------------------------------

    def finish(self) -> LoadReport:
        """Flush, run the whole-network checks, and raise if anything was wrong."""
        for kind in list(self._node_buf):
            self._flush_nodes(kind)
        for type_ in list(self._edge_buf):
            self._flush_edges(type_)
        self._kinds_refused()
        self._check_folds()
        self._resolve_deferred()
        self._check_repeats()
        self._check_cycles()
        if self.error_count:
            raise InvalidRecords(self.errors, self.error_count)
        return self.report

    def _kinds_refused(self) -> None:
        """The nodes a sink refused because the store holds their ids as another kind (see ``tells_kinds``)."""
        if not self._tells_kinds or self.store_empty:
            return
        refused = self.sink.kinds_refused()  # type: ignore[attr-defined]
        seqs = self._seqs_of(node_id for node_id, _ in refused)
        for node_id, stored in refused:
            seq = seqs.get(node_id, 0)
            self.error(self._places.get(seq) if seq else "the input", "id",
                       f"{node_id!r} is already {_a(stored)} in the store; an id names one node only", seq)

    def _seqs_of(self, ids: Iterable[str]) -> dict[str, int]:
        """Where each of some node ids of this load was first read (by its fingerprint: asked only on a failed
        load, of a few ids)."""
        wanted = {hash(i): i for i in ids}
        if not wanted:
            return {}
        keys = np.array(sorted(wanted), dtype=np.int64)
        out: dict[str, int] = {}
        for seqs, ks, _, _, what in self._prints:
            if what != "node":
                continue
            for i in np.nonzero(np.isin(ks, keys))[0]:
                node_id, seq = wanted[int(ks[i])], int(seqs[i])
                out[node_id] = min(out.get(node_id, seq), seq)
        return out

    def _check_folds(self) -> None:
        """One id, one thing: ids that differ only by letter case or full-width form (that fold alike,
        :func:`~orggraph.model.fold`) would be two nodes. Each pair found by :meth:`_fold` is an error on the
        later record, naming both spellings and the other's place, or the store."""
        pairs, self._fold_pairs = self._fold_pairs, []
        if not pairs:
            return
        kinds = self._number
        # a pair with the store whose stored id this load also gives is a pair within the load, found as such
        pairs = [p for p in pairs if p[3] != -1 or p[2] not in kinds]
        seqs = self._seqs_of(other for _, _, other, at in pairs if at is None)
        for seq, node_id, other, at in pairs:
            if at is None:
                at = seqs.get(other)
            if at == -1:
                self.error(self._places.get(seq), "id",
                           f"{node_id!r} and {other!r}, already in the store, differ only by "
                           f"{how_they_differ(node_id, other)}: they would be two nodes; write one spelling", seq)
                continue
            if at is not None and at > seq:  # said of the later record
                seq, node_id, other, at = at, other, node_id, seq
            place = "elsewhere in this load" if at is None else self._places.get(at)
            self.error(self._places.get(seq), "id",
                       f"{node_id!r} and {other!r} ({place}) differ only by {how_they_differ(node_id, other)}: "
                       "they would be two nodes; write one spelling", seq)

    def _near(self, missing: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Of ids that name no node, those that fold alike a node of this load or of the store: the other
        spelling, and where it is (`` (line 2)``, ``, in the store,``)."""
        kinds, known = self._number, self._spelled
        near: dict[str, tuple[str, int | None]] = {}
        rest: dict[str, str] = {}
        for node_id in missing:
            folded = fold(node_id)
            if folded != node_id and folded in kinds:
                near[node_id] = (folded, None)
            elif (first := known.get(folded)) is not None:
                near[node_id] = first
            else:
                rest[node_id] = folded
        if rest and not self.store_empty:
            ids = sorted(rest)
            for start in range(0, len(ids), 10000):
                chunk = ids[start : start + 10000]
                by_fold: dict[str, list[str]] = defaultdict(list)
                for node_id in chunk:
                    by_fold[rest[node_id]].append(node_id)
                found = self.sink.same_folds([f for i in chunk if (f := rest[i]) != i], [i for i in chunk if rest[i] == i])
                for folded, stored in sorted(found):
                    for node_id in by_fold.get(folded, ()):
                        if stored != node_id:
                            near.setdefault(node_id, (stored, -1))
        seqs = self._seqs_of(other for other, at in near.values() if at is None)
        out = {}
        for node_id, (other, at) in near.items():
            if at is None:
                at = seqs.get(other)
            out[node_id] = (other, ", in the store," if at == -1 else
                            f" ({'elsewhere in this load' if at is None else self._places.get(at)})")
        return out

    def _check_repeats(self) -> None:
        """A node id, or an edge key (type, source, target, since), given twice in this load with other
        properties (or another until) is an error naming both places: the store would keep the last one
        silently, and report it changed on every reload. Given twice alike, it is taken once."""
        prints, self._prints = self._prints, []  # freed before the store builds its indexes
        if not prints:
            return
        keys = np.concatenate([p[1] for p in prints])
        keys.sort()
        again = np.unique(keys[1:][keys[1:] == keys[:-1]])
        del keys
        if not len(again):
            return
        found = []
        last = len(again) - 1
        for seqs, ks, checks, bodies, what in prints:
            for i in np.nonzero(again[np.minimum(np.searchsorted(again, ks), last)] == ks)[0]:
                found.append((int(seqs[i]), int(ks[i]), int(checks[i]), int(bodies[i]), what))
        found.sort()  # in the order of the input
        first: dict[tuple[str, int, int], tuple[int, int]] = {}
        ids: dict[int, str] | None = None
        for seq, key, check, body, what in found:
            seen = first.setdefault((what, key, check), (seq, body))
            if seen[1] == body:
                continue
            earlier = self._places.get(seen[0])
            if what == "node":
                if ids is None:  # the ids given again, from the hashes (only ever on a failed load)
                    wanted = {k for _, k, _, _, w in found if w == "node"}
                    ids = {hash(i): i for i in self._number if hash(i) in wanted}
                self.error(self._places.get(seq), "id",
                           f"{ids.get(key, '')!r} is given again with other properties (first at {earlier})", seq)
            else:
                self.error(self._places.get(seq), None,
                           f"this {what} edge (its source, target and since) is given again with other properties "
                           f"or until (first at {earlier})", seq)

    def _resolve_deferred(self) -> None:
        if not self._deferred:
            return
        number, codes = self._number, self._codes
        missing = {i for _, _, s, t, _ in self._deferred for i in (s, t) if i not in number}
        stored: dict[str, str] = {}
        if missing and not self.store_empty:
            ids = sorted(missing)
            for start in range(0, len(ids), 10000):
                stored.update(self.sink.kinds_of(ids[start : start + 10000]))
        near = self._near(sorted(i for i in missing if i not in stored and i not in self._invalid))
        parts: dict[str, tuple[list[int], list[int], list[tuple[Any, ...]]]] = defaultdict(lambda: ([], [], []))
        for seq, type_, source, target, row in self._deferred:  # (row: what the index keeps of the edge)
            want_source, want_target = ENDPOINTS[type_]
            s_at, t_at = number.get(source), number.get(target)
            ks = _KIND_NAMES[codes[s_at]] if s_at is not None else stored.get(source)
            kt = _KIND_NAMES[codes[t_at]] if t_at is not None else stored.get(target)
            where = self._places.get(seq)
            ok = self._check_endpoint(where, type_, "source", source, ks, want_source, seq, near)
            ok = self._check_endpoint(where, type_, "target", target, kt, want_target, seq, near) and ok
            if ok and row is not None and s_at is not None and t_at is not None:
                gathered = parts[type_]
                gathered[0].append(s_at)
                gathered[1].append(t_at)
                gathered[2].append(row)
        self._deferred.clear()
        if self.parts is not None and not self.error_count:
            for type_, (s_list, t_list, values) in parts.items():
                since, until, rank = zip(*values)
                self.parts.add_edges(type_, np.array(s_list, dtype=np.int64), np.array(t_list, dtype=np.int64),
                                     (np.array(since, dtype=np.int32), np.array(until, dtype=np.int32),
                                      np.array(rank, dtype=np.int8)))

    def _check_cycles(self) -> None:
        for type_, new in self._hier_new.items():
            if not new:
                continue
            edges = [(s, t) for _, s, t in new]
            if not self.store_empty:
                edges.extend(self.sink.hierarchy(type_))
            cycle = find_cycle(edges)
            if cycle is None:
                continue
            on_cycle = set(zip(cycle, cycle[1:]))
            # name the record that closed the cycle: the last one read that lies on it
            seq = next((e for e in reversed(new) if (e[1], e[2]) in on_cycle), new[-1])[0]
            self.error(self._places.get(seq), None, f"{type_} edges form a cycle: {' -> '.join(cycle)}", seq)


class _Nowhere:
    """The sink of a check against no store: rows go nowhere, and nothing is stored before."""

    def write_nodes(self, rows: list[dict[str, Any]]) -> None:
        pass

    def write_edges(self, rows: list[dict[str, Any]]) -> None:
        pass

    def kinds_of(self, ids: list[str]) -> dict[str, str]:
        return {}

    def hierarchy(self, type_: str) -> Iterable[tuple[str, str]]:
        return ()

    def same_folds(self, folds: list[str], plain: list[str]) -> list[tuple[str, str]]:
        return []


def check_records(items: Iterable[Item], *, max_errors: int = 100) -> InvalidRecords | None:
    """What is wrong with records whatever a store holds: each record's fields, vocabularies and dates,
    kinds and ends among the records themselves, a record given twice. Endpoints outside the records
    and cycles through a store are not looked at, so the answer reveals nothing of any store.

    Returns
    -------
    InvalidRecords or None
        The problems found (to raise), or None when there are none.

    Examples
    --------
    >>> print(check_records([("node", "line 1", {"id": "h1", "kind": "Household", "people": 0}),
    ...                      ("edge", "line 2", {"type": "CONTACTS", "source": "m9", "target": "h1"})]))
    1 problem in the input; nothing was written:
      line 1, field people: must be at least 1, got 0
    """
    loader = Loader(_Nowhere(), store_empty=True, max_errors=max_errors)
    loader.add_all(items)
    for kind in list(loader._node_buf):
        loader._flush_nodes(kind)
    for type_ in list(loader._edge_buf):
        loader._flush_edges(type_)
    loader._check_folds()
    loader._check_repeats()
    return InvalidRecords(loader.errors, loader.error_count) if loader.error_count else None


def check_load(store: Store | None, items: Iterable[Item], *, check: Callable[[LoadReport], None] | None = None,
               **options: Any) -> LoadReport:
    """Check records exactly as a load into this store would (each record, and all of them together
    with what the store holds), and write nothing: a dry run. With ``store`` None, as a load into an
    empty store would.

    Returns
    -------
    LoadReport
        The records read, by kind and type; nothing added or changed.

    Raises
    ------
    InvalidRecords
        As :meth:`load` would, naming each record, field and fault (and whatever ``check`` raises).

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> street = [("node", "row 1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"})]
    >>> print(check_load(store, street))
    read 1 records (1 Area); all valid; nothing written (a dry run)
    >>> store.revision, store.counts()["nodes"]
    (0, {})
    """
    if store is not None:
        return store.load(items, check=check, dry_run=True, **options)
    loader = Loader(_Nowhere(), store_empty=True, batch_size=options.get("batch_size") or 5000,
                    max_errors=options.get("max_errors", 100))
    loader.add_all(items)
    report = loader.finish()
    if check is not None:
        check(report)
    report.dry_run = True
    return report


def check_store(store: Store, *, max_errors: int = 100) -> LoadReport:
    """Check every record a store holds against the rules as they stand, each record and all of them
    together, as if they were loaded afresh into an empty store; nothing is written.

    For a store written by an older orggraph, or on a graph server where other tools can write: there,
    the copies of fields that the queries filter on are also checked against each record. A phone or a
    day that a load would take but store in its one form (``2020/7/1`` as ``2020-07-01``) is named too
    (:func:`orggraph.model.spelled_otherwise`): the questions compare days as stored.

    Raises
    ------
    InvalidStoredRecords
        Naming each record (``node ID``, ``edge TYPE SOURCE -> TARGET``), field and fault.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "row 1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"})])
    >>> print(check_store(store))
    read 1 records (1 Area); all valid; nothing written (a dry run)
    """
    spelled: list[RecordError] = []

    def stored() -> Iterator[Item]:
        for what, records in (("node", store.nodes()), ("edge", store.edges())):
            for record in records:
                where = (f"node {record.get('id')}" if what == "node"
                         else f"edge {record.get('type')} {record.get('source')} -> {record.get('target')}")
                spelled.extend(RecordError(where, field, why) for field, why in spelled_otherwise(record))
                yield (what, where, record)

    errors: list[RecordError] = []
    total = 0
    try:
        report = check_load(None, stored(), max_errors=max_errors)
    except InvalidRecords as exc:
        errors, total = list(exc.errors), exc.total
    errors += spelled[: max(0, max_errors - len(errors))]
    total += len(spelled)
    copies = store.copies_out_of_step()  # what a store keeps for the queries beside each record, if anything
    errors += copies[: max(0, max_errors - len(errors))]
    total += len(copies)
    if total:
        raise InvalidStoredRecords(errors, total)
    return report
