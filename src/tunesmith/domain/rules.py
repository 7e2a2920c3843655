"""SageMaker's cross-field validation rules for a tuning-job spec.

Each rule reports a :class:`FieldProblem` naming the field path (SageMaker's PascalCase names),
the bad value and the rule, so every broken rule is reported at once, like a
ValidationException.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from tunesmith.domain.enums import EarlyStoppingType, ScalingType, Strategy
from tunesmith.domain.spec import (
    MAX_GRID_COMBINATIONS,
    MAX_HYPERPARAMETERS,
    MAX_TUNABLE_PARAMETERS,
    ContinuousParameterRange,
    HyperParameterTrainingJobDefinition,
    IntegerParameterRange,
    ParameterRanges,
    TuningJobSpec,
)
from tunesmith.errors import FieldProblem

OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"
EPOCH_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")

CONFIG = "HyperParameterTuningJobConfig"
RANGES = f"{CONFIG}.ParameterRanges"
DEFINITION = "TrainingJobDefinition"


def validate_spec(spec: TuningJobSpec) -> list[FieldProblem]:
    """All rule violations of ``spec`` (empty when it is valid)."""
    problems = list(_definition_choice(spec))
    if problems:
        return problems
    problems += list(_objective_rules(spec))
    problems += list(_range_rules(spec.ranges))
    problems += list(_strategy_rules(spec))
    problems += list(_definition_rules(spec.definition))
    problems += list(_hyperparameter_count_rules(spec))
    return problems


def _definition_choice(spec: TuningJobSpec) -> Iterator[FieldProblem]:
    if spec.training_job_definition is None and not spec.training_job_definitions:
        yield FieldProblem(
            DEFINITION, None, "Either TrainingJobDefinition or TrainingJobDefinitions is required"
        )
    elif spec.training_job_definition is not None and spec.training_job_definitions:
        yield FieldProblem(
            "TrainingJobDefinitions",
            "<both given>",
            "Give TrainingJobDefinition or TrainingJobDefinitions, not both",
        )


def _objective_rules(spec: TuningJobSpec) -> Iterator[FieldProblem]:
    objective = spec.hyper_parameter_tuning_job_config.hyper_parameter_tuning_job_objective
    path = f"{CONFIG}.HyperParameterTuningJobObjective"
    if objective is None:
        yield FieldProblem(path, None, "An objective (Type and MetricName) is required")
        return
    definitions = spec.definition.algorithm_specification.metric_definitions
    names = [d.name for d in definitions]
    if objective.metric_name not in names:
        known = ", ".join(repr(n) for n in names) or "none"
        yield FieldProblem(
            f"{path}.MetricName",
            objective.metric_name,
            "A metric is required for this hyperparameter tuning job objective. Provide a metric "
            f"in the metric definitions (TrainingJobDefinition.AlgorithmSpecification."
            f"MetricDefinitions defines: {known})",
        )


def _range_rules(ranges: ParameterRanges) -> Iterator[FieldProblem]:
    total = (
        len(ranges.integer_parameter_ranges)
        + len(ranges.continuous_parameter_ranges)
        + len(ranges.categorical_parameter_ranges)
    )
    if total > MAX_TUNABLE_PARAMETERS:
        yield FieldProblem(
            RANGES, total, f"At most {MAX_TUNABLE_PARAMETERS} tunable hyperparameters in total"
        )
    seen: set[str] = set()
    for kind, group in (
        ("IntegerParameterRanges", ranges.integer_parameter_ranges),
        ("ContinuousParameterRanges", ranges.continuous_parameter_ranges),
        ("CategoricalParameterRanges", ranges.categorical_parameter_ranges),
    ):
        for index, item in enumerate(group):
            path = f"{RANGES}.{kind}[{index}]"
            if item.name in seen:
                yield FieldProblem(
                    f"{path}.Name", item.name, "Each hyperparameter may be tuned only once"
                )
            seen.add(item.name)
            if isinstance(item, IntegerParameterRange | ContinuousParameterRange):
                yield from _numeric_range_rules(path, item)
            elif len(set(item.values)) != len(item.values):
                yield FieldProblem(f"{path}.Values", item.values, "Values must be unique")
    if ranges.auto_parameters:
        yield FieldProblem(
            f"{RANGES}.AutoParameters",
            [p.name for p in ranges.auto_parameters],
            "AutoParameters are only allowed with Autotune, which is not supported yet",
        )


def _numeric_range_rules(
    path: str, item: IntegerParameterRange | ContinuousParameterRange
) -> Iterator[FieldProblem]:
    is_integer = isinstance(item, IntegerParameterRange)
    kind = "an integer" if is_integer else "a number"
    bounds: dict[str, float] = {}
    for field, text in (("MinValue", item.min_value), ("MaxValue", item.max_value)):
        value = parse_bound(text, is_integer)
        if value is None:
            yield FieldProblem(
                f"{path}.{field}", text, f"Member must be {kind} written as a string"
            )
        else:
            bounds[field] = value
    if len(bounds) < 2:
        return
    low, high = bounds["MinValue"], bounds["MaxValue"]
    if low > high:
        yield FieldProblem(f"{path}.MaxValue", item.max_value, "MaxValue must be >= MinValue")
        return
    scaling = item.scaling_type
    if scaling == ScalingType.LOGARITHMIC and low <= 0:
        yield FieldProblem(
            f"{path}.ScalingType",
            scaling.value,
            "Logarithmic scaling needs a range entirely greater than 0 "
            f"(MinValue is {item.min_value})",
        )
    if scaling == ScalingType.REVERSE_LOGARITHMIC:
        if is_integer:
            yield FieldProblem(
                f"{path}.ScalingType",
                scaling.value,
                "ReverseLogarithmic scaling is only allowed for continuous ranges",
            )
        elif not (low >= 0 and high < 1):
            yield FieldProblem(
                f"{path}.ScalingType",
                scaling.value,
                "ReverseLogarithmic scaling needs a range within 0 <= x < 1.0",
            )


def parse_bound(text: str, is_integer: bool) -> float | None:
    """A range bound's numeric value, or None when it is not a finite number of the right kind."""
    try:
        value = int(text.strip()) if is_integer else float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value


def grid_size(ranges: ParameterRanges) -> int:
    return math.prod(len(r.values) for r in ranges.categorical_parameter_ranges)


def _strategy_rules(spec: TuningJobSpec) -> Iterator[FieldProblem]:
    config = spec.hyper_parameter_tuning_job_config
    limits = config.resource_limits
    ranges = spec.ranges
    max_jobs = limits.max_number_of_training_jobs
    if config.strategy == Strategy.GRID:
        numeric = ranges.integer_parameter_ranges + ranges.continuous_parameter_ranges
        for item in numeric:
            yield FieldProblem(
                RANGES,
                item.name,
                "Grid search supports only CategoricalParameterRanges; make it categorical "
                "or use the Random or Bayesian strategy",
            )
        if not ranges.categorical_parameter_ranges:
            yield FieldProblem(RANGES, None, "Grid search needs at least one categorical range")
        size = grid_size(ranges)
        if size > MAX_GRID_COMBINATIONS:
            yield FieldProblem(
                RANGES, size, f"Grid search allows at most {MAX_GRID_COMBINATIONS} combinations"
            )
        if max_jobs is not None and not numeric and max_jobs != size:
            yield FieldProblem(
                f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
                max_jobs,
                f"With Grid it may be omitted; if given it must equal the number of grid "
                f"combinations ({size})",
            )
    elif max_jobs is None:
        yield FieldProblem(
            f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
            None,
            f"Required for the {config.strategy.value} strategy",
        )
    elif max_jobs > 750 and config.strategy != Strategy.RANDOM:
        yield FieldProblem(
            f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
            max_jobs,
            f"At most 750 training jobs for the {config.strategy.value} strategy",
        )
    if not ranges.names() and not ranges.auto_parameters:
        yield FieldProblem(RANGES, None, "At least one hyperparameter range is required")
    if config.strategy_config is not None and config.strategy != Strategy.HYPERBAND:
        yield FieldProblem(
            f"{CONFIG}.StrategyConfig", "<given>", "StrategyConfig is only allowed with Hyperband"
        )
    if config.strategy == Strategy.HYPERBAND:
        yield from _hyperband_rules(spec)


def _hyperband_rules(spec: TuningJobSpec) -> Iterator[FieldProblem]:
    config = spec.hyper_parameter_tuning_job_config
    if config.training_job_early_stopping_type != EarlyStoppingType.OFF:
        yield FieldProblem(
            f"{CONFIG}.TrainingJobEarlyStoppingType",
            config.training_job_early_stopping_type.value,
            "Must be Off with the Hyperband strategy, which stops jobs itself",
        )
    hyperband = config.strategy_config.hyperband_strategy_config if config.strategy_config else None
    min_resource = hyperband.min_resource if hyperband else None
    max_resource = hyperband.max_resource if hyperband else None
    if max_resource is None:
        max_resource = infer_max_resource(spec.definition.static_hyper_parameters)
        if max_resource is None:
            yield FieldProblem(
                f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig.MaxResource",
                None,
                "Required unless a static hyperparameter named one of "
                f"{', '.join(EPOCH_KEYS)} gives it",
            )
    if min_resource is not None and max_resource is not None and min_resource > max_resource:
        yield FieldProblem(
            f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig.MinResource",
            min_resource,
            f"MinResource must be <= MaxResource ({max_resource})",
        )


def infer_max_resource(static: dict[str, str]) -> int | None:
    """MaxResource from an epochs-like static hyperparameter, as SageMaker infers it."""
    for key in EPOCH_KEYS:
        if key in static:
            try:
                value = int(static[key])
            except ValueError:
                return None
            return value if value >= 1 else None
    return None


def _definition_rules(definition: HyperParameterTrainingJobDefinition) -> Iterator[FieldProblem]:
    algorithm = definition.algorithm_specification
    path = f"{DEFINITION}.AlgorithmSpecification"
    if algorithm.training_image and algorithm.algorithm_name:
        yield FieldProblem(
            f"{path}.AlgorithmName",
            algorithm.algorithm_name,
            "Give TrainingImage or AlgorithmName, not both",
        )
    names: set[str] = set()
    for index, metric in enumerate(algorithm.metric_definitions):
        mpath = f"{path}.MetricDefinitions[{index}]"
        if metric.name in names:
            yield FieldProblem(f"{mpath}.Name", metric.name, "Metric names must be unique")
        names.add(metric.name)
        problem = regex_problem(metric.regex)
        if problem:
            yield FieldProblem(f"{mpath}.Regex", metric.regex, problem)
    static = definition.static_hyper_parameters
    script_mode = "sagemaker_program" in static
    if not script_mode and not algorithm.container_entrypoint:
        yield FieldProblem(
            path,
            None,
            "Nothing to run: set StaticHyperParameters.sagemaker_program (script mode, with "
            "sagemaker_submit_directory) or AlgorithmSpecification.ContainerEntrypoint",
        )
    if script_mode and algorithm.container_entrypoint:
        yield FieldProblem(
            f"{path}.ContainerEntrypoint",
            algorithm.container_entrypoint,
            "Give either script mode (sagemaker_program) or ContainerEntrypoint, not both",
        )
    if algorithm.container_arguments and not algorithm.container_entrypoint:
        yield FieldProblem(
            f"{path}.ContainerArguments",
            algorithm.container_arguments,
            "ContainerArguments needs ContainerEntrypoint",
        )
    channels = definition.input_data_config or []
    seen: set[str] = set()
    for index, channel in enumerate(channels):
        cpath = f"{DEFINITION}.InputDataConfig[{index}]"
        if channel.channel_name in seen:
            yield FieldProblem(
                f"{cpath}.ChannelName", channel.channel_name, "Channel names must be unique"
            )
        seen.add(channel.channel_name)
        source = channel.data_source
        if (source.s3_data_source is None) == (source.file_system_data_source is None):
            yield FieldProblem(
                f"{cpath}.DataSource",
                None,
                "Give exactly one of S3DataSource or FileSystemDataSource",
            )
        elif source.s3_data_source is not None and source.s3_data_source.s3_uri.startswith("s3://"):
            yield FieldProblem(
                f"{cpath}.DataSource.S3DataSource.S3Uri",
                source.s3_data_source.s3_uri,
                "S3 is not reachable from a local run: give a local path or a file:// URI",
            )
    if definition.resource_config and definition.hyper_parameter_tuning_resource_config:
        yield FieldProblem(
            f"{DEFINITION}.HyperParameterTuningResourceConfig",
            "<given>",
            "Give ResourceConfig or HyperParameterTuningResourceConfig, not both",
        )
    stopping = definition.stopping_condition
    if (
        stopping.max_wait_time_in_seconds is not None
        and stopping.max_wait_time_in_seconds < stopping.max_runtime_in_seconds
    ):
        yield FieldProblem(
            f"{DEFINITION}.StoppingCondition.MaxWaitTimeInSeconds",
            stopping.max_wait_time_in_seconds,
            "Must be >= MaxRuntimeInSeconds",
        )


def regex_problem(regex: str) -> str | None:
    """Why a metric regex is unusable, or None. The value is the first capture group."""
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        return f"Member must be a valid regular expression ({exc})"
    if compiled.groups != 1:
        return (
            f"Member must have exactly one capture group for the metric value "
            f"(found {compiled.groups}); use (?:...) for other groups"
        )
    return None


def _hyperparameter_count_rules(spec: TuningJobSpec) -> Iterator[FieldProblem]:
    static = spec.definition.static_hyper_parameters
    tuned = spec.ranges.names()
    for name in tuned:
        if name in static:
            yield FieldProblem(
                f"{DEFINITION}.StaticHyperParameters.{name}",
                static[name],
                "A hyperparameter cannot be both static and tuned",
            )
    total = len(static) + len(tuned) + (0 if OBJECTIVE_HYPERPARAMETER in static else 1)
    if total > MAX_HYPERPARAMETERS:
        yield FieldProblem(
            f"{DEFINITION}.StaticHyperParameters",
            total,
            f"Static plus tuned hyperparameters (with {OBJECTIVE_HYPERPARAMETER}) must be at most "
            f"{MAX_HYPERPARAMETERS}",
        )
