"""Small helpers shared by the checks: numeric ranges with their paths, budgets, durations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tunesmith.domain.enums import ScalingType, Strategy
from tunesmith.domain.rules import grid_size, parse_bound
from tunesmith.domain.spec import MAX_GRID_COMBINATIONS, TuningJobSpec
from tunesmith.guardrails.findings import RANGES, CheckContext


@dataclass(frozen=True)
class NumericRange:
    """A numeric range with its canonical path and parsed bounds."""

    name: str
    path: str  # e.g. HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0]
    kind: str  # "integer" or "continuous"
    low: float
    high: float
    scaling: ScalingType


def numeric_ranges(spec: TuningJobSpec) -> Iterator[NumericRange]:
    """Every integer and continuous range whose bounds parse (bad bounds are rule errors)."""
    ranges = spec.ranges
    groups = (
        ("IntegerParameterRanges", "integer", ranges.integer_parameter_ranges),
        ("ContinuousParameterRanges", "continuous", ranges.continuous_parameter_ranges),
    )
    for key, kind, items in groups:
        for index, item in enumerate(items):
            low = parse_bound(item.min_value, kind == "integer")
            high = parse_bound(item.max_value, kind == "integer")
            if low is None or high is None or low > high:
                continue
            path = f"{RANGES}.{key}[{index}]"
            yield NumericRange(item.name, path, kind, low, high, item.scaling_type)


def planned_jobs(spec: TuningJobSpec) -> int | None:
    """How many training jobs the tuning job will run: MaxNumberOfTrainingJobs, or the grid."""
    config = spec.hyper_parameter_tuning_job_config
    max_jobs = config.resource_limits.max_number_of_training_jobs
    if config.strategy == Strategy.GRID:
        size = grid_size(spec.ranges) if spec.ranges.categorical_parameter_ranges else None
        if size is not None and size > MAX_GRID_COMBINATIONS:
            return None  # not a runnable grid: reported by the grid check
        if max_jobs is None:
            return size
        return min(max_jobs, size) if size else max_jobs
    return max_jobs


def explicit_max_run(spec: TuningJobSpec) -> int | None:
    """The per-job MaxRuntimeInSeconds when the user set it (the default is not a signal)."""
    stopping = spec.definition.stopping_condition
    if "max_runtime_in_seconds" in stopping.model_fields_set:
        return stopping.max_runtime_in_seconds
    return None


def expected_trial_seconds(spec: TuningJobSpec, context: CheckContext) -> float | None:
    """The measured dry-run duration when there is one, else an explicit max_run."""
    if context.dry_run is not None and context.dry_run.completed:
        return context.dry_run.duration_seconds
    max_run = explicit_max_run(spec)
    return float(max_run) if max_run is not None else None


def tokens(name: str) -> list[str]:
    """Lowercase words of a metric or parameter name: ``validation:accuracy`` -> validation,
    accuracy; ``valAcc`` -> val, acc; ``val_loss`` -> val, loss."""
    import re

    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]
