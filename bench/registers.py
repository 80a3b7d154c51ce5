"""Register benchmark: a street's resident register in the layout of case 01, loaded as it is.

Writes a register of N households (default 20,000) laid out as offices keep one (a note row, a merged
title, a 时间 row, then 街道 / 社区 / 网格 / 楼栋 / 户主姓名 / 家庭地址 / 电话1-3 / 人数 / 重点人群 / 分包人 /
分包人电话, contacts named with their community prefixed, phones in several spellings, a footnote), then
in child processes of their own, so that each wall time and peak memory (the child's maximum resident
set) is its own:

- ``openpyxl``: reading every cell with openpyxl in read-only mode, what any script that takes the
  register in must do at least (the floor);
- ``load``: ``orggraph load REGISTER.xlsx`` into a fresh embedded store;
- ``again``: the same register loaded again, which changes nothing;
- ``next month``: the register a month on, one household in ten handed to another contact;
- ``as JSONL``: the same records as JSON Lines (what the template route gives), loaded fresh.

Run from the top of the repository:

    python bench/registers.py                 # 20,000 households
    python bench/registers.py 100000 --keep bench/out

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
from pathlib import Path

from load import run_phase  # bench/load.py: a phase in a process of its own, timed and measured

PHASES = {
    "openpyxl": """
        from openpyxl import load_workbook
        book = load_workbook(sys.argv[1], read_only=True, data_only=True)
        cells = sum(1 for row in book.active.iter_rows(values_only=True) for v in row if v is not None)
        book.close()
    """,
    "load": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            report = load_file(store, sys.argv[1])
            assert report.added_nodes > int(sys.argv[3]), report
    """,
    "again": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        with EmbeddedStore(sys.argv[2]) as store:
            report = load_file(store, sys.argv[1])
            assert report.added_nodes == report.added_edges == report.changed == 0, report
    """,
    "next month": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        registers = []
        with EmbeddedStore(sys.argv[2]) as store:
            report = load_file(store, sys.argv[1].replace(".xlsx", "-next.xlsx"), registers=registers)
            assert registers[0].ended_contacts == registers[0].new_contacts > 0, registers[0]
    """,
    "as JSONL": """
        from orggraph.io import load_file
        from orggraph.store import EmbeddedStore
        jsonl = sys.argv[2].replace(".db", ".jsonl")
        with EmbeddedStore(sys.argv[2] + ".copy") as store:
            report = load_file(store, jsonl)
    """,
}

COMMUNITIES = ["桂花", "荷花", "兰花", "梅花", "竹园", "松林", "枫叶", "杏林"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
FLAGS = ["", "", "", "", "独居老人", "残疾", "低保", "高龄老人、慢性病", "留守儿童"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    digits = f"13{rng.randrange(10**9):09d}"
    return rng.choice([digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
                       f"+86 {digits}"])


def write_register(path: Path, households: int, *, seed: int = 1, moved: float = 0.0, day: str = "2024年03月01日") -> None:
    """A register of ``households`` rows in the layout of case 01; ``moved`` of them (a share) handed to
    another contact of their community, as next month's register would."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook()
    ws = book.active
    ws.append(["附件1"])
    ws.append(["XX街道社区居民联系方式登记表"])
    ws.append([None] * 10 + [f"时间：{day}"])
    ws.append(["街道", "社区", "网格", "楼栋", "户主姓名", "家庭地址", "电话1", "电话2", "电话3", "人数", "重点人群",
               "分包人", "分包人电话"])
    per_contact = 12
    contacts: dict[str, list[tuple[str, str]]] = {}
    for community in COMMUNITIES:
        contacts[community] = [(_name(rng), f"139{rng.randrange(10**8):08d}")
                               for _ in range(households // len(COMMUNITIES) // per_contact + 2)]
    move = random.Random(seed + 1)
    for i in range(households):
        community = COMMUNITIES[i % len(COMMUNITIES)]
        n = i // len(COMMUNITIES)
        grid, building, unit, room = n // 600 + 1, n // 60 + 1, n % 60 // 20 + 1, 101 + n % 20
        who = contacts[community][n // per_contact]
        if moved and move.random() < moved:
            who = contacts[community][(n // per_contact + 1) % len(contacts[community])]
        phones = [_phone(rng) for _ in range(rng.choice((1, 1, 2, 3)))] + [None, None]
        ws.append(["江滨", community, str(grid), f"{building}号楼", _name(rng),
                   f"{community}社区{building}号楼{unit}单元{room}", *phones[:3], rng.randint(1, 5),
                   rng.choice(FLAGS) or None, f"{community}{who[0]}", who[1]])
    ws.append(["填表人：社区办公室"])
    ws.merge_cells("A2:M2")
    ws.merge_cells("K3:M3")
    book.save(path)


def bench(households: int, folder: Path) -> dict:
    from orggraph.io import export_store
    from orggraph.store import EmbeddedStore

    register = folder / f"register-{households}.xlsx"
    db = folder / f"register-{households}.db"
    for path in folder.glob(f"register-{households}*"):
        path.unlink()
    write_register(register, households)
    write_register(folder / f"register-{households}-next.xlsx", households, moved=0.1, day="2024年04月01日")
    result = {"households": households, "xlsx_mib": round(register.stat().st_size / 2**20, 2)}
    for name in PHASES:
        if name == "as JSONL":
            with EmbeddedStore(db) as store:
                result["records"] = export_store(store, str(db).replace(".db", ".jsonl"))
        result[name] = run_phase(name, register, db, households, PHASES)
        print(f"  {households:>9,} {name:<11} {result[name]['seconds']:>8.2f} s {result[name]['peak_mib']:>8.1f} MiB",
              file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[20_000], help="households")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            results.append(bench(size, folder))
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}\n")
    print("| households | .xlsx MiB | records | openpyxl read s (MiB) | load s (MiB) | again s (MiB) "
          "| next month s (MiB) | same records as JSONL s (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        cell = lambda k: f"{r[k]['seconds']} ({r[k]['peak_mib']})"  # noqa: E731
        print(f"| {r['households']:,} | {r['xlsx_mib']} | {r['records']:,} | {cell('openpyxl')} | {cell('load')} "
              f"| {cell('again')} | {cell('next month')} | {cell('as JSONL')} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
