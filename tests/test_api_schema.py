"""Schemathesis over the OpenAPI schema: no server errors, no answers that break the schema."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import orjson
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               positive_data_acceptance, response_schema_conformance,
                                               status_code_conformance)

from orggraph.access import authenticate, create_token
from orggraph.api import create_app
from orggraph.api.main import prepare
from orggraph.api.settings import Settings
from orggraph.io.excel import write_workbook
from orggraph.store import EmbeddedStore

from .conftest import SERVERS, fresh_graph, items, server_of
from .test_api import two_communities

_folder = Path(tempfile.mkdtemp(prefix="orggraph-schema-"))
_store = EmbeddedStore(_folder / "api.db")
_store.load(items(two_communities()))
_tokens = {role: create_token(_store, role, ["c1"])[0] for role in ("viewer", "editor", "admin")}
app = create_app(store=_store)
prepare(app, _store, Settings())  # what the lifespan would do


def _open_incident(store) -> str:
    """An incident over c1 with a door marked, for the questions about incidents to answer."""
    from orggraph.incidents import mark, open_incident

    opened = open_incident(store, ["c1"], name="暴雨", as_of="2026-11-23")["id"]
    mark(store, opened, "h2", "needs_help", "m1", note="老人行动不便")
    return opened


app.state.incident = _open_incident(_store)

# The upload media types, which schemathesis cannot make up from a JSON Schema: records near to valid
# (new households and members placed in areas within the token's scope and outside it, contacts between
# them, ids already taken), with now and then a field that is wrong; and, for JSON Lines, lines that are
# not records at all.
_ids = st.sampled_from(["hx1", "hx2", "mx1", "h1", "h9", "m1", "m9", "b1", "b9", "c1", "c2", "nowhere"])
_text = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn")), max_size=12)  # what a worksheet can hold
_households = st.fixed_dictionaries({"id": _ids, "kind": st.just("Household")},
                                    optional={"address": _text, "phone": st.from_regex(r"\A1[3-9][0-9]{9}\Z") | _text})
_members = st.fixed_dictionaries({"id": _ids, "kind": st.just("Member"), "name": _text},
                                 optional={"phone": st.from_regex(r"\A1[3-9][0-9]{9}\Z") | _text})
_edges = st.fixed_dictionaries(
    {"type": st.sampled_from(["LOCATED_IN", "CONTACTS", "RESIDES_IN", "WITHIN"]), "source": _ids, "target": _ids},
    optional={"since": st.sampled_from(["2024-01-01", "2025-06-30", "yesterday"])})
_placed = st.builds(  # a new household within the scope, with its contact: a change that is taken
    lambda n, address: ([{"id": f"hx{n}", "kind": "Household", "address": address}],
                        [{"type": "LOCATED_IN", "source": f"hx{n}", "target": "b1"},
                         {"type": "CONTACTS", "source": "m1", "target": f"hx{n}"}]),
    st.integers(0, 99), _text.filter(bool))
_records = _placed | st.tuples(st.lists(_households | _members, max_size=4), st.lists(_edges, max_size=4))


@st.composite
def _json_lines_of(draw) -> tuple[bytes, list, list]:
    """An upload as JSON Lines, with the records it holds."""
    nodes, edges = draw(_records)
    lines = [orjson.dumps({"node": n}) for n in nodes] + [orjson.dumps({"edge": e}) for e in edges]
    lines += draw(st.lists(st.binary(max_size=20) | st.just(b"{}") | st.just(b'{"node": 1}'), max_size=2))
    return b"\n".join(draw(st.permutations(lines))), nodes, edges


@st.composite
def _workbooks_of(draw) -> tuple[bytes, list, list]:
    """An upload as a workbook, with the records it holds (none: not a workbook at all, now and then)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64)), [], []  # not a workbook at all
    nodes, edges = draw(_records)
    # a blank text is a blank cell in a workbook (an export refuses to write one)
    nodes, edges = ([{k: v for k, v in r.items() if not (isinstance(v, str) and not v.strip())} for r in part]
                    for part in (nodes, edges))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        write_workbook(nodes, edges, path)
        return path.read_bytes(), nodes, edges


def _json_lines():
    return _json_lines_of().map(lambda upload: upload[0])


def _workbooks():
    return _workbooks_of().map(lambda upload: upload[0])


schemathesis.openapi.media_type("application/x-ndjson", _json_lines())
schemathesis.openapi.media_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _workbooks())

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
_client = TestClient(app)


def _call_and_validate(case, tokens: dict[str, str]) -> None:
    writes = case.method.upper() in {"PUT", "DELETE"} or (case.method.upper() == "POST" and "incidents" not in case.path)
    role = "admin" if case.path in {"/tokens", "/audit"} else "editor" if writes else "viewer"
    # Every other check runs: no server error, status codes, content types and bodies as declared,
    # auth not ignored. Left out: rejecting unknown query parameters, which FastAPI ignores by design;
    # and, for changes, accepting every schema-valid body: what makes records valid (vocabularies,
    # endpoint kinds, dates, ids taken or not there) is more than JSON Schema says, so a schema-valid
    # change may rightly be a 404, 409 or 422.
    excluded = [negative_data_rejection] + ([positive_data_acceptance] if writes else [])
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"}, excluded_checks=excluded)


#: the routes that look records up (a search, an area's households, a member's profile): a few examples each,
#: which reach the store's search and its Cypher with odd texts all the same
_RECORD_ROUTES = r"^/(search|areas/\{area\}/households|members/\{member\}/profile)$"


@schema.exclude(path_regex=_RECORD_ROUTES).parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_to_its_schema(case):
    _call_and_validate(case, _tokens)


@schema.include(path_regex=_RECORD_ROUTES).parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_record_routes_keep_to_their_schema(case):
    _call_and_validate(case, _tokens)


# The same on a FalkorDB server: what reaches Cypher there (odd ids, odd dates, odd lists) must not be a
# server error either. The schema is loaded here; the fixture names the graph, on the session's server,
# in the app's settings, which the app's lifespan opens (schemathesis runs the lifespan, test by test),
# and puts it in the app's state for the requests made without the lifespan.
_server_settings = Settings(db=str(_folder / "none.db"))
_server_app = create_app(_server_settings)
_server_tokens: dict[str, str] = {}
server_schema = schemathesis.openapi.from_asgi("/openapi.json", _server_app)


@pytest.fixture(scope="module", params=SERVERS)
def on_a_graph_server(request):
    """The app of the schema run over each graph server in turn, on a fresh graph of its own (on Neo4j,
    whose Community edition holds one database, that database emptied: the tests on Neo4j run one after
    the other, in one group)."""
    server = server_of(request, request.param)
    with fresh_graph(server, batch_size=5000) as store:
        store.load(items(two_communities()))
        _server_tokens.clear()
        _server_tokens.update({role: create_token(store, role, ["c1"])[0] for role in ("viewer", "editor", "admin")})
        _server_settings.server, _server_settings.database = server, store.conn.database
        prepare(_server_app, store, Settings())
        _server_app.state.incident = _open_incident(store)
        yield store


#: the routes over incidents and the plans, which ask a graph server through a few store methods only (an
#: incident's sheet, marks and rows) and otherwise run as on the store file: fewer examples there
_INCIDENT_ROUTES = r"^/(incidents|call-sheet|cover-plan|robustness)"


# the gaps' workbook is the gaps' answer written out (GET /gaps runs here); its schema is checked on the
# store file, its rows and masking in tests/test_gapbook.py
@server_schema.exclude(path_regex=f"{_INCIDENT_ROUTES}|{_RECORD_ROUTES}|^/gaps\\.xlsx$").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_to_its_schema_on_a_graph_server(case, on_a_graph_server):
    _call_and_validate(case, _server_tokens)
    # the app answered from the graph on the server, which holds the tokens, not from a store of its own
    assert authenticate(_server_app.state.store, _server_tokens["viewer"]) is not None


@server_schema.include(path_regex=_RECORD_ROUTES).parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_record_routes_keep_to_their_schema_on_a_graph_server(case, on_a_graph_server):
    _call_and_validate(case, _server_tokens)


@server_schema.include(path_regex=_INCIDENT_ROUTES).parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_incident_routes_keep_to_their_schema_on_a_graph_server(case, on_a_graph_server):
    _call_and_validate(case, _server_tokens)


_UPLOADS = st.one_of(
    st.tuples(st.just("application/x-ndjson"), _json_lines_of()),
    st.tuples(st.just("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), _workbooks_of()),
)


@given(upload=_UPLOADS)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_uploads_are_loaded_whole_or_refused_whole(upload):
    """More uploads than the schema run makes: each is taken whole, or refused in the one error shape with
    nothing written."""
    media, (body, nodes, edges) = upload
    before = (_store.revision, len(list(_store.nodes())), len(list(_store.edges())))
    answer = _client.post("/import", content=body,
                          headers={"Content-Type": media, "Authorization": f"Bearer {_tokens['editor']}"})
    if answer.status_code == 200:  # taken whole: the report counts what was sent, and the store holds it
        report = answer.json()
        assert (report["records"], report["nodes"], report["edges"]) == (
            len(nodes) + len(edges), dict(Counter(n["kind"] for n in nodes)), dict(Counter(e["type"] for e in edges)))
        assert report["added_nodes"] + report["added_edges"] + report["changed"] + report["unchanged"] == report["records"]
        for node in nodes:
            assert node.items() <= _store.node(node["id"]).items(), node["id"]
        for edge in edges:
            assert any(e["target"] == edge["target"] and e.get("since") == edge.get("since")
                       for e in _store.edges_of(edge["source"], edge["type"])), edge
    else:
        assert answer.status_code in {403, 404, 409, 422}, answer.text
        assert set(answer.json()["error"]) == {"status", "code", "message", "details"}
        assert (_store.revision, len(list(_store.nodes())), len(list(_store.edges()))) == before


# -- every answer in its declared shape ------------------------------------------------------------

DAY = "2026-11-23"
#: (method, path, path parameters, query, body): each question asked so that it answers, on what it has
QUESTIONS = [
    ("GET", "/coverage", {}, {"as_of": DAY}, None),
    ("GET", "/coverage", {}, {"area": "c1", "level": "building", "unavailable": "m1"}, None),
    ("GET", "/households/{household}/chain", {"household": "h1"}, {"as_of": DAY}, None),
    ("GET", "/households/{household}/chain", {"household": "h2"}, {"as_of": "2023-06-01", "unavailable": "m3"}, None),
    ("GET", "/households/{household}/chain", {"household": "h3"}, {}, None),
    ("GET", "/gaps", {}, {"as_of": DAY, "spof": 1, "max_households": 0}, None),
    ("POST", "/call-sheet", {}, {}, {"areas": ["c1"], "as_of": DAY}),
    ("POST", "/call-sheet", {}, {}, {"households": ["h2", "h3"], "unavailable": ["m1"]}),
    ("POST", "/import", {}, {"dry_run": "true"}, {"nodes": [{"id": "hx", "kind": "Household"}],
                                                    "edges": [{"type": "LOCATED_IN", "source": "hx", "target": "b1"}]}),
    ("GET", "/households", {}, {"limit": 2}, None),
    ("GET", "/incidents", {}, {}, None),
    ("GET", "/incidents/{incident}", {"incident": "INC"}, {}, None),
    ("GET", "/incidents/{incident}/sheet", {"incident": "INC"}, {}, None),
    ("GET", "/incidents/{incident}/progress", {"incident": "INC"}, {}, None),
    ("GET", "/incidents/{incident}/marks", {"incident": "INC"}, {}, None),
    ("GET", "/cover-plan", {}, {"as_of": DAY, "max_households": 3}, None),
    ("GET", "/edges", {}, {"node": "m1"}, None),
    ("GET", "/robustness", {}, {"as_of": DAY}, None),
    ("GET", "/robustness", {}, {"area": "g1", "share": 0.5, "trials": 20, "seed": 3, "category": ["unit:u1", "sunk"],
                                "unavailable": "m3", "level": "building", "top": 1}, None),
    ("GET", "/search", {}, {"q": "桂花", "as_of": DAY, "limit": 3, "kind": ["Area", "Household"]}, None),
    ("GET", "/areas/{area}/households", {"area": "c1"}, {"as_of": DAY}, None),
    ("GET", "/members/{member}/profile", {"member": "m1"}, {"as_of": "2023-06-01"}, None),
]


#: schemathesis's checks of an answer as given (the others send requests of their own)
ANSWER_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _declared(spec: dict, method: str, path: str) -> dict:
    """The schema an operation declares for its 200 answer in JSON, its references resolved."""
    return _resolve(spec, spec["paths"][path][method.lower()]["responses"]["200"]["content"]["application/json"]["schema"])


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _undeclared(spec: dict, value, schema: dict, where: str = "") -> list[str]:
    """Keys an answer holds that its schema does not declare (JSON Schema lets them pass unless told)."""
    schema = _resolve(spec, schema)
    found = []
    for option in schema.get("anyOf", []):
        found.append(_undeclared(spec, value, option, where))
    if "anyOf" in schema:
        return min(found, key=len)
    if isinstance(value, dict) and "properties" in schema:
        declared = schema["properties"]
        open_ = schema.get("additionalProperties") is True
        found = [f"{where}.{k}" for k in value if k not in declared and not open_]
        for key, item in value.items():
            if key in declared:
                found += _undeclared(spec, item, declared[key], f"{where}.{key}")
        return found
    if isinstance(value, list) and "items" in schema:
        return [f for i, item in enumerate(value) for f in _undeclared(spec, item, schema["items"], f"{where}[{i}]")]
    return []


def _call(the_app, case, token: str):
    """The case's request to the app as it stands (its store put in place by prepare, no lifespan run)."""
    kwargs = case.as_transport_kwargs(headers={"Authorization": f"Bearer {token}"})
    return TestClient(the_app).request(kwargs["method"], kwargs["url"], headers=kwargs.get("headers"),
                                       params=kwargs.get("params"), json=kwargs.get("json"))


def _answers_keep_to_their_schema(chosen, the_app, tokens) -> None:
    spec = the_app.openapi()
    for method, path, parameters, query, body in QUESTIONS:
        operation = chosen[path][method]
        role = "editor" if path == "/import" else "viewer"
        parameters = {k: the_app.state.incident if v == "INC" else v for k, v in parameters.items()}
        case = operation.Case(path_parameters=parameters, query=query,
                              **({"body": body, "media_type": "application/json"} if body is not None else {}))
        response = _call(the_app, case, tokens[role])
        assert response.status_code == 200, (path, response.content)
        case.validate_response(response, checks=ANSWER_CHECKS)
        answer = orjson.loads(response.content)
        assert not _undeclared(spec, answer, _declared(spec, method, path)), (path, _undeclared(spec, answer, _declared(spec, method, path)))


def test_every_answer_keeps_to_its_declared_schema():
    """Each question asked so that it answers (the schema run mostly meets 404s there), and the answer
    checked by schemathesis against the schema its route declares; no key beyond those declared."""
    _answers_keep_to_their_schema(schema, app, _tokens)


def test_every_answer_keeps_to_its_declared_schema_on_a_graph_server(on_a_graph_server):
    """The same on each graph server (the app given the module's store again: the schema run above
    starts and stops the app's lifespan case by case, which closes the store it opened)."""
    prepare(_server_app, on_a_graph_server, Settings())
    _answers_keep_to_their_schema(server_schema, _server_app, _server_tokens)


def _broken(answer: dict, spec: dict, schema: dict) -> list[dict]:
    """The answer with its first declared key left out, and with it given a value of another type."""
    key = next(iter(_resolve(spec, schema)["properties"]))
    return [{k: v for k, v in answer.items() if k != key}, {**answer, key: {"not": "declared"}}]


def test_an_answer_that_breaks_its_schema_is_caught():
    """The check above has teeth: each question's answer, with a key missing or of another type, fails it."""
    from schemathesis.core.failures import FailureGroup
    from schemathesis.core.transport import Response

    spec = app.openapi()
    for method, path, parameters, query, body in QUESTIONS[:8:2] + [QUESTIONS[6]]:
        operation = schema[path][method]
        case = operation.Case(path_parameters=parameters, query=query,
                              **({"body": body, "media_type": "application/json"} if body is not None else {}))
        response = Response.from_any(_call(app, case, _tokens["viewer"]))
        for broken in _broken(orjson.loads(response.content), spec, _declared(spec, method, path)):
            lying = Response(200, response.headers, orjson.dumps(broken), response.request, 0.0, True)
            with pytest.raises(FailureGroup) as caught:
                case.validate_response(lying, checks=ANSWER_CHECKS)
            assert [type(e).__name__ for e in caught.value.exceptions] == ["JsonSchemaError"], path
        assert _undeclared(spec, {**orjson.loads(response.content), "extra": 1}, _declared(spec, method, path)) == [".extra"]


def test_every_json_answer_is_declared_field_by_field():
    """No route declares a free-form object ({} or dict[str, Any]) for what it answers: /openapi.json
    describes every answer."""
    spec = app.openapi()
    loose = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                declared = answer.get("content", {}).get("application/json", {}).get("schema")
                if not status.startswith("2") or declared is None:
                    continue
                resolved = _resolve(spec, declared)
                shapes = [_resolve(spec, s) for s in resolved.get("anyOf", [resolved])]
                shapes = [_resolve(spec, s["items"]) if s.get("type") == "array" else s for s in shapes]
                if not all(s.get("properties") for s in shapes):
                    loose.append(f"{method.upper()} {path}")
    assert not loose, f"answers declared without their fields: {loose}"


def test_the_api_s_default_limits_are_the_library_s():
    from orggraph.queries import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF

    spec = app.openapi()
    gaps = {p["name"]: p["schema"].get("default") for p in spec["paths"]["/gaps"]["get"]["parameters"]}
    assert (gaps["max_households"], gaps["spof"]) == (DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF)
    incident = spec["components"]["schemas"]["IncidentCreate"]["properties"]
    assert incident["max_households"]["default"] == DEFAULT_MAX_HOUSEHOLDS
