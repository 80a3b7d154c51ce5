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
