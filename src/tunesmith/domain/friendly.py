"""The friendly snake_case spec: the SageMaker Python SDK's argument names, compiled to the
canonical PascalCase request.

Example::

    tuning_job_name: quickstart
    strategy: Random
    objective_metric_name: validation:accuracy
    objective_type: Maximize
    max_jobs: 12
    max_parallel_jobs: 2
    metric_definitions:
      - {Name: "validation:accuracy", Regex: "validation:accuracy=([0-9.]+)"}
    hyperparameter_ranges:
      alpha: {type: continuous, min_value: 1.0e-6, max_value: 1.0e-1, scaling_type: Logarithmic}
      loss: {type: categorical, values: [hinge, log_loss]}
    estimator:
      entry_point: train.py
      source_dir: .
      hyperparameters: {epochs: 10}
      max_run: 600
    inputs:
      train: ./data
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tunesmith.errors import FieldProblem, SpecValidationError


class _Friendly(BaseModel):
    model_config = ConfigDict(extra="forbid")


Number = int | float | str


class FriendlyRange(_Friendly):
    type: Literal["continuous", "integer", "categorical"]
    min_value: Number | None = None
    max_value: Number | None = None
    scaling_type: str = "Auto"
    values: list[Number | bool] | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        aliases = {
            "continuousparameter": "continuous",
            "integerparameter": "integer",
            "categoricalparameter": "categorical",
        }
        if isinstance(value, str):
            lowered = value.lower()
            return aliases.get(lowered, lowered)
        return value


class FriendlyMetric(_Friendly):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(alias="Name")
    regex: str = Field(alias="Regex")

    @classmethod
    def coerce(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].upper() + k[1:]: v for k, v in value.items()}
        return value


class FriendlyChannel(_Friendly):
    path: str
    content_type: str | None = None
    input_mode: Literal["File", "FastFile", "Pipe"] | None = None
    compression: Literal["None", "Gzip"] | None = None
    distribution: Literal["FullyReplicated", "ShardedByS3Key"] | None = None


class FriendlyEstimator(_Friendly):
    entry_point: str | None = None
    source_dir: str | None = None
    hyperparameters: dict[str, Any] = {}
    metric_definitions: list[dict[str, Any]] | None = None
    container_entry_point: list[str] | None = None
    container_arguments: list[str] | None = None
    image_uri: str | None = None
    role: str | None = None
    instance_type: str | None = None
    instance_count: int = 1
    volume_size: int | None = None
    max_run: int | None = None
    max_wait: int | None = None
    use_spot_instances: bool | None = None
    environment: dict[str, str] = {}
    checkpoint_local_path: str | None = None
    checkpoint_s3_uri: str | None = None
    output_path: str | None = None
    max_retry_attempts: int | None = None
    input_mode: Literal["File", "FastFile", "Pipe"] | None = None


class FriendlyCompletion(_Friendly):
    max_number_of_training_jobs_not_improving: int | None = None
    complete_on_convergence: bool | str | None = None
    target_objective_metric_value: float | None = None


class FriendlyHyperband(_Friendly):
    min_resource: int | None = None
    max_resource: int | None = None


class FriendlyWarmStart(_Friendly):
    warm_start_type: str
    parents: list[str]


class FriendlySpec(_Friendly):
    tuning_job_name: str | None = None
    job_name: str | None = None
    base_tuning_job_name: str | None = None
    strategy: str = "Bayesian"
    objective_metric_name: str
    objective_type: str = "Maximize"
    metric_definitions: list[dict[str, Any]] | None = None
    hyperparameter_ranges: dict[str, FriendlyRange]
    max_jobs: int | None = None
    max_parallel_jobs: int = 1
    max_runtime_in_seconds: int | None = None
    early_stopping_type: str = "Off"
    random_seed: int | None = None
    strategy_config: dict[str, FriendlyHyperband] | None = None
    completion_criteria_config: FriendlyCompletion | None = None
    warm_start_config: FriendlyWarmStart | None = None
    tags: dict[str, str] | list[dict[str, str]] | None = None
    estimator: FriendlyEstimator
    inputs: dict[str, str | FriendlyChannel] | None = None

    model_config = ConfigDict(extra="forbid")

    @field_validator("strategy_config")
    @classmethod
    def _only_hyperband(cls, value: Any) -> Any:
        if value is not None and set(value) - {"hyperband_strategy_config"}:
            raise ValueError("the only key allowed is hyperband_strategy_config")
        return value


_WARM_START_TYPES = {
    "identical_data_and_algorithm": "IdenticalDataAndAlgorithm",
    "identicaldataandalgorithm": "IdenticalDataAndAlgorithm",
    "transfer_learning": "TransferLearning",
    "transferlearning": "TransferLearning",
}


def compile_friendly(data: dict[str, Any]) -> dict[str, Any]:
    """The PascalCase request for a friendly spec (shape errors use the friendly paths)."""
    try:
        friendly = FriendlySpec.model_validate(data)
    except ValidationError as exc:
        from tunesmith.domain import friendly
        from tunesmith.domain.parse import (  # circular at import time
            model_field_names,
            pydantic_problems,
        )

        known = model_field_names(friendly)
        raise SpecValidationError(pydantic_problems(exc, known)) from None
    return _to_request(friendly)


def _to_request(f: FriendlySpec) -> dict[str, Any]:
    name = f.tuning_job_name or f.job_name or f.base_tuning_job_name
    config: dict[str, Any] = {
        "Strategy": f.strategy,
        "HyperParameterTuningJobObjective": {
            "Type": f.objective_type,
            "MetricName": f.objective_metric_name,
        },
        "ResourceLimits": _drop_none(
            {
                "MaxNumberOfTrainingJobs": f.max_jobs,
                "MaxParallelTrainingJobs": f.max_parallel_jobs,
                "MaxRuntimeInSeconds": f.max_runtime_in_seconds,
            }
        ),
        "ParameterRanges": _ranges(f.hyperparameter_ranges),
        "TrainingJobEarlyStoppingType": f.early_stopping_type,
    }
    if f.random_seed is not None:
        config["RandomSeed"] = f.random_seed
    if f.strategy_config:
        hyperband = f.strategy_config["hyperband_strategy_config"]
        config["StrategyConfig"] = {
            "HyperbandStrategyConfig": _drop_none(
                {"MinResource": hyperband.min_resource, "MaxResource": hyperband.max_resource}
            )
        }
    if f.completion_criteria_config:
        config["TuningJobCompletionCriteria"] = _completion(f.completion_criteria_config)
    request: dict[str, Any] = {
        "HyperParameterTuningJobConfig": config,
        "TrainingJobDefinition": _definition(f),
    }
    if name is not None:
        request["HyperParameterTuningJobName"] = name
    if f.warm_start_config:
        kind = f.warm_start_config.warm_start_type
        request["WarmStartConfig"] = {
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": p} for p in f.warm_start_config.parents
            ],
            "WarmStartType": _WARM_START_TYPES.get(kind.lower(), kind),
        }
    if f.tags:
        tags = (
            f.tags
            if isinstance(f.tags, list)
            else [{"Key": k, "Value": v} for k, v in f.tags.items()]
        )
        request["Tags"] = tags
    return request


def _ranges(ranges: dict[str, FriendlyRange]) -> dict[str, Any]:
    out: dict[str, list[dict[str, Any]]] = {
        "IntegerParameterRanges": [],
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
    }
    problems = []
    for name, r in ranges.items():
        if r.type == "categorical":
            if r.values is None:
                problems.append(
                    FieldProblem(f"hyperparameter_ranges.{name}.values", None, "Member is required")
                )
                continue
            out["CategoricalParameterRanges"].append(
                {"Name": name, "Values": [_hp_string(v) for v in r.values]}
            )
            continue
        missing = [k for k in ("min_value", "max_value") if getattr(r, k) is None]
        for key in missing:
            problems.append(
                FieldProblem(f"hyperparameter_ranges.{name}.{key}", None, "Member is required")
            )
        if missing:
            continue
        key = "IntegerParameterRanges" if r.type == "integer" else "ContinuousParameterRanges"
        out[key].append(
            {
                "Name": name,
                "MinValue": _number_string(r.min_value),
                "MaxValue": _number_string(r.max_value),
                "ScalingType": r.scaling_type,
            }
        )
    if problems:
        raise SpecValidationError(problems)
    return out


def _definition(f: FriendlySpec) -> dict[str, Any]:
    est = f.estimator
    static = {k: _hp_string(v) for k, v in est.hyperparameters.items()}
    if est.entry_point:
        static["sagemaker_program"] = est.entry_point
        static["sagemaker_submit_directory"] = est.source_dir or "."
    metrics = f.metric_definitions if f.metric_definitions is not None else est.metric_definitions
    algorithm: dict[str, Any] = {
        "TrainingInputMode": est.input_mode or "File",
        "MetricDefinitions": [FriendlyMetric.coerce(m) for m in metrics or []],
    }
    if est.image_uri:
        algorithm["TrainingImage"] = est.image_uri
    if est.container_entry_point:
        algorithm["ContainerEntrypoint"] = est.container_entry_point
    if est.container_arguments:
        algorithm["ContainerArguments"] = est.container_arguments
    definition: dict[str, Any] = {
        "StaticHyperParameters": static,
        "AlgorithmSpecification": algorithm,
        "ResourceConfig": _drop_none(
            {
                "InstanceType": est.instance_type,
                "InstanceCount": est.instance_count,
                "VolumeSizeInGB": est.volume_size,
            }
        ),
        "StoppingCondition": _drop_none(
            {"MaxRuntimeInSeconds": est.max_run, "MaxWaitTimeInSeconds": est.max_wait}
        ),
        "Environment": est.environment,
    }
    if est.role:
        definition["RoleArn"] = est.role
    if est.use_spot_instances is not None:
        definition["EnableManagedSpotTraining"] = est.use_spot_instances
    if est.output_path:
        definition["OutputDataConfig"] = {"S3OutputPath": est.output_path}
    if est.checkpoint_local_path or est.checkpoint_s3_uri:
        definition["CheckpointConfig"] = _drop_none(
            {
                "S3Uri": est.checkpoint_s3_uri or "file://checkpoints",
                "LocalPath": est.checkpoint_local_path,
            }
        )
    if est.max_retry_attempts is not None:
        definition["RetryStrategy"] = {"MaximumRetryAttempts": est.max_retry_attempts}
    if f.inputs:
        definition["InputDataConfig"] = [_channel(n, c) for n, c in f.inputs.items()]
    return definition


def _channel(name: str, channel: str | FriendlyChannel) -> dict[str, Any]:
    if isinstance(channel, str):
        channel = FriendlyChannel(path=channel)
    return _drop_none(
        {
            "ChannelName": name,
            "DataSource": {
                "S3DataSource": _drop_none(
                    {
                        "S3DataType": "S3Prefix",
                        "S3Uri": channel.path,
                        "S3DataDistributionType": channel.distribution,
                    }
                )
            },
            "ContentType": channel.content_type,
            "InputMode": channel.input_mode,
            "CompressionType": channel.compression,
        }
    )


def _completion(c: FriendlyCompletion) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.target_objective_metric_value is not None:
        out["TargetObjectiveMetricValue"] = c.target_objective_metric_value
    if c.max_number_of_training_jobs_not_improving is not None:
        out["BestObjectiveNotImproving"] = {
            "MaxNumberOfTrainingJobsNotImproving": c.max_number_of_training_jobs_not_improving
        }
    if c.complete_on_convergence is not None:
        enabled = c.complete_on_convergence
        if isinstance(enabled, bool):
            enabled = "Enabled" if enabled else "Disabled"
        out["ConvergenceDetected"] = {"CompleteOnConvergence": enabled}
    return out


def _hp_string(value: Any) -> str:
    """A hyperparameter as the SDK's framework estimators send it: strings as is, else JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _number_string(value: Number | None) -> str:
    return value if isinstance(value, str) else repr(value)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


FRIENDLY_PATHS: Annotated[list[tuple[str, str]], "pascal prefix -> friendly prefix"] = [
    ("HyperParameterTuningJobName", "tuning_job_name"),
    ("HyperParameterTuningJobConfig.Strategy", "strategy"),
    (
        "HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName",
        "objective_metric_name",
    ),
    ("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.Type", "objective_type"),
    ("HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs", "max_jobs"),
    ("HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs", "max_parallel_jobs"),
    ("HyperParameterTuningJobConfig.ResourceLimits.MaxRuntimeInSeconds", "max_runtime_in_seconds"),
    ("HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType", "early_stopping_type"),
    ("HyperParameterTuningJobConfig.RandomSeed", "random_seed"),
    ("HyperParameterTuningJobConfig.StrategyConfig", "strategy_config"),
    ("HyperParameterTuningJobConfig.ParameterRanges", "hyperparameter_ranges"),
    ("TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions", "metric_definitions"),
    (
        "TrainingJobDefinition.AlgorithmSpecification.ContainerEntrypoint",
        "estimator.container_entry_point",
    ),
    ("TrainingJobDefinition.StaticHyperParameters", "estimator.hyperparameters"),
    ("TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds", "estimator.max_run"),
    ("TrainingJobDefinition.Environment", "estimator.environment"),
    ("TrainingJobDefinition.InputDataConfig", "inputs"),
    ("TrainingJobDefinition.RetryStrategy", "estimator.max_retry_attempts"),
]


def friendly_path(path: str, request: dict[str, Any]) -> str:
    """Translate a canonical field path to the friendly spec's names, for error messages."""
    ranges = request.get("HyperParameterTuningJobConfig", {}).get("ParameterRanges", {})
    for kind, items in ranges.items():
        for index, item in enumerate(items):
            prefix = f"HyperParameterTuningJobConfig.ParameterRanges.{kind}[{index}]"
            if path.startswith(prefix):
                rest = path[len(prefix) :].lstrip(".")
                rest = {
                    "MinValue": "min_value",
                    "MaxValue": "max_value",
                    "ScalingType": "scaling_type",
                    "Values": "values",
                    "Name": "",
                }.get(rest.split("[")[0], rest)
                return f"hyperparameter_ranges.{item.get('Name')}" + (f".{rest}" if rest else "")
    for pascal, friendly in FRIENDLY_PATHS:
        if path == pascal or path.startswith(pascal + ".") or path.startswith(pascal + "["):
            return friendly + path[len(pascal) :]
    return path
