"""Search space: parameters, scaling to the unit interval, sampling and grid enumeration.

Pure: no I/O. See ``docs/search-space.md`` for the scaling rules in user terms.
"""

from __future__ import annotations

from tunesmith.space.parameters import (
    AUTO_LOG_RATIO,
    CategoricalParameter,
    ContinuousParameter,
    IntegerParameter,
    Parameter,
    ParamValue,
    resolve_scaling,
)
from tunesmith.space.search_space import Config, SearchSpace

__all__ = [
    "AUTO_LOG_RATIO",
    "CategoricalParameter",
    "Config",
    "ContinuousParameter",
    "IntegerParameter",
    "ParamValue",
    "Parameter",
    "SearchSpace",
    "resolve_scaling",
]
