"""Phones and days in every spelling clerks write them, each read into the one form stored, or refused
saying why without the number."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orggraph.exceptions import OrgGraphError
from orggraph.values import EXCEL_1904, BadValue, day, phone, phones


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(BadValue) as info:
        call(*args, **kwargs)
    return str(info.value)


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


# -- one phone -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, stored", [
    ("13800000001", "13800000001"),
    ("１３８０００００００２", "13800000002"),  # full-width digits
    ("138 0000 0003", "13800000003"),
    ("138-0000-0004", "13800000004"),
    ("138.0000.0004", "13800000004"),
    ("138－0000－0004", "13800000004"),  # full-width dashes
    ("+86 13800000005", "13800000005"),
    ("+86 138 0000 0005", "13800000005"),
    ("+8613800000006", "13800000006"),
    ("+86-138-0000-0006", "13800000006"),
    ("＋８６ １３８００００００06", "13800000006"),
    ("86 13800000006", "13800000006"),
    ("8613800000006", "13800000006"),
    ("0086 13800000006", "13800000006"),
    ("0086-13800000006", "13800000006"),
    ("13800000010 ", "13800000010"),
    ("\u300013800000010\t", "13800000010"),
    ("19912345678", "19912345678"),
    ("0716-8123456", "0716-8123456"),
    ("07168123456", "0716-8123456"),
    ("(0716)8123456", "0716-8123456"),
    ("（０７１６）８１２３４５６", "0716-8123456"),
    ("(0716) 812 3456", "0716-8123456"),
    ("0716 8123456", "0716-8123456"),
    ("0716—8123456", "0716-8123456"),
    ("010-12345678", "010-12345678"),
    ("01012345678", "010-12345678"),
    ("010 1234 5678", "010-12345678"),
    ("02787654321", "027-87654321"),
    ("021-1234567", "021-1234567"),
    ("075512345678", "0755-12345678"),
    ("+86 10 1234 5678", "010-12345678"),  # abroad, an area code is dialled without its 0
    ("+86-716-8123456", "0716-8123456"),
    ("0716-8123456-801", "0716-8123456-801"),
    ("0716-8123456转801", "0716-8123456-801"),
    ("0716-8123456 转 801", "0716-8123456-801"),
    ("0716-8123456 ext. 801", "0716-8123456-801"),
    ("0716-8123456 EXT801", "0716-8123456-801"),
    ("0716-8123456 x801", "0716-8123456-801"),
    ("0716-8123456分机801", "0716-8123456-801"),
    ("(0716)8123456-801", "0716-8123456-801"),
    ("0716-8123456-7", "0716-8123456-7"),  # a one-digit extension, not an 8-digit number
    ("0716-81234567", "0716-81234567"),
])
def test_one_phone_in_any_spelling_is_read_into_one_form(written, stored):
    assert phone(written) == stored
    assert phone(stored) == stored  # the form stored reads as itself


@pytest.mark.parametrize("written, message", [
    ("13800000007,0716-8123456", "two numbers (a mobile and a landline); a phone field holds one"),
    ("13800000007，13800000008", "two numbers (a mobile and a mobile); a phone field holds one"),
    ("13800000007 0716-8123456", "two numbers (a mobile and a landline); a phone field holds one"),
    ("13800000007/0716-8123456/13800000008", "three numbers (a mobile, a landline and a mobile); a phone field holds one"),
    ("13800000007、123", "two numbers (a mobile and one that is no phone number); a phone field holds one"),
    ("13800000007;13800000007", "the same number twice; a phone field holds one number, once"),
    ("8123456", "no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)"),
    ("81234567", "no area code: a landline of 8 digits needs its area code before it (0716, 010, ...)"),
    ("1380000000", "11 digits needed for a mobile, got 10"),
    ("138000000099", "11 digits needed for a mobile, got 12"),
    ("12800000000", "a mobile number begins with 13 to 19"),
    ("1380000000a", "letters in a phone number"),
    ("张三13800000001", "letters in a phone number"),
    ("138*0000*0001", "'*' in a phone number, which holds digits, spaces, dashes and brackets only"),
    ("138+00000001", "a plus sign inside a phone number; it may only begin it, as +86"),
    ("+1 650 555 0100", "a number outside mainland China (its country code is not 86)"),
    ("001 650 555 0100", "an international number (it begins with 00); only mainland numbers, or +86, are taken"),
    ("0716-812345", "a landline has 7 or 8 digits after its 4-digit area code, got 6"),
    ("010-123456789", "a landline has 7 or 8 digits after its 3-digit area code, got 9"),
    ("0716-8123456-1234567", "a landline has 7 or 8 digits after its 4-digit area code, got 14"),
    ("0716-8123456 转 1234567", "an extension has 1 to 6 digits, got 7"),
    ("13800000001转801", "an extension to a mobile number; only a landline has one"),
    ("4008208820", "10 digits beginning with neither 1 (a mobile) nor 0 (a landline's area code)"),
    ("", "blank: no number"),
    ("  ", "blank: no number"),
    ("-", "no digits in a phone number"),
    ("1" * 501, "501 characters, too long for phone numbers (at most 500)"),
])
def test_a_phone_that_is_not_one_number_is_refused_saying_why_without_its_digits(written, message):
    said = refusal(phone, written)
    assert said == message
    for number in re.split(r"[,，、;/ ]", written):
        if len(digits_of(number)) >= 7:
            assert digits_of(number) not in digits_of(said), said


def test_a_phone_that_is_not_text_is_refused_by_its_size():
    assert refusal(phone, 13800000001) == "a phone number is written as text, got a number of 11 digits"


def test_bad_value_is_an_orggraph_error_and_a_value_error():
    assert issubclass(BadValue, OrgGraphError) and issubclass(BadValue, ValueError)


# -- a register's phone cell ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell, numbers", [
    ("13800000007", ["13800000007"]),
    ("13800000007,0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007，0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007、0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007;0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007；0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007/0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007或0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007\n0716-8123456", ["13800000007", "0716-8123456"]),
    ("13800000007 0716-8123456", ["13800000007", "0716-8123456"]),
    ("138 0000 0007 0716 8123456", ["13800000007", "0716-8123456"]),
    ("0716-8123456, 13800000007, 138-0000-0007", ["0716-8123456", "13800000007"]),  # the second 138 once
    ("0716-8123456-801，13800000007", ["0716-8123456-801", "13800000007"]),
    ("13800000007,,", ["13800000007"]),
    ("", []),
    (" ", []),
])
def test_a_phone_cell_of_several_numbers_gives_each_once_in_order(cell, numbers):
    assert phones(cell) == numbers


@pytest.mark.parametrize("cell, message", [
    ("13800000007,8123456", "the second number: no area code: a landline of 7 digits needs its area code before it "
                            "(0716, 010, ...)"),
    ("1380000000，0716-8123456", "the first number: 11 digits needed for a mobile, got 10"),
    ("13800000007 0716-812345", "the second number: a landline has 7 or 8 digits after its 4-digit area code, got 6"),
    ("13800000007/abc/0716-812345", "the second number: letters in a phone number; the third number: a landline has "
                                    "7 or 8 digits after its 4-digit area code, got 6"),
    ("8123456", "no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)"),
])
def test_a_phone_cell_names_the_number_that_is_wrong_without_its_digits(cell, message):
    said = refusal(phones, cell)
    assert said == message
    for number in re.split(r"[,，/ ]", cell):
        if len(digits_of(number)) >= 7:
            assert digits_of(number) not in digits_of(said)


# -- days -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", [
    "2020-07-01", "2020/7/1", "2020/07/01", "2020.07.01", "2020.7.1", "2020-7-1", "2020年7月1日", "2020年07月01日",
    "2020年7月1号", "2020 年 7 月 1 日", "20200701", " 2020-07-01 ", "２０２０年７月１日", "２０２０．０７．０１",
    "２０２０－０７－０１", "2020-07-01 00:00:00", "2020-07-01T00:00:00", "2020-07-01 0:00",
    dt.date(2020, 7, 1), dt.datetime(2020, 7, 1), dt.datetime(2020, 7, 1, 15, 30), 20200701, 20200701.0,
])
def test_a_day_in_any_unambiguous_year_month_day_form_is_iso(written):
    assert day(written) == "2020-07-01"


@pytest.mark.parametrize("number, epoch, iso", [
    (44013, None, "2020-07-01"),
    (44013.0, None, "2020-07-01"),
    (1, None, "1900-01-01"),
    (59, None, "1900-02-28"),
    (61, None, "1900-03-01"),  # Excel's 1900-02-29 (day 60) lies between
    (2958465, None, "9999-12-31"),
    (42551, EXCEL_1904, "2020-07-01"),
    (0, EXCEL_1904, "1904-01-01"),
    (42551, dt.datetime(1904, 1, 1), "2020-07-01"),  # as openpyxl's book.epoch gives it
    (20200701, None, "2020-07-01"),  # past Excel's last day number: year, month and day
])
def test_an_excel_day_number_is_a_day_of_the_workbook_s_date_system(number, epoch, iso):
    assert day(number, serial=True, **({"epoch": epoch} if epoch else {})) == iso


@pytest.mark.parametrize("written, message", [
    ("1970.01", "a month, not a day (1970-01): give the day"),
    ("2020年7月", "a month, not a day (2020-07): give the day"),
    ("2020-07", "a month, not a day (2020-07): give the day"),
    ("2020/7", "a month, not a day (2020-07): give the day"),
    ("07/01/2020", "the year last, so which is the month and which the day cannot be told for sure (is it 2020-07-01 or "
                   "2020-01-07?): write year-month-day, as 2020-07-01"),
    ("25/12/2020", "the year last, so which is the month and which the day cannot be told for sure: write "
                   "year-month-day, as 2020-07-01"),
    ("01-07-20", "a year of two digits: write the year in full, year-month-day, as 2020-07-01"),
    ("20-07-01", "a year of two digits: write the year in full, year-month-day, as 2020-07-01"),
    ("20.7.1", "a year of two digits: write the year in full, year-month-day, as 2020-07-01"),
    ("20年7月1日", "a year of two digits: write the year in full, year-month-day, as 2020-07-01"),
    ("200701", "six digits, a month (202007) or a day of a two-digit year (200701), which cannot be told apart: "
               "write the day in full, as 2020-07-01"),
    ("2021-02-30", "2021-02-30 is not a day of the calendar: February 2021 has 28 days"),
    ("2021/2/29", "2021-02-29 is not a day of the calendar: February 2021 has 28 days"),
    ("2020年4月31日", "2020-04-31 is not a day of the calendar: April 2020 has 30 days"),
    ("2021-13-01", "2021-13-01 is not a day of the calendar: there is no month 13"),
    ("2021.0.1", "2021-00-01 is not a day of the calendar: there is no month 0"),
    ("2021-01-00", "2021-01-00 is not a day of the calendar: there is no day 0"),
    ("20210230", "2021-02-30 is not a day of the calendar: February 2021 has 28 days"),
    ("2020-07-01 08:30", "a day and a time of day (08:30): give the day alone, as 2020-07-01"),
    ("2020-07-01/08", "'2020-07-01/08' is not a day: write it as 2020-07-01 (2020/7/1, 2020.7.1, 2020年7月1日 and "
                      "20200701 are read too)"),
    ("next July", "'next July' is not a day: write it as 2020-07-01 (2020/7/1, 2020.7.1, 2020年7月1日 and 20200701 "
                  "are read too)"),
    ("", "blank: no day; leave the field out for no day"),
    ("2020-07-01" + " " * 40 + "x", "51 characters, too long for a day (2020-07-01)"),
    (44013, "the number 44013 is not a day: write it as 2020-07-01 (2020/7/1, 2020.7.1, 2020年7月1日 and 20200701 are "
            "read too) (a day number is read only from a workbook)"),
    (True, "true/false is not a day"),
    (dt.time(8, 30), "a time, not a day: give the day, as 2020-07-01"),
    (["2020-07-01"], "a day is written as text, as 2020-07-01, got ['2020-07-01']"),
])
def test_a_day_that_is_not_one_is_refused_saying_why(written, message):
    assert refusal(day, written) == message


@pytest.mark.parametrize("number, epoch, message", [
    (60, None, "day number 60 is 1900-02-29 in Excel's calendar, a day that never was; give the day"),
    (0, None, "day number 0 is before 1900-01-01, day 1 of Excel's calendar"),
    (-1, EXCEL_1904, "day number -1 is before 1904-01-01, day 0 of the workbook's calendar"),
    (2958466, None, "day number 2958466 is after 9999-12-31, Excel's last day"),
    (44013.5, None, "a day number with a fraction (a time of day) is not a day: write it as 2020-07-01 (2020/7/1, "
                    "2020.7.1, 2020年7月1日 and 20200701 are read too)"),
    (float("nan"), None, "nan is not a day"),
])
def test_an_excel_day_number_that_is_no_day_is_refused(number, epoch, message):
    assert refusal(day, number, serial=True, **({"epoch": epoch} if epoch else {})) == message


def test_a_record_already_in_the_stored_form_passes_as_it_is_and_another_is_read_into_a_copy():
    from orggraph.model import validate_edges, validate_nodes

    stored = {"id": "m1", "kind": "Member", "name": "王芳", "phone": "0716-8123456-801"}
    typed = {"id": "m2", "kind": "Member", "name": "李强", "phone": "+86 138 0000 1111"}
    out, errors = validate_nodes("Member", [("line 1", stored), ("line 2", typed)])
    assert errors == [] and out[0] is stored and out[1] == {**typed, "phone": "13800001111"}
    assert typed["phone"] == "+86 138 0000 1111"  # the record given is left as it was
    edge = {"source": "m1", "target": "h1", "since": "2020-07-01"}
    out, _ = validate_edges("CONTACTS", [("line 3", edge), ("line 4", {**edge, "since": "2020/7/1"})])
    assert out[0] is edge and out[1]["since"] == "2020-07-01"


def test_a_phone_number_in_a_day_field_is_not_echoed():
    assert "8123456" not in refusal(day, "0716-8123456")
    assert "13800000001" not in refusal(day, "13800000001")


# -- properties -----------------------------------------------------------------------------------------------

_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_digits = st.text("0123456789", min_size=1)
mobiles = st.builds(lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"),
                    st.text("0123456789", min_size=9, max_size=9))
areas = st.one_of(st.just("010"), st.builds("02{}".format, st.sampled_from("0123456789")),
                  st.builds(lambda a, b: f"0{a}{b}", st.sampled_from("3456789"), st.text("0123456789", min_size=2, max_size=2)))
landlines = st.builds(lambda area, number, ext: (area, number, ext), areas,
                      st.text("0123456789", min_size=7, max_size=8),
                      st.none() | st.text("0123456789", min_size=1, max_size=6))
separators = st.sampled_from(["", " ", "-", ".", "－", "—", " - ", "\u3000"])
around = st.sampled_from(["", " ", "  ", "\t", "\u3000"])


@st.composite
def spelled_mobiles(draw) -> tuple[str, str]:
    number = draw(mobiles)
    cut = [number[:3], number[3:7], number[7:]]
    text = draw(separators).join(cut) if draw(st.booleans()) else draw(separators).join([number[:3], number[3:]])
    text = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "86 ", "0086", "0086 ", "＋８６ "])) + text
    if draw(st.booleans()):
        text = text.translate(_FULL)
    return draw(around) + text + draw(around), number


@st.composite
def spelled_landlines(draw) -> tuple[str, str]:
    area, number, ext = draw(landlines)
    stored = f"{area}-{number}" + (f"-{ext}" if ext else "")
    head = draw(st.sampled_from(["plain", "brackets", "full-width brackets", "+86"]))
    marker = draw(st.sampled_from(["-", " - ", "转", " 转 ", "分机", " ext. ", " ext", "x", "－"])) if ext else ""
    if head == "brackets":
        text = f"({area})" + draw(st.sampled_from(["", " "])) + number
    elif head == "full-width brackets":
        text = f"（{area}）{number}"
    elif head == "+86":
        text = draw(st.sampled_from(["+86 ", "+86-", "+86"])) + area[1:] + draw(st.sampled_from([" ", "-"])) + number
    elif marker.strip() in ("-", "－"):  # the area code set apart: 0100000000-0 is 010-00000000 and not 010-0000000-0
        text = area + draw(separators.filter(bool)) + number
    else:
        text = area + draw(separators) + number
    text += marker + (ext or "")
    if draw(st.booleans()):
        text = text.translate(_FULL)
    return draw(around) + text + draw(around), stored


@settings(max_examples=300, deadline=None)
@given(st.one_of(spelled_mobiles(), spelled_landlines()))
def test_any_spelling_of_a_phone_reads_as_its_one_form(spelled):
    text, stored = spelled
    assert phone(text) == stored
    assert phone(stored) == stored


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(spelled_mobiles(), spelled_landlines()), min_size=1, max_size=4),
       st.sampled_from([",", "，", "、", ";", "；", "/", "或", "\n", " , ", " "]))
def test_a_cell_of_numbers_in_any_spelling_reads_as_each_once(spelled, separator):
    cell = separator.join(text for text, _ in spelled)
    assert phones(cell) == list(dict.fromkeys(stored for _, stored in spelled))


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(
    ["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m:02d}.{d:02d}", "{y}.{m}.{d}", "{y}年{m}月{d}日", "{y}年{m:02d}月{d:02d}日",
     "{y}{m:02d}{d:02d}", " {y}-{m}-{d} "]), st.booleans())
def test_any_spelling_of_a_day_reads_as_iso(date, form, full_width):
    text = form.format(y=date.year, m=date.month, d=date.day)
    assert day(text.translate(_FULL) if full_width else text) == date.isoformat()


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1)))
def test_an_excel_day_number_reads_as_openpyxl_reads_a_date_cell(date):
    from openpyxl.utils.datetime import from_excel, to_excel

    serial = int(to_excel(date))
    assert day(serial, serial=True) == from_excel(serial).date().isoformat() == date.isoformat()


# -- cases from the field (tests/cases), on the embedded store and both graph servers ------------------------

CASES = Path(__file__).parent / "cases"


def test_case_03_every_spelling_of_a_ledger_s_day_is_one_day(store):
    """Case 03: a date cell, 2020/7/1, 2020年7月1日, the day number 44013 in a General cell and 2020.07.01."""
    from orggraph.io import load_file
    from orggraph.load import check_store

    load_file(store, CASES / "03-ledger-dates.xlsx")
    contacts = list(store.edges("CONTACTS"))
    assert [(e["source"], e["target"]) for e in contacts] == [("m1", "h1"), ("m1", "h2"), ("m1", "h3"), ("m2", "h1"),
                                                              ("m2", "h4")]
    assert {e["since"] for e in contacts} == {"2020-07-01"}
    again = load_file(store, CASES / "03-ledger-dates.xlsx")
    assert (again.added_nodes, again.added_edges, again.changed) == (0, 0, 0)
    assert check_store(store).records == again.records


CASE_04_STORED = {"m01": "13800000001", "m02": "13800000002", "m03": "13800000003", "m04": "13800000004",
                  "m05": "13800000005", "m06": "13800000006", "m08": "0716-8123456-801", "m09": "0716-8123456",
                  "m10": "13800000010", "h01": "0716-8123456"}


def test_case_04_phones_as_typed_are_stored_one_way_or_refused_saying_why(store, tmp_path):
    """Case 04: full-width digits, spaces, dashes, +86 with and without a space, an extension, (0716), a
    trailing space, each stored one way; two numbers in one field, and a local number without its area
    code, refused saying so, without the number."""
    from orggraph.exceptions import InvalidRecords
    from orggraph.io import load_file
    from orggraph.load import check_store

    with pytest.raises(InvalidRecords) as info:
        load_file(store, CASES / "04-phone-formats.jsonl")
    assert [str(e) for e in info.value.errors] == [
        "line 7, field phone: two numbers (a mobile and a landline); a phone field holds one",
        "line 11, field phone: no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)"]
    for number in ("13800000007", "0716-8123456", "07168123456", "8123456"):
        assert number not in str(info.value)
    assert store.counts()["nodes"] == {}  # nothing was written
    lines = (CASES / "04-phone-formats.jsonl").read_text(encoding="utf-8").splitlines()
    taken = tmp_path / "taken.jsonl"
    taken.write_text("\n".join(line for line in lines if '"m07"' not in line and '"m11"' not in line), encoding="utf-8")
    report = load_file(store, taken)
    assert report.added_nodes == len(CASE_04_STORED)
    assert {n["id"]: n["phone"] for n in store.nodes()} == CASE_04_STORED
    again = load_file(store, taken)
    assert (again.added_nodes, again.changed) == (0, 0)
    assert check_store(store).records == len(CASE_04_STORED)


def test_case_04_from_the_command_line(tmp_path):
    """The load refuses case 04 whole, exit status 2, naming both faults without the numbers."""
    from .conftest import run_cli

    refused = run_cli("load", str(CASES / "04-phone-formats.jsonl"), "--db", "c.db", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[1:] == [
        "  line 7, field phone: two numbers (a mobile and a landline); a phone field holds one",
        "  line 11, field phone: no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)"]
    assert "8123456" not in refused.stderr and "13800000007" not in refused.stderr
    loaded = run_cli("load", str(CASES / "03-ledger-dates.xlsx"), "--db", "c.db", cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    checked = run_cli("check", "--db", "c.db", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
