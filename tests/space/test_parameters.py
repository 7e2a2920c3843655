"""Parameters: bounds and types per scaling type, bin fairness, round-trips, formatting."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tunesmith.domain.enums import ScalingType
from tunesmith.errors import SpecValidationError
from tunesmith.space import (
    CategoricalParameter,
    ContinuousParameter,
    IntegerParameter,
    resolve_scaling,
)

LIN, LOG, REV = ScalingType.LINEAR, ScalingType.LOGARITHMIC, ScalingType.REVERSE_LOGARITHMIC


def _unit_grid() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.concatenate([[0.0, 1.0, 0.5, 1e-12, 1 - 1e-12], rng.random(2000)])


# ---------------------------------------------------------------- Auto rule
@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (1e-5, 1e-1, LOG),
        (1.0, 100.0, LOG),  # exactly two orders of magnitude
        (1.0, 99.9, LIN),
        (0.0, 1000.0, LIN),  # not positive
        (-1.0, 1000.0, LIN),
        (0.1, 0.9, LIN),
    ],
)
def test_auto_rule(low: float, high: float, expected: ScalingType) -> None:
    assert resolve_scaling(ScalingType.AUTO, low, high) is expected
    assert resolve_scaling("Auto", low, high, kind="integer") is expected


def test_auto_is_resolved_in_the_constructor() -> None:
    assert ContinuousParameter("lr", 1e-4, 1.0, ScalingType.AUTO).scaling is LOG
    assert IntegerParameter("n", 1, 10, ScalingType.AUTO).scaling is LIN


@pytest.mark.parametrize(
    ("factory", "rule"),
    [
        (lambda: ContinuousParameter("x", 0.0, 1.0, LOG), "greater than 0"),
        (lambda: ContinuousParameter("x", 0.1, 1.0, REV), "0 <= x < 1.0"),
        (lambda: ContinuousParameter("x", -0.1, 0.5, REV), "0 <= x < 1.0"),
        (lambda: IntegerParameter("n", 0, 10, LOG), "greater than 0"),
        (lambda: IntegerParameter("n", 0, 0, REV), "only allowed for continuous"),
        (lambda: ContinuousParameter("x", 2.0, 1.0), "must not exceed"),
        (lambda: ContinuousParameter("x", 0.0, math.inf), "finite"),
        (lambda: IntegerParameter("n", 1, 2.5), "integer"),  # type: ignore[arg-type]
        (lambda: CategoricalParameter("c", ()), "at least one"),
        (lambda: CategoricalParameter("c", ("a", "a")), "unique"),
    ],
)
def test_illegal_parameters_raise_with_the_rule(factory, rule: str) -> None:
    with pytest.raises(SpecValidationError, match=rule):
        factory()


# ---------------------------------------------------------------- continuous
@pytest.mark.parametrize(
    "param",
    [
        ContinuousParameter("lin", -3.0, 5.0, LIN),
        ContinuousParameter("log", 1e-5, 1e-1, LOG),
        ContinuousParameter("rev", 0.0, 0.9999, REV),
        ContinuousParameter("rev2", 0.9, 0.999999, REV),
    ],
)
def test_continuous_bounds_types_and_round_trip(param: ContinuousParameter) -> None:
    for u in _unit_grid():
        x = param.from_unit(u)
        assert type(x) is float
        assert param.low <= x <= param.high
        back = param.to_unit(x)
        assert 0.0 <= back <= 1.0
        assert param.from_unit(back) == pytest.approx(x, rel=1e-9, abs=1e-12)
    assert param.from_unit(0.0) == param.low
    assert param.from_unit(1.0) == param.high
    assert param.from_unit(-3.0) == param.low  # clipped
    assert param.from_unit(7.0) == param.high
    assert param.to_unit(param.low) == 0.0
    assert param.to_unit(param.high) == 1.0


def test_continuous_values_round_trip_through_unit() -> None:
    rng = np.random.default_rng(3)
    for param in (
        ContinuousParameter("lin", -3.0, 5.0, LIN),
        ContinuousParameter("log", 1e-5, 1e-1, LOG),
        ContinuousParameter("rev", 0.5, 0.99999, REV),
    ):
        for _ in range(500):
            x = param.sample(rng)
            assert param.from_unit(param.to_unit(x)) == pytest.approx(x, rel=1e-9)


def test_log_sampling_spreads_over_decades() -> None:
    param = ContinuousParameter("lr", 1e-5, 1e-1, LOG)
    rng = np.random.default_rng(11)
    xs = np.array([param.sample(rng) for _ in range(8000)])
    decades = np.floor(np.log10(xs)).astype(int)
    counts = np.array([(decades == d).sum() for d in (-5, -4, -3, -2)])
    assert counts.sum() == len(xs) - (decades == -1).sum()
    assert np.all(np.abs(counts / len(xs) - 0.25) < 0.03), counts
    # A linear scale would put about 90% of the draws in the top decade.
    assert (xs < 1e-2).mean() > 0.7


def test_reverse_log_concentrates_near_one() -> None:
    param = ContinuousParameter("beta", 0.0, 0.9999, REV)
    rng = np.random.default_rng(5)
    xs = np.array([param.sample(rng) for _ in range(8000)])
    # Uniform in -log(1 - x) over [0, log(1e4)]: each "nine" (0.9, 0.99, 0.999) gets ~1/4.
    assert np.abs((xs < 0.9).mean() - 0.25) < 0.03
    assert np.abs(((xs >= 0.9) & (xs < 0.99)).mean() - 0.25) < 0.03
    assert np.abs((xs >= 0.999).mean() - 0.25) < 0.03
    assert np.median(xs) > 0.98


def test_linear_continuous_is_uniform() -> None:
    param = ContinuousParameter("x", 0.0, 10.0, LIN)
    rng = np.random.default_rng(2)
    xs = np.array([param.sample(rng) for _ in range(8000)])
    hist, _ = np.histogram(xs, bins=10, range=(0, 10))
    assert np.all(np.abs(hist / len(xs) - 0.1) < 0.02), hist


def test_degenerate_continuous_range() -> None:
    param = ContinuousParameter("x", 2.0, 2.0, LOG)
    assert param.from_unit(0.3) == 2.0
    assert param.to_unit(2.0) == 0.0


def test_continuous_format_and_parse() -> None:
    param = ContinuousParameter("lr", 1e-6, 1.0, LOG)
    for value in (1e-05, 0.1, 0.30000000000000004, 1.0, 3e-06):
        text = param.format(value)
        assert text == repr(value)
        assert param.parse(text) == value
    assert param.format(1) == "1.0"
    with pytest.raises(SpecValidationError, match="number"):
        param.parse("fast")
    with pytest.raises(SpecValidationError, match="finite"):
        param.parse("nan")


# ---------------------------------------------------------------- integer
@pytest.mark.parametrize(
    "param",
    [
        IntegerParameter("lin", -3, 7, LIN),
        IntegerParameter("single", 5, 5, LIN),
        IntegerParameter("log", 1, 1000, LOG),
        IntegerParameter("log2", 16, 4096, LOG),
    ],
)
def test_integer_bounds_types_and_bins(param: IntegerParameter) -> None:
    for u in _unit_grid():
        v = param.from_unit(u)
        assert type(v) is int
        assert param.low <= v <= param.high
        assert param.from_unit(param.to_unit(v)) == v  # same bin
    for v in range(param.low, param.high + 1):
        assert param.from_unit(param.to_unit(v)) == v
    assert param.from_unit(0.0) == param.low
    assert param.from_unit(1.0) == param.high
    assert param.from_unit(-1.0) == param.low
    assert param.from_unit(2.0) == param.high


def test_integer_to_unit_is_monotone_and_inside_its_bin() -> None:
    param = IntegerParameter("n", 1, 50, LOG)
    units = [param.to_unit(v) for v in range(1, 51)]
    assert all(a < b for a, b in itertools.pairwise(units))
    assert units[0] > 0.0 and units[-1] < 1.0


def test_linear_integer_bins_are_fair() -> None:
    param = IntegerParameter("k", 1, 10, LIN)
    rng = np.random.default_rng(123)
    n = 20_000
    draws = np.array([param.sample(rng) for _ in range(n)])
    counts = np.bincount(draws - 1, minlength=10)
    expected = n / 10
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    # 9 degrees of freedom: the 99.9% quantile is about 27.9.
    assert chi2 < 28, counts
    assert counts.min() > 0.9 * expected


def test_log_integer_bins_follow_log_widths() -> None:
    param = IntegerParameter("n", 1, 99, LOG)
    rng = np.random.default_rng(9)
    n = 20_000
    draws = np.array([param.sample(rng) for _ in range(n)])
    # Integer v owns [v, v+1) on a log axis over [1, 100): P(v) = log((v+1)/v) / log(100).
    assert abs((draws < 10).mean() - 0.5) < 0.02
    assert abs((draws == 1).mean() - math.log(2) / math.log(100)) < 0.01
    assert abs((draws == 2).mean() - math.log(1.5) / math.log(100)) < 0.01


def test_integer_format_and_parse() -> None:
    param = IntegerParameter("n", -10, 10, LIN)
    for v in range(-10, 11):
        assert param.parse(param.format(v)) == v
    assert param.format(3) == "3"
    assert param.format(3.0) == "3"
    assert param.parse("4.0") == 4
    assert type(param.parse("4")) is int
    with pytest.raises(SpecValidationError, match="integer"):
        param.parse("4.5")
    with pytest.raises(SpecValidationError, match="integer"):
        param.format(2.5)


# ---------------------------------------------------------------- categorical
def test_categorical_equal_bins_and_round_trip() -> None:
    param = CategoricalParameter("opt", ("sgd", "adam", "rmsprop", "adagrad"))
    for i, value in enumerate(param.values):
        assert param.to_unit(value) == pytest.approx((i + 0.5) / 4)
        assert param.from_unit(param.to_unit(value)) == value
    assert param.from_unit(0.0) == "sgd"
    assert param.from_unit(0.2499) == "sgd"
    assert param.from_unit(0.25) == "adam"
    assert param.from_unit(1.0) == "adagrad"
    assert param.from_unit(5.0) == "adagrad"
    rng = np.random.default_rng(1)
    draws = [param.sample(rng) for _ in range(8000)]
    assert all(type(d) is str for d in draws)
    for value in param.values:
        assert abs(draws.count(value) / len(draws) - 0.25) < 0.03


def test_categorical_values_stay_strings() -> None:
    param = CategoricalParameter("depth", ("1", "2", "10"))
    assert param.values == ("1", "2", "10")
    assert param.parse("10") == "10"
    assert param.format("2") == "2"
    assert param.to_unit(2) == param.to_unit("2")  # a number is matched by its string form
    with pytest.raises(SpecValidationError, match="one of"):
        param.parse("3")
