"""The store protocol every backend implements: records, tokens and the audit log, and the facts."""

from __future__ import annotations

from typing import (TYPE_CHECKING, Any, Callable, Collection, Iterable, Iterator, NotRequired, Protocol, Sequence, TypedDict,
                    runtime_checkable)

from ..load import Item, LoadReport

if TYPE_CHECKING:
    from ..exceptions import RecordError
    from ..history import Entry, Written
    from ..facts import Facts
    from ..index import Index

__all__ = ["Store", "TokenRow", "StoredToken", "AuditRow"]


class TokenRow(TypedDict):
    """An API token as :func:`orggraph.access.create_token` hands it to a store: never the secret."""

    #: a short random id, shown to admins
    id: str
    #: the SHA-256 of the secret, in hex
    hash: str
    #: one of :data:`orggraph.access.TOKEN_ROLES`
    role: str
    #: the area ids of the token's scope, sorted
    areas: list[str]
    #: whether the token is shown personal data unmasked
    pii: bool
    #: when it was made, an ISO time in UTC
    created: str
    #: when it ends, an ISO time in UTC; absent or None: when revoked
    expires: NotRequired[str | None]


class StoredToken(TokenRow):
    """A token as a store gives it back: with when it was revoked (None while it is not)."""

    revoked: str | None


class AuditRow(TypedDict):
    """One row of the append-only audit log: a token (or a command line) was shown these records unmasked."""

    #: the row's number, growing with each row
    seq: int
    #: when, an ISO time in UTC
    at: str
    #: the token's id, or ``cli:USER`` for the command line
    token: str
    #: the route or the command
    route: str
    #: the node ids whose personal data was shown
    records: list[str]


@runtime_checkable
class Store(Protocol):
    """A place that holds one network: the embedded file store, or a graph server.

    Everything outside :mod:`orggraph.store` reads and writes a store through these methods only, and
    never asks which backend it is. Nodes come back as dicts with ``id``, ``kind`` and their properties;
    edges as dicts with ``type``, ``source``, ``target``, ``since``/``until`` when set, and their
    properties. A server store may raise :class:`~orggraph.exceptions.StoreUnavailable` from any method
    when it cannot be reached; an embedded store raises :class:`~orggraph.exceptions.StoreBusy` (a kind
    of it) from a write that waited too long for another.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> with EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db")) as store:
    ...     isinstance(store, Store)
    True
    """

    #: a number that grows with every change, so that what is derived from the records knows it is stale
    revision: int
    #: seconds a write waits for another writer before it raises StoreBusy; can be changed on an open store
    wait: float
    #: whether the store answers from this machine in well under a millisecond (the embedded file), so that
    #: a caller on an event loop may ask it there; a graph server is asked from a thread
    local: bool

    # -- records ----------------------------------------------------------------------------------------

    def load(self, items: Iterable[Item], *, batch_size: int | None = None, max_errors: int = 100,
             check: Callable[[LoadReport], None] | None = None, dry_run: bool = False,
             history: Written | None = None) -> LoadReport:
        """Add records, all or nothing; loading the same records twice changes nothing.

        Parameters
        ----------
        items : iterable of (what, where, record)
            ``what`` is ``"node"`` or ``"edge"``, ``where`` names the record in errors (``line 3``), as
            the readers in :mod:`orggraph.io` yield them.
        batch_size : int, optional
            Records validated (and written) at a time; the store's own default if not given.
        max_errors : int
            The problems named at most; the rest are counted.
        check : callable, optional
            Called with the report of what was read once every record is valid, before anything is
            written; if it raises, nothing is written and the exception propagates.
        dry_run : bool
            Make every check as the load would, against what the store holds, and write nothing.
        history : Written, optional
            What the load is recorded as in the history (kind, who, note, and for a restructuring its
            day); a plain ``load`` by nobody named if not given. A load that changes something adds one
            :class:`~orggraph.history.Entry` naming the records it added, changed and ended (by key only),
            written with the load (in its transaction where the backend has one); a load that changes
            nothing adds none.

        Returns
        -------
        LoadReport
            What was read, added and changed, and the number of the history entry added (``history``);
            with ``dry_run``, what was read, and ``dry_run`` set.

        Raises
        ------
        InvalidRecords
            Naming each bad record, field and fault, all at once; nothing is written.
        """
        ...

    def delete(self, nodes: Iterable[str] = (), edges: Iterable[dict[str, Any]] = (), *,
               history: Written | None = None) -> dict[str, int]:
        """Remove nodes, with every edge from or to them, and edges named by ``type``, ``source``,
        ``target`` and ``since`` (absent when it has none); recorded in the history as ``history`` says
        (a ``delete`` by nobody named if not given), with the removal.

        Returns
        -------
        dict
            ``{"nodes": removed, "edges": removed}``, the edges of removed nodes included.

        Raises
        ------
        NotFound
            If a node or an edge does not exist; nothing is removed.
        """
        ...

    def node(self, node_id: str) -> dict[str, Any]:
        """One node's record: ``{"id", "kind", ...properties}``.

        Raises
        ------
        NotFound
            If there is no node with this id.
        """
        ...

    def nodes(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """Every node (of one kind, one of :data:`orggraph.model.NODE_KINDS`), sorted by id.

        Raises
        ------
        ValueError
            An unknown kind.
        """
        ...

    def edges(self, type_: str | None = None) -> Iterator[dict[str, Any]]:
        """Every edge (of one type, one of :data:`orggraph.model.EDGE_TYPES`), sorted by type, source,
        target and since.

        Raises
        ------
        ValueError
            An unknown type.
        """
        ...

    def edges_of(self, node_id: str, type_: str | None = None) -> list[dict[str, Any]]:
        """The edges from or to one node (of one type), sorted as :meth:`edges` sorts them; none for an
        id that names no node.

        Raises
        ------
        ValueError
            An unknown type.
        """
        ...

    def kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        """``{id: kind}`` for each of these ids that names a node; the others are left out."""
        ...

    def nodes_of(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{id: record}`` for each of these ids that names a node (records as :meth:`node` returns
        them); the others are left out. Read in bulk, a few queries however many ids."""
        ...

    def search_nodes(self, kind: str, texts: Sequence[str] = (), *, head: str | None = None,
                     among: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
        """The records of one kind that may hold a text, sorted by id (as :meth:`node` returns them), read as
        the caller goes: one that stops early (and closes the iterator) reads no more.

        Every record of the kind with a property whose value (text, or text in a list) holds one of
        ``texts``, ASCII letters in either case, is among them; and, with ``head``, every record whose
        ``address`` holds ``head`` within what :func:`orggraph.privacy.mask_address` shows of it. Others
        may be among them too (a store looks for the texts in the record as it keeps it, cheaply): the
        caller tells them apart. With ``among``, only the records of these ids.

        Raises
        ------
        ValueError
            An unknown kind.
        """
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {kind: n}, "edges": {type: n}}`` for what the store holds, kinds and types in the
        model's order and those with none left out."""
        ...

    def copies_out_of_step(self) -> list[RecordError]:
        """The nodes whose copies of record fields, kept beside the record for the queries to filter on,
        differ from the record: what another tool writing to the store behind its back leaves behind.
        One :class:`~orggraph.exceptions.RecordError` a field; empty when the store keeps no copies."""
        ...

    # -- what the questions read -------------------------------------------------------------------------

    def facts(self) -> Facts:
        """The facts of the records as they are now (:class:`orggraph.facts.Facts`), for the questions."""
        ...

    def index(self) -> Index:
        """The compact index of the records (:class:`orggraph.index.Index`), for the store as it is now:
        kept while the revision holds."""
        ...

    # -- tokens and the audit log (orggraph.access) ------------------------------------------------------

    def save_token(self, row: TokenRow) -> None:
        """Keep a new token (see :class:`TokenRow`), not yet revoked."""
        ...

    def token_rows(self) -> list[StoredToken]:
        """Every token kept, revoked ones included, oldest first."""
        ...

    def token_row(self, *, hash: str | None = None, id: str | None = None) -> StoredToken | None:
        """The token kept with this hash (the SHA-256 of its secret), or with this id; None if none. One
        token, found by an index: every request asks it, however many tokens and sessions are kept."""
        ...

    def revoke_token(self, token_id: str, when: str) -> bool:
        """Mark a token revoked at ``when`` (an ISO time); whether there was an active one with this id."""
        ...

    def append_audit(self, at: str, token: str, route: str, records: list[str]) -> None:
        """Add one row to the audit log (see :class:`AuditRow`); rows are never changed nor removed."""
        ...

    def audit_rows(self, *, after: int = 0, limit: int = 100) -> list[AuditRow]:
        """Up to ``limit`` rows of the audit log, in order, after the row numbered ``after``."""
        ...

    # -- incidents kept as records (orggraph.incidents) ----------------------------------------------------

    def save_incident(self, row: dict[str, Any], sheet: bytes) -> None:
        """Keep a new incident: its row (``id`` and what :mod:`orggraph.incidents` records of it) and its
        call sheet (opaque bytes), not yet closed. Incidents are kept apart from the network's records:
        they change no revision and no answer."""
        ...

    def incident_rows(self) -> list[dict[str, Any]]:
        """Every incident's row, oldest first, with ``closed`` and ``closed_by`` (None while it is open)."""
        ...

    def incident_row(self, incident_id: str) -> dict[str, Any] | None:
        """One incident's row, as :meth:`incident_rows` gives it; None if there is no such incident."""
        ...

    def incident_sheet(self, incident_id: str) -> bytes | None:
        """The call sheet kept with an incident, as saved; None if there is no such incident."""
        ...

    def close_incident(self, incident_id: str, when: str, by: str | None) -> bool:
        """Mark an incident closed at ``when`` (an ISO time) by ``by``; whether it was open."""
        ...

    def append_marks(self, incident_id: str, marks: list[dict[str, Any]]) -> list[int] | None:
        """Add marks (doors' outcomes) to an open incident, all in one write; their numbers, which grow
        with each mark of the store; None, and nothing written, if the incident is closed or does not
        exist. Marks are never changed nor removed."""
        ...

    def marks(self, incident_id: str, *, after: int = 0) -> list[dict[str, Any]]:
        """An incident's marks numbered after ``after``, in order, each with its number ``seq``."""
        ...

    # -- the history of the records (orggraph.history) ----------------------------------------------------

    def append_history(self, entry: dict[str, Any]) -> int:
        """Add one entry (an :class:`~orggraph.history.Entry` without its ``id``) to the history, as a
        write of its own; its number. Entries are never changed nor removed."""
        ...

    def history(self, node: str | None = None, *, after: int = 0, limit: int = 100) -> list[Entry]:
        """Up to ``limit`` entries of the history, oldest first, after the entry numbered ``after``; with
        ``node``, only the entries naming that node (as a record, or an end of an edge)."""
        ...

    # -- life cycle ---------------------------------------------------------------------------------------

    def close(self) -> None:
        """Let go of the store's connections; the store is not used after."""
        ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...
