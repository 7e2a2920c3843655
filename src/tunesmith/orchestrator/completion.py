"""TuningJobCompletionCriteria: when a tuning job may end before its budget is spent.

Pure functions over the objective values of finished training jobs, in the order they
finished (jobs without an objective count as "not improving").

- TargetObjectiveMetricValue: a job's final objective reaches the target (>= when maximizing,
  <= when minimizing).
- BestObjectiveNotImproving: N consecutive finished jobs did not improve the best objective by
  at least 1% (relative to |best|; an absolute 1e-12 when the best is 0).
- ConvergenceDetected (CompleteOnConvergence: Enabled): tunesmith's test, since SageMaker's is
  undocumented — at least ``CONVERGENCE_MIN_JOBS`` jobs finished and the best objective improved
  by less than 1% over the last ``max(10, 30% of the finished jobs)`` of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tunesmith.domain.spec import TuningJobCompletionCriteria

MIN_RELATIVE_IMPROVEMENT = 0.01
CONVERGENCE_MIN_JOBS = 20


@dataclass(frozen=True)
class CompletionCheck:
    not_improving: int  # NumberOfTrainingJobsObjectiveNotImproving
    reason: str | None  # why the tuning job may complete now; None to carry on
    converged: bool = False


def improves(value: float, best: float | None, maximize: bool, min_relative: float) -> bool:
    if best is None:
        return True
    gain = value - best if maximize else best - value
    floor = min_relative * abs(best) if best != 0 else 1e-12
    return gain > 0 and gain >= floor


def not_improving_count(
    values: Sequence[float | None], maximize: bool, min_relative: float = MIN_RELATIVE_IMPROVEMENT
) -> int:
    """Finished jobs since the last one that improved the best objective enough."""
    best: float | None = None
    count = 0
    for value in values:
        if value is not None and improves(value, best, maximize, min_relative):
            best, count = value, 0
        else:
            count += 1
            if value is not None and (best is None or (value > best if maximize else value < best)):
                best = value  # a small gain still moves the best the next job must beat
    return count


def check_completion(
    values: Sequence[float | None],
    criteria: TuningJobCompletionCriteria | None,
    maximize: bool,
) -> CompletionCheck:
    not_improving = not_improving_count(values, maximize)
    if criteria is None:
        return CompletionCheck(not_improving, None)
    target = criteria.target_objective_metric_value
    if target is not None:
        for value in values:
            if value is not None and (value >= target if maximize else value <= target):
                return CompletionCheck(
                    not_improving,
                    f"A training job reached TargetObjectiveMetricValue {target} ({value})",
                )
    stalled = criteria.best_objective_not_improving
    if stalled is not None and not_improving >= stalled.max_number_of_training_jobs_not_improving:
        return CompletionCheck(
            not_improving,
            f"The best objective did not improve by 1% or more in the last {not_improving} "
            "training jobs (BestObjectiveNotImproving)",
        )
    convergence = criteria.convergence_detected
    enabled = convergence is not None and convergence.complete_on_convergence == "Enabled"
    if enabled and converged(values, maximize):
        return CompletionCheck(
            not_improving, "The tuning job converged (ConvergenceDetected)", converged=True
        )
    return CompletionCheck(not_improving, None)


def converged(values: Sequence[float | None], maximize: bool) -> bool:
    if len(values) < CONVERGENCE_MIN_JOBS:
        return False
    window = max(10, math.ceil(0.3 * len(values)))
    before = [v for v in values[:-window] if v is not None]
    if not before:
        return False
    best_before = max(before) if maximize else min(before)
    recent = [v for v in values[-window:] if v is not None]
    return not any(improves(v, best_before, maximize, MIN_RELATIVE_IMPROVEMENT) for v in recent)
