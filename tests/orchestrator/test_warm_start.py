"""Warm start: SageMaker's rules, fingerprints of code and data, OverallBestTrainingJob."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tunesmith.domain.parse import parse_request
from tunesmith.errors import SpecValidationError
from tunesmith.execution.simulated import SimulatedExecutor, SimulatedRun, epochs_run
from tunesmith.orchestrator.service import TuningService
from tunesmith.orchestrator.strategy_factory import WithPriorTrials
from tunesmith.orchestrator.warm_start import load_prior
from tunesmith.settings import Settings
from tunesmith.space import SearchSpace


def request(name: str, data: Path, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "RandomSeed": 1,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 6, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "x", "MinValue": "-5", "MaxValue": "5"}],
                "CategoricalParameterRanges": [{"Name": "opt", "Values": ["a", "b"]}],
            },
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"epochs": "3", "color": "red"},
            "AlgorithmSpecification": {
                "ContainerEntrypoint": ["simulated"],
                "MetricDefinitions": [{"Name": "loss", "Regex": r"loss=(\S+)"}],
            },
            "InputDataConfig": [
                {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": str(data)}}}
            ],
        },
    }
    body.update(extra)
    return body


def warm(kind: str, *parents: str) -> dict[str, Any]:
    return {
        "WarmStartConfig": {
            "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": p} for p in parents],
            "WarmStartType": kind,
        }
    }


def quadratic(hps: dict[str, str]) -> SimulatedRun:
    return epochs_run([(float(hps["x"]) - 1) ** 2], "loss")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "train.csv").write_text("a,b\n1,2\n")
    return folder


@pytest.fixture
def service(tmp_path: Path) -> TuningService:
    svc = TuningService(Settings(home=tmp_path / "home"))
    yield svc
    svc.close()


def run(service: TuningService, body: dict[str, Any], **create: Any) -> None:
    service.create(parse_request(body), **create)
    service.run(body["HyperParameterTuningJobName"], executor=SimulatedExecutor(quadratic))


def rules_broken(service: TuningService, body: dict[str, Any]) -> str:
    with pytest.raises(SpecValidationError) as info:
        service.create(parse_request(body))
    return str(info.value)


def test_identical_warm_start_spans_parents(service: TuningService, data: Path) -> None:
    run(service, request("parent", data))
    child = request("child", data, **warm("IdenticalDataAndAlgorithm", "parent"))
    child["HyperParameterTuningJobConfig"]["RandomSeed"] = 2
    run(service, child)
    described = service.describe("child")
    parents = {j.name: j for j in service.training_jobs("parent")}
    best_parent = min(parents.values(), key=lambda j: j.final_objective_value)
    best_child = min(service.training_jobs("child"), key=lambda j: j.final_objective_value)
    overall = described["OverallBestTrainingJob"]
    expected = min(best_parent, best_child, key=lambda j: j.final_objective_value)
    assert overall["TrainingJobName"] == expected.name
    assert overall["TuningJobName"] == expected.tuning_job_name
    assert described["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"


def test_prior_maps_parent_jobs_onto_the_child_space(service: TuningService, data: Path) -> None:
    run(service, request("parent", data))
    body = request("child", data, **warm("TransferLearning", "parent"))
    ranges = body["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["ContinuousParameterRanges"][0].update(MinValue="0", MaxValue="5")  # narrower
    spec = parse_request(body)
    prior = load_prior(spec, service.store, SearchSpace.from_ranges(spec.ranges))
    parent_jobs = service.training_jobs("parent")
    inside = [j for j in parent_jobs if float(j.tuned_hyperparameters["x"]) >= 0]
    assert len(prior.trials) == len(inside)
    assert {t.objective for t in prior.trials} == {j.final_objective_value for j in inside}


def test_changed_data_refuses_identical_but_not_transfer(
    service: TuningService, data: Path
) -> None:
    run(service, request("parent", data))
    (data / "train.csv").write_text("a,b\n1,2\n3,4\n")
    message = rules_broken(
        service, request("child", data, **warm("IdenticalDataAndAlgorithm", "parent"))
    )
    assert "training data changed since parent 'parent' ran" in message
    warnings: list[str] = []
    service.create(
        parse_request(request("accepted", data, **warm("IdenticalDataAndAlgorithm", "parent"))),
        accept_changed_parents=True,
        on_warning=warnings.append,
    )
    assert warnings and "training data changed" in warnings[0]
    service.create(parse_request(request("moved", data, **warm("TransferLearning", "parent"))))


def test_changed_code_refuses_identical(service: TuningService, data: Path) -> None:
    run(service, request("parent", data))
    body = request("child", data, **warm("IdenticalDataAndAlgorithm", "parent"))
    body["TrainingJobDefinition"]["AlgorithmSpecification"]["ContainerEntrypoint"] = ["other"]
    assert "training code changed" in rules_broken(service, body)


def test_warm_start_rules(service: TuningService, data: Path) -> None:
    run(service, request("parent", data))
    child = request("child", data, **warm("TransferLearning", "parent"))

    missing = copy.deepcopy(child)
    missing["WarmStartConfig"]["ParentHyperParameterTuningJobs"].append(
        {"HyperParameterTuningJobName": "nope"}
    )
    assert "Could not find hyper parameter tuning job 'nope'" in rules_broken(service, missing)

    objective = copy.deepcopy(child)
    config = objective["HyperParameterTuningJobConfig"]
    config["HyperParameterTuningJobObjective"]["MetricName"] = "acc"
    objective["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"].append(
        {"Name": "acc", "Regex": r"acc=(\S+)"}
    )
    assert "needs the same objective metric" in rules_broken(service, objective)

    retyped = copy.deepcopy(child)
    ranges = retyped["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["IntegerParameterRanges"] = [{"Name": "x", "MinValue": "-5", "MaxValue": "5"}]
    del ranges["ContinuousParameterRanges"]
    assert "was continuous in the parent and is integer here" in rules_broken(service, retyped)

    counted = copy.deepcopy(child)
    counted["TrainingJobDefinition"]["StaticHyperParameters"]["extra"] = "1"
    assert "must not change (4 in the parent, 5 here)" in rules_broken(service, counted)

    budget = copy.deepcopy(child)
    static = budget["TrainingJobDefinition"]["StaticHyperParameters"]
    static.update(epochs="4", color="blue")  # 2 + 2 changes
    budget["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"] = []
    static["opt"] = "a"  # tuned (2 values) -> static: 2 changes; 6 in all is allowed
    service.create(parse_request(budget))

    running = request("running", data)
    service.create(parse_request(running))
    late = request("late", data, **warm("TransferLearning", "running"))
    assert "it is InProgress" in rules_broken(service, late)


def test_bayesian_sees_the_prior(service: TuningService, data: Path) -> None:
    pytest.importorskip("tunesmith.strategies.bayesian", reason="Bayesian strategy not built")
    from tunesmith.orchestrator.strategy_factory import make_strategy

    run(service, request("parent", data))
    body = request("child", data, **warm("IdenticalDataAndAlgorithm", "parent"))
    body["HyperParameterTuningJobConfig"]["Strategy"] = "Bayesian"
    spec = parse_request(body)
    space = SearchSpace.from_ranges(spec.ranges)
    strategy = make_strategy(spec, space, prior=load_prior(spec, service.store, space))
    assert isinstance(strategy, WithPriorTrials)
    assert len(strategy.prior) == 6


def test_transfer_learning_hands_off_to_the_child_s_own_results() -> None:
    from tunesmith.strategies.base import Trial, TrialState

    seen: list[int] = []

    class Recorder:
        def suggest(self, n: int, history: list[Trial]) -> list[dict]:
            seen.append(len(history))
            return [{"x": 0.0}] * n

    prior = [Trial({"x": float(i)}, TrialState.COMPLETED, float(i)) for i in range(30)]
    own = [Trial({"x": 0.5}, TrialState.COMPLETED, 1.0) for _ in range(5)]
    transfer = WithPriorTrials(Recorder(), prior, handoff=5)
    transfer.suggest(1, own[:4])  # 4 own results: the parents still inform the model
    transfer.suggest(1, own)  # 5: the child's own data alone
    identical = WithPriorTrials(Recorder(), prior)
    identical.suggest(1, own)
    assert seen == [34, 5, 35]
