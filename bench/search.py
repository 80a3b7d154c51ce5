"""Search benchmark on a generated city (the embedded store): what a clerk types, with and without pii,
over the whole city and within one community's scope.

    python bench/search.py                        # 200,000 households, generated into bench/out once
    python bench/search.py --db /tmp/c200.db      # a store file of one's own (only read)

Each search is asked ``--repeat`` times after one to warm the file's pages; prints a Markdown table of
the median and the slowest, and the hits (``+`` where more were left off).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from orggraph.access import scope_of
from orggraph.queries import search
from orggraph.store import EmbeddedStore

#: (text, pii, scoped, what it stands for)
CASES = [
    ("王芳", False, False, "part of a member's name"),
    ("桂花社区3号楼", False, False, "a building, as a masked address shows it"),
    ("3号楼1单元101室", True, False, "a room (pii)"),
    ("5678", False, False, "a phone's last 4 digits"),
    ("13812345678", True, False, "a whole phone (pii)"),
    ("13812345678", False, False, "a whole phone without pii (not looked for in phones)"),
    ("h00123456", False, False, "an id"),
    ("云河", False, False, "in every address"),
    ("zzzz", False, False, "nowhere"),
    ("1单元", False, False, "the hidden part of 200,000 addresses, without pii"),
    ("室", False, False, "a character of every address's hidden part, without pii"),
    ("5678", False, True, "a phone, within one community"),
    ("云河", False, True, "every address, within one community"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a store file to search (default: a city generated into --folder)")
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--folder", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--community", default="s001c1", help="the community whose scope the scoped cases use")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    db = args.db
    if db is None:
        sys.path.insert(0, str(Path(__file__).parent))
        from queries import prepare

        args.folder.mkdir(parents=True, exist_ok=True)
        db = prepare(args.households, args.folder)
    with EmbeddedStore(db) as store:
        start = time.perf_counter()
        store.facts()
        opened = time.perf_counter() - start
        scope = scope_of(store, [args.community])
        households = store.counts()["nodes"].get("Household", 0)
        print(f"{households:,} households; the index read in {opened:.2f} s; the scope of {args.community}: "
              f"{len(scope.households):,} households\n")
        print("| search | pii | scope | hits | median | slowest |")
        print("|---|---|---|---:|---:|---:|")
        for text, pii, scoped, what in CASES:
            options = {"pii": pii, "scope": scope if scoped else None}
            result = search(store, text, **options)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                search(store, text, **options)
                times.append(time.perf_counter() - start)
            hits = f"{len(result['hits'])}{'+' if result['more'] else ''}"
            print(f"| `{text}` ({what}) | {'yes' if pii else 'no'} | {args.community if scoped else 'city'} | {hits} | "
                  f"{statistics.median(times) * 1000:.1f} ms | {max(times) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
