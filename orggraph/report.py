"""Query results for people: text tables with names beside ids, and the Excel call sheet."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .exceptions import NotFound
from .model import LABELS, NODE_KINDS
from .privacy import mask_address, mask_record

if TYPE_CHECKING:
    from .index import Index
    from .results import Name
    from .store.base import Store

__all__ = ["Namer", "names_of", "named_ids", "coverage_text", "chain_text", "gaps_text", "shape_line", "incident_text", "incident_workbook", "mask_address"]

ROLE_LABELS = {"contact": "包保联系人", "sending_unit": "派出单位", "area": "包片责任人", "org": "组织负责人"}
REASON_LABELS = {"no_org": "无管辖组织", "no_responsible": "无在岗负责人", "weak_org": "软弱涣散组织",
                 "no_secretary": "书记空缺"}
#: the faults of the territory's shape, as a sentence's end after the area's name
SHAPE_LABELS = {"within_two": "lies within two areas", "within_lower": "lies within an area of a lower or equal rank",
                "outside_street": "lies within no street or township", "org_above_nothing":
                "is subordinate to an organization that governs no area above its own"}


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
        if node_id is None:
            return ""
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
        return f"{name} ({node_id})" if name else node_id

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

    def phone(self, node_id: str | None) -> str:
        return self._field(node_id, "phone")

    def address(self, household: str) -> str:
        return self._field(household, "address")

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


def gaps_text(result: dict[str, Any], namer: Namer, limit: int = 20) -> str:
    sections: list[tuple[str, list[Any], Callable[[Any], str]]] = [
        ("uncovered households 未覆盖住户", result["uncovered_households"], str),
        (f"overloaded members (more than {result['max_households']} households) 超负荷党员", result["overloaded_members"],
         lambda x: f"{namer.name(x['member'])}: {x['households']} households"),
        ("idle sunk members 下沉未履职党员", result["idle_sunk_members"], namer.name),
        ("vacant posts 空缺", result["vacant_posts"],
         lambda x: f"{namer.name(x['area'] or x['org'])}: {REASON_LABELS[x['reason']]} {x['reason']}"
                   + (f", {namer.name(x['acting'])} acts" if x.get("acting") else "")),
        ("idle units 共建未派员单位", result["idle_units"], namer.name),
        ("critical members (their absence leaves households with nobody in building or grid) 关键党员",
         result["critical_members"], lambda x: f"{namer.name(x['member'])}: {x['households']} households"),
        ("areas with households and nobody assigned 无楼栋长/网格员", result["unassigned_areas"],
         lambda x: f"{namer.name(x['area'])}: {x['households']} household{'s' if x['households'] != 1 else ''}"),
        ("territory shape 区域隶属问题", result["territory_shape"], lambda x: shape_line(x, namer)),
        ("cross-boundary contacts 跨区包保", result["cross_boundary_contacts"],
         lambda x: f"{namer.name(x['member'])} -> {x['household']}"),
        ("lapsed households 包保已过期", result["lapsed_households"], str),
        ("unlocated households 未定位住户", result["unlocated_households"], str),
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


def incident_text(result: dict[str, Any], namer: Namer, limit: int = 50) -> str:
    lines = [
        f"Incident as of {result['as_of']}{_whatif(result)}: areas {', '.join(namer.name(a) for a in result['areas']) or '-'}; "
        f"{result['households']:,} households, {result['uncovered']:,} uncovered, {result['vulnerable']:,} vulnerable"
    ]
    rows = []
    for entry in result["entries"][:limit]:
        caller, role = _first_callers(entry, namer)
        rows.append([
            entry["household"], namer.address(entry["household"]),
            ("vulnerable " if entry["vulnerable"] else "") + ("UNCOVERED" if not entry["covered"] else "covered"),
            caller, role,
            "; ".join(f"{namer.name(s['member'])} [{LABELS.get(s['level'], s['level'])}]" for s in entry["stand_ins"]),
        ])
    lines.append(_table(["household", "address", "status", "call first", "as", "stand-ins"], rows))
    if result["households"] > limit:
        lines.append(f"... and {result['households'] - limit:,} more (--limit, --json or --xlsx for all)")
    return "\n".join(lines)


def incident_workbook(result: dict[str, Any], namer: Namer, path: str | os.PathLike[str]) -> None:
    """An Excel call sheet a street office can print and work through, one household a row.

    Every text is written as text (:func:`orggraph.io.excel.text_row`): a name beginning with ``=`` is
    shown as written, never run as a formula; a character no workbook can hold is shown as U+FFFD.
    """
    from openpyxl import Workbook

    from .io.excel import text_row
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.page import PageMargins

    book = Workbook()
    ws = book.active
    ws.title = "应急联络单"
    title = (f"应急联络单  {result['as_of']}  区域: {'、'.join(namer.name(a) for a in result['areas']) or '-'}  "
             f"住户 {result['households']} 户，未覆盖 {result['uncovered']} 户，重点人群 {result['vulnerable']} 户")
    ws.append(text_row(ws, [title], replace=True))
    ws["A1"].font = Font(bold=True, size=13)
    headers = ["序号", "住户编号", "地址", "人数", "状态", "包保联系人及电话", "上级责任人", "断点", "建议顶岗人员", "已联系", "备注"]
    ws.append(text_row(ws, headers, replace=True))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    red = PatternFill("solid", fgColor="FCE4D6")
    for number, entry in enumerate(result["entries"], 1):
        links = entry["chain"]["links"]
        contacts = [l for l in links if l["role"] == "contact"]
        upper = [l for l in links if l["role"] in {"area", "org"} and l["member"]][:3]
        row = [
            number,
            entry["household"],
            namer.address(entry["household"]),
            entry["people"],
            ("重点 " if entry["vulnerable"] else "") + ("未覆盖" if not entry["covered"] else "已覆盖"),
            "\n".join(f"{namer.name(l['member'])} {namer.phone(l['member'])}" for l in contacts),
            "\n".join(f"{ROLE_LABELS[l['role']]}: {namer.name(l['member'])} {namer.phone(l['member'])}" for l in upper),
            "\n".join(f"{REASON_LABELS[b['reason']]} {namer.name(b['area'] or b['org'])}" for b in entry["chain"]["breaks"]),
            "\n".join(f"{namer.name(s['member'])} {namer.phone(s['member'])} ({LABELS.get(s['level'], s['level'])})"
                      for s in entry["stand_ins"]),
            "☐",
            "",
        ]
        ws.append(text_row(ws, row, replace=True))
        if not entry["covered"]:
            for cell in ws[ws.max_row][:5]:
                cell.fill = red
    for letter, width in zip("ABCDEFGHIJK", (6, 14, 34, 6, 12, 30, 40, 24, 40, 8, 16)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.3, right=0.3, top=0.5, bottom=0.5)
    book.save(path)
