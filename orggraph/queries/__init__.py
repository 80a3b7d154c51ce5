"""The questions orggraph answers: coverage, responsibility chains, gaps, incidents, robustness and the territory's shape.

Each is written once, over the :class:`~orggraph.facts.Facts` a backend finds; it runs unchanged on
the embedded store, on a graph server, and on an index built in memory. The records a clerk looks up
(:func:`search`, :func:`households_in`, :func:`member_profile`) read a store's records too, on either
backend.
"""

from .chain import contacts_of, responsibility_chain
from .coverage import coverage, sub_areas, totals_within, uncovered_households
from .gaps import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF, gaps
from .incident import incident
from .plan import cover_plan
from .records import DEFAULT_HITS, households_in, member_profile, search
from .robustness import CATEGORIES, DEFAULT_SHARE, DEFAULT_TOP, DEFAULT_TRIALS, robustness
from .shape import territory_shape

__all__ = [
    "coverage",
    "uncovered_households",
    "totals_within",
    "sub_areas",
    "responsibility_chain",
    "contacts_of",
    "gaps",
    "incident",
    "cover_plan",
    "territory_shape",
    "robustness",
    "search",
    "households_in",
    "member_profile",
    "DEFAULT_MAX_HOUSEHOLDS",
    "DEFAULT_SPOF",
    "DEFAULT_SHARE",
    "DEFAULT_TRIALS",
    "DEFAULT_TOP",
    "DEFAULT_HITS",
    "CATEGORIES",
]
