"""Days: today, and an as-of day read from what a user typed."""

from __future__ import annotations

import datetime as _dt

__all__ = ["today", "parse_day"]


def today() -> str:
    """Today as an ISO date, the default as-of day of every question."""
    return _dt.date.today().isoformat()


def parse_day(as_of: str | _dt.date | None) -> str:
    """The as-of day as an ISO string (default today).

    Raises
    ------
    ValueError
        A day that is not an ISO date, naming it.

    Examples
    --------
    >>> parse_day("2024-01-01")
    '2024-01-01'
    >>> parse_day("2024-13-01")
    Traceback (most recent call last):
    ...
    ValueError: as-of day must be an ISO date YYYY-MM-DD, got '2024-13-01'
    """
    if as_of is None:
        return today()
    if isinstance(as_of, _dt.date):
        return as_of.isoformat()
    try:
        return _dt.date.fromisoformat(as_of).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"as-of day must be an ISO date YYYY-MM-DD, got {as_of!r}") from None
