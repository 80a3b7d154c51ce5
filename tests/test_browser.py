"""The workbench in a real Chromium against a real ``orggraph serve`` on loopback, as its users use it."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import WIDTHS, screenshot, screenshots, signed_in

# on one worker of a spread run: one sample street served and one Chromium started, not one a worker
pytestmark = pytest.mark.xdist_group("browser")


def test_sign_in_then_drill_down_the_coverage(chromium, workbench):
    page = signed_in(chromium, workbench, "editor", "phone")
    assert page.url == workbench.url + "/"
    assert workbench.tokens["editor"] not in page.content()
    page.click("text=江滨街道桂花社区")  # the one street's communities, drilled down by a click
    assert "area=s001c1" in page.url
    assert page.locator("nav.crumbs").inner_text().replace(" ", "") == "江滨街道›江滨街道桂花社区"
    grids = page.locator("table.areas tbody tr")
    assert grids.count() >= 10
    screenshots(page, "coverage")
    page.click("text=桂花社区第1网格")
    assert "area=s001c1g01" in page.url or "网格" in page.locator("nav.crumbs").inner_text()
    page.click("header form.out button")  # signing out ends it: the page asks to sign in again
    page.goto("/")
    assert "/login" in page.url
    page.context.close()


def test_the_sign_in_page(chromium, workbench):
    for width in WIDTHS:
        context = chromium.new_context(viewport={"width": WIDTHS[width], "height": 700}, locale="zh-CN", base_url=workbench.url)
        page = context.new_page()
        page.goto("/")
        assert "/login" in page.url
        page.fill("#token", "og_wrong")
        page.click("button[type=submit].primary")
        assert "令牌无效" in page.locator(".error").inner_text()
        screenshot(page, "login", width)
        context.close()


def test_upload_a_workbook_see_its_dry_run_then_confirm(chromium, workbench, tmp_path):
    """An editor sends a workbook with problems in two sheets (each listed, nothing to confirm), then a clean
    one: its dry run, confirmed, imported. The household goes to the last community, out of other tests' way."""
    from openpyxl import Workbook

    def book(name: str, households: list, places: list) -> str:
        wb = Workbook()
        wb.active.title = "住户"
        for row in [["编号", "地址", "人数", "电话", "标记"], *households]:
            wb.active.append(row)
        sheet = wb.create_sheet("住户位置")
        for row in [["住户编号", "区域编号", "开始日期", "结束日期"], *places]:
            sheet.append(row)
        wb.save(tmp_path / name)
        return str(tmp_path / name)

    bad = book("有问题的台账.xlsx", [["hw-1", "幸福社区1号楼1单元901室", 0, "1380000", None],
                                 ["hw-2", "幸福社区1号楼1单元902室", 2, None, "外星人"]],
               [["hw-1", "s001c8g01b1", "2024-02-30", None], ["hw-2", "s001c8g01b1", None, None]])
    good = book("新住户.xlsx", [["hw-1", "幸福社区1号楼1单元901室", 2, None, "独居老人"]], [["hw-1", "s001c8g01b1", "2025-01-01", None]])
    page = signed_in(chromium, workbench, "editor", "office")
    page.click("header nav >> text=导入")
    screenshot(page, "upload-form", "office")
    page.set_input_files("#file", bad)
    page.click("form.send button[type=submit]")
    page.wait_for_url("**/upload")
    assert "发现 4 处问题" in page.locator("p.error").inner_text()
    assert page.locator("table.problems tbody tr").count() == 4
    assert page.locator("h3", has_text="工作表「住户位置」").count() == 1 and page.locator("form.confirm").count() == 0
    screenshot(page, "upload-problems", "office")
    page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
    screenshot(page, "upload-problems", "phone")
    page.click("a.button[href=\"/upload\"]")
    page.click("text=台账的表头不是内置名称")  # the mapping, folded away until asked for
    screenshot(page, "upload-form", "phone")
    page.set_input_files("#file", good)
    page.click("form.send button[type=submit]")
    page.wait_for_selector("form.confirm")
    assert "检查通过：2 条记录全部有效" in page.locator("p.ok").inner_text()
    screenshot(page, "upload-checked", "phone")
    page.set_viewport_size({"width": WIDTHS["office"], "height": 900})
    screenshot(page, "upload-checked", "office")
    page.click("form.confirm button[type=submit]")
    page.wait_for_url("**/upload/*")
    assert "已导入：新增 1 条记录、1 条关系" in page.locator("p.ok").inner_text()
    screenshot(page, "upload-done", "office")
#: a whole mobile number (11 digits from 1[3-9]) or landline (area code and 7 or 8 digits), as typed anywhere
WHOLE_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


@pytest.mark.parametrize("width", WIDTHS)
def test_open_an_incident_on_the_tree_mark_doors_and_watch_the_progress(chromium, workbench, width):
    page = signed_in(chromium, workbench, "editor", width)
    page.click("header nav >> text=应急")
    page.fill("#incident-name", f"暴雨 {width}")
    page.click('.tree summary:has(input[value="s001c1"]) .name')  # a community unfolded by a tap on its name
    for grid in ("s001c1g01", "s001c1g02"):  # two of its grids ticked on the territory's tree
        page.check(f'.tree input[value="{grid}"]')
    assert not page.is_checked('.tree input[value="s001c1"]')
    screenshot(page, "emergency-open", width)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/emergency/inc-[\w-]+$"))
    incident = page.url.rsplit("/", 1)[1]
    done = page.locator('#progress [data-figure="done"]')
    assert done.inner_text() == "0"
    total = int(page.locator("#progress .card .s").first.inner_text().split()[1])
    page.evaluate("window.stillHere = true")  # gone if the page were loaded again
    doors = page.locator(".doors .door")
    for n, status in enumerate(("reached", "needs_help", "refused")):  # one tap each
        doors.nth(n).locator(f'button[value="{status}"]').click()
        expect(doors.nth(n).locator(f'button[value="{status}"]')).to_have_attribute("aria-pressed", "true")
        expect(done).to_have_text(str(n + 1))
    expect(page.locator('#progress [data-figure="open"]')).to_have_text(str(total - 3))
    expect(page.locator('#progress [data-figure="needs_help"]')).to_have_text("1")
    # another person's mark (through the API) shows up on this screen at the next poll, card and panel
    fourth = doors.nth(3)
    household = fourth.get_attribute("data-household")
    by = fourth.locator('input[name="by"]').get_attribute("value")
    request = urllib.request.Request(f"{workbench.url}/incidents/{incident}/marks", method="POST",
                                     data=json.dumps({"household": household, "status": "no_answer", "by": by}).encode(),
                                     headers={"Authorization": f"Bearer {workbench.tokens['editor']}",
                                              "Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=10).status == 201
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # in view: it polls at once
    expect(page.locator('#progress [data-figure="no_answer"]')).to_have_text("1")
    expect(page.locator(f'#door-{household} button[value="no_answer"]')).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stillHere") is True
    with page.expect_download() as download:
        page.click("text=下载联络单")
    assert download.value.suggested_filename == f"{incident}.xlsx" and download.value.failure() is None
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]  # no sideways scroll
    screenshot(page, "emergency", width)
    if width == "phone":  # the viewer of s001c1, without pii: no whole phone number anywhere on the page
        viewer = signed_in(chromium, workbench, "viewer", width)
        viewer.goto(f"/emergency/{incident}")
        assert viewer.locator(".doors .door").count() > 0 and "****" in viewer.content()
        assert not WHOLE_PHONE.search(viewer.content()) and viewer.locator('a[href^="tel:"]').count() == 0
        viewer.context.close()
    page.context.close()


def test_find_a_household_by_part_of_its_address_and_read_its_chain(chromium, workbench):
    page = signed_in(chromium, workbench, "viewer", "office")
    page.click("header nav >> text=住户与党员")
    page.fill("input[name=q]", "桂花社区2号楼")  # part of an address, down to the building a mask shows
    page.select_option("select[name=kind]", "Household")
    page.click("form.search button[type=submit]")
    hits = page.locator("table.list tbody tr")
    assert hits.count() > 0 and all("桂花社区2号楼" in hits.nth(i).inner_text() for i in range(min(hits.count(), 5)))
    screenshots(page, "find")
    hits.first.locator("a").first.click()
    page.wait_for_url(re.compile(r"/household/h\d+$"))
    steps = page.locator("ol.chain li")
    assert steps.count() >= 2  # whom to call, in order: the contact or the building's leader, then up
    assert "包保" in page.locator("h2").first.inner_text()
    screenshots(page, "household")
    page.locator("ol.chain li a[href^='/member/']").first.click()
    page.wait_for_url(re.compile(r"/member/m\d+$"))
    screenshots(page, "member")
    page.context.close()


def test_a_viewer_without_pii_sees_no_whole_phone_and_no_other_community(chromium, workbench):
    """Every page the viewer of s001c1 reaches from its own menus and lists, at a phone's width: no whole
    phone number anywhere; another community's pages answer 404, as ones that do not exist."""
    page = signed_in(chromium, workbench, "viewer", "phone")
    seen = []
    for path in ["/", "/?area=s001c1g01", "/area/s001c1g01b1", "/problems", "/problems?kind=overloaded_members",
                 "/find?q=1234", "/emergency"]:
        page.goto(path)
        seen.append(page.url)
        assert not WHOLE_PHONE.search(page.content()), path
        for link in page.locator("a[href^='/household/'], a[href^='/member/']").all()[:3]:
            seen.append(link.get_attribute("href"))
    for path in seen[7:]:
        page.goto(path)
        assert not WHOLE_PHONE.search(page.content()), path
    page.goto("/problems")
    screenshots(page, "problems")
    page.goto("/area/s001c1g01b1")
    screenshots(page, "area")
    for path in ["/?area=s001c2", "/area/s001c2g01b1", "/household/h99999999", "/member/m99999999"]:
        answer = page.goto(path)
        assert answer.status == 404 and "找不到" in page.content(), path
    other = next(n for n in _households_of(workbench, "s001c2"))
    assert page.goto(f"/household/{other}").status == 404
    page.context.close()


def _households_of(workbench, community: str):
    """Ids of the households of a community, read from the store file the server serves."""
    from orggraph.store import EmbeddedStore

    with EmbeddedStore(str(workbench.db)) as store:
        return [e["source"] for e in store.edges("LOCATED_IN") if e["target"].startswith(community)]
