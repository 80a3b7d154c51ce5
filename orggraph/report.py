"""Query results for people: text tables with names beside ids, and the Excel call sheet."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from .exceptions import NotFound
from .model import LABELS
from .privacy import mask_address, mask_record

if TYPE_CHECKING:
    from .index import Index
    from .store.base import Store

__all__ = ["Namer", "coverage_text", "chain_text", "gaps_text", "shape_line", "incident_text", "incident_workbook", "mask_address"]

#: why an uncovered household has no stand-in (orggraph.queries.plan.UNASSIGNED_REASONS)
UNASSIGNED_LABELS = {"unlocated": "无位置，无法安排顶岗", "nobody_nearby": "附近无可用党员", "no_capacity": "附近党员已满额"}
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


def _stand_in_text(entry: dict[str, Any], namer: Namer) -> str:
    """The stand-in assigned to a household, with its phone and where it was found; or why there is none."""
    s = entry.get("stand_in")
    if s is None:
        return UNASSIGNED_LABELS.get(entry.get("unassigned") or "", "")
    return f"{namer.name(s['member'])} {namer.phone(s['member'])} ({LABELS.get(s['level'], s['level'])})".replace("  ", " ")


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
            _stand_in_text(entry, namer),
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
            _stand_in_text(entry, namer),
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


#: a door's outcome in Chinese (orggraph.incidents.STATUSES)
STATUS_TEXT = {"reached": "已联系到", "no_answer": "无人应答", "needs_help": "需要帮助", "moved_out": "已搬离",
               "refused": "拒绝"}


def progress_text(result: dict[str, Any], namer: Namer, level: str | None = None, limit: int = 20) -> str:
    """An incident's progress (:func:`orggraph.incidents.progress`) as text: the whole, a table of areas (of
    one level, or every level but buildings), the vulnerable doors still open, those needing help, and who
    has marked most and least."""
    o = result["overall"]
    closed = f", closed {result['closed']}" if result["closed"] else ""
    lines = [f"Incident {result['incident']} {result['name']} (as of {result['as_of']}{closed}): "
             f"{o['done']:,} of {o['households']:,} doors done ({_pct(o['rate'])}), {o['open']:,} open "
             f"({o['unmarked']:,} not yet marked, {o['no_answer']:,} no answer); {o['needs_help']:,} need help; "
             f"vulnerable still open {o['vulnerable_open']:,} of {o['vulnerable']:,}; {result['marks']:,} marks"]
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
            lines.append(f"  {namer.name(m['member'])}: {m['marks']} marks, {m['doors']} doors, {m['doors_done']} done")
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
