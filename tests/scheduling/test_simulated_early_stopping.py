"""Early stopping Auto and Hyperband through the real controller on the virtual clock: which
jobs stop, when, with what status, final objective and stored reason."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tunesmith.domain.enums import TrainingJobStatus, TuningJobStatus
from tunesmith.domain.parse import parse_request
from tunesmith.execution.simulated import SimulatedExecutor, SimulatedRun, epochs_run
from tunesmith.orchestrator.service import TuningService
from tunesmith.settings import Settings
from tunesmith.space import Config
from tunesmith.strategies.base import Trial


class Scripted:
    """A strategy proposing the given curve names in order (so each job's curve is known)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def suggest(self, n: int, history: Sequence[Trial]) -> list[Config]:
        start = len(history)
        return [{"curve": name} for name in self.names[start : start + n]]


def request(name: str, curves: dict[str, list[float]], **config: Any) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "RandomSeed": 1,
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": len(curves),
                "MaxParallelTrainingJobs": 1,
            },
            "ParameterRanges": {
                "CategoricalParameterRanges": [{"Name": "curve", "Values": list(curves)}]
            },
            **config,
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "ContainerEntrypoint": ["simulated"],
                "MetricDefinitions": [{"Name": "metric", "Regex": r"metric=(\S+)"}],
            },
            "StaticHyperParameters": {"epochs": "9"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1000},
        },
    }


@pytest.fixture
def service(tmp_path: Path) -> TuningService:
    svc = TuningService(Settings(home=tmp_path / "home"))
    yield svc
    svc.close()


def run(service: TuningService, name: str, curves: dict[str, list[float]], **config: Any):
    service.create(parse_request(request(name, curves, **config)))

    def train(hps: dict[str, str]) -> SimulatedRun:
        return epochs_run(curves[hps["curve"]], "metric", seconds_per_epoch=10)

    executor = SimulatedExecutor(train)
    service.run(
        name,
        executor=executor,
        on_controller=lambda c: setattr(c, "strategy", Scripted(list(curves))),
    )
    assert service.get(name).status == TuningJobStatus.COMPLETED
    jobs = {j.tuned_hyperparameters["curve"]: j for j in service.training_jobs(name)}
    decisions = {d.training_job_name: d for d in service.store.list_decisions(tuning_job_name=name)}
    lines = {curve: executor.lines_emitted.get(job.name, 0) for curve, job in jobs.items()}
    return jobs, decisions, lines


MEDIAN_CURVES = {
    "c1": [1.0, 0.8, 0.6, 0.5],
    "c2": [0.9, 0.7, 0.5, 0.4],
    "c3": [1.1, 0.9, 0.7, 0.6],
    "bad": [1.2, 1.1, 1.0, 0.9],  # epoch 1: 1.2 > median(1.0, 0.9, 1.1) = 1.0 -> stop
    "good": [0.8, 0.6, 0.4, 0.3],
    # epoch 1 ties the median 1.0, epoch 2 ties 0.85; epoch 3: 0.8 > median 0.75 -> stop
    "late": [1.0, 0.85, 0.8, 0.7],
}


def test_median_rule_stops_exactly_the_weak_jobs(service: TuningService) -> None:
    jobs, decisions, lines = run(
        service,
        "median",
        MEDIAN_CURVES,
        Strategy="Random",
        TrainingJobEarlyStoppingType="Auto",
        HyperParameterTuningJobObjective={"Type": "Minimize", "MetricName": "metric"},
    )
    stopped = {c for c, j in jobs.items() if j.status == TrainingJobStatus.STOPPED}
    assert stopped == {"bad", "late"}
    assert lines == {"c1": 4, "c2": 4, "c3": 4, "bad": 1, "good": 4, "late": 3}
    assert jobs["bad"].final_objective_value == 1.2  # the last value it printed
    assert jobs["late"].final_objective_value == 0.8
    for curve in ("bad", "late"):
        decision = decisions[jobs[curve].name]
        assert decision.kind == "STOP"
        assert jobs[curve].stop_reason == decision.reason
    assert decisions[jobs["bad"].name].step == 1
    # The metric's name in the reason is the factory's to pass (metric_name=...).
    assert "1.2 at epoch 1 worse than median 1 of 3 jobs" in decisions[jobs["bad"].name].reason
    assert "0.8 at epoch 3 worse than median 0.75 of 4 jobs" in (
        decisions[jobs["late"].name].reason
    )
    assert len(decisions) == 2
    best = service.get("median").best_training_job_name
    assert best == jobs["good"].name


HYPERBAND_CURVES = {
    "first": [0.5] * 9,  # first at rungs 1 and 3: runs to MaxResource 9 and completes
    "worse": [0.4] * 9,  # rung 0: rank 2 of 2 -> stop at epoch 1
    "better": [0.6] * 9,  # rung 0 rank 1, rung 1 rank 1 of 2 -> completes
    "middle": [0.55] * 9,  # rung 0: rank 2 of 4, top 1 continues -> stop at epoch 1
    "fades": [0.7, 0.5, 0.45, *[0.45] * 6],  # rung 0 rank 1; rung 1: rank 3 of 3 -> stop at 3
    "long": [0.9] * 12,  # best everywhere; its 10th report exceeds MaxResource 9 -> stop
}


def test_hyperband_promotions_and_max_resource(service: TuningService) -> None:
    jobs, decisions, lines = run(
        service,
        "hyperband",
        HYPERBAND_CURVES,
        Strategy="Hyperband",
        HyperParameterTuningJobObjective={"Type": "Maximize", "MetricName": "metric"},
    )
    status = {c: j.status for c, j in jobs.items()}
    assert status == {
        "first": TrainingJobStatus.COMPLETED,
        "worse": TrainingJobStatus.STOPPED,
        "better": TrainingJobStatus.COMPLETED,
        "middle": TrainingJobStatus.STOPPED,
        "fades": TrainingJobStatus.STOPPED,
        "long": TrainingJobStatus.STOPPED,
    }
    assert lines == {"first": 9, "worse": 1, "better": 9, "middle": 1, "fades": 3, "long": 10}
    assert jobs["fades"].final_objective_value == 0.45
    assert jobs["long"].final_objective_value == 0.9
    assert decisions[jobs["worse"].name].reason == (
        "Hyperband: metric 0.4 at rung 0 (epoch 1, bracket 0) ranked 2 of 2; only the top 1 "
        "(top 1/3) continue, threshold 0.5"
    )
    assert "rung 1 (epoch 3, bracket 0) ranked 3 of 3" in decisions[jobs["fades"].name].reason
    assert "MaxResource 9" in decisions[jobs["long"].name].reason
    assert decisions[jobs["long"].name].step == 10
    for curve in ("worse", "middle", "fades", "long"):
        assert jobs[curve].stop_reason == decisions[jobs[curve].name].reason
    assert service.get("hyperband").best_training_job_name == jobs["long"].name


def test_hyperband_probation_with_two_jobs_at_a_time(service: TuningService) -> None:
    """Two jobs start together; "quick" reaches rung 0 first and goes on alone (on probation);
    when "strong" reports a better epoch 1, "quick" is stopped at its very next report."""
    curves = {"quick": [0.5] * 9, "strong": [0.6] * 9}
    startup = {"quick": 0.5, "strong": 2.2}  # virtual seconds before the first epoch line
    name = "probation"
    limits = {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2}
    spec = request(name, curves, Strategy="Hyperband", ResourceLimits=limits)
    spec["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"] = {
        "Type": "Maximize",
        "MetricName": "metric",
    }
    service.create(parse_request(spec))

    def train(hps: dict[str, str]) -> SimulatedRun:
        run = epochs_run(curves[hps["curve"]], "metric", seconds_per_epoch=1)
        lines = [(at + startup[hps["curve"]], text) for at, text in run.lines]
        return SimulatedRun(run.duration + startup[hps["curve"]], lines)

    executor = SimulatedExecutor(train)
    service.run(
        name,
        executor=executor,
        on_controller=lambda c: setattr(c, "strategy", Scripted(list(curves))),
    )
    jobs = {j.tuned_hyperparameters["curve"]: j for j in service.training_jobs(name)}
    lines = {curve: executor.lines_emitted.get(job.name, 0) for curve, job in jobs.items()}
    # quick prints epochs at t = 1.5, 2.5, 3.5, ...; strong's epoch 1 (0.6) comes at t = 3.2, so
    # quick's epoch-1 value 0.5 is then 2nd of 2 and its report at t = 3.5 (epoch 3) stops it.
    assert jobs["quick"].status == TrainingJobStatus.STOPPED
    assert jobs["strong"].status == TrainingJobStatus.COMPLETED
    assert "passed on probation and is now ranked 2 of 2" in (jobs["quick"].stop_reason or "")
    assert lines["strong"] == 9
    assert lines["quick"] == 3
