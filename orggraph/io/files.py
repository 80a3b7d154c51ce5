"""Writing a file where another may lie: refused unless writing over it was asked for, and put in place
only when complete, so that a failed write leaves what was there as it was."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from ..exceptions import FileInTheWay

__all__ = ["refuse_existing", "writing"]


def refuse_existing(path: str | os.PathLike[str], force: bool = False, *, option: str = "force=True") -> None:
    """:class:`~orggraph.exceptions.FileInTheWay` if something is at ``path`` and ``force`` is not given;
    its message says to use ``option`` (how the caller's caller asks to write over it).

    Examples
    --------
    >>> import tempfile
    >>> refuse_existing(tempfile.mkdtemp() + "/new.xlsx")  # nothing there
    """
    if not force and os.path.lexists(path):
        raise FileInTheWay(path, option)


@contextlib.contextmanager
def writing(path: str | os.PathLike[str], force: bool = False) -> Iterator[Path]:
    """The file to write in place of ``path``, beside it; once the block ends without an error it is moved
    to ``path``: over what is there with ``force``, and without only if nothing has come there meanwhile
    (then :class:`~orggraph.exceptions.FileInTheWay`). Whatever happens, no partial file is left.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> with writing(path) as partial:
    ...     _ = partial.write_text("{}")
    >>> with writing(path) as partial:
    ...     _ = partial.write_text("[]")
    Traceback (most recent call last):
    ...
    orggraph.exceptions.FileInTheWay: ... already exists and was left as it is: ...
    >>> open(path).read(), os.listdir(os.path.dirname(path))
    ('{}', ['a.json'])
    """
    path = Path(path)
    refuse_existing(path, force)
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        if force:
            os.replace(partial, path)
        else:
            _put_new(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


def _put_new(partial: Path, path: Path) -> None:
    """Move ``partial`` to ``path`` only if nothing is there: a hard link makes that one step, where the
    file system has them."""
    try:
        os.link(partial, path)
    except FileExistsError:
        raise FileInTheWay(path) from None
    except OSError:  # no hard links here (some shared and removable drives)
        refuse_existing(path)
        os.replace(partial, path)
