"""Days as the questions take them: ISO dates, today by default, and whether an edge is valid on one."""

from __future__ import annotations

import datetime as _dt
from typing import Any

__all__ = ["today", "parse_day", "valid_on", "day_before"]


def today() -> str:
    """Today as an ISO date, the default as-of day of every query.

    Examples
    --------
    >>> today() == _dt.date.today().isoformat()
    True
    """
    return _dt.date.today().isoformat()


def parse_day(as_of: str | _dt.date | None) -> str:
    """The as-of day as an ISO string (default today); a bad one is a ValueError naming it.

    Parameters
    ----------
    as_of : str, datetime.date or None
        ``YYYY-MM-DD``, a date, or None for today.

    Returns
    -------
    str
        The day as ``YYYY-MM-DD``.

    Raises
    ------
    ValueError
        If ``as_of`` is not an ISO date.

    Examples
    --------
    >>> parse_day("2020-08-01"), parse_day(_dt.date(2020, 8, 1))
    ('2020-08-01', '2020-08-01')
    >>> parse_day(None) == today()
    True
    >>> parse_day("1 August")
    Traceback (most recent call last):
    ...
    ValueError: as-of day must be an ISO date YYYY-MM-DD, got '1 August'
    """
    if as_of is None:
        return today()
    if isinstance(as_of, _dt.datetime):  # a moment (a pandas Timestamp too): its day
        return as_of.date().isoformat()
    if isinstance(as_of, _dt.date):
        return as_of.isoformat()
    try:
        return _dt.date.fromisoformat(as_of).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"as-of day must be an ISO date YYYY-MM-DD, got {as_of!r}") from None


def valid_on(data: dict[str, Any], day: str) -> bool:
    """Whether an edge is valid on ``day``: ``since <= day`` (or no since) and ``day <= until`` (or no until).

    Examples
    --------
    >>> valid_on({"since": "2020-07-01", "until": "2020-09-30"}, "2020-08-01")
    True
    >>> valid_on({"since": "2020-07-01", "until": "2020-09-30"}, "2021-01-01")
    False
    >>> valid_on({}, "1999-01-01")
    True
    """
    since = data.get("since")
    until = data.get("until")
    return (since is None or since <= day) and (until is None or day <= until)


def day_before(day: str) -> str:
    """The ISO date of the day before ``day`` (an ISO date): the last day of a relation a change or a
    newer register ends, when the new one begins on ``day``.

    Examples
    --------
    >>> day_before("2024-03-01")
    '2024-02-29'
    """
    return (_dt.date.fromisoformat(day) - _dt.timedelta(days=1)).isoformat()
