"""Registers (台账) as offices keep them: flat sheets read into the network, with the cases' answers."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from orggraph.exceptions import InvalidRecords
from orggraph.io import load_file, read_file, read_mapping
from orggraph.io.excel import inspect_workbook
from orggraph.io.register import BadMapping, derived_id, find_layout
from orggraph.queries import coverage, responsibility_chain
from orggraph.store import EmbeddedStore

CASES = Path(__file__).parent / "cases"


def book(path: Path, rows: list[list], *, merges: tuple[str, ...] = (), title: str = "Sheet1") -> Path:
    """A one-sheet workbook of these rows (None for a blank cell), with these cells merged."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for span in merges:
        ws.merge_cells(span)
    wb.save(path)
    return path


def contacts(store) -> list[tuple]:
    return sorted((e["source"], e["target"], e.get("since"), e.get("until")) for e in store.edges("CONTACTS"))


def by_kind(store, kind: str) -> dict[str, dict]:
    return {n["id"]: n for n in store.nodes(kind)}


def member_named(store, name: str) -> str:
    (found,) = [n["id"] for n in store.nodes("Member") if n["name"] == name]
    return found


# --- the cases, on every backend -----------------------------------------------------------------------------

def test_case_01_a_resident_ledger_loads_as_it_is(store):
    """Case 01: a note row, a merged title, a 时间 row, then the headers; no ids; contacts by name with the
    community prefixed. 3 households in 桂花社区 of 江滨 street, 2 members (李乙 2, 陈戊 1), 3 of 3 covered,
    and a second load changes nothing."""
    registers: list = []
    report = load_file(store, CASES / "01-resident-ledger.xlsx", registers=registers)
    assert report.added_nodes == 7 and report.added_edges == 7
    (summary,) = registers
    assert (summary.header_rows, summary.date, summary.households, summary.members) == ((4,), "2024-03-01", 3, 2)
    areas = by_kind(store, "Area")
    assert sorted((a["name"], a["level"]) for a in areas.values()) == [("桂花社区", "community"), ("江滨街道", "street")]
    (community,) = [a for a, r in areas.items() if r["level"] == "community"]
    (street,) = [a for a, r in areas.items() if r["level"] == "street"]
    assert [(e["source"], e["target"]) for e in store.edges("WITHIN")] == [(community, street)]
    households = by_kind(store, "Household")
    assert len(households) == 3
    assert {e["target"] for e in store.edges("LOCATED_IN")} == {community}
    assert sorted(h["head"] for h in households.values()) == ["张甲", "王丙", "赵丁"]
    li, chen = member_named(store, "李乙"), member_named(store, "陈戊")
    found = contacts(store)
    assert [s for s, *_ in found].count(li) == 2 and [s for s, *_ in found].count(chen) == 1
    assert {since for *_, since, _ in found} == {"2024-03-01"}
    (zhang,) = [h for h, r in households.items() if r["head"] == "张甲"]
    assert households[zhang]["phone"] == "13800000001" and households[zhang]["phones"] == ["0716-8123456"]
    whole = coverage(store, as_of="2024-03-01")
    assert (whole["households"], whole["covered"]) == (3, 3)
    assert {a["id"]: a["households"] for a in whole["areas"]} == {community: 3, street: 3}
    assert coverage(store, as_of="2024-02-29")["covered"] == 0  # before the register's date
    before = (list(store.nodes()), list(store.edges()))
    again = load_file(store, CASES / "01-resident-ledger.xlsx")
    assert again.added_nodes == again.added_edges == again.changed == 0
    assert (list(store.nodes()), list(store.edges())) == before


def test_case_01b_a_template_sheet_with_a_register_s_headers(store):
    """Case 01b: a 住户 sheet headed 编号, 家庭地址, 人数, 电话1, 电话2, 分包人: read as a register, with
    家庭地址 the address, both phones, and 分包人 the contact by name."""
    load_file(store, CASES / "01b-resident-headers-row1.xlsx")
    assert by_kind(store, "Household") == {"h1": {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101",
                                                  "people": 2, "phone": "13800000001", "phones": ["0716-8123456"]}}
    li = member_named(store, "李乙")
    assert contacts(store) == [(li, "h1", None, None)]


def test_case_02_a_contact_merged_down_over_three_households(store):
    """Case 02: the template's 包保联户 sheet with m1's cell merged over A2:A4."""
    load_file(store, CASES / "02-merged-contact-cells.xlsx")
    assert [(s, t) for s, t, *_ in contacts(store)] == [("m1", "h1"), ("m1", "h2"), ("m1", "h3"), ("m2", "h4")]


def test_next_month_s_register_hands_a_household_over_on_its_date(store, tmp_path):
    """A household whose contact changed in the next register: the new contact from that register's date,
    the old relation ended the day before; every day before answers as it did."""
    head = [["时间：2024年3月1日"], ["社区", "户主姓名", "家庭地址", "分包人", "分包人电话"]]
    march = book(tmp_path / "3.xlsx", head + [["桂花", "张甲", "1栋101", "李乙", "13800000011"],
                                              ["桂花", "王丙", "1栋102", "李乙", "13800000011"]])
    april = book(tmp_path / "4.xlsx", [["时间：2024年4月1日"], head[1],
                                       ["桂花", "张甲", "1号楼101室", "陈戊", "13800000012"],
                                       ["桂花", "王丙", "1栋102", "李乙", "13800000011"]])
    load_file(store, march)
    registers: list = []
    report = load_file(store, april, registers=registers)
    assert (registers[0].new_contacts, registers[0].ended_contacts, registers[0].new_households) == (1, 1, 0)
    assert report.added_nodes == 1  # 陈戊; 张甲's household is the same one, its address spelt another way
    li, chen = member_named(store, "李乙"), member_named(store, "陈戊")
    (zhang,) = [h for h, r in by_kind(store, "Household").items() if r["head"] == "张甲"]
    assert [c for c in contacts(store) if c[1] == zhang] == sorted([(chen, zhang, "2024-04-01", None),
                                                                   (li, zhang, "2024-03-01", "2024-03-31")])
    assert responsibility_chain(store, zhang, as_of="2024-03-31")["links"][0]["member"] == li
    assert responsibility_chain(store, zhang, as_of="2024-04-01")["links"][0]["member"] == chen
    before = contacts(store)
    again = load_file(store, april)
    assert again.added_nodes == again.added_edges == again.changed == 0
    load_file(store, march)  # March's again hands nothing back: its contacts were valid on its day
    assert contacts(store) == before


def test_a_register_names_the_areas_the_store_holds(store):
    """The store's own 江滨街道 and 桂花社区 (from the template, with ids s1 and c1) are found by name: the
    register's households are located in c1, and no area is made."""
    store.load([("node", "a", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"}),
                ("node", "b", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
                ("edge", "c", {"type": "WITHIN", "source": "c1", "target": "s1"})])
    load_file(store, CASES / "01-resident-ledger.xlsx")
    assert set(by_kind(store, "Area")) == {"s1", "c1"}
    assert {e["target"] for e in store.edges("LOCATED_IN")} == {"c1"}


# --- layouts: header rows, groups, merged cells ---------------------------------------------------------------

def test_two_header_rows_under_a_merged_group_heading(tmp_path):
    """分包社区工作者 merged over 姓名 / 手机, the other headers merged down over both rows, 街道 merged
    down over the rows of its households."""
    path = book(tmp_path / "r.xlsx", [
        ["XX社区包保台账"],
        ["街道", "社区", "户主", "家庭住址", "分包社区工作者", None, "重点人群"],
        [None, None, None, None, "姓名", "手机", None],
        ["江滨", "桂花", "张甲", "1栋101", "李乙", "138 0000 0011", "独居老人、残疾"],
        [None, "桂花", "王丙", "1栋102", "李乙", "13800000011", "无"],
    ], merges=("A1:G1", "E2:F2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "G2:G3", "A4:A5"))
    (sheet,) = inspect_workbook(path)
    assert sheet.layout.header_rows == (2, 3)
    assert [(c.header, c.field) for c in sheet.layout.columns] == [
        ("街道", "street"), ("社区", "community"), ("户主", "head"), ("家庭住址", "address"),
        ("分包社区工作者/姓名", "contact"), ("分包社区工作者/手机", "contact_phone"), ("重点人群", "flags")]
    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, path)
        households = by_kind(store, "Household")
        assert sorted(h.get("flags", []) for h in households.values()) == [[], ["elderly_alone", "disabled"]]
        (member,) = by_kind(store, "Member").values()
        assert (member["name"], member["phone"]) == ("李乙", "13800000011")
        assert member["id"] == derived_id("m", "李乙", "p", "13800000011")
        assert len(contacts(store)) == 2
        streets = [a for a in by_kind(store, "Area").values() if a["level"] == "street"]
        assert len(streets) == 1  # the merged 江滨 covers row 5 too


def test_a_footnote_under_the_rows_is_read_past_and_said(tmp_path):
    path = book(tmp_path / "r.xlsx", [["户主姓名", "家庭地址", "分包人"], ["张甲", "1栋101", "李乙"],
                                      ["填表人：赵六", None, None]])
    registers: list = []
    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, path, registers=registers)
        assert len(by_kind(store, "Household")) == 1
    assert registers[0].skipped_rows == ["row 3: a footnote, not a household; read past"]


def test_a_value_hidden_under_a_merged_cell_is_refused(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = Workbook()
    ws = wb.active
    for row in (["户主姓名", "家庭地址", "分包人"], ["张甲", "1栋101", "李乙"], ["王丙", "1栋102", "陈戊"]):
        ws.append(row)
    ws.merge_cells("C2:C3")
    ws._cells[(3, 3)] = type(ws["C2"])(ws, row=3, column=3, value="陈戊")  # what a script may leave under it
    wb.save(path)
    messages = [m for kind, _, m in read_file(path) if kind == "error"]
    assert messages == ["column C: holds a value hidden under a merged cell, which Excel does not show; unmerge "
                        "the cells or clear it"]


# --- every problem at once -------------------------------------------------------------------------------------

def test_unknown_headers_are_named_together_with_the_way_out(tmp_path):
    path = book(tmp_path / "r.xlsx", [["户主姓名", "家庭地址", "楼层", "朝向", "分包人"], ["张甲", "1栋101", 3, "南", "李乙"]])
    problems = [(w, m) for kind, w, m in read_file(path) if kind == "error"]
    assert len(problems) == 1
    where, message = problems[0]
    assert where == "sheet Sheet1, row 1"
    assert message.startswith("unknown headers C '楼层', D '朝向'; name each column's field in a mapping")
    assert "orggraph ledger inspect FILE --write-map MAP.toml" in message and "orggraph template" in message


def test_every_bad_row_is_named_and_nothing_is_written(tmp_path):
    path = book(tmp_path / "r.xlsx", [
        ["户主姓名", "家庭地址", "人数", "手机", "重点人群", "分包人"],
        ["张甲", "1栋101", "三", "13800000001", "独居老人", "李乙"],
        ["王丙", "1栋102", 2, "1380000000", "空巢", "李乙"],
        [None, None, 2, "13800000003", None, "李乙"],
    ])
    with EmbeddedStore(tmp_path / "s.db") as store:
        with pytest.raises(InvalidRecords) as info:
            load_file(store, path)
        assert list(store.nodes()) == []
    messages = [str(e) for e in info.value.errors]
    assert len(messages) == 4, messages
    assert messages[0] == "sheet Sheet1, row 2, field column C 人数 (people): must be a whole number of people, got '三'"
    assert messages[1].startswith("sheet Sheet1, row 3, field column D 手机 (phone): ")
    assert "1380000000" not in messages[1]
    assert messages[2].startswith("sheet Sheet1, row 3, field column E 重点人群 (flags): unknown group '空巢'")
    assert messages[3] == "sheet Sheet1, row 4: names no household: no address, head of household, room or id"


def test_a_name_that_stands_for_two_members_is_refused_naming_both(tmp_path):
    path = book(tmp_path / "r.xlsx", [
        ["社区", "户主姓名", "家庭地址", "包保人", "包保人电话"],
        ["桂花", "张甲", "1栋101", "李乙", "13800000011"],
        ["桂花", "王丙", "1栋102", "李乙", "13900000022"],
        ["桂花", "赵丁", "1栋103", "李乙", None],
    ])
    with EmbeddedStore(tmp_path / "s.db") as store:
        with pytest.raises(InvalidRecords) as info:
            load_file(store, path)
    (message,) = [str(e) for e in info.value.errors]
    first, second = derived_id("m", "李乙", "p", "13800000011"), derived_id("m", "李乙", "p", "13900000022")
    assert message == (f"sheet Sheet1, row 4, field column D 包保人 (contact): '李乙' names 2 members of this "
                       f"register: {first} (row 2); {second} (row 3); give the contact's phone to tell them apart")


def test_a_name_matching_two_stored_members_is_refused(tmp_path):
    """Two members named 李乙 serve 桂花社区 in the store: a register naming 李乙 there without a phone is
    refused naming both; with a phone it is neither (a new member)."""
    with EmbeddedStore(tmp_path / "s.db") as store:
        store.load([("node", "1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"}),
                    ("node", "2", {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}),
                    ("edge", "3", {"type": "WITHIN", "source": "c1", "target": "s1"}),
                    ("node", "4", {"id": "h-x", "kind": "Household"}),
                    ("edge", "5", {"type": "LOCATED_IN", "source": "h-x", "target": "c1"}),
                    ("node", "6", {"id": "m-other", "kind": "Member", "name": "李乙"}),
                    ("node", "7", {"id": "m-third", "kind": "Member", "name": "李乙"}),
                    ("node", "8", {"id": "m-away", "kind": "Member", "name": "李乙"}),  # serves no household here
                    ("edge", "9", {"type": "CONTACTS", "source": "m-other", "target": "h-x"}),
                    ("edge", "10", {"type": "CONTACTS", "source": "m-third", "target": "h-x"})])
        path = book(tmp_path / "r.xlsx", [["街道", "社区", "户主姓名", "家庭地址", "分包人"],
                                          ["江滨", "桂花", "孙七", "3栋301", "李乙"]])
        with pytest.raises(InvalidRecords) as info:
            load_file(store, path)
        (message,) = [str(e) for e in info.value.errors]
        assert message == ("sheet Sheet1, row 2, field column E 分包人 (contact): '李乙' names 2 members in the "
                           "store: m-other, m-third; give the contact's phone to tell them apart")
        store.load([("edge", "x", {"type": "CONTACTS", "source": "m-third", "target": "h-x", "since": "2020-01-01",
                                   "until": "2020-12-31"})])  # any day counts: still two
        with pytest.raises(InvalidRecords):
            load_file(store, path)


# --- mappings ----------------------------------------------------------------------------------------------------

def test_a_mapping_reads_a_register_of_other_headers(tmp_path):
    path = book(tmp_path / "r.xlsx", [
        ["说明：本表按月更新"],
        ["片区", "门栋", "屋主", "位置", "帮扶人", "帮扶人号码", "类型", "登记"],
        ["桂花", "1", "张甲", "101", "李乙", "0716 8123456", "五保户", _dt.date(2024, 3, 1)],
    ])
    assert [s.kind for s in inspect_workbook(path)] == ["unknown"]
    mapping = read_mapping("""
        header_rows = [2]
        [columns]
        "片区" = "community"
        "门栋" = "building"
        "屋主" = "head"
        "位置" = "room"
        "帮扶人" = "contact"
        "帮扶人号码" = "contact_phone"
        "G" = "flags"
        "登记" = "since"
        [flags]
        "五保户" = ""
    """)
    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, path, mapping=mapping)
        areas = sorted((a["name"], a["level"]) for a in by_kind(store, "Area").values())
        assert areas == [("1号楼", "building"), ("桂花社区", "community")]
        (household,) = by_kind(store, "Household").values()
        assert household["address"] == "1号楼101" and "flags" not in household
        (member,) = by_kind(store, "Member").values()
        assert member["phone"] == "0716-8123456"
        assert [c[2] for c in contacts(store)] == ["2024-03-01"]


def test_the_written_mapping_loads_the_register_as_the_built_in_names_do(tmp_path):
    path = CASES / "01-resident-ledger.xlsx"
    (sheet,) = inspect_workbook(path)
    mapping = read_mapping(sheet.layout.to_toml())
    assert (mapping.sheet, mapping.header_rows, mapping.date) == ("Sheet1", (4,), None)  # the 时间 row gives it
    with EmbeddedStore(tmp_path / "a.db") as a, EmbeddedStore(tmp_path / "b.db") as b:
        load_file(a, path)
        load_file(b, path, mapping=mapping)
        assert (list(a.nodes()), list(a.edges())) == (list(b.nodes()), list(b.edges()))


def test_a_bad_mapping_names_every_problem():
    with pytest.raises(BadMapping) as info:
        read_mapping('sheett = "x"\nheader_rows = [4, 6]\ndate = "2024年3月"\n[columns]\n"户主" = "owner"\n'
                     '[flags]\n"空巢" = "alone"')
    message = str(info.value)
    for part in ("unknown key 'sheett'", "header_rows: one row number, or two in a row", "date: ",
                 "columns.\"户主\": unknown field 'owner'", "flags.\"空巢\": unknown flag 'alone'"):
        assert part in message, part


def test_a_mapping_naming_a_header_the_sheet_does_not_hold(tmp_path):
    path = book(tmp_path / "r.xlsx", [["户主姓名", "家庭地址"], ["张甲", "1栋101"]])
    mapping = read_mapping('[columns]\n"户主姓名" = "head"\n"住址" = "address"')
    problems = [m for kind, _, m in read_file(path, mapping=mapping) if kind == "error"]
    assert problems == ["the mapping names the column '住址', which row 1 of sheet Sheet1 does not hold"]


# --- every built-in header name ------------------------------------------------------------------------------------

#: each built-in header name and the field it feeds, written out by hand: a name added to the reader
#: without a line here, or a line here the reader does not know, fails the test below
BUILT_IN = {
    "street": "街道 街道名称 街道办 街道办事处 所属街道 街道(乡镇) 街镇 镇街 乡镇(街道)",
    "township": "乡镇 乡镇名称 镇 乡 所属乡镇",
    "community": "社区 社区名称 所属社区 社区(村) 居委会 社区居委会 村(社区) 村居 村社区",
    "village": "村 村名 行政村 所属村 村委会",
    "grid": "网格 网格名称 所属网格 网格名 网格编号",
    "compound": "小区 小区名称 所属小区 院落 小区(院落)",
    "village_group": "村民小组 组 小组",
    "micro_grid": "微网格 微网格名称",
    "building": "楼栋 楼栋号 楼号 栋 幢 栋号 楼栋名称 楼",
    "entrance": "单元 单元号",
    "household_id": "编号 户编号 住户编号 户号",
    "head": "户主 户主姓名 姓名 居民姓名 户主名称",
    "address": "家庭地址 家庭住址 住址 详细地址 地址 现住址 居住地址 现居住地址",
    "room": "房号 门牌号 室 房间号 户室号 门牌",
    "people": "人数 家庭人口 户籍人口 家庭人数 常住人口 人口数 家庭成员数 户人数",
    "phone": "手机 手机号 手机号码 联系电话 电话 座机 固定电话 户主电话 户主手机 联系方式 电话号码 户主联系电话",
    "flags": "重点人群 人员类别 特殊人群 重点人员类别 特殊群体 人群类别 重点人群类别",
    "note": "备注 说明",
    "contact": "分包人 包保人 包保党员 联系人 联户党员 包保责任人 包户人 联系党员 分包干部 包保干部 包联人 联户人 包保联系人",
    "contact_phone": "分包人电话 包保人电话 包保人手机 联系人电话 包保党员电话 联户党员电话 包保责任人电话 分包人手机 "
                     "包保人联系电话 分包人联系电话 联系人手机",
    "since": "包保时间 包保日期 开始日期 联系日期 包保开始时间 包保开始日期 登记日期 日期",
    "until": "结束日期 包保结束日期 包保结束时间",
    "ignore": "序号 联系户数 包保户数 户数 性别 年龄 出生日期 身份证号 身份证号码 民族 政治面貌 工作单位 与户主关系",
}


def test_the_built_in_names_are_those_written_out_here():
    from orggraph.io.register import HEADERS, _header_key

    assert HEADERS == {_header_key(name): f for f, names in BUILT_IN.items() for name in names.split()}


@pytest.mark.parametrize("field", sorted(BUILT_IN))
def test_every_built_in_header_feeds_its_field(field):
    """Each name, as written and in a clerk's variants (spaces, full-width brackets, a required mark), in
    a sheet beside a 家庭地址 column: the layout found gives it its field."""
    for name in BUILT_IN[field].split():
        for spelling in {name, f" {name} ", f"*{name}", name.replace("(", "（").replace(")", "）")}:
            other = "户主姓名" if field == "address" else "家庭地址"
            layout = find_layout("s", [(1, {1: spelling, 2: other}), (2, {1: "x", 2: "y"})])
            assert layout is not None and layout.columns[0].field == field, (spelling, layout)


def test_numbered_and_remarked_headers():
    layout = find_layout("s", [(1, {1: "户主姓名", 2: "电话1", 3: "电话2", 4: "人数(人)", 5: "手机号码（必填）",
                                    6: "分包人2"})])
    assert [c.field for c in layout.columns] == ["head", "phone", "phone", "people", "phone", "contact"]


# --- over the API ----------------------------------------------------------------------------------------------

from .test_api import api, post_import  # noqa: E402,F401  (the API on every backend, with its tokens)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("api", ["embedded"], indirect=True)  # the API's part; the store's is tested on each
def test_an_editor_imports_a_register_within_the_scope(api, tmp_path):
    """An editor of 桂花社区 (c1) sends the community's register: its areas are found by name (江滨 is s1,
    桂花 is c1, 1 is 桂花社区第1网格 g1), a new building is made within g1, and a dry run says what the
    import would add; a register naming another community is refused whole."""
    path = book(tmp_path / "r.xlsx", [["时间：2025年1月1日"], ["街道", "社区", "网格", "楼栋", "户主姓名", "房号", "分包人"],
                                      ["江滨", "桂花", "1", "9", "孙七", "101", "王芳"]])
    dry = api.post("/import", content=path.read_bytes(), params={"dry_run": "true"},
                   headers={"Authorization": f"Bearer {api.tokens['editor']}", "Content-Type": XLSX})
    assert dry.status_code == 200 and dry.json()["dry_run"] is True, dry.text
    assert not [n for n in api.store.nodes("Area") if n["name"] == "9号楼"]
    assert post_import(api, "editor", path.read_bytes(), XLSX).json()["registers"] == dry.json()["registers"]
    (register,) = dry.json()["registers"]
    assert (register["areas"], register["new_areas"]) == ({"street": 1, "community": 1, "grid": 1, "building": 1},
                                                          {"street": 0, "community": 0, "grid": 0, "building": 1})
    assert (register["new_households"], register["new_members"], register["members"]) == (1, 0, 1)  # 王芳 is m1
    (building,) = [n for n in api.store.nodes("Area") if n["name"] == "9号楼"]
    assert [(e["source"], e["target"]) for e in api.store.edges_of(building["id"], "WITHIN")] == [(building["id"], "g1")]
    (household,) = [e["source"] for e in api.store.edges_of(building["id"], "LOCATED_IN")]
    assert [(e["source"], e.get("since")) for e in api.store.edges_of(household, "CONTACTS")] == [("m1", "2025-01-01")]
    other = book(tmp_path / "o.xlsx", [["街道", "社区", "户主姓名", "家庭地址", "分包人"], ["江滨", "荷花", "周八", "2栋1", "王芳"]])
    before = api.store.counts()
    response = post_import(api, "editor", other.read_bytes(), XLSX)
    assert response.status_code == 403, response.text
    assert api.store.counts() == before


@pytest.mark.parametrize("api", ["embedded"], indirect=True)  # the API's part; the store's is tested on each
def test_an_import_takes_a_mapping(api, tmp_path):
    path = book(tmp_path / "r.xlsx", [["门栋", "屋主", "位置", "帮扶人"], ["1号楼", "孙七", "808", "王芳"]])
    def send(mapping: str, **params: str):
        return api.post("/import", content=path.read_bytes(), params={"mapping": mapping, **params},
                        headers={"Authorization": f"Bearer {api.tokens['editor']}", "Content-Type": XLSX})

    response = send('[columns]\n"门栋" = "building"\n"屋主" = "head"\n"位置" = "room"\n"帮扶人" = "contact"',
                    dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True and response.json()["registers"][0]["new_households"] == 1
    bad = send('[columns]\n"门栋" = "tower"')
    assert bad.status_code == 422 and "unknown field 'tower'" in bad.json()["error"]["message"]
    unquoted = send('[columns]\n门栋 = "building"')
    assert unquoted.status_code == 422
    assert 'a header is a key in quotes: "户主姓名" = "head"' in unquoted.json()["error"]["message"]


def test_a_register_finds_only_what_the_token_reads(api, tmp_path):
    """An editor of 桂花社区 sends a register naming a community of the street it cannot read (荷花社区,
    c2): the answer is the one it gets for a community that does not exist, never naming c2."""
    api.store.load([("node", "1", {"id": "c2", "kind": "Area", "name": "荷花社区", "level": "community"}),
                    ("edge", "2", {"type": "WITHIN", "source": "c2", "target": "s1"})])
    answers = []
    for community in ("荷花", "莲花"):  # one there, one nowhere
        path = book(tmp_path / f"{community}.xlsx", [["街道", "社区", "户主姓名", "家庭地址", "分包人"],
                                                     ["江滨", community, "周八", "2栋1", "王芳"]])
        response = post_import(api, "editor", path.read_bytes(), XLSX)
        assert response.status_code == 403, response.text
        assert "'c2'" not in response.text and '"c2"' not in response.text
        answers.append(response.json()["error"]["details"])
    strip = lambda details: [{k: v for k, v in d.items() if k != "message"} for d in details]  # noqa: E731
    assert strip(answers[0]) == strip(answers[1])


def test_a_household_moved_since_stays_moved_when_the_register_is_loaded_again(tmp_path):
    from orggraph.changes import relocate

    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, CASES / "01-resident-ledger.xlsx")
        community = next(a for a, r in by_kind(store, "Area").items() if r["level"] == "community")
        store.load([("node", "1", {"id": "b9", "kind": "Area", "name": "9号楼", "level": "building"}),
                    ("edge", "2", {"type": "WITHIN", "source": "b9", "target": community})])
        zhang = next(h for h, r in by_kind(store, "Household").items() if r["head"] == "张甲")
        relocate(store, zhang, to="b9", on="2025-01-01")
        after = list(store.edges("LOCATED_IN"))
        report = load_file(store, CASES / "01-resident-ledger.xlsx")
        assert report.changed == 0 and list(store.edges("LOCATED_IN")) == after


def test_derived_ids_hold_no_digits():
    """A derived id is shown to every token: no run of digits that could be read as a phone or an id card
    (a hash's hex digits could be)."""
    ids = [derived_id("h", "a", str(i)) for i in range(20000)]
    assert len(set(ids)) == len(ids)
    assert not any(c.isdigit() for i in ids for c in i)


# --- the command line -------------------------------------------------------------------------------------------

def test_ledger_inspect_writes_a_mapping_that_load_takes(tmp_path):
    from .conftest import run_cli

    register = book(tmp_path / "r.xlsx", [["时间：2024年3月1日"], ["社区", "户主姓名", "家庭地址", "楼层", "分包人"],
                                          ["桂花", "张甲", "1栋101", "3", "李乙"]])
    shown = run_cli("ledger", "inspect", str(register), "--write-map", "map.toml", cwd=tmp_path)
    assert shown.returncode == 2, shown.stderr
    assert "  D 楼层: not recognised" in shown.stdout
    assert "sheet Sheet1: unknown header D '楼层'" in shown.stderr
    written = (tmp_path / "map.toml").read_text(encoding="utf-8")
    assert '"楼层" = "?"  # not recognised: name its field, or ignore' in written
    assert '# date = "2024-03-01"' in written  # the 时间 row gives it; next month's register its own
    again = run_cli("ledger", "inspect", str(register), "--write-map", "map.toml", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (tmp_path / "map.toml").read_text(encoding="utf-8") == written
    refused = run_cli("load", str(register), "--db", "s.db", cwd=tmp_path)
    assert refused.returncode == 2 and "unknown header D '楼层'" in refused.stderr
    unedited = run_cli("load", str(register), "--map", "map.toml", "--db", "dry.db", "--dry-run", cwd=tmp_path)
    assert unedited.returncode == 2 and 'columns."楼层": not named yet' in unedited.stderr
    (tmp_path / "map.toml").write_text(written.replace('"楼层" = "?"', '"楼层" = "ignore"'), encoding="utf-8")
    dry = run_cli("load", str(register), "--map", "map.toml", "--db", "dry.db", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "households: 1 (1 new); members: 1 (1 new); contacts: 1 (1 new, 0 ended the day before)" in dry.stdout
    assert "columns read past: D 楼层" in dry.stdout and not (tmp_path / "dry.db").exists()
    loaded = run_cli("load", str(register), "--map", "map.toml", "--db", "s.db", "--json", cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    import json

    answer = json.loads(loaded.stdout)
    assert answer["registers"][0]["new_households"] == 1 and answer["added_nodes"] == 3


@pytest.mark.parametrize("api", ["embedded"], indirect=True)  # the API's part; the store's is tested on each
def test_a_community_s_own_register_lies_within_the_area_the_mapping_names(api, tmp_path):
    """A community secretary's register names no street nor community: the mapping's within places its
    buildings in the token's own grid, and its contact is the community's 王芳 (m1)."""
    path = book(tmp_path / "r.xlsx", [["楼栋", "户主姓名", "房号", "分包人"], ["9", "孙七", "101", "王芳"]])

    def send(mapping: str | None):
        return api.post("/import", content=path.read_bytes(), params={"mapping": mapping} if mapping else {},
                        headers={"Authorization": f"Bearer {api.tokens['editor']}", "Content-Type": XLSX})

    assert send(None).status_code == 403  # placed nowhere: outside every token's areas
    assert send('within = "c9"').status_code == 422  # no such area
    response = send('within = "g1"')
    assert response.status_code == 200, response.text
    (building,) = [n for n in api.store.nodes("Area") if n["name"] == "9号楼"]
    assert [e["target"] for e in api.store.edges_of(building["id"], "WITHIN")] == ["g1"]
    (household,) = [e["source"] for e in api.store.edges_of(building["id"], "LOCATED_IN")]
    assert [e["source"] for e in api.store.edges_of(household, "CONTACTS")] == ["m1"]


def test_an_older_register_loaded_after_a_newer_one_fills_in_the_days_before(tmp_path):
    """April's register (张甲 handed to 陈戊) loaded before March's: March's contacts run up to the day
    before April's begin, so that no day has two contacts; a register of the same day naming another
    contact is refused."""
    head = ["社区", "户主姓名", "家庭地址", "分包人", "分包人电话"]
    march = book(tmp_path / "3.xlsx", [["时间：2024年3月1日"], head, ["桂花", "张甲", "1栋101", "李乙", "13800000011"],
                                       ["桂花", "王丙", "1栋102", "李乙", "13800000011"]])
    april = book(tmp_path / "4.xlsx", [["时间：2024年4月1日"], head, ["桂花", "张甲", "1栋101", "陈戊", "13800000012"],
                                       ["桂花", "王丙", "1栋102", "李乙", "13800000011"]])
    correction = book(tmp_path / "4b.xlsx", [["时间：2024年4月1日"], head,
                                             ["桂花", "张甲", "1栋101", "赵丁", "13800000013"]])
    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, april)
        load_file(store, march)
        li, chen = member_named(store, "李乙"), member_named(store, "陈戊")
        households = by_kind(store, "Household")
        zhang = next(h for h, r in households.items() if r["head"] == "张甲")
        wang = next(h for h, r in households.items() if r["head"] == "王丙")
        assert [c for c in contacts(store) if c[1] == zhang] == sorted([(li, zhang, "2024-03-01", "2024-03-31"),
                                                                       (chen, zhang, "2024-04-01", None)])
        assert [c for c in contacts(store) if c[1] == wang] == [(li, wang, "2024-03-01", "2024-03-31"),
                                                               (li, wang, "2024-04-01", None)]
        for day in ("2024-03-15", "2024-04-15"):
            assert len(responsibility_chain(store, zhang, as_of=day)["links"][:1]) == 1
            assert [link["member"] for link in responsibility_chain(store, zhang, as_of=day)["links"]
                    if link["role"] == "contact"] == [li if day < "2024-04" else chen]
        with pytest.raises(InvalidRecords, match="a register of the same day cannot name another"):
            load_file(store, correction)
        assert by_kind(store, "Household")[zhang]["register_day"] == "2024-04-01"  # March's did not overwrite it
        community = next(a for a, r in by_kind(store, "Area").items() if r["level"] == "community")
        assert coverage(store, area=community, as_of="2024-03-15")["households"] == 2  # placed from March too


def test_a_household_new_in_next_month_s_register_lies_there_from_its_day(tmp_path):
    head = ["社区", "户主姓名", "家庭地址", "分包人"]
    march = book(tmp_path / "3.xlsx", [["时间：2024年3月1日"], head, ["桂花", "张甲", "1栋101", "李乙"]])
    april = book(tmp_path / "4.xlsx", [["时间：2024年4月1日"], head, ["桂花", "张甲", "1栋101", "李乙"],
                                       ["桂花", "孙七", "1栋103", None]])
    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, march)
        load_file(store, april)
        community = next(a for a, r in by_kind(store, "Area").items() if r["level"] == "community")
        counts = [coverage(store, area=community, as_of=day)["households"] for day in ("2024-03-15", "2024-04-15")]
        assert counts == [1, 2]


def test_a_register_gets_the_same_ids_on_every_run(tmp_path):
    """The ids derived from a register do not depend on the interpreter's hash seed (areas named in full,
    an address beginning with their names: the prefixes taken off in a fixed order)."""
    from .conftest import run_cli

    register = book(tmp_path / "r.xlsx", [["街道", "社区", "网格", "户主姓名", "家庭住址", "分包人"],
                                          ["江滨街道", "桂花社区", "第1网格", "张甲", "江滨街道桂花社区第1网格3号楼201", "李乙"],
                                          ["江滨街道", "桂花社区", "第1网格", "王丙", "桂花社区3号楼202", "李乙"]])
    found = []
    for seed in ("1", "2", "3"):
        done = run_cli("load", str(register), "--db", f"s{seed}.db", cwd=tmp_path, env={"PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        with EmbeddedStore(tmp_path / f"s{seed}.db") as store:
            found.append(sorted(n["id"] for n in store.nodes()))
    assert found[0] == found[1] == found[2]


def test_what_clerks_write_around_the_rows(tmp_path):
    """A total row, a ditto mark, a phone beside a contact's name, an empty sheet and a roster of members
    beside the register; a blank community above a named grid."""
    path = tmp_path / "r.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "居民台账"
    for row in (["社区", "网格", "户主姓名", "家庭地址", "人数", "分包人"],
                ["桂花", "1", "张甲", "1栋101", 2, "李乙 13900000001"],
                ["〃", "〃", "王丙", "1栋102", 3, "李乙(13900000001)"],
                ["同上", "2", "赵丁", "2栋101", 1, "陈戊/13900000002"],
                ["合计", None, None, None, 6, None]):
        ws.append(row)
    wb.create_sheet("Sheet2")
    wb.save(path)
    registers: list = []
    with EmbeddedStore(tmp_path / "s.db") as store:
        load_file(store, path, registers=registers)
        members = {(m["name"], m["phone"]) for m in store.nodes("Member")}
        assert members == {("李乙", "13900000001"), ("陈戊", "13900000002")}
        assert len(contacts(store)) == 3
        assert sorted((a["name"], a["level"]) for a in store.nodes("Area")) == [
            ("桂花社区", "community"), ("第1网格", "grid"), ("第2网格", "grid")]
    assert registers[0].skipped_rows == ["row 5: a total row (合计), not a household; read past"]
    roster = wb.create_sheet("党员花名册")
    roster.append(["序号", "姓名", "性别", "联系电话", "工作单位"])
    roster.append([1, "李乙", "男", "13900000001", "财政局"])
    wb["居民台账"]["A4"] = None  # a blank community above the grid this row names
    wb.save(path)
    messages = [m if isinstance(m, str) else f"{m[0]}: {m[1]}" for kind, _, m in read_file(path) if kind == "error"]
    assert messages[0].startswith("column A 社区 (community): blank, while other rows name it and this row names an "
                                  "area below it")
    assert "a roster of members (党员花名册) rather than a register of households?" in messages[1]
    assert len(messages) == 2


@pytest.mark.parametrize("api", ["embedded"], indirect=True)  # the API's part; the store's is tested on each
def test_a_register_naming_a_household_of_another_community_tells_nothing_of_it(api, tmp_path):
    """A register sent by an editor of 桂花社区 (c1) with the id of 向阳社区's household h9: the answer never
    names that household's contact (m9, 赵敏), and nothing is written."""
    before = sorted((e["source"], e.get("since"), e.get("until")) for e in api.store.edges("CONTACTS")
                    if e["target"] == "h9")
    path = book(tmp_path / "r.xlsx", [["时间：2025年1月1日"], ["户编号", "户主姓名", "家庭住址", "分包人"],
                                      ["h9", "孙七", "9栋1", "王芳"]])
    response = post_import(api, "editor", path.read_bytes(), XLSX)
    assert response.status_code in (403, 409), response.text
    assert "m9" not in response.text and "赵敏" not in response.text
    assert sorted((e["source"], e.get("since"), e.get("until")) for e in api.store.edges("CONTACTS")
                  if e["target"] == "h9") == before


@pytest.mark.parametrize("api", ["embedded"], indirect=True)  # the API's part; the store's is tested on each
def test_a_name_and_phone_of_another_community_answer_as_unknown_ones(api, tmp_path):
    """A member another community's register made (钱七, by name and phone): a register of 桂花社区 naming
    钱七 with that phone gets the answer a name the store does not hold gets."""
    head = ["街道", "社区", "户主姓名", "家庭地址", "分包人", "分包人电话"]
    load_file(api.store, book(tmp_path / "c2.xlsx", [head, ["江滨", "向阳", "甲", "1栋901", "钱七", "13911112222"]]))
    answers = []
    for name in ("钱七", "钱八"):
        path = book(tmp_path / f"{name}.xlsx", [head, ["江滨", "桂花", "乙", "1栋902", name, "13911112222"]])
        response = api.post("/import", content=path.read_bytes(), params={"dry_run": "true"},
                            headers={"Authorization": f"Bearer {api.tokens['editor']}", "Content-Type": XLSX})
        answers.append((response.status_code, response.json().get("registers", [{}])[0].get("new_members")))
    assert answers[0] == answers[1] == (200, 1)
