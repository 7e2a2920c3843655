"""The search space: the ordered tuple of tuned parameters, built from a spec's ParameterRanges.

It samples whole configurations, enumerates the grid, converts configurations to and from the
strings a training job receives, and encodes them as vectors in ``[0, 1]^d`` for models
(numeric parameters one dimension each, categorical parameters one-hot).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tunesmith.domain.enums import ScalingType
from tunesmith.errors import SpecValidationError
from tunesmith.space.parameters import (
    CategoricalParameter,
    ContinuousParameter,
    IntegerParameter,
    Kind,
    Parameter,
    ParamValue,
    UniformDraws,
    resolve_scaling,
)

if TYPE_CHECKING:
    from tunesmith.domain.spec import (
        ContinuousParameterRange,
        IntegerParameterRange,
        ParameterRanges,
    )

    NumericRange = IntegerParameterRange | ContinuousParameterRange

Config = dict[str, ParamValue]


@dataclass(frozen=True)
class SearchSpace:
    """Tuned parameters in a fixed order: integer ranges, continuous, categorical (each group
    in spec order). That order fixes sampling draws, grid order and the encoded layout."""

    parameters: tuple[Parameter, ...]
    _slices: tuple[tuple[Parameter, slice], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        params = tuple(self.parameters)
        seen: set[str] = set()
        for p in params:
            if p.name in seen:
                raise SpecValidationError.single(
                    "ParameterRanges", p.name, "parameter names must be unique across all ranges"
                )
            seen.add(p.name)
        object.__setattr__(self, "parameters", params)
        slices, start = [], 0
        for p in params:
            width = len(p.values) if isinstance(p, CategoricalParameter) else 1
            slices.append((p, slice(start, start + width)))
            start += width
        object.__setattr__(self, "_slices", tuple(slices))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_ranges(cls, ranges: ParameterRanges, *, path: str = "ParameterRanges") -> SearchSpace:
        """Build the space from a spec's ranges; ``Auto`` scaling is resolved here.

        ``path`` prefixes field paths in errors (the bounds are normally validated upstream).
        """
        if getattr(ranges, "auto_parameters", None):
            raise SpecValidationError.single(
                f"{path}.AutoParameters",
                [a.name for a in ranges.auto_parameters],
                "AutoParameters must be resolved into ranges before the search space is built",
            )
        params: list[Parameter] = []
        for i, r in enumerate(ranges.integer_parameter_ranges):
            params.append(_integer_from_range(r, f"{path}.IntegerParameterRanges[{i}]"))
        for i, r in enumerate(ranges.continuous_parameter_ranges):
            params.append(_continuous_from_range(r, f"{path}.ContinuousParameterRanges[{i}]"))
        for i, r in enumerate(ranges.categorical_parameter_ranges):
            here = f"{path}.CategoricalParameterRanges[{i}]"
            values = list(r.values)
            if not values:
                raise SpecValidationError.single(f"{here}.Values", values, "needs 1 to 30 values")
            if len(set(values)) != len(values):
                raise SpecValidationError.single(f"{here}.Values", values, "values must be unique")
            params.append(CategoricalParameter(r.name, tuple(values)))
        names = [p.name for p in params]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SpecValidationError.single(
                path, duplicates, "parameter names must be unique across all ranges"
            )
        return cls(tuple(params))

    # ------------------------------------------------------------------ basics
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def __getitem__(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def sample(self, rng: UniformDraws) -> Config:
        """One configuration, each parameter drawn uniformly in its scaled space, in order."""
        return {p.name: p.sample(rng) for p in self.parameters}

    # ------------------------------------------------------------------ grid
    @property
    def is_categorical(self) -> bool:
        """True when every parameter is categorical (what Grid search requires)."""
        return all(isinstance(p, CategoricalParameter) for p in self.parameters)

    def grid_size(self) -> int:
        """Number of grid points: the product of the categorical value counts."""
        return math.prod(
            len(p.values) for p in self.parameters if isinstance(p, CategoricalParameter)
        )

    def grid(self) -> list[Config]:
        """Every combination: the Cartesian product in parameter order, the last parameter
        varying fastest, values in spec order."""
        if not self.is_categorical:
            numeric = [p.name for p in self.parameters if not isinstance(p, CategoricalParameter)]
            raise SpecValidationError.single(
                "ParameterRanges",
                numeric,
                "the Grid strategy supports only CategoricalParameterRanges",
            )
        names = self.names
        value_lists = [p.values for p in self.parameters]  # type: ignore[attr-defined]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*value_lists)]

    # ------------------------------------------------------------------ strings
    def format(self, config: Mapping[str, ParamValue]) -> dict[str, str]:
        """The hyperparameter strings for a configuration (only this space's parameters)."""
        return {p.name: p.format(_get(config, p.name)) for p in self.parameters}

    def parse(self, values: Mapping[str, str]) -> Config:
        """Typed values from hyperparameter strings; keys outside the space are ignored."""
        return {p.name: p.parse(_get(values, p.name)) for p in self.parameters}

    # ------------------------------------------------------------------ model encoding
    @property
    def encoded_dim(self) -> int:
        return self._slices[-1][1].stop if self._slices else 0

    def slices(self) -> list[tuple[Parameter, slice]]:
        """Where each parameter lives in the encoded vector."""
        return list(self._slices)

    def encode(self, config: Mapping[str, ParamValue]) -> np.ndarray:
        """A vector in ``[0, 1]^encoded_dim``: ``to_unit`` for numeric parameters, one-hot
        blocks for categorical ones."""
        x = np.zeros(self.encoded_dim, dtype=float)
        for p, where in self._slices:
            value = _get(config, p.name)
            if isinstance(p, CategoricalParameter):
                x[where.start + p.index(value)] = 1.0
            else:
                x[where.start] = p.to_unit(value)
        return x

    def encode_many(self, configs: Iterable[Mapping[str, ParamValue]]) -> np.ndarray:
        rows = [self.encode(c) for c in configs]
        if not rows:
            return np.zeros((0, self.encoded_dim), dtype=float)
        return np.vstack(rows)

    def decode(self, x: np.ndarray) -> Config:
        """The configuration a vector stands for: ``from_unit`` per numeric dimension, the
        argmax of each one-hot block (first wins ties)."""
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape[0] != self.encoded_dim:
            raise ValueError(f"expected a vector of length {self.encoded_dim}, got {x.shape[0]}")
        config: Config = {}
        for p, where in self._slices:
            if isinstance(p, CategoricalParameter):
                config[p.name] = p.values[int(np.argmax(x[where]))]
            else:
                config[p.name] = p.from_unit(float(x[where.start]))
        return config


def _get(mapping: Mapping[str, ParamValue], name: str) -> ParamValue:
    try:
        return mapping[name]
    except KeyError:
        raise KeyError(f"configuration has no value for parameter {name!r}") from None


# ---------------------------------------------------------------------- range parsing
def _parse_bound(text: str, where: str, *, integer: bool) -> float | int:
    rule = "must be an integer" if integer else "must be a finite number"
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise SpecValidationError.single(where, text, rule) from None
    if not math.isfinite(number):
        raise SpecValidationError.single(where, text, rule)
    if not integer:
        return number
    try:
        return int(str(text).strip())
    except ValueError:
        if number.is_integer():
            return int(number)
        raise SpecValidationError.single(where, text, rule) from None


def _bounds(r: NumericRange, here: str, *, integer: bool) -> tuple[float, float]:
    low = _parse_bound(r.min_value, f"{here}.MinValue", integer=integer)
    high = _parse_bound(r.max_value, f"{here}.MaxValue", integer=integer)
    if low > high:
        raise SpecValidationError.single(
            f"{here}.MaxValue", r.max_value, "MaxValue must not be less than MinValue"
        )
    return low, high


def _scaling(r: NumericRange, here: str, low: float, high: float, kind: Kind) -> ScalingType:
    raw = r.scaling_type or ScalingType.AUTO
    try:
        return resolve_scaling(raw, low, high, kind=kind)
    except ValueError as exc:
        raise SpecValidationError.single(f"{here}.ScalingType", str(raw), str(exc)) from None


def _integer_from_range(r: IntegerParameterRange, here: str) -> IntegerParameter:
    low, high = _bounds(r, here, integer=True)
    scaling = _scaling(r, here, low, high, "integer")
    return IntegerParameter(r.name, int(low), int(high), scaling)


def _continuous_from_range(r: ContinuousParameterRange, here: str) -> ContinuousParameter:
    low, high = _bounds(r, here, integer=False)
    scaling = _scaling(r, here, low, high, "continuous")
    return ContinuousParameter(r.name, float(low), float(high), scaling)
