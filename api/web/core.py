"""What every page of the workbench shares: templates, the signed-in token from the session cookie, the CSRF check and HTML errors."""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import logging
import re
import traceback
from pathlib import Path
from typing import Annotated, Any, Callable
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException  # FastAPI's and Starlette's own (a form past its limits) alike

from ...access import AccessError, OutsideScope, Scope, Token, authenticate
from ...exceptions import ChangeRefused, InvalidRecords, NotFound, StoreBusy, StoreUnavailable
from ...model import AREA_LEVELS, HOUSEHOLD_FLAGS, LABELS, NODE_KINDS, POSTS, ROLES
from ...privacy import mask_text
from ..db import off_loop
from ..deps import StoreDep, scope_for

__all__ = ["COOKIE", "CHINA", "clock", "PageRoute", "PageToken", "PageScope", "render", "csrf_of", "local_path", "SignIn", "Problem",
           "size_text", "too_large", "too_large_page"]

log = logging.getLogger("orggraph.api")

#: the session cookie: HttpOnly, SameSite=Strict, Secure over https; it carries a session's secret
#: (:func:`orggraph.access.open_session`), never the token's
COOKIE = "og_session"
#: what every page's answer carries: nothing from another host may run, load or frame it; no page is kept
#: by a cache or named in another site's Referer
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(LEVELS=AREA_LEVELS, FLAGS=HOUSEHOLD_FLAGS, POSTS=POSTS, ROLES=ROLES, KINDS=NODE_KINDS, LABELS=LABELS)
_env.filters["pct"] = lambda rate: f"{rate * 100:.1f}%"
_env.filters["n"] = lambda number: f"{number:,}"
_env.filters["q"] = lambda text: quote(str(text), safe="")
#: the times kept in UTC are shown in China's time (UTC+8, no daylight saving)
CHINA = _dt.timezone(_dt.timedelta(hours=8))


def clock(iso: str | None) -> str:
    """A kept time (ISO, UTC) as shown: ``2024-07-01 09:30`` in China's time; empty for None."""
    if not iso:
        return ""
    try:
        return _dt.datetime.fromisoformat(iso).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


_env.filters["clock"] = clock


class SignIn(Exception):
    """Not signed in (no session, or one that has ended): the page sends the browser to sign in, then back."""

    def __init__(self, back: str):
        self.back = back


class Problem(Exception):
    """A page's own refusal, shown to the user as a page with this status and message (in Chinese)."""

    def __init__(self, status: int, message: str, details: list[str] | None = None):
        self.status, self.message, self.details = status, message, details or []


def member_ids(text: str | None) -> list[str]:
    """Member ids as a person types them into a field: separated by commas (half- or full-width), 、,
    semicolons or spaces; each once, in the order typed.

    >>> member_ids("m1，m2、m3 m1;m4")
    ['m1', 'm2', 'm3', 'm4']
    """
    return list(dict.fromkeys(part for part in re.split(r"[,，、;；\s]+", text or "") if part))


def csrf_of(session: str) -> str:
    """The CSRF token of a session: every form and every change the pages send carries it, and a change
    without it, or with another session's, is refused (a page of another site cannot read it)."""
    return hmac.new(session.encode(), b"orggraph csrf", hashlib.sha256).hexdigest()[:40]


def local_path(path: str | None, default: str = "/") -> str:
    """A path on this server to go back to after signing in, or ``default``: never another host's
    (``//host``, ``/\\host``, a scheme), so that a link cannot send someone elsewhere."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")) or any(c in path for c in "\r\n\\"):
        return default
    return path


def same_site(request: Request) -> bool:
    """Whether a change comes from this server's own pages, as far as the browser says: its ``Origin`` (sent
    with every form a browser posts) names this server, and ``Sec-Fetch-Site`` does not say another site.
    Behind a proxy, the proxy must pass the Host it was asked for on (see the README)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return False
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


async def _page_token(request: Request, store: StoreDep) -> Token:
    """The token the session cookie stands for. A change (any method but GET and HEAD) must carry the
    session's CSRF token, in the form's ``csrf`` field or the ``X-CSRF-Token`` header, and come from this
    server's own pages where the browser says where it comes from (``Origin``)."""
    session = request.cookies.get(COOKIE)
    token = await off_loop(store, authenticate, store, session, sessions=True) if session else None
    if token is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignIn(back if request.method in ("GET", "HEAD") else "/")
    request.state.session, request.state.user = session, token
    if request.method not in ("GET", "HEAD"):
        if not same_site(request):
            raise Problem(403, "请求来自其他网站，已拒绝。")
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                                                  "multipart/form-data")):
            sent = (await request.form()).get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_of(session)):
            raise Problem(403, "页面已过期（安全校验未通过），请刷新页面后重试。")
    return token


PageToken = Annotated[Token, Depends(_page_token)]


async def _page_scope(request: Request, store: StoreDep, token: PageToken) -> Scope:
    request.state.scope = scope = await scope_for(request, store, token)
    return scope


PageScope = Annotated[Scope, Depends(_page_scope)]


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page: ``template`` with ``context``, the signed-in token (``user``) and the session's CSRF token."""
    session = getattr(request.state, "session", None)
    user = getattr(request.state, "user", None)
    scope = getattr(request.state, "scope", None)
    html = _env.get_template(template).render(request=request, csrf=csrf_of(session) if session else "", user=user,
                                              path=request.url.path, areas_mine=scope.areas if scope else (), **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _problem_page(request: Request, status: int, message: str, details: list[str] | None = None) -> HTMLResponse:
    return render(request, "problem.html", status=status, title={404: "找不到", 403: "无权操作"}.get(status, "出错了"),
                  message=mask_text(message), details=[mask_text(d) for d in details or []])


#: how the library's refusals read on a page; none carries a record's personal data (masked besides)
NOT_FOUND = "找不到该记录：它不存在，或不在您的管辖范围内。"


def size_text(size: float) -> str:
    """A number of bytes as a page says it: ``10 MB``, ``3.9 KB``, ``512 字节``."""
    if size >= 1024 ** 2:
        return f"{round(size / 1024 ** 2, 1):g} MB"
    return f"{round(size / 1024, 1):g} KB" if size >= 1024 else f"{size:g} 字节"


def too_large(max_bytes: int) -> str:
    """A request body past the server's limit (``ORGGRAPH_MAX_BODY_BYTES``), as a page says it."""
    return (f"上传的内容太大：不能超过 {size_text(max_bytes)}（服务器设置 ORGGRAPH_MAX_BODY_BYTES）。"
            "未写入任何内容；请拆分文件后再上传。")


def too_large_page(scope: dict, max_bytes: int) -> HTMLResponse:
    """The page a form sent to a page answers when its body is past the server's limit, before it is read."""
    return _problem_page(Request(scope), 413, too_large(max_bytes))


class PageRoute(APIRoute):
    """A page's route: whatever goes wrong answers a page in Chinese, never the API's JSON; not signed in
    sends the browser to the sign-in page and back."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignIn as exc:
                return RedirectResponse(f"/login?next={quote(exc.back, safe='/')}", status_code=303, headers=HEADERS)
            except Problem as exc:
                return _problem_page(request, exc.status, exc.message, exc.details)
            except (NotFound, OutsideScope):
                return _problem_page(request, 404, NOT_FOUND)
            except HTTPException as exc:
                message = {404: NOT_FOUND, 413: too_large(request.app.state.settings.max_body_bytes)}.get(
                    exc.status_code, str(exc.detail))
                return _problem_page(request, exc.status_code, message)
            except RequestValidationError as exc:
                return _problem_page(request, 400, "请求的参数有误。",
                                     [f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors()])
            except InvalidRecords as exc:
                return _problem_page(request, 422, f"输入有 {exc.total} 处问题，未写入任何内容。",
                                     [f"{e.where} {e.field}: {e.message}" for e in exc.errors[:200]])
            except ChangeRefused as exc:
                return _problem_page(request, 422, "无法执行该变更，未写入任何内容。", exc.problems[:200])
            except (StoreBusy, StoreUnavailable):
                return _problem_page(request, 503, "数据库暂时繁忙或无法连接，请稍后重试。")
            except (AccessError, ValueError) as exc:
                return _problem_page(request, 400, str(exc))
            except Exception as exc:  # noqa: BLE001  (a page, not a traceback; the log says where, never what)
                frames = "".join(traceback.format_tb(exc.__traceback__)[-8:])
                log.error("unexpected %s on %s %s; nothing personal is logged, only where it was raised:\n%s",
                          type(exc).__name__, request.method, request.url.path, frames)
                return _problem_page(request, 500, "服务器出错了，请联系管理员查看日志。")

        return page
