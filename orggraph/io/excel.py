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
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import orjson

from ..exceptions import OrgGraphError
from ..load import Item
from ..model import EDGE_TYPES, ENDPOINTS, NODE_KINDS, VOCABULARIES
from ..privacy import describe
from ..values import EXCEL_1900, BadValue, day
from .files import writing
from .jsonio import _twice, loads_exact, repeated_keys

if TYPE_CHECKING:
    from ..store.base import Store
    from .register import Mapping, Summary

__all__ = [
    "SHEETS", "Sheet", "write_template", "read_workbook", "write_workbook", "SheetRow", "Limits", "WorkbookTooLarge",
    "UnwritableValue", "text_row", "text_width", "guide_lines", "MAX_ROWS", "MAX_COLUMNS", "MAX_PART_BYTES",
    "inspect_workbook", "SheetKind",
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


def read_workbook(path: str | os.PathLike[str], *, limits: Limits | None = None, store: Store | None = None,
                  mapping: Mapping | None = None, registers: list[Summary] | None = None,
                  visible: Callable[[str, str], bool] | None = None) -> Iterator[Item]:
    """Read a workbook made from :func:`write_template` (or by :func:`write_workbook`), or a register
    (台账) as offices keep it (:mod:`orggraph.io.register`).

    A sheet is read as the template's when its name is one of the template's and its first row holds the
    template's headers; otherwise as a register, when its first rows hold a register's headers (or when
    ``mapping``, a :class:`~orggraph.io.register.Mapping`, names it or is given without a sheet and the
    sheet is the first). A register's records are found against ``store`` (its areas by name, its
    members, the contacts a household has), only what ``visible(kind, id)`` allows when given (a token's
    scope); a :class:`~orggraph.io.register.Summary` of each register read is appended to ``registers``
    when given.

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
        chosen, passed, missing = _sheets(book, mapping)
        if missing:
            yield ("error", name, missing)
            return
        for ws, sheet, mapped in chosen:
            size = sizes.get(ws._worksheet_path.lstrip("/"), 0)
            if size > limits.part_bytes:
                raise WorkbookTooLarge(f"sheet {ws.title}", "part_bytes", limits.part_bytes,
                                       f"{size:,} bytes unzipped")
            try:
                rows = _rows(book, ws, ws.title, limits, deadline)
                head = list(itertools.islice(rows, 30))
                if not head:  # an empty sheet (Excel's Sheet2, Sheet3)
                    continue
                if _is_template(sheet, mapped, head):
                    yield from _read_sheet(sheet, itertools.chain(head, rows), book.epoch)
                    continue
                yield from _read_register(ws.title, sheet, head, rows, store, mapped, registers, book.epoch,
                                          visible)
            except _Unreadable as exc:
                yield ("error", f"sheet {ws.title}", str(exc))
        if passed and registers:
            registers[-1].notes.append(f"sheets read past, as the mapping names sheet {mapping.sheet}: "
                                       + "、".join(passed))
    finally:
        book.close()


@dataclass
class SheetKind:
    """What :func:`inspect_workbook` made of one sheet: the template's (``template``), a register
    (``register``, with its :class:`~orggraph.io.register.Layout`), or neither (``unknown``); and its rows
    below the headers that hold anything."""

    sheet: str
    kind: str
    layout: Any = None
    rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = {"sheet": self.sheet, "kind": self.kind, "rows": self.rows}
        if self.layout is not None:
            out.update(self.layout.as_dict())
        return out


def inspect_workbook(path: str | os.PathLike[str], mapping: Any = None, *,
                     limits: Limits | None = None) -> list[SheetKind]:
    """How :func:`read_workbook` would read each sheet of a workbook: the template's, a register (its
    header rows, date, and the field each column feeds, or the problems that keep it from being read),
    or neither. Nothing is loaded.

    Raises
    ------
    ValueError
        Not an Excel workbook (.xlsx), or the mapping names a sheet the workbook does not hold.
    """
    from openpyxl import load_workbook

    from .register import find_layout

    limits = limits or Limits()
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ValueError(f"{os.path.basename(path)}: not an Excel workbook (.xlsx): {exc}") from None
    try:
        chosen, _, missing = _sheets(book, mapping)
        if missing:
            raise ValueError(missing)
        found = []
        for ws, sheet, mapped in chosen:
            rows = _rows(book, ws, ws.title, limits, None)
            head = list(itertools.islice(rows, 30))
            if not head:
                continue
            if _is_template(sheet, mapped, head):
                found.append(SheetKind(ws.title, "template", rows=sum(1 for _ in itertools.chain(head, rows)) - 1))
                continue
            layout = find_layout(ws.title, _values(head), mapped)
            last = layout.header_rows[-1] if layout is not None and layout.header_rows else 1
            count = sum(1 for n, _ in itertools.chain(head, rows) if n > last)
            found.append(SheetKind(ws.title, "register" if layout is not None else "unknown", layout, count))
        return found
    finally:
        book.close()


def _sheets(book: Any, mapping: Any) -> tuple[list[tuple[Any, Sheet | None, Any]], list[str], str | None]:
    """The sheets to read (the instructions aside), each with the template's sheet of its name and the
    mapping that reads it (the one it names, or the first); the sheets passed over because the mapping
    names another; and what is wrong when it names a sheet the workbook does not hold."""
    if mapping is not None and mapping.sheet is not None and mapping.sheet not in book.sheetnames:
        return [], [], (f"the mapping names the sheet {mapping.sheet!r}, which the workbook does not hold; "
                        f"it holds {'、'.join(book.sheetnames)}")
    first = next((ws.title for ws in book.worksheets if ws.title != INSTRUCTIONS), None)
    chosen, passed = [], []
    for ws in book.worksheets:
        if ws.title == INSTRUCTIONS:
            continue
        if mapping is not None and mapping.sheet is not None and ws.title != mapping.sheet:
            passed.append(ws.title)
            continue
        mapped = mapping if mapping is not None and (mapping.sheet or first) == ws.title else None
        chosen.append((ws, _BY_NAME.get(ws.title), mapped))
    return chosen, passed, None


def _values(head: list[tuple[int, dict[int, dict]]]) -> list[tuple[int, dict[int, Any]]]:
    """A sheet's first rows as the register's layout is found in them: each cell's value."""
    return [(n, {c: cell["value"] for c, cell in cells.items()}) for n, cells in head]


def _is_template(sheet: Sheet | None, mapping: Any, head: list[tuple[int, dict[int, dict]]]) -> bool:
    """Whether a sheet is read as the template's: named as one of its sheets, read by no mapping, and
    headed as the template heads it."""
    return sheet is not None and mapping is None and _template_headers(sheet, head)


def _template_headers(sheet: Sheet, head: list[tuple[int, dict[int, dict]]]) -> bool:
    """Whether a sheet's first row holds the template's headers (each one of them, or a field's name)."""
    if not head:
        return True
    number, cells = head[0]
    if number != 1:
        return False
    from .register import _header_key, _lookup

    known = {h for _, h in sheet.columns} | {f for f in sheet.fields if f}
    texts = [t for c in cells.values() if c["data_type"] not in _REFUSED and (t := _text(c["value"])) is not None]
    ours = sum(t in known for t in texts)
    if ours == len(texts):
        return True
    return ours >= sum(_lookup(_header_key(t)) is not None for t in texts)  # more a register's than the template's


def _read_register(title: str, sheet: Sheet | None, head: list, rows: Iterator, store: Any, mapping: Any,
                   registers: list | None, epoch: Any, visible: Any = None) -> Iterator[Item]:
    """A sheet read as a register, or refused naming every header it cannot place (and the way out)."""
    from .register import TOTAL, Summary, build_records, find_layout

    layout = find_layout(title, _values(head), mapping)
    if layout is None:
        if sheet is not None:  # the template's sheet with headers it does not know: each named
            yield from _read_sheet(sheet, itertools.chain(head, rows), epoch)
            return
        yield ("error", f"sheet {title}",
               f"unknown sheet; expected: {'、'.join(s.name for s in SHEETS)} (or {INSTRUCTIONS}), or a register "
               "with its headers (户主姓名, 家庭地址, 分包人, ...) in its first rows; for any other register, a mapping "
               "(orggraph ledger inspect FILE --write-map MAP.toml, then orggraph load FILE --map MAP.toml)")
        return
    where = f"sheet {title}, row {'-'.join(map(str, layout.header_rows)) or 1}"
    if layout.problems:
        for problem in layout.problems:
            yield ("error", where, problem)
        return
    values: list[tuple[int, dict[int, Any] | None]] = []
    for number, cells in itertools.chain(head, rows):
        row: dict[int, Any] | None = {}
        refused = [(column, _problem(cell)) for column, cell in cells.items() if cell["data_type"] in _REFUSED]
        texts = [c["value"] for c in cells.values() if isinstance(c["value"], str)]
        if refused and not any(TOTAL.match(t.strip()) for t in texts):  # a total row's sums aside
            for column, problem in refused:
                yield ("error", f"sheet {title}, row {number}", f"column {_column_letter(column - 1)}: {problem}")
            row = None  # the row is refused; the others are read on, so that every problem is named at once
        else:
            row = {column: cell["value"] for column, cell in cells.items() if cell["data_type"] not in _REFUSED}
        values.append((number, row))
    summary = Summary(title, layout.header_rows, layout.date)
    yield from build_records(layout, values, store, summary, epoch=epoch,
                             where=lambda number, columns: SheetRow(title, number, columns), visible=visible)
    if registers is not None:
        registers.append(summary)


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
    merged = _merged_ranges(book._archive, ws._worksheet_path.lstrip("/"))
    anchors: dict[tuple[int, int, int, int], dict] = {}  # each merged range's top-left cell, once read
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
            if merged:
                _fill_merged(number, row, merged, anchors)
            if number <= last:  # a row given again (or out of order): each of its cells refused by name
                for cell in row.values():
                    cell["data_type"] = "twice"
            last = max(last, number)
            count += 1
            if count > limits.rows + 1:  # the header and the rows of records
                raise WorkbookTooLarge(f"sheet {name}", "rows", limits.rows, f"more than {limits.rows:,} rows")
            yield number, row


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _merged_ranges(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int, int, int]]:
    """The merged cells of a sheet as (first row, first column, last row, last column), from its XML: they
    come after the rows, so the part is read once for them before its rows are (a read-only sheet in
    openpyxl does not keep them). Sorted by first row."""
    found = []
    tail = b""
    with archive.open(part) as source:
        while chunk := source.read(1 << 20):
            text = tail + chunk
            for m in _MERGE_REF.finditer(text):
                r1, c1 = int(m[2]), _column_number(m[1])
                r2, c2 = (int(m[4]), _column_number(m[3])) if m[3] else (r1, c1)
                if (r1, c1) != (r2, c2):
                    found.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            cut = text.rfind(b"<")
            tail = text[cut:] if cut >= 0 and len(text) - cut < 512 else b""
    return sorted(set(found))


def _fill_merged(number: int, row: dict[int, dict], merged: list[tuple[int, int, int, int]],
                 anchors: dict[tuple[int, int, int, int], dict]) -> None:
    """A merged cell's value in every cell it covers of a row read, as Excel shows it; a value the file
    holds under a merged cell, which Excel does not show, refused by name. A row that holds nothing of its
    own is not made up from merged cells (``row`` is never empty here)."""
    for span in merged:
        r1, c1, r2, c2 = span
        if r1 > number:
            break
        if number > r2:
            continue
        if number == r1:
            anchor = row.get(c1)
            if anchor is None:
                continue
            anchors[span] = anchor
        anchor = anchors.get(span)
        if anchor is None:
            continue
        for column in range(c1, c2 + 1):
            if number == r1 and column == c1:
                continue
            if column in row:
                row[column]["data_type"] = "hidden"
                continue
            row[column] = {**anchor, "row": number, "column": column}


_REFUSED = {"formula", "e", "twice", "hidden"}


def _problem(cell: dict[str, Any]) -> str | None:
    """What keeps a cell from being read, if anything."""
    kind = cell["data_type"]
    if kind == "formula":
        return "a formula with no saved value; save the workbook in Excel or paste values"
    if kind == "e":
        return f"holds the error value {cell['value']}; correct the cell"
    if kind == "twice":
        return "given twice in the file; save the workbook in Excel again"
    if kind == "hidden":
        return "holds a value hidden under a merged cell, which Excel does not show; unmerge the cells or clear it"
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


# --- printing: what a street office prints --------------------------------------------------------------------

#: a column's width (Excel's unit: about one digit of the default font) is the widest text it holds, a
#: Chinese character counting two (:func:`text_width`), and this much more
_PADDING = 2
_MIN_WIDTH, _MAX_WIDTH = 6, 50
#: the rows of a sheet of the export held and measured before its columns are sized: a write-only sheet
#: writes its columns' widths (and its frozen pane) before its first row. A text wider than its column
#: further down wraps in its cell
_SAMPLE = 200
#: the instruction sheet's one column: within A4 landscape at its margins (about 148 units wide), with room
#: to spare for fonts whose Chinese characters are wider than two digits
GUIDE_COLUMN = 120
#: the widest a line of the instructions is (units as above): every line prints as one line
GUIDE_LINE = 100
_HEADER = "&A"  # the sheet's name
_FOOTER = "第 &P 页 / 共 &N 页"
_A4 = 9  # the paper size's code


#: the characters that show two digits wide: East Asian wide and full-width (W, F), by block: Hangul, the
#: CJK symbols, kana and ideographs, Yi, Tangut, Nüshu, full-width forms, emoji; a quick stand-in for
#: asking ``unicodedata.east_asian_width`` of every character, which it matches but for a few symbols
_WIDE = re.compile("[\u1100-\u115f\u231a\u231b\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf"
                   "\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19"
                   "\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\U00016fe0-\U00018d08\U0001aff0-\U0001b2fb"
                   "\U0001f200-\U0001f2ff\U0001f300-\U0001f64f\U0001f680-\U0001f6ff\U0001f900-\U0001f9ff"
                   "\U0001fa70-\U0001faff\U00020000-\U0002fffd\U00030000-\U0003fffd]")


def text_width(value: Any) -> int:
    """How wide a value shows, in digits of a sheet's default font: a Chinese character (and any East
    Asian wide or full-width one) counts two; of text on several lines, the widest line.

    Examples
    --------
    >>> text_width("桂花社区1号楼"), text_width("h0001"), text_width("一\\n二三"), text_width(12)
    (13, 5, 4, 2)
    """
    text = value if isinstance(value, str) else str(value)
    if "\n" in text:
        return max(map(text_width, text.split("\n")))
    return len(text) if text.isascii() else len(text) + len(_WIDE.findall(text))


def _fit(width: int) -> int:
    return min(max(width + _PADDING, _MIN_WIDTH), _MAX_WIDTH)


def _print_setup(ws: Any, widths: list[int], *, table: bool = True) -> None:
    """Set a sheet to print: A4 landscape, one page wide, the sheet's name in the page header and
    第 P 页 / 共 N 页 in the footer, columns of the given widths. A ``table`` prints as many pages long as
    its rows take, with its header row frozen on screen and printed on every page, and grid lines; the
    instructions (not a table) print on one page, a little smaller should they not fit.

    For a write-only sheet, called before its first row is written, which writes the columns and the
    panes; the rest (page setup, header and footer, the print titles) is written when the workbook is saved.
    """
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    for index, width in enumerate(widths):
        ws.column_dimensions[_column_letter(index)].width = width
    if table:
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.print_options.gridLines = True
    ws.page_setup.paperSize = _A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0 if table else 1  # 0: as many pages long as the rows take
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    ws.oddHeader.center.text = _HEADER
    ws.oddFooter.center.text = _FOOTER


def _header_row(ws: Any, sheet: Sheet) -> list[Any]:
    """The header row's cells: bold, the columns a record must fill shaded."""
    from openpyxl.styles import Font, PatternFill

    cells = text_row(ws, [h for _, h in sheet.columns])
    for cell, (field, _) in zip(cells, sheet.columns):
        cell.font = Font(bold=True)
        if field in sheet.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
    return cells


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


class _Streamed:
    """One sheet of the export as it is written: its first rows (up to ``_SAMPLE``) held while its columns
    are measured, then its print setup, its header and every row streamed."""

    def __init__(self, ws: Any, sheet: Sheet):
        self.ws, self.sheet, self.count = ws, sheet, 0
        self.widest = [text_width(h) for _, h in sheet.columns]
        self.held: list[list[Any]] = []
        self.widths: list[int] | None = None

    def append(self, values: list[Any]) -> None:
        """One record's cells (raises ``_Unwritable`` as :func:`text_row` does)."""
        cells = text_row(self.ws, values)
        if self.widths is not None:
            self.ws.append(self._wrapped(cells))
            return
        for index, value in enumerate(values):
            if value is not None:
                self.widest[index] = max(self.widest[index], text_width(value))
        self.held.append(cells)
        if len(self.held) >= _SAMPLE:
            self.start()

    def start(self) -> None:
        """Size the columns from what was measured, and write the header and the rows held."""
        self.widths = [_fit(w) for w in self.widest]
        _print_setup(self.ws, self.widths)
        self.ws.append(_header_row(self.ws, self.sheet))
        for cells in self.held:
            self.ws.append(self._wrapped(cells))
        self.held = []

    def _wrapped(self, cells: list[Any]) -> list[Any]:
        """Text wider than its column, or on several lines, wraps in its cell: printed whole. A number
        (people, items) is centred, not set against the next column's text (2|138****5416)."""
        from openpyxl.cell import WriteOnlyCell

        for index, cell in enumerate(cells):
            if isinstance(cell, int) and not isinstance(cell, bool):
                cells[index] = WriteOnlyCell(self.ws, cell)
                cells[index].alignment = _centre()
                continue
            text = getattr(cell, "_value", None)  # a text cell's
            if isinstance(text, str):
                room = self.widths[index] - _PADDING
                if "\n" in text or (2 * len(text) > room and text_width(text) > room):
                    cell.alignment = _wrap()
        return cells


@functools.cache
def _wrap() -> Any:
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=True, vertical="top")


@functools.cache
def _centre() -> Any:
    from openpyxl.styles import Alignment

    return Alignment(horizontal="center")


def write_workbook(
    nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]], path: str | os.PathLike[str]
) -> int:
    """Write nodes and edges to a workbook that :func:`read_workbook` reads back as the same network.

    Streams row by row; every text is written as text (see :func:`text_row`), so a name beginning with
    ``=`` is a name, not a formula, in Excel and when read back. Writes over a file at ``path``:
    :func:`orggraph.io.export_store` is the one that asks first.

    Every sheet prints: A4 landscape, one page wide, the header row frozen and printed on every page, the
    sheet's name above and the page number (第 P 页 / 共 N 页) below each page. Its columns are as wide as
    their header and their first rows (a Chinese character counting two, up to 50); a longer text further
    down wraps in its cell. The instructions (填表说明) print on one page.

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
    sheets = {sheet.kind: _Streamed(book.create_sheet(sheet.name), sheet) for sheet in SHEETS}
    try:
        written = _write_rows(sheets, nodes, edges)
        for out in sheets.values():
            if out.widths is None:  # fewer rows than the sample, or none
                out.start()
    except BaseException:
        for ws in book.worksheets:  # let openpyxl finish its open sheet streams quietly
            ws.close()
        raise
    book.save(path)
    return written


def _write_rows(sheets: dict[str, _Streamed], nodes: Iterable[dict], edges: Iterable[dict]) -> int:
    written = 0
    fixed_edge = {"type", "source", "target"}
    for record, key in _chain_records(nodes, edges):
        out = sheets[record[key]]
        sheet = out.sheet
        out.count += 1
        if out.count > MAX_ROWS:
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
            out.append(row)
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


#: the instructions, one printed line each (at most GUIDE_LINE wide): a point's further lines indented
_GUIDE = [
    "1. 每张工作表是一类记录：区域、党组织、单位、党员、住户，以及各类关系",
    "    （区域隶属、组织管辖、住户位置、包保联户、任职、下沉报到……）。",
    "2. 第一行是表头，请勿修改；从第二行起每行填写一条记录，空行会被跳过。",
    "3. 编号在整个台账中唯一，一个编号只代表一个对象（如住户 h0001 不能又是党员）。",
    "4. 关系表中的编号须是本台账或已导入数据中已有的对象，方向见表头",
    "    （如 包保联户：党员编号 → 住户编号）。",
    "5. 日期写作 2024-03-01，也可写 2024/3/1、2024.3.1、2024年3月1日、20240301，",
    "    或填日期格式的单元格；只写年月（2024年3月）或年份在后（03/01/2024）的不收；",
    "    开始日期不能晚于结束日期；不填表示长期有效。",
    "6. 层级、职务、角色、类别、状态、标记可填中文（社区）或代码（community），",
    "    可选值见下文和各列的下拉框。",
    "7. 住户标记可填多个，用顿号分隔，如：独居老人、残疾人。人数为不小于 1 的整数。",
    "8. 电话每格填一个号码：手机号（11 位）或座机（区号-号码，分机写在后面：区号-号码-分机）；",
    "    空格、横线、括号、+86 可有可无，存为同一种写法。",
    "9. 其他属性列可填 JSON 对象，如 {\"备注\": \"二楼东户\"}。",
    "10. 导入时任何一行有错，整个文件都不会写入，错误信息会指出工作表、行和列。",
    "11. 每一行、每个单元格都会读取或报错：无表头的列中有内容、同一表头出现两次、",
    "    公式没有保存的计算结果、错误值（如 #REF!）都会指出位置。",
    "12. 导出的台账中，文字一律按文字保存：以 = + - @ 开头的名称不会成为公式。",
    "13. 打印：各表为 A4 横向，缩至一页宽，每页重复表头，页眉为表名，页脚为页码。",
    "14. 原有的居民台账、包保台账（一行一户）可直接导入：orggraph load 台账.xlsx；",
    "    表头认不出时，用 orggraph ledger inspect 台账.xlsx --write-map 对照.toml",
    "    生成对照表，改好后加 --map 对照.toml 导入。",
]
_INDENT = "    "


def guide_lines() -> list[str]:
    """The instruction sheet's lines: the title, the points, and each closed list's values, packed into
    lines at most ``GUIDE_LINE`` wide."""
    lines = ["orggraph 台账填写说明", "", *_GUIDE, "", "可选值（填中文或括号中的代码）："]
    seen = set()
    for sheet in SHEETS:
        for field, header in sheet.columns:
            vocab = sheet.vocabulary(field)
            if vocab is None or id(vocab) in seen:
                continue
            seen.add(id(vocab))
            line = f"{sheet.name}·{header}："
            for code, label in vocab.items():
                part = f"{label}({code})、"
                if text_width(line + part) > GUIDE_LINE:
                    lines.append(line)
                    line = _INDENT
                line += part
            lines.append(line.removesuffix("、"))
    return lines


def _instructions(ws: Any) -> None:
    """The instruction sheet, set to print on one page: one column within A4 landscape, one line a row,
    wrapped in its cell should a font print it wider than measured."""
    from openpyxl.styles import Font

    _print_setup(ws, [GUIDE_COLUMN], table=False)
    for number, line in enumerate(guide_lines()):
        [cell] = text_row(ws, [line])
        cell.alignment = _wrap()
        if number == 0:
            cell.font = Font(bold=True, size=14)
        ws.append([cell])


#: the widths of the template's columns, ready for what is typically written there (a closed list: its
#: widest label); the export's are measured from what it writes
_TYPICAL = {"id": 12, "source": 12, "target": 12, "name": 24, "address": 36, "phone": 15, "people": 4,
            "since": 11, "until": 11, "items": 10, "flags": 22, "": 30}


def _typical_width(sheet: Sheet, field: str, header: str) -> int:
    vocab = sheet.vocabulary(field)
    typical = max(map(text_width, vocab.values())) if vocab and field != "flags" else _TYPICAL.get(field, 12)
    return _fit(max(text_width(header), typical))


def write_template(path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write an empty workbook with instructions, headers and drop-down lists, ready to fill in.

    Its sheets print as the export's do (:func:`write_workbook`), with columns as wide as what is
    typically written in them. A file already at ``path`` is left as it is and
    :class:`~orggraph.exceptions.FileInTheWay` raised, unless ``force``; the workbook is written beside
    it and moved into place when complete.
    """
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    guide = book.active
    guide.title = INSTRUCTIONS
    _instructions(guide)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        _print_setup(ws, [_typical_width(sheet, f, h) for f, h in sheet.columns])
        ws.append(_header_row(ws, sheet))
        for i, (field, _) in enumerate(sheet.columns):
            letter = _column_letter(i)
            vocab = sheet.vocabulary(field)
            if vocab is not None and field != "flags":
                dv = DataValidation(type="list", formula1='"' + ",".join(vocab.values()) + '"', allow_blank=True)
                dv.error = "请从下拉列表中选择"
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}5000")
    with writing(path, force) as partial:
        book.save(partial)
