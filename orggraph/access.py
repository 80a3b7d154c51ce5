"""Who may see what: API tokens with a role and a scope of areas, and the audit log of personal data shown."""

from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .exceptions import NotFound, OrgGraphError, RecordError
from .facts import FIGURES, Facts, HasFacts
from .queries import incident
from .results import Coverage, Incident
from .queries._base import area_position
from .queries.coverage import figures, totals_within
from .load import LoadReport, check_load, check_records

if TYPE_CHECKING:
    from .store.base import Store

__all__ = ["TOKEN_ROLES", "Token", "Scope", "create_token", "tokens", "revoke_token", "authenticate",
           "scope_of", "roots", "open_session", "end_session", "SESSION_HOURS", "check_within", "audit", "tokens_within", "audit_within", "history_within", "load_within",
           "remove_within",
           "coverage_within", "gaps_within", "incident_within", "affected_within", "unavailable_within", "SERVES",
           "AccessError", "OutsideScope", "IdTaken"]

#: what each role may do: viewers read, editors also change records within their scope, admins also
#: manage tokens and read the audit log
TOKEN_ROLES = ("admin", "editor", "viewer")


class AccessError(OrgGraphError, ValueError):
    """A token request that cannot be granted (unknown role, unknown area, no such token)."""


@dataclass(frozen=True)
class Token:
    """A token's record: never the secret itself, which is shown once, when it is made."""

    id: str
    role: str
    areas: tuple[str, ...]
    pii: bool
    created: str
    revoked: str | None = None
    #: when it stops working, ISO time in UTC; None: it works until revoked
    expires: str | None = None

    @property
    def expired(self) -> bool:
        return self.expires is not None and _dt.datetime.fromisoformat(self.expires) <= _dt.datetime.now(_dt.timezone.utc)

    @property
    def active(self) -> bool:
        return self.revoked is None and not self.expired

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "areas": list(self.areas), "pii": self.pii,
                "created": self.created, "revoked": self.revoked, "expires": self.expires, "active": self.active}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(row: dict[str, Any]) -> Token:
    return Token(row["id"], row["role"], tuple(row["areas"]), row["pii"], row["created"], row["revoked"],
                 row.get("expires"))


def create_token(store: Store, role: str, areas: Iterable[str], *, pii: bool = False,
                 expires: _dt.datetime | None = None) -> tuple[str, Token]:
    """Make a token; return its secret (shown once, kept only as a hash) and its record.

    ``expires``, a time with its time zone, ends the token then; without it the token works until revoked.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> _ = store.load([("node", "x", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"})])
    >>> secret, token = create_token(store, "viewer", ["c1"])
    >>> secret.startswith("og_"), token.role, token.areas
    (True, 'viewer', ('c1',))
    >>> authenticate(store, secret) == token
    True
    >>> create_token(store, "boss", ["c1"])
    Traceback (most recent call last):
    ...
    orggraph.access.AccessError: unknown role 'boss'; allowed: admin, editor, viewer
    """
    if role not in TOKEN_ROLES:
        raise AccessError(f"unknown role {role!r}; allowed: {', '.join(TOKEN_ROLES)}")
    areas = sorted(set(areas))
    if not areas:
        raise AccessError("a token needs at least one area (--area ID)")
    for area in areas:
        try:
            node = store.node(area)
        except NotFound:
            node = None
        if node is None or node["kind"] != "Area":
            raise AccessError(f"no area with id {area!r}")
    until = None
    if expires is not None:
        if expires.tzinfo is None:
            raise AccessError("expires needs a time zone (for example datetime.timezone.utc)")
        if expires <= _dt.datetime.now(_dt.timezone.utc):
            raise AccessError(f"expires {expires.isoformat()} is not in the future")
        until = expires.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")
    secret = "og_" + secrets.token_urlsafe(32)
    row = {"id": secrets.token_hex(4), "hash": _hash(secret), "role": role, "areas": areas, "pii": pii,
           "created": _now(), "expires": until}
    store.save_token(row)
    return secret, _token({**row, "revoked": None})


def tokens(store: Store) -> list[Token]:
    """Every token the store knows, revoked ones included (their record stays for the audit); not the
    workbench's sessions (:func:`open_session`)."""
    return [_token(r) for r in store.token_rows() if _SESSION not in r["id"]]


def revoke_token(store: Store, token_id: str) -> None:
    if not store.revoke_token(token_id, _now()):
        raise AccessError(f"no active token with id {token_id!r}")


def authenticate(store: Store, secret: str, *, sessions: bool = False) -> Token | None:
    """The active token whose secret this is, or None (none such, revoked, or expired). With ``sessions``,
    a session's secret (:func:`open_session`) too, standing for the token it was opened with while both
    are active: the workbench's pages take it, the API does not (a session is no token). Found by its
    hash (:meth:`Store.token_row <orggraph.store.Store.token_row>`), however many are kept."""
    if not isinstance(secret, str) or not secret.isprintable():
        return None
    row = store.token_row(hash=_hash(secret))
    token = _token(row) if row is not None else None
    if token is None or not token.active:
        return None
    if _SESSION not in token.id:
        return token
    if not sessions:
        return None
    row = store.token_row(id=token.id.split(_SESSION)[0])
    parent = _token(row) if row is not None else None
    return parent if parent is not None and parent.active else None


#: a session's id is its token's id, this mark and a random part: ``3f9a01c2~8be41d07``
_SESSION = "~"
#: hours a workbench session lasts at most (an office day and a half), unless its token ends sooner
SESSION_HOURS = 12


def open_session(store: Store, secret: str, *, hours: float = SESSION_HOURS) -> tuple[str, Token] | None:
    """Open a session for the token whose secret this is: a secret of its own (the web workbench keeps it
    in an HttpOnly cookie, so the token itself is typed once and never kept by the browser), which
    :func:`authenticate` takes (``sessions=True``) for the token until the session ends (:func:`end_session`), ``hours`` pass
    or the token is revoked or expires. Kept in the store beside the tokens, so that every process
    serving the workbench knows it and a restart does not end it; :func:`tokens` does not list it.

    Returns
    -------
    (str, Token) or None
        The session's secret and the token it stands for; None if ``secret`` is no active token's (a
        session cannot open another).

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> _ = store.load([("node", "x", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"})])
    >>> secret, token = create_token(store, "viewer", ["c1"])
    >>> session, same = open_session(store, secret)
    >>> authenticate(store, session, sessions=True) == token == same, [t.id for t in tokens(store)] == [token.id]
    (True, True)
    >>> authenticate(store, session) is None  # the API takes tokens only
    True
    >>> end_session(store, session)
    True
    >>> authenticate(store, session, sessions=True) is None, authenticate(store, secret) == token
    (True, True)
    >>> open_session(store, "og_not-a-token") is None
    True
    """
    token = authenticate(store, secret)  # a token's secret, not a session's
    if token is None:
        return None
    until = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(hours=hours)
    if token.expires is not None:
        until = min(until, _dt.datetime.fromisoformat(token.expires))
    session = "og_" + secrets.token_urlsafe(32)
    store.save_token({"id": f"{token.id}{_SESSION}{secrets.token_hex(4)}", "hash": _hash(session), "role": token.role,
                      "areas": list(token.areas), "pii": token.pii, "created": _now(),
                      "expires": until.isoformat(timespec="seconds")})
    return session, token


def end_session(store: Store, session: str) -> bool:
    """End a session (:func:`open_session`) at once; whether there was an open one with this secret. A
    token's secret is no session: it is left alone."""
    row = store.token_row(hash=_hash(session)) if isinstance(session, str) and session.isprintable() else None
    return row is not None and _SESSION in row["id"] and store.revoke_token(row["id"], _now())


def audit(store: Store, token: Token, route: str, records: list[str]) -> None:
    """Write one row to the append-only audit log: this token was shown these records unmasked."""
    if records:
        store.append_audit(_now(), token.id, route, sorted(set(records)))


def tokens_within(store: Store, scope: "Scope") -> list[Token]:
    """The tokens whose every area lies within a scope: what an admin of those areas may see and manage."""
    return [t for t in tokens(store) if all(a in scope.areas for a in t.areas)]


def audit_within(store: Store, scope: "Scope", *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """The audit log as an admin of a scope sees it: each row cut to the records within the scope, rows
    with none left out. Up to ``limit`` rows after the row numbered ``after``; page on with the last
    row's ``seq``.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> _ = store.load([("node", "1", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
    ...                 ("node", "2", {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"})])
    >>> _, city = create_token(store, "viewer", ["c1", "c2"], pii=True)
    >>> audit(store, city, "GET /areas", ["c1", "c2"])
    >>> audit(store, city, "GET /areas/{id}", ["c2"])
    >>> [(row["seq"], row["records"]) for row in audit_within(store, scope_of(store, ["c1"]))]
    [(1, ['c1'])]
    >>> [t.areas for t in tokens_within(store, scope_of(store, ["c1"]))]
    []
    """
    def cut(row: dict[str, Any]) -> dict[str, Any] | None:
        records = [r for r in row["records"] if scope.allows_any(r)]
        return {**row, "records": records} if records else None

    return _cut_pages(lambda after, page: store.audit_rows(after=after, limit=page), cut, "seq", after, limit)


def _cut_pages(read: Any, cut: Any, number: str, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of an append-only log after the row numbered ``after``, each ``cut`` to a scope
    (None: left out), read ``read(after, page)`` a page at a time; rows are numbered by their ``number``."""
    rows: list[dict[str, Any]] = []
    page = max(limit, 100)
    while len(rows) < limit:
        batch = read(after, page)
        for row in batch:
            shown = cut(row)
            if shown is not None:
                rows.append(shown)
                if len(rows) == limit:
                    break
        if len(batch) < page:
            break
        after = batch[-1][number]
    return rows


def history_within(store: Store, scope: "Scope", *, node: str | None = None, after: int = 0,
                   limit: int = 100) -> list[dict[str, Any]]:
    """The history as a token sees it: each entry cut to the records the token may read (a node it may
    read, an edge both of whose ends it may read), entries with none left out. Up to ``limit`` entries
    after the entry numbered ``after``, naming ``node`` if given; page on with the last entry's ``id``.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> _ = store.load([("node", "1", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
    ...                 ("node", "2", {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"})])
    >>> _ = store.load([("node", "1", {"id": "c2", "kind": "Area", "name": "向阳社区居委会", "level": "community"})])
    >>> [(e["id"], e["added"], e["changed"]) for e in history_within(store, scope_of(store, ["c1"]))]
    [(1, ['c1'], [])]
    """
    from .history import entry_within

    return _cut_pages(lambda after, page: store.history(node, after=after, limit=page),
                      lambda entry: entry_within(entry, scope.sees), "id", after, limit)


#: the relations in which a member serves: a member's own record may change only when all of them lie within
SERVES = ("CONTACTS", "ASSIGNED_TO", "HOLDS_POST", "SUNK_TO", "MEMBER_OF", "RESIDES_IN")


@dataclass(frozen=True)
class Scope:
    """What a token may see and what it may change.

    Its own records (``areas`` to ``units``), listed and counted in its answers: its areas and every
    area within them, the households located there, the organizations governing them (up to the
    street), the members tied there by any relation in which they serve (:data:`SERVES`: who contact
    those households or live there, are assigned there, or hold a post in, belong or reported to
    one of those organizations, even if they contact nobody yet), and the units those members come
    from or that co-build with those organizations (even if they have sent nobody yet). A household
    located nowhere, and a member who serves nowhere, lie in no token's scope.

    Read-only context, readable by id but not listed nor counted: what its households' chains name
    beyond its own records: the areas above its own, and where a household is located also outside
    them, those areas and the areas above them (``above``); the organizations of its units and those
    governing those other areas (``context_orgs``); and the members assigned to those areas or holding
    posts in those organizations (``context_members``).

    What it may change (``writable``, ids of every kind): the areas within its own, but for one that has
    lain (on any day) within an area outside them, and every area below it (moved between two
    communities, it is neither's alone); the households located only there; the organizations that
    govern at least one area and only areas within (every GOVERNS edge, whatever its dates); the members all of whose relations in which they serve
    (:data:`SERVES`) lie within, an EMPLOYED_BY edge apart; the units that co-build only with writable
    organizations and whose employees are all writable members. See :meth:`edge_fault` for edges.
    """

    areas: frozenset[str]
    households: frozenset[str]
    orgs: frozenset[str]
    members: frozenset[str]
    units: frozenset[str]
    above: frozenset[str] = frozenset()
    context_orgs: frozenset[str] = frozenset()
    context_members: frozenset[str] = frozenset()
    writable: frozenset[str] = frozenset()

    def allows(self, kind: str, node_id: str) -> bool:
        """Whether the token may read this node of this kind: its own or read-only context."""
        return node_id in {"Area": self.areas, "Household": self.households, "Org": self.orgs,
                           "Member": self.members, "Unit": self.units}[kind] or node_id in {
            "Area": self.above, "Org": self.context_orgs, "Member": self.context_members}.get(kind, ())

    def allows_any(self, node_id: str) -> bool:
        """Whether a node is one of the token's own records (read-only context apart)."""
        return (node_id in self.households or node_id in self.areas or node_id in self.members
                or node_id in self.orgs or node_id in self.units)

    def sees(self, node_id: str) -> bool:
        """Whether the token may read a node: its own records and the read-only context."""
        return (self.allows_any(node_id) or node_id in self.above or node_id in self.context_orgs
                or node_id in self.context_members)

    def may_change(self, node_id: str) -> bool:
        """Whether the token may change a node's own record (or remove it, edges permitting)."""
        return node_id in self.writable

    def edge_fault(self, edge: dict[str, Any], new: Iterable[str] = ()) -> str | None:
        """Which end of an edge keeps it from lying within the scope (``"source"`` or ``"target"``), or None.

        An edge lies within when the place it concerns may be changed: CONTACTS and RESIDES_IN by their
        household, ASSIGNED_TO by its area, HOLDS_POST, MEMBER_OF and SUNK_TO by their organization (the
        member at the other end need only be readable: naming a contact is a change to the household,
        not to the member); every other type (GOVERNS, WITHIN, SUBORDINATE_TO, LOCATED_IN, OF_UNIT,
        CO_BUILDS, EMPLOYED_BY) by both ends. ``new`` are the nodes a change adds and places within.

        Examples
        --------
        >>> scope = Scope(frozenset({"b1"}), frozenset({"h1"}), frozenset(), frozenset({"m1"}), frozenset(),
        ...               writable=frozenset({"b1", "h1"}))
        >>> scope.edge_fault({"type": "CONTACTS", "source": "m1", "target": "h1"}) is None
        True
        >>> scope.edge_fault({"type": "EMPLOYED_BY", "source": "m1", "target": "u1"})
        'source'
        """
        if not isinstance(new, (set, frozenset, dict)):  # asked of each edge of a load: never copied there,
            new = set(new)  # which made a load of 30,000 households take minutes
        source, target = _str(edge.get("source")), _str(edge.get("target"))
        if _str(edge.get("type")) in SERVES:
            if not (target in new or self.may_change(target)):
                return "target"
            return None if source in new or self.sees(source) else "source"
        for end, node_id in (("source", source), ("target", target)):
            if not (node_id in new or self.may_change(node_id)):
                return end
        return None

    def why(self, store: Store, node_id: str) -> str:
        """Why the token may not change a node it may read: a sentence naming the node and the relation at
        fault (the far end named only if the token may read it)."""
        kinds = store.kinds_of([node_id])
        kind = kinds.get(node_id)

        def named(other: str, what: str) -> str:
            return other if self.sees(other) else what

        edges = sorted(store.edges_of(node_id), key=lambda e: (e["type"], e["source"], e["target"], e.get("since", "")))
        if kind == "Area":
            return f"{node_id} lies outside the token's areas"
        if kind == "Household":
            for e in edges:
                if e["type"] == "LOCATED_IN" and e["target"] not in self.areas:
                    return (f"{node_id} is located outside the token's areas "
                            f"(LOCATED_IN {named(e['target'], 'an area the token cannot see')})")
            return f"{node_id} is located nowhere within the token's areas"
        if kind == "Org":
            for e in edges:
                if e["type"] == "GOVERNS" and e["source"] == node_id and e["target"] not in self.areas:
                    return (f"{node_id} governs areas outside the token's areas "
                            f"(GOVERNS {named(e['target'], 'an area the token cannot see')})")
            return f"{node_id} governs no area within the token's areas"
        if kind == "Member":
            for e in edges:
                if e["type"] in SERVES and e["source"] == node_id and not self.may_change(e["target"]):
                    what = {"CONTACTS": "a household", "RESIDES_IN": "a household", "ASSIGNED_TO": "an area"}.get(
                        e["type"], "an organization")
                    return (f"{node_id} also serves outside the token's areas "
                            f"({e['type']} {named(e['target'], what + ' the token cannot see')})")
            return f"{node_id} serves nowhere within the token's areas"
        if kind == "Unit":
            for e in edges:
                if e["type"] == "CO_BUILDS" and not self.may_change(e["target"]):
                    return (f"{node_id} serves outside the token's areas "
                            f"(CO_BUILDS {named(e['target'], 'an organization the token cannot see')})")
            for e in edges:
                if e["type"] == "EMPLOYED_BY" and not self.may_change(e["source"]):
                    return (f"{node_id} employs a member who serves outside the token's areas "
                            f"(EMPLOYED_BY {named(e['source'], 'a member the token cannot see')})")
        return f"{node_id} lies outside the token's areas"


def scope_of(store: HasFacts, areas: Iterable[str]) -> Scope:
    """The :class:`Scope` of some areas, from the facts of the store (either backend). An area that is
    no more (removed since a token was made for it) is left out: the token keeps the rest.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> _ = store.load([("node", "1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"}),
    ...                 ("node", "2", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
    ...                 ("node", "3", {"id": "o-s1", "kind": "Org", "name": "大工委", "level": "street"}),
    ...                 ("node", "4", {"id": "o-c1", "kind": "Org", "name": "大党委", "level": "community"}),
    ...                 ("edge", "5", {"type": "WITHIN", "source": "c1", "target": "s1"}),
    ...                 ("edge", "6", {"type": "GOVERNS", "source": "o-s1", "target": "s1"}),
    ...                 ("edge", "7", {"type": "GOVERNS", "source": "o-c1", "target": "c1"})])
    >>> scope = scope_of(store, ["c1"])
    >>> sorted(scope.orgs), sorted(scope.above), sorted(scope.writable)
    (['o-c1', 'o-s1'], ['s1'], ['c1', 'o-c1'])
    >>> scope.why(store, "o-s1")
    "o-s1 governs areas outside the token's areas (GOVERNS s1)"
    """
    return _scope(store.facts(), list(areas))


def _scope(facts: Facts, areas: list[str]) -> Scope:
    """The scope rule, once for every backend: what lies within the areas, what the chains there name
    above and beside them, and what only serves there. Every edge counts, whatever its dates."""
    territory = facts.territory(None)  # every WITHIN edge, whatever its dates
    starts = [territory.position[a] for a in areas if a in territory.position]  # one removed since: gone

    def others(type_: str, ids: Iterable[str], end: str = "target") -> set[str]:
        """The ids at the other end of the edges of one type whose ``end`` is one of ``ids`` (any day)."""
        ids = ids if isinstance(ids, frozenset) else frozenset(ids)
        return set(facts.others(type_, ids, end=end)) if ids else set()  # type: ignore[arg-type]

    def reaching(type_: str, ids: Iterable[str], beyond: Iterable[str], end: str = "source") -> set[str]:
        """Those of ``ids`` with an edge of one type to (or, ``end="target"``, from) a node not in ``beyond``."""
        ids = ids if isinstance(ids, frozenset) else frozenset(ids)
        beyond = beyond if isinstance(beyond, frozenset) else frozenset(beyond)
        return set(facts.having(type_, ids, end=end, beyond=beyond)) if ids else set()  # type: ignore[arg-type]

    inside = frozenset(territory.ids[b] for a in starts for b in territory.below(a))
    above = {territory.ids[up] for a in starts for up in territory.ancestry(a)}
    upper = above - inside
    governed = inside | above
    within = facts.inside(sorted(inside))  # the households there, where else they lie, who serves them
    households = frozenset(within.households)
    orgs = others("GOVERNS", governed)
    members = set(within.members) | others("ASSIGNED_TO", inside)
    for type_ in ("HOLDS_POST", "MEMBER_OF", "SUNK_TO"):  # a post, a membership or a report in one of its orgs
        members |= others(type_, orgs)
    units = others("EMPLOYED_BY", members, end="source") | others("CO_BUILDS", orgs)  # one that has sent nobody too
    # read-only context: the areas above, the units' own organizations and the people the chains name there;
    # and for a household located also outside its areas, those places, the areas above them, and the
    # organizations and people its chain names there
    elsewhere = {territory.ids[up] for places in within.elsewhere.values() for a in places
                 for up in territory.ancestry(territory.position[a])}
    elsewhere -= inside | above
    upper |= elsewhere
    context_orgs = others("OF_UNIT", units) | others("GOVERNS", elsewhere)
    context_members = others("HOLDS_POST", context_orgs) | others("ASSIGNED_TO", upper)
    context_orgs -= orgs
    context_members -= members
    # what it may change: places first (a household located only there, an org governing only there), then
    # the members serving only there (SERVES), then their units
    # an area that lies (on some day) within an area outside, and every area below it, is read-only: moved
    # between two communities, it is neither's alone; so is a household located there
    roots = set(starts)
    position = territory.position
    moved = {b for a in inside if position[a] not in roots and any(territory.ids[p] not in inside
                                                                  for p in territory.parents[position[a]])
             for b in territory.below(position[a])}
    inside_w = inside - {territory.ids[b] for b in moved} if moved else inside
    households_w = households - within.elsewhere.keys() if within.elsewhere else households
    if moved:
        households_w = households_w - others("LOCATED_IN", inside - inside_w)
    governing_inside = others("GOVERNS", inside)
    orgs_w = frozenset(governing_inside - reaching("GOVERNS", governing_inside, inside_w))
    members = frozenset(members)
    # CONTACTS and RESIDES_IN: to a household not located only within (one outside, one located in both)
    serves_out = {m for m, (there, every) in within.members.items() if there < every}
    straddling = sorted(within.elsewhere)
    if moved:
        straddling = sorted(set(straddling) | (households - households_w))
    serves_out |= others("CONTACTS", straddling, end="target") | others("RESIDES_IN", straddling, end="target")
    elsewhere_only = members - within.members.keys()  # none of its households lies within: any one is outside
    serves_out |= reaching("CONTACTS", elsewhere_only, ()) | reaching("RESIDES_IN", elsewhere_only, ())
    serves_out |= reaching("ASSIGNED_TO", members, inside_w)  # to an area outside
    for type_ in ("HOLDS_POST", "MEMBER_OF", "SUNK_TO"):  # to an org governing outside too (the rest of SERVES)
        serves_out |= reaching(type_, members, orgs_w)
    members_w = frozenset(members - serves_out)
    unit_out = reaching("CO_BUILDS", units, orgs_w) | reaching("EMPLOYED_BY", units, members_w, end="target")
    units_w = units - unit_out
    return Scope(frozenset(inside), frozenset(households), frozenset(orgs), frozenset(members), frozenset(units),
                 above=frozenset(upper), context_orgs=frozenset(context_orgs),
                 context_members=frozenset(context_members),
                 writable=households_w.union(inside_w, orgs_w, members_w, units_w))  # one copy of the most


def roots(store: HasFacts, areas: Iterable[str]) -> list[str]:
    """The areas that lie within no other of them (so that totals count each household once).

    Raises
    ------
    NotFound
        An id that is not an area.
    """
    territory = store.facts().territory(None)
    chosen = {a: area_position(territory, a) for a in set(areas)}
    numbers = set(chosen.values())
    return sorted(a for a, n in chosen.items() if not any(up in numbers for up in territory.ancestry(n)[1:]))


def coverage_within(store: HasFacts, report: Coverage, scope: Scope, areas: Iterable[str],
                    level: str | None = None) -> Coverage:
    """The whole network's coverage (:func:`orggraph.queries.coverage`) cut to a scope: the areas within
    it (of one level, if given), and totals over the scope's own ``areas`` counting each household once
    (for several areas worked out again with :func:`orggraph.queries.totals_within`, since a household
    may lie within two of them)."""
    top = roots(store, [a for a in areas if a in scope.areas])  # an area removed since counts no more
    if len(top) == 1:
        row = next(r for r in report["areas"] if r["id"] == top[0])
        total = figures(*(row[k] for k in FIGURES))
    else:
        total = totals_within(store, top, as_of=report["as_of"], unavailable=report["unavailable"])
    kept = [r for r in report["areas"] if r["id"] in scope.areas and (level is None or r["level"] == level)]
    return {"as_of": report["as_of"], **total, "unavailable": report["unavailable"], "areas": kept}  # type: ignore[typeddict-item]


def gaps_within(report: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The whole network's gaps (:func:`orggraph.queries.gaps`) cut to a scope: each list keeps what lies
    within it.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.queries import gaps
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> _ = store.load([("node", "1", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...                 ("node", "2", {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"}),
    ...                 ("node", "3", {"id": "h1", "kind": "Household"}), ("node", "4", {"id": "h2", "kind": "Household"}),
    ...                 ("edge", "5", {"type": "LOCATED_IN", "source": "h1", "target": "b1"}),
    ...                 ("edge", "6", {"type": "LOCATED_IN", "source": "h2", "target": "b2"})])
    >>> report = gaps(store)
    >>> report["uncovered_households"], gaps_within(report, scope_of(store, ["b1"]))["uncovered_households"]
    (['h1', 'h2'], ['h1'])
    """
    out = dict(report)
    for key in ("uncovered_households", "lapsed_households", "unlocated_households"):
        out[key] = [h for h in report[key] if h in scope.households]
    for key in ("overloaded_members", "single_points_of_failure", "critical_members"):
        out[key] = [m for m in report[key] if m["member"] in scope.members]
    out["unassigned_areas"] = [a for a in report["unassigned_areas"] if a["area"] in scope.areas]
    # a fault of the shape: its area within the scope, or its org, and only what the scope may name beside it
    out["territory_shape"] = [{**f, "within": [a for a in f["within"] if scope.allows_any(a) or a in scope.above
                                                or a in scope.context_orgs]}
                              for f in report["territory_shape"]
                              if (f["area"] is not None and f["area"] in scope.areas)
                              or (f["org"] is not None and f["org"] in scope.orgs)]
    out["idle_sunk_members"] = [m for m in report["idle_sunk_members"] if m in scope.members]
    out["idle_units"] = [u for u in report["idle_units"] if u in scope.units]
    out["vacant_posts"] = [v for v in report["vacant_posts"]
                           if (v["area"] in scope.areas) or (v["org"] is not None and v["org"] in scope.orgs)]
    # who acts is named when the scope may read it
    out["vacant_posts"] = [v if v["acting"] is None or v["acting"] in scope.members or v["acting"] in scope.context_members
                           else {**v, "acting": None} for v in out["vacant_posts"]]
    out["cross_boundary_contacts"] = [c for c in report["cross_boundary_contacts"]
                                      if c["member"] in scope.members and c["household"] in scope.households]
    return out


def incident_within(store: HasFacts, scope: Scope, areas: Iterable[str] = (), households: Iterable[str] = (),
                    **options: Any) -> Incident:
    """An incident's call sheet (:func:`orggraph.queries.incident`) for areas and households within a
    scope, with stand-ins picked from the scope's members only.

    Raises
    ------
    NotFound
        An area or a household the scope does not hold, named exactly as one that does not exist (so a
        mistyped id is never left off a call sheet in silence).
    """
    areas, households = list(areas), list(households)
    affected_within(scope, areas, households)
    return incident(store, areas, households, among=scope.members, **options)


def affected_within(scope: Scope, areas: Iterable[str], households: Iterable[str]) -> None:
    """An incident's areas and households as a token may name them: one it does not hold answers exactly as
    one that does not exist.

    Raises
    ------
    NotFound
        The first area, then the first household, the scope does not hold.
    """
    for area in areas:
        if area not in scope.areas:
            raise NotFound(f"no area with id {area!r}")
    for household in households:
        if household not in scope.households:
            raise NotFound(f"no household with id {household!r}")


def unavailable_within(scope: Scope, ids: Iterable[str]) -> list[str]:
    """What-if unavailable members as a token may name them: each must be a member it may read, and one it
    may not read answers exactly as an unknown id does (the queries' own message).

    Raises
    ------
    NotFound
        Naming up to five of the ids, unknown or not readable alike.

    Examples
    --------
    >>> scope = Scope(frozenset(), frozenset(), frozenset(), frozenset({"m1"}), frozenset())
    >>> unavailable_within(scope, ["m1"])
    ['m1']
    >>> unavailable_within(scope, ["m1", "m9"])
    Traceback (most recent call last):
    ...
    orggraph.exceptions.NotFound: unavailable: no member with id 'm9'
    """
    ids = list(ids)
    unknown = sorted({m for m in ids if not (m in scope.members or m in scope.context_members)})
    if unknown:
        raise NotFound(f"unavailable: no member with id {', '.join(map(repr, unknown[:5]))}")
    return ids


#: how a new node of each kind comes to lie within a scope: an edge of this type, with the node at this end
#: and, at the other, a record the token may change (or another new node placed so)
_ANCHORS = {
    "Household": {("LOCATED_IN", "source")},
    "Area": {("WITHIN", "source")},
    "Org": {("GOVERNS", "source")},
    "Member": {("CONTACTS", "source"), ("ASSIGNED_TO", "source"), ("HOLDS_POST", "source"), ("RESIDES_IN", "source"),
               ("SUNK_TO", "source"), ("MEMBER_OF", "source")},
    "Unit": {("EMPLOYED_BY", "target"), ("CO_BUILDS", "source")},
}


class OutsideScope(AccessError):
    """A change that reaches outside the token's areas; ``errors`` names each record and what is outside."""

    def __init__(self, errors: list[RecordError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} record(s) reach outside the token's areas; nothing was written:\n  "
                         + "\n  ".join(str(e) for e in self.errors[:100]))


class IdTaken(AccessError):
    """A change that would add a node under an id the store holds already. Ids name one record in the whole
    store, so this cannot be hidden from a token that may not read the record; it is answered only once
    the change passed the scope check, with one message whether or not the token may read the record."""

    def __init__(self, errors: list[RecordError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} id(s) taken; nothing was written:\n  "
                         + "\n  ".join(str(e) for e in self.errors[:100]))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def check_within(scope: Scope, items: Iterable[tuple[str, Any, Any]], stored: dict[str, str], *,
                 store: Store | None = None, create: Iterable[str] = ()) -> list[RecordError]:
    """What in a change the token may not make; empty when it may make all of it.

    A node the store holds and the token may read must be one it may change (:attr:`Scope.writable`).
    Any other node of the change is new, whether the store holds the id or not (so that an id taken
    outside the scope answers as an unknown one): it must come to lie within through an edge of the
    same change to a record the token may change: a household located in one of its areas, a member
    contacting one of its households or assigned to one of its areas (or holding a post, membership or
    report in one of its organizations), a unit employing one of its members or co-building with one
    of its organizations, an area within one of its areas, an organization governing one, possibly
    through other new nodes. Every edge must lie within (:meth:`Scope.edge_fault`), and name only
    nodes of the change or nodes the token may read.

    Parameters
    ----------
    scope : Scope
        What the token may see and change.
    items : iterable of (what, where, record)
        The change, as the readers of :mod:`orggraph.io` yield it.
    stored : dict
        The kind of every id of the change that names a node the store holds already.
    store : optional
        The store, to say why a record is read-only (:meth:`Scope.why`).
    create : iterable of str
        Ids the change must add as new nodes (a POST), checked as new whatever the store holds.

    Returns
    -------
    list of RecordError
        Naming the record, the field (``id``, ``source`` or ``target``) and why.

    Examples
    --------
    >>> scope = Scope(frozenset({"b1"}), frozenset(), frozenset(), frozenset(), frozenset(),
    ...               writable=frozenset({"b1"}))
    >>> new = ("node", "nodes[0]", {"id": "h9", "kind": "Household"})
    >>> check_within(scope, [new, ("edge", "edges[0]", {"type": "LOCATED_IN", "source": "h9", "target": "b1"})],
    ...              {"b1": "Area"})
    []
    >>> [str(e) for e in check_within(scope, [new], {"b1": "Area"})]
    ["nodes[0], field id: 'h9' would lie outside the token's areas (a new Household needs a LOCATED_IN edge to a record the token may change)"]
    """
    create = set(create)
    visible = {i for i in stored if scope.sees(i) and i not in create}
    placed: set[str] = set()
    new: dict[str, tuple[str, tuple[int, Any]]] = {}  # id -> (kind, (seq, where)) of the nodes the change adds
    problems: list[tuple[int, RecordError]] = []
    edges: list[tuple[int, Any, dict[str, Any]]] = []

    def why(node_id: str) -> str:
        return scope.why(store, node_id) if store is not None else f"{node_id} may not be changed by the token"

    for seq, (what, where, record) in enumerate(items):
        if not isinstance(record, dict):
            continue
        if what == "edge":
            edges.append((seq, where, record))
            continue
        node_id, kind = _str(record.get("id")), _str(record.get("kind"))
        if node_id is None:
            continue  # not a valid record: the load names it
        if node_id in visible:
            if not scope.may_change(node_id):
                problems.append((seq, RecordError(str(where), "id", why(node_id))))
        elif node_id not in new:
            new[node_id] = (kind, (seq, where))
    # anchor the new nodes: from the records it may change, follow the anchoring edges to the new ones they place
    placed_by: dict[str, list[str]] = {}
    for _, _, edge in edges:
        for end, other in (("source", "target"), ("target", "source")):
            node_id, far = _str(edge.get(end)), _str(edge.get(other))
            if node_id in new and far is not None and (_str(edge.get("type")), end) in _ANCHORS.get(new[node_id][0], ()):
                placed_by.setdefault(far, []).append(node_id)
    queue = [i for i in placed_by if i not in new and i in visible and scope.may_change(i)]
    while queue:
        for node_id in placed_by.pop(queue.pop(), []):
            if node_id not in placed:
                placed.add(node_id)
                queue.append(node_id)
    for node_id, (kind, (seq, where)) in new.items():
        if node_id not in placed:
            how = " or ".join(sorted(t for t, _ in _ANCHORS.get(kind, ())))
            needs = f" (a new {kind} needs a {how} edge to a record the token may change)" if how else ""
            problems.append((seq, RecordError(str(where), "id", f"{node_id!r} would lie outside the token's areas{needs}")))
    for seq, where, edge in edges:
        ends = [(end, _str(edge.get(end))) for end in ("source", "target")]
        unknown = [(end, i) for end, i in ends if i not in new and i not in visible]
        if unknown:
            end, node_id = unknown[0]
            shown = node_id if node_id is not None else edge.get(end)
            problems.append((seq, RecordError(str(where), end, f"no node with id {shown!r} in this change "
                                                               "or among the records the token may read")))
            continue
        end = scope.edge_fault(edge, new=new)  # a new node not placed is named with the node itself
        if end is not None:
            problems.append((seq, RecordError(str(where), end, why(edge[end]))))
    return [e for _, e in sorted(problems, key=lambda p: p[0])]


def _refuse(store: Store, scope: Scope, items: list[tuple[str, Any, Any]], create: Iterable[str],
            replace: Iterable[str] = ()) -> None:
    """Raise if a change is not the token's to make: NotFound for a node to replace that is gone, then
    OutsideScope, then IdTaken."""
    create, replace = set(create), set(replace)
    ids = {_str(r.get(f)) for _, _, r in items if isinstance(r, dict) for f in ("id", "source", "target")}
    stored = store.kinds_of(sorted(i for i in ids if i is not None))
    for what, _, r in items:  # removed since the request found it (a DELETE racing a PUT): as if never there
        if what == "node" and isinstance(r, dict) and _str(r.get("id")) in replace and r["id"] not in stored:
            raise NotFound(f"no {str(r.get('kind') or 'node').lower()} with id {r['id']!r}")
    problems = check_within(scope, items, stored, store=store, create=create)
    if problems:
        raise OutsideScope(problems)
    taken = [RecordError(str(where), "id", f"the id {r['id']!r} is taken (an id names one record in the whole "
                                           "store); choose another")
             for what, where, r in items if what == "node" and isinstance(r, dict) and _str(r.get("id")) in stored
             and (r["id"] in create or not scope.sees(r["id"]))]
    if taken:
        raise IdTaken(taken)


def _scope_keys(items: Iterable[tuple[str, Any, Any]]) -> list[tuple[str, str, Any]]:
    """What the scope check reads of a change: of each record its ids and its kind or type, once for the
    records alike in these, so that a pass over an upload keeps no more than its distinct keys."""
    kept: dict[Any, tuple[str, str, Any]] = {}
    for what, where, record in items:
        if isinstance(record, dict):
            key: Any = (what, *(record.get(k) for k in _SCOPE_KEYS))
            if not all(v is None or isinstance(v, str) for v in key):
                key = len(kept)  # not a record the load takes, and nothing to be alike in
            if key not in kept:
                kept[key] = (what, str(where), {k: record[k] for k in _SCOPE_KEYS if k in record})
        else:
            kept[len(kept)] = (what, str(where), record)
    return list(kept.values())


_SCOPE_KEYS = ("id", "kind", "type", "source", "target")


def load_within(store: Store, scope: Scope, items: Iterable[tuple[str, Any, Any]], *, dry_run: bool = False,
                create: Iterable[str] = (), replace: Iterable[str] = (), **options: Any) -> Any:
    """Load a change, all or nothing, only if the token may make all of it (see :func:`check_within`);
    with ``dry_run``, make every check and write nothing.

    ``create`` are ids the change must add as new (a POST), ``replace`` ids of nodes it must find in the
    store (a PUT): one removed meanwhile answers as if it had never been there.

    ``items`` is a list, or an iterable read afresh on each pass (as an upload read from its file is),
    so that a large change is never held whole: one pass for the scope, one for the load.

    The scope is checked before the records are (so that a record outside it, or an id taken there,
    answers as an unknown one would), and again under the store's write lock, once they are valid.

    Raises
    ------
    NotFound
        If a node in ``replace`` is not in the store (checked again under the write lock).
    InvalidRecords
        If a record is not valid whatever the store holds (its fields, a record given twice), before
        the scope is looked at; and once the scope allows the change, if it is not valid with what
        the store holds.
    OutsideScope
        If a record reaches outside the scope or is read-only to the token.
    IdTaken
        If, within the scope, a new node's id is taken: an id in ``create``, or one the token may not read.
        Whichever, nothing is written.
    """
    if iter(items) is items:  # a one-pass iterator: held, as it is read twice
        items = list(items)
    keys = _scope_keys(items)
    try:
        _refuse(store, scope, keys, create, replace)
    except (OutsideScope, IdTaken):
        # what is wrong with the records whatever the store holds comes first: it reveals nothing of the
        # store, and a record refused as read (a formula with no value) leaves edges to it dangling
        own = check_records(items, max_errors=options.get("max_errors", 100))
        if own is not None:
            raise own from None
        raise

    also = options.pop("check", None)

    def within(report: LoadReport) -> None:  # runs once the records are valid, before anything is written
        _refuse(store, scope, keys, create, replace)
        if also is not None:
            also(report)

    if dry_run:
        return check_load(store, items, check=within, **options)
    return store.load(items, check=within, **options)


def remove_within(store: Store, scope: Scope, nodes: Iterable[str] = (),
                  edges: Iterable[dict[str, Any]] = (), *, history: Any = None) -> dict[str, int]:
    """Remove nodes (with their edges) and edges, only if the token may remove all of it; recorded in the
    history as ``history`` says (:class:`orggraph.history.Written`).

    A node the token may not read (or an edge with such an end) is :class:`~orggraph.exceptions.NotFound`,
    as if it were not there. A node it may read but not change, or whose removal would take an edge
    that does not lie within (:meth:`Scope.edge_fault`), and an edge that does not lie within, are
    :class:`OutsideScope`, naming why.
    """
    nodes, edges = list(nodes), list(edges)
    for node_id in nodes:
        if not scope.sees(node_id):
            raise NotFound(f"no node with id {node_id!r}")
    for edge in edges:
        for end in ("source", "target"):
            if not scope.sees(edge.get(end)):
                raise NotFound(f"no node with id {edge.get(end)!r}")
    problems = []
    for node_id in nodes:
        if not scope.may_change(node_id):
            problems.append(RecordError(node_id, "id", scope.why(store, node_id)))
            continue
        for edge in store.edges_of(node_id):
            end = scope.edge_fault(edge)
            if end is not None:
                other = edge[end]
                if scope.sees(other):
                    reason = f"removing it would remove the {edge['type']} edge {edge['source']!r} -> {edge['target']!r}: "
                    problems.append(RecordError(node_id, "id", reason + scope.why(store, other)))
                else:
                    problems.append(RecordError(node_id, "id", f"removing it would remove a {edge['type']} edge to "
                                                                "a record outside the token's areas"))
    for edge in edges:
        end = scope.edge_fault(edge)
        if end is not None:
            problems.append(RecordError(f"{edge.get('type')} {edge.get('source')!r} -> {edge.get('target')!r}", end,
                                        scope.why(store, edge[end])))
    if problems:
        raise OutsideScope(problems)
    return store.delete(nodes=nodes, edges=edges, history=history)
