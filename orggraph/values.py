"""Everyday values as clerks write them, phone numbers and days, each read into the one form orggraph stores."""

from __future__ import annotations

import calendar
import datetime as _dt
import math
import re
import unicodedata
from typing import Any

from .exceptions import OrgGraphError
from .privacy import describe

__all__ = ["BadValue", "phone", "phones", "day", "PHONE_PATTERN", "DAY_PATTERN", "EXCEL_1900", "EXCEL_1904"]


class BadValue(OrgGraphError, ValueError):
    """A value that cannot be read as what its field holds. The message names the fault precisely and
    never echoes a phone number: no digit of one is in it.

    Examples
    --------
    >>> try:
    ...     phone("8123456")
    ... except BadValue as exc:
    ...     print(exc)
    no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)
    """


# --- the forms stored --------------------------------------------------------------------------------------
# ASCII digits only: [0-9], never \d, which in pydantic's patterns (and Python's) matches digits of every script.

#: an area code: 010 and 02x have three digits, every other (0xxx) four
_AREA = r"(?:010|02[0-9]|01[1-9][0-9]|0[3-9][0-9]{2})"
#: a phone as stored: a mobile of 11 digits (13x-19x), or a landline as area code-number[-extension]
PHONE_PATTERN = rf"^(?:1[3-9][0-9]{{9}}|{_AREA}-[0-9]{{7,8}}(?:-[0-9]{{1,6}})?)$"
#: a day as stored: ISO YYYY-MM-DD (the calendar is checked apart: 2021-02-30 fits the pattern)
DAY_PATTERN = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
_PHONE_RE = re.compile(PHONE_PATTERN[1:-1])  # used with fullmatch: "$" would let a trailing line break by
_DAY_RE = re.compile(DAY_PATTERN[1:-1])

#: day 0 of Excel's 1900 date system (the usual one), as openpyxl counts it: day 1 is 1900-01-01
EXCEL_1900 = _dt.date(1899, 12, 30)
#: day 0 of Excel's 1904 date system (a workbook property, of old Mac workbooks): 1904-01-01
EXCEL_1904 = _dt.date(1904, 1, 1)
_LAST_SERIAL = (_dt.date(9999, 12, 31) - EXCEL_1900).days  # 2958465: Excel's last day


# --- phones ------------------------------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\ufe58\ufe63\uff0d"), "-")
#: what may stand between the digits of one number: spaces, dashes, dots and brackets of every width
_INSIDE = re.compile(r"[\s\-.()\[\]【】〔〕]+")
#: what parts the numbers of a register's phone cell (spaces too, but only between whole numbers)
_BETWEEN = re.compile(r"[,、;/\n\r\u2028\u2029]|或")
#: an extension, written 转801, 分机801, ext. 801 or x801, at the end
_EXTENSION = re.compile(r"\s*(?:转|分机|ext(?:ension)?\.?|x)\s*[:.]?\s*([0-9]+)\s*$", re.IGNORECASE)
#: the last group of digits after a dash, as an extension may be: 0716-8123456-801
_DASHED = re.compile(r"[0-9]\s*-\s*[0-9]+$")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _fold(text: str) -> str:
    """NFKC (full-width digits, brackets, plus and spaces to ASCII), every dash to '-', stripped."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES).strip()


_LONGEST = 500  # characters of a phone cell read: a dozen numbers, written out at length


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(f"a phone number is written as text, got {describe(value, 'phone')}")
    if len(value) > _LONGEST:
        raise BadValue(f"{len(value)} characters, too long for phone numbers (at most {_LONGEST})")
    return _fold(value)


def _mobile(digits: str) -> str:
    """A mobile's 11 digits, or why not (digits begins with 1)."""
    if len(digits) != 11:
        raise BadValue(f"11 digits needed for a mobile, got {len(digits)}")
    if digits[1] in "012":
        raise BadValue("a mobile number begins with 13 to 19")
    return digits


def _landline(digits: str, groups: list[str], extension: str | None) -> str:
    """A landline as area code-number[-extension], or why not (digits begins with 0)."""
    if digits.startswith("00"):
        raise BadValue("an international number (it begins with 00); only mainland numbers, or +86, are taken")
    area = 3 if digits.startswith(("010", "02")) else 4
    local = digits[area:]
    tail = groups[-1] if extension is None and len(groups) > 1 else ""  # after the last dash: 0716-8123456-801
    if tail and len(tail) <= 6 and 7 <= len(local) - len(tail) <= 8 and (
            len(local) > 8 or (len(groups) > 2 and groups[0] == digits[:area])):
        # an extension where the number would be too long without it, or where the area code, the number
        # and the extension stand apart (0716-8123456-7, not the 8-digit 0716-81234567)
        local, extension = local[: -len(tail)], tail
    if not 7 <= len(local) <= 8:
        raise BadValue(f"a landline has 7 or 8 digits after its {area}-digit area code, got {len(local)}")
    if extension is not None and not 1 <= len(extension) <= 6:
        raise BadValue(f"an extension has 1 to 6 digits, got {len(extension)}")
    return f"{digits[:area]}-{local}" + (f"-{extension}" if extension else "")


def _one(text: str) -> str:
    """One number, already folded, in its stored form; BadValue saying why not."""
    if not text:
        raise BadValue("blank: no number")
    extension = None
    found = _EXTENSION.search(text)
    if found and found.start() > 0:
        extension, text = found[1], text[: found.start()].rstrip(" -")
    for char in text:
        if not (char.isdigit() or _INSIDE.fullmatch(char) or char == "+"):
            category = unicodedata.category(char)
            if category[0] == "L":
                raise BadValue("letters in a phone number")
            raise BadValue(f"{char!r} in a phone number, which holds digits, spaces, dashes and brackets only")
    if not text.isascii():  # a digit NFKC leaves as it is (Arabic-Indic, say)
        raise BadValue("a digit that is not 0-9 in a phone number")
    if "+" in text[1:] or text == "+":
        raise BadValue("a plus sign inside a phone number; it may only begin it, as +86")
    plus = text.startswith("+")
    dashed = _DASHED.search(text)
    groups = [g for g in _INSIDE.split(text.lstrip("+")) if g]
    digits = "".join(groups)
    if not digits:
        raise BadValue("no digits in a phone number")
    if dashed is None:
        groups = [digits]  # an extension after a dash only: 0716-8123456-801, never 0716 8123456 801
    national = False
    if plus or digits.startswith("0086"):
        code = "86" if plus else "0086"
        if not digits.startswith(code):
            raise BadValue("a number outside mainland China (its country code is not 86)")
        digits, national, left = digits[len(code):], True, len(code)
        while left and groups:  # the country code out of the groups too
            if len(groups[0]) <= left:
                left -= len(groups.pop(0))
            else:
                groups[0], left = groups[0][left:], 0
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":  # 86 13800000000
        digits = digits[2:]
    if national and (digits[:1] not in ("0", "1") or digits.startswith("10")):
        # +86 716 8123456, +86 10 12345678: the area code without its leading 0
        digits, groups = "0" + digits, ["0" + groups[0], *groups[1:]] if groups else ["0" + digits]
    if digits.startswith("1"):
        if extension is not None:
            raise BadValue("an extension to a mobile number; only a landline has one")
        return _mobile(digits)
    if digits.startswith("0"):
        return _landline(digits, groups, extension)
    count = len(digits)
    if count in (7, 8):
        raise BadValue(f"no area code: a landline of {count} digits needs its area code before it (0716, 010, ...)")
    raise BadValue(f"{count} digit{'s' if count != 1 else ''} beginning with neither 1 (a mobile) nor 0 "
                   "(a landline's area code)")


def _partition(tokens: list[str]) -> list[str] | None:
    """Words that make whole numbers, each of one or more words: the numbers, fewest first; or None."""
    best: dict[int, list[str] | None] = {len(tokens): []}
    for start in range(len(tokens) - 1, -1, -1):
        choice = None
        for end in range(start + 1, len(tokens) + 1):
            rest = best[end]
            if rest is None or (choice is not None and len(rest) + 1 >= len(choice)):
                continue
            try:
                choice = [_one(" ".join(tokens[start:end]))] + rest
            except BadValue:
                continue
        best[start] = choice
    return best[0]


def _spaced(part: str) -> list[str | BadValue]:
    """The numbers of a part that no separator parts further: one number written with spaces (138 0000
    0003), or whole numbers with spaces between them; each a number, or why it is none."""
    try:
        return [_one(part)]
    except BadValue as whole:
        tokens = part.split()
        if not 2 <= len(tokens) <= 32:
            return [whole]
        numbers = _partition(tokens)
        if numbers is not None:
            return list(numbers)
        found: list[str | BadValue] = []  # whole numbers as far as they go, then what is left is named
        start = 0
        while start < len(tokens):
            for end in range(start + 1, len(tokens) + 1):
                try:
                    found.append(_one(" ".join(tokens[start:end])))
                except BadValue:
                    continue
                start = end
                break
            else:
                rest = " ".join(tokens[start:])
                if not found or not (rest[0].isdigit() or rest[0] in "+("):  # no number begins there
                    return [whole]
                try:
                    _one(rest)
                except BadValue as why:
                    found.append(why)
                break
        return found


def _numbers(text: Any) -> list[str | BadValue]:
    """Every number of a phone cell, in order: each in its stored form, or why it is none."""
    out: list[str | BadValue] = []
    for part in _BETWEEN.split(_text(text)):
        if part.strip():
            out.extend(_spaced(part.strip()))
    return out


def _ordinal(index: int) -> str:
    return _ORDINALS[index] if index < len(_ORDINALS) else f"{index + 1}th"


def _kind(number: str | BadValue) -> str:
    if isinstance(number, BadValue):
        return "one that is no phone number"
    return "a mobile" if number.startswith("1") else "a landline"


def phone(text: str) -> str:
    """One phone number, in any common spelling, in the one form orggraph stores.

    Full-width digits are read as ASCII ones; spaces, dashes, dots and brackets go; a leading +86, 86 or
    0086 goes. A mobile is its 11 digits (13x-19x); a landline is area code-number, the area code of 3
    digits for 010 and 02x and of 4 for every other, the number of 7 or 8 digits, and an extension
    (after a dash, 转, 分机, ext. or x) kept after another dash.

    Parameters
    ----------
    text : str
        What a clerk wrote in a phone field.

    Returns
    -------
    str
        ``13800000003``, ``0716-8123456``, ``010-12345678``, ``0716-8123456-801``.

    Raises
    ------
    BadValue
        Saying what is wrong, without the digits: two numbers in one field, a landline without its area
        code, a mobile too short, letters, ...

    Examples
    --------
    >>> phone("１３８０００００００２"), phone("138 0000 0003"), phone("+86 13800000005"), phone("008613800000006")
    ('13800000002', '13800000003', '13800000005', '13800000006')
    >>> phone("07168123456"), phone("(0716)8123456"), phone("010 1234 5678"), phone("0716-8123456 转801")
    ('0716-8123456', '0716-8123456', '010-12345678', '0716-8123456-801')
    >>> phone("13800000007,0716-8123456")
    Traceback (most recent call last):
    ...
    orggraph.values.BadValue: two numbers (a mobile and a landline); a phone field holds one
    >>> phone("1380000000")
    Traceback (most recent call last):
    ...
    orggraph.values.BadValue: 11 digits needed for a mobile, got 10
    """
    numbers = _numbers(text)
    if not numbers:
        raise BadValue("blank: no number")
    if len(numbers) == 1:
        if isinstance(numbers[0], BadValue):
            raise numbers[0]
        return numbers[0]
    kinds = [_kind(n) for n in numbers]
    count = _COUNTS[len(numbers)] if len(numbers) < len(_COUNTS) else str(len(numbers))
    if len(set(map(str, numbers))) == 1 and not isinstance(numbers[0], BadValue):
        times = "twice" if len(numbers) == 2 else f"{count} times"
        raise BadValue(f"the same number {times}; a phone field holds one number, once")
    listed = ", ".join(kinds[:-1]) + " and " + kinds[-1]
    raise BadValue(f"{count} numbers ({listed}); a phone field holds one")


def phones(text: str) -> list[str]:
    """Every phone number of a register's phone cell, each in the form :func:`phone` gives, in order,
    each once.

    Numbers are parted by , ， 、 ; ； / 或 or a line break, or by spaces between whole numbers (spaces
    within a number, as 138 0000 0003, keep it one).

    Raises
    ------
    BadValue
        Naming which number is wrong (the first, the second, ...) and what is wrong with it, without
        its digits.

    Examples
    --------
    >>> phones("13800000007，0716-8123456、13800000007")
    ['13800000007', '0716-8123456']
    >>> phones("138 0000 0003 0716 8123456"), phones("")
    (['13800000003', '0716-8123456'], [])
    >>> phones("13800000007 / 8123456")
    Traceback (most recent call last):
    ...
    orggraph.values.BadValue: the second number: no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)
    """
    numbers = _numbers(text)
    bad = [(i, n) for i, n in enumerate(numbers) if isinstance(n, BadValue)]
    if bad:
        if len(numbers) == 1:
            raise bad[0][1]
        raise BadValue("; ".join(f"the {_ordinal(i)} number: {n}" for i, n in bad))
    return list(dict.fromkeys(numbers))  # type: ignore[arg-type]


# --- days --------------------------------------------------------------------------------------------------

_SEP = r"\s*([-/.])\s*"
_YEAR_FIRST = re.compile(rf"([0-9]{{4}}){_SEP}([0-9]{{1,2}})\s*\2\s*([0-9]{{1,2}})")
_CHINESE = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?")
_EIGHT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_MONTH = re.compile(rf"([0-9]{{4}})(?:{_SEP}([0-9]{{1,2}})|\s*年\s*([0-9]{{1,2}})\s*月(?:份)?)")
_YEAR_LAST = re.compile(rf"([0-9]{{1,2}}){_SEP}([0-9]{{1,2}})\s*\2\s*([0-9]{{4}})")
_SHORT_YEAR = re.compile(rf"[0-9]{{1,2}}{_SEP}[0-9]{{1,2}}\s*\1\s*[0-9]{{1,2}}|[0-9]{{2}}\s*年\s*[0-9]{{1,2}}\s*月\s*[0-9]{{1,2}}\s*[日号]?")
#: a time of day after the day: taken when it is midnight (as exports of a date write it), else refused
_CLOCK = re.compile(r"(?:\s+|T)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?$")
_FORMS = "write it as 2020-07-01 (2020/7/1, 2020.7.1, 2020年7月1日 and 20200701 are read too)"


def _calendar_day(year: int, month: int, dd: int) -> str:
    """The ISO day, or BadValue saying why it is no day of the calendar."""
    iso = f"{year:04d}-{month:02d}-{dd:02d}"
    if year < 1:
        raise BadValue(f"{iso} is not a day of the calendar: there is no year 0")
    if not 1 <= month <= 12:
        raise BadValue(f"{iso} is not a day of the calendar: there is no month {month}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= dd <= last:
        if dd == 0:
            raise BadValue(f"{iso} is not a day of the calendar: there is no day 0")
        raise BadValue(f"{iso} is not a day of the calendar: {calendar.month_name[month]} {year} has {last} days")
    return iso


def _serial(number: int, epoch: _dt.date) -> str:
    """An Excel day number of the workbook's date system as an ISO day."""
    if epoch == EXCEL_1900:  # day 1 is 1900-01-01; Excel counts a 1900-02-29 that never was, as day 60
        if number < 1:
            raise BadValue(f"day number {number} is before 1900-01-01, day 1 of Excel's calendar")
        if number == 60:
            raise BadValue("day number 60 is 1900-02-29 in Excel's calendar, a day that never was; give the day")
        if number < 60:
            number += 1
    elif number < 0:
        raise BadValue(f"day number {number} is before {epoch.isoformat()}, day 0 of the workbook's calendar")
    try:
        return (epoch + _dt.timedelta(days=number)).isoformat()
    except OverflowError:
        raise BadValue(f"day number {number} is after 9999-12-31") from None


def _number(value: int | float, serial: bool, epoch: _dt.date) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadValue(f"{value} is not a day")
        if not value.is_integer():
            what = "a day number with a fraction (a time of day)" if serial else f"the number {value}"
            raise BadValue(f"{what} is not a day: {_FORMS}")
        value = int(value)
    if 10000101 <= value <= 99991231:  # past Excel's last day number (2958465): year, month and day
        return _string(str(value), value)
    if not serial:
        raise BadValue(f"the number {value} is not a day: {_FORMS} (a day number is read only from a workbook)")
    if value > _LAST_SERIAL:
        raise BadValue(f"day number {value} is after 9999-12-31, Excel's last day")
    return _serial(value, epoch)


def _string(text: str, value: Any) -> str:
    """A day written as text, folded, in ISO; BadValue saying why not."""
    if not text:
        raise BadValue("blank: no day; leave the field out for no day")
    clock = _CLOCK.search(text)
    if clock and clock.start() > 0:
        if any(int(g or 0) for g in clock.groups()):
            raise BadValue(f"a day and a time of day ({clock.group().strip()}): give the day alone, as 2020-07-01")
        text = text[: clock.start()]
    found = _YEAR_FIRST.fullmatch(text)
    if found:
        return _calendar_day(int(found[1]), int(found[3]), int(found[4]))
    found = _CHINESE.fullmatch(text)
    if found:
        return _calendar_day(int(found[1]), int(found[2]), int(found[3]))
    found = _EIGHT.fullmatch(text)
    if found:
        return _calendar_day(*map(int, found.groups()))
    found = _MONTH.fullmatch(text)
    if found:
        month = int(found[3] or found[4])
        if 1 <= month <= 12:
            raise BadValue(f"a month, not a day ({found[1]}-{month:02d}): give the day")
    found = _YEAR_LAST.fullmatch(text)
    if found:
        first, second, year = int(found[1]), int(found[3]), found[4]
        either = (f" (is it {year}-{first:02d}-{second:02d} or {year}-{second:02d}-{first:02d}?)"
                  if first != second and first <= 12 and second <= 12 else "")
        raise BadValue(f"the year last, so which is the month and which the day cannot be told for sure{either}: "
                       "write year-month-day, as 2020-07-01")
    if re.fullmatch(r"[0-9]{6}", text):
        raise BadValue("six digits, a month (202007) or a day of a two-digit year (200701), which cannot be told "
                       "apart: write the day in full, as 2020-07-01")
    if _SHORT_YEAR.fullmatch(text):
        raise BadValue("a year of two digits: write the year in full, year-month-day, as 2020-07-01")
    raise BadValue(f"{describe(value)} is not a day: {_FORMS}")


def day(value: Any, *, serial: bool = False, epoch: _dt.date = EXCEL_1900) -> str:
    """A day in any unambiguous year-month-day form, as an ISO day ``YYYY-MM-DD``.

    Read: a ``date`` or ``datetime`` (its day); text as 2020-07-01, 2020/7/1, 2020.07.01, 2020.7.1,
    2020年7月1日 (or 号), 20200701, with spaces around or full-width digits, a midnight time after it
    (2020-07-01 00:00:00) let by; a whole number of 8 digits as year, month and day. With ``serial``,
    also an Excel day number (a whole number, as a workbook's General cell holds one: 44013 is
    2020-07-01), of the workbook's date system ``epoch`` (openpyxl's ``book.epoch``: :data:`EXCEL_1900`,
    or :data:`EXCEL_1904`).

    Raises
    ------
    BadValue
        Saying why: a month and no day, the year last or of two digits (which number is which cannot
        be told), a day the calendar does not have, Excel's 1900-02-29 (day 60), a time of day, ...

    Examples
    --------
    >>> day("2020/7/1"), day("2020年07月01日"), day(" ２０２０．７．１ "), day("20200701")
    ('2020-07-01', '2020-07-01', '2020-07-01', '2020-07-01')
    >>> import datetime
    >>> day(datetime.datetime(2020, 7, 1)), day(44013, serial=True), day(42551, serial=True, epoch=EXCEL_1904)
    ('2020-07-01', '2020-07-01', '2020-07-01')
    >>> day("2021-02-30")
    Traceback (most recent call last):
    ...
    orggraph.values.BadValue: 2021-02-30 is not a day of the calendar: February 2021 has 28 days
    >>> day("2020年7月")
    Traceback (most recent call last):
    ...
    orggraph.values.BadValue: a month, not a day (2020-07): give the day
    """
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:
            raise BadValue(f"{len(text)} characters, too long for a day (2020-07-01)")
        if _DAY_RE.fullmatch(text):
            year, month, dd = text.split("-")
            return _calendar_day(int(year), int(month), int(dd))
        return _string(_fold(value), value)
    if isinstance(value, bool):
        raise BadValue("true/false is not a day")
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(epoch, _dt.datetime):
            epoch = epoch.date()
        return _number(value, serial, epoch)
    if isinstance(value, (_dt.time, _dt.timedelta)):
        raise BadValue("a time, not a day: give the day, as 2020-07-01")
    raise BadValue(f"a day is written as text, as 2020-07-01, got {describe(value)}")
