"""Records as a clerk finds them: by part of a name or an address, a phone's last digits or an id; an area's households; a member's relations."""

from __future__ import annotations

import contextlib
import datetime as _dt
import heapq
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Collection, Iterable, Iterator

from ..days import parse_day, valid_on
from ..exceptions import NotFound
from ..facts import Day, Facts
from ..model import NODE_KINDS, POST_RANK, ROLE_RANK
from ..privacy import MASK, mask_address, mask_value, personal_class
from ..results import SEARCH_MATCHES, Profile, Search, SearchHit
from ._base import area_position, day_of

if TYPE_CHECKING:
    from ..access import Scope
    from ..store.base import Store

__all__ = ["search", "households_in", "member_profile", "PHONE_DIGITS_SHOWN", "MAX_QUERY", "DEFAULT_HITS"]

#: the last digits of a phone that a masked phone shows (:func:`orggraph.privacy.mask_phone`): the fewest a
#: search by a phone takes, and the most it takes without the permission to see personal data
PHONE_DIGITS_SHOWN = 4
#: the longest text a search takes
MAX_QUERY = 200
#: the hits a search lists unless told otherwise
DEFAULT_HITS = 50

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PHONE_QUERY = re.compile(r"[0-9 .()+\-]+")  # digits, and what a phone is written with between them
_NOT_DIGIT = re.compile(r"[^0-9]")


def _is_text(value: object) -> bool:
    """Whether a value is text a store can be asked about (no lone surrogate, as a mangled command line
    argument holds)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lower(text: str) -> str:
    """ASCII letters in lower case, the others as they are: a search finds ``a座`` as ``A座``."""
    return text.translate(_ASCII_LOWER)


def _digits_of(text: str) -> str:
    """The decimal digits of a text, of any script, as ASCII digits (as :func:`~orggraph.privacy.mask_phone`
    reads a phone)."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


def _phone_digits(query: str) -> str | None:
    """The digits of a search that is a phone's last digits (at least :data:`PHONE_DIGITS_SHOWN` of them,
    written with spaces, dashes, dots or brackets between them, in any width), or None.

    Examples
    --------
    >>> _phone_digits("5678"), _phone_digits("１３８ ０００１-５６７８"), _phone_digits("+86 138 0001 5678")
    ('5678', '13800015678', '13800015678')
    >>> _phone_digits("678"), _phone_digits("3号楼"), _phone_digits("h0005678")
    (None, None, None)
    """
    folded = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in unicodedata.normalize("NFKC", query))
    if not _PHONE_QUERY.fullmatch(folded):
        return None
    digits = _NOT_DIGIT.sub("", folded)
    if len(digits) < PHONE_DIGITS_SHOWN:
        return None
    for country in ("0086", "86"):  # +86 and a mobile: the mobile's 11 digits
        if len(digits) == len(country) + 11 and digits.startswith(country + "1"):
            return digits[len(country):]
    return digits


def _phone_texts(digits: str) -> list[str]:
    """What a store looks for to find the phones ending in these digits: their last four, together or parted
    by one dash (as a stored phone writes a landline's extension: ``0716-8123456-801``)."""
    last = digits[-PHONE_DIGITS_SHOWN:]
    return [last] + [last[:i] + "-" + last[i:] for i in range(1, len(last))]


def _holds(value: Any, field: str, kind: str, lowered: str, pii: bool) -> bool:
    """Whether a name or an address holds the text: in full with ``pii``; else only in what its masked
    value shows (:func:`~orggraph.privacy.mask_value`), never across nor in a masked part."""
    if not isinstance(value, str) or not value:
        return False
    if pii:
        return lowered in _lower(value)
    return any(lowered in _lower(part) for part in str(mask_value(value, field, kind)).split(MASK))


def _phone_holds(record: dict[str, Any], digits: str, pii: bool) -> bool:
    """Whether a phone field of a record (every field named as a phone: ``phone``, ``mobile``, ``联系电话``
    ...) ends in these digits: all its digits with ``pii``; else only the last four its masked value
    shows, which ``digits`` must be."""
    kind = record["kind"]
    for field, value in record.items():
        if field in ("id", "kind") or personal_class(field) != "phone":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                continue
            if pii:
                if _digits_of(str(item)).endswith(digits):
                    return True
            else:
                shown = mask_value(item, field, kind)
                if isinstance(shown, str) and shown != MASK and shown.split(MASK)[-1] == digits:
                    return True
    return False


def _match(record: dict[str, Any], lowered: str, digits: str | None, pii: bool) -> str | None:
    """What a record the store found is found by: ``name``, ``address`` or ``phone``, the first that holds;
    None where none does (the store finds a text in how a record is written, a key say)."""
    kind = record["kind"]
    if kind == "Household":
        if _holds(record.get("address"), "address", kind, lowered, pii):
            return "address"
    elif _holds(record.get("name"), "name", kind, lowered, pii):
        return "name"
    if digits is not None and kind in ("Member", "Household") and _phone_holds(record, digits, pii):
        return "phone"
    return None


class _TakingPart:
    """Whether a record takes part on the day (:meth:`orggraph.facts.Facts.existing`): a household located
    somewhere on it at once, any other from the kind's records taking part, read once when first asked."""

    def __init__(self, facts: Facts, day: Day):
        self.facts, self.day = facts, day
        self.existing: dict[str, frozenset[str]] = {}
        self.unlocated: frozenset[str] | None = None

    def __call__(self, kind: str, node_id: str) -> bool:
        if kind == "Household":
            if self.unlocated is None:
                self.unlocated = frozenset(self.facts.households(self.day, "unlocated"))
            if node_id not in self.unlocated:
                return True
        found = self.existing.get(kind)
        if found is None:
            found = self.existing[kind] = frozenset(self.facts.existing(self.day, kind))
        return node_id in found


def _among(scope: Scope | None, kind: str) -> Collection[str] | None:
    """The ids of one kind a scope may read (its own and its read-only context); None for no scope."""
    if scope is None:
        return None
    own = {"Area": scope.areas, "Org": scope.orgs, "Unit": scope.units, "Member": scope.members,
           "Household": scope.households}[kind]
    context = {"Area": scope.above, "Org": scope.context_orgs, "Member": scope.context_members}.get(kind)
    return own | context if context else own


@contextlib.contextmanager
def _reading(rows: Iterator[dict[str, Any]]) -> Iterator[Iterator[dict[str, Any]]]:
    """A store's search, closed once read as far as it is (so that it holds nothing open on the store)."""
    try:
        yield rows
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _kinds(kinds: Iterable[str] | str | None) -> list[str]:
    if kinds is None:
        return list(NODE_KINDS)
    chosen = {kinds} if isinstance(kinds, str) else set(kinds)
    unknown = sorted(str(k) for k in chosen if k not in NODE_KINDS)
    if unknown:
        raise ValueError(f"unknown node kind {unknown[0]!r}; allowed: {', '.join(NODE_KINDS)}")
    return [k for k in NODE_KINDS if k in chosen]


def _hit(node_id: str, kind: str, match: str) -> SearchHit:
    return {"id": node_id, "kind": kind, "match": match}  # type: ignore[typeddict-item]


def search(
    store: Store,
    text: str,
    *,
    kinds: Iterable[str] | str | None = None,
    scope: Scope | None = None,
    as_of: str | _dt.date | None = None,
    pii: bool = False,
    limit: int = DEFAULT_HITS,
) -> Search:
    """Find records by what a clerk knows of them: an id, part of a name, part of an address, or a phone's
    last digits.

    A record is found by (in this order of the hits, each by id after):

    1. ``id``: the text is its id, exactly;
    2. ``name``: part of the name of an area, organization, unit or member;
    3. ``address``: part of a household's address;
    4. ``phone``: the last digits of a member's or household's phone (every field named as a phone:
       ``phone``, ``mobile``, ``联系电话`` ...), a text of digits only (at least
       :data:`PHONE_DIGITS_SHOWN`; spaces, dashes, dots and brackets between them are let pass; full-width
       digits are read as digits): ``5678`` finds each phone whose digits end in 5678.

    Each record is listed once, by the first of these it is found by. ASCII letters match in either case.
    The hits are only ids and kinds: callers name them (:func:`orggraph.report.names_of`), masked unless
    personal data may be shown.

    What may be found without the permission to see personal data (``pii=False``, the default): **a search
    never tells more than the masked records show.** A name and an address are matched only against what
    their masked form shows (:func:`orggraph.privacy.mask_value`): of an address, its part down to the
    building (``云河市江滨街道桂花社区3号楼****``), so ``501室`` finds no household's room; of a name, all
    but a phone- or id-card-shaped number in it. A phone is matched only by the last four digits its masked
    form shows (``138****5678``; a phone masked whole, ``****``, by none): four digits, exactly. A search by
    more of its digits would tell which digits come before those four (a hit for ``45678`` says the fifth
    digit from the end is 4, which the mask hides), so it takes the permission: without it a text of more
    digits is not looked for in phones, ``phone_needs_pii`` says so, and the text is still looked for as
    an id, a name and an address. With ``pii=True`` a name and an address are matched in full, and a
    phone by as many of its last digits as the text has.

    A record the ``scope`` may not read (:meth:`orggraph.access.Scope.sees`) is never found: the answer is
    exactly the one a store without it would give. Nor is a record that takes no part on the day (no
    relation valid on it, while it has some: :meth:`orggraph.facts.Facts.existing`), such as a household
    that has moved away and is contacted by nobody since: properties carry no dates, relations do.

    Parameters
    ----------
    store : Store
        The store, on either backend.
    text : str
        What to look for; spaces at its ends are left out.
    kinds : node kind or kinds, optional
        Only records of these kinds (``Household``, ``Member``, ``Area``, ``Org``, ``Unit``); every kind if not given.
    scope : Scope, optional
        Only what this scope may read (a token's, :func:`orggraph.access.scope_of`).
    as_of : ISO date, optional
        The day (default today).
    pii : bool
        Whether the caller may see personal data in full (a token with ``pii``; ``--unmask``).
    limit : int
        The most hits listed (at least 1); ``more`` says whether others were left off.

    Returns
    -------
    Search
        ``{"query", "as_of", "hits": [{"id", "kind", "match"}], "more", "phone_needs_pii"}``.

    Raises
    ------
    ValueError
        An empty text, one longer than :data:`MAX_QUERY`, a limit under 1, an unknown kind, or ``as_of``
        not an ISO date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "s.db"))
    >>> _ = store.load([("node", "1", {"id": "b3", "kind": "Area", "name": "桂花社区3号楼", "level": "building"}),
    ...     ("node", "2", {"id": "h1", "kind": "Household", "address": "桂花社区3号楼2单元501室", "phone": "13900005678"}),
    ...     ("node", "3", {"id": "m1", "kind": "Member", "name": "王芳", "phone": "13800015678"}),
    ...     ("edge", "4", {"type": "LOCATED_IN", "source": "h1", "target": "b3"}),
    ...     ("edge", "5", {"type": "CONTACTS", "source": "m1", "target": "h1"})])
    >>> [(h["id"], h["match"]) for h in search(store, "3号楼", as_of="2024-05-01")["hits"]]
    [('b3', 'name'), ('h1', 'address')]
    >>> [(h["id"], h["match"]) for h in search(store, "5678", as_of="2024-05-01")["hits"]]
    [('h1', 'phone'), ('m1', 'phone')]
    >>> search(store, "501室", as_of="2024-05-01")["hits"], search(store, "501室", as_of="2024-05-01", pii=True)["hits"]
    ([], [{'id': 'h1', 'kind': 'Household', 'match': 'address'}])
    >>> found = search(store, "00015678", as_of="2024-05-01")
    >>> found["hits"], found["phone_needs_pii"]
    ([], True)
    >>> search(store, "00015678", as_of="2024-05-01", pii=True)["hits"]
    [{'id': 'm1', 'kind': 'Member', 'match': 'phone'}]
    >>> search(store, "m1", kinds=["Member"], limit=1)["hits"]
    [{'id': 'm1', 'kind': 'Member', 'match': 'id'}]
    """
    query = text.strip() if isinstance(text, str) else ""
    if query and not _is_text(query):
        raise ValueError("a search's text holds a character that is no text (a lone surrogate)")
    if not query:
        raise ValueError("a search needs a text: part of a name or an address, a phone's last "
                         f"{PHONE_DIGITS_SHOWN} digits or more, or an id")
    if len(query) > MAX_QUERY:
        raise ValueError(f"a search's text is at most {MAX_QUERY} characters, got {len(query)}")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a whole number of at least 1, got {limit!r}")
    chosen = _kinds(kinds)
    facts = store.facts()
    day = day_of(facts, as_of, ())
    taking_part = _TakingPart(facts, day)

    def readable(kind: str, node_id: str) -> bool:
        return (scope is None or scope.sees(node_id)) and taking_part(kind, node_id)

    lowered = _lower(query)
    digits = _phone_digits(query)
    phone_needs_pii = digits is not None and len(digits) > PHONE_DIGITS_SHOWN and not pii
    if phone_needs_pii:
        digits = None
    phone_texts = _phone_texts(digits) if digits is not None else []
    found: dict[str, list[SearchHit]] = {match: [] for match in SEARCH_MATCHES}
    kind = store.kinds_of([query]).get(query)
    if kind in chosen and readable(kind, query):
        found["id"].append(_hit(query, kind, "id"))
    need = limit + 1 - len(found["id"])  # one past the limit: whether more are left off

    def take(record: dict[str, Any]) -> str | None:
        node_id, kind = record["id"], record["kind"]
        if node_id == query:
            return None  # found by its id, or not for this scope and day
        match = _match(record, lowered, digits, pii)
        if match is None or not readable(kind, node_id):
            return None
        found[match].append(_hit(node_id, kind, match))
        return match

    # the names (and members' phones), every kind but the households in one pass in id order, until enough
    # names are found: every other hit comes after them
    with contextlib.ExitStack() as stack:
        streams = [stack.enter_context(_reading(store.search_nodes(
            k, [query, *(phone_texts if k == "Member" else [])], among=_among(scope, k))))
            for k in chosen if k != "Household"]
        for record in heapq.merge(*streams, key=lambda r: r["id"]):
            if take(record) == "name" and len(found["name"]) >= need:
                break
    # the households' addresses (and phones), until enough addresses are found; without pii, an address
    # only by the part its mask shows (the store leaves out at once most of those that show nothing of it)
    if "Household" in chosen and len(found["name"]) < need:
        rest = need - len(found["name"])
        rows = store.search_nodes("Household", [query, *phone_texts] if pii else phone_texts,
                                  head=None if pii else query, among=_among(scope, "Household"))
        with _reading(rows):
            for record in rows:
                if take(record) == "address" and len(found["address"]) >= rest:
                    break
    found["phone"].sort(key=lambda h: h["id"])
    hits = [hit for match in SEARCH_MATCHES for hit in found[match]]
    return {"query": query, "as_of": day.as_of, "hits": hits[:limit], "more": len(hits) > limit,
            "phone_needs_pii": phone_needs_pii}


def households_in(
    store: Store,
    area: str,
    *,
    as_of: str | _dt.date | None = None,
    scope: Scope | None = None,
    pii: bool = False,
) -> list[str]:
    """The households located on the day in an area or in any area within it (a building's, a grid's, a
    whole street's), each once, ordered by address, then by id.

    ``LOCATED_IN`` and ``WITHIN`` count as they are on the day (:class:`orggraph.facts.Territory`): a
    household that moved in later, or out before, is not listed, nor is one in a building that lay within
    the area only on other days. A household with no address comes after those with one. Without ``pii``
    they are ordered by the address as masked (down to the building), then by id, so that the order tells
    nothing of the rooms the mask hides.

    Parameters
    ----------
    store : Store
        The store, on either backend.
    area : str
        The area's id.
    as_of : ISO date, optional
        The day (default today).
    scope : Scope, optional
        Only the households this scope may read (a token's); an area it may not read is not found.
    pii : bool
        Whether the caller may see personal data in full (then ordered by the whole address).

    Returns
    -------
    list of str
        Household ids: callers name them (:func:`orggraph.report.names_of`), masked unless ``pii``.

    Raises
    ------
    NotFound
        ``area`` is not an area, or not one the scope may read, or it takes no part on the day.
    ValueError
        ``as_of`` is not an ISO date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "h.db"))
    >>> _ = store.load([("node", "1", {"id": "g1", "kind": "Area", "name": "第1网格", "level": "grid"}),
    ...     ("node", "2", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...     ("node", "3", {"id": "h1", "kind": "Household", "address": "1号楼201室"}),
    ...     ("node", "4", {"id": "h2", "kind": "Household", "address": "1号楼101室"}),
    ...     ("edge", "5", {"type": "WITHIN", "source": "b1", "target": "g1"}),
    ...     ("edge", "6", {"type": "LOCATED_IN", "source": "h1", "target": "b1"}),
    ...     ("edge", "7", {"type": "LOCATED_IN", "source": "h2", "target": "b1", "since": "2024-01-01"})])
    >>> households_in(store, "g1", as_of="2024-06-01", pii=True), households_in(store, "g1", as_of="2024-06-01")
    (['h2', 'h1'], ['h1', 'h2'])
    >>> households_in(store, "b1", as_of="2023-06-01")
    ['h1']
    """
    if not _is_text(area) or (scope is not None and not scope.sees(area)):
        raise NotFound(f"no area with id {area!r}")
    facts = store.facts()
    day = day_of(facts, as_of, ())
    territory = facts.territory(day)
    within = [territory.ids[a] for a in territory.below(area_position(territory, area))]
    found = facts.households(day, "all", within)
    if scope is not None:
        found = [h for h in found if h in scope.households]
    records = store.nodes_of(found)

    def order(household: str) -> tuple[int, str, str]:
        address = records.get(household, {}).get("address")
        if not isinstance(address, str):
            return (1, "", household)
        return (0, address if pii else mask_address(address) or "", household)

    return sorted(found, key=order)


#: the relations a member's profile lists, by type: the key it lists them under, and the key of the far end
_PROFILE = {"CONTACTS": ("contacts", "household"), "HOLDS_POST": ("posts", "org"), "ASSIGNED_TO": ("assigned", "area"),
            "EMPLOYED_BY": ("units", "unit"), "SUNK_TO": ("sunk_to", "org"), "MEMBER_OF": ("member_of", "org"),
            "RESIDES_IN": ("resides_in", "household")}


def member_profile(
    store: Store,
    member: str,
    *,
    as_of: str | _dt.date | None = None,
    scope: Scope | None = None,
) -> Profile:
    """A member's record of relations on a day: each relation valid on it, with its dates.

    - ``contacts``: the households it contacts (``CONTACTS``, 包保), by household;
    - ``posts``: the posts it holds (``HOLDS_POST``): organization and post, by rank (secretary first), then
      organization;
    - ``assigned``: the areas it is assigned to (``ASSIGNED_TO``) and in what role, by role, then area;
    - ``units``: the units that employ it and send it down (``EMPLOYED_BY``);
    - ``sunk_to``: the organizations it reported to (``SUNK_TO``, 下沉报到), each with the areas it governs
      on the day: the community the member is registered in;
    - ``member_of``: the organizations it belongs to (``MEMBER_OF``);
    - ``resides_in``: its own household (``RESIDES_IN``, a 党员中心户).

    ``available`` is whether its record is not marked unavailable. With a ``scope``, a relation to a record
    the scope may not read is left out, as if it were not there.

    Parameters
    ----------
    store : Store
        The store, on either backend.
    member : str
        The member's id.
    as_of : ISO date, optional
        The day (default today).
    scope : Scope, optional
        What this scope may read (a token's).

    Returns
    -------
    Profile
        ``{"member", "as_of", "available", "contacts": [{"household", "since", "until"}], "posts": [{"org",
        "post", ...}], "assigned": [{"area", "role", ...}], "units": [{"unit", ...}], "sunk_to": [{"org",
        "areas", ...}], "member_of": [{"org", ...}], "resides_in": [{"household", ...}]}``.

    Raises
    ------
    NotFound
        ``member`` is not a member, or not one the scope may read (alike: a caller answers both 404).
    ValueError
        ``as_of`` is not an ISO date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> _ = store.load([("node", "1", {"id": "m1", "kind": "Member", "name": "王芳"}),
    ...     ("node", "2", {"id": "h1", "kind": "Household"}), ("node", "3", {"id": "h2", "kind": "Household"}),
    ...     ("node", "4", {"id": "o1", "kind": "Org", "name": "第1网格党支部", "level": "grid"}),
    ...     ("edge", "5", {"type": "CONTACTS", "source": "m1", "target": "h1", "until": "2023-12-31"}),
    ...     ("edge", "6", {"type": "CONTACTS", "source": "m1", "target": "h2", "since": "2024-01-01"}),
    ...     ("edge", "7", {"type": "HOLDS_POST", "source": "m1", "target": "o1", "post": "secretary"})])
    >>> profile = member_profile(store, "m1", as_of="2024-05-01")
    >>> profile["contacts"], profile["posts"]
    ([{'household': 'h2', 'since': '2024-01-01', 'until': None}], [{'org': 'o1', 'post': 'secretary', 'since': None, 'until': None}])
    >>> [c["household"] for c in member_profile(store, "m1", as_of="2023-05-01")["contacts"]]
    ['h1']
    >>> member_profile(store, "h1")
    Traceback (most recent call last):
    ...
    orggraph.exceptions.NotFound: no member with id 'h1'
    """
    if not _is_text(member) or (scope is not None and not scope.sees(member)):
        raise NotFound(f"no member with id {member!r}")
    day = parse_day(as_of)
    record = store.nodes_of([member]).get(member)
    if record is None or record["kind"] != "Member":
        raise NotFound(f"no member with id {member!r}")
    readable = scope.sees if scope is not None else (lambda _: True)
    lists: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in _PROFILE.values()}
    for edge in store.edges_of(member):
        kept = _PROFILE.get(edge["type"])
        if kept is None or edge["source"] != member or not valid_on(edge, day) or not readable(edge["target"]):
            continue
        key, end = kept
        tie: dict[str, Any] = {end: edge["target"]}
        if edge["type"] == "HOLDS_POST":
            tie["post"] = edge.get("post")
        elif edge["type"] == "ASSIGNED_TO":
            tie["role"] = edge.get("role")
        elif edge["type"] == "SUNK_TO":
            tie["areas"] = sorted({e["target"] for e in store.edges_of(edge["target"], "GOVERNS")
                                   if e["source"] == edge["target"] and valid_on(e, day) and readable(e["target"])})
        lists[key].append({**tie, "since": edge.get("since"), "until": edge.get("until")})
    lists["posts"].sort(key=lambda t: (POST_RANK.get(t["post"], len(POST_RANK)), t["org"], t["since"] or ""))
    lists["assigned"].sort(key=lambda t: (ROLE_RANK.get(t["role"], len(ROLE_RANK)), t["area"], t["since"] or ""))
    for key, end in (("contacts", "household"), ("units", "unit"), ("sunk_to", "org"), ("member_of", "org"),
                     ("resides_in", "household")):
        lists[key].sort(key=lambda t, end=end: (t[end], t["since"] or ""))
    return {"member": member, "as_of": day, "available": record.get("status") != "unavailable",  # type: ignore[typeddict-item]
            **lists}
