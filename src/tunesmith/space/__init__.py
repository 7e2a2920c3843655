"""Search space: parameters, scaling to the unit interval, sampling and grid enumeration."""

from __future__ import annotations

ParamValue = int | float | str
Config = dict[str, ParamValue]

__all__ = ["Config", "ParamValue"]
