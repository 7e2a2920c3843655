"""From the canonical spec and one configuration to an executor's TrainingJobRequest."""

from __future__ import annotations

from pathlib import Path

from tunesmith.domain.parse import local_path_of
from tunesmith.domain.rules import OBJECTIVE_HYPERPARAMETER
from tunesmith.domain.spec import Channel, TuningJobSpec
from tunesmith.execution.base import ChannelSpec, TrainingJobRequest


def all_hyperparameters(spec: TuningJobSpec, tuned: dict[str, str]) -> dict[str, str]:
    """Static ∪ tuned ∪ ``_tuning_objective_metric``: what SageMaker hands the container."""
    values = dict(spec.definition.static_hyper_parameters)
    values.update(tuned)
    values[OBJECTIVE_HYPERPARAMETER] = spec.objective.metric_name
    return values


def build_request(
    spec: TuningJobSpec,
    training_job_name: str,
    hyperparameters: dict[str, str],
    job_dir: Path,
    attempt: int = 1,
    max_runtime_seconds: int | None = None,
) -> TrainingJobRequest:
    definition = spec.definition
    algorithm = definition.algorithm_specification
    static = definition.static_hyper_parameters
    resources = definition.resource_config or definition.hyper_parameter_tuning_resource_config
    program = static.get("sagemaker_program")
    submit_dir = static.get("sagemaker_submit_directory")
    return TrainingJobRequest(
        training_job_name=training_job_name,
        tuning_job_name=spec.hyper_parameter_tuning_job_name,
        job_dir=job_dir,
        hyperparameters=hyperparameters,
        max_runtime_seconds=max_runtime_seconds
        or definition.stopping_condition.max_runtime_in_seconds,
        program=program,
        submit_directory=Path(submit_dir) if program and submit_dir else None,
        entrypoint=list(algorithm.container_entrypoint) if algorithm.container_entrypoint else None,
        arguments=list(algorithm.container_arguments) if algorithm.container_arguments else None,
        channels=[
            _channel(c, algorithm.training_input_mode) for c in definition.input_data_config or []
        ],
        environment=dict(definition.environment),
        instance_type=(resources.instance_type if resources else None) or "local",
        instance_count=resources.instance_count if resources else 1,
        attempt=attempt,
    )


def _channel(channel: Channel, default_mode: str) -> ChannelSpec:
    source = channel.data_source
    if source.s3_data_source is not None:
        path = local_path_of(source.s3_data_source.s3_uri)
        distribution = source.s3_data_source.s3_data_distribution_type
    else:
        assert source.file_system_data_source is not None  # guaranteed by the rules
        path = source.file_system_data_source.directory_path
        distribution = "FullyReplicated"
    return ChannelSpec(
        name=channel.channel_name,
        source_path=Path(path),
        content_type=channel.content_type,
        input_mode=channel.input_mode or default_mode,
        compression_type=channel.compression_type,
        record_wrapper_type=channel.record_wrapper_type,
        distribution_type=distribution,
    )
