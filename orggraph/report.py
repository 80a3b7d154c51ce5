"""Query results for people: text tables with names beside ids, and the Excel call sheet."""

from __future__ import annotations

import os
import re
from copy import copy
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .exceptions import NotFound
from .model import AREA_RANK, HOUSEHOLD_FLAGS, LABELS, NODE_KINDS, POSTS
from .privacy import mask_address, mask_record

if TYPE_CHECKING:
    from .index import Index
    from .results import GapRow, Name
    from .store.base import Store

__all__ = ["Namer", "names_of", "named_ids", "masked_outcomes", "coverage_text", "chain_text", "search_text", "gaps_text", "shape_line", "incident_text",
           "incident_workbook", "GAP_KINDS", "GAP_NOTES", "gap_rows", "gaps_workbook", "progress_text", "plan_text", "mask_address", "stand_in_of", "wrapped_lines",
           "STATUS_LABELS", "UNASSIGNED_LABELS", "CALL_SHEET", "KEY_PREFIX", "PRINTED_MARK"]

ROLE_LABELS = {"contact": "包保联系人", "sending_unit": "派出单位", "area": "包片责任人", "org": "组织负责人"}
REASON_LABELS = {"no_org": "无管辖组织", "no_responsible": "无在岗负责人", "weak_org": "软弱涣散组织",
                 "no_secretary": "书记空缺"}
#: the faults of the territory's shape, as a sentence's end after the area's name
SHAPE_LABELS = {"within_two": "lies within two areas", "within_lower": "lies within an area of a lower or equal rank",
                "outside_street": "lies within no street or township", "org_above_nothing":
                "is subordinate to an organization that governs no area above its own"}

#: every kind of gap a clerk works through (问题清单), in the order :func:`gaps_text` lists them: its key in
#: the answer of :func:`orggraph.queries.gaps` -> its title (``single_points_of_failure``, superseded by
#: ``critical_members``, is not among them)
GAP_KINDS = {
    "uncovered_households": "未覆盖住户",
    "overloaded_members": "超负荷党员",
    "idle_sunk_members": "下沉未履职党员",
    "vacant_posts": "空缺",
    "idle_units": "共建未派员单位",
    "critical_members": "关键党员",
    "unassigned_areas": "无楼栋长/网格员",
    "territory_shape": "区域隶属问题",
    "cross_boundary_contacts": "跨区包保",
    "lapsed_households": "包保已过期",
    "unlocated_households": "未定位住户",
}
#: each kind's title in :func:`gaps_text`, before its Chinese one (overloaded members add their limit)
_GAP_ENGLISH = {
    "uncovered_households": "uncovered households", "idle_sunk_members": "idle sunk members",
    "vacant_posts": "vacant posts", "idle_units": "idle units",
    "critical_members": "critical members (their absence leaves households with nobody in building or grid)",
    "unassigned_areas": "areas with households and nobody assigned", "territory_shape": "territory shape",
    "cross_boundary_contacts": "cross-boundary contacts", "lapsed_households": "lapsed households",
    "unlocated_households": "unlocated households",
}

class Namer:
    """Names beside ids, and personal data masked unless ``unmask`` is set (:mod:`orggraph.privacy`).

    Each record is read from the store once (:meth:`Store.node <orggraph.store.Store.node>`) and kept
    for the namer's life, which is one answer's. With an ``index`` (an :class:`~orggraph.index.Index`
    built in memory, perhaps with no store) names are read from it instead. ``shown`` collects the ids
    of the records whose personal data was shown unmasked, for the audit log.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "n.db"))
    >>> _ = store.load([("node", "1", {"id": "m1", "kind": "Member", "name": "王芳", "phone": "13800001111"})])
    >>> namer = Namer.of(store)
    >>> namer.name("m1"), namer.phone("m1"), namer.name("m404")
    ('王芳 (m1)', '138****1111', 'm404')
    """

    def __init__(self, store: Store | None, index: Index | None = None, unmask: bool = False, public: Any = None):
        self.store = store
        self.index = index
        self.unmask = unmask
        self.public = public
        self.shown: set[str] = set()
        self._records: dict[str, dict[str, Any]] = {}

    @classmethod
    def of(cls, store: Store, unmask: bool = False, public: Any = None) -> "Namer":
        """A namer that reads each record it names from the store."""
        return cls(store, unmask=unmask, public=public)

    def name(self, node_id: str | None) -> str:
        """The record's name and its id, ``王芳 (m1)``; the id alone for a record with no name."""
        if node_id is None:
            return ""
        name = self._name(node_id)
        return f"{name} ({node_id})" if name else node_id

    def bare_name(self, node_id: str | None) -> str:
        """The record's name alone (the id for a record with no name), for a printed sheet short of room."""
        if node_id is None:
            return ""
        return self._name(node_id) or node_id

    def _name(self, node_id: str) -> str | None:
        if self.index is not None:
            number = self.index.number.get(node_id)
            name = self.index.names[number] if number is not None else None
        else:
            name = self.record(node_id).get("name")
        if name:
            shown, personal = mask_record({"id": node_id, "name": name}, self.unmask, self.public)
            name = shown["name"]
            if personal and self.unmask:
                self.shown.add(node_id)
        return name or None

    def read(self, ids: Iterable[str]) -> None:
        """Read the records of these ids in bulk (:meth:`Store.nodes_of <orggraph.store.Store.nodes_of>`),
        those not read yet: what :meth:`record` then returns at once, for an answer naming many."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self._records]
        if wanted:
            found = self.store.nodes_of(wanted) if self.store is not None else {}
            for node_id in wanted:
                self._records[node_id] = found.get(node_id, {})

    def record(self, node_id: str) -> dict[str, Any]:
        """The node's record, read once; empty for a node the store does not hold (removed since), or
        with no store."""
        record = self._records.get(node_id)
        if record is None:
            try:
                record = self.store.node(node_id) if self.store is not None else {}
            except NotFound:
                record = {}
            self._records[node_id] = record
        return record

    def _field(self, node_id: str | None, field: str) -> str:
        if node_id is None:
            return ""
        record = self.record(node_id)
        if record.get(field) in (None, ""):
            return ""
        shown, personal = mask_record({"id": node_id, "kind": record.get("kind"), field: record[field]},
                                      self.unmask, self.public)
        if personal and self.unmask:
            self.shown.add(node_id)
        return str(shown[field])

    def text(self, node_id: str, field: str, value: Any) -> str:
        """A free-form value about a record (a mark's note), masked unless unmasked (then counted as shown)."""
        shown, personal = mask_record({"id": node_id, field: value}, self.unmask, self.public)
        if personal and self.unmask:
            self.shown.add(node_id)
        return str(shown[field])

    def phone(self, node_id: str | None) -> str:
        return self._field(node_id, "phone")

    def address(self, household: str) -> str:
        return self._field(household, "address")

    def head(self, household: str) -> str:
        """The head of the household (户主), as a register gives it: personal, so masked unless unmasked."""
        return self._field(household, "head")

    def described(self, node_id: str) -> Name | None:
        """What an answer shows beside an id (:class:`~orggraph.results.Name`), or None for an id that
        names no node. Call :meth:`read` first for many."""
        record = self.record(node_id)
        kind, name = record.get("kind"), record.get("name")
        if self.index is not None:
            number = self.index.number.get(node_id)
            if number is not None:
                kind, name = NODE_KINDS[int(self.index.kinds[number])], self.index.names[number]
        if kind is None:
            return None
        fields = ("name", "phone", "address") if kind == "Household" else ("name", "phone") if kind == "Member" else ("name",)
        shown, personal = mask_record({"id": node_id, "kind": kind, "name": name,
                                       **{f: record.get(f) for f in fields[1:]}}, self.unmask, self.public)
        if personal and self.unmask:
            self.shown.add(node_id)
        return {"name": shown["name"], "kind": kind, **{f: shown[f] for f in fields[1:]}}  # type: ignore[return-value]


#: the keys under which an answer names one node, and those under which it names a list of them
NAMING_KEYS = frozenset({"household", "member", "area", "org", "unit", "by"})
LISTING_KEYS = frozenset({"households", "members", "areas", "orgs", "units", "unavailable"})


def named_ids(result: Any) -> set[str]:
    """Every id an answer names: the text under a key of :data:`NAMING_KEYS`, and the texts in a list under
    one of :data:`LISTING_KEYS`, at any depth (a chain's links and breaks, an incident's entries and
    stand-ins, ...). Some may name no node (``by`` may name a token); :func:`names_of` leaves them out.

    Examples
    --------
    >>> sorted(named_ids({"household": "h1", "households": 2, "areas": ["b1"],
    ...                   "links": [{"member": "m1", "org": None, "post": "secretary"}],
    ...                   "stand_ins": [{"member": "m2", "area": "b1"}], "stand_in": {"member": "m3"}}))
    ['b1', 'h1', 'm1', 'm2', 'm3']
    >>> sorted(named_ids({"areas": [{"area": "g1", "members": ["m4"], "households": ["h5"], "by": "m6"}]}))
    ['g1', 'h5', 'm4', 'm6']
    """
    ids: set[str] = set()
    add, stack = ids.add, [result]
    pop, push = stack.pop, stack.append
    while stack:  # an answer is plain JSON: dicts, lists, text, numbers (100,000 entries: under a second)
        value = pop()
        if type(value) is dict:
            for key, item in value.items():
                kind = type(item)
                if kind is str:
                    if key in NAMING_KEYS:
                        add(item)
                elif (kind is list or kind is dict) and key != "names":
                    if kind is list and key in LISTING_KEYS:
                        ids.update([i for i in item if type(i) is str])
                    push(item)
        else:
            for item in value:
                kind = type(item)
                if kind is dict or kind is list:
                    push(item)
    return ids


def masked_outcomes(result: dict[str, Any], namer: Namer) -> dict[str, Any]:
    """A kept call sheet (:func:`orggraph.incidents.call_sheet`) with each outcome's note, free-form text,
    masked unless the namer unmasks (then the household is counted in ``namer.shown``, for the audit log)."""
    entries = []
    for entry in result["entries"]:
        outcome = entry.get("outcome")
        if outcome is not None and outcome.get("note"):
            entry = {**entry, "outcome": {**outcome, "note": namer.text(entry["household"], "note", outcome["note"])}}
        entries.append(entry)
    return {**result, "entries": entries}


def names_of(result: Any, namer: Namer, within: Callable[[str], bool] | None = None) -> dict[str, Name]:
    """The names of every node an answer names (:func:`named_ids`), for a key ``"names"`` beside its ids:
    ``{id: {"name", "kind"}}``, with ``"phone"`` for a member or a household and ``"address"`` for a
    household, masked unless the namer's ``unmask`` (the ids shown unmasked go to ``namer.shown``, for
    the audit log). Read in bulk: one pass over the store however many ids.

    ``within`` keeps only the ids it allows (a token's :meth:`Scope.sees <orggraph.access.Scope.sees>`):
    the others are neither named nor read. Ids that name no node are left out.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "n.db"))
    >>> _ = store.load([("node", "1", {"id": "m1", "kind": "Member", "name": "王芳", "phone": "13800001111"}),
    ...                 ("node", "2", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"})])
    >>> names_of({"links": [{"member": "m1", "area": "b1"}], "unavailable": ["m9"]}, Namer.of(store))
    {'b1': {'name': '1号楼', 'kind': 'Area'}, 'm1': {'name': '王芳', 'kind': 'Member', 'phone': '138****1111'}}
    """
    ids = sorted(i for i in named_ids(result) if within is None or within(i))
    namer.read(ids)
    names = {}
    for node_id in ids:
        described = namer.described(node_id)
        if described is not None:
            names[node_id] = described
    return names


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    def width(text: str) -> int:  # CJK characters take two columns
        return sum(2 if ord(c) > 0x2E80 else 1 for c in text)

    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for j, row in enumerate(cells):
        lines.append("  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(row)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _whatif(result: dict[str, Any]) -> str:
    gone = result.get("unavailable") or []
    return f", with {len(gone)} member{'s' if len(gone) != 1 else ''} unavailable" if gone else ""


def coverage_text(result: dict[str, Any]) -> str:
    head = (
        f"Coverage as of {result['as_of']}{_whatif(result)}: {result['covered']:,} of {result['households']:,} "
        f"households covered ({_pct(result['rate'])}), {result['uncovered']:,} uncovered; "
        f"people {_pct(result['people_rate'])}; vulnerable households {result['vulnerable_covered']:,} of "
        f"{result['vulnerable']:,} ({_pct(result['vulnerable_rate'])})."
    )
    rows = [
        [a["id"], a["name"], LABELS.get(a["level"], a["level"]), a["households"], a["covered"], a["uncovered"],
         _pct(a["rate"]), _pct(a["people_rate"]), _pct(a["vulnerable_rate"])]
        for a in result["areas"]
    ]
    table = _table(["id", "name", "level", "households", "covered", "uncovered", "rate", "people", "vulnerable"], rows)
    return head + "\n\n" + table if rows else head


def chain_text(result: dict[str, Any], namer: Namer) -> str:
    status = "covered" if result["covered"] else "NOT COVERED: no available contact"
    lines = [f"包保 chain of household {result['household']} as of {result['as_of']}{_whatif(result)} ({status})"]
    rows = []
    for step, link in enumerate(result["links"], 1):
        where = namer.name(link["area"]) if link["area"] else namer.name(link["unit"]) if link["unit"] else ""
        who = namer.name(link["member"]) or "(nobody)"
        if link.get("acting"):  # someone below the secretary answers: the secretary's post is empty or out of reach
            who += f" (acting, {link['post'].replace('_', ' ')})"
        rows.append([step, ROLE_LABELS[link["role"]] + f" {link['role']}", who,
                     namer.phone(link["member"]), where, namer.name(link["org"])])
    if rows:
        lines.append(_table(["#", "role", "member", "phone", "area / unit", "organization"], rows))
    for b in result["breaks"]:
        place = namer.name(b["area"]) if b["area"] else "sending unit"
        lines.append(f"BREAK at {place}: {REASON_LABELS[b['reason']]} {b['reason']}" + (f", {namer.name(b['org'])}" if b["org"] else ""))
    return "\n".join(lines)


#: what a search hit was found by, as its text says it
MATCH_LABELS = {"id": "编号 id", "name": "名称 name", "address": "地址 address", "phone": "电话 phone"}


def search_text(result: dict[str, Any], namer: Namer) -> str:
    """A search (:func:`orggraph.queries.search`) as text: each hit with its kind, what it was found by, its
    name, phone and address (masked unless the namer unmasks).

    Examples
    --------
    >>> print(search_text({"query": "5678", "as_of": "2026-11-23", "more": True, "phone_needs_pii": False,
    ...                    "hits": [{"id": "h1", "kind": "Household", "match": "phone"}]}, Namer(None)))
    Search for '5678' as of 2026-11-23: 1 hit, more left off (--limit)
    id  kind       found by    name  phone  address
    --  ---------  ----------  ----  -----  -------
    h1  Household  电话 phone
    """
    hits = result["hits"]
    head = f"Search for {result['query']!r} as of {result['as_of']}: {len(hits)} hit{'s' if len(hits) != 1 else ''}"
    lines = [head + (", more left off (--limit)" if result["more"] else "")]
    if result["phone_needs_pii"]:
        lines.append("Not looked for in phones: a masked phone shows its last 4 digits only; search by those, "
                     "or by more with --unmask")
    if hits:
        namer.read(hit["id"] for hit in hits)
        lines.append(_table(["id", "kind", "found by", "name", "phone", "address"],
                            [[hit["id"], hit["kind"], MATCH_LABELS[hit["match"]], namer.bare_name(hit["id"])
                              if namer.record(hit["id"]).get("name") else "", namer.phone(hit["id"]),
                              namer.address(hit["id"]) if hit["kind"] == "Household" else ""] for hit in hits]))
    return "\n".join(lines)


def gaps_text(result: dict[str, Any], namer: Namer, limit: int = 20) -> str:
    """Every kind of gap (:func:`orggraph.queries.gaps`) as text: each kind's title and count, and up to
    ``limit`` items of it, named."""
    head = {key: f"{english} {GAP_KINDS[key]}" for key, english in _GAP_ENGLISH.items()}
    sections: list[tuple[str, list[Any], Callable[[Any], str]]] = [
        (head["uncovered_households"], result["uncovered_households"], str),
        (f"overloaded members (more than {result['max_households']} households) {GAP_KINDS['overloaded_members']}",
         result["overloaded_members"], lambda x: f"{namer.name(x['member'])}: {x['households']} households"),
        (head["idle_sunk_members"], result["idle_sunk_members"], namer.name),
        (head["vacant_posts"], result["vacant_posts"],
         lambda x: f"{namer.name(x['area'] or x['org'])}: {REASON_LABELS[x['reason']]} {x['reason']}"
                   + (f", {namer.name(x['acting'])} acts" if x.get("acting") else "")),
        (head["idle_units"], result["idle_units"], namer.name),
        (head["critical_members"], result["critical_members"],
         lambda x: f"{namer.name(x['member'])}: {x['households']} households"),
        (head["unassigned_areas"], result["unassigned_areas"],
         lambda x: f"{namer.name(x['area'])}: {x['households']} household{'s' if x['households'] != 1 else ''}"),
        (head["territory_shape"], result["territory_shape"], lambda x: shape_line(x, namer)),
        (head["cross_boundary_contacts"], result["cross_boundary_contacts"],
         lambda x: f"{namer.name(x['member'])} -> {x['household']}"),
        (head["lapsed_households"], result["lapsed_households"], str),
        (head["unlocated_households"], result["unlocated_households"], str),
    ]
    lines = [f"Gaps as of {result['as_of']}{_whatif(result)}"]
    for title, items, show in sections:
        lines.append(f"\n{title}: {len(items):,}")
        for item in items[:limit]:
            lines.append(f"  {show(item)}")
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit:,} more (--limit, or --json for all)")
    return "\n".join(lines)


def shape_line(fault: dict[str, Any], namer: Namer) -> str:
    """One fault of the territory's shape as a sentence (``check`` and ``gaps`` print it)."""
    within = ", ".join(namer.name(a) for a in fault["within"])
    line = f"{namer.name(fault['area'] or fault['org'])} {SHAPE_LABELS[fault['fault']]}"
    if within:
        line += f" ({within})"
    if fault["fault"] == "outside_street":
        line += f", with {fault['households']:,} household{'s' if fault['households'] != 1 else ''} outside every street"
    return line


def _first_callers(entry: dict[str, Any], namer: Namer) -> tuple[str, str]:
    """The first contact (or the first person further up) and the first break."""
    for link in entry["chain"]["links"]:
        if link["member"] and link["role"] in {"contact", "area", "org"}:
            return f"{namer.name(link['member'])} {namer.phone(link['member'])}".strip(), ROLE_LABELS[link["role"]]
    return "", ""


def stand_in_of(entry: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """An entry's stand-in and, where none was assigned, why (``nobody_nearby``, ...; None if not said):
    the one assigned (``stand_in``), or the first of those suggested (``stand_ins``) in an older answer.

    Examples
    --------
    >>> stand_in_of({"stand_in": None, "unassigned": "no_capacity"})
    (None, 'no_capacity')
    >>> stand_in_of({"stand_ins": [{"member": "m1"}, {"member": "m2"}]})
    ({'member': 'm1'}, None)
    """
    if "stand_in" in entry:
        return entry["stand_in"], entry.get("unassigned")
    suggested = entry.get("stand_ins") or []
    return (suggested[0] if suggested else None), None


def _outcome_text(outcome: dict[str, Any] | None) -> str:
    if outcome is None:
        return "-"
    return f"{STATUS_LABELS.get(outcome['status'], outcome['status'])} {outcome['status']} ({outcome['by']})"


def incident_text(result: dict[str, Any], namer: Namer, limit: int = 50) -> str:
    lines = [
        f"Incident as of {result['as_of']}{_whatif(result)}: areas {', '.join(namer.name(a) for a in result['areas']) or '-'}; "
        f"{result['households']:,} households, {result['uncovered']:,} uncovered, {result['vulnerable']:,} vulnerable"
    ]
    kept = result.get("incident")
    if kept is not None:  # a kept incident's sheet: its name, and each door's latest outcome
        lines[0] = f"Incident {kept['id']} {kept['name']}" + (f" (closed {kept['closed']})" if kept["closed"] else "") \
            + lines[0][len("Incident"):]
    rows = []
    for entry in result["entries"][:limit]:
        caller, role = _first_callers(entry, namer)
        stand_in, unassigned = stand_in_of(entry)
        if stand_in is not None:
            shown = (f"{namer.name(stand_in['member'])} {namer.phone(stand_in['member'])}".strip()
                     + f" [{LABELS.get(stand_in['level'], stand_in['level'])}]")
        else:
            shown = f"none ({unassigned})" if unassigned else ""
        rows.append([
            entry["household"], namer.address(entry["household"]),
            ("vulnerable " if entry["vulnerable"] else "") + ("UNCOVERED" if not entry["covered"] else "covered"),
            caller, role, shown,
        ] + ([_outcome_text(entry.get("outcome"))] if kept is not None else []))
    lines.append(_table(["household", "address", "status", "call first", "as", "stand-in"]
                        + (["outcome"] if kept is not None else []), rows))
    if result["households"] > limit:
        lines.append(f"... and {result['households'] - limit:,} more (--limit, --json or --xlsx for all)")
    return "\n".join(lines)


# --- the call sheet ------------------------------------------------------------------------------------------

#: a door's outcome as the call sheet writes it, by status, in the statuses' order
STATUS_LABELS = {"reached": "已联系到", "no_answer": "无人应答", "needs_help": "需要帮助", "moved_out": "已搬离",
                 "refused": "拒绝"}
#: why an uncovered household has no stand-in
UNASSIGNED_LABELS = {"nobody_nearby": "附近无可顶岗党员", "no_capacity": "附近党员均已满负荷",
                     "unlocated": "住户未定位", "contacted_later": "此后已有包保联系人"}
#: the call sheet's sheet, and the headers read back from it (:func:`orggraph.io.outcomes.read_outcomes`)
CALL_SHEET = "应急联络单"
HOUSEHOLD_HEADER, OUTCOME_HEADER, BY_HEADER, NOTE_HEADER = "住户编号", "结果", "登记人", "备注"
#: a kept incident's sheet has a hidden column after the last: its header is this and the incident's id,
#: and each row holds its household's id as written, which tells a 住户编号 changed by hand
KEY_PREFIX = "incident:"
#: after a row's household id in that column, the number of the mark its outcome was printed with: what
#: is read back unchanged is no new mark, and a door marked again since is not overwritten by the paper
PRINTED_MARK = "#mark:"
#: the call sheet's columns and their widths (in digits of the default font); 结果 only for a kept incident
_COLUMNS = (("序号", 5), (HOUSEHOLD_HEADER, 11), ("地址", 22), ("户主/人数", 9), ("住户电话", 13),
            ("重点人群", 10), ("状态", 7), ("包保联系人及电话", 19), ("上级责任人", 30), ("断点", 22),
            ("顶岗人员及电话", 19), (OUTCOME_HEADER, 10), (BY_HEADER, 11), (NOTE_HEADER, 16))
#: the columns shaded on an uncovered household's row: its number to its status
_SHADED = 7
#: the size of the sheet's text, and the height (in points) of one line of it and of a cell's padding:
#: enough for a Chinese font's line, which is taller than a Latin one's
_FONT_SIZE = 10
_LINE_POINTS, _PAD_POINTS = 14.5, 4.0
_TITLE_SIZE, _TITLE_LINE = 14, 20.0
#: the tallest a row may be (Excel's limit, in points)
_MAX_HEIGHT = 409.0
#: how wide (in digits, a Chinese character two) the incident's name and id, and its areas, are shown at the
#: top of each page: within Excel's 255 characters a page's header holds, and on one line of the page
_HEADER_NAME, _HEADER_ID, _HEADER_AREAS = 40, 30, 70
#: how wide the areas are listed in the sheet's second row
_SUMMARY_AREAS = 300
_WIDE = "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd"
#: the pieces a line wraps between: one wide character, a word, or the spaces between words
_PIECES = re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+|[^\\S\\n]+")
#: the columns :func:`_call_row` fills; the rest are filled in by hand
_FILLED = 11


def wrapped_lines(text: str, width: float) -> int:
    """How many lines a cell's text takes in a column ``width`` digits wide, wrapped as a spreadsheet
    wraps it: at its line breaks, between words, and between any two Chinese characters; a word wider
    than the column is broken where it must be. A Chinese character counts two digits (:func:`~orggraph.
    io.excel.text_width`).

    Examples
    --------
    >>> wrapped_lines("廖敏伟 (m0000018)\\n159****3738", 18), wrapped_lines("云河市江滨街道桂花社区4号楼", 10)
    (2, 3)
    >>> wrapped_lines("", 10), wrapped_lines("h00000131h00000131", 5)
    (1, 4)
    """
    from .io.excel import text_width

    room = max(width, 1)
    total = 0
    for line in text.split("\n"):
        lines, used = 1, 0.0
        for piece in _PIECES.findall(line):
            if piece.isspace():
                used += len(piece) if used else 0  # a space at a line's start is not shown
                continue
            size = text_width(piece)
            if used + size <= room:
                used += size
                continue
            if size <= room:
                lines, used = lines + 1, size
                continue
            if used:  # a word wider than the column starts its own line, and is broken at the column's edge
                lines += 1
            more, used = divmod(size, room)
            lines += int(more) - (0 if used else 1)
            used = used or room
        total += lines
    return total


def _row_height(texts: list[Any], widths: list[float], line: float = _LINE_POINTS) -> float:
    """The height (points) a row needs to show every line of its cells: what LibreOffice and some versions
    of Excel do not work out for wrapped text by themselves."""
    most = max((wrapped_lines(str(t), w - 1) for t, w in zip(texts, widths) if t not in (None, "")), default=1)
    return min(round(most * line + _PAD_POINTS, 1), _MAX_HEIGHT)


def _header_text(text: str) -> str:
    """Text for a page's header: ``&`` doubled (a lone one starts a code there), and a character no
    workbook can hold shown as U+FFFD, as in the cells."""
    from .io.excel import _XML_ILLEGAL

    return _XML_ILLEGAL.sub("\ufffd", text).replace("&", "&&")


def _cut(text: str, room: int) -> str:
    """The text, cut short with … to be at most ``room`` wide (``&`` counting two, as a page's header
    writes it)."""
    from .io.excel import text_width

    if text_width(text) + text.count("&") <= room:
        return text
    used, kept = 1, []
    for char in text:
        used += text_width(char) + (char == "&")
        if used > room:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _areas_line(names: list[str], room: int) -> str:
    """The areas' names, as many as fit ``room`` wide (``&`` counting two), and how many there are in all.

    >>> _areas_line(["一号楼 (b1)", "二号楼 (b2)", "三号楼 (b3)", "四号楼 (b4)"], 40)
    '一号楼 (b1)、二号楼 (b2) 等 4 个区域'
    """
    from .io.excel import text_width

    shown = "、".join(names)
    if _cut(shown, room) == shown:
        return shown
    tail = f" 等 {len(names)} 个区域"
    line = ""
    for name in names:
        longer = f"{line}、{name}" if line else name
        if _cut(longer + tail, room) != longer + tail:
            break
        line = longer
    return (line or _cut(names[0], room - text_width(tail))) + tail


def _call_row(number: int, entry: dict[str, Any], namer: Namer) -> list[Any]:
    """One household's cells on the call sheet, but for the columns filled in by hand."""
    household = entry["household"]
    links = entry["chain"]["links"]

    def who(member: str) -> str:
        return "\n".join(filter(None, [namer.name(member), namer.phone(member)]))

    record = namer.record(household)
    flags = [HOUSEHOLD_FLAGS.get(f, f) for f in record.get("flags") or () if isinstance(f, str)]
    roles: dict[str, list[str]] = {}  # the first three people further up, each once with every role held
    for link in links:
        if link["role"] in {"area", "org"} and link["member"] and (link["member"] in roles or len(roles) < 3):
            label = "包片" if link["role"] == "area" else POSTS.get(link.get("post") or "", "负责人")
            label += "（代）" if link.get("acting") else ""
            held = roles.setdefault(link["member"], [])
            if label not in held:
                held.append(label)
    upper = [f"{'、'.join(held)} {namer.bare_name(m)} {namer.phone(m)}".rstrip() for m, held in roles.items()]
    stand_in, unassigned = stand_in_of(entry)
    if stand_in is not None:
        standing = f"{who(stand_in['member'])}（{LABELS.get(stand_in['level'], stand_in['level'] or '')}）"
    elif not entry["covered"]:
        standing = "未安排" + (f"：{UNASSIGNED_LABELS.get(unassigned, unassigned)}" if unassigned else "")
    else:
        standing = ""
    return [
        number,
        household,
        namer.address(household),
        "\n".join(filter(None, [namer.head(household), f"{entry['people']} 人"])),
        namer.phone(household),
        "、".join(flags) or ("重点" if entry["vulnerable"] else ""),
        "未覆盖" if not entry["covered"] else "已覆盖",
        "\n".join(who(l["member"]) for l in links if l["role"] == "contact" and l["member"]),
        "\n".join(upper),
        "\n".join(f"{REASON_LABELS[b['reason']]}：{namer.name(b['org'] or b['area'])}" for b in entry["chain"]["breaks"]),
        standing,
    ]


def _sheet_head(ws: Any, title: str, summary: str, headers: list[str], widths: list[float]) -> None:
    """A printed sheet's first three rows: its title, a line of what it holds (both across every column) and
    the table's header row, boxed and shaded; each as tall as its wrapped lines (``widths``, in characters)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from .io.excel import text_row

    last = get_column_letter(len(headers))
    thin = Side(style="thin", color="808080")
    ws.append(text_row(ws, [title], replace=True))
    ws["A1"].font = Font(size=_TITLE_SIZE, bold=True)
    ws.append(text_row(ws, [summary], replace=True))
    ws["A2"].font, ws["A2"].alignment = Font(size=_FONT_SIZE), Alignment(wrap_text=True, vertical="top")
    for row in (1, 2):
        ws.merge_cells(f"A{row}:{last}{row}")
    ws.row_dimensions[1].height = _TITLE_LINE + _PAD_POINTS
    ws.row_dimensions[2].height = _row_height([summary], [sum(widths)])
    ws.append(text_row(ws, headers, replace=True))
    for cell in ws[3]:
        cell.font = Font(size=_FONT_SIZE, bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border, cell.fill = Border(left=thin, right=thin, top=thin, bottom=thin), PatternFill("solid", fgColor="DDEBF7")
    ws.row_dimensions[3].height = _row_height(headers, widths)


def incident_workbook(result: dict[str, Any], namer: Namer, path: str | os.PathLike[str], *,
                      incident: dict[str, Any] | None = None) -> None:
    """An Excel call sheet (应急联络单) a street office prints and works through, one household a row.

    ``incident`` is None for a call sheet of the day, or the kept incident the sheet is of (``{"id",
    "name", "opened", "as_of", "areas"}``): then a column 结果 takes each door's outcome (a drop-down of
    :data:`STATUS_LABELS`), with 登记人 (the member id of who called) and 备注, and
    :func:`orggraph.io.outcomes.read_outcomes` reads the sheet back once filled in. The incident's id is
    written in the title, and in the header of a hidden column which also holds each row's household id.

    Columns: 序号, 住户编号, 地址 and 住户电话 (masked unless the namer unmasks), 户主/人数, 重点人群
    (the household's flags), 状态 (已覆盖/未覆盖, an uncovered row shaded), 包保联系人及电话, 上级责任人,
    断点, 顶岗人员及电话 (the assigned stand-in), 结果, 登记人, 备注. Every text is written as text
    (:func:`orggraph.io.excel.text_row`): a name beginning with ``=`` is shown as written, never run as
    a formula; a character no workbook can hold is shown as U+FFFD.

    It prints on A4 landscape, one page wide: the incident, its areas and its day at the top of every
    page, the header row repeated, 第 P 页 / 共 N 页 at the foot; each row as tall as its cells' lines.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .io.excel import text_row

    columns = [(h, w) for h, w in _COLUMNS if incident is not None or h != OUTCOME_HEADER]
    headers, widths = [h for h, _ in columns], [float(w) for _, w in columns]
    last = get_column_letter(len(columns))
    book = Workbook()
    ws = book.active
    ws.title = CALL_SHEET
    as_of = (incident or {}).get("as_of") or result["as_of"]
    area_ids = list((incident or {}).get("areas") or result["areas"])
    names = [namer.name(a) for a in area_ids]
    title = "应急联络单" + (f" · {incident['name']}" if incident is not None and incident.get("name") else "")
    facts = []
    if incident is not None:
        facts.append(f"编号 {incident['id']}")
        if incident.get("opened"):
            facts.append(f"登记于 {incident['opened']}")
    facts += [f"截至 {as_of}", f"区域 {_areas_line(names, _SUMMARY_AREAS) if names else '-'}",
              f"住户 {result['households']} 户，未覆盖 {result['uncovered']} 户，重点人群 {result['vulnerable']} 户"]
    if result.get("unavailable"):
        facts.append(f"无法联系党员 {len(result['unavailable'])} 人")
    summary = " · ".join(facts)

    body, top = Font(size=_FONT_SIZE), Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    shade = PatternFill("solid", fgColor="FCE4D6")

    _sheet_head(ws, title, summary, headers, widths)

    hand = len(columns) - _FILLED
    centred = Alignment(wrap_text=True, vertical="top", horizontal="center")
    styled: dict[tuple[int, bool], Any] = {}  # (column, shaded): the style of the first such cell
    for number, entry in enumerate(result["entries"], 1):
        values = _call_row(number, entry, namer)
        outcome = entry.get("outcome") if incident is not None else None
        written = [None] * hand
        if outcome is not None and hand >= 3:  # the latest mark so far, to be read back unchanged or changed
            note = namer.text(entry["household"], "note", outcome["note"]) if outcome.get("note") else None
            written[:3] = [STATUS_LABELS.get(outcome["status"], outcome["status"]), outcome["by"], note]
        ws.append(text_row(ws, values + written, replace=True))
        row = 3 + number  # the title, the summary and the headers above: never ws.max_row nor ws[row], each
        # of which reads every cell written so far (a sheet of thousands of rows took minutes)
        cells = next(ws.iter_rows(min_row=row, max_row=row, max_col=len(values) + len(written)))
        for index, cell in enumerate(cells):
            key = (index, index < _SHADED and not entry["covered"])
            if key in styled:  # as the first cell styled alike: its style copied as openpyxl copies a sheet's,
                cell._style = copy(styled[key])  # not each font, fill and border looked up again (half the time)
                continue
            cell.font, cell.alignment, cell.border = body, centred if index == 0 else top, box
            if index >= len(values):
                cell.number_format = "@"  # what is typed in is kept as text: a member id as typed
            if key[1]:
                cell.fill = shade
            styled[key] = copy(cell._style)
        ws.row_dimensions[row].height = _row_height(values, widths)
    end = ws.max_row

    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if incident is not None:
        key = len(columns) + 1
        keys = [f"{KEY_PREFIX}{incident['id']}"] + [
            e["household"] + (f"{PRINTED_MARK}{e['outcome']['seq']}" if e.get("outcome") else "")
            for e in result["entries"]]
        for row, cell in enumerate(text_row(ws, keys, replace=True), 3):
            ws.cell(row, key)._value, ws.cell(row, key).data_type = cell._value, "s"  # as text, whatever it holds
        ws.column_dimensions[get_column_letter(key)].width = 12
        ws.column_dimensions[get_column_letter(key)].hidden = True
        outcome = get_column_letter(headers.index(OUTCOME_HEADER) + 1)
        choose = DataValidation(type="list", formula1='"' + ",".join(STATUS_LABELS.values()) + '"', allow_blank=True,
                                showErrorMessage=True, showInputMessage=True)
        choose.error, choose.errorTitle = "请从下拉列表中选择：" + "、".join(STATUS_LABELS.values()), "结果"
        choose.prompt, choose.promptTitle = "联系结果：" + "、".join(STATUS_LABELS.values()), "结果"
        ws.add_data_validation(choose)
        if end >= 4:
            choose.add(f"{outcome}4:{outcome}{end}")

    ws.freeze_panes = "C4"
    left = "应急联络单"
    if incident is not None:
        left += f" {_cut(incident.get('name') or '', _HEADER_NAME)}（编号 {_cut(str(incident['id']), _HEADER_ID)}）"
    _page_setup(ws, last, max(end, 3), "3:3", left, as_of, center=_areas_line(names, _HEADER_AREAS) if names else "")
    book.save(path)


# --- the list of gaps a clerk works through (问题清单) ---------------------------------------------------------

#: what each kind of gap means, for the list's summary sheet (``{max}``: the overload limit)
GAP_NOTES = {
    "uncovered_households": "没有在岗党员包保联系的住户",
    "overloaded_members": "包保住户超过上限（{max} 户）的党员",
    "idle_sunk_members": "已下沉报到，但既未包保住户、也未分配区域的党员",
    "vacant_posts": "有住户却无管辖组织的区域；无在岗负责人或书记空缺的党组织",
    "idle_units": "签订共建，但未派党员下沉报到的单位",
    "critical_members": "一旦缺位，住户在本楼栋、网格内便无人负责的党员",
    "unassigned_areas": "有住户，但未指派楼栋长、网格员的区域",
    "territory_shape": "隶属关系有误的区域和党组织",
    "cross_boundary_contacts": "包保人所下沉组织管辖区域以外的住户",
    "lapsed_households": "包保关系均已到期、没有在期联系人的住户",
    "unlocated_households": "未登记所在楼栋（区域）的住户",
}
#: a fault of the territory's shape, as the list says it
SHAPE_DETAILS = {"within_two": "同时隶属多个区域", "within_lower": "隶属于同级或更低级的区域",
                 "outside_street": "不在任何街道（乡镇）之内", "org_above_nothing": "其上级组织不管辖其上方的任何区域"}
#: who is missing from an area with households and nobody assigned, by the area's level
_MISSING_ROLE = {"building": "楼栋长", "entrance": "楼栋长", "grid": "网格员", "compound": "网格员",
                 "micro_grid": "网格员", "village_group": "网格员"}
#: the kind of record each kind of gap is a list of (vacant posts and the territory's shape: areas or orgs)
_GAP_RECORDS = {"uncovered_households": "Household", "overloaded_members": "Member", "idle_sunk_members": "Member",
                "idle_units": "Unit", "critical_members": "Member", "unassigned_areas": "Area",
                "cross_boundary_contacts": "Household", "lapsed_households": "Household",
                "unlocated_households": "Household"}
#: the ranks (:data:`~orggraph.model.AREA_RANK`) whose areas say where a record lies: community and grid
_PLACE_RANKS = (1, 2)


def _everything(node_id: str) -> bool:
    return True


def _gap_items(result: dict[str, Any], key: str) -> list[tuple[str, str, Any]]:
    """(record, its kind, the entry of the answer) of each item of one kind of gap, in the answer's order."""
    items = result.get(key) or []
    if key == "vacant_posts":
        return [(v["area"] or v["org"], "Area" if v["area"] else "Org", v) for v in items]
    if key == "territory_shape":
        return [(f["area"] or f["org"], "Area" if f["area"] else "Org", f) for f in items]
    kind = _GAP_RECORDS[key]
    if key in ("overloaded_members", "critical_members"):
        return [(x["member"], kind, x) for x in items]
    if key == "unassigned_areas":
        return [(x["area"], kind, x) for x in items]
    if key == "cross_boundary_contacts":
        return [(x["household"], kind, x) for x in items]
    return [(x, kind, x) for x in items]


class _Places:
    """Where records lie on a day, as the names of their community and grid (:data:`_PLACE_RANKS`): read in
    bulk, a few reads of the facts (:mod:`orggraph.facts`) however many records, and each area's place
    worked out once.

    A household lies where it is located; an area within the areas above it; an organization where it
    governs; a member where it is assigned, or else where the organizations it sunk to (or holds a post
    in) govern; a unit where the organizations it co-builds with govern. Only the areas ``allowed``
    names are named. With neither a store nor an index behind the namer, nothing is known.

    Parameters
    ----------
    namer : Namer
        Reads the facts from its index, or else its store.
    as_of : str
        The day (ISO) whose edges count.
    records : {kind: [id]}
        The records to place, by kind.
    allowed : callable
        ``allowed(id)``: whether an area may be named.
    sunk : list of str
        Other members whose organizations sunk to are wanted (:attr:`sunk`).
    """

    def __init__(self, namer: Namer, as_of: str, records: dict[str, list[str]], allowed: Callable[[str], bool],
                 sunk: Iterable[str] = ()):
        from .facts import Day

        source: Any = namer.index if namer.index is not None else namer.store
        self.allowed = allowed
        #: record -> (the areas it lies in, whether those areas themselves are named)
        self.where: dict[str, tuple[list[str], bool]] = {}
        #: a member -> the organizations it sunk to; a unit -> the organizations it co-builds with
        self.sunk: dict[str, list[str]] = {}
        self.co_builds: dict[str, list[str]] = {}
        self._picked: dict[tuple[int, bool], tuple[str, ...]] = {}
        if source is None:
            self.territory = None
            return
        facts = source.facts()
        self.territory = facts.territory(Day(as_of))

        def ends(type_: str, ids: Iterable[str]) -> dict[str, list[str]]:
            ids = set(ids)
            found: dict[str, list[str]] = {}
            if ids:
                for source_, target, _ in facts.edges(type_, sources=ids, day=as_of):
                    found.setdefault(source_, []).append(target)
            return found

        members, units = records.get("Member", []), records.get("Unit", [])
        self.sunk, self.co_builds = ends("SUNK_TO", [*members, *sunk]), ends("CO_BUILDS", units)
        assigned = ends("ASSIGNED_TO", members)
        posts = ends("HOLDS_POST", [m for m in members if m not in assigned and m not in self.sunk])
        orgs = set(records.get("Org", [])).union(*self.sunk.values(), *self.co_builds.values(), *posts.values())
        governs = ends("GOVERNS", orgs)

        def governed(org_lists: Iterable[list[str]]) -> list[str]:
            return sorted({a for found in org_lists for org in found for a in governs.get(org, ())})

        for household, areas in ends("LOCATED_IN", records.get("Household", [])).items():
            self.where[household] = (areas, True)
        for area in records.get("Area", []):
            self.where[area] = ([area], False)
        for org in records.get("Org", []):
            self.where[org] = (governs.get(org, []), True)
        for member in members:
            areas = assigned.get(member) or governed([self.sunk.get(member, [])]) or governed([posts.get(member, [])])
            self.where[member] = (areas, True)
        for unit in units:
            self.where[unit] = (governed([self.co_builds.get(unit, [])]), True)

    def _pick(self, area: int, own: bool) -> tuple[str, ...]:
        """The areas that say where an area (``own``) or what lies in it lies: those of a community's or a
        grid's rank at or above it, the highest first; failing those the nearest above it."""
        key = (area, own)
        picked = self._picked.get(key)
        if picked is None:
            t = self.territory
            assert t is not None
            chain = t.ancestry(area)[(0 if own else 1):]
            ranks = [AREA_RANK.get(t.levels[a] or "") for a in chain]
            chosen = [a for a, rank in zip(chain, ranks) if rank in _PLACE_RANKS]
            picked = self._picked[key] = tuple(t.ids[a] for a in reversed(chosen or chain[:1]) if self.allowed(t.ids[a]))
        return picked

    def areas(self, record: str) -> list[tuple[str, ...]]:
        """The places a record lies in, each the areas that name it (community first), each place once."""
        where = self.where.get(record)
        if where is None or self.territory is None:
            return []
        position, (areas, own) = self.territory.position, where
        places = [self._pick(position[a], own) for a in areas if a in position]
        return list(dict.fromkeys(p for p in places if p))

    def named(self) -> set[str]:
        """Every area that names a place of a record."""
        return {a for record in self.where for place in self.areas(record) for a in place}


def _place_text(names: list[str]) -> str:
    """The names of a place's areas, outermost first, joined by `` / ``; an inner name that begins with
    the end of the outer one (three characters or more) without it.

    >>> _place_text(["江滨街道桂花社区", "桂花社区第1网格"]), _place_text(["桂花社区", "第2网格"])
    ('江滨街道桂花社区 / 第1网格', '桂花社区 / 第2网格')
    >>> _place_text(["和平社区", "和平社区"])
    '和平社区 / 和平社区'
    """
    shown = names[:1]
    for outer, inner in zip(names, names[1:]):
        for n in range(min(len(outer), len(inner) - 1), 2, -1):
            if outer.endswith(inner[:n]):
                inner = inner[n:]
                break
        shown.append(inner)
    return " / ".join(shown)


def _listed(names: list[str], most: int = 3, what: str = "个") -> str:
    """Names joined by 、, the first ``most`` of them and how many in all when there are more.

    >>> _listed(["甲", "乙"]), _listed(["甲", "乙", "丙", "丁"], 2, "个组织")
    ('甲、乙', '甲、乙 等 4 个组织')
    """
    shown = "、".join(names[:most])
    return shown if len(names) <= most else f"{shown} 等 {len(names)} {what}"


def gap_rows(result: dict[str, Any], namer: Namer, within: Callable[[str], bool] | None = None
             ) -> dict[str, list[GapRow]]:
    """Every kind of gap (:data:`GAP_KINDS`) as a list a clerk works through: a row an item, with names,
    places, addresses and phones, not ids only, each row linking to its record.

    A row (:class:`~orggraph.results.GapRow`) holds ``record`` (the id it links to: the household,
    member, area, organization or unit at fault), its ``kind``, its ``name`` (None where it has none,
    as a household mostly has), ``area`` (the names of the community and grid it lies in, ``桂花社区 /
    第1网格``, the grid's name without the community's at its start; left out where not known), a household's ``address`` and ``phone`` and a member's
    ``phone`` (None where it has none), ``detail`` (what is wrong, in Chinese: ``包保 23 户（上限 15
    户）``, ``书记空缺，张三 (m12) 代理``) and ``related`` (the other records ``detail`` names).

    Cross-boundary contacts are rows of the household contacted from outside, the member in ``detail``;
    vacant posts and faults of the territory's shape are rows of an area or an organization. The rows
    of each kind keep the answer's order (by id; critical members most households first).

    Phones, addresses and any phone- or id-card-shaped number in a name are masked unless the namer
    unmasks (then the records shown go to ``namer.shown``, for the audit log). Read in bulk: the
    records once (:meth:`Namer.read`), and where they lie from the facts of the namer's index or store
    (a few reads, whatever the count; 10,000 rows in a fraction of a second on the store file).

    Parameters
    ----------
    result : dict
        The answer of :func:`orggraph.queries.gaps`, perhaps cut to a scope
        (:func:`orggraph.access.gaps_within`); a kind it lacks has no rows.
    namer : Namer
        Names and masks; its index or store also says where records lie (``area``).
    within : callable, optional
        ``within(id)``: whether a record may be shown (a token's :meth:`Scope.sees
        <orggraph.access.Scope.sees>`). A row of a record it refuses is left out; another record it
        refuses is not named in a row's ``detail`` nor ``area``.

    Returns
    -------
    dict of str to list of GapRow
        One key a kind of :data:`GAP_KINDS`, in its order; an empty list where there are none.

    Raises
    ------
    KeyError
        An item of the answer without its fields (not an answer of :func:`~orggraph.queries.gaps`).
    StoreUnavailable
        A store on a graph server that cannot be reached.

    Examples
    --------
    >>> import os, tempfile
    >>> from orggraph.queries import gaps
    >>> from orggraph.store import EmbeddedStore
    >>> store = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.db"))
    >>> _ = store.load([("node", "1", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
    ...                 ("node", "2", {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"}),
    ...                 ("node", "3", {"id": "h1", "kind": "Household", "address": "桂花社区1号楼101室",
    ...                                "phone": "13900002222"}),
    ...                 ("edge", "4", {"type": "WITHIN", "source": "b1", "target": "c1"}),
    ...                 ("edge", "5", {"type": "LOCATED_IN", "source": "h1", "target": "b1"})])
    >>> rows = gap_rows(gaps(store, as_of="2026-11-23"), Namer.of(store))
    >>> rows["uncovered_households"]
    [{'record': 'h1', 'kind': 'Household', 'name': None, 'area': '桂花社区', 'address': '桂花社区1号楼****', 'phone': '139****2222', 'detail': '无在岗包保联系人', 'related': []}]
    >>> [(r["record"], r["area"], r["detail"]) for r in rows["unassigned_areas"]]
    [('b1', '桂花社区', '住户 1 户，未指派楼栋长')]
    """
    allowed = within if within is not None else _everything
    items = {key: [item for item in _gap_items(result, key) if allowed(item[0])] for key in GAP_KINDS}
    records: dict[str, list[str]] = {}
    for found in items.values():
        for record, kind, _ in found:
            records.setdefault(kind, []).append(record)
    places = _Places(namer, result["as_of"], {k: list(dict.fromkeys(v)) for k, v in records.items()}, allowed,
                     sunk=[item["member"] for _, _, item in items["cross_boundary_contacts"] if allowed(item["member"])])

    def named(ids: Iterable[str | None]) -> list[str]:
        return [i for i in dict.fromkeys(ids) if i is not None and allowed(i)]

    related = named([v.get("acting") for v in result.get("vacant_posts") or ()]
                    + [a for f in result.get("territory_shape") or () for a in f["within"]]
                    + [c["member"] for c in result.get("cross_boundary_contacts") or ()]
                    + [o for found in (*places.sunk.values(), *places.co_builds.values()) for o in found])
    namer.read([r for found in records.values() for r in found] + related + sorted(places.named()))
    lapsed = set(result.get("lapsed_households") or ())
    limit = result.get("max_households")

    def sunk_to(member: str) -> list[str]:
        return [namer.bare_name(o) for o in named(places.sunk.get(member, ()))]

    def detail(key: str, record: str, item: Any) -> tuple[str, list[str]]:
        """What is wrong, and the other records it names."""
        if key == "uncovered_households":
            parts = ["无在岗包保联系人"] + (["包保关系已到期"] if record in lapsed else [])
            flags = [HOUSEHOLD_FLAGS.get(f, f) for f in namer.record(record).get("flags") or () if isinstance(f, str)]
            return "；".join(parts + ([f"重点人群：{'、'.join(flags)}"] if flags else [])), []
        if key == "overloaded_members":
            return f"包保 {item['households']} 户" + (f"（上限 {limit} 户）" if limit is not None else ""), []
        if key == "idle_sunk_members":
            orgs = sunk_to(record)
            return (f"已下沉至{_listed(orgs, what='个组织')}，" if orgs else "已下沉报到，") + "未包保住户、未分配区域", \
                named(places.sunk.get(record, ()))
        if key == "vacant_posts":
            acting = named([item.get("acting")])
            text = REASON_LABELS.get(item["reason"], item["reason"])
            return text + (f"，{namer.name(acting[0])} 代理" if acting else ""), acting
        if key == "idle_units":
            orgs = named(places.co_builds.get(record, ()))
            text = f"与{_listed([namer.bare_name(o) for o in orgs], what='个组织')}共建，" if orgs else "签订共建，"
            return text + "未派党员下沉报到", orgs
        if key == "critical_members":
            return f"缺位时 {item['households']} 户在本楼栋、网格内无人负责", []
        if key == "unassigned_areas":
            return f"住户 {item['households']} 户，未指派{_MISSING_ROLE.get(item.get('level') or '', '包片干部')}", []
        if key == "territory_shape":
            above = named(item["within"])
            text = SHAPE_DETAILS.get(item["fault"], item["fault"])
            text += f"：{_listed([namer.name(a) for a in above], what='个')}" if above else ""
            households = item.get("households") or 0
            return text + (f"，涉及住户 {households} 户" if item["area"] and households else ""), above
        if key == "cross_boundary_contacts":
            member = named([item["member"]])
            if not member:
                return "包保人不在其下沉组织管辖区域内包保此户", []
            orgs = sunk_to(member[0])
            return (f"包保人 {namer.name(member[0])} 下沉至{_listed(orgs, what='个组织')}，此户不在其管辖区域内" if orgs
                    else f"包保人 {namer.name(member[0])} 包保此户，此户不在其下沉组织管辖区域内"), \
                member + named(places.sunk.get(member[0], ()))
        if key == "lapsed_households":
            return "包保关系均已到期，没有在期联系人", []
        return "未登记所在楼栋（区域）", []

    rows: dict[str, list[GapRow]] = {}
    for key, found in items.items():
        listed: list[GapRow] = []
        for record, kind, item in found:
            text, others = detail(key, record, item)
            row: dict[str, Any] = {"record": record, "kind": kind, "name": namer._name(record)}
            where = places.areas(record)
            if where:
                row["area"] = "；".join(_place_text([namer.bare_name(a) for a in place]) for place in where[:2]) \
                    + (" 等" if len(where) > 2 else "")
            if kind == "Household":
                row["address"] = namer.address(record) or None
            if kind in ("Household", "Member"):
                row["phone"] = namer.phone(record) or None
            row["detail"], row["related"] = text, others
            listed.append(row)  # type: ignore[arg-type]
        rows[key] = listed
    return rows


#: the list's first sheet: each kind of gap, how many, what it means
GAPS_SHEET = "问题清单"
#: the columns of a kind's sheet: (header, narrowest, widest), in digits of the default font (a Chinese
#: character two); each column as wide as its longest line within these, the rest wrapped
_GAP_COLUMNS = (("序号", 5, 6), ("名称", 8, 28), ("编号", 8, 16), ("所在区域", 10, 40), ("地址", 6, 40),
                ("电话", 6, 14), ("情况", 12, 50))
_SUMMARY_COLUMNS = (("序号", 5), ("问题类别", 18), ("数量", 8), ("说明", 64))
#: what a sheet's name may not hold
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
#: how wide the members supposed unavailable are listed on the summary sheet
_SUMMARY_NAMES = 300


def _sheet_name(title: str, taken: set[str]) -> str:
    """A sheet's name for a title: no character a sheet's name may not hold (/ becomes 、), at most 31
    characters, and none taken yet.

    >>> _sheet_name("无楼栋长/网格员", set()), _sheet_name("空缺", {"空缺"})
    ('无楼栋长、网格员', '空缺 (2)')
    """
    base = _SHEET_NAME.sub("、", title).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:26]} ({n})", n + 1
    taken.add(name)
    return name


def _fitted(texts: Iterable[str], narrowest: float, widest: float) -> float:
    """A column's width: its longest line (and a digit each side), within ``narrowest`` and ``widest``."""
    from .io.excel import text_width

    longest = max((text_width(line) for t in texts for line in t.split("\n")), default=0)
    return float(min(max(longest + 2, narrowest), widest))


def _page_setup(ws: Any, last: str, end: int, titles: str, left: str, as_of: str, center: str | None = None) -> None:
    """A sheet printed on A4 landscape, one page wide: ``titles`` (rows) at the top of every page, a
    header ``left``, ``center`` and the day, 第 P 页 / 共 N 页 at the foot (the call sheet's and the list
    of gaps' alike)."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.print_title_rows = titles
    ws.print_area = f"A1:{last}{end}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages long as the rows take
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.3, right=0.3, top=0.75, bottom=0.6, header=0.3, footer=0.25)
    parts = [(ws.oddHeader.left, left), (ws.oddHeader.right, f"截至 {as_of}")]
    for part, text in parts + ([(ws.oddHeader.center, center)] if center is not None else []):
        part.text, part.size = _header_text(text), 9
    ws.oddFooter.center.text, ws.oddFooter.center.size = "第 &P 页 / 共 &N 页", 9


def gaps_workbook(result: dict[str, Any], namer: Namer, path: str | os.PathLike[str], *,
                  within: Callable[[str], bool] | None = None) -> dict[str, list[GapRow]]:
    """The list of gaps (问题清单) as an Excel workbook a street office prints and works through.

    A summary sheet (:data:`GAPS_SHEET`): the day, the overload limit, the members supposed unavailable
    (the what-if), and each kind of :data:`GAP_KINDS` with its count and what it means, linked to its
    sheet. Then a sheet for each kind that has rows (:func:`gap_rows`), one row an item: 序号, 名称, 编号
    (the record's id), 所在区域, 地址 and 电话 (masked unless the namer unmasks), 情况.

    Every text is written as text (:func:`orggraph.io.excel.text_row`): a name beginning with ``=``,
    ``+``, ``-`` or ``@`` is shown as written, never run as a formula; a character no workbook can hold is
    shown as U+FFFD. Each sheet prints on A4 landscape, one page wide, its header row repeated on every
    page and frozen on screen, 第 P 页 / 共 N 页 at the foot; each column as wide as its longest line
    within bounds, and each row as tall as its cells' wrapped lines.

    Parameters
    ----------
    result : dict
        The answer of :func:`orggraph.queries.gaps`, perhaps cut to a scope (:func:`orggraph.access.gaps_within`).
    namer : Namer
        Names and masks (see :func:`gap_rows`); ``namer.shown`` collects what was shown unmasked.
    path : str or PathLike
        Where to write the workbook (.xlsx); what is there is written over.
    within : callable, optional
        ``within(id)``: whether a record may be shown (see :func:`gap_rows`).

    Returns
    -------
    dict of str to list of GapRow
        The rows written, by kind (:func:`gap_rows`).

    Raises
    ------
    OSError
        The file cannot be written.
    StoreUnavailable
        A store on a graph server that cannot be reached.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    from .io.excel import text_row

    rows = gap_rows(result, namer, within)
    allowed = within if within is not None else _everything
    as_of = result["as_of"]
    body, top = Font(size=_FONT_SIZE), Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    last: dict[str, int] = {}  # each sheet's last row written
    centred = Alignment(wrap_text=True, vertical="top", horizontal="center")
    styled: dict[int, Any] = {}  # a column's style, from the first cell of the column styled

    def titled(ws: Any, title: str, summary: str, headers: list[str], widths: list[float]) -> None:
        """The sheet's title, a line of what it holds, and its header row (row 3), the columns as wide as said."""
        _sheet_head(ws, title, summary, headers, widths)
        for index, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width

    def written(ws: Any, values: list[Any], widths: list[float]) -> int:
        """A row of the table, boxed and wrapped, as tall as its lines; its number."""
        ws.append(text_row(ws, values, replace=True))
        # below the title, the summary and the headers; never ws.max_row nor ws[row], each of which reads
        # every cell written so far (a sheet of thousands of rows would take minutes)
        row = last[ws.title] = last.get(ws.title, 3) + 1
        for index, cell in enumerate(next(ws.iter_rows(min_row=row, max_row=row, max_col=len(values)))):
            if index in styled:  # as the first cell styled alike: its style copied, not looked up again (a
                cell._style = copy(styled[index])  # font, an alignment and a border each cost a search)
                continue
            cell.font, cell.alignment, cell.border = body, centred if index == 0 else top, box
            styled[index] = copy(cell._style)
        ws.row_dimensions[row].height = _row_height(values, widths)
        return row

    facts = [f"截至 {as_of}"]
    if result.get("max_households") is not None:
        facts.append(f"超负荷：包保超过 {result['max_households']} 户")
    gone = [m for m in result.get("unavailable") or () if allowed(m)]
    if gone:
        facts.append(_cut(f"假设无法联系的党员 {len(gone)} 人：" + "、".join(namer.name(m) for m in gone), _SUMMARY_NAMES))
    facts.append(f"共 {sum(len(found) for found in rows.values()):,} 项")
    summary = " · ".join(facts)

    book = Workbook()
    ws = book.active
    ws.title = GAPS_SHEET
    taken = {GAPS_SHEET}
    sheets = {key: _sheet_name(GAP_KINDS[key], taken) for key, found in rows.items() if found}
    widths = [float(w) for _, w in _SUMMARY_COLUMNS]
    titled(ws, "问题清单", summary, [h for h, _ in _SUMMARY_COLUMNS], widths)
    for number, (key, title) in enumerate(GAP_KINDS.items(), 1):
        note = GAP_NOTES[key].format(max=result.get("max_households", "-"))
        row = written(ws, [number, title, len(rows[key]), note], widths)
        ws.cell(row, 3).alignment = Alignment(vertical="top", horizontal="right")
        ws.cell(row, 3).number_format = "#,##0"
        if key in sheets:  # a link to its sheet: a hyperlink, not a formula
            cell = ws.cell(row, 2)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{sheets[key]}'!A1", display=title)
            cell.font = Font(size=_FONT_SIZE, color="0563C1", underline="single")
    ws.freeze_panes = "A4"
    _page_setup(ws, get_column_letter(len(widths)), ws.max_row, "3:3", "问题清单", as_of)

    headers = [h for h, _, _ in _GAP_COLUMNS]
    for key, sheet in sheets.items():
        table = [[str(number), r.get("name") or "", r["record"], r.get("area") or "", r.get("address") or "",
                  r.get("phone") or "", r["detail"]] for number, r in enumerate(rows[key], 1)]
        widths = [_fitted([h] + [t[i] for t in table], lo, hi) for i, (h, lo, hi) in enumerate(_GAP_COLUMNS)]
        ws = book.create_sheet(sheet)
        title = GAP_KINDS[key]
        note = GAP_NOTES[key].format(max=result.get("max_households", "-"))
        titled(ws, f"{title}（{len(table):,} 项）", f"{note} · 截至 {as_of}", headers, widths)
        for number, values in enumerate(table, 1):
            written(ws, [number] + values[1:], widths)
        ws.freeze_panes = "C4"
        _page_setup(ws, get_column_letter(len(widths)), ws.max_row, "3:3", f"问题清单 · {title}", as_of)
    book.save(path)
    return rows


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def progress_text(result: dict[str, Any], namer: Namer, level: str | None = None, limit: int = 20) -> str:
    """An incident's progress (:func:`orggraph.incidents.progress`) as text: the whole, a table of areas (of
    one level, or every level but buildings), the vulnerable doors still open, those needing help, and who
    has marked most and least."""
    o = result["overall"]
    closed = f", closed {result['closed']}" if result["closed"] else ""
    lines = [f"Incident {result['incident']} {result['name']} (as of {result['as_of']}{closed}): "
             f"{o['done']:,} of {o['households']:,} doors done ({_pct(o['rate'])}), {o['open']:,} open "
             f"({o['unmarked']:,} not yet marked, {o['no_answer']:,} no answer); {o['needs_help']:,} need help; "
             f"vulnerable still open {o['vulnerable_open']:,} of {o['vulnerable']:,}; {_n(result['marks'], 'mark')}"]
    areas = [a for a in result["areas"] if (a["level"] == level if level else a["level"] != "building")]
    rows = [[a["id"], a["name"] or "", LABELS.get(a["level"], a["level"] or ""), a["households"], a["done"], a["open"],
             a["needs_help"], a["vulnerable_open"], _pct(a["rate"])] for a in areas[:limit]]
    if rows:
        lines.append("")
        lines.append(_table(["id", "name", "level", "households", "done", "open", "need help", "vulnerable open",
                             "rate"], rows))
        if len(areas) > limit:
            lines.append(f"... and {len(areas) - limit:,} more areas (--limit, --level, or --json for all)")
    for title, items in (("vulnerable, still open (call first)", result["vulnerable_open"]),
                         ("needing help", result["needs_help"])):
        lines.append(f"\n{title}: {len(items):,}")
        lines.extend(f"  {h}" for h in items[:limit])
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit:,} more")
    markers = result["markers"]
    if markers:
        lines.append("\nwho has marked (most first): marks, doors to knock, of them done")
        shown = markers if len(markers) <= 2 * limit else markers[:limit] + markers[-limit:]
        for i, m in enumerate(shown):
            if len(markers) > 2 * limit and i == limit:
                lines.append(f"  ... {len(markers) - 2 * limit:,} more ...")
            lines.append(f"  {namer.name(m['member'])}: {_n(m['marks'], 'mark')}, {_n(m['doors'], 'door')}, "
                         f"{m['doors_done']} done")
    return "\n".join(lines)


def plan_text(plan: dict[str, Any], namer: Namer, limit: int = 50) -> str:
    """A cover plan (:func:`orggraph.queries.cover_plan`) as text: what it places, and a table of households."""
    mean = f"{plan['mean_distance']:.2f}" if plan["mean_distance"] is not None else "-"
    lines = [f"Cover plan as of {plan['as_of']}{_whatif(plan)}"
             + (f" for {namer.name(plan['area'])}" if plan["area"] else "")
             + f": {plan['placed']:,} of {plan['households']:,} uncovered households placed, {plan['unplaced']:,} "
               f"left; the most any member is given {plan['most_given']}; mean distance {mean} steps "
               "(0: the same building)"]
    rows = [[a["household"], namer.name(a["member"]), namer.phone(a["member"]), LABELS.get(a["level"], a["level"] or ""),
             a["distance"], a["households"]] for a in plan["assignments"][:limit]]
    if rows:
        lines.append(_table(["household", "member", "phone", "found in", "distance", "held before"], rows))
        if len(plan["assignments"]) > limit:
            lines.append(f"... and {len(plan['assignments']) - limit:,} more (--limit, or --json for all)")
    for u in plan["unassigned"][:limit]:
        lines.append(f"  {u['household']}: no contact ({UNASSIGNED_LABELS.get(u['reason'], u['reason'])} {u['reason']})")
    if len(plan["unassigned"]) > limit:
        lines.append(f"  ... and {len(plan['unassigned']) - limit:,} more unplaced")
    return "\n".join(lines)
