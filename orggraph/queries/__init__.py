"""The questions orggraph answers: coverage, responsibility chains, gaps and incidents."""

from .coverage import coverage, uncovered_households

__all__ = ["coverage", "uncovered_households"]
