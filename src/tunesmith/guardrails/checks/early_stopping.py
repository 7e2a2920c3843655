"""Checks 6 and 8: Hyperband that cannot work or is doubled with Auto early stopping, and long
training jobs that could be stopped early but are not."""

from __future__ import annotations

from tunesmith.domain.enums import EarlyStoppingType, Strategy
from tunesmith.domain.rules import infer_max_resource
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.guardrails.checks.common import explicit_max_run
from tunesmith.guardrails.findings import (
    EARLY_STOPPING,
    MAX_RUN,
    STRATEGY,
    CheckContext,
    Finding,
    Severity,
)

#: Training jobs at least this long (seconds) are worth stopping early.
LONG_JOB_SECONDS = 600


def check_hyperband(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    config = spec.hyper_parameter_tuning_job_config
    if config.strategy != Strategy.HYPERBAND:
        return []
    findings = []
    if config.training_job_early_stopping_type != EarlyStoppingType.OFF:
        term = context.term(EARLY_STOPPING)
        findings.append(
            Finding(
                "hyperband-with-early-stopping",
                Severity.ERROR,
                context.path(EARLY_STOPPING),
                f"Hyperband stops weak jobs itself at its rungs; {term} "
                f"{config.training_job_early_stopping_type.value} would add a second, "
                "conflicting stopping rule (SageMaker rejects the combination).",
                f"Set {term} to Off.",
            )
        )
    dry = context.dry_run
    if dry is not None and dry.completed and dry.objective_count == 1:
        findings.append(
            Finding(
                "hyperband-single-report",
                Severity.WARNING,
                context.path(STRATEGY),
                f"The dry run printed the objective '{dry.objective_name}' only once, at the "
                "end: Hyperband compares jobs at intermediate epochs, so it can stop nothing "
                "early and every job runs to the end.",
                "Print the objective after every epoch (e.g. 'epoch=3 val_loss=0.41'), or set "
                f"{context.term(STRATEGY)} to Bayesian or Random.",
            )
        )
    return findings


def check_long_jobs(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    config = spec.hyper_parameter_tuning_job_config
    if (
        config.strategy == Strategy.HYPERBAND
        or config.training_job_early_stopping_type != EarlyStoppingType.OFF
    ):
        return []
    dry = context.dry_run
    measured = dry.duration_seconds if dry is not None and dry.completed else None
    max_run = explicit_max_run(spec)
    if measured is not None and measured >= LONG_JOB_SECONDS:
        how_long = f"the dry run took {measured:.0f} s"
    elif max_run is not None and max_run >= LONG_JOB_SECONDS:
        how_long = f"{context.term(MAX_RUN)} allows {max_run} s per job"
    else:
        return []
    if dry is not None and dry.completed:
        per_epoch = dry.objective_count > 1
        evidence = f"the objective was printed {dry.objective_count} times in the dry run"
    else:
        per_epoch = infer_max_resource(spec.definition.static_hyper_parameters) is not None
        evidence = "an epochs hyperparameter suggests the objective is printed every epoch"
    if not per_epoch:
        return []
    objective = config.hyper_parameter_tuning_job_objective
    metric = objective.metric_name if objective else "objective"
    return [
        Finding(
            "long-jobs-no-early-stopping",
            Severity.WARNING,
            context.path(EARLY_STOPPING),
            f"Training jobs are long ({how_long}) and {evidence}, but early stopping is Off: "
            "clearly poor configurations run to the end and take most of the budget.",
            f"Set {context.term(EARLY_STOPPING)} to Auto (median rule), or set "
            f"{context.term(STRATEGY)} to Hyperband; both need the objective "
            f"'{metric}' printed every epoch.",
        )
    ]
