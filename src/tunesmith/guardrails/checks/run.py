"""Running the checks on a spec document, with rule violations folded in as findings."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tunesmith.domain.friendly import compile_friendly, friendly_path
from tunesmith.domain.parse import is_pascal_case, pydantic_problems, resolve_local_paths
from tunesmith.domain.rules import validate_spec
from tunesmith.domain.spec import TuningJobSpec
from tunesmith.errors import FieldProblem, SpecValidationError
from tunesmith.guardrails.checks.dry_run_checks import check_dry_run
from tunesmith.guardrails.checks.early_stopping import check_hyperband, check_long_jobs
from tunesmith.guardrails.checks.grid import check_grid
from tunesmith.guardrails.checks.metrics import check_metric_definitions
from tunesmith.guardrails.checks.objective import check_objective_direction
from tunesmith.guardrails.checks.parallelism import check_parallelism
from tunesmith.guardrails.checks.ranges import (
    check_bayesian_categorical,
    check_linear_scale,
    check_wide_bounds,
)
from tunesmith.guardrails.checks.tracking import check_tracking
from tunesmith.guardrails.checks.warm_start import check_warm_start, check_warm_start_available
from tunesmith.guardrails.findings import RANGES, CheckContext, Finding, Severity, sort_findings

Check = Callable[[TuningJobSpec, CheckContext], list[Finding]]

ALL_CHECKS: tuple[Check, ...] = (
    check_parallelism,
    check_objective_direction,
    check_metric_definitions,
    check_linear_scale,
    check_wide_bounds,
    check_bayesian_categorical,
    check_warm_start,
    check_warm_start_available,
    check_hyperband,
    check_grid,
    check_long_jobs,
    check_tracking,
    check_dry_run,
)


#: Rule violations reported at another path than the finding that explains them better.
_ALSO_COVERS: dict[str, tuple[str, ...]] = {"grid-numeric-range": (RANGES,)}


@dataclass(frozen=True)
class Diagnosis:
    """The findings for a document, and the spec when its shape could be read."""

    findings: list[Finding]
    spec: TuningJobSpec | None  # None when the document's shape is broken
    valid: bool  # the spec satisfies every SageMaker rule (the dry run needs this)
    context: CheckContext


def run_checks(spec: TuningJobSpec, context: CheckContext | None = None) -> list[Finding]:
    """Every check's findings for a spec, errors first."""
    context = context or CheckContext()
    findings: list[Finding] = []
    for check in ALL_CHECKS:
        findings += check(spec, context)
    return sort_findings(findings)


def diagnose(
    document: dict[str, Any],
    base_dir: Path | None = None,
    context: CheckContext | None = None,
) -> Diagnosis:
    """Parse ``document`` as far as it goes and run every check on it."""
    base = context or CheckContext()
    friendly = not is_pascal_case(document)
    try:
        request = compile_friendly(document) if friendly else dict(document)
    except SpecValidationError as exc:
        return Diagnosis(_invalid(exc.problems, None), None, False, base)
    context = dataclasses.replace(base, request=request, friendly=friendly)
    try:
        spec = TuningJobSpec.model_validate(request)
    except ValidationError as exc:
        problems = pydantic_problems(exc)
        return Diagnosis(_invalid(problems, context), None, False, context)
    if base_dir is not None:
        spec = resolve_local_paths(spec, base_dir)
    problems = validate_spec(spec)
    if spec.training_job_definition is None and not spec.training_job_definitions:
        return Diagnosis(_invalid(problems, context), spec, False, context)
    findings = run_checks(spec, context)
    covered = {f.field for f in findings if f.severity == Severity.ERROR}
    covered |= {context.path(p) for f in findings for p in _ALSO_COVERS.get(f.code, ())}
    findings += [f for f in _invalid(problems, context) if f.field not in covered]
    return Diagnosis(sort_findings(findings), spec, not problems, context)


def _invalid(problems: list[FieldProblem], context: CheckContext | None) -> list[Finding]:
    findings = []
    for problem in problems:
        path = problem.path
        if context is not None and context.friendly:
            path = friendly_path(path, context.request)
        findings.append(
            Finding(
                "spec-invalid",
                Severity.ERROR,
                path,
                f"{problem.rule} (value {_short(problem.value)}); SageMaker would reject the "
                "request and nothing would run.",
                "Change the field so that it satisfies the rule.",
            )
        )
    return findings


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
