"""The median stopping rule (early stopping Auto) on scripted learning curves."""

from __future__ import annotations

import pytest

from tunesmith.scheduling.base import Action, JobCurve
from tunesmith.scheduling.median import MedianStoppingRule


def curves(*jobs: tuple[float, ...], finished: bool = True) -> dict[str, JobCurve]:
    return {
        f"job-{i}": JobCurve(f"job-{i}", i, tuple(values), finished)
        for i, values in enumerate(jobs, start=1)
    }


EARLIER = ((1.0, 0.8, 0.6), (0.9, 0.7, 0.5), (1.1, 0.9, 0.7))  # averages at step 2: .9 .8 1.0


def report(rule: MedianStoppingRule, history: dict[str, JobCurve], values: tuple[float, ...]):
    name = f"job-{len(history) + 1}"
    history = {**history, name: JobCurve(name, len(history) + 1, values, False)}
    return rule.on_report(name, len(values), values[-1], history)


def test_worse_than_median_of_running_averages_stops_with_reason() -> None:
    rule = MedianStoppingRule(maximize=False, metric_name="val_loss")
    decision = report(rule, curves(*EARLIER), (1.0, 0.95))
    assert decision.action == Action.STOP
    assert decision.reason.startswith(
        "Early stopping (median rule): val_loss 0.95 at epoch 2 worse than median 0.9 of 3 jobs"
    )


@pytest.mark.parametrize(
    ("value", "action"), [(0.85, Action.CONTINUE), (0.9, Action.CONTINUE), (0.9001, Action.STOP)]
)
def test_better_or_equal_continues(value: float, action: Action) -> None:
    rule = MedianStoppingRule(maximize=False)
    assert report(rule, curves(*EARLIER), (5.0, value)).action == action


def test_maximize_direction() -> None:
    rule = MedianStoppingRule(maximize=True)
    history = curves((0.5, 0.6), (0.6, 0.7), (0.7, 0.8))  # averages at step 2: .55 .65 .75
    assert report(rule, history, (0.1, 0.64)).action == Action.STOP
    assert report(rule, history, (0.1, 0.65)).action == Action.CONTINUE


def test_needs_min_jobs_earlier_jobs_at_that_step() -> None:
    rule = MedianStoppingRule(maximize=False)
    assert report(rule, curves(*EARLIER[:2]), (9.0,)).action == Action.CONTINUE
    # Three earlier jobs, but only two reached step 3.
    history = curves((1.0, 0.8, 0.6), (0.9, 0.7, 0.5), (1.1,))
    assert report(rule, history, (9.0, 9.0, 9.0)).action == Action.CONTINUE
    assert (
        MedianStoppingRule(maximize=False, min_jobs=2)
        .on_report("x", 3, 9.0, {**history, "x": JobCurve("x", 9, (9.0, 9.0, 9.0), False)})
        .action
        == Action.STOP
    )


def test_only_earlier_ordinals_count_and_running_ones_do() -> None:
    rule = MedianStoppingRule(maximize=False)
    history = curves(*EARLIER, finished=False)  # still running: they count
    assert report(rule, history, (1.0, 0.95)).action == Action.STOP
    # The first job is never judged by jobs launched after it.
    first = {**curves((9.0, 9.0), *EARLIER)}
    assert rule.on_report("job-1", 2, 9.0, first).action == Action.CONTINUE


def test_even_count_uses_mean_of_middle_two() -> None:
    rule = MedianStoppingRule(maximize=False)
    history = curves((1.0,), (2.0,), (3.0,), (4.0,))  # median 2.5
    assert report(rule, history, (2.5,)).action == Action.CONTINUE
    decision = report(rule, history, (2.6,))
    assert decision.action == Action.STOP and "median 2.5 of 4 jobs" in decision.reason


def test_min_step_grace() -> None:
    rule = MedianStoppingRule(maximize=False, min_step=2)
    assert report(rule, curves(*EARLIER), (9.0,)).action == Action.CONTINUE
    assert report(rule, curves(*EARLIER), (9.0, 9.0)).action == Action.STOP
