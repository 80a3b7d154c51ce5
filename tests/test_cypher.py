"""The schemas: each statement of an allowed shape, on allowed labels, and run on a real Neo4j when one is named.

That every Cypher file is used, and nothing else is Cypher, is checked in tests/test_server.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orggraph import cypher
from orggraph.model import NODE_KINDS

ROOT = Path(__file__).resolve().parent.parent
# -- the schemas ----------------------------------------------------------------------------------

#: the labels a schema may name: the node kinds, and the store's own bookkeeping (revision, tokens, audit)
LABELS = set(NODE_KINDS) | {"OrgGraphMeta", "OrgGraphToken", "OrgGraphAudit", "OrgGraphHistory", "OrgGraphIncident", "OrgGraphMark"}
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


def test_the_neo4j_schema_runs_on_neo4j(neo4j_server):
    """On the session's Neo4j 5: connecting runs the schema, twice without error, and every constraint and
    index is there."""
    from orggraph.store.server import connect

    for _ in range(2):  # IF NOT EXISTS: a second connection finds them made
        with connect(neo4j_server, database="neo4j") as store:
            made = {row[0] for row in store.conn.read("SHOW CONSTRAINTS YIELD name RETURN name")}
            made |= {row[0] for row in store.conn.read("SHOW INDEXES YIELD name RETURN name")}
    constraints, indexes = _neo4j_schema()
    assert set(constraints) | set(indexes) <= made
