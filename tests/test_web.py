"""The workbench's pages over HTTP, on every backend: sessions, the CSRF check, scopes, masking, errors."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from orggraph.access import create_token, revoke_token
from orggraph.api import create_app
from orggraph.api.web.core import COOKIE

from .conftest import BACKENDS, backend_store, items
from .test_api import two_communities


@pytest.fixture(scope="module", params=BACKENDS)
def web(request, tmp_path_factory):
    """A client over each backend with the street of two communities, and tokens: ``viewer`` (c1),
    ``pii`` (c1 with pii), ``editor`` (the street), ``other`` (c2)."""
    with backend_store(request, request.param, tmp_path_factory.mktemp("web")) as store:
        store.load(items(two_communities()))
        tokens = {"viewer": create_token(store, "viewer", ["c1"])[0],
                  "pii": create_token(store, "viewer", ["c1"], pii=True)[0],
                  "editor": create_token(store, "editor", ["s1"])[0],
                  "other": create_token(store, "viewer", ["c2"])[0]}
        with TestClient(create_app(store=store), follow_redirects=False) as client:
            client.tokens, client.store = tokens, store
            yield client


def sign_in(web, who: str) -> TestClient:
    """A client of its own (its own cookie jar) signed in through the form."""
    client = TestClient(web.app, follow_redirects=False)
    answer = client.post("/login", data={"token": web.tokens[who], "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def csrf(page: str) -> str:
    return re.search(r'<meta name="csrf" content="([0-9a-f]+)">', page).group(1)


def test_pages_need_a_session_and_send_the_browser_to_sign_in_and_back(web):
    answer = web.get("/?area=c1")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/%3Farea%3Dc1"
    page = web.get("/login?next=/%3Farea%3Dc1")
    assert page.status_code == 200 and 'name="next" value="/?area=c1"' in page.text


def test_signing_in_keeps_the_token_out_of_the_url_the_page_and_the_cookie(web):
    client = TestClient(web.app, follow_redirects=False)
    wrong = client.post("/login", data={"token": web.tokens["viewer"] + "x"})
    assert wrong.status_code == 401 and "令牌无效" in wrong.text and web.tokens["viewer"] not in wrong.text
    answer = client.post("/login", data={"token": web.tokens["viewer"], "next": "/?area=c1"})
    assert answer.status_code == 303 and answer.headers["location"] == "/?area=c1"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    session = client.cookies[COOKIE]
    assert session != web.tokens["viewer"] and web.tokens["viewer"] not in cookie
    page = client.get("/?area=c1")
    assert page.status_code == 200 and "桂花社区" in page.text
    assert web.tokens["viewer"] not in page.text and session not in page.text
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("back", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_after_signing_in_the_browser_goes_nowhere_but_this_server(web, back):
    answer = TestClient(web.app, follow_redirects=False).post("/login", data={"token": web.tokens["viewer"], "next": back})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(web):
    client = sign_in(web, "viewer")
    copy = TestClient(web.app, follow_redirects=False, cookies={COOKIE: client.cookies[COOKIE]})
    assert copy.get("/").status_code == 200
    token = csrf(client.get("/").text)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert copy.get("/").status_code == 303  # the server ended it: a copied cookie opens nothing
    assert client.get("/").status_code == 303


def test_a_change_without_the_sessions_csrf_token_is_refused(web):
    client = sign_in(web, "viewer")
    other = sign_in(web, "viewer")
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf": csrf(other.get("/").text)}).status_code == 403
    refused = client.post("/logout", data={"csrf": csrf(client.get("/").text)}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "其他网站" in refused.text
    assert client.get("/").status_code == 200  # still signed in after all three


def test_a_revoked_token_ends_its_sessions(web):
    secret, token = create_token(web.store, "viewer", ["c1"])
    client = TestClient(web.app, follow_redirects=False)
    assert client.post("/login", data={"token": secret}).status_code == 303
    assert client.get("/").status_code == 200
    revoke_token(web.store, token.id)
    assert client.get("/").status_code == 303
    assert client.post("/login", data={"token": secret}).status_code == 401


def test_sessions_are_no_tokens_to_list(web):
    sign_in(web, "viewer")
    from orggraph.access import tokens

    assert all("~" not in t.id for t in tokens(web.store))


def test_coverage_drills_down_from_the_tokens_own_areas(web):
    client = sign_in(web, "editor")
    top = client.get("/").text  # the street: its communities, each linked
    assert "江滨街道" in top and 'href="/?area=c1"' in top and 'href="/?area=c2"' in top
    c1 = client.get("/?area=c1").text
    # c1: 3 households, 1 covered on the day (h1 by m1; h2's contact m3 cannot be reached; h3 by nobody)
    assert re.search(r'<div class="k">住户</div><div class="v">3</div>', c1)
    assert re.search(r'<div class="k">已包保</div><div class="v">1</div>', c1)
    assert 'href="/?area=g1"' in c1 and "江滨街道</a> › <span>桂花社区" in c1
    past = client.get("/?area=c1&on=2023-06-01").text  # then m1 still contacted h2 as well
    assert re.search(r'<div class="k">已包保</div><div class="v">2</div>', past)
    whatif = client.get("/?area=c1&unavailable=m1").text
    assert re.search(r'<div class="k">已包保</div><div class="v">0</div>', whatif) and "王芳" in whatif


def test_a_token_for_one_community_cannot_reach_anothers(web):
    client = sign_in(web, "viewer")
    assert "向阳社区" not in client.get("/").text
    for path in ("/?area=c2", "/?area=nowhere"):
        answer = client.get(path)
        assert answer.status_code == 404 and "找不到该记录" in answer.text
    assert client.get("/?area=c1&unavailable=m9").status_code == 404  # a member it cannot read is none
    assert client.get("/?area=c1&on=2024-02-30").status_code == 400


def test_problems_list_each_kind_within_the_scope_and_link_each_row(web):
    viewer = sign_in(web, "viewer")
    page = viewer.get("/problems").text
    # c1 on the day: h2 (its one contact, m3, cannot be reached) and h3 (no contact) are uncovered; c2's h9
    # is covered by m9 and lies outside the scope anyway
    assert re.search(r'未覆盖住户 <span class="tag red">2</span>', page)
    assert 'href="/household/h2"' in page and 'href="/household/h3"' in page and "h9" not in page
    street = sign_in(web, "editor").get("/problems?kind=uncovered_households").text
    assert re.search(r'未覆盖住户 <span class="tag red">2</span>', street)  # h9 covered: the street has the same two
    assert sign_in(web, "other").get("/problems?kind=uncovered_households").text.count('href="/household/') == 0
    assert viewer.get("/problems?kind=nonsense").status_code == 404
    assert viewer.get("/problems?kind=uncovered_households&page=2").status_code == 404
    book = viewer.get("/problems.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert "attachment" in book.headers["content-disposition"] and book.headers["cache-control"] == "no-store"


def test_find_a_household_by_address_name_phone_or_id_within_the_scope(web):
    viewer, pii = sign_in(web, "viewer"), sign_in(web, "pii")
    # without pii an address is looked in down to its building only: 1号楼 finds c1's three households
    found = viewer.get("/find", params={"q": "1号楼", "kind": "Household"}).text
    assert all(f'href="/household/h{i}"' in found for i in (1, 2, 3)) and "h9" not in found
    assert "找到 0 条" in viewer.get("/find", params={"q": "102室"}).text  # the masked part tells nothing
    assert 'href="/household/h2"' in pii.get("/find", params={"q": "102室"}).text
    by_phone = viewer.get("/find", params={"q": "2222"}).text  # h1's phone 13900002222, shown masked
    assert 'href="/household/h1"' in by_phone and "139****2222" in by_phone and "13900002222" not in by_phone
    assert "需要查看完整个人信息的权限" in viewer.get("/find", params={"q": "02222"}).text
    assert 'href="/member/m1"' in viewer.get("/find", params={"q": "王芳"}).text
    assert "找到 0 条" in viewer.get("/find", params={"q": "h9"}).text  # c2's household, as one that does not exist
    assert "找到 0 条" in viewer.get("/find", params={"q": "赵敏"}).text


def test_a_household_page_says_its_chain_on_a_day_and_masks_its_phone(web):
    viewer, pii = sign_in(web, "viewer"), sign_in(web, "pii")
    page = viewer.get("/household/h2").text
    # h2 today: its contact m3 cannot be reached (uncovered), so the chain goes up: 李强 the building leader
    assert "未包保" in page and 'href="/member/m2"' in page and "0716-****321" not in page
    assert "软弱涣散组织" in page  # the grid's org is weak: a break, said plainly
    then = viewer.get("/household/h2?on=2023-06-01").text  # then 王芳 (m1) contacted it
    assert "已包保" in then and 'href="/member/m1?on=2023-06-01"' in then
    assert "139****2222" in viewer.get("/household/h1").text and "13900002222" not in viewer.get("/household/h1").text
    assert "13900002222" in pii.get("/household/h1").text
    for path in ("/household/h9", "/household/nowhere", "/member/m9", "/area/c2", "/area/b9"):
        answer = viewer.get(path)
        assert answer.status_code == 404 and "找不到该记录" in answer.text, path


def test_a_members_page_and_an_areas_households(web):
    viewer = sign_in(web, "viewer")
    member = viewer.get("/member/m1").text  # 王芳 contacts h1 today; h2's contact ended 2023-12-31
    assert "包保住户 <small>1 户</small>" in member and 'href="/household/h1"' in member
    assert "包保住户 <small>2 户</small>" in viewer.get("/member/m1?on=2023-06-01").text
    assert "138****1111" in member and "13800001111" not in member
    area = viewer.get("/area/b1").text
    assert "3 户" in area and all(f'href="/household/h{i}"' in area for i in (1, 2, 3))


def test_the_pages_need_nothing_from_another_host_and_their_stylesheet_is_whole():
    """Every file a template names is served from the package; no template names another host; the one
    stylesheet's blocks are closed (a block left open swallows every rule after it)."""
    from pathlib import Path

    import orggraph.api.web as web_package

    root = Path(web_package.__file__).parent
    css = (root / "static" / "app.css").read_text(encoding="utf-8")
    depth = 0
    for number, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"app.css line {number}: a block closed that was not open"
    assert depth == 0, "app.css: a block is left open"
    for template in (root / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", text), f"{template.name} names another host"
        for named in re.findall(r"""(?:src|href)=["']/static/([^"'?]+)""", text):
            assert (root / "static" / named).is_file(), f"{template.name} names /static/{named}, which is not there"


def test_another_sites_page_cannot_sign_the_browser_in_nor_a_session_reach_the_api(web):
    client = sign_in(web, "pii")
    before = client.cookies[COOKIE]
    # a page elsewhere posting its own token to /login: refused, the browser's session left as it was
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = client.post("/login", data={"token": web.tokens["viewer"]}, headers=headers)
        assert answer.status_code == 403 and client.cookies[COOKIE] == before
    assert client.get("/").status_code == 200
    # signing in again ends the session the browser had: a copy of its cookie opens nothing after
    copy = TestClient(web.app, follow_redirects=False, cookies={COOKIE: before})
    assert client.post("/login", data={"token": web.tokens["viewer"]}).status_code == 303
    assert copy.get("/").status_code == 303
    # a session's secret is no API token
    assert web.get("/households", headers={"Authorization": f"Bearer {client.cookies[COOKIE]}"}).status_code == 401


def test_a_form_past_the_parsers_limits_is_a_page_not_a_server_error(web):
    client = sign_in(web, "editor")
    token = csrf(client.get("/").text)
    answer = client.post("/login", data={f"f{i}": "x" for i in range(1200)})
    assert answer.status_code == 400 and "<html" in answer.text
    answer = client.post("/logout", content=b"--", headers={"Content-Type": "multipart/form-data", "X-CSRF-Token": token})
    assert answer.status_code in (303, 400) and answer.status_code != 500


def test_members_unavailable_as_a_chinese_keyboard_types_them_and_a_bad_one_named(web):
    from orggraph.api.web.core import member_ids

    assert member_ids("m1，m2、m3 m1;m4") == ["m1", "m2", "m3", "m4"]
    client = sign_in(web, "viewer")
    page = client.get("/?area=c1", params={"unavailable": "m1，m1、 m1"}).text
    assert re.search(r'<div class="k">已包保</div><div class="v">0</div>', page) and page.count("王芳 (m1)") == 1
    answer = client.get("/?area=c1", params={"unavailable": "m1，nobody"})
    assert answer.status_code == 404 and "nobody" in answer.text and "无法联系的党员" in answer.text
    answer = client.get("/?area=c1", params={"on": "2024-02-30"})
    assert answer.status_code == 400 and "2024-02-30" in answer.text and "日历" in answer.text


def test_links_keep_the_day_and_lead_only_where_the_token_reaches(web):
    viewer = sign_in(web, "viewer")
    page = viewer.get("/household/h2?on=2023-06-01").text
    assert 'href="/member/m1?on=2023-06-01"' in page  # the day the page looks at, kept
    assert 'href="/?area=c1&on=2023-06-01"' in page or 'href="/?area=g1&on=2023-06-01"' in page
    assert 'href="/?area=s1' not in page and "江滨街道" in page  # the street above c1: named, not a dead link
    problems = viewer.get("/problems?kind=uncovered_households&on=2023-06-01").text
    assert 'href="/household/h3?on=2023-06-01"' in problems


def test_a_sign_out_typed_or_linked_asks_for_the_button(web):
    client = sign_in(web, "viewer")
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text and client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf": csrf(page.text)}).status_code == 303
    assert client.get("/logout").status_code == 303  # signed out: to the sign-in page
