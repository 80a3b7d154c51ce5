"""The HTTP API: every route, the scope of a token, masking and the audit log, and a real uvicorn server."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient

from orggraph.access import create_token
from orggraph.access import tokens as tokens_of
from orggraph.api import create_app
from orggraph.store import EmbeddedStore

from .conftest import BACKENDS, backend_store, empty_neo4j, items, cli, run_cli, served, server_of, street

DAY = "2026-11-23"


def two_communities() -> dict:
    """The hand-built street, and beside it a second community (c2) with a household, a member and an org."""
    doc = street()
    doc["nodes"] += [
        {"id": "c2", "kind": "Area", "name": "向阳社区", "level": "community"},
        {"id": "b9", "kind": "Area", "name": "向阳社区9号楼", "level": "building"},
        {"id": "o-c2", "kind": "Org", "name": "向阳社区大党委", "level": "community"},
        {"id": "u2", "kind": "Unit", "name": "云河市图书馆"},
        {"id": "m9", "kind": "Member", "name": "赵敏", "phone": "13700009999"},
        {"id": "h9", "kind": "Household", "address": "向阳社区9号楼101室", "phone": "13600009999"},
    ]
    doc["edges"] += [
        {"type": "WITHIN", "source": "c2", "target": "s1"},
        {"type": "WITHIN", "source": "b9", "target": "c2"},
        {"type": "GOVERNS", "source": "o-c2", "target": "c2"},
        {"type": "HOLDS_POST", "source": "m9", "target": "o-c2", "post": "secretary"},
        {"type": "LOCATED_IN", "source": "h9", "target": "b9"},
        {"type": "CONTACTS", "source": "m9", "target": "h9"},
        {"type": "EMPLOYED_BY", "source": "m9", "target": "u2"},
    ]
    return doc


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path):
    """A test client over the embedded store, FalkorDB and Neo4j: the API is the same on each."""
    with backend_store(request, request.param, tmp_path) as store:
        store.load(items(two_communities()))
        tokens = {
            "viewer": create_token(store, "viewer", ["c1"])[0],
            "pii": create_token(store, "viewer", ["c1"], pii=True)[0],
            "editor": create_token(store, "editor", ["c1"])[0],
            "admin": create_token(store, "admin", ["s1"])[0],
            "admin-c1": create_token(store, "admin", ["c1"])[0],
        }
        with TestClient(create_app(store=store)) as client:
            client.tokens = tokens
            client.store = store
            yield client


def get(client, path, who="viewer", **params):
    return client.get(path, params=params, headers={"Authorization": f"Bearer {client.tokens[who]}"})


def test_no_token_or_a_bad_one_is_401(api):
    for response in (api.get("/households"), api.get("/households", headers={"Authorization": "Bearer og_nope"})):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


def test_lists_are_filtered_and_paged(api):
    first = get(api, "/households", limit=2).json()
    assert [h["id"] for h in first["items"]] == ["h1", "h2"] and first["next"] == "h2"
    second = get(api, "/households", limit=2, after="h2").json()
    assert [h["id"] for h in second["items"]] == ["h3"] and second["next"] is None
    assert [a["id"] for a in get(api, "/areas").json()["items"]] == ["b1", "c1", "g1"]
    assert "m9" not in [m["id"] for m in get(api, "/members").json()["items"]]
    assert get(api, "/households", limit=501).status_code == 422  # the page size is capped


def test_nodes_by_id_and_masking(api):
    h1 = get(api, "/households/h1").json()
    assert h1["phone"] == "139****2222" and h1["address"] == "桂花社区1号楼****"
    assert get(api, "/members/m1").json()["name"] == "王芳"
    assert get(api, "/orgs/o-c1").json()["level"] == "community"
    assert get(api, "/units/u1").json()["name"] == "云河市财政局"
    assert get(api, "/areas/s1").json()["level"] == "street"  # above the token's area: read-only context
    assert "s1" not in [a["id"] for a in get(api, "/areas").json()["items"]]  # but not one of its own
    assert get(api, "/orgs/o-s1").json()["level"] == "street"  # but the street committee governs its households


def test_pii_is_shown_only_with_permission_and_audited(api):
    assert get(api, "/households/h1", "pii").json()["phone"] == "13900002222"
    get(api, "/households", "pii")
    assert get(api, "/audit", "viewer").status_code == 403
    rows = get(api, "/audit", "admin").json()
    assert [(r["route"], r["records"]) for r in rows] == [
        ("GET /households/{id}", ["h1"]), ("GET /households", ["h1", "h2", "h3"])]
    if isinstance(api.store, EmbeddedStore):
        with sqlite3.connect(api.store.audit_path) as other, pytest.raises(sqlite3.DatabaseError, match="append-only"):
            other.execute("DELETE FROM audit")  # the log's own file, by any tool


def test_questions_are_cut_to_the_scope(api):
    report = get(api, "/coverage", as_of=DAY).json()
    assert (report["households"], report["covered"]) == (3, 1)
    assert [a["id"] for a in report["areas"]] == ["b1", "c1", "g1"]
    whole = get(api, "/coverage", "admin", as_of=DAY).json()
    assert whole["households"] == 4 and "c2" in [a["id"] for a in whole["areas"]]
    chain = get(api, "/households/h1/chain", as_of=DAY).json()
    assert chain["links"][0] == {"role": "contact", "member": "m1", "area": None, "org": None, "unit": None,
                                 "post": None, "acting": None}
    gaps = get(api, "/gaps", as_of=DAY).json()
    assert gaps["uncovered_households"] == ["h2", "h3"]
    sheet = api.post("/call-sheet", json={"areas": ["c1"], "as_of": DAY},
                     headers={"Authorization": f"Bearer {api.tokens['viewer']}"}).json()
    assert sheet["areas"] == ["c1"] and sheet["households"] == 3
    # an area or household outside the scope is refused as an unknown one is, never left off in silence
    for body, named in (({"areas": ["c1", "c2"]}, "area with id 'c2'"), ({"areas": ["c1", "nosuch"]}, "area with id 'nosuch'"),
                        ({"households": ["h1", "h9"]}, "household with id 'h9'"),
                        ({"households": ["h1", "nosuch"]}, "household with id 'nosuch'")):
        refused = api.post("/call-sheet", json={**body, "as_of": DAY},
                           headers={"Authorization": f"Bearer {api.tokens['viewer']}"})
        assert refused.status_code == 404 and refused.json()["error"]["message"] == f"no {named}", body
    xlsx = api.post("/call-sheet.xlsx", json={"areas": ["b1"], "as_of": DAY},
                    headers={"Authorization": f"Bearer {api.tokens['viewer']}"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


#: every phone the two communities hold, as stored
PHONES = [n["phone"] for n in two_communities()["nodes"] if "phone" in n]


def ask(client, who, household="h1", areas=("c1",)):
    """A household's chain and an area's call sheet, as a token is answered them."""
    chain = get(client, f"/households/{household}/chain", who, as_of=DAY)
    sheet = client.post("/call-sheet", json={"areas": list(areas), "as_of": DAY},
                        headers={"Authorization": f"Bearer {client.tokens[who]}"})
    assert chain.status_code == sheet.status_code == 200, (chain.text, sheet.text)
    return chain, sheet


def test_chains_and_incidents_name_their_ids_masked_without_pii(api):
    chain, sheet = ask(api, "viewer")
    names = chain.json()["names"]
    assert names["m1"] == {"name": "王芳", "kind": "Member", "phone": "138****1111"}
    assert names["h1"] == {"name": None, "kind": "Household", "phone": "139****2222", "address": "桂花社区1号楼****"}
    assert names["s1"] == {"name": "江滨街道", "kind": "Area"} and names["o-s1"] == {"name": "江滨街道大工委", "kind": "Org"}
    assert names["u1"] == {"name": "云河市财政局", "kind": "Unit"}
    names = sheet.json()["names"]
    assert {"h1", "h2", "h3", "m1", "m2", "c1"} <= set(names) and names["h2"] == {
        "name": None, "kind": "Household", "phone": None, "address": "桂花社区1号楼****"}
    for body in (chain.text, sheet.text):  # no full phone anywhere in the answer, nor an address
        assert not any(phone in body for phone in PHONES) and "1单元" not in body
    assert get(api, "/audit", "admin").json() == []


def test_chains_and_incidents_name_their_ids_in_full_with_pii_and_audited(api):
    chain, sheet = ask(api, "pii")
    assert chain.json()["names"]["m1"]["phone"] == "13800001111"
    assert sheet.json()["names"]["h1"] == {"name": None, "kind": "Household", "phone": "13900002222",
                                           "address": "桂花社区1号楼1单元101室"}
    rows = [(r["route"], r["records"]) for r in get(api, "/audit", "admin").json()]
    assert rows == [("GET /households/{id}/chain", ["h1", "m1", "m2"]), ("POST /call-sheet", ["h1", "h2", "h3", "m1", "m2"])]


def test_names_never_reach_outside_what_the_token_may_read(api):
    from orggraph.access import scope_of
    from orggraph.report import named_ids

    api.tokens["b1"] = create_token(api.store, "viewer", ["b1"], pii=True)[0]
    for who, areas in (("viewer", ["c1"]), ("b1", ["b1"])):
        scope = scope_of(api.store, areas)
        for household in sorted(scope.households):
            for response in ask(api, who, household, areas):
                answer = response.json()
                names = answer.pop("names")
                assert set(names) == {i for i in named_ids(answer) if scope.sees(i)}, (who, household)
                assert all(scope.sees(i) for i in names) and "m9" not in names and "o-c2" not in names
    # the building's token reads, read-only, the organizations and people above it its chains name
    assert {"s1", "o-s1", "c1", "o-c1", "g1", "o-g1", "u1", "o-u1"} <= set(ask(api, "b1", "h1", ["b1"])[0].json()["names"])


def test_a_name_s_kinds_are_the_model_s():
    import typing

    from orggraph.model import NODE_KINDS
    from orggraph.results import Name

    assert typing.get_args(typing.get_type_hints(Name)["kind"]) == tuple(NODE_KINDS)


def test_admin_lists_tokens_without_secrets(api):
    rows = get(api, "/tokens", "admin").json()
    assert [r["role"] for r in rows] == ["viewer", "viewer", "editor", "admin", "admin"]
    assert [r["areas"] for r in get(api, "/tokens", "admin-c1").json()] == [["c1"]] * 3 + [["c1"]]  # not the street's
    assert all("hash" not in r and "secret" not in r for r in rows)
    assert all(r["active"] and r["expires"] is None for r in rows)
    assert get(api, "/tokens", "editor").status_code == 403


def test_an_expired_token_is_401(api):
    import datetime as dt

    from orggraph.access import authenticate

    secret, token = create_token(api.store, "viewer", ["c1"], expires=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2))
    api.tokens["brief"] = secret
    assert get(api, "/households/h1", "brief").status_code == 200
    while authenticate(api.store, secret) is not None:  # real time passes; nothing is faked
        time.sleep(0.2)
    answer = get(api, "/households/h1", "brief")
    assert answer.status_code == 401 and "expired" in answer.json()["error"]["message"]
    listed = {r["id"]: r for r in get(api, "/tokens", "admin").json()}
    assert listed[token.id]["active"] is False and listed[token.id]["expires"] == token.expires


def test_errors_have_one_shape(api):
    for response in (get(api, "/households/h404"), get(api, "/coverage", as_of="yesterday"),
                     get(api, "/coverage", unavailable="nobody")):
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "details"}
        assert body["error"]["status"] == response.status_code
    assert get(api, "/coverage", unavailable="nobody").status_code == 404


def test_an_incident_naming_nothing_is_a_request_to_mend(api):
    """No area and no household: the request is at fault (422), not a record that cannot be found."""
    for path in ("/call-sheet", "/call-sheet.xlsx"):
        answer = send(api, "post", path, json={})
        assert answer.status_code == 422, answer.text
        assert "at least one affected area" in answer.text


# -- every route is scoped: a new route without a case here fails -------------------------------------------

OUTSIDE = {  # how to ask each route about the other community; it must answer 404 or leave it out
    ("get", "/households"): lambda c: ("h9" not in json.dumps(get(c, "/households").json())),
    ("get", "/households/{node_id}"): lambda c: get(c, "/households/h9").status_code == 404,
    ("get", "/members"): lambda c: ("m9" not in json.dumps(get(c, "/members").json())),
    ("get", "/members/{node_id}"): lambda c: get(c, "/members/m9").status_code == 404,
    ("get", "/orgs"): lambda c: ("o-c2" not in json.dumps(get(c, "/orgs").json())),
    ("get", "/orgs/{node_id}"): lambda c: get(c, "/orgs/o-c2").status_code == 404,
    ("get", "/areas"): lambda c: ("c2" not in json.dumps(get(c, "/areas").json())),
    ("get", "/areas/{node_id}"): lambda c: get(c, "/areas/c2").status_code == 404,
    ("get", "/units"): lambda c: ("u2" not in json.dumps(get(c, "/units").json())),
    ("get", "/units/{node_id}"): lambda c: get(c, "/units/u2").status_code == 404,
    ("get", "/edges"): lambda c: get(c, "/edges", node="h9").status_code == 404
    and "h9" not in json.dumps(get(c, "/edges", node="s1").json()),
    ("get", "/coverage"): lambda c: get(c, "/coverage", area="c2").status_code == 404
    and "c2" not in json.dumps(get(c, "/coverage").json()),
    ("get", "/households/{household}/chain"): lambda c: get(c, "/households/h9/chain").status_code == 404,
    ("get", "/gaps"): lambda c: not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', json.dumps(get(c, "/gaps").json())),
    ("get", "/gaps.xlsx"): lambda c: get(c, "/gaps.xlsx", unavailable="m9").status_code == 404
    and not re.search(r"(?<![\w-])(h9|m9|o-c2|c2|b9|u2)(?![\w-])|向阳|赵敏|图书馆", _workbook_text(get(c, "/gaps.xlsx"))),
    ("get", "/robustness"): lambda c: get(c, "/robustness", area="c2").status_code == 404
    and get(c, "/robustness", category="unit:u2").status_code == 404
    and get(c, "/robustness", unavailable="m9").status_code == 404
    and not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', json.dumps(get(c, "/robustness", share=0.5).json())),
    ("post", "/call-sheet"): lambda c: c.post("/call-sheet", json={"areas": ["c2"]},
                                             headers={"Authorization": f"Bearer {c.tokens['viewer']}"}).status_code == 404,
    ("post", "/call-sheet.xlsx"): lambda c: c.post("/call-sheet.xlsx", json={"households": ["h9"]},
                                                  headers={"Authorization": f"Bearer {c.tokens['viewer']}"}).status_code == 404,
    ("get", "/tokens"): lambda c: get(c, "/tokens").status_code == 403
    and "s1" not in json.dumps(get(c, "/tokens", "admin-c1").json()),
    ("get", "/audit"): lambda c: get(c, "/audit").status_code == 403 and shown_in_both(c)
    and "h1" in json.dumps(get(c, "/audit", "admin-c1").json()) and "h9" not in json.dumps(get(c, "/audit", "admin-c1").json()),
    ("get", "/health"): lambda c: c.get("/health").json() == {"status": "ok"},  # no token, and it names nothing
    ("post", "/import"): lambda c: post_import(c, "editor", {"nodes": [{"id": "h9", "kind": "Household"}]}).status_code == 403,
    ("post", "/edges"): lambda c: send(c, "post", "/edges", json={"type": "CONTACTS", "source": "m1", "target": "h9"}).status_code == 404,
    ("delete", "/edges"): lambda c: send(c, "delete", "/edges", params={"type": "CONTACTS", "source": "m9", "target": "h9"}).status_code == 404,
    ("post", "/changes/move"): lambda c: send(c, "post", "/changes/move", json={"area": "g1", "to": "c2", "on": DAY}).status_code == 404,
    ("post", "/changes/split"): lambda c: send(c, "post", "/changes/split", json={
        "area": "c2", "new": "c3", "name": "新", "take": ["b9"], "on": DAY}).status_code == 404,
    ("post", "/changes/merge"): lambda c: send(c, "post", "/changes/merge", json={"areas": ["b9"], "into": "b1", "on": DAY}).status_code == 404,
    ("post", "/changes/relocate"): lambda c: send(c, "post", "/changes/relocate", json={"household": "h1", "to": "b9", "on": DAY}).status_code == 404,
    ("post", "/changes/handover"): lambda c: send(c, "post", "/changes/handover", json={"member": "m9", "to": "m1", "on": DAY}).status_code == 404,
    ("get", "/history"): lambda c: get(c, "/history", node="h9").status_code == 404
    and not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', json.dumps(get(c, "/history").json())),
    ("get", "/search"): lambda c: all(get(c, "/search", q=q).json()["hits"] == [] for q in ("向阳", "9999", "h9", "赵敏", "图书馆"))
    and get(c, "/search", q="桂花").json()["hits"],
    ("get", "/members/{member}/profile"): lambda c: get(c, "/members/m9/profile").status_code == 404
    and get(c, "/members/m1/profile").status_code == 200,
    ("get", "/areas/{area}/households"): lambda c: get(c, "/areas/c2/households").status_code == 404
    and not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', json.dumps(get(c, "/areas/s1/households").json())),
}

def kept(c) -> tuple[str, str]:
    """Two incidents opened by the street: one over the whole street (c1 and c2), one over c2 alone."""
    if not hasattr(c, "kept"):
        from orggraph.incidents import open_incident

        c.kept = (open_incident(c.store, ["s1"], name="全街道", as_of=DAY)["id"],
                  open_incident(c.store, ["c2"], name="向阳", as_of=DAY)["id"])
    return c.kept


def _incident_routes_keep_to_scope(c) -> dict:
    both, other = kept(c)
    mark = {"household": "h9", "status": "reached", "by": "m1"}
    text = lambda r: json.dumps(r.json(), ensure_ascii=False)  # noqa: E731
    return {
        ("get", "/incidents"): other not in text(get(c, "/incidents")) and both in text(get(c, "/incidents")),
        ("get", "/incidents/{incident}"): get(c, f"/incidents/{other}").status_code == 404
        and get(c, f"/incidents/{both}").json()["households"] == 3,
        ("get", "/incidents/{incident}/sheet"): get(c, f"/incidents/{other}/sheet").status_code == 404
        and not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', text(get(c, f"/incidents/{both}/sheet"))),
        ("get", "/incidents/{incident}/sheet.xlsx"): get(c, f"/incidents/{other}/sheet.xlsx").status_code == 404,
        ("get", "/incidents/{incident}/progress"): get(c, f"/incidents/{other}/progress").status_code == 404
        and not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', text(get(c, f"/incidents/{both}/progress"))),
        ("get", "/incidents/{incident}/marks"): get(c, f"/incidents/{other}/marks").status_code == 404,
        ("post", "/incidents/{incident}/marks"): send(c, "post", f"/incidents/{other}/marks", json=mark).status_code == 404
        and send(c, "post", f"/incidents/{both}/marks", json=mark).status_code == 422
        and c.store.marks(both) == [],
        ("post", "/incidents/{incident}/close"): send(c, "post", f"/incidents/{other}/close").status_code == 404
        and send(c, "post", f"/incidents/{both}/close").status_code == 403,
        ("post", "/incidents"): send(c, "post", "/incidents", json={"areas": ["c2"], "name": "x"}).status_code == 404,
        ("get", "/cover-plan"): get(c, "/cover-plan", area="c2").status_code == 404
        and not re.search(r'"(h9|m9|o-c2|c2|b9|u2)"', text(get(c, "/cover-plan"))),
        ("post", "/cover-plan"): send(c, "post", "/cover-plan", json={"area": "c2", "on": DAY}).status_code == 404,
    }


for _route in ("/incidents", "/incidents/{incident}", "/incidents/{incident}/sheet", "/incidents/{incident}/sheet.xlsx",
               "/incidents/{incident}/progress", "/incidents/{incident}/marks", "/cover-plan"):
    OUTSIDE[("get", _route)] = lambda c, r=_route: _incident_routes_keep_to_scope(c)[("get", r)]
for _route in ("/incidents", "/incidents/{incident}/marks", "/incidents/{incident}/close", "/cover-plan"):
    OUTSIDE[("post", _route)] = lambda c, r=_route: _incident_routes_keep_to_scope(c)[("post", r)]


#: for each kind of node, one in the other community, and an edge that would place a new node there
OTHER = {"households": ("h9", {"type": "LOCATED_IN", "source": "new", "target": "b9"}),
         "members": ("m9", {"type": "CONTACTS", "source": "new", "target": "h9"}),
         "orgs": ("o-c2", {"type": "GOVERNS", "source": "new", "target": "c2"}),
         "areas": ("b9", {"type": "WITHIN", "source": "new", "target": "c2"}),
         "units": ("u2", {"type": "EMPLOYED_BY", "source": "m9", "target": "new"})}
for _segment, (_other, _edge) in OTHER.items():
    OUTSIDE[("post", f"/{_segment}")] = lambda c, s=_segment, e=_edge: send(
        c, "post", f"/{s}", json={"id": "new", "name": "新", "level": "building", "edges": [e]}).status_code == 404
    OUTSIDE[("put", f"/{_segment}/{{node_id}}")] = lambda c, s=_segment, o=_other: send(
        c, "put", f"/{s}/{o}", json={"name": "改"}).status_code == 404 and c.store.node(o).get("name") != "改"
    OUTSIDE[("delete", f"/{_segment}/{{node_id}}")] = lambda c, s=_segment, o=_other: send(
        c, "delete", f"/{s}/{o}").status_code == 404 and c.store.node(o)["id"] == o


def _workbook_text(answer) -> str:
    """Every cell of a workbook answered, as one text."""
    import io

    from openpyxl import load_workbook

    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    return "\n".join(str(c.value) for ws in book.worksheets for r in ws.iter_rows() for c in r if c.value is not None)


def shown_in_both(client) -> bool:
    """A street-wide token with pii sees a household in each community, unmasked: two audit rows."""
    client.tokens["street-pii"] = create_token(client.store, "viewer", ["s1"], pii=True)[0]
    return all(get(client, f"/households/{h}", "street-pii").status_code == 200 for h in ("h1", "h9"))


def test_an_admin_pages_the_audit_of_its_own_areas(api):
    from orggraph.access import audit_within, scope_of

    token = [t for t in tokens_of(api.store) if t.role == "admin" and t.areas == ("c1",)][0]
    for _ in range(250):
        api.store.append_audit("2026-11-23T00:00:00+00:00", token.id, "GET /households/{id}", ["h9"])
    api.store.append_audit("2026-11-23T00:00:01+00:00", token.id, "GET /households", ["h1", "h9"])
    [row] = audit_within(api.store, scope_of(api.store, ["c1"]), limit=1)
    assert row["records"] == ["h1"] and row["seq"] == 251
    assert get(api, "/audit", "admin-c1", after=251).json() == []
    assert [r["records"] for r in get(api, "/audit", "admin", after=249).json()] == [["h9"], ["h1", "h9"]]  # the street sees all


def send(client, method, path, who="editor", **options):
    return client.request(method.upper(), path, headers={"Authorization": f"Bearer {client.tokens[who]}"}, **options)


def test_the_docs_need_nothing_from_outside(api):
    """/docs and /redoc load every script and style from the API itself: an intranet reaches no CDN."""
    for page in ("/docs", "/redoc"):
        answer = api.get(page)
        assert answer.status_code == 200
        links = re.findall(r"""(?:src|href|url|spec-url)\s*[=:]\s*["']([^"']+)["']""", answer.text)
        assert "/openapi.json" in links and any(link.endswith(".js") for link in links), links
        assert [link for link in links if "//" in link] == []
        for link in links:
            asset = api.get(link)
            assert asset.status_code == 200, link
            assert len(asset.content) > 1000, link
    assert api.get("/docs/assets/nothing.js").json()["error"]["code"] == "not_found"


def test_a_graph_server_out_of_reach_is_a_503_and_health_says_so(tmp_path):
    """A real FalkorDB server of its own, stopped under the API: every request is a 503 that says to try
    again, /health included, and nothing names the records."""
    from orggraph.store.local import LocalFalkorDB
    from orggraph.store.server import connect

    server = LocalFalkorDB()
    try:
        store = connect(f"{server.uri}/api")
        store.load(items(two_communities()))
        token = create_token(store, "viewer", ["c1"])[0]
        with TestClient(create_app(store=store)) as client:
            assert client.get("/health").json() == {"status": "ok"}
            client.tokens = {"viewer": token}
            assert get(client, "/households/h1").status_code == 200
            server.stop()
            for answer in (client.get("/health"), get(client, "/households/h1")):
                assert answer.status_code == 503
                assert answer.headers["retry-after"] == "5"
                assert answer.json()["error"]["code"] == "unavailable"
                assert "h1" not in answer.text
        store.close()
    finally:
        server.stop()


def test_browser_pages_from_allowed_origins_only(tmp_path):
    """CORS: a page from a configured origin may call the API (a preflight needs no token); others may not."""
    from orggraph.api.settings import Settings

    store = EmbeddedStore(tmp_path / "api.db")
    store.load(items(two_communities()))
    token = create_token(store, "viewer", ["c1"])[0]
    allowed, other = "https://jiangbin.example.gov.cn", "https://elsewhere.example"
    with TestClient(create_app(Settings(cors_origins=[allowed]), store=store)) as client:
        preflight = client.options("/households/h1/chain", headers={
            "Origin": allowed, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == allowed
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/households/h1/chain", headers={"Origin": allowed, **auth}).headers["access-control-allow-origin"] == allowed
        refused = client.get("/households/h9/chain", headers={"Origin": allowed, **auth})  # out of scope: 404
        assert refused.status_code == 404 and refused.headers["access-control-allow-origin"] == allowed
        assert "access-control-allow-origin" not in client.get("/households/h1/chain", headers={"Origin": other, **auth}).headers
        assert client.options("/households/h1/chain", headers={
            "Origin": other, "Access-Control-Request-Method": "GET"}).status_code == 400
    with TestClient(create_app(Settings(), store=store)) as client:  # none by default
        assert "access-control-allow-origin" not in client.get("/households/h1/chain", headers={"Origin": allowed, **auth}).headers
    store.close()
    with pytest.raises(ValueError, match="'https://x.example/app' is not an origin"):
        Settings(cors_origins="https://x.example/app")


def test_every_route_keeps_to_the_token_s_scope(api):
    routes = {(method, path) for path, ops in api.app.openapi()["paths"].items() for method in ops}
    assert routes == set(OUTSIDE), f"routes without a scope case: {routes - set(OUTSIDE)}"
    for route, check in OUTSIDE.items():
        assert check(api), f"{route} shows the other community"


# -- the command and a real server ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_token_commands_and_a_real_server(backend, tmp_path, request, monkeypatch):
    """The commands and a real uvicorn server on loopback: on the store file with two worker processes,
    and on each graph server with one."""
    env, workers = {}, "2"
    if backend != "embedded":
        server = server_of(request, backend)
        if backend == "neo4j":  # one user database in Community: start it empty
            empty_neo4j(server)
        env, workers = {"ORGGRAPH_SERVER": server,
                        "ORGGRAPH_DATABASE": f"api_{tmp_path.name[-8:]}" if backend == "falkordb" else "neo4j"}, "1"
    (tmp_path / "street.json").write_text(json.dumps(two_communities(), ensure_ascii=False), encoding="utf-8")
    for name, value in env.items():  # the commands run in this process (an interpreter's start-up each, saved)
        monkeypatch.setenv(name, value)
    assert cli("load", "street.json", cwd=tmp_path).returncode == 0
    created = cli("token", "create", "--role", "viewer", "--area", "c1", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert re.fullmatch(r"og_[A-Za-z0-9_-]{40,}", secret), "the token alone on stdout"
    assert cli("token", "create", "--role", "boss", "--area", "c1", cwd=tmp_path).returncode == 2
    assert cli("token", "create", "--role", "viewer", "--area", "nowhere", cwd=tmp_path).returncode == 2
    editor = cli("token", "create", "--role", "editor", "--area", "c1", "--days", "30", cwd=tmp_path).stdout.strip()
    listed = json.loads(cli("token", "list", "--json", cwd=tmp_path).stdout)
    assert [(t["role"], t["areas"], t["expires"] is None) for t in listed] == [("viewer", ["c1"], True), ("editor", ["c1"], False)]
    assert f"active until {listed[1]['expires']}" in cli("token", "list", cwd=tmp_path).stdout
    bad = cli("serve", "--cors-origin", "https://jiedao.example/app", cwd=tmp_path)
    assert bad.returncode == 2 and "is not an origin" in bad.stderr
    with served("--workers", workers, "--cors-origin", "https://jiedao.example", cwd=tmp_path, env=env) as (url, proc):
        request = urllib.request.Request(url + "/households/h1", headers={"Authorization": f"Bearer {secret}",
                                                                         "Origin": "https://jiedao.example"})
        answer = urllib.request.urlopen(request, timeout=5)
        assert answer.headers["access-control-allow-origin"] == "https://jiedao.example"  # every worker was told
        body = json.loads(answer.read())
        assert body["id"] == "h1" and body["phone"] == "139****2222"
        contact = urllib.request.Request(url + "/edges", method="POST", headers={
            "Authorization": f"Bearer {editor}", "Content-Type": "application/json"},
            data=json.dumps({"type": "CONTACTS", "source": "m1", "target": "h3"}).encode())
        assert urllib.request.urlopen(contact, timeout=10).status == 201
        covered = urllib.request.Request(url + f"/coverage?as_of={DAY}", headers={"Authorization": f"Bearer {secret}"})
        for _ in range(4):  # whichever worker answers sees the change
            assert json.loads(urllib.request.urlopen(covered, timeout=10).read())["covered"] == 2
        assert cli("token", "revoke", listed[0]["id"], cwd=tmp_path).returncode == 0
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 401
    output = proc.log
    assert "13900002222" not in output and "桂花社区1号楼1单元101室" not in output  # nothing personal in the logs
    assert "GET /households/h1" in output


def _answer(url: str, token: str | None = None, timeout: float = 15) -> tuple[int, dict, dict]:
    """One request to a real server: its status, headers (lower-cased) and JSON body, a 503 as well as a 200."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        answer = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as refused:
        answer = refused
    return answer.status, {k.lower(): v for k, v in answer.headers.items()}, json.loads(answer.read())


def _until(seconds: float, check) -> None:
    """Ask ``check`` every tenth of a second until it is true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not so within {seconds:g} s"
        time.sleep(0.1)


def test_serve_starts_while_its_graph_server_is_out_of_reach_and_answers_once_it_can_be(tmp_path, monkeypatch):
    """`orggraph serve --server` with the server down: the API starts, logs one line and no traceback,
    answers 503 with Retry-After on /health and every store route, then answers from the server once it is
    up, with no restart."""
    from orggraph.store import local
    from orggraph.store.server import connect

    port = local.free_port()
    uri = f"falkordb://127.0.0.1:{port}/reach"
    with served("--server", uri, cwd=tmp_path) as (url, proc):
        for path in ("/health", "/households/h1", "/coverage", "/gaps"):
            status, headers, body = _answer(url + path, token="og_" + "x" * 43)
            assert status == 503, (path, body)
            assert headers["retry-after"] == "5" and body["error"]["code"] == "unavailable", (path, body)
        assert _answer(url + "/health")[2]["error"]["details"] == [{"store": "unavailable"}]
        monkeypatch.setattr(local, "free_port", lambda below=None: port)  # the server the API was told of
        server = local.LocalFalkorDB()
        try:
            with connect(uri) as store:
                store.load(items(two_communities()))
                token = create_token(store, "viewer", ["c1"])[0]
            _until(10, lambda: _answer(url + "/health")[0] == 200)
            status, _, body = _answer(url + "/households/h1", token)
            assert status == 200 and body["phone"] == "139****2222"
            assert _answer(url + f"/coverage?as_of={DAY}", token)[2]["covered"] == 1
        finally:
            server.stop()
    log = proc.log
    assert log.count("cannot be reached at start-up") == 1, log
    assert "Traceback" not in log and "startup failed" not in log, log
    assert "can be reached now" in log


def test_serve_stops_in_one_line_when_the_server_refuses_its_credentials(falkordb_server, tmp_path):
    """Credentials refused are a mistake in the settings, not a server out of reach: exit 1, one line on
    stderr that does not show the password, and no traceback."""
    result = run_cli("serve", "--server", falkordb_server, "--user", "orggraph", "--password", "wrong-secret",
                     "--port", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("orggraph: cannot serve: "), result.stderr
    assert "wrong-secret" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("backend", ["falkordb", "neo4j"])
def test_a_frozen_graph_server_leaves_no_request_hanging(backend, tmp_path):
    """A graph server of its own frozen with SIGSTOP under a real `orggraph serve`: /health answers within
    its two seconds, every other request within the deadline (ORGGRAPH_STORE_DEADLINE), both 503 with
    Retry-After in the error shape; the event loop serves meanwhile; after SIGCONT the API answers again."""
    import os
    import signal
    import threading

    from orggraph.exceptions import StoreUnavailable
    from orggraph.store.local import LocalFalkorDB, LocalNeo4j
    from orggraph.store.server import connect

    server = LocalFalkorDB() if backend == "falkordb" else LocalNeo4j()
    frozen = False
    try:
        uri = f"{server.uri}/frozen" if backend == "falkordb" else server.uri
        with connect(uri) as store:
            store.load(items(two_communities()))
            token = create_token(store, "viewer", ["c1"])[0]
        with served("--server", uri, cwd=tmp_path, env={"ORGGRAPH_STORE_DEADLINE": "3"}) as (url, proc):
            # the token's scope worked out first: on a JVM just started and a busy machine, the first
            # answers may pass the 3 s deadline, as they should, until the server is warm
            _until(60, lambda: _answer(url + "/households/h1", token, timeout=10)[0] == 200)
            os.kill(server.process.pid, signal.SIGSTOP)
            frozen = True
            began = time.monotonic()
            status, headers, body = _answer(url + "/health", timeout=10)
            assert time.monotonic() - began < 5  # its two seconds, on a busy machine
            assert status == 503 and headers["retry-after"] and body["error"]["details"] == [{"store": "unknown"}]
            for path in ("/households/h1", f"/households/h1/chain?as_of={DAY}", f"/coverage?as_of={DAY}&level=grid"):
                began = time.monotonic()
                status, headers, body = _answer(url + path, token, timeout=10)
                assert 2.5 < time.monotonic() - began < 8, path  # the deadline, 3 s
                assert status == 503 and headers["retry-after"] == "5", (path, body)
                assert body["error"]["code"] == "unavailable" and "did not answer within 3 s" in body["error"]["message"]
            waiting: list = []  # a request waiting on the store holds up no other
            asking = threading.Thread(target=lambda: waiting.append(_answer(url + "/gaps", token, timeout=10)))
            asking.start()
            time.sleep(0.5)
            began = time.monotonic()
            status, _, spec = _answer(url + "/openapi.json", timeout=10)
            assert status == 200 and "/gaps" in spec["paths"] and time.monotonic() - began < 2
            asking.join()
            assert waiting[0][0] == 503
            os.kill(server.process.pid, signal.SIGCONT)
            frozen = False
            _until(30, lambda: _answer(url + "/health")[0] == 200)
            status, _, body = _answer(url + "/households/h1", token)
            assert status == 200 and body["phone"] == "139****2222"
            # and a server that stops for good: a store of the library says StoreUnavailable, the API 503
            with connect(uri) as store:
                server.stop()
                with pytest.raises(StoreUnavailable):
                    store.revision  # noqa: B018
            status, headers, body = _answer(url + f"/gaps?as_of={DAY}", token, timeout=20)
            assert status == 503 and headers["retry-after"] == "5" and body["error"]["code"] == "unavailable"
        assert "Traceback" not in proc.log and "13900002222" not in proc.log
    finally:
        if frozen:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


# -- changing records ------------------------------------------------------------------------------------


def post_import(client, who, body, media="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return client.post("/import", content=data, headers={"Authorization": f"Bearer {client.tokens[who]}",
                                                          "Content-Type": media})


def test_an_editor_imports_within_the_scope(api):
    new = {"nodes": [{"id": "h4", "kind": "Household", "people": 2}],
           "edges": [{"type": "LOCATED_IN", "source": "h4", "target": "b1"},
                     {"type": "CONTACTS", "source": "m1", "target": "h4", "since": "2025-01-01"}]}
    response = post_import(api, "editor", new)
    assert response.status_code == 200, response.text
    assert (response.json()["added_nodes"], response.json()["added_edges"]) == (1, 2)
    assert get(api, "/households/h4").json()["people"] == 2  # the scope follows the change
    lines = '{"node": {"id": "h4", "kind": "Household", "people": 3}}\n'
    assert post_import(api, "editor", lines, "application/x-ndjson").json()["changed"] == 1


def test_an_import_outside_the_scope_is_refused_whole(api):
    before = api.store.counts()
    outside = {"nodes": [{"id": "h5", "kind": "Household"}, {"id": "h6", "kind": "Household"}],
               "edges": [{"type": "LOCATED_IN", "source": "h5", "target": "b1"},
                         {"type": "LOCATED_IN", "source": "h6", "target": "b9"}]}
    response = post_import(api, "editor", outside)
    assert response.status_code == 403
    assert response.json()["error"]["details"] == [
        {"where": "nodes[1]", "field": "id", "message": "'h6' would lie outside the token's areas (a new Household needs "
                                                        "a LOCATED_IN edge to a record the token may change)"},
        {"where": "edges[1]", "field": "target",
         "message": "no node with id 'b9' in this change or among the records the token may read"}]
    changing = {"nodes": [{"id": "h9", "kind": "Household", "people": 9}]}  # another community's household
    assert post_import(api, "editor", changing).status_code == 403
    assert api.store.counts() == before


@pytest.mark.parametrize("path, question", [("/gaps", "run_gaps"), ("/coverage", "run_coverage")])
def test_whole_network_answers_are_kept_until_the_network_changes(api, monkeypatch, path, question):
    """Worked out once a revision, day and question, whichever token asks: the question runs (counted
    here, the real one) once until a change."""
    from orggraph.api import routes_questions

    runs = []
    real = getattr(routes_questions, question)
    monkeypatch.setattr(routes_questions, question, lambda *a, **k: runs.append(k) or real(*a, **k))
    first = get(api, path, as_of=DAY).json()
    assert len(runs) == 1
    assert get(api, path, as_of=DAY).json() == first  # kept
    get(api, path, who="admin", as_of=DAY)  # another token, another scope: cut from the same answer
    assert len(runs) == 1
    get(api, path, as_of="2020-08-01")  # another day: asked afresh
    assert len(runs) == 2
    assert send(api, "post", "/edges", json={"type": "CONTACTS", "source": "m1", "target": "h3"}).status_code == 201
    changed = get(api, path, as_of=DAY).json()  # a new revision, asked afresh
    assert len(runs) == 3
    if path == "/gaps":
        assert "h3" in first["uncovered_households"] and "h3" not in changed["uncovered_households"]
    else:
        assert changed["covered"] == first["covered"] + 1


def test_an_import_dry_run_makes_every_check_and_writes_nothing(api):
    before, revision = api.store.counts(), api.store.revision
    inside = {"nodes": [{"id": "h4", "kind": "Household"}], "edges": [{"type": "LOCATED_IN", "source": "h4", "target": "b1"}]}
    auth = {"Authorization": f"Bearer {api.tokens['editor']}"}
    answer = api.post("/import", params={"dry_run": "true"}, json=inside, headers=auth)
    assert answer.json() == {"records": 2, "nodes": {"Household": 1}, "edges": {"LOCATED_IN": 1}, "dry_run": True,
                             "registers": []}
    outside = {"nodes": [{"id": "h5", "kind": "Household"}], "edges": [{"type": "LOCATED_IN", "source": "h5", "target": "b9"}]}
    assert api.post("/import", params={"dry_run": "true"}, json=outside, headers=auth).status_code == 403
    invalid = {"nodes": [{"id": "h5", "kind": "Household", "people": 0}],
               "edges": [{"type": "LOCATED_IN", "source": "h5", "target": "b1"}]}  # within the scope, so its validity is checked
    assert api.post("/import", params={"dry_run": "true"}, json=invalid, headers=auth).status_code == 422
    assert (api.store.counts(), api.store.revision) == (before, revision)
    assert post_import(api, "editor", inside).json()["added_nodes"] == 1


def test_an_invalid_import_names_record_and_field(api):
    response = post_import(api, "editor", {"nodes": [{"id": "h1", "kind": "Household", "people": 0}]})
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"where": "nodes[0]", "field": "people", "message": "must be at least 1, got 0"}]


def test_viewers_cannot_import_and_odd_bodies_are_refused(api):
    assert post_import(api, "viewer", {"nodes": []}).status_code == 403
    assert post_import(api, "editor", "name,id", "text/csv").status_code == 415


def test_an_editor_adds_changes_and_removes_nodes_and_edges(api):
    new = {"id": "h4", "address": "桂花社区1号楼301室", "phone": "13800000004",
           "edges": [{"type": "LOCATED_IN", "source": "h4", "target": "b1"}]}
    response = send(api, "post", "/households", json=new)
    assert response.status_code == 201, response.text
    assert response.json()["phone"] == "138****0004"  # the editor has no pii permission
    assert get(api, "/households/h4").json()["address"] == "桂花社区1号楼****"
    assert send(api, "post", "/households", json=new).status_code == 409  # the id is taken
    edge = {"type": "CONTACTS", "source": "m1", "target": "h4", "since": "2025-03-01"}
    assert send(api, "post", "/edges", json=edge).json() == edge
    assert get(api, "/households/h4/chain", as_of=DAY).json()["links"][0]["member"] == "m1"
    ended = send(api, "post", "/edges", json={**edge, "until": "2025-12-31"})  # the same key: changed, not added
    assert ended.json()["until"] == "2025-12-31"
    assert get(api, "/coverage", as_of=DAY).json()["covered"] == 1
    changed = send(api, "put", "/households/h4", json={"address": "桂花社区1号楼302室", "people": 3})
    assert changed.status_code == 200 and changed.json()["people"] == 3
    assert "phone" not in api.store.node("h4")  # PUT replaces the properties
    assert send(api, "put", "/households/h4", json={"people": 0}).json()["error"]["details"] == [
        {"where": "body", "field": "people", "message": "must be at least 1, got 0"}]
    assert send(api, "delete", "/edges", params=edge).json() == {"nodes": 0, "edges": 1}
    assert send(api, "delete", "/edges", params=edge).status_code == 404
    assert send(api, "delete", "/households/h4").json() == {"nodes": 1, "edges": 1}
    assert get(api, "/households/h4").status_code == 404


def test_the_api_stores_phones_and_days_as_a_load_does(api):
    """The API's own writes read a phone and a day in every spelling a load reads, store them in the same
    one form, and refuse what a load refuses in the same words, the number never echoed."""
    new = {"id": "h4", "address": "桂花社区1号楼301室", "phone": "(0716) 812-3456",
           "edges": [{"type": "LOCATED_IN", "source": "h4", "target": "b1", "since": "2025年3月1日"}]}
    assert send(api, "post", "/households", json=new).status_code == 201
    assert api.store.node("h4")["phone"] == "0716-8123456"
    assert [e.get("since") for e in api.store.edges_of("h4", "LOCATED_IN")] == ["2025-03-01"]
    edge = {"type": "CONTACTS", "source": "m1", "target": "h4", "since": "2025/3/1"}
    response = send(api, "post", "/edges", json=edge)
    assert response.status_code == 201 and response.json()["since"] == "2025-03-01", response.text
    ended = send(api, "post", "/edges", json={**edge, "since": "２０２５．０３．０１", "until": "2025年12月31日"})
    assert (ended.json()["since"], ended.json()["until"]) == ("2025-03-01", "2025-12-31")  # the same edge, ended
    assert [(e["since"], e["until"]) for e in api.store.edges_of("m1", "CONTACTS") if e["target"] == "h4"] == [
        ("2025-03-01", "2025-12-31")]
    refused = send(api, "put", "/households/h4", json={"phone": "8123456"})
    assert refused.json()["error"]["details"] == [{"where": "body", "field": "phone", "message":
                                                   "no area code: a landline of 7 digits needs its area code before "
                                                   "it (0716, 010, ...)"}]
    assert "8123456" not in refused.text
    month = send(api, "post", "/edges", json={**edge, "since": "2025年3月"})
    assert month.json()["error"]["details"] == [{"where": "body", "field": "since",
                                                 "message": "a month, not a day (2025-03): give the day"}]
    assert api.store.node("h4")["phone"] == "0716-8123456"


def test_changes_that_reach_outside_are_refused(api):
    before = api.store.counts()
    lone = send(api, "post", "/households", json={"id": "h5"})  # placed nowhere: outside every scope
    assert lone.status_code == 403
    assert lone.json()["error"]["details"][0]["field"] == "id"
    m2 = send(api, "post", "/members", json={"id": "m5", "name": "孙亮", "edges": [
        {"type": "CONTACTS", "source": "m5", "target": "h9"}]})
    assert m2.status_code == 404  # the other community's household is not there for this token
    api.store.load(items({"nodes": [], "edges": [{"type": "CONTACTS", "source": "m1", "target": "h9"}]}))
    shared = send(api, "delete", "/members/m1")  # m1 now also contacts a household of the other community
    assert shared.status_code == 403 and shared.json()["error"]["details"][0]["message"] == (
        "m1 also serves outside the token's areas (CONTACTS a household the token cannot see)")
    assert send(api, "delete", "/members/m1", "viewer").status_code == 403  # viewers do not change anything
    assert send(api, "put", "/households/h1", json={"kind": "Member"}).status_code == 422
    counts = api.store.counts()
    counts["edges"]["CONTACTS"] -= 1
    assert counts == before


def test_a_workbook_upload_imports_and_names_the_cell_at_fault(api, tmp_path):
    from orggraph.io.excel import write_workbook

    good = tmp_path / "good.xlsx"
    write_workbook([{"id": "h7", "kind": "Household", "address": "桂花社区1号楼401室"}],
                   [{"type": "LOCATED_IN", "source": "h7", "target": "b1"}], good)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = post_import(api, "editor", good.read_bytes(), xlsx)
    assert response.status_code == 200, response.text
    assert response.json()["added_nodes"] == 1 and get(api, "/households/h7").status_code == 200
    bad = tmp_path / "bad.xlsx"
    write_workbook([{"id": "h8", "kind": "Household", "people": 0}], [{"type": "LOCATED_IN", "source": "h8", "target": "b1"}], bad)
    detail = post_import(api, "editor", bad.read_bytes(), xlsx).json()["error"]["details"][0]  # then its edge
    assert detail["where"].startswith("sheet ") and "people" in detail["field"] and "at least 1" in detail["message"]


def test_property_values_are_held_to_limits(api):
    long = send(api, "put", "/households/h1", json={"note": "长" * 2001})
    assert long.status_code == 422 and "longer than 2000 characters" in json.dumps(long.json(), ensure_ascii=False)
    nested = send(api, "post", "/edges", json={"type": "CONTACTS", "source": "m1", "target": "h3", "x": {"a": 1}})
    assert nested.status_code == 422
    assert send(api, "put", "/households/h1", json={"flags": ["elderly_alone"] * 101}).status_code == 422


def test_a_token_keeps_its_other_areas_when_one_is_removed(api):
    """An editor of c1 removes an empty building that another token was made for: that token answers
    for its remaining area as before, not 404 on every route."""
    api.store.load([("node", "1", {"id": "bx", "kind": "Area", "name": "空楼", "level": "building"}),
                    ("edge", "2", {"type": "WITHIN", "source": "bx", "target": "c1"})])
    api.tokens["two"] = create_token(api.store, "viewer", ["c1", "bx"])[0]
    before = get(api, "/coverage", "two", as_of="2026-11-23").json()
    assert get(api, "/households", "two").status_code == 200
    removed = api.delete("/areas/bx", headers={"Authorization": f"Bearer {api.tokens['editor']}"})
    assert removed.status_code == 200, removed.text
    after = get(api, "/coverage", "two", as_of="2026-11-23")
    assert after.status_code == 200, after.text
    assert after.json()["households"] == before["households"] == 3
    assert [h["id"] for h in get(api, "/households", "two").json()["items"]] == ["h1", "h2", "h3"]


@pytest.mark.parametrize("day", ["0", "86400", "20240101", "2024-01-01T10:00:00", "2024-13-01"])
def test_an_as_of_that_is_not_a_day_is_refused(api, day):
    for path in ("/coverage", "/gaps", "/households/h1/chain"):
        answer = get(api, path, as_of=day)
        assert answer.status_code == 422 and answer.json()["error"]["code"], (path, day, answer.text)
    sheet = api.post("/call-sheet", json={"areas": ["c1"], "as_of": day},
                     headers={"Authorization": f"Bearer {api.tokens['viewer']}"})
    assert sheet.status_code == 422, (day, sheet.text)
