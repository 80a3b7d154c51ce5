"""Restructuring through the API: editors only, inside their scope (what they cannot see is not found),
recorded in the history as the token's; and the history as each token may read it."""

from __future__ import annotations

import pytest

from .conftest import backend_store, items, snapshot
from .test_changes import DATE, NETWORK, PERSONAL
from .test_write_scope import send, served_to


@pytest.fixture(params=["embedded", "falkordb"])
def c1(request, tmp_path):
    """The network of test_changes served to an editor and a viewer of community c1."""
    with backend_store(request, request.param, tmp_path) as store:
        store.load(items(NETWORK))
        with served_to(store, "c1") as client:
            yield client


def test_an_editor_splits_its_grid_and_the_history_says_so(c1):
    body = {"area": "g1", "new": "g2", "name": "桂花第2网格", "take": ["b2"], "on": DATE, "note": "社区批复"}
    dry = send(c1, "post", "/changes/split?dry_run=true", json=body)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["dry_run"], dry.json()["history"], dry.json()["households"]) == (True, None, ["h2", "h3"])
    before = snapshot(c1.store)
    assert send(c1, "post", "/changes/split", json=body, who="viewer").status_code == 403
    assert snapshot(c1.store) == before
    done = send(c1, "post", "/changes/split", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["ended"] == [{"type": "WITHIN", "source": "b2", "target": "g1", "since": "2020-01-01",
                                     "until": "2024-06-30"}]
    [entry] = send(c1, "get", "/history?node=g2", who="viewer").json()
    token_id = c1.store.history()[-1]["by"]
    assert (entry["kind"], entry["by"], entry["note"], entry["on"]) == ("split", token_id, "社区批复", DATE)
    assert token_id.startswith("token:") and entry["ended"] == [["WITHIN", "b2", "g1", "2020-01-01"]]


def test_an_editor_cannot_move_an_area_of_another_community_nor_its_own_under_one(c1):
    before = snapshot(c1.store), c1.store.history()
    for body in ({"area": "g3", "to": "c1", "on": DATE}, {"area": "g1", "to": "c2", "on": DATE},
                 {"area": "nowhere", "to": "c1", "on": DATE}):
        answer = send(c1, "post", "/changes/move", json=body)
        assert answer.status_code == 404, answer.text
    assert send(c1, "post", "/changes/move", json={"area": "g3", "to": "c1", "on": DATE}).json()["error"]["message"] \
        == "AREA: no area with id 'g3'"
    assert (snapshot(c1.store), c1.store.history()) == before
    answer = send(c1, "post", "/changes/move", json={"area": "g1", "to": "c1", "on": DATE})
    assert answer.status_code == 422 and "already" in answer.json()["error"]["details"][0]["message"]


def test_a_handover_within_the_scope_only(c1):
    answer = send(c1, "post", "/changes/handover", json={"member": "m3", "to": "m4", "on": DATE})
    assert answer.status_code == 200, answer.text
    assert answer.json()["households"] == ["h1", "h2"]
    # m4 also serves h4, in c2: it may hand nothing over there, and h4 answers as unknown
    answer = send(c1, "post", "/changes/handover", json={"member": "m4", "to": "m3", "on": DATE, "households": ["h4"]})
    assert answer.status_code == 404, answer.text


def test_api_writes_are_in_the_history_cut_to_each_scope(c1):
    assert send(c1, "put", "/households/h1", json={"address": "1号楼102室", "people": 2}).status_code == 200
    assert send(c1, "delete", "/edges?type=CONTACTS&source=m3&target=h2&since=2022-03-01").status_code == 200
    assert send(c1, "post", "/import", json={"edges": [{"type": "CONTACTS", "source": "m4", "target": "h2"}]}).status_code == 200
    entries = send(c1, "get", "/history", who="viewer").json()
    assert [e["kind"] for e in entries] == ["load", "update", "delete", "import"]
    assert entries[3]["added"] == [["CONTACTS", "m4", "h2", None]] and entries[3]["by"].startswith("token:")
    assert entries[1]["changed"] == ["h1"] and entries[2]["removed"] == [["CONTACTS", "m3", "h2", "2022-03-01"]]
    assert "h4" not in str(entries[0]) and "c2" not in str(entries[0])  # the load, cut to what c1's tokens read
    assert entries[0]["counts"]["added"] == len(entries[0]["added"])
    assert not [p for p in PERSONAL + ["1号楼102室"] if p in str(entries)]
    assert send(c1, "get", "/history?node=h4", who="viewer").status_code == 404
    assert [e["id"] for e in send(c1, "get", "/history?node=h1&after=1", who="viewer").json()] == [2]
