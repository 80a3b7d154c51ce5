"""Exceptions raised by orggraph: one root, :class:`OrgGraphError`, and specific subclasses."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass

__all__ = [
    "OrgGraphError",
    "RecordError",
    "InvalidRecords",
    "InvalidStoredRecords",
    "NotFound",
    "StoreError",
    "IndexOutOfStep",
    "StoreNotFound",
    "StoreUnavailable",
    "StoreBusy",
    "ChangeRefused",
    "FileInTheWay",
]


class OrgGraphError(Exception):
    """Base class of every error orggraph raises on purpose."""


@dataclass(frozen=True)
class RecordError:
    """One thing wrong with one input record.

    Parameters
    ----------
    where : str
        The record: ``"line 12"``, ``"nodes[3]"``, ``"sheet 住户, row 7"``.
    field : str or None
        The field at fault (``"phone"``; for a workbook ``"column C 联系电话 (phone)"``), or None when the
        fault is the record as a whole.
    message : str
        What is wrong, in plain words.

    Examples
    --------
    >>> str(RecordError("line 3", "people", "must be at least 1, got 0"))
    'line 3, field people: must be at least 1, got 0'
    >>> str(RecordError("line 4", "李四13712345678", "is too long"))
    'line 4, field 李四137****5678: is too long'
    """

    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        from .privacy import mask_text  # a field's name may hold a phone number: it is masked as a value is

        if self.field:
            return mask_text(f"{self.where}, field {self.field}: {self.message}")
        return mask_text(f"{self.where}: {self.message}")


class InvalidRecords(OrgGraphError, ValueError):
    """Input records failed validation; nothing was written.

    ``errors`` lists the first problems found (at most ``limit``), ``total`` counts all of them.
    """

    _where = "in the input; nothing was written"

    def __init__(self, errors: list[RecordError], total: int | None = None):
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        lines = [str(e) for e in self.errors]
        more = self.total - len(self.errors)
        if more > 0:
            lines.append(f"... and {more} more")
        head = f"{self.total} problem{'s' if self.total != 1 else ''} {self._where}"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class InvalidStoredRecords(InvalidRecords):
    """Records a store already holds fail validation as it stands now: written by an older orggraph, or
    changed on a graph server by other means (see :func:`orggraph.load.check_store`)."""

    _where = "in the records the store holds"


class NotFound(OrgGraphError, KeyError):
    """A node or edge that was asked for does not exist."""

    def __str__(self) -> str:  # KeyError quotes its argument; say it plainly
        return str(self.args[0]) if self.args else "not found"


class ChangeRefused(OrgGraphError, ValueError):
    """A restructuring (:mod:`orggraph.changes`) that cannot be made as asked; nothing was written.

    ``problems`` names each fault, all of them at once.

    Examples
    --------
    >>> print(ChangeRefused(["g1 would lie within itself", "2024-07-01 is not after the since of WITHIN g1 -> c1"]))
    2 problems; nothing was written:
      g1 would lie within itself
      2024-07-01 is not after the since of WITHIN g1 -> c1
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}; nothing was written"
        super().__init__(head + ":\n  " + "\n  ".join(self.problems))


class FileInTheWay(OrgGraphError, FileExistsError):
    """A file is already where a file was to be written (an export, a template), and writing over it was
    not asked for: the file is left as it was, and nothing is written. ``filename`` is the file, and
    ``option`` how to ask (``force=True`` to a function, ``--force`` on the command line).

    An ``OSError`` too (``FileExistsError``, ``errno.EEXIST``), for code that catches those.

    Examples
    --------
    >>> print(FileInTheWay("台账.xlsx"))
    台账.xlsx already exists and was left as it is: to write over it, use force=True, or give another name
    >>> print(FileInTheWay("台账.xlsx", option="--force"))
    台账.xlsx already exists and was left as it is: to write over it, use --force, or give another name
    """

    def __init__(self, path: str | os.PathLike[str], option: str = "force=True"):
        super().__init__(errno.EEXIST, "already exists")
        self.filename, self.option = os.fspath(path), option

    def __str__(self) -> str:
        return (f"{self.filename} already exists and was left as it is: to write over it, use {self.option}, "
                "or give another name")


class StoreError(OrgGraphError):
    """The store cannot be opened, read or written (a damaged file, a newer schema, ...)."""


class StoreUnavailable(StoreError):
    """The graph server cannot be reached now (down, restarting, or the network between); try again later."""


class StoreBusy(StoreUnavailable):
    """The store is busy with another write (a long load, say) and a write could not wait longer for it;
    nothing was written: try again when it has finished."""


class StoreNotFound(StoreError, FileNotFoundError):
    """There is no store where one was expected to be read."""


class IndexOutOfStep(StoreError):
    """A change does not fit the query index it was to be applied to; the index must be built afresh."""
