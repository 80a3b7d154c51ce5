"""Incidents kept as records: the call sheet as it stood when opened, each door's outcome, and progress."""

from __future__ import annotations

import datetime as _dt
import secrets
import threading
import unicodedata
import weakref
import zlib
from typing import TYPE_CHECKING, Any, Iterable

import orjson

from .exceptions import ChangeRefused, InvalidRecords, NotFound, RecordError
from .model import AREA_RANK
from .privacy import mask_text
from .queries.chain import assemble_chain
from .queries.gaps import DEFAULT_MAX_HOUSEHOLDS
from .queries.incident import sheet_parts
from .queries.plan import most_given
from .results import IncidentRecord, KeptSheet, Mark, Progress

if TYPE_CHECKING:
    from .access import Scope
    from .store.base import Store

__all__ = ["open_incident", "incidents", "get_incident", "call_sheet", "doors", "mark", "mark_many", "check_marks",
           "changed_outcomes", "sheet_households", "marks",
           "progress",
           "close_incident", "STATUSES", "SETTLED", "NOTE_LIMIT", "NAME_LIMIT"]

#: what a door's outcome may be: someone answered; nobody answered (knock again); someone answered and needs
#: help; nobody lives there any more; someone answered and refused
STATUSES = ("reached", "no_answer", "needs_help", "moved_out", "refused")
#: the outcomes that settle a door: it need not be knocked again
SETTLED = frozenset({"reached", "needs_help", "moved_out", "refused"})
#: the longest note a mark keeps, in characters
NOTE_LIMIT = 500
#: the longest name an incident takes, in characters
NAME_LIMIT = 200


#: the characters that turn the text around them (right-to-left overrides and isolates)
_DIRECTIONS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unshowable(text: str, lines: bool = False) -> str | None:
    """What keeps a text from being shown as written on a sheet: a control character (but a line break
    where ``lines``), a character no workbook can hold, or a direction override; None if nothing."""
    for at, char in enumerate(text, 1):
        if lines and char in "\r\n":
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Cn", "Zl", "Zp") or char in _DIRECTIONS:
            return (f"holds U+{ord(char):04X} at character {at}, which no sheet can show: write it as "
                    + ("plain text" if lines else "one line of plain text"))
    return None


def _clean_note(note: Any) -> str | None:
    """A note as kept: its line breaks one way, no space at either end; None for an empty one."""
    if not isinstance(note, str):
        return None
    note = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    return note or None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


class _Sheet:
    """A kept call sheet, unpacked: the rows in the sheet's order and the parts their chains are made of."""

    def __init__(self, data: dict[str, Any]):
        self.as_of: str = data["as_of"]
        self.rows: list[list[Any]] = data["rows"]  # [household, upward key, contacts, vulnerable, people, stand_in, unassigned]
        self.upward: list[list[list[Any]]] = data["upward"]
        self.units: dict[str, list[list[Any]]] = data["units"]
        self.answers: dict[str, Any] = {org: tuple(a) if a is not None else None for org, a in data["answers"].items()}
        self.weak: set[str] = set(data["weak"])
        self.areas: dict[str, list[Any]] = data["areas"]  # area -> [name, level]
        self.position = {row[0]: i for i, row in enumerate(self.rows)}

    def chain(self, row: list[Any]) -> Any:
        household, key, contacts = row[0], row[1], row[2]
        return assemble_chain(household, self.as_of, [(m, [(u, list(o)) for u, o in self.units.get(m, ())]) for m in contacts],
                              [(a, list(assigned), list(orgs)) for a, assigned, orgs in self.upward[key]],
                              self.answers, self.weak)

    def caller(self, row: list[Any]) -> str | None:
        """Who is to knock on this door: its first contact, or else its stand-in."""
        if row[2]:
            return row[2][0]
        return row[5]["member"] if row[5] else None

    def area_ids(self, row: list[Any]) -> list[str]:
        """The household's areas and every area above them, nearest first."""
        return [a for a, _, _ in self.upward[row[1]]]


def _pack(parts: dict[str, Any]) -> bytes:
    """The sheet's parts (:func:`orggraph.queries.incident.sheet_parts`) as JSON: each household's row, and
    each chain's upper part once for all the households located alike."""
    chains = parts["chains"]
    keys: dict[tuple[int, ...], int] = {}
    upward: list[Any] = []
    rows = []
    contacts: set[str] = set()
    for row in parts["rows"]:
        key = keys.get(row["located"])
        if key is None:
            key = keys[row["located"]] = len(upward)
            upward.append(chains.upward(row["located"]))
        contacts.update(row["contacts"])
        rows.append([row["household"], key, row["contacts"], row["vulnerable"], row["people"], row["stand_in"],
                     row["unassigned"]])
    for member in contacts:
        chains.units(member)
    territory = parts["territory"]
    named = {a for up in upward for a, _, _ in up}
    areas = {a: [territory.names[territory.position[a]], territory.levels[territory.position[a]]] for a in sorted(named)}
    data = {"as_of": parts["as_of"], "rows": rows, "upward": upward, "units": chains.unit_table,
            "answers": chains.answers, "weak": sorted(chains.weak), "areas": areas}
    return orjson.dumps(data)


# What a process has read of each store's incidents: the sheets (which never change once kept) and the
# marks read so far (which are only ever added to), so that a mark or a progress report reads only what
# is new. Keyed by the store object, and gone with it.
_kept: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()
#: the sheets a process keeps unpacked for each store, at most
_SHEETS_KEPT = 16


def _memo(store: Store) -> dict[str, Any]:
    with _kept_lock:
        memo = _kept.get(store)
        if memo is None:
            memo = _kept[store] = {"sheets": {}, "marks": {}}
        return memo


def _sheet(store: Store, incident_id: str) -> _Sheet:
    sheets = _memo(store)["sheets"]
    sheet = sheets.get(incident_id)
    if sheet is None:
        packed = store.incident_sheet(incident_id) if isinstance(incident_id, str) else None
        if packed is None:
            raise NotFound(f"no incident with id {incident_id!r}")
        sheet = _Sheet(orjson.loads(zlib.decompress(packed)))
        while len(sheets) >= _SHEETS_KEPT:  # the oldest read first goes (a large one holds tens of MB)
            sheets.pop(next(iter(sheets)), None)
        sheets[incident_id] = sheet
    return sheet


class _Marks:
    """The marks of one incident read so far: the latest of each household, and how many each member made."""

    def __init__(self) -> None:
        self.after = 0
        self.latest: dict[str, dict[str, Any]] = {}
        self.made: dict[str, dict[str, int]] = {}  # member -> {household: marks}
        self.lock = threading.Lock()


def _marks_now(store: Store, incident_id: str) -> _Marks:
    memo = _memo(store)["marks"]
    with _kept_lock:
        kept = memo.setdefault(incident_id, _Marks())
    with kept.lock:
        for m in store.marks(incident_id, after=kept.after):
            kept.latest[m["household"]] = m
            made = kept.made.setdefault(m["by"], {})
            made[m["household"]] = made.get(m["household"], 0) + 1
            kept.after = m["seq"]
    return kept


def _row(store: Store, incident_id: str) -> dict[str, Any]:
    row = store.incident_row(incident_id) if isinstance(incident_id, str) else None
    if row is None:
        raise NotFound(f"no incident with id {incident_id!r}")
    return row


def _visible(sheet: _Sheet, scope: Scope | None) -> list[list[Any]]:
    return sheet.rows if scope is None else [r for r in sheet.rows if r[0] in scope.households]


def _record(row: dict[str, Any], sheet: _Sheet | None = None, scope: Scope | None = None) -> IncidentRecord:
    record: IncidentRecord = {
        "id": row["id"], "name": row["name"], "opened": row["opened"], "opened_by": row.get("opened_by"),
        "as_of": row["as_of"], "unavailable": row["unavailable"], "areas": row["areas"],
        "named_households": row["named_households"], "max_households": row["max_households"],
        "households": row["households"], "uncovered": row["uncovered"], "vulnerable": row["vulnerable"],
        "placed": row["placed"], "most_given": row["most_given"], "closed": row["closed"],
        "closed_by": row["closed_by"]}
    if scope is not None and sheet is not None:  # the figures of what the scope holds
        rows = _visible(sheet, scope)
        record["areas"] = [a for a in row["areas"] if a in scope.areas]
        record["named_households"] = [h for h in row["named_households"] if h in scope.households]
        record["households"] = len(rows)
        record["uncovered"] = sum(1 for r in rows if not r[2])
        record["vulnerable"] = sum(1 for r in rows if r[3])
        record["placed"] = sum(1 for r in rows if r[5])
        record["most_given"] = most_given(r[5] for r in rows)
    return record


def open_incident(
    store: Store,
    areas: Iterable[str] = (),
    households: Iterable[str] = (),
    *,
    name: str,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    max_households: int = DEFAULT_MAX_HOUSEHOLDS,
    by: str | None = None,
    scope: Scope | None = None,
) -> IncidentRecord:
    """Open an incident: its call sheet (:func:`orggraph.queries.incident`) as it stands now, kept with it.

    The sheet keeps every household of the areas (or within them) and those named, each with what its
    chain is made of and its stand-in, so that the sheet, the marks and the progress of the incident read
    the same whatever the records say later. With ``scope`` (an API token's), the areas and households must
    lie within it (one that does not answers as one that does not exist) and the stand-ins are its members.

    Parameters
    ----------
    store : Store
    areas, households : iterable of str
        The affected areas and households; at least one of either.
    name : str
        What the incident is called (``"7月暴雨 江滨街道"``), 1 to :data:`NAME_LIMIT` characters.
    as_of, unavailable, max_households
        As for :func:`orggraph.queries.incident`.
    by : str, optional
        Who opened it (``cli:USER``, a token's id), kept with it.
    scope : Scope, optional

    Returns
    -------
    IncidentRecord
        ``{"id", "name", "opened", "opened_by", "as_of", "unavailable", "areas", "named_households",
        "max_households", "households", "uncovered", "vulnerable", "placed", "most_given", "closed",
        "closed_by"}``; ``id`` is new (``inc-YYYYMMDD-xxxxxx``), ``opened`` an ISO time in UTC.

    Raises
    ------
    ValueError
        No area and no household, a name empty, too long, holding a control character or a phone- or
        id-card-shaped number (:func:`orggraph.privacy.mask_text`: a name is shown to every token that reads
        the incident), a negative ``max_households``.
    NotFound
        An area, a household or an unavailable member that does not exist (or lies outside ``scope``).

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "i.db"))
    >>> _ = store.load([("node", "1", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...                 ("node", "2", {"id": "h1", "kind": "Household"}),
    ...                 ("node", "3", {"id": "m1", "kind": "Member", "name": "王芳"}),
    ...                 ("edge", "4", {"type": "LOCATED_IN", "source": "h1", "target": "b1"}),
    ...                 ("edge", "5", {"type": "CONTACTS", "source": "m1", "target": "h1"})])
    >>> inc = open_incident(store, ["b1"], name="暴雨", as_of="2024-07-01")
    >>> inc["households"], inc["closed"]
    (1, None)
    >>> _ = mark(store, inc["id"], "h1", "reached", "m1")
    >>> progress(store, inc["id"])["overall"]["done"]
    1
    """
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise ValueError("who opens the incident (by) must not be empty")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LIMIT:
        raise ValueError(f"an incident needs a name of 1 to {NAME_LIMIT} characters")
    bad = _unshowable(name)
    if bad is not None:
        raise ValueError(f"the incident's name {bad}")
    if mask_text(name) != name:  # every token that reads the incident is shown its name, masked or not
        raise ValueError("an incident's name names the event, not a person: it holds a phone- or id-card-shaped "
                         "number; leave it out")
    areas, households = list(areas), list(households)
    if scope is not None:
        from .access import affected_within, unavailable_within

        affected_within(scope, areas, households)
        unavailable = unavailable_within(scope, unavailable)
    parts = sheet_parts(store, areas, households, as_of=as_of, unavailable=unavailable,
                        max_households=max_households, among=None if scope is None else scope.members)
    rows = parts["rows"]
    day = parts["as_of"]
    row = {"id": f"inc-{day.replace('-', '')}-{secrets.token_hex(3)}", "name": name.strip(), "opened": _now(),
           "opened_by": by, "as_of": day, "unavailable": parts["unavailable"], "areas": parts["areas"],
           "named_households": list(dict.fromkeys(households)), "max_households": max_households,
           "households": len(rows), "uncovered": sum(1 for r in rows if not r["contacts"]),
           "vulnerable": sum(1 for r in rows if r["vulnerable"]), "placed": parts["placed"],
           "most_given": parts["most_given"], "closed": None, "closed_by": None,
           # the areas its households lie in, each once (a token sees the incident when one of its own areas
           # is among them): what the list of incidents reads, rather than every sheet
           "reach": sorted({parts["territory"].ids[a] for r in rows for a in r["located"]})}
    store.save_incident(row, zlib.compress(_pack(parts), 1))
    return _record(row)


def _find(store: Store, incident_id: str, scope: Scope | None) -> tuple[dict[str, Any], _Sheet]:
    """The incident's row and sheet; NotFound if there is none, or none of its households lies in scope."""
    sheet = _sheet(store, incident_id)
    if scope is not None and not _visible(sheet, scope):
        raise NotFound(f"no incident with id {incident_id!r}")
    return _row(store, incident_id), sheet


def incidents(store: Store, *, scope: Scope | None = None, open_only: bool = False) -> list[IncidentRecord]:
    """Every incident, oldest first (open ones only with ``open_only``). With ``scope``, those with a
    household in it, their figures counting those households only."""
    out = []
    for row in store.incident_rows():
        if open_only and row["closed"] is not None:
            continue
        sheet = None
        if scope is not None:
            if "reach" in row and not any(a in scope.areas for a in row["reach"]):
                continue  # none of its households lies in the scope's areas: no sheet read
            sheet = _sheet(store, row["id"])
            if not _visible(sheet, scope):
                continue
        out.append(_record(row, sheet, scope))
    return out


def get_incident(store: Store, incident_id: str, *, scope: Scope | None = None) -> IncidentRecord:
    """One incident's record (see :func:`open_incident`).

    Raises
    ------
    NotFound
        No such incident, or none of its households lies within ``scope``.
    """
    row, sheet = _find(store, incident_id, scope)
    return _record(row, sheet, scope)


def call_sheet(store: Store, incident_id: str, *, scope: Scope | None = None) -> KeptSheet:
    """The incident's call sheet as it stood when opened, with each door's latest outcome.

    Returns
    -------
    KeptSheet
        As :func:`orggraph.queries.incident` answers, with ``incident`` (the record) and, in each entry,
        ``outcome``: the latest mark ``{"seq", "household", "status", "by", "note", "at", "recorded_by"}``,
        or None. With ``scope``, its households only.

    Raises
    ------
    NotFound
        As :func:`get_incident`.
    """
    row, sheet = _find(store, incident_id, scope)
    latest = _marks_now(store, incident_id).latest
    entries = []
    for r in _visible(sheet, scope):
        entries.append({"household": r[0], "covered": bool(r[2]), "vulnerable": r[3], "people": r[4],
                        "chain": sheet.chain(r), "stand_in": r[5], "unassigned": r[6], "outcome": latest.get(r[0])})
    record = _record(row, sheet, scope)
    return {"incident": record, "as_of": row["as_of"], "unavailable": row["unavailable"], "areas": record["areas"],
            "households": len(entries), "uncovered": sum(1 for e in entries if not e["covered"]),
            "vulnerable": sum(1 for e in entries if e["vulnerable"]), "placed": record["placed"],
            "most_given": record["most_given"], "entries": entries}  # type: ignore[typeddict-item]


def doors(store: Store, incident_id: str, *, scope: Scope | None = None, area: str | None = None,
          open_only: bool = False, households: Iterable[str] | None = None, start: int = 0,
          limit: int | None = None) -> dict[str, Any]:
    """A part of an incident's call sheet, a screen's worth: the doors in or below one area, those still
    open, or those named, from ``start`` on, at most ``limit``; each chain put together for those only, so
    that a page of a sheet of thousands of households reads in milliseconds.

    Parameters
    ----------
    area : str, optional
        Only the households located in or below this area (one of those the sheet's households lie in or
        below; with ``scope``, one of its areas).
    open_only : bool
        Only the doors not settled (no mark yet, or nobody answered: see :data:`SETTLED`).
    households : iterable of str, optional
        Only these households (those not on the sheet, or outside ``scope``, are passed over).
    start, limit : int
        The first of the matching doors to answer (from 0) and how many at most (None: all).

    Returns
    -------
    dict
        ``{"total": the doors matching, "start", "entries": [...]}``: the entries in the sheet's order
        (uncovered vulnerable first, as :func:`call_sheet`), each as :func:`call_sheet` gives it, with
        ``caller``: who is to knock, its first contact or else its stand-in (None if neither).

    Raises
    ------
    NotFound
        As :func:`get_incident`; or ``area`` is none the sheet's households lie in or below (or lies
        outside ``scope``).
    ValueError
        A negative ``start`` or ``limit``.
    """
    if start < 0 or (limit is not None and limit < 0):
        raise ValueError("start and limit must not be negative")
    _, sheet = _find(store, incident_id, scope)
    rows = _visible(sheet, scope)
    if area is not None:
        if area not in sheet.areas or (scope is not None and area not in scope.areas):
            raise NotFound(f"no area with id {area!r} on the call sheet of incident {incident_id}")
        below = {key for key, up in enumerate(sheet.upward) if any(a == area for a, _, _ in up)}
        rows = [r for r in rows if r[1] in below]
    if households is not None:
        wanted = set(households)
        rows = [r for r in rows if r[0] in wanted]
    latest = _marks_now(store, incident_id).latest
    if open_only:
        rows = [r for r in rows if r[0] not in latest or latest[r[0]]["status"] not in SETTLED]
    shown = rows[start:] if limit is None else rows[start:start + limit]
    return {"total": len(rows), "start": start, "entries": [
        {"household": r[0], "covered": bool(r[2]), "vulnerable": r[3], "people": r[4], "chain": sheet.chain(r),
         "stand_in": r[5], "unassigned": r[6], "outcome": latest.get(r[0]), "caller": sheet.caller(r)}
        for r in shown]}


def _check(store: Store, incident_id: str, sheet: _Sheet, items: list[dict[str, Any]], scope: Scope | None,
           places: list[str]) -> list[RecordError]:
    errors: list[RecordError] = []
    members = {i.get("by") for i in items if isinstance(i.get("by"), str)}
    kinds = store.kinds_of(sorted(members)) if members else {}
    for item, where in zip(items, places):
        household, status, by, note = item.get("household"), item.get("status"), item.get("by"), item.get("note")
        if not isinstance(household, str) or household not in sheet.position or (
                scope is not None and household not in scope.households):
            errors.append(RecordError(where, "household", f"{household!r} is not on the call sheet of incident "
                                                          f"{incident_id}"))
        if status not in STATUSES:
            errors.append(RecordError(where, "status", f"{status!r} is not an outcome; one of {', '.join(STATUSES)}"))
        if not isinstance(by, str) or kinds.get(by) != "Member" or (scope is not None and not scope.sees(by)):
            errors.append(RecordError(where, "by", f"no member with id {by!r}" if by not in (None, "")
                                      else "who knocked is missing: a member's id"))
        if note is not None and (not isinstance(note, str) or len(note) > NOTE_LIMIT):
            errors.append(RecordError(where, "note", f"must be text of at most {NOTE_LIMIT} characters"))
        elif isinstance(note, str) and (bad := _unshowable(note, lines=True)) is not None:
            errors.append(RecordError(where, "note", bad))
    return errors


def sheet_households(store: Store, incident_id: str, *, scope: Scope | None = None) -> frozenset[str]:
    """The households of an incident's call sheet (those within ``scope``).

    Raises
    ------
    NotFound
        As :func:`get_incident`.
    """
    _, sheet = _find(store, incident_id, scope)
    return frozenset(r[0] for r in _visible(sheet, scope))


def _closed(incident_id: str, when: str) -> ChangeRefused:
    return ChangeRefused([f"incident {incident_id} was closed at {when}: it takes no more marks"])


def check_marks(store: Store, incident_id: str, items: Iterable[dict[str, Any]], *, scope: Scope | None = None,
                places: Iterable[str] | None = None) -> None:
    """Make every check :func:`mark_many` makes, and write nothing; raises as it does."""
    items = list(items)
    places = list(places) if places is not None else [f"mark {i}" for i in range(1, len(items) + 1)]
    row, sheet = _find(store, incident_id, scope)
    errors = _check(store, incident_id, sheet, items, scope, places)
    if errors:
        raise InvalidRecords(errors)
    if row["closed"] is not None:
        raise _closed(incident_id, row["closed"])


def changed_outcomes(store: Store, incident_id: str, items: list[dict[str, Any]], *, scope: Scope | None = None,
                     places: list[str] | None = None) -> list[dict[str, Any]]:
    """Of outcomes read back from a printed call sheet, those to mark: each item with ``printed``, the number
    of the mark its row was printed with (None if the door had none).

    A row that reads as it was printed (its outcome, who, and its note, or the note as printed masked) is no
    new mark; a changed row whose note is the printed mask keeps the note of the mark printed, never the
    mask. A door marked again since the sheet was printed is not overwritten by the paper: its row, read
    as printed, is passed over (the later mark stands); changed, it is refused, naming the later mark.

    Raises
    ------
    InvalidRecords
        Each row whose door was marked again since the sheet was printed; nothing is taken.
    """
    from .privacy import mask_record

    _find(store, incident_id, scope)
    latest = _marks_now(store, incident_id).latest
    places = places if places is not None else [f"row {i.get('row')}" for i in items]
    wanted = {i.get("printed") for i in items if i.get("printed")}
    printed_marks = {m["seq"]: m for m in store.marks(incident_id) if m["seq"] in wanted} if wanted else {}
    changed, errors = [], []
    for item, where in zip(items, places):
        printed = printed_marks.get(item.get("printed")) if item.get("printed") else None
        last = latest.get(item.get("household"))
        note = _clean_note(item.get("note"))
        same = False
        # as printed (a mark made since stands), or as the door's latest mark (the same sheet read back again,
        # filled in further): no new mark; a note shown masked is the note itself
        for known in (printed, last):
            if known is None:
                continue
            if known["note"] and note == mask_record({"note": known["note"]}, False)[0]["note"]:
                note = known["note"]
            if (item.get("status"), item.get("by"), note) == (known["status"], known["by"], known["note"]):
                same = True
                break
        if same:
            continue
        if last is not None and (printed is None or last["seq"] > printed["seq"]):
            errors.append(RecordError(where, "status", f"{item.get('household')} was marked again after this sheet "
                                      f"was printed (mark {last['seq']}: {last['status']} by {last['by']} at "
                                      f"{last['at']}): print the sheet again, or mark the door with orggraph "
                                      "incident mark"))
            continue
        changed.append({**item, "note": note})
    if errors:
        raise InvalidRecords(errors)
    return changed


def mark_many(store: Store, incident_id: str, items: Iterable[dict[str, Any]], *, recorded_by: str | None = None,
              scope: Scope | None = None, places: Iterable[str] | None = None) -> list[Mark]:
    """Record doors' outcomes, all or nothing: each item ``{"household", "status", "by", "note"}``.

    A later mark of a household supersedes the earlier ones in the sheet and the progress; every mark is
    kept. Each is stamped with the time and ``recorded_by`` (``cli:USER``, a token's id).

    Parameters
    ----------
    items : iterable of dict
        ``household`` on the incident's call sheet (and within ``scope``), ``status`` one of
        :data:`STATUSES`, ``by`` the member who knocked (one ``scope`` may read), ``note`` optional text.
    places : iterable of str, optional
        How each item is named in errors (``"sheet 应急联络单, row 7"``); ``mark 1``, ``mark 2``... if not given.

    Returns
    -------
    list of Mark
        ``{"seq", "household", "status", "by", "note", "at", "recorded_by"}`` each, in order.

    Raises
    ------
    NotFound
        No such incident (or none of it within ``scope``).
    InvalidRecords
        Naming each item, field and fault, all at once; nothing is written.
    ChangeRefused
        The incident is closed; nothing is written.
    """
    items = list(items)
    check_marks(store, incident_id, items, scope=scope, places=places)
    at = _now()
    rows = [{"household": i["household"], "status": i["status"], "by": i["by"], "note": _clean_note(i.get("note")),
             "at": at, "recorded_by": recorded_by} for i in items]
    numbers = store.append_marks(incident_id, rows)
    if numbers is None:  # closed meanwhile
        raise _closed(incident_id, _row(store, incident_id)["closed"])
    return [{"seq": n, **r} for n, r in zip(numbers, rows)]  # type: ignore[typeddict-item]


def mark(store: Store, incident_id: str, household: str, status: str, by: str, *, note: str | None = None,
         recorded_by: str | None = None, scope: Scope | None = None) -> Mark:
    """Record one door's outcome; see :func:`mark_many`, whose errors it raises (the item named ``mark``)."""
    return mark_many(store, incident_id, [{"household": household, "status": status, "by": by, "note": note}],
                     recorded_by=recorded_by, scope=scope, places=["mark"])[0]


def marks(store: Store, incident_id: str, *, household: str | None = None, scope: Scope | None = None) -> list[Mark]:
    """Every mark of an incident (of one household), oldest first, superseded ones included.

    Raises
    ------
    NotFound
        As :func:`get_incident`.
    """
    _, sheet = _find(store, incident_id, scope)
    shown = None if scope is None else {r[0] for r in _visible(sheet, scope)}
    return [m for m in store.marks(incident_id)  # type: ignore[misc]
            if (household is None or m["household"] == household) and (shown is None or m["household"] in shown)]


def close_incident(store: Store, incident_id: str, *, by: str | None = None, scope: Scope | None = None) -> IncidentRecord:
    """Close an incident: it takes no more marks; its sheet, marks and progress stay.

    Raises
    ------
    NotFound
        As :func:`get_incident`.
    ChangeRefused
        It is closed already.
    OutsideScope
        With ``scope``: some of its households lie outside it.
    """
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise ValueError("who closes the incident (by) must not be empty")
    row, sheet = _find(store, incident_id, scope)
    if scope is not None and len(_visible(sheet, scope)) != len(sheet.rows):
        from .access import OutsideScope

        raise OutsideScope([RecordError(f"incident {incident_id}", None, "has households outside this token's "
                                        "areas: only a token whose areas hold all of them may close it")])
    if not store.close_incident(incident_id, _now(), by):
        raise ChangeRefused([f"incident {incident_id} was closed already, at {_row(store, incident_id)['closed']}"])
    return _record(_row(store, incident_id), sheet, scope)


def _figures() -> dict[str, int]:
    return {"households": 0, "vulnerable": 0, "unmarked": 0, **{s: 0 for s in STATUSES}, "open": 0, "done": 0,
            "vulnerable_open": 0}


class _Base:
    """A progress report with no door marked, for the households a scope shows: what each mark then changes."""

    def __init__(self, sheet: _Sheet, scope: Scope | None):
        self.rows = _visible(sheet, scope)
        self.targets: dict[str, list[str]] = {}  # household -> the areas it counts in
        self.overall = _figures()
        self.areas: dict[str, dict[str, int]] = {}
        self.doors: dict[str, int] = {}
        self.caller: dict[str, str] = {}
        self.vulnerable: list[str] = []
        self.vulnerable_of: dict[str, int] = {}
        per_key: dict[int, list[str]] = {}
        counts: dict[int, list[int]] = {}  # upward key -> [households, vulnerable]
        for r in self.rows:
            household, vulnerable, key = r[0], int(r[3]), r[1]
            ids = per_key.get(key)
            if ids is None:
                ids = per_key[key] = [a for a in sheet.area_ids(r) if scope is None or a in scope.areas]
                counts[key] = [0, 0]
            self.targets[household] = ids
            self.vulnerable_of[household] = vulnerable
            c = counts[key]
            c[0] += 1
            c[1] += vulnerable
            caller = sheet.caller(r)
            if caller is not None:
                self.caller[household] = caller
                self.doors[caller] = self.doors.get(caller, 0) + 1
            if vulnerable:
                self.vulnerable.append(household)
        for key, (n, v) in counts.items():  # the households located alike counted at once in their areas
            for f in [self.overall, *(self.areas.setdefault(a, _figures()) for a in per_key[key])]:
                f["households"] += n
                f["vulnerable"] += v
                f["unmarked"] += n
                f["open"] += n
                f["vulnerable_open"] += v
        # the widest first (the model's ranks), then by id
        self.order = sorted(self.areas, key=lambda a: (AREA_RANK.get(sheet.areas[a][1], len(AREA_RANK)), a))


def _base(store: Store, incident_id: str, sheet: _Sheet, scope: Scope | None) -> _Base:
    bases = _memo(store).setdefault("bases", {})
    key = (incident_id, scope)
    base = bases.get(key)
    if base is None:
        if len(bases) > 64:
            bases.clear()
        base = bases[key] = _Base(sheet, scope)
    return base


def progress(store: Store, incident_id: str, *, scope: Scope | None = None) -> Progress:
    """How far the door-to-door action has got, by area and overall, from each door's latest mark.

    A door is *done* when its latest outcome settles it (:data:`SETTLED`: reached, needs help, moved out,
    refused); *open* otherwise (no mark yet, or nobody answered).

    Returns
    -------
    Progress
        ``{"incident", "name", "as_of", "closed", "marks", "overall": figures, "areas": [{"id", "name",
        "level", **figures}], "vulnerable_open": [household], "needs_help": [household], "markers":
        [{"member", "marks", "doors", "doors_done"}]}``. Figures: ``households``, ``vulnerable``,
        ``unmarked``, one count for each status of :data:`STATUSES` (by latest mark), ``open``, ``done``,
        ``vulnerable_open``, ``rate`` (done / households; 1.0 for none). Areas: each area the sheet's
        households lie in or below (with ``scope``, its own areas only), by level from the widest, then by
        id. ``vulnerable_open`` and ``needs_help`` in the sheet's order (uncovered vulnerable first).
        ``markers``: every member who marked a door, or who is to knock on one (its first contact, or its
        stand-in): marks made (of the doors shown), doors to knock and of those done; the most marks first,
        then the most doors, then by id, so that who has marked most leads and who has marked least, with
        the most doors waiting, comes last but for those with fewer.

    Raises
    ------
    NotFound
        As :func:`get_incident`.
    """
    row, sheet = _find(store, incident_id, scope)
    kept = _marks_now(store, incident_id)
    base = _base(store, incident_id, sheet, scope)
    overall = dict(base.overall)
    areas = {a: dict(f) for a, f in base.areas.items()}
    done_by: dict[str, int] = {}
    needs: set[str] = set()
    settled: set[str] = set()
    for household, last in kept.latest.items():
        targets = base.targets.get(household)
        if targets is None:  # not shown to this scope
            continue
        status, vulnerable = last["status"], base.vulnerable_of[household]
        done = status in SETTLED
        for f in [overall, *(areas[a] for a in targets)]:
            f["unmarked"] -= 1
            f[status] += 1
            if done:
                f["open"] -= 1
                f["done"] += 1
                f["vulnerable_open"] -= vulnerable
        if done:
            settled.add(household)
            caller = base.caller.get(household)
            if caller is not None:
                done_by[caller] = done_by.get(caller, 0) + 1
        if status == "needs_help":
            needs.add(household)

    def rated(f: dict[str, int]) -> dict[str, Any]:
        return {**f, "rate": f["done"] / f["households"] if f["households"] else 1.0}

    markers: dict[str, list[int]] = {}
    total = 0
    for member, made in kept.made.items():
        count = sum(n for h, n in made.items() if h in base.targets)
        total += count
        if count and (scope is None or scope.sees(member)):
            markers[member] = [count, 0, 0]
    for member, count in base.doors.items():
        markers.setdefault(member, [0, 0, 0])[1:] = [count, done_by.get(member, 0)]
    return {
        "incident": incident_id, "name": row["name"], "as_of": row["as_of"], "closed": row["closed"],
        "marks": total,
        "overall": rated(overall),  # type: ignore[typeddict-item]
        "areas": [{"id": a, "name": sheet.areas[a][0], "level": sheet.areas[a][1], **rated(areas[a])}
                  for a in base.order],
        "vulnerable_open": [h for h in base.vulnerable if h not in settled],
        "needs_help": [r[0] for r in base.rows if r[0] in needs] if needs else [],
        "markers": [{"member": m, "marks": v[0], "doors": v[1], "doors_done": v[2]}
                    for m, v in sorted(markers.items(), key=lambda p: (-p[1][0], -p[1][1], p[0]))],
    }  # type: ignore[typeddict-item]
