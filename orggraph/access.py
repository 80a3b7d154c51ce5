"""Who may see what: API tokens with a role and a scope of areas, and the audit log of personal data shown."""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from .exceptions import NotFound, OrgGraphError, RecordError
from .index import AREA, HOUSEHOLD, MEMBER, ORG, UNIT
from .load import LoadReport, check_load

__all__ = ["TOKEN_ROLES", "Token", "Scope", "create_token", "tokens", "revoke_token", "authenticate",
           "scope_of", "roots", "check_within", "audit", "tokens_within", "audit_within", "load_within", "remove_within",
           "coverage_within", "gaps_within", "incident_within",
           "AccessError", "OutsideScope"]

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


def create_token(store: Any, role: str, areas: Iterable[str], *, pii: bool = False,
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


def tokens(store: Any) -> list[Token]:
    """Every token the store knows, revoked ones included (their record stays for the audit)."""
    return [_token(r) for r in store.token_rows()]


def revoke_token(store: Any, token_id: str) -> None:
    if not store.revoke_token(token_id, _now()):
        raise AccessError(f"no active token with id {token_id!r}")


def authenticate(store: Any, secret: str) -> Token | None:
    """The active token whose secret this is, or None (none such, revoked, or expired)."""
    digest = _hash(secret)
    for row in store.token_rows():
        if hmac.compare_digest(row["hash"], digest):
            token = _token(row)
            return token if token.active else None
    return None


def audit(store: Any, token: Token, route: str, records: list[str]) -> None:
    """Write one row to the append-only audit log: this token was shown these records unmasked."""
    if records:
        store.append_audit(_now(), token.id, route, sorted(set(records)))


def tokens_within(store: Any, scope: "Scope") -> list[Token]:
    """The tokens whose every area lies within a scope: what an admin of those areas may see and manage."""
    return [t for t in tokens(store) if all(a in scope.areas for a in t.areas)]


def audit_within(store: Any, scope: "Scope", *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
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
    rows: list[dict[str, Any]] = []
    page = max(limit, 100)
    while len(rows) < limit:
        batch = store.audit_rows(after=after, limit=page)
        for row in batch:
            records = [r for r in row["records"] if scope.allows_any(r)]
            if records:
                rows.append({**row, "records": records})
                if len(rows) == limit:
                    break
        if len(batch) < page:
            break
        after = batch[-1]["seq"]
    return rows


@dataclass(frozen=True)
class Scope:
    """What a token may see: its areas and everything within them, the households located there, the
    organizations governing them (up to the street), the members who contact those households, are
    assigned there, hold posts in those organizations or live there, and the units they come from."""

    areas: frozenset[str]
    households: frozenset[str]
    orgs: frozenset[str]
    members: frozenset[str]
    units: frozenset[str]

    def allows(self, kind: str, node_id: str) -> bool:
        return node_id in {"Area": self.areas, "Household": self.households, "Org": self.orgs,
                           "Member": self.members, "Unit": self.units}[kind]

    def allows_any(self, node_id: str) -> bool:
        return (node_id in self.households or node_id in self.areas or node_id in self.members
                or node_id in self.orgs or node_id in self.units)


def scope_of(store: Any, areas: Iterable[str]) -> Scope:
    """The :class:`Scope` of some areas: from the index on the embedded store, in Cypher on a server."""
    from .queries._view import View, on_server

    if on_server(store):
        return _scope_on_server(store, list(areas))
    index = store.index()
    view = View(index)
    n = index.n
    roots = [view.area_number(a) for a in areas]
    ancestry = view.s["ancestry"]
    inside = np.zeros(n, dtype=bool)
    inside[roots] = True
    hit = inside[view.s["anc_up"]]
    inside[view.s["anc_leaf"][hit]] = True  # every area within a root
    above = {up for r in roots for up in ancestry[r]}
    households = view.households_within(roots)
    seen_h = np.zeros(n, dtype=bool)
    seen_h[households] = True
    e = index.edges
    governed = inside.copy()
    governed[list(above)] = True
    orgs = np.zeros(n, dtype=bool)
    orgs[e["GOVERNS"].source[governed[e["GOVERNS"].target]]] = True
    members = np.zeros(n, dtype=bool)
    members[e["CONTACTS"].source[seen_h[e["CONTACTS"].target]]] = True
    members[e["RESIDES_IN"].source[seen_h[e["RESIDES_IN"].target]]] = True
    members[e["ASSIGNED_TO"].source[inside[e["ASSIGNED_TO"].target]]] = True
    members[e["HOLDS_POST"].source[orgs[e["HOLDS_POST"].target]]] = True
    units = np.zeros(n, dtype=bool)
    units[e["EMPLOYED_BY"].target[members[e["EMPLOYED_BY"].source]]] = True
    ids, kinds = index.ids, index.kinds

    def named(mask: np.ndarray, kind: int) -> frozenset[str]:
        return frozenset(ids[i] for i in np.flatnonzero(mask & (kinds == kind)).tolist())

    return Scope(named(inside, AREA), named(seen_h, HOUSEHOLD), named(orgs, ORG), named(members, MEMBER),
                 named(units, UNIT))


def _scope_on_server(store: Any, areas: list[str]) -> Scope:
    """The scope read from the server: a few queries over what lies within the areas, not the whole network."""
    from .store.server import statement

    read = store.conn.read
    inside, governed = set(), set()
    for area, within in read(statement("scope_areas"), {"areas": areas}):
        (inside if within else governed).add(area)
    governed |= inside
    found: dict[str, set[str]] = {"Household": set(), "Org": set(), "Member": set()}
    for kind, node_id in read(statement("scope_people"), {"inside": sorted(inside), "governed": sorted(governed)}):
        found[kind].add(node_id)
    units = {u for (u,) in read(statement("scope_units"), {"members": sorted(found["Member"])})}
    return Scope(frozenset(inside), frozenset(found["Household"]), frozenset(found["Org"]),
                 frozenset(found["Member"]), frozenset(units))


def roots(store: Any, areas: Iterable[str]) -> list[str]:
    """The areas that lie within no other of them (so that totals count each household once)."""
    from .queries._view import View, on_server

    if on_server(store):
        from .store.server import statement

        chosen = set(areas)
        above = {a for a, up in store.conn.read(statement("area_roots"), {"areas": sorted(chosen)}) if up in chosen}
        return sorted(chosen - above)
    view = View(store.index())
    numbers = {a: view.area_number(a) for a in set(areas)}
    chosen = set(numbers.values())
    ancestry = view.s["ancestry"]
    return sorted(a for a, n in numbers.items() if not any(up in chosen for up in ancestry[n][1:]))


def coverage_within(store: Any, report: dict[str, Any], scope: Scope, areas: Iterable[str],
                    level: str | None = None) -> dict[str, Any]:
    """The whole network's coverage (:func:`orggraph.queries.coverage`) cut to a scope: the areas within
    it (of one level, if given), and totals over the scope's own ``areas`` counting each household once."""
    from .queries.coverage import _block

    rows = {row["id"]: row for row in report["areas"]}
    keys = ("households", "covered", "people", "people_covered", "vulnerable", "vulnerable_covered")
    total = {k: sum(rows[root][k] for root in roots(store, areas)) for k in keys}
    kept = [r for r in report["areas"] if r["id"] in scope.areas and (level is None or r["level"] == level)]
    return {"as_of": report["as_of"], **_block(**total), "unavailable": report["unavailable"], "areas": kept}


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
    for key in ("overloaded_members", "single_points_of_failure"):
        out[key] = [m for m in report[key] if m["member"] in scope.members]
    out["idle_sunk_members"] = [m for m in report["idle_sunk_members"] if m in scope.members]
    out["idle_units"] = [u for u in report["idle_units"] if u in scope.units]
    out["vacant_posts"] = [v for v in report["vacant_posts"]
                           if (v["area"] in scope.areas) or (v["org"] is not None and v["org"] in scope.orgs)]
    out["cross_boundary_contacts"] = [c for c in report["cross_boundary_contacts"]
                                      if c["member"] in scope.members and c["household"] in scope.households]
    return out


def incident_within(store: Any, scope: Scope, areas: Iterable[str] = (), households: Iterable[str] = (),
                    **options: Any) -> dict[str, Any]:
    """An incident's call sheet (:func:`orggraph.queries.incident`) for the affected areas and households
    within a scope, with stand-ins from within it only.

    Raises
    ------
    NotFound
        If no affected area or household lies within the scope.
    """
    from .queries import incident

    areas = [a for a in areas if a in scope.areas]
    households = [h for h in households if h in scope.households]
    if not areas and not households:
        raise NotFound("no affected area or household within the token's scope")
    sheet = incident(store, areas, households, **options)
    for entry in sheet["entries"]:
        entry["stand_ins"] = [s for s in entry["stand_ins"] if s["member"] in scope.members]
    return sheet


#: how a new node of each kind comes to lie within a scope: an edge of this type, with the node at this end
_ANCHORS = {
    "Household": {("LOCATED_IN", "source")},
    "Area": {("WITHIN", "source")},
    "Org": {("GOVERNS", "source")},
    "Member": {("CONTACTS", "source"), ("ASSIGNED_TO", "source"), ("HOLDS_POST", "source"), ("RESIDES_IN", "source")},
    "Unit": {("EMPLOYED_BY", "target")},
}


class OutsideScope(AccessError):
    """A change that reaches outside the token's areas; ``errors`` names each record and what is outside."""

    def __init__(self, errors: list[RecordError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} record(s) reach outside the token's areas; nothing was written:\n  "
                         + "\n  ".join(str(e) for e in self.errors[:100]))


def check_within(scope: Scope, items: Iterable[tuple[str, Any, Any]], stored: dict[str, str]) -> list[RecordError]:
    """What in a change lies outside a scope; empty when all of it may be written.

    A node the store holds already must be within the scope. A new node must come to lie within it
    through an edge of the same change: a household located in one of its areas, a member contacting
    one of its households or assigned to one of its areas, a unit employing one of its members, an
    area within one of its areas, an organization governing one, possibly through other new nodes.
    Every edge must join two nodes that are, or come to be, within the scope.

    Parameters
    ----------
    scope : Scope
        What the token may see and change.
    items : iterable of (what, where, record)
        The change, as the readers of :mod:`orggraph.io` yield it (valid records, as a load checks first).
    stored : dict
        The kind of every id of the change that names a node the store holds already.

    Returns
    -------
    list of RecordError
        Naming the record, the field (``id``, ``source`` or ``target``) and what is outside.

    Examples
    --------
    >>> scope = Scope(frozenset({"b1"}), frozenset(), frozenset(), frozenset(), frozenset())
    >>> new = ("node", "nodes[0]", {"id": "h9", "kind": "Household"})
    >>> check_within(scope, [new, ("edge", "edges[0]", {"type": "LOCATED_IN", "source": "h9", "target": "b1"})],
    ...              {"b1": "Area"})
    []
    >>> [str(e) for e in check_within(scope, [new], {"b1": "Area"})]
    ["nodes[0], field id: 'h9' would lie outside the token's areas (a new Household needs a LOCATED_IN edge to what is within)"]
    """
    inside = set()
    new: dict[str, tuple[str, Any]] = {}  # id -> (kind, where) of the nodes the change adds
    problems: list[tuple[int, RecordError]] = []
    edges: list[tuple[int, Any, dict[str, Any]]] = []
    for seq, (what, where, record) in enumerate(items):
        if not isinstance(record, dict):
            continue
        if what == "edge":
            edges.append((seq, where, record))
            continue
        node_id, kind = record.get("id"), record.get("kind")
        if node_id in stored:
            if not scope.allows_any(node_id):
                problems.append((seq, RecordError(str(where), "id", f"{node_id!r} is outside the token's areas")))
        elif node_id not in new:
            new[node_id] = (kind, (seq, where))
    # anchor the new nodes: from the nodes within, follow the anchoring edges to the new ones they place
    placed_by: dict[str, list[str]] = {}
    for _, _, edge in edges:
        for end, other in (("source", "target"), ("target", "source")):
            node_id = edge.get(end)
            if node_id in new and (edge.get("type"), end) in _ANCHORS.get(new[node_id][0], ()):
                placed_by.setdefault(edge.get(other), []).append(node_id)
    queue = [i for i in placed_by if i not in new and i in stored and scope.allows_any(i)]
    while queue:
        for node_id in placed_by.pop(queue.pop(), []):
            if node_id not in inside:
                inside.add(node_id)
                queue.append(node_id)
    for node_id, (kind, (seq, where)) in new.items():
        if node_id not in inside:
            how = " or ".join(sorted(t for t, _ in _ANCHORS.get(kind, ())))
            problems.append((seq, RecordError(str(where), "id", f"{node_id!r} would lie outside the token's areas "
                                                                 f"(a new {kind} needs a {how} edge to what is within)")))
    for seq, where, edge in edges:
        for end in ("source", "target"):
            node_id = edge.get(end)
            if node_id in new or (node_id in stored and scope.allows_any(node_id)):
                continue
            problems.append((seq, RecordError(str(where), end, f"{node_id!r} is outside the token's areas")))
            break
    return [e for _, e in sorted(problems, key=lambda p: p[0])]


def load_within(store: Any, scope: Scope, items: list[tuple[str, Any, Any]], *, dry_run: bool = False,
                **options: Any) -> Any:
    """Load a change, all or nothing, only if all of it lies within the scope (see :func:`check_within`);
    with ``dry_run``, make every check and write nothing.

    Raises
    ------
    InvalidRecords
        If a record is not valid (checked first, as any load checks it).
    OutsideScope
        If a record reaches outside the scope. Either way nothing is written.
    """
    def within(_: LoadReport) -> None:  # runs once the records are valid, before anything is written
        ids = {r.get(f) for _, _, r in items if isinstance(r, dict) for f in ("id", "source", "target")}
        problems = check_within(scope, items, store.kinds_of(i for i in ids if isinstance(i, str)))
        if problems:
            raise OutsideScope(problems)

    if dry_run:
        return check_load(store, items, check=within, **options)
    return store.load(items, check=within, **options)


def remove_within(store: Any, scope: Scope, nodes: Iterable[str] = (),
                  edges: Iterable[dict[str, Any]] = ()) -> dict[str, int]:
    """Remove nodes (with their edges) and edges, only if everything removed lies within the scope.

    A node or an edge outside the scope is :class:`~orggraph.exceptions.NotFound`, as if it were not
    there; a node within the scope whose removal would take an edge to something outside (a member who
    also contacts households of another community) is :class:`OutsideScope`.
    """
    nodes, edges = list(nodes), list(edges)
    for node_id in nodes:
        if not scope.allows_any(node_id):
            raise NotFound(f"no node with id {node_id!r}")
    for edge in edges:
        for end in ("source", "target"):
            if not scope.allows_any(edge.get(end)):
                raise NotFound(f"no node with id {edge.get(end)!r}")
    problems = []
    for node_id in nodes:
        for edge in store.edges_of(node_id):
            other = edge["target"] if edge["source"] == node_id else edge["source"]
            if not scope.allows_any(other):
                problems.append(RecordError(node_id, None, f"removing it would remove the {edge['type']} edge "
                                            f"{edge['source']!r} -> {edge['target']!r}, which reaches outside the token's areas"))
    if problems:
        raise OutsideScope(problems)
    return store.delete(nodes=nodes, edges=edges)
