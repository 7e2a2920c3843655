"""The SDK surface, table-driven: defaults, request shapes and errors as in the SageMaker SDK."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from tunesmith.domain.spec import TUNING_JOB_NAME_PATTERN
from tunesmith.errors import NotYetSupportedError, SpecValidationError
from tunesmith.sdk import (
    CategoricalParameter,
    ContinuousParameter,
    Estimator,
    HyperbandStrategyConfig,
    HyperparameterTuner,
    IntegerParameter,
    StrategyConfig,
    TuningJobCompletionCriteriaConfig,
    UnexpectedStatusException,
    WarmStartConfig,
    WarmStartTypes,
)
from tunesmith.sdk.parameter import ranges_from_request
from tunesmith.sdk.tuner import name_from_base

from .conftest import LOSS, make_tuner


def _estimator(**kwargs: Any) -> Estimator:
    return Estimator(entry_point="train.py", **kwargs)


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [
        (
            ContinuousParameter(0.01, 0.2),
            {"Name": "p", "MinValue": "0.01", "MaxValue": "0.2", "ScalingType": "Auto"},
        ),
        (
            ContinuousParameter(1e-6, 1e-1, scaling_type="Logarithmic"),
            {"Name": "p", "MinValue": "1e-06", "MaxValue": "0.1", "ScalingType": "Logarithmic"},
        ),
        (
            IntegerParameter(1, 10, "Linear"),
            {"Name": "p", "MinValue": "1", "MaxValue": "10", "ScalingType": "Linear"},
        ),
        (
            ContinuousParameter(0.9, 0.999, "ReverseLogarithmic"),
            {
                "Name": "p",
                "MinValue": "0.9",
                "MaxValue": "0.999",
                "ScalingType": "ReverseLogarithmic",
            },
        ),
        (CategoricalParameter(["a", "b"]), {"Name": "p", "Values": ["a", "b"]}),
        (CategoricalParameter([1, 2.5, True]), {"Name": "p", "Values": ["1", "2.5", "True"]}),
        (CategoricalParameter("only"), {"Name": "p", "Values": ["only"]}),
    ],
)
def test_as_tuning_range(parameter: Any, expected: dict[str, Any]) -> None:
    assert parameter.as_tuning_range("p") == expected


@pytest.mark.parametrize(
    ("parameter", "value", "cast", "valid"),
    [
        (ContinuousParameter(0, 1), "0.5", 0.5, True),
        (IntegerParameter(1, 4), "3", 3, True),
        (IntegerParameter(1, 4), 7, 7, False),
        (CategoricalParameter(["a"]), 1, "1", False),
    ],
)
def test_cast_and_is_valid(parameter: Any, value: Any, cast: Any, valid: bool) -> None:
    assert parameter.cast_to_type(value) == cast
    assert parameter.is_valid(cast) is valid


def test_categorical_json_range() -> None:
    assert CategoricalParameter(["a", 1]).as_json_range("p") == {
        "Name": "p",
        "Values": ['"a"', '"1"'],
    }


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("instance_count", 1),
        ("instance_type", "local"),
        ("max_run", 86400),
        ("environment", {}),
        ("use_spot_instances", False),
        ("input_mode", "File"),
        ("max_wait", None),
        ("model_data", None),
        ("metric_definitions", None),
    ],
)
def test_estimator_defaults(attribute: str, expected: Any) -> None:
    assert getattr(_estimator(), attribute) == expected


def test_estimator_hyperparameters() -> None:
    estimator = _estimator(hyperparameters={"epochs": 10})
    estimator.set_hyperparameters(lr=0.1, epochs=5)
    assert estimator.hyperparameters() == {"epochs": 5, "lr": 0.1}


def test_estimator_needs_a_script_or_command() -> None:
    with pytest.raises(Exception, match="entry_point"):
        Estimator()
    assert Estimator(container_entry_point=["bash", "run.sh"]).container_entry_point == [
        "bash",
        "run.sh",
    ]


@pytest.mark.parametrize("name", ["sagemaker_session", "base_job_name", "subnets", "py_version"])
def test_sagemaker_only_arguments_are_ignored_with_a_warning(name: str) -> None:
    with pytest.warns(UserWarning, match=name):
        _estimator(**{name: object()})


def test_unknown_argument_is_a_type_error_with_a_hint() -> None:
    with pytest.raises(TypeError, match="did you mean 'hyperparameters'"):
        _estimator(hyperparamters={"a": 1})


def test_arguments_with_a_local_meaning_give_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator = _estimator(volume_size=30, checkpoint_s3_uri="file://ckpt")
    assert estimator.volume_size == 30


@pytest.mark.parametrize(
    ("entry_point", "source_dir", "expected"),
    [
        ("train.py", None, ("train.py", None)),
        ("src/train.py", None, ("train.py", "src")),
        ("train.py", "src", ("train.py", "src")),
    ],
)
def test_script_location(entry_point: str, source_dir: str | None, expected: tuple) -> None:
    estimator = Estimator(entry_point=entry_point, source_dir=source_dir)
    assert estimator.script_location() == expected


@pytest.mark.parametrize(
    ("kwargs", "attribute", "expected"),
    [
        ({}, "strategy", "Bayesian"),
        ({}, "objective_type", "Maximize"),
        ({}, "max_jobs", 1),
        ({"strategy": "Random"}, "max_jobs", 1),
        ({"strategy": "Grid"}, "max_jobs", None),
        ({"max_jobs": 7}, "max_jobs", 7),
        ({}, "max_parallel_jobs", 1),
        ({}, "max_runtime_in_seconds", None),
        ({}, "early_stopping_type", "Off"),
        ({}, "random_seed", None),
        ({}, "metric_definitions", None),
        ({}, "warm_start_config", None),
        ({}, "latest_tuning_job", None),
        ({}, "TUNING_JOB_NAME_MAX_LENGTH", 32),
    ],
)
def test_tuner_defaults(kwargs: dict[str, Any], attribute: str, expected: Any) -> None:
    tuner = HyperparameterTuner(
        _estimator(), "loss", {"x": CategoricalParameter(["1", "2"])}, **kwargs
    )
    assert getattr(tuner, attribute) == expected


def test_tuner_hyperparameter_ranges() -> None:
    tuner = HyperparameterTuner(
        _estimator(),
        "loss",
        {
            "a": ContinuousParameter(0, 1),
            "b": IntegerParameter(1, 3),
            "c": CategoricalParameter(["x"]),
        },
    )
    assert tuner.hyperparameter_ranges() == {
        "ContinuousParameterRanges": [
            {"Name": "a", "MinValue": "0", "MaxValue": "1", "ScalingType": "Auto"}
        ],
        "IntegerParameterRanges": [
            {"Name": "b", "MinValue": "1", "MaxValue": "3", "ScalingType": "Auto"}
        ],
        "CategoricalParameterRanges": [{"Name": "c", "Values": ["x"]}],
    }


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ({"hyperparameter_ranges": {}}, ValueError, "hyperparameter ranges"),
        ({"hyperparameter_ranges": {"x": (0, 1)}}, TypeError, "ContinuousParameter"),
        ({"estimator": object()}, TypeError, "change the import"),
    ],
)
def test_tuner_argument_errors(args: dict[str, Any], error: type, match: str) -> None:
    base: dict[str, Any] = {
        "estimator": _estimator(),
        "objective_metric_name": "loss",
        "hyperparameter_ranges": {"x": ContinuousParameter(0, 1)},
    }
    base.update(args)
    with pytest.raises(error, match=match):
        HyperparameterTuner(**base)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            WarmStartConfig(WarmStartTypes.TRANSFER_LEARNING, {"b", "a"}),
            {
                "WarmStartType": "TransferLearning",
                "ParentHyperParameterTuningJobs": [
                    {"HyperParameterTuningJobName": "a"},
                    {"HyperParameterTuningJobName": "b"},
                ],
            },
        ),
        (
            WarmStartConfig(WarmStartTypes.IDENTICAL_DATA_AND_ALGORITHM, {"p"}),
            {
                "WarmStartType": "IdenticalDataAndAlgorithm",
                "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "p"}],
            },
        ),
        (
            StrategyConfig(HyperbandStrategyConfig(max_resource=30, min_resource=1)),
            {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 30}},
        ),
        (HyperbandStrategyConfig(10, 2), {"MinResource": 2, "MaxResource": 10}),
        (
            TuningJobCompletionCriteriaConfig(
                max_number_of_training_jobs_not_improving=5,
                complete_on_convergence=True,
                target_objective_metric_value=0.95,
            ),
            {
                "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 5},
                "TargetObjectiveMetricValue": 0.95,
                "ConvergenceDetected": {"CompleteOnConvergence": "Enabled"},
            },
        ),
        (
            TuningJobCompletionCriteriaConfig(complete_on_convergence=False),
            {"ConvergenceDetected": {"CompleteOnConvergence": "Disabled"}},
        ),
        (TuningJobCompletionCriteriaConfig(), {}),
    ],
)
def test_config_to_input_req(config: Any, expected: dict[str, Any]) -> None:
    assert config.to_input_req() == expected
    restored = type(config).from_job_desc(expected) if expected else None
    if restored is not None:
        assert restored.to_input_req() == expected


@pytest.mark.parametrize(
    ("kind", "parents", "match"),
    [("Nonsense", {"p"}, "Invalid type"), (WarmStartTypes.TRANSFER_LEARNING, set(), "parents")],
)
def test_warm_start_config_errors(kind: Any, parents: set[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WarmStartConfig(kind, parents)


def test_warm_start_types_values() -> None:
    assert WarmStartTypes.IDENTICAL_DATA_AND_ALGORITHM.value == "IdenticalDataAndAlgorithm"
    assert WarmStartTypes.TRANSFER_LEARNING.value == "TransferLearning"
    assert WarmStartConfig("TransferLearning", ["p"]).type is WarmStartTypes.TRANSFER_LEARNING


def test_unexpected_status_exception_is_a_value_error() -> None:
    exc = UnexpectedStatusException("m", ["Completed", "Stopped"], "Failed")
    assert isinstance(exc, ValueError)
    assert exc.actual_status == "Failed"


@pytest.mark.parametrize(
    "base",
    ["train", "a-very-long-base-name-that-goes-on-and-on", "my_script.v2", "--x--", "___"],
)
def test_default_names_fit_sagemaker_rules(base: str) -> None:
    name = name_from_base(base)
    assert len(name) <= 32
    assert re.match(TUNING_JOB_NAME_PATTERN, name), name


def test_default_job_name_comes_from_the_script(workdir: Path) -> None:
    tuner = make_tuner(workdir)
    assert tuner.validate().hyper_parameter_tuning_job_name.startswith("train-")
    tuner.base_tuning_job_name = "my-base"
    assert tuner.validate().hyper_parameter_tuning_job_name.startswith("my-base-")


def test_friendly_spec_drops_tuned_names_from_static_hyperparameters(workdir: Path) -> None:
    tuner = make_tuner(workdir, estimator={"hyperparameters": {"epochs": 3, "x": 0.5}})
    spec = tuner.validate(job_name="t")
    static = spec.definition.static_hyper_parameters
    assert "x" not in static and static["epochs"] == "3"
    assert static["sagemaker_program"] == "train.py"
    assert static["sagemaker_submit_directory"] == str((workdir / "src").resolve())


def test_metric_definitions_default_to_the_estimators(workdir: Path) -> None:
    tuner = make_tuner(workdir)
    spec = tuner.validate(job_name="t")
    regexes = spec.definition.algorithm_specification.metric_definitions
    assert [(m.name, m.regex) for m in regexes] == [(d["Name"], d["Regex"]) for d in LOSS]
    tuner.metric_definitions = [{"Name": "loss", "Regex": "L=(.*)"}]
    regexes = tuner.validate(job_name="t").definition.algorithm_specification.metric_definitions
    assert regexes[0].regex == "L=(.*)"


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ("data", {"training": "data"}),
        ({"train": "data", "test": "file://other"}, {"train": "data", "test": "other"}),
    ],
)
def test_inputs_resolve_against_the_current_directory(
    workdir: Path, inputs: Any, expected: dict[str, str]
) -> None:
    (workdir / "data").mkdir()
    spec = make_tuner(workdir).validate(inputs, job_name="t")
    channels = {
        c.channel_name: c.data_source.s3_data_source.s3_uri
        for c in spec.definition.input_data_config
    }
    assert channels == {k: str((workdir / v).resolve()) for k, v in expected.items()}


@pytest.mark.parametrize(
    ("overrides", "error", "path"),
    [
        ({"objective_metric_name": "accuracy"}, SpecValidationError, "objective_metric_name"),
        ({"max_parallel_jobs": 0}, SpecValidationError, "max_parallel_jobs"),
        (
            {"strategy": "Hyperband", "estimator": {"hyperparameters": {}}},
            SpecValidationError,
            "MaxResource",
        ),
        (
            {"strategy": "Hyperband", "early_stopping_type": "Auto"},
            SpecValidationError,
            "Must be Off with the Hyperband strategy",
        ),
        ({"autotune": True}, NotYetSupportedError, "Autotune"),
    ],
)
def test_validation_errors_before_anything_runs(
    workdir: Path, overrides: dict[str, Any], error: type, path: str
) -> None:
    with pytest.raises(error, match=path):
        make_tuner(workdir, **overrides).fit(job_name="t")
    assert not (workdir / "home" / "jobs" / "t").exists()


def test_warm_start_tuners_copy_the_tuner_with_a_config(workdir: Path) -> None:
    tuner = make_tuner(workdir)
    with pytest.raises(ValueError, match="No tuning job available"):
        tuner.transfer_learning_tuner()
    tuner.latest_tuning_job = type("Job", (), {"name": "parent"})()  # as after fit()
    other = Estimator(entry_point="other.py")
    child = tuner.transfer_learning_tuner(additional_parents={"p2"}, estimator=other)
    assert child.warm_start_config is not None
    assert child.warm_start_config.type is WarmStartTypes.TRANSFER_LEARNING
    assert child.warm_start_config.parents == {"parent", "p2"}
    assert child.estimator is other
    assert child.max_jobs == tuner.max_jobs and child.random_seed == tuner.random_seed
    same = tuner.identical_dataset_and_algorithm_tuner()
    assert same.warm_start_config.to_input_req() == {
        "WarmStartType": "IdenticalDataAndAlgorithm",
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "parent"}],
    }
    assert same.estimator is tuner.estimator
    assert child.friendly_spec()["warm_start_config"] == {
        "warm_start_type": "TransferLearning",
        "parents": ["p2", "parent"],
    }
    # The parent must exist in the store: the warm-start rules say so before anything runs.
    with pytest.raises(SpecValidationError, match="Could not find hyper parameter tuning job"):
        same.fit(job_name="child")


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        (
            {"ContinuousParameterRanges": [{"Name": "a", "MinValue": "-5", "MaxValue": "0.10"}]},
            ContinuousParameter(-5, "0.10", "Auto"),
        ),
        (
            {
                "IntegerParameterRanges": [
                    {"Name": "a", "MinValue": "1", "MaxValue": "9", "ScalingType": "Linear"}
                ]
            },
            IntegerParameter(1, 9, "Linear"),
        ),
        (
            {"CategoricalParameterRanges": [{"Name": "a", "Values": ["x"]}]},
            CategoricalParameter("x"),
        ),
    ],
)
def test_ranges_from_request_round_trip(ranges: dict[str, Any], expected: Any) -> None:
    parsed = ranges_from_request(ranges)
    assert parsed == {"a": expected}
    entry = next(iter(ranges.values()))[0]
    if "MinValue" in entry:
        entry = {"ScalingType": "Auto", **entry}
    assert parsed["a"].as_tuning_range("a") == entry
