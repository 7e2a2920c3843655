"""Check 7: Grid search over numeric ranges, over too many combinations, or over more
combinations than the budget the user wrote down."""

from __future__ import annotations

import math

from tunesmith.domain.enums import Strategy
from tunesmith.domain.rules import grid_size
from tunesmith.domain.spec import MAX_GRID_COMBINATIONS, TuningJobSpec
from tunesmith.guardrails.checks.common import expected_trial_seconds, numeric_ranges
from tunesmith.guardrails.findings import (
    MAX_JOBS,
    MAX_PARALLEL,
    RANGES,
    STRATEGY,
    TUNING_MAX_RUNTIME,
    CheckContext,
    Finding,
    Severity,
)


def check_grid(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    config = spec.hyper_parameter_tuning_job_config
    if config.strategy != Strategy.GRID:
        return []
    strategy = context.term(STRATEGY)
    findings = []
    numeric = list(numeric_ranges(spec))
    for item in numeric:
        findings.append(
            Finding(
                "grid-numeric-range",
                Severity.ERROR,
                context.path(item.path),
                f"Grid search enumerates only categorical values, but '{item.name}' is an "
                f"{item.kind} range: a grid cannot cover a continuum, and discretising it by "
                "hand multiplies the number of jobs.",
                f"Set {strategy} to Bayesian or Random, or make '{item.name}' a categorical "
                "range with the few values worth trying.",
            )
        )
    if not spec.ranges.categorical_parameter_ranges:
        return findings
    size = grid_size(spec.ranges)
    if size > MAX_GRID_COMBINATIONS:
        findings.append(
            Finding(
                "grid-too-large",
                Severity.ERROR,
                context.path(RANGES),
                f"The grid has {size} combinations, more than the {MAX_GRID_COMBINATIONS} "
                "allowed; an exhaustive search this size spends most jobs on poor regions.",
                f"Set {strategy} to Bayesian or Random with a budget you can afford, or drop "
                "values from the categorical ranges.",
            )
        )
        return findings
    max_jobs = config.resource_limits.max_number_of_training_jobs
    if max_jobs is not None and max_jobs < size:
        findings.append(
            Finding(
                "grid-exceeds-budget",
                Severity.ERROR,
                context.path(MAX_JOBS),
                f"{context.term(MAX_JOBS)} is {max_jobs}, but the grid has {size} "
                "combinations: Grid runs every combination, so the budget you wrote down "
                "cannot be honoured.",
                f"Set {strategy} to Random or Bayesian to explore {max_jobs} configurations, "
                f"or remove {context.term(MAX_JOBS)} to run the whole grid.",
            )
        )
        return findings
    findings += _runtime_budget(spec, context, size)
    return findings


def _runtime_budget(spec: TuningJobSpec, context: CheckContext, size: int) -> list[Finding]:
    limits = spec.hyper_parameter_tuning_job_config.resource_limits
    trial = expected_trial_seconds(spec, context)
    if limits.max_runtime_in_seconds is None or trial is None or context.dry_run is None:
        return []
    waves = math.ceil(size / limits.max_parallel_training_jobs)
    needed = waves * trial
    if needed <= limits.max_runtime_in_seconds:
        return []
    return [
        Finding(
            "grid-exceeds-budget",
            Severity.WARNING,
            context.path(TUNING_MAX_RUNTIME),
            f"The grid's {size} jobs need about {needed:.0f} s ({waves} waves of "
            f"{trial:.0f} s) but the tuning job may run only "
            f"{limits.max_runtime_in_seconds} s: it will stop with part of the grid unexplored, "
            "and which part depends on the grid order.",
            f"Raise {context.term(TUNING_MAX_RUNTIME)} or {context.term(MAX_PARALLEL)}, or set "
            f"{context.term(STRATEGY)} to Random or Bayesian.",
        )
    ]
