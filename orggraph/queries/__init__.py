"""The questions orggraph answers: coverage, responsibility chains, gaps and incidents."""

from .chain import contacts_of, responsibility_chain
from .coverage import coverage, uncovered_households
from .gaps import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF, gaps
from .incident import DEFAULT_STAND_INS, incident

__all__ = [
    "coverage",
    "uncovered_households",
    "responsibility_chain",
    "contacts_of",
    "gaps",
    "incident",
    "DEFAULT_MAX_HOUSEHOLDS",
    "DEFAULT_SPOF",
    "DEFAULT_STAND_INS",
]
