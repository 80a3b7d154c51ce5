"""Every backend is a whole Store, and nothing outside orggraph.store asks which one it is talking to."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path

import pytest

import orggraph
from orggraph.store import Store
from orggraph.store.base import AuditRow, StoredToken

from .conftest import STREET, items, snapshot

ROOT = Path(orggraph.__file__).parent
API = ROOT.parent / "api"
#: the methods the protocol declares, with __enter__ and __exit__
METHODS = sorted(name for name, value in vars(Store).items()
                 if inspect.isfunction(value) and name not in ("__init__", "__subclasshook__"))


def test_the_protocol_declares_what_the_library_uses():
    used = set()
    for path in [*ROOT.rglob("*.py"), *API.rglob("*.py")]:
        relative = path.relative_to(ROOT.parent)
        if relative.parts[:2] == ("orggraph", "store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "store"
                    and isinstance(node.ctx, ast.Load) and not _exempt(_module_of(f"{relative}:{node.lineno}"))):
                used.add(node.attr)
    declared = set(METHODS) | set(Store.__annotations__)  # the methods, and the attributes it declares
    assert set(Store.__annotations__) == {"revision", "wait", "local"}
    assert used - declared == set(), "the library uses what the protocol does not declare"
    assert {"load", "delete", "kinds_of", "edges_of", "facts", "index", "save_token", "token_rows", "revoke_token",
            "append_audit", "audit_rows", "revision", "counts", "copies_out_of_step"} <= declared


def test_every_backend_has_the_attributes_the_protocol_declares(store):
    assert isinstance(store.revision, int) and store.wait == 30 and isinstance(store.local, bool)
    store.wait = 2.5
    assert store.wait == 2.5


def test_each_method_is_documented():
    for name in METHODS:
        if not name.startswith("__"):
            assert (getattr(Store, name).__doc__ or "").strip(), name


@pytest.mark.parametrize("name", METHODS)
def test_every_backend_takes_what_the_protocol_passes(store, name):
    """Each parameter the protocol declares is taken alike (name, kind, default); a backend may take
    more, if a caller of the protocol need not pass it."""
    declared = inspect.signature(getattr(Store, name)).parameters
    have = inspect.signature(getattr(type(store), name)).parameters
    for param in declared.values():
        assert param.name in have, f"{type(store).__name__}.{name} lacks {param.name}"
        other = have[param.name]
        assert (other.kind, other.default) == (param.kind, param.default), f"{type(store).__name__}.{name}({param.name})"
    for extra in set(have) - set(declared):
        assert have[extra].default is not inspect.Parameter.empty or have[extra].kind is inspect.Parameter.VAR_KEYWORD, \
            f"{type(store).__name__}.{name} needs {extra}, which the protocol does not pass"


def test_every_backend_is_a_store(store):
    assert isinstance(store, Store)
    assert isinstance(store.revision, int)
    store.load(items(STREET))
    assert store.index().revision == store.revision
    assert store.copies_out_of_step() == []
    assert store.kinds_of(["h1", "m1", "nobody"]) == {"h1": "Household", "m1": "Member"}
    assert store.nodes_of(["h1", "m1", "nobody", "m1"]) == {"h1": store.node("h1"), "m1": store.node("m1")}
    assert store.nodes_of([]) == {}


def test_tokens_and_audit_rows_have_the_declared_shape(store):
    from orggraph.access import audit, create_token

    store.load(items(STREET))
    _, token = create_token(store, "viewer", ["c1"], pii=True)
    audit(store, token, "GET /households", ["h2", "h1"])
    for row, shape in ((store.token_rows()[0], StoredToken), (store.audit_rows()[0], AuditRow)):
        hints = typing.get_type_hints(shape)
        assert set(row) == set(hints), shape.__name__
    assert store.audit_rows()[0]["records"] == ["h1", "h2"]


def test_a_dry_run_is_a_load_that_writes_nothing(store):
    """Every check a load makes, on an empty store and on one that holds records, and nothing written;
    the report comes back as a load's does."""
    from orggraph.exceptions import InvalidRecords

    for _ in range(2):  # empty, then holding the street
        before = snapshot(store)
        report = store.load(items(STREET), dry_run=True)
        assert report.dry_run and report.records == len(STREET["nodes"]) + len(STREET["edges"])
        assert (report.added_nodes, report.added_edges) == (0, 0)
        assert snapshot(store) == before
        with pytest.raises(InvalidRecords, match="'b404' is not a node"):
            store.load(items({"edges": [{"type": "LOCATED_IN", "source": "h1", "target": "b404"}]}), dry_run=True)
        seen = []
        assert store.load(items(STREET), dry_run=True, check=seen.append) is seen[0]
        assert snapshot(store) == before
        store.load(items(STREET))
    assert store.edges_of("h1", "LOCATED_IN") == [{"type": "LOCATED_IN", "source": "h1", "target": "b1"}]


# -- no module outside orggraph.store tells the backends apart ------------------------------------------

def _modules() -> list[str]:
    names = ["orggraph"] + [m.name for m in pkgutil.walk_packages([str(ROOT)], "orggraph.")]
    return [n for n in names if not n.startswith("orggraph.store") and not n.endswith("__main__")]


#: none left out
NOT_YET: set[str] = set()


def _exempt(where: str) -> bool:
    return any(where == n or where.startswith(n + ".") for n in NOT_YET)


def test_no_public_signature_takes_a_store_of_any_type():
    """A parameter that takes a store says so (Store, or HasFacts where only questions are asked)."""
    loose = []
    for name in _modules() + ["orggraph.api.main", "orggraph.api.deps", "orggraph.api.routes_import"]:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            functions = [(attr, value)] if inspect.isfunction(value) else []
            if inspect.isclass(value):
                functions = [(f"{attr}.{k}", v) for k, v in vars(value).items() if inspect.isfunction(v)]
            for qual, function in functions:
                if getattr(function, "__module__", None) != name or qual.split(".")[-1].startswith("_") and \
                        not qual.endswith("__init__") or _exempt(f"{name}.{qual}"):
                    continue
                for param in inspect.signature(function).parameters.values():
                    if param.name in ("store", "source", "target") and param.annotation in ("Any", typing.Any):
                        loose.append(f"{name}.{qual}({param.name})")
    assert loose == []


def test_no_module_outside_the_store_asks_which_backend_it_has():
    """No isinstance or hasattr on a store, no import of a backend, no reach into a backend's connection."""
    found = []
    for path in [*ROOT.rglob("*.py"), *API.rglob("*.py")]:
        relative = path.relative_to(ROOT.parent)
        if relative.parts[:2] == ("orggraph", "store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{relative}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("isinstance", "hasattr") \
                    and any(isinstance(a, ast.Name) and a.id == "store" for a in node.args[:1]):
                found.append(f"{where} {node.func.id}(store, ...)")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] in ("embedded", "server") \
                    and "store" in (node.module or ""):
                found.append(f"{where} imports {node.module}")
            elif isinstance(node, ast.Attribute) and node.attr in ("conn", "_kinds_of") and isinstance(node.value, ast.Name) \
                    and node.value.id == "store":
                found.append(f"{where} store.{node.attr}")
    found = [f for f in found if not _exempt(_module_of(f))]
    assert found == []


def _module_of(found: str) -> str:
    """The dotted name of the function a finding lies in (module.function), for the exemptions."""
    path, line = found.split(" ")[0].rsplit(":", 1)
    relative = Path(path)
    module = ".".join(relative.with_suffix("").parts)
    module = "orggraph." + module if module.startswith("api") else module
    tree = ast.parse((ROOT.parent / relative).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.lineno <= int(line) <= (node.end_lineno or 0):
            return f"{module}.{node.name}"
    return module
