"""The shape of the library: imports run one way, and the backends know no question."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "orggraph"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The orggraph modules a module imports when it is imported (not those imported inside a function,
    nor those under ``if TYPE_CHECKING``), as full dotted names."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("orggraph"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("orggraph"):
                    found.add(target)
                    found.update(f"{target}.{a.name}" for a in node.names)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        graph[name] = {m for m in _imports(path) if m in paths and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_imports_run_one_way():
    """No circle among the library's modules (a package counts as importing what its __init__ does)."""
    graph = _graph()
    # a package's __init__ importing its own modules is how it re-exports them, not a circle
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_backends_import_no_question():
    """The facts backends find facts only: the questions import them, never the other way."""
    for path in [*(PACKAGE / "index").rglob("*.py"), *(PACKAGE / "store").rglob("*.py"), PACKAGE / "facts.py"]:
        wrong = {m for m in _imports(path) if m.startswith(("orggraph.queries", "orggraph.access"))}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_the_questions_ask_only_the_protocol():
    """A question module imports the protocol, the results, the model and its fellow questions: no store,
    no index, no Cypher. And what is personal data (orggraph.privacy, which imports none of those): a search
    looks only in what a record's masked form shows."""
    allowed = ("orggraph.facts", "orggraph.results", "orggraph.model", "orggraph.days", "orggraph.exceptions",
               "orggraph.queries", "orggraph.privacy")
    for path in (PACKAGE / "queries").glob("*.py"):
        wrong = {m for m in _imports(path) if not m.startswith(allowed)}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
