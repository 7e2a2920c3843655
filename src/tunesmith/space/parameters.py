"""One tuned hyperparameter: its range, its scaling to the unit interval, sampling, and the
string a training job receives.

Every parameter maps its values to ``[0, 1]`` (``to_unit``) and back (``from_unit``). Sampling
draws ``u`` uniformly from ``[0, 1)`` and maps it back, so "uniform in the scaled space" and
"what the Gaussian process sees" are the same thing. The rules are written up for users in
``docs/search-space.md``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

from tunesmith.domain.enums import ScalingType
from tunesmith.errors import SpecValidationError

ParamValue = int | float | str
Kind = Literal["continuous", "integer", "categorical"]

#: ``Auto`` picks logarithmic scaling when ``high / low`` reaches this ratio (and ``low > 0``).
AUTO_LOG_RATIO = 100.0


def resolve_scaling(
    scaling: ScalingType | str, low: float, high: float, *, kind: Kind = "continuous"
) -> ScalingType:
    """Resolve ``Auto`` and check that the scaling type is legal for the range.

    ``Auto`` becomes ``Logarithmic`` when the range is positive (``low > 0``) and spans at least
    two orders of magnitude (``high / low >= 100``), else ``Linear``. ``Logarithmic`` needs
    ``low > 0``; ``ReverseLogarithmic`` needs a continuous range inside ``[0, 1)``.
    Raises :class:`ValueError` with the broken rule (callers attach the field path).
    """
    scaling = ScalingType(scaling)
    if scaling is ScalingType.AUTO:
        if low > 0 and high / low >= AUTO_LOG_RATIO:
            return ScalingType.LOGARITHMIC
        return ScalingType.LINEAR
    if scaling is ScalingType.LOGARITHMIC and not low > 0:
        raise ValueError("Logarithmic scaling needs a range of values greater than 0")
    if scaling is ScalingType.REVERSE_LOGARITHMIC:
        if kind != "continuous":
            raise ValueError("ReverseLogarithmic scaling is only allowed for continuous ranges")
        if not (low >= 0 and high < 1):
            raise ValueError("ReverseLogarithmic scaling needs a range inside 0 <= x < 1.0")
    return scaling


def _clip01(u: float) -> float:
    u = float(u)
    if math.isnan(u):
        return 0.0
    return min(max(u, 0.0), 1.0)


def _bad_value(name: str, value: object, rule: str) -> SpecValidationError:
    return SpecValidationError.single(name, value, rule)


def _reverse_log(x: float) -> float:
    """The reverse-logarithmic axis: ``-log(1 - x)``, accurate near 0 and near 1."""
    return -math.log1p(-x)


def _reverse_log_inv(t: float) -> float:
    return -math.expm1(-t)


class UniformDraws(Protocol):
    """Where sampling takes its numbers: ``random()`` uniform in [0, 1) (a numpy Generator,
    or the random strategy's per-position stream)."""

    def random(self) -> Any: ...


@dataclass(frozen=True)
class Parameter(ABC):
    """A tuned hyperparameter (abstract). Subclasses are frozen dataclasses."""

    name: str
    kind: ClassVar[Kind]

    @abstractmethod
    def to_unit(self, value: ParamValue) -> float:
        """Map a value into ``[0, 1]`` (values outside the range are clipped to its ends)."""

    @abstractmethod
    def from_unit(self, u: float) -> ParamValue:
        """Map ``u`` (clipped to ``[0, 1]``) to a legal value of this parameter."""

    @abstractmethod
    def format(self, value: ParamValue) -> str:
        """The string a training job receives in its hyperparameters."""

    @abstractmethod
    def parse(self, text: str) -> ParamValue:
        """Inverse of :meth:`format`."""

    def sample(self, rng: UniformDraws) -> ParamValue:
        """A value drawn uniformly in the scaled space (one ``rng.random()`` draw)."""
        return self.from_unit(float(rng.random()))


@dataclass(frozen=True)
class ContinuousParameter(Parameter):
    """A real-valued range ``[low, high]``; ``scaling`` is resolved (never ``Auto``)."""

    low: float
    high: float
    scaling: ScalingType = ScalingType.LINEAR

    kind: ClassVar[Kind] = "continuous"

    def __post_init__(self) -> None:
        low, high = float(self.low), float(self.high)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise _bad_value(self.name, (self.low, self.high), "range bounds must be finite")
        if low > high:
            raise _bad_value(self.name, (low, high), "MinValue must not exceed MaxValue")
        try:
            scaling = resolve_scaling(self.scaling, low, high, kind="continuous")
        except ValueError as exc:
            raise _bad_value(self.name, str(self.scaling), str(exc)) from None
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "scaling", scaling)

    # The scaled axis: linear in x, log(x) or -log(1 - x).
    def _warp(self, x: float) -> float:
        if self.scaling is ScalingType.LOGARITHMIC:
            return math.log(x)
        if self.scaling is ScalingType.REVERSE_LOGARITHMIC:
            return _reverse_log(x)
        return x

    def _unwarp(self, t: float) -> float:
        if self.scaling is ScalingType.LOGARITHMIC:
            return math.exp(t)
        if self.scaling is ScalingType.REVERSE_LOGARITHMIC:
            return _reverse_log_inv(t)
        return t

    def to_unit(self, value: ParamValue) -> float:
        x = min(max(float(value), self.low), self.high)
        lo, hi = self._warp(self.low), self._warp(self.high)
        if hi == lo:
            return 0.0
        return _clip01((self._warp(x) - lo) / (hi - lo))

    def from_unit(self, u: float) -> float:
        u = _clip01(u)
        if u == 0.0:
            return self.low
        if u == 1.0:
            return self.high
        lo, hi = self._warp(self.low), self._warp(self.high)
        x = self._unwarp(lo + u * (hi - lo))
        return min(max(x, self.low), self.high)

    def format(self, value: ParamValue) -> str:
        return repr(float(value))

    def parse(self, text: str) -> float:
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise _bad_value(self.name, text, "must be a number") from None
        if not math.isfinite(value):
            raise _bad_value(self.name, text, "must be a finite number")
        return value


@dataclass(frozen=True)
class IntegerParameter(Parameter):
    """An integer range ``[low, high]`` (inclusive); ``scaling`` is Linear or Logarithmic.

    Integer ``v`` owns the slice ``[v, v + 1)`` of the continuous axis ``[low, high + 1)``;
    that axis is scaled linearly or logarithmically onto ``[0, 1]``. Linear scaling gives every
    integer a bin of the same width (equal chance when sampling), logarithmic scaling gives bins
    of equal width in ``log(x)``.
    """

    low: int
    high: int
    scaling: ScalingType = ScalingType.LINEAR

    kind: ClassVar[Kind] = "integer"

    def __post_init__(self) -> None:
        low, high = _as_int(self.name, self.low), _as_int(self.name, self.high)
        if low > high:
            raise _bad_value(self.name, (low, high), "MinValue must not exceed MaxValue")
        try:
            scaling = resolve_scaling(self.scaling, low, high, kind="integer")
        except ValueError as exc:
            raise _bad_value(self.name, str(self.scaling), str(exc)) from None
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "scaling", scaling)

    @property
    def cardinality(self) -> int:
        """How many integers the range holds."""
        return self.high - self.low + 1

    def _axis(self) -> tuple[float, float]:
        """The scaled ends of the continuous axis ``[low, high + 1)``."""
        if self.scaling is ScalingType.LOGARITHMIC:
            return math.log(self.low), math.log(self.high + 1)
        return float(self.low), float(self.high + 1)

    def to_unit(self, value: ParamValue) -> float:
        """The centre of the value's bin (so ``from_unit`` maps it straight back)."""
        v = value if isinstance(value, int) else round(float(value))
        v = min(max(v, self.low), self.high)
        lo, hi = self._axis()
        if self.scaling is ScalingType.LOGARITHMIC:
            centre = 0.5 * (math.log(v) + math.log(v + 1))
        else:
            centre = v + 0.5
        return _clip01((centre - lo) / (hi - lo))

    def from_unit(self, u: float) -> int:
        u = _clip01(u)
        lo, hi = self._axis()
        t = lo + u * (hi - lo)
        x = math.exp(t) if self.scaling is ScalingType.LOGARITHMIC else t
        return min(max(math.floor(x), self.low), self.high)

    def format(self, value: ParamValue) -> str:
        return str(_as_int(self.name, value))

    def parse(self, text: str) -> int:
        return _as_int(self.name, text)


def _as_int(name: str, value: object) -> int:
    """An exact integer from an int, an integral float or their string forms."""
    if isinstance(value, bool):
        raise _bad_value(name, value, "must be an integer")
    if isinstance(value, int | np.integer):
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        pass
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _bad_value(name, value, "must be an integer") from None
    if not (math.isfinite(number) and number.is_integer()):
        raise _bad_value(name, value, "must be an integer")
    return int(number)


@dataclass(frozen=True)
class CategoricalParameter(Parameter):
    """A choice among strings; the unit interval is cut into equal bins, one per value."""

    values: tuple[str, ...]

    kind: ClassVar[Kind] = "categorical"

    def __post_init__(self) -> None:
        values = tuple(str(v) for v in self.values)
        if not values:
            raise _bad_value(self.name, list(values), "needs at least one value")
        if len(set(values)) != len(values):
            raise _bad_value(self.name, list(values), "values must be unique")
        object.__setattr__(self, "values", values)

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def index(self, value: ParamValue) -> int:
        """Position of ``value`` in :attr:`values`."""
        try:
            return self.values.index(str(value))
        except ValueError:
            raise _bad_value(self.name, value, f"must be one of {list(self.values)}") from None

    def to_unit(self, value: ParamValue) -> float:
        return (self.index(value) + 0.5) / len(self.values)

    def from_unit(self, u: float) -> str:
        k = len(self.values)
        return self.values[min(int(_clip01(u) * k), k - 1)]

    def format(self, value: ParamValue) -> str:
        return self.values[self.index(value)]

    def parse(self, text: str) -> str:
        return self.values[self.index(text)]
