"""The workbench's pages on a large city: server time of each, in process (no network), first and again.

    python bench/workbench.py [DB]       (default: a 200,000-household city made in bench/out/)

Each page is asked through the app itself (Starlette's test client: the server's work, without a browser's
or a network's), signed in with a street token without pii; first (its answer worked out) and then the best
of five (kept answers, as a clerk's second look finds them).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orggraph.access import create_token  # noqa: E402
from orggraph.api import create_app  # noqa: E402
from orggraph.api.settings import Settings  # noqa: E402
from orggraph.store import EmbeddedStore  # noqa: E402


def city(households: int) -> Path:
    from queries import prepare  # the benchmarks' one way to make a city of a size

    folder = Path(__file__).resolve().parent / "out"
    folder.mkdir(exist_ok=True)
    return prepare(households, folder)


def timed(client: TestClient, path: str, repeat: int = 5) -> tuple[float, float, int]:
    started = time.perf_counter()
    answer = client.get(path)
    first = time.perf_counter() - started
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    again = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        again.append(time.perf_counter() - started)
    return first, min(again), len(answer.content)


def main() -> None:
    db = Path(sys.argv[1]) if len(sys.argv) > 1 else city(200_000)
    store = EmbeddedStore(str(db))
    households = store.counts()["nodes"].get("Household")
    street = next(n["id"] for n in store.nodes("Area") if n.get("level") == "street")
    secret, _ = create_token(store, "editor", [street])
    pages = PAGES(store, street)
    with TestClient(create_app(Settings(db=str(db)), store=store), follow_redirects=False) as client:
        client.post("/login", data={"token": secret})
        print(f"{db.name}: street {street}{f', {households:,} households' if households else ''}")
        print(f"{'page':<48} {'first ms':>9} {'again ms':>9} {'KiB':>7}")
        for name, path in pages:
            first, again, size = timed(client, path)
            print(f"{name:<48} {first * 1000:9.1f} {again * 1000:9.1f} {size / 1024:7.1f}")
    store.close()


def PAGES(store: EmbeddedStore, street: str) -> list[tuple[str, str]]:
    """The pages a clerk opens, on records of the city found from its store (an incident opened on its
    first community, once, for the 应急 pages)."""
    from orggraph.incidents import incidents, open_incident

    areas = {n["id"]: n for n in store.nodes("Area")}
    community = next(a for a, n in areas.items() if n.get("level") == "community" and a.startswith(street))
    grid = next(a for a, n in areas.items() if n.get("level") == "grid" and a.startswith(community))
    building = next(a for a, n in areas.items() if n.get("level") == "building" and a.startswith(grid))
    household = next(e["source"] for e in store.edges_of(building, "LOCATED_IN"))
    member = next(e["source"] for e in store.edges_of(household, "CONTACTS"))
    kept = [i for i in incidents(store) if i["name"] == "bench: workbench"]
    incident = kept[0]["id"] if kept else open_incident(store, [community], name="bench: workbench")["id"]
    return [("覆盖情况 / (the street)", "/"), ("覆盖情况 a community", f"/?area={community}"),
            ("住户 a household's chain", f"/household/{household}"), ("党员 a member", f"/member/{member}"),
            ("住户名单 a building", f"/area/{building}"), ("住户名单 a community, first 200", f"/area/{community}"),
            ("查找 part of an address", "/find?q=3%E5%8F%B7%E6%A5%BC&kind=Household"), ("查找 a phone's last 4", "/find?q=5678"),
            ("问题清单 uncovered households", "/problems"), ("问题清单 vacant posts", "/problems?kind=vacant_posts"),
            ("应急 the list and the tree", "/emergency"), ("应急 an incident (a community)", f"/emergency/{incident}"),
            ("应急 its progress", f"/emergency/{incident}/progress"), ("导入 the form", "/upload")]


if __name__ == "__main__":
    main()
