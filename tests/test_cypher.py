"""The Cypher files: every one used by the code (found by reading the code's syntax tree), and the schemas."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from orggraph import cypher
from orggraph.model import NODE_KINDS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "orggraph", ROOT / "api"]


class _Uses:
    """The Cypher names the code hands to ``statement(...)``: each call's first argument followed back to
    the strings it can be, through local variables, loops over literal lists and the helpers whose
    parameter it is; an f-string is a template (``schema.{dialect}``) naming the files it matches."""

    def __init__(self, paths: list[Path], root: Path = ROOT):
        self.root = root
        self.trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in paths}
        self.parents: dict[ast.AST, ast.AST] = {}
        for tree in self.trees.values():
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node
        self.names: set[str] = set()
        self.templates: set[str] = set()
        self.unknown: list[str] = []  # calls whose name cannot be followed, by file and line

    def find(self) -> "_Uses":
        for path, tree in self.trees.items():
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and _called(call) == "statement":
                    argument = _argument(call, 0, "name")
                    if argument is not None:
                        self._values(argument, f"{path.relative_to(self.root)}:{call.lineno}", depth=0)
        return self

    def _values(self, node: ast.AST, where: str, depth: int) -> None:
        if depth > 5:
            self.unknown.append(where)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.names.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            self.templates.add("".join(re.escape(part.value) if isinstance(part, ast.Constant) else ".+"
                                       for part in node.values))
        elif isinstance(node, ast.IfExp):
            self._values(node.body, where, depth + 1)
            self._values(node.orelse, where, depth + 1)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            for element in node.elts:
                self._values(element, where, depth + 1)
        elif isinstance(node, ast.Name):
            self._variable(node, where, depth)
        else:
            self.unknown.append(where)

    def _variable(self, name: ast.Name, where: str, depth: int) -> None:
        scope = self._scope(name)
        bound = False
        for node in ast.walk(scope):  # assignments and for-loops binding the name in its function
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets):
                self._values(node.value, where, depth + 1)
                bound = True
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == name.id:
                self._values(node.iter, where, depth + 1)
                bound = True
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parameters = [a.arg for a in scope.args.posonlyargs + scope.args.args]
            if name.id in parameters + [a.arg for a in scope.args.kwonlyargs]:
                bound = True  # a helper's parameter: what its callers hand it
                position = parameters.index(name.id) if name.id in parameters else None
                calls = [c for where_ in self._callers(scope) for c in ast.walk(where_)
                         if isinstance(c, ast.Call) and _called(c) == scope.name]
                if not calls:
                    self.unknown.append(where)
                for call in calls:
                    argument = _argument(call, position, name.id)
                    if argument is not None:
                        self._values(argument, where, depth + 1)
        if not bound:
            self.unknown.append(where)

    def _callers(self, function: ast.AST) -> list[ast.AST]:
        """Where a helper can be called from: the function it is nested in; or its module (a method's
        class's module), and the modules that import it by name."""
        container = self.parents[function]
        if isinstance(container, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return [container]
        module = self._scope(function) if isinstance(container, ast.ClassDef) else container
        while module in self.parents:
            module = self.parents[module]
        importers = [tree for tree in self.trees.values() if tree is not module and any(
            isinstance(n, ast.ImportFrom) and any(a.name == function.name for a in n.names) for n in ast.walk(tree))]
        return [module, *importers]

    def _scope(self, node: ast.AST) -> ast.AST:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return node


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.AST | None:
    if position is not None and len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _uses() -> _Uses:
    return _Uses([p for folder in SOURCES for p in sorted(folder.rglob("*.py"))]).find()


def test_every_cypher_file_is_used_and_every_name_resolves():
    uses = _uses()
    named = set(cypher.names())
    assert not uses.unknown, f"statement() is handed a name the code does not spell out: {uses.unknown}"
    assert uses.names, "no statement(...) call found"
    assert uses.names <= named, f"code names Cypher files that do not exist: {uses.names - named}"
    for template in uses.templates:
        assert any(re.fullmatch(template, n) for n in named), f"no Cypher file matches {template!r}"
    used = uses.names | {n for n in named if any(re.fullmatch(t, n) for t in uses.templates)}
    assert not named - used, f"Cypher files no code uses: {named - used}"
    assert {n for n in named if n.startswith("schema.")} == {"schema.neo4j", "schema.falkordb"}
    for name in named:
        assert cypher.statement(name).startswith("//"), f"{name}.cypher must open with a comment naming its parameters"


def test_the_use_finder_follows_helpers_loops_and_templates(tmp_path):
    """The finder sees a name however the code hands it on, and says so when it cannot follow one."""
    (tmp_path / "code.py").write_text('''
def ids(name, **extra):
    return read(statement(name), extra)

def run(dialect):
    ids("gaps_no_org")
    ids(name="gaps_lapsed")
    for each in ("areas", "household_ids"):
        statement(each)
    chosen = "token_rows" if dialect else "audit_rows"
    statement(chosen, label="Area")
    statement(f"schema.{dialect}")
    statement(NAMES[dialect])
''', encoding="utf-8")
    uses = _Uses([tmp_path / "code.py"], root=tmp_path).find()
    assert uses.names == {"gaps_no_org", "gaps_lapsed", "areas", "household_ids", "token_rows", "audit_rows"}
    assert uses.templates == {r"schema\..+"}
    assert uses.unknown == ["code.py:13"]


# -- the schemas ----------------------------------------------------------------------------------

#: the labels a schema may name: the node kinds, and the store's own bookkeeping (revision, tokens, audit)
LABELS = set(NODE_KINDS) | {"OrgGraphMeta", "OrgGraphToken", "OrgGraphAudit"}
_NEO4J = re.compile(r"CREATE CONSTRAINT (?P<name>\w+) IF NOT EXISTS FOR \(n:(?P<label>\w+)\) REQUIRE n\.(?P<key>\w+) IS UNIQUE"
                    r"|CREATE INDEX (?P<index>\w+) IF NOT EXISTS FOR \(n:(?P<ilabel>\w+)\) ON \(n\.(?P<ikey>\w+)\)")
_FALKOR_INDEX = re.compile(r"CREATE INDEX FOR \(n:(?P<label>\w+)\) ON \(n\.(?P<key>\w+)\)")


def _statements(name: str) -> list[str]:
    """A schema's statements, one a line, as the store runs them (comments and blank lines skipped)."""
    lines = [line.strip() for line in cypher.statement(name).splitlines()]
    return [line for line in lines if line and not line.startswith("//")]


def _neo4j_schema() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    constraints, indexes = {}, {}
    for line in _statements("schema.neo4j"):
        match = _NEO4J.fullmatch(line)
        assert match, f"schema.neo4j.cypher: not CREATE CONSTRAINT/INDEX name IF NOT EXISTS FOR (n:Label) ...: {line!r}"
        if match["name"]:
            assert match["name"] not in constraints, f"constraint {match['name']} is made twice"
            constraints[match["name"]] = (match["label"], match["key"])
        else:
            assert match["index"] not in indexes, f"index {match['index']} is made twice"
            indexes[match["index"]] = (match["ilabel"], match["ikey"])
    return constraints, indexes


def test_the_neo4j_schema_is_idempotent_statements_on_allowed_labels():
    constraints, indexes = _neo4j_schema()
    named = {label for label, _ in [*constraints.values(), *indexes.values()]}
    assert named <= LABELS, f"labels outside the allow-list: {named - LABELS}"
    unique = {label for label, key in constraints.values() if key == "id"}
    assert set(NODE_KINDS) <= unique, f"node kinds with no unique id: {set(NODE_KINDS) - unique}"
    # the same keys are indexed on FalkorDB
    falkor = {(m["label"], m["key"]) for line in _statements("schema.falkordb") if (m := _FALKOR_INDEX.fullmatch(line))}
    assert falkor == set(constraints.values()) | set(indexes.values())


def test_the_schema_check_refuses_a_line_of_another_shape(monkeypatch):
    """What the shape check would say of a line without IF NOT EXISTS, or on a label not allowed."""
    for line, problem in (("CREATE CONSTRAINT area_id FOR (n:Area) REQUIRE n.id IS UNIQUE", "not CREATE"),
                          ("CREATE INDEX x IF NOT EXISTS FOR (n:Secret) ON (n.id)", "outside the allow-list")):
        original = cypher.statement
        monkeypatch.setattr(cypher, "statement", lambda name, line=line: original(name) + line + "\n"
                            if name == "schema.neo4j" else original(name))
        with pytest.raises(AssertionError, match=re.escape(problem)):
            test_the_neo4j_schema_is_idempotent_statements_on_allowed_labels()
        monkeypatch.undo()


@pytest.mark.skipif(not os.environ.get("ORGGRAPH_TEST_NEO4J"),
                    reason="no Neo4j to run schema.neo4j.cypher on: set ORGGRAPH_TEST_NEO4J to its bolt:// URI "
                           "(and ORGGRAPH_TEST_NEO4J_USER, _PASSWORD, _DATABASE if it needs them)")
def test_the_neo4j_schema_runs_on_neo4j():
    """On a real Neo4j: connecting runs the schema, twice without error, and every constraint and index is there."""
    from orggraph.store.server import connect

    options = {key: os.environ.get(f"ORGGRAPH_TEST_NEO4J_{key.upper()}") for key in ("user", "password", "database")}
    for _ in range(2):  # IF NOT EXISTS: a second connection finds them made
        with connect(os.environ["ORGGRAPH_TEST_NEO4J"], **options) as store:
            made = {row[0] for row in store.conn.read("SHOW CONSTRAINTS YIELD name RETURN name")}
            made |= {row[0] for row in store.conn.read("SHOW INDEXES YIELD name RETURN name")}
    constraints, indexes = _neo4j_schema()
    assert set(constraints) | set(indexes) <= made
