"""The workbench's 应急 pages over HTTP, on every backend: an incident opened on areas ticked on the tree,
doors marked with one tap (a form, or the page's script asking for JSON), progress by area worked out by
hand, the sheet to print, closing, and the API's scope rules, roles, CSRF check and masking."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from orggraph import incidents
from orggraph.access import create_token
from orggraph.api import create_app

from .conftest import BACKENDS, backend_store, items
from .test_api import two_communities
from .test_web import csrf, sign_in

#: every full phone number of the street: none may show on a page of a token without pii
PHONES = ("13900002222", "13800001111", "0716-7654321", "13700009999", "13600009999")
JSON = {"Accept": "application/json"}


# the pages over the store file and a graph server (FalkorDB); the library's incidents and imports they
# stand on run on Neo4j too (tests/test_incidents.py, tests/test_api.py), and the pages' own way to a
# graph server is one, which tests/test_web.py takes on Neo4j (sessions, coverage, records, problems)
@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "neo4j"])
def web(request, tmp_path_factory):
    """A client over each backend with the street of two communities, and tokens: ``viewer`` (c1),
    ``pii`` (c1 with pii), ``editor`` (the street), ``c1-editor`` (c1), ``other`` (c2)."""
    with backend_store(request, request.param, tmp_path_factory.mktemp("web")) as store:
        store.load(items(two_communities()))
        tokens = {"viewer": create_token(store, "viewer", ["c1"])[0],
                  "pii": create_token(store, "viewer", ["c1"], pii=True)[0],
                  "editor": create_token(store, "editor", ["s1"])[0],
                  "c1-editor": create_token(store, "editor", ["c1"])[0],
                  "other": create_token(store, "viewer", ["c2"])[0]}
        with TestClient(create_app(store=store), follow_redirects=False) as client:
            client.tokens, client.store = tokens, store
            yield client


def opened(web, client, areas, name="7月暴雨") -> str:
    """Open an incident through the form, as a person ticking the tree would; its id."""
    answer = client.post("/emergency", data={"csrf": csrf(client.get("/emergency").text), "name": name, "area": areas})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/emergency/inc-")
    return location.rsplit("/", 1)[1]


def figures(html: str) -> dict[str, int]:
    """The progress panel's overall figures, by their data-figure names."""
    return {k: int(v.replace(",", "")) for k, v in re.findall(r'data-figure="(\w+)">([\d,]+)<', html)}


def area_row(html: str, area: str) -> list[int]:
    """An area's row of the panel: households, done, open, then each status's count."""
    row = re.search(rf'<tr data-area="{area}">(.*?)</tr>', html, re.S).group(1)
    return [int(n) for n in re.findall(r'<td class="num">([\d,]+)</td>', row)]


def audited(store, route: str) -> list[list[str]]:
    """The records of every audit row written for this route, oldest first."""
    found, after = [], 0
    while rows := store.audit_rows(after=after, limit=1000):
        found += [r["records"] for r in rows if r["route"] == route]
        after = rows[-1]["seq"]
    return found


def doors_of(html: str) -> list[str]:
    return re.findall(r'<article class="door[^"]*" id="door-([^"]+)"', html)


def test_the_tree_goes_from_the_tokens_areas_down_to_grids(web):
    page = sign_in(web, "editor").get("/emergency")
    assert page.status_code == 200
    boxes = re.findall(r'<input type="checkbox" name="area" value="([^"]+)"[^>]*> (?:<span class="name">)?([^< ]+)', page.text)
    assert boxes == [("s1", "江滨街道"), ("c1", "桂花社区"), ("g1", "桂花社区第1网格"), ("c2", "向阳社区")]
    # the top unfolded, the areas below folded: a tap on a name opens them
    assert re.search(r'<details open>\s*<summary><input type="checkbox" name="area" value="s1"', page.text)
    assert re.search(r'<details>\s*<summary><input type="checkbox" name="area" value="c1"', page.text)
    assert 'value="b1"' not in page.text and 'value="b9"' not in page.text  # no buildings
    c1 = sign_in(web, "c1-editor").get("/emergency").text  # from its own area down
    assert re.findall(r'name="area" value="([^"]+)"', c1) == ["c1", "g1"]
    viewer = sign_in(web, "viewer").get("/emergency").text  # sees incidents, opens none: no form
    assert 'name="area"' not in viewer and 'action="/emergency"' not in viewer


def test_open_on_two_areas_mark_doors_and_watch_the_figures(web):
    client = sign_in(web, "editor")
    incident = opened(web, client, ["g1", "c2"], name="7月暴雨 江滨街道")
    page = client.get(f"/emergency/{incident}")
    assert page.status_code == 200 and "7月暴雨 江滨街道" in page.text
    # the sheet's order: uncovered vulnerable (h2, its contact m3 unavailable), uncovered (h3), then covered
    assert doors_of(page.text) == ["h2", "h3", "h1", "h9"]
    assert "独居老人" in page.text and "未包保" in page.text
    assert figures(page.text) == {"done": 0, "open": 4, "vulnerable_open": 1, "reached": 0, "no_answer": 0,
                                  "needs_help": 0, "moved_out": 0, "refused": 0}
    token = csrf(page.text)
    by = dict(re.findall(r'/doors/(\w+)">.*?name="by" value="(\w+)"', page.text, re.S))
    assert by["h1"] == "m1" and by["h9"] == "m9"  # the door's contact knocks

    # without the script: a form post, back to the card
    back = f"/emergency/{incident}?area=g1"
    answer = client.post(f"/emergency/{incident}/doors/h2", data={"csrf": token, "status": "needs_help",
                                                                   "by": by["h2"], "back": back})
    assert answer.status_code == 303 and answer.headers["location"] == f"{back}#door-h2"
    # with it: the header's token, JSON with the card and the panel to put in place
    answer = client.post(f"/emergency/{incident}/doors/h1", data={"status": "reached", "by": "m1", "back": back},
                         headers={"X-CSRF-Token": token, **JSON})
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["household"], done["status"], done["marks"]) == ("h1", "reached", 2)
    assert 'value="reached" class="st-reached" aria-pressed="true"' in done["door"]
    assert done["door"].count('aria-pressed="true"') == 1 and 'id="door-h1"' in done["door"]
    assert figures(done["panel"])["done"] == 2
    client.post(f"/emergency/{incident}/doors/h3", data={"status": "no_answer", "by": by["h3"]},
                headers={"X-CSRF-Token": token, **JSON})
    # by hand: 4 doors; h2 needs help and h1 reached (done), h3 no answer (open), h9 unmarked
    panel = client.get(f"/emergency/{incident}/progress")
    assert panel.status_code == 200 and panel.headers["content-type"].startswith("text/html")
    assert figures(panel.text) == {"done": 2, "open": 2, "vulnerable_open": 0, "reached": 1, "no_answer": 1,
                                   "needs_help": 1, "moved_out": 0, "refused": 0}
    #                                   households, done, open, reached, no_answer, needs_help, moved_out, refused
    assert area_row(panel.text, "s1") == [4, 2, 2, 1, 1, 1, 0, 0]
    assert area_row(panel.text, "c1") == [3, 2, 1, 1, 1, 1, 0, 0]
    assert area_row(panel.text, "g1") == [3, 2, 1, 1, 1, 1, 0, 0]
    assert area_row(panel.text, "c2") == [1, 0, 1, 0, 0, 0, 0, 0]
    assert 'data-area="b1"' not in panel.text  # down to grids
    assert 'data-marks="3"' in panel.text
    # a mark again supersedes: h3 reached now
    client.post(f"/emergency/{incident}/doors/h3", data={"csrf": token, "status": "reached", "by": by["h3"]})
    assert figures(client.get(f"/emergency/{incident}/progress").text)["done"] == 3
    # the viewer of c1 sees its 3 households only, and the list shows the incident with its figures
    viewer = sign_in(web, "viewer")
    mine = viewer.get(f"/emergency/{incident}").text
    assert doors_of(mine) == ["h2", "h3", "h1"] and figures(mine)["done"] == 3 and figures(mine)["open"] == 0
    assert 'class="marks"' not in mine and "/close" not in mine  # no buttons to mark or close
    listed = viewer.get("/emergency").text
    assert f'href="/emergency/{incident}"' in listed and "已完成 3 / 3 户" in listed
    assert "已完成 3 / 4 户" in client.get("/emergency").text


def test_filters_pages_and_the_poll_of_a_long_sheet(web, monkeypatch):
    from orggraph.api.web import emergency

    client = sign_in(web, "editor")
    incident = opened(web, client, ["s1"])
    token = csrf(client.get(f"/emergency/{incident}").text)
    monkeypatch.setattr(emergency, "DOORS_A_PAGE", 3)
    first = client.get(f"/emergency/{incident}").text
    assert doors_of(first) == ["h2", "h3", "h1"] and "第 1 / 2 页" in first and "page=2" in first
    assert doors_of(client.get(f"/emergency/{incident}?page=2").text) == ["h9"]
    assert client.get(f"/emergency/{incident}?page=3").status_code == 404
    assert doors_of(client.get(f"/emergency/{incident}?area=c2").text) == ["h9"]
    client.post(f"/emergency/{incident}/doors/h2", data={"csrf": token, "status": "reached", "by": "m1"})
    client.post(f"/emergency/{incident}/doors/h3", data={"csrf": token, "status": "no_answer", "by": "m1"})
    still = client.get(f"/emergency/{incident}?area=g1&open=1").text
    assert doors_of(still) == ["h3", "h1"] and 'name="open" value="1" checked' in still
    assert client.get(f"/emergency/{incident}?area=b404").status_code == 404
    # the poll: the panel, and the doors on screen once a mark was made since the count the page had
    quiet = client.get(f"/emergency/{incident}/progress?doors=h2,h3&since=2", headers=JSON).json()
    assert quiet["marks"] == 2 and quiet["doors"] == {} and figures(quiet["panel"])["done"] == 1
    news = client.get(f"/emergency/{incident}/progress?doors=h2,h3,h9,nobody&since=1", headers=JSON).json()
    assert sorted(news["doors"]) == ["h2", "h3", "h9"]
    assert 'value="reached" class="st-reached" aria-pressed="true"' in news["doors"]["h2"]
    assert 'data-seq="0"' in news["doors"]["h9"]


def test_bad_input_answers_the_form_again_and_writes_nothing(web):
    client = sign_in(web, "editor")
    before = len(incidents.incidents(web.store))
    token = csrf(client.get("/emergency").text)
    empty = client.post("/emergency", data={"csrf": token, "name": "  ", "area": ["g1"]})
    assert empty.status_code == 400 and "请填写事件名称" in empty.text
    assert 'value="g1" checked' in empty.text  # what was ticked stays ticked, and unfolded
    assert re.search(r'<details open>\s*<summary><input type="checkbox" name="area" value="c1"', empty.text)
    none = client.post("/emergency", data={"csrf": token, "name": "暴雨"})
    assert none.status_code == 400 and "至少勾选一个" in none.text and 'value="暴雨"' in none.text
    long = client.post("/emergency", data={"csrf": token, "name": "雨" * 201, "area": ["g1"]})
    assert long.status_code == 400 and "不能超过 200 个字" in long.text
    unknown = client.post("/emergency", data={"csrf": token, "name": "暴雨", "area": ["g1"], "unavailable": "m404"})
    assert unknown.status_code == 404 and "不存在，或不在您的管辖范围内" in unknown.text
    outside = sign_in(web, "c1-editor")  # c2 is no area of its: as one that does not exist
    answer = outside.post("/emergency", data={"csrf": csrf(outside.get("/emergency").text), "name": "暴雨",
                                              "area": ["c2"]})
    assert answer.status_code == 404 and "未登记事件" in answer.text
    assert len(incidents.incidents(web.store)) == before


def test_a_viewer_can_neither_open_nor_mark_nor_close(web):
    incident = opened(web, sign_in(web, "editor"), ["g1"])
    viewer = sign_in(web, "viewer")
    token = csrf(viewer.get("/emergency").text)
    before = len(incidents.incidents(web.store))
    refused = viewer.post("/emergency", data={"csrf": token, "name": "暴雨", "area": ["g1"]})
    assert refused.status_code == 403 and "需要编辑或管理员权限" in refused.text
    assert len(incidents.incidents(web.store)) == before
    for answer in (viewer.post(f"/emergency/{incident}/doors/h1", data={"csrf": token, "status": "reached", "by": "m1"}),
                   viewer.post(f"/emergency/{incident}/doors/h1", data={"status": "reached", "by": "m1"},
                               headers={"X-CSRF-Token": token, **JSON}),
                   viewer.get(f"/emergency/{incident}/close"),
                   viewer.post(f"/emergency/{incident}/close", data={"csrf": token})):
        assert answer.status_code == 403 and "<html" in answer.text
    assert incidents.marks(web.store, incident) == [] and incidents.get_incident(web.store, incident)["closed"] is None


def test_another_communitys_token_finds_no_such_incident(web):
    incident = opened(web, sign_in(web, "editor"), ["g1"])
    other = sign_in(web, "other")
    assert f"/emergency/{incident}" not in other.get("/emergency").text
    for path in (f"/emergency/{incident}", f"/emergency/{incident}/progress", f"/emergency/{incident}/sheet.xlsx",
                 "/emergency/inc-nope", "/emergency/inc-nope/progress", "/emergency/inc-nope/sheet.xlsx"):
        answer = other.get(path)
        assert answer.status_code == 404 and "找不到该记录" in answer.text, path
    # an editor of another community alike: its door, its marks and its closing are none
    c2 = TestClient(web.app, follow_redirects=False)
    secret = create_token(web.store, "editor", ["c2"])[0]
    assert c2.post("/login", data={"token": secret}).status_code == 303
    token = csrf(c2.get("/emergency").text)
    for answer in (c2.post(f"/emergency/{incident}/doors/h1", data={"csrf": token, "status": "reached", "by": "m1"}),
                   c2.get(f"/emergency/{incident}/close"), c2.post(f"/emergency/{incident}/close", data={"csrf": token})):
        assert answer.status_code == 404 and "找不到该记录" in answer.text
    # and a door of its own incident that is not on the sheet answers alike
    mine = sign_in(web, "editor")
    answer = mine.post(f"/emergency/{incident}/doors/h9", data={"csrf": csrf(mine.get("/emergency").text),
                                                                 "status": "reached", "by": "m9"})
    assert answer.status_code == 404 and incidents.marks(web.store, incident) == []


def test_a_change_without_the_csrf_token_is_refused(web):
    client = sign_in(web, "editor")
    incident = opened(web, client, ["g1"])
    before = len(incidents.incidents(web.store))
    for answer in (client.post("/emergency", data={"name": "暴雨", "area": ["g1"]}),
                   client.post(f"/emergency/{incident}/doors/h1", data={"status": "reached", "by": "m1"}),
                   client.post(f"/emergency/{incident}/doors/h1", data={"status": "reached", "by": "m1"}, headers=JSON),
                   client.post(f"/emergency/{incident}/close")):
        assert answer.status_code == 403 and "安全校验未通过" in answer.text
    assert len(incidents.incidents(web.store)) == before and incidents.marks(web.store, incident) == []
    assert incidents.get_incident(web.store, incident)["closed"] is None


def test_masked_phones_for_a_viewer_and_whole_ones_audited_for_pii(web):
    client = sign_in(web, "editor")
    incident = opened(web, client, ["c1"])
    client.post(f"/emergency/{incident}/doors/h1", data={"csrf": csrf(client.get("/emergency").text),
                                                         "status": "reached", "by": "m1"})
    viewer = sign_in(web, "viewer")
    pages = [viewer.get(f"/emergency/{incident}").text, viewer.get(f"/emergency/{incident}/progress").text,
             viewer.get(f"/emergency/{incident}/progress?doors=h1,h2,h3&since=0", headers=JSON).text,
             viewer.get("/emergency").text]
    for page in pages:
        assert not any(p in page for p in PHONES) and "tel:" not in page
    assert "139****2222" in pages[0] and "138****1111" in pages[0]
    assert not re.search(r"1[3-9]\d{9}", " ".join(pages))
    pii = sign_in(web, "pii")
    whole = pii.get(f"/emergency/{incident}").text
    assert 'href="tel:13900002222"' in whole and 'href="tel:13800001111"' in whole
    rows = audited(web.store, f"GET /emergency/{incident}")
    assert rows and "h1" in rows[-1] and "m1" in rows[-1]


def test_the_sheet_to_print_is_the_apis(web):
    from openpyxl import load_workbook

    client = sign_in(web, "editor")
    incident = opened(web, client, ["g1", "c2"])
    client.post(f"/emergency/{incident}/doors/h2", data={"csrf": csrf(client.get("/emergency").text),
                                                         "status": "needs_help", "by": "m1"})
    answer = client.get(f"/emergency/{incident}/sheet.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert answer.headers["content-disposition"] == f'attachment; filename="{incident}.xlsx"'
    api = TestClient(web.app).get(f"/incidents/{incident}/sheet.xlsx",
                                  headers={"Authorization": f"Bearer {web.tokens['editor']}"})
    ours, theirs = (load_workbook(io.BytesIO(a.content)).active for a in (answer, api))
    rows = [[c.value for c in row] for row in ours.iter_rows(min_row=3)]
    assert rows == [[c.value for c in row] for row in theirs.iter_rows(min_row=3)]
    assert [r[1] for r in rows[1:]] == ["h2", "h3", "h1", "h9"] and "需要帮助" in rows[1]
    text = " ".join(str(v) for r in rows for v in r if v)
    assert not any(p in text for p in PHONES) and "139****2222" in text
    pii = sign_in(web, "pii").get(f"/emergency/{incident}/sheet.xlsx")
    assert pii.status_code == 200
    rows = audited(web.store, f"GET /emergency/{incident}/sheet.xlsx")
    assert rows and "h1" in rows[-1] and "h9" not in rows[-1]  # its own households only


def test_closing_asks_first_and_needs_every_household(web):
    editor = sign_in(web, "editor")
    incident = opened(web, editor, ["g1", "c2"])
    c1 = sign_in(web, "c1-editor")  # holds 3 of its 4 households: may mark, may not close
    page = c1.get(f"/emergency/{incident}").text
    assert "/close" not in page and 'class="marks"' in page
    refused = c1.get(f"/emergency/{incident}/close")
    assert refused.status_code == 403 and "不在您的管辖范围内" in refused.text
    assert c1.post(f"/emergency/{incident}/close", data={"csrf": csrf(page)}).status_code == 403
    page = editor.get(f"/emergency/{incident}").text
    assert f'href="/emergency/{incident}/close"' in page
    confirm = editor.get(f"/emergency/{incident}/close")
    assert confirm.status_code == 200 and "仍有 4 户未完成" in confirm.text and "确认关闭" in confirm.text
    assert incidents.get_incident(web.store, incident)["closed"] is None  # asking closes nothing
    answer = editor.post(f"/emergency/{incident}/close", data={"csrf": csrf(confirm.text)})
    assert answer.status_code == 303 and answer.headers["location"] == f"/emergency/{incident}"
    closed = editor.get(f"/emergency/{incident}").text
    assert "已关闭" in closed and 'class="marks"' not in closed and "/close" not in closed
    late = editor.post(f"/emergency/{incident}/doors/h1", data={"csrf": csrf(closed), "status": "reached", "by": "m1"})
    assert late.status_code == 422 and incidents.marks(web.store, incident) == []
    assert editor.get(f"/emergency/{incident}/close").status_code == 409
    listed = editor.get("/emergency").text  # open ones first
    assert listed.index(f"/emergency/{incident}\"") > listed.index("进行中")


def test_the_pages_are_listed_nowhere_in_the_apis_schema(web):
    assert not any(p.startswith("/emergency") for p in web.app.openapi()["paths"])


def test_the_script_is_served_from_here(web):
    script = web.get("/static/emergency.js")
    assert script.status_code == 200 and "X-CSRF-Token" in script.text and "visibilityState" in script.text
    page = sign_in(web, "editor").get("/emergency").text
    assert '<script src="/static/emergency.js" defer></script>' in page and "<script>" not in page


def test_a_member_the_token_cannot_read_is_shown_by_id_alone(web):
    from orggraph.access import scope_of
    from orggraph.api.web.emergency import _person
    from orggraph.report import Namer

    c2 = scope_of(web.store, ["c2"])
    assert _person("m1", Namer.of(web.store, unmask=True), True, c2) == {"id": "m1", "name": "m1", "phone": "",
                                                                        "dial": None}
    assert _person("m9", Namer.of(web.store, unmask=True), True, c2)["dial"] == "13700009999"
    assert _person("m9", Namer.of(web.store), False, c2)["dial"] is None  # masked: nothing to dial
