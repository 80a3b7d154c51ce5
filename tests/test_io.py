"""Files in and out: JSON, JSON Lines and the Excel workbook, round trips and errors."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook, load_workbook

from orggraph.exceptions import InvalidRecords, OrgGraphError
from orggraph.generate import generate_city, write_city
from orggraph.io import UnknownFormat, export_store, load_file, read_file, write_template
from orggraph.io import excel as excel_module
from orggraph.store import EmbeddedStore

from .conftest import STREET, snapshot


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A generated city of 3,000 households in a store, shared by the round-trip tests."""
    folder = tmp_path_factory.mktemp("city")
    path = folder / "city.jsonl"
    write_city(str(path), households=3000, seed=11)
    store = EmbeddedStore(folder / "city.db")
    load_file(store, path)
    yield store
    store.close()


def content(store) -> tuple:
    return list(store.nodes()), list(store.edges())


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".xlsx"])
def test_round_trip(city, tmp_path, suffix):
    out = tmp_path / f"export{suffix}"
    count = export_store(city, out)
    assert count == sum(city.counts()["nodes"].values()) + sum(city.counts()["edges"].values())
    with EmbeddedStore(tmp_path / "copy.db") as copy:
        load_file(copy, out)
        assert content(copy) == content(city)


def test_jsonl_written_by_the_generator_loads_as_generated(tmp_path):
    path = tmp_path / "city.jsonl"
    planted = write_city(str(path), households=500, seed=3)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == planted.households + planted.areas + planted.orgs + planted.units + planted.members + planted.edges
    assert all(set(json.loads(line)) <= {"node", "edge"} for line in lines)


def test_json_and_jsonl_of_one_city_load_the_same(tmp_path):
    write_city(str(tmp_path / "a.jsonl"), households=400, seed=9)
    write_city(str(tmp_path / "a.json"), households=400, seed=9)
    with EmbeddedStore(tmp_path / "1.db") as one, EmbeddedStore(tmp_path / "2.db") as two:
        load_file(one, tmp_path / "a.jsonl")
        load_file(two, tmp_path / "a.json")
        assert content(one) == content(two)


def test_jsonl_errors_name_the_line(store, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"node": {"id": "h1", "kind": "Household"}}\n'
        "\n"
        '{"node": {"id": "h2", "kind": "Household", "people": 0}}\n'
        "{not json\n"
        '{"vertex": {"id": "h3"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidRecords) as info:
        load_file(store, path)
    messages = [str(e) for e in info.value.errors]
    assert messages[0] == "line 3, field people: must be at least 1, got 0"
    assert messages[1].startswith("line 4: not valid JSON")
    assert messages[2] == 'line 5: expected {"node": {...}} or {"edge": {...}}'
    assert store.counts() == {"nodes": {}, "edges": {}}


def test_json_that_is_not_the_interchange_format(store, tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2, 3]")
    with pytest.raises(InvalidRecords, match='document: expected an object with "nodes" and "edges" lists, got list'):
        load_file(store, path)
    path.write_text("{broken")
    with pytest.raises(InvalidRecords, match="not valid JSON"):
        load_file(store, path)


def test_unknown_format_and_missing_file(store, tmp_path):
    with pytest.raises(UnknownFormat, match=r"unknown format '\.csv'; use one of \.json, \.jsonl, \.xlsx"):
        read_file(tmp_path / "city.csv")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_file(tmp_path / "absent.jsonl")


# -- the workbook ---------------------------------------------------------------------------------------


def test_template_has_every_sheet_and_loads_as_nothing(store, tmp_path):
    path = tmp_path / "台账.xlsx"
    write_template(path)
    book = load_workbook(path)
    assert book.sheetnames == [excel_module.INSTRUCTIONS] + [s.name for s in excel_module.SHEETS]
    assert [c.value for c in book["住户"][1]] == ["编号", "地址", "人数", "电话", "标记", "其他属性"]
    assert [c.value for c in book["包保联户"][1]] == ["党员编号", "住户编号", "开始日期", "结束日期", "其他属性"]
    assert book["区域"].data_validations.dataValidation  # a drop-down for the level
    report = load_file(store, path)
    assert report.records == 0


def fill(path, sheets: dict[str, list[list]]) -> None:
    """Write a workbook with the template's headers and the given rows."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        sheet = next(s for s in excel_module.SHEETS if s.name == name)
        ws.append([h for _, h in sheet.columns])
        for row in rows:
            ws.append(row)
    book.save(path)


def test_workbook_filled_in_by_hand(store, tmp_path):
    import datetime

    path = tmp_path / "hand.xlsx"
    fill(path, {
        "区域": [["s1", "江滨街道", "街道"], ["b1", "1号楼", "building"], [None, None, None]],
        "区域隶属": [["b1", "s1", None, None, None]],
        "党员": [["m1", "王芳", 13800001111, "在职党员", None]],
        "住户": [[1001, "1号楼101室", 3.0, "0716-7654321", "独居老人、残疾人", '{"备注": "二楼"}']],
        "住户位置": [["1001", "b1", None, None, None]],
        "包保联户": [["m1", "1001", datetime.datetime(2022, 3, 1), "2024-12-31", None]],
    })
    load_file(store, path)
    assert store.node("1001") == {
        "id": "1001", "kind": "Household", "address": "1号楼101室", "people": 3, "phone": "0716-7654321",
        "flags": ["elderly_alone", "disabled"], "备注": "二楼",
    }
    assert store.node("m1")["phone"] == "13800001111"
    assert store.node("s1")["level"] == "street"
    assert list(store.edges("CONTACTS")) == [
        {"type": "CONTACTS", "source": "m1", "target": "1001", "since": "2022-03-01", "until": "2024-12-31"}
    ]


def test_workbook_errors_name_sheet_row_and_column(loaded, tmp_path):
    path = tmp_path / "bad.xlsx"
    fill(path, {
        "住户": [["h9", "x", 0, None, None, None], ["h10", "x", 2, "12", "富裕户", None]],
        "区域": [["a9", "某区", "区县"]],
        "任职": [["m1", "o-c1", "主任", None, None, None]],
    })
    before = snapshot(loaded)
    with pytest.raises(InvalidRecords) as info:
        load_file(loaded, path)
    assert snapshot(loaded) == before
    messages = [str(e) for e in info.value.errors]
    assert "sheet 住户, row 2, field column C 人数 (people): must be at least 1, got 0" in messages
    assert any(m.startswith("sheet 住户, row 3: column E 标记 (flags): unknown value '富裕户'; allowed: 独居老人 (elderly_alone)") for m in messages)
    assert any(m.startswith("sheet 区域, row 2: column C 层级 (level): unknown value '区县'; allowed: 街道 (street)") for m in messages)
    assert any(m.startswith("sheet 任职, row 2: column C 职务 (post): unknown value '主任'; allowed: 书记 (secretary)") for m in messages)


def test_workbook_with_a_bad_phone_names_the_column(loaded, tmp_path):
    path = tmp_path / "phone.xlsx"
    fill(path, {"党员": [["m9", "赵敏", "1234", None, None]]})
    with pytest.raises(InvalidRecords) as info:
        load_file(loaded, path)
    [message] = [str(e) for e in info.value.errors]
    assert message.startswith("sheet 党员, row 2, field column C 电话 (phone): ")


def test_a_workbook_s_days_in_every_form_are_iso(embedded, tmp_path):
    """A date cell, a date and time, text in any unambiguous year-month-day form, and an Excel day number
    in a General cell are each a day in a since or until column; elsewhere a number stays a number."""
    import datetime

    days = [datetime.datetime(2020, 7, 1), datetime.date(2020, 7, 1), "2020/7/1", "2020年7月1日", 44013, 44013.0,
            "2020.07.01", "２０２０－０７－０１", "20200701", 20200701]
    path = tmp_path / "days.xlsx"
    fill(path, {
        "党员": [["m1", "王芳", "１３８ ０００ ０１１１１", None, None]],
        "住户": [[f"h{i}", None, 3, None, None, '{"建档": 44013}'] for i in range(len(days))] + [[44013, None, 2, None, None, None]],
        "包保联户": [["m1", f"h{i}", since, "2020年12月31日", None] for i, since in enumerate(days)],
    })
    load_file(embedded, path)
    assert {(e["since"], e["until"]) for e in embedded.edges("CONTACTS")} == {("2020-07-01", "2020-12-31")}
    assert len(list(embedded.edges("CONTACTS"))) == len(days)
    assert embedded.node("m1")["phone"] == "13800001111"
    assert embedded.node("h0")["建档"] == 44013 and embedded.node("44013")["people"] == 2  # not days


def test_a_workbook_of_the_1904_date_system_reads_its_day_numbers_in_it(embedded, tmp_path):
    import datetime

    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    path = tmp_path / "mac.xlsx"
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.remove(book.active)
    for name, rows in {"住户": [["h1"], ["h2"]],
                       "党员": [["m1", "王芳"]],
                       "包保联户": [["m1", "h1", 42551], ["m1", "h2", datetime.date(2020, 7, 1)]]}.items():
        ws = book.create_sheet(name)
        ws.append([h for _, h in next(s for s in excel_module.SHEETS if s.name == name).columns])
        for row in rows:
            ws.append(row)
    book.save(path)
    load_file(embedded, path)
    assert [e["since"] for e in embedded.edges("CONTACTS")] == ["2020-07-01", "2020-07-01"]


def test_a_workbook_s_day_that_is_none_is_refused_by_sheet_row_and_column(embedded, tmp_path):
    path = tmp_path / "bad-days.xlsx"
    fill(path, {"包保联户": [["m1", "h1", 60, None, None], ["m1", "h2", 44013.5, None, None],
                             ["m1", "h3", "2020年7月", None, None], ["m1", "h4", "07/01/2020", None, None],
                             ["m1", "h5", "2021/2/29", None, None]]})
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    assert [str(e) for e in info.value.errors] == [
        "sheet 包保联户, row 2: column C 开始日期 (since): day number 60 is 1900-02-29 in Excel's calendar, a day that "
        "never was; give the day",
        "sheet 包保联户, row 3: column C 开始日期 (since): a day number with a fraction (a time of day) is not a day: "
        "write it as 2020-07-01 (2020/7/1, 2020.7.1, 2020年7月1日 and 20200701 are read too)",
        "sheet 包保联户, row 4, field column C 开始日期 (since): a month, not a day (2020-07): give the day",
        "sheet 包保联户, row 5, field column C 开始日期 (since): the year last, so which is the month and which the day "
        "cannot be told for sure (is it 2020-07-01 or 2020-01-07?): write year-month-day, as 2020-07-01",
        "sheet 包保联户, row 6, field column C 开始日期 (since): 2021-02-29 is not a day of the calendar: February 2021 "
        "has 28 days",
    ]


def test_workbook_unknown_sheet_and_header(loaded, tmp_path):
    path = tmp_path / "odd.xlsx"
    book = Workbook()
    book.active.title = "居民"
    book.active.append(["楼层", "朝向"])  # an empty sheet is passed over; this one holds what no reader knows
    ws = book.create_sheet("住户")
    ws.append(["编号", "楼层"])
    ws.append(["h9", "1"])
    book.save(path)
    with pytest.raises(InvalidRecords) as info:
        load_file(loaded, path)
    messages = [str(e) for e in info.value.errors]
    assert messages[0].startswith("sheet 居民: unknown sheet; expected: 区域、党组织、单位、党员、住户")
    assert "a register with its headers (户主姓名, 家庭地址, 分包人, ...)" in messages[0]
    assert "orggraph load FILE --map MAP.toml" in messages[0]
    assert messages[1].startswith("sheet 住户, row 1: column B: unknown header '楼层'; expected: 编号、地址")


def test_workbook_missing_required_column(loaded, tmp_path):
    path = tmp_path / "cols.xlsx"
    book = Workbook()
    book.active.title = "区域"
    book.active.append(["编号", "名称"])
    book.active.append(["a9", "某处"])
    book.save(path)
    with pytest.raises(InvalidRecords, match="sheet 区域, row 1: missing column 层级"):
        load_file(loaded, path)


def test_a_file_that_is_not_a_workbook(loaded, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("hello")
    with pytest.raises(InvalidRecords, match=r"not an Excel workbook \(\.xlsx\)"):
        load_file(loaded, path)


def test_export_refuses_a_sheet_larger_than_excel_holds(loaded, tmp_path, monkeypatch):
    monkeypatch.setattr(excel_module, "MAX_ROWS", 3)  # four areas, three rows allowed
    out = tmp_path / "big.xlsx"
    with pytest.raises(OrgGraphError, match=r"sheet (区域|党组织) would need more than 3 rows, the most Excel holds"):
        export_store(loaded, out)
    assert not out.exists()
    assert not (tmp_path / "big.xlsx.partial").exists()


def test_export_names_a_record_a_workbook_cannot_hold(tmp_path):
    """A store filled before control characters were refused: the export names the record, not openpyxl's fault."""
    nodes = [{"id": "h9", "kind": "Household", "address": "1号楼\x07101室"}]
    with pytest.raises(OrgGraphError, match=r"住户 h9, field address: holds U\+0007, a character no workbook can hold"):
        excel_module.write_workbook(nodes, [], tmp_path / "old.xlsx")


def test_workbook_keeps_extra_properties(loaded, tmp_path):
    out = tmp_path / "street.xlsx"
    export_store(loaded, out)
    assert [c.value for c in load_workbook(out)["住户"][4]] == ["h3", "桂花社区1号楼1单元201室", 2, None, None, '{"note":"二楼东户"}']
    with EmbeddedStore(tmp_path / "copy.db") as copy:
        load_file(copy, out)
        assert content(copy) == content(loaded)


def test_export_of_the_hand_built_street_as_json(loaded, tmp_path):
    out = tmp_path / "street.json"
    export_store(loaded, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(n["id"] for n in doc["nodes"]) == sorted(n["id"] for n in STREET["nodes"])
    assert len(doc["edges"]) == len(STREET["edges"])


def test_generated_city_is_valid_and_streams(tmp_path):
    records, planted = generate_city(households=1200, seed=4)
    with EmbeddedStore(tmp_path / "g.db") as store:
        report = store.load((w, f"record {i}", r) for i, (w, r) in enumerate(records))
        assert store.counts()["nodes"]["Household"] == 1200 == planted.households
        assert report.added_edges == planted.edges
