"""The real controller on the simulated executor's virtual clock: budgets, parallelism,
determinism and stops, without waiting for real processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tunesmith.domain.enums import SecondaryStatus, TrainingJobStatus, TuningJobStatus
from tunesmith.domain.parse import parse_request
from tunesmith.execution.simulated import SimulatedExecutor, SimulatedRun, epochs_run
from tunesmith.orchestrator.service import TuningService
from tunesmith.settings import Settings


def request(name: str, **limits: Any) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "RandomSeed": 3,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": 50,
                "MaxParallelTrainingJobs": 10,
                **limits,
            },
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "x", "MinValue": "-5", "MaxValue": "5"}]
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "ContainerEntrypoint": ["simulated"],
                "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}],
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 100},
        },
    }


def quadratic(hps: dict[str, str]) -> SimulatedRun:
    x = float(hps["x"])
    return epochs_run([(x - 1) ** 2 + 3 / e for e in (1, 2, 3)], "loss", seconds_per_epoch=10)


@pytest.fixture
def service(tmp_path: Path) -> TuningService:
    svc = TuningService(Settings(home=tmp_path / "home"))
    yield svc
    svc.close()


def run(service: TuningService, name: str, train=quadratic, **limits: Any) -> SimulatedExecutor:
    service.create(parse_request(request(name, **limits)))
    executor = SimulatedExecutor(train)
    service.run(name, executor=executor)
    return executor


def test_fifty_jobs_ten_at_a_time(service: TuningService) -> None:
    executor = run(service, "sim")
    tuning = service.get("sim")
    assert tuning.status == TuningJobStatus.COMPLETED
    jobs = service.training_jobs("sim")
    assert len(jobs) == 50 and all(j.status == TrainingJobStatus.COMPLETED for j in jobs)
    for job in jobs:
        x = float(job.tuned_hyperparameters["x"])
        assert job.final_objective_value == pytest.approx((x - 1) ** 2 + 1.0)
    # Never more than ten at once on the virtual clock.
    edges = sorted(
        [(j.start_time.timestamp(), 1) for j in jobs] + [(j.end_time.timestamp(), -1) for j in jobs]
    )
    running = peak = 0
    for _, delta in sorted(edges, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    assert peak == 10
    assert sum(executor.lines_emitted.values()) == 150


def test_same_seed_same_history(tmp_path: Path) -> None:
    results = []
    for i in range(2):
        svc = TuningService(Settings(home=tmp_path / f"home{i}"))
        run(svc, "again")
        results.append(
            [
                (j.tuned_hyperparameters["x"], j.final_objective_value)
                for j in svc.training_jobs("again")
            ]
        )
        svc.close()
    assert results[0] == results[1]


def test_job_longer_than_its_max_runtime_is_stopped(service: TuningService) -> None:
    def slow(hps: dict[str, str]) -> SimulatedRun:
        return epochs_run([1.0, 0.5, 0.25], "loss", seconds_per_epoch=40)

    run(service, "slow", train=slow, MaxNumberOfTrainingJobs=2, MaxParallelTrainingJobs=2)
    for job in service.training_jobs("slow"):
        assert job.status == TrainingJobStatus.STOPPED
        assert job.secondary_status == SecondaryStatus.MAX_RUNTIME_EXCEEDED
        assert job.final_objective_value == 0.5  # the last value printed before the stop


def test_tuning_job_runtime_budget_ends_it_completed(service: TuningService) -> None:
    run(service, "budget", MaxParallelTrainingJobs=2, MaxRuntimeInSeconds=150)
    tuning = service.get("budget")
    assert tuning.status == TuningJobStatus.COMPLETED
    assert "MaxRuntimeInSeconds (150 s)" in (tuning.completion_details or {}).get("Reason", "")
    jobs = service.training_jobs("budget")
    # Jobs last ~30 virtual seconds, two at a time: about ten fit in 150 seconds.
    assert 8 <= len(jobs) <= 12
    stopped = [j for j in jobs if j.status == TrainingJobStatus.STOPPED]
    assert len(stopped) <= 2


def _with_criteria(name: str, criteria: dict[str, Any], **limits: Any) -> dict[str, Any]:
    body = request(name, **limits)
    body["HyperParameterTuningJobConfig"]["TuningJobCompletionCriteria"] = criteria
    return body


def test_target_objective_value_completes_early(service: TuningService) -> None:
    service.create(
        parse_request(
            _with_criteria("target", {"TargetObjectiveMetricValue": 2.0}, MaxParallelTrainingJobs=1)
        )
    )
    service.run("target", executor=SimulatedExecutor(quadratic))
    jobs = service.training_jobs("target")
    values = [j.final_objective_value for j in jobs]
    assert len(jobs) < 50
    assert values[-1] <= 2.0 and all(v > 2.0 for v in values[:-1])
    described = service.describe("target")
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert "TargetObjectiveMetricValue 2.0" in described["TuningJobCompletionDetails"]["Reason"]


def test_best_objective_not_improving_completes_after_n_jobs(service: TuningService) -> None:
    def flat(hps: dict[str, str]) -> SimulatedRun:  # every job scores the same
        return epochs_run([5.0], "loss")

    service.create(
        parse_request(
            _with_criteria(
                "flat",
                {"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 4}},
                MaxParallelTrainingJobs=1,
            )
        )
    )
    service.run("flat", executor=SimulatedExecutor(flat))
    assert len(service.training_jobs("flat")) == 5  # the first sets the best, four more fail to
    details = service.describe("flat")["TuningJobCompletionDetails"]
    assert details["NumberOfTrainingJobsObjectiveNotImproving"] == 4
    assert "BestObjectiveNotImproving" in details["Reason"]


def test_convergence_detected(service: TuningService) -> None:
    counter = iter(range(1000))

    def saturating(hps: dict[str, str]) -> SimulatedRun:
        i = next(counter)
        return epochs_run([1.0 + 10.0 / (1 + i) if i < 8 else 2.2], "loss")

    service.create(
        parse_request(
            _with_criteria(
                "conv",
                {"ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}},
                MaxParallelTrainingJobs=1,
            )
        )
    )
    service.run("conv", executor=SimulatedExecutor(saturating))
    jobs = service.training_jobs("conv")
    assert 20 <= len(jobs) < 50
    details = service.describe("conv")["TuningJobCompletionDetails"]
    assert "ConvergenceDetectedTime" in details


def test_each_end_and_the_next_job_share_one_transaction(
    service: TuningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a quick strategy, the job that ends, its start and its line, and the job that
    takes its place are written in one commit: one commit per training job, not three."""
    from sqlalchemy import event

    from tunesmith.orchestrator import controller

    monkeypatch.setattr(controller, "EVENT_COALESCE_SECONDS", 60.0)  # no start written alone
    commits: list[int] = []
    event.listen(service.store._engine, "commit", lambda conn: commits.append(1))

    def printed_at_the_end(hps: dict[str, str]) -> SimulatedRun:
        return SimulatedRun(duration=10.0, lines=[(10.0, f"loss={float(hps['x']) ** 2}")])

    run(
        service,
        "onecommit",
        train=printed_at_the_end,
        MaxNumberOfTrainingJobs=12,
        MaxParallelTrainingJobs=1,
    )
    jobs = service.training_jobs("onecommit")
    assert len(jobs) == 12 and all(j.status == TrainingJobStatus.COMPLETED for j in jobs)
    assert all(j.start_time is not None for j in jobs)
    # 12 commits for 12 ends (each with the next create), the first create, and a few for the
    # tuning job itself (lease, status, result): 19. Writing starts, ends and creates each in
    # their own transaction took 42.
    assert len(commits) <= 12 + 8, len(commits)
