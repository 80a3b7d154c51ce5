"""The JSON and JSON Lines interchange formats: read records, write a store out."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import orjson

from ..load import Item

__all__ = ["read_json", "read_jsonl", "write_json", "write_jsonl", "items_from_document"]

_PROGRESS_BYTES = 20 * 1024 * 1024  # show a progress bar on files larger than this


def items_from_document(doc: Any) -> Iterator[Item]:
    """The items of one JSON document ``{"nodes": [...], "edges": [...]}``.

    Examples
    --------
    >>> list(items_from_document({"nodes": [{"id": "h1", "kind": "Household"}]}))
    [('node', 'nodes[0]', {'id': 'h1', 'kind': 'Household'})]
    >>> list(items_from_document([1, 2]))
    [('error', 'document', 'expected an object with "nodes" and "edges" lists, got list')]
    """
    if not isinstance(doc, dict) or not ({"nodes", "edges"} & doc.keys()):
        yield ("error", "document", f'expected an object with "nodes" and "edges" lists, got {type(doc).__name__}')
        return
    for key, what in (("nodes", "node"), ("edges", "edge")):
        records = doc.get(key, [])
        if not isinstance(records, list):
            yield ("error", key, f"must be a list, got {type(records).__name__}")
            continue
        for i, record in enumerate(records):
            yield (what, f"{key}[{i}]", record)


def read_json(path: str | os.PathLike[str]) -> Iterator[Item]:
    """Read a JSON file of the interchange format (held in memory: use JSON Lines for large files)."""
    try:
        doc = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError as exc:
        yield ("error", str(path), f"not valid JSON: {exc}")
        return
    yield from items_from_document(doc)


def read_jsonl(path: str | os.PathLike[str], *, progress: bool | None = None) -> Iterator[Item]:
    """Stream a JSON Lines file: one ``{"node": {...}}`` or ``{"edge": {...}}`` a line.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar on stderr; by default only for large files on a terminal.
    """
    path = Path(path)
    size = path.stat().st_size
    if progress is None:
        progress = size > _PROGRESS_BYTES and sys.stderr.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=size, unit="B", unit_scale=True, desc=f"loading {path.name}", file=sys.stderr)
    loads = orjson.loads
    try:
        with path.open("rb") as fh:
            done = 0
            for number, line in enumerate(fh, 1):
                if bar is not None:
                    done += len(line)
                    if number % 20000 == 0:
                        bar.update(done)
                        done = 0
                try:
                    obj = loads(line)
                except orjson.JSONDecodeError as exc:
                    if line.strip():
                        yield ("error", f"line {number}", f"not valid JSON: {exc}")
                    continue
                if type(obj) is dict and len(obj) == 1:
                    what = "node" if "node" in obj else "edge" if "edge" in obj else None
                    if what is not None:
                        yield (what, f"line {number}", obj[what])
                        continue
                yield ("error", f"line {number}", 'expected {"node": {...}} or {"edge": {...}}')
            if bar is not None:
                bar.update(done)
    finally:
        if bar is not None:
            bar.close()


def _records(nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]]) -> Iterator[tuple[str, dict]]:
    for node in nodes:
        yield "node", node
    for edge in edges:
        yield "edge", edge


def write_jsonl(nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    """Write nodes, then edges, as JSON Lines; return the number of records written."""
    count = 0
    dumps = orjson.dumps
    for what, record in _records(nodes, edges):
        out.write(dumps({what: record}))
        out.write(b"\n")
        count += 1
    return count


def write_json(nodes: Iterable[dict[str, Any]], edges: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    """Write one JSON document, streamed record by record; return the number of records written."""
    count = 0
    dumps = orjson.dumps
    out.write(b'{"nodes": [')
    for i, node in enumerate(nodes):
        out.write(b",\n  " if i else b"\n  ")
        out.write(dumps(node))
        count += 1
    out.write(b'\n ],\n "edges": [')
    for i, edge in enumerate(edges):
        out.write(b",\n  " if i else b"\n  ")
        out.write(dumps(edge))
        count += 1
    out.write(b"\n ]}\n")
    return count
