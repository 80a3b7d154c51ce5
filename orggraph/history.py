"""The history of the records: who changed what, when, how and why, one entry a write."""

from __future__ import annotations

import datetime as _dt
import getpass
import os
from typing import Any, Mapping

from typing_extensions import NotRequired, TypedDict  # what pydantic reads as an answer's shape (the API)

__all__ = ["Entry", "Written", "Tally", "IDS_AT_MOST", "KINDS", "default_by", "now", "entry_nodes", "key_text", "kept_text",
           "entry_text", "entry_within"]

#: record keys an entry keeps at most; past it the entry keeps its counts only and says so (``complete``)
IDS_AT_MOST = 100_000

#: what kind of write an entry records
KINDS = ("load", "import", "create", "update", "delete", "move", "split", "merge", "relocate", "handover", "cover")


class Written(TypedDict):
    """What a write is recorded as, before the store adds what it changed: handed to a store's ``load``
    and ``delete`` (``history=``)."""

    #: one of :data:`KINDS`
    kind: str
    #: who: ``token:ID`` for the API, ``cli:USER`` or the name given for the command line
    by: str | None
    #: why, in the words of whoever made the change
    note: NotRequired[str | None]
    #: the day a restructuring takes effect (``YYYY-MM-DD``), for the changes of :mod:`orggraph.changes`
    on: NotRequired[str | None]


class Entry(Written):
    """One entry of the history, as a store gives it back.

    A record is named by its key only: a node by its id, an edge by ``[type, source, target, since]``
    (``since`` None when it has none). Nothing else of a record is kept, so no personal data.
    """

    #: the entry's number, growing with each entry
    id: int
    #: when, an ISO time in UTC
    at: str
    #: records the write added
    added: list[Any]
    #: records whose properties it changed
    changed: list[Any]
    #: edges it ended: gave an ``until``, or an earlier one, and changed nothing else
    ended: list[Any]
    #: records it removed (a removed node's own edges are counted, not listed)
    removed: list[Any]
    #: ``{"added", "changed", "ended", "removed"}``: how many, whether or not all are listed
    counts: dict[str, int]
    #: False when a write touched more than :data:`IDS_AT_MOST` records and the lists were cut there
    complete: bool


def now() -> str:
    """The time now, in UTC, to the second, as an ISO string.

    Examples
    --------
    >>> now().endswith("+00:00")
    True
    """
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def default_by() -> str:
    """Who made a change on this machine when nobody is named: ``cli:`` and the system user.

    Examples
    --------
    >>> default_by().startswith("cli:")
    True
    """
    try:
        user = getpass.getuser()
    except Exception:  # no user name to be had (a container without one)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


class Tally:
    """What a write changes, record by record, told from what the store held before it.

    Counts everything; keeps the keys of up to ``most`` records (:data:`IDS_AT_MOST`).

    Examples
    --------
    >>> t = Tally()
    >>> t.all_added(["h1"])
    >>> t.note("changed", "h2")
    >>> t.edge(["LOCATED_IN", "h2", "b1", None], new=False, same=True, until="2024-06-30", before=None)
    >>> t.added, t.changed, t.ended, t.counts
    (['h1'], ['h2'], [['LOCATED_IN', 'h2', 'b1', None]], {'added': 1, 'changed': 1, 'ended': 1, 'removed': 0})
    """

    def __init__(self, most: int | None = None):
        self.most = IDS_AT_MOST if most is None else most
        self.added: list[Any] = []
        self.changed: list[Any] = []
        self.ended: list[Any] = []
        self.removed: list[Any] = []
        self.counts = {"added": 0, "changed": 0, "ended": 0, "removed": 0}
        self._kept = 0

    @property
    def complete(self) -> bool:
        return sum(self.counts.values()) <= self.most

    def __bool__(self) -> bool:
        return any(self.counts.values())

    def note(self, what: str, key: Any, count: int = 1) -> None:
        """Count ``count`` records of one kind of change (``added``, ``changed``, ``ended``, ``removed``),
        keeping ``key`` while there is room."""
        self.counts[what] += count
        if key is not None and self._kept < self.most:
            getattr(self, what).append(key)
            self._kept += 1

    @property
    def room(self) -> bool:
        """Whether more keys are kept."""
        return self._kept < self.most

    def all_added(self, keys: list[Any] | int) -> None:
        """Count records that are all new (``keys``, or how many when there is no :attr:`room` for them)."""
        if isinstance(keys, int):
            self.counts["added"] += keys
            return
        room = max(self.most - self._kept, 0)
        self.added.extend(keys[:room])
        self._kept += min(room, len(keys))
        self.counts["added"] += len(keys)

    def edge(self, key: list[Any], *, new: bool, same: bool, until: str | None, before: str | None) -> None:
        """One edge about to be written that differs from what is stored: ``new``, or with the ``same``
        other properties and ``until`` where it had ``before``. Given an until, or an earlier one, and
        nothing else changed, it is ended; else changed."""
        ended = same and until is not None and (before is None or until < before)
        self.note("added" if new else "ended" if ended else "changed", key)

    def entry(self, written: Written | None, *, at: str | None = None) -> dict[str, Any]:
        """The entry to keep (without its number): ``written`` (a plain load by nobody named when None),
        the time, and what this tally found."""
        written = dict(written or {"kind": "load", "by": None})
        return {"at": at or now(), "kind": written.get("kind") or "load", "by": kept_text(written.get("by"), "by"),
                "note": kept_text(written.get("note"), "note"), "on": written.get("on"),
                "added": self.added, "changed": self.changed, "ended": self.ended, "removed": self.removed,
                "counts": dict(self.counts), "complete": self.complete}


def kept_text(text: str | None, field: str) -> str | None:
    """A note or a name as the history keeps it: refused if it holds a control or an invisible character
    (the rules of any text, :mod:`orggraph.model`) or nothing at all, and every phone- or id-card-shaped
    number in it masked (:func:`orggraph.privacy.mask_text`): the history keeps nothing personal beyond ids.

    Raises
    ------
    ValueError
        Naming the field and what is wrong (the text not echoed).

    Examples
    --------
    >>> kept_text("街道批复 13812345678", "note")
    '街道批复 138****5678'
    >>> kept_text("a\u202eb", "note")
    Traceback (most recent call last):
    ...
    ValueError: note: holds a direction-control character (U+202E RIGHT-TO-LEFT OVERRIDE) at position 2; remove it
    """
    if text is None:
        return None
    from .model import _text_problem
    from .privacy import mask_text

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{field}: must not be blank")
    problem = _text_problem(text)
    if problem is not None:
        raise ValueError(f"{field}: {problem}")
    return mask_text(text)


def entry_nodes(entry: Mapping[str, Any]) -> list[str]:
    """The node ids an entry names, each once, sorted: the ids of its nodes and both ends of its edges.

    Examples
    --------
    >>> entry_nodes({"added": ["g2", ["WITHIN", "b2", "g2", "2024-07-01"]], "ended": [["WITHIN", "b2", "g1", None]]})
    ['b2', 'g1', 'g2']
    """
    ids: set[str] = set()
    for what in ("added", "changed", "ended", "removed"):
        for key in entry.get(what) or ():
            if isinstance(key, str):
                ids.add(key)
            else:
                ids.update(key[1:3])
    return sorted(ids)


def key_text(key: Any) -> str:
    """A record's key as text: a node's id, an edge as ``TYPE source -> target [since DAY]``.

    Examples
    --------
    >>> key_text(["WITHIN", "b2", "g2", "2024-07-01"]), key_text("g2")
    ('WITHIN b2 -> g2 since 2024-07-01', 'g2')
    """
    if isinstance(key, str):
        return key
    type_, source, target, since = key
    return f"{type_} {source} -> {target}" + (f" since {since}" if since else "")


def entry_text(entry: Mapping[str, Any], most: int = 10, about: str | None = None) -> str:
    """One entry as a few lines of text: up to ``most`` records of each kind of change, and how many more;
    with ``about``, only the records naming that id (a node, or an edge from or to it).

    Examples
    --------
    >>> print(entry_text({"id": 3, "at": "2024-06-20T08:00:00+00:00", "kind": "move", "by": "cli:wang",
    ...                   "note": "街道批复", "on": "2024-07-01", "added": [["WITHIN", "g1", "c2", "2024-07-01"]],
    ...                   "changed": [], "ended": [["WITHIN", "g1", "c1", None]], "removed": [],
    ...                   "counts": {"added": 1, "changed": 0, "ended": 1, "removed": 0}, "complete": True}))
    #3 2024-06-20T08:00:00+00:00 move on 2024-07-01 by cli:wang: 街道批复
      ended WITHIN g1 -> c1
      added WITHIN g1 -> c2 since 2024-07-01
    """
    head = f"#{entry['id']} {entry['at']} {entry['kind']}"
    if entry.get("on"):
        head += f" on {entry['on']}"
    head += f" by {entry.get('by') or 'someone not named'}"
    if entry.get("note"):
        head += f": {entry['note']}"
    lines = [head]
    for what in ("ended", "removed", "changed", "added"):
        keys = entry.get(what) or []
        if about is not None:  # the lines about one record: all of them, and nothing of the rest
            lines += [f"  {what} {key_text(k)}" for k in keys
                      if (k == about if isinstance(k, str) else about in (k[1], k[2]))]
            continue
        lines += [f"  {what} {key_text(k)}" for k in keys[:most]]
        more = entry["counts"].get(what, 0) - len(keys[:most])
        if more > 0:
            lines.append(f"  ... and {more:,} more {what}")
    if not entry.get("complete", True):
        lines.append(f"  (the write touched more than {IDS_AT_MOST:,} records: the entry keeps their counts, "
                     f"and the keys of the first {IDS_AT_MOST:,})")
    return "\n".join(lines)


def entry_within(entry: Mapping[str, Any], sees: Any) -> dict[str, Any] | None:
    """An entry cut to the records a reader may see (``sees(id)`` true for a node, and for both ends of an
    edge), or None when it names none of them. A cut entry counts what it shows, and says nothing of the
    rest: the reader learns no more than that someone changed these records.

    Examples
    --------
    >>> e = {"id": 1, "added": ["h1", "h9", ["LOCATED_IN", "h1", "b1", None]], "changed": [], "ended": [],
    ...      "removed": [], "counts": {"added": 3, "changed": 0, "ended": 0, "removed": 0}, "complete": True}
    >>> entry_within(e, {"h1", "b1"}.__contains__)["added"]
    ['h1', ['LOCATED_IN', 'h1', 'b1', None]]
    >>> entry_within(e, {"x"}.__contains__) is None
    True
    """
    out = dict(entry)
    shown = 0
    for what in ("added", "changed", "ended", "removed"):
        keys = [k for k in entry.get(what) or () if (sees(k) if isinstance(k, str) else sees(k[1]) and sees(k[2]))]
        out[what] = keys
        shown += len(keys)
    if not shown:
        return None
    if any(len(out[w]) != len(entry.get(w) or ()) for w in ("added", "changed", "ended", "removed")):
        out["counts"] = {w: len(out[w]) for w in ("added", "changed", "ended", "removed")}  # nothing told of the rest
    return out
