"""Check 4 and friends: the shape of the search space - linear scales over orders of
magnitude, bounds so wide most samples are wasted, Bayesian over mostly categorical ranges."""

from __future__ import annotations

import math

from tunesmith.domain.enums import ScalingType, Strategy
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import numeric_ranges, tokens
from tunesmith.guardrails.findings import RANGES, STRATEGY, CheckContext, Finding, Severity

#: A linear range with ``high / low`` at least this ratio spends almost all samples in the top
#: decade(s): two orders of magnitude, as the Auto scaling rule uses.
LINEAR_RATIO = 100.0
#: A logarithmic range over more decades than this puts most samples in hopeless regions.
MAX_DECADES = 6.0
LEARNING_RATE_WORDS = ({"learning", "rate"}, {"lr"}, {"eta"})
FRACTION_WORDS = frozenset({"dropout", "subsample", "momentum", "keep", "prob", "probability"})


def check_linear_scale(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    findings = []
    for item in numeric_ranges(spec):
        if item.scaling != ScalingType.LINEAR or item.low <= 0:
            continue
        ratio = item.high / item.low
        if ratio < LINEAR_RATIO:
            continue
        decades = math.log10(ratio)
        path = f"{item.path}.ScalingType"
        share = 100 * (1 - 1 / 10 ** math.floor(decades))  # share of samples above the bottom
        findings.append(
            Finding(
                "linear-scale-wide-range",
                Severity.WARNING,
                context.path(path),
                f"'{item.name}' spans {decades:.1f} orders of magnitude ({_num(item.low)} to "
                f"{_num(item.high)}) on a linear scale: about {share:.0f}% of samples land in "
                "the top decade and the small values are almost never tried.",
                f"Set {context.term(path)} to Logarithmic (or Auto, which picks it here).",
            )
        )
    return findings


def check_wide_bounds(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    findings = []
    for item in numeric_ranges(spec):
        words = set(tokens(item.name))
        reason = None
        fix = None
        if (
            item.low > 0
            and item.high / item.low > 10**MAX_DECADES
            and item.scaling
            in (
                ScalingType.LOGARITHMIC,
                ScalingType.AUTO,
            )
        ):
            decades = math.log10(item.high / item.low)
            reason = (
                f"spans {decades:.0f} orders of magnitude: even on a log scale most samples "
                "fall in decades where the model cannot train well"
            )
            fix = "Narrow it to the 3-5 decades where good values plausibly lie"
        elif any(group <= words for group in LEARNING_RATE_WORDS) and item.high > 1:
            reason = (
                f"is a learning rate with a maximum of {_num(item.high)}: values above 1 "
                "usually diverge, wasting every job sampled there"
            )
            fix = (
                f"Lower {context.term(item.path + '.MaxValue')} to 1 or less (typical "
                "learning rates lie in 1e-5 to 1e-1)"
            )
        elif words & FRACTION_WORDS and (item.low < 0 or item.high > 1):
            reason = (
                f"looks like a fraction or probability but its range is {_num(item.low)} to "
                f"{_num(item.high)}: samples outside 0..1 are invalid"
            )
            fix = "Keep the range inside 0..1"
        if reason is None or fix is None:
            continue
        findings.append(
            Finding(
                "wide-bounds",
                Severity.WARNING,
                context.path(item.path),
                f"'{item.name}' {reason}.",
                f"{fix}.",
            )
        )
    return findings


def check_bayesian_categorical(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    config = spec.hyper_parameter_tuning_job_config
    if config.strategy != Strategy.BAYESIAN:
        return []
    ranges = spec.ranges
    categorical = len(ranges.categorical_parameter_ranges)
    total = len(ranges.names())
    if categorical < 2 or categorical * 3 < total * 2:  # fewer than two thirds categorical
        return []
    return [
        Finding(
            "bayesian-mostly-categorical",
            Severity.ADVICE,
            context.path(RANGES),
            f"{categorical} of the {total} tuned hyperparameters are categorical; the "
            "Gaussian process models unordered choices poorly, so Bayesian has little "
            "advantage over random sampling here.",
            f"Set {context.term(STRATEGY)} to Random (or Hyperband if the script reports "
            "the objective every epoch), or make ordered choices integer or continuous ranges.",
        )
    ]


def _num(value: float) -> str:
    return f"{value:g}"
