"""Signing in and out of the workbench: a token typed once opens a session kept in an HttpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...access import SESSION_HOURS, end_session, open_session
from ..deps import StoreDep
from .core import COOKIE, HEADERS, PageRoute, PageToken, Problem, local_path, render, same_site

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", title="登录", back=local_path(next))


@router.post("/login")
async def login(request: Request, store: StoreDep, token: Annotated[str, Form(max_length=200)] = "",
                next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Open a session for a token typed into the form (never in a URL: the form posts it). A wrong token
    answers the form again, 401, without the token typed. A form posted from another site's page is refused
    (that page would sign the browser into a token of its choosing); a session the browser had is ended."""
    if not same_site(request):
        raise Problem(403, "请求来自其他网站，已拒绝。请在本系统的登录页输入令牌。")
    if request.cookies.get(COOKIE):
        await run_in_threadpool(end_session, store, request.cookies[COOKIE])
    opened = await run_in_threadpool(open_session, store, token.strip()) if token.strip() else None
    if opened is None:
        return render(request, "login.html", status=401, title="登录", back=local_path(next),
                      error="令牌无效、已过期或已被撤销。请向管理员索取新的令牌。")
    session, _ = opened
    answer = RedirectResponse(local_path(next), status_code=303, headers=HEADERS)
    answer.set_cookie(COOKIE, session, max_age=int(SESSION_HOURS * 3600), path="/", httponly=True, samesite="strict",
                      secure=request.url.scheme == "https")
    return answer


@router.get("/logout")
async def logout_page(request: Request, token: PageToken) -> Response:
    """A sign-out asked by a link or typed: a page with the button (a GET changes nothing)."""
    return render(request, "logout.html", title="退出")


@router.post("/logout")
async def logout(request: Request, store: StoreDep, token: PageToken) -> Response:
    """End the session on the server (its cookie, if copied, opens nothing after) and drop the cookie."""
    await run_in_threadpool(end_session, store, request.state.session)
    answer = RedirectResponse("/login", status_code=303, headers=HEADERS)
    answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return answer
