"""The canonical tuning-job spec: pydantic models shaped like SageMaker's
``CreateHyperParameterTuningJob`` request.

These models check shape, types and per-field limits (as botocore's parameter validation and the
service's field constraints do). Rules that span several fields live in :mod:`rules`, so each
broken rule can name its own field path. Fields parse and dump under SageMaker's PascalCase
names, so a request pasted from boto3 code parses as is; Python code reads them in snake_case.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from tunesmith.domain.enums import (
    EarlyStoppingType,
    ObjectiveType,
    ScalingType,
    Strategy,
    WarmStartType,
)

TUNING_JOB_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$"
TRAINING_JOB_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
CHANNEL_NAME_PATTERN = r"^[A-Za-z0-9\.\-_]+$"
ENV_KEY_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"

MAX_TUNABLE_PARAMETERS = 30
MAX_HYPERPARAMETERS = 100
MAX_GRID_COMBINATIONS = 750
MAX_TRAINING_JOBS = 10_000
MAX_METRIC_DEFINITIONS = 40

Str256 = Annotated[StrictStr, StringConstraints(min_length=1, max_length=256)]
RangeBound = Annotated[StrictStr, StringConstraints(min_length=1, max_length=256)]


_ALIAS_EXCEPTIONS = {"volume_size_in_gb": "VolumeSizeInGB"}


def pascal_alias(field_name: str) -> str:
    """SageMaker's member name for a snake_case attribute (``s3_uri`` -> ``S3Uri``)."""
    if field_name in _ALIAS_EXCEPTIONS:
        return _ALIAS_EXCEPTIONS[field_name]
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_"))


class SpecModel(BaseModel):
    """Base: SageMaker's PascalCase names on the wire, snake_case attributes in Python, and
    unknown fields are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", alias_generator=pascal_alias, populate_by_name=True)


# ---------------------------------------------------------------- tuning-job config
class HyperParameterTuningJobObjective(SpecModel):
    type: ObjectiveType
    metric_name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=255)]


class ResourceLimits(SpecModel):
    max_number_of_training_jobs: Annotated[StrictInt, Field(ge=1, le=MAX_TRAINING_JOBS)] | None = (
        None
    )
    max_parallel_training_jobs: Annotated[StrictInt, Field(ge=1, le=MAX_TRAINING_JOBS)]
    max_runtime_in_seconds: Annotated[StrictInt, Field(ge=120, le=15_768_000)] | None = None


class IntegerParameterRange(SpecModel):
    name: Str256
    min_value: RangeBound
    max_value: RangeBound
    scaling_type: ScalingType = ScalingType.AUTO


class ContinuousParameterRange(SpecModel):
    name: Str256
    min_value: RangeBound
    max_value: RangeBound
    scaling_type: ScalingType = ScalingType.AUTO


class CategoricalParameterRange(SpecModel):
    name: Str256
    values: Annotated[list[Str256], Field(min_length=1, max_length=30)]


class AutoParameter(SpecModel):
    name: Str256
    value_hint: Str256


class ParameterRanges(SpecModel):
    integer_parameter_ranges: Annotated[
        list[IntegerParameterRange], Field(max_length=MAX_TUNABLE_PARAMETERS)
    ] = []
    continuous_parameter_ranges: Annotated[
        list[ContinuousParameterRange], Field(max_length=MAX_TUNABLE_PARAMETERS)
    ] = []
    categorical_parameter_ranges: Annotated[
        list[CategoricalParameterRange], Field(max_length=MAX_TUNABLE_PARAMETERS)
    ] = []
    auto_parameters: Annotated[list[AutoParameter], Field(max_length=100)] = []

    def names(self) -> list[str]:
        """All tuned parameter names, in declaration order (integer, continuous, categorical)."""
        groups = (
            self.integer_parameter_ranges,
            self.continuous_parameter_ranges,
            self.categorical_parameter_ranges,
        )
        return [r.name for group in groups for r in group]


class HyperbandStrategyConfig(SpecModel):
    min_resource: Annotated[StrictInt, Field(ge=1)] | None = None
    max_resource: Annotated[StrictInt, Field(ge=1, le=20_000)] | None = None


class HyperParameterTuningJobStrategyConfig(SpecModel):
    hyperband_strategy_config: HyperbandStrategyConfig | None = None


class BestObjectiveNotImproving(SpecModel):
    max_number_of_training_jobs_not_improving: Annotated[StrictInt, Field(ge=3)]


class ConvergenceDetected(SpecModel):
    complete_on_convergence: Literal["Disabled", "Enabled"]


class TuningJobCompletionCriteria(SpecModel):
    target_objective_metric_value: float | None = None
    best_objective_not_improving: BestObjectiveNotImproving | None = None
    convergence_detected: ConvergenceDetected | None = None


class HyperParameterTuningJobConfig(SpecModel):
    strategy: Strategy
    strategy_config: HyperParameterTuningJobStrategyConfig | None = None
    hyper_parameter_tuning_job_objective: HyperParameterTuningJobObjective | None = None
    resource_limits: ResourceLimits
    parameter_ranges: ParameterRanges | None = None
    training_job_early_stopping_type: EarlyStoppingType = EarlyStoppingType.OFF
    tuning_job_completion_criteria: TuningJobCompletionCriteria | None = None
    random_seed: Annotated[StrictInt, Field(ge=0)] | None = None


# ---------------------------------------------------------------- training-job definition
class MetricDefinition(SpecModel):
    name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=255)]
    regex: Annotated[StrictStr, StringConstraints(min_length=1, max_length=500)]


class AlgorithmSpecification(SpecModel):
    training_image: Annotated[StrictStr, StringConstraints(max_length=255)] | None = None
    algorithm_name: Annotated[StrictStr, StringConstraints(min_length=1, max_length=170)] | None = (
        None
    )
    training_input_mode: Literal["Pipe", "File", "FastFile"] = "File"
    metric_definitions: Annotated[
        list[MetricDefinition], Field(max_length=MAX_METRIC_DEFINITIONS)
    ] = []
    enable_sage_maker_metrics_time_series: StrictBool | None = None
    container_entrypoint: (
        Annotated[
            list[Annotated[StrictStr, StringConstraints(max_length=256)]],
            Field(min_length=1, max_length=100),
        ]
        | None
    ) = None
    container_arguments: (
        Annotated[
            list[Annotated[StrictStr, StringConstraints(max_length=256)]],
            Field(min_length=1, max_length=100),
        ]
        | None
    ) = None


class S3DataSource(SpecModel):
    s3_data_type: Literal["ManifestFile", "S3Prefix", "AugmentedManifestFile", "Converse"] = (
        "S3Prefix"
    )
    s3_uri: Annotated[StrictStr, StringConstraints(min_length=1, max_length=1024)]
    s3_data_distribution_type: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated"
    attribute_names: list[StrictStr] | None = None
    instance_group_names: list[StrictStr] | None = None


class FileSystemDataSource(SpecModel):
    file_system_id: StrictStr | None = None
    file_system_access_mode: Literal["rw", "ro"] = "ro"
    file_system_type: Literal["EFS", "FSxLustre"] | None = None
    directory_path: Annotated[StrictStr, StringConstraints(min_length=1, max_length=4096)]


class DataSource(SpecModel):
    s3_data_source: S3DataSource | None = None
    file_system_data_source: FileSystemDataSource | None = None


class Channel(SpecModel):
    channel_name: Annotated[
        StrictStr, StringConstraints(min_length=1, max_length=64, pattern=CHANNEL_NAME_PATTERN)
    ]
    data_source: DataSource
    content_type: Annotated[StrictStr, StringConstraints(max_length=256)] | None = None
    compression_type: Literal["None", "Gzip"] = "None"
    record_wrapper_type: Literal["None", "RecordIO"] = "None"
    input_mode: Literal["Pipe", "File", "FastFile"] | None = None


class OutputDataConfig(SpecModel):
    s3_output_path: Annotated[StrictStr, StringConstraints(max_length=1024)] | None = None
    kms_key_id: StrictStr | None = None
    compression_type: Literal["GZIP", "NONE"] | None = None


class ResourceConfig(SpecModel):
    instance_type: StrictStr | None = None
    instance_count: Annotated[StrictInt, Field(ge=0)] = 1
    volume_size_in_gb: Annotated[StrictInt, Field(ge=0)] | None = None
    volume_kms_key_id: StrictStr | None = None
    keep_alive_period_in_seconds: Annotated[StrictInt, Field(ge=0, le=21600)] | None = None


class HyperParameterTuningResourceConfig(SpecModel):
    instance_type: StrictStr | None = None
    instance_count: Annotated[StrictInt, Field(ge=0)] = 1
    volume_size_in_gb: Annotated[StrictInt, Field(ge=0)] | None = None
    volume_kms_key_id: StrictStr | None = None
    allocation_strategy: Literal["Prioritized"] | None = None
    instance_configs: list[dict[str, object]] | None = None


class StoppingCondition(SpecModel):
    max_runtime_in_seconds: Annotated[StrictInt, Field(ge=1, le=2_419_200)] = 86_400
    max_wait_time_in_seconds: Annotated[StrictInt, Field(ge=1)] | None = None
    max_pending_time_in_seconds: Annotated[StrictInt, Field(ge=7200, le=2_419_200)] | None = None


class RetryStrategy(SpecModel):
    maximum_retry_attempts: Annotated[StrictInt, Field(ge=1, le=30)]


class CheckpointConfig(SpecModel):
    s3_uri: Annotated[StrictStr, StringConstraints(max_length=1024)]
    local_path: Annotated[StrictStr, StringConstraints(max_length=4096)] | None = None


class HyperParameterTrainingJobDefinition(SpecModel):
    definition_name: (
        Annotated[
            StrictStr,
            StringConstraints(
                min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$"
            ),
        ]
        | None
    ) = None
    tuning_objective: HyperParameterTuningJobObjective | None = None
    hyper_parameter_ranges: ParameterRanges | None = None
    static_hyper_parameters: Annotated[
        dict[
            Annotated[StrictStr, StringConstraints(max_length=256)],
            Annotated[StrictStr, StringConstraints(max_length=2500)],
        ],
        Field(max_length=MAX_HYPERPARAMETERS),
    ] = {}
    algorithm_specification: AlgorithmSpecification
    role_arn: Annotated[StrictStr, StringConstraints(min_length=20, max_length=2048)] | None = None
    input_data_config: Annotated[list[Channel], Field(min_length=1, max_length=20)] | None = None
    vpc_config: dict[str, object] | None = None
    output_data_config: OutputDataConfig | None = None
    resource_config: ResourceConfig | None = None
    hyper_parameter_tuning_resource_config: HyperParameterTuningResourceConfig | None = None
    stopping_condition: StoppingCondition = StoppingCondition()
    enable_network_isolation: StrictBool | None = None
    enable_inter_container_traffic_encryption: StrictBool | None = None
    enable_managed_spot_training: StrictBool | None = None
    checkpoint_config: CheckpointConfig | None = None
    retry_strategy: RetryStrategy | None = None
    environment: Annotated[
        dict[
            Annotated[StrictStr, StringConstraints(max_length=512, pattern=ENV_KEY_PATTERN)],
            Annotated[StrictStr, StringConstraints(max_length=512)],
        ],
        Field(max_length=48),
    ] = {}


class ParentHyperParameterTuningJob(SpecModel):
    hyper_parameter_tuning_job_name: Annotated[
        StrictStr, StringConstraints(pattern=TUNING_JOB_NAME_PATTERN)
    ]


class WarmStartConfig(SpecModel):
    parent_hyper_parameter_tuning_jobs: Annotated[
        list[ParentHyperParameterTuningJob], Field(min_length=1, max_length=5)
    ]
    warm_start_type: WarmStartType


class Tag(SpecModel):
    key: Annotated[StrictStr, StringConstraints(min_length=1, max_length=128)]
    value: Annotated[StrictStr, StringConstraints(max_length=256)]


class Autotune(SpecModel):
    mode: Literal["Enabled"]


class TuningJobSpec(SpecModel):
    """``CreateHyperParameterTuningJob``'s request: the one spec every interface compiles to."""

    hyper_parameter_tuning_job_name: Annotated[
        StrictStr, StringConstraints(min_length=1, max_length=32, pattern=TUNING_JOB_NAME_PATTERN)
    ]
    hyper_parameter_tuning_job_config: HyperParameterTuningJobConfig
    training_job_definition: HyperParameterTrainingJobDefinition | None = None
    training_job_definitions: (
        Annotated[list[HyperParameterTrainingJobDefinition], Field(min_length=1, max_length=10)]
        | None
    ) = None
    warm_start_config: WarmStartConfig | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] = []
    autotune: Autotune | None = None

    @property
    def definition(self) -> HyperParameterTrainingJobDefinition:
        """The single training-job definition (multi-algorithm specs are rejected by the rules)."""
        if self.training_job_definition is not None:
            return self.training_job_definition
        assert self.training_job_definitions  # guaranteed by rules.validate_spec
        return self.training_job_definitions[0]

    @property
    def objective(self) -> HyperParameterTuningJobObjective:
        objective = self.hyper_parameter_tuning_job_config.hyper_parameter_tuning_job_objective
        assert objective is not None  # guaranteed by rules.validate_spec
        return objective

    @property
    def ranges(self) -> ParameterRanges:
        return self.hyper_parameter_tuning_job_config.parameter_ranges or ParameterRanges()

    def to_request(self) -> dict[str, object]:
        """The JSON-ready request, without unset optional fields (what `describe` echoes)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
