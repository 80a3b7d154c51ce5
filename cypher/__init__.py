"""orggraph's Cypher: the only place it lives. Files are loaded by name with :func:`statement`.

A statement may include a shared fragment of ``fragments/NAME.cypher`` as ``{NAME:VAR}``: the fragment's
text, its comment lines left out, with its variable ``{var}`` replaced by ``VAR``, a plain identifier.
So ``{valid:r}`` reads "the edge ``r`` is valid on ``$day``", written once for every statement.
Map literals keep a space after the colon (``{id: $id}``), so they are never taken for a fragment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

__all__ = ["statement", "names", "fragment", "fragments"]

# {name:var} and anything that starts like one (to refuse what is not exactly that); a map literal
# such as {id: $id} has a space after its colon
_INCLUDE = re.compile(r"\{([a-z_]+):([^\s}][^}]*?)\}")
_FILE = re.compile(r"[a-z_][a-z0-9_.]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=None)
def fragment(name: str) -> str:
    """The body of ``fragments/NAME.cypher``: its text without comment lines, on one line.

    Examples
    --------
    >>> fragment("valid")
    "({var}.since = '' OR {var}.since <= $day) AND ({var}.until IS NULL OR $day <= {var}.until)"
    """
    path = files(__name__) / "fragments" / f"{name}.cypher"
    if not _IDENTIFIER.fullmatch(name) or not path.is_file():
        raise KeyError(f"no Cypher fragment named {name!r}")
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return " ".join(line for line in lines if line and not line.startswith("//"))


def expand(text: str, *, where: str = "a statement") -> str:
    """``text`` with every ``{NAME:VAR}`` replaced by the fragment ``NAME`` about the variable ``VAR``.

    Raises
    ------
    KeyError
        A fragment that does not exist, or a variable that is not a plain identifier.

    Examples
    --------
    >>> expand("WHERE {valid:c} AND {available:m}")
    "WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until) AND coalesce(m.status, '') <> 'unavailable' AND NOT m.id IN $unavailable"
    >>> expand("WHERE {valid:c OR true}")
    Traceback (most recent call last):
    ...
    KeyError: "in a statement: 'c OR true' in {valid:...} is not a plain variable name"
    """

    def include(match: re.Match[str]) -> str:
        name, var = match.group(1), match.group(2)
        if not _IDENTIFIER.fullmatch(var):
            raise KeyError(f"in {where}: {var!r} in {{{name}:...}} is not a plain variable name")
        return fragment(name).replace("{var}", var)

    return _INCLUDE.sub(include, text)


@lru_cache(maxsize=None)
def statement(name: str) -> str:
    """The text of ``NAME.cypher``, its header comment included and its fragments expanded.

    Examples
    --------
    >>> "MERGE" in statement("load_nodes")
    True
    >>> "{valid:" in statement("contacts_astray"), "c.until IS NULL" in statement("contacts_astray")
    (False, True)
    """
    path = files(__name__) / f"{name}.cypher"
    if not _FILE.fullmatch(name) or not path.is_file():
        raise KeyError(f"no Cypher file named {name!r}")
    return expand(path.read_text(encoding="utf-8"), where=f"{name}.cypher")


def names() -> list[str]:
    """Every Cypher statement shipped, by name (the fragments are apart, in :func:`fragments`)."""
    return sorted(p.name[: -len(".cypher")] for p in files(__name__).iterdir() if p.name.endswith(".cypher"))


def fragments() -> list[str]:
    """Every Cypher fragment shipped, by name."""
    return sorted(p.name[: -len(".cypher")] for p in (files(__name__) / "fragments").iterdir()
                  if p.name.endswith(".cypher"))
