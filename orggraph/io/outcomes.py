"""A kept incident's call sheet (应急联络单) read back once filled in by hand: each door's outcome.

:func:`orggraph.report.incident_workbook` writes the sheet with a column 结果 (a drop-down of the
outcomes), 登记人 (the member id of who called) and 备注, and a hidden column whose header holds the
incident's id and whose rows hold each row's household id as written. :func:`read_outcomes` reads the
outcomes back, all of them or none.
"""

from __future__ import annotations

import itertools
import os
import re
import zipfile
from typing import Any, Collection

from ..exceptions import InvalidRecords, RecordError
from .excel import _Unreadable
from ..report import BY_HEADER, CALL_SHEET, HOUSEHOLD_HEADER, KEY_PREFIX, NOTE_HEADER, OUTCOME_HEADER, PRINTED_MARK, STATUS_LABELS
from .excel import _OLE2, _REFUSED, Limits, _column_letter, _problem, _rows, _text

__all__ = ["read_outcomes", "incident_of"]

#: the rows at the top of a sheet looked through for its header row
_HEAD_ROWS = 10
#: an outcome as written: its Chinese label or the status itself
_STATUSES = {**{label: status for status, label in STATUS_LABELS.items()}, **{s: s for s in STATUS_LABELS}}
#: a member written with its name, as the sheet names members: 王芳 (m1), or 王芳（m1）
_NAMED = re.compile(r"^.*?[(（]\s*([^()（）]+?)\s*[)）]$")
_COLUMNS = (HOUSEHOLD_HEADER, OUTCOME_HEADER, BY_HEADER, NOTE_HEADER)


class _Sheet:
    """A call sheet found in a workbook: its title, header row, the column of each header it needs, the
    hidden column of household ids, the incident's id, and its rows below the header."""

    def __init__(self, title: str, header: int, columns: dict[str, int], key: int, incident: str, rows: Any):
        self.title, self.header, self.columns, self.key, self.incident, self.rows = (
            title, header, columns, key, incident, rows)

    def where(self, row: int) -> str:
        return f"sheet {self.title}, row {row}"

    def field(self, header: str) -> str:
        return f"column {_column_letter(self.columns[header] - 1)} {header}"


def _open(path: str | os.PathLike[str]) -> Any:
    """The workbook, read only; or InvalidRecords naming the file."""
    from openpyxl import load_workbook

    name = os.path.basename(path)
    try:
        with open(path, "rb") as head:
            if head.read(8) == _OLE2:
                raise InvalidRecords([RecordError(name, None, "an old Excel workbook (.xls) or one protected by a "
                                                  "password: save it as an Excel workbook (.xlsx) without a password")])
        with zipfile.ZipFile(path):
            pass
        return load_workbook(path, read_only=True, data_only=True)
    except InvalidRecords:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidRecords([RecordError(name, None, f"not an Excel workbook (.xlsx): {exc}")]) from None


def _find(book: Any, name: str, limits: Limits, errors: list[RecordError]) -> _Sheet | None:
    """The workbook's one call sheet of a kept incident; None, with what is wrong in ``errors``, if there
    is none, or more than one."""
    found = []
    for ws in book.worksheets:
        rows = _rows(book, ws, ws.title, limits, None)
        head = list(itertools.islice(rows, _HEAD_ROWS))
        for number, cells in head:
            keys = [(c, cell) for c, cell in cells.items()
                    if isinstance(cell["value"], str) and cell["value"].strip().startswith(KEY_PREFIX)]
            if keys:
                rest = itertools.chain([r for r in head if r[0] > number], rows)
                found.append((ws.title, number, cells, keys[0], rest))
                break
    if not found:
        titles = "、".join(book.sheetnames)
        plain = CALL_SHEET in book.sheetnames
        errors.append(RecordError(name, None, f"not the call sheet of a kept incident (it holds {titles})"
                                  + ("; a call sheet of the day has no column 结果 to read: fill in the sheet of the "
                                     "incident, written by orggraph incident open" if plain else "")))
        return None
    if len(found) > 1:
        errors.append(RecordError(name, None, "holds the call sheets of more than one incident, or one twice: "
                                  + "、".join(f"sheet {f[0]}" for f in found) + "; send one a workbook"))
        return None
    title, number, cells, (key, cell), rest = found[0]
    incident = cell["value"].strip()[len(KEY_PREFIX):].strip()
    columns: dict[str, int] = {}
    problems = []
    for column, header in sorted(cells.items()):
        text = _text(header["value"]) if header["data_type"] not in _REFUSED else None
        if text in _COLUMNS:
            if text in columns:
                problems.append(f"column {_column_letter(column - 1)}: the header {text!r} is given twice, in columns "
                                f"{_column_letter(columns[text] - 1)} and {_column_letter(column - 1)}; keep one")
            columns.setdefault(text, column)
    missing = [h for h in _COLUMNS if h not in columns]
    if missing:
        problems.append(f"missing column {'、'.join(missing)}: put back the columns as the sheet was written")
    if not incident:
        problems.append(f"column {_column_letter(key - 1)} (hidden): the incident's id is missing")
    for problem in problems:
        errors.append(RecordError(f"sheet {title}, row {number}", None, problem))
    return None if problems else _Sheet(title, number, columns, key, incident, rest)


def incident_of(path: str | os.PathLike[str], *, limits: Limits | None = None) -> str:
    """The id of the incident whose call sheet a workbook is (written in a hidden column of the sheet).

    Raises
    ------
    InvalidRecords
        Not a workbook, or no call sheet of a kept incident in it, or more than one.
    """
    book = _open(path)
    try:
        errors: list[RecordError] = []
        sheet = _find(book, os.path.basename(path), limits or Limits(), errors)
        if sheet is None:
            raise InvalidRecords(errors)
        return sheet.incident
    finally:
        book.close()


def read_outcomes(path: str | os.PathLike[str], incident_id: str | None = None, *,
                  households: Collection[str] | None = None, members: Collection[str] | None = None,
                  limits: Limits | None = None) -> list[dict[str, Any]]:
    """The outcomes written by hand on a kept incident's call sheet, in the sheet's order of rows.

    Each row with an outcome in 结果 (its Chinese label, 已联系到, or the status, ``reached``: see
    :data:`orggraph.report.STATUS_LABELS`) gives ``{"household", "status", "by", "note", "row", "printed"}``:
    ``printed`` is the number of the mark the row's outcome was printed with (None if none was); ``by``
    is 登记人, a member id (``m1``, or ``王芳 (m1)`` as the sheet names members), ``note`` is 备注 or
    None, ``row`` the sheet's row. A row with no outcome is passed over, whatever else it holds.

    The sheet must be the call sheet of ``incident_id`` (when given), as written: its rows are checked
    against the household ids the sheet was written with (a hidden column), and against ``households``
    and ``members`` when given (the incident's households, the members who may mark them). Nothing is
    returned in part: every problem is named at once, by sheet, row and column.

    Raises
    ------
    InvalidRecords
        Not a workbook, no call sheet of a kept incident in it (or more than one), the call sheet of
        another incident, a column missing; or a row with an outcome that is not one, with no 登记人, a
        member not among ``members``, a household id changed by hand, a household not on the sheet as
        written or not among ``households``, or a household given an outcome in two rows.

    Examples
    --------
    >>> read_outcomes("not-there.xlsx")
    Traceback (most recent call last):
    ...
    orggraph.exceptions.InvalidRecords: 1 problem in the input; nothing was written:
      not-there.xlsx: not an Excel workbook (.xlsx): [Errno 2] No such file or directory: 'not-there.xlsx'
    """
    limits = limits or Limits()
    name = os.path.basename(path)
    book = _open(path)
    errors: list[RecordError] = []
    outcomes: list[dict[str, Any]] = []
    try:
        try:
            sheet = _find(book, name, limits, errors)
            rows = None if sheet is None else list(sheet.rows)
        except _Unreadable as exc:  # XML that cannot be read on: said plainly, as bad input
            raise InvalidRecords([RecordError(name, None, f"not a call sheet that can be read: {exc}")]) from None
        if sheet is not None and incident_id is not None and sheet.incident != incident_id:
            errors.append(RecordError(sheet.where(sheet.header), f"column {_column_letter(sheet.key - 1)} (hidden)",
                                      f"the call sheet of incident {sheet.incident!r}, not of {incident_id!r}"))
        if errors:
            raise InvalidRecords(errors)
        assert sheet is not None
        first: dict[str, int] = {}
        for number, cells in rows or ():
            outcome = _outcome(sheet, number, cells, households, members, first, errors)
            if outcome is not None:
                outcomes.append(outcome)
    finally:
        book.close()
    if errors:
        raise InvalidRecords(errors)
    return outcomes


_REFUSED_CELL = object()  # a cell refused (a formula with no value, an error value), its problem named


def _outcome(sheet: _Sheet, number: int, cells: dict[int, dict], households: Collection[str] | None,
             members: Collection[str] | None, first: dict[str, int], errors: list[RecordError]) -> dict | None:
    """One row's outcome, None for a row with none; what is wrong with it added to ``errors`` (and None)."""
    where = sheet.where(number)
    mark = cells.get(sheet.columns[OUTCOME_HEADER])
    if mark is None or (mark["data_type"] not in _REFUSED and _text(mark["value"]) is None):
        return None
    count = len(errors)

    def read(column: int, field: str) -> Any:
        cell = cells.get(column)
        if cell is None:
            return None
        if cell["data_type"] in _REFUSED:
            errors.append(RecordError(where, field, _problem(cell) or "cannot be read"))
            return _REFUSED_CELL
        return _text(cell["value"])

    written = read(sheet.columns[OUTCOME_HEADER], sheet.field(OUTCOME_HEADER))
    status = None
    if written is not _REFUSED_CELL:
        status = _STATUSES.get(written, _STATUSES.get(written.lower()))
        if status is None:
            allowed = "、".join(f"{label} ({code})" for code, label in STATUS_LABELS.items())
            errors.append(RecordError(where, sheet.field(OUTCOME_HEADER), f"unknown outcome {written!r}; one of {allowed}"))
    by = read(sheet.columns[BY_HEADER], sheet.field(BY_HEADER))
    if by is None:
        errors.append(RecordError(where, sheet.field(BY_HEADER), "who marked the outcome is missing: write the "
                                  "member's id (as m0000018, or 王芳 (m0000018))"))
    elif by is not _REFUSED_CELL:
        named = _NAMED.match(by)
        by = named.group(1) if named else by
        if members is not None and by not in members:
            errors.append(RecordError(where, sheet.field(BY_HEADER),
                                      f"{by!r} is not a member who may mark this incident's doors"))
    note = read(sheet.columns[NOTE_HEADER], sheet.field(NOTE_HEADER))
    household = read(sheet.columns[HOUSEHOLD_HEADER], sheet.field(HOUSEHOLD_HEADER))
    written_for = read(sheet.key, f"column {_column_letter(sheet.key - 1)} (hidden)")
    printed = None
    if isinstance(written_for, str) and PRINTED_MARK in written_for:
        head, _, seq = written_for.rpartition(PRINTED_MARK)
        if seq.isdigit():
            written_for, printed = head, int(seq)
    problem = None
    if _REFUSED_CELL in (household, written_for):
        pass
    elif written_for is None:
        problem = ("a row not on the sheet as written: only the households the call sheet was written with take "
                   "an outcome")
    elif household is None:
        problem = f"the household's id is missing; the row was written for {written_for!r}: put it back"
    elif household != written_for:
        problem = (f"the household's id reads {household!r}, but the row was written for {written_for!r}: "
                   "put it back as it was")
    elif households is not None and household not in households:
        problem = f"{household!r} is not a household of the incident {sheet.incident!r}"
    elif household in first:
        problem = (f"the household {household!r} is given an outcome twice, in rows {first[household]} and "
                   f"{number}; keep one")
    else:
        first[household] = number
    if problem:
        errors.append(RecordError(where, sheet.field(HOUSEHOLD_HEADER), problem))
    if len(errors) > count:
        return None
    return {"household": household, "status": status, "by": by, "note": note, "row": number, "printed": printed}
