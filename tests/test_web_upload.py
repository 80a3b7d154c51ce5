"""The workbench's 导入 page over HTTP, on every backend: a dry run shown, then the same file imported once;
every problem by sheet, row and column; the token's scope; the upload bound to the session that sent it."""

from __future__ import annotations

import html
import json
import os
import re
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from orggraph.access import create_token
from orggraph.api import create_app
from orggraph.api.settings import Settings
from orggraph.exceptions import NotFound

from .conftest import BACKENDS, backend_store, items
from .test_api import two_communities
from .test_web import csrf

JSON = "application/json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# the pages over the store file and a graph server (FalkorDB); the library's incidents and imports they
# stand on run on Neo4j too (tests/test_incidents.py, tests/test_api.py), and the pages' own way to a
# graph server is one, which tests/test_web.py takes on Neo4j (sessions, coverage, records, problems)
@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "neo4j"])
def web(request, tmp_path_factory):
    """A client over each backend with the street of two communities, uploads kept in a folder of the
    test's, and tokens: ``editor`` (the street), ``editor-c1`` (community c1), ``viewer`` (c1)."""
    folder = tmp_path_factory.mktemp("web-upload")
    with backend_store(request, request.param, folder) as store:
        store.load(items(two_communities()))
        tokens = {"editor": create_token(store, "editor", ["s1"])[0],
                  "editor-c1": create_token(store, "editor", ["c1"])[0],
                  "viewer": create_token(store, "viewer", ["c1"])[0]}
        settings = Settings(upload_dir=str(folder / "uploads"))
        with TestClient(create_app(settings=settings, store=store), follow_redirects=False) as client:
            client.tokens, client.store, client.uploads = tokens, store, Path(settings.upload_dir)
            yield client


def sign_in(web, who: str, app=None) -> TestClient:
    client = TestClient(app or web.app, follow_redirects=False)
    answer = client.post("/login", data={"token": web.tokens[who], "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def send(client, name: str, body: bytes, media: str = JSON, mapping: str = "", token: str | None = None):
    """The form of /upload sent as a browser sends it (multipart, with the page's CSRF token)."""
    token = token if token is not None else csrf(client.get("/upload").text)
    return client.post("/upload", files={"file": (name, body, media)}, data={"csrf": token, "mapping": mapping})


def confirm_id(page: str) -> str:
    return re.search(r'<form method="post" action="/upload/([A-Za-z0-9_-]+)" class="confirm">', page).group(1)


def counts_of(page: str) -> dict[str, int]:
    """The dry run's table: kind or type (its code) -> records."""
    table = page.split('<table class="counts">')[1].split("</table>")[0]
    return {code: int(n.replace(",", "")) for code, n in re.findall(r"<small>(\w+)</small></td><td class=\"num\">([\d,]+)</td>", table)}


def problems_of(page: str) -> list[tuple[str, str, str, str]]:
    """Every problem listed: (sheet or "", row or record, column or field, message)."""
    found = []
    for head, table in re.findall(r"<h3>(.*?)</h3>\s*<table class=\"problems\">(.*?)</table>", page, re.S):
        sheet = re.search(r"工作表「(.*?)」", head)
        for row in re.findall(r"<tr><td class=\"\w+\">(.*?)</td><td class=\"col\">(.*?)</td><td class=\"msg\">(.*?)</td></tr>", table, re.S):
            found.append((html.unescape(sheet.group(1)) if sheet else "", *map(html.unescape, row)))
    return found


def has(store, node: str) -> bool:
    try:
        store.node(node)
    except NotFound:
        return False
    return True


def kept(web) -> list[Path]:
    return sorted(web.uploads.iterdir()) if web.uploads.exists() else []


NEW = {"nodes": [{"id": "h4", "kind": "Household", "address": "桂花社区1号楼2单元301室", "people": 2, "phone": "13800004444"},
                 {"id": "m4", "kind": "Member", "name": "周杰", "phone": "13700004444"}],
       "edges": [{"type": "LOCATED_IN", "source": "h4", "target": "b1"},
                 {"type": "CONTACTS", "source": "m4", "target": "h4", "since": "2025-01-01"},
                 {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-01-01"}]}


def test_a_clean_upload_is_checked_then_imported_once(web):
    client = sign_in(web, "editor")
    form = client.get("/upload")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text and 'name="csrf"' in form.text
    before = web.store.revision
    checked = send(client, "新住户.json", json.dumps(NEW, ensure_ascii=False).encode())
    assert checked.status_code == 200, checked.text
    # by hand: 2 nodes (a household, a member), 3 edges (its place, its contact, m1 now contacting h3 too)
    assert counts_of(checked.text) == {"Household": 1, "Member": 1, "CONTACTS": 2, "LOCATED_IN": 1}
    assert "检查通过：5 条记录全部有效" in checked.text and "新住户.json" in checked.text
    assert web.store.revision == before and not has(web.store, "h4")  # a dry run: nothing written
    upload = confirm_id(checked.text)
    (place,) = kept(web)  # one folder, the server's user's alone, named by no id the page shows
    assert upload not in place.name and stat.S_IMODE(place.stat().st_mode) == 0o700
    assert stat.S_IMODE(web.uploads.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in place.iterdir())

    done = client.post(f"/upload/{upload}", data={"csrf": csrf(checked.text)})
    assert done.status_code == 200, done.text
    assert "已导入：新增 2 条记录、3 条关系，修改 0 条，0 条与库中已有的相同" in done.text
    assert f"数据版本 {web.store.revision}" in done.text and web.store.revision > before
    assert web.store.node("h4")["people"] == 2 and web.store.node("m4")["name"] == "周杰"
    assert sorted((e["source"], e["target"]) for e in web.store.edges("CONTACTS") if "2025-01-01" == e.get("since")) == [
        ("m1", "h3"), ("m4", "h4")]
    assert kept(web) == []  # removed once confirmed
    revision = web.store.revision
    again = client.post(f"/upload/{upload}", data={"csrf": csrf(checked.text)})
    assert again.status_code == 404 and "找不到这次上传" in again.text
    assert web.store.revision == revision  # nothing written twice


def test_a_workbook_with_problems_in_two_sheets_lists_every_one_and_writes_nothing(web, tmp_path):
    book = Workbook()
    households = book.active
    households.title = "住户"
    households.append(["编号", "地址", "人数", "电话", "标记"])
    households.append(["h20", "桂花社区1号楼501室", 0, "1380000", None])
    households.append(["h21", "桂花社区1号楼502室", 2, None, "13912345678"])
    places = book.create_sheet("住户位置")
    places.append(["住户编号", "区域编号", "开始日期", "结束日期"])
    places.append(["h20", "b1", "2024-02-30", None])
    places.append(["h21", "b1", None, None])
    book.save(tmp_path / "台账.xlsx")
    client = sign_in(web, "editor")
    before = web.store.counts(), web.store.revision
    page = send(client, "台账.xlsx", (tmp_path / "台账.xlsx").read_bytes(), XLSX)
    assert page.status_code == 422 and "发现 4 处问题：整份文件未写入" in page.text
    assert problems_of(page.text) == [
        ("住户", "2", "C 人数 (people)", "must be at least 1, got 0"),
        ("住户", "2", "D 电话 (phone)", "11 digits needed for a mobile, got 7"),
        ("住户", "3", "E 标记 (flags)", "unknown value '139****5678'; allowed: 独居老人 (elderly_alone)、高龄老人 (elderly)、"
                                         "残疾人 (disabled)、低保户 (low_income)、留守儿童 (left_behind_child)、慢性病患者 "
                                         "(chronic_illness)、孕产妇 (pregnant)、失能卧床 (bedridden)"),
        ("住户位置", "2", "C 开始日期 (since)", "2024-02-30 is not a day of the calendar: February 2024 has 29 days")]
    assert "13912345678" not in page.text  # masked as the API's errors are
    assert 'action="/upload/' not in page.text and "确认导入" not in page.text
    assert (web.store.counts(), web.store.revision) == before and kept(web) == []


def test_an_upload_reaching_another_community_is_refused_whole(web):
    outside = {"nodes": [{"id": "h5", "kind": "Household"}, {"id": "h6", "kind": "Household"}],
               "edges": [{"type": "LOCATED_IN", "source": "h5", "target": "b1"},
                         {"type": "LOCATED_IN", "source": "h6", "target": "b9"}]}
    client = sign_in(web, "editor-c1")
    before = web.store.counts(), web.store.revision
    page = send(client, "outside.json", json.dumps(outside).encode())
    assert page.status_code == 403 and "有 2 条记录超出您的管辖范围：整份文件被拒绝" in page.text
    assert problems_of(page.text) == [
        ("", "nodes[1]", "id", "'h6' would lie outside the token's areas (a new Household needs a LOCATED_IN edge to "
                               "a record the token may change)"),
        ("", "edges[1]", "target", "no node with id 'b9' in this change or among the records the token may read")]
    assert "确认导入" not in page.text
    changing = send(client, "h9.jsonl", b'{"node": {"id": "h9", "kind": "Household", "people": 9}}\n', "application/x-ndjson")
    assert changing.status_code == 403 and "1 条记录超出" in changing.text  # another community's household
    assert (web.store.counts(), web.store.revision) == before and kept(web) == []


def test_a_viewer_can_neither_see_nor_send_the_form(web):
    client = sign_in(web, "viewer")
    assert 'href="/upload"' not in client.get("/").text
    page = client.get("/upload")
    assert page.status_code == 403 and "导入需要编辑或管理员令牌" in page.text
    refused = send(client, "new.json", json.dumps(NEW).encode(), token=csrf(client.get("/").text))
    assert refused.status_code == 403 and kept(web) == []
    assert 'href="/upload"' in sign_in(web, "editor").get("/").text


def test_an_upload_is_confirmed_only_by_the_session_that_sent_it_and_with_its_csrf_token(web):
    doc = {"nodes": [{"id": "h7", "kind": "Household", "people": 1}], "edges": [{"type": "LOCATED_IN", "source": "h7", "target": "b1"}]}
    client, other = sign_in(web, "editor"), sign_in(web, "editor")  # one token signed in twice
    nothing = client.post("/upload", files={"file": ("h7.json", json.dumps(doc).encode(), JSON)})
    assert nothing.status_code == 403 and kept(web) == []  # no CSRF token: not even kept
    checked = send(client, "h7.json", json.dumps(doc).encode())
    upload, revision = confirm_id(checked.text), web.store.revision
    token = csrf(other.get("/upload").text)
    for path in (f"/upload/{upload}", "/upload/" + "A" * 32, "/upload/short"):
        answer = other.post(path, data={"csrf": token})
        assert answer.status_code == 404 and "找不到这次上传" in answer.text, path
    assert client.post(f"/upload/{upload}").status_code == 403  # its own session, but no CSRF token
    assert client.post(f"/upload/{upload}", data={"csrf": token}).status_code == 403  # another session's
    assert web.store.revision == revision and not has(web.store, "h7")
    done = client.post(f"/upload/{upload}", data={"csrf": csrf(checked.text)})  # still there for its own
    assert done.status_code == 200 and web.store.node("h7")["people"] == 1


def test_an_upload_past_the_hour_is_gone(web):
    doc = {"nodes": [{"id": "h8", "kind": "Household"}], "edges": [{"type": "LOCATED_IN", "source": "h8", "target": "b1"}]}
    client = sign_in(web, "editor")
    checked = send(client, "h8.json", json.dumps(doc).encode())
    (place,) = kept(web)
    os.utime(place, (0, 0))  # sent long ago
    send(client, "h8.json", b"{not json")  # the next upload clears what waited more than an hour
    assert kept(web) == []
    answer = client.post(f"/upload/{confirm_id(checked.text)}", data={"csrf": csrf(checked.text)})
    assert answer.status_code == 404 and not has(web.store, "h8")


def test_files_and_mappings_the_page_cannot_read_answer_the_form_again(web):
    client = sign_in(web, "editor")
    token = csrf(client.get("/upload").text)
    assert "只能上传" in client.post("/upload", files={"file": ("a.csv", b"id\n", "text/csv")}, data={"csrf": token}).text
    assert "请选择要上传的文件" in client.post("/upload", data={"csrf": token}).text
    assert "映射只用于读取 Excel 台账" in send(client, "a.json", b"{}", mapping="sheet = 'x'").text
    bad = send(client, "a.xlsx", b"", XLSX, mapping="[columns]\n'户主' = 'boss'")
    assert bad.status_code == 422 and "映射有误" in bad.text and "户主" in bad.text  # the form again, the mapping kept
    broken = send(client, "a.json", b"{not json")
    assert broken.status_code == 422 and problems_of(broken.text)[0][1] == "upload.json"  # named, not the server's path
    assert kept(web) == []


def test_a_register_shows_what_it_implies_and_every_row_read_past(web, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["时间：2025年1月1日"])
    sheet.append(["街道", "社区", "网格", "楼栋", "户主姓名", "房号", "分包人"])
    sheet.append(["江滨", "桂花", "1", "1", "孙七", "601", "王芳"])
    sheet.append(["填表人：李四 13800001234"])
    book.save(tmp_path / "居民台账.xlsx")
    client = sign_in(web, "editor")
    page = send(client, "居民台账.xlsx", (tmp_path / "居民台账.xlsx").read_bytes(), XLSX)
    assert page.status_code == 200, page.text
    assert "台账「Sheet」" in page.text and "第 2 行，日期 2025-01-01" in page.text
    assert re.search(r"<dt>住户</dt><dd>1（新 1）</dd>", page.text) and re.search(r"<dt>党员</dt><dd>1（新 0）</dd>", page.text)
    assert "跳过的行" in page.text and "row 4: a footnote, not a household; read past" in page.text
    client.post(f"/upload/{confirm_id(page.text)}", data={"csrf": csrf(page.text)})  # leaves the folder empty
    assert kept(web) == []


def test_sizes_past_the_limits_are_refused_in_chinese_naming_the_limit(web, tmp_path):
    settings = Settings(upload_dir=str(web.uploads), import_max_rows=1, max_body_bytes=20_000)
    small = create_app(settings=settings, store=web.store)
    with TestClient(small, follow_redirects=False):
        client = sign_in(web, "editor", small)
        form = client.get("/upload").text
        assert "文件不超过 19.5 KB" in form and 'data-max-bytes="20000"' in form
        book = Workbook()
        book.active.title = "住户"
        book.active.append(["编号", "人数"])
        book.active.append(["h30", 1])
        book.active.append(["h31", 1])
        book.save(tmp_path / "two.xlsx")
        two = send(client, "two.xlsx", (tmp_path / "two.xlsx").read_bytes(), XLSX, token=csrf(form))
        assert two.status_code == 413 and "工作表「住户」" in two.text and "记录超过 1 行" in two.text
        assert "ORGGRAPH_IMPORT_MAX_ROWS" in two.text and "未写入任何内容" in two.text
        big = send(client, "big.json", b" " * 25_000, token=csrf(form))
        assert big.status_code == 413 and "上传的内容太大：不能超过 19.5 KB" in big.text and "ORGGRAPH_MAX_BODY_BYTES" in big.text
        assert big.headers["content-type"].startswith("text/html")
        api = client.post("/import", content=b" " * 25_000, headers={"Content-Type": JSON})  # the API's own, as before
        assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
    assert kept(web) == []


def test_past_a_hundred_problems_the_page_says_how_many_there_are(web):
    # 150 households of 0 people, and the 150 edges that place them (on records refused): 300 problems
    doc = {"nodes": [{"id": f"hz{i}", "kind": "Household", "people": 0} for i in range(150)],
           "edges": [{"type": "LOCATED_IN", "source": f"hz{i}", "target": "b1"} for i in range(150)]}
    page = send(sign_in(web, "editor"), "many.json", json.dumps(doc).encode())
    assert page.status_code == 422 and "发现 300 处问题" in page.text and "下面列出前 100 处" in page.text
    assert len(problems_of(page.text)) == 100 and problems_of(page.text)[0][1:3] == ("nodes[0]", "people")


def test_a_store_changed_since_the_dry_run_refuses_the_confirmation_and_writes_nothing(web):
    doc = {"nodes": [{"id": "h12", "kind": "Household", "people": 1}], "edges": [{"type": "LOCATED_IN", "source": "h12", "target": "b1"}]}
    client = sign_in(web, "editor")
    checked = send(client, "h12.json", json.dumps(doc).encode())
    assert checked.status_code == 200
    web.store.load(items({"nodes": [{"id": "h12", "kind": "Member", "name": "钱多"}], "edges": []}))  # meanwhile
    before = web.store.counts(), web.store.revision
    refused = client.post(f"/upload/{confirm_id(checked.text)}", data={"csrf": csrf(checked.text)})
    assert refused.status_code in (409, 422) and "确认导入时" in refused.text and "确认导入</button>" not in refused.text
    assert (web.store.counts(), web.store.revision) == before and kept(web) == []
