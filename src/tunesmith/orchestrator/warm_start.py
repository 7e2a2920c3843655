"""Warm start: a tuning job that starts from up to five parent tuning jobs.

SageMaker's rules (amt-spec §3.8) are checked before anything is created. Parents' finished
training jobs become prior observations for the strategy:

- IdenticalDataAndAlgorithm: the parents measured the same function, so their results are
  observations like the child's own, and OverallBestTrainingJob spans parents and child. Every
  tuning job records fingerprints of its training code and data; an identical warm start
  whose code or data changed since a parent ran is refused (the classic trap of trusting stale
  priors) unless the caller explicitly accepts it.
- TransferLearning: the parents' results inform the model but the child's own data overrides
  them (the strategy decides how: the Bayesian strategy treats them as a separate, down-weighted
  task; Random ignores them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tunesmith.domain.enums import ObjectiveStatus, WarmStartType
from tunesmith.domain.spec import ParameterRanges, TuningJobSpec
from tunesmith.errors import FieldProblem, ResourceNotFoundError, SpecValidationError
from tunesmith.fingerprints import fingerprints
from tunesmith.space import Config, SearchSpace
from tunesmith.store import Store, TrainingJobRecord, TuningJobRecord
from tunesmith.strategies.base import Trial, TrialState

MAX_CHANGES = 10
PARENTS = "WarmStartConfig.ParentHyperParameterTuningJobs"
__all__ = ["check_warm_start", "fingerprints", "load_prior", "overall_best"]


# ---------------------------------------------------------------- rules
def _kinds(ranges: ParameterRanges) -> dict[str, str]:
    kinds = {r.name: "integer" for r in ranges.integer_parameter_ranges}
    kinds |= {r.name: "continuous" for r in ranges.continuous_parameter_ranges}
    kinds |= {r.name: "categorical" for r in ranges.categorical_parameter_ranges}
    return kinds


def check_warm_start(
    spec: TuningJobSpec,
    store: Store,
    child_fingerprints: dict[str, Any],
    accept_changed: bool = False,
) -> list[str]:
    """Raise SpecValidationError for every broken rule; return warnings (accepted changes)."""
    config = spec.warm_start_config
    if config is None:
        return []
    problems: list[FieldProblem] = []
    warnings: list[str] = []
    names = [p.hyper_parameter_tuning_job_name for p in config.parent_hyper_parameter_tuning_jobs]
    if len({n.lower() for n in names}) != len(names):
        problems.append(FieldProblem(PARENTS, names, "Parent tuning jobs must be distinct"))
    for index, name in enumerate(names):
        path = f"{PARENTS}[{index}].HyperParameterTuningJobName"
        try:
            parent = store.get_tuning_job(name)
        except ResourceNotFoundError as exc:
            problems.append(FieldProblem(path, name, str(exc)))
            continue
        problems += _parent_problems(spec, parent, path)
        if config.warm_start_type == WarmStartType.IDENTICAL_DATA_AND_ALGORITHM:
            changed = _changed_inputs(parent, child_fingerprints)
            if changed and not accept_changed:
                problems.append(
                    FieldProblem(
                        "WarmStartConfig.WarmStartType",
                        config.warm_start_type.value,
                        f"IdenticalDataAndAlgorithm needs the same data and code, but the "
                        f"{changed} changed since parent '{parent.name}' ran: its results "
                        "would be stale priors. Use TransferLearning, or accept the change "
                        "explicitly (--accept-changed-parents)",
                    )
                )
            elif changed:
                warnings.append(
                    f"The {changed} changed since parent '{parent.name}' ran; its results are "
                    "used as identical observations because you accepted the change"
                )
    if problems:
        raise SpecValidationError(problems)
    return warnings


def _changed_inputs(parent: TuningJobRecord, child: dict[str, Any]) -> str | None:
    before = parent.fingerprints or {}
    changed = []
    if before.get("code") != child.get("code"):
        changed.append("training code")
    if before.get("data") != child.get("data"):
        changed.append("training data")
    return " and ".join(changed) or None


def _parent_problems(spec: TuningJobSpec, parent: TuningJobRecord, path: str) -> list[FieldProblem]:
    problems = []
    if not parent.status.is_terminal:
        problems.append(
            FieldProblem(
                path,
                parent.name,
                f"A parent must have ended (Completed, Stopped or Failed); it is "
                f"{parent.status.value}",
            )
        )
    parent_spec = TuningJobSpec.model_validate(parent.spec)
    objective = spec.objective
    if parent_spec.objective.metric_name != objective.metric_name:
        problems.append(
            FieldProblem(
                path,
                parent.name,
                f"The parent's objective is '{parent_spec.objective.metric_name}', not "
                f"'{objective.metric_name}': a warm start needs the same objective metric",
            )
        )
    elif parent_spec.objective.type != objective.type:
        problems.append(
            FieldProblem(
                path,
                parent.name,
                f"The parent {parent_spec.objective.type.value}s the objective and this job "
                f"would {objective.type.value.lower()} it",
            )
        )
    problems += _hyperparameter_problems(spec, parent_spec, path, parent.name)
    return problems


def _hyperparameter_problems(
    child: TuningJobSpec, parent: TuningJobSpec, path: str, parent_name: str
) -> list[FieldProblem]:
    child_static = child.definition.static_hyper_parameters
    parent_static = parent.definition.static_hyper_parameters
    child_kinds = _kinds(child.ranges)
    parent_kinds = _kinds(parent.ranges)
    problems = []
    child_total = len(child_static) + len(child_kinds)
    parent_total = len(parent_static) + len(parent_kinds)
    if child_total != parent_total:
        problems.append(
            FieldProblem(
                path,
                parent_name,
                f"The number of static plus tuned hyperparameters must not change "
                f"({parent_total} in the parent, {child_total} here)",
            )
        )
    for name, kind in child_kinds.items():
        before = parent_kinds.get(name)
        if before is not None and before != kind:
            problems.append(
                FieldProblem(
                    path,
                    parent_name,
                    f"Hyperparameter '{name}' was {before} in the parent and is {kind} here: "
                    "a warm start keeps each hyperparameter's type",
                )
            )
    changes = 0
    categorical_sizes = {r.name: len(r.values) for r in parent.ranges.categorical_parameter_ranges}
    for name in parent_kinds:
        if name in child_static:  # tuned before, static now
            changes += categorical_sizes.get(name, 1)
    for name, value in child_static.items():
        if name in parent_static and parent_static[name] != value:
            changes += 2  # the old and the new value, as SageMaker counts a static change
    if changes > MAX_CHANGES:
        problems.append(
            FieldProblem(
                path,
                parent_name,
                f"At most {MAX_CHANGES} changes of tuned-to-static hyperparameters and static "
                f"values are allowed; this job makes {changes}",
            )
        )
    return problems


# ---------------------------------------------------------------- prior observations
@dataclass(frozen=True)
class WarmStartPrior:
    kind: WarmStartType
    trials: list[Trial]
    parent_jobs: list[TrainingJobRecord]


def load_prior(spec: TuningJobSpec, store: Store, space: SearchSpace) -> WarmStartPrior | None:
    """The parents' finished training jobs, mapped onto this job's search space."""
    config = spec.warm_start_config
    if config is None:
        return None
    trials = []
    jobs: list[TrainingJobRecord] = []
    for parent in config.parent_hyper_parameter_tuning_jobs:
        name = parent.hyper_parameter_tuning_job_name
        records = store.list_training_jobs(store.get_tuning_job(name).name)
        jobs += records
        for record in records:
            config_values = _map_config(record, space)
            if config_values is None:
                continue
            if record.objective_status == ObjectiveStatus.SUCCEEDED:
                trials.append(
                    Trial(config_values, TrialState.COMPLETED, record.final_objective_value)
                )
    return WarmStartPrior(config.warm_start_type, trials, jobs)


def _map_config(record: TrainingJobRecord, space: SearchSpace) -> Config | None:
    """The parent job's values of this job's tuned parameters, or None when one is missing or
    falls outside this job's ranges (such a job says nothing about this search space)."""
    values = {**record.hyperparameters, **record.tuned_hyperparameters}
    config: Config = {}
    for parameter in space.parameters:
        text = values.get(parameter.name)
        if text is None:
            return None
        try:
            value = parameter.parse(text)
        except Exception:
            return None
        if not _inside(parameter, value):
            return None
        config[parameter.name] = value
    return config


def _inside(parameter: Any, value: Any) -> bool:
    if parameter.kind == "categorical":
        return value in parameter.values
    return parameter.low <= value <= parameter.high


def overall_best(jobs: Iterable[TrainingJobRecord], maximize: bool) -> TrainingJobRecord | None:
    ranked = [
        j
        for j in jobs
        if j.objective_status == ObjectiveStatus.SUCCEEDED and j.final_objective_value is not None
    ]
    if not ranked:
        return None
    sign = -1.0 if maximize else 1.0  # ties go to the job created first
    return min(ranked, key=lambda j: (sign * (j.final_objective_value or 0.0), j.creation_time))
