"""Valid SageMaker features that this version does not run yet, rejected before anything is
created (a spec must never be half-honoured)."""

from __future__ import annotations

from collections.abc import Collection

from tunesmith.domain.enums import Strategy
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import FieldProblem, NotYetSupportedError

CONFIG = "HyperParameterTuningJobConfig"


def check_supported(spec: TuningJobSpec, strategies: Collection[Strategy]) -> None:
    """Raise :class:`NotYetSupportedError` naming every field this build cannot honour."""
    problems: list[FieldProblem] = []
    config = spec.hyper_parameter_tuning_job_config
    if config.strategy not in strategies:
        available = ", ".join(s.value for s in strategies)
        problems.append(
            FieldProblem(
                f"{CONFIG}.Strategy",
                config.strategy.value,
                f"Not supported yet; available strategies: {available}",
            )
        )
    if spec.training_job_definitions:
        problems.append(
            FieldProblem(
                "TrainingJobDefinitions",
                len(spec.training_job_definitions),
                "Multi-algorithm tuning is not supported yet; use TrainingJobDefinition",
            )
        )
    if spec.warm_start_config is not None and config.strategy == Strategy.GRID:
        problems.append(
            FieldProblem(
                "WarmStartConfig", "<given>", "Warm start works with Bayesian and Random, not Grid"
            )
        )
    if spec.autotune is not None:
        problems.append(FieldProblem("Autotune", "<given>", "Autotune is not supported yet"))
    definition = spec.definition
    if definition.algorithm_specification.training_input_mode == "Pipe":
        problems.append(
            FieldProblem(
                "TrainingJobDefinition.AlgorithmSpecification.TrainingInputMode",
                "Pipe",
                "Pipe mode is not available locally; use File or FastFile",
            )
        )
    resources = definition.resource_config or definition.hyper_parameter_tuning_resource_config
    if resources is not None and resources.instance_count > 1:
        problems.append(
            FieldProblem(
                "TrainingJobDefinition.ResourceConfig.InstanceCount",
                resources.instance_count,
                "Distributed (multi-instance) training jobs are not supported yet; use 1",
            )
        )
    if problems:
        raise NotYetSupportedError(problems)
