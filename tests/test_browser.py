"""The workbench in a real Chromium against a real ``orggraph serve`` on loopback, as its users use it."""

from __future__ import annotations

import pytest

from .conftest import WIDTHS, screenshot, signed_in


@pytest.mark.parametrize("width", WIDTHS)
def test_sign_in_then_drill_down_the_coverage(chromium, workbench, width):
    page = signed_in(chromium, workbench, "editor", width)
    assert page.url == workbench.url + "/"
    assert workbench.tokens["editor"] not in page.content()
    page.click("text=江滨街道桂花社区")  # the one street's communities, drilled down by a click
    assert "area=s001c1" in page.url
    assert page.locator("nav.crumbs").inner_text().replace(" ", "") == "江滨街道›江滨街道桂花社区"
    grids = page.locator("table.areas tbody tr")
    assert grids.count() >= 10
    screenshot(page, "coverage", width)
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
    page.context.close()
