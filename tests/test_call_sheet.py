"""The call sheet (应急联络单) on paper, and a kept incident's sheet read back once filled in by hand."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orggraph.exceptions import InvalidRecords
from orggraph.io.outcomes import incident_of, read_outcomes
from orggraph.queries import incident
from orggraph.report import (CALL_SHEET, KEY_PREFIX, STATUS_LABELS, Namer, incident_text, incident_workbook,
                             stand_in_of, wrapped_lines)

from .conftest import items, street

DAY = "2024-06-01"
KEPT = {"id": "inc-7", "name": "防汛转移", "opened": DAY, "as_of": DAY, "areas": ["b1"]}
HEADERS = ["序号", "住户编号", "地址", "户主/人数", "住户电话", "重点人群", "状态", "包保联系人及电话", "上级责任人", "断点",
           "顶岗人员及电话", "结果", "登记人", "备注"]


@pytest.fixture
def city(embedded):
    doc = street()
    by_id = {n["id"]: n for n in doc["nodes"]}
    by_id["h1"]["head"] = "欧阳建国"
    by_id["h2"]["flags"] = ["elderly_alone", "disabled"]
    embedded.load(items(doc))
    return embedded


def sheet_of(store, path: Path, *, unmask: bool = True, kept: dict | None = KEPT, result: dict | None = None):
    result = result or incident(store, ["b1"], as_of=DAY)
    incident_workbook(result, Namer.of(store, unmask=unmask), path, incident=kept)
    return load_workbook(path)[CALL_SHEET]


def rows_by_household(ws) -> dict[str, list]:
    return {row[1]: list(row) for row in ws.iter_rows(min_row=4, values_only=True)}


def column(ws, header: str) -> str:
    return next(c.column_letter for c in ws[3] if c.value == header)


# --- on paper -----------------------------------------------------------------------------------------------

def test_the_sheet_prints_on_a4_landscape_one_page_wide_with_headers_and_page_numbers(city, tmp_path):
    ws = sheet_of(city, tmp_path / "call.xlsx")
    setup = ws.page_setup
    assert (int(setup.paperSize), setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "landscape", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$3:$3"  # the header row on every page
    assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页"
    top = " ".join(p.text or "" for p in (ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right))
    assert "防汛转移" in top and "inc-7" in top and "桂花社区1号楼 (b1)" in top and DAY in top
    assert ws.freeze_panes == "C4"


def test_a_page_header_doubles_an_ampersand_and_stays_short(city, tmp_path):
    kept = {**KEPT, "name": "防汛 & 排查 " * 40, "areas": ["b1", "g1", "c1"] * 30}
    ws = sheet_of(city, tmp_path / "call.xlsx", kept=kept)
    left, center = ws.oddHeader.left.text, ws.oddHeader.center.text
    assert "防汛 && 排查" in left and "&&&" not in left and left.count("&") % 2 == 0
    assert center.endswith("等 90 个区域")
    assert sum(len(p.text or "") for p in (ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right)) < 255


def test_the_columns_and_the_outcome_column_only_for_a_kept_incident(city, tmp_path):
    kept = sheet_of(city, tmp_path / "kept.xlsx")
    assert [c.value for c in kept[3]][:14] == HEADERS
    assert kept["O3"].value == f"{KEY_PREFIX}inc-7" and kept.column_dimensions["O"].hidden
    [choose] = kept.data_validations.dataValidation
    assert choose.type == "list" and choose.formula1 == '"' + ",".join(STATUS_LABELS.values()) + '"'
    assert choose.showErrorMessage and choose.errorStyle in (None, "stop")
    assert str(choose.sqref) == f"L4:L{kept.max_row}"
    day = sheet_of(city, tmp_path / "day.xlsx", kept=None)
    assert [c.value for c in day[3]] == [h for h in HEADERS if h != "结果"]
    assert not day.data_validations.dataValidation
    assert "inc-7" not in " ".join(str(c.value) for row in day.iter_rows() for c in row)
    assert set(STATUS_LABELS) == {"reached", "no_answer", "needs_help", "moved_out", "refused"}


def test_each_household_row_in_chinese(city, tmp_path):
    rows = rows_by_household(sheet_of(city, tmp_path / "call.xlsx"))
    assert list(rows) == ["h2", "h3", "h1"]  # uncovered vulnerable first, then uncovered, then the rest
    h1, h2 = rows["h1"], rows["h2"]
    assert h1[3] == "欧阳建国\n3 人" and h1[6] == "已覆盖" and h1[7] == "王芳 (m1)\n13800001111"
    assert h2[5] == "独居老人、残疾人" and h2[6] == "未覆盖"
    assert "包片、书记 李强 0716-7654321" in h2[8]
    assert "软弱涣散组织：第1网格党支部 (o-g1)" in h2[9]
    # the stand-in, with the phone: 王芳, not 李强, whose post puts him in h2's chain already
    assert h2[10].startswith("王芳 (m1)\n13800001111")
    assert h1[10] in (None, "")


def test_masked_and_unmasked_address_phone_and_head(city, tmp_path):
    shown = rows_by_household(sheet_of(city, tmp_path / "pii.xlsx", unmask=True))["h1"]
    assert (shown[2], shown[4], shown[3]) == ("桂花社区1号楼1单元101室", "13900002222", "欧阳建国\n3 人")
    masked = rows_by_household(sheet_of(city, tmp_path / "masked.xlsx", unmask=False))["h1"]
    assert (masked[2], masked[4], masked[3]) == ("桂花社区1号楼****", "139****2222", "****\n3 人")
    assert masked[7] == "王芳 (m1)\n138****1111"
    text = " ".join(str(c) for row in load_workbook(tmp_path / "masked.xlsx").active.iter_rows(values_only=True)
                    for c in row if c is not None)
    assert "13900002222" not in text and "13800001111" not in text and "1单元101室" not in text


def test_uncovered_rows_are_shaded(city, tmp_path):
    ws = sheet_of(city, tmp_path / "call.xlsx")
    fills = {ws.cell(r, 2).value: ws.cell(r, 1).fill.fgColor.rgb for r in range(4, ws.max_row + 1)}
    assert fills["h2"].endswith("FCE4D6") and fills["h3"].endswith("FCE4D6") and not fills["h1"].endswith("FCE4D6")


def test_wrapped_lines_count_chinese_double_and_break_between_words():
    assert wrapped_lines("一二三四五", 10) == 1
    assert wrapped_lines("一二三四五六", 10) == 2
    assert wrapped_lines("abcde fghij", 10) == 2  # the second word starts a line of its own
    assert wrapped_lines("a\nb\n\nc", 10) == 4
    assert wrapped_lines("x" * 25, 10) == 3


def test_row_heights_grow_with_the_lines_of_their_cells(city, tmp_path):
    doc = street()
    nodes = {n["id"]: n for n in doc["nodes"]}
    nodes["h3"]["address"] = "湖北省荆州市石首市绣林街道办事处桂花社区居民委员会阳光花园小区1号楼1单元201室（东户）"
    for i in range(8):
        doc["nodes"].append({"id": f"mx{i}", "kind": "Member", "name": f"司马{i}", "phone": f"1380000000{i}"})
        doc["edges"].append({"type": "CONTACTS", "source": f"mx{i}", "target": "h3", "since": "2022-03-01"})
    city.load(items(doc))
    ws = sheet_of(city, tmp_path / "call.xlsx")
    height = {ws.cell(r, 2).value: ws.row_dimensions[r].height for r in range(4, ws.max_row + 1)}
    assert height["h3"] > height["h1"] > 0  # eight contacts of two lines each
    for r in range(3, ws.max_row + 1):  # every row, the header's too, as tall as its tallest cell's lines
        for cell in ws[r][:14]:
            if cell.value not in (None, ""):
                lines = wrapped_lines(str(cell.value), ws.column_dimensions[cell.column_letter].width - 1)
                assert ws.row_dimensions[r].height >= lines * 14, (cell.coordinate, cell.value)
        assert all(c.alignment.wrap_text for c in ws[r][:14])


def test_no_text_is_a_live_formula(embedded, tmp_path):
    doc = street()
    nodes = {n["id"]: n for n in doc["nodes"]}
    nodes["m1"]["name"], nodes["h1"]["address"], nodes["h1"]["head"] = "=1+1", '=HYPERLINK("http://x","y")', "@SUM(A1)"
    nodes["b1"]["name"] = "+86 1号楼"
    embedded.load(items(doc))
    path = tmp_path / "call.xlsx"
    sheet_of(embedded, path, kept={**KEPT, "name": "=2+2", "id": "=3+3"})
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    ws = load_workbook(path).active
    texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in texts} >= {"=1+1 (m1)\n13800001111", '=HYPERLINK("http://x","y")', "@SUM(A1)\n3 人"}
    assert all(c.data_type == "s" for c in texts)
    assert ws["O3"].value == f"{KEY_PREFIX}=3+3" and ws["O3"].data_type == "s"


# --- the assigned stand-in, in either shape of the answer -----------------------------------------------------

def assigned(result: dict) -> dict:
    """The answer as incidents kept give it: one assigned stand-in or none, and why none."""
    for entry in result["entries"]:
        entry["stand_in"] = ({"member": "m2", "area": "b1", "level": "building", "households": 0, "distance": 0}
                             if entry["household"] == "h2" else None)
        entry["unassigned"] = None if entry["stand_in"] or entry["covered"] else "no_capacity"
    return result


def test_the_stand_in_of_either_shape(city, tmp_path):
    assert stand_in_of({"stand_ins": [{"member": "m2"}, {"member": "m1"}]})[0]["member"] == "m2"
    new = assigned(incident(city, ["b1"], as_of=DAY))
    rows = rows_by_household(sheet_of(city, tmp_path / "call.xlsx", result=new))
    assert rows["h2"][10] == "李强 (m2)\n0716-7654321（楼栋）"
    assert rows["h3"][10] == "未安排：附近党员均已满负荷"
    text = incident_text(new, Namer.of(city, unmask=True))
    assert "李强 (m2) 0716-7654321 [楼栋]" in text and "none (no_capacity)" in text
    masked = incident_text(incident(city, ["b1"], as_of=DAY), Namer.of(city))
    assert "王芳 (m1) 138****1111 [楼栋]" in masked


# --- read back ------------------------------------------------------------------------------------------------

def filled(city, tmp_path: Path, marks: dict[str, tuple], kept: dict = KEPT) -> Path:
    """A kept incident's sheet with outcomes written in by hand: household -> (结果, 登记人, 备注)."""
    path = tmp_path / "call.xlsx"
    sheet_of(city, path, kept=kept)
    book = load_workbook(path)
    ws = book[CALL_SHEET]
    for row in range(4, ws.max_row + 1):
        mark = marks.get(ws.cell(row, 2).value)
        if mark:
            for letter, value in zip("LMN", mark):
                ws[f"{letter}{row}"] = value
    book.save(path)
    return path


def test_outcomes_written_by_hand_are_read_back(city, tmp_path):
    path = filled(city, tmp_path, {"h2": ("需要帮助", "m2", "  老人行动不便，需转移 "), "h1": ("reached", "王芳 (m1)", None)})
    assert incident_of(path) == "inc-7"
    assert read_outcomes(path, "inc-7") == [
        {"household": "h2", "status": "needs_help", "by": "m2", "note": "老人行动不便，需转移", "row": 4, "printed": None},
        {"household": "h1", "status": "reached", "by": "m1", "note": None, "row": 6, "printed": None},
    ]
    assert read_outcomes(path) == read_outcomes(path, "inc-7", households={"h1", "h2", "h3"}, members={"m1", "m2"})


def test_every_label_reads_as_its_status(city, tmp_path):
    for status, label in STATUS_LABELS.items():
        path = filled(city, tmp_path, {"h3": (label, "m2")})
        assert [o["status"] for o in read_outcomes(path, "inc-7")] == [status]


def test_a_registrar_merged_over_several_rows_marks_each(city, tmp_path):
    path = filled(city, tmp_path, {"h2": ("已联系到", "m2"), "h3": ("无人应答",)})
    book = load_workbook(path)
    book[CALL_SHEET].merge_cells("M4:M5")
    book.save(path)
    assert [(o["household"], o["by"]) for o in read_outcomes(path, "inc-7")] == [("h2", "m2"), ("h3", "m2")]


def test_bad_rows_are_refused_whole_naming_row_and_column(city, tmp_path):
    path = filled(city, tmp_path, {"h2": ("已联系", "m2"), "h3": ("拒绝", None), "h1": ("已联系到", "m1")})
    with pytest.raises(InvalidRecords) as caught:
        read_outcomes(path, "inc-7")
    found = [(e.where, e.field) for e in caught.value.errors]
    assert found == [("sheet 应急联络单, row 4", "column L 结果"), ("sheet 应急联络单, row 5", "column M 登记人")]
    assert "已联系到 (reached)" in caught.value.errors[0].message
    assert "nothing was written" in str(caught.value)


def test_the_sheet_of_another_incident_is_refused(city, tmp_path):
    path = filled(city, tmp_path, {"h1": ("已联系到", "m1")})
    with pytest.raises(InvalidRecords) as caught:
        read_outcomes(path, "inc-8")
    [error] = caught.value.errors
    assert (error.where, error.field) == ("sheet 应急联络单, row 3", "column O (hidden)")
    assert "'inc-7', not of 'inc-8'" in error.message


def test_a_household_changed_unknown_added_or_twice_is_refused(city, tmp_path):
    path = filled(city, tmp_path, {"h2": ("已联系到", "m5"), "h3": ("已联系到", "m2"), "h1": ("已联系到", "m1")})
    book = load_workbook(path)
    ws = book[CALL_SHEET]
    ws["B4"] = "h9"  # h2's row, its id changed by hand
    ws.append([99, "h3", None, None, None, None, None, None, None, None, None, "已搬离", "m2"])  # a row added
    ws.append([99, "h1", None, None, None, None, None, None, None, None, None, "已搬离", "m1", None, "h1"])  # copied
    book.save(path)
    with pytest.raises(InvalidRecords) as caught:
        read_outcomes(path, "inc-7", households={"h1", "h2"}, members={"m1", "m2"})
    messages = [(e.where.split(", ")[1], e.field.split()[1], e.message) for e in caught.value.errors]
    assert [m[:2] for m in messages] == [("row 4", "M"), ("row 4", "B"), ("row 5", "B"), ("row 7", "B"), ("row 8", "B")]
    assert "'m5' is not a member" in messages[0][2]
    assert "reads 'h9', but the row was written for 'h2'" in messages[1][2]
    assert "'h3' is not a household of the incident" in messages[2][2]
    assert "not on the sheet as written" in messages[3][2]
    assert "given an outcome twice, in rows 6 and 8" in messages[4][2]


def test_a_formula_or_an_error_value_is_refused_by_name(city, tmp_path):
    path = filled(city, tmp_path, {"h2": ("=A1", "m2"), "h1": ("已联系到", "m1")})
    with pytest.raises(InvalidRecords) as caught:
        read_outcomes(path, "inc-7")
    [error] = caught.value.errors
    assert (error.where, error.field) == ("sheet 应急联络单, row 4", "column L 结果") and "formula" in error.message


def test_rows_with_no_outcome_are_passed_over(city, tmp_path):
    path = filled(city, tmp_path, {"h2": (None, "m2", "敲门无人"), "h3": ("  ", None)})
    assert read_outcomes(path, "inc-7") == []


def test_what_is_not_a_kept_incidents_call_sheet_is_refused(city, tmp_path):
    sheet_of(city, tmp_path / "day.xlsx", kept=None)
    with pytest.raises(InvalidRecords, match="not the call sheet of a kept incident"):
        read_outcomes(tmp_path / "day.xlsx")
    (tmp_path / "x.xlsx").write_text("not a workbook")
    with pytest.raises(InvalidRecords, match=re.escape("x.xlsx: not an Excel workbook")):
        read_outcomes(tmp_path / "x.xlsx")
    path = filled(city, tmp_path, {"h1": ("已联系到", "m1")})
    book = load_workbook(path)
    book[CALL_SHEET]["M3"] = "联系人"
    book.save(path)
    with pytest.raises(InvalidRecords, match="missing column 登记人"):
        read_outcomes(path, "inc-7")
