"""Restructuring as dated changes: move, split and merge areas, relocate households, hand contacts over."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypedDict

from .days import day_before, valid_on
from .exceptions import ChangeRefused, IndexOutOfStep, NotFound, StoreBusy
from .queries.gaps import DEFAULT_MAX_HOUSEHOLDS
from .history import Written, default_by, kept_text, key_text
from .model import AREA_RANK

if TYPE_CHECKING:
    from .access import Scope
    from .index import Index
    from .store.base import Store

__all__ = ["Change", "move", "split", "merge", "relocate", "handover", "cover"]



class Change(TypedDict):
    """What a change did, or with ``dry_run`` would do."""

    #: move, split, merge, relocate, handover or cover
    kind: str
    #: the day the change takes effect: the old relations end the day before
    on: str
    #: True when nothing was written
    dry_run: bool
    #: the edges ended, as they are stored after the change (with their ``until``, the day before ``on``)
    ended: list[dict[str, Any]]
    #: the nodes and edges added (the edges since ``on``)
    added: list[dict[str, Any]]
    #: the households whose responsibility chain on ``on`` differs from what it would have been, sorted
    households: list[str]
    #: the number of the history entry (:mod:`orggraph.history`); None for a dry run
    history: int | None


#: how many times a change is worked out again when another write came first
_ATTEMPTS = 3


class _Changed(Exception):
    """Another write changed the records between working a change out and writing it."""


def _retried(change: Callable[..., Change]) -> Callable[..., Change]:
    """Work a change out again, from the records as they now are, when another write came between
    working it out and writing it (two editors at once): at most :data:`_ATTEMPTS` times."""

    @functools.wraps(change)
    def attempt(*args: Any, **kwargs: Any) -> Change:
        for _ in range(_ATTEMPTS):
            try:
                return change(*args, **kwargs)
            except _Changed:
                continue
        raise StoreBusy(f"other writes changed the records each of the {_ATTEMPTS} times this change was worked "
                        "out; nothing was written: try again")

    return attempt


class _Plan:
    """One change being worked out: what it ends and adds, and every problem found on the way."""

    def __init__(self, store: Store, kind: str, on: Any, scope: Scope | None):
        self.store, self.kind, self.scope = store, kind, scope
        self.revision = store.revision  # what the change is worked out from: checked again before it is written
        self.unknown: list[str] = []
        self.problems: list[str] = []
        self.ended: list[dict[str, Any]] = []
        self.added: list[dict[str, Any]] = []
        self.households: set[str] = set()
        if isinstance(on, _dt.datetime):
            on = on.date()
        if isinstance(on, _dt.date):
            on = on.isoformat()
        try:
            day = _dt.date.fromisoformat(on)
        except (TypeError, ValueError):
            raise ValueError(f"the day of a change must be an ISO date YYYY-MM-DD, got {on!r}") from None
        if day == _dt.date.min:
            raise ValueError(f"a change on {day.isoformat()} leaves no day before it for the old relations to end")
        self.on = day.isoformat()
        self.before = day_before(self.on)
        self.kinds: dict[str, str] = {}
        self._territory: Any = None  # the day's, when first asked (takes_part)

    # -- what the store holds, as the caller may see it ------------------------------------------------

    def look_up(self, ids: Iterable[str]) -> None:
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
        found = self.store.kinds_of(ids) if ids else {}
        if self.scope is not None:  # what the token cannot see answers as what does not exist
            found = {i: k for i, k in found.items() if self.scope.sees(i)}
        self.kinds.update(found)

    def need(self, node_id: Any, kind: str, what: str) -> bool:
        """Whether ``node_id`` names a node of ``kind``; notes the problem if not."""
        have = self.kinds.get(node_id) if isinstance(node_id, str) else None
        if have == kind:
            return True
        if have is None:
            self.unknown.append(f"{what}: no {kind.lower()} with id {node_id!r}")
        else:
            self.problems.append(f"{what}: {node_id!r} is {'an' if have[0] in 'AOU' else 'a'} {have}, not {'an' if kind[0] in 'AOU' else 'a'} {kind}")
        return False

    def takes_part(self, area: str, what: str) -> bool:
        """Whether an area takes part on the day (a relation of it valid then, or none at all: see
        :class:`orggraph.facts.Territory`); notes the problem if not."""
        if self._territory is None:
            from .facts import Day

            self._territory = self.store.facts().territory(Day(self.on))
        territory = self._territory
        at = territory.position.get(area)
        if at is None or (territory.exists is not None and not territory.exists[at]):
            self.problems.append(f"{what}: {area} takes no part on {self.on}: none of its relations is valid "
                                 "then (it is made later, or it has ended)")
            return False
        return True

    def taken(self, node_id: Any, what: str) -> bool:
        """Whether a new node's id is free (an id names one record in the whole store); notes it if not."""
        if not isinstance(node_id, str) or not node_id.strip():
            self.problems.append(f"{what}: a new id is needed, got {node_id!r}")
            return True
        if self.store.kinds_of([node_id]):
            self.problems.append(f"{what}: the id {node_id!r} is taken (an id names one record in the whole store); "
                                 "choose another")
            return True
        return False

    def of(self, node_id: str, type_: str, end: str) -> list[dict[str, Any]]:
        """The edges of one type with ``node_id`` at ``end`` (those whose other end the token can see)."""
        other = "target" if end == "source" else "source"
        return [e for e in self.store.edges_of(node_id, type_)
                if e[end] == node_id and (self.scope is None or self.scope.sees(e[other]))]

    def edges(self, node_id: str, type_: str, end: str) -> list[dict[str, Any]]:
        """The edges of one type with ``node_id`` at ``end`` that are valid on the day of the change."""
        return [e for e in self.of(node_id, type_, end) if valid_on(e, self.on)]

    def current(self, node_id: str, type_: str, end: str, only: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The edges to end: those of :meth:`edges` (to the nodes ``only`` names, if given); one that
        starts after the day is a later change, which this one would contradict: noted as a problem."""
        other = "target" if end == "source" else "source"
        found = [e for e in self.of(node_id, type_, end) if only is None or e[other] in only]
        for e in found:
            if (e.get("since") or "") > self.on:
                self.problems.append(f"{self.shown(e)} starts after {self.on}: a later change is recorded "
                                     "already; change or remove it first")
        return [e for e in found if valid_on(e, self.on)]

    def parents(self, area: str) -> list[str]:
        return [e["target"] for e in self.edges(area, "WITHIN", "source")]

    def above(self, area: str) -> list[str]:
        """Every area ``area`` lies within on the day, nearest first."""
        out: list[str] = []
        todo = [area]
        while todo:
            for parent in self.parents(todo.pop()):
                if parent not in out:
                    out.append(parent)
                    todo.append(parent)
        return out

    def below(self, area: str) -> list[str]:
        """``area`` and every area within it on the day."""
        out, todo = [area], [area]
        while todo:
            for e in self.edges(todo.pop(), "WITHIN", "target"):
                if e["source"] not in out:
                    out.append(e["source"])
                    todo.append(e["source"])
        return out

    def households_in(self, areas: Iterable[str]) -> set[str]:
        return {e["source"] for a in areas for e in self.edges(a, "LOCATED_IN", "target")}

    def level(self, area: str) -> str | None:
        return self.store.node(area).get("level")

    # -- the change ------------------------------------------------------------------------------------

    def shown(self, edge: dict[str, Any]) -> str:
        """An edge's key as text, an end the token cannot see left unnamed."""
        ends = [i if self.scope is None or self.scope.sees(i) else "(a record outside the token's areas)"
                for i in (edge["source"], edge["target"])]
        return key_text([edge["type"], *ends, edge.get("since")])

    def end(self, edge: dict[str, Any]) -> None:
        """End an edge valid on the day: its ``until`` becomes the day before."""
        since = edge.get("since")
        if since and since >= self.on:
            self.problems.append(f"{self.shown(edge)} starts on {since}, so it cannot end before {self.on}: "
                                 "change or remove it first")
            return
        self.ended.append({**edge, "until": self.before})

    def add_edge(self, type_: str, source: str, target: str, **props: Any) -> None:
        self.added.append({"type": type_, "source": source, "target": target, "since": self.on, **props})

    def finish(self, note: str | None, by: str | None, dry_run: bool) -> Change:
        if self.unknown:
            found = self.unknown + self.problems
            raise NotFound(found[0] if len(found) == 1 else
                           f"{len(found)} problems; nothing was written:\n  " + "\n  ".join(found))
        if self.problems:
            raise ChangeRefused(self.problems)
        nodes = [r for r in self.added if "kind" in r]
        edges = self.ended + [r for r in self.added if "type" in r]
        items = [("node", f"{self.kind}: added node {r['id']}", r) for r in nodes]
        items += [("edge", f"{self.kind}: {self.shown(r)}", r) for r in edges]
        # what the history keeps, checked before anything is worked out further (a dry run too)
        written: Written = {"kind": self.kind, "by": kept_text(default_by() if by is None else by, "by"),
                            "note": kept_text(note, "note"), "on": self.on}
        households = _chains_changed(self.store, self.on, sorted(self.households), nodes, edges)
        history = None

        def unchanged(_: Any) -> None:  # under the store's write lock, before anything is written
            if self.store.revision != self.revision:
                raise _Changed()

        if dry_run:
            if self.scope is not None:
                from .access import load_within

                load_within(self.store, self.scope, items, dry_run=True)
            else:
                from .load import check_load

                check_load(self.store, items)
        elif self.scope is not None:
            from .access import load_within

            history = load_within(self.store, self.scope, items, history=written, check=unchanged).history
        else:
            history = self.store.load(items, history=written, check=unchanged).history
        return Change(kind=self.kind, on=self.on, dry_run=dry_run, ended=self.ended, added=self.added,
                      households=households, history=history)


def _chains_changed(store: Store, on: str, households: list[str], nodes: list[dict[str, Any]],
                    edges: list[dict[str, Any]]) -> list[str]:
    """The households whose chain on ``on`` differs once ``nodes`` and ``edges`` are written: each chain
    asked of the store's index as it is, and of that index carried over the change in memory."""
    if not households:
        return []
    from .queries import responsibility_chain

    before = store.index()
    after = _updated(store, before, nodes, edges)
    return [h for h in households
            if responsibility_chain(before, h, as_of=on) != responsibility_chain(after, h, as_of=on)]


def _updated(store: Store, before: Index, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> Index:
    node_rows = [(r["id"], r["kind"], r) for r in nodes]
    edge_rows = [(r["type"], r["source"], r["target"], r.get("since"), r.get("until"), r) for r in edges]
    try:
        return before.updated(before.revision + 1, nodes=node_rows, edges=edge_rows)
    except IndexOutOfStep:  # the index is not the store's as it is now: built afresh, with the change
        from .index import build_index

        written = {(t, s, d, a or None) for t, s, d, a, _, _ in edge_rows}
        stored = [(e["type"], e["source"], e["target"], e.get("since"), e.get("until"), e) for e in store.edges()
                  if (e["type"], e["source"], e["target"], e.get("since")) not in written]
        return build_index([(n["id"], n["kind"], n) for n in store.nodes()] + node_rows,
                           sorted(stored + edge_rows, key=lambda e: (e[0], e[1], e[2], e[3] or "")),
                           before.revision + 1)


def _rank_problem(plan: _Plan, area: str, parent: str) -> None:
    low, high = plan.level(area), plan.level(parent)
    if low in AREA_RANK and high in AREA_RANK and AREA_RANK[high] >= AREA_RANK[low]:
        plan.problems.append(f"{area} is a {low} and cannot lie within {parent}, a {high}: an area lies within "
                             "one of a higher level")


@_retried
def move(store: Store, area: str, to: str, on: Any, *, note: str | None = None, by: str | None = None,
         dry_run: bool = False, scope: Scope | None = None) -> Change:
    """Move an area, with all it holds, to lie within another from a day on.

    The WITHIN edges of ``area`` valid on ``on`` end the day before; ``area`` lies within ``to`` since
    ``on``. What lies within ``area`` moves with it; every answer for a day before ``on`` stays as it was.

    Parameters
    ----------
    store : Store
        Where the network is kept.
    area, to : str
        The area that moves, and the area it lies within from ``on``.
    on : str or datetime.date
        The first day of the new arrangement, ``YYYY-MM-DD``.
    note : str, optional
        Why, kept in the history (a decision's number, say).
    by : str, optional
        Who, kept in the history (default: the system user, as ``cli:USER``).
    dry_run : bool
        Work out and check everything, and write nothing.
    scope : Scope, optional
        The API token's scope: every record the change ends or adds must lie within it
        (:func:`orggraph.access.load_within`), and what it cannot see is not found.

    Returns
    -------
    Change
        The edges ended and added, the households whose chain changes on ``on``, and the history entry.

    Raises
    ------
    NotFound
        ``area`` or ``to`` is no area (every problem found is named).
    ChangeRefused
        ``to`` is ``area`` or lies within it (a cycle), is of a lower or equal level, or already holds
        ``area`` on ``on``; or an edge to end starts on or after ``on``. Nothing is written.
    ValueError
        ``on`` is not a date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "1", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
    ...                 ("node", "2", {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"}),
    ...                 ("node", "3", {"id": "g1", "kind": "Area", "name": "第1网格", "level": "grid"}),
    ...                 ("edge", "4", {"type": "WITHIN", "source": "g1", "target": "c1"})])
    >>> change = move(store, "g1", "c2", "2024-07-01", note="街道批复", by="wang")
    >>> [(e["target"], e.get("until")) for e in change["ended"]], [(e["target"], e["since"]) for e in change["added"]]
    ([('c1', '2024-06-30')], [('c2', '2024-07-01')])
    >>> move(store, "g1", "g1", "2024-08-01")
    Traceback (most recent call last):
    ...
    orggraph.exceptions.ChangeRefused: 1 problem; nothing was written:
      g1 cannot lie within itself
    """
    plan = _Plan(store, "move", on, scope)
    plan.look_up([area, to])
    if (plan.need(area, "Area", "AREA") & plan.need(to, "Area", "--to")
            and plan.takes_part(area, "AREA") & plan.takes_part(to, "--to")):
        if to == area:
            plan.problems.append(f"{area} cannot lie within itself")
        elif area in plan.above(to):
            plan.problems.append(f"{area} cannot lie within {to}, which lies within {area} on {plan.on} (a cycle)")
        else:
            _rank_problem(plan, area, to)
            current = plan.current(area, "WITHIN", "source")
            if [e["target"] for e in current] == [to]:
                plan.problems.append(f"{area} lies within {to} already on {plan.on}")
            for edge in current:
                plan.end(edge)
            plan.add_edge("WITHIN", area, to)
            plan.households = plan.households_in(plan.below(area))
    return plan.finish(note, by, dry_run)


@_retried
def split(store: Store, area: str, new: str, name: str, take: Iterable[str], on: Any, *, org: str | None = None,
          org_name: str | None = None, note: str | None = None, by: str | None = None, dry_run: bool = False,
          scope: Scope | None = None) -> Change:
    """Split an area: a new area of the same level takes some of the areas within it from a day on.

    The new area ``new`` (``name``, the level of ``area``) lies within the area(s) ``area`` lies within,
    since ``on``. Each area of ``take`` leaves ``area`` the day before ``on`` and lies within ``new`` since
    ``on``, with all it holds. With ``org``, a new organization ``org`` (``org_name``, the level of
    ``area``) governs ``new`` since ``on``, subordinate to the organization governing the area above
    (else to the superior of the organization governing ``area``), if there is one; its posts are filled
    by loading HOLDS_POST edges after.

    Parameters
    ----------
    store : Store
        Where the network is kept.
    area : str
        The area split.
    new, name : str
        The new area's id (not taken) and name.
    take : iterable of str
        The areas within ``area`` on ``on`` that go to ``new``; at least one.
    on : str or datetime.date
        The first day of the new area.
    org, org_name : str, optional
        The new organization's id (not taken) and name, to govern the new area.
    note, by, dry_run, scope
        As for :func:`move`.

    Returns
    -------
    Change

    Raises
    ------
    NotFound
        ``area`` is no area.
    ChangeRefused
        An id taken, an area of ``take`` not within ``area`` on ``on`` (or none given), ``org`` without
        ``org_name``, or an edge to end starting on or after ``on``. Nothing is written.
    ValueError
        ``on`` is not a date.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from orggraph.io import read_file
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "1", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
    ...                 ("node", "2", {"id": "g1", "kind": "Area", "name": "第1网格", "level": "grid"}),
    ...                 ("node", "3", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...                 ("node", "4", {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"}),
    ...                 ("edge", "5", {"type": "WITHIN", "source": "g1", "target": "c1"}),
    ...                 ("edge", "6", {"type": "WITHIN", "source": "b1", "target": "g1"}),
    ...                 ("edge", "7", {"type": "WITHIN", "source": "b2", "target": "g1"})])
    >>> change = split(store, "g1", "g2", "第2网格", ["b2"], "2024-07-01", org="o-g2", org_name="第2网格党支部")
    >>> sorted(key_text([e["type"], e["source"], e["target"], e["since"]]) for e in change["added"] if "type" in e)
    ['GOVERNS o-g2 -> g2 since 2024-07-01', 'WITHIN b2 -> g2 since 2024-07-01', 'WITHIN g2 -> c1 since 2024-07-01']
    """
    take = list(dict.fromkeys([take] if isinstance(take, str) else take))
    plan = _Plan(store, "split", on, scope)
    plan.look_up([area, *take])
    if not plan.need(area, "Area", "AREA") or not plan.takes_part(area, "AREA"):
        return plan.finish(note, by, dry_run)
    plan.taken(new, "--new")
    if not isinstance(name, str) or not name.strip():
        plan.problems.append("--name: the new area needs a name")
    if not take:
        plan.problems.append("--take: name at least one area within the one split")
    children = {e["source"]: e for e in plan.current(area, "WITHIN", "target")}
    for child in take:
        if child not in children:
            if plan.kinds.get(child) is None:
                plan.unknown.append(f"--take: no area with id {child!r}")
            else:
                plan.problems.append(f"--take: {child!r} does not lie within {area} on {plan.on}")
    level = plan.store.node(area).get("level")
    plan.added.append({"id": new, "kind": "Area", "name": name, "level": level})
    for parent in plan.parents(area):
        plan.add_edge("WITHIN", new, parent)
    for child in take:
        if child in children:
            plan.end(children[child])
            plan.add_edge("WITHIN", child, new)
            plan.households |= plan.households_in(plan.below(child))
    if org is not None:
        plan.taken(org, "--org")
        if not isinstance(org_name, str) or not org_name.strip():
            plan.problems.append("--org-name: the new organization needs a name")
        plan.added.append({"id": org, "kind": "Org", "name": org_name, "level": level})
        plan.add_edge("GOVERNS", org, new)
        superior = _superior(plan, area)
        if superior is not None:
            plan.add_edge("SUBORDINATE_TO", org, superior)
    elif org_name is not None:
        plan.problems.append("--org-name: name the new organization's id with --org too")
    return plan.finish(note, by, dry_run)


def _superior(plan: _Plan, area: str) -> str | None:
    """The organization a new one governing a part of ``area`` reports to: the one governing the area
    above ``area``, else the superior of the one governing ``area`` (the first by id)."""
    for parent in plan.parents(area):
        governing = sorted(e["source"] for e in plan.edges(parent, "GOVERNS", "target"))
        if governing:
            return governing[0]
    for own in sorted(e["source"] for e in plan.edges(area, "GOVERNS", "target")):
        superiors = sorted(e["target"] for e in plan.edges(own, "SUBORDINATE_TO", "source"))
        if superiors:
            return superiors[0]
    return None


@_retried
def merge(store: Store, areas: Iterable[str], into: str, on: Any, *, note: str | None = None, by: str | None = None,
          dry_run: bool = False, scope: Scope | None = None) -> Change:
    """Merge areas into another of the same level from a day on.

    Each area of ``areas`` ends the day before ``on``: the areas within it and the households located in
    it lie within (are located in) ``into`` since ``on``; its own WITHIN edges end; the organizations
    governing it stop governing it (their GOVERNS edges end) and the members assigned to it stop being
    assigned (ASSIGNED_TO ends). The organizations themselves are not dissolved: their posts,
    memberships and hierarchy are left as they are (end them by loading their ``until`` when the Party
    organization is dissolved), and as they govern no area from ``on`` no chain names them.

    Parameters
    ----------
    store : Store
        Where the network is kept.
    areas : iterable of str
        The areas that end.
    into : str
        The area that takes what they held.
    on : str or datetime.date
        The first day of the merged area.
    note, by, dry_run, scope
        As for :func:`move`.

    Returns
    -------
    Change

    Raises
    ------
    NotFound
        An id that is no area.
    ChangeRefused
        ``into`` among ``areas`` or within one of them, an area of another level, or an edge to end
        starting on or after ``on``. Nothing is written.
    ValueError
        ``on`` is not a date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "1", {"id": "g1", "kind": "Area", "name": "第1网格", "level": "grid"}),
    ...                 ("node", "2", {"id": "g2", "kind": "Area", "name": "第2网格", "level": "grid"}),
    ...                 ("node", "3", {"id": "h1", "kind": "Household"}),
    ...                 ("edge", "4", {"type": "LOCATED_IN", "source": "h1", "target": "g2"})])
    >>> change = merge(store, ["g2"], "g1", "2024-07-01")
    >>> [key_text([e["type"], e["source"], e["target"], e.get("since")]) for e in change["added"]], change["households"]
    (['LOCATED_IN h1 -> g1 since 2024-07-01'], ['h1'])
    """
    areas = list(dict.fromkeys([areas] if isinstance(areas, str) else areas))
    plan = _Plan(store, "merge", on, scope)
    plan.look_up([*areas, into])
    known = [a for a in areas if plan.need(a, "Area", "AREA") and plan.takes_part(a, "AREA")]
    if not areas:
        plan.problems.append("AREA: name at least one area to merge")
    if not plan.need(into, "Area", "--into") or not plan.takes_part(into, "--into"):
        return plan.finish(note, by, dry_run)
    above = set(plan.above(into))
    level = plan.level(into)
    for area in known:
        if area == into:
            plan.problems.append(f"{area} cannot be merged into itself")
            continue
        if area in above:
            plan.problems.append(f"{into} lies within {area} on {plan.on}, so it cannot take what {area} holds")
            continue
        other = plan.level(area)
        if other != level:
            plan.problems.append(f"{area} is a {other} and {into} a {level}: merge areas of one level")
            continue
        for edge in plan.current(area, "WITHIN", "target"):
            plan.end(edge)
            plan.add_edge("WITHIN", edge["source"], into)
        for edge in plan.current(area, "LOCATED_IN", "target"):
            plan.end(edge)
            plan.add_edge("LOCATED_IN", edge["source"], into)
        for type_, end in (("WITHIN", "source"), ("GOVERNS", "target"), ("ASSIGNED_TO", "target")):
            for edge in plan.current(area, type_, end):
                plan.end(edge)
        plan.households |= plan.households_in(plan.below(area))
    return plan.finish(note, by, dry_run)


@_retried
def relocate(store: Store, household: str, to: str, on: Any, *, note: str | None = None, by: str | None = None,
             dry_run: bool = False, scope: Scope | None = None) -> Change:
    """A household moves to another area from a day on.

    Its LOCATED_IN edges valid on ``on`` end the day before; it is located in ``to`` since ``on``. Its
    contacts are left as they are (hand them over with :func:`handover`).

    Parameters
    ----------
    store : Store
        Where the network is kept.
    household : str
        The household that moves.
    to : str
        The area it lives in from ``on`` (usually a building).
    on : str or datetime.date
        The first day there.
    note, by, dry_run, scope
        As for :func:`move`.

    Returns
    -------
    Change

    Raises
    ------
    NotFound
        ``household`` is no household, or ``to`` no area.
    ChangeRefused
        It is located in ``to`` alone on ``on`` already, or an edge to end starts on or after ``on``.
        Nothing is written.
    ValueError
        ``on`` is not a date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "1", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...                 ("node", "2", {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"}),
    ...                 ("node", "3", {"id": "h1", "kind": "Household"}),
    ...                 ("edge", "4", {"type": "LOCATED_IN", "source": "h1", "target": "b1", "since": "2020-01-01"})])
    >>> change = relocate(store, "h1", "b2", "2024-07-01")
    >>> [(e["target"], e["since"], e["until"]) for e in change["ended"]]
    [('b1', '2020-01-01', '2024-06-30')]
    >>> relocate(store, "h1", "b9", "2024-08-01")
    Traceback (most recent call last):
    ...
    orggraph.exceptions.NotFound: --to: no area with id 'b9'
    """
    plan = _Plan(store, "relocate", on, scope)
    plan.look_up([household, to])
    if plan.need(household, "Household", "HOUSEHOLD") & plan.need(to, "Area", "--to") and plan.takes_part(to, "--to"):
        current = plan.current(household, "LOCATED_IN", "source")
        if [e["target"] for e in current] == [to]:
            plan.problems.append(f"{household} is located in {to} already on {plan.on}")
        for edge in current:
            plan.end(edge)
        plan.add_edge("LOCATED_IN", household, to)
        plan.households = {household}
    return plan.finish(note, by, dry_run)


@_retried
def handover(store: Store, member: str, to: str, on: Any, *, households: Iterable[str] | None = None,
             note: str | None = None, by: str | None = None, dry_run: bool = False,
             scope: Scope | None = None) -> Change:
    """A member hands their households (all, or those named) to another member from a day on.

    Each CONTACTS edge of ``member`` valid on ``on`` (to one of ``households``, when named) ends the day
    before; ``to`` contacts each of those households since ``on`` (unless it does already).

    Parameters
    ----------
    store : Store
        Where the network is kept.
    member : str
        The member handing over.
    to : str
        The member taking over; must not be marked unavailable.
    on : str or datetime.date
        The first day of the new contact.
    households : iterable of str, optional
        Only these households (each a contact of ``member`` on ``on``); all of them by default.
    note, by, dry_run, scope
        As for :func:`move`.

    Returns
    -------
    Change

    Raises
    ------
    NotFound
        ``member`` or ``to`` is no member, or a household named is no household.
    ChangeRefused
        ``to`` is ``member`` or is unavailable, a household named is not ``member``'s on ``on``,
        ``member`` contacts nobody on ``on``, or an edge to end starts on or after ``on``. Nothing is written.
    ValueError
        ``on`` is not a date.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "1", {"id": "m1", "kind": "Member", "name": "李乙"}),
    ...                 ("node", "2", {"id": "m2", "kind": "Member", "name": "陈戊"}),
    ...                 ("node", "3", {"id": "h1", "kind": "Household"}),
    ...                 ("edge", "4", {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2020-07-01"})])
    >>> change = handover(store, "m1", "m2", "2024-07-01", note="m1 调离")
    >>> [(e["source"], e["target"], e.get("until")) for e in change["ended"] + change["added"]], change["households"]
    ([('m1', 'h1', '2024-06-30'), ('m2', 'h1', None)], ['h1'])
    """
    named = None if households is None else list(dict.fromkeys([households] if isinstance(households, str)
                                                              else households))
    plan = _Plan(store, "handover", on, scope)
    plan.look_up([member, to, *(named or [])])
    ok = plan.need(member, "Member", "MEMBER") & plan.need(to, "Member", "--to")
    for h in named or []:
        ok &= plan.need(h, "Household", "--households")
    if ok:
        if to == member:
            plan.problems.append(f"--to: {member} cannot hand over to themselves")
        elif plan.store.node(to).get("status") == "unavailable":
            plan.problems.append(f"--to: {to} is marked unavailable")
        contacts = {e["target"]: e for e in plan.current(member, "CONTACTS", "source", only=named)}
        if named is None:
            if not contacts:
                plan.problems.append(f"{member} contacts no household on {plan.on}: nothing to hand over")
            named = sorted(contacts)
        elif not named:
            plan.problems.append("--households: name at least one household, or leave it out for all")
        theirs = {e["target"] for e in plan.edges(to, "CONTACTS", "source")}
        for h in named:
            if h not in contacts:
                plan.problems.append(f"--households: {member} does not contact {h} on {plan.on}")
                continue
            plan.end(contacts[h])
            if h not in theirs:
                plan.add_edge("CONTACTS", to, h)
        plan.households = set(named)
    return plan.finish(note, by, dry_run)


@_retried
def cover(store: Store, area: str | None = None, *, on: Any, unavailable: Iterable[str] = (),
          max_households: int = DEFAULT_MAX_HOUSEHOLDS, note: str | None = None, by: str | None = None,
          dry_run: bool = False, scope: Scope | None = None) -> Change:
    """Give each uncovered household of an area a permanent contact from a day on, as
    :func:`orggraph.queries.cover_plan` proposes for that day: a CONTACTS edge since ``on`` from the
    member placed to the household. Households left unplaced stay uncovered (the plan says why). The
    contacts are open-ended, so the plan holds on every day from ``on``: a household contacted from a later
    day on is left out (the two contacts would overlap), and a member's contacts that start later count
    against its room.

    Parameters
    ----------
    store : Store
    area : str, optional
        The area whose uncovered households are placed (every one of the network's if not given).
    on : str or datetime.date
        The first day of the new contacts; the plan is made for that day.
    unavailable, max_households
        As for :func:`orggraph.queries.cover_plan`.
    note, by, dry_run, scope
        As for :func:`move`; with ``scope``, only its households and its members.

    Returns
    -------
    Change
        ``added``: the CONTACTS edges; ``households``: those given a contact; and ``plan``, the plan
        written (:func:`orggraph.queries.cover_plan`), its households left out as contacted from a later
        day on among the unassigned (``contacted_later``).

    Raises
    ------
    NotFound
        ``area`` is no area (or lies outside ``scope``), or an unavailable member does not exist.
    ChangeRefused
        No uncovered household can be placed. Nothing is written.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "city.db"))
    >>> _ = store.load([("node", "1", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...                 ("node", "2", {"id": "m1", "kind": "Member", "name": "李乙"}),
    ...                 ("node", "3", {"id": "h1", "kind": "Household"}), ("node", "4", {"id": "h2", "kind": "Household"}),
    ...                 ("edge", "5", {"type": "LOCATED_IN", "source": "h1", "target": "b1"}),
    ...                 ("edge", "6", {"type": "LOCATED_IN", "source": "h2", "target": "b1"}),
    ...                 ("edge", "7", {"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2020-07-01"})])
    >>> change = cover(store, "b1", on="2024-07-01")
    >>> [(e["source"], e["target"], e["since"]) for e in change["added"]]
    [('m1', 'h2', '2024-07-01')]
    """
    from .queries.plan import cover_plan

    plan = _Plan(store, "cover", on, scope)
    if area is not None:
        plan.look_up([area])
        if not plan.need(area, "Area", "--area"):
            return plan.finish(note, by, dry_run)
    # the contacts written last from DATE on: a household contacted from a later day on is not given another
    # (the two would overlap), and a member's contacts that start later count against its room (so that no
    # day from DATE on finds it over the limit); found for the households and members each plan names,
    # until a plan names none not yet looked at
    skip: set[str] = set()
    less: dict[str, int] = {}
    seen: set[str] = set()
    for _ in range(8):
        proposal = cover_plan(store, area, as_of=plan.on, unavailable=unavailable, max_households=max_households,
                              among=None if scope is None else scope.members,
                              within=None if scope is None else sorted(scope.areas),
                              writable=None if scope is None else scope.writable, skip=skip, less_room=less)
        named = {a["household"] for a in proposal["assignments"]} | {a["member"] for a in proposal["assignments"]}
        fresh = sorted(named - seen)
        if not fresh:
            break
        seen.update(fresh)
        changed = False
        for node in fresh:
            later = [e for e in store.edges_of(node, "CONTACTS") if (e.get("since") or "") > plan.on]
            if not later:
                continue
            changed = True
            if any(e["target"] == node for e in later):
                skip.add(node)  # a household contacted from a later day on
            else:
                less[node] = len(later)  # a member's contacts that start later
        if not changed:
            break
    # the households left out as contacted from a later day on are said, as the others left unplaced are
    proposal = {**proposal, "households": proposal["households"] + len(skip), "unplaced": proposal["unplaced"] + len(skip),
                "unassigned": sorted(proposal["unassigned"] + [{"household": h, "reason": "contacted_later"} for h in skip],
                                     key=lambda u: u["household"])}
    if not proposal["assignments"]:
        why = (f"{proposal['households']} uncovered, none placed" if proposal["households"] else "none is uncovered")
        if skip:
            why += f" ({len(skip)} contacted from a later day on)"
        plan.problems.append(f"no uncovered household of {area or 'the network'} can be given a contact on {plan.on}: "
                             + why)
    for a in proposal["assignments"]:
        plan.add_edge("CONTACTS", a["member"], a["household"])
    plan.households = {a["household"] for a in proposal["assignments"]}
    change = plan.finish(note, by, dry_run)
    change["plan"] = proposal  # type: ignore[typeddict-unknown-key]
    return change
