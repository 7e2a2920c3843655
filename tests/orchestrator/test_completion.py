"""Completion criteria as pure functions of the finished jobs' objectives."""

from __future__ import annotations

import pytest

from tunesmith.domain.spec import TuningJobCompletionCriteria
from tunesmith.orchestrator.completion import check_completion, converged, not_improving_count


@pytest.mark.parametrize(
    ("values", "maximize", "expected"),
    [
        ([], True, 0),
        ([0.5], True, 0),
        ([0.5, 0.502, 0.503], True, 2),  # gains under 1% do not count
        ([0.5, 0.6, None, 0.59], True, 2),  # a job without objective does not improve
        ([1.0, 0.995, 0.98], False, 0),  # minimizing: 0.98 is 1.5% better than 0.995
        ([0.0, 0.0, 1e-13], True, 2),
        ([None, None], False, 2),
    ],
)
def test_not_improving_count(values: list[float | None], maximize: bool, expected: int) -> None:
    assert not_improving_count(values, maximize) == expected


def test_target_comparison_follows_the_direction() -> None:
    criteria = TuningJobCompletionCriteria.model_validate({"TargetObjectiveMetricValue": 0.9})
    assert check_completion([0.8, 0.91], criteria, maximize=True).reason
    assert check_completion([0.8, 0.89], criteria, maximize=True).reason is None
    assert check_completion([1.0, 0.9], criteria, maximize=False).reason
    assert check_completion([1.0, 0.95], criteria, maximize=False).reason is None


def test_convergence_needs_enough_jobs_and_a_flat_window() -> None:
    improving = [10.0 - i for i in range(30)]
    assert not converged(improving, maximize=False)
    flat_tail = [10.0 - i for i in range(15)] + [-4.0] * 15
    assert not converged(flat_tail[:19], maximize=False)
    assert converged(flat_tail, maximize=False)
