"""Coverage: does every household have a named contact, and which do not."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import numpy as np

from ._view import on_server as _on_server
from ._view import view_of

__all__ = ["coverage", "uncovered_households"]


def _rate(part: float, whole: float) -> float:
    return round(float(part) / float(whole), 6) if whole else 1.0


def _block(households: float, covered: float, people: float, people_covered: float,
           vulnerable: float, vulnerable_covered: float) -> dict[str, Any]:
    """The figures of one area or of the whole network, in the order the contract lists them."""
    return {
        "households": int(households),
        "covered": int(covered),
        "uncovered": int(households - covered),
        "rate": _rate(covered, households),
        "people": int(people),
        "people_covered": int(people_covered),
        "people_rate": _rate(people_covered, people),
        "vulnerable": int(vulnerable),
        "vulnerable_covered": int(vulnerable_covered),
        "vulnerable_rate": _rate(vulnerable_covered, vulnerable),
    }


def coverage(
    store: Any,
    *,
    level: str | None = None,
    area: str | None = None,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> dict[str, Any]:
    """Coverage of every area: households, covered, uncovered and rate, by head and by people, and for
    vulnerable (flagged) households.

    A household is covered when at least one available member has a ``CONTACTS`` edge to it valid on
    the day. An area counts the households located in it or in any area transitively within it; its rate
    is covered / households, 1.0 when it has none.

    Parameters
    ----------
    store : Store or Index
    level : str, optional
        Only the areas of this level (``grid``, ``community``, ...).
    area : str, optional
        Only this area and the areas within it; the totals are then this area's.
    as_of : ISO date, optional
        The day (default today).
    unavailable : iterable of member ids
        What if these members cannot be reached.

    Returns
    -------
    dict
        ``{"as_of", "households", "covered", "uncovered", "rate", ..., "areas": [{"id", "name", "level",
        "households", "covered", "uncovered", "rate", ...}]}``, areas sorted by id.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"name": "1号楼", "level": "building"}), ("h1", "Household", {}),
    ...      ("h2", "Household", {"people": 3}), ("m1", "Member", {"name": "王芳"})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("LOCATED_IN", "h2", "b1", None, None, {}),
    ...      ("CONTACTS", "m1", "h1", "2021-03-01", None, {})], revision=1)
    >>> report = coverage(idx, as_of="2024-01-01")
    >>> report["covered"], report["uncovered"], report["rate"], report["people_rate"]
    (1, 1, 0.5, 0.25)
    >>> coverage(idx, as_of="2020-01-01")["covered"]
    0
    """
    if _on_server(store):
        from .server import coverage as on_server

        return on_server(store, level=level, area=area, as_of=as_of, unavailable=unavailable)
    view = view_of(store, as_of, unavailable)
    index, s = view.index, view.s
    static = _static(view)
    covered = view.covered.astype(np.float64) * static["is_household"]
    day_columns = [covered, static["people"] * covered, static["vulnerable"] * covered]
    per_area = dict(static["per_area"])
    for name, column in zip(("covered", "people_covered", "vulnerable_covered"), day_columns):
        per_area[name] = view.area_totals(column)

    if area is not None:
        root = view.area_number(area)
        chosen = {root} | {a for a, chain in s["ancestry"].items() if root in chain}
        areas = np.array(sorted(chosen), dtype=np.int64)
        total = {k: float(v[root]) for k, v in per_area.items()}
    else:
        areas = s["areas"]
        total = {
            "households": float(static["is_household"].sum()), "people": float(static["people"].sum()),
            "vulnerable": float(static["vulnerable"].sum()), "covered": float(day_columns[0].sum()),
            "people_covered": float(day_columns[1].sum()), "vulnerable_covered": float(day_columns[2].sum()),
        }
    if level is not None:
        level_names = index.level_names
        code = level_names.index(level) if level in level_names else -2
        areas = areas[index.attrs["level"][areas] == code]
    return {"as_of": view.as_of, **_block(**total), "unavailable": view.unavailable_ids, "areas": _rows(index, areas, per_area)}


def _static(view: Any) -> dict[str, Any]:
    """What coverage needs that does not depend on the day: household, people and vulnerable columns."""
    index = view.index
    cached = index.__dict__.get("_coverage_static")
    if cached is None:
        is_household = np.zeros(index.n, dtype=np.float64)
        is_household[view.s["households"]] = 1.0
        people = index.attrs["people"].astype(np.float64) * is_household
        vulnerable = index.attrs["vulnerable"].astype(np.float64) * is_household
        cached = {
            "is_household": is_household, "people": people, "vulnerable": vulnerable,
            "per_area": {"households": view.area_totals(is_household), "people": view.area_totals(people),
                         "vulnerable": view.area_totals(vulnerable)},
        }
        index.__dict__["_coverage_static"] = cached
    return cached


def _rates(part: np.ndarray, whole: np.ndarray) -> list[float]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, np.round(part / np.where(whole > 0, whole, 1), 6), 1.0).tolist()


def _rows(index: Any, areas: np.ndarray, per_area: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    col = {k: np.rint(v[areas]).astype(np.int64) for k, v in per_area.items()}
    level_names = index.level_names
    levels = [level_names[c] if c >= 0 else None for c in index.attrs["level"][areas].tolist()]
    ids, names = index.ids, index.names
    return [
        {"id": ids[a], "name": names[a], "level": lv, "households": h, "covered": c, "uncovered": h - c, "rate": r,
         "people": p, "people_covered": pc, "people_rate": pr, "vulnerable": v, "vulnerable_covered": vc,
         "vulnerable_rate": vr}
        for a, lv, h, c, r, p, pc, pr, v, vc, vr in zip(
            areas.tolist(), levels, col["households"].tolist(), col["covered"].tolist(),
            _rates(col["covered"], col["households"]), col["people"].tolist(), col["people_covered"].tolist(),
            _rates(col["people_covered"], col["people"]), col["vulnerable"].tolist(),
            col["vulnerable_covered"].tolist(), _rates(col["vulnerable_covered"], col["vulnerable"]),
        )
    ]


def uncovered_households(
    store: Any,
    *,
    area: str | None = None,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
) -> list[str]:
    """Ids of the households with no available contact on the day, optionally only within one area.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index([("h1", "Household", {}), ("h2", "Household", {}), ("m1", "Member", {"name": "王芳"})],
    ...                   [("CONTACTS", "m1", "h1", None, None, {})], revision=1)
    >>> uncovered_households(idx)
    ['h2']
    >>> uncovered_households(idx, unavailable=["m1"])
    ['h1', 'h2']
    """
    if _on_server(store):
        from .server import uncovered_households as on_server

        return on_server(store, area=area, as_of=as_of, unavailable=unavailable)
    view = view_of(store, as_of, unavailable)
    if area is None:
        candidates = view.s["households"]
    else:
        candidates = view.households_within([view.area_number(area)])
    return [view.index.ids[h] for h in candidates[~view.covered[candidates]].tolist()]
