"""ASHA rungs (Strategy Hyperband) on scripted reports: exact promotions and stops."""

from __future__ import annotations

import pytest

from tunesmith.domain.parse import parse_request
from tunesmith.scheduling.asha import AshaScheduler, bracket_of, bracket_weights, rungs
from tunesmith.scheduling.base import Action, JobCurve
from tunesmith.scheduling.hyperband import resources_for, scheduler_for


def test_rung_levels() -> None:
    assert rungs(1, 27) == [1, 3, 9]
    assert rungs(1, 28) == [1, 3, 9, 27]
    assert rungs(2, 20) == [2, 6, 18]
    assert rungs(5, 5) == []


def arrive(asha: AshaScheduler, at_rung: list[float], step: int = 1) -> list[Action]:
    """Jobs 1, 2, ... reach ``step`` in this order with these values; their decisions."""
    history: dict[str, JobCurve] = {}
    actions = []
    for i, value in enumerate(at_rung, start=1):
        name = f"job-{i}"
        history[name] = JobCurve(name, i, (0.0,) * (step - 1) + (value,), False)
        actions.append(asha.on_report(name, step, value, history).action)
    return actions


C, S = Action.CONTINUE, Action.STOP


def test_top_third_of_arrivals_continue_maximize() -> None:
    asha = AshaScheduler(maximize=True, max_resource=27)
    # n+1 values at the rung -> allowed ranks max(1, (n+1)//3).
    values = [0.5, 0.4, 0.6, 0.55, 0.7, 0.65, 0.64, 0.1, 0.69, 0.7]
    # allowed ranks: 1  1  1  1  1  2  2  2  3  3
    # ranks:         1  2  1  2  1  2  3  8  2  1 (the last ties with 0.7: shares rank 1)
    assert arrive(asha, values) == [C, S, C, S, C, C, S, S, C, C]


def test_minimize_direction_and_other_rungs() -> None:
    asha = AshaScheduler(maximize=False, max_resource=27)
    assert arrive(asha, [1.0, 0.9, 1.1, 0.8], step=3) == [C, C, S, C]
    assert arrive(asha, [1.0, 0.9, 1.1, 0.8], step=9) == [C, C, S, C]
    # Steps between rungs are never judged.
    assert arrive(asha, [1.0, 5.0, 6.0], step=2) == [C, C, C]


def test_ties_share_the_better_rank() -> None:
    asha = AshaScheduler(maximize=True, max_resource=27)
    assert arrive(asha, [0.5, 0.5, 0.5, 0.5]) == [C, C, C, C]


def test_stop_reason_names_rung_rank_and_threshold() -> None:
    asha = AshaScheduler(maximize=True, max_resource=27, metric_name="validation:accuracy")
    history = {f"j{i}": JobCurve(f"j{i}", i, (0, 0, v), True) for i, v in enumerate([0.9, 0.8], 1)}
    history["j3"] = JobCurve("j3", 3, (0, 0, 0.7), False)
    decision = asha.on_report("j3", 3, 0.7, history)
    assert decision.action == Action.STOP
    assert decision.reason == (
        "Hyperband: validation:accuracy 0.7 at rung 1 (epoch 3, bracket 0) ranked 3 of 3; "
        "only the top 1 (top 1/3) continue, threshold 0.9"
    )


def test_max_resource_report_is_the_last_and_beyond_stops() -> None:
    asha = AshaScheduler(maximize=True, max_resource=27)
    solo = {"j": JobCurve("j", 1, (0.1,) * 27, False)}
    assert asha.on_report("j", 27, 0.1, solo).action == Action.CONTINUE
    solo = {"j": JobCurve("j", 1, (0.1,) * 28, False)}
    decision = asha.on_report("j", 28, 0.1, solo)
    assert decision.action == Action.STOP and "MaxResource 27" in decision.reason


def test_brackets_are_seeded_and_skip_lower_rungs() -> None:
    weights = bracket_weights(3, 4)
    assert weights == pytest.approx([27 / 49, 12 / 49, 6 / 49, 4 / 49])
    draws = [bracket_of(k, 7, weights) for k in range(1, 400)]
    assert draws == [bracket_of(k, 7, weights) for k in range(1, 400)]
    assert draws != [bracket_of(k, 8, weights) for k in range(1, 400)]
    share = [draws.count(s) / len(draws) for s in range(4)]
    assert share == pytest.approx(weights, abs=0.07)
    asha = AshaScheduler(maximize=True, max_resource=27, brackets=4, seed=7)
    ordinal = next(k for k in range(1, 400) if asha.bracket(k) == 1)
    history = {
        "best": JobCurve("best", 0, (0.9, 0.9, 0.9), True),
        "me": JobCurve("me", ordinal, (0.1,), False),
    }
    assert asha.on_report("me", 1, 0.1, history).action == Action.CONTINUE  # rung 0 skipped
    history["me"] = JobCurve("me", ordinal, (0.1, 0.1, 0.1), False)
    assert asha.on_report("me", 3, 0.1, history).action == Action.STOP


def spec(**hyperband: int):
    config = {"HyperbandStrategyConfig": hyperband} if hyperband else None
    request = {
        "HyperParameterTuningJobName": "hb",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Hyperband",
            "RandomSeed": 4,
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "acc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 5, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1"}]
            },
            **({"StrategyConfig": config} if config else {}),
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "ContainerEntrypoint": ["simulated"],
                "MetricDefinitions": [{"Name": "acc", "Regex": r"acc=(\S+)"}],
            },
            "StaticHyperParameters": {"epochs": "27"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 100},
        },
    }
    return parse_request(request)


def test_scheduler_for_reads_strategy_config_and_infers_max_resource() -> None:
    assert resources_for(spec()) == (1, 27)
    assert resources_for(spec(MinResource=2, MaxResource=20)) == (2, 20)
    asha = scheduler_for(spec(MinResource=2, MaxResource=20), maximize=True)
    assert asha.rungs == [2, 6, 18] and asha.max_resource == 20 and asha.seed == 4
    assert asha.metric_name == "acc"


def report(asha: AshaScheduler, history: dict, name: str, ordinal: int, values: list[float]):
    """``name`` (launch ``ordinal``) reports its latest value; returns the decision."""
    history[name] = JobCurve(name, ordinal, tuple(values), False)
    return asha.on_report(name, len(values), values[-1], history)


def test_pass_on_fewer_than_eta_values_is_on_probation_until_eta_values() -> None:
    asha = AshaScheduler(maximize=True, max_resource=27)
    h: dict[str, JobCurve] = {}
    assert report(asha, h, "a", 1, [0.5]).action == C  # alone at rung 0: on probation
    assert asha.on_probation("a") == [1]
    assert report(asha, h, "b", 2, [0.6]).action == C  # best of 2: on probation too
    decision = report(asha, h, "a", 1, [0.5, 0.5])  # a is now 2nd of 2 at rung 0
    assert decision.action == S
    assert decision.reason == (
        "Hyperband: objective 0.5 at rung 0 (epoch 1) passed on probation and is now ranked "
        "2 of 2 there; only the top 1 (top 1/3) continue, threshold 0.6"
    )
    assert report(asha, h, "c", 3, [0.4]).action == S  # 3rd of 3: an ordinary stop
    assert report(asha, h, "b", 2, [0.6, 0.6]).action == C  # best of 3 values: pass is final
    assert asha.on_probation("b") == []
    assert report(asha, h, "d", 4, [0.9]).action == C  # rank 1 of 4 (on 4 values: final)
    assert asha.on_probation("d") == []
    # b is now 2nd of 4 at rung 0, but its pass was made final on 3 values: it goes on.
    assert report(asha, h, "b", 2, [0.6, 0.6, 0.7]).action == C  # first at rung 1: probation
    assert asha.on_probation("b") == [3]


def test_probation_spares_the_max_resource_report_and_a_retry() -> None:
    asha = AshaScheduler(maximize=True, max_resource=3)  # rungs [1]
    h: dict[str, JobCurve] = {}
    assert report(asha, h, "a", 1, [0.5]).action == C
    assert report(asha, h, "b", 2, [0.6]).action == C
    # a's third report is its last (MaxResource 3): it completes rather than being stopped.
    assert report(asha, h, "a", 1, [0.5, 0.5, 0.5]).action == C
    asha = AshaScheduler(maximize=True, max_resource=27)
    h = {}
    assert report(asha, h, "a", 1, [0.5, 0.5, 0.5]).action == C  # first at rung 1 (epoch 3)
    assert asha.on_probation("a") == [3]
    h["b"] = JobCurve("b", 2, (0.9, 0.9, 0.9), True)
    # A retried job starts a new curve: a probation at a rung it has not reached again lapses.
    assert report(asha, h, "a", 1, [0.5, 0.5]).action == C
    assert asha.on_probation("a") == []
