"""The canonical spec: SageMaker's rules, errors that name the field, and the friendly form."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tunesmith.domain.enums import ScalingType, Strategy
from tunesmith.domain.parse import load_document, parse_request, parse_spec
from tunesmith.domain.support import check_supported
from tunesmith.errors import NotYetSupportedError, SpecValidationError

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def base_request() -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": "demo",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "0.0001", "MaxValue": "0.1"}
                ],
                "IntegerParameterRanges": [{"Name": "depth", "MinValue": "1", "MaxValue": "8"}],
                "CategoricalParameterRanges": [{"Name": "act", "Values": ["relu", "tanh"]}],
            },
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"sagemaker_program": "train.py", "epochs": "3"},
            "AlgorithmSpecification": {
                "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9.eE+-]+)"}]
            },
        },
    }


def problems_of(request: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecValidationError) as info:
        parse_request(request)
    return [(p.path, p.rule) for p in info.value.problems]


def test_valid_request_parses_and_echoes_pascal_case() -> None:
    spec = parse_request(base_request())
    assert spec.hyper_parameter_tuning_job_config.strategy == Strategy.RANDOM
    echoed = spec.to_request()
    assert echoed["HyperParameterTuningJobConfig"]["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": 4,
        "MaxParallelTrainingJobs": 2,
    }
    assert parse_request(echoed) == spec


def test_typo_in_a_field_name_is_named_with_a_suggestion() -> None:
    request = base_request()
    limits = request["HyperParameterTuningJobConfig"]["ResourceLimits"]
    limits["MaxParalelTrainingJobs"] = limits.pop("MaxParallelTrainingJobs")
    found = problems_of(request)
    paths = [p for p, _ in found]
    assert "HyperParameterTuningJobConfig.ResourceLimits.MaxParalelTrainingJobs" in paths
    assert any("did you mean 'MaxParallelTrainingJobs'" in r for _, r in found)


def test_wrong_type_and_out_of_range_values() -> None:
    request = base_request()
    request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"] = 0
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["ContinuousParameterRanges"][0]["MinValue"] = 0.0001  # a number, not a string
    found = dict(problems_of(request))
    assert (
        "greater than or equal to 1"
        in found["HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs"]
    )
    key = "HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue"
    assert "string" in found[key]


def test_error_message_names_path_value_and_rule() -> None:
    request = base_request()
    request["HyperParameterTuningJobName"] = "bad_name!"
    with pytest.raises(SpecValidationError) as info:
        parse_request(request)
    message = str(info.value)
    assert "Value 'bad_name!' at 'HyperParameterTuningJobName' failed to satisfy constraint" in (
        message
    )


@pytest.mark.parametrize(
    ("regex", "fragment"),
    [
        ("loss=[0-9.]+", "exactly one capture group"),
        ("loss=(\\d+)(x)", "found 2"),
        ("loss=([0-9", "valid regular expression"),
    ],
)
def test_metric_regex_rules(regex: str, fragment: str) -> None:
    request = base_request()
    algorithm = request["TrainingJobDefinition"]["AlgorithmSpecification"]
    algorithm["MetricDefinitions"][0]["Regex"] = regex
    found = dict(problems_of(request))
    assert (
        fragment in found["TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions[0].Regex"]
    )


def test_objective_must_be_a_defined_metric() -> None:
    request = base_request()
    request["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["MetricName"] = (
        "val_loss"
    )
    found = dict(problems_of(request))
    rule = found["HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName"]
    assert "A metric is required for this hyperparameter tuning job objective" in rule
    assert "'loss'" in rule


def test_scaling_rules() -> None:
    request = base_request()
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["ContinuousParameterRanges"][0].update(MinValue="0", ScalingType="Logarithmic")
    ranges["IntegerParameterRanges"][0]["ScalingType"] = "ReverseLogarithmic"
    ranges["ContinuousParameterRanges"].append(
        {
            "Name": "momentum",
            "MinValue": "0.5",
            "MaxValue": "1.0",
            "ScalingType": "ReverseLogarithmic",
        }
    )
    found = problems_of(request)
    rules = " | ".join(r for _, r in found)
    assert "Logarithmic scaling needs a range entirely greater than 0" in rules
    assert "ReverseLogarithmic scaling is only allowed for continuous ranges" in rules
    assert "within 0 <= x < 1.0" in rules


def test_min_above_max_and_non_numeric_bounds() -> None:
    request = base_request()
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["IntegerParameterRanges"][0].update(MinValue="9", MaxValue="2")
    ranges["ContinuousParameterRanges"][0]["MaxValue"] = "lots"
    found = dict(problems_of(request))
    assert (
        "MaxValue must be >= MinValue"
        in found["HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MaxValue"]
    )
    assert (
        "a number"
        in found[
            "HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MaxValue"
        ]
    )


def test_grid_accepts_only_categorical_and_checks_job_count() -> None:
    request = base_request()
    config = request["HyperParameterTuningJobConfig"]
    config["Strategy"] = "Grid"
    rules = " | ".join(r for _, r in problems_of(request))
    assert "Grid search supports only CategoricalParameterRanges" in rules

    config["ParameterRanges"] = {
        "CategoricalParameterRanges": [
            {"Name": "a", "Values": ["1", "2", "3"]},
            {"Name": "b", "Values": ["x", "y"]},
        ]
    }
    config["ResourceLimits"]["MaxNumberOfTrainingJobs"] = 5
    found = dict(problems_of(request))
    assert "(6)" in found["HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs"]
    del config["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    parse_request(request)  # Grid infers the job count


def test_grid_limit_of_750_combinations() -> None:
    request = base_request()
    config = request["HyperParameterTuningJobConfig"]
    config["Strategy"] = "Grid"
    del config["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    values = [str(i) for i in range(10)]
    config["ParameterRanges"] = {
        "CategoricalParameterRanges": [{"Name": n, "Values": values} for n in "abc"]
    }
    rules = " | ".join(r for _, r in problems_of(request))
    assert "at most 750 combinations" in rules


def test_random_needs_max_jobs_and_hyperband_rules() -> None:
    request = base_request()
    del request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    assert any("Required for the Random strategy" in r for _, r in problems_of(request))

    request = base_request()
    config = request["HyperParameterTuningJobConfig"]
    config["StrategyConfig"] = {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 9}}
    assert any("only allowed with Hyperband" in r for _, r in problems_of(request))

    config["Strategy"] = "Hyperband"
    config["TrainingJobEarlyStoppingType"] = "Auto"
    assert any("Must be Off with the Hyperband strategy" in r for _, r in problems_of(request))


def test_static_and_tuned_overlap_and_limits() -> None:
    request = base_request()
    request["TrainingJobDefinition"]["StaticHyperParameters"]["lr"] = "0.1"
    assert any("both static and tuned" in r for _, r in problems_of(request))

    request = base_request()
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["CategoricalParameterRanges"] = [{"Name": f"p{i}", "Values": ["a"]} for i in range(29)]
    assert any("At most 30 tunable" in r for _, r in problems_of(request))


def test_nothing_to_run_and_s3_inputs_are_rejected() -> None:
    request = base_request()
    request["TrainingJobDefinition"]["StaticHyperParameters"] = {}
    request["TrainingJobDefinition"]["InputDataConfig"] = [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://bucket/x"}}}
    ]
    rules = " | ".join(r for _, r in problems_of(request))
    assert "Nothing to run" in rules
    assert "S3 is not reachable" in rules


def test_unsupported_features_are_named() -> None:
    request = base_request()
    request["HyperParameterTuningJobConfig"]["Strategy"] = "Bayesian"
    request["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe"
    request["TrainingJobDefinition"]["ResourceConfig"] = {"InstanceCount": 2}
    spec = parse_request(request)
    with pytest.raises(NotYetSupportedError) as info:
        check_supported(spec, {Strategy.RANDOM})
    paths = {p.path for p in info.value.problems}
    assert paths == {
        "HyperParameterTuningJobConfig.Strategy",
        "TrainingJobDefinition.AlgorithmSpecification.TrainingInputMode",
        "TrainingJobDefinition.ResourceConfig.InstanceCount",
    }


def test_grid_cannot_warm_start() -> None:
    request = base_request()
    config = request["HyperParameterTuningJobConfig"]
    config["Strategy"] = "Grid"
    del config["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    config["ParameterRanges"] = {"CategoricalParameterRanges": [{"Name": "a", "Values": ["1"]}]}
    request["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "parent"}],
        "WarmStartType": "TransferLearning",
    }
    with pytest.raises(NotYetSupportedError, match="not Grid"):
        check_supported(parse_request(request), {Strategy.GRID})


def test_local_paths_resolve_against_the_spec_folder(tmp_path: Path) -> None:
    request = base_request()
    request["TrainingJobDefinition"]["StaticHyperParameters"]["sagemaker_submit_directory"] = "src"
    request["TrainingJobDefinition"]["InputDataConfig"] = [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "file://data/train"}}},
        {"ChannelName": "test", "DataSource": {"FileSystemDataSource": {"DirectoryPath": "/abs"}}},
    ]
    spec = parse_request(request, base_dir=tmp_path)
    static = spec.definition.static_hyper_parameters
    assert static["sagemaker_submit_directory"] == str(tmp_path / "src")
    channels = spec.definition.input_data_config or []
    assert channels[0].data_source.s3_data_source.s3_uri == str(tmp_path / "data" / "train")
    assert channels[1].data_source.file_system_data_source.directory_path == "/abs"


def test_friendly_and_pascal_quickstart_give_the_same_spec() -> None:
    friendly = load_document((QUICKSTART / "tuning.yaml").read_text())
    pascal = json.loads((QUICKSTART / "request.json").read_text())
    a = parse_spec(friendly, base_dir=QUICKSTART)
    b = parse_spec(pascal, base_dir=QUICKSTART)
    assert a == b
    ranges = a.ranges
    assert ranges.continuous_parameter_ranges[0].scaling_type == ScalingType.LOGARITHMIC
    assert a.definition.static_hyper_parameters["epochs"] == "10"


def test_friendly_errors_use_friendly_names() -> None:
    document = yaml.safe_load((QUICKSTART / "tuning.yaml").read_text())
    bad = copy.deepcopy(document)
    bad["max_jobs"] = 0
    with pytest.raises(SpecValidationError) as info:
        parse_spec(bad)
    assert {p.path for p in info.value.problems} == {"max_jobs"}

    bad = copy.deepcopy(document)
    bad["hyperparameter_ranges"]["alpha"]["min_value"] = -1
    with pytest.raises(SpecValidationError) as info:
        parse_spec(bad)
    assert {p.path for p in info.value.problems} == {"hyperparameter_ranges.alpha.scaling_type"}

    typo = copy.deepcopy(document)
    typo["max_parallel_job"] = 2
    with pytest.raises(SpecValidationError) as info:
        parse_spec(typo)
    assert any(
        p.path == "max_parallel_job" and "max_parallel_jobs" in p.rule for p in info.value.problems
    )


def test_unparseable_document() -> None:
    with pytest.raises(SpecValidationError, match="line 2"):
        load_document("a: [1, 2\nb: }", source="spec.yaml")
    with pytest.raises(SpecValidationError, match="mapping"):
        load_document("- just\n- a list\n")
