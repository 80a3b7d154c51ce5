"""Workbooks written and read: text written as text, every row and cell read or refused, round trips, and
limits on what a workbook may cost to read. Odd workbooks are made by editing the XML inside the zip."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from orggraph.access import create_token
from orggraph.api import create_app
from orggraph.api.settings import Settings
from orggraph.exceptions import InvalidRecords
from orggraph.io import Limits, WorkbookTooLarge, export_store, load_file, read_file, write_template
from orggraph.io import excel as excel_module
from orggraph.io.excel import UnwritableValue, write_workbook
from orggraph.report import Namer, incident_workbook
from orggraph.store import EmbeddedStore

from .conftest import items, run_cli, snapshot, street

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIL = '=HYPERLINK("http://evil.example/x","1号楼")'
#: text a spreadsheet program could take for a formula, or for an error value, if it were not written as text
LIVE = [EVIL, "+86 (0)716 1号楼", "-1号楼", "@SUM(A1:A9)", "=1+1", "#N/A"]


# --- helpers: the XML inside a workbook ----------------------------------------------------------------------

def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sheet_part(path: Path, title: str) -> str:
    """The part (xl/worksheets/sheetN.xml) that holds the sheet of this title."""
    book = load_workbook(path, read_only=True)
    try:
        return book[title]._worksheet_path.lstrip("/")
    finally:
        book.close()


def edit(path: Path, part: str, change) -> None:
    """Rewrite one part of the workbook with ``change(xml text) -> xml text``, the rest as it was."""
    old = parts(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in old.items():
            archive.writestr(name, change(data.decode()).encode() if name == part else data)


def book_of(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook of the given sheets and rows (the first row the headers), as openpyxl writes it."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def cells_of(path: Path) -> list[tuple[str, str | None, str]]:
    """Every cell of every sheet as (sheet part, cell type, the cell's XML)."""
    found = []
    for name, data in parts(path).items():
        if name.startswith("xl/worksheets/"):
            for cell in re.findall(r"<c\b[^>]*?(?:/>|>.*?</c>)", data.decode(), flags=re.S):
                kind = re.search(r'\bt="([^"]+)"', cell.split(">")[0])
                found.append((name, kind.group(1) if kind else None, cell))
    return found


def assert_text_cells(path: Path, texts: list[str]) -> None:
    """No cell of the workbook holds a formula, and each of ``texts`` is in a text cell."""
    cells = cells_of(path)
    assert cells
    assert not [c for c in cells if "<f>" in c[2] or "<f " in c[2]]
    for text in texts:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        holding = [c for c in cells if text in c[2] or escaped in c[2]]
        assert holding, text
        assert all(kind in {"inlineStr", "s"} for _, kind, _ in holding), holding


def content(store) -> tuple:
    return sorted(store.nodes(), key=lambda n: n["id"]), sorted(
        store.edges(), key=lambda e: (e["type"], e["source"], e["target"], e.get("since") or ""))


# --- 1. text is written as text ------------------------------------------------------------------------------

def live_street() -> dict:
    """The hand-built street, with names and addresses that begin like formulas."""
    doc = street()
    by_id = {n["id"]: n for n in doc["nodes"]}
    by_id["m1"]["name"] = EVIL
    by_id["m2"]["name"] = LIVE[1]
    by_id["u1"]["name"] = LIVE[2]
    by_id["o-c1"]["name"] = LIVE[3]
    by_id["c1"]["name"] = LIVE[4]
    by_id["h1"]["address"] = EVIL
    by_id["h2"]["address"] = LIVE[5]
    by_id["h3"]["备注"] = EVIL
    return doc


def test_export_writes_every_text_as_text_and_reads_it_back(store, tmp_path):
    store.load(items(live_street()))
    out = tmp_path / "street.xlsx"
    export_store(store, out)
    assert_text_cells(out, LIVE)
    with EmbeddedStore(tmp_path / "copy.db") as copy:
        load_file(copy, out)
        assert content(copy) == content(store)
        assert copy.node("m1")["name"] == EVIL and copy.node("h2")["address"] == "#N/A"


def test_template_writes_text_as_text(tmp_path):
    out = tmp_path / "台账.xlsx"
    write_template(out)
    assert_text_cells(out, ["编号", "其他属性", "orggraph 台账填写说明"])


def test_call_sheet_writes_text_as_text(embedded, tmp_path):
    from orggraph.queries import incident

    embedded.load(items(live_street()))
    out = tmp_path / "call.xlsx"
    result = incident(embedded, ["b1"], [], as_of="2024-06-01")
    incident_workbook(result, Namer.of(embedded, unmask=True), out)
    assert_text_cells(out, [EVIL, f"{LIVE[5]}"])
    values = [c.value for row in load_workbook(out).active.iter_rows() for c in row]
    assert EVIL in values  # the address, read back as written
    assert any(isinstance(v, str) and v.startswith(EVIL + " (m1)") for v in values)  # the contact's name


def test_call_sheet_from_the_command_line_and_the_api(tmp_path):
    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load(items(live_street()))
        token = create_token(store, "viewer", ["s1"], pii=True)[0]
    done = run_cli("incident", "--area", "b1", "--as-of", "2024-06-01", "--unmask", "--xlsx", "call.xlsx",
                   "--db", "city.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_text_cells(tmp_path / "call.xlsx", [EVIL, "#N/A"])
    with EmbeddedStore(tmp_path / "city.db") as store, TestClient(create_app(store=store)) as client:
        answer = client.post("/call-sheet.xlsx", json={"areas": ["b1"], "as_of": "2024-06-01"},
                             headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        (tmp_path / "api.xlsx").write_bytes(answer.content)
        assert_text_cells(tmp_path / "api.xlsx", [EVIL, "#N/A"])


def spoil(db: Path, node_id: str, old: str, new: str) -> None:
    """Change a stored record behind the store's back, as a store filled before a rule came would hold it."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("UPDATE nodes SET props = replace(props, ?, ?) WHERE id = ?", (old, new, node_id)).rowcount == 1


def test_call_sheet_shows_what_no_workbook_can_hold_as_a_replacement(tmp_path):
    from orggraph.queries import incident

    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load(items(street()))
    spoil(tmp_path / "city.db", "h1", "101室", "\ufffe101室")
    with EmbeddedStore(tmp_path / "city.db") as store:
        assert store.node("h1")["address"].endswith("\ufffe101室")
        result = incident(store, ["b1"], [], as_of="2024-06-01")
        incident_workbook(result, Namer.of(store, unmask=True), tmp_path / "call.xlsx")
    values = [c.value for row in load_workbook(tmp_path / "call.xlsx").active.iter_rows() for c in row]
    assert "桂花社区1号楼1单元\ufffd101室" in values


# --- 2. every row and cell is read, or refused by name -------------------------------------------------------

HOUSEHOLDS = [["编号", "地址", "人数"], ["h1", "1号楼101室", 3], ["h2", "1号楼102室", 2], ["h3", "1号楼201室", 1]]


def test_a_stale_dimension_loses_no_row(tmp_path):
    path = book_of(tmp_path / "stale.xlsx", {"住户": HOUSEHOLDS})
    part = sheet_part(path, "住户")
    edit(path, part, lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:F2"/>', xml))
    assert '<dimension ref="A1:F2"/>' in parts(path)[part].decode()
    assert load_workbook(path, read_only=True)["住户"].max_row == 2  # what the file claims
    records = [r for what, _, r in read_file(path) if what == "node"]
    assert [r["id"] for r in records] == ["h1", "h2", "h3"]


def test_rows_the_dimension_does_not_claim_far_down_are_read(tmp_path):
    path = book_of(tmp_path / "far.xlsx", {"住户": HOUSEHOLDS})
    part = sheet_part(path, "住户")
    far = '<row r="900"><c r="A900" t="inlineStr"><is><t>h900</t></is></c></row>'
    edit(path, part, lambda xml: xml.replace("</sheetData>", far + "</sheetData>"))
    assert [where for what, where, _ in read_file(path) if what == "node"][-1] == "sheet 住户, row 900"


def formula(cell: str, text: str, cached: str | None = None) -> str:
    value = f"<v>{cached}</v>" if cached is not None else ""
    kind = ' t="str"' if cached is not None else ""
    return f'<c r="{cell}"{kind}><f>{text}</f>{value}</c>'


def test_a_formula_with_no_saved_value_is_refused_by_name(loaded, tmp_path):
    path = book_of(tmp_path / "formula.xlsx", {"住户": HOUSEHOLDS})
    part = sheet_part(path, "住户")

    def change(xml: str) -> str:
        xml = re.sub(r'<c r="B3"[^>]*>.*?</c>', formula("B3", 'CONCAT("1号楼","102室")'), xml)
        return re.sub(r'<c r="B4"[^>]*>.*?</c>', formula("B4", 'CONCAT("1号楼","201室")', "1号楼201室"), xml)

    edit(path, part, change)
    before = snapshot(loaded)
    with pytest.raises(InvalidRecords) as info:
        load_file(loaded, path)
    assert [str(e) for e in info.value.errors] == [
        "sheet 住户, row 3: column B 地址 (address): a formula with no saved value; save the workbook in Excel or paste values"]
    assert snapshot(loaded) == before
    # a formula with its value saved is read as that value
    edit(path, part, lambda xml: re.sub(r'<c r="B3">.*?</c>', formula("B3", "x", "1号楼102室"), xml))
    assert [r.get("address") for what, _, r in read_file(path) if what == "node"] == ["1号楼101室", "1号楼102室", "1号楼201室"]


def test_an_error_value_a_cell_given_twice_and_a_value_under_no_header_are_refused(tmp_path):
    path = book_of(tmp_path / "odd.xlsx", {"住户": HOUSEHOLDS})
    part = sheet_part(path, "住户")

    def change(xml: str) -> str:
        xml = re.sub(r'<c r="B2"[^>]*>.*?</c>', '<c r="B2" t="e"><v>#REF!</v></c>', xml)
        xml = re.sub(r'(<c r="C3"[^>]*>.*?</c>)', r'\1<c r="C3"><v>5</v></c>', xml)
        return re.sub(r'(<c r="C4"[^>]*>.*?</c>)', r'\1<c r="F4" t="inlineStr"><is><t>备忘</t></is></c>', xml)

    edit(path, part, change)
    assert [(where, message) for what, where, message in read_file(path) if what == "error"] == [
        ("sheet 住户, row 2", "column B 地址 (address): holds the error value #REF!; correct the cell"),
        ("sheet 住户, row 3", "column C 人数 (people): given twice in the file; save the workbook in Excel again"),
        ("sheet 住户, row 4", "column F: a value under no header; give the column a header or clear it"),
    ]


def test_a_row_given_twice_is_refused_cell_by_cell(tmp_path):
    """Two <row r="3"> elements (or a row out of order) would load two records both named row 3: each cell
    of the second is refused by name instead."""
    path = book_of(tmp_path / "rows.xlsx", {"住户": HOUSEHOLDS})
    part = sheet_part(path, "住户")
    edit(path, part, lambda xml: re.sub(r'(<row r="3".*?</row>)', lambda m: m[1] + m[1].replace(">h2<", ">h7<"), xml,
                                        flags=re.S))
    problems = [(where, message) for what, where, message in read_file(path) if what == "error"]
    assert problems and all(where == "sheet 住户, row 3" for where, _ in problems)
    assert all("given twice in the file" in message for _, message in problems)
    assert [r["id"] for what, _, r in read_file(path) if what == "node"] == ["h1", "h2", "h3"]  # the first row 3 only


@pytest.mark.parametrize("second", ["地址", "address"])
def test_two_columns_with_one_header_are_refused_naming_both(loaded, tmp_path, second):
    path = book_of(tmp_path / "twice.xlsx", {"住户": [["编号", "地址", "人数", second], ["h9", "1号楼", 2, "2号楼"]]})
    with pytest.raises(InvalidRecords) as info:
        load_file(loaded, path)
    assert [str(e) for e in info.value.errors] == [
        f"sheet 住户, row 1: column D: the header '{second}' (address) is given twice, in columns B and D; keep one"]


def test_every_header_problem_at_once(tmp_path):
    path = book_of(tmp_path / "heads.xlsx", {"住户": [["编号", "门牌", "人数", "人数", "其他属性", "其他属性"]]})
    assert [m for _, _, m in read_file(path)] == [
        "column B: unknown header '门牌'; expected: 编号、地址、人数、电话、标记、其他属性",
        "column D: the header '人数' (people) is given twice, in columns C and D; keep one",
        "column F: the header '其他属性' is given twice, in columns E and F; keep one",
    ]


# --- 3. round trips ------------------------------------------------------------------------------------------

def reserved_street() -> dict:
    """The hand-built street with extra properties named like the fields of records."""
    doc = street()
    by_id = {n["id"]: n for n in doc["nodes"]}
    by_id["h1"].update({"type": "平房", "source": "普查", "target": "h2"})
    by_id["u1"].update({"type": "机关", "source": "名录"})
    for edge in doc["edges"]:
        if edge["type"] == "CONTACTS":
            edge.update({"kind": "电话联系", "id": f"c-{edge['target']}"})
        if edge["type"] == "LOCATED_IN":
            edge["id"] = 7
    doc["edges"].append({"type": "CO_BUILDS", "source": "u1", "target": "o-s1", "items": ["义诊、体检", " 送教", "12"]})
    doc["nodes"].append({"id": "h4", "kind": "Household", "address": " 桂花社区1号楼_x0041_\r\n", "flags": []})
    doc["edges"].append({"type": "LOCATED_IN", "source": "h4", "target": "b1"})
    return doc


def test_fields_named_like_the_record_s_own_round_trip(store, tmp_path):
    store.load(items(reserved_street()))
    first, second = tmp_path / "1.xlsx", tmp_path / "2.xlsx"
    export_store(store, first)
    with EmbeddedStore(tmp_path / "copy.db") as copy:
        load_file(copy, first)
        assert content(copy) == content(store)
        assert copy.node("h1")["type"] == "平房" and copy.node("h4")["address"] == " 桂花社区1号楼_x0041_\r\n"
        export_store(copy, second)
    with EmbeddedStore(tmp_path / "again.db") as again:
        load_file(again, second)
        assert content(again) == content(store)


def test_a_workbook_that_loads_exports_and_loads_back_the_same(tmp_path):
    """Filled in by hand (labels, numbers typed as numbers, dates, list cells): loaded, exported, loaded back."""
    import datetime

    path = book_of(tmp_path / "hand.xlsx", {
        "区域": [["编号", "名称", "层级"], ["s1", "+江滨街道", "街道"], ["b1", "1号楼", "building"]],
        "区域隶属": [["下级区域编号", "上级区域编号"], ["b1", "s1"]],
        "住户": [["编号", "地址", "人数", "标记", "其他属性"], [1001, "@1号楼101室", 3.0, "独居老人，残疾人", '{"type": "x"}']],
        "住户位置": [["住户编号", "区域编号", "开始日期"], ["1001", "b1", datetime.datetime(2022, 3, 1)]],
    })
    with EmbeddedStore(tmp_path / "1.db") as one, EmbeddedStore(tmp_path / "2.db") as two:
        load_file(one, path)
        export_store(one, tmp_path / "out.xlsx")
        load_file(two, tmp_path / "out.xlsx")
        assert content(two) == content(one)
        assert one.node("s1")["name"] == "+江滨街道" and one.node("1001")["type"] == "x"


@pytest.mark.parametrize("value, says", [
    ("1号楼\ufffe", "holds U+FFFE, a character no workbook can hold"),
    ("1号楼\uffff", "holds U+FFFF, a character no workbook can hold"),
    ("1号楼\ud800", "holds U+D800, a character no workbook can hold"),
    ("1号楼\x0b", "holds U+000B, a character no workbook can hold"),
    ("   ", "is blank, and a blank cell reads back as missing"),
    ("楼" * 40_000, "holds 40,000 characters, more than the 32,767 a workbook's cell holds"),
])
def test_a_value_no_workbook_can_hold_is_refused_by_record_and_field(tmp_path, value, says):
    """From a store filled before such values were refused: the export names them and writes nothing."""
    nodes = [{"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"},
             {"id": "m9", "kind": "Member", "name": value}]
    with pytest.raises(UnwritableValue) as info:
        write_workbook(nodes, [], tmp_path / "old.xlsx")
    assert str(info.value) == f"党员 m9, field name: {says}; correct the record, or export to .jsonl instead"
    extra = [{"id": "h9", "kind": "Household", "备注": value}]
    if "\ud800" in value:
        with pytest.raises(UnwritableValue, match="住户 h9, field 其他属性: cannot be written as JSON"):
            write_workbook(extra, [], tmp_path / "old.xlsx")
    elif len(value) < 100:  # in the JSON of the extra properties, escaped: written and read back as it was
        write_workbook(extra, [], tmp_path / "old.xlsx")
        assert [r for what, _, r in read_file(tmp_path / "old.xlsx") if what == "node"] == [extra[0]]


def test_export_of_a_store_holding_an_unwritable_value_leaves_no_file(tmp_path):
    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load(items(street()))
    spoil(tmp_path / "city.db", "m1", "王芳", "王芳\uffff")
    with EmbeddedStore(tmp_path / "city.db") as store:
        with pytest.raises(UnwritableValue, match="党员 m1, field name: holds U\\+FFFF"):
            export_store(store, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists() and not (tmp_path / "out.xlsx.partial").exists()


_TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=12)
_NAME = st.one_of(_TEXT, st.tuples(st.sampled_from(["=", "+", "-", "@", "#", "_x0041_", "'"]), _TEXT).map("".join)).filter(
    lambda t: t == t.strip())
_EXTRA_KEY = st.sampled_from(["type", "source", "target", "id", "备注", "note"])
_EXTRA_VALUE = st.one_of(_NAME, st.integers(-10**6, 10**6), st.booleans(), st.lists(_NAME, max_size=3))


@st.composite
def networks(draw) -> dict:
    """A street with households and members of generated names, addresses, flags and extra properties."""
    nodes = [{"id": "s1", "kind": "Area", "name": draw(_NAME), "level": "street"}]
    edges = []
    for i in range(draw(st.integers(1, 4))):
        household = {"id": f"h{i}", "kind": "Household", "address": draw(_NAME)}
        household.update(draw(st.dictionaries(_EXTRA_KEY.filter(lambda k: k != "id"), _EXTRA_VALUE, max_size=3)))
        if draw(st.booleans()):
            household["flags"] = draw(st.lists(st.sampled_from(["elderly_alone", "disabled", "low_income"]), max_size=2))
        nodes.append(household)
        edges.append({"type": "LOCATED_IN", "source": f"h{i}", "target": "s1"})
        member = {"id": f"m{i}", "kind": "Member", "name": draw(_NAME)}
        nodes.append(member)
        contact = {"type": "CONTACTS", "source": f"m{i}", "target": f"h{i}"}
        contact.update(draw(st.dictionaries(st.sampled_from(["kind", "id", "备注"]), _EXTRA_VALUE, max_size=2)))
        edges.append(contact)
    return {"nodes": nodes, "edges": edges}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=networks())
def test_generated_networks_round_trip_through_a_workbook(tmp_path_factory, doc):
    folder = tmp_path_factory.mktemp("round")
    with EmbeddedStore(folder / "1.db") as one, EmbeddedStore(folder / "2.db") as two:
        one.load(items(doc))
        export_store(one, folder / "out.xlsx")
        assert_text_cells(folder / "out.xlsx", [])
        load_file(two, folder / "out.xlsx")
        assert content(two) == content(one)


# --- 4. limits -----------------------------------------------------------------------------------------------

def dimension_bomb(path: Path, rows: int) -> Path:
    """A few rows and a blank cell in row ``rows``, with a dimension that claims every column to it."""
    book_of(path, {"住户": HOUSEHOLDS})
    last = f'<row r="{rows}"><c r="A{rows}" t="inlineStr"><is><t> </t></is></c></row>'
    edit(path, sheet_part(path, "住户"), lambda xml: re.sub(
        r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:XFD{rows}"/>', xml).replace("</sheetData>", last + "</sheetData>"))
    return path


def test_a_dimension_claiming_the_whole_sheet_costs_only_the_rows_it_holds(tmp_path):
    path = dimension_bomb(tmp_path / "bomb.xlsx", 1_048_576)
    assert path.stat().st_size < 10_000
    start = time.process_time()
    records = [r for what, _, r in read_file(path) if what == "node"]
    assert time.process_time() - start < 5  # nine minutes of CPU when the claim was trusted
    assert len(records) == 3


def rows_book(path: Path, rows: int, far: int | None = None) -> Path:
    """A household sheet of ``rows`` rows; with ``far``, each row of records also has a value in that column."""
    body = [["编号", "地址", "人数"]] + [[f"h{i}", "1号楼", 1] for i in range(rows)]
    book_of(path, {"住户": body})
    if far:
        letter = excel_module._column_letter(far - 1)
        edit(path, sheet_part(path, "住户"), lambda xml: re.sub(
            r'(<row r="(\d+)"[^>]*>.*?)</row>',
            lambda m: m.group(1) + (f'<c r="{letter}{m.group(2)}"><v>1</v></c>' if m.group(2) != "1" else "") + "</row>",
            xml))
    return path


LIMITS = [  # (limits, where, what is said), for a sheet of 400 rows with a value in column 102 of each
    (Limits(rows=20), "sheet 住户", "more than 20 rows; the limit (rows) is 20"),
    (Limits(columns=100), "sheet 住户, row 2", "a value in column CX (102); the limit (columns) is 100"),
    (Limits(seconds=0), "sheet 住户, row 1", "reading took more than 0 s; the limit (seconds) is 0"),
    (Limits(part_bytes=20_000), "sheet 住户", "bytes unzipped; the limit (part_bytes) is 20,000"),
]


@pytest.mark.parametrize("limits, where, says", LIMITS)
def test_a_workbook_past_a_limit_is_refused_naming_sheet_and_limit(loaded, tmp_path, limits, where, says):
    path = rows_book(tmp_path / "big.xlsx", 400, far=102)
    before = snapshot(loaded)
    with pytest.raises(WorkbookTooLarge) as info:
        loaded.load(read_file(path, limits=limits))
    assert info.value.where == where and info.value.limit in says
    assert str(info.value).startswith(f"{where}: too large: ") and says in str(info.value)
    assert snapshot(loaded) == before
    within = [message for _, _, message in read_file(path, limits=Limits(columns=102))]  # within: read whole
    assert within == ["column CX: a value under no header; give the column a header or clear it"] * 400


def test_the_shared_strings_are_bounded_before_they_are_read(tmp_path):
    path = tmp_path / "strings.xlsx"
    book_of(path, {"住户": HOUSEHOLDS})
    strings = "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">" + "<si><t>x</t></si>" * 2000 + "</sst>"
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", strings)
    with pytest.raises(WorkbookTooLarge, match="the workbook's part xl/sharedStrings.xml: too large: 34,"):
        list(read_file(path, limits=Limits(part_bytes=20_000)))


def test_the_command_line_names_the_sheet_and_limit_and_exits_2(tmp_path):
    rows_book(tmp_path / "wide.xlsx", 3, far=201)
    done = run_cli("load", "wide.xlsx", "--db", "city.db", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("orggraph: sheet 住户, row 2: too large: a value in column GS (201); the limit "
                                   "(columns) is 200: split the workbook, or send JSON Lines")
    assert "Traceback" not in done.stderr


@pytest.fixture
def api(tmp_path):
    def make(**limits):
        store = EmbeddedStore(tmp_path / f"city-{len(limits)}.db")
        store.load(items(street()))
        token = create_token(store, "admin", ["s1"])[0]
        client = TestClient(create_app(Settings(**limits), store=store))
        client.headers["Authorization"] = f"Bearer {token}"
        client.store = store
        return client
    return make


def upload(client, path: Path, **params):
    return client.post("/import", content=path.read_bytes(), params=params, headers={"Content-Type": XLSX})


@pytest.mark.parametrize("setting, value, limit", [
    ("import_max_rows", 20, "rows"), ("import_max_columns", 100, "columns"), ("import_max_seconds", 0, "seconds"),
    ("import_max_part_bytes", 20_000, "part_bytes"),
])
def test_the_api_refuses_a_workbook_past_a_limit_with_413(api, tmp_path, setting, value, limit):
    path = rows_book(tmp_path / "big.xlsx", 400, far=102)
    with api(**{setting: value}) as client:
        before = snapshot(client.store)
        for dry_run in (False, True):
            answer = upload(client, path, dry_run=dry_run)
            assert answer.status_code == 413
            error = answer.json()["error"]
            assert error["code"] == "too_large" and error["status"] == 413
            assert error["message"].startswith("sheet 住户") and f"the limit ({limit}) is" in error["message"]
            assert error["details"] == [{"where": error["details"][0]["where"], "limit": limit, "maximum": value,
                                         "setting": f"ORGGRAPH_{setting.upper()}"}]
        assert snapshot(client.store) == before
    with api() as client:  # within the default limits it loads
        assert upload(client, path).status_code == 422  # column CX has no header


def test_the_api_reads_every_row_of_a_stale_dimension_and_refuses_a_formula(api, tmp_path):
    path = book_of(tmp_path / "stale.xlsx", {"住户": HOUSEHOLDS, "住户位置": [["住户编号", "区域编号"], ["h4", "b1"], ["h5", "b1"], ["h6", "b1"]]})
    path2 = tmp_path / "formula.xlsx"
    for part in ("住户", "住户位置"):
        edit(path, sheet_part(path, part), lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:C2"/>', xml))
    edit(path, sheet_part(path, "住户"), lambda xml: xml.replace(">h1<", ">h4<").replace(">h2<", ">h5<").replace(">h3<", ">h6<"))
    path2.write_bytes(path.read_bytes())
    edit(path2, sheet_part(path2, "住户"), lambda xml: re.sub(r'<c r="B4"[^>]*>.*?</c>', formula("B4", "A1"), xml))
    with api() as client:
        answer = upload(client, path2)
        assert answer.status_code == 422
        assert answer.json()["error"]["details"][0] == {
            "where": "sheet 住户, row 4", "field": None,
            "message": "column B 地址 (address): a formula with no saved value; save the workbook in Excel or paste values"}
        assert client.store.kinds_of(["h4", "h5", "h6"]) == {}
        answer = upload(client, path)
        assert answer.status_code == 200, answer.text
        assert answer.json()["nodes"] == {"Household": 3} and answer.json()["added_edges"] == 3
        assert client.store.node("h6")["address"] == "1号楼201室"


def test_an_upload_is_read_afresh_on_each_pass_keeping_only_what_the_scope_check_needs(api, tmp_path):
    """The records reach the scope check and then the load as they are read from the file; the scope check
    keeps only the ids of each, once for records alike."""
    from orggraph.access import _scope_keys
    from orggraph.api.routes_import import _Upload

    path = rows_book(tmp_path / "rows.xlsx", 3)
    edit(path, sheet_part(path, "住户"), lambda xml: xml.replace(">h1<", ">h0<").replace(">h2<", ">h0<"))
    records = _Upload(str(path), None)
    first = iter(records)
    assert next(first) == ("node", "sheet 住户, row 2", {"kind": "Household", "id": "h0", "address": "1号楼", "people": 1})
    assert len(list(first)) == 2 and len(list(records)) == 3  # a second pass reads the file again
    assert _scope_keys(records) == [("node", "sheet 住户, row 2", {"id": "h0", "kind": "Household"})]
    with api() as client:  # the scope check still sees every record: new households placed nowhere
        answer = upload(client, path)
        assert answer.status_code == 403
        assert [d["where"] for d in answer.json()["error"]["details"]] == ["sheet 住户, row 2"]


def test_an_old_or_protected_workbook_is_named_and_no_answer_names_a_server_path(api, tmp_path):
    """An .xls (or password-protected) file says what it is and what to do; a file that is no workbook is
    named by its name only, never by where the server keeps an upload."""
    old = tmp_path / "old.xlsx"
    old.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"name,address\n")
    [(what, where, message)] = list(read_file(old))
    assert (what, where) == ("error", "old.xlsx") and "(.xls)" in message and "save it as an Excel workbook (.xlsx)" in message
    done = run_cli("load", str(old), "--db", "c.db", cwd=tmp_path)
    assert done.returncode == 2 and "(.xls)" in done.stderr and "Traceback" not in done.stderr
    with api() as client:
        for path, says in ((old, "(.xls)"), (junk, "not an Excel workbook")):
            answer = upload(client, path)
            assert answer.status_code == 422
            [detail] = answer.json()["error"]["details"]
            assert says in detail["message"] and detail["where"] == "upload.xlsx", detail
            assert str(tmp_path) not in answer.text and "/tmp" not in answer.text


# --- 5. workbooks that print, and never over a file --------------------------------------------------------

def long_street() -> dict:
    """The hand-built street with a long address and a long name further down than the columns are measured."""
    doc = street()
    doc["nodes"].append({"id": "h9", "kind": "Household", "address": "桂花社区" + "幸福路东段" * 14 + "9号楼101室"})
    doc["nodes"].append({"id": "m9", "kind": "Member", "name": "王" * 4})
    doc["edges"].append({"type": "LOCATED_IN", "source": "h9", "target": "b1"})
    return doc


def exported(folder: Path) -> Path:
    with EmbeddedStore(folder / "city.db") as store:
        store.load(items(long_street()))
        export_store(store, folder / "street.xlsx")
    return folder / "street.xlsx"


def templated(folder: Path) -> Path:
    write_template(folder / "台账.xlsx")
    return folder / "台账.xlsx"


def widths(ws) -> dict[str, float]:
    return {letter: dim.width for letter, dim in ws.column_dimensions.items() if dim.customWidth}


@pytest.mark.parametrize("make", [exported, templated])
def test_every_sheet_prints_on_a4_landscape_one_page_wide_with_its_header_on_every_page(tmp_path, make):
    """The export (written streaming, by a write-only workbook) and the template set alike, as read back."""
    book = load_workbook(make(tmp_path))
    assert book.sheetnames == [excel_module.INSTRUCTIONS] + [s.name for s in excel_module.SHEETS]
    for ws in book.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize), setup.fitToWidth) == ("landscape", 9, 1), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.oddHeader.center.text == "&A" and ws.oddFooter.center.text == "第 &P 页 / 共 &N 页", ws.title
        if ws.title == excel_module.INSTRUCTIONS:
            assert setup.fitToHeight == 1 and ws.print_title_rows is None and ws.freeze_panes is None
            continue
        assert setup.fitToHeight == 0, ws.title  # as many pages long as the rows take
        assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2", ws.title
        assert ws.print_options.gridLines, ws.title
        headers = [c.value for c in ws[1]]
        assert all(c.font.b for c in ws[1]), ws.title
        sized = widths(ws)
        assert len(sized) == len(headers), ws.title  # every column sized
        for letter, header in zip("ABCDEFG", headers):
            assert sized[letter] >= excel_module.text_width(header) + 2, (ws.title, header)


def test_the_export_s_columns_are_as_wide_as_what_they_hold(tmp_path):
    book = load_workbook(exported(tmp_path))
    households, members, areas = book["住户"], book["党员"], book["区域"]
    assert widths(households)["B"] == 50  # the long address: the widest a column is
    assert widths(areas)["B"] == max(excel_module.text_width(c.value) for c in areas["B"]) + 2 > 13
    assert widths(members)["A"] == 6 and widths(members)["B"] == 10  # 编号 (4) and 王王王王 (8), and 2 more
    [long] = [row for row in households.iter_rows(min_row=2) if row[0].value == "h9"]
    assert long[1].alignment.wrap_text  # printed whole, on several lines
    assert not any(row[1].alignment.wrap_text for row in households.iter_rows(min_row=2) if row[0].value != "h9")
    people = [row[2] for row in households.iter_rows(min_row=2) if row[2].value is not None]
    assert people and all(c.alignment.horizontal == "center" and c.data_type == "n" for c in people)


def test_a_long_text_below_the_measured_rows_wraps(tmp_path, monkeypatch):
    """The export measures its columns on each sheet's first rows (written streaming, the widths come
    first); a wider text further down wraps in its cell, as one on several lines does."""
    monkeypatch.setattr(excel_module, "_SAMPLE", 2)
    nodes = [{"id": f"h{i}", "kind": "Household", "address": f"{i}号楼"} for i in range(4)]
    nodes += [{"id": "h7", "kind": "Household", "address": "桂花社区幸福路东段7号楼"},
              {"id": "h8", "kind": "Household", "address": "1号楼\n101室"}]
    write_workbook(nodes, [], tmp_path / "out.xlsx")
    ws = load_workbook(tmp_path / "out.xlsx")["住户"]
    assert widths(ws)["B"] == 7  # 0号楼 and 1号楼 (5), and 2 more
    wrapped = {row[0].value for row in ws.iter_rows(min_row=2) if row[1].alignment.wrap_text}
    assert wrapped == {"h7", "h8"}
    assert [r for what, _, r in read_file(tmp_path / "out.xlsx") if what == "node"] == nodes


def test_the_instructions_are_short_lines_in_one_column_within_the_page(tmp_path):
    """Every line of 填表说明 prints whole on one line of its column, which fits A4 landscape (about 148
    units within the margins): so the sheet prints on one page, not spilling across dozens."""
    import unicodedata

    lines = excel_module.guide_lines()
    assert 30 <= len(lines) <= 45
    for line in lines:
        exact = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        assert excel_module.text_width(line) == exact, line
        assert exact <= excel_module.GUIDE_LINE, line
    assert excel_module.GUIDE_LINE < excel_module.GUIDE_COLUMN <= 130
    for path in (templated(tmp_path), exported(tmp_path)):
        guide = load_workbook(path)[excel_module.INSTRUCTIONS]
        assert [c.value or "" for c in guide["A"]] == lines
        assert guide.max_column == 1 and widths(guide) == {"A": excel_module.GUIDE_COLUMN}
        assert all(c.alignment.wrap_text for c in guide["A"])
    for code, label in excel_module.VOCABULARIES[("Area", "level")].items():  # every value named, Chinese and code
        assert any(f"{label}({code})" in line for line in lines)


def test_text_width_counts_a_chinese_character_two():
    import unicodedata

    samples = "".join(excel_module.SHEETS[0].name + h for s in excel_module.SHEETS for _, h in s.columns)
    samples += "".join(map(chr, range(0x3000, 0x3100))) + "".join(map(chr, range(0x4E00, 0xA000, 97)))
    samples += "，。；：！？（）【】“”、…—·ａＡ１ ＿abc123é"
    for c in (c for c in samples if unicodedata.category(c) != "Cn"):  # assigned characters
        assert excel_module.text_width(c) == (2 if unicodedata.east_asian_width(c) in "WF" else 1), hex(ord(c))
    assert excel_module.text_width("桂花社区\n1号楼101") == 8


def test_the_template_and_the_export_write_over_no_file(tmp_path):
    from orggraph.exceptions import FileInTheWay, OrgGraphError

    register = tmp_path / "台账.xlsx"
    register.write_bytes(b"a register, filled in by hand")
    with pytest.raises(FileInTheWay) as info:
        write_template(register)
    assert isinstance(info.value, OrgGraphError) and isinstance(info.value, FileExistsError)
    assert info.value.filename == str(register) and str(register) in str(info.value) and "force" in str(info.value)
    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load(items(street()))
        for name in ("台账.xlsx", "copy.json", "copy.jsonl"):
            (tmp_path / name).write_bytes(b"kept")
            if name != "台账.xlsx":
                with pytest.raises(FileInTheWay, match=name):
                    export_store(store, tmp_path / name)
                assert (tmp_path / name).read_bytes() == b"kept"
        with pytest.raises(FileInTheWay):
            export_store(store, register)
        assert register.read_bytes() == b"kept"
        assert export_store(store, register, force=True) > 0
        with EmbeddedStore(tmp_path / "copy.db") as copy:
            load_file(copy, register)
            assert content(copy) == content(store)
    write_template(register, force=True)
    assert load_workbook(register).sheetnames[0] == excel_module.INSTRUCTIONS
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


def test_an_export_that_would_fail_leaves_the_file_there_as_it_was(tmp_path):
    from orggraph.exceptions import FileInTheWay

    with EmbeddedStore(tmp_path / "city.db") as store:
        store.load(items(street()))
    spoil(tmp_path / "city.db", "m1", "王芳", "王芳\uffff")
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"last week's export")
    with EmbeddedStore(tmp_path / "city.db") as store:
        with pytest.raises(FileInTheWay):
            export_store(store, out)
        with pytest.raises(UnwritableValue):
            export_store(store, out, force=True)
    assert out.read_bytes() == b"last week's export" and not (tmp_path / "out.xlsx.partial").exists()


def test_a_file_that_comes_while_writing_is_not_written_over(tmp_path):
    """Nothing there when the export began, a file there when it ends: that file stays, nothing is left."""
    from orggraph.exceptions import FileInTheWay
    from orggraph.io.files import writing

    out = tmp_path / "out.xlsx"
    with pytest.raises(FileInTheWay):
        with writing(out) as partial:
            partial.write_bytes(b"the export")
            out.write_bytes(b"someone else's")
    assert out.read_bytes() == b"someone else's" and [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    with writing(out, force=True) as partial:
        partial.write_bytes(b"the export")
    assert out.read_bytes() == b"the export" and [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# rendered by LibreOffice as a street office would print it

def _pdf_pages(pdf: bytes) -> tuple[list[tuple[float, float]], dict[str, int]]:
    """A PDF as LibreOffice writes it: each page's size (width, height) in order, and the first page (from
    0) of each sheet, from the bookmarks it writes, one a sheet (empty if it wrote none)."""
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}
    root = int(re.search(rb"/Type\s*/Catalog.*?/Pages\s+(\d+) 0 R", pdf, re.S)[1])
    order: list[int] = []

    def walk(number: int) -> None:
        body = objects[number]
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
        if kids and re.search(rb"/Type\s*/Pages\b", body):
            for kid in re.findall(rb"(\d+) 0 R", kids[1]):
                walk(int(kid))
        else:
            order.append(number)

    walk(root)
    sizes = []
    for number in order:
        box = [float(v) for v in re.search(rb"/MediaBox\s*\[([^\]]*)\]", objects[number])[1].split()]
        sizes.append((box[2] - box[0], box[3] - box[1]))
    firsts = {}
    for title, page in re.findall(rb"/Title\s*<FEFF([0-9A-Fa-f]*)>\s*/Dest\s*\[\s*(\d+) 0 R", pdf):
        firsts[bytes.fromhex(title.decode()).decode("utf-16-be")] = order.index(int(page))
    return sizes, firsts


def test_libreoffice_prints_the_instructions_on_at_most_two_pages_all_landscape(tmp_path):
    """The template and a small export, printed to PDF by LibreOffice: every page A4 landscape, the
    instructions one or two pages, every other sheet one page wide (here: one page each)."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the workbooks cannot be printed to PDF here")
    folder = tmp_path / "books"
    folder.mkdir()
    files = [templated(folder), exported(folder)]
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, files)],
        capture_output=True, text=True, timeout=120)
    sheets = [excel_module.INSTRUCTIONS] + [s.name for s in excel_module.SHEETS]
    for path in files:
        pdf = tmp_path / path.with_suffix(".pdf").name
        assert pdf.exists(), result.stdout + result.stderr
        sizes, firsts = _pdf_pages(pdf.read_bytes())
        assert all(round(w) == 842 and round(h) == 595 for w, h in sizes), sizes  # A4 landscape, in points
        if firsts:
            assert list(firsts) == sheets
            starts = [firsts[s] for s in sheets] + [len(sizes)]
            pages = {s: starts[i + 1] - starts[i] for i, s in enumerate(sheets)}
        else:  # no bookmarks: each of the other sheets takes a page at least, so the instructions at most
            pages = {excel_module.INSTRUCTIONS: len(sizes) - len(sheets) + 1}
        assert 1 <= pages[excel_module.INSTRUCTIONS] <= 2, pages
        if firsts:
            assert set(pages.values()) == {1}, pages  # a handful of rows, and every column on the page
