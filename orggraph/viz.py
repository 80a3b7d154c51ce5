"""Pictures and tables for notebooks: coverage bars, robustness, the organization tree, a chain, gap tables."""

from __future__ import annotations

import os
from typing import Any, Iterable

from .model import LABELS

__all__ = [
    "use_cjk_font",
    "label",
    "coverage_bars",
    "robustness_bars",
    "org_tree",
    "chain_diagram",
    "frame",
    "gap_counts",
    "member_households",
    "incident_table",
    "coverage_change",
    "coverage_days",
    "days_table",
    "CJK_FONTS",
]

#: CJK fonts looked for on the system when the packaged one is not installed, best first
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC")

_STATE: dict[str, Any] = {}


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese: the Noto Sans CJK font of the ``mplfonts`` package (installed with
    the ``notebooks`` extra), else a CJK font of the system. Returns the font's name, or None when there
    is none: then every picture labels by id, so nothing is drawn as a missing-glyph box.
    """
    if "font" in _STATE:
        return _STATE["font"]
    import matplotlib
    from matplotlib import font_manager

    name = None
    try:
        import mplfonts

        path = os.path.join(os.path.dirname(mplfonts.__file__), "fonts", "NotoSansCJKsc-Regular.otf")
        if os.path.exists(path):
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
    except ImportError:
        pass
    if name is None:
        available = {f.name for f in font_manager.fontManager.ttflist}
        name = next((f for f in CJK_FONTS if f in available), None)
    if name is not None:
        matplotlib.rcParams["font.sans-serif"] = [name, *matplotlib.rcParams["font.sans-serif"]]
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["axes.unicode_minus"] = False
    _STATE["font"] = name
    return name


def label(node_id: str, name: str | None) -> str:
    """A label for a picture: the name with the id when Chinese can be drawn, else the id alone.

    Examples
    --------
    >>> label("s1", None)
    's1'
    """
    if name and use_cjk_font():
        return f"{name}\n{node_id}"
    return node_id


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def coverage_bars(report: dict[str, Any], *, target: float = 0.95, ax: Any = None, title: str | None = None,
                  measure: str = "rate") -> Any:
    """A bar an area of a coverage report (``orggraph.queries.coverage``), with the target as a line.

    Bars below the target are red. ``measure`` is ``rate``, ``people_rate`` or ``vulnerable_rate``.
    Returns the matplotlib Figure.
    """
    areas = report["areas"]
    fig, ax = _axes(ax, (max(6.0, 0.45 * len(areas) + 2), 4.5))
    values = [a[measure] for a in areas]
    colors = ["#c0392b" if v < target else "#2e86c1" for v in values]
    names = [label(a["id"], a.get("name")) for a in areas]
    ax.bar(range(len(areas)), values, color=colors)
    ax.axhline(target, color="#27ae60", linestyle="--", linewidth=1.5, label=f"target {target:.0%}")
    ax.set_xticks(range(len(areas)), names, rotation=90, fontsize=8)
    ax.set_ylim(min([0.8, *values]) - 0.02 if values else 0, 1.0)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylabel({"rate": "households covered", "people_rate": "people covered",
                   "vulnerable_rate": "vulnerable households covered"}[measure])
    heading = title or f"Coverage as of {report['as_of']}"
    if report.get("unavailable"):
        heading += f", {len(report['unavailable'])} members unavailable"
    ax.set_title(heading)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def robustness_bars(report: dict[str, Any], *, target: float = 0.95, ax: Any = None, title: str | None = None) -> Any:
    """The areas of a robustness answer (``orggraph.queries.robustness``): for each, the share covered as
    things stand (a pale bar), the share expected over the trials (a bar in front) and the 5th percentile
    (a red tick), with the target as a line. Returns the matplotlib Figure.
    """
    areas = report["areas"]
    fig, ax = _axes(ax, (max(6.0, 0.55 * len(areas) + 2), 4.5))
    xs = list(range(len(areas)))
    ax.bar(xs, [a["rate"] for a in areas], 0.8, color="#d5dbdb", label="as things stand")
    ax.bar(xs, [a["expected"] for a in areas], 0.5, color="#2e86c1", label="expected")
    ax.scatter(xs, [a["p5"] for a in areas], marker="_", s=400, linewidths=2.5, color="#c0392b", zorder=3,
               label="5th percentile")
    ax.axhline(target, color="#27ae60", linestyle="--", linewidth=1.5, label=f"target {target:.0%}")
    ax.set_xticks(xs, [label(a["id"], a.get("name")) for a in areas], rotation=90, fontsize=8)
    low = min([0.8, *(a["p5"] for a in areas)])
    ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylabel("households covered")
    ax.set_title(title or f"Coverage as of {report['as_of']} with {report['share']:.0%} of the members unreachable "
                          f"({report['trials']} trials)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


#: the colours of the days of :func:`coverage_days`, the earliest first
_DAY_COLORS = ("#aab7b8", "#2e86c1", "#117a65", "#7d3c98")


def _areas_of_days(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The areas of several coverage reports, each once, in the order they first appear."""
    seen: dict[str, dict[str, Any]] = {}
    for report in reports:
        for area in report["areas"]:
            seen.setdefault(area["id"], area)
    return list(seen.values())


def coverage_days(reports: list[dict[str, Any]], *, target: float = 0.95, title: str | None = None) -> Any:
    """The same areas on several days (coverage reports of one question ``as_of`` different days, up to
    four): above, the households of each area on each day, side by side, with the change from the first
    day written over an area whose households changed; below, the coverage rate, with the target as a
    line. An area that takes no part on a day (a grid not yet made) has no bar that day. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if not 1 <= len(reports) <= len(_DAY_COLORS):
        raise ValueError(f"coverage_days draws 1 to {len(_DAY_COLORS)} days, got {len(reports)}")
    areas = _areas_of_days(reports)
    rows = [{a["id"]: a for a in report["areas"]} for report in reports]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(max(7.0, 0.7 * len(areas) + 2), 7.5),
                                      gridspec_kw={"height_ratios": [3, 2]})
    width = 0.8 / len(reports)
    for d, (report, row) in enumerate(zip(reports, rows)):
        xs = [i + (d - (len(reports) - 1) / 2) * width for i, a in enumerate(areas) if a["id"] in row]
        present = [a for a in areas if a["id"] in row]
        color = _DAY_COLORS[d] if len(reports) > 1 else _DAY_COLORS[1]
        top.bar(xs, [row[a["id"]]["households"] for a in present], width, color=color, label=report["as_of"])
        bottom.bar(xs, [row[a["id"]]["rate"] for a in present], width, color=color)
    first = rows[0]
    peak = max((r["households"] for row in rows for r in row.values()), default=0)
    for i, area in enumerate(areas):
        last = rows[-1].get(area["id"], {}).get("households", 0)
        change = last - first.get(area["id"], {}).get("households", 0)
        if change:
            top.annotate(f"{change:+,}", (i, max(last, first.get(area["id"], {}).get("households", 0))),
                         xytext=(0, 4), textcoords="offset points", ha="center", fontsize=10,
                         color="#c0392b" if change < 0 else "#117a65")
    top.set_ylim(0, peak * 1.15 + 1)
    top.set_ylabel("households")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    top.set_title(title or "Households and coverage on " + ", ".join(r["as_of"] for r in reports))
    rates = [r["rate"] for row in rows for r in row.values()]
    bottom.axhline(target, color="#27ae60", linestyle="--", linewidth=1.5, label=f"target {target:.0%}")
    bottom.set_ylim(min([0.8, *rates]) - 0.02, 1.0)
    bottom.yaxis.set_major_formatter(_percent())
    bottom.set_ylabel("households covered")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    bottom.set_xticks(range(len(areas)), [label(a["id"], a.get("name")) for a in areas], rotation=90, fontsize=8)
    fig.tight_layout()
    return fig


def days_table(reports: list[dict[str, Any]]) -> Any:
    """The same areas on several days, one row an area: its households, covered households and rate on
    each day (columns suffixed with the day; empty where the area takes no part); the areas whose
    households differ between the days first, then the rest."""
    areas = _areas_of_days(reports)
    rows = []
    for area in areas:
        row: dict[str, Any] = {"area": area["id"], "name": area.get("name")}
        for report in reports:
            found = next((a for a in report["areas"] if a["id"] == area["id"]), None)
            for key in ("households", "covered", "rate"):
                row[f"{key} {report['as_of']}"] = found[key] if found else None
        rows.append(row)
    changed = [r for r in rows if len({r[f"households {x['as_of']}"] for x in reports}) > 1]
    table = frame(changed + [r for r in rows if r not in changed])
    return table.convert_dtypes() if len(table) else table


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0)


def org_tree(graph: Any, root: str, *, as_of: str | None = None, unavailable: Iterable[str] = (),
             max_depth: int = 1, ax: Any = None) -> Any:
    """The organization tree under ``root`` (along ``SUBORDINATE_TO``), drawn left to right.

    ``graph`` is an :class:`~orggraph.graph.OrgGraph`. Each box names the org and its responsible person
    on the day; weak and lax orgs and orgs with nobody in post are red. Levels below ``max_depth`` are
    counted in the box above them instead of drawn. The tree is that of the day (``as_of``, default
    today): the ``SUBORDINATE_TO`` edges valid on it. Returns the Figure.
    """
    from .days import today

    day = as_of or today()
    children: dict[str, list[str]] = {}
    for org in graph.ids("Org"):
        for parent, _ in graph.out_edges(org, "SUBORDINATE_TO", as_of=day):
            children.setdefault(parent, []).append(org)

    def below(node: str) -> int:
        return sum(1 + below(k) for k in children.get(node, []))

    order: list[tuple[str, int]] = []
    y_of: dict[str, float] = {}
    leaves = [0]

    def place(node: str, depth: int) -> float:
        order.append((node, depth))
        kids = sorted(children.get(node, [])) if depth < max_depth else []
        if not kids:
            y_of[node] = float(leaves[0])
            leaves[0] += 1
            return y_of[node]
        ys = [place(k, depth + 1) for k in kids]
        y_of[node] = (min(ys) + max(ys)) / 2
        return y_of[node]

    place(root, 0)
    depth = max(d for _, d in order) + 1
    fig, ax = _axes(ax, (3.2 * depth + 1, 0.55 * leaves[0] + 1.2))
    gone = frozenset(unavailable)
    for node, d in order:
        if d < max_depth:
            for kid in children.get(node, []):
                ax.plot([d, d + 1], [-y_of[node], -y_of[kid]], color="#999999", linewidth=0.8, zorder=1)
    for node, d in order:
        data = graph.node(node)
        person = graph.responsible_person(node, as_of=as_of, unavailable=gone)
        bad = data.get("status") == "weak_lax" or person is None
        who = label(person, graph.node(person).get("name")).split("\n")[0] if person else "(vacant)"
        hidden = below(node) if d == max_depth else 0
        text = label(node, data.get("name")).replace("\n", " ") + f"\n{who}" + (f"  +{hidden} below" if hidden else "")
        ax.text(d, -y_of[node], text, ha="center", va="center", fontsize=7, zorder=2,
                bbox={"boxstyle": "round", "facecolor": "#fadbd8" if bad else "#eaf2f8",
                      "edgecolor": "#c0392b" if bad else "#2e86c1"})
    ax.set_xlim(-0.6, depth - 0.4)
    ax.set_ylim(-leaves[0] + 0.4, 0.6)
    ax.axis("off")
    ax.set_title(f"Organizations under {label(root, graph.node(root).get('name')).replace(chr(10), ' ')}"
                 + (f" on {as_of}" if as_of else ""))
    fig.tight_layout()
    return fig


def chain_diagram(chain: dict[str, Any], names: Any, *, ax: Any = None) -> Any:
    """A household's 包保 chain (``orggraph.queries.responsibility_chain``) as a ladder, first call at the top.

    ``names`` turns an id into a display name: a :class:`~orggraph.report.Namer`, or any callable.
    Breaks are drawn in red beside the level they belong to. Returns the Figure.
    """
    name = names.name if hasattr(names, "name") else names
    links = chain["links"]
    steps = len(links) + len(chain["breaks"])
    fig, ax = _axes(ax, (8.0, 0.7 * max(steps, 1) + 1.5))
    roles = {"contact": "包保联系人 contact", "sending_unit": "派出单位 unit", "area": "包片 area", "org": "组织 org"}
    if not use_cjk_font():
        roles = {k: v.split(" ")[1] for k, v in roles.items()}
    y = 0
    rows = []
    for link in links:
        where = link["area"] or link["unit"] or ""
        who = name(link["member"]) if link["member"] else "(nobody)"
        text = f"{roles[link['role']]}: {who}" + (f"  @ {name(where)}" if where else "")
        rows.append((y, text.replace("\n", " "), "#eaf2f8" if link["member"] else "#fadbd8"))
        y -= 1
    for b in chain["breaks"]:
        text = f"BREAK {b['reason']}: {name(b['area'] or b['org'])}"
        rows.append((y, text.replace("\n", " "), "#f5b7b1"))
        y -= 1
    for i, (yy, text, color) in enumerate(rows):
        ax.text(0.02, yy, text, ha="left", va="center", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": color, "edgecolor": "#888888"})
        if i and color != "#f5b7b1":
            ax.annotate("", xy=(0.01, yy + 0.25), xytext=(0.01, yy + 0.75),
                        arrowprops={"arrowstyle": "->", "color": "#888888"})
    ax.set_xlim(0, 1)
    ax.set_ylim(y + 0.5, 0.5)
    ax.axis("off")
    status = "covered" if chain["covered"] else "NOT COVERED"
    ax.set_title(f"Chain of {chain['household']} as of {chain['as_of']} ({status})")
    fig.tight_layout()
    return fig


def frame(rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> Any:
    """A pandas DataFrame of result rows (lists of dicts, as the queries return them)."""
    import pandas as pd

    return pd.DataFrame(list(rows), columns=columns)


def gap_counts(report: dict[str, Any]) -> Any:
    """One row a kind of gap (``orggraph.queries.gaps``) with its count: the overview table."""
    kinds = ["uncovered_households", "overloaded_members", "idle_sunk_members", "vacant_posts", "idle_units",
             "critical_members", "unassigned_areas", "territory_shape", "cross_boundary_contacts",
             "lapsed_households", "unlocated_households"]
    return frame([{"gap": k, "count": len(report[k])} for k in kinds])




def member_households(graph: Any, member: str, *, as_of: str | None = None, unmask: bool = False) -> Any:
    """The households one member contacts on the day, with where they live and who else contacts them.

    Personal data is masked unless ``unmask`` is set (:func:`orggraph.privacy.mask_record`). Returns a
    DataFrame.
    """
    from .days import today
    from .privacy import mask_record

    day = as_of or today()
    rows = []
    for household, data in sorted(graph.out_edges(member, "CONTACTS", day)):
        record = mask_record(graph.node(household), unmask)[0]
        others = [m for m in graph.contacts_of(household, as_of=day) if m != member]
        rows.append({
            "household": household,
            "address": record.get("address"),
            "phone": record.get("phone"),
            "people": record.get("people", 1),
            "flags": "、".join(LABELS.get(f, f) for f in record.get("flags", [])),
            "since": data.get("since"),
            "other contacts": ", ".join(others),
        })
    return frame(rows, ["household", "address", "phone", "people", "flags", "since", "other contacts"])


def incident_table(sheet: dict[str, Any], names: Any) -> Any:
    """An incident's call sheet (``orggraph.queries.incident``) as a DataFrame, in its order."""
    name = names.name if hasattr(names, "name") else names
    rows = []
    for entry in sheet["entries"]:
        links = entry["chain"]["links"]
        first = next((l for l in links if l["member"] and l["role"] in {"contact", "area", "org"}), None)
        rows.append({
            "household": entry["household"],
            "vulnerable": entry["vulnerable"],
            "covered": entry["covered"],
            "call first": name(first["member"]).replace("\n", " ") if first else "",
            "as": first["role"] if first else "",
            "breaks": len(entry["chain"]["breaks"]),
            "stand-in": (f"{name(entry['stand_in']['member'])} ({entry['stand_in']['level']})".replace("\n", " ")
                         if entry.get("stand_in") else entry.get("unassigned") or ""),
        })
    return frame(rows, ["household", "vulnerable", "covered", "call first", "as", "breaks", "stand-in"])


def coverage_change(before: dict[str, Any], after: dict[str, Any]) -> Any:
    """Two coverage reports side by side, area by area: how much a what-if takes away."""
    rates = {a["id"]: a for a in after["areas"]}
    rows = [
        {"area": a["id"], "name": a["name"], "households": a["households"], "covered before": a["covered"],
         "covered after": rates[a["id"]]["covered"], "rate before": a["rate"], "rate after": rates[a["id"]]["rate"],
         "lost": a["covered"] - rates[a["id"]]["covered"]}
        for a in before["areas"] if a["id"] in rates
    ]
    return frame(rows)
