"""Robustness: how much coverage holds when members cannot be reached, drawn at random trial by trial."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Iterable

import numpy as np

from ..facts import Day, Facts, HasFacts, Territory
from ..model import AREA_LEVELS
from ..results import AreaRobustness, MemberCost, Robustness
from ._base import area_position, day_of, require
from .coverage import _rates

__all__ = ["robustness", "CATEGORIES", "DEFAULT_SHARE", "DEFAULT_TRIALS", "DEFAULT_TOP"]

#: the share of members who cannot be reached in each trial, unless asked otherwise
DEFAULT_SHARE = 0.1
#: how many trials, unless asked otherwise
DEFAULT_TRIALS = 200
#: how many of the costliest members are listed, unless asked otherwise
DEFAULT_TOP = 10
#: the groups of members a category names, each told by relations valid on the day, so that every
#: backend finds them and their dates count (a member's own ``category`` property, in_service or resident,
#: is no fact the backends read, :class:`~orggraph.facts.NodeFacts`; the in-service members who contact
#: households are those who reported to a community, whom ``sunk`` names)
CATEGORIES = {
    "sunk": "the members who reported to a community (a SUNK_TO edge, 下沉党员): their units may call "
            "them back in an emergency",
    "unit:ID": "the members the unit ID employs (EMPLOYED_BY): the unit calls its people back",
}
#: the most trials asked for at once: each area of the answer keeps one figure a trial (10,000 trials over
#: a street's 600 areas hold 48 MB)
MAX_TRIALS = 10_000
#: at most how many (trial, contact) cells one block of trials holds: what a block costs in memory
_BLOCK_CELLS = 2_000_000


def _checked(share: float, trials: int, seed: int, top: int, categories: Iterable[str]) -> list[str]:
    """Raise a ValueError naming the first bad argument; the categories, sorted, each once."""
    if isinstance(share, bool) or not isinstance(share, Real) or not (math.isfinite(share) and 0 <= share <= 1):
        raise ValueError(f"share must be a number from 0 to 1 (the share of members unreachable in each trial), "
                         f"got {share!r}")
    for name, value, least in (("trials", trials, 1), ("seed", seed, 0), ("top", top, 0)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
            raise ValueError(f"{name} must be a whole number of at least {least}, got {value!r}")
    if trials > MAX_TRIALS:
        raise ValueError(f"trials must be at most {MAX_TRIALS:,} (each area keeps a figure a trial), got {trials!r}")
    if isinstance(categories, (str, bytes)):
        raise TypeError(f"categories is a list of categories, not one: write [{categories!r}]")
    chosen = sorted(set(categories))
    for category in chosen:
        if not isinstance(category, str) or not (category == "sunk" or (category.startswith("unit:") and category[5:])):
            raise ValueError(f"unknown category {category!r}; a category is sunk (the members who reported to a "
                             "community) or unit:ID (the members a unit employs)")
    return chosen


def _held_out(facts: Facts, day: Day, categories: list[str], members: list[str]) -> set[str]:
    """Those of these members in one of the categories on the day (see :data:`CATEGORIES`).

    Raises
    ------
    NotFound
        A ``unit:ID`` category whose ID is not a unit.
    """
    held: set[str] = set()
    for category in categories:
        if category == "sunk":
            if members:
                held.update(facts.having("SUNK_TO", members, day=day.as_of))
        else:
            unit = category[5:]
            require(facts, [unit], "Unit")
            if members:
                held.update(m for m, _, _ in facts.edges("EMPLOYED_BY", sources=members, targets=[unit], day=day.as_of))
    return held


@dataclass
class _Network:
    """The households of a question, where they are located and who of the pool contacts them.

    Households are numbered 0..H-1 in id order. The contacted ones (with at least one contact in the
    pool) are numbered again 0..C-1, ordered by the one area each is located in (-1 first: located in
    several areas, or in none), so that the households of an area are neighbours; the pairs (contact,
    contacted household) are ordered by household, each household's from ``starts``.
    """

    households: int
    home: np.ndarray  # household -> the position of its one area, -1 for several or none
    reached: dict[int, list[int]]  # household located in several areas -> every area at or above them
    pool: list[str]
    member: np.ndarray  # pair -> pool number
    contacted: np.ndarray  # contacted number -> household
    pair_household: np.ndarray  # pair -> contacted number, ascending
    starts: np.ndarray  # contacted number -> its first pair


def _network(facts: Facts, territory: Territory, day: Day, chosen: list[int] | None,
             categories: list[str]) -> tuple[_Network, int]:
    """The households located in the chosen areas on the day (every household, ``chosen`` None), and
    their live contacts (valid on the day) among the available members outside the categories; with how
    many members the categories took out."""
    ids, position = territory.ids, territory.position
    located = facts.edges("LOCATED_IN", targets=None if chosen is None else [ids[a] for a in chosen], day=day.as_of)
    households = facts.households(day) if chosen is None else sorted({h for h, _, _ in located})
    number = {h: i for i, h in enumerate(households)}
    n = len(households)
    lh = np.fromiter((number[h] for h, _, _ in located), dtype=np.int64, count=len(located))
    la = np.fromiter((position[a] for _, a, _ in located), dtype=np.int64, count=len(located))
    count = np.bincount(lh, minlength=n)
    home = np.full(n, -1, dtype=np.int64)
    one = count[lh] == 1
    home[lh[one]] = la[one]
    places: dict[int, set[int]] = {}
    for h, a in zip(lh[~one].tolist(), la[~one].tolist()):
        places.setdefault(h, set()).update(territory.ancestry(a))
    reached = {h: sorted(up) for h, up in places.items()}

    pairs = facts.edges("CONTACTS", targets=None if chosen is None else households, day=day.as_of)
    members = sorted({m for m, _, _ in pairs})
    marks = facts.nodes(members)
    available = [m for m in members if m not in day.unavailable and not marks[m].unavailable]
    held = _held_out(facts, day, categories, available)
    pool = [m for m in available if m not in held]
    drawn = {m: i for i, m in enumerate(pool)}
    kept = [(drawn[m], number[h]) for m, h, _ in pairs if m in drawn and h in number]
    pm = np.fromiter((m for m, _ in kept), dtype=np.int64, count=len(kept))
    ph = np.fromiter((h for _, h in kept), dtype=np.int64, count=len(kept))
    contacted = np.unique(ph)
    contacted = contacted[np.lexsort((contacted, home[contacted]))]  # by area, then household
    slot = np.full(n, -1, dtype=np.int64)
    slot[contacted] = np.arange(len(contacted))
    pc = slot[ph]
    order = np.argsort(pc, kind="stable")
    pm, pc = pm[order], pc[order]
    starts = np.flatnonzero(np.concatenate(([True], pc[1:] != pc[:-1]))) if len(pc) else np.zeros(0, dtype=np.int64)
    return _Network(n, home, reached, pool, pm, contacted, pc, starts), len(held)


def _per_area(territory: Territory, direct: np.ndarray, extra: dict[int, np.ndarray]) -> np.ndarray:
    """Rows of ``direct`` (area position x columns: households counted in their one area) added up the
    territory, then each household located in several areas added once to every area at or above them
    (``extra``: its areas -> its row)."""
    out = territory.roll_up(direct)
    for areas, row in extra.items():
        out[list(areas)] += row
    return out


def _counted(territory: Territory, homes: np.ndarray, several: list[list[int]]) -> np.ndarray:
    """How many households each area holds (in it or within it): those of one area, ``homes`` (-1 for
    none), and those located in several, each listed by every area at or above them."""
    k = len(territory)
    direct = np.bincount(homes[homes >= 0], minlength=k).astype(np.int64).reshape(k, 1)
    out = territory.roll_up(direct)[:, 0]
    for areas in several:
        out[areas] += 1
    return out


def robustness(
    G: HasFacts,
    area: str | None = None,
    *,
    share: float = DEFAULT_SHARE,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    categories: Iterable[str] = (),
    level: str | None = None,
    as_of: str | _dt.date | None = None,
    unavailable: Iterable[str] = (),
    top: int = DEFAULT_TOP,
) -> Robustness:
    """How much of the coverage holds when some members cannot be reached: a share of them drawn at
    random in each of many trials, and those of given categories in every trial; for each area the
    covered share expected, its 5th percentile, and the members whose absence costs most.

    A household is covered on a day as :func:`~orggraph.queries.coverage` has it: at least one member
    with a ``CONTACTS`` edge to it valid on the day can be reached; an area counts the households located
    in it or in an area within it on the day, each once (``LOCATED_IN`` and ``WITHIN`` valid then), and
    the totals of the whole network count every household, located or not.

    Who can be reached: a member marked unavailable, in ``unavailable``, or in one of ``categories``
    (:data:`CATEGORIES`, told by relations valid on the day: ``sunk``, the members who reported to a
    community; ``unit:ID``, those a unit employs) never is. The others who contact a household of the
    question on the day are the *pool*; in each trial ``share`` of them (share x pool, rounded to the
    nearest whole number, a half up) are drawn at random, each set of that many equally likely, and
    cannot be reached in that trial. With ``share`` 0 every trial is the day as it is, and the answer is
    coverage's (with the categories' members unavailable), to the last digit. The draws: ``trials`` rows
    of one uniform number for each member of the pool (in id order) from
    :func:`numpy.random.default_rng` seeded with ``seed``, and in each row the members with the lowest
    numbers drawn; so the same question and seed give the same answer. Drawing from the pool of one
    area's contacts, the answer for an area asked alone may differ from its row in a wider question,
    whose pool is larger.

    What a member's absence costs: the households of which it is, in a trial, the only contact who can
    be reached, which losing it as well would leave uncovered; the mean over the trials (0 in a trial
    that drew it) is its cost, ``expected``. It is the single point of failure of the domain's gaps (a
    member who is the only contact of households, "one person on whom a whole block depends",
    :func:`~orggraph.queries.gaps`), taken under the trials: with ``share`` 0 it is the number of
    households the member alone contacts (``alone``, the count of
    :meth:`~orggraph.facts.Facts.contact_load`); with members drawn, a member sharing households with
    others who may be lost costs more.

    Parameters
    ----------
    G : store or Index
        Anything with ``facts()``: a store, on either backend, or an index built in memory.
    area : str, optional
        This area and the areas within it, and the households located there; default the whole network.
    share : float
        The share of the pool that cannot be reached in each trial, from 0 to 1.
    trials : int
        How many trials, at least 1.
    seed : int
        The seed of the draws, at least 0.
    categories : iterable of str
        Members that cannot be reached in any trial, by category (:data:`CATEGORIES`).
    level : str, optional
        List only the areas of this level (the totals stay those of ``area``).
    as_of : ISO date, optional
        The day (default today).
    unavailable : iterable of member ids
        Members that cannot be reached in any trial.
    top : int
        How many of the costliest members to list.

    Returns
    -------
    Robustness
        ``{"as_of", "area", "share", "trials", "seed", "categories", "unavailable", "held_out", "pool",
        "lost", "households", "covered", "rate", "expected", "p5", "areas": [{"id", "name", "level",
        "households", "covered", "rate", "expected", "p5"}], "costliest": [{"member", "households",
        "alone", "expected"}]}``. ``covered`` and ``rate`` are with no member drawn; ``expected`` is the
        mean over the trials of the covered share; ``p5`` the 5th percentile of that share over the
        trials, the share at least 95 trials in 100 reach (the ``(trials - 1) // 20``-th lowest, counting
        from 0: a share some trial had). Rates are rounded to 6 places, 1.0 where there are no
        households. Areas are sorted by id; the costliest members by cost, then by ``alone``, then by
        id, those that cost nothing left out.

    Raises
    ------
    NotFound
        ``area`` is not an area (or takes no part on the day), a ``unit:ID`` category names no unit, or
        an id in ``unavailable`` is not a member.
    ValueError
        ``share`` outside 0 to 1, ``trials`` below 1 or above :data:`MAX_TRIALS`, ``seed`` or ``top`` below 0, an unknown category,
        ``level`` not an area level, or ``as_of`` not an ISO date.

    Examples
    --------
    >>> from orggraph.index import build_index
    >>> idx = build_index(
    ...     [("b1", "Area", {"name": "1号楼", "level": "building"}), ("h1", "Household", {}),
    ...      ("h2", "Household", {}), ("h3", "Household", {}), ("m1", "Member", {}), ("m2", "Member", {}),
    ...      ("m3", "Member", {}), ("o1", "Org", {"level": "community"})],
    ...     [("LOCATED_IN", "h1", "b1", None, None, {}), ("LOCATED_IN", "h2", "b1", None, None, {}),
    ...      ("LOCATED_IN", "h3", "b1", None, None, {}), ("CONTACTS", "m1", "h1", None, None, {}),
    ...      ("CONTACTS", "m2", "h1", None, None, {}), ("CONTACTS", "m2", "h2", None, None, {}),
    ...      ("CONTACTS", "m3", "h3", None, None, {}), ("SUNK_TO", "m3", "o1", "2024-01-01", None, {})],
    ...     revision=1)
    >>> whole = robustness(idx, share=0, as_of="2025-01-01")
    >>> whole["rate"], whole["expected"], whole["p5"]
    (1.0, 1.0, 1.0)
    >>> [(c["member"], c["alone"], c["expected"]) for c in whole["costliest"]]
    [('m2', 1, 1.0), ('m3', 1, 1.0)]
    >>> robustness(idx, share=0, categories=["sunk"], as_of="2025-01-01")["expected"]
    0.666667
    >>> robustness(idx, share=0, categories=["sunk"], as_of="2023-01-01")["expected"]  # not sunk yet
    1.0
    >>> drawn = robustness(idx, share=0.5, trials=50, seed=1, as_of="2025-01-01")
    >>> drawn["pool"], drawn["lost"], drawn["p5"] <= drawn["expected"] <= drawn["rate"]
    (3, 2, True)
    """
    chosen_categories = _checked(share, trials, seed, top, categories)
    facts = G.facts()
    day = day_of(facts, as_of, unavailable)
    territory = facts.territory(day)
    if area is not None:
        chosen = territory.below(area_position(territory, area))
    else:
        chosen = territory.taking_part
    if level is not None:
        if level not in AREA_LEVELS:
            raise ValueError(f"unknown area level {level!r}; allowed: {', '.join(AREA_LEVELS)}")
    net, held = _network(facts, territory, day, None if area is None else chosen, chosen_categories)
    k, n, c = len(territory), len(net.pool), len(net.contacted)
    lost = min(n, math.floor(share * n + 0.5))

    # with no member drawn: every contacted household is covered
    several = [net.reached[h] for h in sorted(net.reached)]
    households = _counted(territory, net.home, several)
    contacted_several = [net.reached[h] for h in net.contacted.tolist() if h in net.reached]
    covered = _counted(territory, net.home[net.contacted], contacted_several)
    sizes = np.diff(np.append(net.starts, len(net.member)))  # each contacted household's contacts
    alone = np.bincount(net.member[sizes[net.pair_household] == 1], minlength=n)
    load = np.bincount(net.member, minlength=n)

    # the trials, a block at a time: a random availability of the pool, then per household how many of its
    # contacts can be reached, covered where any can; per area by the households' order, grouped by area
    homes = net.home[net.contacted]
    first = int(np.searchsorted(homes, 0))  # the contacted households located in one area, from here on
    areas, bounds = np.unique(homes[first:], return_index=True)
    several_at = {i: net.reached[h] for i, h in enumerate(net.contacted[:first].tolist()) if h in net.reached}
    direct = np.zeros((k, trials), dtype=np.int64)
    extra = {tuple(up): np.zeros(trials, dtype=np.int64) for up in several_at.values()}
    whole = np.zeros(trials, dtype=np.int64)
    cost = np.zeros(len(net.member), dtype=np.int64)  # per pair: trials in which it was the household's only one
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(1, len(net.member) + n))
    for t0 in range(0, trials, block):
        t1 = min(trials, t0 + block)
        reachable = np.ones((t1 - t0, n), dtype=bool)
        if lost == n:
            reachable[:] = False
        elif lost:
            drawn = np.argpartition(rng.random((t1 - t0, n)), lost - 1, axis=1)[:, :lost]
            reachable[np.arange(t1 - t0)[:, None], drawn] = False
        if not c:
            continue
        answering = reachable[:, net.member]  # trial x pair
        count = np.add.reduceat(answering, net.starts, axis=1, dtype=np.int32)  # trial x contacted household
        on = count > 0
        whole[t0:t1] = on.sum(axis=1)
        if len(areas):
            direct[areas, t0:t1] = np.add.reduceat(on[:, first:], bounds, axis=1, dtype=np.int64).T
        for i, up in several_at.items():
            extra[tuple(up)][t0:t1] += on[:, i]
        cost += (answering & (count[:, net.pair_household] == 1)).sum(axis=0)
    per_area = _per_area(territory, direct, extra)

    q = (trials - 1) // 20  # the 5th percentile: this many trials lie below it, at most 5 in 100
    rows = [a for a in chosen if level is None or territory.levels[a] == level]
    cells = per_area[rows] if rows else np.zeros((0, trials), dtype=np.int64)
    low = np.partition(cells, q, axis=1)[:, q] if rows else np.zeros(0, dtype=np.int64)
    held_h = households[rows]
    expected = _rates(cells.sum(axis=1), held_h * trials)
    p5 = _rates(low, held_h)
    rate = _rates(covered[rows], held_h)
    area_rows: list[AreaRobustness] = [
        {"id": territory.ids[a], "name": territory.names[a], "level": territory.levels[a], "households": h,
         "covered": cv, "rate": r, "expected": e, "p5": p}
        for a, h, cv, r, e, p in zip(rows, held_h.tolist(), covered[rows].tolist(), rate, expected, p5)]

    total, total_covered = net.households, c
    [whole_expected] = _rates(np.array([whole.sum()]), np.array([total * trials]))
    [whole_p5] = _rates(np.partition(whole, q)[q:q + 1], np.array([total]))
    [whole_rate] = _rates(np.array([total_covered]), np.array([total]))

    per_member = np.bincount(net.member, weights=cost, minlength=n).astype(np.int64)  # trials it alone answered, summed
    ranked = sorted((i for i in range(n) if per_member[i] > 0), key=lambda i: (-per_member[i], -alone[i], net.pool[i]))
    costliest: list[MemberCost] = [
        {"member": net.pool[i], "households": int(load[i]), "alone": int(alone[i]),
         "expected": round(float(per_member[i]) / trials, 6)} for i in ranked[:top]]
    return {"as_of": day.as_of, "area": area, "share": float(share), "trials": int(trials), "seed": int(seed),
            "categories": chosen_categories, "unavailable": sorted(day.unavailable), "held_out": held, "pool": n,
            "lost": lost, "households": total, "covered": total_covered, "rate": whole_rate, "expected": whole_expected,
            "p5": whole_p5, "areas": area_rows, "costliest": costliest}
