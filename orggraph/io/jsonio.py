"""The JSON and JSON Lines interchange formats: read records, write a store out."""

from __future__ import annotations

import json
import os
import re
import sys
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

import orjson

from ..load import Item
from ..privacy import describe

__all__ = ["read_json", "read_jsonl", "JsonLines", "write_json", "write_jsonl", "items_from_document", "loads_exact", "repeated_keys"]

_PROGRESS_BYTES = 20 * 1024 * 1024  # show a progress bar on files larger than this
_first, _second = itemgetter(0), itemgetter(1)
_TWO_ON_A_LINE = re.compile(rb"\}\s*,\s*\{")


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


def _line_item(number: int, line: bytes) -> Item | None:
    """What one line holds (None for a blank line)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if not line.strip():
            return None
        try:  # a number too large for orjson is JSON all the same
            obj = loads_exact(line)
        except ValueError:
            return ("error", f"line {number}", f"not valid JSON: {exc}")
    if (type(obj) is dict or type(obj) is _Repeated) and len(obj) == 1:
        what = "node" if "node" in obj else "edge" if "edge" in obj else None
        if what is not None:
            record = obj[what]
            if (type(record) is dict and line.count(b":") == len(record) + 1
                    and _LONG not in line.translate(_DIGITS)):
                return (what, f"line {number}", record)
            return _exactly(line, what, f"line {number}")
    return ("error", f"line {number}", 'expected {"node": {...}} or {"edge": {...}}')


def _run(block: bytes, first: int) -> Item | None:
    """A block of whole lines (``first`` the number of its first line; no CR in it) as one run of records
    (:meth:`orggraph.load.Loader.add_run`), read at once: or None if a line of it needs reading alone (a
    blank line, one that is not JSON, not one node or edge, a key given twice, a long number, a null)."""
    if b"null" in block or _LONG in block.translate(_DIGITS):
        return None
    lines = block.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    # one object a line: each line opens and closes one (a record split over two lines, or two records on
    # one, would otherwise join into records that were never written); a "}, {" anywhere is read alone
    if not all(line[:1] == b"{" and line[-1:] == b"}" for line in lines) or _TWO_ON_A_LINE.search(block):
        return None
    try:
        objs = orjson.loads(b"[" + b",".join(lines) + b"]")
    except orjson.JSONDecodeError:
        return None
    if len(objs) != len(lines) or set(map(type, objs)) != {dict} or set(map(len, objs)) != {1}:
        return None  # (two values on a line, "{...}, {...}", read as two: that line is read alone)
    records = list(map(dict.popitem, objs))  # (what, record)
    if not {"node", "edge"}.issuperset(map(_first, records)) or set(map(type, map(_second, records))) != {dict}:
        return None
    if block.count(b":") != sum(map(len, map(_second, records))) + len(records):
        return None  # a key given twice, or a colon within a text: read line by line
    return ("run", f"line {first}", records)


def read_jsonl(path: str | os.PathLike[str], *, progress: bool | None = None, block: int = 1 << 20,
               runs: bool = False) -> "JsonLines":
    """Stream a JSON Lines file: one ``{"node": {...}}`` or ``{"edge": {...}}`` a line.

    Lines may end in LF, CRLF or a lone CR, and a byte order mark at the start is skipped; errors name the
    line as an editor counts it.

    What it costs: the file is read ``block`` bytes at a time, and a block whose every line is one plain
    record (most are) is read in one call to orjson and handed on as a run of records (an item
    ``("run", "line N", [(what, record), ...])``, :meth:`orggraph.load.Loader.add_run`), with no text made
    for each line's place: 0.4 s for the 697,382 lines of a city of 200,000 households, against 2.9 s line
    by line. Any other block is read line by line, as it always was.

    A loader whose store keeps records as JSON text asks the reader to check the records of such blocks in
    other processes (:meth:`JsonLines.checked_runs`), and takes what they hand back.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar on stderr; by default only for large files on a terminal.
    block : int
        Bytes read at a time.
    runs : bool
        Hand a block of plain records on as one run (for a loader, :meth:`orggraph.load.Loader.add_run`),
        and offer to check them in other processes; else one item a record, each with its place (for
        whatever reads the items themselves, as the API's check of what a token may change does).

    Returns
    -------
    JsonLines
        An iterator of the items read.

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
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(b'{"node": {"id": "h1", "kind": "Household"}}\\n{"node": {"id": "h2", "kind": "Household"}}\\n')
    >>> list(read_jsonl(path, runs=True))
    [('run', 'line 1', [('node', {'id': 'h1', 'kind': 'Household'}), ('node', {'id': 'h2', 'kind': 'Household'})])]
    """
    return JsonLines(path, progress=progress, block=block, runs=runs)


def _block_items(data: bytes, number: int) -> tuple[list[Item], int]:
    """The items of a block of whole lines read line by line (``number`` the lines before it), and the
    number of the last line."""
    items = []
    for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
        if b"\r" in line:  # a lone CR ends a line too (old Mac files); CRLF is one end
            parts = (line[:-1] if line.endswith(b"\r") else line).split(b"\r")
        else:
            parts = [line]
        for part in parts:
            number += 1
            item = _line_item(number, part)
            if item is not None:
                items.append(item)
    return items, number


#: the smallest file whose lines are checked in other processes, and at most how many
_PARALLEL_BYTES = 32 * 1024 * 1024
_WORKERS_AT_MOST = 2
_WORKER_NICE = 5
_worker_file: IO[bytes] | None = None


def _open_in_worker(path: str, parent: int) -> None:
    global _worker_file
    _worker_file = open(path, "rb")
    try:  # a worker ends with its loader, even one killed (SIGKILL): Linux signals it when the parent dies
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # (the loader died before that was set)
        os._exit(1)
    try:  # the writer (SQLite, in the loading process) sets the pace: the workers yield it the cores first
        os.nice(_WORKER_NICE)
    except OSError:
        pass


def _check_block(offset: int, size: int, check: Callable[[list[Any]], Any]) -> tuple[str, Any]:
    """In a worker: the lines that start within ``size`` bytes from ``offset``, checked by ``check`` as one run
    (``("checked", (lines, errors, batches))``), or handed back to be read line by line (``("lines", data)``)."""
    fh = _worker_file
    assert fh is not None
    if offset:
        fh.seek(offset - 1)
        fh.readline()  # the line that started before the block belongs to the one before
    else:
        fh.seek(0)
    start = fh.tell()
    if start >= offset + size:
        return "checked", (0, [], [])
    data = fh.read(offset + size - start)
    if data and not data.endswith(b"\n"):
        data += fh.readline()
    if not offset and data.startswith(_BOM):
        data = data[len(_BOM):]
    run = _run(data, 1) if b"\r" not in data else None
    if run is None:
        return "lines", data
    records = run[2]
    return "checked", (len(records), *check(records))


class JsonLines:
    """The items of a JSON Lines file, read a block at a time (:func:`read_jsonl`)."""

    def __init__(self, path: str | os.PathLike[str], *, progress: bool | None = None, block: int = 1 << 20,
                 runs: bool = False):
        self.path = Path(path)
        self.runs = runs
        self.size = self.path.stat().st_size
        self.progress = self.size > _PROGRESS_BYTES and sys.stderr.isatty() if progress is None else progress
        self.block = block
        self._items: Iterator[Item] | None = None

    def __iter__(self) -> "JsonLines":
        return self

    def __next__(self) -> Item:
        if self._items is None:
            self._items = self._read()
        return next(self._items)

    def _bar(self) -> Any:
        if not self.progress:
            return None
        from tqdm import tqdm

        return tqdm(total=self.size, unit="B", unit_scale=True, desc=f"loading {self.path.name}", file=sys.stderr)

    def _read(self) -> Iterator[Item]:
        bar = self._bar()
        try:
            with self.path.open("rb") as fh:
                if (utf16 := _utf16(self.path, fh.read(2))) is not None:
                    yield utf16
                    return
                fh.seek(0)
                number = 0  # lines read so far
                rest = b""
                start = True
                while True:
                    chunk = fh.read(self.block)
                    data = rest + chunk
                    if start and data.startswith(_BOM):
                        data = data[len(_BOM):]
                    start = False
                    if chunk:
                        end = data.rfind(b"\n") + 1
                        if end == 0:  # no whole line yet
                            rest = data
                            continue
                        data, rest = data[:end], data[end:]
                    elif not data:
                        break
                    else:
                        rest = b""
                    if bar is not None:
                        bar.update(len(data))
                    run = _run(data, number + 1) if b"\r" not in data else None
                    if run is not None and self.runs:
                        number += len(run[2])
                        yield run
                    elif run is not None:
                        for what, record in run[2]:
                            number += 1
                            yield (what, f"line {number}", record)
                    else:
                        items, number = _block_items(data, number)
                        yield from items
                    if not chunk:
                        break
        finally:
            if bar is not None:
                bar.close()

    def checked_runs(self, check: Callable[[list[Any]], Any], workers: int) -> Iterator[Item] | None:
        """The items, with the records of every block that is a run (see :func:`_run`) checked by ``check``
        (:func:`orggraph.load.check_run`) in up to ``workers`` other processes, each block handed back in
        order as ``("checked", "line N", (lines, errors, batches))``; a block that is not a run is read
        line by line here. None (read as usual) when that does not help or cannot be done safely: a file
        under 32 MiB, a platform without fork, or a process running other threads (a server: a fork copies
        only the thread that makes it), a reader not asked for runs, or when reading has begun.

        The workers are forked, so that they hash text as this process does (the loader compares the
        fingerprints they make with its own). Each reads its blocks from the file itself; what comes back
        is texts, ids and arrays, never the records.
        """
        import multiprocessing
        import threading

        workers = min(workers, _WORKERS_AT_MOST, os.cpu_count() or 1)
        if (not self.runs or self._items is not None or workers < 2 or self.size < _PARALLEL_BYTES or threading.active_count() > 1
                or "fork" not in multiprocessing.get_all_start_methods()):
            return None
        with self.path.open("rb") as fh:
            if _utf16(self.path, fh.read(2)) is not None:
                return None
        self._items = iter(())  # this reader is used up
        return self._checked(check, workers, multiprocessing.get_context("fork"))

    def _checked(self, check: Callable[[list[Any]], Any], workers: int, context: Any) -> Iterator[Item]:
        from collections import deque

        from concurrent.futures import ProcessPoolExecutor

        bar = self._bar()
        # (a worker that dies, killed or out of memory, fails the load with BrokenProcessPool, never hangs it)
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_open_in_worker,
                                   initargs=(str(self.path), os.getpid()))
        try:
            offsets = iter(range(0, self.size, self.block))
            pending: deque[Any] = deque()
            for offset in offsets:
                pending.append(pool.submit(_check_block, offset, self.block, check))
                if len(pending) >= 8 * workers:
                    break
            number = 0
            while pending:
                kind, payload = pending.popleft().result()
                for offset in offsets:
                    pending.append(pool.submit(_check_block, offset, self.block, check))
                    break
                if bar is not None:
                    bar.update(min(self.block, self.size - bar.n))
                if kind == "checked":
                    lines = payload[0]
                    if lines:
                        yield ("checked", f"line {number + 1}", payload)
                        number += lines
                else:
                    items, number = _block_items(payload, number)
                    yield from items
        finally:
            for process in list(getattr(pool, "_processes", {}).values()):  # a load that fails stops them at once
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
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
