"""Coverage: does every household have a named contact, and which do not."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import numpy as np

from ._view import view_of

__all__ = ["coverage", "uncovered_households"]


def _rate(part: float, whole: float) -> float:
    return round(float(part) / float(whole), 6) if whole else 1.0


def _block(households: float, covered: float, people: float, people_covered: float,
           vulnerable: float, vulnerable_covered: float) -> dict[str, Any]:
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
    view = view_of(store, as_of, unavailable)
    index, s = view.index, view.s
    households = s["households"]
    is_household = np.zeros(index.n, dtype=np.float64)
    is_household[households] = 1.0
    covered = view.covered.astype(np.float64) * is_household
    people = index.attrs["people"].astype(np.float64) * is_household
    vulnerable = index.attrs["vulnerable"].astype(np.float64) * is_household
    columns = [is_household, covered, people, people * covered, vulnerable, vulnerable * covered]
    per_area = [view.area_totals(c) for c in columns]

    if area is not None:
        root = view.area_number(area)
        chosen = {root} | {a for a, chain in s["ancestry"].items() if root in chain}
        areas = np.array(sorted(chosen), dtype=np.int64)
        total = [float(t[root]) for t in per_area]
    else:
        areas = s["areas"]
        total = [float(c.sum()) for c in columns]
    if level is not None:
        level_names = index.level_names
        code = level_names.index(level) if level in level_names else -2
        areas = areas[index.attrs["level"][areas] == code]
    rows = []
    for a in areas.tolist():
        row = {"id": index.ids[a], "name": index.names[a], "level": index.level_of(a)}
        row.update(_block(*(t[a] for t in per_area)))
        rows.append(row)
    return {"as_of": view.as_of, **_block(*total), "unavailable": view.unavailable_ids, "areas": rows}


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
    view = view_of(store, as_of, unavailable)
    if area is None:
        candidates = view.s["households"]
    else:
        candidates = view.households_within([view.area_number(area)])
    return [view.index.ids[h] for h in candidates[~view.covered[candidates]].tolist()]
