"""orggraph's Cypher: the only place it lives. Files are loaded by name with :func:`statement`."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

__all__ = ["statement", "names"]


@lru_cache(maxsize=None)
def statement(name: str) -> str:
    """The text of ``NAME.cypher``, its header comment included.

    Examples
    --------
    >>> "MERGE" in statement("load_nodes")
    True
    """
    path = files(__name__) / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no Cypher file named {name!r}")
    return path.read_text(encoding="utf-8")


def names() -> list[str]:
    """Every Cypher file shipped, by name."""
    return sorted(p.name[: -len(".cypher")] for p in files(__name__).iterdir() if p.name.endswith(".cypher"))
