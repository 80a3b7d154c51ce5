"""The Excel workbook (台账) street offices keep: a template, a reader and an exporter."""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import os
import re
import time
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import orjson

from ..exceptions import OrgGraphError
from ..load import Item
from ..model import EDGE_TYPES, ENDPOINTS, NODE_KINDS, VOCABULARIES
from ..privacy import describe
from ..values import EXCEL_1900, BadValue, day
from .jsonio import _twice, loads_exact, repeated_keys

__all__ = [
    "SHEETS", "Sheet", "write_template", "read_workbook", "write_workbook", "SheetRow", "Limits", "WorkbookTooLarge",
    "UnwritableValue", "text_row", "MAX_ROWS", "MAX_COLUMNS", "MAX_PART_BYTES",
]

_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # the start of an .xls file, and of any workbook with a password
EXTRA = "其他属性"  # a JSON object of any further properties
INSTRUCTIONS = "填表说明"
#: the most rows of records a sheet holds: Excel's 1,048,576 rows, one of them the header
MAX_ROWS = 1_048_575


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


# --- limits on what is read -------------------------------------------------------------------------------

#: the most columns a sheet's cells may reach when read (the widest sheet has seven)
MAX_COLUMNS = 200
#: the most bytes one part of a workbook (a sheet, the shared strings) may hold unzipped when read. The
#: shared strings are held in memory whole, at up to six times their size (20 million short strings, 340
#: MB unzipped, took 1.9 GB), so this keeps a read under about 1.5 GB; a register of a million rows holds
#: about 100 MB of them
MAX_PART_BYTES = 256 * 1024**2


@dataclass(frozen=True)
class Limits:
    """What a workbook may hold before :func:`read_workbook` stops and refuses it (:class:`WorkbookTooLarge`).

    A workbook is small when zipped and may be vast unzipped, and the sheet's own claim of its size (its
    stored dimension) is not trusted: only what the file holds is read, and these bound it.

    Parameters
    ----------
    rows : int
        Rows of records a sheet (blank rows aside); Excel's own limit by default.
    columns : int
        The last column a cell of a sheet may be in.
    seconds : float or None
        Reading the whole workbook; None for no limit.
    part_bytes : int
        Bytes of one part of the workbook (a sheet, the shared strings), unzipped.
    """

    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    seconds: float | None = None
    part_bytes: int = MAX_PART_BYTES


class WorkbookTooLarge(OrgGraphError, ValueError):
    """A workbook past one of its :class:`Limits`: read no further, and nothing written.

    ``where`` names the sheet (and row), ``limit`` the limit (``rows``, ``columns``, ``seconds`` or
    ``part_bytes``) and ``maximum`` its value.

    Examples
    --------
    >>> print(WorkbookTooLarge("sheet 住户", "rows", 100_000, "more than 100,000 rows"))
    sheet 住户: too large: more than 100,000 rows; the limit (rows) is 100,000: split the workbook, or send JSON Lines
    """

    def __init__(self, where: str, limit: str, maximum: float, found: str):
        self.where, self.limit, self.maximum = where, limit, maximum
        super().__init__(f"{where}: too large: {found}; the limit ({limit}) is {maximum:,}: "
                         "split the workbook, or send JSON Lines")


class UnwritableValue(OrgGraphError):
    """A value no workbook can hold as it is (a character XML cannot carry, text past Excel's 32,767
    characters, a blank name): the export names the record and field and writes nothing."""


# --- writing: every text a text cell -----------------------------------------------------------------

#: the most characters Excel holds in a cell
MAX_CELL_TEXT = 32_767
# what XML 1.0 cannot carry at all: control characters but tab and line breaks, lone surrogates, U+FFFE/U+FFFF
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Excel's own escapes in cell text: _xHHHH_ stands for a character; a literal "_x0041_" is written "_x005F_x0041_",
# and a carriage return (which XML reads back as a line feed) as _x000D_
_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|\r")
_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


class _Unwritable(Exception):
    def __init__(self, index: int, reason: str):
        self.index, self.reason = index, reason


def _escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "_x000D_" if m.group() == "\r" else "_x005F_", text) if ("_" in text or "\r" in text) else text


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def text_row(ws: Any, values: Iterable[Any], *, replace: bool = False) -> list[Any]:
    """Cells for ``ws.append``, in which every text is a text cell: never a formula (``=HYPERLINK(...)``,
    ``+``, ``-``, ``@``: CWE-1236), nor an error code (``#N/A``), and read back as written.

    Every workbook orggraph writes goes through here. Text XML cannot carry, or longer than Excel holds,
    is refused (``_Unwritable``, naming its position), or with ``replace`` shown as U+FFFD and cut short,
    for sheets people read rather than load back.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> ws = Workbook().active
    >>> ws.append(text_row(ws, ['=HYPERLINK("http://evil.example/x","1号楼")', "#N/A", 3]))
    >>> [(c.value, c.data_type) for c in ws[1]]
    [('=HYPERLINK("http://evil.example/x","1号楼")', 's'), ('#N/A', 's'), (3, 'n')]
    """
    from openpyxl.cell import WriteOnlyCell

    row = []
    for index, value in enumerate(values):
        if isinstance(value, str):
            bad = _XML_ILLEGAL.search(value)
            if bad:
                if not replace:
                    raise _Unwritable(index, f"holds U+{ord(bad.group()):04X}, a character no workbook can hold")
                value = _XML_ILLEGAL.sub("\ufffd", value)
            value = _escape(value)
            if len(value) > MAX_CELL_TEXT:
                if not replace:
                    raise _Unwritable(index, f"holds {len(value):,} characters, more than the {MAX_CELL_TEXT:,} "
                                             "a workbook's cell holds")
                value = value[: MAX_CELL_TEXT - 1] + "…"
            cell = WriteOnlyCell(ws)
            cell._value, cell.data_type = value, "s"  # as text, whatever it begins with
            row.append(cell)
        else:
            row.append(value)
    return row


# --- reading ---------------------------------------------------------------------------------------------

def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _text(value: Any, strip: bool = True) -> str | None:
    """A cell as text: numbers typed into id or phone cells come back as numbers. Blank text is None;
    other text is stripped unless ``strip`` is False (names and addresses are kept as written)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.strftime("%Y-%m-%d")
    text = str(value)
    if not text.strip():
        return None
    return text.strip() if strip else text


def _label_map(vocab: dict[str, str]) -> dict[str, str]:
    return {**{label: code for code, label in vocab.items()}, **{code: code for code in vocab}}


_FREE_TEXT = {"name", "address"}  # kept as written: what loads must export and load back the same
_LISTS = {"flags", "items"}
_DAYS = {"since", "until"}  # a date cell, or a day number in a General cell, is a day here and nowhere else


def _list(text: str) -> list[str]:
    """A list cell: a JSON array of text (as the export writes a list its plain form cannot carry), or
    parts separated by 、，,；;"""
    if text.startswith("["):
        try:
            parts = orjson.loads(text)
        except ValueError:
            parts = None
        if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
            return parts
    return _split(text)


def _cell(sheet: Sheet, field: str, value: Any, epoch: Any = EXCEL_1900) -> tuple[Any, str | None]:
    """A cell's value for a field, or an error message. A day (since, until) may be a date cell or an
    Excel day number of the workbook's date system ``epoch`` (``book.epoch``), read as an ISO day; text
    is left to the validation every load makes, which reads its spellings (2020/7/1, 2020年7月1日, ...)."""
    if field in _DAYS and not isinstance(value, str) and value is not None:
        try:
            return day(value, serial=True, epoch=epoch), None
        except BadValue as bad:
            return None, str(bad)
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
            return _list(text), None
        return None, f"must be a whole number, got {describe(value, field)}"
    text = _text(value, strip=field not in _FREE_TEXT)
    if text is None:
        return None, None
    vocab = sheet.vocabulary(field)
    if vocab is None:
        return text, None
    mapping = _label_map(vocab)
    allowed = "、".join(f"{label} ({code})" for code, label in vocab.items())
    if field == "flags":
        codes = []
        for part in _list(text):
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


def read_workbook(path: str | os.PathLike[str], *, limits: Limits | None = None) -> Iterator[Item]:
    """Read a workbook made from :func:`write_template` (or by :func:`write_workbook`).

    Column headers may be the Chinese ones or the field names; values of closed lists may be the
    Chinese label (社区) or the code (community). Every row the file holds is read, whatever size the
    sheet claims, and every cell is read or refused by name (sheet, row, column): a formula with no saved
    value, an error value (``#REF!``), a value under no header, a header given twice, a cell given
    twice. A workbook past its ``limits`` raises :class:`WorkbookTooLarge` as soon as that is seen.

    Examples
    --------
    >>> import os, tempfile
    >>> from openpyxl import Workbook
    >>> path = os.path.join(tempfile.mkdtemp(), "a.xlsx")
    >>> book = Workbook()
    >>> book.active.title = "住户"
    >>> book.active.append(["编号", "地址", "人数", "地址"])
    >>> book.save(path)
    >>> [message for _, _, message in read_workbook(path)]
    ["column D: the header '地址' (address) is given twice, in columns B and D; keep one"]
    """
    from openpyxl import load_workbook

    limits = limits or Limits()
    deadline = None if limits.seconds is None else time.monotonic() + limits.seconds
    name = os.path.basename(path)  # the file by its name: where it lies is nobody's business in an answer
    try:
        with open(path, "rb") as head:
            if head.read(8) == _OLE2:
                yield ("error", name, "an old Excel workbook (.xls) or one protected by a password: save it as an "
                                      "Excel workbook (.xlsx) without a password")
                return
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield ("error", name, f"not an Excel workbook (.xlsx): {exc}")
        return
    for part, size in sizes.items():  # the parts read whole on opening (shared strings, styles, ...)
        if size > limits.part_bytes and not part.startswith("xl/worksheets/"):
            raise WorkbookTooLarge(f"the workbook's part {part}", "part_bytes", limits.part_bytes,
                                   f"{size:,} bytes unzipped")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        yield ("error", name, f"not an Excel workbook (.xlsx): {exc}")
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
            size = sizes.get(ws._worksheet_path.lstrip("/"), 0)
            if size > limits.part_bytes:
                raise WorkbookTooLarge(f"sheet {sheet.name}", "part_bytes", limits.part_bytes,
                                       f"{size:,} bytes unzipped")
            try:
                yield from _read_sheet(sheet, _rows(book, ws, sheet.name, limits, deadline), book.epoch)
            except _Unreadable as exc:
                yield ("error", f"sheet {sheet.name}", str(exc))
    finally:
        book.close()


class _Unreadable(Exception):
    """A sheet whose XML cannot be read on (damaged, or not what Excel writes)."""


@functools.cache
def _parser() -> type:
    """openpyxl's own sheet reader, marking each formula with no saved value rather than reading it as blank."""
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                # no value, or an empty one (as openpyxl and other scripts write a formula), unless a text result
                if element.find(VALUE_TAG) is None or element.get("t") != "str":
                    cell["data_type"] = "formula"
            return cell

    return Parser


def _rows(book: Any, ws: Any, name: str, limits: Limits, deadline: float | None) -> Iterator[tuple[int, dict[int, dict]]]:
    """The sheet's rows as (row number, {column number: cell}), from the rows the file holds, not from the
    size the sheet claims (its stored dimension may be stale, or vast); blank cells and rows left out.

    Raises WorkbookTooLarge past a limit, _Unreadable for XML that cannot be read."""
    count = 0
    with book._archive.open(ws._worksheet_path.lstrip("/")) as source:
        parser = _parser()(source, ws._shared_strings, data_only=True, epoch=book.epoch,
                           date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        rows = parser.parse()
        number = last = 0
        while True:
            try:
                number, cells = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # XML or a cell openpyxl cannot read
                raise _Unreadable(f"cannot be read after row {number}: {exc}") from None
            parser.row_dimensions.clear()  # row heights and styles: nothing to keep
            if deadline is not None and time.monotonic() > deadline:
                raise WorkbookTooLarge(f"sheet {name}, row {number:,}", "seconds", limits.seconds,
                                       f"reading took more than {limits.seconds:g} s")
            row: dict[int, dict] = {}
            for cell in cells:
                value = cell["value"]
                if value is None and cell["data_type"] != "formula":
                    continue
                column = cell["column"]
                if column > limits.columns:
                    raise WorkbookTooLarge(f"sheet {name}, row {number:,}", "columns", limits.columns,
                                           f"a value in column {_column_letter(column - 1)} ({column:,})")
                if isinstance(value, str):
                    cell["value"] = _unescape(value)
                if column in row:
                    cell["data_type"] = "twice"
                row[column] = cell
            if not row:
                continue
            if number <= last:  # a row given again (or out of order): each of its cells refused by name
                for cell in row.values():
                    cell["data_type"] = "twice"
            last = max(last, number)
            count += 1
            if count > limits.rows + 1:  # the header and the rows of records
                raise WorkbookTooLarge(f"sheet {name}", "rows", limits.rows, f"more than {limits.rows:,} rows")
            yield number, row


_REFUSED = {"formula", "e", "twice"}


def _problem(cell: dict[str, Any]) -> str | None:
    """What keeps a cell from being read, if anything."""
    kind = cell["data_type"]
    if kind == "formula":
        return "a formula with no saved value; save the workbook in Excel or paste values"
    if kind == "e":
        return f"holds the error value {cell['value']}; correct the cell"
    if kind == "twice":
        return "given twice in the file; save the workbook in Excel again"
    return None


def _read_sheet(sheet: Sheet, rows: Iterator[tuple[int, dict[int, dict]]], epoch: Any = EXCEL_1900) -> Iterator[Item]:
    first = next(rows, None)
    if first is None:
        return
    number, header = first
    if number != 1:  # no headers in row 1
        rows, header = itertools.chain([first], rows), {}
    by_header = {h: f for f, h in sheet.columns} | {f: f for f in sheet.fields if f}
    positions: dict[int, str] = {}
    columns: dict[str, str] = {}
    seen: dict[str, int] = {}
    problems = []
    for column, cell in sorted(header.items()):
        letter = _column_letter(column - 1)
        problem = _problem(cell)
        if problem:
            problems.append(f"column {letter}: {problem}")
            continue
        text = _text(cell["value"])
        if text is None:
            continue
        if text not in by_header:
            problems.append(f"column {letter}: unknown header {describe(text)}; expected: {'、'.join(h for _, h in sheet.columns)}")
            continue
        field = by_header[text]
        if field in seen:
            problems.append(f"column {letter}: the header {text!r}" + (f" ({field})" if field else "")
                            + f" is given twice, in columns {_column_letter(seen[field] - 1)} and {letter}; keep one")
            continue
        seen[field] = column
        positions[column] = field
        columns[field or EXTRA] = f"column {letter} {text}" + (f" ({field})" if field else "")
    missing = [h for f, h in sheet.columns if f in sheet.required and f not in seen]
    if missing:
        problems.append(f"missing column {'、'.join(missing)}")
    if problems:
        for problem in problems:
            yield ("error", f"sheet {sheet.name}, row 1", problem)
        return
    key = "kind" if sheet.what == "node" else "type"
    own = set(sheet.fields) | ({"kind"} if sheet.what == "node" else {"type", "source", "target"})
    for number, cells in rows:
        if all(isinstance(c["value"], str) and not c["value"].strip() for c in cells.values()):
            continue  # blank text only: a blank row
        where = SheetRow(sheet.name, number, columns)
        record: dict[str, Any] = {key: sheet.kind}
        bad = False
        for column, cell in cells.items():
            field = positions.get(column)
            named = columns[field or EXTRA] if field is not None else f"column {_column_letter(column - 1)}"
            value = cell["value"]
            problem = _problem(cell) if cell["data_type"] in _REFUSED else None
            if problem is None and field is None and _text(value) is not None:
                problem = "a value under no header; give the column a header or clear it"
            if problem:
                yield ("error", where, f"{named}: {problem}")
                bad = True
                continue
            if field is None:
                continue
            if not field:  # the extra-properties column
                text = _text(value)
                if text is None:
                    continue
                try:
                    extra = loads_exact(text)  # whole numbers as written, a key given twice named
                    if not isinstance(extra, dict):
                        raise ValueError
                except ValueError:
                    yield ("error", where, f"{named}: must be a JSON object like {{\"备注\": \"...\"}}")
                    bad = True
                    continue
                if again := repeated_keys(extra):
                    yield ("error", where, f"{named}: {_twice(again)}")
                    bad = True
                    continue
                clash = sorted(set(extra) & own)
                if clash:
                    yield ("error", where, f"{named}: {', '.join(clash)} has a column of its own")
                    bad = True
                    continue
                record.update(extra)
                continue
            converted, problem = _cell(sheet, field, value, epoch)
            if problem:
                yield ("error", where, f"{named}: {problem}")
                bad = True
            elif converted is not None:
                record[field] = converted
        if not bad:
            yield (sheet.what, where, record)


# --- writing the network -----------------------------------------------------------------------------------

def _display(sheet: Sheet, field: str, value: Any) -> Any:
    vocab = sheet.vocabulary(field)
    if field in _LISTS and isinstance(value, list):
        labels = [vocab.get(v, v) for v in value] if vocab else value
        plain = "、".join(labels)
        if _cell(sheet, field, plain)[0] != value:  # parts holding a separator, blanks, an empty list, ...
            return orjson.dumps(value).decode()
        return plain
    if vocab is not None and isinstance(value, str):
        return vocab.get(value, value)
    return value


def write_workbook(
    nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]], path: str | os.PathLike[str]
) -> int:
    """Write nodes and edges to a workbook that :func:`read_workbook` reads back as the same network.

    Streams row by row; every text is written as text (see :func:`text_row`), so a name beginning with
    ``=`` is a name, not a formula, in Excel and when read back.

    Raises
    ------
    OrgGraphError
        When a sheet would pass Excel's 1,048,576 rows.
    UnwritableValue
        Naming the record and field of a value no workbook can hold as it is (from a store filled before
        such values were refused): a character XML cannot carry, text past 32,767 characters, or a blank
        text that would read back as missing.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    guide = book.create_sheet(INSTRUCTIONS)
    _instructions(guide)
    sheets = {}
    counts: dict[str, int] = {}
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        ws.append(text_row(ws, [h for _, h in sheet.columns]))
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
        try:
            row.append(_json(extra, len(row)) if extra else None)
            for index, value in enumerate(row):
                if isinstance(value, str) and not value.strip():
                    raise _Unwritable(index, "is blank, and a blank cell reads back as missing")
            ws.append(text_row(ws, row))
        except _Unwritable as exc:  # a store filled before such values were refused
            name = record.get("id") or f"{record.get('source')} -> {record.get('target')}"
            field = sheet.fields[exc.index] or EXTRA
            raise UnwritableValue(f"{sheet.name} {name}, field {field}: {exc.reason}; correct the record, "
                                  "or export to .jsonl instead") from None
        written += 1
    return written


def _json(extra: dict[str, Any], index: int) -> str:
    """Extra properties as JSON text a workbook can hold: what XML cannot carry is written as a JSON escape."""
    try:
        text = orjson.dumps(extra).decode()
    except TypeError as exc:  # a lone surrogate, an integer past 64 bits
        raise _Unwritable(index, f"cannot be written as JSON ({exc})") from None
    return _XML_ILLEGAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
    "5. 日期写作 2024-03-01，也可写 2024/3/1、2024.3.1、2024年3月1日、20240301，或填日期格式的单元格；只写年月（2024年3月）"
    "或年份在后（03/01/2024）的不收；开始日期不能晚于结束日期；不填表示长期有效。",
    "6. 层级、职务、角色、类别、状态、标记可填中文（社区）或代码（community），可选值见各列下拉框。",
    "7. 住户标记可填多个，用顿号分隔，如：独居老人、残疾人。人数为不小于 1 的整数。",
    "8. 电话每格填一个号码：手机号（11 位）或座机（区号-号码，分机写在后面：区号-号码-分机）；空格、横线、括号、+86 可有可无，"
    "存为同一种写法。",
    "9. 其他属性列可填 JSON 对象，如 {\"备注\": \"二楼东户\"}。",
    "10. 导入时任何一行有错，整个文件都不会写入，错误信息会指出工作表、行和列。",
    "11. 每一行、每个单元格都会读取或报错：无表头的列中有内容、同一表头出现两次、公式没有保存的计算结果、错误值（如 #REF!）都会指出位置。",
    "12. 导出的台账中，文字一律按文字保存：以 = + - @ 开头的名称不会成为公式。",
    "",
    "可选值：",
]


def _instructions(ws: Any) -> None:
    for line in _GUIDE:
        ws.append(text_row(ws, [line]))
    seen = set()
    for (kind, field), vocab in VOCABULARIES.items():
        if id(vocab) in seen:
            continue
        seen.add(id(vocab))
        ws.append(text_row(ws, [f"{kind}.{field}: " + "、".join(f"{label}({code})" for code, label in vocab.items())]))


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
        ws.append(text_row(ws, [h for _, h in sheet.columns]))
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
