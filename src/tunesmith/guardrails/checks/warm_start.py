"""Checks 5 and 9: warm start against the tuning jobs in the store.

A parent missing from the store or still running, a parent's tuned hyperparameter missing
from the child, and the mode against what changed since the parent ran: the configuration
of the training job (static hyperparameters, program or entrypoint, input locations) and the
fingerprints of the training code and data contents that every tuning job records.
"""

from __future__ import annotations

from pydantic import ValidationError

from tunesmith.domain.enums import ObjectiveType, TuningJobStatus, WarmStartType
from tunesmith.domain.rules import parse_bound
from tunesmith.domain.spec import ParameterRanges, TuningJobSpec
from tunesmith.fingerprints import fingerprints
from tunesmith.guardrails.findings import RANGES, WARM_START, CheckContext, Finding, Severity
from tunesmith.store import TuningJobRecord

PARENTS = f"{WARM_START}.ParentHyperParameterTuningJobs"
WARM_START_TYPE = f"{WARM_START}.WarmStartType"


def check_warm_start(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    warm = spec.warm_start_config
    if warm is None or context.stored_jobs is None:
        return []
    stored = {job.name.lower(): job for job in context.stored_jobs}
    findings: list[Finding] = []
    parents: list[tuple[TuningJobRecord, TuningJobSpec]] = []
    for index, parent in enumerate(warm.parent_hyper_parameter_tuning_jobs):
        name = parent.hyper_parameter_tuning_job_name
        path = context.path(f"{PARENTS}[{index}]")
        record = stored.get(name.lower())
        if record is None:
            findings.append(
                Finding(
                    "warm-start-parent-missing",
                    Severity.ERROR,
                    path,
                    f"The parent tuning job '{name}' is not in the store, so there are no "
                    "results to start from.",
                    "Name a tuning job listed by 'tunesmith list', or remove it from the parents.",
                )
            )
            continue
        if not record.status.is_terminal:
            findings.append(
                Finding(
                    "warm-start-parent-running",
                    Severity.WARNING,
                    path,
                    f"The parent tuning job '{name}' is {record.status.value}: only the "
                    "training jobs finished when this one starts are used.",
                    f"Wait for '{name}' to end (or stop it: tunesmith stop {name}).",
                )
            )
        parent_spec = _stored_spec(record)
        if parent_spec is not None:
            parents.append((record, parent_spec))
    for record, parent_spec in parents:
        findings += _missing_parameters(spec, record, parent_spec, context)
    findings += _mode(spec, parents, context)
    return findings


def _missing_parameters(
    spec: TuningJobSpec, record: TuningJobRecord, parent: TuningJobSpec, context: CheckContext
) -> list[Finding]:
    child = set(spec.ranges.names())
    static = spec.definition.static_hyper_parameters
    findings = []
    for name in parent.ranges.names():
        if name in child:
            continue
        made_static = name in static
        findings.append(
            Finding(
                "warm-start-parameter-missing",
                Severity.WARNING if made_static else Severity.ERROR,
                context.path(RANGES),
                f"The parent '{record.name}' tuned '{name}', which "
                + (
                    "this tuning job fixes as a static hyperparameter: the parent's results "
                    "mix values this job never tries."
                    if made_static
                    else "this tuning job neither tunes nor sets: the parent's results "
                    "cannot be mapped onto this search space."
                ),
                f"Add '{name}' to the hyperparameter ranges (the parent's range was "
                f"{_describe_range(parent.ranges, name)}), or warm start from another parent.",
            )
        )
    return findings


def _mode(
    spec: TuningJobSpec,
    parents: list[tuple[TuningJobRecord, TuningJobSpec]],
    context: CheckContext,
) -> list[Finding]:
    warm = spec.warm_start_config
    if warm is None or not parents:
        return []
    current: dict[str, object] | None = None
    changed = []
    for record, parent_spec in parents:
        if training_setup(parent_spec) != training_setup(spec):
            changed.append(record.name)
        elif record.fingerprints is not None:
            current = current if current is not None else fingerprints(spec)  # reads files
            if record.fingerprints != current:
                changed.append(record.name)
    term = context.term(WARM_START_TYPE)
    field = context.path(WARM_START_TYPE)
    if warm.warm_start_type == WarmStartType.IDENTICAL_DATA_AND_ALGORITHM and changed:
        return [
            Finding(
                "warm-start-mode",
                Severity.WARNING,
                field,
                f"{term} is IdenticalDataAndAlgorithm but the training setup (static "
                f"hyperparameters, program, code or data) changed since "
                f"{', '.join(changed)} ran: the parent's objective values are stale priors, "
                "not comparable with this job's.",
                f"Set {term} to TransferLearning.",
            )
        ]
    if warm.warm_start_type == WarmStartType.TRANSFER_LEARNING and not changed:
        return [
            Finding(
                "warm-start-mode",
                Severity.ADVICE,
                field,
                f"{term} is TransferLearning but the training setup is the same as the "
                "parent's: IdenticalDataAndAlgorithm reuses the parent's results more directly "
                "(and lets the best parent job count as a candidate).",
                f"Set {term} to IdenticalDataAndAlgorithm.",
            )
        ]
    return []


def check_warm_start_available(spec: TuningJobSpec, context: CheckContext) -> list[Finding]:
    if spec.warm_start_config is not None or not context.stored_jobs:
        return []
    objective = spec.hyper_parameter_tuning_job_config.hyper_parameter_tuning_job_objective
    if objective is None:
        return []
    name = spec.hyper_parameter_tuning_job_name.lower()
    for record in context.stored_jobs:
        if record.name.lower() == name or record.status != TuningJobStatus.COMPLETED:
            continue
        if record.objective_metric != objective.metric_name:
            continue
        if ObjectiveType(record.objective_type) != objective.type:
            continue
        parent = _stored_spec(record)
        if parent is None or not ranges_overlap(spec.ranges, parent.ranges):
            continue
        same = training_setup(parent) == training_setup(spec)
        mode = "IdenticalDataAndAlgorithm" if same else "TransferLearning"
        why = "the same training setup" if same else "a different training setup"
        return [
            Finding(
                "warm-start-available",
                Severity.ADVICE,
                context.path(WARM_START),
                f"The finished tuning job '{record.name}' optimised the same objective "
                f"'{objective.metric_name}' over overlapping ranges with {why}: starting from "
                "scratch throws its results away.",
                _warm_start_fix(context, record.name, mode),
            )
        ]
    return []


def _warm_start_fix(context: CheckContext, parent: str, mode: str) -> str:
    if context.friendly:
        friendly_mode = {
            "IdenticalDataAndAlgorithm": "identical_data_and_algorithm",
            "TransferLearning": "transfer_learning",
        }[mode]
        return f"Add warm_start_config: {{warm_start_type: {friendly_mode}, parents: [{parent}]}}."
    return (
        f'Add "WarmStartConfig": {{"ParentHyperParameterTuningJobs": '
        f'[{{"HyperParameterTuningJobName": "{parent}"}}], "WarmStartType": "{mode}"}}.'
    )


def training_setup(spec: TuningJobSpec) -> tuple[object, ...]:
    """What IdenticalDataAndAlgorithm requires to be unchanged, as far as the spec shows it."""
    definition = spec.definition
    algorithm = definition.algorithm_specification
    channels = sorted(
        (c.channel_name, c.model_dump_json(include={"data_source"}))
        for c in definition.input_data_config or []
    )
    return (
        tuple(sorted(definition.static_hyper_parameters.items())),
        algorithm.training_image,
        algorithm.algorithm_name,
        tuple(algorithm.container_entrypoint or ()),
        tuple(algorithm.container_arguments or ()),
        tuple(channels),
    )


def ranges_overlap(child: ParameterRanges, parent: ParameterRanges) -> bool:
    """True when the two spaces share a parameter and every shared one overlaps."""
    shared = set(child.names()) & set(parent.names())
    if not shared:
        return False
    return all(_overlap(child, parent, name) for name in shared)


def _overlap(child: ParameterRanges, parent: ParameterRanges, name: str) -> bool:
    a, b = _range_of(child, name), _range_of(parent, name)
    if isinstance(a, set) and isinstance(b, set):
        return bool(a & b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return a[0] <= b[1] and b[0] <= a[1]
    return False


def _range_of(ranges: ParameterRanges, name: str) -> tuple[float, float] | set[str] | None:
    for item in ranges.categorical_parameter_ranges:
        if item.name == name:
            return set(item.values)
    groups = ((ranges.integer_parameter_ranges, True), (ranges.continuous_parameter_ranges, False))
    for items, is_integer in groups:
        for item in items:
            if item.name == name:
                low = parse_bound(item.min_value, is_integer)
                high = parse_bound(item.max_value, is_integer)
                return None if low is None or high is None else (low, high)
    return None


def _describe_range(ranges: ParameterRanges, name: str) -> str:
    found = _range_of(ranges, name)
    if isinstance(found, set):
        return "{" + ", ".join(sorted(found)) + "}"
    if isinstance(found, tuple):
        return f"{found[0]:g} to {found[1]:g}"
    return "unknown"


def _stored_spec(record: TuningJobRecord) -> TuningJobSpec | None:
    try:
        return TuningJobSpec.model_validate(record.spec)
    except ValidationError:
        return None
