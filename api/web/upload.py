"""导入: a register or workbook uploaded, checked by a dry run and shown, then imported as it was checked.

The same path as the API's ``POST /import``: :func:`~orggraph.api.routes_import.import_into` with the
settings' workbook limits (:func:`~orggraph.api.routes_import.limits_of`), which loads through
:func:`~orggraph.access.load_within`, so every change stays inside the token's scope and the page adds no
check of its own. ``POST /upload`` keeps the file and shows its dry run: the records by kind and type, what
each register implies and the rows it read past, or every problem by sheet, row and column (nothing is
written then, and there is nothing to confirm). ``POST /upload/{id}`` imports that same file.

Between the two the upload waits in a folder of the server's (:func:`folder_of`), owner-only, as a folder
of its own named by an HMAC of the upload's random id under the session's secret: the name on disk says
nothing of the id, and another session (another browser, the same token signed in twice) looking for the
id looks for another name and finds nothing, as an id that never was (404). A confirmation takes the
folder by renaming it, so two confirmations of one upload write it once; the folder is removed once
confirmed, once refused, and by the next upload after an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...access import IdTaken, OutsideScope, Scope, Token
from ...exceptions import InvalidRecords, RecordError, StoreBusy, StoreUnavailable
from ...io import BadMapping, Limits, Summary, UnknownFormat, WorkbookTooLarge, check_format, read_mapping
from ...load import LoadReport
from ...model import EDGE_TYPES
from ...privacy import mask_text
from ...store import Store
from ..db import off_loop
from ..deps import StoreDep
from ..routes_import import import_into, limits_of, setting_of
from ..settings import Settings
from .core import PageRoute, PageScope, PageToken, Problem, render, size_text

__all__ = ["router", "folder_of", "HOUR"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: seconds an upload waits for its confirmation; then it is gone, and has to be sent again
HOUR = 3600
#: the most characters of a mapping, as ``POST /import`` takes
MAPPING_CHARS = 20_000
_ID = re.compile(r"[A-Za-z0-9_-]{32}")
GONE = ("找不到这次上传：它已经确认导入过、超过一小时已被清除，或不是在本次登录中上传的。"
        "未写入任何内容；请重新上传。")
_ROLE = "导入需要编辑或管理员令牌；您的令牌只能查看。"


def _editor(token: Token) -> None:
    if token.role not in ("editor", "admin"):  # as POST /import's require_role
        raise Problem(403, _ROLE)


# -- where an upload waits ---------------------------------------------------------------------------------


def folder_of(settings: Settings) -> Path:
    """The server's folder of uploads awaiting confirmation (``settings.upload_dir``, or
    ``orggraph-uploads-UID`` in the system's temporary folder), made if missing and kept owner-only.

    Raises
    ------
    RuntimeError
        If it is a link, not a folder, or another user's: nothing is kept where others may read it.
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(settings.upload_dir or Path(tempfile.gettempdir()) / f"orggraph-uploads-{uid}")
    try:
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    found = os.lstat(folder)
    if not stat.S_ISDIR(found.st_mode) or (hasattr(os, "getuid") and found.st_uid != os.getuid()):
        raise RuntimeError("the folder of uploads is a link, not a folder, or another user's")
    if stat.S_IMODE(found.st_mode) & 0o077:
        os.chmod(folder, 0o700)
    return folder


def _name(session: str, upload: str) -> str:
    """The folder an upload waits in: its id bound to the session that sent it."""
    return hmac.new(session.encode(), f"orggraph upload {upload}".encode(), hashlib.sha256).hexdigest()[:48]


def _sweep(folder: Path, now: float) -> None:
    """Remove what has waited longer than an hour (a confirmation taken but never finished too)."""
    for entry in os.scandir(folder):
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime > HOUR:
                shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
        except OSError:  # another process of the server removed it meanwhile
            pass


def _private(path: Path, source: IO[bytes]) -> None:
    """Write ``source`` to a new file only the server's user may read (never through a link)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def _keep(folder: Path, session: str, token: Token, source: IO[bytes], suffix: str, about: dict[str, Any]) -> tuple[str, Path, Path]:
    """Keep an upload for the session: its id, its folder and its file (named ``upload`` and its suffix,
    the name the readers' errors give it)."""
    now = time.time()
    _sweep(folder, now)
    upload = secrets.token_urlsafe(24)
    place = folder / _name(session, upload)
    place.mkdir(mode=0o700)
    path = place / f"upload{suffix}"
    _private(path, source)
    about = {**about, "token": token.id, "suffix": suffix, "at": now}
    _private(place / "about.json", io.BytesIO(json.dumps(about, ensure_ascii=False).encode()))
    return upload, place, path


def _claim(folder: Path, session: str, upload: str, token: Token) -> tuple[Path, dict[str, Any]]:
    """Take an upload for its confirmation, once: the folder is renamed, so a second confirmation (or one
    from another session, which looks under another name) finds nothing. Past the hour, or another
    token's, it is removed and found no more than one that never was."""
    place = folder / _name(session, upload)
    taken = folder / f"{place.name}.{secrets.token_hex(4)}"
    try:
        os.rename(place, taken)
        about = json.loads((taken / "about.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        shutil.rmtree(taken, ignore_errors=True)
        raise Problem(404, GONE) from None
    if about.get("token") != token.id or time.time() - about.get("at", 0) > HOUR:
        shutil.rmtree(taken, ignore_errors=True)
        raise Problem(404, GONE)
    return taken, about


# -- what an attempt found ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """An import or its dry run: the report, or the refusal that wrote nothing; and each register's summary."""

    report: LoadReport | None = None
    refused: Exception | None = None
    registers: list[Summary] = field(default_factory=list)


def _attempt(store: Store, scope: Scope, path: Path, dry_run: bool, limits: Limits, by: str,
             mapping: str | None) -> Outcome:
    """:func:`import_into` of the file, its refusals kept as the outcome (a store busy or out of reach is
    raised: nothing is refused then, and the upload may be sent again)."""
    outcome = Outcome()
    read = read_mapping(mapping, "the mapping") if mapping else None
    try:
        outcome.report = import_into(store, scope, str(path), dry_run, limits, by, read, outcome.registers)
    except (InvalidRecords, OutsideScope, IdTaken, WorkbookTooLarge) as exc:
        outcome.refused = exc
    return outcome


def _check(folder: Path, session: str, token: Token, source: IO[bytes], suffix: str, about: dict[str, Any],
           store: Store, scope: Scope, limits: Limits) -> tuple[str, Outcome]:
    """Keep the upload and run its dry run; a refused upload is removed at once (there is nothing to confirm)."""
    upload, place, path = _keep(folder, session, token, source, suffix, about)
    try:
        outcome = _attempt(store, scope, path, True, limits, f"token:{token.id}", about.get("mapping"))
    except BaseException:
        shutil.rmtree(place, ignore_errors=True)
        raise
    if outcome.refused is not None:
        shutil.rmtree(place, ignore_errors=True)
    return upload, outcome


def _confirm(folder: Path, session: str, upload: str, token: Token, store: Store, scope: Scope,
             limits: Limits) -> tuple[dict[str, Any], Outcome]:
    """Import the upload the session checked, once, and remove it; in one thread from first to last, so
    that a request let go at its deadline still finishes, or leaves the store as it was, and removes it.
    A store busy or out of reach puts the upload back to be confirmed again."""
    place, about = _claim(folder, session, upload, token)
    try:
        outcome = _attempt(store, scope, place / f"upload{about['suffix']}", False, limits, f"token:{token.id}",
                           about.get("mapping"))
    except (StoreBusy, StoreUnavailable):
        try:
            os.rename(place, folder / _name(session, upload))
        except OSError:
            shutil.rmtree(place, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(place, ignore_errors=True)
        raise
    shutil.rmtree(place, ignore_errors=True)
    return about, outcome


# -- how it reads on the page ------------------------------------------------------------------------------

_SHEET = re.compile(r"sheet (?P<sheet>.+?)(?:, row (?P<row>[\d,\-]+))?(?:, (?P<rest>.+))?", re.S)
_COLUMN = re.compile(r"column (?P<column>[A-Z]{1,3}(?: [^:]*)?): (?P<message>.*)", re.S)


def problem_row(error: RecordError) -> dict[str, str | None]:
    """One problem as the page's table shows it: the sheet, row and column (a workbook's), or the record and
    field (a JSON file's), and what is wrong; every text masked as the API's errors are
    (:func:`orggraph.privacy.mask_text`), whoever reads it."""
    where, field_, message = mask_text(error.where), mask_text(error.field or ""), mask_text(error.message)
    found = _SHEET.fullmatch(where)
    if found is None:
        return {"sheet": None, "where": where, "column": field_, "message": message}
    column = field_[len("column "):] if field_.startswith("column ") else field_
    if not column and (named := _COLUMN.fullmatch(message)):  # a cell refused as read names its column first
        column, message = named["column"], named["message"]
    row = found["row"] or ""
    return {"sheet": found["sheet"], "where": f"{row}{'，' if row and found['rest'] else ''}{found['rest'] or ''}",
            "column": column, "message": message}


def _by_sheet(rows: list[dict[str, str | None]]) -> list[tuple[str | None, list[dict[str, str | None]]]]:
    groups: dict[str | None, list[dict[str, str | None]]] = {}
    for row in rows:
        groups.setdefault(row["sheet"], []).append(row)
    return list(groups.items())


def _zh_where(where: str) -> str:
    found = _SHEET.fullmatch(where)
    if found is None:
        return where
    return f"工作表「{found['sheet']}」" + (f"第 {found['row']} 行" if found["row"] else "")


def too_large(exc: WorkbookTooLarge) -> str:
    """A workbook past a limit, said in Chinese with the limit and its setting."""
    what = {"rows": f"记录超过 {exc.maximum:,.0f} 行", "columns": f"有单元格超出第 {exc.maximum:,.0f} 列",
            "seconds": f"读取超过 {exc.maximum:g} 秒",
            "part_bytes": f"解压后超过 {size_text(exc.maximum)}"}.get(exc.limit, "超出上限")
    return (f"文件超出上限：{_zh_where(mask_text(exc.where))}{what}（服务器设置 {setting_of(exc)}）。"
            "未写入任何内容；请拆分工作簿，或改用 JSON Lines 上传。")


def _refusal(exc: Exception) -> tuple[int, str, list[RecordError], int]:
    """A refusal's status, headline, the problems it names and how many there are in all."""
    if isinstance(exc, OutsideScope):
        return 403, f"有 {len(exc.errors)} 条记录超出您的管辖范围：整份文件被拒绝，未写入任何内容。", exc.errors, len(exc.errors)
    if isinstance(exc, IdTaken):
        return 409, f"有 {len(exc.errors)} 个编号已被其他记录占用：整份文件被拒绝，未写入任何内容；请改用其他编号。", exc.errors, len(exc.errors)
    assert isinstance(exc, InvalidRecords)
    return 422, f"发现 {exc.total} 处问题：整份文件未写入。请改正后重新上传。", exc.errors, exc.total


def _summary(summary: Summary) -> dict[str, Any]:
    shown = summary.as_dict()
    for key in ("ignored_columns", "skipped_rows", "notes"):
        shown[key] = [mask_text(line) for line in shown[key]]
    shown["sheet"] = mask_text(shown["sheet"])
    return shown


def _shown(outcome: Outcome) -> dict[str, Any]:
    """What the result page shows of an outcome."""
    shown: dict[str, Any] = {"registers": [_summary(s) for s in outcome.registers], "EDGES": EDGE_TYPES}
    if outcome.report is not None:
        shown["report"] = outcome.report.as_dict() | {"history": outcome.report.history}
        return shown
    status, headline, errors, total = _refusal(outcome.refused)
    rows = [problem_row(e) for e in errors]
    shown.update(status=status, headline=headline, groups=_by_sheet(rows), total=total, listed=len(rows))
    return shown


def _form(request: Request, status: int = 200, error: str | None = None, mapping: str = "") -> Response:
    settings = request.app.state.settings
    return render(request, "upload.html", status=status, title="导入", nav="upload", error=error, mapping=mapping,
                  max_size=size_text(settings.max_body_bytes), max_bytes=settings.max_body_bytes,
                  limits=limits_of(settings), hours=HOUR // 3600)


# -- the pages ---------------------------------------------------------------------------------------------


@router.get("/upload")
async def upload_page(request: Request, token: PageToken) -> Response:
    """The form: a register, workbook or JSON file, and a mapping if its headers are not the built-in ones."""
    _editor(token)
    return _form(request)


@router.post("/upload")
async def check_upload(request: Request, store: StoreDep, token: PageToken, scope: PageScope,
                       file: Annotated[UploadFile | None, File()] = None,
                       mapping: Annotated[str, Form(max_length=MAPPING_CHARS)] = "") -> Response:
    """Keep the file and show its dry run: what it would write, or every problem (nothing to confirm then)."""
    _editor(token)
    mapping = mapping.strip()
    if file is None or not file.filename:
        return _form(request, 400, "请选择要上传的文件。", mapping)
    try:
        suffix = check_format(file.filename)
    except UnknownFormat:
        return _form(request, 415, "只能上传 Excel 工作簿（.xlsx）、JSON（.json）或 JSON Lines（.jsonl）文件。", mapping)
    if mapping and suffix != ".xlsx":
        return _form(request, 415, "映射只用于读取 Excel 台账（.xlsx）；JSON 文件无需映射，请清空映射后再上传。", mapping)
    try:
        if mapping:
            read_mapping(mapping, "the mapping")
    except BadMapping as exc:
        return _form(request, 422, f"映射有误：{mask_text(str(exc))}", mapping)
    settings = request.app.state.settings
    folder = await run_in_threadpool(folder_of, settings)
    name = mask_text(re.split(r"[\\/]", file.filename)[-1])[:200]  # the name alone, as any browser sends it
    upload, outcome = await run_in_threadpool(_check, folder, request.state.session, token, file.file, suffix,
                                              {"name": name, "mapping": mapping or None}, store, scope,
                                              limits_of(settings))
    if isinstance(outcome.refused, WorkbookTooLarge):
        return _form(request, 413, too_large(outcome.refused), mapping)
    shown = _shown(outcome)
    return render(request, "upload_result.html", status=shown.pop("status", 200), title="导入：检查结果", nav="upload",
                  stage="checked", name=name, upload=upload, hours=HOUR // 3600, **shown)


@router.post("/upload/{upload}")
async def confirm_upload(request: Request, store: StoreDep, token: PageToken, scope: PageScope, upload: str) -> Response:
    """Import the file this session checked, as it was checked (the checks are made again as it is written:
    a store changed meanwhile may refuse it, and nothing is written then)."""
    _editor(token)
    if not _ID.fullmatch(upload):
        raise Problem(404, GONE)
    settings = request.app.state.settings
    folder = await run_in_threadpool(folder_of, settings)
    about, outcome = await run_in_threadpool(_confirm, folder, request.state.session, upload, token, store, scope,
                                             limits_of(settings))
    if isinstance(outcome.refused, WorkbookTooLarge):  # the settings changed since its dry run
        return _form(request, 413, too_large(outcome.refused))
    shown = _shown(outcome)
    revision = await off_loop(store, lambda: store.revision)
    return render(request, "upload_result.html", status=shown.pop("status", 200), title="导入：结果", nav="upload",
                  stage="imported", name=about.get("name", ""), revision=revision, **shown)
