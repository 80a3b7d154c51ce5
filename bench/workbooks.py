"""Workbook bombs: small files that claim or hold far more than they look, read by a load and by the API.

Builds two workbooks by writing the XML inside the zip (no spreadsheet program writes them):

- ``dimension.xlsx``: a household sheet of two rows and a blank cell in row 20,000, whose stored
  dimension claims ``A1:XFD20000`` (``--dimension-rows`` sets the rows; 1048576 is the whole sheet);
- ``million.xlsx``: a household sheet of 1,000,000 identical rows (``--rows``), about 240 KB zipped.

Each is then read in a child process of its own, so that its wall time, CPU time and peak memory (the
child's maximum resident set, from the kernel) are its own: once by ``load_file`` into a fresh embedded
store (what ``orggraph load`` does) and once through ``POST /import`` of the real app (TestClient, an
admin token of the street). Run from the top of the repository:

    python bench/workbooks.py
    python bench/workbooks.py --dimension-rows 1048576 --keep bench/out

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

HEADER = ("编号", "地址", "人数")

PHASES = {
    "load": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            try:
                print(load_file(store, sys.argv[1], progress=False))
            except Exception as exc:
                print(type(exc).__name__, str(exc)[:300])
    """,
    "POST /import": """
        from fastapi.testclient import TestClient
        from orggraph.access import create_token
        from orggraph.api import create_app
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            store.load([("node", "s1", {"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"})])
            token = create_token(store, "admin", ["s1"])[0]
            with TestClient(create_app(store=store)) as client:
                body = open(sys.argv[1], "rb").read()
                answer = client.post("/import", content=body, headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
                print(answer.status_code, answer.text[:300])
    """,
}


def _base(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "住户"
    ws.append(list(HEADER))
    ws.append(["h1", "桂花社区1号楼1单元101室", 3])
    book.save(path)


def _rewrite(path: Path, sheet_xml: bytes | None = None, rows: int = 0) -> None:
    """Put a new first sheet into the workbook: the given XML, or ``rows`` identical household rows."""
    parts = {}
    with zipfile.ZipFile(path) as old:
        for info in old.infolist():
            parts[info.filename] = old.read(info.filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                new.writestr(name, data)
                continue
            if sheet_xml is not None:
                new.writestr(name, sheet_xml)
                continue
            head, tail = data.split(b"<sheetData>")[0], b"</sheetData></worksheet>"
            head = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="A1:C{rows + 1}"/>'.encode(), head)
            cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER)
            row = '<row><c t="inlineStr"><is><t>h1</t></is></c><c t="inlineStr"><is><t>1号楼</t></is></c><c><v>3</v></c></row>'
            with new.open(name, "w") as out:
                out.write(head + b"<sheetData>" + f"<row>{cells}</row>".encode())
                chunk = (row * 10_000).encode()
                for _ in range(rows // 10_000):
                    out.write(chunk)
                out.write((row * (rows % 10_000)).encode())
                out.write(tail)


def dimension_bomb(path: Path, claimed_rows: int) -> None:
    _base(path)
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/worksheets/sheet1.xml")
    xml = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="A1:XFD{claimed_rows}"/>'.encode(), xml)
    last = f'<row r="{claimed_rows}"><c r="A{claimed_rows}" t="inlineStr"><is><t> </t></is></c></row>'
    _rewrite(path, xml.replace(b"</sheetData>", last.encode() + b"</sheetData>"))


def rows_bomb(path: Path, rows: int) -> None:
    _base(path)
    _rewrite(path, rows=rows)


def measured(name: str, workbook: Path, db: Path, timeout: float) -> dict:
    """Run a phase under ``wait4`` to get its CPU time and peak memory."""
    code = "import sys\n" + textwrap.dedent(PHASES[name])
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if path.exists():
            path.unlink()
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, str(workbook), str(db)], stdout=out, text=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()  # this phase's own child, by its pid
                _, status, usage = os.wait4(proc.pid, 0)
                return {"seconds": f"> {timeout:.0f}", "cpu": "-", "peak_mib": "-", "answer": "stopped at the timeout"}
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        out.seek(0)
        answer = out.read().strip().replace("\n", " ")
    return {"seconds": round(seconds, 1), "cpu": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_mib": round(usage.ru_maxrss / 1024), "answer": answer[:160]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dimension-rows", type=int, default=20_000, help="the rows the dimension claims")
    parser.add_argument("--rows", type=int, default=1_000_000, help="the rows of the second workbook")
    parser.add_argument("--timeout", type=float, default=600, help="stop a phase after this many seconds")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        books = {
            f"dimension A1:XFD{args.dimension_rows}": folder / "dimension.xlsx",
            f"{args.rows:,} identical rows": folder / "million.xlsx",
        }
        dimension_bomb(books[f"dimension A1:XFD{args.dimension_rows}"], args.dimension_rows)
        rows_bomb(books[f"{args.rows:,} identical rows"], args.rows)
        print("| workbook | size | read by | wall s | CPU s | peak MiB | answer |")
        print("|---|---:|---|---:|---:|---:|---|")
        for label, path in books.items():
            for phase in PHASES:
                r = measured(phase, path, folder / "bench.db", args.timeout)
                print(f"| {label} | {path.stat().st_size / 1024:.0f} KB | {phase} | {r['seconds']} | {r['cpu']} "
                      f"| {r['peak_mib']} | {r['answer']} |", flush=True)


if __name__ == "__main__":
    main()
