"""Bayesian optimisation: a Matérn-5/2 Gaussian process, log-EI and pending-job fantasies."""

from __future__ import annotations

from tunesmith.strategies.bayesian.strategy import BayesianSearch

__all__ = ["BayesianSearch"]
