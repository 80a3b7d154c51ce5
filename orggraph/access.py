"""Who may see what: API tokens with a role and a scope of areas, and the audit log of personal data shown."""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from .exceptions import NotFound, OrgGraphError
from .index import AREA, HOUSEHOLD, MEMBER, ORG, UNIT

__all__ = ["TOKEN_ROLES", "Token", "Scope", "create_token", "tokens", "revoke_token", "authenticate",
           "scope_of", "roots", "audit", "AccessError"]

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

    @property
    def active(self) -> bool:
        return self.revoked is None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "areas": list(self.areas), "pii": self.pii,
                "created": self.created, "revoked": self.revoked}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(row: dict[str, Any]) -> Token:
    return Token(row["id"], row["role"], tuple(row["areas"]), row["pii"], row["created"], row["revoked"])


def create_token(store: Any, role: str, areas: Iterable[str], *, pii: bool = False) -> tuple[str, Token]:
    """Make a token; return its secret (shown once, kept only as a hash) and its record.

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
    secret = "og_" + secrets.token_urlsafe(32)
    row = {"id": secrets.token_hex(4), "hash": _hash(secret), "role": role, "areas": areas, "pii": pii,
           "created": _now()}
    store.save_token(row)
    return secret, _token({**row, "revoked": None})


def tokens(store: Any) -> list[Token]:
    """Every token the store knows, revoked ones included (their record stays for the audit)."""
    return [_token(r) for r in store.token_rows()]


def revoke_token(store: Any, token_id: str) -> None:
    if not store.revoke_token(token_id, _now()):
        raise AccessError(f"no active token with id {token_id!r}")


def authenticate(store: Any, secret: str) -> Token | None:
    """The active token whose secret this is, or None."""
    digest = _hash(secret)
    for row in store.token_rows():
        if hmac.compare_digest(row["hash"], digest) and row["revoked"] is None:
            return _token(row)
    return None


def audit(store: Any, token: Token, route: str, records: list[str]) -> None:
    """Write one row to the append-only audit log: this token was shown these records unmasked."""
    if records:
        store.append_audit(_now(), token.id, route, sorted(set(records)))


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
    """The :class:`Scope` of some areas, from the store's index."""
    from .queries._view import View

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


def roots(store: Any, areas: Iterable[str]) -> list[str]:
    """The areas that lie within no other of them (so that totals count each household once)."""
    from .queries._view import View

    view = View(store.index())
    numbers = {a: view.area_number(a) for a in set(areas)}
    chosen = set(numbers.values())
    ancestry = view.s["ancestry"]
    return sorted(a for a, n in numbers.items() if not any(up in chosen for up in ancestry[n][1:]))
