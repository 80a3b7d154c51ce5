"""The plotting and table helpers the notebooks use."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from orggraph import viz  # noqa: E402
from orggraph.graph import OrgGraph  # noqa: E402
from orggraph.queries import coverage, gaps, incident, responsibility_chain  # noqa: E402
from orggraph.report import Namer  # noqa: E402

from .conftest import items  # noqa: E402

DAY = "2026-11-23"


def drawn(fig) -> list[str]:
    """Draw a figure and return its texts, failing on any glyph the font lacks."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    missing = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert not missing, missing
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def test_a_cjk_font_is_installed():
    assert viz.use_cjk_font() is not None


def test_coverage_bars(loaded):
    report = coverage(loaded, as_of=DAY)
    fig = viz.coverage_bars(report, target=0.95)
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == len(report["areas"]) == 4
    assert all(b.get_facecolor()[:3] == matplotlib.colors.to_rgb("#c0392b") for b in bars)  # 33% < 95%
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [0.95]
    texts = drawn(fig)
    assert any("桂花社区第1网格" in t for t in texts)


def test_robustness_bars(loaded):
    from orggraph.queries import robustness

    report = robustness(loaded, "c1", share=0.5, trials=20, as_of=DAY)
    fig = viz.robustness_bars(report, target=0.9)
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * len(report["areas"]) == 6  # as things stand, and expected
    assert [round(b.get_height(), 6) for b in ax.patches] == [a["rate"] for a in report["areas"]] + [
        a["expected"] for a in report["areas"]]
    assert ax.collections[0].get_offsets()[:, 1].tolist() == [a["p5"] for a in report["areas"]]
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [0.9]
    assert any("桂花社区第1网格" in t for t in drawn(fig))


def test_org_tree(loaded):
    G = OrgGraph.from_store(loaded)
    fig = viz.org_tree(G, "o-s1", as_of=DAY, max_depth=2)
    texts = drawn(fig)
    boxes = [t for t in texts if "o-" in t and "\n" in t]
    assert len(boxes) == 3  # the street committee, the community committee, the grid branch
    assert any("第1网格党支部" in t and "李强" in t for t in boxes)  # m2 is the grid secretary
    assert any("桂花社区大党委" in t and "(vacant)" in t for t in boxes)
    shallow = drawn(viz.org_tree(G, "o-s1", as_of=DAY, max_depth=1))
    assert any("+1 below" in t for t in shallow)


def test_chain_diagram(loaded):
    chain = responsibility_chain(loaded, "h1", as_of=DAY)
    texts = drawn(viz.chain_diagram(chain, Namer.of(loaded)))
    boxes = [t for t in texts if ":" in t and not t.startswith("Chain of")]
    assert len(boxes) == len(chain["links"]) + len(chain["breaks"]) == 11
    assert any("王芳 (m1)" in t for t in boxes)
    assert any(t.startswith("BREAK weak_org") for t in boxes)


def test_tables(loaded):
    G = OrgGraph.from_store(loaded)
    table = viz.member_households(G, "m1", as_of=DAY)
    assert list(table["household"]) == ["h1"]
    assert table.loc[0, "phone"] == "139****2222"  # masked
    counts = viz.gap_counts(gaps(loaded, as_of=DAY))
    assert dict(zip(counts["gap"], counts["count"]))["uncovered_households"] == 2
    sheet = viz.incident_table(incident(loaded, ["b1"], as_of=DAY), Namer.of(loaded))
    assert list(sheet["household"]) == ["h2", "h3", "h1"]
    change = viz.coverage_change(coverage(loaded, as_of=DAY), coverage(loaded, as_of=DAY, unavailable=["m1"]))
    assert list(change["lost"]) == [1, 1, 1, 1]


def test_a_grid_split_on_two_days(embedded):
    """Case 08 (grid g1 gives building b2 to a new grid g2 on 2024-07-01), with a community committee
    that g2's branch answers to from that day: the figures and the tree are those of each day."""
    doc = json.loads((Path(__file__).parent / "cases" / "08-grid-split-dated.json").read_text(encoding="utf-8"))
    doc["nodes"].append({"id": "o-c1", "kind": "Org", "name": "桂花社区大党委", "level": "community"})
    doc["edges"] += [{"type": "SUBORDINATE_TO", "source": "o-g1", "target": "o-c1"},
                     {"type": "SUBORDINATE_TO", "source": "o-g2", "target": "o-c1", "since": "2024-07-01"}]
    embedded.load(items(doc))
    before = coverage(embedded, level="grid", as_of="2024-06-30")
    after = coverage(embedded, level="grid", as_of="2024-07-01")
    fig = viz.coverage_days([before, after])
    top, bottom = fig.axes[:2]
    assert [p.get_height() for p in top.patches] == [3, 1, 2]  # g1 before; g1 and g2 from the split
    assert [p.get_height() for p in bottom.patches] == [1.0, 1.0, 1.0]  # every household has its contact
    texts = drawn(fig)
    assert "-2" in texts and "+2" in texts and any("第2网格(由第1网格拆分)" in t for t in texts)
    table = viz.days_table([before, after])
    assert list(table["area"]) == ["g1", "g2"]
    assert list(table["households 2024-07-01"]) == [1, 2]
    assert table["households 2024-06-30"].isna().tolist() == [False, True]
    G = OrgGraph.from_store(embedded)
    for day, branches in (("2024-06-30", ["o-g1"]), ("2024-07-01", ["o-g1", "o-g2"])):
        boxes = [t for t in drawn(viz.org_tree(G, "o-c1", as_of=day)) if "o-g" in t]
        assert [b.split(" ")[1].split("\n")[0] for b in boxes] == branches, day


def test_labels_fall_back_to_ids_without_a_cjk_font(monkeypatch):
    monkeypatch.setitem(viz._STATE, "font", None)
    assert viz.label("s1", "江滨街道") == "s1"
    monkeypatch.setitem(viz._STATE, "font", "Noto Sans CJK SC")
    assert viz.label("s1", "江滨街道") == "江滨街道\ns1"
