"""Reading and writing the network's files: JSON, JSON Lines and the Excel workbook (台账)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..exceptions import OrgGraphError
from ..load import Item, LoadReport, check_load
from .excel import Limits, WorkbookTooLarge, read_workbook, write_template, write_workbook
from .files import refuse_existing, writing
from .jsonio import read_json, read_jsonl, write_json, write_jsonl
from .register import BadMapping, Mapping, Summary, read_mapping

if TYPE_CHECKING:
    from ..store.base import Store

__all__ = [
    "FORMATS", "check_format", "read_file", "load_file", "export_store", "copy_store", "write_template", "UnknownFormat",
    "refuse_existing",
    "Limits", "WorkbookTooLarge", "Mapping", "BadMapping", "read_mapping", "Summary",
]

FORMATS = (".json", ".jsonl", ".xlsx")


class UnknownFormat(OrgGraphError, ValueError):
    """A file whose name does not end in a format orggraph reads or writes."""


def check_format(path: str | os.PathLike[str]) -> str:
    """The file's format (``.json``, ``.jsonl`` or ``.xlsx``), or :class:`UnknownFormat`.

    Examples
    --------
    >>> check_format("台账.XLSX")
    '.xlsx'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UnknownFormat(f"{path}: unknown format {suffix or '(no extension)'!r}; use one of {', '.join(FORMATS)}")
    return suffix


def read_file(path: str | os.PathLike[str], *, progress: bool | None = None,
              limits: Limits | None = None, store: Store | None = None, mapping: Mapping | None = None,
              registers: list[Summary] | None = None,
              visible: Callable[[str, str], bool] | None = None, runs: bool = False) -> Iterator[Item]:
    """The records of a ``.json``, ``.jsonl`` or ``.xlsx`` file, as a store's ``load`` takes them, one by
    one as they are read; a workbook within ``limits`` (:class:`~orggraph.io.excel.Limits`; by default
    Excel's own rows and 200 columns), or :class:`~orggraph.io.excel.WorkbookTooLarge` as soon as it is not.

    A workbook may be a register (台账) as offices keep it, read with ``mapping`` when given (see
    :mod:`orggraph.io.register`): its records are found against ``store`` (the areas it names, its
    members, the contacts its households have), and a :class:`~orggraph.io.register.Summary` of each
    register is appended to ``registers``; ``visible(kind, id)``, when given, limits what of the store a
    register may find (a token's scope: what it cannot see is looked for as if it were not there).
    With ``runs``, JSON Lines are handed on a block of plain records at a time (:func:`read_jsonl`), for a
    loader; without, every item is one record, for whatever reads them itself.

    Raises
    ------
    UnknownFormat
        A name that does not end in .json, .jsonl or .xlsx, or a mapping given for a file that is not a
        workbook.
    FileNotFoundError
        No such file.
    """
    suffix = check_format(path)
    if mapping is not None and suffix != ".xlsx":
        raise UnknownFormat(f"{path}: a mapping reads a register, an Excel workbook (.xlsx); {suffix} needs none")
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if suffix == ".jsonl":
        return read_jsonl(path, progress=progress, runs=runs)
    if suffix == ".json":
        return read_json(path)
    return read_workbook(path, limits=limits, store=store, mapping=mapping, registers=registers, visible=visible)


def load_file(store: Store, path: str | os.PathLike[str], *, progress: bool | None = None,
              dry_run: bool = False, mapping: Mapping | None = None,
              registers: list[Summary] | None = None) -> LoadReport:
    """Load one file into a store, all or nothing; with ``dry_run``, check it as a load would and write
    nothing (:func:`orggraph.load.check_load`). A register (台账) is read with ``mapping`` when given, and
    a summary of each appended to ``registers`` (see :func:`read_file`).

    Examples
    --------
    >>> import json, os, tempfile
    >>> from orggraph.store import EmbeddedStore
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "street.json"), "w") as fh:
    ...     json.dump({"nodes": [{"id": "s1", "kind": "Area", "name": "江滨街道", "level": "street"}]}, fh)
    >>> store = EmbeddedStore(os.path.join(folder, "city.db"))
    >>> print(load_file(store, os.path.join(folder, "street.json")))
    read 1 records (1 Area); added 1 nodes and 0 edges, changed 0, unchanged 0
    >>> print(load_file(store, os.path.join(folder, "street.json")))
    read 1 records (1 Area); added 0 nodes and 0 edges, changed 0, unchanged 1
    """
    records = read_file(path, progress=progress, store=store, mapping=mapping, registers=registers, runs=True)
    return check_load(store, records) if dry_run else store.load(records)


def export_store(store: Store, path: str | os.PathLike[str], *, unmask: bool = True, public: Any = None,
                 shown: list[str] | None = None, force: bool = False) -> int:
    """Write the whole store to ``path`` (format by extension); return the number of records.

    The file is written beside its destination and moved into place when complete, so a failed export
    never leaves a half-written file where a good one was. A workbook is set up to print (A4 landscape,
    one page wide, the header row on every page, page numbers): see :func:`~orggraph.io.excel.write_workbook`.

    Parameters
    ----------
    unmask : bool
        True (the default): every value as stored, a complete backup. False: personal data masked
        (:func:`orggraph.privacy.mask_record`), a copy to hand on, which does not load back to the same network.
    public : names, optional
        Free-form properties declared non-personal (default: ``$ORGGRAPH_PUBLIC_PROPERTIES``).
    shown : list, optional
        Given, it receives the ids of the nodes (and both ends of the edges) whose personal data was
        written unmasked, for the audit log.
    force : bool
        Write over a file already at ``path``. Without it such a file is left as it is, whether or not
        the export would have succeeded, and :class:`~orggraph.exceptions.FileInTheWay` is raised
        (before anything is read from the store).
    """
    from ..privacy import mask_record, public_properties

    suffix = check_format(path)
    refuse_existing(path, force)
    public = public_properties(public)

    def kept(records: Iterator[dict[str, Any]], ends: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        for record in records:
            out, personal = mask_record(record, unmask, public)
            if personal and unmask and shown is not None:
                shown.extend(record[end] for end in ends)
            yield out

    if unmask and shown is None:
        nodes, edges = store.nodes(), store.edges()  # as they are: nothing to mask nor to note
    else:
        nodes, edges = kept(store.nodes(), ("id",)), kept(store.edges(), ("source", "target"))
    with writing(path, force) as partial:
        if suffix == ".xlsx":
            count = write_workbook(nodes, edges, partial)
        else:
            with partial.open("wb") as out:
                writer = write_jsonl if suffix == ".jsonl" else write_json
                count = writer(nodes, edges, out)
                out.flush()
                os.fsync(out.fileno())
    return count


def copy_store(source: Store, target: Store) -> LoadReport:
    """Load everything one store holds into another (the embedded store onto a server, say), all or nothing."""

    def items() -> Iterator[Item]:
        for node in source.nodes():
            yield "node", f"node {node['id']}", node
        for edge in source.edges():
            yield "edge", f"{edge['type']} edge {edge['source']} -> {edge['target']}", edge

    return target.load(items())
