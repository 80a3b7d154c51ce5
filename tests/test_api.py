"""The HTTP API: every route, the scope of a token, masking and the audit log, and a real uvicorn server."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest
from fastapi.testclient import TestClient

from orggraph.access import create_token
from orggraph.api import create_app
from orggraph.store import EmbeddedStore
from orggraph.store.local import free_port

from .conftest import items, run_cli, street

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


@pytest.fixture
def api(tmp_path):
    store = EmbeddedStore(tmp_path / "api.db")
    store.load(items(two_communities()))
    tokens = {
        "viewer": create_token(store, "viewer", ["c1"])[0],
        "pii": create_token(store, "viewer", ["c1"], pii=True)[0],
        "editor": create_token(store, "editor", ["c1"])[0],
        "admin": create_token(store, "admin", ["s1"])[0],
    }
    with TestClient(create_app(store=store)) as client:
        client.tokens = tokens
        client.store = store
        yield client
    store.close()


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
    assert get(api, "/areas/s1").status_code == 404  # above the token's area: not within it
    assert get(api, "/orgs/o-s1").json()["level"] == "street"  # but the street committee governs its households


def test_pii_is_shown_only_with_permission_and_audited(api):
    assert get(api, "/households/h1", "pii").json()["phone"] == "13900002222"
    get(api, "/households", "pii")
    assert get(api, "/audit", "viewer").status_code == 403
    rows = get(api, "/audit", "admin").json()
    assert [(r["route"], r["records"]) for r in rows] == [
        ("GET /households/{id}", ["h1"]), ("GET /households", ["h1", "h2", "h3"])]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        api.store._conn.execute("DELETE FROM audit")


def test_questions_are_cut_to_the_scope(api):
    report = get(api, "/coverage", as_of=DAY).json()
    assert (report["households"], report["covered"]) == (3, 1)
    assert [a["id"] for a in report["areas"]] == ["b1", "c1", "g1"]
    whole = get(api, "/coverage", "admin", as_of=DAY).json()
    assert whole["households"] == 4 and "c2" in [a["id"] for a in whole["areas"]]
    chain = get(api, "/households/h1/chain", as_of=DAY).json()
    assert chain["links"][0] == {"role": "contact", "member": "m1", "area": None, "org": None, "unit": None}
    gaps = get(api, "/gaps", as_of=DAY).json()
    assert gaps["uncovered_households"] == ["h2", "h3"]
    sheet = api.post("/incidents", json={"areas": ["c1", "c2"], "as_of": DAY},
                     headers={"Authorization": f"Bearer {api.tokens['viewer']}"}).json()
    assert sheet["areas"] == ["c1"] and sheet["households"] == 3
    xlsx = api.post("/incidents.xlsx", json={"areas": ["b1"], "as_of": DAY},
                    headers={"Authorization": f"Bearer {api.tokens['viewer']}"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_admin_lists_tokens_without_secrets(api):
    rows = get(api, "/tokens", "admin").json()
    assert [r["role"] for r in rows] == ["viewer", "viewer", "editor", "admin"]
    assert all("hash" not in r and "secret" not in r for r in rows)
    assert get(api, "/tokens", "editor").status_code == 403


def test_errors_have_one_shape(api):
    for response in (get(api, "/households/h404"), get(api, "/coverage", as_of="yesterday"),
                     get(api, "/coverage", unavailable="nobody")):
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "details"}
        assert body["error"]["status"] == response.status_code
    assert get(api, "/coverage", unavailable="nobody").status_code == 404


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
    ("post", "/incidents"): lambda c: c.post("/incidents", json={"areas": ["c2"]},
                                             headers={"Authorization": f"Bearer {c.tokens['viewer']}"}).status_code == 404,
    ("post", "/incidents.xlsx"): lambda c: c.post("/incidents.xlsx", json={"households": ["h9"]},
                                                  headers={"Authorization": f"Bearer {c.tokens['viewer']}"}).status_code == 404,
    ("get", "/tokens"): lambda c: get(c, "/tokens").status_code == 403,
    ("get", "/audit"): lambda c: get(c, "/audit").status_code == 403,
}


def test_every_route_keeps_to_the_token_s_scope(api):
    routes = {(method, path) for path, ops in api.app.openapi()["paths"].items() for method in ops}
    assert routes == set(OUTSIDE), f"routes without a scope case: {routes - set(OUTSIDE)}"
    for route, check in OUTSIDE.items():
        assert check(api), f"{route} shows the other community"


# -- the command and a real server ----------------------------------------------------------------------


def test_token_commands_and_a_real_server(tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(two_communities(), ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "street.json", cwd=tmp_path).returncode == 0
    created = run_cli("token", "create", "--role", "viewer", "--area", "c1", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert re.fullmatch(r"og_[A-Za-z0-9_-]{40,}", secret), "the token alone on stdout"
    assert run_cli("token", "create", "--role", "boss", "--area", "c1", cwd=tmp_path).returncode == 2
    assert run_cli("token", "create", "--role", "viewer", "--area", "nowhere", cwd=tmp_path).returncode == 2
    listed = json.loads(run_cli("token", "list", "--json", cwd=tmp_path).stdout)
    assert [(t["role"], t["areas"]) for t in listed] == [("viewer", ["c1"])]
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "orggraph", "serve", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/openapi.json", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(url + "/households/h1", headers={"Authorization": f"Bearer {secret}"})
        body = json.loads(urllib.request.urlopen(request, timeout=5).read())
        assert body["id"] == "h1" and body["phone"] == "139****2222"
        assert run_cli("token", "revoke", listed[0]["id"], cwd=tmp_path).returncode == 0
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert "13900002222" not in output and "桂花社区1号楼1单元101室" not in output  # nothing personal in the logs
    assert "GET /households/h1" in output
