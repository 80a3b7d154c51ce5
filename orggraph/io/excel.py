"""The Excel workbook (台账) street offices keep: a template, a reader and an exporter."""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import orjson

from ..exceptions import OrgGraphError
from ..load import Item
from ..model import EDGE_TYPES, ENDPOINTS, NODE_KINDS, VOCABULARIES
from ..privacy import describe

__all__ = ["SHEETS", "Sheet", "write_template", "read_workbook", "write_workbook", "SheetRow"]

EXTRA = "其他属性"  # a JSON object of any further properties
INSTRUCTIONS = "填表说明"
MAX_ROWS = 1_048_575  # an Excel sheet holds 1,048,576 rows, one of them the header


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook: a node kind or an edge type, and its columns (field, header)."""

    name: str
    what: str  # "node" or "edge"
    kind: str  # node kind or edge type
    columns: tuple[tuple[str, str], ...]
    required: frozenset[str]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f for f, _ in self.columns)

    def vocabulary(self, field: str) -> dict[str, str] | None:
        return VOCABULARIES.get((self.kind, field))


def _node_sheet(kind: str, columns: list[tuple[str, str]], required: set[str]) -> Sheet:
    return Sheet(NODE_KINDS[kind], "node", kind, tuple(columns) + (("", EXTRA),), frozenset(required))


def _edge_sheet(type_: str, extra: list[tuple[str, str]] = (), required: set[str] = frozenset()) -> Sheet:
    source, target = ENDPOINTS[type_]
    s_head, t_head = f"{NODE_KINDS[source]}编号", f"{NODE_KINDS[target]}编号"
    if source == target:
        s_head, t_head = f"下级{s_head}", f"上级{t_head}"
    columns = [("source", s_head), ("target", t_head), *extra, ("since", "开始日期"), ("until", "结束日期"), ("", EXTRA)]
    return Sheet(EDGE_TYPES[type_], "edge", type_, tuple(columns), frozenset({"source", "target"} | set(required)))


SHEETS: tuple[Sheet, ...] = (
    _node_sheet("Area", [("id", "编号"), ("name", "名称"), ("level", "层级")], {"id", "name", "level"}),
    _node_sheet("Org", [("id", "编号"), ("name", "名称"), ("level", "层级"), ("status", "状态")], {"id", "name", "level"}),
    _node_sheet("Unit", [("id", "编号"), ("name", "名称"), ("category", "类别")], {"id", "name"}),
    _node_sheet(
        "Member",
        [("id", "编号"), ("name", "姓名"), ("phone", "电话"), ("category", "类别"), ("status", "状态")],
        {"id", "name"},
    ),
    _node_sheet(
        "Household",
        [("id", "编号"), ("address", "地址"), ("people", "人数"), ("phone", "电话"), ("flags", "标记")],
        {"id"},
    ),
    *(
        _edge_sheet(t)
        if t not in {"HOLDS_POST", "ASSIGNED_TO", "CO_BUILDS"}
        else _edge_sheet(t, [("post", "职务")], {"post"})
        if t == "HOLDS_POST"
        else _edge_sheet(t, [("role", "角色")], {"role"})
        if t == "ASSIGNED_TO"
        else _edge_sheet(t, [("kind", "方式"), ("items", "认领项目")])
        for t in EDGE_TYPES
    ),
)
_BY_NAME = {s.name: s for s in SHEETS}
_LIST_SEPARATORS = ("、", "，", ",", "；", ";")


class SheetRow(str):
    """Where a record came from in a workbook; also knows how to name its columns in errors."""

    columns: dict[str, str]

    def __new__(cls, sheet: str, row: int, columns: dict[str, str]) -> "SheetRow":
        self = super().__new__(cls, f"sheet {sheet}, row {row}")
        self.columns = columns
        return self


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _text(value: Any) -> str | None:
    """A cell as text: numbers typed into id or phone cells come back as numbers."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    return text or None


def _label_map(vocab: dict[str, str]) -> dict[str, str]:
    return {**{label: code for code, label in vocab.items()}, **{code: code for code in vocab}}


def _cell(sheet: Sheet, field: str, value: Any) -> tuple[Any, str | None]:
    """A cell's value for a field, or an error message."""
    if field == "people" or field == "items":
        if value is None or isinstance(value, bool):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        if isinstance(value, int):
            return value, None
        text = _text(value)
        if text is not None and text.isdigit():
            return int(text), None
        if field == "items" and text is not None:
            return [p.strip() for p in _split(text)], None
        return None, f"must be a whole number, got {describe(value, field)}"
    text = _text(value)
    if text is None:
        return None, None
    vocab = sheet.vocabulary(field)
    if vocab is None:
        return text, None
    mapping = _label_map(vocab)
    allowed = "、".join(f"{label} ({code})" for code, label in vocab.items())
    if field == "flags":
        codes = []
        for part in _split(text):
            if part not in mapping:
                return None, f"unknown value {describe(part, field)}; allowed: {allowed}"
            codes.append(mapping[part])
        return codes, None
    if text not in mapping:
        return None, f"unknown value {describe(text, field)}; allowed: {allowed}"
    return mapping[text], None


def _split(text: str) -> list[str]:
    for sep in _LIST_SEPARATORS[1:]:
        text = text.replace(sep, _LIST_SEPARATORS[0])
    return [p.strip() for p in text.split(_LIST_SEPARATORS[0]) if p.strip()]


def read_workbook(path: str | os.PathLike[str]) -> Iterator[Item]:
    """Read a workbook made from :func:`write_template` (or by :func:`write_workbook`).

    Column headers may be the Chinese ones or the field names; values of closed lists may be the
    Chinese label (社区) or the code (community). Errors name the sheet, row and column.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        yield ("error", str(path), f"not an Excel workbook (.xlsx): {exc}")
        return
    try:
        for ws in book.worksheets:
            if ws.title == INSTRUCTIONS:
                continue
            sheet = _BY_NAME.get(ws.title)
            if sheet is None:
                yield ("error", f"sheet {ws.title}",
                       f"unknown sheet; expected: {'、'.join(s.name for s in SHEETS)} (or {INSTRUCTIONS})")
                continue
            yield from _read_sheet(sheet, ws)
    finally:
        book.close()


def _read_sheet(sheet: Sheet, ws: Any) -> Iterator[Item]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return
    by_header = {h: f for f, h in sheet.columns} | {f: f for f in sheet.fields if f}
    positions: list[tuple[int, str]] = []
    columns: dict[str, str] = {}
    for i, head in enumerate(header):
        text = _text(head)
        if text is None:
            continue
        if text not in by_header:
            yield ("error", f"sheet {sheet.name}, row 1",
                   f"column {_column_letter(i)}: unknown header {describe(text)}; expected: "
                   f"{'、'.join(h for _, h in sheet.columns)}")
            return
        field = by_header[text]
        positions.append((i, field))
        columns[field or EXTRA] = f"column {_column_letter(i)} {text}" + (f" ({field})" if field else "")
    missing = [h for f, h in sheet.columns if f in sheet.required and f not in {p[1] for p in positions}]
    if missing:
        yield ("error", f"sheet {sheet.name}, row 1", f"missing column {'、'.join(missing)}")
        return
    key = "kind" if sheet.what == "node" else "type"
    for number, values in enumerate(rows, 2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        where = SheetRow(sheet.name, number, columns)
        record: dict[str, Any] = {key: sheet.kind}
        bad = False
        for i, field in positions:
            value = values[i] if i < len(values) else None
            if not field:  # the extra-properties column
                text = _text(value)
                if text is None:
                    continue
                try:
                    extra = orjson.loads(text)
                    if not isinstance(extra, dict):
                        raise ValueError
                except ValueError:
                    yield ("error", where, f"{columns[EXTRA]}: must be a JSON object like {{\"备注\": \"...\"}}")
                    bad = True
                    continue
                clash = sorted(set(extra) & (set(sheet.fields) | {"id", "kind", "type", "source", "target"}))
                if clash:
                    yield ("error", where, f"{columns[EXTRA]}: {', '.join(clash)} has a column of its own")
                    bad = True
                    continue
                record.update(extra)
                continue
            converted, problem = _cell(sheet, field, value)
            if problem:
                yield ("error", where, f"{columns[field]}: {problem}")
                bad = True
            elif converted is not None:
                record[field] = converted
        if not bad:
            yield (sheet.what, where, record)


def _display(sheet: Sheet, field: str, value: Any) -> Any:
    vocab = sheet.vocabulary(field)
    if field == "flags" and isinstance(value, list):
        return "、".join(vocab.get(v, v) for v in value) if vocab else "、".join(value)
    if field == "items" and isinstance(value, list):
        return "、".join(value)
    if vocab is not None and isinstance(value, str):
        return vocab.get(value, value)
    return value


def write_workbook(
    nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]], path: str | os.PathLike[str]
) -> int:
    """Write nodes and edges to a workbook that :func:`read_workbook` reads back as the same network.

    Streams row by row. Raises OrgGraphError when a sheet would pass Excel's 1,048,576 rows.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _instructions(book.create_sheet(INSTRUCTIONS))
    sheets = {}
    counts: dict[str, int] = {}
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        ws.append([h for _, h in sheet.columns])
        sheets[sheet.kind] = (sheet, ws)
        counts[sheet.kind] = 0
    try:
        written = _write_rows(sheets, counts, nodes, edges)
    except BaseException:
        for ws in book.worksheets:  # let openpyxl finish its open sheet streams quietly
            ws.close()
        raise
    book.save(path)
    return written


def _write_rows(sheets: dict, counts: dict[str, int], nodes: Iterable[dict], edges: Iterable[dict]) -> int:
    from openpyxl.utils.exceptions import IllegalCharacterError

    written = 0
    fixed_edge = {"type", "source", "target"}
    for record, key in _chain_records(nodes, edges):
        sheet, ws = sheets[record[key]]
        counts[sheet.kind] += 1
        if counts[sheet.kind] > MAX_ROWS:
            raise OrgGraphError(
                f"sheet {sheet.name} would need more than {MAX_ROWS} rows, the most Excel holds; "
                "export to .jsonl instead"
            )
        known = set(sheet.fields) | ({"kind"} if key == "kind" else fixed_edge)
        extra = {k: v for k, v in record.items() if k not in known}
        row = [_display(sheet, f, record.get(f)) for f in sheet.fields if f]
        row.append(orjson.dumps(extra).decode() if extra else None)
        try:
            ws.append(row)
        except IllegalCharacterError:  # a store filled before control characters were refused
            name = record.get("id") or f"{record.get('source')} -> {record.get('target')}"
            raise OrgGraphError(f"{sheet.name} {name}: a field holds a control character no workbook can hold; "
                                "correct the record, or export to .jsonl instead") from None
        written += 1
    return written


def _chain_records(nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]]) -> Iterator[tuple[dict, str]]:
    for node in nodes:
        yield node, "kind"
    for edge in edges:
        yield edge, "type"


_GUIDE = [
    "orggraph 台账填写说明",
    "",
    "1. 每张工作表对应一类记录：区域、党组织、单位、党员、住户，以及各类关系（包保联户、任职、下沉报到……）。",
    "2. 第一行是表头，请勿修改；从第二行起每行填写一条记录，空行会被跳过。",
    "3. 编号在整个台账中唯一，一个编号只能代表一个对象（例如住户 h0001 不能同时是党员）。",
    "4. 关系表中的编号必须是本台账或已导入数据中存在的对象，方向见表头（如 包保联户：党员编号 → 住户编号）。",
    "5. 日期写作 2024-03-01；开始日期不能晚于结束日期；不填表示长期有效。",
    "6. 层级、职务、角色、类别、状态、标记可填中文（社区）或代码（community），可选值见各列下拉框。",
    "7. 住户标记可填多个，用顿号分隔，如：独居老人、残疾人。人数为不小于 1 的整数。",
    "8. 电话填写手机号（11 位）或座机（区号-号码）。",
    "9. 其他属性列可填 JSON 对象，如 {\"备注\": \"二楼东户\"}。",
    "10. 导入时任何一行有错，整个文件都不会写入，错误信息会指出工作表、行和列。",
    "",
    "可选值：",
]


def _instructions(ws: Any) -> None:
    for line in _GUIDE:
        ws.append([line])
    seen = set()
    for (kind, field), vocab in VOCABULARIES.items():
        if id(vocab) in seen:
            continue
        seen.add(id(vocab))
        ws.append([f"{kind}.{field}: " + "、".join(f"{label}({code})" for code, label in vocab.items())])


def write_template(path: str | os.PathLike[str]) -> None:
    """Write an empty workbook with instructions, headers and drop-down lists, ready to fill in."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    guide = book.active
    guide.title = INSTRUCTIONS
    _instructions(guide)
    guide.column_dimensions["A"].width = 110
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        ws.append([h for _, h in sheet.columns])
        ws.freeze_panes = "A2"
        for i, (field, _) in enumerate(sheet.columns):
            letter = _column_letter(i)
            cell = ws[f"{letter}1"]
            cell.font = bold
            if field in sheet.required:
                cell.fill = fill
            ws.column_dimensions[letter].width = 34 if field in {"address", "name", ""} else 16
            vocab = sheet.vocabulary(field)
            if vocab is not None and field != "flags":
                dv = DataValidation(type="list", formula1='"' + ",".join(vocab.values()) + '"', allow_blank=True)
                dv.error = "请从下拉列表中选择"
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}5000")
    book.save(path)
