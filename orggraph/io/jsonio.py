"""The JSON and JSON Lines interchange formats: read records, write a store out."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import orjson

from ..load import Item
from ..privacy import describe

__all__ = ["read_json", "read_jsonl", "write_json", "write_jsonl", "items_from_document", "loads_exact", "repeated_keys"]

_PROGRESS_BYTES = 20 * 1024 * 1024  # show a progress bar on files larger than this


# --- JSON as written ----------------------------------------------------------------------------------
# orjson reads a whole number past 64 bits as a float (1180591620717411303424 becomes 1.1805916207174113e+21,
# which a property would keep), and an object that gives a key twice as its last value. Both are rare and
# both can be seen in the text at the cost of a scan: a run of 19 digits or more (the shortest number
# orjson may take for a float), and more colons than the record has keys (every key is followed by one;
# a colon within a text only costs the exact reading). Only then is the text read again, exactly.

class _Repeated(dict):  # type: ignore[type-arg]
    """A JSON object that gave a key more than once, with the keys given again (``again``)."""

    again: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Repeated(obj)
    seen: set[str] = set()
    marked.again = []
    for key, _ in pairs:
        if key in seen and key not in marked.again:
            marked.again.append(key)
        seen.add(key)
    return marked


def _whole(text: str) -> int:
    return int(text) if len(text) < 100 else (-(2**64) if text.startswith("-") else 2**64)  # refused anyhow


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def loads_exact(data: bytes | str) -> Any:
    """Read JSON as written: a whole number of any size stays a whole number (and is refused by the
    model past 64 bits, by record and field), and an object that gives a key twice is marked (see
    :func:`repeated_keys`). NaN and Infinity are not JSON, and are refused.

    Raises
    ------
    ValueError
        If the text is not JSON.

    Examples
    --------
    >>> loads_exact(b'{"count": 1180591620717411303424}')
    {'count': 1180591620717411303424}
    >>> repeated_keys(loads_exact('{"people": 1, "people": 2}'))
    ['people']
    """
    return json.loads(data, object_pairs_hook=_pairs, parse_int=_whole, parse_constant=_constant)


def repeated_keys(obj: Any) -> list[str]:
    """The keys an object read by :func:`loads_exact` gave more than once (none for any other value)."""
    return obj.again if type(obj) is _Repeated else []


def _twice(keys: list[str]) -> str:
    return (f"gives the key {describe(keys[0])} twice; keep one (the last would win silently)" if len(keys) == 1
            else f"gives the keys {', '.join(describe(k) for k in keys)} twice; keep one of each")


_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG = b"0" * 19  # a run of 19 digits: a whole number orjson may have read as a float


def _keys(doc: Any) -> int:
    """How many keys a document and its records hold, not counting objects within a record."""
    if type(doc) is not dict:
        return 0
    count = len(doc)
    for key in ("nodes", "edges"):
        records = doc.get(key)
        if type(records) is list:
            count += sum(len(r) for r in records if type(r) is dict)
    return count


def _exactly(line: bytes, what: str, where: str) -> Item:
    """A line of JSON Lines read as written (see :func:`loads_exact`): its record, or what is wrong."""
    try:
        wrapper = loads_exact(line)
    except ValueError as exc:
        return ("error", where, f"not valid JSON: {exc}")
    record = wrapper[what]
    again = repeated_keys(wrapper) or repeated_keys(record)
    return ("error", where, _twice(again)) if again else (what, where, record)


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
    if type(doc) is _Repeated:
        yield ("error", "document", _twice(doc.again))
        return
    for key, what in (("nodes", "node"), ("edges", "edge")):
        records = doc.get(key, [])
        if not isinstance(records, list):
            yield ("error", key, f"must be a list, got {type(records).__name__}")
            continue
        for i, record in enumerate(records):
            if type(record) is _Repeated:
                yield ("error", f"{key}[{i}]", _twice(record.again))
            else:
                yield (what, f"{key}[{i}]", record)


_BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which Windows tools write at the start of a file
_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_LINE_END = re.compile(r"\r\n|\r|\n")


def _utf16(path: str | os.PathLike[str], head: bytes) -> Item | None:
    if head.startswith(_UTF16):
        return ("error", os.path.basename(path), "the file is UTF-16 (a Windows 'Unicode' text file); save it as UTF-8")
    return None


def _where_in(doc: str, pos: int) -> str:
    """Line and column of a character, lines ended by LF, CRLF or a lone CR alike."""
    before = doc[:pos]
    ends = list(_LINE_END.finditer(before))
    column = pos - (ends[-1].end() if ends else 0) + 1
    return f"line {len(ends) + 1} column {column}"


def read_json(path: str | os.PathLike[str]) -> Iterator[Item]:
    """Read a JSON file of the interchange format (held in memory: use JSON Lines for large files).

    A byte order mark at the start is skipped, and lines may end in LF, CRLF or a lone CR.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "street.json")
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(b'\\xef\\xbb\\xbf{"nodes": [\\r{"id": "h1", "kind": "Household"}\\r]}\\r')
    >>> list(read_json(path))
    [('node', 'nodes[0]', {'id': 'h1', 'kind': 'Household'})]
    """
    data = Path(path).read_bytes()
    if (utf16 := _utf16(path, data)) is not None:
        yield utf16
        return
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:  # a number too large for orjson is JSON all the same
            doc = loads_exact(data)
        except ValueError:
            yield ("error", os.path.basename(path), f"not valid JSON: {exc.msg}: {_where_in(exc.doc, exc.pos)}")
            return
    if _LONG in data.translate(_DIGITS) or data.count(b":") != _keys(doc):
        try:
            doc = loads_exact(data)  # a whole number past 64 bits, or a key given twice: read as written
        except ValueError as exc:
            yield ("error", os.path.basename(path), f"not valid JSON: {exc}")
            return
    yield from items_from_document(doc)


def _lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The lines of a file, numbered from 1: ended by LF, CRLF or a lone CR (as old Mac files are), a
    byte order mark at the start skipped."""
    number = 0
    for chunk in fh:  # split at LF only
        if number == 0 and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM):]
        if b"\r" not in chunk:
            number += 1
            yield number, chunk
            continue
        for line in (chunk[:-2] if chunk.endswith(b"\r\n") else chunk).split(b"\r"):
            number += 1
            yield number, line


def read_jsonl(path: str | os.PathLike[str], *, progress: bool | None = None) -> Iterator[Item]:
    """Stream a JSON Lines file: one ``{"node": {...}}`` or ``{"edge": {...}}`` a line.

    Lines may end in LF, CRLF or a lone CR, and a byte order mark at the start is skipped; errors name the
    line as an editor counts it.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar on stderr; by default only for large files on a terminal.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "street.jsonl")
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(b'\\xef\\xbb\\xbf{"node": {"id": "h1", "kind": "Household"}}\\r\\r{"nodes": []}\\r')
    >>> for item in read_jsonl(path):
    ...     print(item)
    ('node', 'line 1', {'id': 'h1', 'kind': 'Household'})
    ('error', 'line 3', 'expected {"node": {...}} or {"edge": {...}}')
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
            if (utf16 := _utf16(path, fh.read(2))) is not None:
                yield utf16
                return
            fh.seek(0)
            done = 0
            for number, line in _lines(fh):
                if bar is not None:
                    done += len(line)
                    if number % 20000 == 0:
                        bar.update(done)
                        done = 0
                try:
                    obj = loads(line)
                except orjson.JSONDecodeError as exc:
                    if line.strip():
                        try:  # a number too large for orjson is JSON all the same
                            obj = loads_exact(line)
                        except ValueError:
                            yield ("error", f"line {number}", f"not valid JSON: {exc}")
                            continue
                    else:
                        continue
                if (type(obj) is dict or type(obj) is _Repeated) and len(obj) == 1:
                    what = "node" if "node" in obj else "edge" if "edge" in obj else None
                    if what is not None:
                        record = obj[what]
                        if (type(record) is dict and line.count(b":") == len(record) + 1
                                and _LONG not in line.translate(_DIGITS)):
                            yield (what, f"line {number}", record)
                        else:
                            yield _exactly(line, what, f"line {number}")
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
