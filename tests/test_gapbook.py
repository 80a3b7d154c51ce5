"""The list of gaps a clerk works through (问题清单): its rows (orggraph.report.gap_rows), its workbook
(gaps_workbook), `orggraph gaps --xlsx` and `GET /gaps.xlsx`, on a small street worked out by hand."""

from __future__ import annotations

import io
import json

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from orggraph.access import create_token, gaps_within, scope_of
from orggraph.api import create_app
from orggraph.queries import gaps
from orggraph.report import GAP_KINDS, GAPS_SHEET, Namer, gap_rows, gaps_workbook
from orggraph.store import EmbeddedStore

from .conftest import cli, items

DAY = "2026-11-23"
FORMULA = '=HYPERLINK("http://evil.example/x","点我")'

# 桂花社区 (c1): grid g1 with buildings b1 and b2; 向阳社区 (c2) with building b9; grid g8 filed under no
# street. m1 contacts three households (overloaded at a limit of 2); m3 and m6 reported to c1 and do
# nothing; m4 reported to c2 and contacts h4 in c1; g1's branch has only a deputy (m5); c2's org has
# nobody; u2 co-builds and sent nobody; h5's contact lapsed; h6 is located nowhere.
CITY = {
    "nodes": [
        {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"},
        {"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"},
        {"id": "g1", "kind": "Area", "name": "桂花社区第1网格", "level": "grid"},
        {"id": "b1", "kind": "Area", "name": "1号楼", "level": "building"},
        {"id": "b2", "kind": "Area", "name": "2号楼", "level": "building"},
        {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"},
        {"id": "b9", "kind": "Area", "name": "向阳9号楼", "level": "building"},
        {"id": "g8", "kind": "Area", "name": "孤岛网格", "level": "grid"},
        {"id": "o-c1", "kind": "Org", "name": "桂花社区大党委", "level": "community"},
        {"id": "o-g1", "kind": "Org", "name": "第1网格党支部", "level": "grid"},
        {"id": "o-c2", "kind": "Org", "name": "向阳社区党委", "level": "community"},
        {"id": "u1", "kind": "Unit", "name": "云河市财政局"},
        {"id": "u2", "kind": "Unit", "name": "云河市图书馆"},
        {"id": "m1", "kind": "Member", "name": "王芳", "phone": "13800001111"},
        {"id": "m2", "kind": "Member", "name": "李强", "phone": "0716-7654321"},
        {"id": "m3", "kind": "Member", "name": "赵敏", "phone": "13700003333"},
        {"id": "m4", "kind": "Member", "name": "陈静", "phone": "13600004444"},
        {"id": "m5", "kind": "Member", "name": "刘洋"},
        {"id": "m6", "kind": "Member", "name": FORMULA},
        {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "phone": "13900002222"},
        {"id": "h2", "kind": "Household", "address": "桂花社区1号楼1单元102室"},
        {"id": "h3", "kind": "Household", "address": "桂花社区2号楼1单元101室"},
        {"id": "h4", "kind": "Household", "address": "桂花社区1号楼2单元201室"},
        {"id": "h5", "kind": "Household", "address": "桂花社区2号楼2单元202室", "phone": "13900005555"},
        {"id": "h6", "kind": "Household", "address": "桂花社区3号楼1单元301室"},
        {"id": "h8", "kind": "Household", "address": "孤岛网格5号楼101室"},
        {"id": "h9", "kind": "Household", "address": "向阳社区9号楼101室", "phone": "13600009999",
         "flags": ["elderly_alone"]},
    ],
    "edges": [
        *({"type": "WITHIN", "source": a, "target": b}
          for a, b in (("c1", "s1"), ("g1", "c1"), ("b1", "g1"), ("b2", "g1"), ("c2", "s1"), ("b9", "c2"))),
        {"type": "GOVERNS", "source": "o-c1", "target": "c1"},
        {"type": "GOVERNS", "source": "o-g1", "target": "g1"},
        {"type": "GOVERNS", "source": "o-c2", "target": "c2"},
        {"type": "HOLDS_POST", "source": "m2", "target": "o-c1", "post": "secretary"},
        {"type": "HOLDS_POST", "source": "m5", "target": "o-g1", "post": "deputy_secretary"},
        {"type": "ASSIGNED_TO", "source": "m2", "target": "b1", "role": "building_leader"},
        *({"type": "LOCATED_IN", "source": h, "target": a}
          for h, a in (("h1", "b1"), ("h2", "b1"), ("h3", "b2"), ("h4", "b1"), ("h5", "b2"), ("h8", "g8"), ("h9", "b9"))),
        *({"type": "SUNK_TO", "source": m, "target": o} for m, o in (("m1", "o-c1"), ("m3", "o-c1"), ("m4", "o-c2"), ("m6", "o-c1"))),
        {"type": "EMPLOYED_BY", "source": "m1", "target": "u1"},
        {"type": "CO_BUILDS", "source": "u1", "target": "o-c1", "kind": "co_building"},
        {"type": "CO_BUILDS", "source": "u2", "target": "o-c1", "kind": "pairing"},
        *({"type": "CONTACTS", "source": "m1", "target": h} for h in ("h1", "h2", "h3")),
        {"type": "CONTACTS", "source": "m1", "target": "h5", "since": "2024-01-01", "until": "2025-12-31"},
        {"type": "CONTACTS", "source": "m4", "target": "h4"},
    ],
}

G1 = "桂花社区 / 第1网格"  # where b1, b2 and g1's branch lie: community, then grid (its name without the community's)


def row(record, kind, name, detail, related=(), area=None, **personal):
    """A row as gap_rows gives it: ``area`` only where known, address and phone as given."""
    return {"record": record, "kind": kind, "name": name, **({"area": area} if area else {}), **personal,
            "detail": detail, "related": list(related)}


#: the rows worked out by hand from CITY as of DAY with a limit of 2 households, masked
EXPECTED = {
    "uncovered_households": [
        row("h5", "Household", None, "无在岗包保联系人；包保关系已到期", area=G1, address="桂花社区2号楼****",
            phone="139****5555"),
        row("h6", "Household", None, "无在岗包保联系人", address="桂花社区3号楼****", phone=None),
        row("h8", "Household", None, "无在岗包保联系人", area="孤岛网格", address="孤岛网格5号楼****", phone=None),
        row("h9", "Household", None, "无在岗包保联系人；重点人群：独居老人", area="向阳社区", address="向阳社区9号楼****",
            phone="136****9999"),
    ],
    "overloaded_members": [row("m1", "Member", "王芳", "包保 3 户（上限 2 户）", area="桂花社区", phone="138****1111")],
    "idle_sunk_members": [
        row("m3", "Member", "赵敏", "已下沉至桂花社区大党委，未包保住户、未分配区域", ["o-c1"], area="桂花社区",
            phone="137****3333"),
        row("m6", "Member", FORMULA, "已下沉至桂花社区大党委，未包保住户、未分配区域", ["o-c1"], area="桂花社区",
            phone=None),
    ],
    "vacant_posts": [  # by area or org id: every area holding households with no org, then the orgs
        row("b1", "Area", "1号楼", "无管辖组织", area=G1),
        row("b2", "Area", "2号楼", "无管辖组织", area=G1),
        row("b9", "Area", "向阳9号楼", "无管辖组织", area="向阳社区"),
        row("g8", "Area", "孤岛网格", "无管辖组织"),
        row("o-c2", "Org", "向阳社区党委", "无在岗负责人", area="向阳社区"),
        row("o-g1", "Org", "第1网格党支部", "书记空缺，刘洋 (m5) 代理", ["m5"], area=G1),
        row("s1", "Area", "江滨街道", "无管辖组织"),
    ],
    "idle_units": [row("u2", "Unit", "云河市图书馆", "与桂花社区大党委共建，未派党员下沉报到", ["o-c1"], area="桂花社区")],
    # h5 in b2 has nobody but m5, g1's deputy: no contact, nobody assigned to b2
    "critical_members": [row("m5", "Member", "刘洋", "缺位时 1 户在本楼栋、网格内无人负责", area=G1, phone=None)],
    "unassigned_areas": [
        row("b2", "Area", "2号楼", "住户 2 户，未指派楼栋长", area=G1),
        row("b9", "Area", "向阳9号楼", "住户 1 户，未指派楼栋长", area="向阳社区"),
        row("g8", "Area", "孤岛网格", "住户 1 户，未指派网格员"),
    ],
    "territory_shape": [row("g8", "Area", "孤岛网格", "不在任何街道（乡镇）之内，涉及住户 1 户")],
    "cross_boundary_contacts": [
        row("h4", "Household", None, "包保人 陈静 (m4) 下沉至向阳社区党委，此户不在其管辖区域内", ["m4", "o-c2"], area=G1,
            address="桂花社区1号楼****", phone=None),
    ],
    "lapsed_households": [row("h5", "Household", None, "包保关系均已到期，没有在期联系人", area=G1,
                              address="桂花社区2号楼****", phone="139****5555")],
    "unlocated_households": [row("h6", "Household", None, "未登记所在楼栋（区域）", address="桂花社区3号楼****", phone=None)],
}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gapbook")
    with EmbeddedStore(folder / "city.db") as store:
        store.load(items(CITY))
        store.folder = folder
        yield store


@pytest.fixture(scope="module")
def report(city):
    return gaps(city, as_of=DAY, max_households=2)


def test_each_kind_s_rows_are_worked_out_by_hand(city, report):
    rows = gap_rows(report, Namer.of(city))
    assert list(rows) == list(GAP_KINDS)
    for key in GAP_KINDS:
        assert rows[key] == EXPECTED[key], key


def test_unmasked_rows_show_phones_and_addresses_and_name_the_records_shown(city, report):
    masked = Namer.of(city)
    gap_rows(report, masked)
    assert masked.shown == set()
    namer = Namer.of(city, unmask=True)
    rows = gap_rows(report, namer)
    h5 = rows["uncovered_households"][0]
    assert (h5["address"], h5["phone"]) == ("桂花社区2号楼2单元202室", "13900005555")
    assert rows["overloaded_members"][0]["phone"] == "13800001111"
    # every household listed (an address), and the members with a phone
    assert namer.shown == {"h4", "h5", "h6", "h8", "h9", "m1", "m3"}
    # the rows but for what is personal are the masked ones
    for key in GAP_KINDS:
        plain = [{k: v for k, v in r.items() if k not in ("address", "phone")} for r in rows[key]]
        assert plain == [{k: v for k, v in r.items() if k not in ("address", "phone")} for r in EXPECTED[key]]


def test_rows_keep_to_a_scope_and_name_nothing_outside_it(city, report):
    scope = scope_of(city, ["c1"])
    rows = gap_rows(gaps_within(report, scope), Namer.of(city), within=scope.sees)
    assert [r["record"] for r in rows["uncovered_households"]] == ["h5"]
    assert [r["record"] for r in rows["vacant_posts"]] == ["b1", "b2", "o-g1"]
    assert rows["territory_shape"] == [] and rows["unlocated_households"] == []
    # m4 contacts c1's h4 from c2's org: the org it sunk to is not the c1 token's to read, so not named
    assert rows["cross_boundary_contacts"] == [
        row("h4", "Household", None, "包保人 陈静 (m4) 包保此户，此户不在其下沉组织管辖区域内", ["m4"], area=G1,
            address="桂花社区1号楼****", phone=None)]
    text = json.dumps(rows, ensure_ascii=False)
    for outside in ("c2", "b9", "h9", "o-c2", "g8", "向阳"):
        assert outside not in text, outside
    # a predicate alone (no cut answer) leaves out the rows of records it refuses, and names none of them
    rows = gap_rows(report, Namer.of(city), within=lambda i: i not in {"o-c1", "c1"})
    assert rows["idle_sunk_members"][0]["detail"] == "已下沉报到，未包保住户、未分配区域"
    assert "area" not in rows["overloaded_members"][0] and rows["unassigned_areas"][0]["area"] == "桂花社区第1网格"
    assert "o-c1" not in json.dumps(rows) and "桂花社区 /" not in json.dumps(rows, ensure_ascii=False)


def test_a_namer_with_no_store_still_names_nothing_it_cannot_read(report):
    rows = gap_rows(report, Namer(None))
    assert rows["overloaded_members"] == [row("m1", "Member", None, "包保 3 户（上限 2 户）", phone=None)]
    assert rows["idle_units"][0]["detail"] == "签订共建，未派党员下沉报到"


def test_ten_thousand_rows_are_read_in_bulk(tmp_path):
    """The records named once, together (Store.nodes_of), never one read a row: their time is bench's to
    measure (bench/workbench.py), the way they are read is this test's."""
    nodes = [{"id": "c1", "kind": "Area", "name": "桂花社区", "level": "community"}]
    nodes += [{"id": f"b{i}", "kind": "Area", "name": f"{i}号楼", "level": "building"} for i in range(100)]
    nodes += [{"id": f"h{i:05d}", "kind": "Household", "address": f"桂花社区{i % 100}号楼{i}室", "phone": f"139{i:08d}"}
              for i in range(10_000)]
    edges = [{"type": "WITHIN", "source": f"b{i}", "target": "c1"} for i in range(100)]
    edges += [{"type": "LOCATED_IN", "source": f"h{i:05d}", "target": f"b{i % 100}"} for i in range(10_000)]
    with EmbeddedStore(tmp_path / "big.db") as store:
        store.load(items({"nodes": nodes, "edges": edges}))
        answer = gaps(store, as_of=DAY)
        one, bulk = [], []
        store.node = lambda node_id, read=store.node: one.append(node_id) or read(node_id)
        store.nodes_of = lambda ids, read=store.nodes_of: (lambda got: bulk.append(len(got)) or read(got))(list(ids))
        rows = gap_rows(answer, Namer.of(store))
    assert len(rows["uncovered_households"]) == 10_000 and rows["uncovered_households"][7]["area"] == "桂花社区"
    assert len(one) <= 5 and len(bulk) <= 5 and sum(bulk) >= 10_000, (len(one), bulk)


# -- the workbook ------------------------------------------------------------------------------------


def _cells(book):
    return [cell for ws in book.worksheets for line in ws.iter_rows() for cell in line if cell.value is not None]


def test_the_workbook_has_a_summary_and_a_sheet_for_each_kind_with_rows(city, report, tmp_path):
    path = tmp_path / "gaps.xlsx"
    gaps_workbook({**report, "unavailable": []}, Namer.of(city), path)
    book = load_workbook(path)
    titles = {key: GAP_KINDS[key].replace("/", "、") for key in GAP_KINDS}
    assert book.sheetnames == [GAPS_SHEET] + [titles[k] for k in GAP_KINDS if EXPECTED[k]]
    summary = book[GAPS_SHEET]
    assert summary["A1"].value == "问题清单" and summary["A2"].value.startswith(f"截至 {DAY} · 超负荷：包保超过 2 户")
    assert [c.value for c in summary[3]] == ["序号", "问题类别", "数量", "说明"]
    counted = {summary.cell(r, 2).value: summary.cell(r, 3).value for r in range(4, 4 + len(GAP_KINDS))}
    assert counted == {GAP_KINDS[k]: len(EXPECTED[k]) for k in GAP_KINDS}
    assert summary["B4"].hyperlink.location == "'未覆盖住户'!A1"  # a link, not a formula
    ws = book["跨区包保"]
    assert ws["A1"].value == "跨区包保（1 项）"
    assert [c.value for c in ws[3]] == ["序号", "名称", "编号", "所在区域", "地址", "电话", "情况"]
    assert [c.value for c in ws[4]] == [1, None, "h4", G1, "桂花社区1号楼****", None,
                                        "包保人 陈静 (m4) 下沉至向阳社区党委，此户不在其管辖区域内"]
    ws = book["无楼栋长、网格员"]
    assert [ws.cell(r, 3).value for r in range(4, ws.max_row + 1)] == ["b2", "b9", "g8"]
    # set up to print and to read on screen
    for ws in book.worksheets:
        assert ws.print_title_rows == "$3:$3" and ws.freeze_panes in ("A4", "C4"), ws.title
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
        assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页" and ws.sheet_properties.pageSetUpPr.fitToPage
        for r in range(4, ws.max_row + 1):  # every row as tall as a line at least, every cell wrapped
            assert ws.row_dimensions[r].height >= 18 and ws.cell(r, 2).alignment.wrap_text


def test_no_cell_is_a_formula_whatever_a_name_begins_with(city, report, tmp_path):
    path = tmp_path / "gaps.xlsx"
    odd = {**report, "unavailable": ["m6"]}  # named on the summary sheet, too
    gaps_workbook(odd, Namer.of(city), path)
    book = load_workbook(path)
    ws = book["下沉未履职党员"]
    assert (ws["B5"].value, ws["B5"].data_type) == (FORMULA, "s")
    assert FORMULA in book[GAPS_SHEET]["A2"].value
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@")


def test_the_workbook_is_masked_unless_the_namer_unmasks(city, report, tmp_path):
    masked, unmasked = tmp_path / "masked.xlsx", tmp_path / "unmasked.xlsx"
    gaps_workbook(report, Namer.of(city), masked)
    namer = Namer.of(city, unmask=True)
    gaps_workbook(report, namer, unmasked)
    text = lambda p: " ".join(str(c.value) for c in _cells(load_workbook(p)))  # noqa: E731
    phones = [n["phone"] for n in CITY["nodes"] if n.get("phone")]
    assert not [p for p in phones if p in text(masked)]
    assert "13900005555" in text(unmasked) and "桂花社区2号楼2单元202室" in text(unmasked)
    assert "h5" in namer.shown


# -- the command line -------------------------------------------------------------------------------


def test_the_command_writes_the_workbook_refuses_a_file_there_and_audits_unmasked(city, tmp_path):
    db = str(city.folder / "city.db")
    target = tmp_path / "问题清单.xlsx"
    done = cli("gaps", "--db", db, "--as-of", DAY, "--max-households", "2", "--limit", "0", "--xlsx", str(target),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"wrote the list of gaps to {target}")
    book = load_workbook(target)
    assert book["超负荷党员"]["F4"].value == "138****1111"
    before = target.read_bytes()
    refused = cli("gaps", "--db", db, "--xlsx", str(target), cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr and target.read_bytes() == before
    seen = len(city.audit_rows(limit=1000))
    forced = cli("gaps", "--db", db, "--as-of", DAY, "--max-households", "2", "--xlsx", str(target), "--force",
                 "--unmask", "--json", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["uncovered_households"] == ["h5", "h6", "h8", "h9"]
    assert load_workbook(target)["超负荷党员"]["F4"].value == "13800001111"
    audit = city.audit_rows(after=seen, limit=1000)
    assert [row["route"] for row in audit] == ["orggraph gaps --unmask"]
    assert {"h5", "m1"} <= set(audit[0]["records"])
    wrong = cli("gaps", "--db", db, "--xlsx", str(tmp_path / "gaps.csv"), cwd=tmp_path)
    assert wrong.returncode == 2 and "name it .xlsx" in wrong.stderr
    assert not list(tmp_path.glob("*.partial"))


# -- the API ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(city):
    tokens = {"viewer": create_token(city, "viewer", ["c1"])[0], "pii": create_token(city, "viewer", ["c1"], pii=True)[0],
              "street": create_token(city, "viewer", ["s1"])[0]}
    with TestClient(create_app(store=city)) as c:
        c.tokens = tokens
        yield c


def _book(client, who, **params):
    answer = client.get("/gaps.xlsx", params={"as_of": DAY, "max_households": 2, **params},
                        headers={"Authorization": f"Bearer {client.tokens[who]}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f'filename="gaps-{DAY}.xlsx"' in answer.headers["content-disposition"]
    return load_workbook(io.BytesIO(answer.content))


def test_the_api_answers_the_workbook_cut_to_the_scope_and_masked_without_pii(city, client):
    seen = len(city.audit_rows(limit=1000))
    book = _book(client, "viewer")
    assert book["超负荷党员"]["F4"].value == "138****1111"
    text = " ".join(str(c.value) for c in _cells(book))
    for outside in ("h9", "b9", "o-c2", "向阳", "g8"):
        assert outside not in text, outside
    assert len(city.audit_rows(after=seen, limit=1000)) == 0  # nothing shown unmasked, nothing audited
    book = _book(client, "pii")
    assert book["超负荷党员"]["F4"].value == "13800001111"
    audit = city.audit_rows(after=seen, limit=1000)
    assert [row["route"] for row in audit] == ["GET /gaps.xlsx"] and "h5" in audit[0]["records"]
    street = _book(client, "street")
    assert "h9" in " ".join(str(c.value) for c in _cells(street))
    # the same questions as GET /gaps: the what-if and the limits
    assert _book(client, "viewer", unavailable="m1", max_households=0)["超负荷党员"] is not None
    refused = client.get("/gaps.xlsx", params={"unavailable": "m9"},
                         headers={"Authorization": f"Bearer {client.tokens['viewer']}"})
    assert refused.status_code == 404
