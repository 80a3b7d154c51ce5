"""The questions orggraph answers: coverage, responsibility chains, gaps, incidents, robustness and the territory's shape.

Each is written once, over the :class:`~orggraph.facts.Facts` a backend finds; it runs unchanged on
the embedded store, on a graph server, and on an index built in memory.
"""

from .chain import contacts_of, responsibility_chain
from .coverage import coverage, totals_within, uncovered_households
from .gaps import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF, gaps
from .incident import DEFAULT_STAND_INS, incident
from .robustness import CATEGORIES, DEFAULT_SHARE, DEFAULT_TOP, DEFAULT_TRIALS, robustness
from .shape import territory_shape

__all__ = [
    "coverage",
    "uncovered_households",
    "totals_within",
    "responsibility_chain",
    "contacts_of",
    "gaps",
    "incident",
    "territory_shape",
    "robustness",
    "DEFAULT_MAX_HOUSEHOLDS",
    "DEFAULT_SPOF",
    "DEFAULT_STAND_INS",
    "DEFAULT_SHARE",
    "DEFAULT_TRIALS",
    "DEFAULT_TOP",
    "CATEGORIES",
]
